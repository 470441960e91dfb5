/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A transfer: one checkpoint or one restore of one cgroup directory, as a
 * byte stream (xfer.c).  It holds the engine thread, the ring between the
 * engine and the stream's other side (cr-ring.h), the states, the freeze
 * policy, the verdict on the write that carries the image's trailer, the
 * call-off and its reason.  Its users (crfs-fuse's image file, a page
 * server, the kernel's helper) only move bytes:
 *
 *   cr_xfer_new()     the object and its ring; nothing runs yet
 *   cr_xfer_begin()   check the cgroup, start the engine (a checkpoint:
 *                     every process checked and seized, or the refusal)
 *   cr_xfer_read()    checkpoint: the image, 0 at its end
 *   cr_xfer_write()   restore: the image; the write that carries the
 *                     trailer returns the restore's result
 *   cr_xfer_end()     the reader or writer is done (close)
 *   cr_xfer_reap()    over before its end: the thread and ring go early
 *   cr_xfer_put()     drop a reference; the last one frees it
 *
 * Any thread may call it off (cr_xfer_call_off()) at any time: a kill, the
 * reader or writer gone, an unmount.  The engine stops within one step; a
 * checkpoint lets the processes go, frozen as they were; a restore kills
 * what it made.
 *
 * Every failure has a reason, one line "OP: REASON (ENAME)" (OP checkpoint
 * or restore, ENAME the errno's name), handed to the owner's report() as
 * it happens and kept for cr_xfer_result().
 */
#ifndef CR_XFER_H
#define CR_XFER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/crfs_ctl.h>

struct cr_ring;
struct cr_xfer;

/* How long a call waits before it asks its caller's wait() again. */
#define CR_XFER_SLICE_MS	20
/* Ring size when the owner gives none: a request of 1 MiB and a record. */
#define CR_XFER_RING_SIZE	(4U << 20)

/* What a transfer tells its owner; every member may be NULL. */
struct cr_xfer_ops {
	/*
	 * A failure's reason, "OP: REASON (ENAME)" for the positive errno
	 * @err, from whichever thread failed or called it off.
	 */
	void	(*report)(void *owner, int err, const char *line);
	/* Take the ring back after the last reference (NULL: freed). */
	void	(*ring_put)(struct cr_ring *r);
};

/*
 * Asked once every CR_XFER_SLICE_MS while a read or write waits: 0 to wait
 * on, or a positive errno to give up (the call returns it; nothing was
 * consumed or taken).  It may call the transfer off (the reader or writer
 * is going away).  A write waiting for the restore's verdict asks it too,
 * but waits on whatever it says: the verdict comes soon once called off.
 */
typedef int (*cr_xfer_wait_fn)(struct cr_xfer *x, void *arg);

/* Take @len bytes of the image where they lie (a zero-copy reply). */
typedef void (*cr_xfer_take_fn)(void *arg, const void *buf, size_t len);

/* Put at most @len image bytes at @room; return how many, or -errno. */
typedef ssize_t (*cr_xfer_fill_fn)(void *arg, void *room, size_t len);

/**
 * cr_xfer_new() - a transfer of the cgroup @cgdir, not begun
 * @cgdir: the cgroup directory: frozen for a checkpoint, empty for a restore
 * @name:  what the reasons call it (a container's name)
 * @dump:  true for a checkpoint, false for a restore
 * @ring:  the stream, at least 2 * CR_RING_REC bytes, or NULL for a new
 *         one of CR_XFER_RING_SIZE; the transfer's from now on, even when
 *         this fails (@ops->ring_put gets it back)
 * @ops:   the owner's callbacks (may be NULL)
 * @owner: their first argument
 *
 * The ring exists before anyone can call the transfer off: make it first,
 * publish it (a container's image slot), then cr_xfer_begin().
 *
 * Return: the transfer with one reference, or NULL with errno set and the
 * reason reported (ENOMEM, EINVAL a ring too small, the ring's errno).
 */
struct cr_xfer *cr_xfer_new(const char *cgdir, const char *name, bool dump,
			    struct cr_ring *ring, const struct cr_xfer_ops *ops,
			    void *owner);

/**
 * cr_xfer_set_opts() - before cr_xfer_begin(): what the container's
 * control files ask (struct cr_opts): @shell_job, and @tty_fd, the
 * restorer's terminal (-1: none), which the transfer owns from now on
 */
void cr_xfer_set_opts(struct cr_xfer *x, bool shell_job, int tty_fd);

/**
 * cr_xfer_set_peers() - before cr_xfer_begin(): what a checkpoint does
 * with a socket whose peer is outside (enum cr_peers, the peers file)
 */
void cr_xfer_set_peers(struct cr_xfer *x, int peers);

/**
 * cr_xfer_set_lock() - before cr_xfer_begin(): the network lock of the
 * container still in force (its last checkpoint's, not thawed since), for
 * a checkpoint to reuse (struct cr_opts)
 */
void cr_xfer_set_lock(struct cr_xfer *x, const char *lock);

/**
 * cr_xfer_take_result() - after cr_xfer_end(): true for the first caller
 * only, who applies the transfer's result to its container (every copy of
 * the descriptor ends it, and each end returns the same result)
 */
bool cr_xfer_take_result(struct cr_xfer *x);

/**
 * cr_xfer_lock() - the network lock a checkpoint took (peers keep): the
 * name of its nftables table, "" for none; the caller removes it
 * (cr_netlock_drop()) when the container is thawed, or a checkpoint that
 * failed after it was taken, unless it is the one given to
 * cr_xfer_set_lock() (the lock in force, which the last image needs)
 */
const char *cr_xfer_lock(const struct cr_xfer *x);

/**
 * cr_xfer_peers() - what cr_xfer_set_peers() gave (CR_PEERS_REFUSE: none)
 */
int cr_xfer_peers(const struct cr_xfer *x);

/**
 * cr_xfer_begin() - apply the freeze policy and start the engine
 *
 * A checkpoint needs the cgroup frozen or freezing (a freeze under way is
 * waited for), a restore an empty one.  A checkpoint returns once every
 * process is checked and seized (or refused); a restore at once.  Call it
 * once, before anything but cr_xfer_call_off(), cr_xfer_settle() and the
 * queries; end the transfer and drop its last reference only after it
 * returned.
 *
 * Return: 0, or -errno with the reason reported (-EBUSY not frozen or not
 * empty, the engine's refusal, ...).
 */
int cr_xfer_begin(struct cr_xfer *x);

/**
 * cr_xfer_read() - checkpoint: the next bytes of the image
 * @buf:  where to copy them
 * @len:  the most wanted; the call waits for that much or the image's end
 * @wait: asked while the call waits (NULL: wait on)
 * @arg:  its argument
 *
 * Return: bytes read, 0 at the end of the image, -EIO when the engine
 * failed or the transfer was called off (the reason was reported), -EBADF
 * for a restore or an ended transfer, or -errno that @wait gave.
 */
ssize_t cr_xfer_read(struct cr_xfer *x, void *buf, size_t len,
		     cr_xfer_wait_fn wait, void *arg);

/**
 * cr_xfer_peek() - cr_xfer_read() without a copy
 * @take: given the next bytes where they lie in the ring; they are
 *        consumed after it returns
 *
 * Return: as cr_xfer_read(); @take was called when it is > 0.
 */
ssize_t cr_xfer_peek(struct cr_xfer *x, size_t len, cr_xfer_take_fn take,
		     cr_xfer_wait_fn wait, void *arg);

/**
 * cr_xfer_read_to() - checkpoint: the rest of the image written to @fd
 * where the bytes lie in the ring, a MiB at a time (at most half the ring)
 * @fd:        the caller checked it: a regular file, open for writing
 * @wait:      as for cr_xfer_read(), asked between two writes too
 * @arg:       its argument
 * @fd_failed: receives true when a write() to @fd failed
 *
 * A write() to @fd may wait on another process (one holding the file's
 * lock) for as long as that one wishes; a read meanwhile waits for it,
 * asking its @wait.  Interrupted, nothing half written is consumed: a
 * call again goes on where this one stopped.
 *
 * Return: 0 at the end of the image; -errno as cr_xfer_read(), or a
 * write()'s -errno with @fd_failed set (what was written stays).
 */
int cr_xfer_read_to(struct cr_xfer *x, int fd, cr_xfer_wait_fn wait,
		    void *arg, bool *fd_failed);

/**
 * cr_xfer_write() - restore: feed the image
 * @buf:  the next bytes of the image
 * @len:  how many; at most the ring's size less a record (CR_RING_REC)
 * @wait: asked while the call waits (NULL: wait on)
 * @arg:  its argument
 *
 * Returns as soon as the bytes are taken, but the write that carries the
 * image's trailer (or any write, once the image's framing cannot be
 * followed) returns the restore's result: its processes exist again,
 * frozen in the cgroup, or nothing is left.
 *
 * Return: bytes taken, or -errno: the restore's error (its reason was
 * reported), -EBADMSG bytes after the trailer (ignored: the restore
 * stands), -E2BIG @len too large, -EBADF a checkpoint or an ended
 * transfer, -errno that @wait gave (nothing was taken), or the errno the
 * transfer was called off with.  Every -errno but -EBADF and @wait's has
 * its reason reported.
 */
ssize_t cr_xfer_write(struct cr_xfer *x, const void *buf, size_t len,
		      cr_xfer_wait_fn wait, void *arg);

/**
 * cr_xfer_write_in() - cr_xfer_write() filled in place
 * @fill: puts the bytes straight into the ring (a splice, say)
 *
 * Return: as cr_xfer_write(), or what @fill returned if it failed (-EIO
 * if it filled nothing), with a reason; nothing was taken then.
 */
ssize_t cr_xfer_write_in(struct cr_xfer *x, size_t len, cr_xfer_fill_fn fill,
			 cr_xfer_wait_fn wait, void *arg);

/**
 * cr_xfer_end() - the reader or writer is done: end the transfer
 *
 * A checkpoint ends at once: the engine lets the processes go, frozen as
 * they were (an image not read to its end is abandoned, quietly).  A
 * restore whose image ended before its trailer is given a moment to say
 * where (a truncated image, -ENODATA), then called off.  Waits for the
 * engine thread.  Two calls at once, or one after the other: the same
 * result, kept once it is known.
 *
 * Return: 0, or -errno: the engine's error, or the errno the transfer was
 * called off with (-EPIPE: a checkpoint ended before its engine was done).
 */
int cr_xfer_end(struct cr_xfer *x);

/**
 * cr_xfer_reap() - let a transfer that is over go before its end
 *
 * A transfer called off (or failed), or a restore whose result is known,
 * whose engine thread has exited (cr_xfer_finished()), while its reader or
 * writer still holds it: join the thread and hand the ring back
 * (@ops->ring_put) now, not at the last put.  Reads then fail with -EIO
 * and writes with the transfer's result, as they would have.  Does
 * nothing to a transfer not finished, and leaves the ring to the last put
 * while a read or write is under way (one may wait on a write() to a
 * file for as long as another process wishes: CRFS_IOC_IMAGE_TO).
 */
void cr_xfer_reap(struct cr_xfer *x);

/**
 * cr_xfer_call_off() - stop the transfer at the engine's next step
 * @err: positive errno the transfer ends with (ECANCELED, EINTR, ...)
 * @fmt: the reason, without the operation (NULL: none is reported)
 *
 * Return: true if this call did it; false if the transfer was done or
 * called off before (and nothing is reported).
 */
bool cr_xfer_call_off(struct cr_xfer *x, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * cr_xfer_settle() - wait until the engine thread is done with the processes
 * @timeout_ms: the most to wait, -1 for ever
 *
 * For a kill: a checkpoint called off lets its processes go frozen, and
 * its cgroup is thawed only after.
 * Return: true if it is done (or never started).
 */
bool cr_xfer_settle(struct cr_xfer *x, int timeout_ms);

/** cr_xfer_get() - take a reference */
void cr_xfer_get(struct cr_xfer *x);

/**
 * cr_xfer_put() - drop a reference; the last one frees the transfer
 *
 * A transfer not ended by then is called off and waited for, quietly.
 */
void cr_xfer_put(struct cr_xfer *x);

/** cr_xfer_is_dump() - is @x a checkpoint (else a restore)? */
bool cr_xfer_is_dump(const struct cr_xfer *x);

/** cr_xfer_op() - "checkpoint" or "restore", the OP of its reasons */
const char *cr_xfer_op(const struct cr_xfer *x);

/**
 * cr_xfer_under_way() - does @x hold its cgroup?
 *
 * A checkpoint does until it ends, or until it was called off (or failed)
 * and its engine thread exited, having let the processes go; a restore
 * until its result is known, even if its writer has not ended it yet.
 */
bool cr_xfer_under_way(struct cr_xfer *x);

/**
 * cr_xfer_finished() - is @x over, whoever still holds it?
 *
 * Not under way, and its engine thread exited (or never started): another
 * transfer may take its cgroup, and cr_xfer_reap() its thread and ring.
 */
bool cr_xfer_finished(struct cr_xfer *x);

/**
 * cr_xfer_state() - the container state @x gives its cgroup while under way
 * Return: CRFS_CT_CHECKPOINTING or CRFS_CT_RESTORING.
 */
enum crfs_ct_state cr_xfer_state(const struct cr_xfer *x);

/** cr_xfer_moved() - bytes read or written so far */
uint64_t cr_xfer_moved(struct cr_xfer *x);

/**
 * cr_xfer_result() - how the transfer went
 * @reason: receives the last reason reported ("" if none); may be NULL
 * @len:    size of @reason
 *
 * Return: -EINPROGRESS while the engine runs; then 0 or -errno (the
 * engine's error, or the errno the transfer was called off with).
 */
int cr_xfer_result(struct cr_xfer *x, char *reason, size_t len);

/**
 * cr_cgroup_state() - a cgroup's state as a container's state file says it
 * Return: empty (also when @cgdir cannot be read), running, freezing or
 * frozen; never a transfer's state.
 */
enum crfs_ct_state cr_cgroup_state(const char *cgdir);

/**
 * cr_err_line() - a reason as an error file holds it: "REASON (ENAME)"
 * @buf: receives the line; a long reason is cut, ENAME never
 * @err: positive errno
 * @fmt: the reason, starting with the operation ("freeze: ct1 is restoring")
 *
 * Line breaks in the reason become blanks: the line stays one.
 * Return: @buf.
 */
char *cr_err_line(char *buf, size_t len, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/** cr_err_vline() - cr_err_line() with a va_list */
char *cr_err_vline(char *buf, size_t len, int err, const char *fmt, va_list ap);

#endif /* CR_XFER_H */
