// SPDX-License-Identifier: GPL-2.0
/*
 * The image file: a non-seekable stream between a reader or writer and an
 * engine thread, through a ring (cr-ring.h).  Memory does not grow with the
 * image: the ring holds CRFS_RING_SIZE bytes and each request moves at most
 * CRFS_IO_MAX.  Page data is copied once on our side: the engine reads a
 * process's pages straight into the ring and a read() is answered from
 * there; a write() lands in the ring and the engine writes the pages into
 * the process from where they lie.  The engine works ahead of the reader
 * (or behind the writer) by up to the ring's size, on the other CPU.
 *
 *   open O_RDONLY  checkpoint: a thread runs cr_dump_begin() (its result is
 *                  the open's), then cr_dump_stream() into the ring, then
 *                  cr_dump_end(); read() takes from the ring.
 *   open O_WRONLY  restore: a thread runs cr_restore() on the ring; write()
 *                  feeds it; flush() ends the stream and returns its result.
 *
 * The transfer ends at the first flush() after data moved (the final
 * close(); a shell's dup2() + close() of a fresh descriptor moved nothing),
 * or at release().  Ending a checkpoint shuts the ring down: the dump thread
 * stops and lets the processes go, frozen as they were.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crfs-fuse.h"
#include "cr-ring.h"
#include "cr-frame.h"

/* The stream between a request and the engine; 4 requests' worth. */
#define CRFS_RING_SIZE		(4 * CRFS_IO_MAX)

/*
 * Room for the largest request (a write reserves up to CRFS_IO_MAX, a
 * read peeks at up to half the ring) next to a whole record (cr.h).
 */
_Static_assert(CR_RING_REC + CRFS_RING_SIZE / 2 <= CRFS_RING_SIZE &&
	       CRFS_IO_MAX + CR_RING_REC <= CRFS_RING_SIZE,
	       "the image ring is too small for a request and a record");

/* One ring kept for the next transfer: its pages are in place already. */
static struct cr_ring *crfs_ring_spare;
static pthread_mutex_t crfs_ring_lock = PTHREAD_MUTEX_INITIALIZER;

static struct cr_ring *crfs_ring_get(void)
{
	struct cr_ring *r;

	pthread_mutex_lock(&crfs_ring_lock);
	r = crfs_ring_spare;
	crfs_ring_spare = NULL;
	pthread_mutex_unlock(&crfs_ring_lock);
	return r ? r : cr_ring_new(CRFS_RING_SIZE);
}

static void crfs_ring_put(struct cr_ring *r)
{
	if (!r)
		return;
	cr_ring_reset(r);
	pthread_mutex_lock(&crfs_ring_lock);
	if (!crfs_ring_spare) {
		crfs_ring_spare = r;
		r = NULL;
	}
	pthread_mutex_unlock(&crfs_ring_lock);
	cr_ring_free(r);
}

/* How long a request waits before it looks for an interrupt again. */
#define CRFS_WAIT_SLICE_MS	20
/* How long a kill waits for the engine of a transfer it called off. */
#define CRFS_SETTLE_S		5
/* How long a writer's close waits for the restore to see the stream end. */
#define CRFS_END_GRACE_MS	50

struct crfs_image {
	struct crfs_ct		*ct;
	bool			dump;		/* checkpoint, else restore */
	struct cr_ring		*ring;
	pthread_mutex_t		io_lock;	/* one request at a time */
	pthread_t		thread;
	uint64_t		moved;		/* bytes through read/write */
	struct cr_img_frame	frame;		/* restore: what was written */

	unsigned int		refs;		/* under ct->lock */

	pthread_mutex_t		lock;		/* below */
	pthread_cond_t		cond;
	bool			exited;		/* the engine thread is done */
	bool			begun;		/* cr_dump_begin() returned */
	bool			done;		/* @ret is the thread's result */
	bool			ending;		/* crfs_image_end() under way */
	bool			ended;		/* ring ended, thread joined */
	int			off;		/* called off, with this errno */
	int			ret;
	struct cr_err		err;
};

/* The operation, for the reasons in the error file. */
static const char *crfs_image_op(const struct crfs_image *img)
{
	return img->dump ? "checkpoint" : "restore";
}

/* Record the engine thread's result (and its reason); wake the waiters. */
static void crfs_image_finish(struct crfs_image *img, int ret)
{
	bool quiet;

	pthread_mutex_lock(&img->lock);
	quiet = img->off;	/* who called it off gave the reason */
	pthread_mutex_unlock(&img->lock);
	if (ret && !quiet)
		crfs_ct_fail(img->ct, -ret, "%s: %s", crfs_image_op(img),
			     img->err.msg[0] ? img->err.msg : strerror(-ret));
	pthread_mutex_lock(&img->lock);
	img->ret = ret;
	img->done = true;
	pthread_cond_broadcast(&img->cond);
	pthread_mutex_unlock(&img->lock);
}

/* The engine thread's last step: it touches nothing of the transfer after. */
static void crfs_image_exit(struct crfs_image *img)
{
	pthread_mutex_lock(&img->lock);
	img->exited = true;
	pthread_cond_broadcast(&img->cond);
	pthread_mutex_unlock(&img->lock);
}

/* Drop a reference; the last one frees the transfer and keeps its ring. */
static void crfs_image_put(struct crfs_image *img)
{
	struct crfs_ct *ct = img->ct;
	bool last;

	pthread_mutex_lock(&ct->lock);
	last = --img->refs == 0;
	pthread_mutex_unlock(&ct->lock);
	if (!last)
		return;
	crfs_ring_put(img->ring);
	pthread_cond_destroy(&img->cond);
	pthread_mutex_destroy(&img->lock);
	pthread_mutex_destroy(&img->io_lock);
	free(img);
}

/*
 * Call the transfer off: the engine stops at its next step (it polls
 * cr_ring_aborted()), a checkpoint lets the processes go frozen as they
 * were, a restore kills what it made.  The caller gives the reason.
 * Return: true if this call did it (not done or called off before).
 */
static bool crfs_image_call_off(struct crfs_image *img, int err)
{
	bool first;

	pthread_mutex_lock(&img->lock);
	first = !img->off && !img->done;
	if (first)
		img->off = err;
	pthread_mutex_unlock(&img->lock);
	if (!first)
		return false;
	if (img->dump)
		cr_ring_shutdown(img->ring);
	else
		cr_ring_close(img->ring, err);
	return true;
}

/* Wait up to @ms (-1: for ever) for the engine's result; true if it came. */
static bool crfs_image_wait_done(struct crfs_image *img, int ms)
{
	struct timespec ts;
	bool done;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&img->lock);
	while (!img->done)
		if (ms < 0)
			pthread_cond_wait(&img->cond, &img->lock);
		else if (pthread_cond_timedwait(&img->cond, &img->lock, &ts))
			break;
	done = img->done;
	pthread_mutex_unlock(&img->lock);
	return done;
}

/*
 * Is the process that made @req being killed?  A fatal signal puts
 * SIGKILL in the pending set of each of its threads (or the thread is
 * gone already).  Other signals only interrupt a wait that can be
 * resumed: a read is answered EINTR, a write keeps waiting.
 */
static bool crfs_req_dying(fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	unsigned long long pending;
	bool dying = true;
	char path[64], *line = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)ctx->pid);
	f = fopen(path, "re");
	if (!f)
		return true;
	while (getline(&line, &cap, f) > 0)
		if (sscanf(line, "SigPnd: %llx", &pending) == 1) {
			dying = pending & (1ULL << (SIGKILL - 1));
			break;
		}
	free(line);
	fclose(f);
	return dying;
}

/*
 * Was @req interrupted because its process is being killed?  Then the
 * reader or writer is going away: call the transfer off, say why.
 */
static bool crfs_image_req_killed(fuse_req_t req, struct crfs_image *img)
{
	if (!fuse_req_interrupted(req) || !crfs_req_dying(req))
		return false;
	if (crfs_image_call_off(img, EINTR))
		crfs_ct_fail(img->ct, EINTR, "%s: the %s (pid %d) was killed",
			     crfs_image_op(img), img->dump ? "reader" : "writer",
			     (int)fuse_req_ctx(req)->pid);
	return true;
}

/*
 * libfuse workers block every signal and threads inherit that; the engine
 * forks, and what it forks must not start with every signal blocked.
 */
static void crfs_image_unblock_signals(void)
{
	sigset_t none;

	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
}

/* The checkpoint thread: it is the tracer from begin to end. */
static void *crfs_image_dump(void *arg)
{
	struct crfs_image *img = arg;
	struct cr_dump *d;
	int ret;

	crfs_image_unblock_signals();
	d = cr_dump_begin(img->ct->cgdir, &img->err);
	if (!d) {
		ret = -(img->err.err ? img->err.err : EIO);
		crfs_image_finish(img, ret);
		cr_ring_close(img->ring, -ret);
		crfs_image_exit(img);
		return NULL;
	}
	pthread_mutex_lock(&img->lock);
	img->begun = true;
	pthread_cond_broadcast(&img->cond);
	pthread_mutex_unlock(&img->lock);
	ret = cr_dump_stream(d, img->ring, &img->err);
	crfs_image_finish(img, ret);
	cr_ring_close(img->ring, -ret);	/* the reader's end, after @ret */
	cr_dump_end(d);
	crfs_image_exit(img);
	return NULL;
}

/*
 * The restore thread.  Its result is the verdict the writer waits for on
 * the write that carried the trailer; nothing is read after the trailer.
 */
static void *crfs_image_restore(void *arg)
{
	struct crfs_image *img = arg;
	int ret;

	crfs_image_unblock_signals();
	ret = cr_restore(img->ring, img->ct->cgdir, &img->err);
	crfs_image_finish(img, ret);
	cr_ring_shutdown(img->ring);	/* a writer gets an error after @ret */
	crfs_image_exit(img);
	return NULL;
}

/*
 * End our side of the ring, wait for the thread, free the image slot.  A
 * restore whose stream ended before its trailer is given a moment to see
 * the end and say where (a truncated image), then called off.
 */
static int crfs_image_end(struct crfs_image *img)
{
	struct crfs_ct *ct = img->ct;
	int ret;

	/* Two flushes at once (a shared descriptor): one joins, one waits. */
	pthread_mutex_lock(&img->lock);
	if (img->ending) {
		while (!img->ended)
			pthread_cond_wait(&img->cond, &img->lock);
		ret = img->ret;
		pthread_mutex_unlock(&img->lock);
		return ret;
	}
	img->ending = true;
	pthread_mutex_unlock(&img->lock);
	if (img->dump) {
		crfs_image_call_off(img, EPIPE);	/* quiet if it was done */
	} else {
		cr_ring_close(img->ring, 0);
		if (!crfs_image_wait_done(img, CRFS_END_GRACE_MS) &&
		    crfs_image_call_off(img, ENODATA))
			crfs_ct_fail(ct, ENODATA,
				     "restore: image truncated: its writer closed it after %llu bytes, %s %llu, before the trailer",
				     (unsigned long long)img->moved,
				     img->frame.state == CR_FRAME_HDR ?
				     "in the header, record" : "after record",
				     (unsigned long long)img->frame.nr);
	}
	pthread_join(img->thread, NULL);
	pthread_mutex_lock(&img->lock);
	img->ended = true;
	ret = img->off ? -img->off : img->ret;
	pthread_cond_broadcast(&img->cond);
	pthread_mutex_unlock(&img->lock);
	pthread_mutex_lock(&ct->lock);
	if (ct->image == img)
		ct->image = NULL;
	pthread_mutex_unlock(&ct->lock);
	crfs_ct_changed(ct);
	return ret;
}

/* Has the transfer ended (or begun to)? */
static bool crfs_image_over(struct crfs_image *img)
{
	bool over;

	pthread_mutex_lock(&img->lock);
	over = img->ending;
	pthread_mutex_unlock(&img->lock);
	return over;
}

/* Check the container's state for a transfer and take its image slot. */
static int crfs_image_claim(struct crfs_ct *ct, struct crfs_image *img)
{
	enum crfs_ct_state state;
	bool dump, busy;

	if (crfs_fuse_image_busy(ct, &dump))
		return crfs_ct_fail(ct, EBUSY, "%s: %s: already open (%s)",
				    crfs_image_op(img), ct->name,
				    crfs_ct_state_name(dump ? CRFS_CT_CHECKPOINTING :
						       CRFS_CT_RESTORING));
	state = crfs_fuse_ct_state(ct);
	/* A freeze under way is waited for by the engine. */
	if (img->dump && state != CRFS_CT_FROZEN && state != CRFS_CT_FREEZING)
		return crfs_ct_fail(ct, EBUSY, "checkpoint: %s: not frozen (state %s)",
				    ct->name, crfs_ct_state_name(state));
	if (!img->dump && state != CRFS_CT_EMPTY)
		return crfs_ct_fail(ct, EBUSY,
				    "restore: %s: restore needs an empty container (state %s)",
				    ct->name, crfs_ct_state_name(state));
	pthread_mutex_lock(&ct->lock);
	busy = ct->image;	/* lost a race with another open */
	if (!busy)
		ct->image = img;
	pthread_mutex_unlock(&ct->lock);
	if (busy)
		return crfs_ct_fail(ct, EBUSY, "%s: %s: already open",
				    crfs_image_op(img), ct->name);
	return 0;
}

/* Undo crfs_image_claim(). */
static void crfs_image_unclaim(struct crfs_ct *ct, struct crfs_image *img)
{
	pthread_mutex_lock(&ct->lock);
	if (ct->image == img)
		ct->image = NULL;
	pthread_mutex_unlock(&ct->lock);
}

/* Start the engine thread; a checkpoint's open waits for its first step. */
static int crfs_image_start(struct crfs_image *img)
{
	int ret;

	ret = -pthread_create(&img->thread, NULL, img->dump ? crfs_image_dump :
			      crfs_image_restore, img);
	if (ret)
		return ret;
	pthread_mutex_lock(&img->lock);
	while (img->dump && !img->begun && !img->done)
		pthread_cond_wait(&img->cond, &img->lock);
	ret = img->dump && !img->begun ? img->ret : 0;
	pthread_mutex_unlock(&img->lock);
	if (ret)
		pthread_join(img->thread, NULL);
	return ret;
}

/* open: O_RDONLY checkpoints, O_WRONLY restores. */
static int crfs_fuse_image_open(struct crfs_fh *fh, struct fuse_file_info *fi)
{
	struct crfs_ct *ct = fh->ct;
	struct crfs_image *img;
	int mode = fi->flags & O_ACCMODE;
	pthread_condattr_t ca;
	int ret;

	if (mode == O_RDWR)
		return crfs_ct_fail(ct, EINVAL,
				    "restore: open image for reading (checkpoint) or writing (restore), not both");
	img = calloc(1, sizeof(*img));
	if (!img)
		return -ENOMEM;
	img->ct = ct;
	img->refs = 1;
	img->dump = mode == O_RDONLY;
	pthread_mutex_init(&img->io_lock, NULL);
	pthread_mutex_init(&img->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);  /* timed waits */
	pthread_cond_init(&img->cond, &ca);
	pthread_condattr_destroy(&ca);
	/* The ring first: from the claim on, a kill may call it off. */
	img->ring = crfs_ring_get();
	if (!img->ring) {
		ret = -errno;
		goto out_free;
	}
	ret = crfs_image_claim(ct, img);
	if (ret)
		goto out_free;
	crfs_ct_changed(ct);
	ret = crfs_image_start(img);
	if (ret)
		goto out_unclaim;
	fh->image = img;
	fi->nonseekable = 1;
	return 0;

out_unclaim:
	crfs_image_unclaim(ct, img);
	crfs_ct_changed(ct);
out_free:
	crfs_image_put(img);	/* and its ring */
	return ret;
}

/* Result of a finished stream: 0 or -EIO (called off or failed). */
static int crfs_image_result(struct crfs_image *img)
{
	int ret;

	pthread_mutex_lock(&img->lock);
	ret = img->off || !img->done || img->ret ? -EIO : 0;
	pthread_mutex_unlock(&img->lock);
	return ret;
}

/*
 * read: the next bytes of the checkpoint, 0 at its end, EIO if it failed.
 * A reply waits for as much as was asked (or the end): fewer, larger
 * replies, while the engine fills the ring behind it.  An interrupted
 * read is answered EINTR with nothing consumed; one whose reader is being
 * killed calls the checkpoint off.
 */
static void crfs_fuse_image_read(fuse_req_t req, struct crfs_fh *fh, size_t size)
{
	struct crfs_image *img = fh->image;
	size_t want = size;
	ssize_t n;
	void *p;
	int ret;

	if (!img->dump || crfs_image_over(img)) {
		fuse_reply_err(req, EBADF);
		return;
	}
	if (want > cr_ring_size(img->ring) / 2)
		want = cr_ring_size(img->ring) / 2;
	pthread_mutex_lock(&img->io_lock);
	while ((n = cr_ring_peek_wait(img->ring, want, &p,
				      CRFS_WAIT_SLICE_MS)) == -ETIMEDOUT) {
		if (!fuse_req_interrupted(req))
			continue;
		crfs_image_req_killed(req, img);
		pthread_mutex_unlock(&img->io_lock);
		fuse_reply_err(req, EINTR);
		return;
	}
	ret = n > 0 ? 0 : crfs_image_result(img);
	pthread_mutex_lock(&img->lock);
	if (img->off)
		ret = -EIO;
	pthread_mutex_unlock(&img->lock);
	if (ret || n <= 0) {
		pthread_mutex_unlock(&img->io_lock);
		fuse_reply_err(req, -ret);	/* 0: an empty reply, EOF */
		return;
	}
	if ((size_t)n > size)
		n = size;
	img->moved += n;
	fuse_reply_buf(req, p, n);
	cr_ring_consume(img->ring, n);
	pthread_mutex_unlock(&img->io_lock);
}

/* Why a write cannot go into the ring: the restore's error, or why not. */
static int crfs_image_write_err(struct crfs_image *img)
{
	int err;

	crfs_image_wait_done(img, -1);	/* the ring is shut: it is ending */
	pthread_mutex_lock(&img->lock);
	err = img->off ? img->off : img->ret ? -img->ret : 0;
	pthread_mutex_unlock(&img->lock);
	if (err)
		return err;
	crfs_ct_fail(img->ct, EBADMSG,
		     "restore: data written after the image's trailer (the restore is done)");
	return EBADMSG;
}

/*
 * The restore's verdict on what was written, for the write that carried
 * the trailer (or any write, once the framing was lost): 0 when the
 * engine wants more bytes, else its result.  A writer being killed calls
 * the restore off; other signals are not the writer going away.
 */
static int crfs_image_verdict(fuse_req_t req, struct crfs_image *img)
{
	int ret;

	while ((ret = cr_ring_wait_starved(img->ring,
					   CRFS_WAIT_SLICE_MS)) == -ETIMEDOUT)
		crfs_image_req_killed(req, img);
	if (!ret)
		return 0;
	crfs_image_wait_done(img, -1);	/* called off or finished: soon */
	pthread_mutex_lock(&img->lock);
	ret = img->off ? -img->off : img->ret;
	pthread_mutex_unlock(&img->lock);
	return ret;
}

/*
 * write: feed the restore.  A write returns as soon as its bytes are in
 * the ring, but the one that carries the image's trailer returns the
 * restore's result: cat and cp see a failed restore as a failed write.
 */
static void crfs_fuse_image_write_buf(fuse_req_t req, struct crfs_fh *fh,
				      struct fuse_bufvec *in)
{
	struct crfs_image *img = fh->image;
	size_t size = fuse_buf_size(in);
	struct fuse_bufvec out = FUSE_BUFVEC_INIT(size);
	ssize_t n = 0;
	int state, err;

	if (img->dump || crfs_image_over(img)) {
		fuse_reply_err(req, EBADF);
		return;
	}
	pthread_mutex_lock(&img->io_lock);
	while (!(out.buf[0].mem = cr_ring_reserve_wait(img->ring, size,
						       CRFS_WAIT_SLICE_MS)) &&
	       errno == ETIMEDOUT) {
		if (!fuse_req_interrupted(req))
			continue;
		/* Nothing of this write went in: it can be made again. */
		crfs_image_req_killed(req, img);
		pthread_mutex_unlock(&img->io_lock);
		fuse_reply_err(req, EINTR);
		return;
	}
	if (!out.buf[0].mem) {
		pthread_mutex_unlock(&img->io_lock);
		fuse_reply_err(req, crfs_image_write_err(img));
		return;
	}
	n = fuse_buf_copy(&out, in, 0);
	if (n <= 0) {
		pthread_mutex_unlock(&img->io_lock);
		fuse_reply_err(req, n < 0 ? (int)-n : EIO);
		return;
	}
	state = cr_img_frame_feed(&img->frame, out.buf[0].mem, n);
	cr_ring_commit(img->ring, n);
	img->moved += n;
	err = 0;
	if (state == CR_FRAME_END || state == CR_FRAME_LOST)
		err = crfs_image_verdict(req, img);
	pthread_mutex_unlock(&img->io_lock);
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_write(req, n);
}

/* flush: end the transfer if data moved; a restore's result is flush's too. */
static void crfs_fuse_image_flush(fuse_req_t req, struct crfs_fh *fh)
{
	struct crfs_image *img = fh->image;
	int ret;

	if (!img->moved) {
		fuse_reply_err(req, 0);
		return;
	}
	ret = crfs_image_end(img);
	fuse_reply_err(req, img->dump ? 0 : -ret);
}

/* release: end the transfer if flush did not, and free it. */
static void crfs_fuse_image_release(struct crfs_fh *fh)
{
	struct crfs_image *img = fh->image;

	if (!img)
		return;
	crfs_image_end(img);
	/*
	 * A read's reply lets its reader go on, close and get here while the
	 * handler still consumes from the ring: wait for it to be done.
	 */
	pthread_mutex_lock(&img->io_lock);
	pthread_mutex_unlock(&img->io_lock);
	fh->image = NULL;
	crfs_image_put(img);
}

/**
 * crfs_fuse_image_busy() - is a checkpoint or restore under way on @ct?
 * @dump: receives true for a checkpoint
 *
 * A restore is over once its result is known, even if its writer has
 * not closed the file yet; a checkpoint lasts until its reader is done.
 */
bool crfs_fuse_image_busy(struct crfs_ct *ct, bool *dump)
{
	bool busy = false;

	pthread_mutex_lock(&ct->lock);
	if (ct->image) {
		pthread_mutex_lock(&ct->image->lock);
		busy = ct->image->dump || !ct->image->done;
		pthread_mutex_unlock(&ct->image->lock);
		*dump = ct->image->dump;
	}
	pthread_mutex_unlock(&ct->lock);
	return busy;
}

/**
 * crfs_fuse_image_kill() - the container is being killed: call its transfer
 * off (the restore kills what it made; the checkpoint fails)
 */
void crfs_fuse_image_kill(struct crfs_ct *ct)
{
	struct crfs_image *img;

	pthread_mutex_lock(&ct->lock);
	img = ct->image;
	if (img && crfs_image_call_off(img, ECANCELED))
		snprintf(ct->error, sizeof(ct->error),
			 "%s: %s was killed during the %s (ECANCELED)",
			 crfs_image_op(img), ct->name, crfs_image_op(img));
	pthread_mutex_unlock(&ct->lock);
}

/**
 * crfs_fuse_image_settle() - wait (a while) for the engine of @ct's
 * transfer, called off, to be done with the container's processes: a
 * checkpoint lets them go frozen, so the container is thawed only after
 */
void crfs_fuse_image_settle(struct crfs_ct *ct)
{
	struct crfs_image *img;
	struct timespec ts;

	pthread_mutex_lock(&ct->lock);
	img = ct->image;
	if (img)
		img->refs++;
	pthread_mutex_unlock(&ct->lock);
	if (!img)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += CRFS_SETTLE_S;
	pthread_mutex_lock(&img->lock);
	while (!img->exited &&
	       !pthread_cond_timedwait(&img->cond, &img->lock, &ts))
		;
	pthread_mutex_unlock(&img->lock);
	crfs_image_put(img);
}

/**
 * crfs_fuse_image_abort() - end @ct's transfer at shutdown, if any
 */
void crfs_fuse_image_abort(struct crfs_ct *ct)
{
	struct crfs_image *img;

	pthread_mutex_lock(&ct->lock);
	img = ct->image;
	if (img && crfs_image_call_off(img, ECANCELED))
		snprintf(ct->error, sizeof(ct->error),
			 "%s: crfs-fuse is shutting down (ECANCELED)",
			 crfs_image_op(img));
	pthread_mutex_unlock(&ct->lock);
	if (img)
		crfs_image_end(img);
}

const struct crfs_fuse_stream_ops crfs_fuse_image_ops = {
	.open		= crfs_fuse_image_open,
	.read		= crfs_fuse_image_read,
	.write_buf	= crfs_fuse_image_write_buf,
	.flush		= crfs_fuse_image_flush,
	.release	= crfs_fuse_image_release,
};
