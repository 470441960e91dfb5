// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "proc": what a process keeps of its own that /proc shows
 * little or nothing of.
 *
 * - The descriptors it added to the GDT (TLS entries, set_thread_area())
 *   and its LDT (modify_ldt()) are refused: the restore does not make
 *   them.
 * - Its I/O priority (ioprio_get()), read and set by the restorer, which
 *   must be allowed to set it: a throwaway child of the restorer tries.
 * - Its coredump_filter, read and written by the restorer in /proc.
 * - Its membarrier() registrations, as MEMBARRIER_CMD_GET_REGISTRATIONS
 *   (Linux 6.3) says, made again by injected calls.
 *
 * Each value is read back after the restore sets it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/membarrier.h>

#include "dump.h"
#include "restore.h"

#ifndef MEMBARRIER_CMD_GET_REGISTRATIONS
#define MEMBARRIER_CMD_GET_REGISTRATIONS	(1 << 9)
#endif
#define CR_IOPRIO_WHO_PROCESS	1
#define CR_IOPRIO_CLASS_RT	1

/* Bytes of the LDT read: any LDT at all is refused. */
#define CR_PROC_LDT_READ	8

/* A membarrier() registration, its bit in crfs_mm.flags. */
static const struct {
	uint32_t	flag;
	int		cmd;		/* MEMBARRIER_CMD_REGISTER_* */
} proc_membarrier[] = {
	{ CRFS_MM_F_MEMBARRIER_GLOBAL,
	  MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED },
	{ CRFS_MM_F_MEMBARRIER, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED },
	{ CRFS_MM_F_MEMBARRIER_SYNC_CORE,
	  MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE },
	{ CRFS_MM_F_MEMBARRIER_RSEQ,
	  MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ },
};
#define CR_PROC_MB_NR	(sizeof(proc_membarrier) / sizeof(proc_membarrier[0]))

/* The mm flags of the MEMBARRIER_CMD_REGISTER_* mask @regs. */
static uint32_t proc_mb_flags(long regs)
{
	uint32_t f = 0;

	for (size_t i = 0; i < CR_PROC_MB_NR; i++)
		if (regs & proc_membarrier[i].cmd)
			f |= proc_membarrier[i].flag;
	return f;
}

/* The MEMBARRIER_CMD_* this kernel knows (MEMBARRIER_CMD_QUERY), or 0. */
static long proc_mb_query(void)
{
	long q = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);

	return q < 0 ? 0 : q;
}

/* Does this kernel run modify_ldt()?  (A batch stops at a failed call.) */
static bool proc_has_modify_ldt(void)
{
	return syscall(SYS_modify_ldt, 0, NULL, 0) >= 0;
}

/* Read /proc/@pid/coredump_filter (hex). */
static int proc_get_filter(pid_t pid, uint32_t *v, struct cr_err *e)
{
	char path[64], *buf, *end;

	snprintf(path, sizeof(path), "/proc/%d/coredump_filter", pid);
	buf = cr_read_file(path, NULL);
	if (!buf)
		return cr_fail(e, errno, "pid %d: cannot read %s: %m", pid,
			       path);
	*v = strtoul(buf, &end, 16);
	if (end == buf) {
		free(buf);
		return cr_fail(e, EINVAL, "pid %d: bad coredump_filter", pid);
	}
	free(buf);
	return 0;
}

/* Phase 1: each thread's I/O priority. */
static int proc_collect(struct cr_dump *d, struct cr_dtask *dt,
			struct cr_err *e)
{
	(void)d;
	for (uint32_t i = 0; i < dt->t->nr_threads; i++) {
		struct crfs_thread *t = &dt->t->threads[i].t;
		long v = syscall(SYS_ioprio_get, CR_IOPRIO_WHO_PROCESS, t->tid);

		if (v < 0)
			return cr_fail(e, errno, "pid %d: thread %u: cannot "
				       "read its I/O priority: %m", dt->pid,
				       t->tid);
		t->ioprio = v;
	}
	return 0;
}

/*
 * Can this restorer give @ioprio to a process?  A real-time class takes
 * CAP_SYS_NICE or CAP_SYS_ADMIN: a throwaway child tries on itself.
 */
static int proc_ioprio_fits(uint32_t tid, uint32_t ioprio, struct cr_err *e)
{
	int status;
	pid_t pid;

	if (!ioprio)
		return 0;
	pid = fork();
	if (pid == 0)
		_exit(syscall(SYS_ioprio_set, CR_IOPRIO_WHO_PROCESS, 0,
			      ioprio) ? errno : 0);
	if (pid < 0)
		return cr_fail(e, errno, "cannot fork: %m");
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return cr_fail(e, errno, "cannot wait: %m");
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	return cr_fail(e, EPERM, "pid %u: I/O priority %#x (class %u, level "
		       "%u): this restorer may not set it%s", tid, ioprio,
		       ioprio >> 13, ioprio & 7, ioprio >> 13 ==
		       CR_IOPRIO_CLASS_RT ? " (the real-time class takes "
		       "CAP_SYS_NICE or CAP_SYS_ADMIN)" : "");
}

/* Can this kernel make the registrations of @mm again? */
static int proc_mb_fits(uint32_t pid, const struct cr_mm *mm,
			struct cr_err *e)
{
	long q = proc_mb_query();

	for (size_t i = 0; mm && i < CR_PROC_MB_NR; i++)
		if (mm->m.flags & proc_membarrier[i].flag &&
		    !(q & proc_membarrier[i].cmd &&
		      q & MEMBARRIER_CMD_GET_REGISTRATIONS))
			return cr_fail(e, EOPNOTSUPP, "pid %u: membarrier "
				       "registration %#x: this kernel cannot "
				       "make it and read it back", pid,
				       proc_membarrier[i].cmd);
	return 0;
}

/* Phase 2 and restore phase 1: what this restorer can set. */
static int proc_fits(const struct cr_task *t, struct cr_err *e)
{
	int rc = 0;

	for (uint32_t i = 0; !rc && i < t->nr_threads; i++)
		rc = proc_ioprio_fits(t->threads[i].t.tid,
				      t->threads[i].t.ioprio, e);
	return rc ? rc : proc_mb_fits(t->t.pid, t->mm, e);
}

/* Phase 2. */
static int proc_check(struct cr_dump *d, struct cr_dtask *dt,
		      struct cr_err *e)
{
	(void)d;
	return proc_fits(dt->t, e);
}

/* Refuse an LDT: modify_ldt(0) gave @rc (the bytes asked, if it has one). */
static int proc_ldt_refuse(pid_t pid, long rc, struct cr_err *e)
{
	if (!rc)
		return 0;
	if (rc < 0)
		return cr_fail(e, (int)-rc, "pid %d: injected modify_ldt "
			       "failed: %s", pid, strerror((int)-rc));
	return cr_fail(e, EOPNOTSUPP, "pid %d: has an LDT (modify_ldt()): "
		       "not restored", pid);
}

/*
 * Phase 4: GDT TLS entries by ptrace, coredump_filter (of the address
 * space, which the model has from here on); the LDT and the membarrier
 * registrations by injected calls, each only on a kernel that has it (a
 * failed call would stop the batch).
 */
static int proc_seized(struct cr_dump *d, struct cr_dtask *dt,
		       struct cr_batch *b, struct cr_err *e)
{
	int call = b->slot->call, rc;
	unsigned long at;
	long ret;

	(void)d;
	if (!dt->t->mm)
		return cr_fail(e, ESRCH, "pid %d: no address space", dt->pid);
	if (cr_seized_stopped(b)) {
		rc = cr_arch_tls_refuse(dt->pid, e);
		return rc ? rc : proc_get_filter(dt->pid,
						 &dt->t->mm->m.coredump_filter,
						 e);
	}
	if (cr_seized_calls(b)) {
		if (proc_has_modify_ldt() &&
		    (cr_batch_data(b, CR_PROC_LDT_READ, &at) < 0 ||
		     cr_batch_add(b, __NR_modify_ldt, (unsigned long[6]){
				  0, at, CR_PROC_LDT_READ }) < 0))
			goto out_full;
		if (proc_mb_query() & MEMBARRIER_CMD_GET_REGISTRATIONS &&
		    cr_batch_add(b, __NR_membarrier, (unsigned long[6]){
				 MEMBARRIER_CMD_GET_REGISTRATIONS }) < 0)
			goto out_full;
		return 0;
	}
	if (proc_has_modify_ldt()) {
		rc = proc_ldt_refuse(dt->pid, cr_batch_ret(b, call++), e);
		if (rc)
			return rc;
	}
	if (!(proc_mb_query() & MEMBARRIER_CMD_GET_REGISTRATIONS))
		return 0;
	ret = cr_batch_ret(b, call);
	if (ret < 0)
		return cr_fail(e, (int)-ret, "pid %d: injected membarrier "
			       "failed: %s", dt->pid, strerror((int)-ret));
	dt->t->mm->m.flags |= proc_mb_flags(ret);
	return 0;

out_full:
	return cr_fail(e, E2BIG, "pid %d: the injection batch is full",
		       dt->pid);
}

/* Restore phase 1: what this restorer can set. */
static int proc_plan(struct cr_rst *r, struct cr_err *e)
{
	return proc_fits(r->task, e);
}

/* Write @v to /proc/@pid/coredump_filter. */
static int proc_set_filter(pid_t pid, uint32_t v, struct cr_err *e)
{
	char path[64], val[16];
	int fd, len, ok;

	snprintf(path, sizeof(path), "/proc/%d/coredump_filter", pid);
	len = snprintf(val, sizeof(val), "0x%x", v);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return cr_fail(e, errno, "pid %d: cannot open %s: %m", pid,
			       path);
	ok = write(fd, val, len) == len;
	if (!ok)
		cr_fail(e, errno, "pid %d: cannot set coredump_filter to "
			"%#x: %m", pid, v);
	close(fd);
	return ok ? 0 : -e->err;
}

/* The membarrier registrations, made by the process itself. */
static int proc_set_mb(struct cr_rst *r, uint32_t f, struct cr_err *e)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < CR_PROC_MB_NR; i++)
		if (f & proc_membarrier[i].flag)
			rc = cr_rst_call(r, SYS_membarrier,
					 CR_ARGS(proc_membarrier[i].cmd),
					 "cannot register for membarrier()",
					 e);
	return rc;
}

/* Read each back: the image's values. */
static int proc_verify(struct cr_rst *r, struct cr_err *e)
{
	const struct crfs_mm *mm = &r->mm->m;
	uint32_t mb = mm->flags & (CRFS_MM_F_MEMBARRIER_GLOBAL |
		CRFS_MM_F_MEMBARRIER | CRFS_MM_F_MEMBARRIER_SYNC_CORE |
		CRFS_MM_F_MEMBARRIER_RSEQ), filter;
	long regs = 0, io;
	int rc;

	rc = proc_get_filter(r->pid, &filter, e);
	if (!rc && mb)
		rc = cr_rst_syscall(r, SYS_membarrier,
				    CR_ARGS(MEMBARRIER_CMD_GET_REGISTRATIONS),
				    &regs, e);
	if (rc)
		return rc;
	/* By the restorer: the pid it knows the process by, not the image's. */
	io = syscall(SYS_ioprio_get, CR_IOPRIO_WHO_PROCESS, r->pid);
	if (filter != mm->coredump_filter || io != r->thread->t.ioprio ||
	    proc_mb_flags(regs) != mb)
		return cr_fail(e, EIO, "pid %d: read back coredump_filter "
			       "%#x, I/O priority %#lx, membarrier "
			       "registrations %#lx: the image has %#x, %#x and "
			       "mm flags %#x", r->pid, filter, io, regs,
			       mm->coredump_filter, r->thread->t.ioprio, mb);
	return 0;
}

/* Restore phase 5: each value, then read back. */
static int proc_late(struct cr_rst *r, struct cr_err *e)
{
	const struct crfs_thread *t = &r->thread->t;
	int rc;

	if (!r->mm || !r->thread)
		return cr_fail(e, EINVAL, "pid %d: no address space or thread",
			       r->pid);
	rc = proc_set_filter(r->pid, r->mm->m.coredump_filter, e);
	if (!rc && syscall(SYS_ioprio_set, CR_IOPRIO_WHO_PROCESS, r->pid,
			   t->ioprio))
		rc = cr_fail(e, errno, "pid %d: cannot set its I/O priority "
			     "to %#x: %m", r->pid, t->ioprio);
	if (!rc)
		rc = proc_set_mb(r, r->mm->m.flags, e);
	return rc ? rc : proc_verify(r, e);
}

const struct cr_res_ops cr_res_proc = {
	.name		= "proc",
	.collect	= proc_collect,
	.check		= proc_check,
	.seized		= proc_seized,
	.plan		= proc_plan,
	.late		= proc_late,
};
