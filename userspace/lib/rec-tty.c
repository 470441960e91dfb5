// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The state of a pseudo-terminal side in its FILE record (crfs.h): after
 * the path, ext_len bytes of struct crfs_file_tty, then in a master with
 * data queued in the pair a crfs_file_tty_queue, its bytes and zero
 * padding to 8, kept whole in f->pdata.  Read, written and
 * printed here for rec-objects.c; what the values mean is
 * img-check-tty.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"

_Static_assert(sizeof(struct crfs_file_tty) % 8 == 0,
	       "crfs_file_tty is a multiple of 8 bytes");

_Static_assert(sizeof(struct crfs_file_tty_queue) % 8 == 0,
	       "crfs_file_tty_queue is a multiple of 8 bytes");

uint64_t cr_tty_queue_len(const struct cr_file *f)
{
	const struct crfs_file_tty_queue *q = (const void *)f->pdata;

	if (f->f.kind != CRFS_FILE_TTY || !q)
		return 0;
	return sizeof(*q) + cr_pad8((uint64_t)q->in_len + q->out_len);
}

/* Why the queue @q of @len bytes (after the state) is malformed, or NULL. */
static const char *cr_tty_queue_why(const struct crfs_file_tty_queue *q,
				    uint64_t len)
{
	static const char zero[8];
	uint64_t dlen;

	if (len < sizeof(*q))
		return "ext_len is not the size of a terminal's state";
	dlen = (uint64_t)q->in_len + q->out_len;
	if (q->in_len > CRFS_TTY_QUEUE_MAX || q->out_len > CRFS_TTY_QUEUE_MAX ||
	    !dlen || len != sizeof(*q) + cr_pad8(dlen))
		return "a terminal queue whose lengths are 0, beyond "
		       "CRFS_TTY_QUEUE_MAX or not ext_len";
	if (q->flags || q->reserved)
		return "a terminal queue with flags or reserved not 0";
	if (memcmp((const char *)(q + 1) + dlen, zero, cr_pad8(dlen) - dlen))
		return "the padding after a terminal queue is not zero";
	return NULL;
}

int cr_tty_read(struct cr_file *f, const void *p, uint64_t len,
		const char **why)
{
	const size_t sz = sizeof(struct crfs_file_tty);

	if (len != f->f.ext_len) {
		*why = "ext_len beyond the record";
		return -EBADMSG;
	}
	if (len < sz) {
		*why = "ext_len is not the size of a terminal's state";
		return -EBADMSG;
	}
	memcpy(&f->ev.tty, p, sz);
	if (len == sz)
		return 0;
	*why = cr_tty_queue_why((const void *)((const char *)p + sz),
				len - sz);
	if (*why)
		return -EBADMSG;
	f->pdata = malloc(len - sz);
	if (!f->pdata)
		return -ENOMEM;
	memcpy(f->pdata, (const char *)p + sz, len - sz);
	return 0;
}

struct iovec cr_tty_iov(const struct cr_file *f)
{
	return (struct iovec){ (void *)&f->ev.tty, sizeof(f->ev.tty) };
}

struct iovec cr_tty_queue_iov(const struct cr_file *f)
{
	return (struct iovec){ f->pdata, cr_tty_queue_len(f) };
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
	if (fi->pdata) {
		const struct crfs_file_tty_queue *q = (const void *)fi->pdata;
		const uint8_t *d = (const uint8_t *)(q + 1);

		o->ops->u64(o, "in_len", q->in_len);
		o->ops->u64(o, "out_len", q->out_len);
		if (o->detail && q->in_len)
			o->ops->bytes(o, "in", d, q->in_len);
		if (o->detail && q->out_len)
			o->ops->bytes(o, "out", d + q->in_len, q->out_len);
	}
}
