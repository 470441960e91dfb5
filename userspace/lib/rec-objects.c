// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The object records (rows of rec.c): FILE, SHMEM, MM and its VMAs,
 * FDTABLE and its FDs, LOCK, FS, SIGHAND, to and from the model, and
 * printed.
 * Reading checks what memory safety and the ids need (lengths, strings,
 * counts, references to objects read before); what the values mean is
 * img-check.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"

#define CR_IOV(p, l)	((struct iovec){ (void *)(p), (l) })
#define NAME(tab, i) \
	((i) < sizeof(tab) / sizeof((tab)[0]) && (tab)[i] ? (tab)[i] : "?")

static const char *const cr_file_kinds[CRFS_FILE_NR] = {
	[CRFS_FILE_REG] = "reg", [CRFS_FILE_DIR] = "dir",
	[CRFS_FILE_CHR] = "chr", [CRFS_FILE_MEMFD] = "memfd",
	[CRFS_FILE_UNLINKED] = "unlinked", [CRFS_FILE_PIPE] = "pipe",
	[CRFS_FILE_FIFO] = "fifo", [CRFS_FILE_UNIX] = "unix",
	[CRFS_FILE_INET] = "inet", [CRFS_FILE_EVENTFD] = "eventfd",
	[CRFS_FILE_EPOLL] = "epoll", [CRFS_FILE_SIGNALFD] = "signalfd",
	[CRFS_FILE_TIMERFD] = "timerfd", [CRFS_FILE_INOTIFY] = "inotify",
	[CRFS_FILE_TTY] = "tty", [CRFS_FILE_ANON_SHMEM] = "anon_shmem",
};

static const char *const cr_vma_kinds[] = {
	[CRFS_VMA_ANON] = "anon", [CRFS_VMA_SHMEM] = "shmem",
	[CRFS_VMA_FILE] = "file", [CRFS_VMA_HEAP] = "heap",
	[CRFS_VMA_STACK] = "stack", [CRFS_VMA_VDSO] = "vdso",
	[CRFS_VMA_VVAR] = "vvar", [CRFS_VMA_VSYSCALL] = "vsyscall",
	[CRFS_VMA_SYSV] = "sysv",
};

/* A new object failed: out of memory, or one too many. */
static int cr_rd_nomem(const struct cr_rd *rd, int err, struct cr_err *e)
{
	if (err == -E2BIG)
		return cr_rd_fail(rd, e, "more than %u objects of this kind",
				  CRFS_MAX_OBJECTS);
	return cr_fail(e, ENOMEM, "%s: out of memory", rd->where);
}

/* Is @id 0 or an object of kind @k read before?  Else fail, naming it. */
static int cr_rd_ref(const struct cr_rd *rd, enum cr_model_kind k,
		     const char *what, uint32_t id, struct cr_err *e)
{
	if (!id || cr_model_find(rd->m, k, id) >= 0)
		return 0;
	return cr_rd_fail(rd, e, "%s %u is not in the image before it", what,
			  id);
}

/* A copy of the NUL-terminated string at @s of @len bytes. */
static char *cr_strdup_len(const char *s, uint64_t len)
{
	char *d = malloc(len);

	if (d)
		memcpy(d, s, len);
	return d;
}

/* FILE */

int cr_file_read(struct cr_rd *rd, const void *p, uint64_t len,
		 struct cr_err *e)
{
	const char *path = (const char *)p + sizeof(struct crfs_file);
	struct cr_file *f;
	struct crfs_file rec;
	int err = 0;

	const char *why = NULL;
	uint64_t plen;

	memcpy(&rec, p, sizeof(rec));
	if (!rec.id)
		return cr_rd_fail(rd, e, "id 0");
	if (rec.ext_len % 8 || rec.ext_len > len - sizeof(rec))
		return cr_rd_fail(rd, e, "file %u: ext_len %u beyond the record "
				  "or not a multiple of 8", rec.id, rec.ext_len);
	plen = len - sizeof(rec) - rec.ext_len;
	if (!cr_rec_str(path, rec.path_len, plen, CRFS_PATH_MAX))
		return cr_rd_fail(rd, e, "file %u: bad path", rec.id);
	f = cr_model_new_file(rd->m, &err);
	if (!f)
		return cr_rd_nomem(rd, err, e);
	f->f = rec;
	f->path = cr_strdup_len(path, rec.path_len);
	if (!f->path)
		return cr_rd_nomem(rd, -ENOMEM, e);
	if (rec.kind == CRFS_FILE_INET)
		err = cr_inet_read(f, path + plen, rec.ext_len, &why);
	else if (cr_file_pipe(&rec))
		err = cr_pipe_read(f, path + plen, rec.ext_len, &why);
	else if (rec.kind == CRFS_FILE_TTY)
		err = cr_tty_read(f, path + plen, rec.ext_len, &why);
	else if (rec.kind == CRFS_FILE_UNIX)
		err = cr_unix_read(f, path + plen, rec.ext_len, &why);
	else
		err = cr_evfd_read(f, path + plen, rec.ext_len, &why);
	if (err == -ENOMEM)
		return cr_rd_nomem(rd, err, e);
	if (err)
		return cr_rd_fail(rd, e, "file %u: %s", rec.id, why);
	return 0;
}

int cr_file_write(struct cr_img *img, const void *obj, struct cr_err *e)
{
	static const char zero[8];
	const struct cr_file *f = obj;
	struct crfs_file rec = f->f;
	size_t plen = strlen(f->path) + 1;
	struct iovec ext = { NULL, 0 }, pipe[3] = { { NULL, 0 } };

	if (plen > CRFS_PATH_MAX)
		return cr_fail(e, ENAMETOOLONG, "file %u: path too long: "
			       "%.64s...", rec.id, f->path);
	rec.path_len = plen;
	if (rec.kind == CRFS_FILE_INET)
		ext = cr_inet_iov(f);
	else if (cr_file_event(&rec))
		ext = cr_evfd_iov(f);
	else if (rec.kind == CRFS_FILE_TTY)
		ext = cr_tty_iov(f);
	else if (rec.kind == CRFS_FILE_UNIX)
		ext = (struct iovec){ f->ubuf, f->ulen };
	rec.ext_len = ext.iov_len;
	if (cr_file_pipe(&rec))
		rec.ext_len = cr_pipe_iov(f, pipe);
	if (rec.kind == CRFS_FILE_TTY) {
		pipe[0] = cr_tty_queue_iov(f);
		rec.ext_len += pipe[0].iov_len;
	}
	return cr_rec_put(img, CRFS_REC_FILE, e, 7, (struct iovec[]){
			  CR_IOV(&rec, sizeof(rec)), CR_IOV(f->path, plen),
			  CR_IOV(zero, cr_pad8(plen) - plen), ext, pipe[0],
			  pipe[1], pipe[2] });
}

void cr_file_print(struct cr_emit *o, const void *obj)
{
	const struct crfs_file *f = &((const struct cr_file *)obj)->f;

	o->ops->u64(o, "id", f->id);
	o->ops->str(o, "kind", NAME(cr_file_kinds, f->kind));
	o->ops->oct(o, "flags", f->flags);
	o->ops->oct(o, "mode", f->mode);
	o->ops->u64(o, "pos", f->pos);
	o->ops->hex(o, "dev", f->dev);
	o->ops->u64(o, "ino", f->ino);
	if (o->detail || f->kind == CRFS_FILE_CHR || f->kind == CRFS_FILE_TTY)
		o->ops->hex(o, "rdev", f->rdev);
	if (o->detail || f->kind == CRFS_FILE_REG) {
		o->ops->u64(o, "size", f->size);
		o->ops->s64(o, "mtime_ns", f->mtime_ns);
	}
	if (o->detail || f->cflags)
		o->ops->hex(o, "cflags", f->cflags);
	if (o->detail) {
		o->ops->u64(o, "uid", f->uid);
		o->ops->u64(o, "gid", f->gid);
	}
	if (o->detail || f->data_id)
		o->ops->u64(o, "data_id", f->data_id);
	if (o->detail || f->owner_type) {
		o->ops->u64(o, "owner_type", f->owner_type);
		o->ops->u64(o, "owner_pid", f->owner_pid);
	}
	if (o->detail || f->signo)
		o->ops->u64(o, "signo", f->signo);
	if (o->detail || cr_file_kept(f)) {
		o->ops->u64(o, "data_size", f->data_size);
		o->ops->hex(o, "seals", f->seals);
	}
	o->ops->str(o, "path", ((const struct cr_file *)obj)->path);
	cr_evfd_print(o, obj);
	cr_inet_print(o, obj);
	cr_unix_print(o, obj);
	cr_pipe_print(o, obj);
	cr_tty_print(o, obj);
}

/* SHMEM */

int cr_shmem_read(struct cr_rd *rd, const void *p, uint64_t len,
		  struct cr_err *e)
{
	struct crfs_shmem rec;
	struct cr_shmem *s;
	int err = 0;

	(void)len;
	memcpy(&rec, p, sizeof(rec));
	if (!rec.id || rec.__pad)
		return cr_rd_fail(rd, e, "id 0 or padding not zero");
	s = cr_model_new_shmem(rd->m, &err);
	if (!s)
		return cr_rd_nomem(rd, err, e);
	s->s = rec;
	return 0;
}

int cr_shmem_write(struct cr_img *img, const void *obj, struct cr_err *e)
{
	const struct cr_shmem *s = obj;

	return cr_rec_put(img, CRFS_REC_SHMEM, e, 1,
			  &CR_IOV(&s->s, sizeof(s->s)));
}

void cr_shmem_print(struct cr_emit *o, const void *obj)
{
	const struct crfs_shmem *s = &((const struct cr_shmem *)obj)->s;

	o->ops->u64(o, "id", s->id);
	o->ops->u64(o, "size", s->size);
}

/* MM */

int cr_mm_read(struct cr_rd *rd, const void *p, uint64_t len,
	       struct cr_err *e)
{
	struct crfs_mm rec;
	struct cr_mm *mm;
	int err = 0;

	(void)len;
	memcpy(&rec, p, sizeof(rec));
	if (!rec.id)
		return cr_rd_fail(rd, e, "id 0");
	if (rec.auxv_words > CRFS_AUXV_WORDS)
		return cr_rd_fail(rd, e, "mm %u: %u auxv words, at most %d",
				  rec.id, rec.auxv_words, CRFS_AUXV_WORDS);
	if (cr_rd_ref(rd, CR_K_FILE, "file", rec.exe_file_id, e))
		return -e->err;
	mm = cr_model_new_mm(rd->m, &err);
	if (!mm)
		return cr_rd_nomem(rd, err, e);
	mm->m = rec;
	rd->mm = mm;
	return 0;
}

int cr_mm_write(struct cr_img *img, const void *obj, struct cr_err *e)
{
	const struct cr_mm *mm = obj;
	struct crfs_mm rec = mm->m;

	rec.nr_vmas = mm->nr_vmas;
	return cr_rec_put(img, CRFS_REC_MM, e, 1, &CR_IOV(&rec, sizeof(rec)));
}

void cr_mm_print(struct cr_emit *o, const void *obj)
{
	const struct crfs_mm *m = &((const struct cr_mm *)obj)->m;
	static const char *const names[] = {
		"start_code", "end_code", "start_data", "end_data",
		"start_brk", "brk", "start_stack", "arg_start", "arg_end",
		"env_start", "env_end",
	};
	const __u64 *f = &m->start_code;

	o->ops->u64(o, "id", m->id);
	o->ops->u64(o, "exe_file", m->exe_file_id);
	o->ops->u64(o, "nr_vmas", m->nr_vmas);
	o->ops->hex(o, "flags", m->flags);
	o->ops->hex(o, "coredump_filter", m->coredump_filter);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (o->detail || &f[i] == &m->brk)
			o->ops->hex(o, names[i], f[i]);
	if (!o->detail)
		return;
	o->ops->open(o, "auxv", true);
	for (uint32_t i = 0; i + 1 < m->auxv_words; i += 2) {
		o->ops->open(o, NULL, false);
		o->ops->u64(o, "type", m->auxv[i]);
		o->ops->hex(o, "value", m->auxv[i + 1]);
		o->ops->close(o, false);
	}
	o->ops->close(o, true);
}

/* VMA */

int cr_vma_read(struct cr_rd *rd, const void *p, uint64_t len,
		struct cr_err *e)
{
	const char *name = (const char *)p + sizeof(struct crfs_vma);
	struct cr_vma *v;
	struct crfs_vma rec;
	int err = 0;

	memcpy(&rec, p, sizeof(rec));
	if (!rd->mm || rd->mm->nr_vmas >= rd->mm->m.nr_vmas)
		return cr_rd_fail(rd, e, "not one of the mappings its mm "
				  "announces");
	if (rec.mm_id != rd->mm->m.id)
		return cr_rd_fail(rd, e, "mm %u after mm %u", rec.mm_id,
				  rd->mm->m.id);
	if (rec.ipc_id && !cr_model_ipc(rd->m, rec.ipc_id))
		return cr_rd_fail(rd, e, "ipc %u: no such object before it",
				  rec.ipc_id);
	if (rec.name_len ? !cr_rec_str(name, rec.name_len, len - sizeof(rec),
				       CRFS_PATH_MAX) : len != sizeof(rec))
		return cr_rd_fail(rd, e, "bad name");
	if (cr_rd_ref(rd, CR_K_FILE, "file", rec.file_id, e) ||
	    cr_rd_ref(rd, CR_K_SHMEM, "shmem", rec.shmem_id, e))
		return -e->err;
	v = cr_model_new_vma(rd->mm, &err);
	if (!v)
		return cr_rd_nomem(rd, err, e);
	v->v = rec;
	if (!rec.name_len)
		return 0;
	v->name = cr_strdup_len(name, rec.name_len);
	return v->name ? 0 : cr_rd_nomem(rd, -ENOMEM, e);
}

int cr_vma_write(struct cr_img *img, const void *obj, struct cr_err *e)
{
	const struct cr_vma *v = obj;
	struct crfs_vma rec = v->v;
	size_t nlen = v->name ? strlen(v->name) + 1 : 0;

	if (nlen > CRFS_PATH_MAX)
		return cr_fail(e, ENAMETOOLONG, "mapping %#llx: name too long",
			       (unsigned long long)rec.start);
	rec.name_len = nlen;
	return cr_rec_put(img, CRFS_REC_VMA, e, 2, (struct iovec[]){
			  CR_IOV(&rec, sizeof(rec)), CR_IOV(v->name, nlen) });
}

void cr_vma_print(struct cr_emit *o, const void *obj)
{
	const struct cr_vma *vi = obj;
	const struct crfs_vma *v = &vi->v;
	char prot[5] = {
		v->prot & 1 ? 'r' : '-', v->prot & 2 ? 'w' : '-',
		v->prot & 4 ? 'x' : '-',
		v->flags & CRFS_VMA_F_SHARED ? 's' : 'p', 0,
	};

	o->ops->hex(o, "start", v->start);
	o->ops->hex(o, "end", v->end);
	o->ops->str(o, "prot", prot);
	o->ops->str(o, "kind", NAME(cr_vma_kinds, v->kind));
	o->ops->hex(o, "pgoff", v->pgoff);
	o->ops->hex(o, "flags", v->flags);
	o->ops->hex(o, "advice", v->advice);
	if (o->detail || v->file_id)
		o->ops->u64(o, "file", v->file_id);
	if (o->detail || v->shmem_id)
		o->ops->u64(o, "shmem", v->shmem_id);
	if (o->detail || v->ipc_id)
		o->ops->u64(o, "ipc", v->ipc_id);
	if (o->detail || vi->name)
		o->ops->str(o, "name", vi->name);
}

/* FDTABLE */

int cr_fdtable_read(struct cr_rd *rd, const void *p, uint64_t len,
		    struct cr_err *e)
{
	struct crfs_fdtable rec;
	struct cr_fdtable *t;
	int err = 0;

	(void)len;
	memcpy(&rec, p, sizeof(rec));
	if (!rec.id)
		return cr_rd_fail(rd, e, "id 0");
	t = cr_model_new_fdtable(rd->m, &err);
	if (!t)
		return cr_rd_nomem(rd, err, e);
	t->t = rec;
	rd->fdt = t;
	return 0;
}

int cr_fdtable_write(struct cr_img *img, const void *obj, struct cr_err *e)
{
	const struct cr_fdtable *t = obj;
	struct crfs_fdtable rec = { t->t.id, t->nr_fds };

	return cr_rec_put(img, CRFS_REC_FDTABLE, e, 1,
			  &CR_IOV(&rec, sizeof(rec)));
}

void cr_fdtable_print(struct cr_emit *o, const void *obj)
{
	const struct crfs_fdtable *t = &((const struct cr_fdtable *)obj)->t;

	o->ops->u64(o, "id", t->id);
	o->ops->u64(o, "nr_fds", t->nr_fds);
}

/* FD */

int cr_fd_read(struct cr_rd *rd, const void *p, uint64_t len,
	       struct cr_err *e)
{
	struct crfs_fd rec;
	struct cr_fd *fd;
	int err = 0;

	(void)len;
	memcpy(&rec, p, sizeof(rec));
	if (!rd->fdt || rd->fdt->nr_fds >= rd->fdt->t.nr_fds)
		return cr_rd_fail(rd, e, "not one of the descriptors its fd "
				  "table announces");
	if (rec.__pad)
		return cr_rd_fail(rd, e, "padding not zero");
	if (cr_rd_ref(rd, CR_K_FILE, "file", rec.file_id, e))
		return -e->err;
	fd = cr_model_new_fd(rd->fdt, &err);
	if (!fd)
		return cr_rd_nomem(rd, err, e);
	fd->d = rec;
	return 0;
}

int cr_fd_write(struct cr_img *img, const void *obj, struct cr_err *e)
{
	const struct cr_fd *fd = obj;
	struct crfs_fd rec = fd->d;

	return cr_rec_put(img, CRFS_REC_FD, e, 1, &CR_IOV(&rec, sizeof(rec)));
}

void cr_fd_print(struct cr_emit *o, const void *obj)
{
	const struct crfs_fd *d = &((const struct cr_fd *)obj)->d;

	o->ops->u64(o, "fd", d->fd);
	o->ops->u64(o, "file", d->file_id);
	o->ops->u64(o, "cloexec", d->cloexec);
}

/* LOCK */

static const char *const cr_lock_kinds[] = {
	[CRFS_LOCK_POSIX] = "posix", [CRFS_LOCK_OFD] = "ofd",
	[CRFS_LOCK_FLOCK] = "flock",
};

int cr_lock_read(struct cr_rd *rd, const void *p, uint64_t len,
		 struct cr_err *e)
{
	struct crfs_lock rec;
	struct cr_lock *l;
	int err = 0;

	(void)len;
	memcpy(&rec, p, sizeof(rec));
	if (cr_rd_ref(rd, CR_K_FILE, "file", rec.file_id, e) ||
	    cr_rd_ref(rd, CR_K_FDTABLE, "fd table", rec.owner, e))
		return -e->err;
	l = cr_model_new_lock(rd->m, &err);
	if (!l)
		return cr_rd_nomem(rd, err, e);
	l->l = rec;
	return 0;
}

int cr_lock_write(struct cr_img *img, const void *obj, struct cr_err *e)
{
	struct crfs_lock rec = ((const struct cr_lock *)obj)->l;

	return cr_rec_put(img, CRFS_REC_LOCK, e, 1,
			  &CR_IOV(&rec, sizeof(rec)));
}

void cr_lock_print(struct cr_emit *o, const void *obj)
{
	const struct crfs_lock *l = &((const struct cr_lock *)obj)->l;

	o->ops->u64(o, "file", l->file_id);
	o->ops->str(o, "kind", NAME(cr_lock_kinds, l->kind));
	if (o->detail || l->owner)
		o->ops->u64(o, "owner", l->owner);
	o->ops->str(o, "type", l->type == F_RDLCK ? "read" :
		    l->type == F_WRLCK ? "write" : "?");
	o->ops->u64(o, "start", l->start);
	o->ops->u64(o, "len", l->len);
}

/* FS */

int cr_fs_read(struct cr_rd *rd, const void *p, uint64_t len,
	       struct cr_err *e)
{
	struct crfs_fs rec;
	struct cr_fs *fs;
	int err = 0;

	(void)len;
	memcpy(&rec, p, sizeof(rec));
	if (!rec.id)
		return cr_rd_fail(rd, e, "id 0");
	if (cr_rd_ref(rd, CR_K_FILE, "file", rec.cwd_file_id, e) ||
	    cr_rd_ref(rd, CR_K_FILE, "file", rec.root_file_id, e))
		return -e->err;
	fs = cr_model_new_fs(rd->m, &err);
	if (!fs)
		return cr_rd_nomem(rd, err, e);
	fs->f = rec;
	return 0;
}

int cr_fs_write(struct cr_img *img, const void *obj, struct cr_err *e)
{
	const struct cr_fs *fs = obj;

	return cr_rec_put(img, CRFS_REC_FS, e, 1, &CR_IOV(&fs->f, sizeof(fs->f)));
}

void cr_fs_print(struct cr_emit *o, const void *obj)
{
	const struct crfs_fs *f = &((const struct cr_fs *)obj)->f;

	o->ops->u64(o, "id", f->id);
	o->ops->oct(o, "umask", f->umask);
	o->ops->u64(o, "cwd_file", f->cwd_file_id);
	o->ops->u64(o, "root_file", f->root_file_id);
}

/* SIGHAND */

int cr_sighand_read(struct cr_rd *rd, const void *p, uint64_t len,
		    struct cr_err *e)
{
	struct cr_sighand *sh;
	int err = 0;

	(void)len;
	sh = cr_model_new_sighand(rd->m, &err);
	if (!sh)
		return cr_rd_nomem(rd, err, e);
	memcpy(&sh->s, p, sizeof(sh->s));
	if (!sh->s.id || sh->s.__pad)
		return cr_rd_fail(rd, e, "id 0 or padding not zero");
	return 0;
}

int cr_sighand_write(struct cr_img *img, const void *obj, struct cr_err *e)
{
	const struct cr_sighand *sh = obj;

	return cr_rec_put(img, CRFS_REC_SIGHAND, e, 1,
			  &CR_IOV(&sh->s, sizeof(sh->s)));
}

void cr_sighand_print(struct cr_emit *o, const void *obj)
{
	const struct crfs_sighand *s = &((const struct cr_sighand *)obj)->s;

	o->ops->u64(o, "id", s->id);
	o->ops->open(o, "actions", true);
	for (uint32_t i = 0; i < CRFS_NSIG; i++) {
		const struct crfs_sigact *a = &s->act[i];

		if (!o->detail && !a->handler)
			continue;
		o->ops->open(o, NULL, false);
		o->ops->u64(o, "signo", i + 1);
		o->ops->hex(o, "handler", a->handler);
		if (o->detail) {
			o->ops->hex(o, "flags", a->flags);
			o->ops->hex(o, "restorer", a->restorer);
			o->ops->hex(o, "mask", a->mask);
		}
		o->ops->close(o, false);
	}
	o->ops->close(o, true);
}
