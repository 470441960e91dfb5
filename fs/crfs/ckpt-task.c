// SPDX-License-Identifier: GPL-2.0
/*
 * The process of the checkpoint: its TASK record (ids, limits, prctl
 * state), CREDS, each thread's THREAD record and its registers and XSAVE
 * area, read through the regsets ptrace uses (task_user_regset_view(),
 * regset_get()) once the frozen task is off its CPU: the same bytes as
 * PTRACE_GETREGSET gives the userspace engine.  And the IPC namespace of
 * the container (IPCNS), kept when it is its own and empty.
 */
#include <linux/cpumask.h>
#include <linux/cred.h>
#include <linux/elf.h>
#include <linux/futex.h>
#include <linux/ioprio.h>
#include <linux/ipc_namespace.h>
#include <linux/nsproxy.h>
#include <linux/pid_namespace.h>
#include <linux/regset.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/sched/coredump.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/securebits.h>
#include <linux/slab.h>
#include <linux/syscalls.h>
#include <asm/unistd.h>

#include "crfs.h"
#include "ckpt.h"

/* The kernel's restart codes (include/linux/errno.h), as ptrace shows them. */
#define CRFS_ERESTARTSYS		512
#define CRFS_ERESTARTNOINTR		513
#define CRFS_ERESTARTNOHAND		514
#define CRFS_ERESTART_RESTARTBLOCK	516

/* The namespace's ids[] (ipc/util.h): semaphores, messages, shared memory. */
enum { CRFS_NS_IPC_SEM, CRFS_NS_IPC_MSG, CRFS_NS_IPC_SHM };

/* struct user_regs_struct, by name: what fixes a system call's restart. */
enum { CRFS_R_AX = 10, CRFS_R_DX = 12, CRFS_R_ORIG_AX = 15 };

/* @t's IPC namespace, with a reference, or NULL: exiting. */
static struct ipc_namespace *crfs_ckpt_ipc_ns_get(struct task_struct *t)
{
	struct ipc_namespace *ns;

	task_lock(t);
	ns = t->nsproxy ? get_ipc_ns(t->nsproxy->ipc_ns) : NULL;
	task_unlock(t);
	return ns;
}

/**
 * crfs_ckpt_ipcns - the IPCNS record of a container with its own IPC namespace
 * @c: the checkpoint
 *
 * An IPC namespace of the root's own is kept (its sysctls) when it holds
 * no SysV object; one shared with the checkpointer is no record.  Every
 * other process is in the root's.
 * Return: 0, or a refusal with the reason in the error file.
 */
int crfs_ckpt_ipcns(struct crfs_ckpt *c)
{
	struct crfs_ipcns r = { 0 };
	struct ipc_namespace *ns;
	int ret = 0;

	ns = crfs_ckpt_ipc_ns_get(c->task);
	if (!ns)
		return crfs_ckpt_refuse(c, -ESRCH, "pid %d: exiting", c->pid);
#ifdef CONFIG_SYSVIPC
	/* what the list holds cannot be read: one is refused where it may hold */
	if (READ_ONCE(c->task->sysvsem.undo_list) && ns->ids[CRFS_NS_IPC_SEM].in_use) {
		ret = crfs_ckpt_refuse(c, -EOPNOTSUPP,
				       "pid %d: it has a SEM_UNDO list (semop() with SEM_UNDO, or threads, which share one) and its IPC namespace has semaphore sets: its semaphore adjustments cannot be read or restored",
				       c->pid);
		goto out_put;
	}
#endif
	if (c->cur_proc) {
		struct ipc_namespace *root = crfs_ckpt_ipc_ns_get(c->procs[0].task);

		if (!root)
			ret = crfs_ckpt_refuse(c, -ESRCH, "pid %d: exiting",
					       c->procs[0].pid);
		else if (ns != root)
			ret = crfs_ckpt_refuse(c, -EOPNOTSUPP,
					       "pid %d: an ipc namespace other than pid %d's: kernel: not yet",
					       c->pid, c->procs[0].pid);
		if (root)
			put_ipc_ns(root);
		goto out_put;
	}
	if (ns == current->nsproxy->ipc_ns)
		goto out_put;
	if (ns->ids[CRFS_NS_IPC_SEM].in_use || ns->ids[CRFS_NS_IPC_MSG].in_use ||
	    ns->ids[CRFS_NS_IPC_SHM].in_use || ns->mq_queues_count) {
		ret = crfs_ckpt_refuse(c, -EOPNOTSUPP,
				       "pid %d: ipc namespace: SysV objects or POSIX message queues: kernel: not yet",
				       c->pid);
		goto out_put;
	}
	r.shmmax = ns->shm_ctlmax;
	r.shmall = ns->shm_ctlall;
	r.shmmni = ns->shm_ctlmni;
	r.shm_rmid_forced = ns->shm_rmid_forced;
	r.msgmax = ns->msg_ctlmax;
	r.msgmnb = ns->msg_ctlmnb;
	r.msgmni = ns->msg_ctlmni;
	memcpy(r.sem, ns->sem_ctls, sizeof(r.sem));
	r.shm_next_id = ns->ids[CRFS_NS_IPC_SHM].next_id;
	r.msg_next_id = ns->ids[CRFS_NS_IPC_MSG].next_id;
	r.sem_next_id = ns->ids[CRFS_NS_IPC_SEM].next_id;
	ret = crfs_rec_put(c, CRFS_PART_IPCNS, CRFS_REC_IPCNS, &r, sizeof(r),
			   NULL, 0);
out_put:
	put_ipc_ns(ns);
	return ret;
}

/**
 * crfs_regset - the regset of a view by its note type
 * @view: the task's view (task_user_regset_view())
 * @note: NT_PRSTATUS, NT_X86_XSTATE, ...
 *
 * Return: the regset, or NULL.
 */
const struct user_regset *crfs_regset(const struct user_regset_view *view,
				      unsigned int note)
{
	unsigned int i;

	for (i = 0; i < view->n; i++)
		if (view->regsets[i].core_note_type == note)
			return &view->regsets[i];
	return NULL;
}

/*
 * A system call the task was in keeps its restart as the kernel holds it,
 * as the userspace engine does: but a restart through restart_syscall(),
 * whose block does not survive, returns EINTR (poll() without a timeout
 * restarts as itself).
 */
static void crfs_ckpt_fix_restart(u64 *r)
{
	if ((long)r[CRFS_R_ORIG_AX] < 0)
		return;
	switch (-(long)(int)r[CRFS_R_AX]) {
	case CRFS_ERESTARTNOHAND:
	case CRFS_ERESTARTSYS:
	case CRFS_ERESTARTNOINTR:
		return;
	case CRFS_ERESTART_RESTARTBLOCK:
		if (r[CRFS_R_ORIG_AX] == __NR_poll && (int)r[CRFS_R_DX] < 0) {
			r[CRFS_R_AX] = -CRFS_ERESTARTNOHAND;
			return;
		}
		r[CRFS_R_AX] = -EINTR;
		break;
	}
	r[CRFS_R_ORIG_AX] = -1;
}

/* The X86_REGS and X86_XSTATE records of thread @t, off its CPU. */
static int crfs_ckpt_regs(struct crfs_ckpt *c, struct task_struct *t,
			  const char *who, u32 tid)
{
	const struct user_regset_view *view = task_user_regset_view(t);
	bool xsave = boot_cpu_has(X86_FEATURE_OSXSAVE);
	const struct user_regset *rs;
	struct crfs_x86_regs regs = { .tid = tid };
	struct crfs_x86_xstate xs = { .tid = tid };
	u64 xfeatures;
	void *area;
	int n, ret;

	if (!wait_task_inactive(t, TASK_INTERRUPTIBLE))
		return crfs_ckpt_refuse(c, -EBUSY, "%s: still on a CPU", who);
	rs = crfs_regset(view, NT_PRSTATUS);
	if (!rs || rs->n * rs->size != sizeof(regs.r))
		return crfs_ckpt_refuse(c, -EOPNOTSUPP, "%s: registers: no regset of %zu bytes",
					who, sizeof(regs.r));
	n = regset_get(t, rs, sizeof(regs.r), regs.r);
	if (n != sizeof(regs.r))
		return crfs_ckpt_refuse(c, n < 0 ? n : -EIO, "%s: registers: cannot read them",
					who);
	crfs_ckpt_fix_restart(regs.r);
	ret = crfs_rec_put(c, CRFS_PART_TASK, CRFS_REC_X86_REGS, &regs,
			   sizeof(regs), NULL, 0);
	if (ret)
		return ret;

	rs = crfs_regset(view, xsave ? NT_X86_XSTATE : NT_PRFPREG);
	if (!rs)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP, "%s: FPU: no regset", who);
	/* the header's size, as the userspace engine asks PTRACE_GETREGSET */
	crfs_rec_xstate(&xfeatures, &xs.size);
	n = regset_get_alloc(t, rs, xs.size, &area);
	if (n < 0)
		return crfs_ckpt_refuse(c, n, "%s: FPU: cannot read its state", who);
	if (n != xs.size)
		ret = crfs_ckpt_refuse(c, -EOPNOTSUPP, "%s: FPU: %d bytes, expected %u",
				       who, n, xs.size);
	else
		ret = crfs_rec_put(c, CRFS_PART_TASK, CRFS_REC_X86_XSTATE, &xs,
				   sizeof(xs), area, xs.size);
	kvfree(area);
	return ret;
}

/* Thread @t's records: THREAD, its SIGPENDING, X86_REGS and X86_XSTATE. */
static int crfs_ckpt_thread(struct crfs_ckpt *c, struct task_struct *t)
{
	u32 tid = task_pid_nr_ns(t, c->pid_ns);
	struct crfs_thread th = { .pid = c->pid, .tid = tid };
	char who[CRFS_CKPT_WHO_LEN];
	int ret;

	crfs_ckpt_who(c, t, who, sizeof(who));

	if (t->rseq) {
		th.flags |= CRFS_THREAD_F_RSEQ;
		th.rseq_addr = (unsigned long)t->rseq;
		th.rseq_len = t->rseq_len;
		th.rseq_sig = t->rseq_sig;
	}
#ifdef CONFIG_SECCOMP
	if (t->seccomp.mode != SECCOMP_MODE_DISABLED)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP,
					"%s: seccomp: kernel: not yet", who);
#endif
	th.clear_child_tid = (unsigned long)t->clear_child_tid;
#ifdef CONFIG_FUTEX
	th.robust_list = (unsigned long)t->robust_list;
	th.robust_list_len = sizeof(struct robust_list_head);
#endif
	th.sched_policy = t->policy | (t->sched_reset_on_fork ? SCHED_RESET_ON_FORK : 0);
	th.sched_nice = task_nice(t);
	if (t->policy == SCHED_FIFO || t->policy == SCHED_RR)
		th.sched_priority = t->rt_priority;
	if (t->policy == SCHED_DEADLINE)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP,
					"pid %d: thread %d: scheduling policy SCHED_DEADLINE: its runtime, deadline and period are not saved",
					c->pid, tid);
#ifdef CONFIG_BLOCK
	/* what ioprio_get(IOPRIO_WHO_PROCESS) tells */
	task_lock(t);
	th.ioprio = __get_task_ioprio(t);
	task_unlock(t);
#endif
	bitmap_copy((unsigned long *)th.cpus_allowed,
		    cpumask_bits(t->cpus_ptr),
		    min_t(unsigned int, nr_cpu_ids, CRFS_CPU_WORDS * 64));
	bitmap_and((unsigned long *)th.cpus_allowed,
		   (unsigned long *)th.cpus_allowed, cpumask_bits(cpu_active_mask),
		   min_t(unsigned int, nr_cpu_ids, CRFS_CPU_WORDS * 64));
	get_task_comm(th.comm, t);
	/* its registers live on its stack, which a killed thread lets go */
	if (!try_get_task_stack(t))
		return crfs_ckpt_refuse(c, -ESRCH, "%s: killed during the checkpoint", who);
	ret = crfs_ckpt_thread_signals(c, t, &th, KSTK_ESP(t));
	if (!ret)
		ret = crfs_rec_put(c, CRFS_PART_TASK, CRFS_REC_THREAD, &th,
				   sizeof(th), NULL, 0);
	if (!ret)
		ret = crfs_ckpt_sigpending(c, tid);
	if (!ret)
		ret = crfs_ckpt_regs(c, t, who, tid);
	put_task_stack(t);
	return ret;
}

/* Thread @t's credentials as the CREDS record has them. */
static void crfs_ckpt_creds_of(struct crfs_ckpt *c, struct task_struct *t,
			       struct crfs_creds *r)
{
	struct user_namespace *ns = c->user_ns;
	const struct cred *cred;

	rcu_read_lock();
	cred = __task_cred(t);
	r->uid = from_kuid_munged(ns, cred->uid);
	r->euid = from_kuid_munged(ns, cred->euid);
	r->suid = from_kuid_munged(ns, cred->suid);
	r->fsuid = from_kuid_munged(ns, cred->fsuid);
	r->gid = from_kgid_munged(ns, cred->gid);
	r->egid = from_kgid_munged(ns, cred->egid);
	r->sgid = from_kgid_munged(ns, cred->sgid);
	r->fsgid = from_kgid_munged(ns, cred->fsgid);
	r->securebits = cred->securebits;
	r->cap_inh = cred->cap_inheritable.val;
	r->cap_prm = cred->cap_permitted.val;
	r->cap_eff = cred->cap_effective.val;
	r->cap_bnd = cred->cap_bset.val;
	r->cap_amb = cred->cap_ambient.val;
	r->ngroups = cred->group_info->ngroups;
	rcu_read_unlock();
}

/*
 * The supplementary groups of @t, each as the checkpointer's user
 * namespace sees it, into a buffer of ALIGN(4 * ngroups, 8) bytes
 * (kvfree()), or NULL with none; @n: how many.
 */
static u32 *crfs_ckpt_groups_of(struct crfs_ckpt *c, struct task_struct *t,
				unsigned int *n)
{
	struct group_info *gi;
	unsigned int i;
	u32 *g = NULL;

	rcu_read_lock();
	gi = get_group_info(__task_cred(t)->group_info);
	rcu_read_unlock();
	*n = gi->ngroups;
	if (*n) {
		g = kvzalloc(ALIGN(*n * sizeof(*g), 8), GFP_KERNEL);
		for (i = 0; g && i < *n; i++)
			g[i] = from_kgid_munged(c->user_ns, gi->gid[i]);
	}
	put_group_info(gi);
	return g;
}

/*
 * The CREDS record: ids, capabilities, securebits and the supplementary
 * groups after it.  A restore opens the files as the process (no file is
 * marked CRFS_FILE_F_PRIV here): one it opened with a privilege it has
 * dropped since fails that restore, naming it.  The image keeps them
 * once per process: every thread must have them.
 */
static int crfs_ckpt_creds(struct crfs_ckpt *c)
{
	struct crfs_creds r = { .pid = c->pid }, other = { .pid = c->pid };
	char who[CRFS_CKPT_WHO_LEN];
	unsigned int i, n, m;
	u32 *g, *h;
	int ret;

	crfs_ckpt_creds_of(c, c->task, &r);
	g = crfs_ckpt_groups_of(c, c->task, &n);
	if (n && !g)
		return -ENOMEM;
	for (i = 1; i < c->nr_threads; i++) {
		crfs_ckpt_creds_of(c, c->threads[i], &other);
		h = crfs_ckpt_groups_of(c, c->threads[i], &m);
		ret = memcmp(&r, &other, sizeof(r)) || m != n ||
		      (n && (!h || memcmp(g, h, n * sizeof(*g))));
		kvfree(h);
		if (ret) {
			kvfree(g);
			crfs_ckpt_who(c, c->threads[i], who, sizeof(who));
			return crfs_ckpt_refuse(c, -EOPNOTSUPP,
						"%s: credentials: other than its leader's: kernel: not yet",
						who);
		}
	}
	r.ngroups = n;
	ret = crfs_rec_put(c, CRFS_PART_TASK, CRFS_REC_CREDS, &r, sizeof(r),
			   g, ALIGN(n * sizeof(*g), 8));
	kvfree(g);
	return ret;
}

/* The TASK record's fields from the process and its signal struct. */
static void crfs_ckpt_task_fields(struct crfs_ckpt *c, struct crfs_task *r)
{
	struct task_struct *t = c->task;
	struct signal_struct *sig = t->signal;
	unsigned int i;

	r->pid = c->pid;
	r->ppid = c->procs[c->cur_proc].ppid;		/* 0: the root */
	r->parent_tid = c->procs[c->cur_proc].parent_tid;
	r->pgid = task_pgrp_nr_ns(t, c->pid_ns);
	r->sid = task_session_nr_ns(t, c->pid_ns);
	r->state = CRFS_TASK_ALIVE;
	r->exit_signal = t->exit_signal;
	r->mm_id = c->mm_id;
	r->fdtable_id = c->fdt_id;
	r->fs_id = c->fs_id;
	r->sighand_id = c->sighand_id;
	r->nr_threads = c->nr_threads;
	r->personality = t->personality;
	if (sig->is_child_subreaper)
		r->flags |= CRFS_TASK_F_CHILD_SUBREAPER;
	if (task_no_new_privs(t))
		r->flags |= CRFS_TASK_F_NO_NEW_PRIVS;
	r->dumpable = get_dumpable(c->mm);
	r->pdeath_signal = t->pdeath_signal;
	r->oom_score_adj = sig->oom_score_adj;
	r->timer_slack_ns = c->timer_slack;
	memcpy(r->itimer, c->itimer, sizeof(r->itimer));
	get_task_comm(r->comm, t);
	task_lock(t->group_leader);
	for (i = 0; i < CRFS_NR_RLIMITS && i < RLIM_NLIMITS; i++) {
		r->rlim[i].cur = sig->rlim[i].rlim_cur;
		r->rlim[i].max = sig->rlim[i].rlim_max;
	}
	task_unlock(t->group_leader);
}

/**
 * crfs_ckpt_task - the TASK record, CREDS, each thread's records, TIMERs
 * @c: the checkpoint, its other objects collected (their ids)
 *
 * The threads come in c->threads' order, the leader first.
 * Return: 0, or a refusal with the reason in the error file.
 */
int crfs_ckpt_task(struct crfs_ckpt *c)
{
	struct crfs_task r = { 0 };
	unsigned int i;
	int ret;

	crfs_ckpt_task_fields(c, &r);
	if (r.dumpable > 1)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP,
					"pid %d: dumpable %u (suid_dumpable): kernel: not yet",
					c->pid, r.dumpable);
	ret = crfs_rec_put(c, CRFS_PART_TASK, CRFS_REC_TASK, &r, sizeof(r),
			   NULL, 0);
	if (!ret)
		ret = crfs_ckpt_creds(c);
	if (!ret)
		ret = crfs_ckpt_sigpending(c, 0);
	for (i = 0; !ret && i < c->nr_threads; i++)
		ret = crfs_ckpt_thread(c, c->threads[i]);
	return ret ?: crfs_ckpt_timers(c);
}
