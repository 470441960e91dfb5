/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inside the engine: what every part of it uses.
 */
#ifndef CR_INTERNAL_H
#define CR_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <linux/crfs.h>

#include "cr.h"
#include "cr-image.h"

/*
 * One past the highest record type, for img-frame.c, which follows only
 * the framing of a stream: a type at or above it is one the engine
 * refuses.  Types between CRFS_REC_NR and CRFS_REC_ARCH_BASE are refused
 * by the engine too, which is all the framing needs to be right.
 */
#define CRFS_REC_MAX		CRFS_REC_ARCH_END

/* util.c */

/* Read a whole small file (procfs) into a malloc'd NUL-terminated string. */
/* Does this process have capability @cap in its effective set? */
bool cr_capable(int cap);
char *cr_read_file(const char *path, size_t *lenp);
/* read()/write() all of @len, retrying on EINTR and short counts. */
ssize_t cr_read_full(int fd, void *buf, size_t len);
ssize_t cr_write_full(int fd, const void *buf, size_t len);
ssize_t cr_writev_full(int fd, struct iovec *iov, int iovcnt);

#endif /* CR_INTERNAL_H */
