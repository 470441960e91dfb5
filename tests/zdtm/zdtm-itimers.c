// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-itimers: the three interval timers.  ITIMER_REAL ticks every
 * 50 ms (a heartbeat: SIGALRM), ITIMER_VIRTUAL and ITIMER_PROF are armed
 * far ahead with odd periods and do not move while the process sleeps.
 * After SIGTERM: the periods are exactly the ones set, the CPU timers have
 * as much left as before the checkpoint (less the little CPU time the
 * process used since), and the heartbeat still ticks.
 */
#include <sys/time.h>
#include <time.h>

#include "zdtm.h"

#define REAL_US		50000
static volatile sig_atomic_t ticks;

static void on_alarm(int sig)
{
	(void)sig;
	ticks++;
}

/* ns of a timeval. */
static long long tv_ns(const struct timeval *tv)
{
	return tv->tv_sec * 1000000000LL + tv->tv_usec * 1000LL;
}

int main(int argc, char **argv)
{
	static const char *const names[3] = { "real", "virtual", "prof" };
	const struct itimerval set[3] = {
		{ { 0, REAL_US }, { 0, REAL_US } },
		{ { 7, 123457 }, { 3600, 654321 } },
		{ { 5, 987653 }, { 2400, 111111 } },
	};
	struct itimerval before[3], after;
	struct sigaction sa;
	struct timespec end;
	int i, seen;

	zdtm_init(argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	zdtm_check(sigaction(SIGALRM, &sa, NULL), "sigaction SIGALRM");
	for (i = 0; i < 3; i++)
		zdtm_check(setitimer(i, &set[i], NULL), "setitimer");
	for (i = 1; i < 3; i++)
		zdtm_check(getitimer(i, &before[i]), "getitimer");
	zdtm_ready();
	zdtm_wait();

	for (i = 0; i < 3; i++) {
		zdtm_check(getitimer(i, &after), "getitimer after");
		if (tv_ns(&after.it_interval) != tv_ns(&set[i].it_interval))
			zdtm_fail("%s: period %lld ns, set %lld ns", names[i],
				  tv_ns(&after.it_interval),
				  tv_ns(&set[i].it_interval));
		if (!i)
			continue;
		/* CPU time: only what ran since counts (the restore: ~0). */
		if (tv_ns(&after.it_value) > tv_ns(&before[i].it_value) ||
		    tv_ns(&after.it_value) < tv_ns(&before[i].it_value) -
		    200000000LL)
			zdtm_fail("%s: %lld ns left, %lld ns before", names[i],
				  tv_ns(&after.it_value),
				  tv_ns(&before[i].it_value));
	}
	/* The heartbeat goes on: 200 ms hold about 4 ticks. */
	seen = ticks;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_nsec += 200 * 1000 * 1000;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end, NULL))
		;
	if (ticks - seen < 2)
		zdtm_fail("real: %d ticks in 200 ms after the restore",
			  ticks - seen);
	zdtm_pass();
}
