// SPDX-License-Identifier: GPL-2.0
/*
 * A thread of a restore: what of its THREAD record and registers the
 * kernel restores (checked before the process exists), the state the
 * thread sets itself in its entry function (mask, alternate stack, rseq,
 * futex words, name, nice, scheduling policy, affinity), and its
 * registers and FPU, which the writer sets through the regsets ptrace
 * uses while the thread waits off its CPU.
 */
#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/elf.h>
#include <linux/futex.h>
#include <linux/iocontext.h>
#include <linux/ioprio.h>
#include <linux/regset.h>
#include <linux/rseq.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <asm/segment.h>
#include <uapi/linux/sched/types.h>

#include "crfs.h"
#include "ckpt.h"
#include "rst.h"

/* struct user_regs_struct, by name: what the plan checks and rax. */
enum { CRFS_R_AX = 10, CRFS_R_CS = 17, CRFS_R_SS = 20 };

#define CRFS_RST_ORIG_RSEQ_SIZE	32

/*
 * The I/O priority a thread will have: the writer's if it set one
 * (copied at fork), else none, which reads as its nice's and policy's
 * (ioprio_get() says IOPRIO_DEFAULT, the kernel's checkpoint records the
 * nice's and policy's).
 */
static bool crfs_rst_ioprio_ok(const struct crfs_thread *th)
{
#ifdef CONFIG_BLOCK
	struct io_context *ioc = current->io_context;

	unsigned int policy = th->sched_policy & ~SCHED_RESET_ON_FORK;
	int class = IOPRIO_CLASS_BE;

	if (ioc && ioprio_valid(ioc->ioprio))
		return th->ioprio == ioc->ioprio;
	/* as task_nice_ioclass() makes it of the policy the thread gets */
	if (policy == SCHED_IDLE)
		class = IOPRIO_CLASS_IDLE;
	else if (policy == SCHED_FIFO || policy == SCHED_RR)
		class = IOPRIO_CLASS_RT;
	return th->ioprio == IOPRIO_DEFAULT ||
	       th->ioprio == IOPRIO_PRIO_VALUE(class, (th->sched_nice + 20) / 5);
#else
	return th->ioprio == IOPRIO_DEFAULT;
#endif
}

/* Is the scheduling policy of thread @th one the writer may give? */
static const char *crfs_rst_plan_sched(const struct crfs_thread *th)
{
	unsigned int policy = th->sched_policy & ~SCHED_RESET_ON_FORK;

	if (th->sched_nice < MIN_NICE || th->sched_nice > MAX_NICE)
		return "a bad nice value";
	switch (policy) {
	case SCHED_NORMAL:
	case SCHED_BATCH:
	case SCHED_IDLE:
		return th->sched_priority ? "a bad scheduling priority" : NULL;
	case SCHED_FIFO:
	case SCHED_RR:
		if (th->sched_priority < 1 || th->sched_priority > MAX_RT_PRIO - 1)
			return "a bad real-time priority";
		/* what sched_setscheduler() asks of the writer, which gives it */
		if (!capable(CAP_SYS_NICE))
			return "a real-time policy, and the writer has no CAP_SYS_NICE";
		return NULL;
	}
	return "a scheduling policy other than SCHED_OTHER, BATCH, IDLE, FIFO, RR: kernel: not yet";
}

/**
 * crfs_rst_plan_thread_why - what of a thread the kernel does not restore
 * @p: the process of the restore, its model whole
 * @t: one of its threads
 *
 * Return: the reason, or NULL.
 */
const char *crfs_rst_plan_thread_why(struct crfs_rst_proc *p,
				     const struct crfs_rst_thread *t)
{
	const struct crfs_thread *th = &t->th;

	if (th->flags & ~CRFS_THREAD_F_RSEQ)
		return "seccomp: kernel: not yet";
	if (th->flags & CRFS_THREAD_F_RSEQ &&
	    (th->rseq_len < CRFS_RST_ORIG_RSEQ_SIZE || th->rseq_addr % 32 ||
	     th->rseq_addr >= TASK_SIZE_MAX - th->rseq_len))
		return "a bad rseq area";
	if (th->robust_list && th->robust_list_len != sizeof(struct robust_list_head))
		return "a bad robust futex list";
	if (th->altstack_flags == SS_DISABLE ?
	    th->altstack_sp || th->altstack_size :
	    th->altstack_flags & ~SS_AUTODISARM || th->altstack_size < MINSIGSTKSZ)
		return "a bad alternate signal stack";
	if (!crfs_rst_ioprio_ok(th))
		return "an I/O priority, or the writer's, which the process would inherit: kernel: not yet";
	if (t->regs.r[CRFS_R_CS] != __USER_CS || t->regs.r[CRFS_R_SS] != __USER_DS)
		return "registers of a 32-bit or odd code segment: kernel: not yet";
	return crfs_rst_plan_sched(th);
}

/* Thread @t's scheduling policy, after its nice value (an RT thread's too). */
static int crfs_rst_sched(struct crfs_rst_proc *p, const struct crfs_thread *th)
{
	struct crfs_rst *r = p->r;
	struct sched_attr attr = {
		.size		= sizeof(attr),
		.sched_policy	= th->sched_policy & ~SCHED_RESET_ON_FORK,
		.sched_priority	= th->sched_priority,
		.sched_nice	= th->sched_nice,
	};
	int ret;

	if (th->sched_policy & SCHED_RESET_ON_FORK)
		attr.sched_flags = SCHED_FLAG_RESET_ON_FORK;
	if (attr.sched_policy == SCHED_NORMAL && !attr.sched_flags)
		return 0;
	ret = sched_setattr_nocheck(current, &attr);
	if (ret)
		return crfs_rst_child_fail(r, ret, "pid %u: thread %u: scheduling policy %u: cannot set it",
					   p->task.pid, th->tid, attr.sched_policy);
	return 0;
}

/**
 * crfs_rst_thread - a thread's own state, set in the thread
 * @t: the thread (current)
 *
 * Mask, altstack, rseq, futex words, name, nice, and what the image
 * keeps once per process and the kernel once per thread (timer slack,
 * no_new_privs); its policy and affinity: crfs_rst_thread_sched().
 * Return: 0, or the errno with the reason in the error file.
 */
int crfs_rst_thread(struct crfs_rst_thread *t)
{
	const struct crfs_thread *th = &t->th;
	struct crfs_rst_proc *p = t->p;
	struct crfs_rst *r = p->r;
	char comm[CRFS_COMM_LEN];
	sigset_t set;

	sigemptyset(&set);
	set.sig[0] = th->blocked;
	sigdelsetmask(&set, sigmask(SIGKILL) | sigmask(SIGSTOP));
	set_current_blocked(&set);
	if (th->altstack_flags != SS_DISABLE) {
		current->sas_ss_sp = th->altstack_sp;
		current->sas_ss_size = th->altstack_size;
		current->sas_ss_flags = th->altstack_flags;
	}
#ifdef CONFIG_RSEQ
	if (th->flags & CRFS_THREAD_F_RSEQ) {
		current->rseq = (struct rseq __user *)(unsigned long)th->rseq_addr;
		current->rseq_len = th->rseq_len;
		current->rseq_sig = th->rseq_sig;
		rseq_set_notify_resume(current);
	}
#endif
	current->clear_child_tid = (int __user *)(unsigned long)th->clear_child_tid;
#ifdef CONFIG_FUTEX
	current->robust_list = (struct robust_list_head __user *)(unsigned long)th->robust_list;
#endif
	memcpy(comm, th->comm, sizeof(comm));
	comm[sizeof(comm) - 1] = 0;
	set_task_comm(current, comm);
	if (p->task.flags & CRFS_TASK_F_NO_NEW_PRIVS)
		task_set_no_new_privs(current);
	/* an RT policy's is 0: crfs_rst_thread_sched() makes it so */
	current->timer_slack_ns = p->task.timer_slack_ns ?: current->default_timer_slack_ns;
	if (th->sched_nice != task_nice(current)) {
		if (!can_nice(current, th->sched_nice))
			return crfs_rst_child_fail(r, -EPERM, "pid %u: thread %u: nice %d: not allowed",
						   p->task.pid, th->tid, th->sched_nice);
		set_user_nice(current, th->sched_nice);
	}
	return 0;
}

/**
 * crfs_rst_thread_sched - a thread's scheduling policy and affinity
 * @t: the thread (current), in the container's cgroup by now
 *
 * Set in the container's cgroup: its cpuset and real-time group are the
 * ones that apply.
 * Return: 0, or the errno with the reason in the error file.
 */
int crfs_rst_thread_sched(struct crfs_rst_thread *t)
{
	const struct crfs_thread *th = &t->th;
	struct crfs_rst_proc *p = t->p;
	struct crfs_rst *r = p->r;
	cpumask_var_t mask;
	int ret;

	ret = crfs_rst_sched(p, th);
	if (ret)
		return ret;
	if (!zalloc_cpumask_var(&mask, GFP_KERNEL))
		return -ENOMEM;
	bitmap_copy(cpumask_bits(mask), (unsigned long *)th->cpus_allowed,
		    min_t(unsigned int, nr_cpu_ids, CRFS_CPU_WORDS * 64));
	cpumask_and(mask, mask, cpu_active_mask);
	if (!cpumask_equal(mask, current->cpus_ptr)) {
		ret = cpumask_empty(mask) ? -EINVAL : sched_setaffinity(0, mask);
		if (ret)
			crfs_rst_child_fail(r, ret, "pid %u: thread %u: CPU affinity: %*pbl: cannot set it",
					    p->task.pid, th->tid, cpumask_pr_args(mask));
	}
	free_cpumask_var(mask);
	return ret;
}

/**
 * crfs_rst_regs - registers and FPU into a waiting thread
 * @p: the process of the restore
 * @t: the thread, waiting off its CPU for go
 *
 * As PTRACE_SETREGSET would; rax goes to the thread's task work.
 * Return: 0, or the errno with the reason in the error file.
 */
int crfs_rst_regs(struct crfs_rst_proc *p, struct crfs_rst_thread *t)
{
	struct crfs_rst *r = p->r;
	const struct user_regset_view *view = task_user_regset_view(t->task);
	bool xsave = boot_cpu_has(X86_FEATURE_OSXSAVE);
	const struct user_regset *rs;
	u32 tid = t->th.tid;
	int i, ret;

	for (i = 0; i < 1000; i++) {
		if (wait_task_inactive(t->task, TASK_UNINTERRUPTIBLE))
			break;
		if (READ_ONCE(r->child_err) || fatal_signal_pending(current))
			return -EINTR;
		usleep_range(1000, 2000);
	}
	if (i == 1000)
		return crfs_rst_refuse(r, -EBUSY, "pid %u: thread %u: never waited off its CPU",
				       p->task.pid, tid);
	rs = crfs_regset(view, NT_PRSTATUS);
	if (!rs || !rs->set || rs->n * rs->size != sizeof(t->regs.r))
		return crfs_rst_refuse(r, -EOPNOTSUPP, "pid %u: registers: no regset",
				       p->task.pid);
	ret = rs->set(t->task, rs, 0, sizeof(t->regs.r), t->regs.r, NULL);
	if (ret)
		return crfs_rst_refuse(r, ret, "pid %u: thread %u: registers: refused by the kernel",
				       p->task.pid, tid);
	rs = crfs_regset(view, xsave ? NT_X86_XSTATE : NT_PRFPREG);
	if (!rs || !rs->set)
		return crfs_rst_refuse(r, -EOPNOTSUPP, "pid %u: FPU: no regset", p->task.pid);
	ret = rs->set(t->task, rs, 0, r->hdr.xstate_size, t->xstate, NULL);
	if (ret)
		return crfs_rst_refuse(r, ret, "pid %u: thread %u: FPU: its XSAVE area refused",
				       p->task.pid, tid);
	t->ax->ax = t->regs.r[CRFS_R_AX];
	return 0;
}
