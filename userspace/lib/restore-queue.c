// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The late steps' injected calls, queued and run as one batch per step
 * (Documentation/crfs/engine.rst, restore phase 5).
 *
 * One injected call is two ptrace stops of the process (the syscall
 * entry and exit, each a wake-up and a wait); a batch of them is one
 * (cr_infect_batch(): the runner in the scratch area makes each call and
 * stores its result, up to the first error).  A batch of an image whose
 * SIGTRAP is neither ignored nor pending skips the look at /proc that
 * cr_infect_batch() makes first (cr_infect_batch_run()): then it costs
 * about what one call does (15 us here), not twice that.
 *
 * A late step queues the calls whose result it needs only at its end
 * (those that must succeed, and read-backs it compares afterwards) and
 * flushes the queue before anything that needs their effect: a call
 * whose result it needs now, a read of /proc, a step of the restorer on
 * the process.  The engine flushes after every row (cr_rst_late_row()),
 * so a queue never crosses from one row to the next.  A call that fails
 * is reported as cr_rst_call() would have, naming pid and call, and the
 * calls queued after it are not run, as they would not have been one by
 * one.
 *
 * The scratch area's last page holds the runner and its table (as for
 * restore-mm.c's and restore-threads.c's batches, which run outside the
 * late steps), the page before it the queue data: what the queued calls'
 * arguments point to, which no poke overwrites before the queue has run.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "restore.h"

#define CR_Q_CODE(r)		((r)->scratch + (r)->scratch_size - 4096)
#define CR_Q_TABLE(r)		(CR_Q_CODE(r) + 256)
#define CR_Q_DATA(r)		((r)->scratch + (r)->scratch_size - 8192)
#define CR_Q_DATA_SIZE		4096U

_Static_assert(256 + CR_RST_QUEUE * sizeof(struct cr_infect_call) <= 4096,
	       "the queue's table fits the scratch area's last page");
_Static_assert(CR_RST_SCRATCH_PAGES >= 3,
	       "a page of data, a page of queue data, a page for the runner");

/* Can @r's queue run as a batch: a scratch area with room for it? */
static bool cr_q_room(const struct cr_rst *r)
{
	return r->scratch && r->scratch_size >= 8192 + CR_RST_DATA_OFF;
}

/* Does @q hold SIGTRAP (which a timer or the signals row queues)? */
static bool cr_q_has_trap(const struct cr_sigq *q)
{
	for (uint32_t i = 0; i < q->nr; i++)
		if (q->sig[i].signo == SIGTRAP)
			return true;
	return false;
}

/*
 * May a batch of @r skip its look at /proc/PID/status (the trap at its
 * end would reset an ignored SIGTRAP or take a pending one)?  Yes when
 * the image has SIGTRAP neither ignored nor queued, and nothing that
 * could queue one while the restore runs: no POSIX timer of the process,
 * no file of the image signalling SIGTRAP (F_SETSIG); asked once, the
 * answer kept in the queue.
 */
static bool cr_q_quiet(struct cr_rst *r)
{
	const struct cr_task *t = r->task;
	bool quiet;

	if (r->q.quiet)
		return r->q.quiet > 0;
	quiet = t && t->sighand && !t->nr_timers &&
		t->sighand->s.act[SIGTRAP - 1].handler != (uintptr_t)SIG_IGN &&
		!cr_q_has_trap(&t->pending);
	for (uint32_t i = 0; quiet && i < t->nr_threads; i++)
		quiet = !cr_q_has_trap(&t->threads[i].pending);
	for (uint32_t i = 0; quiet && r->m && i < r->m->nr_files; i++)
		quiet = r->m->files[i].f.signo != SIGTRAP;
	r->q.quiet = quiet ? 1 : -1;
	return quiet;
}

int cr_rst_batch(struct cr_rst *r, unsigned long code, unsigned long table,
		 struct cr_infect_call *calls, int n, struct cr_err *e)
{
	if (cr_q_quiet(r))
		return cr_infect_batch_run(&r->inf, code, table, calls, n, e);
	return cr_infect_batch(&r->inf, code, table, calls, n, e);
}

/*
 * Run calls @from to @n of the queue one by one (no batch possible):
 * Return: how many succeeded before the first failure, or -errno with @e
 * set when the process could not be driven.
 */
static int cr_q_one_by_one(struct cr_rst *r, int from, int n,
			   struct cr_err *e)
{
	struct cr_rst_queue *q = &r->q;
	int i, rc;

	for (i = from; i < n; i++) {
		rc = cr_infect_syscall(&r->inf, q->c[i].nr,
				       (const unsigned long *)q->c[i].a,
				       (long *)&q->c[i].ret, e);
		if (rc)
			return rc;
		if (q->c[i].ret < 0 && q->c[i].ret > -4096)
			break;
	}
	return i - from;
}

int cr_rst_flush(struct cr_rst *r, struct cr_err *e)
{
	struct cr_rst_queue *q = &r->q;
	struct iovec local = { (void *)cr_arch_batch_code,
			       cr_arch_batch_code_size };
	struct iovec remote;
	int n = q->n, i = 0, done;
	bool code = false;

	if (!n)
		return 0;
	/* Emptied first: nothing below queues or flushes again. */
	q->n = 0;
	q->data = 0;
	if (cr_q_room(r) && cr_arch_batch_code_size <= 256) {
		remote = (struct iovec){ (void *)CR_Q_CODE(r),
					 cr_arch_batch_code_size };
		/* Written each time: a seccomp filter may have lain there. */
		code = process_vm_writev(r->pid, &local, 1, &remote, 1, 0) ==
		       (ssize_t)cr_arch_batch_code_size;
	}
	while (i < n) {
		long ret;

		if (!code)
			done = -EAGAIN;
		else
			done = cr_rst_batch(r, CR_Q_CODE(r), CR_Q_TABLE(r),
					    &q->c[i], n - i, e);
		if (done >= 0)
			q->runs++;
		else if (done == -EAGAIN)
			done = cr_q_one_by_one(r, i, n, e);
		if (done < 0)
			return done;
		for (int k = i; k < i + done; k++)
			if (q->ret[k])
				*q->ret[k] = q->c[k].ret;
		i += done;
		if (i == n)
			break;
		/* Call i failed: a read-back takes its error, else it ends. */
		ret = q->c[i].ret;
		if (!q->ret[i]) {
			errno = (int)-ret;
			return cr_fail(e, (int)-ret, "pid %d: %s: %m", r->pid,
				       q->what[i]);
		}
		*q->ret[i++] = ret;
	}
	return 0;
}

void cr_rst_queue_drop(struct cr_rst *r)
{
	r->q.n = 0;
	r->q.data = 0;
}

int cr_rst_queue(struct cr_rst *r, long nr, const unsigned long a[6],
		 const char *what, long *ret, struct cr_err *e)
{
	struct cr_rst_queue *q = &r->q;
	int rc;

	if (!cr_q_room(r)) {
		if (what)
			return cr_rst_call(r, nr, a, what, e);
		return cr_rst_syscall(r, nr, a, ret, e);
	}
	if (q->n == CR_RST_QUEUE) {
		rc = cr_rst_flush(r, e);
		if (rc)
			return rc;
	}
	q->c[q->n] = (struct cr_infect_call){ .nr = nr };
	memcpy(q->c[q->n].a, a, sizeof(q->c[q->n].a));
	q->ret[q->n] = what ? NULL : ret;
	snprintf(q->what[q->n], sizeof(q->what[q->n]), "%s", what ? what : "");
	q->n++;
	return 0;
}

int cr_rst_queue_poke(struct cr_rst *r, const void *buf, size_t len,
		      unsigned long *addr, struct cr_err *e)
{
	struct cr_rst_queue *q = &r->q;
	size_t at = (q->data + 15) & ~15UL;
	struct iovec local = { (void *)buf, len }, remote;
	int rc;

	if (!cr_q_room(r) || len > CR_Q_DATA_SIZE) {
		/* Where a plain poke puts it; nothing may join it there. */
		rc = cr_rst_poke(r, 0, buf, len, addr, e);
		if (!rc && cr_q_room(r))
			q->data = CR_Q_DATA_SIZE;
		return rc;
	}
	/*
	 * Room for the data and for the call that will use it: a flush
	 * there, for a full queue, would take the data's place back.
	 */
	if (at + len > CR_Q_DATA_SIZE || q->n == CR_RST_QUEUE) {
		rc = cr_rst_flush(r, e);
		if (rc)
			return rc;
		at = 0;
	}
	remote = (struct iovec){ (void *)(CR_Q_DATA(r) + at), len };
	if (process_vm_writev(r->pid, &local, 1, &remote, 1, 0) !=
	    (ssize_t)len)
		return cr_fail(e, errno ? errno : EIO,
			       "pid %d: cannot write at %#lx: %m", r->pid,
			       CR_Q_DATA(r) + at);
	q->data = at + len;
	*addr = CR_Q_DATA(r) + at;
	return 0;
}

int cr_rst_late_row(const struct cr_res_ops *ops, struct cr_rst *r,
		    struct cr_err *e)
{
	int rc = ops->late(r, e);

	if (rc) {
		cr_rst_queue_drop(r);
		return rc;
	}
	return cr_rst_flush(r, e);
}
