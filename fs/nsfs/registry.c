// SPDX-License-Identifier: GPL-2.0
/*
 * The registry of live namespaces behind the mountable nsfs view.
 *
 * Every namespace type calls nsfs_mount_register() at the end of its
 * create function, once the namespace is complete, and ns_free_inum()
 * calls nsfs_mount_unregister() when it dies.  The list is in registration
 * order, so ids grow along it; an id is never reused, unlike the inode
 * number, so a handle on a dead namespace never finds its successor.
 *
 * A registered namespace's memory stays valid until it is unregistered,
 * so under nsfs_registry_lock its fields can be read; a reference is taken
 * only when its count is not zero (a dying network namespace stays on the
 * list until cleanup_net() frees it, with a count of zero).
 */
#include <linux/cgroup.h>
#include <linux/init.h>
#include <linux/ipc_namespace.h>
#include <linux/list.h>
#include <linux/ns_common.h>
#include <linux/pid_namespace.h>
#include <linux/proc_ns.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/time_namespace.h>
#include <linux/user_namespace.h>
#include <linux/utsname.h>
#include <net/net_namespace.h>

#include "internal.h"

/* Taken with interrupts off: put_pid_ns() can run from an RCU callback. */
static DEFINE_SPINLOCK(nsfs_registry_lock);
static LIST_HEAD(nsfs_registry);
static unsigned long nsfs_registry_last_id;

/* Woken whenever a namespace is unregistered. */
DECLARE_WAIT_QUEUE_HEAD(nsfs_registry_wq);

/**
 * nsfs_mount_register - list a namespace in the nsfs view
 * @ns: a namespace that is fully built
 */
void nsfs_mount_register(struct ns_common *ns)
{
	unsigned long flags;

	spin_lock_irqsave(&nsfs_registry_lock, flags);
	ns->nsfs_id = ++nsfs_registry_last_id;
	list_add_tail(&ns->nsfs_node, &nsfs_registry);
	spin_unlock_irqrestore(&nsfs_registry_lock, flags);
}

/**
 * nsfs_mount_unregister - drop a dying namespace and wake its watchers
 * @ns: a namespace whose inode number ns_alloc_inum() allocated
 *
 * A namespace that failed before nsfs_mount_register() has an empty node.
 */
void nsfs_mount_unregister(struct ns_common *ns)
{
	unsigned long flags;
	bool was_listed;

	spin_lock_irqsave(&nsfs_registry_lock, flags);
	was_listed = !list_empty(&ns->nsfs_node);
	list_del_init(&ns->nsfs_node);
	spin_unlock_irqrestore(&nsfs_registry_lock, flags);
	if (was_listed)
		wake_up_all(&nsfs_registry_wq);
}

/* Fill @info if @ns is alive and visible from @view. */
static bool nsfs_registry_fill(struct user_namespace *view,
			       struct ns_common *ns, struct nsfs_info *info)
{
	struct user_namespace *owner;
	struct pid_namespace *pidns;

	lockdep_assert_held(&nsfs_registry_lock);
	if (!ns->ops || !refcount_read(&ns->count))
		return false;
	owner = ns->ops->owner(ns);
	if (ns->ops->type == CLONE_NEWUSER) {
		if (!in_userns(view, container_of(ns, struct user_namespace, ns)))
			return false;
	} else if (!owner || !in_userns(view, owner)) {
		return false;
	}
	memset(info, 0, sizeof(*info));
	info->id = ns->nsfs_id;
	info->inum = ns->inum;
	info->type = ns->ops->type;
	info->name = ns->ops->name;
	info->has_owner = owner && in_userns(view, owner);
	if (info->has_owner)
		info->owner_inum = owner->ns.inum;
	if (info->type == CLONE_NEWUSER) {
		info->has_parent = info->has_owner;
		info->parent_inum = info->owner_inum;
	} else if (info->type == CLONE_NEWPID) {
		pidns = container_of(ns, struct pid_namespace, ns)->parent;
		if (pidns && in_userns(view, pidns->user_ns)) {
			info->has_parent = true;
			info->parent_inum = pidns->ns.inum;
		}
	}
	return true;
}

/**
 * nsfs_registry_find - look up a namespace by type and inode number
 * @view: the user namespace of the view
 * @type: CLONE_NEW*
 * @inum: its inode number
 * @info: filled on success
 *
 * Return: 0, or -ENOENT when no such namespace is alive and visible.
 */
int nsfs_registry_find(struct user_namespace *view, int type,
		       unsigned int inum, struct nsfs_info *info)
{
	struct ns_common *ns;
	unsigned long flags;
	int ret = -ENOENT;

	spin_lock_irqsave(&nsfs_registry_lock, flags);
	list_for_each_entry(ns, &nsfs_registry, nsfs_node) {
		if (ns->inum == inum && ns->ops && ns->ops->type == type &&
		    nsfs_registry_fill(view, ns, info)) {
			ret = 0;
			break;
		}
	}
	spin_unlock_irqrestore(&nsfs_registry_lock, flags);
	return ret;
}

/**
 * nsfs_registry_get - look up a namespace by registry id
 * @view: the user namespace of the view
 * @id: its registry id
 * @info: filled on success
 *
 * Return: 0, or -ENOENT when it died.
 */
int nsfs_registry_get(struct user_namespace *view, unsigned long id,
		      struct nsfs_info *info)
{
	struct ns_common *ns;
	unsigned long flags;
	int ret = -ENOENT;

	spin_lock_irqsave(&nsfs_registry_lock, flags);
	list_for_each_entry(ns, &nsfs_registry, nsfs_node) {
		if (ns->nsfs_id == id) {
			if (nsfs_registry_fill(view, ns, info))
				ret = 0;
			break;
		}
	}
	spin_unlock_irqrestore(&nsfs_registry_lock, flags);
	return ret;
}

/**
 * nsfs_registry_next - the first visible namespace of a type from an id on
 * @view: the user namespace of the view
 * @type: CLONE_NEW*
 * @from: the smallest registry id wanted
 * @info: filled when one is found
 *
 * Return: true when one was found.
 */
bool nsfs_registry_next(struct user_namespace *view, int type,
			unsigned long from, struct nsfs_info *info)
{
	struct ns_common *ns;
	unsigned long flags;
	bool found = false;

	spin_lock_irqsave(&nsfs_registry_lock, flags);
	list_for_each_entry(ns, &nsfs_registry, nsfs_node) {
		if (ns->nsfs_id >= from && ns->ops && ns->ops->type == type &&
		    nsfs_registry_fill(view, ns, info)) {
			found = true;
			break;
		}
	}
	spin_unlock_irqrestore(&nsfs_registry_lock, flags);
	return found;
}

/**
 * nsfs_registry_get_ns - take a reference on a live namespace
 * @id: its registry id
 *
 * Return: the namespace (drop it with ns->ops->put()), or NULL when it died.
 */
struct ns_common *nsfs_registry_get_ns(unsigned long id)
{
	struct ns_common *ns, *found = NULL;
	unsigned long flags;

	spin_lock_irqsave(&nsfs_registry_lock, flags);
	list_for_each_entry(ns, &nsfs_registry, nsfs_node) {
		if (ns->nsfs_id == id) {
			if (ns->ops && refcount_inc_not_zero(&ns->count))
				found = ns;
			break;
		}
	}
	spin_unlock_irqrestore(&nsfs_registry_lock, flags);
	return found;
}

/**
 * nsfs_registry_alive - is a namespace still registered
 * @id: its registry id
 *
 * Return: false once it was unregistered, which is final.
 */
bool nsfs_registry_alive(unsigned long id)
{
	struct ns_common *ns;
	unsigned long flags;
	bool alive = false;

	spin_lock_irqsave(&nsfs_registry_lock, flags);
	list_for_each_entry(ns, &nsfs_registry, nsfs_node) {
		if (ns->nsfs_id == id) {
			alive = true;
			break;
		}
	}
	spin_unlock_irqrestore(&nsfs_registry_lock, flags);
	return alive;
}

/*
 * The init namespaces that are static objects, never freed; registered
 * here, after start_kernel() made them (net_ns_init() included).
 */
static struct ns_common *nsfs_init_ns[] __initdata = {
	&init_user_ns.ns,
	&init_pid_ns.ns,
	&init_uts_ns.ns,
#if defined(CONFIG_SYSVIPC) || defined(CONFIG_POSIX_MQUEUE)
	&init_ipc_ns.ns,
#endif
#ifdef CONFIG_CGROUPS
	&init_cgroup_ns.ns,
#endif
#ifdef CONFIG_TIME_NS
	&init_time_ns.ns,
#endif
#ifdef CONFIG_NET
	&init_net.ns,	/* its node made by ns_alloc_inum() since */
#endif
};

static int __init nsfs_registry_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nsfs_init_ns); i++)
		nsfs_mount_register(nsfs_init_ns[i]);
	return 0;
}
core_initcall(nsfs_registry_init);
