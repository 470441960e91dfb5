// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-seccomp-strict: a process in seccomp strict mode (only read(),
 * write(), _exit() and sigreturn() allowed).  It opens DIR/result first,
 * then spins until SIGTERM, writes PASS into it and exits with _exit():
 * in strict mode nothing else is allowed, not even exit_group().  The
 * test reads Seccomp: 1 in /proc/PID/status after the restore.
 */
#include <linux/seccomp.h>
#include <sys/prctl.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	char path[4096];
	sigset_t none;
	int fd;

	zdtm_init(argc, argv);
	zdtm_path(path, sizeof(path), "result");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	zdtm_check(fd < 0, "open result");
	sigemptyset(&none);
	zdtm_check(sigprocmask(SIG_SETMASK, &none, NULL), "sigprocmask");
	zdtm_ready();
	zdtm_check(prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0),
		   "PR_SET_SECCOMP strict");
	while (!zdtm_stop)
		;
	syscall(SYS_write, fd, "PASS\n", 5);
	syscall(SYS_exit, 0);
	return 1;
}
