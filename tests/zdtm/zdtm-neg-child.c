// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-child: a child process in the same container, which the
 * checkpoint must refuse.  After SIGTERM the child must still be alive.
 */
#include <sys/wait.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	pid_t child;
	int status;

	zdtm_init(argc, argv);
	child = fork();
	zdtm_check(child < 0, "fork");
	if (child == 0) {
		for (;;)
			pause();
	}
	zdtm_ready();
	zdtm_wait();
	if (waitpid(child, &status, WNOHANG) != 0)
		zdtm_fail("the child %d is gone", child);
	if (kill(child, 0))
		zdtm_fail("the child %d: %s", child, strerror(errno));
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	zdtm_pass();
}
