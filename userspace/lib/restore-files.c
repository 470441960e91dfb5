// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The files of a restored process: the descriptions of its descriptors,
 * the files it maps, its executable, cwd and root.  Each description is
 * opened once, and every descriptor that shares it gets a dup() of it: a
 * shared offset stays shared.  The new process opens every one itself
 * (cr_rst_files_open(), raw system calls, before its memory is swapped),
 * without following a symbolic link (the image's paths are canonical: they
 * come from /proc), with the process's own fs ids, groups and effective
 * capabilities, or as the restorer for a file the checkpoint found it had
 * only through privilege (CRFS_FILE_F_PRIV, res-access.c): a permission
 * revoked since the checkpoint fails the restore, it is never bypassed.
 * It checks the descriptor it got with fstat():
 * type, device and inode, size and mtime of a regular file, rdev of a
 * device.  A path is never checked and then opened again: the descriptor
 * that was checked is the one the process keeps, maps (mmap() of the
 * descriptor) or gets as its executable (PR_SET_MM_MAP exe_fd).
 *
 * A description of the image's descriptors is opened at the number of the
 * first of them; the others (mapped files, executable, cwd, root) at the
 * lowest numbers the image does not use.  A directory is seeked to its
 * position as a regular file is (lseek() of f_pos).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "proc.h"
#include "restore.h"

/*
 * File status flags a descriptor is reopened with; O_NOFOLLOW (kept in
 * f_flags, as sqlite opens its files) changes nothing: no path the
 * restore opens follows a link.
 */
#define CR_FD_OPEN_FLAGS	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_SYNC | \
				 O_DSYNC | O_DIRECT | O_NOATIME | O_LARGEFILE | \
				 O_NOFOLLOW)

/* What each kind of file is called in a reason. */
static const char *const cr_rf_kind_names[] = {
	[CR_RF_FD]	= "fd",
	[CR_RF_MAP]	= "mapping",
	[CR_RF_EXE]	= "executable",
	[CR_RF_CWD]	= "cwd",
	[CR_RF_ROOT]	= "root",
	[CR_RF_PAIR]	= "other end",
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

/* A reference to a description: by whom, for sorting them by file. */
struct cr_rf_ref {
	const struct cr_file	*file;
	uint32_t		idx;	/* fd number or VMA index */
	uint32_t		pos;	/* FD: in the fd table */
};

/* By file, then by descriptor number or mapping. */
static int cr_rf_ref_cmp(const void *pa, const void *pb)
{
	const struct cr_rf_ref *a = pa, *b = pb;

	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Append an entry opening @file; its flags and checks from the image. */
static struct cr_rst_file *cr_rf_add(struct cr_rst_files *fs, uint32_t kind,
				     uint32_t idx, const struct cr_file *file)
{
	const struct crfs_file *f = &file->f;
	struct cr_rst_file *e = &fs->f[fs->nr++];

	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->idx = idx;
	e->path = file->path;
	e->fd = -1;
	e->pass = -1;
	e->type = f->mode & S_IFMT;
	e->oflags = (f->flags & CR_FD_OPEN_FLAGS) | O_NOCTTY | O_CLOEXEC;
	if (f->kind == CRFS_FILE_DIR)
		e->oflags |= f->flags & (O_DIRECTORY | O_PATH);
	e->check = CR_RF_TYPE | CR_RF_DEV | CR_RF_INO;
	e->dev = f->dev;
	e->ino = f->ino;
	if (f->kind == CRFS_FILE_REG) {
		e->check |= CR_RF_SIZE | CR_RF_MTIME;
		e->size = f->size;
		e->mtime_ns = f->mtime_ns;
	} else if (f->kind == CRFS_FILE_CHR) {
		e->check |= CR_RF_RDEV;
		e->rdev = f->rdev;
	} else if (f->kind == CRFS_FILE_TTY) {
		/* Made by the restorer, passed (res-tty.c): its device. */
		e->check = CR_RF_TYPE | CR_RF_RDEV;
		e->rdev = f->rdev;
		/* The restorer's terminal, whatever it is. */
		if (file->ev.tty.type == CRFS_TTY_SHELL)
			e->check = CR_RF_TYPE;
	} else if (cr_file_kept(f)) {
		/* Made anew: dev and ino of the copy (res-fdata.c). */
		e->data_id = f->data_id;
		e->priv = true;
	}
	if (cr_file_made(f)) {
		/*
		 * An anonymous inode, made anew by the restorer; an inotify
		 * instance's watches with the task's own credentials, as
		 * files are opened: each needs read permission on its inode.
		 */
		e->check = CR_RF_TYPE;
		e->evfd = file;
		e->priv = f->kind != CRFS_FILE_INOTIFY;
	}
	e->pair_entry = e->pair_fd = -1;
	if (f->kind == CRFS_FILE_UNIX) {
		/* Made anew (restore-unix.c), a connected one with its peer. */
		e->check = CR_RF_TYPE;
		if (cr_unix_of(file)->state == CRFS_UNIX_CONNECTED)
			e->pair = file;
		else
			e->unx = file;
		/* A path is bound as the process (cr_rf_unix()). */
		e->priv = !cr_unix_of(file)->name_len ||
			  !((const char *)(cr_unix_of(file) + 1))[0];
	}
	if (cr_file_pipe(f)) {
		/* A pipe made anew (restore-pair.c), a FIFO by its path. */
		e->check = f->kind == CRFS_FILE_PIPE ? CR_RF_TYPE : e->check;
		e->reopen = f->kind == CRFS_FILE_PIPE &&
			    (file->ev.pipe.pflags & CRFS_PIPE_F_REOPEN);
		e->pair = f->kind == CRFS_FILE_PIPE ? file : NULL;
		e->fifo = f->kind == CRFS_FILE_FIFO ? file : NULL;
	}
	e->pos = f->pos;
	e->seek = kind == CR_RF_FD && f->kind != CRFS_FILE_CHR &&
		  f->kind != CRFS_FILE_TTY && !e->evfd && !cr_file_pipe(f) &&
		  f->kind != CRFS_FILE_UNIX;
	e->priv = e->priv || (f->cflags & CRFS_FILE_F_PRIV);
	return e;
}

/* The entry of @file among the references @refs, sorted, or -1. */
static int32_t cr_rf_find(const struct cr_rf_ref *refs, const int32_t *entry,
			  uint32_t n, const struct cr_file *file)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (refs[mid].file < file)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && refs[lo].file == file ? entry[lo] : -1;
}

/*
 * The descriptors: one entry per description, at the number of its first
 * descriptor (@refs receives the references sorted by file and @entry
 * the entry of each, for the mappings to find theirs).
 */
static int cr_rf_plan_fds(const struct cr_task *t, struct cr_rst_files *fs,
			  struct cr_rf_ref *refs, int32_t *entry,
			  struct cr_err *e)
{
	const struct cr_fdtable *tab = t->fdt;
	uint32_t i, n = tab->nr_fds;

	for (i = 0; i < n; i++) {
		if (!tab->fds[i].file)
			return cr_fail(e, EINVAL, "pid %u: fd %u: no file",
				       t->t.pid, tab->fds[i].d.fd);
		refs[i] = (struct cr_rf_ref){ tab->fds[i].file,
					      tab->fds[i].d.fd, i };
		fs->fds[i] = (struct cr_rst_fd){ tab->fds[i].d.fd, 0,
						 tab->fds[i].d.cloexec };
	}
	fs->nr_fds = n;
	qsort(refs, n, sizeof(*refs), cr_rf_ref_cmp);
	for (i = 0; i < n; i++) {
		if (!i || refs[i].file != refs[i - 1].file) {
			struct cr_rst_file *f = cr_rf_add(fs, CR_RF_FD,
							  refs[i].idx,
							  refs[i].file);

			f->fd = refs[i].idx;	/* the lowest: sorted */
		}
		entry[i] = fs->nr - 1;
		fs->fds[refs[i].pos].entry = fs->nr - 1;
	}
	fs->nr_fd_entries = fs->nr;
	return 0;
}

/* One entry per mapped file that no descriptor has, however many maps. */
static int cr_rf_plan_maps(const struct cr_task *t, struct cr_rst_files *fs,
			   const struct cr_rf_ref *fdrefs,
			   const int32_t *fdentry, struct cr_err *e)
{
	const struct cr_mm *mm = t->mm;
	struct cr_rf_ref *refs;
	uint32_t i, n = 0;

	refs = calloc(mm->nr_vmas ? mm->nr_vmas : 1, sizeof(*refs));
	if (!refs)
		return cr_fail(e, ENOMEM, "out of memory");
	for (i = 0; i < mm->nr_vmas; i++) {
		const struct cr_vma *v = &mm->vmas[i];

		fs->vma_file[i] = -1;
		if (v->v.kind != CRFS_VMA_FILE)
			continue;
		if (!v->file) {
			free(refs);
			return cr_fail(e, EINVAL,
				       "pid %u: mapping %#llx-%#llx: no file",
				       t->t.pid, (unsigned long long)v->v.start,
				       (unsigned long long)v->v.end);
		}
		refs[n++] = (struct cr_rf_ref){ v->file, i, 0 };
	}
	qsort(refs, n, sizeof(*refs), cr_rf_ref_cmp);
	for (i = 0; i < n; i++) {
		int32_t k = cr_rf_find(fdrefs, fdentry, fs->nr_fds,
				       refs[i].file);

		if (k < 0 && i && refs[i].file == refs[i - 1].file)
			k = fs->vma_file[refs[i - 1].idx];
		if (k < 0) {
			cr_rf_add(fs, CR_RF_MAP, refs[i].idx, refs[i].file);
			k = fs->nr - 1;
		}
		fs->vma_file[refs[i].idx] = k;
	}
	free(refs);
	return 0;
}

/* The executable (unless a descriptor or a mapping has it), cwd, root. */
static int cr_rf_plan_task(const struct cr_task *t, struct cr_rst_files *fs,
			   const struct cr_rf_ref *fdrefs,
			   const int32_t *fdentry, struct cr_err *e)
{
	const struct cr_file *exe = t->mm->exe;
	const struct cr_fs *dirs = t->fs;

	if (exe) {
		fs->exe = cr_rf_find(fdrefs, fdentry, fs->nr_fds, exe);
		for (uint32_t i = fs->nr_fd_entries; fs->exe < 0 && i < fs->nr;
		     i++)
			if (fs->f[i].path == exe->path)
				fs->exe = i;
		if (fs->exe < 0) {
			cr_rf_add(fs, CR_RF_EXE, 0, exe);
			fs->exe = fs->nr - 1;
		}
	}
	if (!dirs->cwd || !dirs->root)
		return cr_fail(e, EINVAL, "pid %u: no cwd or root", t->t.pid);
	/* Shared: the first process that has them enters them, for all. */
	if (cr_rst_fs_follower(t))
		return 0;
	cr_rf_add(fs, CR_RF_CWD, 0, dirs->cwd)->oflags =
		O_PATH | O_DIRECTORY | O_CLOEXEC;
	fs->cwd = fs->nr - 1;
	if (strcmp(dirs->root->path, "/")) {
		cr_rf_add(fs, CR_RF_ROOT, 0, dirs->root)->oflags =
			O_PATH | O_DIRECTORY | O_CLOEXEC;
		fs->root = fs->nr - 1;
	}
	return 0;
}

/* The lowest number from *@n on that no image descriptor has; *@j walks them. */
static int32_t cr_rf_free_fd(const struct cr_rst_files *fs, int32_t *n,
			     uint32_t *j)
{
	for (;;) {
		while (*j < fs->nr_fds && fs->fds[*j].fd < *n)
			(*j)++;
		if (*j < fs->nr_fds && fs->fds[*j].fd == *n) {
			(*n)++;
			continue;
		}
		return (*n)++;
	}
}

/*
 * Numbers for the socket and the files that are not the image's
 * descriptions: the lowest the image does not use, in order.
 */
static void cr_rf_number(struct cr_rst_files *fs, int32_t n)
{
	uint32_t i, j = 0;

	fs->sock_fd = cr_rf_free_fd(fs, &n, &j);
	for (i = fs->nr_fd_entries; i < fs->nr; i++)
		fs->f[i].fd = cr_rf_free_fd(fs, &n, &j);
	fs->nofile = (uint32_t)fs->sock_fd + 1;
	for (i = 0; i < fs->nr; i++)
		if ((uint32_t)fs->f[i].fd >= fs->nofile)
			fs->nofile = (uint32_t)fs->f[i].fd + 1;
	if (fs->nr_fds && (uint32_t)fs->fds[fs->nr_fds - 1].fd >= fs->nofile)
		fs->nofile = (uint32_t)fs->fds[fs->nr_fds - 1].fd + 1;
	/* An epoll target's closed number, dup()ed to in the late step. */
	for (i = 0; i < fs->nr; i++) {
		const struct cr_file *ep = fs->f[i].evfd;

		for (j = 0; ep && ep->f.kind == CRFS_FILE_EPOLL &&
			    j < ep->nr_tfds; j++)
			if (ep->tfds[j].via &&
			    (uint32_t)ep->tfds[j].fd >= fs->nofile)
				fs->nofile = (uint32_t)ep->tfds[j].fd + 1;
	}
}

/* Every file of @t into @fs; with @r, the pairs its process makes. */
static int cr_rf_plan(struct cr_rst *r, const struct cr_task *t,
		      struct cr_rst_files *fs, struct cr_err *e)
{
	uint32_t nfd = t->fdt ? t->fdt->nr_fds : 0;
	uint32_t nvma = t->mm ? t->mm->nr_vmas : 0;
	size_t max = 2 * (size_t)nfd + nvma + 3 +
		     (r ? cr_rst_unix_extra(r->m, t) : 0);
	struct cr_rf_ref *refs;
	int32_t *entry;
	int rc;

	memset(fs, 0, sizeof(*fs));
	fs->exe = fs->cwd = fs->root = -1;
	if (!t->fdt || !t->mm || !t->fs)
		return cr_fail(e, EINVAL, "pid %u: no fd table, mm or fs",
			       t->t.pid);
	fs->f = calloc(max, sizeof(*fs->f));
	fs->fds = calloc(nfd ? nfd : 1, sizeof(*fs->fds));
	fs->vma_file = calloc(nvma ? nvma : 1, sizeof(*fs->vma_file));
	refs = calloc(nfd ? nfd : 1, sizeof(*refs));
	entry = calloc(nfd ? nfd : 1, sizeof(*entry));
	if (!fs->f || !fs->fds || !fs->vma_file || !refs || !entry) {
		rc = cr_fail(e, ENOMEM, "out of memory");
		goto out;
	}
	rc = cr_rf_plan_fds(t, fs, refs, entry, e);
	if (!rc)
		rc = cr_rf_plan_maps(t, fs, refs, entry, e);
	if (!rc && r)
		rc = cr_rst_pair_plan(r, fs, e);
	if (!rc && r)
		rc = cr_rst_unix_plan(r, fs, e);
	if (!rc)
		rc = cr_rf_plan_task(t, fs, refs, entry, e);
	if (!rc) {
		cr_rf_number(fs, 0);
		cr_rst_pair_number(fs);
	}
	fs->fdt_shared = cr_rst_fdt_follower(t);
out:
	free(refs);
	free(entry);
	return rc;
}

int cr_rst_files_plan_task(const struct cr_task *t, struct cr_rst_files *fs,
			   struct cr_err *e)
{
	return cr_rf_plan(NULL, t, fs, e);
}

int cr_rst_files_plan(struct cr_rst *r, struct cr_err *e)
{
	return cr_rf_plan(r, r->task, &r->files, e);
}

void cr_rst_files_renumber(struct cr_rst_files *fs, uint32_t start)
{
	cr_rf_number(fs, (int32_t)start);
	cr_rst_pair_number(fs);
}

void cr_rst_files_free(struct cr_rst_files *fs)
{
	for (uint32_t i = 0; fs->f && i < fs->nr; i++)
		free(fs->f[i].wd_via);
	free(fs->pass_fd);
	free(fs->pass_src);
	free(fs->f);
	free(fs->fds);
	free(fs->vma_file);
	memset(fs, 0, sizeof(*fs));
}

/* The restorer's own fs credentials and capabilities, and the task's. */
struct cr_rf_creds {
	const struct cr_task		*t;
	uint32_t			fsuid, fsgid;	/* the restorer's */
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	mine[2], task[2];
};

/* Take the task's fs ids and capabilities (@task) or the restorer's back. */
static void cr_rf_fscreds(struct cr_rf_creds *cr, bool task)
{
	if (task) {
		syscall(SYS_setfsgid, cr->t->creds.fsgid);
		syscall(SYS_setfsuid, cr->t->creds.fsuid);
		syscall(SYS_capset, &cr->hdr, cr->task);
	} else {
		syscall(SYS_setfsuid, cr->fsuid);
		syscall(SYS_setfsgid, cr->fsgid);
		syscall(SYS_capset, &cr->hdr, cr->mine);
	}
}

/*
 * openat2() of @f's path through no symbolic link, or of the restorer's
 * copy of a memfd or deleted file (a new description of that inode);
 * -1 and errno on failure.  Never a wait: with O_NONBLOCK (a FIFO put in
 * the file's place opens at once, and fails the check), which
 * cr_rf_place() takes off again once the file is the image's.
 */
static long cr_rf_openat2(const struct cr_rst_file *f, struct cr_rst_res *res)
{
	struct open_how how = {
		.flags = (uint32_t)f->oflags |
			 (f->oflags & O_PATH ? 0 : O_NONBLOCK),
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	if (f->evfd && f->evfd->f.kind == CRFS_FILE_INET)
		return cr_rst_inet_make(f->evfd, f->oflags, res);
	if (f->evfd)
		return cr_rst_evfd_make(f->evfd, f->oflags);
	if (f->xdial)
		return cr_rst_unix_xdial(f);
	if (f->pair && !f->reopen) {
		if (f->pair_make)
			return cr_rst_pair_open(f);
		errno = EIO;	/* neither made here nor passed: a bug */
		return -1;
	}
	if (f->fifo)
		return cr_rst_fifo_open(f->fifo, f->oflags);
	if (f->reopen)	/* never waits for a peer: O_NONBLOCK, taken off */
		return syscall(SYS_openat, AT_FDCWD, f->via,
			       f->oflags | O_NONBLOCK);
	if (f->data_id)
		return syscall(SYS_openat, AT_FDCWD, f->via, f->oflags);
	return syscall(SYS_openat2, AT_FDCWD, f->path, &how, sizeof(how));
}

/*
 * Inotify @f watching deleted inodes: an O_PATH descriptor of the
 * restorer's copy of each, opened as the restorer (its /proc/PID/fd),
 * then the instance and its watches made with the task's own fs ids,
 * groups and capabilities, which must allow reading each inode.
 */
static long cr_rf_inotify(struct cr_rf_creds *cr, const struct cr_rst_file *f)
{
	uint32_t n = f->evfd->nr_wds;
	int32_t pfd[n ? n : 1];
	int err = 0;
	long fd = -1;

	for (uint32_t i = 0; i < n; i++) {
		pfd[i] = -1;
		if (!err && f->wd_via[i][0]) {
			pfd[i] = syscall(SYS_openat, AT_FDCWD, f->wd_via[i],
					 O_PATH | O_CLOEXEC);
			if (pfd[i] < 0)
				err = errno;
		}
	}
	if (!err) {
		cr_rf_fscreds(cr, true);
		fd = cr_rst_inotify_make(f->evfd, f->oflags, pfd);
		if (fd < 0)
			err = errno;
		cr_rf_fscreds(cr, false);
	}
	for (uint32_t i = 0; i < n; i++)
		if (pfd[i] >= 0)
			syscall(SYS_close, pfd[i]);
	errno = err;
	return err ? -1 : fd;
}

/*
 * Open @f with the task's own fs ids, groups and capabilities (a cwd or
 * root is entered too: O_PATH alone needs no permission on it), or as the
 * restorer if the checkpoint found the task had it only through privilege.
 */
static long cr_rf_open(struct cr_rf_creds *cr, const struct cr_rst_file *f,
		       struct cr_rst_res *res)
{
	int err = 0;
	long fd;

	if (f->priv)
		return cr_rf_openat2(f, res);
	if (f->wd_via)
		return cr_rf_inotify(cr, f);
	cr_rf_fscreds(cr, true);
	fd = cr_rf_openat2(f, res);
	if (fd < 0)
		err = errno;
	else if ((f->oflags & O_PATH) && syscall(SYS_fchdir, fd)) {
		err = errno;
		syscall(SYS_close, fd);
		fd = -1;
	}
	cr_rf_fscreds(cr, false);
	errno = err;
	return fd;
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

/* Unix socket @f made anew, a path bound as the process (restore-unix.c). */
static long cr_rf_unix(struct cr_rf_creds *cr, const struct cr_rst_file *f)
{
	long fd = cr_rst_unix_make(f);
	int err = 0;

	if (fd < 0 || f->priv)
		return fd;
	cr_rf_fscreds(cr, true);
	if (cr_rst_unix_bind(f, fd))
		err = errno;
	cr_rf_fscreds(cr, false);
	if (!err)
		return fd;
	syscall(SYS_close, fd);
	errno = err;
	return -1;
}

/*
 * Open, check and place entry @i (close-on-exec: its descriptors get
 * their own flag after); 0 or a positive errno with @res set.
 */
static int cr_rf_place(struct cr_rf_creds *cr,
		       const struct cr_rst_files *fs, uint32_t i,
		       struct cr_rst_res *res)
{
	const struct cr_rst_file *f = &fs->f[i];
	int err;
	long fd;

	res->idx = i;
	res->step = CR_RST_FILE_OPEN;
	/* Another process's description, passed: its flags and offset. */
	fd = f->pass >= 0 ? fs->pass_fd[f->pass] :
	     f->pair_made ? f->fd :
	     f->unx ? cr_rf_unix(cr, f) : cr_rf_open(cr, f, res);
	if (fd < 0)
		return errno;
	err = cr_rf_verify(f, fd, res);
	if (!err && f->pass < 0 && !(f->oflags & (O_PATH | O_NONBLOCK)) &&
	    syscall(SYS_fcntl, fd, F_SETFL, f->oflags) < 0) {
		res->step = CR_RST_FILE_FLAGS;
		err = errno;
	}
	if (!err && fd != f->fd) {
		res->step = CR_RST_FILE_MOVE;
		if (syscall(SYS_dup3, fd, f->fd, O_CLOEXEC) < 0)
			err = errno;
	}
	if (err || fd != f->fd)
		syscall(SYS_close, fd);
	if (err)
		return err;
	res->step = CR_RST_FILE_SEEK;
	if (f->seek && f->pass < 0 &&
	    syscall(SYS_lseek, f->fd, f->pos, SEEK_SET) != (long)f->pos)
		return errno ? errno : EIO;
	return 0;
}

/* The passes of cr_rst_files_open(), in order. */
enum {
	CR_RF_PASS_LISTEN,	/* listening unix sockets */
	CR_RF_PASS_MAIN,	/* the others */
	CR_RF_PASS_WAITING,	/* connections waiting in a backlog, made */
	CR_RF_PASS_LAST,	/* and placed; descriptions opened again */
	CR_RF_PASSES
};

/* The pass in which entry @f is placed. */
static int cr_rf_pass(const struct cr_rst_file *f)
{
	/* Accepted after the files step (cr_rst_unix_xconns()). */
	if (f->xlate)
		return CR_RF_PASSES;
	if (f->reopen || (f->conn && f->pair_made))
		return CR_RF_PASS_LAST;
	if (f->unx && cr_unix_of(f->unx)->state == CRFS_UNIX_LISTEN)
		return CR_RF_PASS_LISTEN;
	return CR_RF_PASS_MAIN;
}

/*
 * Every descriptor of the image gets its description: the first one has
 * it already, the others a dup() of it, each its own close-on-exec flag.
 */
static int cr_rf_dup(const struct cr_rst_files *fs, struct cr_rst_res *res)
{
	for (uint32_t i = 0; i < fs->nr_fds; i++) {
		const struct cr_rst_fd *d = &fs->fds[i];
		int32_t from = fs->f[d->entry].fd;

		res->idx = i;
		res->step = CR_RST_FILE_DUP;
		if (fs->f[d->entry].xlate)
			continue;	/* cr_rst_unix_xconns() */
		if (from == d->fd) {
			if (syscall(SYS_fcntl, d->fd, F_SETFD,
				    d->cloexec ? FD_CLOEXEC : 0))
				return errno;
		} else if (syscall(SYS_dup3, from, d->fd,
				   d->cloexec ? O_CLOEXEC : 0) < 0) {
			return errno;
		}
	}
	return 0;
}

int cr_rst_files_open(const struct cr_rst_child *c, struct cr_rst_res *res)
{
	const struct cr_rst_files *fs = c->files;
	const struct cr_task *t = c->task;
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
	err = cr_rst_tree_recv(c, res);
	if (err)
		return err;
	/* An invalid id changes nothing and tells the current one. */
	cr.fsuid = syscall(SYS_setfsuid, -1);
	cr.fsgid = syscall(SYS_setfsgid, -1);
	res->step = CR_RST_GROUPS;
	cr.hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &cr.hdr, cr.mine) ||
	    syscall(SYS_setgroups, t->creds.ngroups, t->groups))
		return errno;
	for (i = 0; i < 2; i++) {
		cr.task[i] = cr.mine[i];
		cr.task[i].effective = (uint32_t)(t->creds.cap_eff >> (32 * i)) &
				       cr.mine[i].permitted;
	}
	/*
	 * Listening unix sockets first, then the connections they accepted
	 * with the rest, then those waiting in their backlogs; descriptions
	 * opened again through others (pipes) come last; a shared table has
	 * the descriptors: its first process placed them.
	 */
	for (int pass = 0; pass < CR_RF_PASSES; pass++) {
		if (pass == CR_RF_PASS_WAITING) {
			err = fs->fdt_shared ? 0 :
			      cr_rst_unix_waiting(fs, t, res);
			if (err)
				return err;
			continue;
		}
		for (i = fs->fdt_shared ? fs->nr_fd_entries : 0; i < fs->nr;
		     i++) {
			if (cr_rf_pass(&fs->f[i]) != pass)
				continue;
			err = cr_rf_place(&cr, fs, i, res);
			if (err)
				return err;
		}
	}
	err = fs->fdt_shared ? 0 : cr_rf_dup(fs, res);
	if (err)
		return err;
	res->idx = 0;
	res->step = CR_RST_DONE;
	if (fs->cwd < 0)
		return 0;
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

int cr_rst_files_reason(pid_t pid, const struct cr_rst_files *fs,
			const struct cr_mm *mm, const struct cr_rst_res *res,
			struct cr_err *e)
{
	int err = res->err > 0 ? res->err : EIO;
	char name[64], now[40], then[40];
	const struct cr_rst_file *f;
	const char *s = strerror(err);

	if (res->step == CR_RST_FILE_DUP) {
		if (res->idx < 0 || (uint32_t)res->idx >= fs->nr_fds)
			return cr_fail(e, EIO, "pid %d: bad report", pid);
		f = &fs->f[fs->fds[res->idx].entry];
		return cr_fail(e, err, "pid %d: fd %d: %s: cannot give it the "
			       "description of fd %d: %s", pid,
			       fs->fds[res->idx].fd, f->path, f->fd, s);
	}
	if (res->idx < 0 || (uint32_t)res->idx >= fs->nr ||
	    res->field < 0 || res->field >= CR_RF_F_NR)
		return cr_fail(e, EIO, "pid %d: bad report", pid);
	f = &fs->f[res->idx];
	if (f->kind == CR_RF_FD)
		snprintf(name, sizeof(name), "fd %u", f->idx);
	else if (f->kind == CR_RF_MAP && f->idx < mm->nr_vmas)
		snprintf(name, sizeof(name), "mapping %#llx-%#llx",
			 (unsigned long long)mm->vmas[f->idx].v.start,
			 (unsigned long long)mm->vmas[f->idx].v.end);
	else
		snprintf(name, sizeof(name), "%s", cr_rf_kind_names[f->kind]);
	if (res->step == CR_RST_FILE_OPEN && f->evfd &&
	    f->evfd->f.kind == CRFS_FILE_INET && res->v1)
		return cr_rst_inet_reason(pid, name, f->evfd, res, err, e);
	switch (res->step) {
	case CR_RST_FILE_OPEN:
		if (f->unx && cr_unix_of(f->unx)->name_len)
			return cr_rst_unix_reason(pid, name, f, err, e);
		return cr_fail(e, err, "pid %d: %s: %s: %s%s", pid,
			       name, f->path, s, err == ELOOP ?
			       " (a symbolic link is in its path now: the image's path has none)" :
			       !f->priv && (err == EACCES || err == EPERM) ?
			       " (the process could open it with its own credentials at the checkpoint and cannot now: it is not opened for it as root)" : "");
	case CR_RST_FILE_STAT:
		return cr_fail(e, err, "pid %d: %s: %s: cannot stat: %s", pid,
			       name, f->path, s);
	case CR_RST_FILE_FLAGS:
		return cr_fail(e, err, "pid %d: %s: %s: cannot set its status flags %#x: %s",
			       pid, name, f->path, (unsigned int)f->oflags, s);
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
