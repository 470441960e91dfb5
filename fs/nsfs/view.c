// SPDX-License-Identifier: GPL-2.0
/*
 * The mountable view of namespaces: `mount -t nsfs nsfs /ns`.
 *
 *	/ns/TYPE/INUM/handle	magic link to the namespace itself
 *	/ns/TYPE/INUM/owner	-> ../../user/INUM, the owning user namespace
 *	/ns/TYPE/INUM/parent	-> ../INUM, the parent (pid and user only)
 *	/ns/TYPE/INUM/events	"live 1" or "live 0"; poll() wakes on death
 *
 * Directory entries carry made-up nonzero inode numbers (readdir(3) skips
 * zero); stat() gives the real ones.
 *
 * Nothing is cached: every lookup asks the registry (registry.c), dentries
 * are deleted when unused, and one that is held (an open events file, a
 * working directory) is revalidated against the registry.  A directory
 * inode remembers its namespace by registry id, which is never reused.
 *
 * The internal nsfs of fs/nsfs.c is never registered, so this filesystem
 * type takes its name; its mount shows root "/" in mountinfo where a
 * bind-mounted namespace shows "net:[INUM]", and its magic differs.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/ns_common.h>
#include <linux/poll.h>
#include <linux/proc_ns.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>

#include "internal.h"

#define NSFS_VIEW_MAGIC		0x6e737677	/* "nsvw" */
#define NSFS_VIEW_LINK_MAX	40		/* "../../user/4294967295" */

/* One directory per namespace type, named as in /proc/PID/ns. */
struct nsfs_view_type {
	const char	*name;
	int		type;
};

static const struct nsfs_view_type nsfs_view_types[] = {
	{ "cgroup",	CLONE_NEWCGROUP },
	{ "ipc",	CLONE_NEWIPC },
	{ "mnt",	CLONE_NEWNS },
	{ "net",	CLONE_NEWNET },
	{ "pid",	CLONE_NEWPID },
	{ "time",	CLONE_NEWTIME },
	{ "user",	CLONE_NEWUSER },
	{ "uts",	CLONE_NEWUTS },
};

/* One file of a namespace directory; @present says if this one has it. */
struct nsfs_view_file {
	const char			*name;
	umode_t				mode;
	const struct inode_operations	*iops;
	const struct file_operations	*fops;
	bool	(*present)(const struct nsfs_info *info);
};

static struct user_namespace *nsfs_view_userns(struct inode *inode)
{
	return inode->i_sb->s_user_ns;
}

/* The registry id of a namespace directory or file; i_private holds it. */
static unsigned long nsfs_view_id(struct inode *inode)
{
	return (unsigned long)inode->i_private;
}

static struct inode *nsfs_view_inode(struct super_block *sb, umode_t mode,
				     const struct inode_operations *iops,
				     const struct file_operations *fops,
				     void *private)
{
	struct inode *inode = new_inode(sb);

	if (!inode)
		return ERR_PTR(-ENOMEM);
	inode->i_ino = get_next_ino();
	inode->i_mode = mode;
	inode->i_op = iops;
	if (fops)
		inode->i_fop = fops;
	inode->i_private = private;
	simple_inode_init_ts(inode);
	if (S_ISDIR(mode))
		set_nlink(inode, 2);
	return inode;
}

/* Bind @inode (or an error) to a negative @dentry, as ->lookup returns. */
static struct dentry *nsfs_view_splice(struct dentry *dentry,
				       struct inode *inode)
{
	if (IS_ERR(inode))
		return ERR_CAST(inode);
	d_add(dentry, inode);
	return NULL;
}

/* --- handle: a magic link to the namespace, as /proc/PID/ns/TYPE --- */

static struct ns_common *nsfs_handle_held(void *ns)
{
	return ns;
}

static const char *nsfs_handle_get_link(struct dentry *dentry,
					struct inode *inode,
					struct delayed_call *done)
{
	struct ns_common *ns;
	struct path path;
	int ret;

	if (!dentry)
		return ERR_PTR(-ECHILD);
	if (!ns_capable(nsfs_view_userns(inode), CAP_SYS_ADMIN))
		return ERR_PTR(-EACCES);
	ns = nsfs_registry_get_ns(nsfs_view_id(inode));
	if (!ns)
		return ERR_PTR(-ENOENT);
	ret = ns_get_path_cb(&path, nsfs_handle_held, ns);
	if (!ret)
		ret = nd_jump_link(&path);
	return ERR_PTR(ret);
}

static int nsfs_handle_readlink(struct dentry *dentry, char __user *buf,
				int buflen)
{
	struct inode *inode = d_inode(dentry);
	char name[NSFS_VIEW_LINK_MAX];
	struct nsfs_info info;
	int ret;

	ret = nsfs_registry_get(nsfs_view_userns(inode), nsfs_view_id(inode),
				&info);
	if (ret)
		return ret;
	snprintf(name, sizeof(name), "%s:[%u]", info.name, info.inum);
	return readlink_copy(buf, buflen, name);
}

static const struct inode_operations nsfs_handle_iops = {
	.get_link	= nsfs_handle_get_link,
	.readlink	= nsfs_handle_readlink,
};

/* --- owner, parent: relative symlinks to other namespace directories --- */

static const char *nsfs_link_get(struct dentry *dentry, struct inode *inode,
				 struct delayed_call *done, bool parent)
{
	struct nsfs_info info;
	char *link;
	int ret;

	if (!dentry)
		return ERR_PTR(-ECHILD);
	ret = nsfs_registry_get(nsfs_view_userns(inode), nsfs_view_id(inode),
				&info);
	if (ret)
		return ERR_PTR(ret);
	if (parent ? !info.has_parent : !info.has_owner)
		return ERR_PTR(-ENOENT);
	if (parent)
		link = kasprintf(GFP_KERNEL, "../%u", info.parent_inum);
	else
		link = kasprintf(GFP_KERNEL, "../../user/%u", info.owner_inum);
	if (!link)
		return ERR_PTR(-ENOMEM);
	set_delayed_call(done, kfree_link, link);
	return link;
}

static const char *nsfs_owner_get_link(struct dentry *dentry,
				       struct inode *inode,
				       struct delayed_call *done)
{
	return nsfs_link_get(dentry, inode, done, false);
}

static const char *nsfs_parent_get_link(struct dentry *dentry,
					struct inode *inode,
					struct delayed_call *done)
{
	return nsfs_link_get(dentry, inode, done, true);
}

static const struct inode_operations nsfs_owner_iops = {
	.get_link	= nsfs_owner_get_link,
};

static const struct inode_operations nsfs_parent_iops = {
	.get_link	= nsfs_parent_get_link,
};

/* --- events: "live 1" until the namespace dies, then "live 0" --- */

static ssize_t nsfs_events_read(struct file *file, char __user *buf,
				size_t count, loff_t *ppos)
{
	bool alive = nsfs_registry_alive(nsfs_view_id(file_inode(file)));
	char text[16];
	int len;

	len = scnprintf(text, sizeof(text), "live %d\n", alive);
	return simple_read_from_buffer(buf, count, ppos, text, len);
}

/* Not ready while the namespace lives; readable, PRI and ERR once dead. */
static __poll_t nsfs_events_poll(struct file *file, poll_table *pt)
{
	poll_wait(file, &nsfs_registry_wq, pt);
	if (nsfs_registry_alive(nsfs_view_id(file_inode(file))))
		return 0;
	return EPOLLIN | EPOLLRDNORM | EPOLLPRI | EPOLLERR;
}

static const struct file_operations nsfs_events_fops = {
	.read		= nsfs_events_read,
	.poll		= nsfs_events_poll,
	.llseek		= default_llseek,
};

static const struct inode_operations nsfs_events_iops = {
	.getattr	= simple_getattr,
};

/* --- the namespace directory: /ns/TYPE/INUM --- */

static bool nsfs_has_owner(const struct nsfs_info *info)
{
	return info->has_owner;
}

static bool nsfs_has_parent(const struct nsfs_info *info)
{
	return info->has_parent;
}

static const struct nsfs_view_file nsfs_view_files[] = {
	{ "events", S_IFREG | 0444, &nsfs_events_iops, &nsfs_events_fops, NULL },
	{ "handle", S_IFLNK | 0777, &nsfs_handle_iops, NULL, NULL },
	{ "owner", S_IFLNK | 0777, &nsfs_owner_iops, NULL, nsfs_has_owner },
	{ "parent", S_IFLNK | 0777, &nsfs_parent_iops, NULL, nsfs_has_parent },
};

static bool nsfs_view_file_present(const struct nsfs_view_file *file,
				   const struct nsfs_info *info)
{
	return !file->present || file->present(info);
}

static struct dentry *nsfs_ns_lookup(struct inode *dir, struct dentry *dentry,
				     unsigned int flags)
{
	const struct nsfs_view_file *file;
	struct nsfs_info info;
	unsigned int i;
	int ret;

	ret = nsfs_registry_get(nsfs_view_userns(dir), nsfs_view_id(dir), &info);
	if (ret)
		return ERR_PTR(ret);
	for (i = 0; i < ARRAY_SIZE(nsfs_view_files); i++) {
		file = &nsfs_view_files[i];
		if (strcmp(dentry->d_name.name, file->name) ||
		    !nsfs_view_file_present(file, &info))
			continue;
		return nsfs_view_splice(dentry,
					nsfs_view_inode(dir->i_sb, file->mode,
							file->iops, file->fops,
							dir->i_private));
	}
	return NULL;
}

static int nsfs_ns_iterate(struct file *filp, struct dir_context *ctx)
{
	struct inode *dir = file_inode(filp);
	const struct nsfs_view_file *file;
	struct nsfs_info info;
	int ret;

	ret = nsfs_registry_get(nsfs_view_userns(dir), nsfs_view_id(dir), &info);
	if (ret)
		return ret;
	if (!dir_emit_dots(filp, ctx))
		return 0;
	for (; ctx->pos - 2 < ARRAY_SIZE(nsfs_view_files); ctx->pos++) {
		file = &nsfs_view_files[ctx->pos - 2];
		if (!nsfs_view_file_present(file, &info))
			continue;
		if (!dir_emit(ctx, file->name, strlen(file->name), ctx->pos,
			      file->mode >> 12))
			break;
	}
	return 0;
}

static const struct inode_operations nsfs_ns_iops = {
	.lookup		= nsfs_ns_lookup,
};

static const struct file_operations nsfs_ns_fops = {
	.iterate_shared	= nsfs_ns_iterate,
	.read		= generic_read_dir,
	.llseek		= generic_file_llseek,
};

/* --- the type directory: /ns/TYPE --- */

static const struct nsfs_view_type *nsfs_view_type(struct inode *dir)
{
	return dir->i_private;
}

static struct dentry *nsfs_type_lookup(struct inode *dir, struct dentry *dentry,
				       unsigned int flags)
{
	struct nsfs_info info;
	unsigned int inum;

	if (kstrtouint(dentry->d_name.name, 10, &inum))
		return NULL;
	if (nsfs_registry_find(nsfs_view_userns(dir), nsfs_view_type(dir)->type,
			       inum, &info))
		return NULL;
	return nsfs_view_splice(dentry,
				nsfs_view_inode(dir->i_sb, S_IFDIR | 0555,
						&nsfs_ns_iops, &nsfs_ns_fops,
						(void *)info.id));
}

/* Positions past the dots are registry ids + 2, which grow along the list. */
static int nsfs_type_iterate(struct file *filp, struct dir_context *ctx)
{
	struct inode *dir = file_inode(filp);
	struct nsfs_info info;
	char name[16];
	int len;

	if (!dir_emit_dots(filp, ctx))
		return 0;
	while (nsfs_registry_next(nsfs_view_userns(dir),
				  nsfs_view_type(dir)->type, ctx->pos - 2,
				  &info)) {
		len = snprintf(name, sizeof(name), "%u", info.inum);
		ctx->pos = info.id + 2;
		if (!dir_emit(ctx, name, len, info.inum, DT_DIR))
			break;
		ctx->pos++;
	}
	return 0;
}

static const struct inode_operations nsfs_type_iops = {
	.lookup		= nsfs_type_lookup,
};

static const struct file_operations nsfs_type_fops = {
	.iterate_shared	= nsfs_type_iterate,
	.read		= generic_read_dir,
	.llseek		= generic_file_llseek,
};

/* --- the root: one directory per type --- */

static struct dentry *nsfs_root_lookup(struct inode *dir, struct dentry *dentry,
				       unsigned int flags)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nsfs_view_types); i++)
		if (!strcmp(dentry->d_name.name, nsfs_view_types[i].name))
			return nsfs_view_splice(dentry,
				nsfs_view_inode(dir->i_sb, S_IFDIR | 0555,
						&nsfs_type_iops,
						&nsfs_type_fops,
						(void *)&nsfs_view_types[i]));
	return NULL;
}

static int nsfs_root_iterate(struct file *filp, struct dir_context *ctx)
{
	const struct nsfs_view_type *t;

	if (!dir_emit_dots(filp, ctx))
		return 0;
	for (; ctx->pos - 2 < ARRAY_SIZE(nsfs_view_types); ctx->pos++) {
		t = &nsfs_view_types[ctx->pos - 2];
		if (!dir_emit(ctx, t->name, strlen(t->name), ctx->pos, DT_DIR))
			break;
	}
	return 0;
}

static const struct inode_operations nsfs_root_iops = {
	.lookup		= nsfs_root_lookup,
};

static const struct file_operations nsfs_root_fops = {
	.iterate_shared	= nsfs_root_iterate,
	.read		= generic_read_dir,
	.llseek		= generic_file_llseek,
};

/* --- superblock --- */

/* A held dentry of a namespace directory or file is stale once it died. */
static int nsfs_view_d_revalidate(struct dentry *dentry, unsigned int flags)
{
	struct inode *inode = d_inode_rcu(dentry);

	if (!inode || inode->i_op == &nsfs_root_iops ||
	    inode->i_op == &nsfs_type_iops)
		return 1;
	return nsfs_registry_alive(nsfs_view_id(inode));
}

static const struct dentry_operations nsfs_view_dops = {
	.d_revalidate	= nsfs_view_d_revalidate,
	.d_delete	= always_delete_dentry,
};

static const struct super_operations nsfs_view_sops = {
	.statfs		= simple_statfs,
	.drop_inode	= generic_delete_inode,
};

static int nsfs_view_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct inode *root;

	sb->s_magic = NSFS_VIEW_MAGIC;
	sb->s_op = &nsfs_view_sops;
	sb->s_d_op = &nsfs_view_dops;
	sb->s_time_gran = 1;
	root = nsfs_view_inode(sb, S_IFDIR | 0555, &nsfs_root_iops,
			       &nsfs_root_fops, NULL);
	if (IS_ERR(root))
		return PTR_ERR(root);
	sb->s_root = d_make_root(root);
	return sb->s_root ? 0 : -ENOMEM;
}

static int nsfs_view_get_tree(struct fs_context *fc)
{
	return get_tree_nodev(fc, nsfs_view_fill_super);
}

static const struct fs_context_operations nsfs_view_context_ops = {
	.get_tree	= nsfs_view_get_tree,
};

static int nsfs_view_init_fs_context(struct fs_context *fc)
{
	fc->ops = &nsfs_view_context_ops;
	return 0;
}

static struct file_system_type nsfs_view_type_fs = {
	.owner			= THIS_MODULE,
	.name			= "nsfs",
	.init_fs_context	= nsfs_view_init_fs_context,
	.kill_sb		= kill_anon_super,
	.fs_flags		= FS_USERNS_MOUNT,
};

static int __init nsfs_view_init(void)
{
	return register_filesystem(&nsfs_view_type_fs);
}
fs_initcall(nsfs_view_init);
