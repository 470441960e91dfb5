// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "signals": the signal actions of a process (SIGHAND), its
 * shared queue and each thread's own queue of pending signals
 * (SIGPENDING), each thread's blocked mask and alternate stack.  The
 * queues are read with PTRACE_PEEKSIGINFO; the actions and the alternate
 * stack only the task can tell: 63 calls of its injection batch.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "dump.h"
#include "proc.h"
#include "restore.h"

/* Queued signals read per PTRACE_PEEKSIGINFO. */
#define PEEK_BATCH	32

/* struct stack_t of x86-64, as sigaltstack() writes it. */
struct k_stack {
	uint64_t	sp;
	int32_t		flags;
	int32_t		__pad;
	uint64_t	size;
};

_Static_assert(sizeof(siginfo_t) == CRFS_SIGINFO_SIZE,
	       "kernel siginfo is 128 bytes");

/* Phase 1: the table of actions, filled in phase 4. */
static int signals_collect(struct cr_dump *d, struct cr_dtask *dt,
			   struct cr_err *e)
{
	struct cr_sighand *sh;
	int err = 0;

	sh = cr_model_new_sighand(&d->m, &err);
	if (!sh)
		return cr_fail(e, ENOMEM, "out of memory");
	sh->s.id = cr_dump_id(d);
	dt->t->t.sighand_id = sh->s.id;
	return 0;
}

/* Append the signals of one queue of @tid (shared: the process's) to @q. */
static int peek_queue(pid_t tid, int shared, struct cr_sigq *q,
		      struct cr_err *e)
{
	struct __ptrace_peeksiginfo_args a = {
		.flags = shared ? PTRACE_PEEKSIGINFO_SHARED : 0,
		.nr = PEEK_BATCH,
	};
	siginfo_t si[PEEK_BATCH];
	long n, i;
	int err = 0;

	for (;;) {
		n = ptrace(PTRACE_PEEKSIGINFO, tid, &a, si);
		if (n < 0)
			return cr_fail(e, errno,
				       "pid %d: cannot read pending signals: %m",
				       tid);
		if (!n)
			return 0;
		for (i = 0; i < n; i++) {
			struct crfs_sigpending *p = cr_model_new_sig(q, &err);

			if (!p)
				return cr_fail(e, ENOMEM, "out of memory");
			p->tid = shared ? 0 : tid;
			p->signo = si[i].si_signo;
			memcpy(p->siginfo, &si[i], CRFS_SIGINFO_SIZE);
		}
		a.off += n;
	}
}

/* The calls that ask for the 62 actions and the alternate stack. */
static int signals_calls(struct cr_batch *b, pid_t pid, struct cr_err *e)
{
	unsigned long acts, ss;
	long off;
	int sig;

	off = cr_batch_data(b, sizeof(struct crfs_sigact) * CRFS_NSIG, &acts);
	if (off < 0 || cr_batch_data(b, sizeof(struct k_stack), &ss) < 0)
		return cr_fail(e, E2BIG, "pid %d: the injection batch is full",
			       pid);
	b->slot->data = off;	/* the stack right after the actions */
	for (sig = 1; sig <= CRFS_NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (cr_batch_add(b, __NR_rt_sigaction, (unsigned long[6]){
				 sig, 0, acts + (sig - 1) *
				 sizeof(struct crfs_sigact),
				 sizeof(uint64_t) }) < 0)	/* sigset size */
			return cr_fail(e, E2BIG, "pid %d: the injection batch "
				       "is full", pid);
	}
	if (cr_batch_add(b, __NR_sigaltstack, (unsigned long[6]){ 0, ss }) < 0)
		return cr_fail(e, E2BIG, "pid %d: the injection batch is full",
			       pid);
	return 0;
}

/* Their results: the first failure, else actions and stack. */
static int signals_results(struct cr_dtask *dt, struct cr_batch *b,
			   struct cr_err *e)
{
	struct cr_thread *th = &dt->t->threads[0];
	struct crfs_sigact *acts = (void *)(b->out + b->slot->data);
	struct k_stack ss;
	int i;

	for (i = 0; i < CRFS_NSIG - 1; i++) {
		const struct cr_infect_call *c = &b->calls[b->slot->call + i];
		long rc = cr_batch_ret(b, b->slot->call + i);

		if (rc >= 0)
			continue;
		if (c->nr == __NR_sigaltstack)
			return cr_fail(e, (int)-rc, "pid %d: sigaltstack "
				       "failed: %s", dt->pid,
				       strerror((int)-rc));
		return cr_fail(e, (int)-rc, "pid %d: rt_sigaction(%d) failed: "
			       "%s", dt->pid, (int)c->a[0], strerror((int)-rc));
	}
	memcpy(dt->t->sighand->s.act, acts, sizeof(dt->t->sighand->s.act));
	memset(&dt->t->sighand->s.act[SIGKILL - 1], 0,
	       sizeof(struct crfs_sigact));
	memset(&dt->t->sighand->s.act[SIGSTOP - 1], 0,
	       sizeof(struct crfs_sigact));
	memcpy(&ss, b->out + b->slot->data +
	       sizeof(struct crfs_sigact) * CRFS_NSIG, sizeof(ss));
	th->t.altstack_sp = ss.sp;
	th->t.altstack_size = ss.size;
	th->t.altstack_flags = ss.flags;
	return 0;
}

/*
 * In epoll_pwait() (and pselect6(), ppoll(), sigsuspend()) the blocked
 * mask is the call's until the task leaves the kernel; the one it goes
 * back to is the saved one, which PTRACE_GETSIGMASK tells and the image
 * keeps.  A call that restarts sets its own mask again after a restore.
 * One that returns EINTR goes back to the saved mask at once, unless a
 * signal its call's mask admits is pending: that one is delivered first,
 * under the call's mask.  After a restore it would stay blocked: refused,
 * before the task's mask is touched.  What came later is in the queues
 * the checkpoint reads: mask_late() refuses it there.
 */
int cr_dump_mask_check(pid_t pid, struct cr_thread *th,
		       const struct crfs_x86_regs *regs, uint64_t saved,
		       struct cr_err *e)
{
	struct cr_proc_sigmasks sm;
	uint64_t held;
	int ret;

	th->eintr_admits = 0;
	if (!cr_arch_call_eintr(regs))
		return 0;
	ret = cr_proc_sigmasks(pid, th->t.tid, &sm, e);
	if (ret)
		return ret;
	th->eintr_admits = ~sm.blocked & saved;
	held = (sm.pending | sm.shared) & th->eintr_admits;
	if (!held)
		return 0;
	return cr_fail(e, EOPNOTSUPP, "pid %d: thread %u: signals: signal %d "
		       "is pending, which the mask of the call it returns "
		       "EINTR from (epoll_pwait) admits and its own blocks: "
		       "restored, it would stay blocked; thaw and checkpoint "
		       "again", pid, th->t.tid, __builtin_ctzll(held) + 1);
}

/* The first signal of @q in @set, or 0. */
static int queue_first(const struct cr_sigq *q, uint64_t set)
{
	for (uint32_t i = 0; i < q->nr; i++)
		if (q->sig[i].signo >= 1 && q->sig[i].signo <= 64 &&
		    (set >> (q->sig[i].signo - 1) & 1))
			return (int)q->sig[i].signo;
	return 0;
}

/*
 * A signal that came while the checkpoint ran, for a thread whose call
 * returns EINTR and admits it (cr_dump_mask_check()): in the image it
 * would stay blocked.  Refused; the task itself, its mask already set
 * back to the saved one, takes it when it next lets it in.
 */
static int mask_late(struct cr_dtask *dt, struct cr_err *e)
{
	for (uint32_t i = 0; i < dt->t->nr_threads; i++) {
		struct cr_thread *th = &dt->t->threads[i];
		int sig = queue_first(&th->pending, th->eintr_admits);

		if (!sig)
			sig = queue_first(&dt->t->pending, th->eintr_admits);
		if (sig)
			return cr_fail(e, EOPNOTSUPP, "pid %d: thread %u: "
				       "signals: signal %d came during the "
				       "checkpoint, which the mask of the "
				       "call it returns EINTR from admits "
				       "and its own blocks: restored, it "
				       "would stay blocked; checkpoint again",
				       dt->pid, th->t.tid, sig);
	}
	return 0;
}

/*
 * The queue @q read again into @again after the batch: a signal that came
 * while the batch ran (all blockable signals blocked) was queued after
 * what @q holds; take @again when it is @q and more.  Not when it is
 * less: a SIGSTOP pending when the task was seized is taken by the batch
 * (it cannot be blocked), and must stay in the image, to be refused.
 */
static void requeue(struct cr_sigq *q, struct cr_sigq *again)
{
	if (again->nr > q->nr &&
	    !memcmp(q->sig, again->sig, q->nr * sizeof(*q->sig))) {
		struct cr_sigq tmp = *q;

		*q = *again;
		*again = tmp;
	}
	free(again->sig);
}

/*
 * Phase 4: mask and queues from ptrace, actions and stack by calls, then
 * the queues once more: the batch reads the timers, and a timer that
 * fires in between must be either pending or still armed in the image,
 * never neither.
 */
static int signals_seized(struct cr_dump *d, struct cr_dtask *dt,
			  struct cr_batch *b, struct cr_err *e)
{
	struct cr_thread *th = &dt->t->threads[0];
	struct cr_sigq th_again = { 0 }, again = { 0 };
	int ret;

	(void)d;
	if (cr_seized_calls(b))
		return signals_calls(b, dt->pid, e);
	if (cr_seized_stopped(b)) {
		th->t.blocked = dt->sigmask;
		ret = peek_queue(th->t.tid, 0, &th->pending, e);
		if (!ret)
			ret = peek_queue(dt->pid, 1, &dt->t->pending, e);
		return ret;
	}
	ret = signals_results(dt, b, e);
	/* The other threads ran nothing yet: their queues, once. */
	for (uint32_t i = 1; !ret && i < dt->t->nr_threads; i++)
		ret = peek_queue(dt->t->threads[i].t.tid, 0,
				 &dt->t->threads[i].pending, e);
	if (!ret)
		ret = peek_queue(th->t.tid, 0, &th_again, e);
	if (!ret)
		ret = peek_queue(dt->pid, 1, &again, e);
	requeue(&th->pending, &th_again);
	requeue(&dt->t->pending, &again);
	return ret ? ret : mask_late(dt, e);
}

/* Restore phase 3: the actions, but of SIGKILL and SIGSTOP. */
static int signals_child(const struct cr_rst_child *c, struct cr_rst_res *res)
{
	const struct crfs_sighand *sh = &c->task->sighand->s;

	for (int i = 1; i <= CRFS_NSIG; i++) {
		if (i == SIGKILL || i == SIGSTOP)
			continue;
		res->step = CR_RST_SIGACT;
		res->idx = i;
		if (syscall(SYS_rt_sigaction, i, &sh->act[i - 1], NULL,
			    sizeof(uint64_t)))
			return errno;
	}
	return 0;
}

/* Queue the signals of @q again: the process's or the thread's queue. */
static int signals_queue(struct cr_rst *r, const struct cr_sigq *q,
			 struct cr_err *e)
{
	char what[64];
	int rc;

	for (uint32_t i = 0; i < q->nr; i++) {
		const struct crfs_sigpending *p = &q->sig[i];
		unsigned long addr;

		rc = cr_rst_aborted(r, e);
		if (rc)
			return rc;
		if (cr_timer_requeues(r->task, p))
			continue;	/* its timer queues it (res-timers.c) */
		snprintf(what, sizeof(what), "cannot queue signal %u",
			 p->signo);
		/*
		 * A batch runs with SIGTRAP let through (cr_infect_batch()):
		 * one queued by it would be taken for a foreign one.  Alone,
		 * every signal blocked; the batches after it run one by one.
		 */
		if (p->signo == SIGTRAP) {
			rc = cr_rst_poke(r, 0, p->siginfo, sizeof(p->siginfo),
					 &addr, e);
			if (!rc)
				rc = cr_rst_call(r, p->tid ?
						 SYS_rt_tgsigqueueinfo :
						 SYS_rt_sigqueueinfo, p->tid ?
						 CR_ARGS(r->task->t.pid, p->tid,
							 p->signo, addr) :
						 CR_ARGS(r->task->t.pid,
							 p->signo, addr),
						 what, e);
			if (rc)
				return rc;
			continue;
		}
		rc = cr_rst_queue_poke(r, p->siginfo, sizeof(p->siginfo),
				       &addr, e);
		if (rc)
			return rc;
		/* Injected: the pids as the process sees them (the image's). */
		if (!p->tid)
			rc = cr_rst_queue(r, SYS_rt_sigqueueinfo,
					  CR_ARGS(r->task->t.pid, p->signo,
						  addr),
					  what, NULL, e);
		else
			rc = cr_rst_queue(r, SYS_rt_tgsigqueueinfo,
					  CR_ARGS(r->task->t.pid, p->tid,
						  p->signo, addr), what, NULL,
					  e);
		if (rc)
			return rc;
	}
	return 0;
}

/* Restore phase 5: the alternate stack, then the queues. */
static int signals_late(struct cr_rst *r, struct cr_err *e)
{
	const struct crfs_thread *t = &r->thread->t;
	stack_t st = { 0 };
	unsigned long addr;
	int rc;

	if (t->altstack_flags & SS_DISABLE) {
		st.ss_flags = SS_DISABLE;
	} else {
		st.ss_sp = (void *)(uintptr_t)t->altstack_sp;
		st.ss_size = t->altstack_size;
		st.ss_flags = t->altstack_flags & ~SS_ONSTACK;
	}
	/* Queued, with the signals: one stop (restore-queue.c). */
	rc = cr_rst_queue_poke(r, &st, sizeof(st), &addr, e);
	if (!rc)
		rc = cr_rst_queue(r, SYS_sigaltstack, CR_ARGS(addr),
				  "cannot set the alternate signal stack",
				  NULL, e);
	if (!rc)
		rc = signals_queue(r, &r->thread->pending, e);
	if (!rc)
		rc = signals_queue(r, &r->task->pending, e);
	return rc;
}

const struct cr_res_ops cr_res_signals = {
	.name		= "signals",
	.collect	= signals_collect,
	.seized		= signals_seized,
	.child		= signals_child,
	.late		= signals_late,
};
