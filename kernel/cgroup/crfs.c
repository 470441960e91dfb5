// SPDX-License-Identifier: GPL-2.0
/*
 * What the crfs filesystem needs from the cgroup core.
 *
 * A crfs container is a cgroup of the default hierarchy, made and removed
 * here as mkdir(2) and rmdir(2) in cgroupfs would; its processes are
 * attached, frozen and killed as cgroup.procs, cgroup.freeze and
 * cgroup.kill would.  crfs holds a reference on each cgroup it made and
 * links itself to it, so that it hears of populated and frozen changes.
 *
 * While crfs checkpoints a container, CGRP_CRFS_CHECKPOINT keeps anybody
 * from thawing it through cgroup.freeze.
 */
#include <linux/cgroup.h>
#include <linux/crfs_cgroup.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>

#include "cgroup-internal.h"

/* Guards every cgroup's crfs_link against its unlinking. */
static DEFINE_SPINLOCK(crfs_cgroup_link_lock);

/**
 * crfs_cgroup_mkdir - make a cgroup for a container or a subtree
 * @parent: the parent cgroup, or NULL for the root of the default hierarchy
 * @name: the name of the new cgroup
 *
 * Return: the new cgroup with a reference for the caller (drop it with
 * crfs_cgroup_put()), or an ERR_PTR(): -EEXIST, -ENOENT if @parent is
 * gone, -EAGAIN over the hierarchy limits, -ENOMEM.
 */
struct cgroup *crfs_cgroup_mkdir(struct cgroup *parent, const char *name)
{
	struct cgroup *cgrp;

	if (!parent)
		parent = &cgrp_dfl_root.cgrp;
	cgroup_lock();
	if (cgroup_is_dead(parent)) {
		cgrp = ERR_PTR(-ENOENT);
		goto out_unlock;
	}
	cgrp = cgroup_mkdir_locked(parent, name, 0755);
	if (!IS_ERR(cgrp))
		cgroup_get(cgrp);
out_unlock:
	cgroup_unlock();
	return cgrp;
}

/**
 * crfs_cgroup_rmdir - remove a cgroup made by crfs_cgroup_mkdir()
 * @cgrp: the cgroup; the caller's reference stays
 *
 * Return: 0 (also when it is already gone), -EBUSY if it has processes or
 * children.
 */
int crfs_cgroup_rmdir(struct cgroup *cgrp)
{
	int ret = 0;

	cgroup_lock();
	if (!cgroup_is_dead(cgrp))
		ret = cgroup_destroy_locked(cgrp);
	cgroup_unlock();
	return ret;
}

/**
 * crfs_cgroup_put - drop the reference crfs_cgroup_mkdir() gave
 * @cgrp: the cgroup
 */
void crfs_cgroup_put(struct cgroup *cgrp)
{
	cgroup_put(cgrp);
}

/**
 * crfs_cgroup_link - have @link told of @cgrp's events changes
 * @cgrp: the cgroup
 * @link: the crfs side, valid until crfs_cgroup_unlink()
 */
void crfs_cgroup_link(struct cgroup *cgrp, struct crfs_cgroup_link *link)
{
	unsigned long flags;

	spin_lock_irqsave(&crfs_cgroup_link_lock, flags);
	WRITE_ONCE(cgrp->crfs_link, link);
	spin_unlock_irqrestore(&crfs_cgroup_link_lock, flags);
}

/**
 * crfs_cgroup_unlink - stop telling anybody of @cgrp's events changes
 * @cgrp: the cgroup
 *
 * When this returns, the link's notify() runs no more.
 */
void crfs_cgroup_unlink(struct cgroup *cgrp)
{
	unsigned long flags;

	spin_lock_irqsave(&crfs_cgroup_link_lock, flags);
	WRITE_ONCE(cgrp->crfs_link, NULL);
	spin_unlock_irqrestore(&crfs_cgroup_link_lock, flags);
}

/*
 * The populated or frozen state of @cgrp changed: tell crfs.  Runs under
 * css_set_lock, from cgroup_update_populated() and cgroup_update_frozen().
 */
void crfs_cgroup_events_changed(struct cgroup *cgrp)
{
	struct crfs_cgroup_link *link;
	unsigned long flags;

	lockdep_assert_held(&css_set_lock);
	if (!READ_ONCE(cgrp->crfs_link))
		return;
	spin_lock_irqsave(&crfs_cgroup_link_lock, flags);
	link = cgrp->crfs_link;
	if (link)
		link->notify(link);
	spin_unlock_irqrestore(&crfs_cgroup_link_lock, flags);
}

/**
 * crfs_cgroup_attach - move a process into a cgroup, as cgroup.procs does
 * @cgrp: the destination
 * @pid: the process, in the caller's pid namespace
 *
 * Return: 0, -ESRCH no such process, -EINVAL a kernel thread, -ENOENT
 * @cgrp is gone, -EBUSY the process's cgroup or @cgrp is being
 * checkpointed, or what the migration says.
 */
int crfs_cgroup_attach(struct cgroup *cgrp, pid_t pid)
{
	struct cgroup *src;
	struct task_struct *task;
	char buf[16];
	bool locked;
	int ret;

	if (pid <= 0)
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%d", pid);
	cgroup_lock();
	if (cgroup_is_dead(cgrp)) {
		ret = -ENOENT;
		goto out_unlock;
	}
	ret = cgroup_migrate_vet_dst(cgrp);
	if (ret)
		goto out_unlock;
	task = cgroup_procs_write_start(buf, true, &locked);
	ret = PTR_ERR_OR_ZERO(task);
	if (ret)
		goto out_unlock;
	/* nothing moves in or out of a cgroup crfs checkpoints */
	spin_lock_irq(&css_set_lock);
	src = task_cgroup_from_root(task, &cgrp_dfl_root);
	spin_unlock_irq(&css_set_lock);
	if (test_bit(CGRP_CRFS_CHECKPOINT, &src->flags) ||
	    test_bit(CGRP_CRFS_CHECKPOINT, &cgrp->flags))
		ret = -EBUSY;
	else
		ret = cgroup_attach_task(cgrp, task, true);
	cgroup_procs_write_finish(task, locked);
out_unlock:
	cgroup_unlock();
	return ret;
}

/**
 * crfs_cgroup_freeze - freeze or thaw a cgroup, as cgroup.freeze does
 * @cgrp: the cgroup
 * @freeze: true to freeze, false to thaw
 *
 * Does not wait: the freeze completes when every process has stopped.
 * Return: 0, -ENOENT @cgrp is gone, -EBUSY thaw while checkpointing (but
 * once empty).
 */
int crfs_cgroup_freeze(struct cgroup *cgrp, bool freeze)
{
	int ret = 0;

	cgroup_lock();
	if (cgroup_is_dead(cgrp))
		ret = -ENOENT;
	else if (!freeze && test_bit(CGRP_CRFS_CHECKPOINT, &cgrp->flags) &&
		 cgroup_is_populated(cgrp))
		ret = -EBUSY;	/* emptied by a kill, it may thaw */
	else
		cgroup_freeze(cgrp, freeze);
	cgroup_unlock();
	return ret;
}

/**
 * crfs_cgroup_kill - SIGKILL every process of a cgroup, as cgroup.kill does
 * @cgrp: the cgroup
 *
 * Does not wait: a killed process leaves the cgroup as it exits.
 * Return: 0, -ENOENT @cgrp is gone, -EOPNOTSUPP it is threaded.
 */
int crfs_cgroup_kill(struct cgroup *cgrp)
{
	int ret = 0;

	cgroup_lock();
	if (cgroup_is_dead(cgrp))
		ret = -ENOENT;
	else if (cgrp->dom_cgrp != cgrp)
		ret = -EOPNOTSUPP;
	else
		cgroup_kill(cgrp);
	cgroup_unlock();
	return ret;
}

/**
 * crfs_cgroup_status - read the state of a cgroup
 * @cgrp: the cgroup
 * @st: filled in
 */
void crfs_cgroup_status(struct cgroup *cgrp, struct crfs_cgroup_status *st)
{
	spin_lock_irq(&css_set_lock);
	st->populated = cgroup_is_populated(cgrp);
	st->frozen = test_bit(CGRP_FROZEN, &cgrp->flags);
	st->checkpoint = test_bit(CGRP_CRFS_CHECKPOINT, &cgrp->flags);
	spin_unlock_irq(&css_set_lock);
	st->freeze = READ_ONCE(cgrp->freezer.freeze);
}

/**
 * crfs_cgroup_show_pids - print the pids of a cgroup's processes
 * @cgrp: the cgroup
 * @m: where to, one pid a line, as seen from the reader's pid namespace
 */
void crfs_cgroup_show_pids(struct cgroup *cgrp, struct seq_file *m)
{
	struct css_task_iter it;
	struct task_struct *task;
	pid_t pid;

	css_task_iter_start(&cgrp->self, CSS_TASK_ITER_PROCS, &it);
	while ((task = css_task_iter_next(&it))) {
		pid = task_tgid_vnr(task);
		if (pid)
			seq_printf(m, "%d\n", pid);
	}
	css_task_iter_end(&it);
}

/**
 * crfs_cgroup_checkpoint_begin - hold a frozen cgroup frozen for a dump
 * @cgrp: the cgroup, frozen through its own cgroup.freeze
 *
 * Until crfs_cgroup_checkpoint_end(), writes to cgroup.freeze give -EBUSY
 * and crfs_cgroup_freeze() refuses to thaw.
 * Return: 0, -EBUSY not frozen or already held, -ENOENT @cgrp is gone.
 */
int crfs_cgroup_checkpoint_begin(struct cgroup *cgrp)
{
	int ret = 0;

	cgroup_lock();
	if (cgroup_is_dead(cgrp))
		ret = -ENOENT;
	else if (!cgrp->freezer.freeze || !test_bit(CGRP_FROZEN, &cgrp->flags))
		ret = -EBUSY;
	else if (test_and_set_bit(CGRP_CRFS_CHECKPOINT, &cgrp->flags))
		ret = -EBUSY;
	cgroup_unlock();
	return ret;
}

/**
 * crfs_cgroup_checkpoint_end - let cgroup.freeze work again
 * @cgrp: the cgroup held by crfs_cgroup_checkpoint_begin()
 */
void crfs_cgroup_checkpoint_end(struct cgroup *cgrp)
{
	cgroup_lock();
	clear_bit(CGRP_CRFS_CHECKPOINT, &cgrp->flags);
	cgroup_unlock();
}
