// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Syscall injection: make a ptrace-stopped tracee run one system call at
 * a "syscall" instruction found in its own memory, as if it had called it.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "arch.h"
#include "cr-internal.h"

/*
 * The batch runner, as bytes to copy into the tracee (it never runs
 * here): %rbx calls of struct cr_infect_call from %r12 on, each result
 * stored after its call, up to the end or the first error; then int3.
 * Position-independent: relative jumps, memory through %r12 only.
 */
__asm__(
	"	.pushsection .rodata\n"
	"	.globl cr_arch_batch_code\n"
	"cr_arch_batch_code:\n"
	"1:	test	%rbx, %rbx\n"
	"	jz	2f\n"
	"	mov	0(%r12), %rax\n"
	"	mov	8(%r12), %rdi\n"
	"	mov	16(%r12), %rsi\n"
	"	mov	24(%r12), %rdx\n"
	"	mov	32(%r12), %r10\n"
	"	mov	40(%r12), %r8\n"
	"	mov	48(%r12), %r9\n"
	"	syscall\n"
	"	mov	%rax, 56(%r12)\n"
	"	cmp	$-4095, %rax\n"
	"	jae	2f\n"
	"	add	$64, %r12\n"
	"	dec	%rbx\n"
	"	jmp	1b\n"
	"2:	int3\n"
	"cr_arch_batch_code_end:\n"
	"	.globl cr_arch_batch_code_size\n"
	"	.balign 8\n"
	"cr_arch_batch_code_size:\n"
	"	.quad	cr_arch_batch_code_end - cr_arch_batch_code\n"
	"	.popsection\n");

_Static_assert(sizeof(struct cr_infect_call) == 64,
	       "the batch runner steps 64 bytes a call");

unsigned long cr_arch_find_syscall(pid_t pid, unsigned long start,
				   unsigned long end)
{
	unsigned char buf[4096];
	unsigned long addr;

	for (addr = start; addr < end; addr += sizeof(buf) - 1) {
		size_t len = end - addr < sizeof(buf) ? end - addr : sizeof(buf);
		struct iovec local = { buf, len }, remote = { (void *)addr, len };
		ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		ssize_t i;

		if (n < 2)
			return 0;
		for (i = 0; i + 1 < n; i++)
			if (buf[i] == 0x0f && buf[i + 1] == 0x05)
				return addr + i;
		if ((size_t)n < len)
			return 0;
	}
	return 0;
}

int cr_infect_init(struct cr_infect *inf, pid_t pid, unsigned long gadget,
		   struct cr_err *e)
{
	inf->pid = pid;
	inf->gadget = gadget;
	if (!gadget)
		return cr_fail(e, ENOEXEC,
			       "pid %d: no syscall instruction to inject through",
			       pid);
	if (ptrace(PTRACE_GETREGS, pid, NULL, &inf->saved))
		return cr_fail(e, errno, "pid %d: cannot read registers: %m",
			       pid);
	return 0;
}

/* Resume with PTRACE_SYSCALL and wait for the next syscall stop. */
static int step_to_syscall_stop(pid_t pid, struct cr_err *e)
{
	int status;

	if (ptrace(PTRACE_SYSCALL, pid, NULL, NULL))
		return cr_fail(e, errno, "pid %d: cannot resume: %m", pid);
	for (;;) {
		if (waitpid(pid, &status, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			return cr_fail(e, errno, "pid %d: wait: %m", pid);
		}
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return cr_fail(e, ESRCH,
				       "pid %d: died during syscall injection",
				       pid);
		if (WIFSTOPPED(status) && WSTOPSIG(status) == (SIGTRAP | 0x80))
			return 0;
		return cr_fail(e, EIO,
			       "pid %d: unexpected stop (status %#x) during syscall injection",
			       pid, status);
	}
}

int cr_infect_syscall(struct cr_infect *inf, long nr, const unsigned long a[6],
		      long *ret, struct cr_err *e)
{
	struct user_regs_struct r = inf->saved;
	int rc;

	r.rax = nr;
	r.orig_rax = -1;	/* no restart logic on the way out */
	r.rdi = a[0];
	r.rsi = a[1];
	r.rdx = a[2];
	r.r10 = a[3];
	r.r8 = a[4];
	r.r9 = a[5];
	r.rip = inf->gadget;
	if (ptrace(PTRACE_SETREGS, inf->pid, NULL, &r))
		return cr_fail(e, errno, "pid %d: cannot set registers: %m",
			       inf->pid);
	rc = step_to_syscall_stop(inf->pid, e);	/* entry */
	if (rc)
		return rc;
	rc = step_to_syscall_stop(inf->pid, e);	/* exit */
	if (rc)
		return rc;
	if (ptrace(PTRACE_GETREGS, inf->pid, NULL, &r))
		return cr_fail(e, errno, "pid %d: cannot read registers: %m",
			       inf->pid);
	*ret = (long)r.rax;
	return 0;
}

/* SIGTRAP's bit in a mask line of /proc/PID/status ("SigIgn:\t...") */
static bool status_has_trap(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);

	return !p || strtoull(p + strlen(key), NULL, 16) &
		     (1ULL << (SIGTRAP - 1));
}

/* May SIGTRAP stop the tracee with no other effect (see cr_infect_batch)? */
static bool batch_trap_free(pid_t pid)
{
	char path[64], *buf;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	buf = cr_read_file(path, NULL);
	if (!buf)
		return false;
	ok = !status_has_trap(buf, "\nSigPnd:") &&
	     !status_has_trap(buf, "\nShdPnd:") &&
	     !status_has_trap(buf, "\nSigIgn:");
	free(buf);
	return ok;
}

int cr_infect_batch(struct cr_infect *inf, unsigned long code,
		    unsigned long table, struct cr_infect_call *calls, int n,
		    struct cr_err *e)
{
	if (!batch_trap_free(inf->pid))
		return -EAGAIN;
	return cr_infect_batch_run(inf, code, table, calls, n, e);
}

int cr_infect_batch_run(struct cr_infect *inf, unsigned long code,
			unsigned long table, struct cr_infect_call *calls,
			int n, struct cr_err *e)
{
	size_t len = n * sizeof(*calls);
	struct iovec local = { calls, len }, remote = { (void *)table, len };
	struct user_regs_struct r = inf->saved;
	uint64_t mask, run;
	int status, rc = 0;
	bool foreign = false;

	if (process_vm_writev(inf->pid, &local, 1, &remote, 1, 0) !=
	    (ssize_t)len)
		return cr_fail(e, errno ? errno : EIO,
			       "pid %d: cannot write the calls at %#lx: %m",
			       inf->pid, table);
	if (ptrace(PTRACE_GETSIGMASK, inf->pid, (void *)sizeof(mask), &mask))
		return cr_fail(e, errno, "pid %d: cannot read signal mask: %m",
			       inf->pid);
	run = mask & ~(1ULL << (SIGTRAP - 1));
	r.orig_rax = -1;	/* no restart logic on the way out */
	r.rip = code;
	r.rbx = n;
	r.r12 = table;
	if (ptrace(PTRACE_SETREGS, inf->pid, NULL, &r) ||
	    ptrace(PTRACE_SETSIGMASK, inf->pid, (void *)sizeof(run), &run))
		return cr_fail(e, errno, "pid %d: cannot set up the calls: %m",
			       inf->pid);
	/*
	 * Our trap is the int3 at the end (SI_KERNEL).  A SIGTRAP someone
	 * sent meanwhile is held back and sent again once SIGTRAP is blocked
	 * as before, so the task still gets it.
	 */
	for (;;) {
		siginfo_t si;

		if (!rc && ptrace(PTRACE_CONT, inf->pid, NULL, NULL))
			rc = cr_fail(e, errno, "pid %d: cannot resume: %m",
				     inf->pid);
		while (!rc && waitpid(inf->pid, &status, __WALL) < 0)
			if (errno != EINTR)
				rc = cr_fail(e, errno, "pid %d: wait: %m",
					     inf->pid);
		if (!rc && (WIFEXITED(status) || WIFSIGNALED(status)))
			return cr_fail(e, ESRCH,
				       "pid %d: died running injected calls",
				       inf->pid);
		if (!rc && !(WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP &&
			     status >> 16 == 0))
			rc = cr_fail(e, EIO,
				     "pid %d: unexpected stop (status %#x) running injected calls",
				     inf->pid, status);
		if (!rc && ptrace(PTRACE_GETSIGINFO, inf->pid, NULL, &si))
			rc = cr_fail(e, errno, "pid %d: cannot read the signal: %m",
				     inf->pid);
		if (rc || si.si_code == SI_KERNEL)
			break;
		foreign = true;
	}
	if (!rc && ptrace(PTRACE_GETREGS, inf->pid, NULL, &r))
		rc = cr_fail(e, errno, "pid %d: cannot read registers: %m",
			     inf->pid);
	if (!rc && r.rip != code + cr_arch_batch_code_size)
		rc = cr_fail(e, EIO,
			     "pid %d: trapped at %#llx, not at the end of the injected calls",
			     inf->pid, (unsigned long long)r.rip);
	/* The mask goes back whatever happened: the task is ours still. */
	if (ptrace(PTRACE_SETSIGMASK, inf->pid, (void *)sizeof(mask), &mask) &&
	    !rc)
		rc = cr_fail(e, errno, "pid %d: cannot restore signal mask: %m",
			     inf->pid);
	if (foreign)
		kill(inf->pid, SIGTRAP);
	if (rc)
		return rc;
	if (process_vm_readv(inf->pid, &local, 1, &remote, 1, 0) !=
	    (ssize_t)len)
		return cr_fail(e, errno ? errno : EIO,
			       "pid %d: cannot read the results at %#lx: %m",
			       inf->pid, table);
	return n - (int)r.rbx;
}

int cr_infect_fini(struct cr_infect *inf, struct cr_err *e)
{
	if (ptrace(PTRACE_SETREGS, inf->pid, NULL, &inf->saved))
		return cr_fail(e, errno, "pid %d: cannot restore registers: %m",
			       inf->pid);
	return 0;
}
