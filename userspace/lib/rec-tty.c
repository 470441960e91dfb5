// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The state of a pseudo-terminal side in its FILE record (crfs.h): after
 * the path, ext_len bytes of struct crfs_file_tty.  Read, written and
 * printed here for rec-objects.c; what the values mean is
 * img-check-tty.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rec.h"

_Static_assert(sizeof(struct crfs_file_tty) % 8 == 0,
	       "crfs_file_tty is a multiple of 8 bytes");

int cr_tty_read(struct cr_file *f, const void *p, uint64_t len,
		const char **why)
{
	if (len != f->f.ext_len) {
		*why = "ext_len beyond the record";
		return -EBADMSG;
	}
	if (len != sizeof(struct crfs_file_tty)) {
		*why = "ext_len is not the size of a terminal's state";
		return -EBADMSG;
	}
	memcpy(&f->ev.tty, p, len);
	return 0;
}

struct iovec cr_tty_iov(const struct cr_file *f)
{
	return (struct iovec){ (void *)&f->ev.tty, sizeof(f->ev.tty) };
}

void cr_tty_print(struct cr_emit *o, const struct cr_file *fi)
{
	const struct crfs_file_tty *t = &fi->ev.tty;
	char cc[CRFS_TTY_NCCS * 3 + 1];

	if (fi->f.kind != CRFS_FILE_TTY)
		return;
	for (int i = 0; i < CRFS_TTY_NCCS; i++)
		snprintf(cc + 3 * i, sizeof(cc) - 3 * i, "%02x%s", t->cc[i],
			 i + 1 < CRFS_TTY_NCCS ? ":" : "");
	o->ops->str(o, "tty", t->type == CRFS_TTY_MASTER ? "master" :
			      t->type == CRFS_TTY_SLAVE ? "slave" :
			      t->type == CRFS_TTY_SHELL ? "shell" : "?");
	o->ops->u64(o, "index", t->index);
	o->ops->hex(o, "iflag", t->iflag);
	o->ops->hex(o, "oflag", t->oflag);
	o->ops->hex(o, "cflag", t->cflag);
	o->ops->hex(o, "lflag", t->lflag);
	o->ops->u64(o, "ispeed", t->ispeed);
	o->ops->u64(o, "ospeed", t->ospeed);
	o->ops->u64(o, "line", t->line);
	o->ops->str(o, "cc", cc);
	o->ops->u64(o, "rows", t->rows);
	o->ops->u64(o, "cols", t->cols);
	o->ops->u64(o, "xpixel", t->xpixel);
	o->ops->u64(o, "ypixel", t->ypixel);
	o->ops->u64(o, "pkt", t->pkt);
	o->ops->u64(o, "excl", t->excl);
	o->ops->u64(o, "locked", t->locked);
	o->ops->u64(o, "sid", t->sid);
	o->ops->u64(o, "pgrp", t->pgrp);
}
