// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A child that exits at once, for what its birth tells (restore.c asks
 * whether the kernel lets a child be cloned into a cgroup), and a thread
 * that exits at once, for what its birth leaves (res-misc.c: the private
 * futex hash the kernel makes for a process's first thread); a thread
 * that runs a function on a stack of its own (restore-tree.c: a thread
 * that makes children), and system calls that leave errno alone.
 */
#include <sys/syscall.h>

#include "arch.h"

/* clone3() with @args; the child calls system call @nr (exit) at once. */
static long cr_clone3_then(void *args, size_t size, long nr)
{
	long ret;

	/*
	 * With CLONE_VM the child runs on our stack: it must not touch
	 * memory, so it is never let back into C.  rdx, which clone3()
	 * does not read, carries @nr into it.
	 */
	__asm__ volatile("syscall\n\t"
			 "test	%%rax, %%rax\n\t"
			 "jnz	1f\n\t"
			 "mov	%%rdx, %%rax\n\t"
			 "xor	%%edi, %%edi\n\t"
			 "syscall\n"
			 "1:"
			 : "=a" (ret)
			 : "0" ((long)SYS_clone3), "D" (args), "S" (size),
			   "d" (nr)
			 : "rcx", "r11", "memory");
	return ret;
}

long cr_arch_clone3_exit(void *args, size_t size)
{
	return cr_clone3_then(args, size, SYS_exit_group);
}

long cr_arch_clone3_thread_exit(void *args, size_t size)
{
	return cr_clone3_then(args, size, SYS_exit);
}

long cr_arch_clone3_run(void *args, size_t size, void (*fn)(void *),
			void *arg)
{
	register long r12 __asm__("r12") = (long)fn;
	register long r13 __asm__("r13") = (long)arg;
	long ret;

	/*
	 * The thread starts on its new stack (16-byte aligned: as before a
	 * call) with our registers: r12 and r13, which clone3() does not
	 * touch, carry @fn and @arg into it; no frame above it (rbp 0).
	 */
	__asm__ volatile("syscall\n\t"
			 "test	%%rax, %%rax\n\t"
			 "jnz	1f\n\t"
			 "xor	%%ebp, %%ebp\n\t"
			 "mov	%%r13, %%rdi\n\t"
			 "call	*%%r12\n\t"
			 "mov	%[exit], %%eax\n\t"
			 "xor	%%edi, %%edi\n\t"
			 "syscall\n\t"
			 "ud2\n"
			 "1:"
			 : "=a" (ret)
			 : "0" ((long)SYS_clone3), "D" (args), "S" (size),
			   "r" (r12), "r" (r13), [exit] "i" (SYS_exit)
			 : "rcx", "r11", "memory");
	return ret;
}

long cr_arch_syscall4(long nr, long a0, long a1, long a2, long a3)
{
	register long r10 __asm__("r10") = a3;
	long ret;

	__asm__ volatile("syscall"
			 : "=a" (ret)
			 : "0" (nr), "D" (a0), "S" (a1), "d" (a2), "r" (r10)
			 : "rcx", "r11", "memory");
	return ret;
}
