// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A transfer's stream side (cr-xfer.h): the reads of a checkpoint and the
 * writes of a restore, each under @io_lock, through the ring; the verdict
 * a restore's last write waits for.  The transfer's life (new, begin,
 * call off, end, result) is in xfer.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cr.h"
#include "cr-frame.h"
#include "cr-ring.h"
#include "cr-xfer.h"
#include "xfer-int.h"

/* Has the transfer ended (or begun to)? */
static bool xfer_over(struct cr_xfer *x)
{
	bool over;

	pthread_mutex_lock(&x->lock);
	over = x->ending;
	pthread_mutex_unlock(&x->lock);
	return over;
}

/*
 * What a reader gets once the stream ended (or its ring was handed back):
 * 0 (complete) or -EIO.
 */
static int xfer_read_result(struct cr_xfer *x, ssize_t n)
{
	int ret;

	pthread_mutex_lock(&x->lock);
	ret = x->off || (n <= 0 && (!x->done || x->result)) ? -EIO : 0;
	pthread_mutex_unlock(&x->lock);
	return ret;
}

/*
 * Take @io_lock, asking @wait every slice: the read or write in it may
 * wait on another process for as long as that one wishes (a write() to
 * the file of CRFS_IOC_IMAGE_TO).  Return: 0, or @wait's errno.
 */
static int xfer_io_lock(struct cr_xfer *x, cr_xfer_wait_fn wait, void *arg)
{
	struct timespec until;
	int ret;

	for (;;) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += CR_XFER_SLICE_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (pthread_mutex_timedlock(&x->io_lock, &until) != ETIMEDOUT)
			return 0;
		ret = wait ? wait(x, arg) : 0;
		if (ret)
			return ret;
	}
}

/*
 * The next bytes of a checkpoint, handed to @take where they lie.  A call
 * waits for as much as was asked (or the end): fewer, larger replies,
 * while the engine fills the ring behind it.  At most half the ring is
 * asked for at once: the engine's record fits next to it.
 */
static ssize_t xfer_peek(struct cr_xfer *x, size_t len, cr_xfer_take_fn take,
			 void *take_arg, cr_xfer_wait_fn wait, void *arg)
{
	size_t want = len;
	ssize_t n;
	void *p;
	int ret;

	if (!x->dump || xfer_over(x))
		return -EBADF;
	/* @take may let the reader end the transfer: hold it till we are out. */
	cr_xfer_get(x);
	ret = xfer_io_lock(x, wait, arg);
	if (ret) {
		cr_xfer_put(x);
		return -ret;
	}
	if (!x->ring) {		/* over, and handed back: cr_xfer_reap() */
		n = xfer_read_result(x, 0);
		goto out;
	}
	if (want > cr_ring_size(x->ring) / 2)
		want = cr_ring_size(x->ring) / 2;
	while ((n = cr_ring_peek_wait(x->ring, want, &p,
				      CR_XFER_SLICE_MS)) == -ETIMEDOUT) {
		ret = wait ? wait(x, arg) : 0;
		if (ret) {
			n = -ret;
			goto out;
		}
	}
	ret = xfer_read_result(x, n);
	if (ret || n <= 0) {
		n = ret;	/* 0: the end of the image */
		goto out;
	}
	if ((size_t)n > len)
		n = len;
	__atomic_add_fetch(&x->moved, n, __ATOMIC_RELAXED);
	take(take_arg, p, n);
	cr_ring_consume(x->ring, n);
out:
	pthread_mutex_unlock(&x->io_lock);
	cr_xfer_put(x);
	return n;
}

ssize_t cr_xfer_peek(struct cr_xfer *x, size_t len, cr_xfer_take_fn take,
		     cr_xfer_wait_fn wait, void *arg)
{
	return xfer_peek(x, len, take, arg, wait, arg);
}

/* cr_xfer_read()'s take: a copy. */
static void xfer_copy_out(void *buf, const void *p, size_t len)
{
	memcpy(buf, p, len);
}

ssize_t cr_xfer_read(struct cr_xfer *x, void *buf, size_t len,
		     cr_xfer_wait_fn wait, void *arg)
{
	return xfer_peek(x, len, xfer_copy_out, buf, wait, arg);
}

/*
 * cr_xfer_read_to() writes so much at a time, and the engine fills the
 * rest of the ring meanwhile (the ring holds four times as much).
 */
#ifndef CR_XFER_TO_CHUNK
#define CR_XFER_TO_CHUNK	(1U << 20)
#endif

/* cr_xfer_read_to()'s take: a write() of everything, or its errno. */
struct xfer_to {
	int	fd;
	int	err;
};

static void xfer_write_out(void *arg, const void *p, size_t len)
{
	struct xfer_to *to = arg;

	while (len && !to->err) {
		ssize_t n = write(to->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			to->err = n < 0 ? errno : EIO;
			break;
		}
		p = (const char *)p + n;
		len -= n;
	}
}

int cr_xfer_read_to(struct cr_xfer *x, int fd, cr_xfer_wait_fn wait,
		    void *arg, bool *fd_failed)
{
	struct xfer_to to = { .fd = fd };
	ssize_t n;
	int ret;

	*fd_failed = false;
	do {
		n = xfer_peek(x, CR_XFER_TO_CHUNK, xfer_write_out, &to, wait,
			      arg);
		if (to.err) {
			*fd_failed = true;
			return -to.err;
		}
		/* Between chunks too: a caller interrupted or killed. */
		if (n > 0 && wait && (ret = wait(x, arg)))
			return -ret;
	} while (n > 0);
	return n;
}

/*
 * Why a write of @len bytes cannot go into the ring, which said @err: the
 * restore's error, or the restore is done and the bytes come after its
 * trailer.  Only a ring shut (EPIPE) means the restore is ending.
 */
static int xfer_write_err(struct cr_xfer *x, int err, size_t len)
{
	int ret;

	if (err != EPIPE) {
		cr_xfer_report(x, err, "%s: a write of %zu bytes cannot go into the ring: %s",
			    x->name, len, strerror(err));
		return -err;
	}
	cr_xfer_wait_done(x, -1);	/* the ring is shut: it is ending */
	pthread_mutex_lock(&x->lock);
	ret = x->result;
	pthread_mutex_unlock(&x->lock);
	if (ret)
		return ret;
	cr_xfer_report(x, EBADMSG,
		    "%s: %zu byte%s written after the image's trailer %s ignored: the restore is done and stands",
		    x->name, len, len == 1 ? "" : "s", len == 1 ? "was" : "were");
	return -EBADMSG;
}

/* Has the restore's result come (the engine is done)? */
static bool xfer_done(struct cr_xfer *x)
{
	bool done;

	pthread_mutex_lock(&x->lock);
	done = x->done;
	pthread_mutex_unlock(&x->lock);
	return done;
}

/*
 * The restore's verdict on what was written, for the write that carried
 * the trailer (or any write, once the framing was lost): 0 when the
 * engine wants more bytes, else its result.  @wait is asked but not
 * obeyed: it may call the restore off, and then the verdict comes soon.
 */
static int xfer_verdict(struct cr_xfer *x, cr_xfer_wait_fn wait, void *arg)
{
	int ret;

	while ((ret = cr_ring_wait_starved(x->ring,
					   CR_XFER_SLICE_MS)) == -ETIMEDOUT)
		if (wait)
			wait(x, arg);
	if (!ret)
		return 0;
	cr_xfer_wait_done(x, -1);	/* called off or finished: soon */
	pthread_mutex_lock(&x->lock);
	ret = x->result;
	pthread_mutex_unlock(&x->lock);
	return ret;
}

/* Feed the restore @len bytes that @fill puts in place. */
static ssize_t xfer_write(struct cr_xfer *x, size_t len, cr_xfer_fill_fn fill,
			  void *fill_arg, cr_xfer_wait_fn wait, void *arg)
{
	void *room;
	ssize_t n;
	int state, err;

	if (x->dump || xfer_over(x))
		return -EBADF;
	cr_xfer_get(x);
	pthread_mutex_lock(&x->io_lock);
	/* Done, or handed back: no byte goes in after the verdict. */
	if (!x->ring || xfer_done(x)) {
		n = xfer_write_err(x, EPIPE, len);
		goto out;
	}
	if (len > cr_ring_size(x->ring) - CR_RING_REC) {
		cr_xfer_report(x, E2BIG,
			    "%s: a write of %zu bytes: one write takes at most %zu",
			    x->name, len, cr_ring_size(x->ring) - CR_RING_REC);
		n = -E2BIG;
		goto out;
	}
	while (!(room = cr_ring_reserve_wait(x->ring, len, CR_XFER_SLICE_MS)) &&
	       errno == ETIMEDOUT) {
		/* Nothing of this write went in: it can be made again. */
		err = wait ? wait(x, arg) : 0;
		if (err) {
			n = -err;
			goto out;
		}
	}
	if (!room) {
		n = xfer_write_err(x, errno, len);
		goto out;
	}
	n = fill(fill_arg, room, len);
	if (n <= 0) {
		/* Nothing was committed: the write can be made again. */
		err = n < 0 ? (int)-n : EIO;
		cr_xfer_report(x, err, "%s: the %zu bytes written could not be taken: %s",
			    x->name, len, n < 0 ? strerror(err) :
			    "none came");
		n = -err;
		goto out;
	}
	if ((size_t)n > len)
		n = len;
	state = cr_img_frame_feed(&x->frame, room, n);
	cr_ring_commit(x->ring, n);
	__atomic_add_fetch(&x->moved, n, __ATOMIC_RELAXED);
	if (state == CR_FRAME_END || state == CR_FRAME_LOST) {
		err = xfer_verdict(x, wait, arg);
		if (err)
			n = err;
	}
out:
	pthread_mutex_unlock(&x->io_lock);
	cr_xfer_put(x);
	return n;
}

ssize_t cr_xfer_write_in(struct cr_xfer *x, size_t len, cr_xfer_fill_fn fill,
			 cr_xfer_wait_fn wait, void *arg)
{
	return xfer_write(x, len, fill, arg, wait, arg);
}

/* cr_xfer_write()'s fill: a copy. */
struct xfer_copy {
	const void	*buf;
};

static ssize_t xfer_copy_in(void *arg, void *room, size_t len)
{
	struct xfer_copy *c = arg;

	memcpy(room, c->buf, len);
	return len;
}

ssize_t cr_xfer_write(struct cr_xfer *x, const void *buf, size_t len,
		      cr_xfer_wait_fn wait, void *arg)
{
	struct xfer_copy c = { .buf = buf };

	return xfer_write(x, len, xfer_copy_in, &c, wait, arg);
}
