// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-tree-share: a process and its child, both in the container,
 * sharing what $ZDTM_SHARE says: vm (clone(CLONE_VM)), files
 * (CLONE_FILES) or fs (CLONE_FS), which a restore cannot share again
 * yet.  The checkpoint must refuse it, naming both; after SIGTERM the
 * child must still be there, still sharing it (kcmp).
 */
#include <sched.h>
#include <linux/kcmp.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "zdtm.h"

static char stack[65536] __attribute__((aligned(16)));

/* The child: wait for ever (raw calls: it may share our memory). */
static int child(void *arg)
{
	(void)arg;
	for (;;)
		syscall(SYS_pause);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct { const char *mode; int flags, kcmp; } m[] = {
		{ "vm", CLONE_VM, KCMP_VM }, { "files", CLONE_FILES, KCMP_FILES },
		{ "fs", CLONE_FS, KCMP_FS },
	};
	const char *mode = getenv("ZDTM_SHARE");
	int i, status;
	pid_t c;

	zdtm_init(argc, argv);
	for (i = 0; i < 3 && mode && strcmp(m[i].mode, mode); i++)
		;
	if (!mode || i == 3)
		zdtm_fail("ZDTM_SHARE: vm, files or fs");
	c = clone(child, stack + sizeof(stack), m[i].flags | SIGCHLD, NULL);
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
