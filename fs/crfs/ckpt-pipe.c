// SPDX-License-Identifier: GPL-2.0
/*
 * Pipes of the checkpoint: the FILE records (kind PIPE, crfs.h) of the
 * ends of an anonymous pipe the process holds, the two ends naming each
 * other (peer_id), with the bytes buffered in the pipe, read under the
 * pipe's lock without taking them (the process finds its pipe as it was,
 * thawed or killed).  Both ends are recorded when the first is met, the
 * data on that one (the lower id), as the userspace engine does.
 *
 * The ends of a pipe may be in any processes of the container: before any
 * process is collected, every description in their fd tables is found,
 * with its descriptors (crfs_ckpt_descs(), ckpt-share.c); the process
 * that meets a pipe first records both ends, the other process finds its
 * end's id among the FILEs already made.
 *
 * Refused, naming pid, fd and why (a FIFO, a pipe with a path, is refused
 * by ckpt-files.c): an end opened again (O_RDWR or a second description:
 * through /proc/PID/fd), a pipe a process outside the container holds an
 * end of (a description of its own, or one of the container's shared),
 * an owner for SIGIO or FASYNC on the other end, status flags other than
 * O_NONBLOCK and O_DIRECT, a watch queue, a mode or owner other than
 * pipe() in its first holder gives, data with O_DIRECT on either end,
 * data that is not plain bytes in memory (a pipe buffer that cannot be
 * confirmed), more data than CRFS_PIPE_DATA_MAX.
 */
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/pipe_fs_i.h>
#include <linux/highmem.h>
#include <linux/slab.h>
#include <linux/uidgid.h>

#include "crfs.h"
#include "ckpt.h"

/**
 * crfs_ckpt_pipe_of - is @file an end of an anonymous pipe?
 * @file: an open description
 *
 * Return: its pipe, or NULL (a FIFO too: refused by its path).
 */
struct pipe_inode_info *crfs_ckpt_pipe_of(struct file *file)
{
	if (file_inode(file)->i_sb->s_magic != PIPEFS_MAGIC)
		return NULL;
	return get_pipe_info(file, false);
}

/* The descriptions of @pipe in the container: each end's, and its fds. */
struct crfs_ckpt_ends {
	struct file	*end[2];	/* O_RDONLY, O_WRONLY */
	unsigned int	nr_fds[2];
	bool		more;		/* another description of an end */
};

static void crfs_ckpt_pipe_ends(const struct crfs_ckpt *c,
				struct pipe_inode_info *pipe,
				struct crfs_ckpt_ends *e)
{
	const struct crfs_ckpt_desc *d = crfs_ckpt_desc_find(c, pipe, NULL);
	unsigned int acc;

	for (; d && d < c->descs + c->nr_descs && d->pipe == pipe; d++) {
		acc = d->file->f_flags & O_ACCMODE;
		if (acc == O_RDWR || e->end[acc]) {
			e->more = true;
			continue;
		}
		e->end[acc] = d->file;
		e->nr_fds[acc] = d->nr_fds;
	}
}

/* The bytes buffered in @pipe into @data (room for @max), locked. */
static const char *crfs_ckpt_pipe_data(struct pipe_inode_info *pipe,
				       char *data, size_t max, u32 *len)
{
	unsigned int mask = pipe->ring_size - 1, t;
	struct pipe_buffer *buf;
	size_t n = 0;
	char *p;

	for (t = pipe->tail; t != pipe->head; t++) {
		buf = &pipe->bufs[t & mask];
		if (buf->flags & PIPE_BUF_FLAG_PACKET)
			return "data in packet mode (O_DIRECT)";
		if (n + buf->len > max)
			return "more data than CRFS_PIPE_DATA_MAX";
		if (data) {
			if (pipe_buf_confirm(pipe, buf))
				return "data it cannot read (a buffer not confirmed)";
			p = kmap_local_page(buf->page);
			memcpy(data + n, p + buf->offset, buf->len);
			kunmap_local(p);
		}
		n += buf->len;
	}
	*len = n;
	return NULL;
}

/* The FILE record @id of end @file of its pipe, its state @ps after. */
static int crfs_ckpt_pipe_put(struct crfs_ckpt *c, struct file *file, u32 id,
			      const struct crfs_file_pipe *ps, const char *data)
{
	struct inode *inode = file_inode(file);
	u32 dlen = ps->data_len;
	struct crfs_file f = {
		.id	= id,
		.kind	= CRFS_FILE_PIPE,
		.flags	= file->f_flags & ~(O_CLOEXEC | __FMODE_EXEC),
		.mode	= inode->i_mode,
		.dev	= new_encode_dev(inode->i_sb->s_dev),
		.ino	= inode->i_ino,
		.uid	= from_kuid_munged(c->user_ns, inode->i_uid),
		.gid	= from_kgid_munged(c->user_ns, inode->i_gid),
		.ext_len = sizeof(*ps) + ALIGN(dlen, 8),
	};
	char name[32], *tail;
	size_t len;
	int ret;

	f.path_len = snprintf(name, sizeof(name), "pipe:[%lu]", inode->i_ino) + 1;
	len = ALIGN(f.path_len, 8) + f.ext_len;
	tail = kvzalloc(len, GFP_KERNEL);
	if (!tail)
		return -ENOMEM;
	memcpy(tail, name, f.path_len);
	memcpy(tail + ALIGN(f.path_len, 8), ps, sizeof(*ps));
	if (dlen)
		memcpy(tail + ALIGN(f.path_len, 8) + sizeof(*ps), data, dlen);
	ret = crfs_rec_put(c, CRFS_PART_FILES, CRFS_REC_FILE, &f, sizeof(f),
			   tail, len);
	kvfree(tail);
	return ret;
}

/**
 * crfs_ckpt_pipe - the FILEs of both ends of the pipe of @file
 * @c: the checkpoint, its fd table collected (c->fds)
 * @file: an end, met first at @what
 * @what: "fd 3", for a refusal
 * @id: its FILE id
 *
 * Return: 0, or a refusal with the reason in the error file.
 */
int crfs_ckpt_pipe(struct crfs_ckpt *c, struct file *file, const char *what,
		   u32 *id)
{
	struct pipe_inode_info *pipe = crfs_ckpt_pipe_of(file);
	struct crfs_file_pipe ps[2] = { };
	struct crfs_ckpt_ends e = { };
	unsigned int acc = file->f_flags & O_ACCMODE, other = !acc, i;
	struct inode *inode = file_inode(file);
	const struct cred *cred;
	const char *why = NULL;
	char *data = NULL;
	u32 dlen = 0;
	int ret;

	if (acc == O_RDWR)
		why = "a pipe end opened again for reading and writing (through /proc/PID/fd)";
	if (why)
		goto refuse;
	crfs_ckpt_pipe_ends(c, pipe, &e);
	if (e.more) {
		why = "an end of a pipe opened again (through /proc/PID/fd)";
		goto refuse;
	}
	if (pipe_has_watch_queue(pipe)) {
		why = "a notification pipe (watch queue)";
		goto refuse;
	}
	/*
	 * A restore makes it 0600; crfs-fuse's as the first process that
	 * holds it (its fs ids), the kernel's with the record's owner.
	 */
	rcu_read_lock();
	cred = __task_cred(c->task);
	if ((inode->i_mode & 07777) != 0600 || !uid_eq(inode->i_uid, cred->fsuid) ||
	    !gid_eq(inode->i_gid, cred->fsgid))
		why = "a pipe whose mode or owner is not what pipe() in its first holder gives (fchmod, fchown, setuid)";
	rcu_read_unlock();
	if (why)
		goto refuse;
	for (i = 0; i < 2; i++)
		if (e.end[i] && (e.end[i]->f_flags & ~(O_CLOEXEC | __FMODE_EXEC) &
				 ~CRFS_PIPE_FLAGS))
			why = "status flags of a pipe end other than O_NONBLOCK and O_DIRECT (O_APPEND, O_NOATIME)";
	if (why)
		goto refuse;
	/* seen without the lock first: an outsider may hold it, blocked */
	if (READ_ONCE(pipe->readers) != !!e.end[0] ||
	    READ_ONCE(pipe->writers) != !!e.end[1]) {
		why = "a pipe a process outside the container holds an end of";
		goto refuse;
	}
	for (i = 0; i < 2; i++)
		/* its descriptors' references, and the one c->descs holds */
		if (e.end[i] && file_count(e.end[i]) != e.nr_fds[i] + 1)
			why = "an end of a pipe shared with a process outside the container (or in flight)";
	if (!why && e.end[other] && crfs_ckpt_file_why(e.end[other]))
		why = "its other end: owned for SIGIO, FASYNC or O_PATH";
	if (why)
		goto refuse;

	pipe_lock(pipe);
	if (pipe->readers != !!e.end[0] || pipe->writers != !!e.end[1])
		why = "a pipe a process outside the container holds an end of";
	if (!why)
		why = crfs_ckpt_pipe_data(pipe, NULL, CRFS_PIPE_DATA_MAX, &dlen);
	if (!why && dlen) {
		data = kvmalloc(dlen, GFP_KERNEL);
		if (!data) {
			pipe_unlock(pipe);
			return -ENOMEM;
		}
		why = crfs_ckpt_pipe_data(pipe, data, dlen, &dlen);
	}
	ps[0].size = pipe->max_usage << PAGE_SHIFT;
	pipe_unlock(pipe);
	if (!why && dlen > ps[0].size)
		why = "more data than its size (a buffer longer than a page)";
	if (!why && dlen && ((e.end[0] && e.end[0]->f_flags & O_DIRECT) ||
			     (e.end[1] && e.end[1]->f_flags & O_DIRECT)))
		why = "data in a pipe in packet mode (O_DIRECT)";
	if (why) {
		kvfree(data);
		goto refuse;
	}

	/* this end first, with the data; then the other, if held */
	*id = ++c->next_id;
	ps[0].data_len = dlen;
	ps[1].size = ps[0].size;
	if (e.end[other]) {
		ps[1].peer_id = *id;
		ps[0].peer_id = ++c->next_id;
	}
	ret = crfs_ckpt_pipe_put(c, file, *id, &ps[0], data);
	kvfree(data);
	if (!ret)
		ret = crfs_ckpt_file_add(c, file, file->f_flags & ~(O_CLOEXEC | __FMODE_EXEC),
					 *id);
	if (!ret && e.end[other])
		ret = crfs_ckpt_pipe_put(c, e.end[other], ps[0].peer_id, &ps[1], NULL);
	if (!ret && e.end[other])
		ret = crfs_ckpt_file_add(c, e.end[other],
					 e.end[other]->f_flags & ~(O_CLOEXEC | __FMODE_EXEC),
					 ps[0].peer_id);
	return ret;

refuse:
	return crfs_ckpt_refuse(c, -EOPNOTSUPP, "pid %d: %s: %s: kernel: not yet",
				c->pid, what, why);
}
