// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The state of a unix socket in its FILE record (crfs.h): after the path,
 * ext_len bytes: a crfs_file_unix, its name, then its queued messages
 * (crfs_unix_msg and data each).  Read and printed here for
 * rec-objects.c, with the look-ups the dump, the restore and img-check.c
 * share; what the values mean is img-check-unix.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"

_Static_assert(sizeof(struct crfs_file_unix) % 8 == 0 &&
	       sizeof(struct crfs_unix_msg) % 8 == 0,
	       "a unix socket's state is not a multiple of 8 bytes");

int cr_unix_read(struct cr_file *f, const void *p, uint64_t len,
		 const char **why)
{
	const struct crfs_file_unix *u = p;
	uint64_t off, bytes = 0;

	if (len < sizeof(*u)) {
		*why = "ext_len is shorter than a unix socket's state";
		return -EBADMSG;
	}
	off = sizeof(*u) + cr_pad8(u->name_len);
	if (u->name_len > CRFS_UNIX_NAME_MAX || off > len ||
	    u->nr_msgs > CRFS_UNIX_MSGS_MAX) {
		*why = "a unix socket's name beyond ext_len, or more than "
		       "CRFS_UNIX_MSGS_MAX messages";
		return -EBADMSG;
	}
	for (uint32_t i = 0; i < u->nr_msgs; i++) {
		const struct crfs_unix_msg *m = (const void *)
						((const char *)p + off);

		if (len - off < sizeof(*m) ||
		    len - off - sizeof(*m) < cr_pad8(m->len)) {
			*why = "a queued message beyond ext_len";
			return -EBADMSG;
		}
		bytes += m->len;
		off += sizeof(*m) + cr_pad8(m->len);
	}
	/* An accepted or waiting connection: its listener last. */
	if (u->flags & (CRFS_UNIX_F_ACCEPTED | CRFS_UNIX_F_WAITING))
		off += sizeof(struct crfs_unix_conn);
	if (off != len || bytes != u->queued) {
		*why = "a unix socket's messages are not ext_len bytes, or "
		       "not queued bytes long";
		return -EBADMSG;
	}
	f->ubuf = malloc(len);
	if (!f->ubuf)
		return -ENOMEM;
	memcpy(f->ubuf, p, len);
	f->ulen = len;
	return 0;
}

const struct cr_file *cr_unix_find(const struct cr_model *m, uint64_t ino)
{
	for (uint32_t i = 0; i < m->nr_files; i++)
		if (m->files[i].f.kind == CRFS_FILE_UNIX && m->files[i].ubuf &&
		    cr_unix_of(&m->files[i])->ino == ino)
			return &m->files[i];
	return NULL;
}

struct crfs_unix_conn *cr_unix_conn_of(const struct cr_file *f)
{
	const struct crfs_file_unix *u = cr_unix_of(f);

	if (!u || !(u->flags & (CRFS_UNIX_F_ACCEPTED | CRFS_UNIX_F_WAITING)) ||
	    f->ulen < sizeof(*u) + sizeof(struct crfs_unix_conn))
		return NULL;
	return (struct crfs_unix_conn *)((char *)f->ubuf + f->ulen -
					 sizeof(struct crfs_unix_conn));
}

/* What each state is called. */
static const char *const cr_unix_states[] = {
	[CRFS_UNIX_UNCONN]	= "unconnected",
	[CRFS_UNIX_LISTEN]	= "listening",
	[CRFS_UNIX_CONNECTED]	= "connected",
};

void cr_unix_print(struct cr_emit *o, const struct cr_file *fi)
{
	const struct crfs_file_unix *u = cr_unix_of(fi);
	const char *p;

	if (fi->f.kind != CRFS_FILE_UNIX || !u)
		return;
	o->ops->u64(o, "type", u->type);
	o->ops->str(o, "state", u->state < 4 && cr_unix_states[u->state] ?
		    cr_unix_states[u->state] : "?");
	o->ops->u64(o, "sock_ino", u->ino);
	o->ops->u64(o, "peer_ino", u->peer_ino);
	o->ops->u64(o, "peer_id", u->peer_id);
	o->ops->hex(o, "shutdown", u->shutdown);
	o->ops->u64(o, "sndbuf", u->sndbuf);
	o->ops->u64(o, "rcvbuf", u->rcvbuf);
	o->ops->hex(o, "opts", u->opts);
	if (u->flags)
		o->ops->hex(o, "flags", u->flags);
	o->ops->s64(o, "peek_off", u->peek_off);
	o->ops->u64(o, "rcvtimeo_ns", u->rcvtimeo_ns);
	o->ops->u64(o, "sndtimeo_ns", u->sndtimeo_ns);
	if (u->name_len) {
		const char *n = (const char *)(u + 1);
		char name[CRFS_UNIX_NAME_MAX + 2];

		/* An abstract name as ss(8) shows it: '@' for its 0 byte. */
		snprintf(name, sizeof(name), "%s%.*s", n[0] ? "" : "@",
			 (int)u->name_len - 1, n + (n[0] ? 0 : 1));
		if (n[0])
			snprintf(name, sizeof(name), "%s", n);
		o->ops->str(o, "name", name);
		o->ops->hex(o, "name_dev", u->name_dev);
		o->ops->u64(o, "name_ino", u->name_ino);
		o->ops->oct(o, "name_mode", u->name_mode);
		o->ops->u64(o, "name_uid", u->name_uid);
		o->ops->u64(o, "name_gid", u->name_gid);
	}
	if (u->state == CRFS_UNIX_LISTEN)
		o->ops->u64(o, "backlog", u->backlog);
	if (cr_unix_conn_of(fi)) {
		o->ops->u64(o, "listen_ino", cr_unix_conn_of(fi)->listen_ino);
		o->ops->u64(o, "listen_id", cr_unix_conn_of(fi)->listen_id);
		o->ops->u64(o, "seq", cr_unix_conn_of(fi)->seq);
	}
	o->ops->u64(o, "queued", u->queued);
	if (u->cred_pid) {
		o->ops->s64(o, "cred_pid", u->cred_pid);
		o->ops->u64(o, "cred_uid", u->cred_uid);
		o->ops->u64(o, "cred_gid", u->cred_gid);
	}
	o->ops->open(o, "messages", true);
	p = (const char *)(u + 1) + cr_pad8(u->name_len);
	for (uint32_t i = 0; i < u->nr_msgs; i++) {
		const struct crfs_unix_msg *m = (const void *)p;

		o->ops->open(o, NULL, false);
		o->ops->u64(o, "len", m->len);
		o->ops->close(o, false);
		p += sizeof(*m) + cr_pad8(m->len);
	}
	o->ops->close(o, true);
}
