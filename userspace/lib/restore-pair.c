// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Objects made in pairs at restore: a pipe (and, with a row of their own,
 * a socketpair or a pty pair).  Two FILEs of the image are the two ends;
 * the restore cannot open either alone, so one call makes both.
 *
 * The first process of the image (in its order) that holds either end
 * makes the pair, in its own files step, with its own fs ids (the new
 * inode's owner): the end(s) it holds go to their numbers; the other end,
 * if only later processes hold it, to a number the image does not use (a
 * CR_RF_PAIR entry), from where the restorer takes it (pidfd_getfd()) and
 * passes it to them as any shared description (restore-tree.c); if no
 * process holds it, it is closed at once.  The CR_RF_PAIR descriptor is
 * closed with the mapped files' (restore-mm.c), once every process has
 * its files.
 *
 * A kind of pair is a row of cr_pair_kinds[]: how a FILE names its other
 * end, and how the pair is made in the new process (raw system calls).
 */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "restore.h"

/* A kind of object made in pairs. */
struct cr_pair_ops {
	uint32_t	kind;		/* CRFS_FILE_* of both ends */
	/* The FILE id of @f's other end, 0: no process holds it. */
	uint32_t	(*peer)(const struct cr_file *f);
	/*
	 * Make the pair in the new process, raw system calls: @f's end in
	 * @fds[0], the other in @fds[1] (@peer its FILE, NULL: none);
	 * 0 or a positive errno.
	 */
	int		(*make)(const struct cr_file *f,
				const struct cr_file *peer, long fds[2]);
	/*
	 * The FILE whose first holder makes the pair of @f instead of the
	 * first holder of either end, NULL: none (optional).
	 */
	const struct cr_file *(*maker)(const struct cr_model *m,
				       const struct cr_file *f);
};

/* A pipe's other end: its crfs_file_pipe.peer_id. */
static uint32_t cr_pipe_peer(const struct cr_file *f)
{
	return f->ev.pipe.peer_id;
}

/* A connected unix socket's peer: its crfs_file_unix.peer_id. */
static uint32_t cr_unix_peer(const struct cr_file *f)
{
	return cr_unix_of(f)->peer_id;
}

static const struct cr_pair_ops cr_pair_kinds[] = {
	{ CRFS_FILE_PIPE, cr_pipe_peer, cr_rst_pipe_make, NULL },
	{ CRFS_FILE_UNIX, cr_unix_peer, cr_rst_unix_pair, cr_rst_unix_maker },
};

/* The pair kind of @f, or NULL. */
static const struct cr_pair_ops *cr_pair_of(const struct cr_file *f)
{
	for (size_t i = 0; i < sizeof(cr_pair_kinds) / sizeof(cr_pair_kinds[0]);
	     i++)
		if (cr_pair_kinds[i].kind == f->f.kind)
			return &cr_pair_kinds[i];
	return NULL;
}

/* The first process of @t holding each FILE, once for all. */
static int cr_pair_index(struct cr_rst_tree *t, struct cr_err *e)
{
	const struct cr_model *m = t->rst[0].m;

	if (t->pair_first)
		return 0;
	t->pair_first = malloc((m->nr_files + 1) * sizeof(*t->pair_first));
	if (!t->pair_first)
		return cr_fail(e, ENOMEM, "out of memory");
	for (uint32_t i = 0; i < m->nr_files; i++)
		t->pair_first[i] = -1;
	for (uint32_t i = 0; i < t->nr; i++) {
		const struct cr_fdtable *fdt = m->tasks[i].fdt;

		if (cr_rst_zombie(&t->rst[i]))
			continue;
		for (uint32_t j = 0; fdt && j < fdt->nr_fds; j++) {
			const struct cr_file *f = fdt->fds[j].file;

			if (f && t->pair_first[f - m->files] < 0)
				t->pair_first[f - m->files] = (int32_t)i;
		}
	}
	return 0;
}

/*
 * The first holder of @f in @r's tree, or -1 (@f NULL: none); without a
 * tree (a plan of one process alone), @r's process if it holds it.
 */
static int32_t cr_pair_first(const struct cr_rst *r, const struct cr_file *f)
{
	const struct cr_fdtable *fdt = r->task->fdt;

	if (f && r->tree)
		return r->tree->pair_first[f - r->m->files];
	for (uint32_t i = 0; f && fdt && i < fdt->nr_fds; i++)
		if (fdt->fds[i].file == f)
			return (int32_t)r->idx;
	return -1;
}

/* The fd entry of @fs for @f, or -1. */
static int32_t cr_pair_entry(const struct cr_rst_files *fs,
			     const struct cr_file *f)
{
	for (uint32_t i = 0; f && i < fs->nr_fd_entries; i++)
		if (fs->f[i].pair == f)
			return (int32_t)i;
	return -1;
}

/* A CR_RF_PAIR entry for @peer, the other end of a pair made here. */
static void cr_pair_add(struct cr_rst_files *fs, const struct cr_file *peer)
{
	struct cr_rst_file *p = &fs->f[fs->nr++];

	memset(p, 0, sizeof(*p));
	p->kind = CR_RF_PAIR;
	p->path = peer->path;
	p->fd = -1;
	p->pass = -1;
	p->pair = peer;
	p->pair_entry = p->pair_fd = -1;
	p->pair_made = true;
	p->type = peer->f.mode & S_IFMT;
	p->check = 1U << CR_RF_F_TYPE;
	p->oflags = (peer->f.flags & (O_ACCMODE | O_NONBLOCK | O_DIRECT)) |
		    O_CLOEXEC;
}

int32_t cr_rst_pair_add(struct cr_rst_files *fs, const struct cr_file *f)
{
	cr_pair_add(fs, f);
	return (int32_t)fs->nr - 1;
}

/*
 * The entry of a pipe end of reopened pipe FILE @f among @fs's, which
 * it is opened again through: one of this process (passed or made here).
 */
static int32_t cr_pair_via(const struct cr_rst_files *fs,
			   const struct cr_file *f)
{
	for (uint32_t i = 0; i < fs->nr; i++) {
		const struct cr_file *o = fs->f[i].pair;

		if (o && !fs->f[i].reopen && o->f.kind == f->f.kind &&
		    o->f.dev == f->f.dev && o->f.ino == f->f.ino)
			return (int32_t)i;
	}
	return -1;
}

/* The reopened descriptions of @fs: the entry each goes through. */
static int cr_pair_reopens(const struct cr_rst *r, struct cr_rst_files *fs,
			   struct cr_err *e)
{
	for (uint32_t i = 0; i < fs->nr_fd_entries; i++) {
		struct cr_rst_file *rf = &fs->f[i];

		if (!rf->reopen)
			continue;
		rf->pair_entry = cr_pair_via(fs, rf->pair);
		if (rf->pair_entry < 0)
			return cr_fail(e, EBADMSG, "pid %u: fd %u: %s: opened "
				       "again through /proc, but the process "
				       "holds no end of the pipe",
				       r->task->t.pid, rf->idx, rf->path);
	}
	return 0;
}

int cr_rst_pair_plan(struct cr_rst *r, struct cr_rst_files *fs,
		     struct cr_err *e)
{
	const struct cr_model *m = r->m;
	uint32_t n = fs->nr_fd_entries;
	int rc = r->tree ? cr_pair_index(r->tree, e) : 0;

	if (rc)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		struct cr_rst_file *rf = &fs->f[i];
		const struct cr_file *f = rf->pair, *peer = NULL;
		const struct cr_pair_ops *ops;
		const struct cr_file *mk;
		int32_t a, b, j;

		if (!f || rf->pair_made || rf->reopen || !(ops = cr_pair_of(f)))
			continue;
		if (ops->peer(f))
			peer = cr_model_file(m, ops->peer(f));
		a = cr_pair_first(r, f);
		b = cr_pair_first(r, peer);
		mk = ops->maker ? ops->maker(m, f) : NULL;
		/* Another process makes it: passed (restore-tree.c). */
		if (mk ? cr_pair_first(r, mk) != (int32_t)r->idx :
			 (uint32_t)(b >= 0 && b < a ? b : a) != r->idx)
			continue;
		/* One before, which SO_PEERCRED names (restore-unix.c). */
		if (r->tree && f->f.kind == CRFS_FILE_UNIX &&
		    cr_unix_maker(m, f) != (int64_t)r->idx)
			continue;
		rf->pair_make = true;
		rf->pair_peer = peer;
		rf->pair_entry = -1;
		if (b < 0)
			continue;	/* no process holds it: closed */
		j = cr_pair_entry(fs, peer);
		if (j < 0) {
			cr_pair_add(fs, peer);
			j = (int32_t)fs->nr - 1;
		}
		fs->f[j].pair_made = true;
		rf->pair_entry = j;
	}
	return cr_pair_reopens(r, fs, e);
}

void cr_rst_pair_number(struct cr_rst_files *fs)
{
	for (uint32_t i = 0; i < fs->nr; i++) {
		struct cr_rst_file *f = &fs->f[i];

		if (f->pair_make || f->reopen)
			f->pair_fd = f->pair_entry < 0 ? -1 :
				     fs->f[f->pair_entry].fd;
		if (f->conn)
			f->listen_fd = fs->f[f->listen_entry].fd;
		if (f->reopen && f->pair_fd >= 0)
			snprintf(f->via, sizeof(f->via), "/proc/self/fd/%d",
				 f->pair_fd);
	}
}

/* Give @fd the status flags of @f (O_NONBLOCK, O_DIRECT). */
static int cr_pair_flags(long fd, const struct cr_file *f)
{
	int fl = f->f.flags & (O_NONBLOCK | O_DIRECT);

	if (fl && syscall(SYS_fcntl, fd, F_SETFL, fl) < 0)
		return errno;
	return 0;
}

long cr_rst_pair_open(const struct cr_rst_file *f)
{
	const struct cr_pair_ops *ops = cr_pair_of(f->pair);
	long fds[2], nfd;
	int err;

	if (!ops) {
		errno = EINVAL;
		return -1;
	}
	/* A connection of a listening socket: through it (in place). */
	if (f->conn)
		err = cr_rst_unix_accept(f->pair, f->pair_peer,
					 f->listen_fd, fds);
	else
		err = ops->make(f->pair, f->pair_peer, fds);
	if (err) {
		errno = err;
		return -1;
	}
	err = cr_pair_flags(fds[0], f->pair);
	if (!err && f->pair_peer)
		err = cr_pair_flags(fds[1], f->pair_peer);
	/* The other end to its number, out of the way of this one's. */
	if (!err && f->pair_fd >= 0 && fds[0] == f->pair_fd) {
		nfd = syscall(SYS_fcntl, fds[0], F_DUPFD_CLOEXEC, 0);
		if (nfd < 0)
			err = errno;
		else
			syscall(SYS_close, fds[0]);
		fds[0] = nfd < 0 ? fds[0] : nfd;
	}
	if (!err && f->pair_fd >= 0 && fds[1] != f->pair_fd &&
	    syscall(SYS_dup3, fds[1], f->pair_fd, O_CLOEXEC) < 0)
		err = errno;
	if (f->pair_fd < 0 || fds[1] != f->pair_fd || err)
		syscall(SYS_close, fds[1]);
	if (err) {
		syscall(SYS_close, fds[0]);
		errno = err;
		return -1;
	}
	return fds[0];
}

void cr_rst_pair_free(struct cr_rst_tree *t)
{
	free(t->pair_first);
	t->pair_first = NULL;
}
