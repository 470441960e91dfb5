// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-fown-sifd: the parent owns (F_SETOWN, F_SETSIG
 * SIGUSR1) a stream socket it shares with its child; the CHILD holds it at
 * fd 20 only and armed O_ASYNC there, so the kernel's fasync entry names
 * fd 20 (si_fd 20).  After SIGTERM the parent writes to the peer end and
 * expects SIGUSR1 with the same si_fd as before the checkpoint.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include "zdtm.h"

int main(int argc, char **argv)
{
	struct timespec ts = { 5, 0 };
	int sv[2], pfd[2];
	siginfo_t si;
	sigset_t usr1;
	pid_t p;
	char c;

	zdtm_init(argc, argv);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	zdtm_check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
	zdtm_check(pipe(pfd), "pipe");
	zdtm_check(fcntl(sv[0], F_SETOWN, getpid()), "F_SETOWN");
	zdtm_check(fcntl(sv[0], F_SETSIG, SIGUSR1), "F_SETSIG");
	p = fork();
	zdtm_check(p < 0, "fork");
	if (!p) {
		dup2(sv[0], 20);
		close(sv[0]);
		fcntl(20, F_SETFL, O_ASYNC | O_NONBLOCK);
		write(pfd[1], "r", 1);
		for (;;)
			pause();
	}
	zdtm_check(read(pfd[0], &c, 1) != 1, "child ready");
	/* before: a byte brings SIGUSR1 with the child's fd number */
	zdtm_check(write(sv[1], "x", 1) != 1, "write");
	zdtm_check(sigtimedwait(&usr1, &si, &ts) != SIGUSR1, "SIGUSR1 before");
	read(sv[0], &c, 1);
	int before = si.si_fd;
	zdtm_ready();
	zdtm_wait();
	zdtm_check(write(sv[1], "y", 1) != 1, "write after");
	if (sigtimedwait(&usr1, &si, &ts) != SIGUSR1) {
		kill(p, SIGKILL);
		zdtm_fail("no SIGUSR1 after the restore: %s", strerror(errno));
	}
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
	if (si.si_fd != before)
		zdtm_fail("SIGUSR1 names fd %d after the restore, fd %d before (child holds it at 20, parent at %d)",
			  si.si_fd, before, sv[0]);
	zdtm_pass();
}
