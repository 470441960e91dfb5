// SPDX-License-Identifier: GPL-2.0
/*
 * Signals of the checkpoint: the SIGHAND record (every action, under
 * siglock), a thread's blocked mask and alternate stack (its THREAD
 * record), the queued signals (SIGPENDING: the process's queue, then each
 * thread's, each signal with its siginfo, in queue order) and the interval
 * timers (the TASK record's itimer: the time left and the period, in
 * microseconds as getitimer() tells them), all read under one hold of
 * siglock; and what the kernel does not keep yet: a shared handler
 * table, a pending signal the queue had no room for.  POSIX timers:
 * ckpt-timer.c.
 */
#include <linux/errno.h>
#include <linux/hrtimer.h>
#include <linux/posix-timers.h>
#include <linux/sched/cputime.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/signal.h>
#include <linux/slab.h>

#include "crfs.h"
#include "ckpt.h"

/* @ns as getitimer() gives it: whole microseconds, at least one if set. */
static u64 crfs_ckpt_us(s64 ns)
{
	if (ns <= 0)
		return 0;
	return max_t(u64, ns - ns % NSEC_PER_USEC, NSEC_PER_USEC);
}

/* The queue @p (of thread @tid, 0: the process's) into c->sigq; locked. */
static unsigned int crfs_ckpt_sigq(struct crfs_ckpt *c, struct sigpending *p,
				   u32 tid, unsigned int n, unsigned int room)
{
	struct crfs_sigpending *s;
	struct sigqueue *q;
	siginfo_t si;

	list_for_each_entry(q, &p->list, list) {
		if (n < room) {
			s = &c->sigq[n];
			s->tid = tid;
			s->signo = q->info.si_signo;
			copy_siginfo_to_external(&si, &q->info);
			memcpy(s->siginfo, &si, sizeof(s->siginfo));
		}
		n++;
	}
	return n;
}

/* The interval timers, as getitimer() reads them; locked. */
static void crfs_ckpt_itimers(struct crfs_ckpt *c)
{
	static const unsigned int clk[3] = { 0, CPUCLOCK_VIRT, CPUCLOCK_PROF };
	struct signal_struct *sig = c->task->signal;
	u64 samples[CPUCLOCK_MAX], val;
	unsigned int i;

	memset(c->itimer, 0, sizeof(c->itimer));
	/* fired with its SIGALRM pending: no time left, the period kept */
	if (hrtimer_active(&sig->real_timer)) {
		val = ktime_to_ns(hrtimer_expires_remaining(&sig->real_timer));
		c->itimer[0].value_ns = crfs_ckpt_us((s64)val > 0 ? val : 1);
	}
	c->itimer[0].interval_ns = crfs_ckpt_us(ktime_to_ns(sig->it_real_incr));
	for (i = 1; i < 3; i++) {
		val = sig->it[clk[i]].expires;
		if (!val)
			continue;
		thread_group_sample_cputime(c->task, samples);
		val = val < samples[clk[i]] ? TICK_NSEC : val - samples[clk[i]];
		c->itimer[i].value_ns = crfs_ckpt_us(val);
		c->itimer[i].interval_ns = crfs_ckpt_us(sig->it[clk[i]].incr);
	}
}

/*
 * Why queue @p cannot be kept, or NULL: a signal pending on it without
 * its siginfo (the queue had no room), SIGKILL, or a signal whose
 * si_code says SI_TIMER that no timer queued (rt_sigqueueinfo() to
 * itself): the restore queues a timer's own entry for it.  Locked.
 */
static const char *crfs_ckpt_sigq_why(struct sigpending *p, char *why,
				      size_t len)
{
	struct sigqueue *q;
	sigset_t rest = p->signal;

	if (sigismember(&rest, SIGKILL))
		return "SIGKILL pending";
	if (sigismember(&rest, SIGSTOP))
		return "signal 19 (SIGSTOP) pending: SIGKILL and SIGSTOP cannot be queued again";
	list_for_each_entry(q, &p->list, list) {
		sigdelset(&rest, q->info.si_signo);
		if (q->info.si_code == SI_TIMER && !(q->flags & SIGQUEUE_PREALLOC)) {
			snprintf(why, len, "signal %d: SI_TIMER, not queued by a live timer (deleted, or rt_sigqueueinfo()): kernel: not yet",
				 q->info.si_signo);
			return why;
		}
	}
	if (sigisemptyset(&rest))
		return NULL;
	snprintf(why, len, "signal %d pending without its siginfo (its queue was full): kernel: not yet",
		 (int)__ffs64(rest.sig[0]) + 1);
	return why;
}

/* Why the signal state under siglock cannot be kept, or NULL; locked. */
static const char *crfs_ckpt_signals_why(struct crfs_ckpt *c, char *why,
					 size_t len)
{
	struct signal_struct *sig = c->task->signal;
	const char *w = crfs_ckpt_sigq_why(&sig->shared_pending, why, len);
	unsigned int i;

	for (i = 0; !w && i < c->nr_threads; i++)
		w = crfs_ckpt_sigq_why(&c->threads[i]->pending, why, len);
	if (w)
		return w;
	/* the threads hold it once each: more is another process */
	if (refcount_read(&c->task->sighand->count) > c->nr_threads)
		return "a handler table shared with another process (CLONE_SIGHAND): kernel: not yet";
	return NULL;
}

/**
 * crfs_ckpt_signals_check - collect the queued signals and interval timers
 * @c: the checkpoint, its threads collected
 *
 * Return: 0, or a refusal with the reason in the error file.
 */
int crfs_ckpt_signals_check(struct crfs_ckpt *c)
{
	struct task_struct *t = c->task;
	unsigned int i, n, room = 0;
	unsigned long flags;
	const char *why;
	char buf[160];

	for (;;) {
		if (!lock_task_sighand(t, &flags))
			return crfs_ckpt_refuse(c, -ESRCH, "pid %d: killed during the checkpoint",
						c->pid);
		n = crfs_ckpt_sigq(c, &t->signal->shared_pending, 0, 0, room);
		for (i = 0; i < c->nr_threads; i++)
			n = crfs_ckpt_sigq(c, &c->threads[i]->pending,
					   task_pid_nr_ns(c->threads[i], c->pid_ns),
					   n, room);
		if (n <= room && n <= CRFS_MAX_SIGQ)
			break;
		unlock_task_sighand(t, &flags);
		if (n > CRFS_MAX_SIGQ)
			return crfs_ckpt_refuse(c, -EOPNOTSUPP,
						"pid %d: signals: more than %d queued: kernel: not yet",
						c->pid, CRFS_MAX_SIGQ);
		kvfree(c->sigq);
		room = n + 16;
		c->sigq = kvcalloc(room, sizeof(*c->sigq), GFP_KERNEL);
		if (!c->sigq)
			return -ENOMEM;
	}
	c->nr_sigq = n;
	why = crfs_ckpt_signals_why(c, buf, sizeof(buf));
	if (!why)
		crfs_ckpt_itimers(c);
	unlock_task_sighand(t, &flags);
	if (why)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP,
					"pid %d: signals: %s", c->pid, why);
	return 0;
}

/**
 * crfs_ckpt_sigpending - the SIGPENDING records of one queue
 * @c: the checkpoint, its signals collected
 * @tid: the thread's, or 0 for the process's queue
 *
 * Return: 0 or -ENOMEM.
 */
int crfs_ckpt_sigpending(struct crfs_ckpt *c, u32 tid)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < c->nr_sigq; i++)
		if (c->sigq[i].tid == tid)
			ret = crfs_rec_put(c, CRFS_PART_TASK, CRFS_REC_SIGPENDING,
					   &c->sigq[i], sizeof(c->sigq[i]), NULL, 0);
	return ret;
}

/**
 * crfs_ckpt_sighand - the SIGHAND record: every signal's action
 * @c: the checkpoint
 *
 * SIGKILL and SIGSTOP have no action (they are default, always).
 * Return: 0 or -ENOMEM.
 */
int crfs_ckpt_sighand(struct crfs_ckpt *c)
{
	struct crfs_sighand *sh;
	struct k_sigaction *ka;
	unsigned long flags;
	int i, ret;

	sh = kzalloc(sizeof(*sh), GFP_KERNEL);
	if (!sh)
		return -ENOMEM;
	sh->id = ++c->next_id;
	c->sighand_id = sh->id;
	/* a task killed meanwhile may have let its handler table go */
	if (!lock_task_sighand(c->task, &flags)) {
		kfree(sh);
		return crfs_ckpt_refuse(c, -ESRCH, "pid %d: killed during the checkpoint",
					c->pid);
	}
	for (i = 0; i < CRFS_NSIG && i < _NSIG; i++) {
		if (i + 1 == SIGKILL || i + 1 == SIGSTOP)
			continue;
		ka = &c->task->sighand->action[i];
		sh->act[i].handler = (unsigned long)ka->sa.sa_handler;
		sh->act[i].flags = ka->sa.sa_flags;
		sh->act[i].restorer = (unsigned long)ka->sa.sa_restorer;
		sh->act[i].mask = ka->sa.sa_mask.sig[0];
	}
	unlock_task_sighand(c->task, &flags);
	ret = crfs_rec_put(c, CRFS_PART_SIGHAND, CRFS_REC_SIGHAND, sh,
			   sizeof(*sh), NULL, 0);
	kfree(sh);
	return ret;
}

/**
 * crfs_ckpt_thread_signals - a thread's blocked mask and alternate stack
 * @c: the checkpoint
 * @t: the thread
 * @th: its THREAD record, filled in
 * @sp: its user stack pointer, as sigaltstack() tells SS_ONSTACK
 *
 * Return: 0, or a refusal (running on its alternate stack).
 */
int crfs_ckpt_thread_signals(struct crfs_ckpt *c, struct task_struct *t,
			     struct crfs_thread *th, unsigned long sp)
{
	char who[CRFS_CKPT_WHO_LEN];
	long ax = task_pt_regs(t)->ax;

	/*
	 * In sigsuspend() (or ppoll(), pselect6(), epoll_pwait()) the mask
	 * is the call's, for as long as it waits: a call that restarts does
	 * so with its own argument after the restore, and the mask to come
	 * back to when it returns is the saved one, as sigmask_to_save()
	 * tells.  One that returns (epoll_pwait()'s EINTR, a result) would
	 * need both masks, which the image does not have yet.
	 */
	th->blocked = t->blocked.sig[0];
	if (test_tsk_restore_sigmask(t)) {
		if (ax != -ERESTARTNOHAND && ax != -ERESTARTSYS &&
		    ax != -ERESTARTNOINTR && ax != -ERESTART_RESTARTBLOCK) {
			crfs_ckpt_who(c, t, who, sizeof(who));
			return crfs_ckpt_refuse(c, -EOPNOTSUPP,
						"%s: signals: a system call returns (%ld) to its saved mask (pselect6, epoll_pwait): kernel: not yet",
						who, ax);
		}
		th->blocked = t->saved_sigmask.sig[0];
	}
	th->altstack_sp = t->sas_ss_sp;
	th->altstack_size = t->sas_ss_size;
	if (!t->sas_ss_size) {
		th->altstack_flags = SS_DISABLE;
		return 0;
	}
	if (sp - t->sas_ss_sp < t->sas_ss_size) {
		crfs_ckpt_who(c, t, who, sizeof(who));
		return crfs_ckpt_refuse(c, -EOPNOTSUPP,
					"%s: signals: running on its alternate stack: kernel: not yet",
					who);
	}
	th->altstack_flags = t->sas_ss_flags & SS_AUTODISARM;
	return 0;
}
