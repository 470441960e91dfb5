// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A child that exits at once, for what its birth tells (restore.c asks
 * whether the kernel lets a child be cloned into a cgroup), and a thread
 * that exits at once, for what its birth leaves (res-misc.c: the private
 * futex hash the kernel makes for a process's first thread).
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
