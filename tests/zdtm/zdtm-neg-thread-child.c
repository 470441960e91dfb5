// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-thread-child: a thread other than the main one forks a child,
 * which asks for SIGKILL when its parent thread dies.  A restore makes
 * every child from the main thread: the checkpoint must refuse, naming
 * the thread and the child.
 */
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "zdtm.h"

static pid_t child;
static volatile int done;

static void *thr(void *arg)
{
	(void)arg;
	child = fork();
	if (!child) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	while (!done)
		usleep(10000);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	zdtm_init(argc, argv);
	zdtm_check(pthread_create(&t, NULL, thr, NULL) != 0, "pthread_create");
	while (!child)
		usleep(10000);
	zdtm_check(child < 0, "fork");
	zdtm_ready();
	zdtm_wait();
	done = 1;
	pthread_join(t, NULL);
	waitpid(child, NULL, 0);	/* killed by its parent-death signal */
	zdtm_pass();
}
