// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-tree-share: a process and its child, both in the container,
 * sharing what $ZDTM_SHARE says: vm (clone(CLONE_VM)), which a restore
 * cannot share again yet, or files-kid (CLONE_FILES, and the child
 * forks a grandchild, which has a table of its own: a restore makes the
 * child's table shared by clone(), after which the child cannot fork
 * with the restorer's sockets closed).  The checkpoint must refuse it,
 * naming the processes; after SIGTERM the child must still be there,
 * still sharing it (kcmp).
 */
#include <sched.h>
#include <sys/prctl.h>
#include <linux/kcmp.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "zdtm.h"

static char stack[65536] __attribute__((aligned(16)));

/* The child: wait for ever (raw calls: it may share our memory). */
static int child(void *arg)
{
	/* files-kid: a grandchild that goes with it. */
	if (arg && syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0) == 0)
		syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	for (;;)
		syscall(SYS_pause);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct { const char *mode; int flags, kcmp; } m[] = {
		{ "vm", CLONE_VM, KCMP_VM },
		{ "files-kid", CLONE_FILES, KCMP_FILES },
	};
	const char *mode = getenv("ZDTM_SHARE");
	int i, status;
	pid_t c;

	zdtm_init(argc, argv);
	for (i = 0; i < 2 && mode && strcmp(m[i].mode, mode); i++)
		;
	if (!mode || i == 2)
		zdtm_fail("ZDTM_SHARE: vm or files-kid");
	c = clone(child, stack + sizeof(stack), m[i].flags | SIGCHLD,
		  i ? (void *)1 : NULL);
	zdtm_check(c < 0, "clone");
	zdtm_ready();
	zdtm_wait();
	if (waitpid(c, &status, WNOHANG) != 0)
		zdtm_fail("the child %d is gone", c);
	if (syscall(SYS_kcmp, getpid(), c, m[i].kcmp, 0, 0))
		zdtm_fail("the child %d no longer shares it", c);
	kill(c, SIGKILL);
	waitpid(c, &status, 0);
	zdtm_pass();
}
