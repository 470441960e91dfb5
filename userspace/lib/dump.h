/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inside the dump: the handle shared by dump.c (orchestration) and the
 * per-resource collectors dump-mm.c, dump-files.c and dump-sig.c.
 */
#ifndef CR_DUMP_H
#define CR_DUMP_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "cr-internal.h"
#include "arch.h"

/* Which pages of a VMA hold data the image must carry. */
enum cr_dump_pages {
	CR_PAGES_NONE,		/* shared file, vdso, vvar, vsyscall */
	CR_PAGES_ANON,		/* private anon: present or swapped, not zero */
	CR_PAGES_COW,		/* private file: anonymous copies only */
	CR_PAGES_SHARED,	/* shared anon: present */
};

/* One checkpoint in progress: a single seized process. */
struct cr_dump {
	char			cgdir[PATH_MAX];
	pid_t			pid;
	pid_t			tracer;		/* gettid() of cr_dump_begin */
	int			seized;
	int			infected;	/* inf holds the saved regs */
	int			sigmask_saved;
	uint64_t		sigmask;	/* blocked, as seized */
	struct cr_infect	inf;
	uint64_t		rseq_addr;	/* rseq area, 0 if none */
	uint32_t		rseq_len;
	uint8_t			rseq_saved[64];	/* its bytes as seized */
	struct cr_task_img	t;
	uint8_t			*pages;		/* enum cr_dump_pages per VMA */
};

/**
 * cr_dump_mm() - collect the mm fields, auxv, exe and VMAs from /proc
 *
 * Refuses (EOPNOTSUPP) mappings the engine cannot restore, naming the pid,
 * the address range and the path.
 *
 * Return: 0 or -errno with @e set.
 */
int cr_dump_mm(struct cr_dump *d, struct cr_err *e);

/**
 * cr_dump_vdso() - the [vdso] VMA of the collected ones, or NULL
 */
const struct crfs_vma *cr_dump_vdso(const struct cr_dump *d);

/**
 * cr_dump_write_pages() - write the CRFS_REC_PAGES records of the task
 *
 * The task must be stopped.  Reads only pages that hold data (pagemap),
 * in address order, with process_vm_readv or /proc/PID/mem.
 *
 * Return: 0 or -errno with @e set.
 */
int cr_dump_write_pages(struct cr_dump *d, struct cr_img *img,
			struct cr_err *e);

/**
 * cr_dump_files() - collect the descriptors of /proc/PID/fd
 *
 * Refuses (EOPNOTSUPP) everything but regular files and a few character
 * devices, naming the pid, the fd and what it is.
 *
 * Return: 0 or -errno with @e set.
 */
int cr_dump_files(struct cr_dump *d, struct cr_err *e);

/**
 * cr_dump_sigpending() - collect the queued signals of a stopped task
 * Return: 0 or -errno with @e set.
 */
int cr_dump_sigpending(struct cr_dump *d, struct cr_err *e);

/**
 * cr_dump_sigacts() - collect dispositions and the altstack by injection
 * @scratch: a writable area mapped in the task
 * @exec:    it is executable too: the calls may run there in one batch
 *
 * Return: 0 or -errno with @e set.
 */
int cr_dump_sigacts(struct cr_dump *d, unsigned long scratch, bool exec,
		    struct cr_err *e);

#endif /* CR_DUMP_H */
