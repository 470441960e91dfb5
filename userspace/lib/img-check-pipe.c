// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The rules of img-check.c for pipes and FIFOs (FILE of kind PIPE or
 * FIFO, crfs.h): a pipe's name is its inode's, its end is its access
 * mode, and the two ends of one pipe name each other, agree on the pipe
 * (inode, size) and carry its data once; a FIFO has an absolute path.
 * The size is one F_SETPIPE_SZ can give (a power of two from a page on),
 * the data fit in it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "rec.h"

/* The status flags a pipe or FIFO is made or opened again with. */
/* O_LARGEFILE as the kernel shows it: glibc defines it 0 on 64 bits. */
#define CR_PIPE_FLAGS	(O_ACCMODE | O_NONBLOCK | O_DIRECT | 0100000)
/* The largest size checked: F_SETPIPE_SZ takes an int. */
#define CR_PIPE_SIZE_MAX	(1U << 30)

/* Why the other end @fi names is wrong, or NULL. */
static const char *cr_pipe_peer_why(const struct cr_chk *c,
				    const struct cr_file *fi)
{
	const struct crfs_file *f = &fi->f;
	const struct cr_file *pi;

	if (fi->ev.pipe.pflags & CRFS_PIPE_F_REOPEN)
		return fi->ev.pipe.peer_id || fi->ev.pipe.data_len ?
		       "a peer_id or data on a description opened again" :
		       NULL;
	if (!fi->ev.pipe.peer_id)
		return NULL;
	pi = cr_model_file(c->m, fi->ev.pipe.peer_id);
	if (!pi || pi == fi || pi->f.kind != CRFS_FILE_PIPE)
		return "its peer_id names no other pipe of the image";
	if (pi->ev.pipe.peer_id != f->id ||
	    (pi->ev.pipe.pflags & CRFS_PIPE_F_REOPEN))
		return "its other end names another file as its peer";
	if (pi->f.dev != f->dev || pi->f.ino != f->ino ||
	    pi->ev.pipe.size != fi->ev.pipe.size)
		return "its two ends disagree on the pipe (inode or size)";
	if ((pi->f.flags & O_ACCMODE) == (f->flags & O_ACCMODE))
		return "its two ends are the same end";
	if (fi->ev.pipe.data_len && pi->f.id < f->id)
		return "data on the end of higher id (the other carries them)";
	return NULL;
}

/* Why FIFO @fi carries data another FILE of its inode should, or NULL. */
static const char *cr_fifo_data_why(const struct cr_chk *c,
				    const struct cr_file *fi)
{
	if (!fi->ev.pipe.data_len)
		return NULL;
	for (uint32_t i = 0; i < c->m->nr_files; i++) {
		const struct cr_file *o = &c->m->files[i];

		if (o->f.id < fi->f.id && o->f.kind == CRFS_FILE_FIFO &&
		    o->f.dev == fi->f.dev && o->f.ino == fi->f.ino)
			return "data on a FIFO's file that is not the first of "
			       "its inode";
	}
	return NULL;
}

/* Why the path and end of @fi are wrong, or NULL. */
static const char *cr_pipe_name_why(const struct cr_file *fi)
{
	const struct crfs_file *f = &fi->f;
	char name[48];

	if (f->kind == CRFS_FILE_FIFO)
		return fi->path[0] == '/' ? NULL : "its path is not absolute";
	snprintf(name, sizeof(name), "pipe:[%" PRIu64 "]", (uint64_t)f->ino);
	if (strcmp(fi->path, name))
		return "its path is not pipe:[INO] of its inode";
	if ((f->flags & O_ACCMODE) == O_RDWR &&
	    !(fi->ev.pipe.pflags & CRFS_PIPE_F_REOPEN))
		return "a pipe end open for reading and writing";
	return NULL;
}

int cr_img_pipe_check(const struct cr_chk *c, const struct cr_file *fi,
		      struct cr_err *e)
{
	const struct crfs_file_pipe *p = &fi->ev.pipe;
	const struct crfs_file *f = &fi->f;
	uint64_t ps = c->h->page_size;
	const char *why;

	why = cr_pipe_name_why(fi);
	if (why)
		;
	else if ((f->mode & S_IFMT) != S_IFIFO)
		why = "its mode is not a FIFO's";
	else if ((f->flags & ~CR_PIPE_FLAGS) ||
		 (f->flags & O_ACCMODE) == O_ACCMODE)
		why = "status flags it is not made with (an access mode, "
		      "O_NONBLOCK, O_DIRECT)";
	else if (f->pos || f->size || f->data_size || f->seals ||
		 f->data_id || f->owner_type || f->signo ||
		 (f->cflags & ~(f->kind == CRFS_FILE_FIFO ?
				CRFS_FILE_F_PRIV : 0)))
		why = "a position, contents, seals, cflags or owner of a pipe";
	else if ((p->pflags & ~CRFS_PIPE_F_REOPEN) ||
		 (p->pflags && f->kind == CRFS_FILE_FIFO))
		why = "unknown pflags, or a FIFO opened again";
	else if (p->size < ps || p->size > CR_PIPE_SIZE_MAX ||
		 (p->size & (p->size - 1)))
		why = "a pipe size F_SETPIPE_SZ does not give (a power of "
		      "two from the page size to 1 GiB)";
	else if (p->data_len > p->size || p->data_len > CRFS_PIPE_DATA_MAX)
		why = "more data than the pipe's size or CRFS_PIPE_DATA_MAX";
	else if (p->data_len && (f->flags & O_DIRECT))
		why = "data in a pipe in packet mode (O_DIRECT)";
	else if (f->kind == CRFS_FILE_FIFO && p->peer_id)
		why = "a peer_id on a FIFO";
	else if (f->kind == CRFS_FILE_FIFO)
		why = cr_fifo_data_why(c, fi);
	else
		why = cr_pipe_peer_why(c, fi);
	if (!why)
		return 0;
	return cr_fail(e, EBADMSG, "file %u (kind %u): \"%.64s\": %s", f->id,
		       f->kind, fi->path, why);
}
