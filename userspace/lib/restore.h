/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inside the restore side of the engine: one process being recreated.
 *
 * restore.c creates the process and drives it, restore-task.c is what the
 * new process does for itself (in C before its memory is swapped, through
 * injected calls after), restore-mm.c swaps its memory for the image's.
 */
#ifndef CR_RESTORE_H
#define CR_RESTORE_H

#include <stdint.h>
#include <sys/types.h>

#include "cr-internal.h"
#include "task-img.h"
#include "arch.h"

/* The scratch area: the injection gadget, then data for injected calls. */
#define CR_RST_SCRATCH_PAGES	3
#define CR_RST_DATA_OFF		64

/* One process being restored, driven by the calling thread (its tracer). */
struct cr_rst {
	pid_t			pid;
	const char		*cgdir;
	struct cr_ring		*ring;		/* the image: aborts come by it */
	struct cr_task_img	*t;
	uint32_t		page_size;
	struct cr_infect	inf;		/* injection state */
	unsigned long		scratch;	/* scratch area, 0: none */
	size_t			scratch_size;
	uint64_t		page_bytes;	/* page data written so far */
	const struct cr_vma_img	*wr_vma;	/* last mapping made writable */
};

/**
 * cr_rst_aborted() - has the restore been called off (cr_ring_aborted())?
 *
 * Every step that does not wait on the ring polls it, so that a kill,
 * the writer gone or an unmount ends the restore within one injected call.
 *
 * Return: 0, or -errno with @e set naming the process.
 */
int cr_rst_aborted(const struct cr_rst *r, struct cr_err *e);

/* Arguments of an injected call, missing ones zero. */
#define CR_ARGS(...)	((const unsigned long[6]){ __VA_ARGS__ })

/**
 * cr_rst_syscall() - make the process run one system call
 * @r:   the process, stopped, with @r->inf ready
 * @nr:  syscall number
 * @a:   arguments (CR_ARGS(...))
 * @ret: receives the raw result, -errno on failure
 *
 * Return: 0 when the call ran, or -errno with @e set when the process
 * could not be driven.
 */
int cr_rst_syscall(struct cr_rst *r, long nr, const unsigned long a[6],
		   long *ret, struct cr_err *e);

/**
 * cr_rst_poke() - copy @len bytes into the scratch data area at @off
 * @addr: receives the address of the copy in the process
 *
 * Return: 0 or -errno with @e set.
 */
int cr_rst_poke(struct cr_rst *r, size_t off, const void *buf, size_t len,
		unsigned long *addr, struct cr_err *e);

/* restore-read.c */

/**
 * cr_rst_read() - read and check an image up to its first PAGES record
 * @w:   receives the walker (cr_img_walk_fini() it, even on failure), with
 *       the process in @w->t
 * @img: the image stream
 *
 * The header, whether this machine can run the image (cr_img_check_hdr()),
 * the records of its process and every rule the image alone decides
 * (cr_img_check_task()): what `crfs-image verify` refuses, the restore
 * refuses here, before anything is created, with the same reason.
 *
 * Return: 0 or -errno with @e set.
 */
int cr_rst_read(struct cr_img_walk *w, struct cr_img *img, struct cr_err *e);

/**
 * cr_rst_next_pages() - the next PAGES record of the process, checked
 * Return: CR_WALK_PAGES (in @w->pages), CR_WALK_END (the image is whole),
 * or -errno with @e set.
 */
int cr_rst_next_pages(struct cr_img_walk *w, struct cr_err *e);

/* restore-mm.c */

struct cr_proc_map;

/**
 * cr_rst_scratch_addr() - where the scratch area of a restore can go
 * @t:      the image's process (its mappings, sorted)
 * @cur:    the new process's mappings now, sorted (cr_proc_layout())
 * @nr_cur: how many
 * @size:   the scratch area's size
 *
 * Somewhere neither layout has anything, with a stack guard gap's worth
 * of room on both sides so that nothing grows into it.  Linear in the
 * number of mappings, whatever their layout.
 *
 * Return: the address, or 0 when there is no such room.
 */
unsigned long cr_rst_scratch_addr(const struct cr_task_img *t,
				  const struct cr_proc_map *cur, int nr_cur,
				  size_t size);

/**
 * cr_rst_mm_check() - check the files the image maps before anything exists
 * Return: 0 or -errno with @e set naming the mapping and file.
 */
int cr_rst_mm_check(const struct cr_task_img *t, struct cr_err *e);

/**
 * cr_rst_mm_swap() - replace the memory of the stopped process by the
 * image's mappings (no page data yet), leaving the scratch area in place
 * Return: 0 or -errno with @e set.
 */
int cr_rst_mm_swap(struct cr_rst *r, struct cr_err *e);

/**
 * cr_rst_mm_pages() - write the data of one CRFS_REC_PAGES record
 * @pg: the record, checked by cr_img_check_pages()
 *
 * Return: 0 or -errno with @e set.
 */
int cr_rst_mm_pages(struct cr_rst *r, const struct cr_img_pages *pg,
		    struct cr_err *e);

/**
 * cr_rst_mm_finish() - final protections, PR_SET_MM_MAP (layout, auxv, exe)
 * Return: 0 or -errno with @e set.
 */
int cr_rst_mm_finish(struct cr_rst *r, struct cr_err *e);

/**
 * cr_rst_mm_unmap_scratch() - drop the scratch area, from a syscall
 * instruction of the restored memory
 * Return: 0 or -errno with @e set.
 */
int cr_rst_mm_unmap_scratch(struct cr_rst *r, struct cr_err *e);

/* restore-task.c */

/* What the new process says about its own restore, through its socket. */
struct cr_rst_res {
	int32_t		step;		/* enum cr_rst_step, 0: done */
	int32_t		err;		/* positive errno */
	int32_t		idx;		/* fd, signal, limit, ... */
	int32_t		__pad;
	uint64_t	v1, v2;		/* found values (dev, ino) */
};

/* Everything the new process needs, ready in memory before it exists. */
struct cr_rst_child {
	const struct cr_task_img	*t;
	int				sock;	 /* its end of the socket */
	int				sock_fd; /* where to move it */
};

/**
 * cr_rst_task_check() - check the image's descriptors before anything
 * exists, and fill @c
 * Return: 0 or -errno with @e set naming the descriptor and file.
 */
int cr_rst_task_check(const struct cr_task_img *t, struct cr_rst_child *c,
		      struct cr_err *e);

/**
 * cr_rst_task_child() - the new process restores its own state and stops
 *
 * Runs in the child of clone3(), in a copy of a possibly multithreaded
 * caller: raw system calls only.  Waits for a byte on its socket (its
 * tracer is attached), restores descriptors, cwd, umask, limits, signal
 * actions, name and personality, blocks all signals, reports on the
 * socket and stops itself with SIGSTOP.  Exits on failure.
 */
void cr_rst_task_child(const struct cr_rst_child *c)
	__attribute__((noreturn));

/**
 * cr_rst_task_reason() - put the child's report @res into words
 * Return: -errno with @e set, or 0 if @res says done.
 */
int cr_rst_task_reason(pid_t pid, const struct cr_task_img *t,
		       const struct cr_rst_res *res, struct cr_err *e);

/**
 * cr_rst_task_late() - what needs the new memory or drops privileges:
 * chroot, rseq, sigaltstack, pending signals, credentials, dumpable
 * Return: 0 or -errno with @e set.
 */
int cr_rst_task_late(struct cr_rst *r, struct cr_err *e);

#endif /* CR_RESTORE_H */
