// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The records of a process (rows of rec.c): TASK, CREDS, SIGPENDING (of
 * its shared queue or of a thread's own), THREAD, SECCOMP and TIMER, to
 * and from the model, and printed.  The arch records of a thread are in arch/.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"

#define CR_IOV(p, l)	((struct iovec){ (void *)(p), (l) })

static const char *const cr_rlimit_names[CRFS_NR_RLIMITS] = {
	"cpu", "fsize", "data", "stack", "core", "rss", "nproc", "nofile",
	"memlock", "as", "locks", "sigpending", "msgqueue", "nice", "rtprio",
	"rttime",
};

static const char *const cr_itimer_names[3] = { "real", "virtual", "prof" };

/* A new object failed: out of memory, or one too many. */
static int cr_rd_nomem(const struct cr_rd *rd, int err, struct cr_err *e)
{
	if (err == -E2BIG)
		return cr_rd_fail(rd, e, "more than %u objects of this kind",
				  CRFS_MAX_OBJECTS);
	return cr_fail(e, ENOMEM, "%s: out of memory", rd->where);
}

/* TASK */

int cr_task_read(struct cr_rd *rd, const void *p, uint64_t len,
		 struct cr_err *e)
{
	static const enum cr_model_kind kinds[] = {
		CR_K_MM, CR_K_FDTABLE, CR_K_FS, CR_K_SIGHAND,
	};
	static const char *const names[] = { "mm", "fdtable", "fs", "sighand" };
	struct crfs_task rec;
	struct cr_task *t;
	int err = 0;

	(void)len;
	memcpy(&rec, p, sizeof(rec));
	if (!rec.pid)
		return cr_rd_fail(rd, e, "pid 0");
	if (!memchr(rec.comm, 0, sizeof(rec.comm)))
		return cr_rd_fail(rd, e, "pid %u: comm not terminated",
				  rec.pid);
	if (rec.nr_threads > CRFS_MAX_THREADS)
		return cr_rd_fail(rd, e, "pid %u: %u threads, at most %u",
				  rec.pid, rec.nr_threads, CRFS_MAX_THREADS);
	if (rec.__pad)
		return cr_rd_fail(rd, e, "pid %u: __pad not zero", rec.pid);
	if (rd->m->nr_tasks >= rd->h->nr_tasks)
		return cr_rd_fail(rd, e, "the image holds more processes "
				  "than its header says (%u)",
				  rd->h->nr_tasks);
	for (size_t i = 0; i < 4; i++) {
		uint32_t id = (&rec.mm_id)[i];

		if (id && cr_model_find(rd->m, kinds[i], id) < 0)
			return cr_rd_fail(rd, e, "pid %u: %s %u is not in the "
					  "image before it", rec.pid, names[i],
					  id);
	}
	t = cr_model_new_task(rd->m, &err);
	if (!t)
		return cr_rd_nomem(rd, err, e);
	t->t = rec;
	rd->task = t;
	rd->thread = NULL;
	return 0;
}

int cr_task_write(struct cr_img *img, const void *obj, struct cr_err *e)
{
	const struct cr_task *t = obj;
	struct crfs_task rec = t->t;

	rec.nr_threads = t->nr_threads;
	return cr_rec_put(img, CRFS_REC_TASK, e, 1, &CR_IOV(&rec, sizeof(rec)));
}

void cr_task_print(struct cr_emit *o, const void *obj)
{
	const struct crfs_task *t = &((const struct cr_task *)obj)->t;

	o->ops->u64(o, "pid", t->pid);
	o->ops->u64(o, "ppid", t->ppid);
	if (o->detail || t->parent_tid)
		o->ops->u64(o, "parent_tid", t->parent_tid);
	o->ops->u64(o, "pgid", t->pgid);
	o->ops->u64(o, "sid", t->sid);
	o->ops->str(o, "comm", t->comm);
	o->ops->u64(o, "state", t->state);
	if (o->detail || t->stop_signo)
		o->ops->u64(o, "stop_signo", t->stop_signo);
	if (o->detail) {
		o->ops->s64(o, "exit_code", t->exit_code);
		o->ops->u64(o, "exit_signal", t->exit_signal);
	}
	o->ops->u64(o, "mm", t->mm_id);
	o->ops->u64(o, "fdtable", t->fdtable_id);
	o->ops->u64(o, "fs", t->fs_id);
	o->ops->u64(o, "sighand", t->sighand_id);
	o->ops->u64(o, "nr_threads", t->nr_threads);
	o->ops->hex(o, "personality", t->personality);
	o->ops->hex(o, "flags", t->flags);
	o->ops->u64(o, "dumpable", t->dumpable);
	if (!o->detail)
		return;
	o->ops->u64(o, "pdeath_signal", t->pdeath_signal);
	o->ops->s64(o, "oom_score_adj", t->oom_score_adj);
	o->ops->u64(o, "timer_slack_ns", t->timer_slack_ns);
	o->ops->open(o, "rlimits", false);
	for (int i = 0; i < CRFS_NR_RLIMITS; i++) {
		o->ops->open(o, cr_rlimit_names[i], false);
		o->ops->u64(o, "cur", t->rlim[i].cur);
		o->ops->u64(o, "max", t->rlim[i].max);
		o->ops->close(o, false);
	}
	o->ops->close(o, false);
	o->ops->open(o, "itimers", false);
	for (int i = 0; i < 3; i++) {
		o->ops->open(o, cr_itimer_names[i], false);
		o->ops->u64(o, "value_ns", t->itimer[i].value_ns);
		o->ops->u64(o, "interval_ns", t->itimer[i].interval_ns);
		o->ops->close(o, false);
	}
	o->ops->close(o, false);
}

/* CREDS */

int cr_creds_read(struct cr_rd *rd, const void *p, uint64_t len,
		  struct cr_err *e)
{
	static const char zero[4];
	const char *g = (const char *)p + sizeof(struct crfs_creds);
	struct crfs_creds c;
	struct cr_task *t = rd->task;
	uint64_t glen;

	memcpy(&c, p, sizeof(c));
	if (!t || t->have_creds || c.pid != t->t.pid)
		return cr_rd_fail(rd, e, "credentials of pid %u out of place",
				  c.pid);
	glen = (uint64_t)c.ngroups * sizeof(uint32_t);
	if (c.ngroups > CRFS_MAX_GROUPS || len != sizeof(c) + cr_pad8(glen) ||
	    memcmp(g + glen, zero, len - sizeof(c) - glen) || c.__pad)
		return cr_rd_fail(rd, e, "pid %u: length %" PRIu64 " does not "
				  "match %u groups", c.pid, len, c.ngroups);
	t->groups = malloc(glen ? glen : 1);
	if (!t->groups)
		return cr_rd_nomem(rd, -ENOMEM, e);
	memcpy(t->groups, g, glen);
	t->creds = c;
	t->have_creds = true;
	return 0;
}

int cr_creds_write(struct cr_img *img, const void *obj, struct cr_err *e)
{
	const struct cr_task *t = obj;
	struct crfs_creds c = t->creds;

	c.pid = t->t.pid;
	return cr_rec_put(img, CRFS_REC_CREDS, e, 2, (struct iovec[]){
			  CR_IOV(&c, sizeof(c)),
			  CR_IOV(t->groups, c.ngroups * sizeof(uint32_t)) });
}

void cr_creds_print(struct cr_emit *o, const void *obj)
{
	const struct cr_task *t = obj;
	const struct crfs_creds *c = &t->creds;
	const __u32 *ids = &c->uid;
	static const char *const names[] = {
		"uid", "euid", "suid", "fsuid", "gid", "egid", "sgid", "fsgid",
	};

	o->ops->open(o, "creds", false);
	for (int i = 0; i < 8; i++)
		o->ops->u64(o, names[i], ids[i]);
	o->ops->open(o, "groups", true);
	for (uint32_t i = 0; i < c->ngroups; i++)
		o->ops->u64(o, NULL, t->groups[i]);
	o->ops->close(o, true);
	if (o->detail) {
		o->ops->hex(o, "securebits", c->securebits);
		o->ops->hex(o, "cap_inh", c->cap_inh);
		o->ops->hex(o, "cap_prm", c->cap_prm);
		o->ops->hex(o, "cap_eff", c->cap_eff);
		o->ops->hex(o, "cap_bnd", c->cap_bnd);
		o->ops->hex(o, "cap_amb", c->cap_amb);
	}
	o->ops->close(o, false);
}

/* SIGPENDING */

int cr_sigpending_read(struct cr_rd *rd, const void *p, uint64_t len,
		       struct cr_err *e)
{
	struct crfs_sigpending rec, *s;
	struct cr_sigq *q;
	int err = 0;

	(void)len;
	memcpy(&rec, p, sizeof(rec));
	if (rd->thread && rec.tid != rd->thread->t.tid)
		return cr_rd_fail(rd, e, "a signal of thread %u in the "
				  "records of thread %u", rec.tid,
				  rd->thread->t.tid);
	if (!rd->thread && (!rd->task || rec.tid))
		return cr_rd_fail(rd, e, "a signal of thread %u before its "
				  "thread", rec.tid);
	q = rd->thread ? &rd->thread->pending : &rd->task->pending;
	s = cr_model_new_sig(q, &err);
	if (!s)
		return cr_rd_nomem(rd, err, e);
	*s = rec;
	return 0;
}

int cr_sigpending_write(struct cr_img *img, const void *obj,
			struct cr_err *e)
{
	return cr_rec_put(img, CRFS_REC_SIGPENDING, e, 1,
			  &CR_IOV(obj, sizeof(struct crfs_sigpending)));
}

void cr_sigpending_print(struct cr_emit *o, const void *obj)
{
	const struct crfs_sigpending *s = obj;

	o->ops->u64(o, "signo", s->signo);
	o->ops->u64(o, "tid", s->tid);
	if (o->detail)
		o->ops->bytes(o, "siginfo", s->siginfo, sizeof(s->siginfo));
}

/* THREAD */

int cr_thread_read(struct cr_rd *rd, const void *p, uint64_t len,
		   struct cr_err *e)
{
	struct crfs_thread rec;
	struct cr_task *t = rd->task;
	struct cr_thread *th;
	int err = 0;

	(void)len;
	memcpy(&rec, p, sizeof(rec));
	if (!t || rec.pid != t->t.pid)
		return cr_rd_fail(rd, e, "thread %u of pid %u out of place",
				  rec.tid, rec.pid);
	if (t->nr_threads >= t->t.nr_threads)
		return cr_rd_fail(rd, e, "pid %u: more threads than its task "
				  "record says (%u)", rec.pid,
				  t->t.nr_threads);
	if (!rec.tid || !memchr(rec.comm, 0, sizeof(rec.comm)))
		return cr_rd_fail(rd, e, "thread %u: tid 0 or comm not "
				  "terminated", rec.tid);
	th = cr_model_new_thread(t, &err);
	if (!th)
		return cr_rd_nomem(rd, err, e);
	th->t = rec;
	rd->thread = th;
	return 0;
}

int cr_thread_write(struct cr_img *img, const void *obj, struct cr_err *e)
{
	const struct cr_thread *th = obj;

	return cr_rec_put(img, CRFS_REC_THREAD, e, 1,
			  &CR_IOV(&th->t, sizeof(th->t)));
}

void cr_thread_print(struct cr_emit *o, const void *obj)
{
	const struct crfs_thread *t = &((const struct cr_thread *)obj)->t;

	o->ops->u64(o, "tid", t->tid);
	o->ops->str(o, "comm", t->comm);
	o->ops->hex(o, "blocked", t->blocked);
	if (o->detail || !(t->altstack_flags & 2 /* SS_DISABLE */)) {
		o->ops->hex(o, "altstack_sp", t->altstack_sp);
		o->ops->u64(o, "altstack_size", t->altstack_size);
		o->ops->hex(o, "altstack_flags", t->altstack_flags);
	}
	o->ops->hex(o, "flags", t->flags);
	o->ops->hex(o, "ioprio", t->ioprio);
	if (o->detail || t->rseq_addr) {
		o->ops->hex(o, "rseq_addr", t->rseq_addr);
		o->ops->u64(o, "rseq_len", t->rseq_len);
		o->ops->hex(o, "rseq_sig", t->rseq_sig);
	}
	if (!o->detail)
		return;
	o->ops->hex(o, "clear_child_tid", t->clear_child_tid);
	o->ops->hex(o, "robust_list", t->robust_list);
	o->ops->u64(o, "robust_list_len", t->robust_list_len);
	o->ops->u64(o, "sched_policy", t->sched_policy);
	o->ops->s64(o, "sched_nice", t->sched_nice);
	o->ops->u64(o, "sched_priority", t->sched_priority);
	for (int i = 0; i < CRFS_CPU_WORDS; i++) {
		char name[32];

		if (!t->cpus_allowed[i])
			continue;
		snprintf(name, sizeof(name), "cpus_allowed[%d]", i);
		o->ops->hex(o, name, t->cpus_allowed[i]);
	}
}

/* TIMER */

int cr_timer_read(struct cr_rd *rd, const void *p, uint64_t len,
		  struct cr_err *e)
{
	struct crfs_timer rec, *tm;
	struct cr_task *t = rd->task;
	int err = 0;

	(void)len;
	memcpy(&rec, p, sizeof(rec));
	if (!t || rec.pid != t->t.pid)
		return cr_rd_fail(rd, e, "timer %d of pid %u out of place",
				  rec.timer_id, rec.pid);
	if (rec.timer_id < 0 || rec.__pad)
		return cr_rd_fail(rd, e, "pid %u: timer id %d or padding not "
				  "zero", rec.pid, rec.timer_id);
	if (t->nr_timers && rec.timer_id <= t->timers[t->nr_timers - 1].timer_id)
		return cr_rd_fail(rd, e, "pid %u: timer %d after timer %d: "
				  "ids must ascend", rec.pid, rec.timer_id,
				  t->timers[t->nr_timers - 1].timer_id);
	if (t->nr_timers >= CRFS_MAX_TIMERS)
		return cr_rd_fail(rd, e, "pid %u: more than %u timers",
				  rec.pid, CRFS_MAX_TIMERS);
	tm = cr_model_new_timer(t, &err);
	if (!tm)
		return cr_rd_nomem(rd, err, e);
	*tm = rec;
	return 0;
}

int cr_timer_write(struct cr_img *img, const void *obj, struct cr_err *e)
{
	return cr_rec_put(img, CRFS_REC_TIMER, e, 1,
			  &CR_IOV(obj, sizeof(struct crfs_timer)));
}

void cr_timer_print(struct cr_emit *o, const void *obj)
{
	const struct crfs_timer *t = obj;

	o->ops->s64(o, "id", t->timer_id);
	o->ops->s64(o, "clock", t->clock);
	o->ops->s64(o, "notify", t->notify);
	o->ops->s64(o, "signo", t->signo);
	if (o->detail || t->notify_tid)
		o->ops->u64(o, "notify_tid", t->notify_tid);
	o->ops->hex(o, "sigval", t->sigval);
	o->ops->u64(o, "value_ns", t->value_ns);
	o->ops->u64(o, "interval_ns", t->interval_ns);
	if (o->detail)
		o->ops->u64(o, "overrun", t->overrun);
}

/* SECCOMP */

int cr_seccomp_read(struct cr_rd *rd, const void *p, uint64_t len,
		    struct cr_err *e)
{
	struct crfs_seccomp rec;
	struct cr_thread *th = rd->thread;
	struct cr_seccomp *f;
	size_t size;
	int err = 0;

	memcpy(&rec, p, sizeof(rec));
	if (!th || rec.tid != th->t.tid)
		return cr_rd_fail(rd, e, "a seccomp filter of thread %u out "
				  "of place", rec.tid);
	if (rec.index != th->nr_seccomp)
		return cr_rd_fail(rd, e, "thread %u: seccomp filter %u where "
				  "filter %u comes", rec.tid, rec.index,
				  th->nr_seccomp);
	if (!rec.nr_insns || rec.nr_insns > CRFS_MAX_BPF_INSNS ||
	    len != sizeof(rec) + (uint64_t)rec.nr_insns * sizeof(uint64_t))
		return cr_rd_fail(rd, e, "thread %u: seccomp filter %u: "
				  "length %" PRIu64 " for %u instructions (1 "
				  "to %u)", rec.tid, rec.index, len,
				  rec.nr_insns, CRFS_MAX_BPF_INSNS);
	size = rec.nr_insns * sizeof(uint64_t);
	f = cr_model_new_seccomp(th, &err);
	if (!f)
		return cr_rd_nomem(rd, err, e);
	f->insns = malloc(size);
	if (!f->insns) {
		th->nr_seccomp--;
		return cr_rd_nomem(rd, -ENOMEM, e);
	}
	memcpy(f->insns, (const char *)p + sizeof(rec), size);
	f->s = rec;
	return 0;
}

int cr_seccomp_write(struct cr_img *img, const void *obj, struct cr_err *e)
{
	const struct cr_seccomp *f = obj;

	return cr_rec_put(img, CRFS_REC_SECCOMP, e, 2, (struct iovec[]){
			  CR_IOV(&f->s, sizeof(f->s)),
			  CR_IOV(f->insns, f->s.nr_insns * sizeof(uint64_t)) });
}

void cr_seccomp_print(struct cr_emit *o, const void *obj)
{
	const struct cr_seccomp *f = obj;

	o->ops->u64(o, "index", f->s.index);
	o->ops->hex(o, "flags", f->s.flags);
	o->ops->u64(o, "nr_insns", f->s.nr_insns);
	if (o->detail)
		o->ops->bytes(o, "insns", f->insns,
			      f->s.nr_insns * sizeof(uint64_t));
}
