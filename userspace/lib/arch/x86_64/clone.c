// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A child that exits at once, for what its birth tells (restore.c asks
 * whether the kernel lets a child be cloned into a cgroup).
 */
#include <sys/syscall.h>

#include "arch.h"

long cr_arch_clone3_exit(void *args, size_t size)
{
	long ret;

	/*
	 * With CLONE_VM the child runs on our stack: it must not touch
	 * memory, so it is never let back into C.
	 */
	__asm__ volatile("syscall\n\t"
			 "test	%%rax, %%rax\n\t"
			 "jnz	1f\n\t"
			 "mov	%[exit], %%eax\n\t"
			 "xor	%%edi, %%edi\n\t"
			 "syscall\n"
			 "1:"
			 : "=a" (ret)
			 : "0" ((long)SYS_clone3), "D" (args), "S" (size),
			   [exit] "i" (SYS_exit_group)
			 : "rcx", "r11", "memory");
	return ret;
}
