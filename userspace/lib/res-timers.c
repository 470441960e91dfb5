// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "timers": a process's three interval timers (setitimer(),
 * alarm(): in TASK) and its POSIX timers (timer_create(): TIMER records).
 *
 * Checkpoint: /proc/PID/timers tells each POSIX timer's id, signal,
 * value, notification and clock; what only the process can tell (the time
 * left, the period, the overrun, the interval timers) comes from calls of
 * its injection batch: getitimer() three times, timer_gettime() and
 * timer_getoverrun() for each timer.
 *
 * Restore: last of the late steps but the seccomp filters (after the
 * credentials, so that the timers' signal queue entries are charged to the
 * process's own user, and so that almost no CPU time of the restore counts
 * against ITIMER_PROF), each POSIX timer is created again with its own id
 * (PR_TIMER_CREATE_RESTORE_IDS: timer_create() takes the id it is given;
 * before Linux 6.17, timers are created and deleted until the kernel,
 * which hands ids out in order, hands out the one wanted) and armed with
 * the time it had left, relative to now: the time the
 * container spent frozen between the checkpoint and the restore does not
 * count, as for a process that was never stopped.  What cannot come back:
 * the overrun count of the last expiry (no call sets it: timer_getoverrun()
 * says 0 until the next expiry is delivered, and the expiries a timer
 * whose signal was pending at the checkpoint counted into the overrun of
 * that signal are lost), the phase of an ITIMER_REAL whose SIGALRM was
 * pending (the kernel rearms it when the signal is taken: it comes back
 * armed one period ahead), TIMER_ABSTIME (an absolute
 * CLOCK_REALTIME timer becomes relative: a later clock change does not
 * move it), and the id the kernel would hand the next timer_create()
 * (the next free one above the restored ids).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>

#include "dump.h"
#include "restore.h"

#ifndef PR_TIMER_CREATE_RESTORE_IDS
#define PR_TIMER_CREATE_RESTORE_IDS	77
#define PR_TIMER_CREATE_RESTORE_IDS_OFF	0
#define PR_TIMER_CREATE_RESTORE_IDS_ON	1
#define PR_TIMER_CREATE_RESTORE_IDS_GET	2
#endif

/* POSIX timers one checkpoint asks about (two calls each in the batch). */
#define CR_TIMERS_MAX		64
/* Without PR_TIMER_CREATE_RESTORE_IDS: the highest id made by creating. */
#define CR_TIMER_ID_WALK	4096
#define CR_NS			1000000000ULL

/* struct itimerval and struct itimerspec of x86-64: interval, value. */
struct k_itimer_val {
	int64_t	interval_sec, interval_frac;
	int64_t	value_sec, value_frac;
};

static const char *const cr_itimer_names[3] = {
	"ITIMER_REAL", "ITIMER_VIRTUAL", "ITIMER_PROF",
};

/* ns from seconds and a fraction of @per ns. */
static uint64_t cr_ns(int64_t sec, int64_t frac, uint64_t per)
{
	return (uint64_t)sec * CR_NS + (uint64_t)frac * per;
}

/* ns of a timeval. */
static long long tv_ns(const struct timeval *tv)
{
	return tv->tv_sec * (long long)CR_NS + tv->tv_usec * 1000LL;
}

/* The order of the image: ascending ids. */
static int cr_timer_cmp(const void *a, const void *b)
{
	const struct crfs_timer *x = a, *y = b;

	return (x->timer_id > y->timer_id) - (x->timer_id < y->timer_id);
}

/* One line of /proc/PID/timers into @tm; 0 or -EBADMSG. */
static int timers_line(const char *l, pid_t pid, struct crfs_timer *tm)
{
	unsigned long long v;
	char kind[16], who[4];
	int n;

	if (sscanf(l, "signal: %d/%llx", &tm->signo, &v) == 2) {
		tm->sigval = v;
		return 0;
	}
	if (sscanf(l, "ClockID: %d", &tm->clock) == 1)
		return 0;
	if (sscanf(l, "notify: %15[a-z]/%3[a-z].%d", kind, who, &n) != 3)
		return 0;	/* a line this version does not know */
	if (!strcmp(kind, "none"))
		tm->notify = SIGEV_NONE;
	else if (!strcmp(kind, "signal") && !strcmp(who, "tid"))
		tm->notify = SIGEV_THREAD_ID;
	else if (!strcmp(kind, "signal"))
		tm->notify = SIGEV_SIGNAL;
	else
		tm->notify = -1;	/* refused by the rules of img-check.c */
	if (!strcmp(who, "tid"))
		tm->notify_tid = n;
	else if (n != pid)
		tm->notify = -1;
	return 0;
}

/* Phase 1: the POSIX timers of /proc/PID/timers, by id. */
static int timers_collect(struct cr_dump *d, struct cr_dtask *dt,
			  struct cr_err *e)
{
	struct cr_task *t = dt->t;
	struct crfs_timer *tm = NULL;
	char path[64], *buf, *l, *next;
	int id, err = 0, ret = 0;

	(void)d;
	snprintf(path, sizeof(path), "/proc/%d/timers", dt->pid);
	buf = cr_read_file(path, NULL);
	if (!buf && errno == ENOENT)
		return cr_fail(e, EOPNOTSUPP,
			       "pid %d: no %s: this kernel (without CONFIG_CHECKPOINT_RESTORE) does not tell a process's POSIX timers",
			       dt->pid, path);
	if (!buf)
		return cr_fail(e, errno, "pid %d: cannot read %s: %m", dt->pid,
			       path);
	for (l = buf; !ret && l && *l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		if (sscanf(l, "ID: %d", &id) == 1) {
			tm = cr_model_new_timer(t, &err);
			if (!tm) {
				ret = cr_fail(e, ENOMEM, "out of memory");
				break;
			}
			tm->pid = dt->pid;
			tm->timer_id = id;
		} else if (tm) {
			ret = timers_line(l, dt->pid, tm);
		}
	}
	free(buf);
	if (!ret && t->nr_timers)
		qsort(t->timers, t->nr_timers, sizeof(*t->timers),
		      cr_timer_cmp);
	return ret;
}

/*
 * Can this machine create @t's timers with their ids?  With
 * PR_TIMER_CREATE_RESTORE_IDS (Linux 6.17 and later), any; without it, by
 * creating and deleting timers until the kernel hands out the id (it hands
 * them out in order, from 0 in a new process), ids up to
 * CR_TIMER_ID_WALK.  Both the dump and the restore ask: whatever a
 * checkpoint accepts must restore.
 */
static int timers_fit(const struct cr_task *t, struct cr_err *e)
{
	const struct crfs_timer *last;

	if (!t->nr_timers ||
	    prctl(PR_TIMER_CREATE_RESTORE_IDS, PR_TIMER_CREATE_RESTORE_IDS_GET,
		  0, 0, 0) >= 0)
		return 0;
	last = &t->timers[t->nr_timers - 1];
	if (last->timer_id <= CR_TIMER_ID_WALK)
		return 0;
	return cr_fail(e, EOPNOTSUPP,
		       "pid %u: timer %d: this kernel cannot create a POSIX timer with a given id (PR_TIMER_CREATE_RESTORE_IDS, Linux 6.17 and later), and creating and deleting timers up to it reaches id %d at most",
		       t->t.pid, last->timer_id, CR_TIMER_ID_WALK);
}

/* Phase 2: as many timers as one batch asks about, ids this kernel sets. */
static int timers_check(struct cr_dump *d, struct cr_dtask *dt,
			struct cr_err *e)
{
	(void)d;
	if (dt->t->nr_timers > CR_TIMERS_MAX)
		return cr_fail(e, EOPNOTSUPP,
			       "pid %d: %u POSIX timers: at most %d can be checkpointed",
			       dt->pid, dt->t->nr_timers, CR_TIMERS_MAX);
	return timers_fit(dt->t, e);
}

/* The calls: getitimer() of each, timer_gettime(), timer_getoverrun(). */
static int timers_calls(struct cr_dtask *dt, struct cr_batch *b,
			struct cr_err *e)
{
	const struct cr_task *t = dt->t;
	unsigned long addr;
	int i;

	for (i = 0; i < 3; i++)
		if (cr_batch_data(b, sizeof(struct k_itimer_val), &addr) < 0 ||
		    cr_batch_add(b, __NR_getitimer,
				 (unsigned long[6]){ i, addr }) < 0)
			goto out_full;
	for (uint32_t j = 0; j < t->nr_timers; j++) {
		unsigned long id = t->timers[j].timer_id;

		if (cr_batch_data(b, sizeof(struct k_itimer_val), &addr) < 0 ||
		    cr_batch_add(b, __NR_timer_gettime,
				 (unsigned long[6]){ id, addr }) < 0 ||
		    cr_batch_add(b, __NR_timer_getoverrun,
				 (unsigned long[6]){ id }) < 0)
			goto out_full;
	}
	return 0;
out_full:
	return cr_fail(e, E2BIG, "pid %d: the injection batch is full",
		       dt->pid);
}

/* Their results into TASK and the TIMERs. */
static int timers_results(struct cr_dtask *dt, struct cr_batch *b,
			  struct cr_err *e)
{
	struct cr_task *t = dt->t;
	const struct k_itimer_val *v = (void *)(b->out + b->slot->data);
	int call = b->slot->call;
	long rc;

	for (int i = 0; i < 3; i++, call++, v++) {
		rc = cr_batch_ret(b, call);
		if (rc < 0)
			return cr_fail(e, (int)-rc, "pid %d: getitimer(%s) failed: %s",
				       dt->pid, cr_itimer_names[i],
				       strerror((int)-rc));
		t->t.itimer[i].value_ns = cr_ns(v->value_sec, v->value_frac,
						1000);
		t->t.itimer[i].interval_ns = cr_ns(v->interval_sec,
						   v->interval_frac, 1000);
	}
	for (uint32_t j = 0; j < t->nr_timers; j++, call += 2, v++) {
		struct crfs_timer *tm = &t->timers[j];

		rc = cr_batch_ret(b, call);
		if (rc >= 0)
			rc = cr_batch_ret(b, call + 1);
		if (rc < 0)
			return cr_fail(e, (int)-rc, "pid %d: timer %d: cannot read it: %s",
				       dt->pid, tm->timer_id,
				       strerror((int)-rc));
		tm->value_ns = cr_ns(v->value_sec, v->value_frac, 1);
		tm->interval_ns = cr_ns(v->interval_sec, v->interval_frac, 1);
		tm->overrun = cr_batch_ret(b, call + 1);
	}
	return 0;
}

/* Phase 4: the calls, then their results. */
static int timers_seized(struct cr_dump *d, struct cr_dtask *dt,
			 struct cr_batch *b, struct cr_err *e)
{
	(void)d;
	if (cr_seized_calls(b))
		return timers_calls(dt, b, e);
	if (cr_seized_done(b))
		return timers_results(dt, b, e);
	return 0;
}

/* Restore phase 1: this kernel creates timers with the image's ids. */
static int timers_plan(struct cr_rst *r, struct cr_err *e)
{
	return timers_fit(r->task, e);
}

/*
 * Set interval timer @i of the process to @v, the copy of @v in the
 * process at @addr.  setitimer() adds one tick to the value of a CPU
 * timer (ITIMER_VIRTUAL, ITIMER_PROF): once set, the timer is read back,
 * and set again less what it gained, so that it has what it had left.
 */
static int timers_set_itimer(struct cr_rst *r, int i, struct itimerval *v,
			     unsigned long addr, struct cr_err *e)
{
	struct iovec local = { v, sizeof(*v) };
	struct iovec remote = { (void *)addr, sizeof(*v) };
	long long want = tv_ns(&v->it_value), excess;
	struct itimerval got;
	char what[64];
	int rc;

	snprintf(what, sizeof(what), "cannot set %s", cr_itimer_names[i]);
	rc = cr_rst_call(r, SYS_setitimer, CR_ARGS(i, addr), what, e);
	if (rc || i == ITIMER_REAL || !want)
		return rc;
	rc = cr_rst_call(r, SYS_getitimer, CR_ARGS(i, addr), what, e);
	if (rc)
		return rc;
	local.iov_base = &got;
	if (process_vm_readv(r->pid, &local, 1, &remote, 1, 0) != sizeof(got))
		return cr_fail(e, errno ? errno : EIO,
			       "pid %d: %s: cannot read it back: %m", r->pid,
			       cr_itimer_names[i]);
	excess = tv_ns(&got.it_value) - want;
	if (excess <= 0 || excess >= want)
		return 0;
	want -= excess;
	v->it_value.tv_sec = want / CR_NS;
	v->it_value.tv_usec = want % CR_NS / 1000;
	rc = cr_rst_poke(r, 0, v, sizeof(*v), &addr, e);
	if (!rc)
		rc = cr_rst_call(r, SYS_setitimer, CR_ARGS(i, addr), what, e);
	return rc;
}

/* The interval timers, each armed with what it had left. */
static int timers_late_itimers(struct cr_rst *r, struct cr_err *e)
{
	const struct crfs_itimer *it = r->task->t.itimer;
	unsigned long addr;
	int rc;

	for (int i = 0; i < 3; i++) {
		struct itimerval v = {
			.it_interval = {
				.tv_sec = it[i].interval_ns / CR_NS,
				.tv_usec = it[i].interval_ns % CR_NS / 1000,
			},
			.it_value = {
				.tv_sec = it[i].value_ns / CR_NS,
				.tv_usec = it[i].value_ns % CR_NS / 1000,
			},
		};

		if (!it[i].value_ns && !it[i].interval_ns)
			continue;	/* a new process has none */
		/*
		 * ITIMER_REAL fired, its SIGALRM still pending (queued again
		 * by "signals"): the kernel rearms it when that SIGALRM is
		 * taken, but setitimer() with no value would drop the
		 * period.  Armed one period ahead instead: it ticks on, with
		 * its period, its phase within one period of the original.
		 */
		if (i == ITIMER_REAL && !it[i].value_ns)
			v.it_value = v.it_interval;
		rc = cr_rst_poke(r, 0, &v, sizeof(v), &addr, e);
		if (!rc)
			rc = timers_set_itimer(r, i, &v, addr, e);
		if (rc)
			return rc;
	}
	return 0;
}

/* The timer id of SI_TIMER signal @p (siginfo's si_timerid), or -1. */
static int timers_sig_id(const struct crfs_sigpending *p)
{
	siginfo_t si;

	memcpy(&si, p->siginfo, sizeof(si));
	return si.si_code == SI_TIMER ? si._sifields._timer.si_tid : -1;
}

/* See restore.h. */
bool cr_timer_requeues(const struct cr_task *t,
		       const struct crfs_sigpending *p)
{
	int id = timers_sig_id(p);

	for (uint32_t i = 0; id >= 0 && i < t->nr_timers; i++)
		if (t->timers[i].timer_id == id &&
		    t->timers[i].notify != SIGEV_NONE)
			return true;
	return false;
}

/* Was a signal of timer @tm of @t pending, in a queue of the process? */
static bool timers_had_pending(const struct cr_task *t,
			       const struct crfs_timer *tm)
{
	for (uint32_t i = 0; i < t->pending.nr; i++)
		if (timers_sig_id(&t->pending.sig[i]) == tm->timer_id)
			return true;
	for (uint32_t j = 0; j < t->nr_threads; j++)
		for (uint32_t i = 0; i < t->threads[j].pending.nr; i++)
			if (timers_sig_id(&t->threads[j].pending.sig[i]) ==
			    tm->timer_id)
				return true;
	return false;
}

/* What timer_create() and timer_settime() of @tm read, in the process. */
struct cr_timer_args {
	struct sigevent		sev;
	int32_t			id;
	int32_t			__pad;
	struct itimerspec	its;
};

/*
 * Without PR_TIMER_CREATE_RESTORE_IDS: create timers until the kernel
 * hands out @tm's id, deleting the others (each id below it is free: the
 * restored ids ascend, and the kernel hands them out in order).
 */
static int timers_walk_id(struct cr_rst *r, const struct crfs_timer *tm,
			  unsigned long addr, struct cr_err *e)
{
	unsigned long id_addr = addr + offsetof(struct cr_timer_args, id);
	struct iovec remote = { (void *)id_addr, sizeof(int32_t) };
	int32_t id = -1;
	struct iovec local = { &id, sizeof(id) };
	char what[64];
	int rc;

	snprintf(what, sizeof(what), "cannot create timer %d on clock %d",
		 tm->timer_id, tm->clock);
	for (int n = 0; n <= CR_TIMER_ID_WALK + 1; n++) {
		rc = cr_rst_aborted(r, e);
		if (!rc)
			rc = cr_rst_call(r, SYS_timer_create,
					 CR_ARGS((unsigned long)(long)tm->clock,
						 addr, id_addr), what, e);
		if (rc)
			return rc;
		if (process_vm_readv(r->pid, &local, 1, &remote, 1, 0) !=
		    sizeof(id))
			return cr_fail(e, errno ? errno : EIO,
				       "pid %d: timer %d: cannot read its id: %m",
				       r->pid, tm->timer_id);
		if (id == tm->timer_id)
			return 0;
		if (id > tm->timer_id)
			break;
		rc = cr_rst_call(r, SYS_timer_delete, CR_ARGS(id),
				 "cannot delete a timer made on the way", e);
		if (rc)
			return rc;
	}
	return cr_fail(e, EEXIST,
		       "pid %d: timer %d: the kernel handed out id %d instead (no PR_TIMER_CREATE_RESTORE_IDS)",
		       r->pid, tm->timer_id, id);
}

/*
 * A signal of timer @tm was pending: the timer, made again, fires once
 * (1 ns, every signal of the process blocked until the end of the
 * restore), so that the kernel queues that signal as the timer's own, one
 * at a time, as it was; waited for until timer_gettime() says it fired.
 * @addr: the struct cr_timer_args poked in the process, whose its this
 * writes over.
 */
static int timers_fire_once(struct cr_rst *r, const struct crfs_timer *tm,
			    unsigned long addr, struct cr_err *e)
{
	struct itimerspec once = { .it_value = { 0, 1 } }, left;
	unsigned long at = addr + offsetof(struct cr_timer_args, its);
	struct iovec local = { &left, sizeof(left) };
	struct iovec remote = { (void *)at, sizeof(left) };
	char what[64];
	int rc;

	rc = cr_rst_poke(r, offsetof(struct cr_timer_args, its), &once,
			 sizeof(once), &at, e);
	snprintf(what, sizeof(what), "cannot fire timer %d once",
		 tm->timer_id);
	if (!rc)
		rc = cr_rst_call(r, SYS_timer_settime,
				 CR_ARGS(tm->timer_id, 0, at, 0), what, e);
	for (int n = 0; !rc && n < 1000; n++) {
		rc = cr_rst_call(r, SYS_timer_gettime, CR_ARGS(tm->timer_id,
				 at), "cannot read a timer back", e);
		if (!rc && process_vm_readv(r->pid, &local, 1, &remote, 1, 0) !=
		    sizeof(left))
			rc = cr_fail(e, errno ? errno : EIO, "pid %d: timer %d: "
				     "cannot read its time: %m", r->pid,
				     tm->timer_id);
		if (rc || (!left.it_value.tv_sec && !left.it_value.tv_nsec))
			break;
		usleep(1000);
	}
	if (!rc && (left.it_value.tv_sec || left.it_value.tv_nsec))
		rc = cr_fail(e, ETIMEDOUT, "pid %d: timer %d: fired once for "
			     "its pending signal, it did not expire in 1 s",
			     r->pid, tm->timer_id);
	return rc;
}

/*
 * POSIX timer @tm again, with its id (@walk: by timers_walk_id()), armed
 * with what it had left.
 */
static int timers_late_one(struct cr_rst *r, const struct crfs_timer *tm,
			   bool walk, struct cr_err *e)
{
	struct cr_timer_args in = {
		.sev = {
			.sigev_value.sival_ptr = (void *)(uintptr_t)tm->sigval,
			.sigev_signo = tm->signo,
			.sigev_notify = tm->notify,
		},
		.id = tm->timer_id,
		.its = {
			.it_interval = {
				.tv_sec = tm->interval_ns / CR_NS,
				.tv_nsec = tm->interval_ns % CR_NS,
			},
			.it_value = {
				.tv_sec = tm->value_ns / CR_NS,
				.tv_nsec = tm->value_ns % CR_NS,
			},
		},
	};
	unsigned long addr;
	char what[64];
	int rc;

	in.sev._sigev_un._tid = tm->notify_tid;
	rc = cr_rst_poke(r, 0, &in, sizeof(in), &addr, e);
	if (rc)
		return rc;
	snprintf(what, sizeof(what), "cannot create timer %d on clock %d",
		 tm->timer_id, tm->clock);
	if (walk)
		rc = timers_walk_id(r, tm, addr, e);
	else
		rc = cr_rst_call(r, SYS_timer_create,
				 CR_ARGS((unsigned long)(long)tm->clock, addr,
					 addr + offsetof(struct cr_timer_args,
							 id)), what, e);
	if (!rc && tm->notify != SIGEV_NONE &&
	    timers_had_pending(r->task, tm)) {
		rc = timers_fire_once(r, tm, addr, e);
		if (!rc)
			rc = cr_rst_poke(r, 0, &in, sizeof(in), &addr, e);
	}
	if (rc || (!tm->value_ns && !tm->interval_ns))
		return rc;
	snprintf(what, sizeof(what), "cannot arm timer %d", tm->timer_id);
	return cr_rst_call(r, SYS_timer_settime,
			   CR_ARGS(tm->timer_id, 0,
				   addr + offsetof(struct cr_timer_args, its),
				   0), what, e);
}

/*
 * Restore phase 5: the POSIX timers with their ids (the kernel takes the
 * id timer_create() is given while PR_TIMER_CREATE_RESTORE_IDS is on; a
 * kernel without it is walked to each id), then the interval timers.
 */
static int timers_late(struct cr_rst *r, struct cr_err *e)
{
	const struct cr_task *t = r->task;
	bool walk = false;
	long ret = 0;
	int rc = 0;

	if (t->nr_timers)
		rc = cr_rst_syscall(r, SYS_prctl,
				    CR_ARGS(PR_TIMER_CREATE_RESTORE_IDS,
					    PR_TIMER_CREATE_RESTORE_IDS_ON),
				    &ret, e);
	if (!rc && ret == -EINVAL)
		walk = true;
	else if (!rc && ret < 0)
		rc = cr_fail(e, (int)-ret, "pid %d: cannot create timers with given ids: %s",
			     r->pid, strerror((int)-ret));
	for (uint32_t i = 0; !rc && i < t->nr_timers; i++) {
		rc = cr_rst_aborted(r, e);
		if (!rc)
			rc = timers_late_one(r, &t->timers[i], walk, e);
	}
	if (!rc && t->nr_timers && !walk)
		rc = cr_rst_call(r, SYS_prctl,
				 CR_ARGS(PR_TIMER_CREATE_RESTORE_IDS,
					 PR_TIMER_CREATE_RESTORE_IDS_OFF),
				 "cannot leave the creation of timers with given ids",
				 e);
	if (!rc)
		rc = timers_late_itimers(r, e);
	return rc;
}

const struct cr_res_ops cr_res_timers = {
	.name		= "timers",
	.collect	= timers_collect,
	.check		= timers_check,
	.seized		= timers_seized,
	.plan		= timers_plan,
	.late		= timers_late,
};
