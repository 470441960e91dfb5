/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crfs internals: a mount, its containers, their control files.
 */
#ifndef _FS_CRFS_CRFS_H
#define _FS_CRFS_CRFS_H

#include <linux/atomic.h>
#include <linux/crfs_cgroup.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#define CRFS_MAGIC		0x63726673	/* "crfs" */
#define CRFS_NAME_MAX		64	/* bytes of a container name */
#define CRFS_CMD_MAX		64	/* bytes of a command written to a file */
#define CRFS_ERROR_LEN		512	/* bytes of the error line */
#define CRFS_ERRNAME_LEN	32	/* its end: " (ERESTART_RESTARTBLOCK)" */
#define CRFS_KILL_TIMEOUT	(5 * HZ)
#define CRFS_NS_NR		8	/* namespace types: links in CT/ns */

struct crfs_ckpt;
struct crfs_ct;
struct crfs_rst;
struct pid_namespace;

/* A control file: one row of crfs_ctl_files[]. */
struct crfs_ctl {
	const char	*name;
	umode_t		mode;
	int		(*show)(struct crfs_ct *ct, struct seq_file *m);
	int		(*write)(struct crfs_ct *ct, char *buf);
	int		(*open)(struct crfs_ct *ct, struct file *file);
	const struct file_operations *fops;	/* not a seq_file: image */
	bool		pollable;
};

extern const struct crfs_ctl crfs_ctl_files[];
extern const unsigned int crfs_nr_ctl_files;
extern const struct file_operations crfs_ctl_fops;
extern const struct file_operations crfs_image_fops;

/* The i_private of a control file's inode. */
struct crfs_ct_file {
	struct crfs_ct		*ct;
	const struct crfs_ctl	*ctl;
	struct dentry		*dentry;
};

/* A link of CT/ns: the i_private of its inode. */
struct crfs_ns_link {
	struct crfs_ct		*ct;
	unsigned int		type;		/* index of the type in ns.c */
	struct dentry		*dentry;
};

/* One mount: its cgroup subtree and its containers. */
struct crfs_sb {
	struct cgroup		*subtree;
	struct pid_namespace	*pid_ns;	/* the mounter's: CT/ns pids */
	struct mutex		lock;		/* protects cts */
	struct list_head	cts;
};

/* A container: a directory, its cgroup, its control files. */
struct crfs_ct {
	struct kref		ref;		/* the list and every inode */
	struct list_head	node;		/* in crfs_sb.cts */
	struct cgroup		*cgrp;
	struct crfs_cgroup_link	link;
	wait_queue_head_t	wait;		/* events or state changed */
	atomic_t		event;		/* counts those changes */
	struct work_struct	notify_work;	/* tells fsnotify of them */
	spinlock_t		lock;		/* error, restoring, files[].dentry */
	char			error[CRFS_ERROR_LEN];
	bool			restoring;	/* a restore under way, not done */
	struct crfs_ckpt	*ckpt;		/* the checkpoint holding its lock */
	struct crfs_rst		*rst;		/* the restore, until it is done */
	unsigned int		kills;		/* kills of the transfers under way */
	struct crfs_ct_file	*files;		/* one per crfs_ctl_files[] row */
	struct dentry		*ns_dir;	/* CT/ns */
	struct crfs_ns_link	ns_links[CRFS_NS_NR];
	char			name[];
};

/* super.c */
struct inode *crfs_new_inode(struct super_block *sb, umode_t mode);

/* ct.c */
struct crfs_ct *crfs_ct_create(struct crfs_sb *sbi, const char *name);
int crfs_ct_populate(struct crfs_ct *ct, struct dentry *dir);
int crfs_ct_remove(struct crfs_sb *sbi, struct crfs_ct *ct);
void crfs_ct_shutdown(struct crfs_sb *sbi, struct crfs_ct *ct);
void crfs_ct_get(struct crfs_ct *ct);
void crfs_ct_put(struct crfs_ct *ct);
void crfs_ct_changed(struct crfs_ct *ct);
const char *crfs_ct_cg_state(struct crfs_ct *ct);
const char *crfs_ct_state(struct crfs_ct *ct);
const char *crfs_err_words(int err);
__printf(3, 4)
int crfs_ct_fail(struct crfs_ct *ct, int err, const char *fmt, ...);
void crfs_ct_clear(struct crfs_ct *ct);

/* image.c */
void crfs_image_kill(struct crfs_ct *ct);

/* ns.c */
int crfs_ns_populate(struct crfs_ct *ct, struct dentry *dir);
void crfs_ns_drop(struct crfs_ct *ct);

#endif /* _FS_CRFS_CRFS_H */
