// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-threads-timers: 8 threads, each the target of a POSIX timer of its
 * own (SIGEV_THREAD_ID, every 20 ms, its value the thread's number),
 * taking its signal with sigwaitinfo().  After the restore each thread
 * must still get ticks, and only from its own timer.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "zdtm.h"

#define NR_THREADS	8
#define SIG_TICK	(SIGRTMIN + 3)

struct slot {
	pthread_t	th;
	timer_t		timer;
	atomic_int	armed;
	atomic_long	ticks;
	atomic_int	wrong;		/* a signal of another timer */
};

static struct slot slots[NR_THREADS];

static void *thread_main(void *arg)
{
	int k = (int)(long)arg;
	struct slot *s = &slots[k];
	struct sigevent ev = {
		.sigev_notify = SIGEV_THREAD_ID,
		.sigev_signo = SIG_TICK,
		.sigev_value.sival_int = k,
	};
	struct itimerspec its = {
		.it_value = { 0, 20 * 1000 * 1000 },
		.it_interval = { 0, 20 * 1000 * 1000 },
	};
	sigset_t set;
	siginfo_t si;

	sigemptyset(&set);
	sigaddset(&set, SIG_TICK);
	ev._sigev_un._tid = gettid();
	if (timer_create(CLOCK_MONOTONIC, &ev, &s->timer) ||
	    timer_settime(s->timer, 0, &its, NULL))
		zdtm_fail("thread %d: timer: %s", k, strerror(errno));
	atomic_store(&s->armed, 1);
	for (;;) {
		if (sigwaitinfo(&set, &si) != SIG_TICK) {
			if (errno == EINTR)	/* a freeze, a ptrace stop */
				continue;
			zdtm_fail("thread %d: sigwaitinfo: %s", k,
				  strerror(errno));
		}
		if (si.si_code != SI_TIMER || si.si_value.sival_int != k)
			atomic_fetch_add(&s->wrong, 1);
		atomic_fetch_add(&s->ticks, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec ts = { 0, 1000 * 1000 }, settle = { 0, 300 * 1000 * 1000 };
	long before[NR_THREADS];
	sigset_t set;

	zdtm_init(argc, argv);
	/* Blocked in every thread: only sigwaitinfo() takes it. */
	sigemptyset(&set);
	sigaddset(&set, SIG_TICK);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (long k = 0; k < NR_THREADS; k++)
		zdtm_check(errno = pthread_create(&slots[k].th, NULL,
						  thread_main, (void *)k),
			   "pthread_create");
	for (int k = 0; k < NR_THREADS; k++)
		while (atomic_load(&slots[k].ticks) < 2)
			nanosleep(&ts, NULL);
	zdtm_ready();
	zdtm_wait();

	for (int k = 0; k < NR_THREADS; k++)
		before[k] = atomic_load(&slots[k].ticks);
	nanosleep(&settle, NULL);
	for (int k = 0; k < NR_THREADS; k++) {
		long now = atomic_load(&slots[k].ticks);

		if (atomic_load(&slots[k].wrong))
			zdtm_fail("thread %d got %d signals of another timer",
				  k, atomic_load(&slots[k].wrong));
		if (now - before[k] < 3)
			zdtm_fail("thread %d: %ld ticks in 300 ms after the "
				  "restore", k, now - before[k]);
	}
	zdtm_pass();
}
