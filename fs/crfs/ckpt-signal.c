// SPDX-License-Identifier: GPL-2.0
/*
 * Signals of the checkpoint: the SIGHAND record (every action, under
 * siglock), a thread's blocked mask and alternate stack (its THREAD
 * record), and what the kernel does not keep yet: pending signals,
 * interval and POSIX timers, a shared handler table.
 */
#include <linux/errno.h>
#include <linux/hrtimer.h>
#include <linux/posix-timers.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/signal.h>

#include "crfs.h"
#include "ckpt.h"

/**
 * crfs_ckpt_signals_check - refuse the signal state not kept yet
 * @c: the checkpoint
 *
 * Return: 0, or a refusal with the reason in the error file.
 */
int crfs_ckpt_signals_check(struct crfs_ckpt *c)
{
	struct task_struct *t = c->task;
	struct signal_struct *sig = t->signal;
	const char *why = NULL;

	spin_lock_irq(&t->sighand->siglock);
	if (!sigisemptyset(&t->pending.signal) ||
	    !sigisemptyset(&sig->shared_pending.signal))
		why = "pending signals";
	else if (refcount_read(&t->sighand->count) > 1)
		why = "a handler table shared with another process (CLONE_SIGHAND)";
	else if (hrtimer_active(&sig->real_timer))
		why = "an interval timer (ITIMER_REAL, alarm)";
	else if (sig->it[CPUCLOCK_PROF].expires || sig->it[CPUCLOCK_VIRT].expires)
		why = "an interval timer (ITIMER_VIRTUAL, ITIMER_PROF)";
	else if (!hlist_empty(&sig->posix_timers))
		why = "POSIX timers";
	spin_unlock_irq(&t->sighand->siglock);
	if (why)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP,
					"pid %d: signals: %s: kernel: not yet",
					c->pid, why);
	return 0;
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
	int i, ret;

	sh = kzalloc(sizeof(*sh), GFP_KERNEL);
	if (!sh)
		return -ENOMEM;
	sh->id = ++c->next_id;
	c->sighand_id = sh->id;
	spin_lock_irq(&c->task->sighand->siglock);
	for (i = 0; i < CRFS_NSIG && i < _NSIG; i++) {
		if (i + 1 == SIGKILL || i + 1 == SIGSTOP)
			continue;
		ka = &c->task->sighand->action[i];
		sh->act[i].handler = (unsigned long)ka->sa.sa_handler;
		sh->act[i].flags = ka->sa.sa_flags;
		sh->act[i].restorer = (unsigned long)ka->sa.sa_restorer;
		sh->act[i].mask = ka->sa.sa_mask.sig[0];
	}
	spin_unlock_irq(&c->task->sighand->siglock);
	ret = crfs_rec_put(c, CRFS_PART_SIGHAND, CRFS_REC_SIGHAND, sh,
			   sizeof(*sh), NULL, 0);
	kfree(sh);
	return ret;
}

/**
 * crfs_ckpt_thread_signals - a thread's blocked mask and alternate stack
 * @c: the checkpoint
 * @th: its THREAD record, filled in
 * @sp: its user stack pointer, as sigaltstack() tells SS_ONSTACK
 *
 * Return: 0, or a refusal (running on its alternate stack).
 */
int crfs_ckpt_thread_signals(struct crfs_ckpt *c, struct crfs_thread *th,
			     unsigned long sp)
{
	struct task_struct *t = c->task;
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
		    ax != -ERESTARTNOINTR && ax != -ERESTART_RESTARTBLOCK)
			return crfs_ckpt_refuse(c, -EOPNOTSUPP,
						"pid %d: signals: a system call returns (%ld) to its saved mask (pselect6, epoll_pwait): kernel: not yet",
						c->pid, ax);
		th->blocked = t->saved_sigmask.sig[0];
	}
	th->altstack_sp = t->sas_ss_sp;
	th->altstack_size = t->sas_ss_size;
	if (!t->sas_ss_size) {
		th->altstack_flags = SS_DISABLE;
		return 0;
	}
	if (sp - t->sas_ss_sp < t->sas_ss_size)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP,
					"pid %d: signals: running on its alternate stack: kernel: not yet",
					c->pid);
	th->altstack_flags = t->sas_ss_flags & SS_AUTODISARM;
	return 0;
}
