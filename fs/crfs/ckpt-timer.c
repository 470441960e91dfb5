// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX timers of the checkpoint (timer_create()): each timer of the
 * process, its id, clock, notification and signal, and what
 * timer_gettime() and timer_getoverrun() tell of it, read from outside
 * the frozen process (posix_timer_get_setting(), kernel/patches/0005);
 * the TIMER records after the threads, in ascending id.  Refused at
 * open(): a timer on an alarm clock, on the CPU clock of another process,
 * aimed at a thread that has exited, or a SIGEV_THREAD notification the
 * kernel was given as such; a signal queued with si_code SI_TIMER that no
 * timer queued (rt_sigqueueinfo()), in ckpt-signal.c.
 */
#include <linux/errno.h>
#include <linux/pid.h>
#include <linux/posix-timers.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "crfs.h"
#include "ckpt.h"

/* Is @t one of the checkpoint's threads? */
static bool crfs_ckpt_is_thread(struct crfs_ckpt *c, struct task_struct *t)
{
	unsigned int i;

	for (i = 0; i < c->nr_threads; i++)
		if (c->threads[i] == t)
			return true;
	return false;
}

/*
 * The clock of @timr as the image keeps it: the fixed ones as they are
 * (but the alarm clocks, refused); a CPU clock of the process or of one
 * of its threads with their pids, or 0 ("the caller") as it was made.  A
 * thread's clock named "the caller" in a multi-threaded process names its
 * thread when that is not the leader, in which the restore makes it.
 * it_lock held.  Return: NULL, or why not.
 */
static const char *crfs_ckpt_timer_clock(struct crfs_ckpt *c,
					 struct k_itimer *timr, s32 *clock)
{
	clockid_t clk = timr->it_clock;
	bool thread = CPUCLOCK_PERTHREAD(clk);
	struct task_struct *t;
	pid_t nr;

	*clock = clk;
	if (clk >= 0)
		return clk == CLOCK_REALTIME || clk == CLOCK_MONOTONIC ||
		       clk == CLOCK_BOOTTIME || clk == CLOCK_TAI ? NULL :
		       "a clock other than CLOCK_REALTIME, _MONOTONIC, _BOOTTIME, _TAI or a CPU clock";
	if (CPUCLOCK_WHICH(clk) == CLOCKFD)
		return "the clock of a descriptor";
	t = pid_task(timr->it.cpu.pid, thread ? PIDTYPE_PID : PIDTYPE_TGID);
	if (!t)
		return "a CPU clock of a process or thread that has exited";
	if (thread ? !crfs_ckpt_is_thread(c, t) : t != c->task)
		return "the CPU clock of another process";
	nr = task_pid_nr_ns(t, c->pid_ns);
	if (CPUCLOCK_PID(clk) || (thread && t != c->task))
		*clock = make_process_cpuclock(nr, clk & CLOCKFD_MASK);
	return NULL;
}

/*
 * The record of @timr, or why it cannot be kept; it_lock held, the timer
 * valid.
 */
static const char *crfs_ckpt_timer_one(struct crfs_ckpt *c,
				       struct k_itimer *timr,
				       struct crfs_timer *tm)
{
	int notify = timr->it_sigev_notify;
	struct itimerspec64 cur;
	struct task_struct *t;
	const char *why;

	memset(tm, 0, sizeof(*tm));
	tm->pid = c->pid;
	tm->timer_id = timr->it_id;
	why = crfs_ckpt_timer_clock(c, timr, &tm->clock);
	if (why)
		return why;
	if (notify != SIGEV_SIGNAL && notify != SIGEV_NONE &&
	    notify != (SIGEV_SIGNAL | SIGEV_THREAD_ID))
		return "a notification other than SIGEV_SIGNAL, SIGEV_NONE or SIGEV_THREAD_ID";
	tm->notify = notify;
	if (notify == (SIGEV_SIGNAL | SIGEV_THREAD_ID)) {
		t = pid_task(timr->it_pid, PIDTYPE_PID);
		if (!t || !crfs_ckpt_is_thread(c, t))
			return "aimed at a thread that has exited";
		tm->notify_tid = task_pid_nr_ns(t, c->pid_ns);
	}
	tm->signo = timr->sigq->info.si_signo;
	tm->sigval = (unsigned long)timr->sigq->info.si_value.sival_ptr;
	posix_timer_get_setting(timr, &cur);
	tm->value_ns = timespec64_to_ns(&cur.it_value);
	tm->interval_ns = timespec64_to_ns(&cur.it_interval);
	tm->overrun = clamp_t(s64, timr->it_overrun_last, 0, INT_MAX);
	return NULL;
}

static int crfs_ckpt_timer_cmp(const void *a, const void *b)
{
	const struct crfs_timer *x = a, *y = b;

	return x->timer_id < y->timer_id ? -1 : x->timer_id > y->timer_id;
}

/*
 * The timers of the process into @list (at most @room), under siglock;
 * the caller holds rcu_read_lock(), which keeps them from being freed.
 * Return: how many it has, or -ESRCH (it is exiting).
 */
static int crfs_ckpt_timer_list(struct crfs_ckpt *c, struct k_itimer **list,
				unsigned int room)
{
	struct k_itimer *timr;
	unsigned long flags;
	unsigned int n = 0;

	if (!lock_task_sighand(c->task, &flags))
		return -ESRCH;
	hlist_for_each_entry(timr, &c->task->signal->posix_timers, list) {
		if (n < room)
			list[n] = timr;
		n++;
	}
	unlock_task_sighand(c->task, &flags);
	return n;
}

/* The entry of timer @id in the snapshot of the queues (c->sigq), or NULL. */
static struct crfs_sigpending *crfs_ckpt_timer_sig(struct crfs_ckpt *c,
						   timer_t id, kernel_siginfo_t *info)
{
	unsigned int i;

	for (i = 0; i < c->nr_sigq; i++) {
		memcpy(info, c->sigq[i].siginfo, sizeof(*info));
		if (info->si_code == SI_TIMER && info->si_tid == id)
			return &c->sigq[i];
	}
	return NULL;
}

/*
 * Does the snapshot of the queues (crfs_ckpt_signals_check(), siglock
 * dropped since) still say of @timr's signal what its queue says?  A
 * timer fires in a frozen process: its signal may have been queued, or
 * counted one more overrun, in between (-EAGAIN: take both again).  A
 * periodic timer whose pending signal rearms it when taken has counted
 * its expiries since into it_overrun (timer_get() forwards it), which
 * the signal would report: added to the snapshot's si_overrun, so that
 * the restored signal, which rearms nothing, reports as many.  it_lock
 * held, the setting read.
 */
static int crfs_ckpt_timer_sync(struct crfs_ckpt *c, struct k_itimer *timr)
{
	struct sigqueue *q = timr->sigq;
	struct crfs_sigpending *snap;
	kernel_siginfo_t info;
	unsigned long flags;
	siginfo_t si;
	bool queued;
	int ret = 0;

	snap = crfs_ckpt_timer_sig(c, timr->it_id, &info);
	if (!lock_task_sighand(c->task, &flags))
		return -ESRCH;
	queued = !list_empty(&q->list);
	if (queued != !!snap || (snap && q->info.si_overrun != info.si_overrun))
		ret = -EAGAIN;
	else if (snap && timr->it_interval &&
		 q->info.si_sys_private == timr->it_requeue_pending)
		info.si_overrun = clamp_t(s64, (s64)info.si_overrun +
					  max_t(s64, timr->it_overrun, 0), 0, INT_MAX);
	unlock_task_sighand(c->task, &flags);
	if (!ret && snap) {
		copy_siginfo_to_external(&si, &info);
		memcpy(snap->siginfo, &si, sizeof(snap->siginfo));
	}
	return ret;
}

/*
 * Each timer of @list (@n) into c->timers; under rcu_read_lock().
 * Return: 0, -EAGAIN (fired meanwhile: the queues changed), or 1 with
 * why the timer @id cannot be kept in @why.
 */
static int crfs_ckpt_timers_read(struct crfs_ckpt *c, struct k_itimer **list,
				 unsigned int n, timer_t *id, const char **why)
{
	struct signal_struct *sig = c->task->signal;
	unsigned long flags;
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < n; i++) {
		spin_lock_irqsave(&list[i]->it_lock, flags);
		*id = list[i]->it_id;
		/* deleted meanwhile: the process is being killed */
		if (READ_ONCE(list[i]->it_signal) != sig)
			*why = "deleted during the checkpoint";
		else
			*why = crfs_ckpt_timer_one(c, list[i], &c->timers[i]);
		if (*why)
			ret = 1;
		else
			ret = crfs_ckpt_timer_sync(c, list[i]);
		if (ret == -ESRCH) {
			*why = "the process is exiting";
			ret = 1;
		}
		spin_unlock_irqrestore(&list[i]->it_lock, flags);
	}
	return ret;
}

/*
 * The POSIX timers of the process into c->timers.  Return: 0, -EAGAIN
 * (a timer's signal changed since the queues were read), or a refusal
 * with the reason in the error file.
 */
static int crfs_ckpt_timers_check(struct crfs_ckpt *c)
{
	struct k_itimer **list = NULL;
	const char *why = NULL;
	unsigned int room = 0;
	timer_t id = 0;
	int n, ret;

	for (;;) {
		rcu_read_lock();
		n = crfs_ckpt_timer_list(c, list, room);
		if (n >= 0 && n <= room)
			break;
		rcu_read_unlock();
		if (n < 0)
			return crfs_ckpt_refuse(c, -ESRCH, "pid %d: killed during the checkpoint",
						c->pid);
		if (n > CRFS_MAX_TIMERS)
			return crfs_ckpt_refuse(c, -EOPNOTSUPP,
						"pid %d: more than %d POSIX timers: kernel: not yet",
						c->pid, CRFS_MAX_TIMERS);
		kvfree(list);
		kvfree(c->timers);
		room = n + 8;
		list = kvcalloc(room, sizeof(*list), GFP_KERNEL);
		c->timers = kvcalloc(room, sizeof(*c->timers), GFP_KERNEL);
		if (!list || !c->timers) {
			kvfree(list);
			return -ENOMEM;
		}
	}
	ret = crfs_ckpt_timers_read(c, list, n, &id, &why);
	rcu_read_unlock();
	kvfree(list);
	if (ret < 0)
		return ret;
	if (ret)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP, "pid %d: POSIX timer %d: %s: kernel: not yet",
					c->pid, (int)id, why);
	c->nr_timers = n;
	sort(c->timers, n, sizeof(*c->timers), crfs_ckpt_timer_cmp, NULL);
	return 0;
}

/**
 * crfs_ckpt_timers - the TIMER records, after the process's threads
 * @c: the checkpoint, its timers collected
 *
 * Return: 0 or -ENOMEM.
 */
int crfs_ckpt_timers(struct crfs_ckpt *c)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < c->nr_timers; i++)
		ret = crfs_rec_put(c, CRFS_PART_TASK, CRFS_REC_TIMER,
				   &c->timers[i], sizeof(c->timers[i]), NULL, 0);
	return ret;
}

/* Times the queues and the timers are read again when a timer fires. */
#define CRFS_CKPT_TIMER_TRIES	16

/**
 * crfs_ckpt_signals_timers - the queued signals, interval and POSIX timers
 * @c: the checkpoint, its threads collected
 *
 * A timer of the frozen process fires while they are read: read again.
 * Return: 0, or a refusal with the reason in the error file.
 */
int crfs_ckpt_signals_timers(struct crfs_ckpt *c)
{
	unsigned int i;
	int ret;

	for (i = 0; i < CRFS_CKPT_TIMER_TRIES; i++) {
		ret = crfs_ckpt_signals_check(c);
		if (!ret)
			ret = crfs_ckpt_timers_check(c);
		if (ret != -EAGAIN)
			return ret;
	}
	return crfs_ckpt_refuse(c, -EAGAIN,
				"pid %d: POSIX timers: their signals changed while read, %d times",
				c->pid, CRFS_CKPT_TIMER_TRIES);
}
