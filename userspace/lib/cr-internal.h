/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inside the engine: the in-memory form of one process's image, shared by
 * the dump side (collect, then write) and the restore side (read, then
 * apply), and the per-resource entry points.
 */
#ifndef CR_INTERNAL_H
#define CR_INTERNAL_H

#include <stdint.h>
#include <sys/types.h>
#include <linux/crfs.h>

#include "cr.h"
#include "cr-image.h"

struct cr_vma_img {
	struct crfs_vma	v;
	char		*path;		/* NULL for anonymous */
};

struct cr_fd_img {
	struct crfs_fd	f;
	char		*path;
};

/* Everything of one process except its page data. */
struct cr_task_img {
	struct crfs_task	task;
	struct crfs_creds	creds;
	uint32_t		*groups;	/* creds.ngroups */
	char			*cwd, *root;
	struct crfs_fs		fs;		/* their identity; lengths unused */
	struct crfs_rlimits	rlim;
	struct crfs_sigacts	sigacts;
	struct crfs_sigstate	sigstate;
	struct crfs_sigpending	*pending;	/* task.nr_pending */
	struct crfs_regs	regs;
	void			*xstate;	/* hdr.xstate_size bytes */
	uint32_t		xstate_size;
	struct crfs_mm		mm;
	char			*exe;
	struct cr_vma_img	*vmas;		/* task.nr_vmas, sorted */
	struct cr_fd_img	*fds;		/* task.nr_fds, sorted by fd */
};

/* Free everything a cr_task_img points to (not @t itself). */
void cr_task_img_free(struct cr_task_img *t);

/* util.c */

/* Read a whole small file (procfs) into a malloc'd NUL-terminated string. */
char *cr_read_file(const char *path, size_t *lenp);
/* read()/write() all of @len, retrying on EINTR and short counts. */
ssize_t cr_read_full(int fd, void *buf, size_t len);
ssize_t cr_write_full(int fd, const void *buf, size_t len);
ssize_t cr_writev_full(int fd, struct iovec *iov, int iovcnt);

#endif /* CR_INTERNAL_H */
