// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-pty: a pseudo-terminal pair of the container comes back as it
 * was.  The main process holds the master (fd 10, packet mode) and a
 * slave descriptor (fd 12, exclusive mode, ECHO off, VMIN 3, window size
 * 33x111); a child leads a session whose controlling terminal is the
 * slave (fd 11, opened without O_NOCTTY; fd 17 is /dev/tty) and a
 * grandchild in a group of its own is the terminal's foreground group; /dev/null (fd 13),
 * /dev/zero (14), /dev/full (15) and /dev/urandom (16) are open beside,
 * and an epoll instance (fd 18) watches the master.
 * After SIGTERM: the same /dev/pts/N, termios, window size and modes; the
 * session's terminal and foreground group as the child and grandchild
 * see them (they exit 0 or the step that failed, on SIGUSR1); "ping"
 * written to the master is read on the slave, "pong" written to the
 * slave wakes the epoll and is read on the master after the packet-mode
 * byte; the devices
 * read and write as before.
 */
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>

#include "zdtm.h"

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

/* Its terminal (tty_nr of /proc/self/stat), or -1. */
static long stat_tty(void)
{
	char buf[1024], *p;
	long tty = -1;
	FILE *f = fopen("/proc/self/stat", "r");

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sscanf(p + 2, "%*c %*d %*d %*d %ld", &tty);
	fclose(f);
	return tty;
}

/* Wait for SIGUSR1 with every other signal left as it is. */
static void wait_usr1(void)
{
	sigset_t none;

	sigemptyset(&none);
	while (!go)
		sigsuspend(&none);
}

/* The grandchild: in its own group, the foreground one; its checks. */
static void grandchild(long tty, int ready)
{
	close(ready);
	setpgid(0, 0);
	wait_usr1();
	if (stat_tty() != tty)
		_exit(21);
	_exit(0);
}

/* The child: a session led on the slave, the grandchild in front. */
static void child(const char *pts, long tty, int ready)
{
	struct stat st;
	pid_t g;
	int s;

	if (setsid() < 0)
		_exit(2);
	s = open(pts, O_RDWR);
	if (s < 0 || dup2(s, 11) != 11)
		_exit(3);
	close(s);
	g = fork();
	if (g < 0)
		_exit(4);
	if (!g)
		grandchild(tty, ready);
	setpgid(g, g);
	if (tcsetpgrp(11, g))
		_exit(5);
	/* Its terminal by the generic name. */
	s = open("/dev/tty", O_RDWR);
	if (s < 0 || dup2(s, 17) != 17)
		_exit(7);
	close(s);
	if (write(ready, &g, sizeof(g)) != sizeof(g))
		_exit(6);
	close(ready);
	wait_usr1();
	if (tcgetsid(11) != getpid() || stat_tty() != tty)
		_exit(11);
	if (tcgetpgrp(11) != g)
		_exit(12);
	if (fstat(17, &st) || st.st_rdev != makedev(5, 0) ||
	    tcgetpgrp(17) != g)
		_exit(14);
	kill(g, SIGUSR1);
	if (waitpid(g, &s, 0) != g || !WIFEXITED(s))
		_exit(13);
	_exit(WEXITSTATUS(s));
}

/* Open @path at @fd. */
static void open_at(const char *path, int flags, int fd)
{
	int f = open(path, flags);

	zdtm_check(f < 0 || dup2(f, fd) != fd, path);
	close(f);
}

int main(int argc, char **argv)
{
	struct winsize ws = { .ws_row = 33, .ws_col = 111 }, ws2;
	char pts[64], pts2[64], buf[64], zero[8];
	struct termios tio, tio2;
	int m, p[2], n, on = 1, v, st;
	unsigned int idx, idx2;
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct epoll_event ev;
	struct stat sst;
	pid_t c, g;
	long tty;

	zdtm_init(argc, argv);
	sigaction(SIGUSR1, &sa, NULL);
	m = posix_openpt(O_RDWR | O_NOCTTY);
	zdtm_check(m < 0 || dup2(m, 10) != 10, "posix_openpt");
	close(m);
	m = 10;
	zdtm_check(grantpt(m) || unlockpt(m) || ptsname_r(m, pts, sizeof(pts)),
		   "unlockpt");
	zdtm_check(ioctl(m, TIOCGPTN, &idx), "TIOCGPTN");
	zdtm_check(stat(pts, &sst), "stat pts");
	/* As /proc/PID/stat encodes it (new_encode_dev()). */
	tty = (long)((minor(sst.st_rdev) & 0xff) | (major(sst.st_rdev) << 8) |
		     ((minor(sst.st_rdev) & ~0xffU) << 12));
	open_at(pts, O_RDWR | O_NOCTTY, 12);
	zdtm_check(tcgetattr(12, &tio), "tcgetattr");
	tio.c_lflag &= ~(ECHO | ECHOE | ECHOK);
	tio.c_cc[VMIN] = 3;
	tio.c_cc[VINTR] = 0x07;
	zdtm_check(tcsetattr(12, TCSANOW, &tio), "tcsetattr");
	zdtm_check(ioctl(m, TIOCSWINSZ, &ws), "TIOCSWINSZ");
	zdtm_check(ioctl(m, TIOCPKT, &on), "TIOCPKT");
	open_at("/dev/null", O_RDWR, 13);
	open_at("/dev/zero", O_RDONLY, 14);
	open_at("/dev/full", O_WRONLY, 15);
	open_at("/dev/urandom", O_RDONLY | O_NONBLOCK, 16);
	/* An epoll instance watching the master, as tmux's event loop. */
	m = epoll_create1(0);
	zdtm_check(m < 0 || dup2(m, 18) != 18, "epoll_create1");
	close(m);
	m = 10;
	ev.events = EPOLLIN;
	ev.data.u64 = 0x77;
	zdtm_check(epoll_ctl(18, EPOLL_CTL_ADD, m, &ev), "epoll_ctl");
	zdtm_check(pipe(p), "pipe");
	c = fork();
	zdtm_check(c < 0, "fork");
	if (!c) {
		close(p[0]);
		for (int fd = 10; fd <= 18; fd++)
			close(fd);
		child(pts, tty, p[1]);
	}
	close(p[1]);
	zdtm_check(read(p[0], &g, sizeof(g)) != sizeof(g), "the child's session");
	close(p[0]);
	zdtm_check(zdtm_put("pts", pts), "write pts");
	snprintf(buf, sizeof(buf), "%d %d\n", c, g);
	zdtm_check(zdtm_put("pids", buf), "write pids");
	/* Exclusive once every slave is open. */
	zdtm_check(ioctl(12, TIOCEXCL), "TIOCEXCL");
	zdtm_ready();
	zdtm_wait();

	zdtm_check(ioctl(m, TIOCGPTN, &idx2), "TIOCGPTN after");
	if (idx2 != idx)
		zdtm_fail("master index %u, was %u", idx2, idx);
	zdtm_check(ptsname_r(m, pts2, sizeof(pts2)), "ptsname after");
	if (strcmp(pts, pts2) || !ttyname(12) || strcmp(ttyname(12), pts))
		zdtm_fail("slave %s, was %s", ttyname(12) ?: "?", pts);
	zdtm_check(tcgetattr(12, &tio2), "tcgetattr after");
	if (tio2.c_lflag != tio.c_lflag || tio2.c_iflag != tio.c_iflag ||
	    tio2.c_oflag != tio.c_oflag || tio2.c_cflag != tio.c_cflag ||
	    memcmp(tio2.c_cc, tio.c_cc, sizeof(tio.c_cc)))
		zdtm_fail("termios changed: lflag %#x was %#x", tio2.c_lflag,
			  tio.c_lflag);
	zdtm_check(ioctl(12, TIOCGWINSZ, &ws2), "TIOCGWINSZ after");
	if (ws2.ws_row != 33 || ws2.ws_col != 111)
		zdtm_fail("window %ux%u, was 33x111", ws2.ws_row, ws2.ws_col);
	zdtm_check(ioctl(m, TIOCGPKT, &v), "TIOCGPKT");
	if (!v)
		zdtm_fail("packet mode lost");
	zdtm_check(ioctl(12, TIOCGEXCL, &v), "TIOCGEXCL");
	if (!v)
		zdtm_fail("exclusive mode lost");
	zdtm_check(ioctl(m, TIOCGPTLCK, &v), "TIOCGPTLCK");
	if (v)
		zdtm_fail("the pair is locked");
	kill(c, SIGUSR1);
	zdtm_check(waitpid(c, &st, 0) != c, "waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		zdtm_fail("the session's check failed (status %#x)", st);
	zdtm_check(write(m, "ping\n", 5) != 5, "write master");
	n = read(12, buf, sizeof(buf));
	if (n != 5 || memcmp(buf, "ping\n", 5))
		zdtm_fail("slave read %d bytes", n);
	zdtm_check(write(12, "pong\n", 5) != 5, "write slave");
	n = epoll_wait(18, &ev, 1, 5000);
	if (n != 1 || ev.data.u64 != 0x77 || !(ev.events & EPOLLIN))
		zdtm_fail("epoll on the master: %d events", n);
	n = read(m, buf, sizeof(buf));
	if (n < 6 || buf[0] != TIOCPKT_DATA || memcmp(buf + 1, "pong", 4))
		zdtm_fail("master read %d bytes", n);
	if (write(13, "x", 1) != 1 || read(14, zero, 8) != 8 || zero[7] ||
	    write(15, "x", 1) != -1 || errno != ENOSPC || read(16, zero, 8) != 8)
		zdtm_fail("a device does not behave");
	zdtm_pass();
}
