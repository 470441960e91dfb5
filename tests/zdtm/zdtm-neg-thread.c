// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-thread: a second thread with credentials of its own (a raw
 * setresuid() changes only the calling thread), which the checkpoint must
 * refuse: a restore gives every thread the leader's.  The thread counts;
 * after SIGTERM the count must still move.
 */
#include <pthread.h>
#include <time.h>

#include "zdtm.h"

static volatile unsigned long ticks;

static void *thread_main(void *arg)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	(void)arg;
	/* The saved uid only: the thread keeps its privileges. */
	if (syscall(SYS_setresuid, -1, -1, 65534))
		zdtm_fail("setresuid: %s", strerror(errno));
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
