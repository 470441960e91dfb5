// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-zombie: a child that has exited and is not yet waited for.  A
 * zombie has left its cgroup (cgroup.procs does not list it), but its
 * parent will wait() for it: the checkpoint must refuse, naming it.
 * After SIGTERM the zombie must still be there, with its exit status.
 */
#include <sys/wait.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	pid_t child;
	int status;
	char path[64];

	zdtm_init(argc, argv);
	child = fork();
	zdtm_check(child < 0, "fork");
	if (child == 0)
		_exit(7);
	/* Until it is a zombie: its stat says Z. */
	snprintf(path, sizeof(path), "/proc/%d/stat", child);
	for (;;) {
		char buf[256], *rp;
		FILE *f = fopen(path, "re");

		zdtm_check(!f, "open child stat");
		rp = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (rp && rp[2] == 'Z')
			break;
		usleep(1000);
	}
	zdtm_ready();
	zdtm_wait();
	if (waitpid(child, &status, WNOHANG) != child)
		zdtm_fail("the zombie %d is gone", child);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 7)
		zdtm_fail("the zombie %d: status %#x, want exit 7", child, status);
	zdtm_pass();
}
