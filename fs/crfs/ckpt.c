// SPDX-License-Identifier: GPL-2.0
/*
 * The checkpoint context: the processes of a frozen container, collected
 * and checked whole at open() of image, before any image byte exists.
 *
 * What the kernel checkpoints so far (Documentation/crfs/kernel.rst,
 * "Tests and order of work", 2): a tree of processes (ckpt-tree.c), each
 * with its threads, in the pid, mount, network, UTS, time, cgroup and user
 * namespaces of the checkpointer (an IPC namespace of its own, empty,
 * the root's, is kept); none shares its address space, fd table, fs or
 * signal actions with another process; their regular files, directories
 * and null-like devices, pipes (between processes too: ckpt-pipe.c),
 * private anonymous and private file memory, signal handlers, timers,
 * credentials; in a pid namespace of its own or the checkpointer's.
 * Everything else is refused: the open fails with the errno and
 * "checkpoint: pid P: OBJECT: reason" in the error file, the container
 * frozen and untouched.
 *
 * The tasks stay frozen in the cgroup freezer (do_freezer_trap()) until
 * release: the checkpoint lock keeps anybody from thawing or moving them;
 * only SIGKILL wakes them, and crfs_ckpt_alive() then fails the read.
 */
#include <linux/cgroup.h>
#include <linux/errname.h>
#include <linux/mm.h>
#include <linux/pid_namespace.h>
#include <linux/sched/mm.h>
#include <linux/sched/rt.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/stdarg.h>
#include <linux/user_namespace.h>

#include "crfs.h"
#include "ckpt.h"

/**
 * crfs_ckpt_refuse - fail the checkpoint with a reason in the error file
 * @c: the checkpoint
 * @err: a negative errno
 * @fmt: the reason, printf style: "pid P: OBJECT: why"
 *
 * The error file reads "checkpoint: REASON (ENAME)".
 * Return: @err.
 */
int crfs_ckpt_refuse(struct crfs_ckpt *c, int err, const char *fmt, ...)
{
	char why[CRFS_ERROR_LEN];
	va_list args;

	va_start(args, fmt);
	vsnprintf(why, sizeof(why), fmt, args);
	va_end(args);
	c->refused = true;
	return crfs_ct_fail(c->ct, err, "checkpoint: %s", why);
}

/* Make c->procs[@i] the process being collected. */
static void crfs_ckpt_select(struct crfs_ckpt *c, unsigned int i)
{
	struct crfs_ckpt_proc *p = &c->procs[i];

	c->cur_proc = i;
	c->task = p->task;
	c->pid = p->pid;
	c->threads = p->threads;
	c->nr_threads = p->nr_threads;
	c->mm = p->mm;
	c->mm_id = p->mm_id;
	c->fdt_id = 0;
	c->fs_id = 0;
	c->sighand_id = 0;
	c->nr_sigq = 0;
	c->nr_timers = 0;
	c->timer_slack = 0;	/* a real-time process's: crfs_ckpt_threads() */
	memset(c->itimer, 0, sizeof(c->itimer));
}

/**
 * crfs_ckpt_who - how a refusal names a thread of the process
 * @c: the checkpoint
 * @t: the leader or another of its threads
 * @who: "pid P" for the leader, "pid P: thread T" for another thread
 * @len: the size of @who, CRFS_CKPT_WHO_LEN
 */
void crfs_ckpt_who(struct crfs_ckpt *c, struct task_struct *t, char *who,
		   size_t len)
{
	if (t == c->task)
		snprintf(who, len, "pid %d", c->pid);
	else
		snprintf(who, len, "pid %d: thread %d", c->pid,
			 task_pid_nr_ns(t, c->pid_ns));
}

/*
 * Every thread of the process, with a reference, the leader first.  A
 * frozen thread neither clones nor exits unless killed: a count that
 * changes meanwhile is a kill.
 */
static int crfs_ckpt_threads(struct crfs_ckpt *c)
{
	struct task_struct *p = c->task, *t;
	unsigned int n = get_nr_threads(p), i = 1;

	c->threads = kcalloc(n, sizeof(*c->threads), GFP_KERNEL);
	c->procs[c->cur_proc].threads = c->threads;
	if (!c->threads)
		return -ENOMEM;
	c->threads[0] = get_task_struct(p);
	rcu_read_lock();
	for_each_thread(p, t) {
		if (t == p)
			continue;
		if (i == n) {
			i++;
			break;
		}
		c->threads[i++] = get_task_struct(t);
	}
	rcu_read_unlock();
	c->nr_threads = min(i, n);
	c->procs[c->cur_proc].nr_threads = c->nr_threads;
	if (i != n || get_nr_threads(p) != n)
		return crfs_ckpt_refuse(c, -ESRCH,
					"pid %d: threads: their number changed (killed?)",
					c->pid);
	/* a real-time thread's is 0 (its policy makes it so); the others' */
	for (i = 0; i < n; i++)
		if (!rt_or_dl_task_policy(c->threads[i])) {
			c->timer_slack = c->threads[i]->timer_slack_ns;
			break;
		}
	return 0;
}

/*
 * Why thread @t cannot be checkpointed, with *@err, or NULL.  @buf holds
 * a reason made up here.
 */
static const char *crfs_ckpt_thread_why(struct crfs_ckpt *c,
					struct task_struct *t, int *err,
					char *buf, size_t len)
{
	struct task_struct *p = c->task;
	const char *ns;

	*err = -ESRCH;
	if (!t->frozen || (t->flags & PF_EXITING) || fatal_signal_pending(t))
		return "not frozen any more (killed?)";
	*err = -EBUSY;
	if (t->ptrace)
		return "traced by another process";
	*err = -EOPNOTSUPP;
	if (t->flags & PF_KTHREAD || !t->mm)
		return "a kernel thread";
	ns = crfs_ckpt_ns_why(c, t, t == p ? NULL : p, buf, len);
	if (ns || t == p)
		return ns;
	/* the image keeps these once per process: every thread has the leader's */
#ifdef CONFIG_SYSVIPC
	if (t->sysvsem.undo_list != p->sysvsem.undo_list)
		return "its SEM_UNDO list is not its process's (clone() without CLONE_SYSVSEM): a restore gives every thread the process's";
#endif
	if (t->fs != p->fs)
		return "an fs state of its own (unshare(CLONE_FS)): kernel: not yet";
	if (t->files != p->files)
		return "an fd table of its own (unshare(CLONE_FILES)): kernel: not yet";
	if (t->pdeath_signal != p->pdeath_signal)
		return "a parent-death signal other than its leader's: kernel: not yet";
	if (t->personality != p->personality)
		return "a personality other than its leader's: kernel: not yet";
	if (task_no_new_privs(t) != task_no_new_privs(p))
		return "no_new_privs other than its leader's: kernel: not yet";
	/* a real-time thread's is 0, as its policy set again makes it */
	if (t->timer_slack_ns != c->timer_slack && !rt_or_dl_task_policy(t))
		return "a timer slack other than its other threads': kernel: not yet";
	return NULL;
}

/* What of the process itself the kernel does not checkpoint yet. */
static int crfs_ckpt_check_task(struct crfs_ckpt *c)
{
	struct task_struct *t = c->task;
	char who[CRFS_CKPT_WHO_LEN], buf[192];
	const char *why;
	unsigned int i;
	int ret = 0;

	if (!t->frozen || (t->flags & PF_EXITING) || fatal_signal_pending(t)) {
		if (!fatal_signal_pending(t) && get_nr_threads(t) > 1 &&
		    !(t->signal->flags & SIGNAL_GROUP_EXIT))
			return crfs_ckpt_refuse(c, -EOPNOTSUPP,
						"pid %d: its main thread has exited (a zombie leader, pthread_exit() in main) while other threads run: not supported",
						c->pid);
		return crfs_ckpt_refuse(c, -ESRCH, "pid %d: not frozen any more (killed?)",
					c->pid);
	}
	ret = crfs_ckpt_threads(c);
	if (ret)
		return ret;
	for (i = 0; i < c->nr_threads; i++) {
		why = crfs_ckpt_thread_why(c, c->threads[i], &ret, buf, sizeof(buf));
		if (!why)
			continue;
		crfs_ckpt_who(c, c->threads[i], who, sizeof(who));
		return crfs_ckpt_refuse(c, ret, "%s: %s", who, why);
	}
	if (t->signal->flags & SIGNAL_STOP_STOPPED)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP,
					"pid %d: stopped (job control): kernel: not yet",
					c->pid);
	return crfs_ckpt_misc(c);
}

/* Is every thread of @p still frozen as it was collected? */
static int crfs_ckpt_proc_alive(struct crfs_ckpt *c,
				const struct crfs_ckpt_proc *p)
{
	struct task_struct *t;
	unsigned int j;

	for (j = 0; j < p->nr_threads; j++) {
		t = p->threads[j];
		if (!t->frozen || (t->flags & PF_EXITING) ||
		    fatal_signal_pending(t))
			return crfs_ckpt_refuse(c, -EIO,
						"pid %d: killed during the checkpoint (or woken)",
						p->pid);
	}
	return 0;
}

/**
 * crfs_ckpt_alive - are the processes still frozen as they were collected?
 * @c: the checkpoint
 * @proc: the index of the one process to look at, or -1: every one
 *
 * Only SIGKILL (a kill of the container) wakes a frozen task while the
 * checkpoint lock is held.
 * Return: 0, or -EIO with the reason in the error file.
 */
int crfs_ckpt_alive(struct crfs_ckpt *c, int proc)
{
	unsigned int i;
	int ret = 0;

	if (proc >= 0)
		return crfs_ckpt_proc_alive(c, &c->procs[proc]);
	for (i = 0; !ret && i < c->nr_procs; i++)
		ret = crfs_ckpt_proc_alive(c, &c->procs[i]);
	return ret;
}

/**
 * crfs_ckpt_free - let the processes go and free a checkpoint
 * @c: the checkpoint
 */
void crfs_ckpt_free(struct crfs_ckpt *c)
{
	unsigned int i;

	/* first: the worker may still take pages of a process */
	crfs_pgset_free(&c->pgs[0]);
	crfs_pgset_free(&c->pgs[1]);
	crfs_ckpt_tree_free(c);
	crfs_ckpt_descs_free(c);
	for (i = 0; i < CRFS_PART_NR; i++)
		crfs_buf_free(&c->part[i]);
	crfs_buf_free(&c->out);
	kvfree(c->runs);
	kfree(c->files);
	kfree(c->path_buf);
	kvfree(c->sigq);
	kvfree(c->timers);
	put_pid_ns(c->pid_ns);
	put_user_ns(c->user_ns);
	kfree(c);
}

/* Collect and check process @i's resources, in the resource table's order. */
static int crfs_ckpt_collect_proc(struct crfs_ckpt *c, unsigned int i)
{
	int ret;

	/* a kill of the container wakes its tasks: their state goes */
	ret = crfs_ckpt_proc_alive(c, &c->procs[i]);
	if (ret)
		return ret;
	crfs_ckpt_select(c, i);
	ret = crfs_ckpt_check_task(c);
	if (!ret)
		ret = crfs_ckpt_signals_timers(c);
	if (!ret)
		ret = crfs_ckpt_ipcns(c);
	if (!ret)
		ret = crfs_ckpt_fs(c);
	if (!ret)
		ret = crfs_ckpt_mm(c);
	if (!ret)
		ret = crfs_ckpt_fdtable(c);
	if (!ret)
		ret = crfs_ckpt_sighand(c);
	if (!ret)
		ret = crfs_ckpt_task(c);
	return ret;
}

/* The tree, then each process in its order. */
static int crfs_ckpt_collect(struct crfs_ckpt *c)
{
	unsigned int i;
	int ret, alive;

	ret = crfs_ckpt_tree(c);
	if (ret)
		return ret;
	ret = crfs_ckpt_share_procs(c);
	if (!ret)
		ret = crfs_ckpt_descs(c);
	if (!ret)
		ret = crfs_ckpt_share(c);
	for (i = 0; !ret && i < c->nr_procs; i++)
		ret = crfs_ckpt_collect_proc(c, i);
	crfs_ckpt_descs_free(c);
	/*
	 * A task killed meanwhile gave a partial view: that is the reason,
	 * not what its going made look wrong (a pipe end no longer held).
	 */
	alive = crfs_ckpt_alive(c, -1);
	return alive ?: ret;
}

/**
 * crfs_ckpt_open - collect and check the checkpoint of a frozen container
 * @ct: the container, its checkpoint lock held
 *
 * Return: the checkpoint, whose stream starts with the image header and
 * every object record, or an ERR_PTR() with the reason in the error file.
 */
struct crfs_ckpt *crfs_ckpt_open(struct crfs_ct *ct)
{
	struct crfs_ckpt *c;
	int ret;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return ERR_PTR(crfs_ct_fail(ct, -ENOMEM, "checkpoint: %s: out of memory",
					    ct->name));
	c->ct = ct;
	mutex_init(&c->lock);
	c->pid_ns = get_pid_ns(task_active_pid_ns(current));
	c->user_ns = get_user_ns(current_user_ns());
	c->path_buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!c->path_buf) {
		ret = -ENOMEM;
		goto out_free;
	}
	ret = crfs_ckpt_collect(c);
	if (!ret)
		ret = crfs_rec_header(c);
	if (!ret)
		ret = crfs_rec_pages_start(c);
	if (ret)
		goto out_free;
	return c;

out_free:
	/* a refusal said why; anything else says what failed */
	if (!c->refused)
		crfs_ct_fail(ct, ret, "checkpoint: %s: %s", ct->name,
			     crfs_err_words(ret));
	crfs_ckpt_free(c);
	return ERR_PTR(ret);
}
