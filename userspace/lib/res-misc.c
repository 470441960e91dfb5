// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "misc": per-task settings a process can change and see
 * again, that no other row owns.  Two kinds:
 *
 *  - restored and read back: the scheduling policy with its priority or
 *    nice value and SCHED_RESET_ON_FORK (THREAD, read by res-thread.c),
 *    set from the restorer (it has CAP_SYS_NICE, which the restored
 *    process may have lost with its ids); the clear_child_tid address
 *    (set_tid_address()), read and set by injected calls; the CPU
 *    affinity, set by the engine as it lets the process go
 *    (cr_rst_affinity(): until then it runs on the restorer's CPU);
 *  - refused when not at their default (misc_settings[]): TSC reads
 *    that fault, the machine-check kill policy, the speculation controls,
 *    CPUID faulting, the core-scheduling cookie, a private futex hash,
 *    the I/O flusher flag, syscall user dispatch.  None is in the image.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "dump.h"
#include "restore.h"

#ifndef PR_GET_TID_ADDRESS
#define PR_GET_TID_ADDRESS		40
#endif
#ifndef PR_SPEC_L1D_FLUSH
#define PR_SPEC_L1D_FLUSH		2
#endif
#ifndef PR_SCHED_CORE
#define PR_SCHED_CORE			62
#endif
#ifndef PR_FUTEX_HASH
#define PR_FUTEX_HASH			78
#endif
#define CR_FUTEX_HASH_GET_SLOTS		2
#define CR_ARCH_GET_CPUID		0x1011
#define CR_PTRACE_GET_SUD_CONFIG	0x4211
#define CR_SCHED_RESET_ON_FORK		0x40000000
#define CR_SCHED_DEADLINE		6
#define CR_SCHED_FLAG_RESET_ON_FORK	0x01
/* task->flags of PR_SET_IO_FLUSHER: PF_MEMALLOC_NOIO | PF_LOCAL_THROTTLE */
#define CR_PF_IO_FLUSHER		(0x00080000U | 0x00100000U)

/* One setting refused when not at its default. */
struct misc_setting {
	const char	*name;
	long		nr;		/* the system call that reads it */
	unsigned long	a[6];
	int		out_arg;	/* the argument pointing to it; -1: returned */
	int		out_size;	/* what it points to: 4 or 8 bytes */
	long		dflt;		/* its default value */
	long		dflt_strict;	/* in seccomp strict mode, if not 0 */
	bool		own_dflt;	/* the default is the dumper's own value */
	int		absent;		/* the errno of a kernel without it */
	const char	*why;
};

static const struct misc_setting misc_settings[] = {
	{ .name = "TSC reads fault (PR_SET_TSC)", .nr = __NR_prctl,
	  .a = { PR_GET_TSC }, .out_arg = 1, .out_size = 4,
	  .dflt = PR_TSC_ENABLE, .dflt_strict = PR_TSC_SIGSEGV,
	  .absent = EINVAL,
	  .why = "not saved: the restore would let it read the TSC" },
	{ .name = "machine-check kill policy (PR_MCE_KILL)", .nr = __NR_prctl,
	  .a = { PR_MCE_KILL_GET }, .out_arg = -1,
	  .dflt = PR_MCE_KILL_DEFAULT, .absent = EINVAL,
	  .why = "not saved: the restore would give it the default policy" },
	{ .name = "speculative store bypass control (PR_SPEC_STORE_BYPASS)",
	  .nr = __NR_prctl,
	  .a = { PR_GET_SPECULATION_CTRL, PR_SPEC_STORE_BYPASS },
	  .out_arg = -1, .own_dflt = true, .absent = EINVAL,
	  .why = "not saved (a forced disable cannot even be undone)" },
	{ .name = "indirect branch speculation control "
		  "(PR_SPEC_INDIRECT_BRANCH)", .nr = __NR_prctl,
	  .a = { PR_GET_SPECULATION_CTRL, PR_SPEC_INDIRECT_BRANCH },
	  .out_arg = -1, .own_dflt = true, .absent = EINVAL,
	  .why = "not saved (a forced disable cannot even be undone)" },
	{ .name = "L1D flush on context switch (PR_SPEC_L1D_FLUSH)",
	  .nr = __NR_prctl,
	  .a = { PR_GET_SPECULATION_CTRL, PR_SPEC_L1D_FLUSH },
	  .out_arg = -1, .own_dflt = true, .absent = EINVAL,
	  .why = "not saved" },
	{ .name = "CPUID faulting (ARCH_SET_CPUID)", .nr = __NR_arch_prctl,
	  .a = { CR_ARCH_GET_CPUID }, .out_arg = -1, .dflt = 1,
	  .absent = EINVAL,
	  .why = "not saved: the restore would let it run CPUID" },
	{ .name = "core-scheduling cookie (PR_SCHED_CORE)", .nr = __NR_prctl,
	  .a = { PR_SCHED_CORE, 0 /* GET */, 0, 0 /* PIDTYPE_PID */ },
	  .out_arg = 4, .out_size = 8, .absent = EINVAL,
	  .why = "a cookie shared with other processes cannot be made "
		 "again" },
	{ .name = "private futex hash (PR_FUTEX_HASH)", .nr = __NR_prctl,
	  .a = { PR_FUTEX_HASH, CR_FUTEX_HASH_GET_SLOTS }, .out_arg = -1,
	  .absent = EINVAL,
	  .why = "its slots (set, or sized when it had threads) are not "
		 "saved" },
};

#define MISC_NR	(sizeof(misc_settings) / sizeof(misc_settings[0]))

/* As struct ptrace_sud_config. */
struct cr_sud_config {
	uint64_t	mode, selector, offset, len;
};

/* Phase 1: the CPU affinity of each thread (1024 CPUs at most). */
static int misc_collect(struct cr_dump *d, struct cr_dtask *dt,
			struct cr_err *e)
{
	(void)d;
	for (uint32_t i = 0; i < dt->t->nr_threads; i++) {
		struct crfs_thread *t = &dt->t->threads[i].t;

		_Static_assert(sizeof(t->cpus_allowed) == sizeof(cpu_set_t),
			       "CRFS_CPU_WORDS is glibc's cpu_set_t");
		if (sched_getaffinity(t->tid, sizeof(t->cpus_allowed),
				      (cpu_set_t *)t->cpus_allowed))
			return cr_fail(e, errno == EINVAL ? EOPNOTSUPP : errno,
				       "pid %d: thread %u: cannot read its CPU "
				       "affinity%s: %m", dt->pid, t->tid,
				       errno == EINVAL ? " (more than 1024 "
				       "CPUs)" : "");
	}
	return 0;
}

/* The CPUs online here, from /sys, into @set. */
static int misc_online(cpu_set_t *set, struct cr_err *e)
{
	const char *path = "/sys/devices/system/cpu/online";
	char *buf = cr_read_file(path, NULL), *p;
	unsigned long lo, hi;

	if (!buf)
		return cr_fail(e, errno, "cannot read %s: %m", path);
	CPU_ZERO(set);
	for (p = buf; *p && *p != '\n'; p++) {
		lo = hi = strtoul(p, &p, 10);
		if (*p == '-')
			hi = strtoul(p + 1, &p, 10);
		for (; lo <= hi && lo < CPU_SETSIZE; lo++)
			CPU_SET(lo, set);
		if (*p != ',')
			break;
	}
	free(buf);
	return 0;
}

/* Are the CPUs of @t's affinity online here?  -errno and @e if not. */
static int misc_cpus_fit(const struct crfs_thread *t, struct cr_err *e)
{
	const cpu_set_t *want = (const cpu_set_t *)t->cpus_allowed;
	cpu_set_t online;
	int rc = misc_online(&online, e);

	for (int cpu = 0; !rc && cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, want) && !CPU_ISSET(cpu, &online))
			rc = cr_fail(e, EOPNOTSUPP, "pid %u: thread %u: its "
				     "CPU affinity has CPU %d, which is not "
				     "online here", t->pid, t->tid, cpu);
	return rc;
}

/**
 * cr_rst_affinity() - give the process the CPU affinity of the image and
 * read it back (the restore pinned it to the restorer's CPU)
 *
 * Return: 0, or -errno with @e set naming the process.
 */
int cr_rst_affinity(struct cr_rst *r, struct cr_err *e)
{
	const cpu_set_t *want = (const cpu_set_t *)r->thread->t.cpus_allowed;
	cpu_set_t got;

	CPU_ZERO(&got);
	if (sched_setaffinity(r->pid, sizeof(*want), want) ||
	    sched_getaffinity(r->pid, sizeof(got), &got))
		return cr_fail(e, errno, "pid %d: cannot set its CPU affinity "
			       "(%d CPUs): %m", r->pid, CPU_COUNT(want));
	if (!CPU_EQUAL(&got, want))
		return cr_fail(e, EIO, "pid %d: read back a CPU affinity of %d "
			       "CPUs, not the image's %d (a cpuset of the "
			       "container?)", r->pid, CPU_COUNT(&got),
			       CPU_COUNT(want));
	return 0;
}

/* Is @t's scheduling the one a restore can set?  -errno and @e if not. */
static int misc_sched_fits(const struct crfs_thread *t, struct cr_err *e)
{
	uint32_t pol = t->sched_policy & ~CR_SCHED_RESET_ON_FORK;

	if (pol == CR_SCHED_DEADLINE)
		return cr_fail(e, EOPNOTSUPP, "pid %u: thread %u: scheduling "
			       "policy SCHED_DEADLINE: its runtime, deadline "
			       "and period are not saved", t->pid, t->tid);
	if ((pol != SCHED_OTHER || t->sched_nice ||
	     t->sched_policy & CR_SCHED_RESET_ON_FORK) &&
	    !cr_capable(CAP_SYS_NICE))
		return cr_fail(e, EPERM, "pid %u: thread %u: scheduling policy "
			       "%u, nice %d: setting it needs CAP_SYS_NICE, "
			       "which this restorer lacks", t->pid, t->tid,
			       t->sched_policy, t->sched_nice);
	return 0;
}

/* The flags field of /proc/@pid/stat, into *@flags. */
static int misc_proc_flags(pid_t pid, unsigned int *flags, struct cr_err *e)
{
	char path[64], *buf, *rp;
	int ok;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	buf = cr_read_file(path, NULL);
	if (!buf)
		return cr_fail(e, errno, "pid %d: cannot read %s: %m", pid,
			       path);
	rp = strrchr(buf, ')');
	ok = rp && sscanf(rp + 1, " %*c %*d %*d %*d %*d %*d %u", flags) == 1;
	free(buf);
	return ok ? 0 : cr_fail(e, EIO, "pid %d: cannot parse %s", pid, path);
}

/*
 * Phase 2: a scheduling a restore can set; no I/O flusher flag (setting
 * it takes CAP_SYS_RESOURCE, and reading it by prctl too: /proc tells).
 */
static int misc_check(struct cr_dump *d, struct cr_dtask *dt,
		      struct cr_err *e)
{
	unsigned int flags;
	int rc;

	(void)d;
	for (uint32_t i = 0; i < dt->t->nr_threads; i++) {
		rc = misc_sched_fits(&dt->t->threads[i].t, e);
		if (rc)
			return rc;
	}
	rc = misc_proc_flags(dt->pid, &flags, e);
	if (!rc && (flags & CR_PF_IO_FLUSHER) == CR_PF_IO_FLUSHER)
		rc = cr_fail(e, EOPNOTSUPP, "pid %d: it is an I/O flusher "
			     "(PR_SET_IO_FLUSHER): not saved, and setting it "
			     "needs CAP_SYS_RESOURCE", dt->pid);
	return rc;
}

/*
 * Syscall user dispatch of each thread (its own), which ptrace tells:
 * refused when on.
 */
static int misc_sud(struct cr_dtask *dt, struct cr_err *e)
{
	for (uint32_t i = 0; i < dt->t->nr_threads; i++) {
		pid_t tid = dt->t->threads[i].t.tid;
		struct cr_sud_config c = { 0 };

		if (ptrace(CR_PTRACE_GET_SUD_CONFIG, tid, (void *)sizeof(c),
			   &c) < 0) {
			if (errno == EIO || errno == EINVAL)
				return 0;
			return cr_fail(e, errno, "pid %d: thread %d: cannot "
				       "read its syscall user dispatch: %m",
				       dt->pid, tid);
		}
		if (c.mode && !i)
			return cr_fail(e, EOPNOTSUPP, "pid %d: syscall user "
				       "dispatch is on "
				       "(PR_SET_SYSCALL_USER_DISPATCH): not "
				       "saved", dt->pid);
		if (c.mode)
			return cr_fail(e, EOPNOTSUPP, "pid %d: thread %d: "
				       "syscall user dispatch is on "
				       "(PR_SET_SYSCALL_USER_DISPATCH): not "
				       "saved", dt->pid, tid);
	}
	return 0;
}

/* The value of @s for the dumper itself: -errno if the kernel lacks it. */
static long misc_own(const struct misc_setting *s)
{
	unsigned long a[6];
	uint64_t v = 0;
	uint32_t w;
	long r;

	memcpy(a, s->a, sizeof(a));
	if (s->out_arg >= 0)
		a[s->out_arg] = (unsigned long)&v;
	r = syscall(s->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (r < 0)
		return -errno;
	if (s->out_arg >= 0 && s->out_size == 4) {
		memcpy(&w, &v, sizeof(w));
		return w;
	}
	return s->out_arg >= 0 ? (long)v : r;
}

/*
 * Is @s in this kernel?  A call that fails ends the batch, with the calls
 * of every row after it: only those the dumper itself can make go in.
 */
static bool misc_present(const struct misc_setting *s)
{
	return misc_own(s) >= 0;
}

/* Refuse @s at @v unless its default. */
static int misc_refuse(struct cr_dtask *dt, const struct misc_setting *s,
		       long v, struct cr_err *e)
{
	bool strict = dt->t->threads[0].t.flags & CRFS_THREAD_F_SECCOMP_STRICT;
	long dflt = s->own_dflt ? misc_own(s) : s->dflt;

	/* Strict mode disables the TSC, and so will its restore. */
	if (strict && s->dflt_strict)
		dflt = s->dflt_strict;
	/* Sized by the kernel as its threads came: as they will again. */
	if (s->a[0] == PR_FUTEX_HASH && dt->t->nr_threads > 1)
		dflt = cr_futex_slots_default(dt->t->nr_threads);
	/* Made for a second thread, now gone: a thread will make it again. */
	if (s->a[0] == PR_FUTEX_HASH && dt->t->nr_threads == 1 &&
	    v == cr_futex_slots_default(2)) {
		dt->t->t.flags |= CRFS_TASK_F_FUTEX_HASH;
		return 0;
	}
	if (v == dflt)
		return 0;
	return cr_fail(e, EOPNOTSUPP, "pid %d: %s is %#lx, not the default "
		       "%#lx: %s", dt->pid, s->name, v, dflt, s->why);
}

/**
 * cr_misc_thread_calls() - append to @calls the calls that read, in a
 * thread other than the leader, the settings of the table this kernel has
 * (each is the thread's own), their data at @at, 8 bytes each
 * Return: how many were appended (at most CR_MISC_THREAD_CALLS).
 */
int cr_misc_thread_calls(struct cr_infect_call *calls, unsigned long at)
{
	int n = 0;

	_Static_assert(MISC_NR <= CR_MISC_THREAD_CALLS, "room for the table");
	for (size_t i = 0; i < MISC_NR; i++) {
		const struct misc_setting *s = &misc_settings[i];

		if (!misc_present(s))
			continue;
		calls[n] = (struct cr_infect_call){ .nr = s->nr };
		memcpy(calls[n].a, s->a, sizeof(calls[n].a));
		if (s->out_arg >= 0)
			calls[n].a[s->out_arg] = at + 8 * i;
		n++;
	}
	return n;
}

/**
 * cr_misc_thread_check() - refuse thread @tid of @dt when a setting of the
 * table is not its default (a restore gives it the default), or when it
 * is an I/O flusher
 * @calls: the calls of cr_misc_thread_calls(), run; @done: the index of
 *         the last that ran (a failed one included)
 * @out:   their data, 8 bytes per row of the table
 *
 * Return: 0 or -errno with @e set naming the pid and thread.
 */
int cr_misc_thread_check(struct cr_dtask *dt, pid_t tid,
			 const struct cr_infect_call *calls, int done,
			 const uint8_t *out, struct cr_err *e)
{
	unsigned int flags;
	uint64_t u = 0;
	uint32_t w = 0;
	int call = 0;
	long rc;

	for (size_t i = 0; i < MISC_NR; i++) {
		const struct misc_setting *s = &misc_settings[i];
		struct cr_err why;

		if (!misc_present(s))
			continue;
		rc = call <= done ? calls[call].ret : -ECANCELED;
		call++;
		if (rc < 0 && rc > -4096)
			return cr_fail(e, (int)-rc, "pid %d: thread %d: cannot "
				       "read %s: %s", dt->pid, tid, s->name,
				       strerror((int)-rc));
		if (s->out_arg >= 0 && s->out_size == 4) {
			memcpy(&w, out + 8 * i, 4);
			rc = w;
		} else if (s->out_arg >= 0) {
			memcpy(&u, out + 8 * i, 8);
			rc = (long)u;
		}
		/* The futex hash is the process's: the leader's row. */
		if (s->a[0] == PR_FUTEX_HASH)
			continue;
		if (misc_refuse(dt, s, rc, &why))
			return cr_fail(e, why.err, "thread %d: %s", tid, why.msg);
	}
	rc = misc_proc_flags(tid, &flags, e);
	if (!rc && (flags & CR_PF_IO_FLUSHER) == CR_PF_IO_FLUSHER)
		rc = cr_fail(e, EOPNOTSUPP, "pid %d: thread %d is an I/O "
			     "flusher (PR_SET_IO_FLUSHER): not saved", dt->pid,
			     tid);
	return rc;
}

/*
 * Phase 4: each setting of the table this kernel has and the
 * clear_child_tid address, by injected calls, 8 bytes of data for each.
 */
static int misc_seized(struct cr_dump *d, struct cr_dtask *dt,
		       struct cr_batch *b, struct cr_err *e)
{
	size_t off = b->slot->data;
	int call = b->slot->call;
	unsigned long at;
	uint64_t u = 0;
	uint32_t w = 0;
	long rc;

	(void)d;
	if (cr_seized_stopped(b))
		return misc_sud(dt, e);
	if (cr_seized_calls(b)) {
		for (size_t i = 0; i < MISC_NR; i++) {
			const struct misc_setting *s = &misc_settings[i];
			unsigned long a[6];

			memcpy(a, s->a, sizeof(a));
			if (cr_batch_data(b, 8, &at) < 0)
				goto out_full;
			if (s->out_arg >= 0)
				a[s->out_arg] = at;
			if (misc_present(s) && cr_batch_add(b, s->nr, a) < 0)
				goto out_full;
		}
		if (cr_batch_data(b, 8, &at) < 0 ||
		    cr_batch_add(b, __NR_prctl, (unsigned long[6]){
				 PR_GET_TID_ADDRESS, at }) < 0)
			goto out_full;
		return 0;
	}
	if (!cr_seized_done(b))
		return 0;
	for (size_t i = 0; i < MISC_NR; i++) {
		const struct misc_setting *s = &misc_settings[i];

		rc = misc_own(s);
		if (rc == -s->absent)
			continue;	/* the kernel lacks it: off */
		if (rc < 0)
			return cr_fail(e, (int)-rc, "pid %d: cannot tell its "
				       "%s: the dumper cannot read its own: %s",
				       dt->pid, s->name, strerror((int)-rc));
		rc = cr_batch_ret(b, call++);
		if (rc < 0)
			return cr_fail(e, (int)-rc, "pid %d: cannot read %s: %s",
				       dt->pid, s->name, strerror((int)-rc));
		if (s->out_arg >= 0 && s->out_size == 4) {
			memcpy(&w, b->out + off + 8 * i, 4);
			rc = w;
		} else if (s->out_arg >= 0) {
			memcpy(&u, b->out + off + 8 * i, 8);
			rc = (long)u;
		}
		rc = misc_refuse(dt, s, rc, e);
		if (rc)
			return rc;
	}
	rc = cr_batch_ret(b, call);
	if (rc < 0)
		return cr_fail(e, (int)-rc, "pid %d: cannot read its "
			       "clear_child_tid address: %s", dt->pid,
			       strerror((int)-rc));
	memcpy(&u, b->out + off + 8 * MISC_NR, 8);
	dt->t->threads[0].t.clear_child_tid = u;
	return 0;
out_full:
	return cr_fail(e, E2BIG, "pid %d: the injection batch is full",
		       dt->pid);
}

/* Restore phase 1: the scheduling and the CPUs of the image can be had. */
static int misc_plan(struct cr_rst *r, struct cr_err *e)
{
	int rc = misc_sched_fits(&r->thread->t, e);

	return rc ? rc : misc_cpus_fit(&r->thread->t, e);
}

/* As struct sched_attr (sched.h of libc lacks it). */
struct cr_sched_attr {
	uint32_t	size, sched_policy;
	uint64_t	sched_flags;
	int32_t		sched_nice;
	uint32_t	sched_priority;
	uint64_t	runtime, deadline, period;
};

int cr_rst_sched(struct cr_rst *r, struct cr_err *e)
{
	const struct crfs_thread *t = &r->thread->t;
	struct cr_sched_attr at = { .size = sizeof(at) };
	struct sched_param sp = { 0 };
	int pol, nice;

	at.sched_policy = t->sched_policy & ~CR_SCHED_RESET_ON_FORK;
	at.sched_flags = t->sched_policy & CR_SCHED_RESET_ON_FORK ?
			 CR_SCHED_FLAG_RESET_ON_FORK : 0;
	at.sched_nice = t->sched_nice;
	at.sched_priority = t->sched_priority;
	/* A real-time policy leaves the nice value alone: set it first. */
	if (setpriority(PRIO_PROCESS, r->pid, t->sched_nice) ||
	    syscall(SYS_sched_setattr, r->pid, &at, 0))
		return cr_fail(e, errno, "pid %d: cannot set its scheduling "
			       "policy %u, priority %u, nice %d: %m", r->pid,
			       t->sched_policy, t->sched_priority,
			       t->sched_nice);
	pol = sched_getscheduler(r->pid);
	errno = 0;
	nice = getpriority(PRIO_PROCESS, r->pid);
	if (pol < 0 || errno || sched_getparam(r->pid, &sp))
		return cr_fail(e, errno, "pid %d: cannot read its scheduling "
			       "back: %m", r->pid);
	if ((uint32_t)pol != t->sched_policy || nice != t->sched_nice ||
	    (uint32_t)sp.sched_priority != t->sched_priority)
		return cr_fail(e, EIO, "pid %d: read back scheduling policy "
			       "%#x, priority %d, nice %d: the image has %#x, "
			       "%u, %d", r->pid, pol, sp.sched_priority, nice,
			       t->sched_policy, t->sched_priority,
			       t->sched_nice);
	return 0;
}

/* The clear_child_tid address, by an injected call; read back. */
static int misc_set_tid_address(struct cr_rst *r, struct cr_err *e)
{
	uint64_t want = r->thread->t.clear_child_tid, got = ~want;
	struct iovec local = { &got, sizeof(got) }, remote;
	unsigned long at;
	int rc;

	/* Both queued, run in one stop (restore-queue.c). */
	rc = cr_rst_queue(r, SYS_set_tid_address, CR_ARGS(want),
			  "cannot set the clear_child_tid address", NULL, e);
	if (!rc)
		rc = cr_rst_queue_poke(r, &got, sizeof(got), &at, e);
	if (!rc)
		rc = cr_rst_queue(r, SYS_prctl, CR_ARGS(PR_GET_TID_ADDRESS, at),
				  "cannot read the clear_child_tid address "
				  "back", NULL, e);
	if (!rc)
		rc = cr_rst_flush(r, e);
	if (rc)
		return rc;
	remote = (struct iovec){ (void *)at, sizeof(got) };
	if (process_vm_readv(r->pid, &local, 1, &remote, 1, 0) != sizeof(got))
		return cr_fail(e, errno, "pid %d: cannot read at %#lx: %m",
			       r->pid, at);
	if (got != want)
		return cr_fail(e, EIO, "pid %d: read back clear_child_tid "
			       "%#llx: the image has %#llx", r->pid,
			       (unsigned long long)got,
			       (unsigned long long)want);
	return 0;
}

/*
 * Restore phase 3: a process whose private futex hash the kernel made
 * when a second thread came makes one, which exits at once, every signal
 * blocked (it runs on our stack): the kernel makes the hash the same way.
 */
static int misc_child(const struct cr_rst_child *c, struct cr_rst_res *res)
{
	volatile uint32_t word = 1;
	struct clone_args args = {
		.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
			 CLONE_THREAD | CLONE_SYSVSEM | CLONE_CHILD_CLEARTID,
		.child_tid = (uintptr_t)&word,
	};
	struct timespec nap = { 0, 100000000 };
	uint64_t all = ~0ULL, old;
	long tid;

	if (!(c->task->t.flags & CRFS_TASK_F_FUTEX_HASH))
		return 0;
	res->step = CR_RST_FUTEX_HASH;
	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, 8))
		return errno;
	tid = cr_arch_clone3_thread_exit(&args, sizeof(args));
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, 8);
	if (tid < 0)
		return (int)-tid;
	/* Gone when the kernel clears the word (a shared futex wake). */
	while (word)
		syscall(SYS_futex, &word, FUTEX_WAIT, 1, &nap, NULL, 0);
	return 0;
}

/* Restore phase 5: the futex hash misc_child() had made is the image's. */
static int misc_futex_hash(struct cr_rst *r, struct cr_err *e)
{
	uint32_t want = cr_futex_slots_default(2);
	long got;
	int rc;

	if (!(r->task->t.flags & CRFS_TASK_F_FUTEX_HASH))
		return 0;
	rc = cr_rst_syscall(r, SYS_prctl, CR_ARGS(PR_FUTEX_HASH,
			    CR_FUTEX_HASH_GET_SLOTS), &got, e);
	if (!rc && got != want)
		rc = cr_fail(e, EIO, "pid %d: private futex hash of %ld slots "
			     "after a thread came and went, not %u", r->pid,
			     got, want);
	return rc;
}

/*
 * Restore phase 5: clear_child_tid, the futex hash, then the scheduling
 * (a low priority would slow the injected calls after it: few are left).
 */
static int misc_late(struct cr_rst *r, struct cr_err *e)
{
	int rc = misc_set_tid_address(r, e);

	if (!rc)
		rc = misc_futex_hash(r, e);
	return rc ? rc : cr_rst_sched(r, e);
}

const struct cr_res_ops cr_res_misc = {
	.name		= "misc",
	.collect	= misc_collect,
	.check		= misc_check,
	.seized		= misc_seized,
	.plan		= misc_plan,
	.child		= misc_child,
	.late		= misc_late,
};
