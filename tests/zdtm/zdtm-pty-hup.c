// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-pty-hup: CRIU's tty00 without its pipes.  The main process holds a
 * pseudo-terminal master (fd 10); a child leads a session, opens the
 * slave (its controlling terminal), puts a grandchild's group in front
 * and closes the slave: no process has it open, the session still has
 * it as its terminal.  After SIGTERM: the master still says so
 * (TIOCGSID, and the grandchild's group in front, which the restore sets
 * through a /dev/tty of its own in the child), the child and grandchild
 * have the terminal they had, and closing the master hangs the session
 * up: the child gets SIGHUP and exits 0.
 */
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "zdtm.h"

static volatile sig_atomic_t hup;

static void on_hup(int sig)
{
	(void)sig;
	hup = 1;
}

/* tty_nr of /proc/@pid/stat, or -1. */
static long stat_tty(pid_t pid)
{
	char path[64], buf[1024], *p;
	long tty = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sscanf(p + 2, "%*c %*d %*d %*d %ld", &tty);
	fclose(f);
	return tty;
}

/* The child: a session that had the slave as its terminal; SIGHUP ends it. */
static void __attribute__((noreturn)) child(const char *pts, int ready)
{
	struct sigaction sa = { .sa_handler = on_hup };
	sigset_t none;
	pid_t g;
	int s;

	sigaction(SIGHUP, &sa, NULL);
	if (setsid() < 0 || (s = open(pts, O_RDWR)) < 0)
		_exit(2);
	g = fork();
	if (g < 0)
		_exit(4);
	if (!g) {
		close(ready);
		close(s);
		setpgid(0, 0);
		for (;;)
			pause();
	}
	setpgid(g, g);
	if (tcsetpgrp(s, g))
		_exit(5);
	close(s);
	if (write(ready, &g, sizeof(g)) != sizeof(g))
		_exit(3);
	close(ready);
	sigemptyset(&none);
	while (!hup)
		sigsuspend(&none);
	kill(g, SIGKILL);
	waitpid(g, NULL, 0);
	_exit(0);
}

int main(int argc, char **argv)
{
	char pts[64], buf[32];
	int m, p[2], st, i;
	long tty;
	pid_t c, g, sid = 0, pg = 0;

	zdtm_init(argc, argv);
	m = posix_openpt(O_RDWR | O_NOCTTY);
	zdtm_check(m < 0 || dup2(m, 10) != 10, "posix_openpt");
	close(m);
	m = 10;
	zdtm_check(grantpt(m) || unlockpt(m) || ptsname_r(m, pts, sizeof(pts)),
		   "unlockpt");
	zdtm_check(pipe(p), "pipe");
	c = fork();
	zdtm_check(c < 0, "fork");
	if (!c) {
		close(p[0]);
		close(m);
		child(pts, p[1]);
	}
	close(p[1]);
	zdtm_check(read(p[0], &g, sizeof(g)) != sizeof(g), "the child's session");
	close(p[0]);
	tty = stat_tty(c);
	snprintf(buf, sizeof(buf), "%d %d\n", c, g);
	zdtm_check(zdtm_put("pids", buf), "write pids");
	zdtm_ready();
	zdtm_wait();

	zdtm_check(ioctl(m, TIOCGSID, &sid), "TIOCGSID");
	zdtm_check(ioctl(m, TIOCGPGRP, &pg), "TIOCGPGRP");
	if (sid != c || pg != g)
		zdtm_fail("the pair's session %d, group %d: was %d, %d", sid,
			  pg, c, g);
	if (stat_tty(c) != tty || stat_tty(g) != tty)
		zdtm_fail("the child has terminal %ld, the grandchild %ld, "
			  "had %ld", stat_tty(c), stat_tty(g), tty);
	close(m);
	for (i = 0; i < 100 && waitpid(c, &st, WNOHANG) != c; i++)
		usleep(50000);
	if (i == 100) {
		kill(c, SIGKILL);
		zdtm_fail("no SIGHUP for the session when its master closed");
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		zdtm_fail("the child ended with status %#x", st);
	zdtm_pass();
}
