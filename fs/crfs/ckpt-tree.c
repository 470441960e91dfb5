// SPDX-License-Identifier: GPL-2.0
/*
 * The processes of a frozen container as a tree: found in its cgroup, put
 * in the image's order, as the userspace engine orders them
 * (dump-tree.c): the root first, then breadth first, the children of each
 * process in the order of their pids; each with its parent and the
 * thread of the parent that made it (its real_parent).
 *
 * Refused, naming the pid: a second process whose parent is outside (a
 * container has one root), a child outside the container, a zombie child
 * (kernel: not yet), a process group or session led by a process outside
 * or by one that left it (one whose leader is gone is kept, as crfs-fuse
 * keeps it), more than 128 parent threads in a process, a
 * session neither the process's own nor its parent's (crfs-fuse's restore
 * cannot make it either).
 * The processes stay frozen: none forks or exits unless killed, and a
 * kill fails the checkpoint later (crfs_ckpt_alive()).
 */
#include <linux/cgroup.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/pid_namespace.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "crfs.h"
#include "ckpt.h"

static int crfs_ckpt_proc_cmp(const void *a, const void *b)
{
	const struct crfs_ckpt_proc *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* The index of the process @t (its pid @pid) in @p, sorted, or -1. */
static int crfs_ckpt_proc_find(const struct crfs_ckpt_proc *p, unsigned int n,
			       pid_t pid, const struct task_struct *t)
{
	unsigned int lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (p[mid].pid == pid)
			return p[mid].task == t ? mid : -1;
		if (p[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * The container's pid namespace: the checkpointer's, or one of its own a
 * level below, every process of the container in it (its pid 1 the root:
 * crfs_ckpt_tree_links()); c->pid_ns then names it (a reference taken
 * under RCU: a task's pid does not pin it), and every pid of the image is
 * as the container sees it.
 */
static int crfs_ckpt_tree_pidns(struct crfs_ckpt *c, struct crfs_ckpt_proc *p,
				unsigned int n)
{
	struct pid_namespace *ns = NULL, *its;
	const char *why = NULL;
	unsigned int i;

	rcu_read_lock();
	for (i = 0; i < n && !why; i++) {
		its = task_active_pid_ns(p[i].task);
		if (!its)
			why = "a process killed during the checkpoint";
		else if (!i)
			ns = its;
		else if (its != ns)
			why = "processes of two pid namespaces: kernel: not yet";
	}
	if (ns == c->pid_ns)
		ns = NULL;
	if (!why && ns && ns->parent != c->pid_ns)
		why = "a process outside the checkpointer's pid namespace, or more than a level below it";
	if (!why && ns && !refcount_inc_not_zero(&ns->ns.count))
		why = "its pid namespace gone during the checkpoint";
	rcu_read_unlock();
	if (why)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP, "%s: %s", c->ct->name, why);
	if (!ns)
		return 0;
	put_pid_ns(c->pid_ns);
	c->pid_ns = ns;
	c->pidns = true;
	return 0;
}

/*
 * Every task of the container's own pid namespace is one of @p (sorted by
 * pid in it): its idr walked as /proc walks it; a pid without a task (a
 * group's whose leader is gone) is none.
 */
static int crfs_ckpt_tree_pidns_whole(struct crfs_ckpt *c, struct crfs_ckpt_proc *p,
				      unsigned int n)
{
	struct pid_namespace *ns = c->pid_ns;
	struct task_struct *t;
	bool outside = false;
	struct pid *pid;
	int nr;

	rcu_read_lock();
	idr_for_each_entry(&ns->idr, pid, nr) {
		t = pid_task(pid, PIDTYPE_PID);
		if (t && crfs_ckpt_proc_find(p, n, task_tgid_nr_ns(t, ns),
					     t->group_leader) < 0) {
			outside = true;
			break;
		}
	}
	rcu_read_unlock();
	if (outside)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP,
					"%s: its pid namespace holds pid %d, a process outside the container",
					c->ct->name, nr);
	return 0;
}

/* Every process of the container, with a reference, sorted by pid. */
static int crfs_ckpt_tree_procs(struct crfs_ckpt *c, struct crfs_ckpt_proc **out,
				unsigned int *nr)
{
	struct crfs_ckpt_proc *p = NULL, *grown;
	struct css_task_iter it;
	struct task_struct *t;
	unsigned int n = 0, room = 0, i;
	int ret = 0;

	css_task_iter_start(&c->ct->cgrp->self, CSS_TASK_ITER_PROCS, &it);
	while ((t = css_task_iter_next(&it))) {
		if (n == CRFS_MAX_TASKS) {
			ret = -E2BIG;
			break;
		}
		if (n == room) {
			room = max(2 * room, 16U);
			grown = kvrealloc(p, room * sizeof(*p), GFP_KERNEL);
			if (!grown) {
				ret = -ENOMEM;
				break;
			}
			p = grown;
		}
		p[n++] = (struct crfs_ckpt_proc){
			.task = get_task_struct(t),
			.child = -1, .next = -1,
		};
	}
	css_task_iter_end(&it);
	*out = p;
	*nr = n;
	if (ret == -E2BIG)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP, "%s: more than %d processes",
					c->ct->name, CRFS_MAX_TASKS);
	if (ret)
		return ret;
	if (!n)
		return crfs_ckpt_refuse(c, -EBUSY, "%s: no process (empty)",
					c->ct->name);
	ret = crfs_ckpt_tree_pidns(c, p, n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++)
		p[i].pid = task_tgid_nr_ns(p[i].task, c->pid_ns);
	sort(p, n, sizeof(*p), crfs_ckpt_proc_cmp, NULL);
	if (!p[0].pid)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP,
					"%s: a process outside the checkpointer's pid namespace",
					c->ct->name);
	return c->pidns ? crfs_ckpt_tree_pidns_whole(c, p, n) : 0;
}

/*
 * Is the group or session @id (of @type) led by a process outside @p, or
 * by one of @p that has left it?  One whose leader is gone is kept: the
 * restore makes it again (crfs-fuse, restore-tree.c); a zombie leads it.
 */
static bool crfs_ckpt_led_wrong(struct crfs_ckpt *c,
				const struct crfs_ckpt_proc *p, unsigned int n,
				struct pid *id, enum pid_type type)
{
	struct task_struct *lead = pid_task(id, PIDTYPE_PID);

	if (!lead)
		return false;
	return crfs_ckpt_proc_find(p, n, task_tgid_nr_ns(lead, c->pid_ns),
				   lead) < 0 || task_pid_type(lead, type) != id;
}

/*
 * How many threads of one process may be parents of processes: each is
 * made on a stack of its own at restore (CR_TREE_MAX_MAKERS, crfs-fuse).
 */
#define CRFS_CKPT_MAX_MAKERS	128

static int crfs_ckpt_maker_cmp(const void *a, const void *b)
{
	const struct crfs_ckpt_proc *x = a, *y = b;

	if (x->ppid != y->ppid)
		return x->ppid < y->ppid ? -1 : 1;
	return x->parent_tid < y->parent_tid ? -1 : x->parent_tid > y->parent_tid;
}

/* At most CRFS_CKPT_MAX_MAKERS parent threads in a process. */
static int crfs_ckpt_tree_makers(struct crfs_ckpt *c, const struct crfs_ckpt_proc *p,
				 unsigned int n)
{
	struct crfs_ckpt_proc *m;
	unsigned int i, k = 0, nr = 0;

	for (i = 0; i < n; i++)
		k += !!p[i].parent_tid;
	if (k <= CRFS_CKPT_MAX_MAKERS)
		return 0;
	m = kvcalloc(k, sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	for (i = 0, k = 0; i < n; i++)
		if (p[i].parent_tid)
			m[k++] = (struct crfs_ckpt_proc){ .ppid = p[i].ppid,
							  .parent_tid = p[i].parent_tid };
	sort(m, k, sizeof(*m), crfs_ckpt_maker_cmp, NULL);
	for (i = 0; i < k; i++) {
		if (i && m[i].ppid != m[i - 1].ppid)
			nr = 0;
		if (i && m[i].ppid == m[i - 1].ppid &&
		    m[i].parent_tid == m[i - 1].parent_tid)
			continue;
		if (++nr > CRFS_CKPT_MAX_MAKERS)
			break;
	}
	i = i < k ? m[i].ppid : 0;
	kvfree(m);
	if (i)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP,
					"pid %u: more than %d of its threads are parents of processes: not supported",
					i, CRFS_CKPT_MAX_MAKERS);
	return 0;
}

/*
 * Each process's parent, the thread of it that made it, its children
 * (in @p, and not zombies) and the leaders of its group and session;
 * tasklist_lock held.  Return: the root's index, or -1 with @why.
 */
static int crfs_ckpt_tree_links(struct crfs_ckpt *c, struct crfs_ckpt_proc *p,
				unsigned int n, char *why, size_t len)
{
	struct task_struct *t, *th, *par, *ch;
	int root = -1, j;
	unsigned int i;

	for (i = 0; i < n; i++) {
		t = p[i].task;
		if (pid_alive(t) && t->exit_state && !thread_group_empty(t) &&
		    !(t->signal->flags & SIGNAL_GROUP_EXIT)) {
			snprintf(why, len, "pid %d: its main thread has exited (a zombie leader, pthread_exit() in main) while other threads run: not supported",
				 p[i].pid);
			return -1;
		}
		if (!pid_alive(t) || t->exit_state) {
			snprintf(why, len, "pid %d: killed during the checkpoint",
				 p[i].pid);
			return -1;
		}
		par = t->real_parent;
		j = crfs_ckpt_proc_find(p, n, task_tgid_nr_ns(par, c->pid_ns),
					par->group_leader);
		p[i].parent = j;
		if (j >= 0) {
			p[i].ppid = p[j].pid;
			if (par != par->group_leader)
				p[i].parent_tid = task_pid_nr_ns(par, c->pid_ns);
		} else if (root < 0) {
			root = i;
		} else {
			snprintf(why, len,
				 "pid %d: its parent %d is outside, as pid %d's is: a container has one root process",
				 p[i].pid, task_tgid_nr_ns(par, c->pid_ns), p[root].pid);
			return -1;
		}
		for_each_thread(t, th) {
			list_for_each_entry(ch, &th->children, sibling) {
				pid_t cp = task_tgid_nr_ns(ch, c->pid_ns);

				if (crfs_ckpt_proc_find(p, n, cp, ch) >= 0)
					continue;
				snprintf(why, len, ch->exit_state ?
					 "pid %d: child process %d: a zombie: kernel: not yet" :
					 "pid %d: child process %d is outside the container",
					 p[i].pid, cp);
				return -1;
			}
		}
	}
	for (i = 0; i < n; i++) {
		t = p[i].task;
		if (i == root)
			continue;
		if ((task_pgrp(t) != task_pgrp(p[root].task) &&
		     !task_pgrp_nr_ns(t, c->pid_ns)) ||
		    (task_session(t) != task_session(p[root].task) &&
		     !task_session_nr_ns(t, c->pid_ns)))
			snprintf(why, len,
				 "pid %d: its process group or session is outside the container's pid namespace (not the root's)",
				 p[i].pid);
		else if (task_pgrp(t) != task_pgrp(p[root].task) &&
		    crfs_ckpt_led_wrong(c, p, n, task_pgrp(t), PIDTYPE_PGID))
			snprintf(why, len,
				 "pid %d: its process group %d: its pid is a process outside the container, or one that left it",
				 p[i].pid, task_pgrp_nr_ns(t, c->pid_ns));
		else if (task_session(t) != task_session(p[root].task) &&
			 crfs_ckpt_led_wrong(c, p, n, task_session(t), PIDTYPE_SID))
			snprintf(why, len,
				 "pid %d: its session %d: its pid is a process outside the container, or one that left it",
				 p[i].pid, task_session_nr_ns(t, c->pid_ns));
		else if (task_session(t) != task_tgid(t) &&
			 task_session(t) != task_session(p[p[i].parent].task))
			snprintf(why, len,
				 "pid %d: its session %d is neither its own nor its parent's: kernel: not yet",
				 p[i].pid, task_session_nr_ns(t, c->pid_ns));
		else
			continue;
		return -1;
	}
	return root;
}

/* @p in the image's order from @root: breadth first, children by pid. */
static struct crfs_ckpt_proc *crfs_ckpt_tree_order(struct crfs_ckpt_proc *p,
						   unsigned int n, int root)
{
	struct crfs_ckpt_proc *o;
	unsigned int head = 0, tail = 0;
	int *queue, i, k;

	o = kvcalloc(n, sizeof(*o), GFP_KERNEL);
	queue = kvcalloc(n, sizeof(*queue), GFP_KERNEL);
	if (!o || !queue) {
		kvfree(o);
		kvfree(queue);
		return NULL;
	}
	/* linked in reverse pid order, so that each list ascends */
	for (i = n - 1; i >= 0; i--) {
		if (i == root)
			continue;
		k = p[i].parent;
		p[i].next = p[k].child;
		p[k].child = i;
	}
	queue[tail++] = root;
	while (head < tail) {
		i = queue[head++];
		for (k = p[i].child; k >= 0; k = p[k].next)
			queue[tail++] = k;
	}
	if (WARN_ON_ONCE(tail != n)) {	/* every parent is in @p: a tree */
		kvfree(o);
		kvfree(queue);
		return NULL;
	}
	for (head = 0; head < tail; head++) {
		o[head] = p[queue[head]];
		o[head].child = o[head].next = -1;
	}
	kvfree(queue);
	return o;
}

/**
 * crfs_ckpt_tree - find the container's processes and put them in order
 * @c: the checkpoint
 *
 * Fills c->procs (each leader with a reference) and c->nr_procs.
 * Return: 0, or a refusal with the reason in the error file.
 */
int crfs_ckpt_tree(struct crfs_ckpt *c)
{
	struct crfs_ckpt_proc *p, *o;
	char why[CRFS_ERROR_LEN] = "";
	unsigned int n;
	int ret, root;

	ret = crfs_ckpt_tree_procs(c, &p, &n);
	c->procs = p;
	c->nr_procs = n;
	if (ret)
		return ret;
	read_lock(&tasklist_lock);
	root = crfs_ckpt_tree_links(c, p, n, why, sizeof(why));
	read_unlock(&tasklist_lock);
	if (root < 0)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP, "%s", why);
	if (c->pidns && p[root].pid != 1)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP,
					"pid %d: the root, not pid 1 of the container's pid namespace",
					p[root].pid);
	ret = crfs_ckpt_tree_makers(c, p, n);
	if (ret)
		return ret;
	o = crfs_ckpt_tree_order(p, n, root);
	if (!o)
		return -ENOMEM;
	kvfree(p);
	c->procs = o;
	return 0;
}

/**
 * crfs_ckpt_tree_free - drop the processes' references
 * @c: the checkpoint
 */
void crfs_ckpt_tree_free(struct crfs_ckpt *c)
{
	struct crfs_ckpt_proc *p;
	unsigned int i, j;

	for (i = 0; i < c->nr_procs; i++) {
		p = &c->procs[i];
		if (p->mm)
			mmput(p->mm);
		for (j = 0; j < p->nr_threads; j++)
			put_task_struct(p->threads[j]);
		kfree(p->threads);
		kvfree(p->fds);
		put_task_struct(p->task);
	}
	kvfree(c->procs);
	c->procs = NULL;
	c->nr_procs = 0;
}
