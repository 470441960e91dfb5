// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Dump of the signal state: queued signals through PTRACE_PEEKSIGINFO,
 * dispositions and the alternate stack by making the task itself ask the
 * kernel (rt_sigaction, sigaltstack) into a scratch area, all 63 calls in
 * one batch when the task allows it.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "dump.h"

/* Queued signals read per PTRACE_PEEKSIGINFO. */
#define PEEK_BATCH	32

/* struct stack_t of x86-64, as sigaltstack() writes it. */
struct k_stack {
	uint64_t	sp;
	int32_t		flags;
	int32_t		__pad;
	uint64_t	size;
};

/*
 * Layout of the scratch area during cr_dump_sigacts(): the answers, the
 * batch runner and its calls.  dump.c maps it readable, writable and
 * executable, DUMP_SCRATCH_SIZE bytes.
 */
#define SCRATCH_ACTS	0
#define SCRATCH_STACK	sizeof(struct crfs_sigacts)
#define SCRATCH_CODE	2560
#define SCRATCH_CALLS	4096
#define SCRATCH_SIZE	8192
#define NR_SIG_CALLS	(CRFS_NSIG - 2 + 1)	/* not KILL, STOP; altstack */

_Static_assert(SCRATCH_STACK + sizeof(struct k_stack) <= SCRATCH_CODE &&
	       SCRATCH_CALLS + NR_SIG_CALLS * sizeof(struct cr_infect_call) <=
	       SCRATCH_SIZE, "the scratch layout overlaps");

/* Append the signals of one queue (private or shared) to the task image. */
static int peek_queue(struct cr_dump *d, int shared, struct cr_err *e)
{
	struct crfs_sigpending *np;
	struct __ptrace_peeksiginfo_args a = {
		.flags = shared ? PTRACE_PEEKSIGINFO_SHARED : 0,
		.nr = PEEK_BATCH,
	};
	siginfo_t si[PEEK_BATCH];
	long n, i;

	_Static_assert(sizeof(siginfo_t) == CRFS_SIGINFO_SIZE,
		       "kernel siginfo is 128 bytes");
	for (;;) {
		n = ptrace(PTRACE_PEEKSIGINFO, d->pid, &a, si);
		if (n < 0)
			return cr_fail(e, errno,
				       "pid %d: cannot read pending signals: %m",
				       d->pid);
		if (!n)
			return 0;
		np = realloc(d->t.pending, (d->t.task.nr_pending + n) *
					   sizeof(*np));
		if (!np)
			return cr_fail(e, ENOMEM, "out of memory");
		d->t.pending = np;
		for (i = 0; i < n; i++) {
			np = &d->t.pending[d->t.task.nr_pending++];
			memset(np, 0, sizeof(*np));
			np->shared = shared;
			np->signo = si[i].si_signo;
			memcpy(np->siginfo, &si[i], CRFS_SIGINFO_SIZE);
		}
		a.off += n;
	}
}

/* Collect the private queue, then the shared one. */
int cr_dump_sigpending(struct cr_dump *d, struct cr_err *e)
{
	int ret;

	ret = peek_queue(d, 0, e);
	if (ret)
		return ret;
	return peek_queue(d, 1, e);
}

/* The calls that ask for the 62 dispositions and the altstack. */
static int sig_calls(unsigned long scratch, struct cr_infect_call *c)
{
	int sig, n = 0;

	for (sig = 1; sig <= CRFS_NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		c[n++] = (struct cr_infect_call){
			.nr = __NR_rt_sigaction,
			.a = { sig, 0, scratch + SCRATCH_ACTS +
				       (sig - 1) * sizeof(struct crfs_sigact),
			       sizeof(uint64_t) },	/* sigset size */
		};
	}
	c[n++] = (struct cr_infect_call){
		.nr = __NR_sigaltstack,
		.a = { 0, scratch + SCRATCH_STACK },
	};
	return n;
}

/*
 * Run @c in the task, in one batch when it can be, else one by one.
 * Return: the index of the first call that failed, @n if none did, or
 * -errno with @e set.
 */
static int sig_run(struct cr_dump *d, unsigned long scratch, bool exec,
		   struct cr_infect_call *c, int n, struct cr_err *e)
{
	struct iovec local = { (void *)cr_arch_batch_code,
			       cr_arch_batch_code_size };
	struct iovec remote = { (void *)(scratch + SCRATCH_CODE),
				cr_arch_batch_code_size };
	int i, ret;

	if (exec && SCRATCH_CODE + cr_arch_batch_code_size <= SCRATCH_CALLS &&
	    process_vm_writev(d->pid, &local, 1, &remote, 1, 0) ==
	    (ssize_t)cr_arch_batch_code_size) {
		ret = cr_infect_batch(&d->inf, scratch + SCRATCH_CODE,
				      scratch + SCRATCH_CALLS, c, n, e);
		if (ret != -EAGAIN)
			return ret;
	}
	for (i = 0; i < n; i++) {
		long rc;

		ret = cr_infect_syscall(&d->inf, c[i].nr, c[i].a, &rc, e);
		if (ret)
			return ret;
		c[i].ret = rc;
		if (rc < 0 && rc > -4096)
			return i;
	}
	return n;
}

/* Ask the task for its 62 dispositions and its altstack. */
int cr_dump_sigacts(struct cr_dump *d, unsigned long scratch, bool exec,
		    struct cr_err *e)
{
	struct {
		struct crfs_sigacts	acts;
		struct k_stack		ss;
	} out;
	struct iovec local = { &out, sizeof(out) };
	struct iovec remote = { (void *)scratch, sizeof(out) };
	struct cr_infect_call c[NR_SIG_CALLS];
	int n, ret;

	n = sig_calls(scratch, c);
	ret = sig_run(d, scratch, exec, c, n, e);
	if (ret < 0)
		return ret;
	if (ret < n && c[ret].nr == __NR_sigaltstack)
		return cr_fail(e, (int)-c[ret].ret, "pid %d: sigaltstack failed: %s",
			       d->pid, strerror((int)-c[ret].ret));
	if (ret < n)
		return cr_fail(e, (int)-c[ret].ret,
			       "pid %d: rt_sigaction(%d) failed: %s", d->pid,
			       (int)c[ret].a[0], strerror((int)-c[ret].ret));

	if (process_vm_readv(d->pid, &local, 1, &remote, 1, 0) !=
	    (ssize_t)sizeof(out))
		return cr_fail(e, errno ? errno : EIO,
			       "pid %d: cannot read the scratch page: %m",
			       d->pid);
	memset(&out.acts.act[SIGKILL - 1], 0, sizeof(struct crfs_sigact));
	memset(&out.acts.act[SIGSTOP - 1], 0, sizeof(struct crfs_sigact));
	d->t.sigacts = out.acts;
	d->t.sigstate.altstack_sp = out.ss.sp;
	d->t.sigstate.altstack_size = out.ss.size;
	d->t.sigstate.altstack_flags = out.ss.flags;
	return 0;
}
