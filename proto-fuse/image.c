// SPDX-License-Identifier: GPL-2.0
/*
 * The image file: FUSE requests in and out of a transfer (cr-xfer.h),
 * which holds the engine thread, the ring, the states and the call-off.
 * What stays here is FUSE's: a request that waits sees its interrupts
 * (and calls the transfer off when its process is being killed), a read
 * is answered from the ring without a copy and a write is spliced into it,
 * flush and release end the transfer, and one ring is kept for the next.
 *
 *   open O_RDONLY  checkpoint: the open's result is the engine's first step
 *   open O_WRONLY  restore; the write that carries the image's trailer,
 *                  and flush(), return its result
 *
 * The transfer ends at the first flush() after data moved (the final
 * close(); a shell's dup2() + close() of a fresh descriptor moved nothing),
 * or at release().  FUSE sends a flush() for the close() of every copy of
 * the descriptor and cannot tell the last: a read or write after the end
 * fails with EBADF and says who closed it.  A transfer that is over while
 * its descriptor is still held (called off, or a restore's result known)
 * lets its container, its engine thread and its ring go at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "crfs-fuse.h"
#include "cr-ring.h"

/* The stream between a request and the engine; 4 requests' worth. */
#define CRFS_RING_SIZE		(4 * CRFS_IO_MAX)

/*
 * Room for the largest request (a write reserves up to CRFS_IO_MAX, a
 * read peeks at up to half the ring) next to a whole record (cr.h).
 */
_Static_assert(CR_RING_REC + CRFS_RING_SIZE / 2 <= CRFS_RING_SIZE &&
	       CRFS_IO_MAX + CR_RING_REC <= CRFS_RING_SIZE,
	       "the image ring is too small for a request and a record");

/* How long a kill waits for the engine of a transfer it called off. */
#define CRFS_SETTLE_MS		5000

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

/* A transfer's reason goes to its container's error file as it is. */
static void crfs_image_report(void *owner, int err, const char *line)
{
	struct crfs_ct *ct = owner;

	(void)err;
	pthread_mutex_lock(&ct->lock);
	snprintf(ct->error, sizeof(ct->error), "%s", line);
	pthread_mutex_unlock(&ct->lock);
}

static const struct cr_xfer_ops crfs_image_xops = {
	.report		= crfs_image_report,
	.ring_put	= crfs_ring_put,
};

/*
 * Is the process that made @req being killed?  A fatal signal puts
 * SIGKILL in the pending set of each of its threads, and a thread killed
 * in a request stays until the request is answered.  Other signals only
 * interrupt a wait that can be resumed: a read is answered EINTR, a write
 * keeps waiting.  What cannot be told is not dying: FUSE gives pid 0 for
 * a caller outside the daemon's pid namespace, and a SIGWINCH must not
 * call its transfer off (its end comes with its release).
 */
static bool crfs_req_dying(fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	unsigned long long pending;
	bool dying = false;
	char path[64], *line = NULL;
	size_t cap = 0;
	FILE *f;

	if (ctx->pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)ctx->pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (getline(&line, &cap, f) > 0)
		if (sscanf(line, "SigPnd: %llx", &pending) == 1) {
			dying = pending & (1ULL << (SIGKILL - 1));
			break;
		}
	free(line);
	fclose(f);
	return dying;
}

/* A request on the image file, and the data a write brings. */
struct crfs_image_req {
	fuse_req_t		req;
	struct fuse_bufvec	*in;
};

/*
 * A request waits for the ring (cr_xfer_wait_fn): interrupted, it gives up
 * with EINTR; interrupted because its process is being killed, the reader
 * or writer is going away: it calls the transfer off, saying why, with
 * ECANCELED for whatever comes after (not EINTR, which invites a retry).
 */
static int crfs_image_wait(struct cr_xfer *x, void *arg)
{
	fuse_req_t req = ((struct crfs_image_req *)arg)->req;

	if (!fuse_req_interrupted(req))
		return 0;
	if (crfs_req_dying(req))
		cr_xfer_call_off(x, ECANCELED, "the %s (pid %d) was killed",
				 cr_xfer_is_dump(x) ? "reader" : "writer",
				 (int)fuse_req_ctx(req)->pid);
	return EINTR;
}

/*
 * Check that @ct has no transfer and take its image slot for @x.  A
 * transfer that is over (called off, or a restore with its result) gives
 * the slot up even if its descriptor is still held: its thread and ring
 * go now; its release will find the slot not its own.
 */
static int crfs_image_claim(struct crfs_ct *ct, struct cr_xfer *x)
{
	enum crfs_ct_state busy = CRFS_CT_EMPTY;
	struct cr_xfer *old;

	pthread_mutex_lock(&ct->lock);
	old = ct->image;
	if (old && !cr_xfer_finished(old)) {
		busy = cr_xfer_state(old);
		old = NULL;
	} else {
		ct->image = x;
		if (old)
			cr_xfer_get(old);
	}
	pthread_mutex_unlock(&ct->lock);
	if (busy != CRFS_CT_EMPTY)
		return crfs_ct_fail(ct, EBUSY, "%s: %s: already open (%s)",
				    cr_xfer_op(x), ct->name,
				    crfs_ct_state_name(busy));
	if (old) {		/* not under ct->lock: it waits for its I/O */
		cr_xfer_reap(old);
		cr_xfer_put(old);
	}
	return 0;
}

/* Give the image slot of @ct up, if @x holds it. */
static void crfs_image_unclaim(struct crfs_ct *ct, struct cr_xfer *x)
{
	pthread_mutex_lock(&ct->lock);
	if (ct->image == x)
		ct->image = NULL;
	pthread_mutex_unlock(&ct->lock);
	crfs_ct_changed(ct);
}

/*
 * End @x (the reader or writer is done) and free @ct's image slot.  Each
 * copy of the descriptor ends it, each end returning the same result: a
 * checkpoint's is applied to the container once, by the first.
 */
static int crfs_image_end(struct crfs_ct *ct, struct cr_xfer *x)
{
	int ret = cr_xfer_end(x);
	char drop[sizeof(ct->netlock)] = "";

	/*
	 * A kill from now on lets its connections go quietly (ctl.c), and
	 * keeps its network lock for the restore; a thaw removes the lock,
	 * as does a checkpoint that failed (unless the lock is the one in
	 * force before it, which it reused: the last image needs it).
	 */
	if (cr_xfer_is_dump(x) && cr_xfer_take_result(x)) {
		pthread_mutex_lock(&ct->lock);
		if (!ret) {
			ct->dumped = true;
			ct->dump_peers = cr_xfer_peers(x);
			if (strcmp(ct->netlock, cr_xfer_lock(x)))
				memcpy(drop, ct->netlock, sizeof(drop));
			snprintf(ct->netlock, sizeof(ct->netlock), "%s",
				 cr_xfer_lock(x));
		} else if (strcmp(ct->netlock, cr_xfer_lock(x))) {
			snprintf(drop, sizeof(drop), "%s", cr_xfer_lock(x));
		}
		pthread_mutex_unlock(&ct->lock);
		cr_netlock_drop(drop);
	}
	crfs_image_unclaim(ct, x);
	return ret;
}

/* @ct's transfer with a reference taken, or NULL. */
static struct cr_xfer *crfs_image_hold(struct crfs_ct *ct)
{
	struct cr_xfer *x;

	pthread_mutex_lock(&ct->lock);
	x = ct->image;
	if (x)
		cr_xfer_get(x);
	pthread_mutex_unlock(&ct->lock);
	return x;
}

/*
 * The restorer's terminal for a restore of a shell job: the opener's
 * standard input reopened (the writer of `cat img > image`, or crctl),
 * if it is a terminal; -1 when not, or when the opener is not known.
 */
static int crfs_image_tty(pid_t opener)
{
	char path[64];
	int fd;

	if (opener <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/fd/0", (int)opener);
	fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0 && !isatty(fd)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* open: O_RDONLY checkpoints, O_WRONLY restores. */
static int crfs_fuse_image_open(struct crfs_fh *fh, struct fuse_file_info *fi)
{
	struct crfs_ct *ct = fh->ct;
	int mode = fi->flags & O_ACCMODE;
	const char *op = mode == O_RDONLY ? "checkpoint" : "restore";
	struct cr_ring *ring;
	struct cr_xfer *x;
	char lock[sizeof(ct->netlock)];
	bool shell_job;
	int peers, ret;

	if (mode == O_RDWR)
		return crfs_ct_fail(ct, EINVAL,
				    "restore: open image for reading (checkpoint) or writing (restore), not both");
	if (mode != O_RDONLY && mode != O_WRONLY)
		return crfs_ct_fail(ct, EINVAL,
				    "restore: open image for reading (checkpoint) or writing (restore): access mode %d does neither",
				    mode);
	/* The ring first: from the claim on, a kill may call it off. */
	ring = crfs_ring_get();
	if (!ring)
		return crfs_ct_fail(ct, errno, "%s: %s: cannot make the image ring of %u bytes: %s",
				    op, ct->name, CRFS_RING_SIZE, strerror(errno));
	/* Its failure was reported (crfs_image_report()). */
	x = cr_xfer_new(ct->cgdir, ct->name, mode == O_RDONLY, ring,
			&crfs_image_xops, ct);
	if (!x)
		return -errno;
	pthread_mutex_lock(&ct->lock);
	shell_job = ct->shell_job;
	peers = ct->peers;
	memcpy(lock, ct->netlock, sizeof(lock));
	pthread_mutex_unlock(&ct->lock);
	cr_xfer_set_peers(x, mode == O_RDONLY ? peers : CR_PEERS_REFUSE);
	if (mode == O_RDONLY)
		cr_xfer_set_lock(x, lock);
	if (shell_job)
		cr_xfer_set_opts(x, true, mode == O_RDONLY ? -1 :
				 crfs_image_tty(fh->opener));
	ret = crfs_image_claim(ct, x);
	if (ret)
		goto out_put;
	crfs_ct_changed(ct);
	ret = cr_xfer_begin(x);
	if (ret)
		goto out_unclaim;
	fh->image = x;
	fi->nonseekable = 1;
	return 0;

out_unclaim:
	crfs_image_unclaim(ct, x);
out_put:
	cr_xfer_put(x);		/* and its ring */
	return ret;
}

/*
 * A read or write after the transfer ended, at the flush() of a copy of
 * the descriptor (FUSE cannot tell the last): EBADF, and who ended it.
 */
static int crfs_image_after_end(struct crfs_fh *fh)
{
	struct cr_xfer *x = fh->image;
	pid_t pid = __atomic_load_n(&fh->image_closer, __ATOMIC_RELAXED);
	char by[32] = "";

	if (pid > 0)
		snprintf(by, sizeof(by), " (by pid %d)", (int)pid);
	return crfs_ct_fail(fh->ct, EBADF,
			    "%s: the image file was closed%s after %llu bytes: the transfer ended there; %s the image from one process",
			    cr_xfer_op(x), by,
			    (unsigned long long)cr_xfer_moved(x),
			    cr_xfer_is_dump(x) ? "read" : "write");
}

/* A read's bytes, answered where they lie in the ring. */
static void crfs_image_reply(void *arg, const void *buf, size_t len)
{
	fuse_reply_buf(((struct crfs_image_req *)arg)->req, buf, len);
}

/*
 * read: the next bytes of the checkpoint, 0 at its end, EIO if it failed.
 * An interrupted read is answered EINTR with nothing consumed; one whose
 * reader is being killed calls the checkpoint off.
 */
static void crfs_fuse_image_read(fuse_req_t req, struct crfs_fh *fh, size_t size)
{
	struct crfs_image_req r = { .req = req };
	ssize_t n;

	n = cr_xfer_peek(fh->image, size, crfs_image_reply, crfs_image_wait, &r);
	if (n == -EBADF)
		n = crfs_image_after_end(fh);
	if (n <= 0)
		fuse_reply_err(req, (int)-n);	/* 0: an empty reply, EOF */
}

#ifndef PIDFD_THREAD
#define CRFS_PIDFD_THREAD	O_EXCL		/* linux/pidfd.h, 6.9 */
#else
#define CRFS_PIDFD_THREAD	PIDFD_THREAD
#endif
#define CRFS_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Filesystems whose regular files crfs-fuse writes an image to itself
 * (CRFS_IOC_IMAGE_TO): local ones, where a write ends.  Elsewhere (a FUSE
 * file, this mount's own, a network filesystem that may stall, an
 * overlay whose upper layer may be any of those) the caller reads the
 * image and writes it as before.
 */
static const char *const crfs_image_to_fs[] = {
	"tmpfs", "ramfs", "ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs",
};

/*
 * Is our descriptor @fd on a filesystem of crfs_image_to_fs?  Asked of
 * /proc alone (its mount's id in fdinfo, that mount's type in mountinfo):
 * fstat() or fstatfs() on a FUSE file would ask its server, which may
 * never answer.
 */
static bool crfs_image_to_local(int fd)
{
	char path[64], *line = NULL, type[32];
	bool local = false;
	size_t cap = 0;
	int mnt = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	while (f && getline(&line, &cap, f) > 0)
		if (sscanf(line, "mnt_id: %d", &mnt) == 1)
			break;
	if (f)
		fclose(f);
	f = mnt < 0 ? NULL : fopen("/proc/self/mountinfo", "re");
	while (f && getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - ");

		if (atoi(line) != mnt || !sep)
			continue;
		if (sscanf(sep + 3, "%31s", type) == 1)
			for (size_t i = 0; i < CRFS_ARRAY_SIZE(crfs_image_to_fs); i++)
				local |= !strcmp(type, crfs_image_to_fs[i]);
		break;
	}
	if (f)
		fclose(f);
	free(line);
	return local;
}

/*
 * Has the process of thread @pid a file size limit (RLIMIT_FSIZE)?  Our
 * write() would not be held to it.  Asked of /proc: prlimit() on another
 * user's process needs CAP_SYS_RESOURCE.  Not known: limited.
 */
static bool crfs_image_to_limited(pid_t pid)
{
	char path[64], *line = NULL, soft[32] = "";
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	f = fopen(path, "re");
	while (f && getline(&line, &cap, f) > 0)
		if (!strncmp(line, "Max file size ", 14)) {
			sscanf(line + 14, "%31s", soft);
			break;
		}
	if (f)
		fclose(f);
	free(line);
	return strcmp(soft, "unlimited") != 0;
}

/*
 * The caller's descriptor @fd, as its own (pidfd_getfd(): the same open
 * file, offset and flags), if crfs-fuse writes an image to it: a regular
 * file on a local filesystem, not set-ID, open for writing, of a process
 * without a file size limit.  Return: the descriptor, or -errno
 * (EOPNOTSUPP: not such a file; EBADF: no such descriptor, or not open
 * for writing).
 */
static int crfs_image_to_fd(fuse_req_t req, int fd)
{
	pid_t pid = fuse_req_ctx(req)->pid;
	struct stat st;
	int pidfd, out, flags, ret = -EOPNOTSUPP;

	if (pid <= 0 || fd < 0)
		return pid <= 0 ? -EOPNOTSUPP : -EBADF;
	/* The calling thread (PIDFD_THREAD, 6.9), else its process. */
	pidfd = syscall(SYS_pidfd_open, pid, CRFS_PIDFD_THREAD);
	if (pidfd < 0)
		pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -EOPNOTSUPP;
	out = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	close(pidfd);
	if (out < 0)
		return errno == EBADF ? -EBADF : -EOPNOTSUPP;
	flags = fcntl(out, F_GETFL);
	if (flags < 0 || ((flags & O_ACCMODE) != O_WRONLY &&
			  (flags & O_ACCMODE) != O_RDWR)) {
		ret = -EBADF;
		goto out_close;
	}
	/*
	 * Not a set-ID file: the caller's write() drops the set-group-ID
	 * bit unless it is of the group, ours (CAP_FSETID) keeps it.
	 */
	if (crfs_image_to_local(out) && !fstat(out, &st) &&
	    S_ISREG(st.st_mode) && !(st.st_mode & (S_ISUID | S_ISGID)) &&
	    !crfs_image_to_limited(pid))
		return out;
out_close:
	close(out);
	return ret;
}

/*
 * ioctl CRFS_IOC_IMAGE_TO: the rest of the checkpoint written by
 * crfs-fuse to the caller's descriptor (crfs_image_to_fd()), from the
 * ring: no copy into the caller and out again.  0 at the image's end;
 * EOPNOTSUPP or EBADF before any byte; the checkpoint's error; or, when a
 * write to the descriptor failed, its errno as a positive result.
 */
static void crfs_fuse_image_ioctl(fuse_req_t req, struct crfs_fh *fh,
				  unsigned int cmd, const void *in,
				  size_t in_size)
{
	struct crfs_image_req r = { .req = req };
	struct cr_xfer *x = fh->image;
	bool out_failed;
	int fd, out, ret;

	if (cmd != CRFS_IOC_IMAGE_TO || in_size != sizeof(int) ||
	    !cr_xfer_is_dump(x)) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	memcpy(&fd, in, sizeof(fd));
	out = crfs_image_to_fd(req, fd);
	if (out < 0) {
		fuse_reply_err(req, -out);
		return;
	}
	/*
	 * Held to the end, as a read holds it.  @fh is ours until the reply:
	 * the caller's ioctl() holds the file, and a close() of a copy of
	 * its descriptor meanwhile is a flush() (the end), not its release.
	 */
	cr_xfer_get(x);
	ret = cr_xfer_read_to(x, out, crfs_image_wait, &r, &out_failed);
	close(out);
	if (ret == -EBADF && !out_failed)
		ret = crfs_image_after_end(fh);
	cr_xfer_put(x);
	if (ret && !out_failed)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_ioctl(req, -ret, NULL, 0);	/* 0, or the write's */
}

/* A write's bytes, spliced or copied straight into the ring. */
static ssize_t crfs_image_fill(void *arg, void *room, size_t len)
{
	struct fuse_bufvec out = FUSE_BUFVEC_INIT(len);

	out.buf[0].mem = room;
	return fuse_buf_copy(&out, ((struct crfs_image_req *)arg)->in, 0);
}

/*
 * write: feed the restore.  A write returns as soon as its bytes are in
 * the ring, but the one that carries the image's trailer returns the
 * restore's result: cat and cp see a failed restore as a failed write.
 */
static void crfs_fuse_image_write_buf(fuse_req_t req, struct crfs_fh *fh,
				      struct fuse_bufvec *in)
{
	struct crfs_image_req r = { .req = req, .in = in };
	ssize_t n;

	n = cr_xfer_write_in(fh->image, fuse_buf_size(in), crfs_image_fill,
			     crfs_image_wait, &r);
	if (n == -EBADF)
		n = crfs_image_after_end(fh);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_write(req, n);
}

/*
 * flush: end the transfer if data moved; a restore's result is flush's
 * too.  Every close() of a copy of the descriptor flushes: the first
 * after data moved ends it, and its pid is kept for the I/O that follows.
 */
static void crfs_fuse_image_flush(fuse_req_t req, struct crfs_fh *fh)
{
	struct cr_xfer *x = fh->image;
	pid_t none = 0;
	int ret;

	if (!cr_xfer_moved(x)) {
		fuse_reply_err(req, 0);
		return;
	}
	__atomic_compare_exchange_n(&fh->image_closer, &none,
				    fuse_req_ctx(req)->pid, false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	ret = crfs_image_end(fh->ct, x);
	fuse_reply_err(req, cr_xfer_is_dump(x) ? 0 : -ret);
}

/*
 * release: end the transfer if flush did not, and drop it.  A read whose
 * reply let its reader close the file holds a reference of its own until
 * it has consumed what it sent.
 */
static void crfs_fuse_image_release(struct crfs_fh *fh)
{
	struct cr_xfer *x = fh->image;

	if (!x)
		return;
	crfs_image_end(fh->ct, x);
	fh->image = NULL;
	cr_xfer_put(x);
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
		busy = cr_xfer_under_way(ct->image);
		*dump = cr_xfer_is_dump(ct->image);
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
	struct cr_xfer *x = crfs_image_hold(ct);

	if (!x)
		return;
	cr_xfer_call_off(x, ECANCELED, "%s was killed during the %s",
			 ct->name, cr_xfer_op(x));
	cr_xfer_put(x);
}

/**
 * crfs_fuse_image_settle() - wait (a while) for the engine of @ct's
 * transfer, called off, to be done with the container's processes: a
 * checkpoint lets them go frozen, so the container is thawed only after.
 * Then its thread and ring go, even if its reader or writer still holds
 * the file.
 */
void crfs_fuse_image_settle(struct crfs_ct *ct)
{
	struct cr_xfer *x = crfs_image_hold(ct);

	if (!x)
		return;
	if (cr_xfer_settle(x, CRFS_SETTLE_MS))
		cr_xfer_reap(x);
	cr_xfer_put(x);
}

/**
 * crfs_fuse_image_abort() - end @ct's transfer at shutdown, if any
 */
void crfs_fuse_image_abort(struct crfs_ct *ct)
{
	struct cr_xfer *x = crfs_image_hold(ct);

	if (!x)
		return;
	cr_xfer_call_off(x, ECANCELED, "crfs-fuse is shutting down");
	crfs_image_end(ct, x);
	cr_xfer_put(x);
}

const struct crfs_fuse_stream_ops crfs_fuse_image_ops = {
	.open		= crfs_fuse_image_open,
	.read		= crfs_fuse_image_read,
	.write_buf	= crfs_fuse_image_write_buf,
	.flush		= crfs_fuse_image_flush,
	.release	= crfs_fuse_image_release,
	.ioctl		= crfs_fuse_image_ioctl,
};
