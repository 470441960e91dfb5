// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Syscall injection: make a ptrace-stopped tracee run one system call at
 * a "syscall" instruction found in its own memory, as if it had called it.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "arch.h"

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

int cr_infect_fini(struct cr_infect *inf, struct cr_err *e)
{
	if (ptrace(PTRACE_SETREGS, inf->pid, NULL, &inf->saved))
		return cr_fail(e, errno, "pid %d: cannot restore registers: %m",
			       inf->pid);
	return 0;
}
