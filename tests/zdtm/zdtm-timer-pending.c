// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-timer-pending: a periodic POSIX timer (20 ms) whose signal,
 * blocked, is pending: the kernel queues at most one signal of a timer at
 * a time (its own preallocated entry; further expiries go to the
 * overrun), so after any wait exactly one of its signals can be taken.
 */
#include <time.h>
#include "zdtm.h"

int main(int argc, char **argv)
{
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL,
				.sigev_signo = SIGRTMIN + 2 };
	struct itimerspec its = { { 0, 20000000 }, { 0, 20000000 } };
	struct timespec zero = { 0, 0 }, nap = { 0, 200000000 };
	siginfo_t si;
	sigset_t set;
	timer_t t;
	int n = 0;

	zdtm_init(argc, argv);
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	zdtm_check(timer_create(CLOCK_MONOTONIC, &sev, &t), "timer_create");
	zdtm_check(timer_settime(t, 0, &its, NULL), "timer_settime");
	nanosleep(&nap, NULL);
	zdtm_ready();
	zdtm_wait();
	nanosleep(&nap, NULL);
	while (sigtimedwait(&set, &si, &zero) > 0)
		n++;
	if (n != 1)
		zdtm_fail("%d signals of the timer were queued at once, not 1",
			  n);
	zdtm_pass();
}
