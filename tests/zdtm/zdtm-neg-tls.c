// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-tls: a GDT TLS entry (set_thread_area(), which 64-bit code
 * reaches through int $0x80), which the checkpoint must refuse.  After
 * SIGTERM the entry is still there.  With --probe: exit 0 if the kernel
 * runs int $0x80 at all.
 */
#include <sys/mman.h>
#include <asm/ldt.h>

#include "zdtm.h"

/* The i386 system call numbers. */
#define CR_IA32_SET_THREAD_AREA	243
#define CR_IA32_GET_THREAD_AREA	244

/* An i386 system call with one argument, through int $0x80. */
static long ia32_call(long nr, void *arg)
{
	long rc;

	asm volatile("int $0x80" : "=a"(rc) : "a"(nr), "b"(arg) : "memory");
	return rc;
}

int main(int argc, char **argv)
{
	struct user_desc *u;
	unsigned int entry;

	/* --probe: can this kernel run int $0x80 (IA32 emulation)? */
	if (argc > 1 && !strcmp(argv[1], "--probe"))
		return ia32_call(CR_IA32_GET_THREAD_AREA, NULL) == -ENOSYS;
	zdtm_init(argc, argv);
	/* int $0x80 passes 32-bit pointers: the descriptor below 4 GiB */
	u = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	zdtm_check(u == MAP_FAILED, "mmap");
	*u = (struct user_desc){ .entry_number = -1, .base_addr = 0x12345000,
				 .limit = 0xfff, .seg_32bit = 1, .useable = 1 };
	zdtm_check(ia32_call(CR_IA32_SET_THREAD_AREA, u), "set_thread_area");
	entry = u->entry_number;
	zdtm_ready();
	zdtm_wait();
	memset(u, 0, sizeof(*u));
	u->entry_number = entry;
	if (ia32_call(CR_IA32_GET_THREAD_AREA, u) ||
	    u->base_addr != 0x12345000)
		zdtm_fail("the TLS entry %u is gone", entry);
	zdtm_pass();
}
