// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-fown-uids: the child, after setresuid(65534),
 * names its root parent the owner (F_SETOWN, F_SETSIG SIGUSR1) of a
 * stream socket both hold, with O_ASYNC.  The kernel keeps the setter's
 * uid with the owner: SIGIO to the root parent is not permitted, so a
 * byte brings no SIGUSR1 -- before the checkpoint and after the restore.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include "zdtm.h"

int main(int argc, char **argv)
{
	struct timespec ts = { 1, 0 };
	int sv[2], pfd[2];
	sigset_t usr1;
	pid_t p, pp;
	char c;

	zdtm_init(argc, argv);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	zdtm_check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
	zdtm_check(pipe(pfd), "pipe");
	pp = getpid();
	p = fork();
	zdtm_check(p < 0, "fork");
	if (!p) {
		if (setresuid(65534, 65534, 65534))
			_exit(3);
		fcntl(sv[0], F_SETOWN, pp);
		fcntl(sv[0], F_SETSIG, SIGUSR1);
		fcntl(sv[0], F_SETFL, O_ASYNC | O_NONBLOCK);
		write(pfd[1], "r", 1);
		for (;;)
			pause();
	}
	zdtm_check(read(pfd[0], &c, 1) != 1, "child ready");
	zdtm_check(fcntl(sv[0], F_GETOWN) != pp, "owner");
	zdtm_check(write(sv[1], "x", 1) != 1, "write");
	zdtm_check(sigtimedwait(&usr1, NULL, &ts) == SIGUSR1,
		   "SIGUSR1 before the checkpoint (expected none: not permitted)");
	read(sv[0], &c, 1);
	zdtm_ready();
	zdtm_wait();
	zdtm_check(write(sv[1], "y", 1) != 1, "write after");
	if (sigtimedwait(&usr1, NULL, &ts) == SIGUSR1) {
		kill(p, SIGKILL);
		zdtm_fail("SIGUSR1 delivered after the restore: the owner was set with the owner's root uid, not the unprivileged setter's");
	}
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
	zdtm_pass();
}
