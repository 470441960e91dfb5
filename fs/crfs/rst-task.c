// SPDX-License-Identifier: GPL-2.0
/*
 * The processes of a restore: the plan of each (what of the TASK and
 * CREDS the kernel restores, checked before the process exists; its
 * threads': rst-thread.c), their making (kernel_clone() with set_tid,
 * the image's pid: the root by the writer, every other process by the
 * thread of its parent that forked it), the entry function of each (it
 * takes its session or group, builds its own address space, files, fs,
 * one process at a time, makes its other threads with their tids, each
 * of which sets its own state, and its children; then the writer moves
 * every process into the container, which is frozen first; each waits;
 * then joins a group another process leads, sets its signal state,
 * limits and prctl state, queues its pending signals again and arms its
 * interval timers, credentials last, each thread its own), while the
 * writer sets every thread's registers.
 *
 * ret_from_fork() zeroes rax after the entry function returns: a task
 * work, run on the way to user mode before the freezer holds the process
 * and before a system call's restart is decided, puts it back.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/delay.h>
#include <linux/elf.h>
#include <linux/futex.h>
#include <linux/iocontext.h>
#include <linux/ioprio.h>
#include <linux/key.h>
#include <linux/ipc_namespace.h>
#include <linux/hrtimer.h>
#include <linux/nsproxy.h>
#include <linux/oom.h>
#include <linux/personality.h>
#include <linux/pid.h>
#include <linux/posix-timers.h>
#include <linux/regset.h>
#include <linux/resource.h>
#include <linux/rseq.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seccomp.h>
#include <linux/security.h>
#include <linux/securebits.h>
#include <linux/slab.h>
#include <linux/stdarg.h>
#include <linux/syscalls.h>
#include <linux/task_work.h>
#include <linux/user_namespace.h>
#include <asm/segment.h>
#include <uapi/linux/sched/types.h>
#include <uapi/linux/wait.h>

#include "crfs.h"
#include "ckpt.h"
#include "rst.h"

/* The longest interval timer taken, in ns: what setitimer() takes. */
#define CRFS_RST_ITIMER_MAX	((u64)INT_MAX * NSEC_PER_SEC)

#define CRFS_RST_WAIT		(10 * HZ)

/**
 * crfs_rst_child_fail - the process fails its restore, saying why
 * @r: the restore
 * @err: a negative errno
 * @fmt: the reason, printf style: "pid P: OBJECT: why"
 *
 * Runs in the process; the writer returns @err from its write().
 * Return: @err.
 */
int crfs_rst_child_fail(struct crfs_rst *r, int err, const char *fmt, ...)
{
	char why[CRFS_ERROR_LEN];
	va_list args;

	/*
	 * The writer's write() returns it, and every later one: never an
	 * errno of the kernel's own (an interruptible wait in the process
	 * fails with ERESTARTSYS, the frozen container's pending trap making
	 * it "signalled"), nor EINTR, which a writer such as cat(1) takes for
	 * "try again", for ever: a process interrupted was killed, the
	 * restore called off.
	 */
	if ((err <= -ERESTARTSYS && err >= -ERESTART_RESTARTBLOCK) || err == -EINTR)
		err = -ECANCELED;
	else if (err == -ENOTSUPP)
		err = -EOPNOTSUPP;
	else if (err <= -ERESTARTSYS)
		err = -EIO;
	/* a failure the writer saw first (or its abort) keeps its reason */
	if (READ_ONCE(r->child_err) || READ_ONCE(r->abort) || READ_ONCE(r->err))
		return READ_ONCE(r->child_err) ?: err;
	/* the first of the threads to fail says why */
	if (cmpxchg(&r->child_err, 0, err))
		return READ_ONCE(r->child_err);
	va_start(args, fmt);
	vsnprintf(why, sizeof(why), fmt, args);
	va_end(args);
	crfs_ct_fail(r->ct, err, "restore: %s", why);
	return err;
}

/* What of the process the kernel restores; the rest refused. */
static const char *crfs_rst_plan_why(struct crfs_rst_proc *p)
{
	const struct crfs_task *t = &p->task;
	unsigned int i;

	if (t->state != CRFS_TASK_ALIVE || t->exit_code || t->stop_signo)
		return "stopped or a zombie: kernel: not yet";
	if (!valid_signal(t->exit_signal) || !valid_signal(t->pdeath_signal))
		return "a bad exit or parent death signal";
	if (t->pdeath_signal)
		return "a parent death signal (PR_SET_PDEATHSIG): kernel: not yet";
	if (t->flags & ~(CRFS_TASK_F_CHILD_SUBREAPER | CRFS_TASK_F_NO_NEW_PRIVS))
		return "a private futex hash or other flags: kernel: not yet";
	if (t->dumpable > SUID_DUMP_USER)
		return "dumpable 2 (suid_dumpable): kernel: not yet";
	if (t->oom_score_adj < OOM_SCORE_ADJ_MIN || t->oom_score_adj > OOM_SCORE_ADJ_MAX)
		return "a bad oom_score_adj";
	if ((t->personality & PER_MASK) != PER_LINUX)
		return "a personality other than PER_LINUX: kernel: not yet";
	for (i = 0; i < ARRAY_SIZE(t->itimer); i++)
		if (t->itimer[i].value_ns > CRFS_RST_ITIMER_MAX ||
		    t->itimer[i].interval_ns > CRFS_RST_ITIMER_MAX)
			return "a bad interval timer";
	for (i = 0; i < CRFS_NR_RLIMITS; i++)
		if (t->rlim[i].cur > t->rlim[i].max)
			return "a limit above its maximum";
	/* what the process would inherit from the writer that the image has not */
#ifdef CONFIG_SECCOMP
	if (current->seccomp.mode != SECCOMP_MODE_DISABLED)
		return "the writer runs under seccomp, which the process would inherit";
#endif
	if (task_no_new_privs(current) && !(t->flags & CRFS_TASK_F_NO_NEW_PRIVS))
		return "the writer has no_new_privs, which the process would inherit";
	if (current->policy != SCHED_NORMAL)
		return "the writer's scheduling policy is not SCHED_OTHER, which the process would inherit";
	return NULL;
}

/**
 * crfs_rst_plan_task - check the process, its threads and credentials
 * @p: the process of the restore, its model whole
 *
 * Also makes the credentials the process will have, and the task work
 * that gives each thread its rax back.
 * Return: 0, or a refusal with the reason in the error file.
 */
int crfs_rst_plan_task(struct crfs_rst_proc *p)
{
	struct crfs_rst *r = p->r;
	const char *why = crfs_rst_plan_why(p);
	struct crfs_rst_thread *t;
	unsigned int i;
	char buf[192];

	if (why)
		return crfs_rst_refuse(r, -EOPNOTSUPP, "pid %u: %s", p->task.pid, why);
	/* what the process would inherit from the writer, the image has not */
	why = crfs_task_settings_why(current, buf, sizeof(buf), false);
	if (why)
		return crfs_rst_refuse(r, -EOPNOTSUPP,
				       "pid %u: the writer's settings: %s, which the process would inherit",
				       p->task.pid, why);
	for (i = 0; i < p->nr_threads; i++) {
		t = &p->threads[i];
		why = crfs_rst_plan_thread_why(p, t);
		if (why && t == p->lead)
			return crfs_rst_refuse(r, -EOPNOTSUPP, "pid %u: %s", p->task.pid, why);
		if (why)
			return crfs_rst_refuse(r, -EOPNOTSUPP, "pid %u: thread %u: %s",
					       p->task.pid, t->th.tid, why);
		t->ax = kzalloc(sizeof(*t->ax), GFP_KERNEL);
		if (!t->ax)
			return -ENOMEM;
	}
	return crfs_rst_plan_creds(p);
}

/* Run on the way to user mode: rax as the image has it. */
static void crfs_rst_ax_fn(struct callback_head *head)
{
	struct crfs_rst_ax *w = container_of(head, struct crfs_rst_ax, work);

	if (!(current->flags & PF_EXITING))
		task_pt_regs(current)->ax = w->ax;
	kfree(w);
}

/* The IPC namespace's sysctls and next ids, in the process's new one. */
static void crfs_rst_ipcns(struct crfs_rst *r)
{
	struct ipc_namespace *ns = current->nsproxy->ipc_ns;
	const struct crfs_ipcns *i = &r->ipcns;

	ns->shm_ctlmax = i->shmmax;
	ns->shm_ctlall = i->shmall;
	ns->shm_ctlmni = i->shmmni;
	ns->shm_rmid_forced = i->shm_rmid_forced;
	ns->msg_ctlmax = i->msgmax;
	ns->msg_ctlmnb = i->msgmnb;
	ns->msg_ctlmni = i->msgmni;
	memcpy(ns->sem_ctls, i->sem, sizeof(ns->sem_ctls));
	ns->ids[0].next_id = i->sem_next_id;
	ns->ids[1].next_id = i->msg_next_id;
	ns->ids[2].next_id = i->shm_next_id;
}

/* Every signal's action, in the process. */
static int crfs_rst_sigactions(struct crfs_rst_proc *p)
{
	struct crfs_rst *r = p->r;
	const struct crfs_sigact *a;
	struct k_sigaction ka;
	int i, ret;

	for (i = 0; i < CRFS_NSIG && i < _NSIG; i++) {
		if (i + 1 == SIGKILL || i + 1 == SIGSTOP)
			continue;
		a = &p->sighand->act[i];
		memset(&ka, 0, sizeof(ka));
		ka.sa.sa_handler = (__sighandler_t)(unsigned long)a->handler;
		ka.sa.sa_flags = a->flags;
		ka.sa.sa_restorer = (__sigrestore_t)(unsigned long)a->restorer;
		ka.sa.sa_mask.sig[0] = a->mask;
		ret = do_sigaction(i + 1, &ka, NULL);
		if (ret)
			return crfs_rst_child_fail(r, ret, "pid %u: signal %d: bad action",
						   p->task.pid, i + 1);
	}
	return 0;
}

/* Limits (as setrlimit()) and the prctl state of the process. */
static int crfs_rst_limits(struct crfs_rst_proc *p)
{
	struct crfs_rst *r = p->r;
	const struct crfs_task *t = &p->task;
	struct rlimit rl;
	unsigned int i;
	int ret;

	for (i = 0; i < CRFS_NR_RLIMITS && i < RLIM_NLIMITS; i++) {
		rl.rlim_cur = t->rlim[i].cur;
		rl.rlim_max = t->rlim[i].max;
		ret = do_prlimit(current, i, &rl, NULL);
		if (ret)
			return crfs_rst_child_fail(r, ret, "pid %u: limit %u: cannot set %llu/%llu",
						   t->pid, i, t->rlim[i].cur, t->rlim[i].max);
	}
	if (t->flags & CRFS_TASK_F_CHILD_SUBREAPER) {
		current->signal->is_child_subreaper = 1;
		current->signal->has_child_subreaper = 1;
	}
	/* made before its ancestors became subreapers: fork() copies it */
	if (p->subreaper_above)
		current->signal->has_child_subreaper = 1;
	if (t->oom_score_adj < current->signal->oom_score_adj &&
	    !capable(CAP_SYS_RESOURCE))
		return crfs_rst_child_fail(r, -EPERM, "pid %u: oom_score_adj %d: not allowed",
					   t->pid, t->oom_score_adj);
	current->signal->oom_score_adj = t->oom_score_adj;
	return 0;
}

/* The last signal of @queue, or NULL; siglock held. */
static struct sigqueue *crfs_rst_sigq_tail(struct sigpending *queue)
{
	if (list_empty(&queue->list))
		return NULL;
	return list_last_entry(&queue->list, struct sigqueue, list);
}

/* The queued signals of queue @tid (0: the process's), in their order. */
static int crfs_rst_sigpending(struct crfs_rst_proc *p, u32 tid)
{
	struct crfs_rst *r = p->r;
	const struct crfs_sigpending *s;
	struct sigqueue *last, *q;
	struct sigpending *queue;
	kernel_siginfo_t info;
	unsigned int i;
	bool fatal;
	int ret;

	for (i = 0; i < p->nr_sigq; i++) {
		s = &p->sigq[i];
		if (s->tid != tid)
			continue;
		/* a timer's: its own entry (rst-timer.c) */
		ret = crfs_rst_timer_signal(p, s);
		if (ret <= 0) {
			if (ret)
				return ret;
			if (current->signal->flags & SIGNAL_GROUP_EXIT)
				return crfs_rst_child_fail(r, -EINVAL,
							   "pid %u: pending signal %u: not blocked, its default action kills the process",
							   p->task.pid, s->signo);
			continue;
		}
		/* kernel_siginfo_t is the head of the siginfo_t kept */
		memcpy(&info, s->siginfo, sizeof(info));
		queue = s->tid ? &current->pending : &current->signal->shared_pending;
		spin_lock_irq(&current->sighand->siglock);
		last = crfs_rst_sigq_tail(queue);
		ret = send_signal_locked(s->signo, &info, current,
					 s->tid ? PIDTYPE_PID : PIDTYPE_TGID);
		/* queued with its siginfo, not dropped or kept as a bit alone */
		q = crfs_rst_sigq_tail(queue);
		if (!ret && (q == last || q->info.si_signo != s->signo))
			ret = -EAGAIN;
		fatal = current->signal->flags & SIGNAL_GROUP_EXIT;
		spin_unlock_irq(&current->sighand->siglock);
		if (fatal)
			return crfs_rst_child_fail(r, -EINVAL,
						   "pid %u: pending signal %u: not blocked, its default action kills the process",
						   p->task.pid, s->signo);
		if (ret)
			return crfs_rst_child_fail(r, ret,
						   "pid %u: pending signal %u: cannot queue it again with its siginfo (RLIMIT_SIGPENDING, ignored, or twice)",
						   p->task.pid, s->signo);
	}
	return 0;
}

/* Is a SIGALRM among the queued signals of the image? */
static bool crfs_rst_alrm_queued(struct crfs_rst_proc *p)
{
	unsigned int i;

	for (i = 0; i < p->nr_sigq; i++)
		if (p->sigq[i].signo == SIGALRM)
			return true;
	return false;
}

/*
 * The interval timers, armed again relative to now, as setitimer() would:
 * ITIMER_REAL's hrtimer, ITIMER_VIRTUAL's and ITIMER_PROF's expiry in the
 * process's CPU time (without the tick set_cpu_itimer() adds: getitimer()
 * tells the time left the checkpoint read, not a tick more).  An
 * ITIMER_REAL with a period and no time left fired and its SIGALRM is
 * pending: the kernel arms it again when the signal is taken
 * (dequeue_signal()), so only its period is set, as the original had it;
 * without its SIGALRM in the image it is armed one period ahead.
 */
static void crfs_rst_itimers(struct crfs_rst_proc *p)
{
	static const unsigned int clk[3] = { 0, CPUCLOCK_VIRT, CPUCLOCK_PROF };
	const struct crfs_itimer *it = p->task.itimer;
	struct signal_struct *sig = current->signal;
	bool alrm = crfs_rst_alrm_queued(p);
	u64 nval, oval, real;
	unsigned int i;

	spin_lock_irq(&current->sighand->siglock);
	real = it[0].value_ns ?: (alrm ? 0 : it[0].interval_ns);
	sig->it_real_incr = ns_to_ktime(it[0].interval_ns);
	if (real)
		hrtimer_start(&sig->real_timer, ns_to_ktime(real), HRTIMER_MODE_REL);
	for (i = 1; i < 3; i++) {
		if (!it[i].value_ns)
			continue;
		nval = it[i].value_ns;
		oval = sig->it[clk[i]].expires;
		set_process_cpu_timer(current, clk[i], &nval, &oval);
		sig->it[clk[i]].expires = nval;
		sig->it[clk[i]].incr = it[i].interval_ns;
	}
	spin_unlock_irq(&current->sighand->siglock);
}

/*
 * A thread's last steps but its signals, once the leader has set the
 * signal actions and limits: its policy and affinity, its credentials.
 * Its queued signals follow (ignored, or fatal, or charged, as the
 * image's actions and limits say).
 */
static int crfs_rst_thread_creds(struct crfs_rst_thread *t)
{
	int ret = crfs_rst_thread_sched(t);

	if (ret)
		return ret;
	/* charged to the process's own user; each thread holds its own */
	commit_creds(get_new_cred(t->p->new_cred));
	return 0;
}

/*
 * The process's last steps, in its leader: signal actions, its own
 * thread's state, limits, its policy and credentials, the POSIX timers
 * (charged to the process's user, there before any of their signals is
 * queued); then (procset) every other thread's own last steps; its own
 * and the process's queued signals, the interval timers, and once every
 * thread has queued its signals the POSIX timers armed.  The other
 * threads set their state before (crfs_rst_thread_fn()): a process
 * signal goes to a thread whose mask is set.  Dumpable is set by the
 * writer once every thread has committed its credentials, which resets
 * it.
 */
static int crfs_rst_finish(struct crfs_rst_proc *p)
{
	int ret;

	ret = crfs_rst_sigactions(p);
	if (!ret)
		ret = crfs_rst_thread(p->lead);
	if (!ret)
		ret = crfs_rst_limits(p);
	if (!ret)
		ret = crfs_rst_thread_creds(p->lead);
	if (!ret)
		ret = crfs_rst_timers_make(p);
	if (ret)
		return ret;
	complete_all(&p->procset);
	ret = crfs_rst_sigpending(p, p->lead->th.tid);
	if (!ret)
		ret = crfs_rst_sigpending(p, 0);
	if (!ret)
		crfs_rst_itimers(p);
	if (!ret)
		ret = crfs_rst_timers_arm(p);
	return ret;
}

/* The process gives up: the writer is told, the process dies. */
static void __noreturn crfs_rst_child_exit(struct crfs_rst_proc *p, int err)
{
	struct crfs_rst *r = p->r;

	crfs_rst_child_fail(r, err, "pid %u: killed during the restore", p->task.pid);
	complete_all(&r->ready);
	complete_all(&p->procset);
	complete_all(&p->queued);
	complete_all(&r->finished);
	crfs_rst_put(r);
	do_exit(SIGKILL);
}

/* The thread's rax, put back on its way to user mode; then it is done. */
static void crfs_rst_thread_done(struct crfs_rst_thread *t)
{
	struct crfs_rst *r = t->p->r;
	struct crfs_rst_ax *ax = t->ax;

	t->ax = NULL;
	init_task_work(&ax->work, crfs_rst_ax_fn);
	if (task_work_add(current, &ax->work, TWA_SIGNAL)) {
		kfree(ax);
		crfs_rst_child_exit(t->p, -ESRCH);
	}
	complete(&r->finished);
	crfs_rst_put(r);
}

/* A thread other than the leader: made by it, it restores itself. */
static int crfs_rst_thread_fn(void *arg)
{
	struct crfs_rst_thread *t = arg;
	struct crfs_rst_proc *p = t->p;
	struct crfs_rst *r = p->r;
	int ret;

	/* its children first: they would inherit its mask, nice, ... */
	ret = crfs_rst_make_children(p, t->th.tid);
	/* its state (its mask too) before the leader's last steps */
	if (!ret)
		ret = crfs_rst_thread(t);
	if (ret)
		crfs_rst_child_exit(p, ret);
	complete(&r->ready);
	if (wait_for_completion_killable(&r->go) || READ_ONCE(r->abort) ||
	    wait_for_completion_killable(&p->procset) || READ_ONCE(r->abort))
		crfs_rst_child_exit(p, -EINTR);
	ret = crfs_rst_thread_creds(t);
	if (!ret)
		ret = crfs_rst_sigpending(p, t->th.tid);
	if (ret)
		crfs_rst_child_exit(p, ret);
	complete(&p->queued);
	crfs_rst_thread_done(t);
	return 0;
}

/* The leader makes the other threads, each with its tid; they wait. */
static int crfs_rst_make_threads(struct crfs_rst_proc *p)
{
	struct crfs_rst *r = p->r;
	struct crfs_rst_thread *t;
	struct kernel_clone_args args = {
		.flags		= CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
				  CLONE_THREAD | CLONE_SYSVSEM | CLONE_UNTRACED,
		.fn		= crfs_rst_thread_fn,
		.set_tid_size	= 1,
	};
	char who[CRFS_RST_WHO_LEN];
	unsigned int i;
	pid_t tid, nr;

	p->lead->task = get_task_struct(current);
	for (i = 0; i < p->nr_threads; i++) {
		t = &p->threads[i];
		if (t == p->lead)
			continue;
		tid = t->th.tid;
		args.set_tid = &tid;
		args.fn_arg = t;
		refcount_inc(&r->ref);		/* the thread's */
		nr = crfs_rst_clone(&args, who, sizeof(who));
		if (nr < 0) {
			crfs_rst_put(r);
			if (nr == -EBUSY)
				return crfs_rst_child_fail(r, nr, "pid %u: thread %u: the tid is in use by %s",
							   p->task.pid, tid, who);
			return crfs_rst_child_fail(r, nr, "pid %u: thread %u: cannot make it",
						   p->task.pid, tid);
		}
		t->task = find_get_task_by_vpid(nr);
		if (!t->task)
			return crfs_rst_child_fail(r, -ESRCH, "pid %u: thread %u: gone as soon as made",
						   p->task.pid, tid);
	}
	return 0;
}

/* The address space and files, one process at a time: FILEs they share. */
static int crfs_rst_build(struct crfs_rst_proc *p)
{
	struct crfs_rst *r = p->r;
	int ret;

	if (mutex_lock_killable(&r->build))
		return -EINTR;
	ret = crfs_rst_build_mm(p);
	if (!ret)
		ret = crfs_rst_build_files(p);
	mutex_unlock(&r->build);
	return ret;
}

/**
 * crfs_rst_child - a process's entry function: it restores itself, then
 * user mode
 * @arg: its crfs_rst_proc
 *
 * Return: 0, to user mode (it does not return on failure).
 */
int crfs_rst_child(void *arg)
{
	struct crfs_rst_proc *p = arg;
	struct crfs_rst *r = p->r;
	int ret;

	if ((p == r->procs && wait_for_completion_killable(&r->start)) ||
	    READ_ONCE(r->abort))
		crfs_rst_child_exit(p, -EINTR);
	ret = crfs_rst_own_groups(p);
	if (ret)
		crfs_rst_child_exit(p, ret);
	if (p == r->procs && r->have_ipcns)
		crfs_rst_ipcns(r);
	ret = crfs_rst_build(p);
	if (!ret)
		ret = crfs_rst_make_threads(p);
	if (!ret)
		ret = crfs_rst_make_children(p, p->task.pid);
	if (!ret)
		ret = crfs_rst_make_helpers(p);
	if (ret)
		crfs_rst_child_exit(p, ret);
	complete(&r->ready);
	if (wait_for_completion_killable(&r->go) || READ_ONCE(r->abort))
		crfs_rst_child_exit(p, -EINTR);
	ret = crfs_rst_join_group(p);
	if (!ret)
		ret = crfs_rst_finish(p);
	if (ret)
		crfs_rst_child_exit(p, ret);
	crfs_rst_thread_done(p->lead);
	return 0;
}

/**
 * crfs_rst_spawn - make the tree: the pids, in the frozen container
 * @r: the restore, its plan checked
 *
 * The writer makes the root; each process makes its children.  Returns
 * once every process has built its address space and files, made its
 * other threads and its children, and each thread has set its own state.
 * Return: 0, or the errno with the reason in the error file.
 */
int crfs_rst_spawn(struct crfs_rst *r)
{
	struct crfs_rst_proc *p, *root = r->procs;
	pid_t pid = root->task.pid;
	bool pidns = r->hdr.features & CRFS_FEAT_PIDNS;
	struct kernel_clone_args args = {
		.flags		= CLONE_VM | CLONE_UNTRACED | (r->have_ipcns ? CLONE_NEWIPC : 0) |
				  (pidns ? CLONE_NEWPID : 0),
		.exit_signal	= root->task.exit_signal,
		.fn		= crfs_rst_child,
		.fn_arg		= root,
		/* pid 1 of a new pid namespace: no set_tid; its pid here is any */
		.set_tid	= pidns ? NULL : &pid,
		.set_tid_size	= pidns ? 0 : 1,
	};
	char who[CRFS_RST_WHO_LEN];
	unsigned int i;
	pid_t nr;
	int ret;

	r->made = true;
	ret = crfs_cgroup_freeze(r->ct->cgrp, true);
	if (ret)
		return crfs_rst_refuse(r, ret, "%s: cannot freeze it", r->ct->name);
	r->froze = true;
	refcount_inc(&r->ref);		/* the process's, put when done with r */
	nr = crfs_rst_clone(&args, who, sizeof(who));
	if (nr < 0) {
		crfs_rst_put(r);
		if (nr == -EBUSY)
			return crfs_rst_refuse(r, nr, "pid %u is in use by %s", pid, who);
		return crfs_rst_refuse(r, nr, "pid %u: cannot make it", pid);
	}
	root->proc = find_get_task_by_vpid(nr);
	if (!root->proc)
		return crfs_rst_refuse(r, -ESRCH, "pid %u: gone as soon as made", pid);
	/*
	 * Into the frozen container once the whole tree is made: a task
	 * there has the freezer's trap pending, and fork() fails while a
	 * signal is (copy_process()).  Until it leaves its entry function
	 * nothing of a process runs in user mode.
	 */
	complete(&r->start);
	/* each thread of each process and each helper once, or one failure for all */
	for (i = 0; i < r->nr_tasks + r->nr_helpers; i++)
		if (wait_for_completion_killable(&r->ready))
			return crfs_rst_refuse(r, -EINTR, "pid %u: the writer was killed", pid);
	ret = READ_ONCE(r->child_err);
	if (ret) {
		r->err = ret;	/* the process said why */
		return ret;
	}
	for (p = root; p < r->procs + r->nr_procs; p++) {
		ret = crfs_cgroup_attach(r->ct->cgrp, task_pid_vnr(p->proc));
		if (ret)
			return crfs_rst_refuse(r, ret, "pid %u: cannot move it into %s",
					       p->task.pid, r->ct->name);
		p->task_mm = get_task_mm(p->proc);
		if (!p->task_mm)
			return crfs_rst_refuse(r, -ESRCH, "pid %u: no address space",
					       p->task.pid);
	}
	return 0;
}

/* Is the container frozen, or empty (the process died)? */
static bool crfs_rst_settled(struct crfs_rst *r)
{
	struct crfs_cgroup_status st;

	crfs_cgroup_status(r->ct->cgrp, &st);
	return st.frozen || !st.populated;
}

/**
 * crfs_rst_complete - at END: registers, the last steps, frozen
 * @r: the restore, the processes waiting, their pages written
 *
 * Return: 0 once the tree is restored and frozen, or the errno with the
 * reason in the error file.
 */
int crfs_rst_complete(struct crfs_rst *r)
{
	u32 pid = r->procs[0].task.pid;
	struct crfs_cgroup_status st;
	struct crfs_rst_proc *p;
	unsigned int i;
	long left;
	int ret;

	for (p = r->procs; p < r->procs + r->nr_procs; p++)
		for (i = 0; i < p->nr_threads; i++) {
			ret = crfs_rst_regs(p, &p->threads[i]);
			if (ret)
				return ret;
		}
	complete_all(&r->go);
	/* each thread once, or one failure for all (complete_all()) */
	for (i = 0; i < r->nr_tasks; i++)
		if (wait_for_completion_killable(&r->finished))
			return crfs_rst_refuse(r, -EINTR, "pid %u: the writer was killed", pid);
	ret = READ_ONCE(r->child_err);
	if (ret) {
		r->err = ret;
		return ret;
	}
	/* after every thread's commit_creds(), which may reset it */
	for (p = r->procs; p < r->procs + r->nr_procs; p++)
		set_dumpable(p->task_mm, p->task.dumpable);
	left = wait_event_killable_timeout(r->ct->wait, crfs_rst_settled(r),
					   CRFS_RST_WAIT);
	if (left < 0)
		return crfs_rst_refuse(r, -EINTR, "pid %u: the writer was killed", pid);
	crfs_cgroup_status(r->ct->cgrp, &st);
	if (!st.populated)
		return crfs_rst_refuse(r, -ESRCH, "pid %u: died before it froze", pid);
	if (!st.frozen)
		return crfs_rst_refuse(r, -ETIMEDOUT, "pid %u: not frozen after 10 s", pid);
	/* frozen, but each one there (a process killed from outside is not) */
	for (p = r->procs; p < r->procs + r->nr_procs; p++)
		if (READ_ONCE(p->proc->exit_state) ||
		    READ_ONCE(p->proc->signal->flags) & SIGNAL_GROUP_EXIT)
			return crfs_rst_refuse(r, -ESRCH, "pid %u: died before it froze",
					       p->task.pid);
	return 0;
}
