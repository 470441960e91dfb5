// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-posix-timers: POSIX timers on every clock a restore takes, with
 * holes between their ids, each notification kind, and signals that
 * carry a value.  A CLOCK_REALTIME timer ticks every 20 ms (SIGUSR1, its
 * value the address of its counter); the others are armed far ahead.
 * After SIGTERM: /proc/self/timers says the same as before the
 * checkpoint (ids, signals, values, notifications, clocks), every period
 * is exactly the one set, every timer has at most what it had left (and
 * not much less: the clocks that ran on did so only since the restore),
 * the ticking timer still ticks with its value, and a new timer gets an
 * id none of them has.
 */
#include <time.h>

#include "zdtm.h"

#define NR_TIMERS	8
#define TICK_NS		20000000L
#define NS		1000000000LL

static volatile sig_atomic_t ticks, bad_value, bad_id;
static timer_t tick_id;

static void on_tick(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_value.sival_ptr != (void *)&ticks)
		bad_value = 1;
	if (si->si_code == SI_TIMER &&
	    si->si_timerid != (int)(intptr_t)tick_id)
		bad_id = 1;
	ticks++;
}

static long long ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * NS + ts->tv_nsec;
}

/* The text of /proc/self/timers, sorted by nothing: the kernel's order. */
static void read_timers(char *buf, size_t len)
{
	int fd = open("/proc/self/timers", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	zdtm_check(fd < 0, "open /proc/self/timers");
	n = read(fd, buf, len - 1);
	zdtm_check(n < 0, "read /proc/self/timers");
	buf[n] = '\0';
	close(fd);
}

int main(int argc, char **argv)
{
	struct {
		clockid_t	clock;
		int		notify;
		int		signo;
		long long	value, interval;
	} spec[NR_TIMERS] = {
		{ CLOCK_REALTIME, SIGEV_SIGNAL, SIGUSR1, TICK_NS, TICK_NS },
		{ CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGUSR2, 3600 * NS + 1, 0 },
		{ CLOCK_BOOTTIME, SIGEV_NONE, 0, 7200 * NS + 3, 9 * NS + 7 },
		{ CLOCK_TAI, SIGEV_THREAD_ID, SIGRTMIN + 2, 1800 * NS, NS },
		{ CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL, SIGRTMIN, 900 * NS + 11,
		  0 },
		{ CLOCK_THREAD_CPUTIME_ID, SIGEV_THREAD_ID, SIGRTMIN + 1,
		  800 * NS, 3 * NS },
		{ 0 /* our CPU clock by pid */, SIGEV_NONE, SIGHUP, 700 * NS,
		  0 },
		{ CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGWINCH, 0, 5 * NS },
	};
	static char before[8192], after[8192];
	struct itimerspec its[NR_TIMERS], now;
	timer_t ids[NR_TIMERS], hole, extra;
	struct sigaction sa;
	struct timespec end;
	sigset_t block;
	int i, j, seen;

	zdtm_init(argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_tick;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	zdtm_check(sigaction(SIGUSR1, &sa, NULL), "sigaction SIGUSR1");
	/* The others never fire here: keep them blocked, to be safe. */
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGWINCH);
	for (i = SIGRTMIN; i <= SIGRTMIN + 2; i++)
		sigaddset(&block, i);
	sigprocmask(SIG_BLOCK, &block, NULL);
	zdtm_check(clock_getcpuclockid(getpid(), &spec[6].clock),
		   "clock_getcpuclockid");

	for (i = 0; i < NR_TIMERS; i++) {
		struct sigevent sev = {
			.sigev_notify = spec[i].notify,
			.sigev_signo = spec[i].signo,
		};

		/* Holes in the ids: 1 + i timers made and deleted first. */
		for (j = 0; j <= i; j++) {
			zdtm_check(timer_create(CLOCK_MONOTONIC, NULL, &hole),
				   "timer_create hole");
			zdtm_check(timer_delete(hole), "timer_delete hole");
		}
		sev.sigev_value.sival_ptr = i ? (void *)(intptr_t)(0x5eed0000 + i) :
					    (void *)&ticks;
		if (spec[i].notify == SIGEV_THREAD_ID)
			sev._sigev_un._tid = getpid();
		zdtm_check(timer_create(spec[i].clock, &sev, &ids[i]),
			   "timer_create");
		/* before it is armed: it ticks while the others are made */
		if (!i)
			tick_id = ids[0];
		its[i].it_value.tv_sec = spec[i].value / NS;
		its[i].it_value.tv_nsec = spec[i].value % NS;
		its[i].it_interval.tv_sec = spec[i].interval / NS;
		its[i].it_interval.tv_nsec = spec[i].interval % NS;
		zdtm_check(timer_settime(ids[i], 0, &its[i], NULL),
			   "timer_settime");
	}
	read_timers(before, sizeof(before));
	for (i = 0; i < NR_TIMERS; i++)
		zdtm_check(timer_gettime(ids[i], &its[i]), "timer_gettime");
	zdtm_ready();
	zdtm_wait();

	read_timers(after, sizeof(after));
	if (strcmp(before, after))
		zdtm_fail("/proc/self/timers changed:\n%s--- now:\n%s", before,
			  after);
	for (i = 1; i < NR_TIMERS; i++) {
		long long was = ts_ns(&its[i].it_value), left;

		zdtm_check(timer_gettime(ids[i], &now), "timer_gettime after");
		left = ts_ns(&now.it_value);
		/* A disarmed timer has no period, whatever was set. */
		if (ts_ns(&now.it_interval) != ts_ns(&its[i].it_interval) ||
		    (spec[i].value &&
		     ts_ns(&now.it_interval) != spec[i].interval))
			zdtm_fail("timer %d: period %lld ns, %lld ns before, "
				  "set %lld ns", i, ts_ns(&now.it_interval),
				  ts_ns(&its[i].it_interval), spec[i].interval);
		if (!was != !left || left > was || left < was - 120 * NS)
			zdtm_fail("timer %d: %lld ns left, %lld ns before", i,
				  left, was);
	}
	seen = ticks;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_nsec += 10 * TICK_NS;
	if (end.tv_nsec >= NS) {
		end.tv_sec++;
		end.tv_nsec -= NS;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end, NULL))
		;
	if (ticks - seen < 3)
		zdtm_fail("the ticking timer ticked %d times in 200 ms",
			  ticks - seen);
	if (bad_value || bad_id)
		zdtm_fail("a tick came with a wrong value or timer id");
	zdtm_check(timer_create(CLOCK_MONOTONIC, NULL, &extra),
		   "timer_create after");
	for (i = 0; i < NR_TIMERS; i++)
		if (extra == ids[i])
			zdtm_fail("a new timer got id %ld, timer %d's",
				  (long)(intptr_t)extra, i);
	zdtm_pass();
}
