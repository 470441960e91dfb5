/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading an image, checked, as the restore and `crfs-image` read it: the
 * header, then every object and process into a model (model-read.c), the
 * rules of what an image must be (img-check.c), then the page data record
 * by record, each checked against the model, then the trailer.
 */
#ifndef CR_IMG_WALK_H
#define CR_IMG_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "rec.h"

/* What cr_img_walk_next() found. */
enum cr_walk_ev {
	CR_WALK_END,		/* the trailer: the image is whole and valid */
	CR_WALK_MODEL,		/* the objects and processes, read, resolved
				 * and checked: @w->m (once, first) */
	CR_WALK_PAGES,		/* a PAGES record, checked: @w->pages */
	CR_WALK_FILE_DATA,	/* a FILE_DATA record, checked: @w->fdata */
	CR_WALK_IPC_DATA,	/* an IPC_DATA record, checked: @w->idata */
};

/* An IPC_DATA record, decoded and checked against the model. */
struct cr_img_idata {
	struct cr_ipc	*ipc;		/* a SHM segment */
	uint64_t	offset;		/* page-aligned */
	uint64_t	size;		/* whole pages */
	const void	*data;		/* any alignment */
};

/* A FILE_DATA record, decoded and checked against the model. */
struct cr_img_fdata {
	struct cr_file	*file;		/* MEMFD or UNLINKED, its data_id */
	uint64_t	offset;		/* page-aligned */
	uint64_t	size;		/* whole pages */
	const void	*data;		/* any alignment */
};

/* A PAGES record, decoded and checked against the model. */
struct cr_img_pages {
	uint32_t	owner;		/* CRFS_PAGES_MM or CRFS_PAGES_SHMEM */
	uint64_t	addr;		/* address, or offset in the SHMEM */
	uint64_t	nr_pages;
	void		*data;		/* nr_pages * page_size, page-aligned */
	struct cr_mm	*mm;		/* MM: the address space, */
	uint32_t	vma;		/* and the mapping holding addr */
	struct cr_shmem	*shmem;		/* SHMEM: the object, */
	uint32_t	win;		/* and the window holding addr */
};

/* An image read and checked record by record. */
struct cr_img_walk {
	struct cr_img		*img;
	struct crfs_image_hdr	hdr;
	struct cr_model		m;		/* at CR_WALK_MODEL and after */
	struct cr_img_pages	pages;		/* the last PAGES record */
	struct cr_img_fdata	fdata;		/* the last FILE_DATA record */
	struct cr_img_idata	idata;		/* the last IPC_DATA record */
	struct crfs_end		end;		/* at CR_WALK_END */
	/* private */
	struct cr_rd		rd;
	bool			have_model;
	bool			ended;		/* END read */
	void			*held;		/* a record read ahead of the */
	struct crfs_rec_hdr	held_rh;	/* model's end, to take next */
	uint32_t		owner;		/* of the PAGES before, */
	void			*owner_obj;	/* its object, */
	uint64_t		next;		/* its lowest next address */
	uint32_t		cur;		/* mapping or window cursor */
	uint8_t			*paged_mm;	/* owners whose pages are */
	uint8_t			*paged_shmem;	/* over: per MM, per SHMEM */
	struct cr_file		*fd_file;	/* FILE_DATA: its file, */
	uint64_t		fd_next;	/* lowest next offset, */
	uint64_t		fd_sum;		/* its bytes so far, */
	uint64_t		fd_total;	/* all files' so far */
	bool			fd_over;	/* FILE_DATA over, counted */
	struct cr_ipc		*id_ipc;	/* IPC_DATA: as FILE_DATA */
	uint64_t		id_next, id_sum, id_total;
	bool			id_over;
	bool			again;		/* cr_img_walk_again() */
	int			last;		/* the event returned last */
};

/**
 * cr_img_walk_begin() - read the header of the image on @img and check it
 * @w: receives the walker; cr_img_walk_fini() it, even on failure
 *
 * Besides cr_img_read_hdr(): the rules of the header alone
 * (cr_img_check_image()).  Not this machine's compatibility
 * (cr_img_check_hdr()).
 *
 * Return: 0 or -errno with @e set.
 */
int cr_img_walk_begin(struct cr_img_walk *w, struct cr_img *img,
		      struct cr_err *e);

/**
 * cr_img_walk_next() - read the next part of the image and check it
 *
 * First every object and process, into @w->m: the order of the records,
 * their counts, their ids (unique, known where referred to), then every
 * rule of img-check.c on the whole model (CR_WALK_MODEL).  Then each
 * PAGES record, checked against the model (CR_WALK_PAGES), then the
 * trailer (CR_WALK_END).
 *
 * Return: an enum cr_walk_ev, or -errno with @e set (the image is bad:
 * stop walking).
 */
int cr_img_walk_next(struct cr_img_walk *w, struct cr_err *e);

/**
 * cr_img_walk_again() - make the next cr_img_walk_next() return the event
 * it returned last (a PAGES record or the trailer), without reading: for
 * a reader that stops at the first record after the FILE_DATA
 */
void cr_img_walk_again(struct cr_img_walk *w);

/* cr_img_walk_fini() - free what the walker holds (not its cr_img) */
void cr_img_walk_fini(struct cr_img_walk *w);

/* img-check.c */

/**
 * cr_img_check_image() - the header rules the image alone decides:
 * features this reader knows, XSTATE present, an architecture whose
 * records it knows, no parent image, one process (EOPNOTSUPP for what the
 * restore cannot do)
 * Return: 0 or -errno with @e set.
 */
int cr_img_check_image(const struct crfs_image_hdr *h, struct cr_err *e);

/**
 * cr_img_check_model() - every rule about the objects and processes of
 * @m (the table's check of each record), in stream order; linear in the
 * records, or O(log n) each
 * Return: 0 or -errno (EBADMSG, EOPNOTSUPP) with @e set, naming the pid
 * or the object.
 */
int cr_img_check_model(const struct crfs_image_hdr *h,
		       const struct cr_model *m, struct cr_err *e);

/**
 * cr_img_check_tree() - the rules of the process tree of @m
 * (img-check-tree.c): one root first (parent 0; pid 1 in a pid namespace
 * of its own, CRFS_FEAT_PIDNS of @h), every other process
 * after its parent; sessions and process groups a restore can make again;
 * a zombie with nothing but its ids and a wait status; no mm, fd table,
 * fs or signal actions shared between processes (not supported yet)
 * Return: 0 or -errno (EBADMSG, EOPNOTSUPP) with @e set, naming the pid.
 */
int cr_img_check_tree(const struct crfs_image_hdr *h,
		      const struct cr_model *m, struct cr_err *e);

/*
 * Threads of one process other than its leader that may be parents of
 * processes (parent_tid): a restore makes each on a stack of its own
 * (restore-tree.c), all inside the restorer thread's.
 */
#define CR_TREE_MAX_MAKERS	128

/**
 * cr_tree_helper_maker() - the process of @m that makes again a process
 * group of session @sid whose leader has exited: the first live one in
 * the session (img-check-tree.c, restore-tree.c)
 * Return: its index, or -1 when there is none.
 */
int64_t cr_tree_helper_maker(const struct cr_model *m, uint32_t sid);

/**
 * cr_img_check_pages() - check one PAGES payload against @w->m
 *
 * Its owner must be an MM or a SHMEM of the model, the pages of an owner
 * together (those of address spaces first) and ascending; the range must
 * not wrap and must lie wholly in mappings that get page data
 * (cr_img_vma_filled()), or in the ranges of a SHMEM its mappings reach.
 * On success fills @w->pages.  Amortized O(1) per record: the cursor
 * only moves forward.
 *
 * Return: 0 or -EBADMSG with @e set.
 */
int cr_img_check_pages(struct cr_img_walk *w, const void *payload,
		       struct cr_err *e);

/**
 * cr_img_check_file_data() - check one FILE_DATA payload of @len bytes
 * against @w->m: a file with contents in the image, the records of a file
 * together, files ascending, pages ascending within its size and its
 * data_size; on success fills @w->fdata
 * Return: 0 or -EBADMSG with @e set.
 */
int cr_img_check_file_data(struct cr_img_walk *w, const void *payload,
			   uint64_t len, struct cr_err *e);

/**
 * cr_img_check_file_data_end() - the FILE_DATA records are over: each
 * file has all of its data_size
 * Return: 0 or -EBADMSG with @e set.
 */
int cr_img_check_file_data_end(struct cr_img_walk *w, struct cr_err *e);

/**
 * cr_img_check_ipc_data() - check one IPC_DATA payload of @len bytes
 * against @w->m, as cr_img_check_file_data() a FILE_DATA one (rec-ipc.c);
 * on success fills @w->idata
 * Return: 0 or -EBADMSG with @e set.
 */
int cr_img_check_ipc_data(struct cr_img_walk *w, const void *payload,
			  uint64_t len, struct cr_err *e);

/**
 * cr_img_check_ipc_data_end() - the IPC_DATA records are over: each
 * segment has all of its data_size
 * Return: 0 or -EBADMSG with @e set.
 */
int cr_img_check_ipc_data_end(struct cr_img_walk *w, struct cr_err *e);

/**
 * cr_img_vma_filled() - does the restore write page data of its address
 * space into @v? (private anonymous, heap, stack and private file
 * mappings; a SHMEM mapping's data are its object's)
 */
bool cr_img_vma_filled(const struct crfs_vma *v);

/**
 * cr_img_in_vma() - does [@addr, @addr + @len) lie inside one mapping of
 * @mm? (img-check-mm.c)
 */
bool cr_img_in_vma(const struct cr_mm *mm, uint64_t addr, uint64_t len);

/**
 * cr_img_held_index() - index the (file, fd table) of every descriptor of
 * the model, sorted, once (O(n log n)), for cr_img_held() (img-check.c).
 * Return: 0 or -ENOMEM with @e set.
 */
int cr_img_held_index(struct cr_chk *c, struct cr_err *e);

/**
 * cr_img_held() - has a descriptor of fd table @fdt (0: of any fd table)
 * the description @file? Needs cr_img_held_index() first.
 */
bool cr_img_held(const struct cr_chk *c, uint32_t file, uint32_t fdt);

#endif /* CR_IMG_WALK_H */
