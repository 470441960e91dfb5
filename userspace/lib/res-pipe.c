// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "pipes": pipes and FIFOs (FILE kinds PIPE and FIFO,
 * crfs.h), with the bytes buffered in them.
 *
 * Checkpoint: each end's size (F_GETPIPE_SZ) and buffered bytes
 * (FIONREAD), read without taking them: the dumper takes a copy of the
 * descriptor (pidfd_getfd(); a write end is read through a read end of
 * the same pipe opened through /proc/PID/fd/N), tee()s the pipe into a
 * scratch pipe of the same size and reads the scratch pipe: the process
 * finds its pipe as it was, whether it is killed or thawed after.  Then,
 * for the whole container (pipe_check()), the two ends of each pipe are
 * paired (peer_id), the data kept once per pipe, and refused: a pipe with
 * more than two descriptions (reopened through /proc), a pipe of which a
 * process outside the container holds an end (named), data in a pipe in
 * packet mode (O_DIRECT: the packets' bounds are not kept).  A pipe whose
 * other end nobody holds (a write end with no reader, a read end with no
 * writer) is restored as it is: made, and its other end closed.
 *
 * Restore: the first process of the image that holds either end makes
 * the pipe (restore-pair.c, the pair primitive): cr_rst_pipe_make(), with
 * its own fs ids (the pipe's owner), then F_SETPIPE_SZ and the data
 * written through the write end before any process runs; the other end
 * goes to the processes that hold it as any shared description does.  A
 * FIFO is reopened by its path (cr_rst_fifo_open()): O_RDWR first (it
 * never waits for a peer), the data written, then the mode of the image
 * with O_NONBLOCK (it cannot wait either), the O_RDWR one closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "dump.h"
#include "proc.h"
#include "restore.h"

/* Why a pipe whose data tee() cannot copy is refused (its data_len set). */
static const char pipe_why_tee[] = "a pipe whose buffered data tee() cannot "
				   "copy whole is not supported";

static const char pipe_why_packet[] = "data in a pipe in packet mode "
				      "(O_DIRECT) is not supported: the "
				      "packets' bounds are not kept";

#ifndef F_SETPIPE_SZ
#define F_SETPIPE_SZ	1031
#define F_GETPIPE_SZ	1032
#endif

/*
 * The buffered bytes of pipe @src (@n of them, in a pipe of @size) into
 * f->pdata, copied by tee() into a scratch pipe: @src keeps them.
 */
static int pipe_peek(int src, uint32_t size, uint32_t n, struct cr_file *f)
{
	int sp[2], ret = 0;
	ssize_t got, r;

	if (pipe2(sp, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	if (fcntl(sp[1], F_SETPIPE_SZ, size) < 0) {
		ret = -errno;
		goto out;
	}
	got = tee(src, sp[1], n, SPLICE_F_NONBLOCK);
	if (got != (ssize_t)n) {
		f->why = pipe_why_tee;	/* packet mode: pipe_pair() tells */
		goto out;
	}
	f->pdata = malloc(n);
	if (!f->pdata) {
		ret = -ENOMEM;
		goto out;
	}
	/* A read stops at the end of a packet (written with O_DIRECT). */
	for (uint32_t got = 0; !ret && got < n; got += r) {
		r = read(sp[0], f->pdata + got, n - got);
		if (r <= 0)
			ret = r ? -errno : -EIO;
		else if ((uint32_t)r < n - got)
			f->why = pipe_why_packet;
	}
out:
	close(sp[0]);
	close(sp[1]);
	return ret;
}

int cr_pipe_probe(pid_t pid, const char *name, struct cr_file *f,
		  struct cr_err *e)
{
	int fd, c, r = -1, size, n = 0, ret = 0;
	char path[96];
	struct stat st;

	if (sscanf(name, "fd/%d", &fd) != 1) {
		f->why = "a pipe or FIFO that is not a descriptor (mapped?) "
			 "is not supported";
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	if (f->f.kind == CRFS_FILE_PIPE) {
		if (cr_stat_cached(AT_FDCWD, path, 0, &st))
			return cr_fail(e, errno, "pid %d: %s: %s: cannot stat: "
				       "%m", pid, name, f->path);
		f->f.mode = st.st_mode;
		f->f.dev = st.st_dev;
		f->f.ino = st.st_ino;
		f->f.uid = st.st_uid;
		f->f.gid = st.st_gid;
	}
	c = cr_evfd_copy(pid, fd);
	if (c < 0)
		return cr_fail(e, errno, "pid %d: fd %d: %s: cannot take a copy "
			       "of it: %m", pid, fd, f->path);
	size = fcntl(c, F_GETPIPE_SZ);
	if (size <= 0 || ioctl(c, FIONREAD, &n) || n < 0) {
		ret = cr_fail(e, errno, "pid %d: fd %d: %s: cannot ask its size "
			      "and data: %m", pid, fd, f->path);
		goto out;
	}
	f->ev.pipe.size = size;
	if (!n)
		goto out;
	if (n > (int)CRFS_PIPE_DATA_MAX) {
		f->why = "a pipe holding more than CRFS_PIPE_DATA_MAX (1 MiB) "
			 "of data is not supported";
		goto out;
	}
	if (f->f.flags & O_DIRECT) {
		f->why = pipe_why_packet;
		goto out;
	}
	/* A write end is read through a read end of the same pipe. */
	r = (f->f.flags & O_ACCMODE) == O_WRONLY ?
	    open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : dup(c);
	if (r < 0) {
		ret = cr_fail(e, errno, "pid %d: fd %d: %s: cannot open it for "
			      "reading its data: %m", pid, fd, f->path);
		goto out;
	}
	ret = pipe_peek(r, size, n, f);
	if (ret)
		ret = cr_fail(e, -ret, "pid %d: fd %d: %s: cannot read its "
			      "%d bytes of data: %s", pid, fd, f->path, n,
			      strerror(-ret));
	else if (!f->why || f->why == pipe_why_tee ||
		 f->why == pipe_why_packet)
		f->ev.pipe.data_len = n;
out:
	if (r >= 0)
		close(r);
	close(c);
	return ret;
}

/* A process of @d and its descriptor of FILE @f: *@fd, or pid 0. */
static pid_t pipe_holder(const struct cr_dump *d, const struct cr_file *f,
			 uint32_t *fd)
{
	for (uint32_t i = 0; i < d->nr_tasks; i++) {
		const struct cr_fdtable *t = d->tasks[i].t->fdt;

		for (uint32_t j = 0; t && j < t->nr_fds; j++)
			if (t->fds[j].file == f) {
				*fd = t->fds[j].d.fd;
				return d->tasks[i].pid;
			}
	}
	*fd = 0;
	return 0;
}

/* Refuse pipe @f of @d: its first holder, the pipe, @why. */
static int pipe_refuse(const struct cr_dump *d, const struct cr_file *f,
		       const char *why, struct cr_err *e)
{
	uint32_t fd;
	pid_t pid = pipe_holder(d, f, &fd);

	return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s (pipe inode %" PRIu64
		       "): %s", pid, fd, f->path, (uint64_t)f->f.ino, why);
}

/* By kind, device, inode, then id: the FILEs of one pipe together. */
static int pipe_cmp(const void *pa, const void *pb)
{
	const struct cr_file *a = *(struct cr_file *const *)pa;
	const struct cr_file *b = *(struct cr_file *const *)pb;

	if (a->f.kind != b->f.kind)
		return a->f.kind < b->f.kind ? -1 : 1;
	if (a->f.dev != b->f.dev)
		return a->f.dev < b->f.dev ? -1 : 1;
	if (a->f.ino != b->f.ino)
		return a->f.ino < b->f.ino ? -1 : 1;
	return (a->f.id > b->f.id) - (a->f.id < b->f.id);
}

/* The data of a pipe kept by @c only, of the @n FILEs @p. */
static void pipe_keep_data(struct cr_file *c, struct cr_file **p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (p[i] == c)
			continue;
		if (!c->ev.pipe.data_len && p[i]->ev.pipe.data_len) {
			c->ev.pipe.data_len = p[i]->ev.pipe.data_len;
			c->pdata = p[i]->pdata;
			p[i]->pdata = NULL;
		}
		free(p[i]->pdata);
		p[i]->pdata = NULL;
		p[i]->ev.pipe.data_len = 0;
	}
}

/* O_LARGEFILE as the kernel shows it: open() gives it, pipe() does not. */
#define PIPE_O_LARGEFILE	0100000

/*
 * The end of access mode @acc that pipe() made, among the @n FILEs @p:
 * without O_LARGEFILE (which a reopening through /proc gives) if one is,
 * the lowest id first; NULL: none.
 */
static struct cr_file *pipe_end(struct cr_file **p, uint32_t n, int acc)
{
	struct cr_file *best = NULL;

	for (uint32_t i = 0; i < n; i++)
		if ((int)(p[i]->f.flags & O_ACCMODE) == acc &&
		    (!best || ((best->f.flags & PIPE_O_LARGEFILE) &&
			       !(p[i]->f.flags & PIPE_O_LARGEFILE))))
			best = p[i];
	return best;
}

/* Does the first holder of FILE @r hold a pipe end of its pipe? */
static bool pipe_via(const struct cr_dump *d, const struct cr_file *r)
{
	for (uint32_t i = 0; i < d->nr_tasks; i++) {
		const struct cr_fdtable *t = d->tasks[i].t->fdt;
		bool holds = false, via = false;

		for (uint32_t j = 0; t && j < t->nr_fds; j++) {
			const struct cr_file *f = t->fds[j].file;

			holds |= f == r;
			via |= f && f->f.kind == CRFS_FILE_PIPE &&
			       f->f.ino == r->f.ino &&
			       !(f->ev.pipe.pflags & CRFS_PIPE_F_REOPEN);
		}
		if (holds)
			return via;
	}
	return false;
}

/*
 * The @n FILEs @p of one pipe: its two ends (peer_id), the others opened
 * again through /proc (CRFS_PIPE_F_REOPEN), the data on the end of lower
 * id; or why they cannot be restored.
 */
static const char *pipe_pair(const struct cr_dump *d, struct cr_file **p,
			     uint32_t n)
{
	struct cr_file *rd = pipe_end(p, n, O_RDONLY);
	struct cr_file *wr = pipe_end(p, n, O_WRONLY);
	struct cr_file *c = rd && (!wr || rd->f.id < wr->f.id) ? rd : wr;
	int fl = 0;

	if (!c)
		return "a pipe held only through descriptions opened again "
		       "for reading and writing (through /proc/PID/fd) is "
		       "not supported";
	pipe_keep_data(c, p, n);
	for (uint32_t i = 0; i < n; i++) {
		fl |= p[i]->f.flags;
		if (p[i] != rd && p[i] != wr)
			p[i]->ev.pipe.pflags |= CRFS_PIPE_F_REOPEN;
	}
	for (uint32_t i = 0; i < n; i++)
		if (p[i] != rd && p[i] != wr && !pipe_via(d, p[i]))
			return "a description opened again through "
			       "/proc/PID/fd in a process that holds neither "
			       "end of the pipe is not supported";
	if (c->ev.pipe.data_len && (fl & O_DIRECT))
		return pipe_why_packet;
	for (uint32_t i = 0; i < n; i++)
		if (p[i]->why)
			return p[i]->why;
	if (rd && wr) {
		rd->ev.pipe.peer_id = wr->f.id;
		wr->ev.pipe.peer_id = rd->f.id;
	}
	return NULL;
}

/* What pipe_outside() looks for, and the process found. */
struct pipe_outside_ctx {
	struct cr_file	**p;
	uint32_t	n;
	pid_t		found;
	struct cr_file	*f;
};

/* Does @q hold an end of a pipe of the container? */
static int pipe_outside_one(pid_t q, void *arg)
{
	struct pipe_outside_ctx *o = arg;
	unsigned long long ino;
	char path[64], target[64];
	struct dirent *fe;
	ssize_t len;
	DIR *fds;

	snprintf(path, sizeof(path), "/proc/%d/fd", q);
	fds = opendir(path);
	while (fds && !o->found && (fe = readdir(fds))) {
		len = readlinkat(dirfd(fds), fe->d_name, target,
				 sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (sscanf(target, "pipe:[%llu]", &ino) != 1)
			continue;
		for (uint32_t i = 0; i < o->n; i++)
			if (o->p[i]->f.kind == CRFS_FILE_PIPE &&
			    o->p[i]->f.ino == ino) {
				o->found = q;
				o->f = o->p[i];
				break;
			}
	}
	if (fds)
		closedir(fds);
	return o->found != 0;
}

/* Phase 2, for the whole container at its first process: see above. */
static int pipe_check(struct cr_dump *d, struct cr_dtask *dt,
		      struct cr_err *e)
{
	struct pipe_outside_ctx o = { 0 };
	char comm[CRFS_COMM_LEN], why[192];
	const char *no;
	uint32_t i, j, n = 0;
	int ret = 0;

	if (dt != &d->tasks[0])
		return 0;
	o.p = calloc(d->m.nr_files + 1, sizeof(*o.p));
	if (!o.p)
		return cr_fail(e, ENOMEM, "out of memory");
	for (i = 0; i < d->m.nr_files; i++)
		if (cr_file_pipe(&d->m.files[i].f) &&
		    (!d->m.files[i].why || d->m.files[i].why == pipe_why_tee ||
		     d->m.files[i].why == pipe_why_packet))
			o.p[n++] = &d->m.files[i];
	qsort(o.p, n, sizeof(*o.p), pipe_cmp);
	for (i = 0; !ret && i < n; i = j) {
		for (j = i + 1; j < n && o.p[j]->f.kind == o.p[i]->f.kind &&
		     o.p[j]->f.dev == o.p[i]->f.dev &&
		     o.p[j]->f.ino == o.p[i]->f.ino; j++)
			;
		if (o.p[i]->f.kind == CRFS_FILE_FIFO) {
			pipe_keep_data(o.p[i], o.p + i, j - i);
			continue;
		}
		no = pipe_pair(d, o.p + i, j - i);
		if (no)
			ret = pipe_refuse(d, o.p[i], no, e);
	}
	o.n = n;
	if (!ret && n)
		cr_dump_each_outside(d, pipe_outside_one, &o);
	if (!ret && o.found) {
		if (cr_proc_comm(o.found, comm, &(struct cr_err){ 0 }))
			snprintf(comm, sizeof(comm), "?");
		snprintf(why, sizeof(why), "%s end held also by pid %d (%s), "
			 "outside the container: start it with </dev/null "
			 ">log 2>&1, or close the descriptor",
			 o.f->ev.pipe.peer_id ? "an" : "its other", o.found,
			 comm);
		ret = pipe_refuse(d, o.f, why, e);
	}
	free(o.p);
	return ret;
}

/* ----------------------------------------------------------- restore */

/* Write the @n bytes at @p into pipe end @w; 0 or a positive errno. */
static int pipe_fill(long w, const uint8_t *p, uint32_t n)
{
	while (n) {
		long got = syscall(SYS_write, w, p, n);

		if (got <= 0)
			return got < 0 ? errno : EIO;
		p += got;
		n -= got;
	}
	return 0;
}

int cr_rst_pipe_make(const struct cr_file *f, const struct cr_file *peer,
		     long fds[2])
{
	const struct crfs_file_pipe *ps = &f->ev.pipe;
	const struct cr_file *carrier = peer && peer->ev.pipe.data_len ?
					peer : f;
	int p[2], err = 0;
	bool rd = (f->f.flags & O_ACCMODE) == O_RDONLY;

	if (syscall(SYS_pipe2, p, O_CLOEXEC))
		return errno;
	if (syscall(SYS_fcntl, p[1], F_GETPIPE_SZ) != ps->size &&
	    syscall(SYS_fcntl, p[1], F_SETPIPE_SZ, ps->size) < 0)
		err = errno;
	if (!err)
		err = pipe_fill(p[1], carrier->pdata,
				carrier->ev.pipe.data_len);
	if (err) {
		syscall(SYS_close, p[0]);
		syscall(SYS_close, p[1]);
		return err;
	}
	fds[0] = rd ? p[0] : p[1];
	fds[1] = rd ? p[1] : p[0];
	return 0;
}

long cr_rst_fifo_open(const struct cr_file *fi, int oflags)
{
	struct open_how how = {
		.flags = O_RDWR | O_NONBLOCK | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long rw, fd;
	int err;

	rw = syscall(SYS_openat2, AT_FDCWD, fi->path, &how, sizeof(how));
	if (rw < 0)
		return rw;
	err = pipe_fill(rw, fi->pdata, fi->ev.pipe.data_len);
	if (!err && (oflags & O_ACCMODE) == O_RDWR)
		return rw;
	how.flags = (oflags & ~O_ACCMODE) | (oflags & O_ACCMODE) |
		    O_NONBLOCK | O_CLOEXEC;
	fd = err ? -1 : syscall(SYS_openat2, AT_FDCWD, fi->path, &how,
				sizeof(how));
	if (fd < 0 && !err)
		err = errno;
	syscall(SYS_close, rw);
	errno = err;
	return fd;
}

const struct cr_res_ops cr_res_pipe = {
	.name		= "pipes",
	.check		= pipe_check,
};
