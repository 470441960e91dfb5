// SPDX-License-Identifier: GPL-2.0
/*
 * The namespaces of the processes of a checkpoint.  The image has none of
 * its own but the container's pid and IPC namespaces: a process must be
 * in the checkpointer's namespaces (its pid namespace: the container's),
 * and each thread in its process's (a restore makes every thread there).
 * Looked at as /proc/PID/ns does, through each kind's proc_ns_operations,
 * in crfs-fuse's order and words (res-ns.c).
 */
#include <linux/ns_common.h>
#include <linux/pid_namespace.h>
#include <linux/proc_ns.h>
#include <linux/sched.h>
#include <linux/sched/task.h>

#include "crfs.h"
#include "ckpt.h"

/* Each kind, and against whom it is compared. */
static const struct crfs_ckpt_ns {
	const struct proc_ns_operations *ops;
	bool	proc;		/* a process's, against the checkpointer's */
	bool	thread;		/* a thread's, against its process's */
	bool	pid;		/* a process's is the container's pid namespace */
} crfs_ckpt_ns[] = {
#ifdef CONFIG_USER_NS
	{ &userns_operations, true, true, false },
#endif
	{ &mntns_operations, true, true, false },
#ifdef CONFIG_PID_NS
	{ &pidns_operations, true, false, true },
	{ &pidns_for_children_operations, true, true, true },
#endif
#ifdef CONFIG_NET_NS
	{ &netns_operations, true, true, false },
#endif
#ifdef CONFIG_IPC_NS
	{ &ipcns_operations, false, true, false },	/* the process's: IPCNS */
#endif
#ifdef CONFIG_UTS_NS
	{ &utsns_operations, true, true, false },
#endif
#ifdef CONFIG_CGROUPS
	{ &cgroupns_operations, true, true, false },
#endif
#ifdef CONFIG_TIME_NS
	{ &timens_operations, true, false, false },
	{ &timens_for_children_operations, true, true, false },
#endif
};

/*
 * The inode numbers of @t's namespace of kind @k and of the one it must
 * be in (@lead's, or for a process the checkpointer's or the container's
 * pid namespace) into @its and @want.  Return: false if @t has none left
 * (it is exiting).
 */
static bool crfs_ckpt_ns_pair(struct crfs_ckpt *c, const struct crfs_ckpt_ns *k,
			      struct task_struct *t, struct task_struct *lead,
			      unsigned int *its, unsigned int *want)
{
	struct ns_common *a = k->ops->get(t), *b;
	bool alive;

	if (a) {
		*its = a->inum;
		k->ops->put(a);
	} else {
		/* none yet: unshare(CLONE_NEWPID) with no child made since */
		task_lock(t);
		alive = t->nsproxy;
		task_unlock(t);
		if (!alive)
			return false;
		*its = 0;
	}
	if (!lead && k->pid) {
		*want = c->pid_ns->ns.inum;
		return true;
	}
	b = k->ops->get(lead ?: current);
	*want = b ? b->inum : 0;
	if (b)
		k->ops->put(b);
	return true;
}

/**
 * crfs_ckpt_ns_why - why thread @t is in namespaces a restore would not give it
 * @c: the checkpoint
 * @t: a thread of the process
 * @lead: its leader, or NULL when @t is the leader (the process)
 * @buf: where the reason is made
 * @len: its size
 *
 * Return: the reason, without who it is, or NULL.
 */
const char *crfs_ckpt_ns_why(struct crfs_ckpt *c, struct task_struct *t,
			     struct task_struct *lead, char *buf, size_t len)
{
	const struct crfs_ckpt_ns *k;
	unsigned int i, its, want;

	for (i = 0; i < ARRAY_SIZE(crfs_ckpt_ns); i++) {
		k = &crfs_ckpt_ns[i];
		if (lead ? !k->thread : !k->proc)
			continue;
		if (!crfs_ckpt_ns_pair(c, k, t, lead, &its, &want))
			return "its namespaces are gone (exiting)";
		if (its == want)
			continue;
		if (lead)
			snprintf(buf, len, "its %s namespace (%u) is not its process's (%u): a restore makes every thread in the process's",
				 k->ops->name, its, want);
		else if (k->pid && c->pid_ns != task_active_pid_ns(current))
			snprintf(buf, len, "its %s namespace (%u) is not the container's (%u): nested pid namespaces are not supported",
				 k->ops->name, its, want);
		else
			snprintf(buf, len, "its %s namespace (%u) is not crfs's (%u): namespaces are not checkpointed yet; run it in crfs's namespaces",
				 k->ops->name, its, want);
		return buf;
	}
	return NULL;
}
