// SPDX-License-Identifier: GPL-2.0
/*
 * The image file: a non-seekable stream between a reader or writer and an
 * engine thread, through a pipe.  Memory does not grow with the image: the
 * pipe holds at most CRFS_IO_MAX bytes and each request moves at most that.
 *
 *   open O_RDONLY  checkpoint: a thread runs cr_dump_begin() (its result is
 *                  the open's), then cr_dump_stream() into the pipe, then
 *                  cr_dump_end(); read() takes from the pipe.
 *   open O_WRONLY  restore: a thread runs cr_restore() on the pipe; write()
 *                  feeds it; flush() closes the pipe and returns its result.
 *
 * The transfer ends at the first flush() after data moved (the final
 * close(); a shell's dup2() + close() of a fresh descriptor moved nothing),
 * or at release().  Ending it closes our end of the pipe: a dump thread
 * gets EPIPE and lets the processes go, frozen as they were.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "crfs-fuse.h"

struct crfs_image {
	struct crfs_ct		*ct;
	bool			dump;		/* checkpoint, else restore */
	int			fd;		/* our end of the pipe */
	int			thread_fd;	/* the engine thread's end */
	pthread_t		thread;
	uint64_t		moved;		/* bytes through read/write */
	bool			ended;		/* fd closed, thread joined */

	pthread_mutex_t		lock;		/* below */
	pthread_cond_t		cond;
	bool			begun;		/* cr_dump_begin() returned */
	bool			done;		/* @ret is the thread's result */
	bool			closing;	/* we closed @fd on purpose */
	bool			killed;		/* the container was killed */
	int			ret;
	struct cr_err		err;
};

/* Record the engine thread's result (and its reason); wake the waiters. */
static void crfs_image_finish(struct crfs_image *img, int ret)
{
	bool quiet;

	pthread_mutex_lock(&img->lock);
	quiet = img->closing;
	pthread_mutex_unlock(&img->lock);
	if (ret && !quiet)
		crfs_ct_fail(img->ct, -ret, "image: %s", img->err.msg[0] ?
			     img->err.msg : strerror(-ret));
	pthread_mutex_lock(&img->lock);
	img->ret = ret;
	img->done = true;
	pthread_cond_broadcast(&img->cond);
	pthread_mutex_unlock(&img->lock);
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
		crfs_image_finish(img, -(img->err.err ? img->err.err : EIO));
		close(img->thread_fd);
		return NULL;
	}
	pthread_mutex_lock(&img->lock);
	img->begun = true;
	pthread_cond_broadcast(&img->cond);
	pthread_mutex_unlock(&img->lock);
	ret = cr_dump_stream(d, img->thread_fd, &img->err);
	crfs_image_finish(img, ret);
	close(img->thread_fd);	/* the reader sees EOF after @ret is set */
	cr_dump_end(d);
	return NULL;
}

/* The restore thread; after success it drains what the writer still sends. */
static void *crfs_image_restore(void *arg)
{
	struct crfs_image *img = arg;
	char buf[65536];
	int ret;

	crfs_image_unblock_signals();
	ret = cr_restore(img->thread_fd, img->ct->cgdir, &img->err);
	if (!ret)
		while (read(img->thread_fd, buf, sizeof(buf)) > 0)
			;
	crfs_image_finish(img, ret);
	close(img->thread_fd);	/* a writer gets EPIPE after @ret is set */
	return NULL;
}

/* Close our end, wait for the thread, free the container's image slot. */
static int crfs_image_end(struct crfs_image *img)
{
	struct crfs_ct *ct = img->ct;

	if (img->ended)
		return img->ret;
	pthread_mutex_lock(&img->lock);
	img->closing = img->dump && !img->done;
	pthread_mutex_unlock(&img->lock);
	close(img->fd);
	img->fd = -1;
	pthread_join(img->thread, NULL);
	img->ended = true;
	pthread_mutex_lock(&ct->lock);
	if (ct->image == img)
		ct->image = NULL;
	pthread_mutex_unlock(&ct->lock);
	crfs_ct_changed(ct);
	return img->ret;
}

/* Check the container's state for a transfer and take its image slot. */
static int crfs_image_claim(struct crfs_ct *ct, struct crfs_image *img)
{
	const char *state;
	bool dump, busy;

	if (crfs_fuse_image_busy(ct, &dump))
		return crfs_ct_fail(ct, EBUSY, "image: %s: already open (%s)",
				    ct->name, dump ? "checkpointing" : "restoring");
	state = crfs_fuse_ct_state(ct);
	/* A freeze under way is waited for by the engine. */
	if (img->dump && strcmp(state, "frozen") && strcmp(state, "freezing"))
		return crfs_ct_fail(ct, EBUSY, "image: %s: not frozen (state %s)",
				    ct->name, state);
	if (!img->dump && strcmp(state, "empty"))
		return crfs_ct_fail(ct, EBUSY,
				    "image: %s: restore needs an empty container (state %s)",
				    ct->name, state);
	pthread_mutex_lock(&ct->lock);
	busy = ct->image;	/* lost a race with another open */
	if (!busy)
		ct->image = img;
	pthread_mutex_unlock(&ct->lock);
	if (busy)
		return crfs_ct_fail(ct, EBUSY, "image: %s: already open", ct->name);
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

/* Make the pipe and start the engine thread. */
static int crfs_image_start(struct crfs_image *img)
{
	int p[2], ret;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	/* Best effort: the default 64 KiB works, only slower. */
	fcntl(p[0], F_SETPIPE_SZ, CRFS_IO_MAX);
	img->fd = img->dump ? p[0] : p[1];
	img->thread_fd = img->dump ? p[1] : p[0];
	ret = -pthread_create(&img->thread, NULL, img->dump ? crfs_image_dump :
			      crfs_image_restore, img);
	if (ret) {
		close(p[0]);
		close(p[1]);
		return ret;
	}
	pthread_mutex_lock(&img->lock);
	while (img->dump && !img->begun && !img->done)
		pthread_cond_wait(&img->cond, &img->lock);
	ret = img->dump && !img->begun ? img->ret : 0;
	pthread_mutex_unlock(&img->lock);
	if (ret) {
		pthread_join(img->thread, NULL);
		close(img->fd);
	}
	return ret;
}

/* open: O_RDONLY checkpoints, O_WRONLY restores. */
static int crfs_fuse_image_open(struct crfs_fh *fh, struct fuse_file_info *fi)
{
	struct crfs_ct *ct = fh->ct;
	struct crfs_image *img;
	int mode = fi->flags & O_ACCMODE;
	int ret;

	if (mode == O_RDWR)
		return crfs_ct_fail(ct, EINVAL,
				    "image: open for reading (checkpoint) or writing (restore), not both");
	img = calloc(1, sizeof(*img));
	if (!img)
		return -ENOMEM;
	img->ct = ct;
	img->dump = mode == O_RDONLY;
	img->fd = img->thread_fd = -1;
	pthread_mutex_init(&img->lock, NULL);
	pthread_cond_init(&img->cond, NULL);
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
	pthread_cond_destroy(&img->cond);
	pthread_mutex_destroy(&img->lock);
	free(img);
	return ret;
}

/* Result of a finished stream: 0 or -EIO (killed or failed). */
static int crfs_image_result(struct crfs_image *img)
{
	int ret;

	pthread_mutex_lock(&img->lock);
	ret = img->killed || !img->done || img->ret ? -EIO : 0;
	pthread_mutex_unlock(&img->lock);
	return ret;
}

/* read: the next bytes of the checkpoint, 0 at its end, EIO if it failed. */
static void crfs_fuse_image_read(fuse_req_t req, struct crfs_fh *fh, size_t size)
{
	struct crfs_image *img = fh->image;
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(0);
	struct pollfd pfd;
	int avail = 0, ret;

	if (!img->dump || img->ended) {
		fuse_reply_err(req, EBADF);
		return;
	}
	pfd = (struct pollfd){ .fd = img->fd, .events = POLLIN };
	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
	if (ioctl(img->fd, FIONREAD, &avail) < 0)
		avail = 0;
	ret = avail ? 0 : crfs_image_result(img);
	pthread_mutex_lock(&img->lock);
	if (img->killed)
		ret = -EIO;
	pthread_mutex_unlock(&img->lock);
	if (ret || !avail) {
		fuse_reply_err(req, -ret);	/* 0: an empty reply, EOF */
		return;
	}
	buf.buf[0].size = (size_t)avail < size ? (size_t)avail : size;
	buf.buf[0].flags = FUSE_BUF_IS_FD;
	buf.buf[0].fd = img->fd;
	img->moved += buf.buf[0].size;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

/* write: feed the restore; its error once it failed. */
static void crfs_fuse_image_write_buf(fuse_req_t req, struct crfs_fh *fh,
				      struct fuse_bufvec *in)
{
	struct crfs_image *img = fh->image;
	size_t size = fuse_buf_size(in), done = 0;
	struct fuse_bufvec out = FUSE_BUFVEC_INIT(size);
	struct pollfd pfd;
	ssize_t n;
	int err;

	if (img->dump || img->ended) {
		fuse_reply_err(req, EBADF);
		return;
	}
	out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_RETRY;
	out.buf[0].fd = img->fd;
	/*
	 * libfuse's own pipes are non-blocking, so a splice from one into a
	 * full image pipe gives EAGAIN: wait for room and go on where the
	 * copy stopped (fuse_buf_copy advances both vectors).
	 */
	for (;;) {
		n = fuse_buf_copy(&out, in, 0);
		if (n > 0)
			done += n;
		if (n > 0 && done < size)
			continue;
		if (n != -EAGAIN)
			break;
		pfd = (struct pollfd){ .fd = img->fd, .events = POLLOUT };
		while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
			;
	}
	if (done) {
		img->moved += done;
		fuse_reply_write(req, done);
		return;
	}
	/* EPIPE: the thread closed its end after setting its result. */
	pthread_mutex_lock(&img->lock);
	err = img->done && img->ret ? -img->ret : (int)-n;
	pthread_mutex_unlock(&img->lock);
	fuse_reply_err(req, err);
}

/* flush: end the transfer if data moved; a restore's result is flush's. */
static void crfs_fuse_image_flush(fuse_req_t req, struct crfs_fh *fh)
{
	struct crfs_image *img = fh->image;
	int ret;

	if (!img->moved || img->ended) {
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
	pthread_cond_destroy(&img->cond);
	pthread_mutex_destroy(&img->lock);
	free(img);
	fh->image = NULL;
}

/**
 * crfs_fuse_image_busy() - is a checkpoint or restore under way on @ct?
 * @dump: receives true for a checkpoint
 */
bool crfs_fuse_image_busy(struct crfs_ct *ct, bool *dump)
{
	bool busy;

	pthread_mutex_lock(&ct->lock);
	busy = ct->image;
	if (busy)
		*dump = ct->image->dump;
	pthread_mutex_unlock(&ct->lock);
	return busy;
}

/**
 * crfs_fuse_image_kill() - the container is being killed: fail its checkpoint
 */
void crfs_fuse_image_kill(struct crfs_ct *ct)
{
	struct crfs_image *img;

	pthread_mutex_lock(&ct->lock);
	img = ct->image;
	if (img && img->dump) {
		pthread_mutex_lock(&img->lock);
		img->killed = true;
		pthread_mutex_unlock(&img->lock);
		snprintf(ct->error, sizeof(ct->error),
			 "image: %s was killed during the checkpoint", ct->name);
	}
	pthread_mutex_unlock(&ct->lock);
}

/**
 * crfs_fuse_image_abort() - end @ct's transfer at shutdown, if any
 */
void crfs_fuse_image_abort(struct crfs_ct *ct)
{
	struct crfs_image *img;

	pthread_mutex_lock(&ct->lock);
	img = ct->image;
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
