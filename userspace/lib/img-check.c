// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What an image must be for a restore to bring it back, judged on the
 * image alone: one list of rules for the restore and for `crfs-image
 * verify`, so that both refuse the same images with the same reason.
 *
 * The codec (image.c) checks the framing: checksums, lengths, alignment.
 * The reading of the model (model-read.c) checks the order of the
 * records, their counts, ids and references, and what memory safety
 * needs.  Here is what the values mean, one function per record kind (the
 * check of the table, rec.c), called in stream order on the whole model:
 * mappings sorted and inside user space, files of kinds this version
 * reopens, page data inside the mappings that get it, locks a restore
 * can take again, ids, signals, limits, the registers and the XSAVE
 * header the kernel would refuse.
 * What depends on this machine (files, pids, CPU features) is checked by
 * the restore where it is used.
 *
 * Every check is linear in the records, or O(log n) per record (a lock's
 * descriptor by bisection in an index made once, O(n log n)).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "img-walk.h"

/* The processes a restore brings back, at most, and their threads. */
#define CR_RST_TASKS_MAX	32768

/*
 * The status flags a description is opened with again (fdinfo's flags).
 * O_LARGEFILE as the kernel shows it: glibc defines it 0 on 64 bits.
 */
#define CR_O_LARGEFILE		0100000
#define CR_FILE_FLAGS		(O_ACCMODE | O_APPEND | O_NONBLOCK | O_SYNC | \
				 O_DSYNC | O_DIRECT | O_NOATIME | \
				 CR_O_LARGEFILE | O_DIRECTORY | O_PATH | \
				 O_NOFOLLOW | O_ASYNC)

/* The kinds of file this version reopens, and the type each must have. */
static const uint32_t cr_file_types[CRFS_FILE_NR] = {
	[CRFS_FILE_REG] = S_IFREG, [CRFS_FILE_DIR] = S_IFDIR,
	[CRFS_FILE_CHR] = S_IFCHR, [CRFS_FILE_MEMFD] = S_IFREG,
	[CRFS_FILE_UNLINKED] = S_IFREG, [CRFS_FILE_ANON_SHMEM] = S_IFREG,
};

/* The seals memfd_create() and F_ADD_SEALS know. */
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE	0x0010
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC		0x0020
#endif
#define CR_SEALS		(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | \
				 F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | \
				 F_SEAL_EXEC)

/* "memfd:" and a name memfd_create() takes (249 bytes at most). */
#define CR_MEMFD_PREFIX		"memfd:"
#define CR_MEMFD_NAME_MAX	249

/* The others, as a refusal names them. */
static const char *const cr_file_kind_names[CRFS_FILE_NR] = {
	[CRFS_FILE_PIPE] = "pipes", [CRFS_FILE_FIFO] = "FIFOs",
	[CRFS_FILE_UNIX] = "unix sockets", [CRFS_FILE_INET] = "sockets",
	[CRFS_FILE_EVENTFD] = "eventfds", [CRFS_FILE_EPOLL] = "epoll instances",
	[CRFS_FILE_SIGNALFD] = "signalfds", [CRFS_FILE_TIMERFD] = "timerfds",
	[CRFS_FILE_INOTIFY] = "inotify instances", [CRFS_FILE_TTY] = "terminals",
};

/* Is @rdev one of the devices a checkpoint keeps (dump-files.c)? */
static bool cr_chr_ok(uint64_t rdev)
{
	static const struct { unsigned int major, minor; } ok[] = {
		{ 1, 3 }, { 1, 5 }, { 1, 7 }, { 1, 8 }, { 1, 9 }, { 5, 0 },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (major(rdev) == ok[i].major && minor(rdev) == ok[i].minor)
			return true;
	return false;
}

/*
 * Can @f have O_ASYNC?  Only a file whose driver has a fasync method:
 * of those a checkpoint keeps, /dev/random and /dev/urandom.
 */
static bool cr_async_ok(const struct crfs_file *f)
{
	return f->kind == CRFS_FILE_CHR && major(f->rdev) == 1 &&
	       (minor(f->rdev) == 8 || minor(f->rdev) == 9);
}

/* Is @s an absolute path (decoded strings are NUL-terminated)? */
static bool cr_abs(const char *s)
{
	return s && s[0] == '/';
}

int cr_img_check_image(const struct crfs_image_hdr *h, struct cr_err *e)
{
	static const uint8_t none[CRFS_ID_LEN];

	if (h->features & ~CRFS_FEAT_KNOWN)
		return cr_fail(e, EOPNOTSUPP, "image uses features 0x%" PRIx64
			       ", this reader knows 0x%llx",
			       (uint64_t)h->features,
			       (unsigned long long)CRFS_FEAT_KNOWN);
	if (!(h->features & CRFS_FEAT_XSTATE))
		return cr_fail(e, EBADMSG, "image header: features 0x%" PRIx64
			       " lack XSTATE, which every process has",
			       (uint64_t)h->features);
	if (h->arch != CRFS_ARCH_X86_64)
		return cr_fail(e, EOPNOTSUPP, "image of architecture 0x%x: "
			       "this reader knows the records of x86-64 "
			       "(0x%x) only", h->arch, CRFS_ARCH_X86_64);
	if (memcmp(h->parent_id, none, sizeof(none)))
		return cr_fail(e, EOPNOTSUPP, "the image has a parent image: "
			       "incremental images are not supported");
	if (!h->nr_tasks || h->nr_tasks > CR_RST_TASKS_MAX)
		return cr_fail(e, h->nr_tasks ? EOPNOTSUPP : EBADMSG,
			       "the image holds %u processes; 1 to %d are "
			       "supported", h->nr_tasks, CR_RST_TASKS_MAX);
	return 0;
}

/*
 * Why a MEMFD or UNLINKED file is wrong, or NULL: its name or path, its
 * data within its size and the limit, seals of a memfd only, and, when
 * another FILE carries its data, the same inode as that one.
 */
static const char *cr_file_kept_why(const struct cr_chk *c,
				    const struct cr_file *fi)
{
	const struct crfs_file *f = &fi->f, *d;
	const struct cr_file *di;
	uint64_t ps = c->h->page_size;

	if (f->kind == CRFS_FILE_MEMFD &&
	    (strncmp(fi->path, CR_MEMFD_PREFIX, strlen(CR_MEMFD_PREFIX)) ||
	     strlen(fi->path) > strlen(CR_MEMFD_PREFIX) + CR_MEMFD_NAME_MAX))
		return "a memfd whose path is not memfd:NAME";
	if (f->kind == CRFS_FILE_UNLINKED && !cr_abs(fi->path))
		return "its path is not absolute";
	if (f->kind == CRFS_FILE_ANON_SHMEM && strcmp(fi->path, "/dev/zero"))
		return "shared anonymous memory whose path is not /dev/zero";
	if (f->kind != CRFS_FILE_MEMFD && f->seals)
		return "seals on a file that is no memfd";
	if (f->seals & ~CR_SEALS)
		return "unknown seals";
	if (f->size > INT64_MAX)
		return "a size ftruncate() cannot take";
	if (f->data_size % ps || f->data_size > CRFS_FILE_DATA_MAX ||
	    f->data_size > (f->size + ps - 1) / ps * ps)
		return "data_size not whole pages within its size and "
		       "CRFS_FILE_DATA_MAX";
	if (f->cflags & CRFS_FILE_F_PRIV)
		return "CRFS_FILE_F_PRIV on a file made by the restore";
	if (f->data_id == f->id)
		return NULL;
	di = cr_model_file(c->m, f->data_id);
	if (!di || f->data_id > f->id || di->f.data_id != di->f.id)
		return "its data_id names no earlier file carrying data";
	d = &di->f;
	if (f->data_size || d->kind != f->kind || d->dev != f->dev ||
	    d->ino != f->ino || d->size != f->size || d->mode != f->mode ||
	    d->uid != f->uid || d->gid != f->gid || d->seals != f->seals ||
	    strcmp(di->path, fi->path))
		return "not the inode of the file its data_id names";
	return NULL;
}

/* FILE: a kind this version reopens, its type, an absolute path. */
int cr_file_check(const struct cr_chk *c, const void *obj, struct cr_err *e)
{
	const struct cr_file *fi = obj;
	const struct crfs_file *f = &fi->f;
	const char *why = NULL;

	if (!f->kind || f->kind >= CRFS_FILE_NR)
		return cr_fail(e, EBADMSG, "file %u: unknown kind %u", f->id,
			       f->kind);
	if (f->kind == CRFS_FILE_UNIX)
		return cr_img_unix_check(c, fi, e);
	if (cr_file_pipe(f))
		return cr_img_pipe_check(c, fi, e);
	if (f->kind == CRFS_FILE_TTY)
		return cr_img_tty_check(c, fi, e);
	if (f->ext_len && !cr_file_has_ext(f))
		return cr_fail(e, EBADMSG, "file %u: state after the path of "
			       "a file that is no event descriptor or socket",
			       f->id);
	if (cr_file_event(f))
		return cr_img_evfd_check(c, fi, e);
	if (f->kind == CRFS_FILE_INET)
		return cr_img_inet_check(c, fi, e);
	if (!cr_file_types[f->kind])
		return cr_fail(e, EOPNOTSUPP, "file %u: %s: %s are not "
			       "supported by this version", f->id, fi->path,
			       cr_file_kind_names[f->kind]);
	if (cr_file_kept(f))
		why = cr_file_kept_why(c, fi);
	else if (!cr_abs(fi->path))
		why = "its path is not absolute";
	else if (f->data_id)
		why = "a data_id on a file whose contents are not in the image";
	if (why)
		;
	else if ((f->mode & S_IFMT) != cr_file_types[f->kind])
		why = "its mode does not match its kind";
	else if (f->pos > INT64_MAX)
		why = "a position lseek() cannot take";
	else if (f->flags & O_CLOEXEC)
		why = "O_CLOEXEC, which belongs to a descriptor";
	else if ((f->flags & ~CR_FILE_FLAGS) ||
		 (f->flags & O_ACCMODE) == O_ACCMODE)
		why = "status flags a restore cannot open it with";
	else if ((f->flags & O_PATH) && f->kind != CRFS_FILE_DIR)
		why = "O_PATH on a file that is no directory";
	else if (f->kind == CRFS_FILE_DIR && (f->flags & O_ACCMODE))
		why = "a directory open for writing";
	else if (f->cflags & ~CRFS_FILE_F_PRIV)
		why = "unknown cflags";
	else if (!cr_file_kept(f) && (f->data_size || f->seals))
		why = "data or seals of a file whose contents are not in "
		      "the image";
	else if (f->kind == CRFS_FILE_CHR && !cr_chr_ok(f->rdev))
		why = "a device other than /dev/null, /dev/zero, /dev/full, "
		      "/dev/random, /dev/urandom, /dev/tty";
	else if (f->owner_type > CRFS_OWNER_PGRP ||
		 !f->owner_type != !f->owner_pid || f->signo > CRFS_NSIG)
		why = "an owner type, owner or signal (F_SETOWN_EX, F_SETSIG) "
		      "that is none";
	else if ((f->owner_type && f->kind == CRFS_FILE_DIR) ||
		 ((f->owner_type || f->signo) && f->flags & O_PATH))
		why = "an owner on a directory (dnotify, which a restore "
		      "does not make), or an owner or signal on an O_PATH "
		      "descriptor";
	else if (f->flags & O_ASYNC && !cr_async_ok(f))
		why = "O_ASYNC on a file without a fasync method (here only "
		      "/dev/random and /dev/urandom have one)";
	if (!why)
		return 0;
	return cr_fail(e, EBADMSG, "file %u (kind %u): \"%.64s\": %s", f->id,
		       f->kind, fi->path, why);
}

/* FDTABLE: used by a process. */
int cr_fdtable_check(const struct cr_chk *c, const void *obj,
		     struct cr_err *e)
{
	const struct cr_fdtable *t = obj;

	((struct cr_chk *)c)->fdt = t;
	((struct cr_chk *)c)->prev_fd = NULL;
	if (!t->pid)
		return cr_fail(e, EBADMSG, "fd table %u is used by no process",
			       t->t.id);
	return 0;
}

/*
 * FD: a file, sorted, numbers a descriptor can have.  Not bounded by the
 * image's own RLIMIT_NOFILE: a process may lower it below a descriptor it
 * holds, and the restore sets the limits last; what this restorer can
 * open is a check of the machine (cr_rst_task_fits()).
 */
int cr_fd_check(const struct cr_chk *c, const void *obj, struct cr_err *e)
{
	const struct cr_fd *fd = obj, *prev = c->prev_fd;
	const struct crfs_fd *d = &fd->d;
	const char *why = NULL;

	((struct cr_chk *)c)->prev_fd = fd;
	if (!fd->file)
		why = "no file";
	else if (prev && prev->d.fd >= d->fd)
		why = "not above the descriptor before it";
	else if (d->fd >= INT32_MAX)
		why = "not a descriptor number";
	else if (d->cloexec > 1)
		why = "close-on-exec neither 0 nor 1";
	if (why)
		return cr_fail(e, EBADMSG, "pid %u: fd %u: %s", c->fdt->pid,
			       d->fd, why);
	if (fd->file->f.flags & O_PATH)
		return cr_fail(e, EOPNOTSUPP, "pid %u: fd %u: %s: O_PATH "
			       "descriptors are not supported", c->fdt->pid,
			       d->fd, fd->file->path);
	return 0;
}

static int cr_u64_cmp(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;

	return (a > b) - (a < b);
}

/* The (file, fd table) of every descriptor, sorted: once, O(n log n). */
int cr_img_held_index(struct cr_chk *c, struct cr_err *e)
{
	const struct cr_model *m = c->m;
	uint32_t i, j;

	c->have_held = true;
	for (i = 0; i < m->nr_fdts; i++)
		for (j = 0; j < m->fdts[i].nr_fds; j++) {
			if (cr_grow(&c->held, c->nr_held, sizeof(*c->held)))
				return cr_fail(e, ENOMEM, "out of memory");
			c->held[c->nr_held++] =
				(uint64_t)m->fdts[i].fds[j].d.file_id << 32 |
				m->fdts[i].t.id;
		}
	if (c->nr_held)
		qsort(c->held, c->nr_held, sizeof(*c->held), cr_u64_cmp);
	return 0;
}

/* Has a descriptor of fd table @fdt (0: of any) description @file? */
bool cr_img_held(const struct cr_chk *c, uint32_t file, uint32_t fdt)
{
	uint64_t key = (uint64_t)file << 32 | fdt;
	uint32_t lo = 0, hi = c->nr_held;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (c->held[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == c->nr_held)
		return false;
	return fdt ? c->held[lo] == key : c->held[lo] >> 32 == file;
}

/* Why lock @li cannot be taken again as it is, or NULL. */
static const char *cr_lock_why(const struct cr_chk *c,
			       const struct cr_lock *li)
{
	const struct crfs_lock *l = &li->l;
	uint32_t acc;

	if (!li->file)
		return "no file";
	acc = li->file->f.flags & O_ACCMODE;
	if (l->kind < CRFS_LOCK_POSIX || l->kind > CRFS_LOCK_FLOCK)
		return "unknown kind";
	if (l->type != F_RDLCK && l->type != F_WRLCK)
		return "neither a read nor a write lock";
	if ((l->kind == CRFS_LOCK_POSIX) != !!l->owner)
		return "a POSIX lock without an owner, or another with one";
	if (l->kind == CRFS_LOCK_FLOCK && (l->start || l->len))
		return "a byte range on a flock() lock";
	if (l->start > INT64_MAX || (l->len && l->len - 1 > INT64_MAX -
				     l->start))
		return "a byte range fcntl() does not take";
	if (l->kind != CRFS_LOCK_FLOCK && l->type == F_RDLCK &&
	    acc == O_WRONLY)
		return "a read lock on a description not open for reading";
	if (l->kind != CRFS_LOCK_FLOCK && l->type == F_WRLCK &&
	    acc == O_RDONLY)
		return "a write lock on a description not open for writing";
	if (!cr_img_held(c, l->file_id, l->owner))
		return l->owner ? "on a description no descriptor of its "
				  "owner has" : "on a description no descriptor "
				  "has";
	return NULL;
}

/*
 * LOCK: a kind and type fcntl() or flock() takes, a range it takes, on a
 * description a descriptor has (a POSIX one: its owner's), open for what
 * the lock needs, of a kind whose locks a restore takes again.
 */
int cr_lock_check(const struct cr_chk *c, const void *obj, struct cr_err *e)
{
	const struct cr_lock *li = obj;
	const struct crfs_lock *l = &li->l;
	const char *why;
	int ret;

	if (!c->have_held) {
		ret = cr_img_held_index((struct cr_chk *)c, e);
		if (ret)
			return ret;
	}
	why = cr_lock_why(c, li);
	if (why)
		return cr_fail(e, EBADMSG, "lock on file %u (kind %u, type %u, "
			       "%" PRIu64 "+%" PRIu64 "): %s", l->file_id,
			       l->kind, l->type, (uint64_t)l->start,
			       (uint64_t)l->len, why);
	if (!cr_file_lockable(&li->file->f))
		return cr_fail(e, EOPNOTSUPP, "file %u: %s: locks on devices "
			       "are not restored", l->file_id, li->file->path);
	return 0;
}

/* FS: used, umask, cwd and root directories. */
int cr_fs_check(const struct cr_chk *c, const void *obj, struct cr_err *e)
{
	const struct cr_fs *fs = obj;

	(void)c;
	if (!fs->pid)
		return cr_fail(e, EBADMSG, "fs %u is used by no process",
			       fs->f.id);
	if (fs->f.umask & ~0777U)
		return cr_fail(e, EBADMSG, "pid %u: umask %#o", fs->pid,
			       fs->f.umask);
	if (!fs->cwd || !fs->root || fs->cwd->f.kind != CRFS_FILE_DIR ||
	    fs->root->f.kind != CRFS_FILE_DIR)
		return cr_fail(e, EBADMSG, "pid %u: cwd (file %u) and root "
			       "(file %u) must be directories", fs->pid,
			       fs->f.cwd_file_id, fs->f.root_file_id);
	return 0;
}

/* The checker's walk: each record's check. */
struct cr_check_ctx {
	struct cr_chk	c;
	struct cr_err	*e;
};

static int cr_check_visit(void *ctx, const struct cr_rec_ops *row,
			  const void *obj)
{
	struct cr_check_ctx *x = ctx;

	return row->check(&x->c, obj, x->e);
}

int cr_img_check_model(const struct crfs_image_hdr *h,
		       const struct cr_model *m, struct cr_err *e)
{
	static const struct cr_walk_ops ops = { cr_check_visit, NULL };
	struct cr_check_ctx x = { .c = { .h = h, .m = m }, .e = e };
	int ret = cr_model_walk(m, &ops, &x);

	free(x.c.held);
	return ret ? ret : cr_img_check_tree(h, m, e);
}

int cr_img_check_file_data(struct cr_img_walk *w, const void *payload,
			   uint64_t len, struct cr_err *e)
{
	uint64_t ps = w->hdr.page_size, end, room;
	struct crfs_file_data d;
	const char *why = NULL;
	struct cr_file *f;

	memcpy(&d, payload, sizeof(d));
	f = cr_model_file(&w->m, d.file_id);
	end = d.offset + d.size;
	if (!f)
		return cr_fail(e, EBADMSG, "file data of file %u, which is not "
			       "in the image", d.file_id);
	room = (f->f.size + ps - 1) / ps * ps;
	if (d.__pad)
		why = "padding not zero";
	else if (!cr_file_kept(&f->f) || f->f.data_id != f->f.id ||
		 !f->f.data_size)
		why = "a file whose contents are not in the image";
	else if (w->fd_file && w->fd_file != f &&
		 (w->fd_file->f.id > f->f.id ||
		  w->fd_sum != w->fd_file->f.data_size))
		why = "after the data of another file, or before it was whole";
	else if (d.offset % ps || !d.size || d.size % ps ||
		 d.size > (uint64_t)CRFS_PAGES_PER_REC * ps ||
		 len != sizeof(d) + d.size)
		why = "not whole pages at a page-aligned offset, or a length "
		      "that does not match them";
	else if (end < d.offset || end > room)
		why = "beyond the file's size";
	else if (w->fd_file == f && d.offset < w->fd_next)
		why = "below the end of the data before it";
	else if ((w->fd_file == f ? w->fd_sum : 0) + d.size >
		 f->f.data_size)
		why = "more than its data_size";
	if (why)
		return cr_fail(e, EBADMSG, "file %u: %s: data at %" PRIu64
			       "+%" PRIu64 ": %s", f->f.id, f->path,
			       (uint64_t)d.offset, (uint64_t)d.size, why);
	if (w->fd_file != f)
		w->fd_sum = 0;
	w->fd_file = f;
	w->fd_next = end;
	w->fd_sum += d.size;
	w->fd_total += d.size;
	w->fdata = (struct cr_img_fdata){ f, d.offset, d.size,
					  (const char *)payload + sizeof(d) };
	return 0;
}

int cr_img_check_file_data_end(struct cr_img_walk *w, struct cr_err *e)
{
	uint64_t want = 0;

	w->fd_over = true;
	for (uint32_t i = 0; i < w->m.nr_files; i++)
		if (w->m.files[i].f.data_id == w->m.files[i].f.id)
			want += w->m.files[i].f.data_size;
	if (want == w->fd_total)
		return 0;
	for (uint32_t i = 0; i < w->m.nr_files; i++) {
		const struct cr_file *f = &w->m.files[i];

		if (f->f.data_id == f->f.id && f->f.data_size &&
		    (f->f.id > (w->fd_file ? w->fd_file->f.id : 0) ||
		     (f == w->fd_file && w->fd_sum != f->f.data_size)))
			return cr_fail(e, EBADMSG, "file %u: %s: %" PRIu64
				       " bytes of data, the image has %" PRIu64,
				       f->f.id, f->path,
				       (uint64_t)f->f.data_size,
				       f == w->fd_file ? w->fd_sum : 0);
	}
	return cr_fail(e, EBADMSG, "file data: %" PRIu64 " bytes, the files "
		       "have %" PRIu64, w->fd_total, want);
}
