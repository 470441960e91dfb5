// SPDX-License-Identifier: GPL-2.0
/*
 * The image file of a container.
 *
 * open(O_RDONLY) checkpoints: it needs CAP_SYS_ADMIN and a frozen
 * container (one still freezing is waited for), takes the checkpoint lock
 * (CGRP_CRFS_CHECKPOINT: no thaw, no process moved in or out), collects
 * and checks everything (ckpt.c) and fails with the reason in error for
 * what the kernel does not checkpoint yet, the container left frozen.
 * read() then streams the image; splice() hands the process's own pages
 * to the pipe (the record heads are copied), and each holds the lock as
 * the open file does: until the last is read from the pipe or dropped, the
 * container stays frozen (thaw is EBUSY, with the number of pages), so the
 * pipe's reader never sees a page the thawed process changed.  The last of
 * the release() and the pages drops the lock.
 *
 * open(O_WRONLY) of an empty container restores (rst.c): write() feeds the
 * image; the write() that completes it returns once the process is
 * restored and frozen, or the errno of the failure, which every later
 * write() returns too; release() before the end kills what was made.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pipe_fs_i.h>
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
	if (st.checkpoint && crfs_image_lent(ct))
		return crfs_ct_fail(ct, -EBUSY,
				    "checkpoint: %s: %u pages of the last checkpoint are still in a pipe",
				    ct->name, crfs_image_lent(ct));
	if (st.checkpoint)
		return crfs_ct_fail(ct, -EBUSY, "checkpoint: %s: already open (checkpointing)",
				    ct->name);
	if (READ_ONCE(ct->restoring))
		return crfs_ct_fail(ct, -EBUSY, "checkpoint: %s: a restore is under way",
				    ct->name);
	if (!st.frozen || !st.populated)
		return crfs_ct_fail(ct, -EBUSY, "checkpoint: %s: not frozen (state %s)",
				    ct->name, crfs_ct_state(ct));
	ret = crfs_cgroup_checkpoint_begin(ct->cgrp);
	if (ret)
		return crfs_ct_fail(ct, ret, "checkpoint: %s: cannot hold it frozen: %s",
				    ct->name, crfs_err_words(ret));
	spin_lock(&ct->lock);
	ct->ckpt_holds = 1;	/* the open file's */
	spin_unlock(&ct->lock);
	crfs_ct_changed(ct);
	return 0;
}

/* Drop the checkpoint lock: the container is frozen as before. */
static void crfs_image_unlock(struct crfs_ct *ct)
{
	crfs_cgroup_checkpoint_end(ct->cgrp);
	crfs_ct_changed(ct);
}

/**
 * crfs_image_lent - the pages of @ct's checkpoint still in pipes
 * @ct: the container
 *
 * Return: how many; while there are, the checkpoint lock is held.
 */
unsigned int crfs_image_lent(struct crfs_ct *ct)
{
	unsigned int n;

	spin_lock(&ct->lock);
	n = ct->ckpt_lent;
	spin_unlock(&ct->lock);
	return n;
}

/* A page lent to a pipe holds the lock; the open file holds it from open. */
static void crfs_image_hold(struct crfs_ct *ct)
{
	spin_lock(&ct->lock);
	ct->ckpt_holds++;
	ct->ckpt_lent++;
	spin_unlock(&ct->lock);
}

/* Drop a hold: a lent page's (@page), or the file's; true for the last. */
static bool crfs_image_drop(struct crfs_ct *ct, bool page)
{
	bool last;

	spin_lock(&ct->lock);
	if (page)
		ct->ckpt_lent--;
	last = !--ct->ckpt_holds;
	spin_unlock(&ct->lock);
	return last;
}

/**
 * crfs_image_unlock_workfn - the last page lent to a pipe is gone
 * @work: the container's ckpt_work
 *
 * Drops the checkpoint lock and the container the open file held; thaws a
 * container that was unmounted meanwhile (crfs_ct_shutdown()).  A work
 * item: a pipe buffer is released under the pipe's lock, which is not to
 * be taken before cgroup_mutex.
 */
void crfs_image_unlock_workfn(struct work_struct *work)
{
	struct crfs_ct *ct = container_of(work, struct crfs_ct, ckpt_work);
	bool shut;

	spin_lock(&ct->lock);
	shut = ct->shut;
	spin_unlock(&ct->lock);
	if (shut) {
		crfs_cgroup_checkpoint_end(ct->cgrp);
		crfs_cgroup_freeze(ct->cgrp, false);
	} else {
		crfs_image_unlock(ct);
	}
	crfs_ct_put(ct);
}

static void crfs_image_lent_release(struct pipe_inode_info *pipe,
				    struct pipe_buffer *buf)
{
	struct crfs_ct *ct = (struct crfs_ct *)buf->private;

	put_page(buf->page);
	if (crfs_image_drop(ct, true))
		schedule_work(&ct->ckpt_work);
}

/* tee(): the copy holds the lock too */
static bool crfs_image_lent_get(struct pipe_inode_info *pipe,
				struct pipe_buffer *buf)
{
	if (!generic_pipe_buf_get(pipe, buf))
		return false;
	crfs_image_hold((struct crfs_ct *)buf->private);
	return true;
}

/* The process's page itself: never stolen, never written. */
static const struct pipe_buf_operations crfs_image_lent_ops = {
	.release	= crfs_image_lent_release,
	.get		= crfs_image_lent_get,
};

/* open(O_WRONLY): a restore into the empty container. */
static int crfs_image_open_write(struct crfs_ct *ct, struct inode *inode,
				 struct file *file)
{
	struct crfs_rst *r = crfs_rst_open(ct, file);

	if (IS_ERR(r))
		return PTR_ERR(r);
	crfs_ct_get(ct);
	file->private_data = r;
	return stream_open(inode, file);
}

static int crfs_image_open(struct inode *inode, struct file *file)
{
	struct crfs_ct_file *cf = inode->i_private;
	struct crfs_ct *ct = cf->ct;
	struct crfs_ckpt *c;
	int ret;

	crfs_ct_clear(ct);
	if ((file->f_flags & O_ACCMODE) == O_RDWR)
		return crfs_ct_fail(ct, -EINVAL,
				    "checkpoint: open image for reading (checkpoint) or writing (restore), not both");
	if ((file->f_flags & O_ACCMODE) == O_WRONLY)
		return crfs_image_open_write(ct, inode, file);
	if (!file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN))
		return crfs_ct_fail(ct, -EPERM,
				    "checkpoint: %s: needs CAP_SYS_ADMIN", ct->name);
	ret = crfs_image_lock(ct);
	if (ret)
		return ret;
	c = crfs_ckpt_open(ct);
	if (IS_ERR(c)) {
		crfs_image_unlock(ct);
		return PTR_ERR(c);
	}
	crfs_ct_get(ct);
	file->private_data = c;
	return stream_open(inode, file);
}

/* Make the next bytes of the stream: a page run, or the trailer. */
static int crfs_image_next(struct crfs_ckpt *c)
{
	int ret = crfs_ckpt_alive(c);

	if (ret)
		return ret;
	if (c->next_run < c->nr_runs)
		return crfs_rec_pages(c);
	return crfs_rec_end(c);
}

static ssize_t crfs_image_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct crfs_ckpt *c = iocb->ki_filp->private_data;
	struct crfs_ct *ct = c->ct;
	size_t done = 0, n;
	int ret = 0;

	mutex_lock(&c->lock);
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

/* Hand the rest of the current page (up to @len bytes) to @pipe. */
static size_t crfs_image_lend(struct crfs_ckpt *c, struct pipe_inode_info *pipe,
			      size_t len)
{
	struct crfs_pgset *s = c->cur;
	struct pipe_buffer buf = {
		.page	= s->pages[s->next],
		.offset	= c->pg_off,
		.len	= min_t(size_t, len, PAGE_SIZE - c->pg_off),
		.ops	= &crfs_image_lent_ops,
		.private = (unsigned long)c->ct,
	};

	if (c->pg_off + buf.len < PAGE_SIZE) {
		get_page(buf.page);	/* the rest is still to be read */
		c->pg_off += buf.len;
	} else {
		s->next++;		/* our reference goes to the pipe */
		c->pg_off = 0;
	}
	crfs_image_hold(c->ct);
	add_to_pipe(pipe, &buf);	/* a slot and a reader are there */
	return buf.len;
}

/* Put the record heads copied so far into @pipe: a page of their own. */
static void crfs_image_push(struct pipe_inode_info *pipe, struct page **page,
			    size_t *len)
{
	struct pipe_buffer buf = {
		.page	= *page,
		.len	= *len,
		.ops	= &default_pipe_buf_ops,
	};

	add_to_pipe(pipe, &buf);
	*page = NULL;
	*len = 0;
}

/*
 * splice() from image: as read_iter, but the pages of PAGES records go to
 * the pipe as they are, the bytes between them copied into pages of their
 * own.  The pipe is locked by the caller; a slot is checked free before
 * anything is taken from the stream for it.
 */
static ssize_t crfs_image_splice_read(struct file *in, loff_t *ppos,
				      struct pipe_inode_info *pipe,
				      size_t len, unsigned int flags)
{
	struct crfs_ckpt *c = in->private_data;
	struct crfs_ct *ct = c->ct;
	struct page *head = NULL;
	size_t head_len = 0, done = 0, n;
	int ret = 0;

	mutex_lock(&c->lock);
	if (c->err) {
		mutex_unlock(&c->lock);
		return c->err;
	}
	while (len) {
		if (!pipe->readers) {
			send_sig(SIGPIPE, current, 0);
			ret = -EPIPE;
			break;
		}
		if (!head && pipe_full(pipe->head, pipe->tail, pipe->max_usage))
			break;
		if (c->out_off == c->out.len && c->cur &&
		    c->cur->next < c->cur->nr) {
			if (head) {
				crfs_image_push(pipe, &head, &head_len);
				continue;
			}
			n = crfs_image_lend(c, pipe, len);
			done += n;
			len -= n;
			continue;
		}
		if (c->out_off == c->out.len) {
			if (c->ended)
				break;
			if (fatal_signal_pending(current)) {
				ret = -EINTR;
				break;
			}
			c->cur = NULL;
			ret = crfs_image_next(c);
			if (ret)
				break;
			continue;
		}
		if (!head) {
			head = alloc_page(GFP_KERNEL);
			if (!head) {
				ret = -ENOMEM;
				break;
			}
		}
		n = min3(len, PAGE_SIZE - head_len, c->out.len - c->out_off);
		memcpy(page_address(head) + head_len, c->out.data + c->out_off, n);
		head_len += n;
		c->out_off += n;
		done += n;
		len -= n;
		if (head_len == PAGE_SIZE)
			crfs_image_push(pipe, &head, &head_len);
	}
	if (head && head_len)
		crfs_image_push(pipe, &head, &head_len);
	else if (head)
		__free_page(head);
	if (ret && ret != -EPIPE && ret != -ENOMEM && ret != -EINTR) {
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

	if (file->f_mode & FMODE_WRITE) {
		struct crfs_rst *r = file->private_data;

		ct = r->ct;
		crfs_rst_release(r);
		crfs_ct_put(ct);
		return 0;
	}

	crfs_ckpt_free(c);
	if (crfs_image_drop(ct, false)) {
		crfs_image_unlock(ct);
		crfs_ct_put(ct);
	}
	return 0;
}

const struct file_operations crfs_image_fops = {
	.open		= crfs_image_open,
	.read_iter	= crfs_image_read_iter,
	.write_iter	= crfs_image_write_iter,
	.splice_read	= crfs_image_splice_read,
	.splice_write	= iter_file_splice_write,
	.release	= crfs_image_release,
};
