// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-tree-share: processes of the container sharing what
 * $ZDTM_SHARE says, which a restore cannot make again: vm (a child made
 * by clone(CLONE_VM)), or files-orphan (the root, a child subreaper,
 * forks A, which makes B and C by clone(CLONE_FILES) and exits: B and C,
 * now the root's children, share a table their parent does not, and a
 * restore can make a shared table only by clone() from a parent that has
 * it).  The checkpoint must refuse it, naming them; after SIGTERM the
 * processes must still be there, still sharing it (kcmp).
 */
#include <sched.h>
#include <linux/kcmp.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "zdtm.h"

static char stack[65536] __attribute__((aligned(16)));

/* A child: wait for ever (raw calls: it may share our memory). */
static int child(void *arg)
{
	(void)arg;
	for (;;)
		syscall(SYS_pause);
	return 0;
}

/* fork() with @flags: clone(2) without a new stack. */
static pid_t share_clone(unsigned long flags)
{
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
}

/* files-orphan: B and C, which share a table, orphaned to us. */
static void orphans(pid_t *b, pid_t *c)
{
	pid_t a, *got;
	int status;

	zdtm_check(prctl(PR_SET_CHILD_SUBREAPER, 1), "PR_SET_CHILD_SUBREAPER");
	got = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	zdtm_check(got == MAP_FAILED, "mmap");
	a = fork();
	zdtm_check(a < 0, "fork");
	if (!a) {
		for (int i = 0; i < 2; i++) {
			pid_t p = share_clone(CLONE_FILES);

			if (!p)
				child(NULL);
			got[i] = p;
		}
		_exit(got[0] < 0 || got[1] < 0);
	}
	zdtm_check(waitpid(a, &status, 0) != a || status, "the forker");
	*b = got[0];
	*c = got[1];
}

int main(int argc, char **argv)
{
	const char *mode = getenv("ZDTM_SHARE");
	pid_t c, b = 0;
	int status, kind;

	zdtm_init(argc, argv);
	if (mode && !strcmp(mode, "vm")) {
		c = clone(child, stack + sizeof(stack), CLONE_VM | SIGCHLD,
			  NULL);
		zdtm_check(c < 0, "clone");
		b = getpid();
		kind = KCMP_VM;
	} else if (mode && !strcmp(mode, "files-orphan")) {
		orphans(&b, &c);
		kind = KCMP_FILES;
	} else {
		zdtm_fail("ZDTM_SHARE: vm or files-orphan");
	}
	zdtm_ready();
	zdtm_wait();
	if (waitpid(c, &status, WNOHANG) != 0)
		zdtm_fail("the child %d is gone", c);
	if (syscall(SYS_kcmp, b, c, kind, 0, 0))
		zdtm_fail("%d and %d no longer share it", b, c);
	kill(c, SIGKILL);
	waitpid(c, &status, 0);
	if (b != getpid()) {
		kill(b, SIGKILL);
		waitpid(b, &status, 0);
	}
	zdtm_pass();
}
