// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A transfer (cr-xfer.h): one checkpoint or restore of one cgroup, as a
 * stream between an engine thread and the stream's other side, through a
 * ring.  Memory does not grow with the image: page data is read from the
 * process straight into the ring (a checkpoint) or written into it from
 * where it lies (a restore), and the engine runs ahead of the reader (or
 * behind the writer) by at most the ring.
 *
 *   checkpoint  the thread runs cr_dump_begin() (its result is begin's),
 *               cr_dump_stream() into the ring, then cr_dump_end()
 *   restore     the thread runs cr_restore() on the ring
 *
 * States, under @lock: begun (cr_dump_begin() returned), done (@ret is
 * the engine's result, @result the transfer's, set once), off (called
 * off, with that errno), exited (the thread touches nothing of the
 * transfer any more), ending and ended (cr_xfer_end() under way, then
 * over).  Calling off shuts the ring down (a checkpoint) or closes it with
 * the errno (a restore): the engine polls cr_ring_aborted() in every step
 * that does not wait on the ring.
 *
 * @ring is set from new to the last put, or until cr_xfer_reap() hands it
 * back early; it changes under both @io_lock and @lock, so a read or a
 * write (under @io_lock) and a call-off or an end (under @lock) use it
 * without fear of that.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cr.h"
#include "cr-frame.h"
#include "cr-ring.h"
#include "cr-xfer.h"
#include "xfer-int.h"

/* How long an end waits for a restore to see its stream end. */
#define CR_XFER_END_GRACE_MS	50

char *cr_err_vline(char *buf, size_t len, int err, const char *fmt, va_list ap)
{
	char msg[CR_ERR_MSG_LEN], num[24];
	const char *name = strerrorname_np(err);
	int room;
	char *p;

	if (!name) {
		snprintf(num, sizeof(num), "errno %d", err);
		name = num;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (p = msg; *p; p++)		/* one line, whatever the engine said */
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	room = (int)len - (int)strlen(name) - (int)sizeof(" ()");
	if (room < 0)
		room = 0;
	snprintf(buf, len, "%.*s (%s)", room, msg, name);
	return buf;
}

char *cr_err_line(char *buf, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cr_err_vline(buf, len, err, fmt, ap);
	va_end(ap);
	return buf;
}

enum crfs_ct_state cr_cgroup_state(const char *cgdir)
{
	int populated, frozen;

	if (cr_cgroup_events(cgdir, &populated, &frozen) || !populated)
		return CRFS_CT_EMPTY;
	if (cr_cgroup_freezing(cgdir) == 1)
		return frozen ? CRFS_CT_FROZEN : CRFS_CT_FREEZING;
	return CRFS_CT_RUNNING;
}

bool cr_xfer_is_dump(const struct cr_xfer *x)
{
	return x->dump;
}

const char *cr_xfer_op(const struct cr_xfer *x)
{
	return x->dump ? "checkpoint" : "restore";
}

enum crfs_ct_state cr_xfer_state(const struct cr_xfer *x)
{
	return x->dump ? CRFS_CT_CHECKPOINTING : CRFS_CT_RESTORING;
}

uint64_t cr_xfer_moved(struct cr_xfer *x)
{
	return __atomic_load_n(&x->moved, __ATOMIC_RELAXED);
}

/* Tell the owner why, as "OP: REASON (ENAME)", and keep it. */
void cr_xfer_report(struct cr_xfer *x, int err, const char *fmt, ...)
{
	char reason[CR_ERR_MSG_LEN], line[CR_ERR_MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	cr_err_line(line, sizeof(line), err, "%s: %s", cr_xfer_op(x), reason);
	pthread_mutex_lock(&x->lock);
	memcpy(x->reason, line, sizeof(line));
	pthread_mutex_unlock(&x->lock);
	if (x->ops && x->ops->report)
		x->ops->report(x->owner, err, line);
}

/* A failure of cr_xfer_new(), before there is a transfer to keep it. */
static void __attribute__((format(printf, 5, 6)))
xfer_report_new(const struct cr_xfer_ops *ops, void *owner, bool dump,
		int err, const char *fmt, ...)
{
	char reason[CR_ERR_MSG_LEN], line[CR_ERR_MSG_LEN];
	va_list ap;

	if (!ops || !ops->report)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	cr_err_line(line, sizeof(line), err, "%s: %s",
		    dump ? "checkpoint" : "restore", reason);
	ops->report(owner, err, line);
}

struct cr_xfer *cr_xfer_new(const char *cgdir, const char *name, bool dump,
			    struct cr_ring *ring, const struct cr_xfer_ops *ops,
			    void *owner)
{
	pthread_condattr_t ca;
	struct cr_xfer *x;
	int err;

	if (!ring)
		ring = cr_ring_new(CR_XFER_RING_SIZE);
	if (!ring) {
		err = errno;
		xfer_report_new(ops, owner, dump, err,
				"%s: cannot make the ring of %u bytes: %s",
				name, CR_XFER_RING_SIZE, strerror(err));
		errno = err;
		return NULL;
	}
	err = EINVAL;
	if (cr_ring_size(ring) < 2 * CR_RING_REC) {
		xfer_report_new(ops, owner, dump, err,
				"%s: a ring of %zu bytes is too small (at least %zu)",
				name, cr_ring_size(ring),
				(size_t)2 * CR_RING_REC);
		goto out_ring;
	}
	err = ENOMEM;
	x = calloc(1, sizeof(*x));
	if (!x) {
		xfer_report_new(ops, owner, dump, err,
				"%s: no memory for the transfer", name);
		goto out_ring;
	}
	x->cgdir = strdup(cgdir);
	x->name = strdup(name);
	if (!x->cgdir || !x->name) {
		xfer_report_new(ops, owner, dump, err,
				"%s: no memory for the transfer", name);
		goto out_free;
	}
	x->dump = dump;
	x->opts.tty_fd = -1;
	x->ring = ring;
	x->ops = ops;
	x->owner = owner;
	x->refs = 1;
	pthread_mutex_init(&x->io_lock, NULL);
	pthread_mutex_init(&x->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);	/* timed waits */
	pthread_cond_init(&x->cond, &ca);
	pthread_condattr_destroy(&ca);
	return x;

out_free:
	free(x->name);
	free(x->cgdir);
	free(x);
out_ring:
	if (ops && ops->ring_put)
		ops->ring_put(ring);
	else
		cr_ring_free(ring);
	errno = err;
	return NULL;
}

void cr_xfer_get(struct cr_xfer *x)
{
	pthread_mutex_lock(&x->lock);
	x->refs++;
	pthread_mutex_unlock(&x->lock);
}

/* Wait up to @ms (-1: for ever) until @flag is true; x->lock held. */
static bool xfer_wait_locked(struct cr_xfer *x, const bool *flag, int ms)
{
	struct timespec ts;

	if (ms < 0) {
		while (!*flag)
			pthread_cond_wait(&x->cond, &x->lock);
		return true;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (!*flag)
		if (pthread_cond_timedwait(&x->cond, &x->lock, &ts))
			break;
	return *flag;
}

/* Wait up to @ms (-1: for ever) for the engine's result; true if it came. */
bool cr_xfer_wait_done(struct cr_xfer *x, int ms)
{
	bool done;

	pthread_mutex_lock(&x->lock);
	done = xfer_wait_locked(x, &x->done, ms);
	pthread_mutex_unlock(&x->lock);
	return done;
}

/* Call off without a reason, or with @reason already formatted. */
static bool xfer_call_off(struct cr_xfer *x, int err, const char *reason)
{
	bool first;

	pthread_mutex_lock(&x->lock);
	first = !x->off && !x->done;
	if (first)
		x->off = err;
	pthread_mutex_unlock(&x->lock);
	if (!first)
		return false;
	/* The reason first: whoever the ring wakes can read it. */
	if (reason)
		cr_xfer_report(x, err, "%s", reason);
	pthread_mutex_lock(&x->lock);	/* cr_xfer_reap() may have taken it */
	if (x->ring && x->dump)
		cr_ring_shutdown(x->ring);
	else if (x->ring)
		cr_ring_close(x->ring, err);
	pthread_mutex_unlock(&x->lock);
	return true;
}

bool cr_xfer_call_off(struct cr_xfer *x, int err, const char *fmt, ...)
{
	char reason[CR_ERR_MSG_LEN];
	va_list ap;

	if (!fmt)
		return xfer_call_off(x, err, NULL);
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return xfer_call_off(x, err, reason);
}

/* Join the engine thread once; x->lock not held. */
static void xfer_join(struct cr_xfer *x)
{
	bool join;

	pthread_mutex_lock(&x->lock);
	join = x->started && !x->joined;
	x->joined = true;
	pthread_mutex_unlock(&x->lock);
	if (join)
		pthread_join(x->thread, NULL);
}

/* Give @r, @x's ring, back to its owner (or free it). */
static void xfer_ring_put(struct cr_xfer *x, struct cr_ring *r)
{
	if (!r)
		return;
	if (x->ops && x->ops->ring_put)
		x->ops->ring_put(r);
	else
		cr_ring_free(r);
}

void cr_xfer_put(struct cr_xfer *x)
{
	bool last, ended;

	pthread_mutex_lock(&x->lock);
	last = --x->refs == 0;
	ended = x->ended || !x->started;
	pthread_mutex_unlock(&x->lock);
	if (!last)
		return;
	if (!ended) {		/* nobody ended it: quietly */
		xfer_call_off(x, ECANCELED, NULL);
		xfer_join(x);
	}
	xfer_ring_put(x, x->ring);
	pthread_cond_destroy(&x->cond);
	pthread_mutex_destroy(&x->lock);
	pthread_mutex_destroy(&x->io_lock);
	if (x->opts.tty_fd >= 0)
		close(x->opts.tty_fd);
	free(x->name);
	free(x->cgdir);
	free(x);
}

void cr_xfer_set_opts(struct cr_xfer *x, bool shell_job, int tty_fd)
{
	x->opts.shell_job = shell_job;
	x->opts.tty_fd = tty_fd;
}

void cr_xfer_set_peers(struct cr_xfer *x, int peers)
{
	x->opts.peers = peers;
}

void cr_xfer_set_lock(struct cr_xfer *x, const char *lock)
{
	snprintf(x->opts.lock, sizeof(x->opts.lock), "%s", lock);
}

const char *cr_xfer_lock(const struct cr_xfer *x)
{
	return x->netlock;
}

int cr_xfer_peers(const struct cr_xfer *x)
{
	return x->opts.peers;
}

/* Record the engine's result (and its reason); wake the waiters. */
static void xfer_finish(struct cr_xfer *x, int ret)
{
	bool quiet;

	pthread_mutex_lock(&x->lock);
	quiet = x->off;		/* who called it off gave the reason */
	pthread_mutex_unlock(&x->lock);
	if (ret && !quiet)
		cr_xfer_report(x, -ret, "%s",
			    x->err.msg[0] ? x->err.msg : strerror(-ret));
	pthread_mutex_lock(&x->lock);
	x->ret = ret;
	x->result = x->off ? -x->off : ret;	/* once: it never changes */
	x->done = true;
	pthread_cond_broadcast(&x->cond);
	pthread_mutex_unlock(&x->lock);
}

/* Set a flag of @x and wake its waiters. */
static void xfer_flag(struct cr_xfer *x, bool *flag)
{
	pthread_mutex_lock(&x->lock);
	*flag = true;
	pthread_cond_broadcast(&x->cond);
	pthread_mutex_unlock(&x->lock);
}

/*
 * A caller's threads may block every signal (libfuse's workers do) and
 * threads inherit that; the engine forks, and what it forks must not
 * start with every signal blocked.
 */
static void xfer_unblock_signals(void)
{
	sigset_t none;

	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
}

/* The checkpoint thread: it is the tracer from begin to end. */
static void *xfer_dump(void *arg)
{
	struct cr_xfer *x = arg;
	struct cr_dump *d;
	int ret;

	xfer_unblock_signals();
	d = cr_dump_begin_opts(x->cgdir, x->ring, &x->opts, &x->err);
	if (!d) {
		ret = -(x->err.err ? x->err.err : EIO);
		xfer_finish(x, ret);
		cr_ring_close(x->ring, -ret);
		xfer_flag(x, &x->exited);
		return NULL;
	}
	xfer_flag(x, &x->begun);
	ret = cr_dump_stream(d, x->ring, &x->err);
	/* Its network lock: the owner's to keep or drop, or gone now. */
	if (ret)
		cr_netlock_fail(d);
	else
		snprintf(x->netlock, sizeof(x->netlock), "%s", cr_dump_lock(d));
	xfer_finish(x, ret);
	cr_ring_close(x->ring, -ret);	/* the reader's end, after @ret */
	cr_dump_end(d);
	xfer_flag(x, &x->exited);	/* touches nothing of @x after */
	return NULL;
}

/*
 * The restore thread.  Its result is the verdict the writer waits for on
 * the write that carried the trailer; nothing is read after the trailer.
 */
static void *xfer_restore(void *arg)
{
	struct cr_xfer *x = arg;
	int ret;

	xfer_unblock_signals();
	ret = cr_restore_opts(x->ring, x->cgdir, &x->opts, &x->err);
	xfer_finish(x, ret);
	cr_ring_shutdown(x->ring);	/* a writer gets an error after @ret */
	xfer_flag(x, &x->exited);
	return NULL;
}

/*
 * The freeze policy: a checkpoint takes a frozen (or freezing) cgroup, a
 * restore an empty one.
 */
static int xfer_check(struct cr_xfer *x)
{
	enum crfs_ct_state state = cr_cgroup_state(x->cgdir);

	if (x->dump && state != CRFS_CT_FROZEN && state != CRFS_CT_FREEZING) {
		cr_xfer_report(x, EBUSY, "%s: not frozen (state %s)", x->name,
			    crfs_ct_state_name(state));
		return -EBUSY;
	}
	if (!x->dump && state != CRFS_CT_EMPTY) {
		cr_xfer_report(x, EBUSY,
			    "%s: restore needs an empty container (state %s)",
			    x->name, crfs_ct_state_name(state));
		return -EBUSY;
	}
	return 0;
}

/* The transfer is over before its engine started: @ret is its result. */
static int xfer_not_begun(struct cr_xfer *x, int ret)
{
	pthread_mutex_lock(&x->lock);
	x->ret = ret;
	x->result = ret;
	x->done = true;
	x->exited = true;
	pthread_cond_broadcast(&x->cond);
	pthread_mutex_unlock(&x->lock);
	return ret;
}

int cr_xfer_begin(struct cr_xfer *x)
{
	int ret;

	ret = xfer_check(x);
	if (ret)
		return xfer_not_begun(x, ret);
	/*
	 * Under the lock: whoever sees the thread's flags sees @started and
	 * @thread too.  Called off or ended already (an unmount during the
	 * open): nothing starts.
	 */
	pthread_mutex_lock(&x->lock);
	if (x->off || x->ending) {
		ret = x->off ? -x->off : -ECANCELED;
		pthread_mutex_unlock(&x->lock);
		return xfer_not_begun(x, ret);
	}
	ret = -pthread_create(&x->thread, NULL, x->dump ? xfer_dump :
			      xfer_restore, x);
	x->started = !ret;
	pthread_mutex_unlock(&x->lock);
	if (ret) {
		cr_xfer_report(x, -ret, "%s: cannot start the engine thread: %s",
			    x->name, strerror(-ret));
		return xfer_not_begun(x, ret);
	}
	pthread_mutex_lock(&x->lock);
	while (x->dump && !x->begun && !x->done)
		pthread_cond_wait(&x->cond, &x->lock);
	ret = x->dump && !x->begun ? x->ret : 0;
	pthread_mutex_unlock(&x->lock);
	if (ret)
		xfer_join(x);
	return ret;
}

/*
 * A restore's writer ended before the trailer: give the engine a moment to
 * see the stream end and say where, then call it off.
 */
static void xfer_end_restore(struct cr_xfer *x)
{
	const struct cr_img_frame *f = &x->frame;

	pthread_mutex_lock(&x->lock);	/* cr_xfer_reap() may have taken it */
	if (x->ring && !x->done)
		cr_ring_close(x->ring, 0);
	pthread_mutex_unlock(&x->lock);
	if (cr_xfer_wait_done(x, CR_XFER_END_GRACE_MS))
		return;
	cr_xfer_call_off(x, ENODATA,
			 "image truncated: its writer closed it after %llu bytes, %s %llu, before the trailer",
			 (unsigned long long)cr_xfer_moved(x),
			 f->state == CR_FRAME_HDR ? "in the header, record" :
			 "after record", (unsigned long long)f->nr);
}

int cr_xfer_end(struct cr_xfer *x)
{
	bool started;
	int ret;

	/* Two ends at once (a shared descriptor): one joins, one waits. */
	pthread_mutex_lock(&x->lock);
	if (x->ending) {
		xfer_wait_locked(x, &x->ended, -1);
		ret = x->result;
		pthread_mutex_unlock(&x->lock);
		return ret;
	}
	x->ending = true;
	started = x->started;
	pthread_mutex_unlock(&x->lock);
	if (!started)
		;			/* begin failed, or never came */
	else if (x->dump)
		xfer_call_off(x, EPIPE, NULL);	/* quiet if it was done */
	else
		xfer_end_restore(x);
	xfer_join(x);
	pthread_mutex_lock(&x->lock);
	if (!x->done) {		/* never begun: nothing will run any more */
		x->result = x->off ? -x->off : 0;
		x->done = x->exited = true;
	}
	x->ended = true;
	ret = x->result;	/* every end returns this one */
	pthread_cond_broadcast(&x->cond);
	pthread_mutex_unlock(&x->lock);
	return ret;
}

bool cr_xfer_settle(struct cr_xfer *x, int timeout_ms)
{
	bool settled;

	pthread_mutex_lock(&x->lock);
	settled = !x->started || xfer_wait_locked(x, &x->exited, timeout_ms);
	pthread_mutex_unlock(&x->lock);
	return settled;
}

/* cr_xfer_under_way(); x->lock held. */
static bool xfer_under_way_locked(struct cr_xfer *x)
{
	if (!x->dump)
		return !x->done;
	/* Called off or failed, its thread gone: the processes are let go. */
	return !x->ended && !(x->exited && x->result);
}

bool cr_xfer_under_way(struct cr_xfer *x)
{
	bool busy;

	pthread_mutex_lock(&x->lock);
	busy = xfer_under_way_locked(x);
	pthread_mutex_unlock(&x->lock);
	return busy;
}

bool cr_xfer_take_result(struct cr_xfer *x)
{
	bool first;

	pthread_mutex_lock(&x->lock);
	first = x->ended && !x->taken;
	if (first)
		x->taken = true;
	pthread_mutex_unlock(&x->lock);
	return first;
}

bool cr_xfer_finished(struct cr_xfer *x)
{
	bool over;

	pthread_mutex_lock(&x->lock);
	over = !xfer_under_way_locked(x) && x->exited;
	pthread_mutex_unlock(&x->lock);
	return over;
}

void cr_xfer_reap(struct cr_xfer *x)
{
	struct cr_ring *r;

	if (!cr_xfer_finished(x))
		return;
	xfer_join(x);
	/*
	 * No read or write in it.  One still in it (a checkpoint written to
	 * a file whose write() stalls: CRFS_IOC_IMAGE_TO) keeps the ring
	 * till the last put: a kill or the next open does not wait on it.
	 */
	if (pthread_mutex_trylock(&x->io_lock))
		return;
	pthread_mutex_lock(&x->lock);		/* no call-off or end in it */
	r = x->ring;
	x->ring = NULL;
	pthread_mutex_unlock(&x->lock);
	pthread_mutex_unlock(&x->io_lock);
	xfer_ring_put(x, r);
}

int cr_xfer_result(struct cr_xfer *x, char *reason, size_t len)
{
	int ret;

	pthread_mutex_lock(&x->lock);
	ret = !x->done ? -EINPROGRESS : x->result;
	if (reason && len)
		snprintf(reason, len, "%s", x->reason);
	pthread_mutex_unlock(&x->lock);
	return ret;
}
