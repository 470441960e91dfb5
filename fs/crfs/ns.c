// SPDX-License-Identifier: GPL-2.0
/*
 * crfs container namespaces: CT/ns/TYPE, one symbolic link per namespace
 * type, to /proc/PID/ns/TYPE of the container's first process.
 *
 * The target is made at each readlink: PID is the first process of the
 * container's cgroup, as seen from the pid namespace of the mounter.  An
 * empty container has no target: following a link fails with -ENOENT.
 * The ns directory and its links are pinned, as the control files are,
 * and go with the container.
 */
#include <linux/cgroup.h>
#include <linux/dcache.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "crfs.h"

/* The namespace types, named as in /proc/PID/ns and as crfs-fuse does. */
static const char *const crfs_ns_types[CRFS_NS_NR] = {
	"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts",
};

/* The first process of @ct as a pid of @ns; 0 when there is none. */
static pid_t crfs_ns_first_pid(struct crfs_ct *ct, struct pid_namespace *ns)
{
	struct css_task_iter it;
	struct task_struct *task;
	pid_t pid = 0;

	css_task_iter_start(&ct->cgrp->self, CSS_TASK_ITER_PROCS, &it);
	while (!pid && (task = css_task_iter_next(&it)))
		pid = task_tgid_nr_ns(task, ns);
	css_task_iter_end(&it);
	return pid;
}

/* readlink and follow: "/proc/PID/ns/TYPE", made now. */
static const char *crfs_ns_get_link(struct dentry *dentry,
				    struct inode *inode,
				    struct delayed_call *done)
{
	struct crfs_sb *sbi = inode->i_sb->s_fs_info;
	struct crfs_ns_link *link = inode->i_private;
	char *target;
	pid_t pid;

	if (!dentry)
		return ERR_PTR(-ECHILD);	/* css_task_iter may sleep */
	pid = crfs_ns_first_pid(link->ct, sbi->pid_ns);
	if (!pid)
		return ERR_PTR(-ENOENT);
	target = kasprintf(GFP_KERNEL, "/proc/%d/ns/%s", pid,
			   crfs_ns_types[link->type]);
	if (!target)
		return ERR_PTR(-ENOMEM);
	set_delayed_call(done, kfree_link, target);
	return target;
}

static const struct inode_operations crfs_ns_link_iops = {
	.get_link	= crfs_ns_get_link,
};

/* Nothing is made in ns/: no create, no mkdir, no symlink. */
static int crfs_ns_create(struct mnt_idmap *idmap, struct inode *dir,
			  struct dentry *dentry, umode_t mode, bool excl)
{
	return -EPERM;
}

static const struct inode_operations crfs_ns_dir_iops = {
	.lookup		= simple_lookup,
	.create		= crfs_ns_create,
};

/* A pinned child of @parent: @inode under @name; NULL without memory. */
static struct dentry *crfs_ns_add(struct dentry *parent, const char *name,
				  struct inode *inode)
{
	struct dentry *dentry;

	if (!inode)
		return NULL;
	dentry = d_alloc_name(parent, name);
	if (!dentry) {
		iput(inode);		/* its eviction puts the container */
		return NULL;
	}
	d_add(dentry, inode);	/* the dentry keeps its reference */
	return dentry;
}

/* A new inode of @ct's ns tree, holding a reference on @ct. */
static struct inode *crfs_ns_inode(struct crfs_ct *ct, struct super_block *sb,
				   umode_t mode,
				   const struct inode_operations *iops,
				   void *private)
{
	struct inode *inode = crfs_new_inode(sb, mode);

	if (!inode)
		return NULL;
	inode->i_op = iops;
	inode->i_private = private;
	crfs_ct_get(ct);
	return inode;
}

/**
 * crfs_ns_populate - make a container's ns directory and its links
 * @ct: the container
 * @dir: its directory, instantiated
 *
 * On failure what was made so far stays, for crfs_ns_drop() to drop.
 * Return: 0 or -ENOMEM.
 */
int crfs_ns_populate(struct crfs_ct *ct, struct dentry *dir)
{
	struct super_block *sb = dir->d_sb;
	struct inode *inode;
	unsigned int i;

	inode = crfs_ns_inode(ct, sb, S_IFDIR | 0555, &crfs_ns_dir_iops, ct);
	ct->ns_dir = crfs_ns_add(dir, "ns", inode);
	if (!ct->ns_dir)
		return -ENOMEM;
	inc_nlink(d_inode(dir));

	for (i = 0; i < CRFS_NS_NR; i++) {
		struct crfs_ns_link *link = &ct->ns_links[i];

		link->ct = ct;
		link->type = i;
		inode = crfs_ns_inode(ct, sb, S_IFLNK | 0777,
				      &crfs_ns_link_iops, link);
		link->dentry = crfs_ns_add(ct->ns_dir, crfs_ns_types[i], inode);
		if (!link->dentry)
			return -ENOMEM;
	}
	return 0;
}

/* Unhash and unpin @dentry, if any. */
static void crfs_ns_unpin(struct dentry *dentry)
{
	if (!dentry)
		return;
	clear_nlink(d_inode(dentry));
	d_drop(dentry);
	dput(dentry);
}

/**
 * crfs_ns_drop - remove a container's ns directory and its links
 * @ct: the container, being removed
 */
void crfs_ns_drop(struct crfs_ct *ct)
{
	unsigned int i;

	for (i = 0; i < CRFS_NS_NR; i++) {
		crfs_ns_unpin(ct->ns_links[i].dentry);
		ct->ns_links[i].dentry = NULL;
	}
	crfs_ns_unpin(ct->ns_dir);
	ct->ns_dir = NULL;
}
