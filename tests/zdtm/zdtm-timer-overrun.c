// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-timer-overrun: a periodic POSIX timer (10 ms) whose signal stays
 * blocked for 3 s: the kernel queues its signal once and counts the
 * expiries after it into the overrun that signal reports when it is
 * taken (the timer is rearmed then).  After SIGTERM the signal taken
 * reports at least the expiries the timer had before the checkpoint, and
 * no more than the time since it was armed allows.  The kernel crfs keeps
 * that count; crfs-fuse does not (Documentation/crfs/checkpoint.rst).
 */
#include <time.h>
#include "zdtm.h"

#define PERIOD_NS	10000000LL
#define NS		1000000000LL

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NS + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL,
				.sigev_signo = SIGRTMIN + 3 };
	struct itimerspec its = { { 0, PERIOD_NS }, { 0, PERIOD_NS } };
	struct timespec zero = { 0, 0 }, nap = { 3, 0 };
	long long armed, before, total;
	siginfo_t si;
	sigset_t set;
	timer_t t;

	zdtm_init(argc, argv);
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 3);
	sigprocmask(SIG_BLOCK, &set, NULL);
	zdtm_check(timer_create(CLOCK_MONOTONIC, &sev, &t), "timer_create");
	armed = now_ns();
	zdtm_check(timer_settime(t, 0, &its, NULL), "timer_settime");
	while (nanosleep(&nap, &nap))
		;
	/* the expiries so far: the one queued, the others its overrun */
	before = (now_ns() - armed) / PERIOD_NS - 1;
	zdtm_ready();
	zdtm_wait();
	if (sigtimedwait(&set, &si, &zero) != SIGRTMIN + 3)
		zdtm_fail("the timer's signal is not pending");
	total = (now_ns() - armed) / PERIOD_NS;
	if (si.si_overrun < before - 2 || si.si_overrun > total + 2)
		zdtm_fail("si_overrun %d: not between %lld (before the checkpoint) and %lld (since it was armed)",
			  si.si_overrun, before - 2, total + 2);
	zdtm_pass();
}
