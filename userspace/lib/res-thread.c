// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "thread": what each thread of a process has of its own
 * (THREAD and its arch records): registers and XSAVE area, restartable
 * sequences area, robust futex list, scheduling policy.  The registers
 * and mask are put back last of all, by the engine (restore.c).
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
	}
	return 0;
}

/* Phase 4, stopped: registers, XSAVE area and rseq area, from ptrace. */
static int thread_seized(struct cr_dump *d, struct cr_dtask *dt,
			 struct cr_batch *b, struct cr_err *e)
{
	struct cr_thread *th = &dt->t->threads[0];
	struct cr_rseq_conf conf = { 0 };
	int ret;

	(void)d;
	if (!cr_seized_stopped(b))
		return 0;
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

/* Restore phase 5: rseq area (the restorer's was dropped), robust list. */
static int thread_late(struct cr_rst *r, struct cr_err *e)
{
	const struct crfs_thread *t = &r->thread->t;
	int rc = 0;

	if (t->rseq_addr)
		rc = cr_rst_call(r, SYS_rseq,
				 CR_ARGS(t->rseq_addr, t->rseq_len, 0,
					 t->rseq_sig),
				 "cannot register the rseq area", e);
	if (!rc && t->robust_list)
		rc = cr_rst_call(r, SYS_set_robust_list,
				 CR_ARGS(t->robust_list, t->robust_list_len),
				 "cannot set the robust futex list", e);
	return rc;
}

const struct cr_res_ops cr_res_thread = {
	.name		= "thread",
	.collect	= thread_collect,
	.seized		= thread_seized,
	.late		= thread_late,
};
