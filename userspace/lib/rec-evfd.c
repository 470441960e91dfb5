// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The state of an event descriptor in its FILE record (crfs.h): after the
 * path, ext_len bytes: a crfs_file_eventfd, _signalfd or _timerfd, or the
 * crfs_epoll_tfd array of an epoll instance, or the watches of an
 * inotify instance (crfs_inotify_wd and a path each).  Read, written and printed
 * here for rec-objects.c; what the values mean is img-check.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"

/* The fixed size of @kind's state, 0 for an array (EPOLL) or none. */
static uint32_t cr_evfd_size(uint32_t kind)
{
	switch (kind) {
	case CRFS_FILE_EVENTFD:		return sizeof(struct crfs_file_eventfd);
	case CRFS_FILE_SIGNALFD:	return sizeof(struct crfs_file_signalfd);
	case CRFS_FILE_TIMERFD:		return sizeof(struct crfs_file_timerfd);
	}
	return 0;
}

_Static_assert(sizeof(struct crfs_file_eventfd) % 8 == 0 &&
	       sizeof(struct crfs_file_signalfd) % 8 == 0 &&
	       sizeof(struct crfs_file_timerfd) % 8 == 0 &&
	       sizeof(struct crfs_epoll_tfd) % 8 == 0 &&
	       sizeof(struct crfs_inotify_wd) % 8 == 0,
	       "an event state is not a multiple of 8 bytes");

int cr_inotify_index(struct cr_file *f, const char **why)
{
	const char *p = f->wbuf;
	uint64_t off = 0, len = f->wlen, n = 0;

	while (off < len) {
		const struct crfs_inotify_wd *w = (const void *)(p + off);
		uint64_t avail;

		if (len - off < sizeof(*w) || n >= CRFS_MAX_INOTIFY_WDS) {
			*why = "a watch beyond ext_len, or more than "
			       "CRFS_MAX_INOTIFY_WDS";
			return -EBADMSG;
		}
		avail = len - off - sizeof(*w);
		if (w->path_len > avail || !cr_rec_str(p + off + sizeof(*w),
				w->path_len, cr_pad8(w->path_len), CRFS_PATH_MAX)) {
			*why = "a watch with a bad path";
			return -EBADMSG;
		}
		off += sizeof(*w) + cr_pad8(w->path_len);
		n++;
	}
	free(f->wds);
	f->wds = calloc(n ? n : 1, sizeof(*f->wds));
	if (!f->wds)
		return -ENOMEM;
	f->nr_wds = n;
	for (off = 0, n = 0; off < len; n++) {
		const struct crfs_inotify_wd *w = (const void *)(p + off);

		f->wds[n].w = w;
		f->wds[n].path = p + off + sizeof(*w);
		off += sizeof(*w) + cr_pad8(w->path_len);
	}
	return 0;
}

/* The watches of inotify @f from the @len bytes at @p. */
static int cr_evfd_read_wds(struct cr_file *f, const void *p, uint64_t len,
			    const char **why)
{
	f->wbuf = malloc(len ? len : 1);
	if (!f->wbuf)
		return -ENOMEM;
	memcpy(f->wbuf, p, len);
	f->wlen = len;
	return cr_inotify_index(f, why);
}

int cr_evfd_read(struct cr_file *f, const void *p, uint64_t len,
		 const char **why)
{
	uint64_t n;

	if (len != f->f.ext_len) {
		*why = "ext_len beyond the record";
		return -EBADMSG;
	}
	if (!cr_file_event(&f->f)) {
		*why = len ? "state after the path of a file that is no event "
			     "descriptor" : NULL;
		return len ? -EBADMSG : 0;
	}
	if (f->f.kind == CRFS_FILE_INOTIFY)
		return cr_evfd_read_wds(f, p, len, why);
	if (f->f.kind != CRFS_FILE_EPOLL) {
		if (len != cr_evfd_size(f->f.kind)) {
			*why = "ext_len is not the size of its kind's state";
			return -EBADMSG;
		}
		memcpy(&f->ev, p, len);
		return 0;
	}
	n = len / sizeof(struct crfs_epoll_tfd);
	if (len % sizeof(struct crfs_epoll_tfd) || n > CRFS_MAX_EPOLL_TFDS) {
		*why = "ext_len is not a number of epoll targets up to "
		       "CRFS_MAX_EPOLL_TFDS";
		return -EBADMSG;
	}
	if (!n)
		return 0;
	f->tfds = malloc(len);
	if (!f->tfds)
		return -ENOMEM;
	memcpy(f->tfds, p, len);
	f->nr_tfds = n;
	return 0;
}

struct iovec cr_evfd_iov(const struct cr_file *f)
{
	if (f->f.kind == CRFS_FILE_INOTIFY)
		return (struct iovec){ f->wbuf, f->wlen };
	if (f->f.kind == CRFS_FILE_EPOLL)
		return (struct iovec){ f->tfds,
				       f->nr_tfds * sizeof(*f->tfds) };
	return (struct iovec){ (void *)&f->ev, cr_evfd_size(f->f.kind) };
}

void cr_evfd_print(struct cr_emit *o, const struct cr_file *fi)
{
	switch (fi->f.kind) {
	case CRFS_FILE_EVENTFD:
		o->ops->u64(o, "count", fi->ev.efd.count);
		o->ops->u64(o, "semaphore", fi->ev.efd.semaphore);
		break;
	case CRFS_FILE_SIGNALFD:
		o->ops->hex(o, "sigmask", fi->ev.sfd.sigmask);
		break;
	case CRFS_FILE_TIMERFD:
		o->ops->s64(o, "clock", fi->ev.tfd.clock);
		o->ops->hex(o, "settime_flags", fi->ev.tfd.settime_flags);
		o->ops->u64(o, "ticks", fi->ev.tfd.ticks);
		o->ops->u64(o, "value_ns", fi->ev.tfd.value_ns);
		o->ops->u64(o, "interval_ns", fi->ev.tfd.interval_ns);
		break;
	case CRFS_FILE_EPOLL:
		o->ops->open(o, "targets", true);
		for (uint32_t i = 0; i < fi->nr_tfds; i++) {
			const struct crfs_epoll_tfd *t = &fi->tfds[i];

			o->ops->open(o, NULL, false);
			o->ops->s64(o, "fd", t->fd);
			o->ops->hex(o, "events", t->events);
			o->ops->hex(o, "data", t->data);
			o->ops->u64(o, "target_id", t->target_id);
			if (t->via)
				o->ops->s64(o, "via_fd", (int64_t)t->via - 1);
			o->ops->close(o, false);
		}
		o->ops->close(o, true);
		break;
	case CRFS_FILE_INOTIFY:
		o->ops->open(o, "watches", true);
		for (uint32_t i = 0; i < fi->nr_wds; i++) {
			const struct crfs_inotify_wd *w = fi->wds[i].w;

			o->ops->open(o, NULL, false);
			o->ops->s64(o, "wd", w->wd);
			o->ops->hex(o, "mask", w->mask);
			o->ops->hex(o, "dev", w->dev);
			o->ops->u64(o, "ino", w->ino);
			o->ops->str(o, "path", fi->wds[i].path);
			if (w->via)
				o->ops->u64(o, "via", w->via);
			o->ops->close(o, false);
		}
		o->ops->close(o, true);
		break;
	}
}
