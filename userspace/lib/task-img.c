// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * struct cr_task_img to and from image records.  One table row per record
 * kind, in image order; a row with a count is repeated that many times.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "task-img.h"

/* Sanity bound of the per-task counts (vmas, fds, pending signals). */
#define CR_TASK_NR_MAX		(1U << 22)
#define CR_NGROUPS_MAX		65536

struct cr_task_rec {
	uint32_t	type;
	/* How many records of this kind @k declares; NULL: exactly one. */
	uint32_t	(*count)(const struct crfs_task *k);
	int		(*write)(struct cr_img *img, const struct cr_task_img *t,
				 uint32_t i, struct cr_err *e);
	/*
	 * Decode record @i of its kind: lengths, strings and bounds, what
	 * memory safety needs; what it means is img-check.c's.  @p lies at
	 * any alignment.  @where names the record for messages.
	 */
	int		(*read)(struct cr_task_img *t, uint32_t i, const void *p,
				uint64_t len, const char *where,
				struct cr_err *e);
};

/* Write one record of @n pieces given as (base, len) pairs. */
static int cr_put(struct cr_img *img, uint32_t type, struct cr_err *e,
		  int n, const struct iovec *iov)
{
	return cr_img_write_rec(img, type, iov, n, e);
}

#define CR_IOV(p, l)	((struct iovec){ (void *)(p), (l) })

/* Length of a string field with its NUL, NULL counted as "". */
static uint32_t cr_slen(const char *s)
{
	return s ? strlen(s) + 1 : 1;
}

static const char *cr_sval(const char *s)
{
	return s ? s : "";
}

/* Is @s of @len bytes one NUL-terminated string? */
static int cr_str_ok(const char *s, uint64_t len)
{
	return len >= 1 && len <= CRFS_PATH_MAX && memchr(s, 0, len) == s + len - 1;
}

static char *cr_memdup(const void *p, size_t len)
{
	char *d = malloc(len ? len : 1);

	if (d)
		memcpy(d, p, len);
	return d;
}

static int cr_nomem(const char *where, struct cr_err *e)
{
	return cr_fail(e, ENOMEM, "%s: out of memory", where);
}

/*
 * Room for entry @i of an array filled in order: it doubles when @i is a
 * power of two, so it grows with the records that arrive, never with the
 * count a record declares (a 48-byte TASK may claim millions).
 */
static int cr_grow(void *arrp, uint32_t i, size_t size, const char *where,
		   struct cr_err *e)
{
	void **arr = arrp, *n;

	if (i & (i - 1))
		return 0;
	n = realloc(*arr, (size_t)(i ? 2 * i : 1) * size);
	if (!n)
		return cr_nomem(where, e);
	*arr = n;
	return 0;
}

static int cr_path_check(const char *what, const char *s, struct cr_err *e)
{
	if (cr_slen(s) > CRFS_PATH_MAX)
		return cr_fail(e, ENAMETOOLONG, "%s path too long: %.64s...",
			       what, s);
	return 0;
}

/* TASK */

static int cr_task_write(struct cr_img *img, const struct cr_task_img *t,
			 uint32_t i, struct cr_err *e)
{
	(void)i;
	return cr_put(img, CRFS_REC_TASK, e, 1,
		      &CR_IOV(&t->task, sizeof(t->task)));
}

/*
 * The TASK record into @k (the counts it declares).  @t->task gets it too,
 * with counts 0: they count the records read as they arrive.
 */
static int cr_task_decode(struct cr_task_img *t, struct crfs_task *k,
			  const void *p, uint64_t len, const char *where,
			  struct cr_err *e)
{
	if (len != sizeof(*k))
		return cr_fail(e, EBADMSG, "%s: bad length %" PRIu64, where, len);
	memcpy(k, p, sizeof(*k));
	if (!memchr(k->comm, 0, sizeof(k->comm)))
		return cr_fail(e, EBADMSG, "%s: comm not terminated", where);
	if (k->nr_vmas > CR_TASK_NR_MAX || k->nr_fds > CR_TASK_NR_MAX ||
	    k->nr_pending > CR_TASK_NR_MAX)
		return cr_fail(e, EBADMSG, "%s: implausible counts "
			       "(%u vmas, %u fds, %u signals)", where,
			       k->nr_vmas, k->nr_fds, k->nr_pending);
	t->task = *k;
	t->task.nr_vmas = t->task.nr_fds = t->task.nr_pending = 0;
	return 0;
}

/* CREDS */

static int cr_creds_write(struct cr_img *img, const struct cr_task_img *t,
			  uint32_t i, struct cr_err *e)
{
	struct iovec v[2] = {
		CR_IOV(&t->creds, sizeof(t->creds)),
		CR_IOV(t->groups, t->creds.ngroups * sizeof(uint32_t)),
	};

	(void)i;
	return cr_put(img, CRFS_REC_CREDS, e, 2, v);
}

static int cr_creds_read(struct cr_task_img *t, uint32_t i, const void *p,
			 uint64_t len, const char *where, struct cr_err *e)
{
	struct crfs_creds c;
	uint64_t glen;

	(void)i;
	if (len < sizeof(c))
		return cr_fail(e, EBADMSG, "%s: bad length %" PRIu64, where, len);
	memcpy(&c, p, sizeof(c));
	glen = (uint64_t)c.ngroups * sizeof(uint32_t);
	if (c.ngroups > CR_NGROUPS_MAX || len != sizeof(c) + glen)
		return cr_fail(e, EBADMSG, "%s: length %" PRIu64 " does not "
			       "match %u groups", where, len, c.ngroups);
	t->creds = c;
	t->groups = (uint32_t *)cr_memdup((const char *)p + sizeof(c), glen);
	return t->groups ? 0 : cr_nomem(where, e);
}

/* FS */

static int cr_fs_write(struct cr_img *img, const struct cr_task_img *t,
		       uint32_t i, struct cr_err *e)
{
	struct crfs_fs fs = t->fs;
	struct iovec v[3] = {
		CR_IOV(&fs, sizeof(fs)),
		CR_IOV(cr_sval(t->cwd), cr_slen(t->cwd)),
		CR_IOV(cr_sval(t->root), cr_slen(t->root)),
	};

	(void)i;
	if (cr_path_check("cwd", t->cwd, e) || cr_path_check("root", t->root, e))
		return -e->err;
	fs.cwd_len = v[1].iov_len;
	fs.root_len = v[2].iov_len;
	return cr_put(img, CRFS_REC_FS, e, 3, v);
}

static int cr_fs_read(struct cr_task_img *t, uint32_t i, const void *p,
		      uint64_t len, const char *where, struct cr_err *e)
{
	const char *cwd = (const char *)p + sizeof(struct crfs_fs), *root;
	struct crfs_fs fs;

	(void)i;
	if (len < sizeof(fs))
		return cr_fail(e, EBADMSG, "%s: bad length %" PRIu64, where, len);
	memcpy(&fs, p, sizeof(fs));
	if (len != sizeof(fs) + (uint64_t)fs.cwd_len + fs.root_len)
		return cr_fail(e, EBADMSG, "%s: bad length %" PRIu64, where, len);
	root = cwd + fs.cwd_len;
	if (!cr_str_ok(cwd, fs.cwd_len) || !cr_str_ok(root, fs.root_len))
		return cr_fail(e, EBADMSG, "%s: bad paths", where);
	t->fs = fs;
	t->cwd = cr_memdup(cwd, fs.cwd_len);
	t->root = cr_memdup(root, fs.root_len);
	return t->cwd && t->root ? 0 : cr_nomem(where, e);
}

/* Fixed-size records: RLIMITS, SIGACTS, SIGSTATE, REGS */

#define CR_FIXED_REC(name, TYPE, field)					\
static int cr_##name##_write(struct cr_img *img,			\
			     const struct cr_task_img *t, uint32_t i,	\
			     struct cr_err *e)				\
{									\
	(void)i;							\
	return cr_put(img, TYPE, e, 1,					\
		      &CR_IOV(&t->field, sizeof(t->field)));		\
}									\
static int cr_##name##_read(struct cr_task_img *t, uint32_t i,		\
			    const void *p, uint64_t len,		\
			    const char *where, struct cr_err *e)	\
{									\
	(void)i;							\
	if (len != sizeof(t->field))					\
		return cr_fail(e, EBADMSG, "%s: bad length %" PRIu64,	\
			       where, len);				\
	memcpy(&t->field, p, sizeof(t->field));				\
	return 0;							\
}

CR_FIXED_REC(rlimits, CRFS_REC_RLIMITS, rlim)
CR_FIXED_REC(sigacts, CRFS_REC_SIGACTS, sigacts)
CR_FIXED_REC(sigstate, CRFS_REC_SIGSTATE, sigstate)
CR_FIXED_REC(regs, CRFS_REC_REGS, regs)

/* SIGPENDING */

static uint32_t cr_pending_count(const struct crfs_task *k)
{
	return k->nr_pending;
}

static int cr_pending_write(struct cr_img *img, const struct cr_task_img *t,
			    uint32_t i, struct cr_err *e)
{
	return cr_put(img, CRFS_REC_SIGPENDING, e, 1,
		      &CR_IOV(&t->pending[i], sizeof(t->pending[i])));
}

static int cr_pending_read(struct cr_task_img *t, uint32_t i, const void *p,
			   uint64_t len, const char *where, struct cr_err *e)
{
	if (len != sizeof(*t->pending))
		return cr_fail(e, EBADMSG, "%s: bad length %" PRIu64, where, len);
	if (cr_grow(&t->pending, i, sizeof(*t->pending), where, e))
		return -e->err;
	memcpy(&t->pending[i], p, sizeof(*t->pending));
	t->task.nr_pending = i + 1;
	return 0;
}

/* XSTATE */

static int cr_xstate_write(struct cr_img *img, const struct cr_task_img *t,
			   uint32_t i, struct cr_err *e)
{
	(void)i;
	return cr_put(img, CRFS_REC_XSTATE, e, 1,
		      &CR_IOV(t->xstate, t->xstate_size));
}

static int cr_xstate_read(struct cr_task_img *t, uint32_t i, const void *p,
			  uint64_t len, const char *where, struct cr_err *e)
{
	(void)i;
	t->xstate = cr_memdup(p, len);
	t->xstate_size = len;
	return t->xstate ? 0 : cr_nomem(where, e);
}

/* MM */

static int cr_mm_write(struct cr_img *img, const struct cr_task_img *t,
		       uint32_t i, struct cr_err *e)
{
	struct crfs_mm mm = t->mm;
	struct iovec v[2] = {
		CR_IOV(&mm, sizeof(mm)),
		CR_IOV(cr_sval(t->exe), cr_slen(t->exe)),
	};

	(void)i;
	if (cr_path_check("exe", t->exe, e))
		return -e->err;
	if (mm.auxv_words > CRFS_AUXV_WORDS)
		return cr_fail(e, EINVAL, "mm: %u auxv words, at most %d",
			       mm.auxv_words, CRFS_AUXV_WORDS);
	mm.exe_len = v[1].iov_len;
	return cr_put(img, CRFS_REC_MM, e, 2, v);
}

static int cr_mm_read(struct cr_task_img *t, uint32_t i, const void *p,
		      uint64_t len, const char *where, struct cr_err *e)
{
	const char *exe = (const char *)p + sizeof(struct crfs_mm);

	(void)i;
	if (len < sizeof(t->mm))
		return cr_fail(e, EBADMSG, "%s: bad length %" PRIu64, where, len);
	memcpy(&t->mm, p, sizeof(t->mm));
	if (len != sizeof(t->mm) + (uint64_t)t->mm.exe_len ||
	    !cr_str_ok(exe, t->mm.exe_len))
		return cr_fail(e, EBADMSG, "%s: bad exe path", where);
	if (t->mm.auxv_words > CRFS_AUXV_WORDS)
		return cr_fail(e, EBADMSG, "%s: %u auxv words, at most %d",
			       where, t->mm.auxv_words, CRFS_AUXV_WORDS);
	t->exe = cr_memdup(exe, t->mm.exe_len);
	return t->exe ? 0 : cr_nomem(where, e);
}

/* VMA */

static uint32_t cr_vma_count(const struct crfs_task *k)
{
	return k->nr_vmas;
}

static int cr_vma_write(struct cr_img *img, const struct cr_task_img *t,
			uint32_t i, struct cr_err *e)
{
	const struct cr_vma_img *vi = &t->vmas[i];
	struct crfs_vma v = vi->v;
	struct iovec iov[2] = {
		CR_IOV(&v, sizeof(v)),
		CR_IOV(vi->path, vi->path ? cr_slen(vi->path) : 0),
	};

	if (cr_path_check("mapping", vi->path, e))
		return -e->err;
	v.path_len = iov[1].iov_len;
	return cr_put(img, CRFS_REC_VMA, e, 2, iov);
}

static int cr_vma_read(struct cr_task_img *t, uint32_t i, const void *p,
		       uint64_t len, const char *where, struct cr_err *e)
{
	const char *path = (const char *)p + sizeof(struct crfs_vma);
	struct cr_vma_img *vi;
	struct crfs_vma v;

	if (len < sizeof(v))
		return cr_fail(e, EBADMSG, "%s: bad length %" PRIu64, where, len);
	memcpy(&v, p, sizeof(v));
	if (len != sizeof(v) + (uint64_t)v.path_len ||
	    (v.path_len && !cr_str_ok(path, v.path_len)))
		return cr_fail(e, EBADMSG, "%s: bad path", where);
	if (cr_grow(&t->vmas, i, sizeof(*t->vmas), where, e))
		return -e->err;
	vi = &t->vmas[i];
	vi->v = v;
	vi->path = NULL;
	t->task.nr_vmas = i + 1;
	if (!v.path_len)
		return 0;
	vi->path = cr_memdup(path, v.path_len);
	return vi->path ? 0 : cr_nomem(where, e);
}

/* FD */

static uint32_t cr_fd_count(const struct crfs_task *k)
{
	return k->nr_fds;
}

static int cr_fd_write(struct cr_img *img, const struct cr_task_img *t,
		       uint32_t i, struct cr_err *e)
{
	const struct cr_fd_img *fi = &t->fds[i];
	struct crfs_fd f = fi->f;
	struct iovec iov[2] = {
		CR_IOV(&f, sizeof(f)),
		CR_IOV(fi->path, fi->path ? cr_slen(fi->path) : 0),
	};

	if (cr_path_check("fd", fi->path, e))
		return -e->err;
	f.path_len = iov[1].iov_len;
	return cr_put(img, CRFS_REC_FD, e, 2, iov);
}

static int cr_fd_read(struct cr_task_img *t, uint32_t i, const void *p,
		      uint64_t len, const char *where, struct cr_err *e)
{
	const char *path = (const char *)p + sizeof(struct crfs_fd);
	struct cr_fd_img *fi;
	struct crfs_fd f;

	if (len < sizeof(f))
		return cr_fail(e, EBADMSG, "%s: bad length %" PRIu64, where, len);
	memcpy(&f, p, sizeof(f));
	if (len != sizeof(f) + (uint64_t)f.path_len ||
	    (f.path_len && !cr_str_ok(path, f.path_len)))
		return cr_fail(e, EBADMSG, "%s: bad path", where);
	if (cr_grow(&t->fds, i, sizeof(*t->fds), where, e))
		return -e->err;
	fi = &t->fds[i];
	fi->f = f;
	fi->path = NULL;
	t->task.nr_fds = i + 1;
	if (!f.path_len)
		return 0;
	fi->path = cr_memdup(path, f.path_len);
	return fi->path ? 0 : cr_nomem(where, e);
}

/* The records of one process, in image order. */
static const struct cr_task_rec cr_task_recs[] = {
	{ CRFS_REC_TASK,	NULL,		  cr_task_write,     NULL },
	{ CRFS_REC_CREDS,	NULL,		  cr_creds_write,    cr_creds_read },
	{ CRFS_REC_FS,		NULL,		  cr_fs_write,	     cr_fs_read },
	{ CRFS_REC_RLIMITS,	NULL,		  cr_rlimits_write,  cr_rlimits_read },
	{ CRFS_REC_SIGACTS,	NULL,		  cr_sigacts_write,  cr_sigacts_read },
	{ CRFS_REC_SIGSTATE,	NULL,		  cr_sigstate_write, cr_sigstate_read },
	{ CRFS_REC_SIGPENDING,	cr_pending_count, cr_pending_write,  cr_pending_read },
	{ CRFS_REC_REGS,	NULL,		  cr_regs_write,     cr_regs_read },
	{ CRFS_REC_XSTATE,	NULL,		  cr_xstate_write,   cr_xstate_read },
	{ CRFS_REC_MM,		NULL,		  cr_mm_write,	     cr_mm_read },
	{ CRFS_REC_VMA,		cr_vma_count,	  cr_vma_write,	     cr_vma_read },
	{ CRFS_REC_FD,		cr_fd_count,	  cr_fd_write,	     cr_fd_read },
};

#define CR_NR_TASK_RECS	(sizeof(cr_task_recs) / sizeof(cr_task_recs[0]))

int cr_task_img_write(struct cr_img *img, const struct cr_task_img *t,
		      struct cr_err *e)
{
	for (size_t r = 0; r < CR_NR_TASK_RECS; r++) {
		const struct cr_task_rec *k = &cr_task_recs[r];
		uint32_t n = k->count ? k->count(&t->task) : 1;

		for (uint32_t i = 0; i < n; i++) {
			int ret = k->write(img, t, i, e);

			if (ret)
				return ret;
		}
	}
	return 0;
}

int cr_task_img_read(struct cr_img *img, const void *task_payload,
		     uint64_t len, struct cr_task_img *t, struct cr_err *e)
{
	struct crfs_task declared;
	char where[128];
	int ret;

	memset(t, 0, sizeof(*t));
	snprintf(where, sizeof(where), "record %" PRIu64 " (task) at offset %"
		 PRIu64, img->nr_records, img->off - len -
		 sizeof(struct crfs_rec_hdr));
	ret = cr_task_decode(t, &declared, task_payload, len, where, e);
	if (ret)
		goto out_free;
	for (size_t r = 1; r < CR_NR_TASK_RECS; r++) {
		const struct cr_task_rec *k = &cr_task_recs[r];
		uint32_t n = k->count ? k->count(&declared) : 1;

		for (uint32_t i = 0; i < n; i++) {
			struct crfs_rec_hdr rh;
			void *p;

			ret = cr_img_read_rec(img, &rh, &p, e);
			if (ret)
				goto out_free;
			snprintf(where, sizeof(where), "record %" PRIu64
				 " (%s) at offset %" PRIu64, img->nr_records,
				 cr_img_rec_name(rh.type),
				 img->off - (uint64_t)rh.len - sizeof(rh));
			if (rh.type != k->type) {
				ret = cr_fail(e, EBADMSG, "%s: expected %s "
					      "record %u of %u of pid %u", where,
					      cr_img_rec_name(k->type), i + 1,
					      n, declared.pid);
				goto out_free;
			}
			ret = k->read(t, i, p, rh.len, where, e);
			if (ret)
				goto out_free;
		}
	}
	return 0;

out_free:
	cr_task_img_free(t);
	return ret;
}

void cr_task_img_free(struct cr_task_img *t)
{
	if (t->vmas)
		for (uint32_t i = 0; i < t->task.nr_vmas; i++)
			free(t->vmas[i].path);
	if (t->fds)
		for (uint32_t i = 0; i < t->task.nr_fds; i++)
			free(t->fds[i].path);
	free(t->groups);
	free(t->cwd);
	free(t->root);
	free(t->pending);
	free(t->xstate);
	free(t->exe);
	free(t->vmas);
	free(t->fds);
	memset(t, 0, sizeof(*t));
}
