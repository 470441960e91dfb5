// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What an image's processes must be (img-check.c has the whole list of
 * rules): tasks and their threads, credentials, pending signals, signal
 * handler tables, scheduling, POSIX timers: values a restore can set
 * again, and the descriptors a task's owners (F_SETOWN) name held.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "img-walk.h"

/* The threads a restore brings back, at most. */
#define CR_RST_THREADS_MAX	4096

/* Highest pid a kernel hands out (PID_MAX_LIMIT on 64-bit). */
#define CR_PID_MAX		(4 * 1024 * 1024)

/* A user or group id: all but (u32)-1, which the set*id calls skip. */
#define CR_ID_INVALID		0xffffffffU

/* personality(0xffffffff) queries instead of setting. */
#define CR_PERSONALITY_QUERY	0xffffffffU

/* The smallest alternate signal stack sigaltstack() takes. */
#define CR_MINSIGSTKSZ		2048

/* The first real-time signal; and at most so many of them pending. */
#define CR_SIGRTMIN		32
#define CR_PENDING_RT_MAX	(1U << 20)
#ifndef SS_AUTODISARM
#define SS_AUTODISARM		(1U << 31)
#endif
#define CR_SS_FLAGS		(SS_ONSTACK | SS_DISABLE | SS_AUTODISARM)

/* Scheduling policies (SCHED_*), and the flag sched_getscheduler() adds. */
#define CR_SCHED_FIFO		1
#define CR_SCHED_RR		2
#define CR_SCHED_ISO		4	/* reserved, never a policy */
#define CR_SCHED_IDLE		5
#define CR_SCHED_RESET_ON_FORK	0x40000000U

/* PR_SET_DUMPABLE takes 0 or 1; SUID_DUMP_ROOT (2) only the kernel sets. */
#define CR_DUMPABLE_MAX		1
#define CR_RSEQ_MIN_LEN		32
#define CR_OOM_ADJ_MAX		1000

/* ioprio: class in bits 13-15 (NONE 0 to IDLE 3), level in bits 0-2. */
#define CR_IOPRIO_CLASS(v)	((v) >> 13)
#define CR_IOPRIO_HINTS		0x1ff8U
#define CR_IOPRIO_CLASS_IDLE	3
#define CR_TASK_FLAGS		(CRFS_TASK_F_CHILD_SUBREAPER | \
				 CRFS_TASK_F_NO_NEW_PRIVS | \
				 CRFS_TASK_F_FUTEX_HASH)

/* Times a timer is set again with: a timespec64 the kernel takes. */
#define CR_TIME_NS_MAX		((uint64_t)INT64_MAX)
#define CR_NSEC_PER_USEC	1000

/* The clocks a timer can be created on again (clockid_t). */
#define CR_CLOCK_REALTIME	0
#define CR_CLOCK_MONOTONIC	1
#define CR_CLOCK_PROCESS_CPU	2
#define CR_CLOCK_THREAD_CPU	3
#define CR_CLOCK_BOOTTIME	7
#define CR_CLOCK_TAI		11

/* An encoded CPU clock: ~pid << 3 | per-thread << 2 | PROF, VIRT, SCHED. */
#define CR_CPUCLOCK_PERTHREAD	4
#define CR_CPUCLOCK_WHICH	3
#define CR_CPUCLOCK_FD		3

/* sigev_notify */
#define CR_SIGEV_SIGNAL		0
#define CR_SIGEV_NONE		1
#define CR_SIGEV_THREAD_ID	4

/* SIGHAND: SIGKILL and SIGSTOP have the default action. */
int cr_sighand_check(const struct cr_chk *c, const void *obj,
		     struct cr_err *e)
{
	const struct cr_sighand *sh = obj;
	static const struct crfs_sigact dfl;

	(void)c;
	if (!sh->pid)
		return cr_fail(e, EBADMSG, "sighand %u is used by no process",
			       sh->s.id);
	/* The restore skips them: anything but the default would be lost. */
	if (memcmp(&sh->s.act[SIGKILL - 1], &dfl, sizeof(dfl)) ||
	    memcmp(&sh->s.act[SIGSTOP - 1], &dfl, sizeof(dfl)))
		return cr_fail(e, EBADMSG, "pid %u: SIGKILL and SIGSTOP have "
			       "an action", sh->pid);
	return 0;
}

/* Why the ids, state and objects of @k are wrong, or NULL. */
static const char *cr_task_why(const struct cr_task *t)
{
	const struct crfs_task *k = &t->t;

	if (k->personality == CR_PERSONALITY_QUERY)
		return "personality 0xffffffff";
	if (k->state == CRFS_TASK_ZOMBIE)
		return NULL;	/* img-check-tree.c */
	if (!t->mm || !t->fdt || !t->fs || !t->sighand)
		return "no mm, fd table, fs or signal handlers";
	if (k->oom_score_adj < -CR_OOM_ADJ_MAX ||
	    k->oom_score_adj > CR_OOM_ADJ_MAX)
		return "oom_score_adj beyond 1000";
	if (k->flags & ~CR_TASK_FLAGS)
		return "unknown flags";
	if (k->pdeath_signal > CRFS_NSIG)
		return "no such parent-death signal";
	if (!t->nr_threads || t->threads[0].t.tid != k->pid)
		return "its first thread is not its leader";
	if ((k->flags & CRFS_TASK_F_FUTEX_HASH) && t->nr_threads != 1)
		return "a futex hash of past threads with threads now";
	return NULL;
}

/*
 * Is the owner (F_SETOWN_EX) of description @f a process of the image
 * holding it too, the first of its descriptor table (the one that sets it
 * at the restore)?
 */
static bool cr_owner_holds(const struct cr_chk *c, const struct crfs_file *f)
{
	int64_t k = cr_model_find(c->m, CR_K_TASK, f->owner_pid);
	const struct cr_task *o = k >= 0 ? &c->m->tasks[k] : NULL;

	return o && o->fdt && o->fdt->pid == o->t.pid && o->t.fdtable_id &&
	       cr_img_held(c, f->id, o->t.fdtable_id);
}

/*
 * The owner of each description of @t's descriptors (F_SETOWN_EX) is
 * @t itself: its pid, its thread, the process group it leads after the
 * restore; or another process of the image holding the description.
 */
static int cr_task_owners(const struct cr_chk *c, const struct cr_task *t,
			  struct cr_err *e)
{
	int ret;

	if (!c->have_held) {
		ret = cr_img_held_index((struct cr_chk *)c, e);
		if (ret)
			return ret;
	}
	for (uint32_t i = 0; i < c->m->nr_fdts; i++) {
		const struct cr_fdtable *fdt = &c->m->fdts[i];

		if (fdt->t.id != t->t.fdtable_id)
			continue;
		for (uint32_t j = 0; j < fdt->nr_fds; j++) {
			int64_t k = cr_model_find(c->m, CR_K_FILE,
						  fdt->fds[j].d.file_id);
			const struct crfs_file *f;

			if (k < 0)
				continue;	/* FD rules: not here */
			f = &c->m->files[k].f;
			if (f->owner_type && f->owner_pid != t->t.pid &&
			    !cr_owner_holds(c, f))
				return cr_fail(e, EBADMSG, "pid %u: fd %u: "
					       "owner %u (type %u) is neither "
					       "the process nor one holding "
					       "the description", t->t.pid,
					       fdt->fds[j].d.fd, f->owner_pid,
					       f->owner_type);
		}
	}
	return 0;
}

/* TASK: pid, parent, state, objects, threads, limits. */
int cr_task_check(const struct cr_chk *c, const void *obj, struct cr_err *e)
{
	const struct cr_task *t = obj;
	const struct crfs_task *k = &t->t;
	const char *why;

	((struct cr_chk *)c)->task = t;
	((struct cr_chk *)c)->queue = &t->pending;
	((struct cr_chk *)c)->seen_std = 0;
	((struct cr_chk *)c)->rt = 0;
	if (k->pid < 1 || k->pid > CR_PID_MAX)
		return cr_fail(e, EBADMSG, "pid %u: not a pid (1 to %d)",
			       k->pid, CR_PID_MAX);
	if (k->dumpable > CR_DUMPABLE_MAX)
		return cr_fail(e, EBADMSG, "pid %u: dumpable %u: only 0 and 1 "
			       "can be set again", k->pid, k->dumpable);
	why = cr_task_why(t);
	if (why)
		return cr_fail(e, EBADMSG, "pid %u: %s", k->pid, why);
	if (k->state != CRFS_TASK_ALIVE && k->state != CRFS_TASK_STOPPED &&
	    k->state != CRFS_TASK_ZOMBIE)
		return cr_fail(e, k->state > CRFS_TASK_ZOMBIE || !k->state ?
			       EBADMSG : EOPNOTSUPP, "pid %u: state %u: only "
			       "running, sleeping, stopped or zombie "
			       "processes are supported", k->pid, k->state);
	if ((k->state == CRFS_TASK_STOPPED) != !!k->stop_signo ||
	    (k->stop_signo && k->stop_signo != SIGSTOP &&
	     k->stop_signo != SIGTSTP && k->stop_signo != SIGTTIN &&
	     k->stop_signo != SIGTTOU))
		return cr_fail(e, EBADMSG, "pid %u: state %u with stop "
			       "signal %u: a stopped process has SIGSTOP, "
			       "SIGTSTP, SIGTTIN or SIGTTOU, any other none",
			       k->pid, k->state, k->stop_signo);
	for (int i = 0; i < 3; i++)
		if (k->itimer[i].value_ns % CR_NSEC_PER_USEC ||
		    k->itimer[i].interval_ns % CR_NSEC_PER_USEC ||
		    k->itimer[i].value_ns > CR_TIME_NS_MAX ||
		    k->itimer[i].interval_ns > CR_TIME_NS_MAX)
			return cr_fail(e, EBADMSG, "pid %u: interval timer "
				       "%d: %" PRIu64 " ns every %" PRIu64
				       " ns: not whole microseconds a "
				       "setitimer() takes", k->pid, i,
				       (uint64_t)k->itimer[i].value_ns,
				       (uint64_t)k->itimer[i].interval_ns);
	if (t->nr_threads > CR_RST_THREADS_MAX)
		return cr_fail(e, EOPNOTSUPP, "pid %u: %u threads: "
			       "multi-threaded processes are not supported",
			       k->pid, t->nr_threads);
	for (int i = 0; i < CRFS_NR_RLIMITS; i++)
		if (k->rlim[i].cur > k->rlim[i].max)
			return cr_fail(e, EBADMSG, "pid %u: limit %d: soft "
				       "%" PRIu64 " above hard %" PRIu64,
				       k->pid, i, (uint64_t)k->rlim[i].cur,
				       (uint64_t)k->rlim[i].max);
	return cr_task_owners(c, t, e) ?: cr_img_evfd_task(c, t, e) ?:
	       cr_img_tty_task(c, t, e);
}

/*
 * CREDS: no id is -1, which setresuid() and friends take as "keep";
 * capability sets as the kernel keeps them (cr_creds_caps_why()).
 */
int cr_creds_check(const struct cr_chk *c, const void *obj, struct cr_err *e)
{
	const struct cr_task *t = obj;
	const struct crfs_creds *cr = &t->creds;
	const uint32_t ids[] = { cr->uid, cr->euid, cr->suid, cr->fsuid,
				 cr->gid, cr->egid, cr->sgid, cr->fsgid };
	const char *why = cr_creds_caps_why(cr);

	(void)c;
	if (why)
		return cr_fail(e, EBADMSG, "pid %u: credentials: %s",
			       t->t.pid, why);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (ids[i] == CR_ID_INVALID)
			return cr_fail(e, EBADMSG, "pid %u: credentials: id "
				       "%u is not valid", t->t.pid, ids[i]);
	for (uint32_t i = 0; i < cr->ngroups; i++)
		if (t->groups[i] == CR_ID_INVALID)
			return cr_fail(e, EBADMSG, "pid %u: supplementary "
				       "group %u is not valid", t->t.pid,
				       t->groups[i]);
	return 0;
}

/*
 * SIGPENDING: what the kernel can hold, and the restore can queue again:
 * a standard signal at most once a queue (the process's, the thread's),
 * real-time ones within RLIMIT_SIGPENDING; never SIGKILL or SIGSTOP,
 * which would kill or stop the process in the middle of its restore.
 */
int cr_sigpending_check(const struct cr_chk *c, const void *obj,
			struct cr_err *e)
{
	struct cr_chk *x = (struct cr_chk *)c;
	const struct crfs_sigpending *p = obj;
	uint64_t rt_max = c->task->t.rlim[RLIMIT_SIGPENDING].cur;
	uint64_t bit = p->signo >= 1 && p->signo <= CRFS_NSIG ?
		       1ULL << (p->signo - 1) : 0;
	const char *why = NULL;

	if (rt_max > CR_PENDING_RT_MAX)
		rt_max = CR_PENDING_RT_MAX;
	if (!bit)
		why = "no such signal";
	else if (p->signo == SIGKILL || p->signo == SIGSTOP)
		why = "SIGKILL and SIGSTOP cannot be queued again";
	else if (p->signo < CR_SIGRTMIN && (x->seen_std & bit))
		why = "a standard signal pending twice on one queue";
	else if (p->signo >= CR_SIGRTMIN && ++x->rt > rt_max)
		why = "more real-time signals than RLIMIT_SIGPENDING";
	if (why)
		return cr_fail(e, EBADMSG, "pid %u: pending signal %td "
			       "(signal %u, %s): %s", c->task->t.pid,
			       p - c->queue->sig + 1, p->signo,
			       p->tid ? "thread" : "process", why);
	x->seen_std |= bit;
	return 0;
}

/*
 * A scheduling policy a restore sets (SCHED_DEADLINE is refused), its
 * real-time priority (FIFO, RR: 1 to 99, the others 0), nice value, and
 * a CPU affinity with at least one CPU.
 */
static int cr_sched_check(const struct crfs_thread *t, struct cr_err *e)
{
	uint32_t pol = t->sched_policy & ~CR_SCHED_RESET_ON_FORK;
	bool rt = pol == CR_SCHED_FIFO || pol == CR_SCHED_RR;

	if ((pol > CR_SCHED_IDLE || pol == CR_SCHED_ISO) ||
	    (rt ? t->sched_priority < 1 || t->sched_priority > 99 :
	     t->sched_priority != 0) ||
	    t->sched_nice < -20 || t->sched_nice > 19)
		return cr_fail(e, EBADMSG, "pid %u: scheduling policy %#x, "
			       "priority %u, nice %d", t->tid, t->sched_policy,
			       t->sched_priority, t->sched_nice);
	for (int i = 0; i < CRFS_CPU_WORDS; i++)
		if (t->cpus_allowed[i])
			return 0;
	return cr_fail(e, EBADMSG, "pid %u: CPU affinity names no CPU",
		       t->tid);
}

/* THREAD: its alternate stack, rseq area, clear_child_tid, scheduling. */
int cr_thread_check(const struct cr_chk *c, const void *obj,
		    struct cr_err *e)
{
	const struct cr_thread *th = obj;
	const struct crfs_thread *t = &th->t;
	const struct cr_mm *mm = c->task->mm;

	((struct cr_chk *)c)->queue = &th->pending;
	((struct cr_chk *)c)->seen_std = 0;

	if (t->altstack_flags & ~CR_SS_FLAGS)
		return cr_fail(e, EBADMSG, "pid %u: alternate signal stack "
			       "flags 0x%x", t->tid, t->altstack_flags);
	if (!(t->altstack_flags & SS_DISABLE) &&
	    (t->altstack_size < CR_MINSIGSTKSZ ||
	     t->altstack_sp >= CR_TASK_SIZE ||
	     t->altstack_size > CR_TASK_SIZE - t->altstack_sp))
		return cr_fail(e, EBADMSG, "pid %u: alternate signal stack "
			       "0x%" PRIx64 " of %" PRIu64 " bytes", t->tid,
			       (uint64_t)t->altstack_sp,
			       (uint64_t)t->altstack_size);
	if (t->flags & CRFS_THREAD_F_SECCOMP_STRICT &&
	    (c->task->nr_threads > 1 || c->task->t.nr_threads > 1))
		return cr_fail(e, EOPNOTSUPP, "pid %u: thread %u: seccomp "
			       "strict mode in a multi-threaded process: not "
			       "restored", c->task->t.pid, t->tid);
	if (t->flags & ~(CRFS_THREAD_F_RSEQ | CRFS_THREAD_F_SECCOMP_STRICT) ||
	    !(t->flags & CRFS_THREAD_F_RSEQ) != !t->rseq_addr)
		return cr_fail(e, EBADMSG, "pid %u: thread flags 0x%x do not "
			       "match its rseq area", t->tid, t->flags);
	/* the kernel takes no level with class NONE; hints are not kept */
	if (CR_IOPRIO_CLASS(t->ioprio) > CR_IOPRIO_CLASS_IDLE ||
	    t->ioprio & CR_IOPRIO_HINTS ||
	    (!CR_IOPRIO_CLASS(t->ioprio) && t->ioprio))
		return cr_fail(e, EBADMSG, "pid %u: ioprio 0x%x: not a class "
			       "and level ioprio_set() takes", t->tid,
			       t->ioprio);
	if (t->rseq_addr && (t->rseq_addr % CR_RSEQ_MIN_LEN ||
			     t->rseq_len < CR_RSEQ_MIN_LEN ||
			     !cr_img_in_vma(mm, t->rseq_addr, t->rseq_len) ||
			     !(mm->vmas[cr_model_vma_find(mm, t->rseq_addr)].v.prot &
			       PROT_WRITE)))
		return cr_fail(e, EBADMSG, "pid %u: rseq area 0x%" PRIx64
			       " of %u bytes is not an aligned area inside a "
			       "writable mapping", t->tid,
			       (uint64_t)t->rseq_addr, t->rseq_len);
	if (t->clear_child_tid >= CR_TASK_SIZE)
		return cr_fail(e, EBADMSG, "pid %u: clear_child_tid 0x%" PRIx64
			       " is not a user address", t->tid,
			       (uint64_t)t->clear_child_tid);
	return cr_sched_check(t, e);
}

/*
 * Is @clock one a timer of @t can be created on again?  The fixed clocks
 * but the alarm ones, or the CPU clock of @t itself or of one of its
 * threads, by id (kept by a restore) or as "the caller" (id 0, what
 * CLOCK_PROCESS_CPUTIME_ID and _THREAD_CPUTIME_ID become); not another
 * process's, nor a clock of a descriptor.
 */
static bool cr_timer_clock_ok(const struct cr_task *t, int32_t clock)
{
	uint32_t id;

	if (clock >= 0)
		return clock == CR_CLOCK_REALTIME ||
		       clock == CR_CLOCK_MONOTONIC ||
		       clock == CR_CLOCK_PROCESS_CPU ||
		       clock == CR_CLOCK_THREAD_CPU ||
		       clock == CR_CLOCK_BOOTTIME || clock == CR_CLOCK_TAI;
	if ((clock & CR_CPUCLOCK_WHICH) == CR_CPUCLOCK_FD)
		return false;
	id = ~(uint32_t)(clock >> 3);	/* 0: the caller */
	if (!id || !(clock & CR_CPUCLOCK_PERTHREAD))
		return !id || id == t->t.pid;
	for (uint32_t i = 0; i < t->nr_threads; i++)
		if (t->threads[i].t.tid == id)
			return true;
	return false;
}

/*
 * TIMER: a clock, a notification and a signal timer_create() takes, for
 * the process or one of its threads; times a timer_settime() takes.
 */
int cr_timer_check(const struct cr_chk *c, const void *obj, struct cr_err *e)
{
	const struct crfs_timer *tm = obj;
	const struct cr_task *t = c->task;
	bool tid_ok = false;

	if (!cr_timer_clock_ok(t, tm->clock))
		return cr_fail(e, EOPNOTSUPP, "pid %u: timer %d: clock %d: "
			       "only CLOCK_REALTIME, _MONOTONIC, _BOOTTIME, "
			       "_TAI and the CPU clocks of the process and of "
			       "its threads can be restored", tm->pid,
			       tm->timer_id, tm->clock);
	/* The caller's: which thread made it, /proc does not tell. */
	if (tm->clock == CR_CLOCK_THREAD_CPU &&
	    (t->nr_threads > 1 || t->t.nr_threads > 1))
		return cr_fail(e, EOPNOTSUPP, "pid %u: timer %d: on "
			       "CLOCK_THREAD_CPUTIME_ID in a multi-threaded "
			       "process: the thread whose clock it is is not "
			       "known", tm->pid, tm->timer_id);
	for (uint32_t i = 0; i < t->nr_threads; i++)
		tid_ok |= t->threads[i].t.tid == tm->notify_tid;
	if (tm->notify != CR_SIGEV_SIGNAL && tm->notify != CR_SIGEV_NONE &&
	    tm->notify != CR_SIGEV_THREAD_ID)
		return cr_fail(e, EOPNOTSUPP, "pid %u: timer %d: notification "
			       "%d: only SIGEV_SIGNAL, SIGEV_NONE and "
			       "SIGEV_THREAD_ID can be restored", tm->pid,
			       tm->timer_id, tm->notify);
	if ((tm->notify == CR_SIGEV_THREAD_ID) != !!tm->notify_tid)
		return cr_fail(e, EBADMSG, "pid %u: timer %d: notification "
			       "%d with thread %u: a thread goes with "
			       "SIGEV_THREAD_ID only", tm->pid, tm->timer_id,
			       tm->notify, tm->notify_tid);
	if (tm->notify_tid && !tid_ok)
		return cr_fail(e, EBADMSG, "pid %u: timer %d: notification "
			       "to thread %u, which is not one of its own",
			       tm->pid, tm->timer_id, tm->notify_tid);
	if (tm->signo < 0 || tm->signo > CRFS_NSIG ||
	    (!tm->signo && tm->notify != CR_SIGEV_NONE))
		return cr_fail(e, EBADMSG, "pid %u: timer %d: signal %d",
			       tm->pid, tm->timer_id, tm->signo);
	if (tm->value_ns > CR_TIME_NS_MAX || tm->interval_ns > CR_TIME_NS_MAX)
		return cr_fail(e, EBADMSG, "pid %u: timer %d: %" PRIu64
			       " ns every %" PRIu64 " ns: beyond what "
			       "timer_settime() takes", tm->pid, tm->timer_id,
			       (uint64_t)tm->value_ns,
			       (uint64_t)tm->interval_ns);
	return 0;
}
