// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The state of a pipe or FIFO in its FILE record (crfs.h): after the
 * path, ext_len bytes: a crfs_file_pipe, then the bytes buffered in the
 * pipe, zero-padded to 8.  Read, written and printed here for
 * rec-objects.c; what the values mean is img-check-pipe.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"

_Static_assert(sizeof(struct crfs_file_pipe) % 8 == 0,
	       "the pipe state is not a multiple of 8 bytes");

int cr_pipe_read(struct cr_file *f, const void *p, uint64_t len,
		 const char **why)
{
	static const char zero[8];
	const struct crfs_file_pipe *ps = p;
	uint64_t dlen;

	if (len != f->f.ext_len || len < sizeof(*ps)) {
		*why = "ext_len is not the size of a pipe's state";
		return -EBADMSG;
	}
	memcpy(&f->ev.pipe, ps, sizeof(*ps));
	dlen = f->ev.pipe.data_len;
	if (dlen > CRFS_PIPE_DATA_MAX ||
	    len != sizeof(*ps) + cr_pad8(dlen)) {
		*why = "data_len beyond ext_len or CRFS_PIPE_DATA_MAX";
		return -EBADMSG;
	}
	if (memcmp((const char *)(ps + 1) + dlen, zero, cr_pad8(dlen) - dlen)) {
		*why = "the padding after a pipe's data is not zero";
		return -EBADMSG;
	}
	if (!dlen)
		return 0;
	f->pdata = malloc(dlen);
	if (!f->pdata)
		return -ENOMEM;
	memcpy(f->pdata, ps + 1, dlen);
	return 0;
}

int cr_pipe_iov(const struct cr_file *f, struct iovec iov[3])
{
	static const char zero[8];
	uint32_t dlen = f->ev.pipe.data_len;

	iov[0] = (struct iovec){ (void *)&f->ev.pipe, sizeof(f->ev.pipe) };
	iov[1] = (struct iovec){ f->pdata, dlen };
	iov[2] = (struct iovec){ (void *)zero, cr_pad8(dlen) - dlen };
	return sizeof(f->ev.pipe) + cr_pad8(dlen);
}

void cr_pipe_print(struct cr_emit *o, const struct cr_file *fi)
{
	const struct crfs_file_pipe *p = &fi->ev.pipe;

	if (!cr_file_pipe(&fi->f))
		return;
	if (fi->f.kind == CRFS_FILE_PIPE)
		o->ops->u64(o, "peer_id", p->peer_id);
	if (o->detail || p->pflags)
		o->ops->hex(o, "pflags", p->pflags);
	o->ops->u64(o, "pipe_size", p->size);
	o->ops->u64(o, "data_len", p->data_len);
	if (o->detail && p->data_len)
		o->ops->bytes(o, "data", fi->pdata, p->data_len);
}
