// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-tree-zombie: zombies not yet waited for, with their wait status:
 *
 *   root
 *   +- Z1   exit(7)
 *   +- Z2   leads a process group, then dies by SIGUSR2
 *   +- Z3   dies by SIGSEGV, not dumpable: no core
 *   +- L    in Z2's group; SIGCHLD blocked and pending
 *      +- LZ  exit(3)
 *
 * The root has taken the SIGCHLD of its zombies (none pending); L has
 * not.  After SIGTERM each must find its zombies with their status, the
 * SIGCHLD as it was (none in the root, one in L), L still in the group
 * of the dead Z2.  DIR/pids lists every pid, zombies too.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include "zdtm.h"

/* Wait until @pid is a zombie, without reaping it (any pid namespace). */
static void zombie_wait_z(pid_t pid)
{
	siginfo_t si;

	while (waitid(P_PID, pid, &si, WEXITED | WNOWAIT) < 0)
		zdtm_check(errno != EINTR, "waitid");
}

/* Is SIGCHLD pending? */
static int zombie_chld_pending(void)
{
	sigset_t set;

	sigpending(&set);
	return sigismember(&set, SIGCHLD);
}

/* Reap @pid at once (it must be a zombie) and compare its status. */
static int zombie_reap(pid_t pid, int want)
{
	int status;

	if (waitpid(pid, &status, WNOHANG) != pid) {
		fprintf(stderr, "pid %d: not a zombie to reap\n", pid);
		return 0;
	}
	if (status != want) {
		fprintf(stderr, "pid %d: status %#x, want %#x\n", pid, status,
			want);
		return 0;
	}
	return 1;
}

/* L: a zombie child of its own, SIGCHLD pending; checks after SIGTERM. */
static void __attribute__((noreturn)) zombie_l(int up, pid_t z2)
{
	pid_t lz = fork();
	char line[32];

	if (lz < 0)
		_exit(10);
	if (lz == 0)
		_exit(3);
	zombie_wait_z(lz);
	snprintf(line, sizeof(line), "%d\n", lz);
	if (write(up, line, strlen(line)) != (ssize_t)strlen(line))
		_exit(11);
	close(up);
	zdtm_wait();
	if (!zombie_chld_pending()) {
		fprintf(stderr, "L: the SIGCHLD of its zombie is not pending\n");
		_exit(12);
	}
	if (getpgid(0) != z2) {
		fprintf(stderr, "L: pgid %d, want %d (the dead Z2's)\n",
			getpgid(0), z2);
		_exit(13);
	}
	_exit(zombie_reap(lz, 3 << 8) ? 0 : 14);
}

int main(int argc, char **argv)
{
	pid_t z1, z2, z3, l, lz;
	char buf[64], list[256];
	int up[2], status;
	sigset_t chld;
	ssize_t n;

	zdtm_init(argc, argv);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	zdtm_check(pipe2(up, O_CLOEXEC), "pipe");
	z1 = fork();
	zdtm_check(z1 < 0, "fork");
	if (z1 == 0)
		_exit(7);
	z2 = fork();
	zdtm_check(z2 < 0, "fork");
	if (z2 == 0) {
		sigset_t none;

		setpgid(0, 0);
		/* dies once L is in its group */
		while (getpgid(0) != getpid())
			usleep(1000);
		sigemptyset(&none);
		signal(SIGUSR2, SIG_DFL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		pause();
		_exit(20);
	}
	setpgid(z2, z2);
	z3 = fork();
	zdtm_check(z3 < 0, "fork");
	if (z3 == 0) {
		sigset_t none;

		prctl(PR_SET_DUMPABLE, 0);
		sigemptyset(&none);
		signal(SIGSEGV, SIG_DFL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		raise(SIGSEGV);
		_exit(21);
	}
	l = fork();
	zdtm_check(l < 0, "fork");
	if (l == 0) {
		close(up[0]);
		zombie_l(up[1], z2);
	}
	zdtm_check(setpgid(l, z2), "setpgid L into Z2's group");
	close(up[1]);
	n = read(up[0], buf, sizeof(buf) - 1);
	zdtm_check(n <= 0, "L is not up");
	buf[n] = '\0';
	lz = atoi(buf);
	close(up[0]);
	kill(z2, SIGUSR2);
	zombie_wait_z(z1);
	zombie_wait_z(z2);
	zombie_wait_z(z3);
	/* The root's SIGCHLD taken: none pending at the checkpoint. */
	while (zombie_chld_pending())
		sigwaitinfo(&chld, NULL);
	snprintf(list, sizeof(list), "%d\n%d\n%d\n%d\n%d\n%d\n", getpid(),
		 z1, z2, z3, l, lz);
	zdtm_check(zdtm_put("pids", list), "write pids");
	zdtm_ready();
	zdtm_wait();
	if (zombie_chld_pending())
		zdtm_fail("a SIGCHLD is pending in the root: it was not");
	if (!zombie_reap(z1, 7 << 8) || !zombie_reap(z2, SIGUSR2) ||
	    !zombie_reap(z3, SIGSEGV))
		zdtm_fail("a zombie of the root: see stderr");
	kill(l, SIGTERM);
	zdtm_check(waitpid(l, &status, 0) != l, "wait L");
	if (status)
		zdtm_fail("L: status %#x: see stderr", status);
	zdtm_pass();
}
