// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reading an image into a model (img-walk.h): the order of the records,
 * the groups their counts announce, ids unique and known before they are
 * referred to, then the rules of img-check.c on the whole model, then the
 * page data.  The restore and `crfs-image` read through this one walker,
 * so they accept and refuse the same images with the same reasons.
 *
 * Ids are indexed kind by kind when the stream moves past the kind (sort,
 * duplicates found there), so that a reference is looked up by bisection
 * when it arrives: O(n log n) in all.  Memory grows with the records that
 * arrive, never with a count a record declares.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "img-walk.h"

/* When each kind of object is complete: the stream has moved past it. */
static const struct {
	uint32_t	after;		/* rank beyond which it is complete */
	const char	*name;
} cr_seal[CR_K_NR] = {
	[CR_K_FILE]	= { CR_R_FILE, "file" },
	[CR_K_SHMEM]	= { CR_R_SHMEM, "shmem" },
	[CR_K_MM]	= { CR_R_VMA, "mm" },
	[CR_K_FDTABLE]	= { CR_R_FD, "fdtable" },
	[CR_K_FS]	= { CR_R_FS, "fs" },
	[CR_K_SIGHAND]	= { CR_R_SIGHAND, "sighand" },
	[CR_K_TASK]	= { CR_R_TIMER, "pid" },
};

/* Index every kind complete before a record of rank @rank. */
static int cr_rd_seal(struct cr_rd *rd, uint32_t rank, struct cr_err *e)
{
	for (int k = 0; k < CR_K_NR; k++) {
		uint32_t dup = 0;
		int ret;

		if ((rd->sealed & (1U << k)) || rank <= cr_seal[k].after)
			continue;
		ret = cr_model_index(rd->m, k, &dup);
		if (ret == -ENOMEM)
			return cr_fail(e, ENOMEM, "out of memory");
		if (ret)
			return cr_fail(e, EBADMSG, "%s %u: two records with "
				       "this id", cr_seal[k].name, dup);
		rd->sealed |= 1U << k;
	}
	return 0;
}

/* May a record of rank @r follow one of rank @last: a group again? */
static bool cr_rd_restart(uint32_t r, uint32_t last)
{
	return (r == CR_R_MM && last == CR_R_VMA) ||
	       (r == CR_R_FDTABLE && last == CR_R_FD) ||
	       (r == CR_R_THREAD && last > CR_R_THREAD && last < CR_R_TIMER) ||
	       (r == CR_R_TASK && last > CR_R_TASK && last <= CR_R_TIMER);
}

/* The thread being read is over: it must have its arch records. */
static int cr_rd_end_thread(struct cr_rd *rd, struct cr_err *e)
{
	const char *missing;

	if (!rd->thread)
		return 0;
	missing = cr_arch_thread_missing(&rd->thread->arch, rd->h->features);
	if (missing)
		return cr_rd_fail(rd, e, "thread %u ended without its %s "
				  "record", rd->thread->t.tid, missing);
	rd->thread = NULL;
	return 0;
}

/* The process being read is over: its credentials and its threads. */
static int cr_rd_end_task(struct cr_rd *rd, struct cr_err *e)
{
	const struct cr_task *t = rd->task;

	if (!t)
		return 0;
	if (!t->have_creds)
		return cr_rd_fail(rd, e, "pid %u ended without its creds "
				  "record", t->t.pid);
	if (t->nr_threads != t->t.nr_threads)
		return cr_rd_fail(rd, e, "pid %u ended with %u of its %u "
				  "threads", t->t.pid, t->nr_threads,
				  t->t.nr_threads);
	rd->task = NULL;
	return 0;
}

/*
 * Is a record of @row in its place?  The counted groups (an MM's VMAs, an
 * FDTABLE's FDs) come whole, ranks ascend but where a group starts again,
 * and a thread or process left is complete.
 */
static int cr_rd_order(struct cr_rd *rd, const struct cr_rec_ops *row,
		       uint32_t *rankp, struct cr_err *e)
{
	uint32_t r = row->rank;
	int ret;

	if (rd->mm && rd->mm->nr_vmas < rd->mm->m.nr_vmas &&
	    row->type != CRFS_REC_VMA)
		return cr_rd_fail(rd, e, "expected vma record %u of %u of mm "
				  "%u", rd->mm->nr_vmas + 1, rd->mm->m.nr_vmas,
				  rd->mm->m.id);
	if (rd->fdt && rd->fdt->nr_fds < rd->fdt->t.nr_fds &&
	    row->type != CRFS_REC_FD)
		return cr_rd_fail(rd, e, "expected fd record %u of %u of fd "
				  "table %u", rd->fdt->nr_fds + 1,
				  rd->fdt->t.nr_fds, rd->fdt->t.id);
	if (row->type == CRFS_REC_SIGPENDING && rd->thread)
		r = CR_R_SIGP_THREAD;
	if (row->arch && row->arch != rd->h->arch)
		return cr_rd_fail(rd, e, "a record of architecture 0x%x in an "
				  "image of architecture 0x%x", row->arch,
				  rd->h->arch);
	if (r < rd->rank && !cr_rd_restart(r, rd->rank))
		return cr_rd_fail(rd, e, "out of order: after a %s record",
				  cr_img_rec_name(rd->type));
	if (rd->thread && (r <= CR_R_THREAD || r >= CR_R_TIMER)) {
		ret = cr_rd_end_thread(rd, e);
		if (ret)
			return ret;
	}
	if (rd->task && (r == CR_R_TASK || r >= CR_R_FILE_DATA)) {
		ret = cr_rd_end_task(rd, e);
		if (ret)
			return ret;
	}
	*rankp = r;
	return cr_rd_seal(rd, r, e);
}

/* Name the record just read in @rd->where. */
static void cr_rd_where(struct cr_rd *rd, const struct cr_img *img,
			const struct crfs_rec_hdr *rh)
{
	snprintf(rd->where, sizeof(rd->where), "record %" PRIu64 " (%s) at "
		 "offset %" PRIu64, img->nr_records, cr_img_rec_name(rh->type),
		 img->off - (uint64_t)rh->len - sizeof(*rh));
}

int cr_img_walk_begin(struct cr_img_walk *w, struct cr_img *img,
		      struct cr_err *e)
{
	int ret;

	memset(w, 0, sizeof(*w));
	w->img = img;
	w->rd.m = &w->m;
	w->rd.h = &w->hdr;
	ret = cr_img_read_hdr(img, &w->hdr, e);
	if (!ret)
		ret = cr_img_check_image(&w->hdr, e);
	return ret;
}

static int cr_u32_cmp(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;

	return (a > b) - (a < b);
}

/* Every thread id once in the whole image. */
static int cr_rd_tids(const struct cr_model *m, struct cr_err *e)
{
	uint32_t n = 0, *tids = NULL, i, j;
	int ret = 0;

	for (i = 0; i < m->nr_tasks; i++)
		for (j = 0; j < m->tasks[i].nr_threads; j++) {
			if (cr_grow(&tids, n, sizeof(*tids))) {
				free(tids);
				return cr_fail(e, ENOMEM, "out of memory");
			}
			tids[n++] = m->tasks[i].threads[j].t.tid;
		}
	if (n)
		qsort(tids, n, sizeof(*tids), cr_u32_cmp);
	for (i = 1; i < n && !ret; i++)
		if (tids[i] == tids[i - 1])
			ret = cr_fail(e, EBADMSG, "thread %u: two records with "
				      "this id", tids[i]);
	free(tids);
	return ret;
}

/*
 * The objects and processes are all read (@rank: of the record after
 * them): groups closed, every kind indexed, the counts of the header,
 * pointers resolved, then every rule.
 */
static int cr_rd_finish(struct cr_img_walk *w, uint32_t rank, struct cr_err *e)
{
	struct cr_rd *rd = &w->rd;
	int ret;

	ret = cr_rd_end_thread(rd, e);
	if (!ret)
		ret = cr_rd_end_task(rd, e);
	if (!ret)
		ret = cr_rd_seal(rd, rank, e);
	if (!ret)
		ret = cr_rd_tids(&w->m, e);
	if (ret)
		return ret;
	if (w->m.nr_tasks != w->hdr.nr_tasks)
		return cr_fail(e, EBADMSG, "the image holds %u processes, its "
			       "header says %u", w->m.nr_tasks,
			       w->hdr.nr_tasks);
	cr_model_resolve(&w->m);
	ret = cr_img_check_model(&w->hdr, &w->m, e);
	if (ret)
		return ret;
	w->paged_mm = calloc(w->m.nr_mms + 1, 1);
	w->paged_shmem = calloc(w->m.nr_shmems + 1, 1);
	if (!w->paged_mm || !w->paged_shmem || cr_model_shmem_windows(&w->m))
		return cr_fail(e, ENOMEM, "out of memory");
	w->have_model = true;
	return CR_WALK_MODEL;
}

/* Read the objects and processes up to the first record after them. */
static int cr_rd_model(struct cr_img_walk *w, struct cr_err *e)
{
	struct cr_rd *rd = &w->rd;
	const struct cr_rec_ops *row;
	struct crfs_rec_hdr rh;
	uint32_t rank = 0;
	void *p;
	int ret;

	for (;;) {
		ret = cr_img_read_rec(w->img, &rh, &p, e);
		if (ret)
			return ret;
		cr_rd_where(rd, w->img, &rh);
		row = cr_rec_ops(rh.type);
		if (rh.type == CRFS_REC_END) {
			memcpy(&w->end, p, sizeof(w->end));
			w->ended = true;
		}
		ret = cr_rd_order(rd, row, &rank, e);
		if (ret)
			return ret;
		if (rank >= CR_R_FILE_DATA) {
			w->held = p;	/* valid until the next read */
			w->held_rh = rh;
			return cr_rd_finish(w, rank, e);
		}
		ret = row->read(rd, p, rh.len, e);
		if (ret)
			return ret;
		rd->rank = rank;
		rd->type = rh.type;
	}
}

void cr_img_walk_again(struct cr_img_walk *w)
{
	w->again = true;
}

/* The next part of the image (cr_img_walk_next()). */
static int cr_walk_next(struct cr_img_walk *w, struct cr_err *e)
{
	struct crfs_rec_hdr rh;
	void *p;
	int ret;

	if (!w->have_model)
		return cr_rd_model(w, e);
	if (w->held) {
		p = w->held;
		rh = w->held_rh;
		w->held = NULL;
	} else if (w->ended) {
		return cr_fail(e, EINVAL, "image read past its trailer");
	} else {
		ret = cr_img_read_rec(w->img, &rh, &p, e);
		if (ret)
			return ret;
		cr_rd_where(&w->rd, w->img, &rh);
	}
	if (rh.type != CRFS_REC_FILE_DATA && !w->fd_over) {
		ret = cr_img_check_file_data_end(w, e);
		if (ret)
			return ret;
	}
	if (rh.type != CRFS_REC_FILE_DATA && rh.type != CRFS_REC_IPC_DATA &&
	    !w->id_over) {
		ret = cr_img_check_ipc_data_end(w, e);
		if (ret)
			return ret;
	}
	switch (rh.type) {
	case CRFS_REC_END:
		memcpy(&w->end, p, sizeof(w->end));
		w->ended = true;
		return CR_WALK_END;
	case CRFS_REC_PAGES:
		w->rd.rank = CR_R_PAGES;
		w->rd.type = rh.type;
		ret = cr_img_check_pages(w, p, e);
		return ret ? ret : CR_WALK_PAGES;
	case CRFS_REC_FILE_DATA:
		if (w->rd.rank <= CR_R_FILE_DATA) {
			w->rd.rank = CR_R_FILE_DATA;
			w->rd.type = rh.type;
			ret = cr_img_check_file_data(w, p, rh.len, e);
			return ret ? ret : CR_WALK_FILE_DATA;
		}
		break;
	case CRFS_REC_IPC_DATA:
		if (w->rd.rank <= CR_R_IPC_DATA) {
			w->rd.rank = CR_R_IPC_DATA;
			w->rd.type = rh.type;
			ret = cr_img_check_ipc_data(w, p, rh.len, e);
			return ret ? ret : CR_WALK_IPC_DATA;
		}
	}
	return cr_rd_fail(&w->rd, e, "out of order: after the %s",
			  w->rd.type == CRFS_REC_PAGES ? "page data" :
			  "processes");
}

int cr_img_walk_next(struct cr_img_walk *w, struct cr_err *e)
{
	if (w->again) {
		w->again = false;
		return w->last;
	}
	w->last = cr_walk_next(w, e);
	return w->last;
}

void cr_img_walk_fini(struct cr_img_walk *w)
{
	cr_model_free(&w->m);
	free(w->paged_mm);
	free(w->paged_shmem);
	w->paged_mm = w->paged_shmem = NULL;
	w->have_model = false;
	w->held = NULL;
}
