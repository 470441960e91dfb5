/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fs/nsfs: the mountable view of namespaces.  registry.c keeps the list of
 * live namespaces, view.c is the filesystem that shows it.
 */
#ifndef _FS_NSFS_INTERNAL_H
#define _FS_NSFS_INTERNAL_H

#include <linux/types.h>
#include <linux/wait.h>

struct ns_common;
struct user_namespace;

/* What the view needs of one registered namespace, copied out under lock. */
struct nsfs_info {
	unsigned long	id;		/* registry id, never reused */
	unsigned int	inum;		/* the namespace's inode number */
	int		type;		/* CLONE_NEW* */
	const char	*name;		/* "net", "user", ... */
	bool		has_owner;	/* owner visible in the view */
	unsigned int	owner_inum;
	bool		has_parent;	/* parent visible (pid, user only) */
	unsigned int	parent_inum;
};

extern wait_queue_head_t nsfs_registry_wq;

int nsfs_registry_find(struct user_namespace *view, int type,
		       unsigned int inum, struct nsfs_info *info);
int nsfs_registry_get(struct user_namespace *view, unsigned long id,
		      struct nsfs_info *info);
bool nsfs_registry_next(struct user_namespace *view, int type,
			unsigned long from, struct nsfs_info *info);
struct ns_common *nsfs_registry_get_ns(unsigned long id);
bool nsfs_registry_alive(unsigned long id);

#endif /* _FS_NSFS_INTERNAL_H */
