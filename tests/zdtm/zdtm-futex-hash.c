// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-futex-hash: a process that had a second thread, gone now, keeps
 * the private futex hash the kernel made for it (PR_FUTEX_HASH); after
 * the restore it has the same number of slots, and its futexes work: a
 * new thread wakes it through a mutex and a condition variable.
 */
#include <pthread.h>
#include <sys/prctl.h>

#include "zdtm.h"

#define CR_PR_FUTEX_HASH	78
#define CR_GET_SLOTS		2

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int done;

static void *run(void *arg)
{
	pthread_mutex_lock(&lock);
	done = 1;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	return arg;
}

/* A thread that signals us, joined. */
static void one_thread(void)
{
	pthread_t t;

	done = 0;
	zdtm_check(pthread_create(&t, NULL, run, NULL) != 0, "pthread_create");
	pthread_mutex_lock(&lock);
	while (!done)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	zdtm_check(pthread_join(t, NULL) != 0, "pthread_join");
}

int main(int argc, char **argv)
{
	int before, after;

	zdtm_init(argc, argv);
	before = prctl(CR_PR_FUTEX_HASH, CR_GET_SLOTS, 0, 0, 0);
	if (before < 0) {
		zdtm_put("skip", "no PR_FUTEX_HASH in this kernel");
		return 0;
	}
	one_thread();
	before = prctl(CR_PR_FUTEX_HASH, CR_GET_SLOTS, 0, 0, 0);
	if (before <= 0)
		zdtm_fail("no private futex hash after a thread: %d", before);
	zdtm_ready();
	zdtm_wait();
	after = prctl(CR_PR_FUTEX_HASH, CR_GET_SLOTS, 0, 0, 0);
	if (after != before)
		zdtm_fail("private futex hash of %d slots, was %d", after,
			  before);
	one_thread();
	zdtm_pass();
}
