// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-pty-thaw: a pty pair the container holds, left as
 * ZDTM_PTY says; the checkpoint is expected refused; thawed, the program
 * checks that the pair is as it left it.
 *  flip:  canonical slave, 1000 lines then 2500 bytes not ended, then
 *         3000 more bytes (in the flip buffer): every byte still there.
 *  async: master O_ASYNC, owner itself, F_SETSIG SIGRTMIN (blocked),
 *         "out\n" of the slave unread: no SIGRTMIN raised meanwhile.
 *  pkt:   packet mode, IXON, canonical line "ab^V^Scd" not ended: the
 *         slave can still write, the line is still "ab\023cd".
 *  sess:  the pair is a child session's terminal, its slave closed, the
 *         master alone held; "ab\n" written to the master, not read:
 *         still there (read through a peer of the master).
 */
#include <poll.h>
#include <asm/termbits.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include "zdtm.h"

static unsigned char wr[20000], rd[40000];

static size_t drain(int s)
{
	struct termios2 t;
	size_t got = 0;

	ioctl(s, TCGETS2, &t);
	t.c_lflag &= ~ICANON;
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	ioctl(s, TCSETS2, &t);
	for (;;) {
		struct pollfd p = { s, POLLIN, 0 };
		ssize_t r;

		if (poll(&p, 1, 200) != 1)
			break;
		r = read(s, rd + got, sizeof(rd) - got);
		if (r <= 0)
			break;
		got += r;
	}
	return got;
}

int main(int argc, char **argv)
{
	const char *mode = getenv("ZDTM_PTY") ?: "flip";
	int m, s, u = 0, one = 1;
	struct termios2 t;
	size_t nw = 0, off = 0, got;
	sigset_t rt;
	pid_t child = 0;

	zdtm_init(argc, argv);
	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &rt, NULL);
	m = open("/dev/ptmx", O_RDWR | O_NOCTTY);
	zdtm_check(m < 0, "ptmx");
	ioctl(m, TIOCSPTLCK, &u);
	s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	zdtm_check(s < 0, "peer");
	ioctl(s, TCGETS2, &t);
	t.c_lflag &= ~(ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE);
	if (!strcmp(mode, "pkt"))
		t.c_iflag |= IXON;
	ioctl(s, TCSETS2, &t);
	if (!strcmp(mode, "flip")) {
		ssize_t r;

		fcntl(m, F_SETFL, O_NONBLOCK);
		for (int i = 0; i < 1000; i++) {
			wr[nw++] = 'a' + i % 26;
			wr[nw++] = '\n';
		}
		for (int i = 0; i < 2500; i++)
			wr[nw++] = 'x';
		for (int i = 0; i < 3000; i++)
			wr[nw++] = i % 50 == 49 ? '\n' : 'y';
		while (off < nw && (r = write(m, wr + off, nw - off)) > 0)
			off += r;
		nw = off;
	} else if (!strcmp(mode, "async")) {
		fcntl(m, F_SETOWN, getpid());
		fcntl(m, F_SETSIG, SIGRTMIN);
		fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_ASYNC);
		zdtm_check(write(s, "out\n", 4) != 4, "write");
	} else if (!strcmp(mode, "sess")) {
		int pfd[2];
		char c;

		zdtm_check(pipe(pfd), "pipe");
		child = fork();
		zdtm_check(child < 0, "fork");
		if (!child) {
			setsid();
			zdtm_check(ioctl(s, TIOCSCTTY, 0), "TIOCSCTTY");
			close(s);
			close(m);
			write(pfd[1], "r", 1);
			for (;;)
				pause();
		}
		zdtm_check(read(pfd[0], &c, 1) != 1, "child ready");
		close(s);
		zdtm_check(write(m, "ab\n", 3) != 3, "write");
	} else {
		ioctl(m, TIOCPKT, &one);
		zdtm_check(write(m, "ab\026\023cd", 6) != 6, "write");
	}
	usleep(200000);
	if (!strcmp(mode, "async")) {
		struct timespec z = { 0, 0 };
		while (sigtimedwait(&rt, NULL, &z) > 0)
			;
	}
	zdtm_ready();
	zdtm_wait();
	if (!strcmp(mode, "flip")) {
		got = drain(s);
		if (got != nw || memcmp(rd, wr, nw))
			zdtm_fail("slave input: %zu bytes, %zu were written", got,
				  nw);
	} else if (!strcmp(mode, "async")) {
		struct timespec z = { 0, 0 };
		int n = 0;

		while (sigtimedwait(&rt, NULL, &z) > 0)
			n++;
		if (n)
			zdtm_fail("%d SIGRTMIN raised by nothing the program did", n);
	} else if (!strcmp(mode, "sess")) {
		s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_NONBLOCK);
		got = s < 0 ? 0 : drain(s);
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		if (got != 3 || memcmp(rd, "ab\n", 3))
			zdtm_fail("slave input: %zu bytes, not ab\\n", got);
	} else {
		fcntl(s, F_SETFL, O_NONBLOCK);
		if (write(s, "o", 1) != 1)
			zdtm_fail("slave cannot write: %s (output stopped)",
				  strerror(errno));
		got = drain(s);
		if (got != 5 || memcmp(rd, "ab\023cd", 5))
			zdtm_fail("slave line: %zu bytes, not ab^Scd", got);
	}
	zdtm_pass();
}
