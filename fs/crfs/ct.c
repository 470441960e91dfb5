// SPDX-License-Identifier: GPL-2.0
/*
 * crfs containers: a directory of control files over a cgroup.
 *
 * A container is made by mkdir in the mount root and lives until rmdir or
 * unmount; its memory lives on while an inode of it does.  Its cgroup
 * tells it of populated and frozen changes through a crfs_cgroup_link,
 * which wakes up the pollers of its events and state files and, from a
 * work item, tells fsnotify (inotify, fanotify) that they were modified,
 * as kernfs_notify() does for cgroup.events.
 */
#include <linux/crfs_ctl.h>
#include <linux/dcache.h>
#include <linux/errname.h>
#include <linux/fsnotify.h>
#include <linux/slab.h>
#include <linux/stdarg.h>

#include "crfs.h"

static void crfs_ct_release(struct kref *ref)
{
	struct crfs_ct *ct = container_of(ref, struct crfs_ct, ref);

	if (!IS_ERR_OR_NULL(ct->cgrp))
		crfs_cgroup_put(ct->cgrp);
	kfree(ct->files);
	kfree(ct);
}

/**
 * crfs_ct_get - take a reference on a container
 * @ct: the container
 */
void crfs_ct_get(struct crfs_ct *ct)
{
	kref_get(&ct->ref);
}

/**
 * crfs_ct_put - drop a reference; the last one frees the container
 * @ct: the container
 */
void crfs_ct_put(struct crfs_ct *ct)
{
	kref_put(&ct->ref, crfs_ct_release);
}

/* FS_MODIFY on the pollable files; the work holds a reference on @ct. */
static void crfs_ct_notify_workfn(struct work_struct *work)
{
	struct crfs_ct *ct = container_of(work, struct crfs_ct, notify_work);
	struct dentry *dentry;
	unsigned int i;

	for (i = 0; i < crfs_nr_ctl_files; i++) {
		if (!crfs_ctl_files[i].pollable)
			continue;
		spin_lock(&ct->lock);
		dentry = dget(ct->files[i].dentry);
		spin_unlock(&ct->lock);
		if (!dentry)
			continue;
		fsnotify_dentry(dentry, FS_MODIFY);
		dput(dentry);
	}
	crfs_ct_put(ct);
}

/**
 * crfs_ct_changed - the state or the events of @ct changed: tell readers
 * @ct: the container, held by the caller
 *
 * Wakes up pollers now and queues the fsnotify event; changes that come
 * while it is queued make one event.  Callable in atomic context.
 */
void crfs_ct_changed(struct crfs_ct *ct)
{
	atomic_inc(&ct->event);
	wake_up_all(&ct->wait);	/* the restore's writer waits killable */
	crfs_ct_get(ct);
	if (!schedule_work(&ct->notify_work))
		crfs_ct_put(ct);	/* already queued: never the last one */
}

/* The cgroup's populated or frozen state changed; css_set_lock is held. */
static void crfs_ct_notify(struct crfs_cgroup_link *link)
{
	crfs_ct_changed(container_of(link, struct crfs_ct, link));
}

/**
 * crfs_ct_fail - keep the reason of a failure in the error file
 * @ct: the container
 * @err: a negative errno
 * @fmt: the reason, printf style, without a newline, starting with the
 *	operation: "freeze: ct1 is restoring"
 *
 * The error file then reads "OP: REASON (ENAME)", ENAME being the
 * symbolic name of @err; a long reason is cut, the name never.
 *
 * Return: @err.
 */
int crfs_ct_fail(struct crfs_ct *ct, int err, const char *fmt, ...)
{
	char line[CRFS_ERROR_LEN - CRFS_ERRNAME_LEN];
	const char *name = errname(-err);
	va_list args;

	va_start(args, fmt);
	vsnprintf(line, sizeof(line), fmt, args);
	va_end(args);
	spin_lock(&ct->lock);
	if (name)
		snprintf(ct->error, sizeof(ct->error), "%s (%s)", line, name);
	else
		snprintf(ct->error, sizeof(ct->error), "%s (errno %d)", line, -err);
	spin_unlock(&ct->lock);
	return err;
}

/**
 * crfs_ct_clear - a new operation on @ct begins: forget the last reason
 * @ct: the container
 *
 * Called before a write to a control file, an open of image and rmdir, so
 * that the error file never shows the reason of an older operation.
 */
void crfs_ct_clear(struct crfs_ct *ct)
{
	spin_lock(&ct->lock);
	ct->error[0] = '\0';
	spin_unlock(&ct->lock);
}

/**
 * crfs_err_words - an errno in words, for the error file
 * @err: a negative errno
 *
 * Return: a static string.
 */
const char *crfs_err_words(int err)
{
	switch (err) {
	case -ESRCH:
		return "no such process";
	case -EINVAL:
		return "invalid argument";
	case -ENOENT:
		return "the container is gone";
	case -EBUSY:
		return "busy";
	case -EOPNOTSUPP:
		return "not supported";
	case -ENOMEM:
		return "out of memory";
	case -EAGAIN:
		return "too many cgroups";
	case -EEXIST:
		return "its cgroup exists already";
	case -EPERM:
	case -EACCES:
		return "permission denied";
	default:
		return "failed";
	}
}

/**
 * crfs_ct_cg_state - the state word of a container's cgroup
 * @ct: the container
 *
 * Return: a static string from the one table of state words
 * (crfs_ct_state_name()): checkpointing, empty, frozen, freezing or
 * running; a restore under way is not looked at.
 */
const char *crfs_ct_cg_state(struct crfs_ct *ct)
{
	struct crfs_cgroup_status st;
	enum crfs_ct_state state;

	crfs_cgroup_status(ct->cgrp, &st);
	/* a kill ends a checkpoint at once, image open or not */
	if (st.checkpoint && st.populated)
		state = CRFS_CT_CHECKPOINTING;
	else if (!st.populated)
		state = CRFS_CT_EMPTY;
	else if (st.freeze)
		state = st.frozen ? CRFS_CT_FROZEN : CRFS_CT_FREEZING;
	else
		state = CRFS_CT_RUNNING;
	return crfs_ct_state_name(state);
}

/**
 * crfs_ct_state - the state word of a container
 * @ct: the container
 *
 * A restore under way wins (image open for writing, not done), as in
 * crfs-fuse; otherwise the cgroup says it (crfs_ct_cg_state()).
 *
 * Return: a static string from the one table of state words.
 */
const char *crfs_ct_state(struct crfs_ct *ct)
{
	if (READ_ONCE(ct->restoring))
		return crfs_ct_state_name(CRFS_CT_RESTORING);
	return crfs_ct_cg_state(ct);
}

/**
 * crfs_ct_create - make a container and its cgroup under the mount's subtree
 * @sbi: the mount
 * @name: the container's name, checked by the caller
 *
 * The container is on @sbi's list, which holds the reference returned.
 * Return: the container or an ERR_PTR().
 */
struct crfs_ct *crfs_ct_create(struct crfs_sb *sbi, const char *name)
{
	struct crfs_ct *ct;
	int ret;

	ct = kzalloc(struct_size(ct, name, strlen(name) + 1), GFP_KERNEL);
	if (!ct)
		return ERR_PTR(-ENOMEM);
	kref_init(&ct->ref);
	INIT_LIST_HEAD(&ct->node);
	init_waitqueue_head(&ct->wait);
	atomic_set(&ct->event, 0);
	INIT_WORK(&ct->notify_work, crfs_ct_notify_workfn);
	spin_lock_init(&ct->lock);
	ct->link.notify = crfs_ct_notify;
	memcpy(ct->name, name, strlen(name) + 1);

	ct->files = kcalloc(crfs_nr_ctl_files, sizeof(*ct->files), GFP_KERNEL);
	if (!ct->files) {
		ret = -ENOMEM;
		goto out_put;
	}
	ct->cgrp = crfs_cgroup_mkdir(sbi->subtree, name);
	if (IS_ERR(ct->cgrp)) {
		ret = PTR_ERR(ct->cgrp);
		goto out_put;
	}
	crfs_cgroup_link(ct->cgrp, &ct->link);

	mutex_lock(&sbi->lock);
	list_add_tail(&ct->node, &sbi->cts);
	mutex_unlock(&sbi->lock);
	return ct;

out_put:
	crfs_ct_put(ct);
	return ERR_PTR(ret);
}

/**
 * crfs_ct_populate - make the control files and the ns directory of a container
 * @ct: the container
 * @dir: its directory, instantiated
 *
 * On failure the files made so far stay, for crfs_ct_remove() to drop.
 * Return: 0 or -ENOMEM.
 */
int crfs_ct_populate(struct crfs_ct *ct, struct dentry *dir)
{
	struct dentry *dentry;
	struct inode *inode;
	unsigned int i;

	for (i = 0; i < crfs_nr_ctl_files; i++) {
		const struct crfs_ctl *ctl = &crfs_ctl_files[i];

		dentry = d_alloc_name(dir, ctl->name);
		if (!dentry)
			return -ENOMEM;
		inode = crfs_new_inode(dir->d_sb, S_IFREG | ctl->mode);
		if (!inode) {
			dput(dentry);
			return -ENOMEM;
		}
		ct->files[i].ct = ct;
		ct->files[i].ctl = ctl;
		inode->i_fop = ctl->fops ?: &crfs_ctl_fops;
		inode->i_private = &ct->files[i];
		crfs_ct_get(ct);
		d_add(dentry, inode);	/* the dentry keeps its reference */
		spin_lock(&ct->lock);	/* positive now: the work may use it */
		ct->files[i].dentry = dentry;
		spin_unlock(&ct->lock);
	}
	return crfs_ns_populate(ct, dir);
}

/* Unhash and unpin the control files and ns; open files keep their inodes. */
static void crfs_ct_drop_files(struct crfs_ct *ct)
{
	struct dentry *dentry;
	unsigned int i;

	crfs_ns_drop(ct);

	for (i = 0; i < crfs_nr_ctl_files; i++) {
		spin_lock(&ct->lock);
		dentry = ct->files[i].dentry;
		ct->files[i].dentry = NULL;
		spin_unlock(&ct->lock);
		if (!dentry)
			continue;
		clear_nlink(d_inode(dentry));
		d_drop(dentry);
		dput(dentry);
	}
}

/*
 * Stop hearing from the cgroup, cancel its fsnotify work and leave the
 * mount's list.  Only a write to an open file of a removed container can
 * queue the work again, and then it finds no dentry.
 */
static void crfs_ct_detach(struct crfs_sb *sbi, struct crfs_ct *ct)
{
	crfs_cgroup_unlink(ct->cgrp);
	if (cancel_work_sync(&ct->notify_work))
		crfs_ct_put(ct);
	mutex_lock(&sbi->lock);
	list_del_init(&ct->node);
	mutex_unlock(&sbi->lock);
	crfs_ct_put(ct);
}

/**
 * crfs_ct_remove - rmdir: remove the cgroup of an empty container, its files
 * @sbi: the mount
 * @ct: the container
 *
 * The caller holds the directory's inode lock.
 *
 * Return: 0, or -EBUSY when it has processes (the reason goes to error).
 */
int crfs_ct_remove(struct crfs_sb *sbi, struct crfs_ct *ct)
{
	int ret;

	crfs_ct_clear(ct);
	ret = crfs_cgroup_rmdir(ct->cgrp);
	if (ret == -EBUSY)
		return crfs_ct_fail(ct, ret, "rmdir: %s has processes: kill them first",
				    ct->name);
	if (ret)
		return crfs_ct_fail(ct, ret, "rmdir: %s: %s", ct->name,
				    crfs_err_words(ret));
	crfs_ct_drop_files(ct);
	crfs_ct_changed(ct);
	crfs_ct_detach(sbi, ct);
	return 0;
}

/**
 * crfs_ct_shutdown - unmount: thaw a container, remove its cgroup if empty
 * @sbi: the mount
 * @ct: the container
 *
 * A cgroup that still has processes stays, thawed, in the cgroup tree.
 * The dentries are left to the unmount.
 */
void crfs_ct_shutdown(struct crfs_sb *sbi, struct crfs_ct *ct)
{
	crfs_cgroup_checkpoint_end(ct->cgrp);
	crfs_cgroup_freeze(ct->cgrp, false);
	crfs_cgroup_rmdir(ct->cgrp);
	crfs_ct_detach(sbi, ct);
}
