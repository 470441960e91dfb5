// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "thread": what each thread of a process has of its own
 * (THREAD and its arch records): registers and XSAVE area, restartable
 * sequences area, robust futex list, scheduling policy, name.  The
 * registers and mask are put back last of all, by the engine (restore.c,
 * restore-threads.c for the threads but the leader).
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "dump.h"
#include "restore.h"
#include "proc.h"

#ifndef PTRACE_GET_RSEQ_CONFIGURATION
#define PTRACE_GET_RSEQ_CONFIGURATION	0x420f
#endif

/* As struct ptrace_rseq_configuration (linux/ptrace.h clashes with libc). */
struct cr_rseq_conf {
	uint64_t	ptr;
	uint32_t	size, sig, flags, pad;
};

/* Phase 1: scheduling policy and robust list, which /proc-side calls tell. */
static int thread_collect(struct cr_dump *d, struct cr_dtask *dt,
			  struct cr_err *e)
{
	(void)d;
	for (uint32_t i = 0; i < dt->t->nr_threads; i++) {
		struct crfs_thread *t = &dt->t->threads[i].t;
		struct sched_param sp = { 0 };
		size_t len = 0;
		void *head = NULL;
		int pol;

		pol = sched_getscheduler(t->tid);
		if (pol < 0 || sched_getparam(t->tid, &sp))
			return cr_fail(e, errno, "pid %d: thread %u: cannot "
				       "read its scheduling: %m", dt->pid,
				       t->tid);
		errno = 0;
		t->sched_nice = getpriority(PRIO_PROCESS, t->tid);
		if (errno)
			return cr_fail(e, errno, "pid %d: thread %u: cannot "
				       "read its nice value: %m", dt->pid,
				       t->tid);
		t->sched_policy = pol;
		t->sched_priority = sp.sched_priority;
		if (syscall(SYS_get_robust_list, t->tid, &head, &len))
			return cr_fail(e, errno, "pid %d: thread %u: cannot "
				       "read its robust list: %m", dt->pid,
				       t->tid);
		t->robust_list = (uintptr_t)head;
		t->robust_list_len = len;
		/* /proc/TID is the thread itself: its own name */
		if (i && cr_proc_comm(t->tid, t->comm, e))
			return -e->err;
	}
	return 0;
}

/*
 * What a thread but the leader must share with it, as a restore gives
 * its threads the leader's: credentials (the leader's as the row "creds"
 * collected them), no_new_privs, no seccomp (a restore installs filters
 * in the leader only), the timer slack.
 */
static int thread_check_one(struct cr_dtask *dt, const struct crfs_thread *t,
			    struct cr_err *e)
{
	uint32_t pol = t->sched_policy & ~SCHED_RESET_ON_FORK;
	struct cr_proc_status st = { 0 };
	pid_t tid = t->tid;
	const char *why = NULL;
	long long slack = 0;
	int ret;

	ret = cr_proc_status(tid, &st, e);
	if (ret)
		return ret;
	if (memcmp(st.uid, dt->st.uid, sizeof(st.uid)) ||
	    memcmp(st.gid, dt->st.gid, sizeof(st.gid)) ||
	    st.ngroups != dt->t->creds.ngroups ||
	    (st.ngroups && (!dt->t->groups ||
			    memcmp(st.groups, dt->t->groups,
				   st.ngroups * sizeof(*st.groups)))))
		why = "credentials (uids, gids, groups) not the leader's";
	else if (memcmp(st.cap, dt->st.cap, sizeof(st.cap)))
		why = "capabilities not the leader's";
	else if (st.no_new_privs != dt->st.no_new_privs)
		why = "no_new_privs not the leader's";
	else if (st.seccomp || dt->st.seccomp)
		why = "seccomp in a multi-threaded process";
	else if (st.tracer)
		why = "traced (a debugger?): detach it first";
	free(st.groups);
	/* A real-time policy's is 0, as the kernel keeps it (misc_late). */
	if (!why && pol != SCHED_FIFO && pol != SCHED_RR &&
	    !cr_proc_num(tid, "timerslack_ns", &slack, e) &&
	    (uint64_t)slack != dt->t->t.timer_slack_ns)
		why = "timer slack not the leader's";
	if (why)
		return cr_fail(e, EOPNOTSUPP, "pid %d: thread %d: %s: not "
			       "supported", dt->pid, tid, why);
	return 0;
}

/* Phase 2: each thread but the leader, against the leader. */
static int thread_check(struct cr_dump *d, struct cr_dtask *dt,
			struct cr_err *e)
{
	(void)d;
	if (dt->nr_tids > 1 && dt->t->t.state == CRFS_TASK_STOPPED)
		return cr_fail(e, EOPNOTSUPP, "pid %d: %d threads, stopped by "
			       "a signal: a stopped multi-threaded process is "
			       "not supported", dt->pid, dt->nr_tids);
	for (uint32_t i = 1; i < dt->t->nr_threads; i++) {
		int ret = thread_check_one(dt, &dt->t->threads[i].t, e);

		if (ret)
			return ret;
	}
	return 0;
}

/* The registers, XSAVE area and rseq area of stopped thread @th. */
static int thread_regs(struct cr_thread *th, struct cr_err *e)
{
	struct cr_rseq_conf conf = { 0 };
	int ret;

	th->arch.xstate_size = cr_arch_xstate_size();
	th->arch.xstate = calloc(1, th->arch.xstate_size);
	if (!th->arch.xstate)
		return cr_fail(e, ENOMEM, "out of memory");
	ret = cr_arch_get_regs(th->t.tid, &th->arch.regs, th->arch.xstate, e);
	if (ret)
		return ret;
	th->arch.have_regs = true;
	if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION, th->t.tid,
		   (void *)sizeof(conf), &conf) != sizeof(conf) || !conf.ptr)
		return 0;	/* no rseq, or a kernel without the request */
	th->t.flags |= CRFS_THREAD_F_RSEQ;
	th->t.rseq_addr = conf.ptr;
	th->t.rseq_len = conf.size;
	th->t.rseq_sig = conf.sig;
	return 0;
}

/*
 * Phase 4, stopped: the registers, XSAVE and rseq areas of every thread,
 * the mask and GDT TLS entries of those but the leader (dump.c has its).
 * What only they can tell: cr_dump_threads_ask(), after the batch.
 */
static int thread_seized(struct cr_dump *d, struct cr_dtask *dt,
			 struct cr_batch *b, struct cr_err *e)
{
	int ret = 0;

	(void)d;
	if (!cr_seized_stopped(b))
		return 0;
	for (uint32_t i = 0; !ret && i < dt->t->nr_threads; i++) {
		struct cr_thread *th = &dt->t->threads[i];

		ret = thread_regs(th, e);
		if (ret || !i)
			continue;
		if (ptrace(PTRACE_GETSIGMASK, th->t.tid,
			   (void *)sizeof(th->t.blocked), &th->t.blocked))
			return cr_fail(e, errno, "pid %d: thread %u: cannot "
				       "read its signal mask: %m", dt->pid,
				       th->t.tid);
		ret = cr_dump_mask_check(dt->pid, th, &th->arch.regs,
					 th->t.blocked, e);
		if (!ret)
			ret = cr_arch_tls_refuse(th->t.tid, e);
	}
	return ret;
}

/* Restore phase 5: rseq area (the restorer's was dropped), robust list. */
static int thread_late(struct cr_rst *r, struct cr_err *e)
{
	const struct crfs_thread *t = &r->thread->t;
	int rc = 0;

	if (t->rseq_addr)
		rc = cr_rst_queue(r, SYS_rseq,
				  CR_ARGS(t->rseq_addr, t->rseq_len, 0,
					  t->rseq_sig),
				  "cannot register the rseq area", NULL, e);
	if (!rc && t->robust_list)
		rc = cr_rst_queue(r, SYS_set_robust_list,
				  CR_ARGS(t->robust_list, t->robust_list_len),
				  "cannot set the robust futex list", NULL, e);
	return rc;
}

const struct cr_res_ops cr_res_thread = {
	.name		= "thread",
	.collect	= thread_collect,
	.check		= thread_check,
	.seized		= thread_seized,
	.late		= thread_late,
};
