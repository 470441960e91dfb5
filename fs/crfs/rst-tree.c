// SPDX-License-Identifier: GPL-2.0
/*
 * The tree of a restore: each TASK bound to its objects and its parent
 * (crfs_rst_bind()); the plan (the session and group each process gets,
 * a helper for each group whose leader is not in the image); in the processes, their sessions and groups
 * taken and joined (as setsid() and setpgid() do, for the caller), the
 * children each thread forked made again (kernel_clone() with set_tid,
 * their entry function crfs_rst_child()), the helpers made, waited for
 * and reaped; and the kill of the tree when the restore fails.
 *
 * A helper (as crfs-fuse's) is a process with the pid of a group whose
 * leader exited: made by the first process of the group's session, it
 * leads the group until every member has joined it (after go: every
 * process exists by then), then exits without a signal to its maker,
 * which reaps it (a wait that does not sleep: the freezer's trap of the
 * container is pending on the maker).  It never runs in user mode.
 */
#include <linux/delay.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/syscalls.h>
#include <uapi/linux/wait.h>

#include "crfs.h"
#include "ckpt.h"
#include "rst.h"

/**
 * crfs_rst_bind - a TASK just read: its objects, its parent
 * @r: the restore
 * @p: the process, its TASK and those before read
 *
 * Each object (MM, FDTABLE, FS, SIGHAND) must be this process's alone;
 * the parent a process before it, the thread that made it one of the
 * parent's.
 * Return: why not, or NULL.
 */
const char *crfs_rst_bind(struct crfs_rst *r, struct crfs_rst_proc *p)
{
	const struct crfs_task *t = &p->task;
	struct crfs_rst_proc *q;
	unsigned int i;

	for (i = 0; i < r->nr_mms; i++)
		if (r->mms[i].mm.id == t->mm_id) {
			p->mm = &r->mms[i].mm;
			p->vmas = r->mms[i].vmas;
			p->nr_vmas = r->mms[i].nr_vmas;
		}
	for (i = 0; i < r->nr_fdts; i++)
		if (r->fdts[i].fdt.id == t->fdtable_id) {
			p->fdt = &r->fdts[i].fdt;
			p->fds = r->fdts[i].fds;
			p->nr_fds = r->fdts[i].nr_fds;
		}
	for (i = 0; i < r->nr_fss; i++)
		if (r->fss[i].id == t->fs_id)
			p->fs = &r->fss[i];
	for (i = 0; i < r->nr_sighands; i++)
		if (r->sighands[i]->id == t->sighand_id)
			p->sighand = r->sighands[i];
	if (!p->mm || !p->fdt || !p->fs || !p->sighand)
		return "refers to no address space, fd table, fs or signal handlers of the image";
	for (q = r->procs; q < p; q++) {
		if (q->task.pid == t->pid)
			return "twice in the image";
		if (q->mm == p->mm)
			return "an address space shared with another process (CLONE_VM, vfork): kernel: not yet";
		if (q->fdt == p->fdt)
			return "an fd table shared with another process (CLONE_FILES): kernel: not yet";
		if (q->fs == p->fs)
			return "an fs shared with another process (CLONE_FS): kernel: not yet";
		if (q->sighand == p->sighand)
			return "signal actions shared with another process (CLONE_SIGHAND): kernel: not yet";
		if (q->task.pid == t->ppid)
			p->parent = q;
	}
	if (p == r->procs && (t->ppid || t->parent_tid))
		return "the first process (the root) has a parent in the image";
	if (p == r->procs && r->hdr.features & CRFS_FEAT_PIDNS && t->pid != 1)
		return "the first process (the root) of a pid namespace of its own is not pid 1";
	if (p != r->procs && !p->parent)
		return "its parent is not a process before it in the image";
	if (!t->parent_tid)
		return NULL;
	for (i = 0; i < p->parent->nr_threads; i++)
		if (p->parent->threads[i].th.tid == t->parent_tid)
			return NULL;
	return "the thread that made it is no thread of its parent";
}

/* The helper of group @pgid in session @sid, made on first use. */
static struct crfs_rst_helper *crfs_rst_helper_of(struct crfs_rst *r, u32 pgid, u32 sid)
{
	struct crfs_rst_helper *h;
	struct crfs_rst_proc *q;

	for (h = r->helpers; h < r->helpers + r->nr_helpers; h++)
		if (h->pgid == pgid)
			return h->sid == sid ? h : NULL;
	/* the first process of the session makes it: it is in it by then */
	for (q = r->procs; q->sid != sid; q++)
		;
	h = &r->helpers[r->nr_helpers++];
	h->r = r;
	h->maker = q;
	h->pgid = pgid;
	h->sid = sid;
	init_completion(&h->joined);
	return h;
}

/*
 * The session and group each process gets: the root's (a session and a
 * group of its own, as crfs-fuse's root has) stand for those of the
 * image's root; a group whose leader is not in the image gets a helper.
 */
static const char *crfs_rst_plan_groups(struct crfs_rst *r, struct crfs_rst_proc *p)
{
	struct crfs_rst_proc *q;

	if (p == r->procs)
		return NULL;
	if (!p->sid || !p->pgid)
		return "a process group or session 0 other than the root's";
	if (p->sid != p->task.pid && p->sid != p->parent->sid)
		return "a session neither its own nor its parent's";
	if (p->pgid == p->task.pid)
		return NULL;
	for (q = r->procs; q < r->procs + r->nr_procs; q++)
		if (q->task.pid == p->pgid)
			break;
	if (q == r->procs + r->nr_procs) {
		p->helper = crfs_rst_helper_of(r, p->pgid, p->sid);
		if (!p->helper)
			return "its process group (its leader gone) spans two sessions";
		p->helper->nr_members++;
		return NULL;
	}
	if (q == p || q->pgid != p->pgid || q->sid != p->sid)
		return "its process group's leader leads no group of its session";
	return NULL;
}

/*
 * The root's session and group stand for its own (setsid()): one another
 * process of the image leads cannot.  A root other than the writer's
 * (chroot) would be the root of the lookups of every child it makes (a
 * copy of its fs).
 */
static const char *crfs_rst_plan_root(struct crfs_rst *r, struct crfs_rst_proc *p)
{
	const struct crfs_task *root = &r->procs[0].task;
	struct crfs_rst_file *rf = crfs_rst_file_by_id(r, p->fs->root_file_id);
	struct crfs_rst_proc *q;

	for (q = p + 1; strcmp(rf->path, "/") && q < r->procs + r->nr_procs; q++)
		if (q->parent == p)
			return "a root other than the writer's (chroot), and children: kernel: not yet";
	if (p != r->procs)
		return NULL;
	for (q = r->procs + 1; q < r->procs + r->nr_procs; q++)
		if (q->task.pid == root->pgid || q->task.pid == root->sid)
			return "in a process group or session another process of the image leads: kernel: not yet";
	return NULL;
}

/**
 * crfs_rst_plan_tree - the sessions and groups of the tree
 * @r: the restore, its model whole
 *
 * Return: 0, or a refusal with the reason in the error file.
 */
int crfs_rst_plan_tree(struct crfs_rst *r)
{
	const struct crfs_task *root = &r->procs[0].task;
	struct crfs_rst_proc *p;
	const char *why;

	r->helpers = kvcalloc(r->nr_procs, sizeof(*r->helpers), GFP_KERNEL);
	if (!r->helpers)
		return -ENOMEM;
	for (p = r->procs; p < r->procs + r->nr_procs; p++) {
		p->sid = p->task.sid == root->sid ? root->pid : p->task.sid;
		p->pgid = p->task.pgid == root->pgid ? root->pid : p->task.pgid;
		p->subreaper_above = p->parent &&
				     (p->parent->subreaper_above ||
				      p->parent->task.flags & CRFS_TASK_F_CHILD_SUBREAPER);
	}
	for (p = r->procs; p < r->procs + r->nr_procs; p++) {
		why = crfs_rst_plan_root(r, p);
		if (!why)
			why = crfs_rst_plan_groups(r, p);
		if (why)
			return crfs_rst_refuse(r, strstr(why, "not yet") ? -EOPNOTSUPP : -EINVAL,
					       "pid %u: %s", p->task.pid, why);
	}
	return 0;
}

/* How long a pid a dying process (or a zombie) holds is waited for. */
#define CRFS_RST_PID_WAIT_MS	5000

/*
 * What holds pid @nr of the maker's pid namespace, in words into @who (a
 * TASK_COMM_LEN name and some); true while it is going (exiting, a
 * zombie, gone meanwhile): the pid will be free.
 */
static bool crfs_rst_pid_going(pid_t nr, char *who, size_t len)
{
	char comm[TASK_COMM_LEN] = "?";
	struct task_struct *t;
	bool going = true;
	struct pid *pid;

	rcu_read_lock();
	t = find_task_by_vpid(nr);
	if (t) {
		__get_task_comm(comm, sizeof(comm), t);
		going = t->exit_state || (t->flags & PF_EXITING);
		snprintf(who, len, "%s process (%s)", going ? "a dying" : "another", comm);
	} else {
		/* no task of that pid: a group or session whose leader left */
		pid = find_vpid(nr);
		t = pid ? pid_task(pid, PIDTYPE_PGID) ?: pid_task(pid, PIDTYPE_SID) : NULL;
		if (t) {
			__get_task_comm(comm, sizeof(comm), t);
			going = false;
		}
		snprintf(who, len, "the process group or session of another process (%s)", comm);
	}
	rcu_read_unlock();
	return going;
}

/**
 * crfs_rst_clone - kernel_clone() of a process or thread with the pid
 *	*@args->set_tid asks for
 * @args: the clone's
 * @who: what holds the pid, in words, when the result is -EBUSY
 * @len: its size
 *
 * A pid a dying process or a zombie holds is waited for, up to
 * CRFS_RST_PID_WAIT_MS (as crfs-fuse does): the reaper of a killed
 * process may be late.  A live holder fails the clone at once.
 *
 * Return: the pid made, -EBUSY (@who says what holds it) or another
 * negative errno.
 */
pid_t crfs_rst_clone(struct kernel_clone_args *args, char *who, size_t len)
{
	unsigned long end = jiffies + msecs_to_jiffies(CRFS_RST_PID_WAIT_MS);
	unsigned int nap = 1;
	bool going;
	size_t n;
	pid_t nr;

	for (;;) {
		nr = kernel_clone(args);
		if (nr != -EEXIST || !args->set_tid)
			return nr;
		going = crfs_rst_pid_going(args->set_tid[0], who, len);
		if (!going || time_after(jiffies, end)) {
			n = strnlen(who, len);
			if (going && n < len)
				snprintf(who + n, len - n, ", still after %d ms",
					 CRFS_RST_PID_WAIT_MS);
			return -EBUSY;
		}
		if (fatal_signal_pending(current))
			return -EINTR;
		/* not interruptible: the freezer's trap may be pending here */
		msleep(nap);
		nap = min(nap * 2, 20U);
	}
}

/*
 * setpgid(0, @pgid) of process @pid (current, its leader), as the system
 * call does it for itself: its own group, or one of its session.
 */
static int crfs_rst_setpgid(struct crfs_rst *r, pid_t pid, pid_t pgid)
{
	struct task_struct *g;
	struct pid *pgrp;
	int err = -EPERM;

	rcu_read_lock();
	write_lock_irq(&tasklist_lock);
	pgrp = pgid == pid ? task_pid(current) : find_vpid(pgid);
	g = pgid == pid ? current : pid_task(pgrp, PIDTYPE_PGID);
	if (!current->signal->leader && g &&
	    task_session(g) == task_session(current)) {
		err = security_task_setpgid(current, pgid);
		if (!err && task_pgrp(current) != pgrp)
			change_pid(current, PIDTYPE_PGID, pgrp);
	}
	write_unlock_irq(&tasklist_lock);
	rcu_read_unlock();
	if (err)
		return crfs_rst_child_fail(r, err, "pid %d: process group %d: cannot join it",
					   pid, pgid);
	return 0;
}

/**
 * crfs_rst_own_groups - the session or group the process leads
 * @p: the process (current, its leader), first thing: its children
 *	inherit them
 *
 * The root leads a session of its own, as crfs-fuse's root does.
 * Return: 0, or the errno with the reason in the error file.
 */
int crfs_rst_own_groups(struct crfs_rst_proc *p)
{
	int ret = 0;

	if (p == p->r->procs || p->sid == p->task.pid) {
		ret = ksys_setsid();
		if (ret < 0)
			return crfs_rst_child_fail(p->r, ret, "pid %u: setsid: failed",
						   p->task.pid);
		return 0;
	}
	if (p->pgid == p->task.pid)
		ret = crfs_rst_setpgid(p->r, p->task.pid, p->pgid);
	return ret;
}

/**
 * crfs_rst_make_children - the children a thread of the process forked
 * @p: the process
 * @tid: the thread (current): its parent_tid (0 for the leader: its pid)
 *
 * Each with its pid and exit signal; each builds itself.
 * Return: 0, or the errno with the reason in the error file.
 */
int crfs_rst_make_children(struct crfs_rst_proc *p, u32 tid)
{
	struct crfs_rst *r = p->r;
	struct kernel_clone_args args = {
		.flags		= CLONE_VM | CLONE_UNTRACED,
		.fn		= crfs_rst_child,
		.set_tid_size	= 1,
	};
	char who[CRFS_RST_WHO_LEN];
	struct crfs_rst_proc *q;
	struct task_struct *task;
	pid_t pid, nr;

	for (q = p + 1; q < r->procs + r->nr_procs; q++) {
		if (q->parent != p || (q->task.parent_tid ?: p->task.pid) != tid)
			continue;
		pid = q->task.pid;
		args.set_tid = &pid;
		args.exit_signal = q->task.exit_signal;
		args.fn_arg = q;
		refcount_inc(&r->ref);		/* the process's */
		nr = crfs_rst_clone(&args, who, sizeof(who));
		if (nr < 0) {
			crfs_rst_put(r);
			if (nr == -EBUSY)
				return crfs_rst_child_fail(r, nr, "pid %u is in use by %s", pid, who);
			return crfs_rst_child_fail(r, nr, "pid %u: cannot make it", pid);
		}
		task = find_get_task_by_vpid(nr);
		if (!task)
			return crfs_rst_child_fail(r, -ESRCH, "pid %u: gone as soon as made", pid);
		/* whole before crfs_rst_kill() sees it */
		smp_store_release(&q->proc, task);
	}
	return 0;
}

/*
 * A helper's entry function: it leads its group, and once every member
 * has joined it exits, never in user mode.
 */
static int crfs_rst_helper(void *arg)
{
	struct crfs_rst_helper *h = arg;
	struct crfs_rst *r = h->r;
	unsigned int i;
	int ret;

	ret = crfs_rst_setpgid(r, h->pgid, h->pgid);
	if (ret)
		complete_all(&r->ready);
	else
		complete(&r->ready);
	if (!ret && (wait_for_completion_killable(&r->go) || READ_ONCE(r->abort)))
		ret = -EINTR;
	for (i = 0; !ret && i < h->nr_members; i++)
		if (wait_for_completion_killable(&h->joined) || READ_ONCE(r->abort))
			ret = -EINTR;
	crfs_rst_put(r);
	do_exit(0);
}

/**
 * crfs_rst_make_helpers - the helpers the process makes
 * @p: the process (current, its leader)
 *
 * Each with the pid of its group and no exit signal (the process is told
 * nothing of its end); they wait.
 * Return: 0, or the errno with the reason in the error file.
 */
int crfs_rst_make_helpers(struct crfs_rst_proc *p)
{
	struct crfs_rst *r = p->r;
	struct kernel_clone_args args = {
		.flags		= CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_UNTRACED,
		.fn		= crfs_rst_helper,
		.set_tid_size	= 1,
	};
	char who[CRFS_RST_WHO_LEN];
	struct crfs_rst_helper *h;
	struct task_struct *task;
	pid_t pid, nr;

	for (h = r->helpers; h < r->helpers + r->nr_helpers; h++) {
		if (h->maker != p)
			continue;
		pid = h->pgid;
		args.set_tid = &pid;
		args.fn_arg = h;
		refcount_inc(&r->ref);		/* the helper's */
		nr = crfs_rst_clone(&args, who, sizeof(who));
		if (nr < 0) {
			crfs_rst_put(r);
			if (nr == -EBUSY)
				return crfs_rst_child_fail(r, nr, "pid %u: process group %u: its pid is in use by %s",
							   p->task.pid, pid, who);
			return crfs_rst_child_fail(r, nr, "pid %u: process group %u: cannot make a process to lead it",
						   p->task.pid, pid);
		}
		task = find_get_task_by_vpid(nr);
		if (!task)
			return crfs_rst_child_fail(r, -ESRCH, "pid %u: process group %u: its leader gone as soon as made",
						   p->task.pid, pid);
		/* whole before crfs_rst_kill() sees it */
		smp_store_release(&h->task, task);
	}
	return 0;
}

/*
 * The helpers the process made, reaped once each is gone (its members
 * joined): a wait without sleeping, the process's signals untouched (the
 * freezer's trap of its container is pending).
 */
static int crfs_rst_reap_helpers(struct crfs_rst_proc *p)
{
	struct crfs_rst *r = p->r;
	struct crfs_rst_helper *h;
	long ret;
	int i;

	for (h = r->helpers; h < r->helpers + r->nr_helpers; h++) {
		if (h->maker != p)
			continue;
		for (i = 0; i < 500; i++) {
			ret = kernel_wait4(h->pgid, NULL, WNOHANG | __WALL, NULL);
			if (ret)
				break;
			if (fatal_signal_pending(current) || READ_ONCE(r->abort))
				return -EINTR;
			msleep(20);
		}
		if (ret <= 0)
			return crfs_rst_child_fail(r, ret ?: -ETIMEDOUT,
						   "pid %u: process group %u: the process made to lead it did not end",
						   p->task.pid, h->pgid);
	}
	return 0;
}

/**
 * crfs_rst_join_group - after go: the group another process leads
 * @p: the process (current, its leader)
 *
 * Joins it, tells its helper, if any; then reaps the helpers it made.
 * Return: 0, or the errno with the reason in the error file.
 */
int crfs_rst_join_group(struct crfs_rst_proc *p)
{
	int ret = 0;

	if (p->pgid != p->task.pid && task_pgrp_vnr(current) != p->pgid)
		ret = crfs_rst_setpgid(p->r, p->task.pid, p->pgid);
	if (p->helper)
		complete(&p->helper->joined);
	return ret ?: crfs_rst_reap_helpers(p);
}

/* SIGKILL to every process and helper made. */
static void crfs_rst_kill_all(struct crfs_rst *r)
{
	struct task_struct *task;
	unsigned int i;

	for (i = 0; r->procs && i < r->nr_procs; i++) {
		/* its maker's store: crfs_rst_make_children() */
		task = smp_load_acquire(&r->procs[i].proc);
		if (!task)
			continue;
		do_send_sig_info(SIGKILL, SEND_SIG_PRIV, task, PIDTYPE_TGID);
		complete_all(&r->procs[i].procset);
		complete_all(&r->procs[i].queued);
	}
	for (i = 0; i < r->nr_helpers; i++) {
		/* its maker's store: crfs_rst_make_helpers() */
		task = smp_load_acquire(&r->helpers[i].task);
		if (task)
			do_send_sig_info(SIGKILL, SEND_SIG_PRIV, task, PIDTYPE_TGID);
	}
}

/* Has every process made exited (its last thread gone)? */
static bool crfs_rst_all_dead(struct crfs_rst *r)
{
	struct task_struct *task;
	unsigned int i;

	for (i = 1; i < r->nr_procs; i++) {
		/* its maker's store: crfs_rst_make_children() */
		task = smp_load_acquire(&r->procs[i].proc);
		if (task && (!READ_ONCE(task->exit_state) || get_nr_threads(task) > 1))
			return false;
	}
	for (i = 0; i < r->nr_helpers; i++) {
		/* its maker's store: crfs_rst_make_helpers() */
		task = smp_load_acquire(&r->helpers[i].task);
		if (task && !READ_ONCE(task->exit_state))
			return false;
	}
	return true;
}

/**
 * crfs_rst_reap - reap the root of a restore a kill cancelled
 * @r: the restore, crfs_rst_kill() done
 *
 * The root is the writer's child: a kill (not the writer) leaves it a
 * zombie that keeps the image's pid for as long as the writer does not
 * wait for it.  It is released as wait_task_zombie() does for its parent,
 * under tasklist_lock (reparent_leader() and release_task() set
 * exit_state under it too): whoever moves it out of EXIT_ZOMBIE first
 * reaps it.
 */
void crfs_rst_reap(struct crfs_rst *r)
{
	struct task_struct *root;
	bool reap = false;

	/* made by the writer under r->lock, which the caller holds */
	root = r->procs ? r->procs[0].proc : NULL;
	if (!root)
		return;
	read_lock(&tasklist_lock);
	if (READ_ONCE(root->exit_state) == EXIT_ZOMBIE && !root->ptrace &&
	    thread_group_empty(root) && root->real_parent->tgid != current->tgid)
		reap = cmpxchg(&root->exit_state, EXIT_ZOMBIE, EXIT_DEAD) == EXIT_ZOMBIE;
	read_unlock(&tasklist_lock);
	if (reap)
		release_task(root);
}

/**
 * crfs_rst_kill - a failed restore: kill the tree, wait until it is gone
 * @r: the restore
 *
 * The container is left empty and thawed, as before the restore.  Every
 * thread still in its entry function sees the abort and exits; those
 * past it die of the SIGKILL sent to each process (through a thread that
 * takes it: the leader may have exited already).  The root is the
 * writer's child: when the writer kills it, it reaps it too, once its
 * last thread is gone, so that no zombie keeps the image's pid (the same
 * image again from the same writer would be refused EEXIST) for as long
 * as the writer lives (a kill of the container, not the writer, reaps it
 * after: crfs_rst_reap()).  The other processes are waited for until they
 * are zombies; their reaper (init, or a subreaper) reaps them.
 */
void crfs_rst_kill(struct crfs_rst *r)
{
	struct task_struct *root;
	long ret;
	pid_t nr;
	int i;

	if (r->abort)
		return;
	WRITE_ONCE(r->abort, true);
	root = r->procs ? r->procs[0].proc : NULL;
	if (root) {
		crfs_rst_kill_all(r);
		complete_all(&r->start);
		complete_all(&r->go);
		/*
		 * 0 once reaped: then no wait, which would take any child.  A
		 * writer that is not the parent (an inherited descriptor) waits
		 * until the leader is the last thread, and a zombie.
		 */
		nr = task_pid_vnr(root);
		for (i = 0; nr > 0 && i < 500; i++) {
			ret = kernel_wait4(nr, NULL, WNOHANG | __WALL, NULL);
			if (ret > 0 || (ret < 0 && READ_ONCE(root->exit_state) &&
					get_nr_threads(root) == 1))
				break;
			msleep(20);
		}
		/* a process made while the first SIGKILLs went out */
		crfs_rst_kill_all(r);
		for (i = 0; i < 250 && !crfs_rst_all_dead(r); i++)
			msleep(20);
	}
	if (r->froze)
		crfs_cgroup_freeze(r->ct->cgrp, false);
}
