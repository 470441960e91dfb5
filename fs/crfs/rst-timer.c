// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX timers of the restore.  The TIMER records come after the
 * process's threads, ids ascending, and are checked at plan with the
 * pending signals that are a timer's (si_code SI_TIMER).  The leader,
 * once it has its credentials (a timer's signal entry is charged to the
 * process's own user) and before any thread queues its signals, makes
 * each timer again with its id (posix_timer_restore(),
 * kernel/patches/0005), not armed; a signal of a timer pending at the
 * checkpoint is queued as that timer's own entry, where its queue had it,
 * with its overrun (crfs_rst_timer_signal()); once every thread has
 * queued its signals, each timer is armed with the time it had left,
 * relative to now, its period, and what timer_getoverrun() told.
 */
#include <linux/bitmap.h>
#include <linux/errno.h>
#include <linux/posix-timers.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/time64.h>

#include "crfs.h"
#include "ckpt.h"
#include "rst.h"

/**
 * crfs_rst_rec_timer - CRFS_REC_TIMER: a POSIX timer, after the threads
 * @r: the restore
 * @rec: the record
 * @len: its length
 *
 * Return: 0, or a refusal.
 */
int crfs_rst_rec_timer(struct crfs_rst *r, void *rec, size_t len)
{
	struct crfs_rst_proc *p = r->nr_procs ? &r->procs[r->nr_procs - 1] : NULL;
	struct crfs_rst_thread *t = p && p->nr_threads ? &p->threads[p->nr_threads - 1] : NULL;
	struct crfs_timer tm, *n;

	memcpy(&tm, rec, sizeof(tm));
	/* after the plan (a PAGES record), nothing would check it */
	if (!p || tm.pid != p->task.pid || r->made ||
	    p->nr_threads != p->task.nr_threads || !t || !t->xstate)
		return crfs_rst_refuse(r, -EINVAL, "pid %u: timer %d: not after the process's threads",
				       tm.pid, tm.timer_id);
	if (tm.__pad)
		return crfs_rst_refuse(r, -EINVAL, "pid %u: timer %d: padding not zero",
				       tm.pid, tm.timer_id);
	if (tm.timer_id < 0 ||
	    (p->nr_timers && tm.timer_id <= p->timers[p->nr_timers - 1].timer_id))
		return crfs_rst_refuse(r, -EINVAL, "pid %u: timer %d: ids not ascending",
				       tm.pid, tm.timer_id);
	if (p->nr_timers == CRFS_MAX_TIMERS)
		return crfs_rst_refuse(r, -EINVAL, "pid %u: more than %d POSIX timers",
				       tm.pid, CRFS_MAX_TIMERS);
	if (p->nr_timers == p->timers_room) {
		unsigned int room = max(2 * p->timers_room, 8U);

		n = kvmalloc_array(room, sizeof(*n), GFP_KERNEL);
		if (!n)
			return -ENOMEM;
		if (p->nr_timers)
			memcpy(n, p->timers, p->nr_timers * sizeof(*n));
		kvfree(p->timers);
		p->timers = n;
		p->timers_room = room;
	}
	p->timers[p->nr_timers++] = tm;
	return 0;
}

/* Is @tid one of the process's threads? */
static bool crfs_rst_is_tid(struct crfs_rst_proc *p, u32 tid)
{
	unsigned int i;

	for (i = 0; i < p->nr_threads; i++)
		if (p->threads[i].th.tid == tid)
			return true;
	return false;
}

/*
 * Can a timer be made again on @clock: the fixed clocks but the alarm
 * ones, or a CPU clock of the process or of one of its threads, by id or
 * as "the caller" (0: the leader, which makes the timers)?
 */
static bool crfs_rst_timer_clock_ok(struct crfs_rst_proc *p, s32 clock)
{
	u32 id;

	if (clock >= 0)
		return clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC ||
		       clock == CLOCK_PROCESS_CPUTIME_ID ||
		       clock == CLOCK_THREAD_CPUTIME_ID ||
		       clock == CLOCK_BOOTTIME || clock == CLOCK_TAI;
	if (CPUCLOCK_WHICH(clock) == CLOCKFD)
		return false;
	id = CPUCLOCK_PID(clock);
	if (!id)
		return true;
	if (CPUCLOCK_PERTHREAD(clock))
		return crfs_rst_is_tid(p, id);
	return id == p->task.pid;
}

/* Why TIMER @tm cannot be made again, or NULL. */
static const char *crfs_rst_plan_timer_why(struct crfs_rst_proc *p,
					   const struct crfs_timer *tm)
{
	bool thread = tm->notify == (SIGEV_SIGNAL | SIGEV_THREAD_ID);

	if (!crfs_rst_timer_clock_ok(p, tm->clock))
		return "a clock other than CLOCK_REALTIME, _MONOTONIC, _BOOTTIME, _TAI or its own CPU clocks";
	if (tm->notify != SIGEV_SIGNAL && tm->notify != SIGEV_NONE && !thread)
		return "a notification other than SIGEV_SIGNAL, SIGEV_NONE or SIGEV_THREAD_ID";
	if (thread != !!tm->notify_tid || (thread && !crfs_rst_is_tid(p, tm->notify_tid)))
		return "SIGEV_THREAD_ID without one of its threads, or a thread without it";
	if (tm->signo < 0 || tm->signo > CRFS_NSIG ||
	    (tm->notify != SIGEV_NONE && !valid_signal(tm->signo)) ||
	    (tm->notify != SIGEV_NONE && !tm->signo))
		return "a bad signal number";
	if (tm->value_ns > KTIME_MAX || tm->interval_ns > KTIME_MAX || tm->overrun > INT_MAX)
		return "a time or an overrun beyond what the kernel keeps";
	return NULL;
}

/* Is pending signal @s a timer's (si_code SI_TIMER)?  Its timer id in @id. */
static bool crfs_rst_sig_is_timer(const struct crfs_sigpending *s, int *id)
{
	kernel_siginfo_t info;

	memcpy(&info, s->siginfo, sizeof(info));
	*id = info.si_tid;
	return info.si_code == SI_TIMER;
}

/* The index of the TIMER whose id is @id (ids ascend), or -1. */
static int crfs_rst_timer_find(struct crfs_rst_proc *p, int id)
{
	unsigned int lo = 0, hi = p->nr_timers, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (p->timers[mid].timer_id == id)
			return mid;
		if (p->timers[mid].timer_id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * Why pending signal @s, a timer's, cannot be queued again as that
 * timer's own entry: its timer must be in the image, signal with its
 * number into the queue that has it, and have it once (@seen: the timers
 * whose signal came before).
 */
static const char *crfs_rst_plan_sig_why(struct crfs_rst_proc *p,
					 const struct crfs_sigpending *s,
					 int id, unsigned long *seen)
{
	int k = crfs_rst_timer_find(p, id);
	const struct crfs_timer *tm = k < 0 ? NULL : &p->timers[k];

	if (!tm || tm->notify == SIGEV_NONE || tm->signo != (s32)s->signo)
		return "si_code SI_TIMER, but no timer of the image signals it";
	if (s->tid != tm->notify_tid)
		return "in a queue its timer does not signal";
	if (test_and_set_bit(k, seen))
		return "its timer's signal pending twice";
	return NULL;
}

/**
 * crfs_rst_plan_timers - can the timers and the timers' signals be restored?
 * @p: the process of the restore, its model whole
 *
 * Return: 0, or a refusal naming the timer or the signal.
 */
int crfs_rst_plan_timers(struct crfs_rst_proc *p)
{
	struct crfs_rst *r = p->r;
	unsigned long *seen;
	const char *why;
	unsigned int i;
	int id;

	for (i = 0; i < p->nr_timers; i++) {
		why = crfs_rst_plan_timer_why(p, &p->timers[i]);
		if (why)
			return crfs_rst_refuse(r, -EOPNOTSUPP, "pid %u: timer %d: %s",
					       p->task.pid, p->timers[i].timer_id, why);
	}
	seen = bitmap_zalloc(max(p->nr_timers, 1U), GFP_KERNEL);
	if (!seen)
		return -ENOMEM;
	for (i = 0, why = NULL; !why && i < p->nr_sigq; i++)
		if (crfs_rst_sig_is_timer(&p->sigq[i], &id))
			why = crfs_rst_plan_sig_why(p, &p->sigq[i], id, seen);
	bitmap_free(seen);
	if (why)
		return crfs_rst_refuse(r, -EINVAL, "pid %u: pending signal %u of timer %d: %s",
				       p->task.pid, p->sigq[i - 1].signo, id, why);
	return 0;
}

/**
 * crfs_rst_timers_make - make the timers again, in the leader, not armed
 * @p: the process of the restore
 *
 * Return: 0, or the child's failure.
 */
int crfs_rst_timers_make(struct crfs_rst_proc *p)
{
	struct crfs_rst *r = p->r;
	const struct crfs_timer *tm;
	sigevent_t ev;
	unsigned int i;
	int ret;

	for (i = 0; i < p->nr_timers; i++) {
		tm = &p->timers[i];
		memset(&ev, 0, sizeof(ev));
		ev.sigev_notify = tm->notify;
		ev.sigev_signo = tm->signo;
		ev.sigev_value.sival_ptr = (void __user *)(unsigned long)tm->sigval;
		ev.sigev_notify_thread_id = tm->notify_tid;
		ret = posix_timer_restore(tm->clock, &ev, tm->timer_id);
		if (ret)
			return crfs_rst_child_fail(r, ret, "pid %u: timer %d: cannot make it again",
						   p->task.pid, tm->timer_id);
	}
	return 0;
}

/**
 * crfs_rst_timer_signal - queue a pending signal of a timer, if it is one
 * @p: the process of the restore
 * @s: the pending signal, in its thread (or the leader for the process's)
 *
 * Return: 1 if @s is no timer's (queue it as any other), 0 once queued
 * as its timer's own entry, or the child's failure.
 */
int crfs_rst_timer_signal(struct crfs_rst_proc *p, const struct crfs_sigpending *s)
{
	struct crfs_rst *r = p->r;
	kernel_siginfo_t info;
	int id, ret;

	if (!crfs_rst_sig_is_timer(s, &id))
		return 1;
	memcpy(&info, s->siginfo, sizeof(info));
	ret = posix_timer_restore_signal(id, max(info.si_overrun, 0));
	if (ret)
		return crfs_rst_child_fail(r, ret, "pid %u: pending signal %u of timer %d: cannot queue it again (ignored, or RLIMIT_SIGPENDING)",
					   p->task.pid, s->signo, id);
	return 0;
}

/**
 * crfs_rst_timers_arm - arm the timers, once every thread has its signals
 * @p: the process of the restore
 *
 * In the leader, its own signals queued; the other threads complete
 * p->queued once theirs are.  Return: 0, or the child's failure.
 */
int crfs_rst_timers_arm(struct crfs_rst_proc *p)
{
	struct crfs_rst *r = p->r;
	const struct crfs_timer *tm;
	struct itimerspec64 set;
	unsigned int i;
	int ret;

	if (!p->nr_timers)
		return 0;
	for (i = 1; i < p->nr_threads; i++)
		if (wait_for_completion_killable(&p->queued) || READ_ONCE(r->abort) ||
		    READ_ONCE(r->child_err))
			return crfs_rst_child_fail(r, -EINTR, "pid %u: killed during the restore",
						   p->task.pid);
	for (i = 0; i < p->nr_timers; i++) {
		tm = &p->timers[i];
		set.it_value = ns_to_timespec64(tm->value_ns);
		set.it_interval = ns_to_timespec64(tm->interval_ns);
		ret = posix_timer_restore_arm(tm->timer_id, &set, tm->overrun);
		if (ret)
			return crfs_rst_child_fail(r, ret, "pid %u: timer %d: cannot arm it",
						   p->task.pid, tm->timer_id);
	}
	return 0;
}
