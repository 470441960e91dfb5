// SPDX-License-Identifier: GPL-2.0
/*
 * The image file of a container.
 *
 * open(O_RDONLY) checkpoints: it needs CAP_SYS_ADMIN and a frozen
 * container (one still freezing is waited for), takes the checkpoint lock
 * (CGRP_CRFS_CHECKPOINT: no thaw, no process moved in or out), collects
 * and checks everything (ckpt.c) and fails with the reason in error for
 * what the kernel does not checkpoint yet, the container left frozen.
 * read() then streams the image; the last release() drops the lock.
 * splice() from image copies the stream into pages of the pipe's own
 * (copy_splice_read(): one copy, as read() makes): a page of the process
 * lent to a pipe could go on to a socket, which keeps it after the thaw,
 * when the process writes it.  splice() into image restores.
 *
 * open(O_WRONLY) of an empty container restores (rst.c): write() feeds the
 * image; the write() that completes it returns once the process is
 * restored and frozen, or the errno of the failure, which every later
 * write() returns too; release() before the end kills what was made.
 *
 * A kill of the container ends the transfer under way (crfs_image_kill()):
 * a checkpoint's reader that still holds image no longer holds the
 * container (its next read() fails, EIO), nor does a restore's writer
 * between two write()s (its next one fails, ECANCELED).
 */
#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/splice.h>
#include <linux/uio.h>

#include "crfs.h"
#include "ckpt.h"
#include "rst.h"

#define CRFS_FREEZE_WAIT	(5 * HZ)

/* Is @ct frozen, or no longer asked to freeze? */
static bool crfs_image_settled(struct crfs_ct *ct)
{
	struct crfs_cgroup_status st;

	crfs_cgroup_status(ct->cgrp, &st);
	return st.frozen || !st.freeze || !st.populated;
}

/*
 * Still freezing after CRFS_FREEZE_WAIT: name a thread the freezer has
 * not stopped (in an uninterruptible wait in the kernel, as one whose
 * FUSE server does not answer).
 */
static int crfs_image_not_frozen(struct crfs_ct *ct)
{
	unsigned int ms = jiffies_to_msecs(CRFS_FREEZE_WAIT);
	struct task_struct *t, *late = NULL;
	char comm[TASK_COMM_LEN], who[128] = "a process";
	struct css_task_iter it;
	pid_t pid, tid;

	css_task_iter_start(&ct->cgrp->self, 0, &it);
	/* ->frozen read without the siglock: it only names a thread */
	while (!late && (t = css_task_iter_next(&it)))
		if (!t->frozen)
			late = get_task_struct(t);
	css_task_iter_end(&it);
	if (late) {
		get_task_comm(comm, late);
		pid = task_tgid_vnr(late);
		tid = task_pid_vnr(late);
		if (pid == tid)
			scnprintf(who, sizeof(who), "pid %d (%s) in %ps, state %c", pid,
				  comm, (void *)get_wchan(late), task_state_to_char(late));
		else
			scnprintf(who, sizeof(who), "pid %d: thread %d (%s) in %ps, state %c",
				  pid, tid, comm, (void *)get_wchan(late),
				  task_state_to_char(late));
		put_task_struct(late);
	}
	return crfs_ct_fail(ct, -EBUSY,
			    "checkpoint: %s: not frozen after %u ms (state freezing): %s, has not stopped",
			    ct->name, ms, who);
}

/* Wait (up to 5 s) for a freeze under way, and take the checkpoint lock. */
static int crfs_image_lock(struct crfs_ct *ct)
{
	struct crfs_cgroup_status st;
	long left;
	int ret;

	left = wait_event_interruptible_timeout(ct->wait,
						crfs_image_settled(ct),
						CRFS_FREEZE_WAIT);
	if (left < 0)
		return left;
	crfs_cgroup_status(ct->cgrp, &st);
	if (st.checkpoint)
		return crfs_ct_fail(ct, -EBUSY, "checkpoint: %s: already open (checkpointing)",
				    ct->name);
	if (READ_ONCE(ct->restoring))
		return crfs_ct_fail(ct, -EBUSY, "checkpoint: %s: a restore is under way",
				    ct->name);
	if (st.freeze && st.populated && !st.frozen)
		return crfs_image_not_frozen(ct);
	if (!st.frozen || !st.populated)
		return crfs_ct_fail(ct, -EBUSY, "checkpoint: %s: not frozen (state %s)",
				    ct->name, crfs_ct_state(ct));
	ret = crfs_cgroup_checkpoint_begin(ct->cgrp);
	if (ret)
		return crfs_ct_fail(ct, ret, "checkpoint: %s: cannot hold it frozen: %s",
				    ct->name, crfs_err_words(ret));
	crfs_ct_changed(ct);
	return 0;
}

/* The reason a kill gives a checkpoint it ended. */
static int crfs_image_killed(struct crfs_ct *ct)
{
	return crfs_ct_fail(ct, -ECANCELED, "checkpoint: %s was killed during the checkpoint",
			    ct->name);
}

/* Drop the checkpoint lock: the container is frozen as before. */
static void crfs_image_unlock(struct crfs_ct *ct)
{
	crfs_cgroup_checkpoint_end(ct->cgrp);
	crfs_ct_changed(ct);
}

/* open(O_WRONLY): a restore into the empty container. */
static int crfs_image_open_write(struct crfs_ct *ct, struct inode *inode,
				 struct file *file)
{
	struct crfs_rst *r = crfs_rst_open(ct, file);

	if (IS_ERR(r))
		return PTR_ERR(r);
	crfs_ct_get(ct);	/* ct->rst is r: crfs_rst_open() */
	file->private_data = r;
	return stream_open(inode, file);
}

static int crfs_image_open(struct inode *inode, struct file *file)
{
	struct crfs_ct_file *cf = inode->i_private;
	struct crfs_ct *ct = cf->ct;
	struct crfs_ckpt *c;
	unsigned int kills;
	bool killed;
	int ret;

	crfs_ct_clear(ct);
	if ((file->f_flags & O_ACCMODE) == O_RDWR)
		return crfs_ct_fail(ct, -EINVAL,
				    "restore: open image for reading (checkpoint) or writing (restore), not both");
	if ((file->f_flags & O_ACCMODE) == O_ACCMODE)
		return crfs_ct_fail(ct, -EINVAL,
				    "restore: open image for reading (checkpoint) or writing (restore): access mode %d does neither",
				    O_ACCMODE);
	if ((file->f_flags & O_ACCMODE) == O_WRONLY)
		return crfs_image_open_write(ct, inode, file);
	if (!file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN))
		return crfs_ct_fail(ct, -EPERM,
				    "checkpoint: %s: needs CAP_SYS_ADMIN", ct->name);
	kills = READ_ONCE(ct->kills);
	ret = crfs_image_lock(ct);
	if (ret)
		return ret;
	c = crfs_ckpt_open(ct);
	if (IS_ERR(c)) {
		crfs_image_unlock(ct);
		return PTR_ERR(c);
	}
	/* a kill while it collected found nothing to end: it ends here */
	spin_lock(&ct->lock);
	killed = ct->kills != kills;
	if (!killed)
		ct->ckpt = c;
	spin_unlock(&ct->lock);
	if (killed) {
		crfs_ckpt_free(c);
		crfs_image_unlock(ct);
		return crfs_image_killed(ct);
	}
	crfs_ct_get(ct);
	file->private_data = c;
	return stream_open(inode, file);
}

/**
 * crfs_image_kill - a kill of the container ends its transfer under way
 * @ct: the container, about to be killed
 *
 * A checkpoint lets the container go at once: thawed, checkpointed again
 * while its reader still holds image.  A restore between two write()s is
 * cancelled (crfs_rst_cancel()); one in a write() ends by itself, its
 * processes gone.
 */
void crfs_image_kill(struct crfs_ct *ct)
{
	struct crfs_ckpt *c;
	struct crfs_rst *r;

	spin_lock(&ct->lock);
	ct->kills++;
	c = ct->ckpt;
	ct->ckpt = NULL;
	if (c)
		WRITE_ONCE(c->cut, true);
	r = ct->rst;
	if (r)
		refcount_inc(&r->ref);
	spin_unlock(&ct->lock);
	if (c) {
		crfs_image_killed(ct);
		crfs_image_unlock(ct);
	}
	if (r) {
		crfs_rst_cancel(r);
		crfs_rst_put(r);
	}
}

/*
 * Make the next bytes of the stream: a page run, its process still frozen;
 * or the trailer, every process still frozen.
 */
static int crfs_image_next(struct crfs_ckpt *c)
{
	bool run = c->next_run < c->nr_runs;
	int ret = crfs_ckpt_alive(c, run ? c->runs[c->next_run].proc : -1);

	if (ret)
		return ret;
	return run ? crfs_rec_pages(c) : crfs_rec_end(c);
}

static ssize_t crfs_image_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct crfs_ckpt *c = iocb->ki_filp->private_data;
	struct crfs_ct *ct = c->ct;
	size_t done = 0, n;
	int ret = 0;

	mutex_lock(&c->lock);
	if (READ_ONCE(c->cut))
		c->err = -EIO;	/* the kill said why */
	if (c->err) {
		mutex_unlock(&c->lock);
		return c->err;
	}
	while (iov_iter_count(to)) {
		if (c->out_off == c->out.len && c->cur &&
		    c->cur->next < c->cur->nr) {
			struct crfs_pgset *s = c->cur;

			/* a PAGES record's data, from the process's pages */
			n = copy_page_to_iter(s->pages[s->next], c->pg_off,
					      PAGE_SIZE - c->pg_off, to);
			if (!n) {
				ret = -EFAULT;
				break;
			}
			c->pg_off += n;
			done += n;
			if (c->pg_off == PAGE_SIZE) {
				put_page(s->pages[s->next++]);
				c->pg_off = 0;
			}
			continue;
		}
		if (c->out_off == c->out.len) {
			if (c->ended)
				break;
			if (fatal_signal_pending(current)) {
				ret = -EINTR;
				break;
			}
			if (READ_ONCE(c->cut)) {
				ret = -EIO;
				break;
			}
			c->cur = NULL;
			ret = crfs_image_next(c);
			if (ret)
				break;
		}
		n = copy_to_iter(c->out.data + c->out_off,
				 c->out.len - c->out_off, to);
		if (!n) {
			ret = -EFAULT;
			break;
		}
		c->out_off += n;
		done += n;
	}
	if (ret && ret != -EFAULT && ret != -EINTR) {
		/* the stream cannot go on: every later read fails too */
		if (ret != -EIO)
			crfs_ct_fail(ct, -EIO, "checkpoint: %s: %s", ct->name,
				     crfs_err_words(ret));
		c->err = -EIO;
		ret = -EIO;
	}
	mutex_unlock(&c->lock);
	return done ?: ret;
}

static ssize_t crfs_image_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	return crfs_rst_write(iocb->ki_filp->private_data, from);
}

static int crfs_image_release(struct inode *inode, struct file *file)
{
	struct crfs_ckpt *c = file->private_data;
	struct crfs_ct *ct = c->ct;
	bool mine;

	if (file->f_mode & FMODE_WRITE) {
		struct crfs_rst *r = file->private_data;

		ct = r->ct;
		crfs_rst_release(r);	/* ct->rst no longer r */
		crfs_ct_put(ct);
		return 0;
	}

	spin_lock(&ct->lock);
	mine = ct->ckpt == c;	/* else a kill let the container go */
	if (mine)
		ct->ckpt = NULL;
	spin_unlock(&ct->lock);
	crfs_ckpt_free(c);
	if (mine)
		crfs_image_unlock(ct);
	crfs_ct_put(ct);
	return 0;
}

const struct file_operations crfs_image_fops = {
	.open		= crfs_image_open,
	.read_iter	= crfs_image_read_iter,
	.write_iter	= crfs_image_write_iter,
	.splice_read	= copy_splice_read,
	.splice_write	= iter_file_splice_write,
	.release	= crfs_image_release,
};
