// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-thread-tsc: a second thread whose TSC reads fault (PR_SET_TSC,
 * each thread its own), which the checkpoint must refuse: a restore
 * gives it the default.  The thread counts;
 * after SIGTERM the count must still move.
 */
#include <pthread.h>
#include <sys/prctl.h>
#include <time.h>

#include "zdtm.h"

static volatile unsigned long ticks;

static void *thread_main(void *arg)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	(void)arg;
	if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV))
		zdtm_fail("PR_SET_TSC: %s", strerror(errno));
	for (;;) {
		ticks++;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	unsigned long before;
	pthread_t th;
	int err;

	zdtm_init(argc, argv);
	/* SIGTERM is blocked here, so the thread inherits it blocked. */
	err = pthread_create(&th, NULL, thread_main, NULL);
	if (err)
		zdtm_fail("pthread_create: %s", strerror(err));
	while (!ticks)
		nanosleep(&ts, NULL);
	zdtm_ready();
	zdtm_wait();
	before = ticks;
	nanosleep(&ts, NULL);
	if (ticks == before)
		zdtm_fail("the second thread stopped counting");
	zdtm_pass();
}
