/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The records of one process (struct cr_task_img) to and from an image:
 * TASK, CREDS, FS, RLIMITS, SIGACTS, SIGSTATE, SIGPENDING*, REGS, XSTATE,
 * MM, VMA*, FD*.  The PAGES records that follow are the caller's.
 *
 * And what an image must be to be restored (img-check.c): the rules the
 * restore and `crfs-image verify` both apply, through one walker.
 */
#ifndef CR_TASK_IMG_H
#define CR_TASK_IMG_H

#include <stdbool.h>
#include <stdint.h>

#include "cr-internal.h"

/**
 * cr_task_img_write() - write the records of @t, TASK to the last FD
 * @img: a stream whose header is written
 * @t:   the process; the counts in @t->task and @t->creds.ngroups say how
 *       many entries the arrays hold; string lengths are computed here
 *
 * Return: 0 or -errno with @e set.
 */
int cr_task_img_write(struct cr_img *img, const struct cr_task_img *t,
		      struct cr_err *e);

/**
 * cr_task_img_read() - read the records of one process
 * @img:          a stream positioned just after a TASK record
 * @task_payload: that TASK record's payload
 * @len:          its length
 * @t:            receives the process; free it with cr_task_img_free()
 *
 * Reads CREDS to the last FD, checks that every record has the expected
 * type and a consistent length (counts, NUL-terminated strings, array
 * bounds) and allocates the variable parts as their records arrive.  What
 * the values mean is cr_img_check_task()'s.  On failure @t holds nothing
 * to free.
 *
 * Return: 0 or -errno with @e set (-EBADMSG naming the record, or an
 * error of cr_img_read_rec()).
 */
int cr_task_img_read(struct cr_img *img, const void *task_payload,
		     uint64_t len, struct cr_task_img *t, struct cr_err *e);

/* img-check.c */

/* What cr_img_walk_next() found. */
enum cr_walk_ev {
	CR_WALK_END,		/* the trailer: the image is whole and valid */
	CR_WALK_TASK,		/* a process, read and checked: @w->t */
	CR_WALK_PAGES,		/* a PAGES record of @w->t, checked: @w->pages */
	CR_WALK_TASK_END,	/* no more PAGES for @w->t (still valid) */
};

/* A PAGES record, decoded (aligned) and checked against the mappings. */
struct cr_img_pages {
	uint64_t	vaddr;
	uint64_t	nr_pages;
	void		*data;		/* nr_pages * page_size, page-aligned */
	uint32_t	vma;		/* index of the mapping holding vaddr */
};

/* An image read and checked record by record. */
struct cr_img_walk {
	struct cr_img		*img;
	struct crfs_image_hdr	hdr;
	struct cr_task_img	t;		/* the current process */
	bool			have_task;
	uint32_t		nr_tasks;	/* TASK records so far */
	struct cr_img_pages	pages;		/* the last PAGES record */
	struct crfs_end		end;		/* at CR_WALK_END */
	/* private */
	uint64_t		next;		/* lowest next PAGES address */
	uint32_t		vma_cur;	/* mapping the last PAGES ended in */
	bool			ended;		/* END read */
	void			*held;		/* a TASK payload to decode */
	uint64_t		held_len;
};

/**
 * cr_img_walk_begin() - read the header of the image on @img and check it
 * @w: receives the walker; cr_img_walk_fini() it, even on failure
 *
 * Besides cr_img_read_hdr(): known features, and a number of processes a
 * restore brings back (cr_img_check_image()).  Not this machine's
 * compatibility (cr_img_check_hdr()).
 *
 * Return: 0 or -errno with @e set.
 */
int cr_img_walk_begin(struct cr_img_walk *w, struct cr_img *img,
		      struct cr_err *e);

/**
 * cr_img_walk_next() - read the next part of the image and check it
 *
 * A process is read whole (cr_task_img_read()) and checked
 * (cr_img_check_task()); a PAGES record is checked against its mappings
 * (cr_img_check_pages()); at the trailer, the number of processes.
 * Every process ends with CR_WALK_TASK_END before the next one or END.
 *
 * Return: an enum cr_walk_ev, or -errno with @e set (the image is bad:
 * stop walking).
 */
int cr_img_walk_next(struct cr_img_walk *w, struct cr_err *e);

/* cr_img_walk_fini() - free what the walker holds (not its cr_img) */
void cr_img_walk_fini(struct cr_img_walk *w);

/**
 * cr_img_check_image() - the header rules the image alone decides:
 * features this reader knows, XSTATE present, one process (EOPNOTSUPP
 * for what the restore cannot do)
 * Return: 0 or -errno with @e set.
 */
int cr_img_check_image(const struct crfs_image_hdr *h, struct cr_err *e);

/**
 * cr_img_check_task() - every rule about one decoded process
 * @h: the image header (page size, xstate size and features)
 *
 * Mappings sorted, apart, page-aligned, in user space, of known kinds and
 * flags, file mappings with absolute paths; descriptors sorted, of known
 * kinds, under RLIMIT_NOFILE; valid ids, signals, limits, alternate
 * stack, rseq area, mm layout, auxv and executable; registers and XSAVE
 * header the kernel would load.  Linear in the records.
 *
 * Return: 0 or -EBADMSG with @e set, naming the pid and the object.
 */
int cr_img_check_task(const struct crfs_image_hdr *h,
		      const struct cr_task_img *t, struct cr_err *e);

/**
 * cr_img_check_pages() - check one PAGES payload of the process @w->t
 *
 * Its range must not wrap, must lie in user space above the record
 * before it, and wholly inside mappings that get page data
 * (cr_img_vma_filled()).  On success fills @w->pages.  Amortized O(1):
 * records ascend, so the mapping cursor only moves forward.
 *
 * Return: 0 or -EBADMSG with @e set.
 */
int cr_img_check_pages(struct cr_img_walk *w, const void *payload,
		       struct cr_err *e);

/**
 * cr_img_vma_filled() - does the restore write page data into @v?
 * (anonymous, heap, stack and private file mappings)
 */
bool cr_img_vma_filled(const struct crfs_vma *v);

#endif /* CR_TASK_IMG_H */
