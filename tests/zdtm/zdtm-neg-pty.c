// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-pty: a pseudo-terminal pair of the container that a restore
 * cannot bring back exactly, as $ZDTM_PTY says:
 *   pktq     the master in packet mode, "ab\n" written to it, not read
 *            on the slave (no echo)
 *   eof      "ab^D" written to the master: a line ended by VEOF, not
 *            read on the slave (no echo); the checkpoint reads it and
 *            puts it back before it refuses
 *   stopped  the slave's output stopped (tcflow(TCOOFF))
 *   noslave  the master alone: its slave was opened and closed
 *   devtty   a child leads a session on the pair, opens /dev/tty, then
 *            leaves that terminal (TIOCNOTTY) for a second pair: its
 *            /dev/tty names the first
 *   ldisc    the slave in line discipline N_NULL (27)
 *   devpts   a pair of another devpts, whose ptmx is $ZDTM_PTMX
 *   outside  a pair as any, its slave's name in DIR/pts for a process
 *            outside the container to open
 * The checkpoint must refuse, naming the descriptor and why; the data
 * and state stay as they were (checked after SIGTERM).
 */
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>

#include "zdtm.h"

/* A new pair: the master at @mfd, its slave (O_NOCTTY) at @sfd. */
static void pair(int mfd, int sfd)
{
	char pts[64];
	int m = posix_openpt(O_RDWR | O_NOCTTY), s;

	zdtm_check(m < 0 || dup2(m, mfd) != mfd, "posix_openpt");
	close(m);
	zdtm_check(grantpt(mfd) || unlockpt(mfd) ||
		   ptsname_r(mfd, pts, sizeof(pts)), "unlockpt");
	s = open(pts, O_RDWR | O_NOCTTY);
	zdtm_check(s < 0 || dup2(s, sfd) != sfd, pts);
	close(s);
}

/* The child of "devtty", ready; its pid. */
static pid_t devtty_child(void)
{
	char pts[64], ok;
	int p[2], t;
	pid_t c;

	zdtm_check(ptsname_r(10, pts, sizeof(pts)) || pipe(p), "pipe");
	c = fork();
	zdtm_check(c < 0, "fork");
	if (c) {
		close(p[1]);
		zdtm_check(read(p[0], &ok, 1) != 1, "the child's terminals");
		close(p[0]);
		return c;
	}
	close(p[0]);
	signal(SIGHUP, SIG_IGN);
	if (setsid() < 0 || (t = open(pts, O_RDWR)) < 0)
		_exit(1);
	close(t);
	t = open("/dev/tty", O_RDWR);
	if (t < 0 || dup2(t, 12) != 12 || ioctl(12, TIOCNOTTY))
		_exit(2);
	close(t);
	pair(13, 14);
	if (ioctl(14, TIOCSCTTY, 0) || write(p[1], "y", 1) != 1)
		_exit(3);
	close(p[1]);
	for (;;)
		pause();
}

/* A pair of the devpts whose ptmx is @ptmx, at 13 and 14. */
static void other_pair(const char *ptmx)
{
	char pts[4200];
	unsigned int n;
	int m, s, off = 0;

	zdtm_check(!ptmx, "ZDTM_PTMX");
	m = open(ptmx, O_RDWR | O_NOCTTY);
	zdtm_check(m < 0 || dup2(m, 13) != 13, ptmx);
	close(m);
	zdtm_check(ioctl(13, TIOCGPTN, &n) || ioctl(13, TIOCSPTLCK, &off),
		   "TIOCSPTLCK");
	snprintf(pts, sizeof(pts), "%.*s%u", (int)(strrchr(ptmx, '/') + 1 - ptmx),
		 ptmx, n);
	s = open(pts, O_RDWR | O_NOCTTY);
	zdtm_check(s < 0 || dup2(s, 14) != 14, pts);
	close(s);
}

/* Bytes to read on @fd. */
static int inq(int fd)
{
	int n = -1;

	zdtm_check(ioctl(fd, FIONREAD, &n), "FIONREAD");
	return n;
}

int main(int argc, char **argv)
{
	const char *mode = getenv("ZDTM_PTY");
	int ld = 27;
	pid_t c = 0;

	zdtm_init(argc, argv);
	zdtm_check(!mode, "ZDTM_PTY");
	pair(10, 11);
	if (!strcmp(mode, "pktq") || !strcmp(mode, "eof")) {
		struct termios tio;
		int on = 1;

		/* No echo: nothing for the master to read. */
		zdtm_check(tcgetattr(11, &tio), "tcgetattr");
		tio.c_lflag &= ~ECHO;
		zdtm_check(tcsetattr(11, TCSANOW, &tio), "tcsetattr");
		if (mode[0] == 'p')
			zdtm_check(ioctl(10, TIOCPKT, &on), "TIOCPKT");
		zdtm_check(write(10, mode[0] == 'p' ? "ab\n" : "ab\004", 3) != 3,
			   "write master");
	} else if (!strcmp(mode, "stopped")) {
		zdtm_check(tcflow(11, TCOOFF), "tcflow");
	} else if (!strcmp(mode, "noslave")) {
		close(11);
	} else if (!strcmp(mode, "devtty")) {
		c = devtty_child();
	} else if (!strcmp(mode, "outside")) {
		char pts[64];

		zdtm_check(ptsname_r(10, pts, sizeof(pts)) ||
			   zdtm_put("pts", pts), "write pts");
	} else if (!strcmp(mode, "devpts")) {
		other_pair(getenv("ZDTM_PTMX"));
	} else if (!strcmp(mode, "ldisc")) {
		zdtm_check(ioctl(11, TIOCSETD, &ld), "TIOCSETD");
	} else {
		zdtm_fail("unknown ZDTM_PTY %s", mode);
	}
	zdtm_ready();
	zdtm_wait();
	if (!strcmp(mode, "pktq") && inq(11) != 3)
		zdtm_fail("the slave's input changed: %d bytes", inq(11));
	if (!strcmp(mode, "eof")) {
		char buf[8];

		if (inq(11) != 2 || read(11, buf, sizeof(buf)) != 2 ||
		    memcmp(buf, "ab", 2) || inq(11) || inq(10))
			zdtm_fail("the line ended by ^D changed");
	}
	if (!strcmp(mode, "stopped")) {
		struct pollfd p = { .fd = 11, .events = POLLOUT };

		if (poll(&p, 1, 0))
			zdtm_fail("the slave's output is no longer stopped");
		zdtm_check(tcflow(11, TCOON), "tcflow");
	}
	if (c) {
		kill(c, SIGKILL);
		waitpid(c, NULL, 0);
	}
	zdtm_pass();
}
