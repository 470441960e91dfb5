// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * x86-64 registers and the XSAVE area of a ptrace-stopped tracee.
 */
#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>

#include "arch.h"

/* Kernel-internal restart codes, seen in ax of an interrupted syscall. */
#define ERESTARTSYS		512
#define ERESTARTNOINTR		513
#define ERESTARTNOHAND		514
#define ERESTART_RESTARTBLOCK	516

static inline uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

static int has_osxsave(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	return !!(c & bit_OSXSAVE);
}

uint64_t cr_arch_xfeatures(void)
{
	return has_osxsave() ? xgetbv0() : 0;
}

uint32_t cr_arch_xstate_size(void)
{
	unsigned int a, b, c, d;

	if (!has_osxsave())
		return 512;	/* legacy FXSAVE area */
	__cpuid_count(0xd, 0, a, b, c, d);
	return b;
}

/*
 * An interrupted system call is kept as the kernel holds it (the call's
 * number in orig_rax, -ERESTART* in rax, rip after the instruction): the
 * restored task's way out of its last stop then restarts it, or returns
 * EINTR when a handler runs first, exactly as the kernel decides.  Only
 * a call restarted through restart_syscall() cannot be: its restart
 * block does not survive, so it returns EINTR; but poll() without a
 * timeout, whose restart is the call itself again.  A task stopped anywhere
 * else has no call to restart.
 */
static void fixup_restart(struct user_regs_struct *r)
{
	if ((long)r->orig_rax < 0)
		return;
	switch ((long)(int)r->rax) {
	case -ERESTARTNOHAND:
	case -ERESTARTSYS:
	case -ERESTARTNOINTR:
		return;
	case -ERESTART_RESTARTBLOCK:
		/*
		 * poll() without a timeout (tail -f waits so): its restart
		 * block says only "again with the same array", which the
		 * call itself, restarted, does.
		 */
		if (r->orig_rax == SYS_poll && (int)r->rdx < 0) {
			r->rax = -ERESTARTNOHAND;
			return;
		}
		r->rax = -EINTR;
		break;
	}
	r->orig_rax = -1;
}

bool cr_arch_call_eintr(const struct crfs_x86_regs *regs)
{
	struct user_regs_struct r;

	memcpy(&r, regs->r, sizeof(r));
	return (long)r.orig_rax < 0 && (long)r.rax == -EINTR;
}

int cr_arch_get_regs(pid_t pid, struct crfs_x86_regs *regs, void *xstate,
		     struct cr_err *e)
{
	struct user_regs_struct r;
	struct iovec iov;

	if (ptrace(PTRACE_GETREGS, pid, NULL, &r))
		return cr_fail(e, errno, "pid %d: cannot read registers: %m",
			       pid);
	fixup_restart(&r);
	memcpy(regs->r, &r, sizeof(r));

	if (!xstate)
		return 0;
	iov.iov_base = xstate;
	iov.iov_len = cr_arch_xstate_size();
	if (has_osxsave()) {
		if (ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &iov))
			return cr_fail(e, errno,
				       "pid %d: cannot read XSAVE state: %m",
				       pid);
	} else if (ptrace(PTRACE_GETFPREGS, pid, NULL, xstate)) {
		return cr_fail(e, errno, "pid %d: cannot read FPU state: %m",
			       pid);
	}
	if (iov.iov_len != cr_arch_xstate_size())
		return cr_fail(e, EOPNOTSUPP,
			       "pid %d: XSAVE state is %zu bytes, expected %u",
			       pid, iov.iov_len, cr_arch_xstate_size());
	return 0;
}

int cr_arch_set_regs(pid_t pid, const struct crfs_x86_regs *regs,
		     const void *xstate, uint32_t xstate_size,
		     struct cr_err *e)
{
	struct user_regs_struct r;
	struct iovec iov;

	if (xstate) {
		iov.iov_base = (void *)xstate;
		iov.iov_len = xstate_size;
		if (has_osxsave()) {
			if (ptrace(PTRACE_SETREGSET, pid,
				   (void *)NT_X86_XSTATE, &iov))
				return cr_fail(e, errno,
					       "pid %d: cannot load XSAVE state: %m",
					       pid);
		} else if (ptrace(PTRACE_SETFPREGS, pid, NULL, xstate)) {
			return cr_fail(e, errno,
				       "pid %d: cannot load FPU state: %m", pid);
		}
	}
	memcpy(&r, regs->r, sizeof(r));
	if (ptrace(PTRACE_SETREGS, pid, NULL, &r))
		return cr_fail(e, errno, "pid %d: cannot load registers: %m",
			       pid);
	return 0;
}
