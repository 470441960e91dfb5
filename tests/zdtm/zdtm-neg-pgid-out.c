// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-pgid-out: the root forks a child, which stays in the process
 * group the root was started in (led by a process outside the
 * container), then leads a group of its own.  A restore could not put
 * the child back in that group: the checkpoint must refuse, naming it.
 */
#include <sys/wait.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	pid_t c;

	zdtm_init(argc, argv);
	c = fork();
	zdtm_check(c < 0, "fork");
	if (!c) {
		for (;;)
			pause();
	}
	zdtm_check(setpgid(0, 0), "setpgid");
	zdtm_ready();
	zdtm_wait();
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	zdtm_pass();
}
