// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "files": a process's descriptor table (FDTABLE) and the
 * open file descriptions (FILE) its descriptors name.  Descriptors that
 * share one description (after dup(), fork() or `2>&1`) name one FILE:
 * kcmp(KCMP_FILE) tells, among descriptors whose (device, inode, flags,
 * offset) are equal, sorted first so that only those are compared:
 * O(n log n) calls.  The restore opens each description once and gives
 * it to every descriptor that shares it (restore-files.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kcmp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "dump.h"
#include "proc.h"
#include "restore.h"

/* What to do about a descriptor the program got from whoever started it. */
#define FD_HINT "start it with </dev/null >log 2>&1, or close the descriptor"

/* One descriptor being collected. */
struct cr_fd_probe {
	int		fd;
	bool		cloexec;
	struct cr_file	f;		/* its description, until added */
	uint32_t	file_id;	/* once added */
};

/* By the key of the description: device, inode, flags, offset; then fd. */
static int cr_probe_key_cmp(const void *pa, const void *pb)
{
	const struct cr_fd_probe *a = pa, *b = pb;
	const struct crfs_file *x = &a->f.f, *y = &b->f.f;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	if (x->flags != y->flags)
		return x->flags < y->flags ? -1 : 1;
	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return (a->fd > b->fd) - (a->fd < b->fd);
}

/* Same key: may share a description (refused ones never do). */
static bool cr_probe_same_key(const struct cr_fd_probe *a,
			      const struct cr_fd_probe *b)
{
	return !a->f.why && !b->f.why && a->f.f.kind && b->f.f.kind &&
	       a->f.f.dev == b->f.f.dev && a->f.f.ino == b->f.f.ino &&
	       a->f.f.flags == b->f.f.flags && a->f.f.pos == b->f.f.pos;
}

/* The process whose descriptors kcmp compares, and its first error. */
struct cr_kcmp_ctx {
	pid_t	pid;
	int	err;
};

/* kcmp(KCMP_FILE) as an order: the kernel orders the descriptions. */
static int cr_probe_kcmp(const void *pa, const void *pb, void *arg)
{
	const struct cr_fd_probe *a = pa, *b = pb;
	struct cr_kcmp_ctx *k = arg;
	long r = syscall(SYS_kcmp, k->pid, k->pid, KCMP_FILE, a->fd, b->fd);

	if (r < 0 && !k->err)
		k->err = errno;
	return r == 1 ? -1 : r == 2 ? 1 : 0;
}

/* Within each run of equal keys, the same description is adjacent. */
static int cr_probe_share(struct cr_fd_probe *p, int n, pid_t pid,
			  struct cr_err *e)
{
	struct cr_kcmp_ctx k = { pid, 0 };
	int i = 0, j;

	qsort(p, n, sizeof(*p), cr_probe_key_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && cr_probe_same_key(&p[i], &p[j]); j++)
			;
		if (j - i > 1)
			qsort_r(p + i, j - i, sizeof(*p), cr_probe_kcmp, &k);
		if (k.err)
			return cr_fail(e, k.err, "pid %d: fd %d: cannot tell "
				       "whether it shares its description with "
				       "fd %d (kcmp: %s)", pid, p[i].fd,
				       p[i + 1].fd, strerror(k.err));
	}
	return 0;
}

/* Is @b the description of @a (adjacent, same key, kcmp says so)? */
static bool cr_probe_shares(const struct cr_fd_probe *a,
			    const struct cr_fd_probe *b, pid_t pid)
{
	return cr_probe_same_key(a, b) &&
	       syscall(SYS_kcmp, pid, pid, KCMP_FILE, a->fd, b->fd) == 0;
}

static int cr_probe_fd_cmp(const void *pa, const void *pb)
{
	const struct cr_fd_probe *a = pa, *b = pb;

	return (a->fd > b->fd) - (a->fd < b->fd);
}

/* Probe descriptor @fd: its fdinfo and what it is. */
static int cr_probe_fd(pid_t pid, int fd, struct cr_fd_probe *p,
		       struct cr_err *e)
{
	uint32_t flags = 0;
	uint64_t pos = 0;
	bool locks = false;
	char name[32];
	int ret;

	ret = cr_proc_fdinfo(pid, fd, &pos, &flags, &locks, e);
	if (ret)
		return ret;
	snprintf(name, sizeof(name), "fd/%d", fd);
	ret = cr_dump_file_probe(pid, name, flags & ~O_CLOEXEC, &p->f, e);
	if (ret)
		return ret;
	p->fd = fd;
	p->cloexec = flags & O_CLOEXEC;
	p->f.f.pos = pos;
	p->f.locked = locks;
	if (!p->f.why && (flags & O_PATH))
		p->f.why = "O_PATH descriptors are not supported";
	return 0;
}

/* Phase 1: the fd table, each description once. */
static int files_collect(struct cr_dump *d, struct cr_dtask *dt,
			 struct cr_err *e)
{
	struct cr_fd_probe *p = NULL;
	struct cr_fdtable *t;
	int *fds = NULL, n, i, ret = 0, err = 0;
	uint32_t id;

	/* A table shared with a task before it (clone(CLONE_FILES)). */
	if (dt->files_of >= 0) {
		dt->t->t.fdtable_id = d->tasks[dt->files_of].t->t.fdtable_id;
		return 0;
	}
	id = cr_dump_id(d);
	n = cr_proc_fds(dt->pid, &fds, e);
	if (n < 0)
		return n;
	p = calloc(n ? n : 1, sizeof(*p));
	if (!p) {
		ret = cr_fail(e, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; !ret && i < n; i++)
		ret = cr_probe_fd(dt->pid, fds[i], &p[i], e);
	if (ret)
		goto out;
	ret = cr_probe_share(p, n, dt->pid, e);
	for (i = 0; !ret && i < n; i++) {
		if (i && cr_probe_shares(&p[i - 1], &p[i], dt->pid)) {
			p[i].file_id = p[i - 1].file_id;
			cr_file_free_ev(&p[i].f);
			continue;
		}
		/* Another process's description: one FILE, one offset. */
		p[i].file_id = cr_dump_file_shared(d, dt->pid, p[i].fd,
						   &p[i].f);
		if (p[i].file_id) {
			/* Its FILE has its state already: this copy goes. */
			cr_file_free_ev(&p[i].f);
			continue;
		}
		p[i].file_id = cr_dump_file_add(d, &p[i].f, e);
		if (!p[i].file_id)
			ret = -e->err;
		else
			ret = cr_dump_file_note(d, dt->pid, p[i].fd, &p[i].f,
						p[i].file_id, e);
	}
	if (ret)
		goto out;
	qsort(p, n, sizeof(*p), cr_probe_fd_cmp);
	t = cr_model_new_fdtable(&d->m, &err);
	if (!t) {
		ret = cr_fail(e, ENOMEM, "out of memory");
		goto out;
	}
	t->t.id = id;
	dt->t->t.fdtable_id = id;
	for (i = 0; i < n; i++) {
		struct cr_fd *fd = cr_model_new_fd(t, &err);

		if (!fd) {
			ret = cr_fail(e, ENOMEM, "out of memory");
			break;
		}
		fd->d.fd = p[i].fd;
		fd->d.file_id = p[i].file_id;
		fd->d.cloexec = p[i].cloexec;
	}
out:
	for (i = 0; p && i < n; i++) {
		free(p[i].f.path);
		if (!p[i].file_id)
			cr_file_free_ev(&p[i].f);
	}
	free(p);
	free(fds);
	return ret;
}

/* Is a character device of major @maj, at @link, a terminal? */
static bool fd_is_tty(unsigned int maj, const char *link)
{
	/* tty, ttyS; /dev/tty, console, ptmx; the pts majors 136-143 */
	return maj == 4 || maj == 5 || (maj >= 136 && maj <= 143) ||
	       !strncmp(link, "/dev/pts/", 9) || !strncmp(link, "/dev/tty", 8);
}

/* What cr_files_holder() looks for, and the process found. */
struct fd_holder_ctx {
	const char	*link;
	pid_t		found;
};

/* Does @q hold a descriptor whose link reads @arg's link? */
static int fd_holder_one(pid_t q, void *arg)
{
	struct fd_holder_ctx *h = arg;
	char path[64], target[64];
	struct dirent *fe;
	ssize_t n;
	DIR *fds;

	snprintf(path, sizeof(path), "/proc/%d/fd", q);
	fds = opendir(path);
	while (fds && !h->found && (fe = readdir(fds))) {
		n = readlinkat(dirfd(fds), fe->d_name, target,
			       sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (!strcmp(target, h->link))
			h->found = q;
	}
	if (fds)
		closedir(fds);
	return h->found != 0;
}

pid_t cr_files_holder(const pid_t *in, uint32_t nr, const char *link,
		      char *comm, size_t len)
{
	struct fd_holder_ctx h = { link, 0 };

	cr_proc_each_outside(in, nr, fd_holder_one, &h);
	if (h.found) {
		struct cr_err ignore;

		if (cr_proc_comm(h.found, comm, &ignore))
			snprintf(comm, len, "?");
	}
	return h.found;
}


/*
 * Why descriptor @fd of a process of @d cannot be dumped, in @buf, with what to do
 * when it is a terminal, or a pipe or socket that a standard descriptor
 * holds or a process outside the container shares: most likely inherited
 * from the shell that started the program.
 */
static const char *fd_why(const struct cr_dump *d, int fd,
			  const struct cr_file *f, char *buf, size_t len)
{
	const char *link = f->path, *why = f->why;
	char comm[CRFS_COMM_LEN];
	pid_t other;

	/* A pseudo-terminal says why itself (res-tty.c). */
	if (f->f.kind == CRFS_FILE_TTY)
		return why;
	if (S_ISCHR(f->f.mode) && (major(f->f.rdev) == 136 ||
				   f->f.rdev == makedev(5, 2)))
		return "a pseudo-terminal outside this machine's /dev/pts "
		       "(another devpts, or another path) is not supported";
	if (S_ISCHR(f->f.mode) && fd_is_tty(major(f->f.rdev), link))
		return "terminals other than pseudo-terminals (/dev/ptmx, "
		       "/dev/pts/N) and /dev/tty are not supported: " FD_HINT;
	if (S_ISCHR(f->f.mode) && !f->f.kind) {
		snprintf(buf, len, "character device %u:%u is not supported",
			 major(f->f.rdev), minor(f->f.rdev));
		return buf;
	}
	if (strncmp(link, "pipe:", 5) && strncmp(link, "socket:", 7))
		return why;
	other = cr_files_holder(d->pids, d->nr_tasks, link, comm,
				sizeof(comm));
	if (other)
		snprintf(buf, len, "%s: also open in pid %d (%s), outside the "
			 "container: " FD_HINT, why, other, comm);
	else if (fd <= 2)
		snprintf(buf, len, "%s: " FD_HINT, why);
	else
		return why;
	return buf;
}

/* Phase 2: the first descriptor that cannot be restored, in fd order. */
static int files_check(struct cr_dump *d, struct cr_dtask *dt,
		       struct cr_err *e)
{
	const struct cr_fdtable *t = dt->t->fdt;
	char buf[256];

	for (uint32_t i = 0; t && i < t->nr_fds; i++) {
		const struct cr_fd *fd = &t->fds[i];

		if (!fd->file->why && fd->file->f.kind)
			continue;
		return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s: %s", dt->pid,
			       fd->d.fd, fd->file->path,
			       fd_why(d, fd->d.fd, fd->file, buf,
				      sizeof(buf)));
	}
	return 0;
}

const struct cr_res_ops cr_res_files = {
	.name		= "files",
	.collect	= files_collect,
	.check		= files_check,
	.plan		= cr_rst_files_plan,
	.child		= cr_rst_files_open,
};
