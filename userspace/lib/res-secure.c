// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resources "caps" and "secure": a process's capability sets and
 * securebits (CREDS), its no_new_privs flag (TASK) and its seccomp mode
 * and filters (THREAD, SECCOMP).
 *
 * Checkpoint: the sets from /proc/PID/status (res-creds.c), the
 * securebits by an injected prctl(PR_GET_SECUREBITS), the seccomp mode
 * from status, the filters with PTRACE_SECCOMP_GET_FILTER and their
 * flags with PTRACE_GET_SECCOMP_METADATA.  The task's seccomp is
 * suspended while it is seized (PTRACE_O_SUSPEND_SECCOMP): the dump's own
 * injected calls must not meet its filters.
 *
 * Restore, around the ids that res-creds.c sets:
 *   caps (before):  the inheritable set, the bounding set, securebits
 *                   SECBIT_NO_SETUID_FIXUP (the ids then leave the
 *                   capabilities alone);
 *   creds:          groups, gids, uids;
 *   secure (last):  seccomp (suspended for the restore's own calls to
 *                   come), the ambient set, the image's securebits,
 *                   no_new_privs, permitted and effective sets; then all
 *                   of it read back: a process never comes back with
 *                   more than its image says.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "dump.h"
#include "restore.h"

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER	0x420c
#endif
#ifndef PTRACE_GET_SECCOMP_METADATA
#define PTRACE_GET_SECCOMP_METADATA	0x420d
#endif
#ifndef PTRACE_O_SUSPEND_SECCOMP
#define PTRACE_O_SUSPEND_SECCOMP	(1 << 21)
#endif
#define CR_SECBIT_NO_SETUID_FIXUP	(1U << 2)
#define CR_CAP_SETPCAP			8

/* As struct seccomp_metadata (linux/ptrace.h clashes with libc). */
struct cr_seccomp_md {
	uint64_t	filter_off;
	uint64_t	flags;
};

/* Inheritable, permitted, effective, bounding, ambient. */
struct cr_capsets {
	uint64_t	inh, prm, eff, bnd, amb;
};

/* The sets of @pid, from its status. */
static int caps_read(pid_t pid, struct cr_capsets *s, uint32_t *nnp,
		     uint32_t *mode, struct cr_err *e)
{
	struct cr_proc_status st;
	int rc = cr_proc_status(pid, &st, e);

	if (rc)
		return rc;
	*s = (struct cr_capsets){ st.cap[0], st.cap[1], st.cap[2], st.cap[3],
				  st.cap[4] };
	if (nnp)
		*nnp = st.no_new_privs;
	if (mode)
		*mode = st.seccomp;
	free(st.groups);
	return 0;
}

/*
 * Can this restorer give @c back?  It cannot raise a bounding set or a
 * permitted set above its own, and changes both with CAP_SETPCAP.
 */
static int caps_fit(const struct crfs_creds *c, struct cr_err *e)
{
	struct cr_capsets own;
	uint64_t over;
	const char *what = NULL;
	int rc = caps_read(getpid(), &own, NULL, NULL, e);

	if (rc)
		return rc;
	if ((over = c->cap_bnd & ~own.bnd))
		what = "bounding";
	else if ((over = c->cap_prm & ~own.prm))
		what = "permitted";
	else if ((over = c->cap_inh & ~(own.inh | own.bnd)))
		what = "inheritable";
	if (what)
		return cr_fail(e, EPERM, "pid %u: its %s capabilities 0x%llx "
			       "are not this restorer's to give", c->pid, what,
			       (unsigned long long)over);
	if (!(own.eff >> CR_CAP_SETPCAP & 1))
		return cr_fail(e, EPERM, "pid %u: this restorer lacks "
			       "CAP_SETPCAP to set capabilities", c->pid);
	return 0;
}

/* Phase 1: strict mode, which status alone tells. */
static int secure_collect(struct cr_dump *d, struct cr_dtask *dt,
			  struct cr_err *e)
{
	(void)d;
	if (dt->st.seccomp > SECCOMP_MODE_FILTER)
		return cr_fail(e, EOPNOTSUPP, "pid %d: seccomp mode %u is "
			       "unknown", dt->pid, dt->st.seccomp);
	if (dt->st.seccomp == SECCOMP_MODE_STRICT)
		dt->t->threads[0].t.flags |= CRFS_THREAD_F_SECCOMP_STRICT;
	return 0;
}

/* Phase 2: the restorer can give the capabilities back. */
static int secure_check(struct cr_dump *d, struct cr_dtask *dt,
			struct cr_err *e)
{
	(void)d;
	return caps_fit(&dt->t->creds, e);
}

/* The filters of thread @th, index 0 (the first attached) first. */
static int secure_get_filters(pid_t pid, struct cr_thread *th,
			      struct cr_err *e)
{
	const uint32_t max = CRFS_MAX_SECCOMP_INSNS / 5;
	struct cr_seccomp *f;
	int err = 0;

	for (uint32_t i = 0; i <= max; i++) {
		struct cr_seccomp_md md = { .filter_off = i };
		long n = ptrace(PTRACE_SECCOMP_GET_FILTER, th->t.tid,
				(void *)(unsigned long)i, NULL);

		if (n < 0 && errno == ENOENT)
			return 0;
		if (n < 0)
			return cr_fail(e, errno, "pid %d: thread %u: cannot "
				       "read seccomp filter %u: %m", pid,
				       th->t.tid, i);
		if (n == 0 || n > CRFS_MAX_BPF_INSNS)
			return cr_fail(e, EIO, "pid %d: thread %u: seccomp "
				       "filter %u of %ld instructions", pid,
				       th->t.tid, i, n);
		f = cr_model_new_seccomp(th, &err);
		if (!f || !(f->insns = calloc(n, sizeof(uint64_t))))
			return cr_fail(e, ENOMEM, "out of memory");
		f->s = (struct crfs_seccomp){ .tid = th->t.tid, .index = i,
					      .nr_insns = n };
		if (ptrace(PTRACE_SECCOMP_GET_FILTER, th->t.tid,
			   (void *)(unsigned long)i, f->insns) != n ||
		    ptrace(PTRACE_GET_SECCOMP_METADATA, th->t.tid,
			   (void *)sizeof(md), &md) != sizeof(md))
			return cr_fail(e, errno ? errno : EIO, "pid %d: thread "
				       "%u: cannot read seccomp filter %u: %m",
				       pid, th->t.tid, i);
		f->s.flags = md.flags;
	}
	return cr_fail(e, E2BIG, "pid %d: more than %u seccomp filters",
		       pid, max);
}

/*
 * Phase 4: stopped, the filters, and seccomp suspended for the batch;
 * then the securebits.
 */
static int secure_seized(struct cr_dump *d, struct cr_dtask *dt,
			 struct cr_batch *b, struct cr_err *e)
{
	long rc;

	(void)d;
	if (cr_seized_stopped(b)) {
		if (!dt->st.seccomp)
			return 0;
		if (ptrace(PTRACE_SETOPTIONS, dt->pid, NULL,
			   (void *)(long)(PTRACE_O_TRACESYSGOOD |
					  PTRACE_O_SUSPEND_SECCOMP)))
			return cr_fail(e, errno, "pid %d: cannot suspend its "
				       "seccomp filters for the dump: %m",
				       dt->pid);
		if (dt->st.seccomp != SECCOMP_MODE_FILTER)
			return 0;
		return secure_get_filters(dt->pid, &dt->t->threads[0], e);
	}
	if (cr_seized_calls(b))
		return cr_batch_add(b, __NR_prctl,
				    (unsigned long[6]){ PR_GET_SECUREBITS }) < 0 ?
		       cr_fail(e, E2BIG, "pid %d: the injection batch is full",
			       dt->pid) : 0;
	if (!cr_seized_done(b))
		return 0;
	rc = cr_batch_ret(b, b->slot->call);
	if (rc < 0)
		return cr_fail(e, (int)-rc, "pid %d: injected "
			       "prctl(PR_GET_SECUREBITS) failed: %s", dt->pid,
			       strerror((int)-rc));
	dt->t->creds.securebits = rc;
	return 0;
}

/* Restore phase 1: this restorer can give the capabilities back. */
static int secure_plan(struct cr_rst *r, struct cr_err *e)
{
	return caps_fit(&r->task->creds, e);
}

/* capset() of the process: inheritable, permitted, effective; queued. */
static int caps_set(struct cr_rst *r, uint64_t inh, uint64_t prm,
		    uint64_t eff, struct cr_err *e)
{
	struct {
		struct __user_cap_header_struct	h;
		struct __user_cap_data_struct	d[2];
	} buf = {
		{ _LINUX_CAPABILITY_VERSION_3, 0 },
		{ { eff, prm, inh }, { eff >> 32, prm >> 32, inh >> 32 } },
	};
	unsigned long at;
	int rc = cr_rst_queue_poke(r, &buf, sizeof(buf), &at, e);

	if (!rc)
		rc = cr_rst_queue(r, SYS_capset,
				  CR_ARGS(at, at + sizeof(buf.h)),
				  "cannot set capabilities", NULL, e);
	return rc;
}

/*
 * Restore phase 5, before the ids: the inheritable set (while the
 * bounding set still has it), the bounding set, and securebits that keep
 * setresuid() from touching the capabilities.
 */
static int caps_late(struct cr_rst *r, struct cr_err *e)
{
	const struct crfs_creds *c = &r->task->creds;
	struct cr_capsets cur;
	uint64_t drop;
	char what[64];
	int rc = caps_read(r->pid, &cur, NULL, NULL, e);

	if (!rc && cur.inh != c->cap_inh)
		rc = caps_set(r, c->cap_inh, cur.prm, cur.eff, e);
	drop = cur.bnd & ~c->cap_bnd;
	for (int cap = 0; !rc && cap < 64; cap++) {
		if (!(drop >> cap & 1))
			continue;
		snprintf(what, sizeof(what), "cannot drop capability %d from "
			 "the bounding set", cap);
		rc = cr_rst_queue(r, SYS_prctl, CR_ARGS(PR_CAPBSET_DROP, cap),
				  what, NULL, e);
	}
	if (!rc)
		rc = cr_rst_queue(r, SYS_prctl,
				  CR_ARGS(PR_SET_SECUREBITS,
					  CR_SECBIT_NO_SETUID_FIXUP),
				  "cannot set securebits", NULL, e);
	return rc;
}

/*
 * Where the filters' programs go: the scratch area when the largest fits
 * (a process whose RLIMIT_AS leaves no room for more restores too), else
 * an area of their own, @mapped set.
 */
static int secure_filters_area(struct cr_rst *r, size_t size, long *area,
			       bool *mapped, struct cr_err *e)
{
	int rc;

	*mapped = r->scratch_size < CR_RST_DATA_OFF ||
		  size > r->scratch_size - CR_RST_DATA_OFF;
	if (!*mapped) {
		*area = r->scratch + CR_RST_DATA_OFF;
		return 0;
	}
	rc = cr_rst_syscall(r, SYS_mmap,
			    CR_ARGS(0, size, PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1UL, 0),
			    area, e);
	if (!rc && *area < 0 && *area > -4096)
		rc = cr_fail(e, (int)-*area, "pid %d: no room for its seccomp "
			     "filters (%zu bytes): %s", r->pid, size,
			     strerror((int)-*area));
	return rc;
}

/* Attach the filters of the thread, the first attached first. */
static int secure_filters(struct cr_rst *r, struct cr_err *e)
{
	const struct cr_thread *th = r->thread;
	size_t size = 0;
	char what[64];
	bool mapped;
	long area;
	int rc;

	for (uint32_t i = 0; i < th->nr_seccomp; i++)
		if (16 + th->seccomp[i].s.nr_insns * 8UL > size)
			size = 16 + th->seccomp[i].s.nr_insns * 8UL;
	size = (size + r->page_size - 1) & ~(size_t)(r->page_size - 1);
	rc = secure_filters_area(r, size, &area, &mapped, e);
	for (uint32_t i = 0; !rc && i < th->nr_seccomp; i++) {
		const struct cr_seccomp *f = &th->seccomp[i];
		/* struct sock_fprog: len, then the pointer at 8 */
		uint64_t prog[2] = { f->s.nr_insns, area + 16 };
		struct iovec local[2] = {
			{ prog, sizeof(prog) },
			{ f->insns, f->s.nr_insns * 8UL },
		};
		struct iovec remote = { (void *)area,
					16 + f->s.nr_insns * 8UL };

		if (process_vm_writev(r->pid, local, 2, &remote, 1, 0) !=
		    (ssize_t)remote.iov_len)
			return cr_fail(e, errno, "pid %d: cannot write seccomp "
				       "filter %u: %m", r->pid, i);
		snprintf(what, sizeof(what), "cannot attach seccomp filter %u",
			 i);
		rc = cr_rst_call(r, SYS_seccomp,
				 CR_ARGS(SECCOMP_SET_MODE_FILTER, f->s.flags,
					 area), what, e);
	}
	if (!rc && mapped)
		rc = cr_rst_call(r, SYS_munmap, CR_ARGS(area, size),
				 "cannot unmap the seccomp filters' area", e);
	return rc;
}

/*
 * Seccomp: suspended for the tracer's calls to come (PTRACE_DETACH ends
 * that), then strict mode or the filters.
 */
static int secure_seccomp(struct cr_rst *r, struct cr_err *e)
{
	bool strict = r->thread->t.flags & CRFS_THREAD_F_SECCOMP_STRICT;

	if (!strict && !r->thread->nr_seccomp)
		return 0;
	if (ptrace(PTRACE_SETOPTIONS, r->pid, NULL,
		   (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL |
				  PTRACE_O_SUSPEND_SECCOMP)))
		return cr_fail(e, errno, "pid %d: cannot suspend seccomp for "
			       "the restore: %m", r->pid);
	if (strict)
		return cr_rst_call(r, SYS_seccomp,
				   CR_ARGS(SECCOMP_SET_MODE_STRICT, 0, 0),
				   "cannot enter seccomp strict mode", e);
	return secure_filters(r, e);
}

/* Are the filters of the process the image's, program and flags? */
static int secure_check_filters(struct cr_rst *r, struct cr_err *e)
{
	const struct cr_thread *th = r->thread;
	uint64_t *buf = malloc(CRFS_MAX_BPF_INSNS * sizeof(uint64_t));
	int rc = 0;

	if (!buf)
		return cr_fail(e, ENOMEM, "out of memory");
	for (uint32_t i = 0; !rc && i <= th->nr_seccomp; i++) {
		const struct cr_seccomp *f = &th->seccomp[i];
		struct cr_seccomp_md md = { .filter_off = i };
		long n = ptrace(PTRACE_SECCOMP_GET_FILTER, r->pid,
				(void *)(unsigned long)i, buf);

		if (i == th->nr_seccomp) {
			if (n >= 0 || errno != ENOENT)
				rc = cr_fail(e, EIO, "pid %d: more seccomp "
					     "filters than the image's %u",
					     r->pid, th->nr_seccomp);
			break;
		}
		if (n != f->s.nr_insns ||
		    memcmp(buf, f->insns, n * sizeof(uint64_t)) ||
		    ptrace(PTRACE_GET_SECCOMP_METADATA, r->pid,
			   (void *)sizeof(md), &md) != sizeof(md) ||
		    md.flags != f->s.flags)
			rc = cr_fail(e, EIO, "pid %d: seccomp filter %u reads "
				     "back other than the image's", r->pid, i);
	}
	free(buf);
	return rc;
}

/* Read everything back: the image's, never more. */
static int secure_verify(struct cr_rst *r, struct cr_err *e)
{
	const struct crfs_creds *c = &r->task->creds;
	const struct crfs_thread *t = &r->thread->t;
	struct cr_capsets got;
	uint32_t nnp, mode, want_mode;
	long bits = -1;
	int rc;

	/* Asked with the calls queued before it: they all run now. */
	rc = cr_rst_queue(r, SYS_prctl, CR_ARGS(PR_GET_SECUREBITS), NULL,
			  &bits, e);
	if (!rc)
		rc = cr_rst_flush(r, e);
	if (!rc)
		rc = caps_read(r->pid, &got, &nnp, &mode, e);
	if (rc)
		return rc;
	want_mode = t->flags & CRFS_THREAD_F_SECCOMP_STRICT ?
		    SECCOMP_MODE_STRICT : r->thread->nr_seccomp ?
		    SECCOMP_MODE_FILTER : 0;
	if (got.inh != c->cap_inh || got.prm != c->cap_prm ||
	    got.eff != c->cap_eff || got.bnd != c->cap_bnd ||
	    got.amb != c->cap_amb)
		return cr_fail(e, EIO, "pid %d: capabilities read back inh "
			       "%llx prm %llx eff %llx bnd %llx amb %llx, not "
			       "the image's %llx %llx %llx %llx %llx", r->pid,
			       (unsigned long long)got.inh,
			       (unsigned long long)got.prm,
			       (unsigned long long)got.eff,
			       (unsigned long long)got.bnd,
			       (unsigned long long)got.amb,
			       (unsigned long long)c->cap_inh,
			       (unsigned long long)c->cap_prm,
			       (unsigned long long)c->cap_eff,
			       (unsigned long long)c->cap_bnd,
			       (unsigned long long)c->cap_amb);
	if (!nnp != !(r->task->t.flags & CRFS_TASK_F_NO_NEW_PRIVS) ||
	    mode != want_mode)
		return cr_fail(e, EIO, "pid %d: no_new_privs %u, seccomp mode "
			       "%u read back, not the image's", r->pid, nnp,
			       mode);
	if (bits != (long)c->securebits)
		rc = cr_fail(e, EIO, "pid %d: securebits read back 0x%lx, not "
			     "the image's 0x%x", r->pid, bits, c->securebits);
	if (!rc && mode == SECCOMP_MODE_FILTER)
		rc = secure_check_filters(r, e);
	return rc;
}

/*
 * Restore phase 5, last of the rows: seccomp while the process may still
 * attach filters without no_new_privs, the ambient set, the securebits,
 * no_new_privs, then the permitted and effective sets drop to the
 * image's; all of it read back.
 */
static int secure_late(struct cr_rst *r, struct cr_err *e)
{
	const struct crfs_creds *c = &r->task->creds;
	char what[64];
	int rc = secure_seccomp(r, e);

	for (int cap = 0; !rc && cap < 64; cap++) {
		if (!(c->cap_amb >> cap & 1))
			continue;
		snprintf(what, sizeof(what), "cannot raise ambient capability "
			 "%d", cap);
		rc = cr_rst_queue(r, SYS_prctl,
				  CR_ARGS(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE,
					  cap), what, NULL, e);
	}
	if (!rc)
		rc = cr_rst_queue(r, SYS_prctl,
				  CR_ARGS(PR_SET_SECUREBITS, c->securebits),
				  "cannot set securebits", NULL, e);
	if (!rc && r->task->t.flags & CRFS_TASK_F_NO_NEW_PRIVS)
		rc = cr_rst_queue(r, SYS_prctl,
				  CR_ARGS(PR_SET_NO_NEW_PRIVS, 1),
				  "cannot set no_new_privs", NULL, e);
	if (!rc)
		rc = caps_set(r, c->cap_inh, c->cap_prm, c->cap_eff, e);
	if (!rc)
		rc = secure_verify(r, e);
	return rc;
}

const struct cr_res_ops cr_res_caps = {
	.name		= "caps",
	.late		= caps_late,
};

const struct cr_res_ops cr_res_secure = {
	.name		= "secure",
	.collect	= secure_collect,
	.check		= secure_check,
	.seized		= secure_seized,
	.plan		= secure_plan,
	.late		= secure_late,
};
