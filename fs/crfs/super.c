// SPDX-License-Identifier: GPL-2.0
/*
 * crfs: containers controlled by files.
 *
 * Each mount makes its own cgroup subtree, crfs-<n> under the root of the
 * default hierarchy; mkdir in the mount root makes a container, a cgroup
 * of that subtree, with fixed control files (ctl.c).  The dentries are
 * pinned, as in ramfs; rmdir removes an empty container and its cgroup.
 *
 * Unmounting thaws every container and removes the cgroups that have no
 * process left; the others stay, thawed, in the cgroup tree.
 *
 * See Documentation/filesystems/crfs.rst.
 */
#include <linux/ctype.h>
#include <linux/fs_context.h>
#include <linux/init.h>
#include <linux/pagemap.h>
#include <linux/pid_namespace.h>
#include <linux/slab.h>

#include "crfs.h"

/* Tries at a fresh subtree name, crfs-<n>, when one is taken. */
#define CRFS_SUBTREE_TRIES	100

static atomic_t crfs_subtree_seq = ATOMIC_INIT(0);

static const struct inode_operations crfs_root_iops;
static const struct inode_operations crfs_ct_iops;
static const struct super_operations crfs_sops;

/**
 * crfs_new_inode - a new inode of the mount, owned by root
 * @sb: the super block
 * @mode: type and permissions
 *
 * Return: the inode, or NULL.
 */
struct inode *crfs_new_inode(struct super_block *sb, umode_t mode)
{
	struct inode *inode = new_inode(sb);

	if (!inode)
		return NULL;
	inode->i_ino = get_next_ino();
	inode->i_mode = mode;
	simple_inode_init_ts(inode);
	if (S_ISDIR(mode)) {
		inode->i_fop = &simple_dir_operations;
		inc_nlink(inode);
	}
	return inode;
}

/* A container name: no dot names, spaces, slashes or control characters. */
static int crfs_check_name(const struct qstr *name)
{
	unsigned int i;

	if (name->len > CRFS_NAME_MAX)
		return -ENAMETOOLONG;
	if (is_dot_dotdot(name->name, name->len))
		return -EINVAL;
	for (i = 0; i < name->len; i++) {
		unsigned char c = name->name[i];

		if (c == '/' || c == ' ' || iscntrl(c))
			return -EINVAL;
	}
	return 0;
}

/* mkdir in the root: a container, its cgroup, its files. */
static int crfs_mkdir(struct mnt_idmap *idmap, struct inode *dir,
		      struct dentry *dentry, umode_t mode)
{
	struct crfs_sb *sbi = dir->i_sb->s_fs_info;
	struct crfs_ct *ct;
	struct inode *inode;
	int ret;

	ret = crfs_check_name(&dentry->d_name);
	if (ret)
		return ret;
	ct = crfs_ct_create(sbi, dentry->d_name.name);
	if (IS_ERR(ct))
		return PTR_ERR(ct);
	inode = crfs_new_inode(dir->i_sb, S_IFDIR | 0755);
	if (!inode) {
		crfs_ct_remove(sbi, ct);
		return -ENOMEM;
	}
	inode->i_op = &crfs_ct_iops;
	inode->i_private = ct;
	crfs_ct_get(ct);
	d_instantiate(dentry, inode);
	dget(dentry);			/* pinned, as in ramfs */
	inc_nlink(dir);
	inode_set_mtime_to_ts(dir, inode_set_ctime_current(dir));

	ret = crfs_ct_populate(ct, dentry);
	if (ret) {
		crfs_ct_remove(sbi, ct);
		clear_nlink(inode);
		drop_nlink(dir);
		dput(dentry);
		d_drop(dentry);
	}
	return ret;
}

/* rmdir in the root: only a container without processes goes. */
static int crfs_rmdir(struct inode *dir, struct dentry *dentry)
{
	struct crfs_sb *sbi = dir->i_sb->s_fs_info;
	struct inode *inode = d_inode(dentry);
	int ret;

	ret = crfs_ct_remove(sbi, inode->i_private);
	if (ret)
		return ret;
	clear_nlink(inode);
	drop_nlink(dir);
	inode_set_mtime_to_ts(dir, inode_set_ctime_current(dir));
	dput(dentry);			/* the pin of mkdir */
	return 0;
}

/* Files are never created: the control files of a container are fixed. */
static int crfs_create(struct mnt_idmap *idmap, struct inode *dir,
		       struct dentry *dentry, umode_t mode, bool excl)
{
	return -EPERM;
}

static const struct inode_operations crfs_root_iops = {
	.lookup		= simple_lookup,
	.create		= crfs_create,
	.mkdir		= crfs_mkdir,
	.rmdir		= crfs_rmdir,
};

static const struct inode_operations crfs_ct_iops = {
	.lookup		= simple_lookup,
	.create		= crfs_create,
};

/* The last reference to an inode of a container goes. */
static void crfs_evict_inode(struct inode *inode)
{
	struct crfs_ns_link *link;
	struct crfs_ct_file *cf;

	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	if (!inode->i_private)
		return;
	if (S_ISDIR(inode->i_mode)) {		/* CT or CT/ns */
		crfs_ct_put(inode->i_private);
	} else if (S_ISLNK(inode->i_mode)) {	/* CT/ns/TYPE */
		link = inode->i_private;
		crfs_ct_put(link->ct);
	} else {
		cf = inode->i_private;
		crfs_ct_put(cf->ct);
	}
}

static const struct super_operations crfs_sops = {
	.statfs		= simple_statfs,
	.drop_inode	= generic_delete_inode,
	.evict_inode	= crfs_evict_inode,
};

/* The mount's own cgroup subtree, crfs-<n>, at the default root. */
static struct cgroup *crfs_make_subtree(void)
{
	struct cgroup *cgrp = ERR_PTR(-EEXIST);
	char name[32];
	int i;

	for (i = 0; i < CRFS_SUBTREE_TRIES && PTR_ERR(cgrp) == -EEXIST; i++) {
		snprintf(name, sizeof(name), "crfs-%d",
			 atomic_inc_return(&crfs_subtree_seq));
		cgrp = crfs_cgroup_mkdir(NULL, name);
	}
	return cgrp;
}

static int crfs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct crfs_sb *sbi;
	struct inode *root;

	sbi = kzalloc(sizeof(*sbi), GFP_KERNEL);
	if (!sbi)
		return -ENOMEM;
	mutex_init(&sbi->lock);
	INIT_LIST_HEAD(&sbi->cts);
	sbi->pid_ns = get_pid_ns(task_active_pid_ns(current));
	sb->s_fs_info = sbi;
	sbi->subtree = crfs_make_subtree();
	if (IS_ERR(sbi->subtree)) {
		errorfc(fc, "cannot make a cgroup subtree: %ld",
			PTR_ERR(sbi->subtree));
		return PTR_ERR(sbi->subtree);
	}

	sb->s_maxbytes = MAX_LFS_FILESIZE;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	sb->s_magic = CRFS_MAGIC;
	sb->s_op = &crfs_sops;
	sb->s_time_gran = 1;

	root = crfs_new_inode(sb, S_IFDIR | 0755);
	if (!root)
		return -ENOMEM;
	root->i_op = &crfs_root_iops;
	sb->s_root = d_make_root(root);
	if (!sb->s_root)
		return -ENOMEM;
	return 0;
}

/* Unmount: thaw every container, remove the empty ones and the subtree. */
static void crfs_kill_sb(struct super_block *sb)
{
	struct crfs_sb *sbi = sb->s_fs_info;
	struct crfs_ct *ct;

	if (sbi) {
		for (;;) {
			mutex_lock(&sbi->lock);
			ct = list_first_entry_or_null(&sbi->cts, struct crfs_ct,
						      node);
			mutex_unlock(&sbi->lock);
			if (!ct)
				break;
			crfs_ct_shutdown(sbi, ct);
		}
	}
	kill_litter_super(sb);
	if (!sbi)
		return;
	if (!IS_ERR_OR_NULL(sbi->subtree)) {
		crfs_cgroup_rmdir(sbi->subtree);
		crfs_cgroup_put(sbi->subtree);
	}
	put_pid_ns(sbi->pid_ns);
	kfree(sbi);
}

static int crfs_get_tree(struct fs_context *fc)
{
	return get_tree_nodev(fc, crfs_fill_super);
}

static const struct fs_context_operations crfs_context_ops = {
	.get_tree	= crfs_get_tree,
};

static int crfs_init_fs_context(struct fs_context *fc)
{
	fc->ops = &crfs_context_ops;
	return 0;
}

static struct file_system_type crfs_fs_type = {
	.owner			= THIS_MODULE,
	.name			= "crfs",
	.init_fs_context	= crfs_init_fs_context,
	.kill_sb		= crfs_kill_sb,
};

static int __init crfs_init(void)
{
	return register_filesystem(&crfs_fs_type);
}
fs_initcall(crfs_init);
