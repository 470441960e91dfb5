// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-evfd: event descriptors come back with their state and behave as
 * before.  An eventfd with counter 2^40 + 7 (O_NONBLOCK), an EFD_SEMAPHORE
 * eventfd with counter 3 (three reads of 1, then EAGAIN); a signalfd for
 * SIGUSR1 and SIGRTMIN+1 with SIGUSR1 pending (it reads it); a periodic
 * CLOCK_MONOTONIC timerfd (every 50 ms) with expirations not read; a
 * one-shot CLOCK_BOOTTIME timerfd an hour ahead; an absolute
 * CLOCK_REALTIME timerfd 2 s after the checkpoint; an epoll instance
 * watching the first eventfd (EPOLLIN, data 0x1122334455667788), the
 * semaphore eventfd (EPOLLIN | EPOLLET | EPOLLONESHOT, already fired: it
 * stays silent) and the signalfd (EPOLLIN, data 42), with fds at holes
 * so the numbers matter; fd 16 a dup() of the first eventfd (one
 * description); a second epoll instance watching the first (data 99).
 * After SIGTERM: each is checked.
 */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>

#include "zdtm.h"

#define NS		1000000000LL
#define BIG		((1ULL << 40) + 7)
#define DATA		0x1122334455667788ULL

static long long ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * NS + ts->tv_nsec;
}

/* Move @fd to @to. */
static int at(int fd, int to)
{
	zdtm_check(fd < 0, "make an event descriptor");
	zdtm_check(dup2(fd, to) != to, "dup2");
	close(fd);
	return to;
}

int main(int argc, char **argv)
{
	struct epoll_event ev, evs[8];
	struct itimerspec its, got;
	struct signalfd_siginfo si;
	struct timespec now;
	int efd, sem, sfd, tper, tboot, tabs, ep, ep2, n, i;
	long long boot_left, abs_at;
	uint64_t v;
	sigset_t mask;

	zdtm_init(argc, argv);
	efd = at(eventfd(0, EFD_NONBLOCK), 5);
	v = BIG;
	zdtm_check(write(efd, &v, 8) != 8, "write eventfd");
	sem = at(eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK), 7);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGRTMIN + 1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = at(signalfd(-1, &mask, SFD_NONBLOCK), 9);
	zdtm_check(fcntl(sfd, F_SETFD, FD_CLOEXEC), "FD_CLOEXEC");
	kill(getpid(), SIGUSR1);
	tper = at(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK), 11);
	its.it_interval.tv_sec = 0;
	its.it_interval.tv_nsec = 50000000;
	its.it_value = its.it_interval;
	zdtm_check(timerfd_settime(tper, 0, &its, NULL), "arm periodic");
	tboot = at(timerfd_create(CLOCK_BOOTTIME, 0), 12);
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = 3600;
	zdtm_check(timerfd_settime(tboot, 0, &its, NULL), "arm boottime");
	tabs = at(timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK), 14);
	ep = at(epoll_create1(0), 20);
	ev.events = EPOLLIN;
	ev.data.u64 = DATA;
	zdtm_check(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev), "epoll add efd");
	ev.events = EPOLLIN | EPOLLET | EPOLLONESHOT;
	ev.data.u64 = 7;
	zdtm_check(epoll_ctl(ep, EPOLL_CTL_ADD, sem, &ev), "epoll add sem");
	ev.events = EPOLLIN;
	ev.data.u64 = 42;
	zdtm_check(epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev), "epoll add sfd");
	zdtm_check(dup2(efd, 16) != 16, "dup2 eventfd");
	ep2 = at(epoll_create1(0), 21);
	ev.events = EPOLLIN;
	ev.data.u64 = 99;
	zdtm_check(epoll_ctl(ep2, EPOLL_CTL_ADD, ep, &ev), "epoll add epoll");
	/* The one-shot fires now, and is silent from then on. */
	n = epoll_wait(ep, evs, 8, 0);
	if (n != 3)
		zdtm_fail("epoll_wait before: %d events", n);
	usleep(120000);	/* expirations of the periodic timer not read */
	/* Fires 3 s on, most likely after the restore. */
	zdtm_check(clock_gettime(CLOCK_REALTIME, &now), "clock_gettime");
	abs_at = ts_ns(&now) + 3 * NS;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = abs_at / NS;
	its.it_value.tv_nsec = abs_at % NS;
	zdtm_check(timerfd_settime(tabs, TFD_TIMER_ABSTIME, &its, NULL),
		   "arm absolute");
	zdtm_ready();
	zdtm_wait();

	/* eventfd: the counter whole. */
	zdtm_check(read(efd, &v, 8) != 8, "read eventfd");
	if (v != BIG)
		zdtm_fail("eventfd: counter %llu, not %llu",
			  (unsigned long long)v, (unsigned long long)BIG);
	if (read(efd, &v, 8) != -1 || errno != EAGAIN)
		zdtm_fail("eventfd: not empty after a read, or blocking");
	/* fd 16 shares its description. */
	v = 2;
	zdtm_check(write(16, &v, 8) != 8, "write fd 16");
	if (read(efd, &v, 8) != 8 || v != 2)
		zdtm_fail("fd 16 no longer shares the eventfd's description");
	/* The semaphore: three reads of 1. */
	for (i = 0; i < 3; i++)
		if (read(sem, &v, 8) != 8 || v != 1)
			zdtm_fail("semaphore eventfd: read %d gave %llu", i,
				  (unsigned long long)v);
	if (read(sem, &v, 8) != -1 || errno != EAGAIN)
		zdtm_fail("semaphore eventfd: a fourth read");
	/* signalfd: SIGUSR1 pending, read through it. */
	if (read(sfd, &si, sizeof(si)) != sizeof(si) ||
	    si.ssi_signo != SIGUSR1)
		zdtm_fail("signalfd: no SIGUSR1 (%d)", (int)si.ssi_signo);
	if (!(fcntl(sfd, F_GETFD) & FD_CLOEXEC) ||
	    !(fcntl(sfd, F_GETFL) & O_NONBLOCK))
		zdtm_fail("signalfd: flags lost: fd %#x fl %#x",
			  fcntl(sfd, F_GETFD), fcntl(sfd, F_GETFL));
	kill(getpid(), SIGRTMIN + 1);
	if (read(sfd, &si, sizeof(si)) != sizeof(si) ||
	    si.ssi_signo != (uint32_t)SIGRTMIN + 1)
		zdtm_fail("signalfd: its mask lost SIGRTMIN+1");
	/* Periodic timer: expirations kept, still ticking. */
	zdtm_check(read(tper, &v, 8) != 8, "read periodic timerfd");
	if (v < 2)
		zdtm_fail("periodic timerfd: %llu expirations, at least 2 "
			  "were not read", (unsigned long long)v);
	zdtm_check(timerfd_gettime(tper, &got), "timerfd_gettime");
	if (ts_ns(&got.it_interval) != 50000000)
		zdtm_fail("periodic timerfd: period %lld",
			  ts_ns(&got.it_interval));
	usleep(120000);
	if (read(tper, &v, 8) != 8 || v < 1)
		zdtm_fail("periodic timerfd: no longer ticks");
	/* The hour ahead: at most an hour, and nearly. */
	zdtm_check(timerfd_gettime(tboot, &got), "timerfd_gettime boot");
	boot_left = ts_ns(&got.it_value);
	if (boot_left > 3600 * NS || boot_left < 3500 * NS ||
	    got.it_interval.tv_sec)
		zdtm_fail("boottime timerfd: %lld ns left", boot_left);
	/* The absolute one fires at its time, not later. */
	n = 0;
	while (read(tabs, &v, 8) != 8) {
		zdtm_check(errno != EAGAIN, "read absolute timerfd");
		usleep(10000);
		if (++n > 500)
			zdtm_fail("absolute timerfd: never fired");
	}
	zdtm_check(clock_gettime(CLOCK_REALTIME, &now), "clock_gettime");
	if (v != 1 || ts_ns(&now) < abs_at)
		zdtm_fail("absolute timerfd: fired %lld ns early, %llu times",
			  abs_at - ts_ns(&now), (unsigned long long)v);
	/* epoll: the eventfd emptied, refill it; the signalfd empty. */
	v = 3;
	zdtm_check(write(efd, &v, 8) != 8, "write eventfd");
	v = 5;
	zdtm_check(write(sem, &v, 8) != 8, "write sem");
	n = epoll_wait(ep2, evs, 8, 100);
	if (n != 1 || evs[0].data.u64 != 99)
		zdtm_fail("nested epoll: %d events", n);
	n = epoll_wait(ep, evs, 8, 100);
	if (n != 1 || evs[0].data.u64 != DATA || evs[0].events != EPOLLIN)
		zdtm_fail("epoll_wait: %d events, the first %#x data %#llx", n,
			  n > 0 ? evs[0].events : 0,
			  n > 0 ? (unsigned long long)evs[0].data.u64 : 0ULL);
	kill(getpid(), SIGUSR1);
	n = epoll_wait(ep, evs, 8, 100);
	if (n != 2)
		zdtm_fail("epoll_wait: %d events with the signalfd ready", n);
	zdtm_pass();
}
