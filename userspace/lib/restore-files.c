// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The files of a restored process: its descriptors, the files it maps,
 * its executable, cwd and root.  The new process opens every one itself
 * (cr_rst_files_open(), raw system calls, before its memory is swapped),
 * without following a symbolic link (the image's paths are canonical: they
 * come from /proc), first with its own fs credentials and as root only
 * where those are refused, and checks the descriptor it got with fstat():
 * type, device and inode, size and mtime of a regular file, rdev of a
 * device.  A path is never checked and then opened again: the descriptor
 * that was checked is the one the process keeps, maps (mmap() of the
 * descriptor) or gets as its executable (PR_SET_MM_MAP exe_fd).
 *
 * The image's descriptors get their own numbers; the others (mapped files,
 * executable, cwd, root) the lowest numbers the image does not use.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "proc.h"
#include "restore.h"

/* File status flags a descriptor is reopened with. */
#define CR_FD_OPEN_FLAGS	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_SYNC | \
				 O_DSYNC | O_DIRECT | O_NOATIME | O_LARGEFILE)

/* What each kind of file is called in a reason. */
static const char *const cr_rf_kind_names[] = {
	[CR_RF_FD]	= "fd",
	[CR_RF_MAP]	= "mapping",
	[CR_RF_EXE]	= "executable",
	[CR_RF_CWD]	= "cwd",
	[CR_RF_ROOT]	= "root",
};

/* What each identity field is called in a reason. */
static const char *const cr_rf_field_names[] = {
	[CR_RF_F_TYPE]	= "type",
	[CR_RF_F_DEV]	= "dev",
	[CR_RF_F_INO]	= "ino",
	[CR_RF_F_SIZE]	= "size",
	[CR_RF_F_MTIME]	= "mtime",
	[CR_RF_F_RDEV]	= "rdev",
};

/* One mapping of a file, for sorting them by file. */
struct cr_rf_key {
	uint64_t	dev, ino;
	int32_t		oflags;
	uint32_t	vma;
};

/* By file and open flags, then by mapping (the first one names it). */
static int cr_rf_key_cmp(const void *pa, const void *pb)
{
	const struct cr_rf_key *a = pa, *b = pb;

	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	if (a->ino != b->ino)
		return a->ino < b->ino ? -1 : 1;
	if (a->oflags != b->oflags)
		return a->oflags < b->oflags ? -1 : 1;
	return a->vma < b->vma ? -1 : a->vma > b->vma;
}

/* Append an entry for @path of @kind; @idx is the fd or mapping index. */
static struct cr_rst_file *cr_rf_add(struct cr_rst_files *fs, uint32_t kind,
				     uint32_t idx, const char *path,
				     int oflags, uint32_t type)
{
	struct cr_rst_file *f = &fs->f[fs->nr++];

	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->idx = idx;
	f->path = path;
	f->oflags = oflags;
	f->type = type;
	f->check = CR_RF_TYPE | CR_RF_DEV | CR_RF_INO;
	f->fd = -1;
	return f;
}

/* The descriptors of the image, at their numbers. */
static int cr_rf_plan_fds(const struct cr_task_img *t,
			  struct cr_rst_files *fs, struct cr_err *e)
{
	uint32_t i;

	for (i = 0; i < t->task.nr_fds; i++) {
		const struct crfs_fd *fd = &t->fds[i].f;
		uint32_t type = fd->mode & S_IFMT;
		struct cr_rst_file *f;

		if ((fd->kind == CRFS_FD_REG && type != S_IFREG) ||
		    (fd->kind == CRFS_FD_CHR && type != S_IFCHR) ||
		    (fd->kind != CRFS_FD_REG && fd->kind != CRFS_FD_CHR))
			return cr_fail(e, EOPNOTSUPP,
				       "pid %u: fd %u: unsupported kind %u, mode %#o",
				       t->task.pid, fd->fd, fd->kind, fd->mode);
		if (!t->fds[i].path || t->fds[i].path[0] != '/' ||
		    fd->fd > INT32_MAX)
			return cr_fail(e, EINVAL, "pid %u: fd %u: no file path",
				       t->task.pid, fd->fd);
		f = cr_rf_add(fs, CR_RF_FD, i, t->fds[i].path,
			      (fd->flags & CR_FD_OPEN_FLAGS) | O_NOCTTY |
			      (fd->cloexec ? O_CLOEXEC : 0), type);
		f->fd = fd->fd;
		f->pos = fd->pos;
		f->dev = fd->dev;
		f->ino = fd->ino;
		if (type == S_IFREG) {
			f->check |= CR_RF_SIZE | CR_RF_MTIME;
			f->size = fd->size;
			f->mtime_ns = fd->mtime_ns;
		} else {
			f->check |= CR_RF_RDEV;
			f->rdev = fd->rdev;
		}
	}
	return 0;
}

/* One entry per mapped file (and open mode), however many mappings. */
static int cr_rf_plan_maps(const struct cr_task_img *t,
			   struct cr_rst_files *fs, struct cr_err *e)
{
	struct cr_rf_key *keys;
	uint32_t i, n = 0;

	keys = calloc(t->task.nr_vmas ? t->task.nr_vmas : 1, sizeof(*keys));
	if (!keys)
		return cr_fail(e, ENOMEM, "out of memory");
	for (i = 0; i < t->task.nr_vmas; i++) {
		const struct cr_vma_img *vi = &t->vmas[i];
		bool shared = vi->v.flags & CRFS_VMA_F_SHARED;

		fs->vma_file[i] = -1;
		if (vi->v.kind != CRFS_VMA_FILE)
			continue;
		if (!vi->path || vi->path[0] != '/') {
			free(keys);
			return cr_fail(e, EINVAL,
				       "pid %u: mapping %#llx-%#llx: no file path",
				       t->task.pid,
				       (unsigned long long)vi->v.start,
				       (unsigned long long)vi->v.end);
		}
		keys[n++] = (struct cr_rf_key){
			.dev = vi->v.dev, .ino = vi->v.ino, .vma = i,
			/* Writable only where a shared mapping writes. */
			.oflags = shared && (vi->v.prot & PROT_WRITE) ?
				  O_RDWR : O_RDONLY,
		};
	}
	qsort(keys, n, sizeof(*keys), cr_rf_key_cmp);
	for (i = 0; i < n; i++) {
		const struct crfs_vma *v = &t->vmas[keys[i].vma].v;
		struct cr_rst_file *f;

		if (!i || keys[i - 1].dev != keys[i].dev ||
		    keys[i - 1].ino != keys[i].ino ||
		    keys[i - 1].oflags != keys[i].oflags) {
			f = cr_rf_add(fs, CR_RF_MAP, keys[i].vma,
				      t->vmas[keys[i].vma].path,
				      keys[i].oflags | O_CLOEXEC, S_IFREG);
			f->check |= CR_RF_SIZE | CR_RF_MTIME;
			f->dev = v->dev;
			f->ino = v->ino;
			f->size = v->size;
			f->mtime_ns = v->mtime_ns;
		}
		fs->vma_file[keys[i].vma] = fs->nr - 1;
	}
	free(keys);
	return 0;
}

/* The executable, cwd and root (unless it is the restorer's, "/"). */
static int cr_rf_plan_task(const struct cr_task_img *t,
			   struct cr_rst_files *fs, struct cr_err *e)
{
	struct cr_rst_file *f;

	if (t->exe && t->exe[0]) {
		if (t->exe[0] != '/')
			return cr_fail(e, EINVAL, "pid %u: executable %s: not an absolute path",
				       t->task.pid, t->exe);
		f = cr_rf_add(fs, CR_RF_EXE, 0, t->exe, O_RDONLY | O_CLOEXEC,
			      S_IFREG);
		fs->exe = fs->nr - 1;
		f->check |= CR_RF_SIZE | CR_RF_MTIME;
		f->dev = t->mm.exe_dev;
		f->ino = t->mm.exe_ino;
		f->size = t->mm.exe_size;
		f->mtime_ns = t->mm.exe_mtime_ns;
	}
	if (!t->cwd || t->cwd[0] != '/' || !t->root || t->root[0] != '/')
		return cr_fail(e, EINVAL, "pid %u: cwd or root is not an absolute path",
			       t->task.pid);
	f = cr_rf_add(fs, CR_RF_CWD, 0, t->cwd,
		      O_PATH | O_DIRECTORY | O_CLOEXEC, S_IFDIR);
	fs->cwd = fs->nr - 1;
	f->dev = t->fs.cwd_dev;
	f->ino = t->fs.cwd_ino;
	if (strcmp(t->root, "/")) {
		f = cr_rf_add(fs, CR_RF_ROOT, 0, t->root,
			      O_PATH | O_DIRECTORY | O_CLOEXEC, S_IFDIR);
		fs->root = fs->nr - 1;
		f->dev = t->fs.root_dev;
		f->ino = t->fs.root_ino;
	}
	return 0;
}

/* The lowest number from *@n on that no image descriptor has; *@j walks them. */
static int32_t cr_rf_free_fd(const struct cr_rst_files *fs, int32_t *n,
			     uint32_t *j)
{
	for (;;) {
		while (*j < fs->nr_fds && fs->f[*j].fd < *n)
			(*j)++;
		if (*j < fs->nr_fds && fs->f[*j].fd == *n) {
			(*n)++;
			continue;
		}
		return (*n)++;
	}
}

/*
 * Numbers for the socket and the files that are not the image's
 * descriptors: the lowest the image does not use, in order.
 */
static void cr_rf_number(struct cr_rst_files *fs)
{
	uint32_t i, j = 0;
	int32_t n = 0;

	fs->sock_fd = cr_rf_free_fd(fs, &n, &j);
	for (i = fs->nr_fds; i < fs->nr; i++)
		fs->f[i].fd = cr_rf_free_fd(fs, &n, &j);
	fs->nofile = (uint32_t)fs->sock_fd + 1;
	for (i = 0; i < fs->nr; i++)
		if ((uint32_t)fs->f[i].fd >= fs->nofile)
			fs->nofile = (uint32_t)fs->f[i].fd + 1;
}

int cr_rst_files_plan(const struct cr_task_img *t, struct cr_rst_files *fs,
		      struct cr_err *e)
{
	size_t max = (size_t)t->task.nr_fds + t->task.nr_vmas + 3;
	int rc;

	memset(fs, 0, sizeof(*fs));
	fs->exe = fs->cwd = fs->root = -1;
	fs->f = calloc(max, sizeof(*fs->f));
	fs->vma_file = calloc(t->task.nr_vmas ? t->task.nr_vmas : 1,
			      sizeof(*fs->vma_file));
	if (!fs->f || !fs->vma_file) {
		cr_rst_files_free(fs);
		return cr_fail(e, ENOMEM, "out of memory");
	}
	rc = cr_rf_plan_fds(t, fs, e);
	fs->nr_fds = fs->nr;
	if (!rc)
		rc = cr_rf_plan_maps(t, fs, e);
	if (!rc)
		rc = cr_rf_plan_task(t, fs, e);
	if (rc) {
		cr_rst_files_free(fs);
		return rc;
	}
	cr_rf_number(fs);
	return 0;
}

void cr_rst_files_free(struct cr_rst_files *fs)
{
	free(fs->f);
	free(fs->vma_file);
	memset(fs, 0, sizeof(*fs));
}

/* The restorer's own fs credentials, and the image's, in the child. */
struct cr_rf_creds {
	const struct cr_task_img	*t;
	uint32_t			fsuid, fsgid;	/* the restorer's */
	bool				as_task;	/* try the task's first */
};

/* Take the task's fs credentials (@task) or the restorer's back. */
static void cr_rf_fscreds(const struct cr_rf_creds *cr, bool task)
{
	if (task) {
		syscall(SYS_setfsgid, cr->t->creds.fsgid);
		syscall(SYS_setfsuid, cr->t->creds.fsuid);
	} else {
		/* fsuid first: it brings the capabilities back */
		syscall(SYS_setfsuid, cr->fsuid);
		syscall(SYS_setfsgid, cr->fsgid);
	}
}

/* openat2() of @f's path through no symbolic link; -1 and errno on failure. */
static long cr_rf_openat2(const struct cr_rst_file *f)
{
	struct open_how how = {
		.flags = (uint32_t)f->oflags,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	return syscall(SYS_openat2, AT_FDCWD, f->path, &how, sizeof(how));
}

/*
 * Open @f with the task's own fs credentials; where they are refused
 * (EACCES, EPERM: it had the file through privilege, as a server that
 * opens its log as root and then drops it), as the restorer.
 */
static long cr_rf_open(const struct cr_rf_creds *cr, const struct cr_rst_file *f)
{
	long fd;

	if (cr->as_task) {
		cr_rf_fscreds(cr, true);
		fd = cr_rf_openat2(f);
		cr_rf_fscreds(cr, false);
		if (fd >= 0 || (errno != EACCES && errno != EPERM))
			return fd;
	}
	return cr_rf_openat2(f);
}

/* The value the image has for @field of @f. */
static uint64_t cr_rf_wanted(const struct cr_rst_file *f, int field)
{
	switch (field) {
	case CR_RF_F_TYPE:	return f->type;
	case CR_RF_F_DEV:	return f->dev;
	case CR_RF_F_INO:	return f->ino;
	case CR_RF_F_SIZE:	return f->size;
	case CR_RF_F_MTIME:	return (uint64_t)f->mtime_ns;
	}
	return f->rdev;
}

/* Is the open @fd the file @f says?  Else the field and what it is. */
static int cr_rf_verify(const struct cr_rst_file *f, long fd,
			struct cr_rst_res *res)
{
	uint64_t have[CR_RF_F_NR];
	struct stat st;
	int field;

	if (syscall(SYS_fstat, fd, &st)) {
		res->step = CR_RST_FILE_STAT;
		return errno;
	}
	have[CR_RF_F_TYPE] = st.st_mode & S_IFMT;
	have[CR_RF_F_DEV] = st.st_dev;
	have[CR_RF_F_INO] = st.st_ino;
	have[CR_RF_F_SIZE] = st.st_size;
	have[CR_RF_F_MTIME] = (uint64_t)cr_mtime_ns(&st);
	have[CR_RF_F_RDEV] = st.st_rdev;
	for (field = 0; field < CR_RF_F_NR; field++) {
		if (!(f->check & (1U << field)) ||
		    have[field] == cr_rf_wanted(f, field))
			continue;
		res->step = CR_RST_FILE_IDENT;
		res->field = field;
		res->v1 = have[field];
		return ESTALE;
	}
	return 0;
}

/* Open, check and place entry @i; 0 or a positive errno with @res set. */
static int cr_rf_place(const struct cr_rf_creds *cr,
		       const struct cr_rst_files *fs, uint32_t i,
		       struct cr_rst_res *res)
{
	const struct cr_rst_file *f = &fs->f[i];
	int err, cloexec = f->oflags & O_CLOEXEC;
	long fd;

	res->idx = i;
	res->step = CR_RST_FILE_OPEN;
	fd = cr_rf_open(cr, f);
	if (fd < 0)
		return errno;
	err = cr_rf_verify(f, fd, res);
	if (!err && fd != f->fd) {
		res->step = CR_RST_FILE_MOVE;
		if (syscall(SYS_dup3, fd, f->fd, cloexec) < 0)
			err = errno;
	}
	if (err || fd != f->fd)
		syscall(SYS_close, fd);
	if (err)
		return err;
	res->step = CR_RST_FILE_SEEK;
	if (f->kind == CR_RF_FD && f->type == S_IFREG &&
	    syscall(SYS_lseek, f->fd, f->pos, SEEK_SET) != (long)f->pos)
		return errno ? errno : EIO;
	return 0;
}

int cr_rst_files_open(const struct cr_rst_child *c, struct cr_rst_res *res)
{
	const struct cr_rst_files *fs = c->files;
	const struct cr_task_img *t = c->t;
	struct cr_rf_creds cr = { .t = t };
	uint64_t lim[2];
	uint32_t i;
	int err;

	/* Room for every number; the image's own limit comes last. */
	res->step = CR_RST_NOFILE;
	if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, lim))
		return errno;
	if (lim[0] < fs->nofile) {
		if (lim[1] < fs->nofile)
			return EMFILE;
		lim[0] = lim[1];
		if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, lim, NULL))
			return errno;
	}
	/* An invalid id changes nothing and tells the current one. */
	cr.fsuid = syscall(SYS_setfsuid, -1);
	cr.fsgid = syscall(SYS_setfsgid, -1);
	cr.as_task = t->creds.fsuid != cr.fsuid;
	res->step = CR_RST_GROUPS;
	if (cr.as_task &&
	    syscall(SYS_setgroups, t->creds.ngroups, t->groups))
		return errno;
	for (i = 0; i < fs->nr; i++) {
		err = cr_rf_place(&cr, fs, i, res);
		if (err)
			return err;
	}
	res->idx = 0;
	if (fs->root >= 0) {
		res->step = CR_RST_ROOT;
		if (syscall(SYS_fchdir, fs->f[fs->root].fd) ||
		    syscall(SYS_chroot, "."))
			return errno;
		syscall(SYS_close, fs->f[fs->root].fd);
	}
	res->step = CR_RST_CWD;
	if (syscall(SYS_fchdir, fs->f[fs->cwd].fd))
		return errno;
	syscall(SYS_close, fs->f[fs->cwd].fd);
	res->step = CR_RST_DONE;
	return 0;
}

/* A value of field @field in words, into @buf. */
static const char *cr_rf_value(char *buf, size_t len, int field, uint64_t v)
{
	static const struct {
		uint32_t	type;
		const char	*name;
	} types[] = {
		{ S_IFREG, "regular file" }, { S_IFDIR, "directory" },
		{ S_IFCHR, "character device" }, { S_IFBLK, "block device" },
		{ S_IFLNK, "symbolic link" }, { S_IFIFO, "FIFO" },
		{ S_IFSOCK, "socket" },
	};
	size_t i;

	switch (field) {
	case CR_RF_F_TYPE:
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (types[i].type == v)
				return types[i].name;
		snprintf(buf, len, "%#llo", (unsigned long long)v);
		break;
	case CR_RF_F_DEV:
	case CR_RF_F_RDEV:
		snprintf(buf, len, "%u:%u", major(v), minor(v));
		break;
	case CR_RF_F_MTIME:
		snprintf(buf, len, "%lld.%09lld",
			 (long long)((int64_t)v / 1000000000LL),
			 (long long)(((int64_t)v % 1000000000LL + 1000000000LL) %
				     1000000000LL));
		break;
	default:
		snprintf(buf, len, "%llu", (unsigned long long)v);
	}
	return buf;
}

int cr_rst_files_reason(pid_t pid, const struct cr_task_img *t,
			const struct cr_rst_files *fs,
			const struct cr_rst_res *res, struct cr_err *e)
{
	int err = res->err > 0 ? res->err : EIO;
	char name[64], now[40], then[40];
	const struct cr_rst_file *f;
	const char *s = strerror(err);

	if (res->idx < 0 || (uint32_t)res->idx >= fs->nr ||
	    res->field < 0 || res->field >= CR_RF_F_NR)
		return cr_fail(e, EIO, "pid %d: bad report", pid);
	f = &fs->f[res->idx];
	if (f->kind == CR_RF_FD)
		snprintf(name, sizeof(name), "fd %u", t->fds[f->idx].f.fd);
	else if (f->kind == CR_RF_MAP)
		snprintf(name, sizeof(name), "mapping %#llx-%#llx",
			 (unsigned long long)t->vmas[f->idx].v.start,
			 (unsigned long long)t->vmas[f->idx].v.end);
	else
		snprintf(name, sizeof(name), "%s", cr_rf_kind_names[f->kind]);
	switch (res->step) {
	case CR_RST_FILE_OPEN:
		return cr_fail(e, err, "pid %d: %s: %s: %s%s", pid,
			       name, f->path, s, err == ELOOP ?
			       " (a symbolic link is in its path now: the image's path has none)" : "");
	case CR_RST_FILE_STAT:
		return cr_fail(e, err, "pid %d: %s: %s: cannot stat: %s", pid,
			       name, f->path, s);
	case CR_RST_FILE_MOVE:
		return cr_fail(e, err, "pid %d: %s: %s: cannot move to descriptor %d: %s",
			       pid, name, f->path, f->fd, s);
	case CR_RST_FILE_SEEK:
		return cr_fail(e, err, "pid %d: %s: %s: cannot seek to %llu: %s",
			       pid, name, f->path, (unsigned long long)f->pos, s);
	case CR_RST_FILE_IDENT:
		return cr_fail(e, ESTALE, "pid %d: %s: %s %s (%s %s, the image has %s)",
			       pid, name, f->path,
			       res->field <= CR_RF_F_INO ? "is another file now" :
			       "has changed", cr_rf_field_names[res->field],
			       cr_rf_value(now, sizeof(now), res->field, res->v1),
			       cr_rf_value(then, sizeof(then), res->field,
					   cr_rf_wanted(f, res->field)));
	}
	return cr_fail(e, EIO, "pid %d: bad report (step %d)", pid, res->step);
}
