// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * x86-64: the descriptors a process may add to the GDT (its three TLS
 * entries, set_thread_area()) and its LDT (modify_ldt()).  A restore
 * brings neither back: a checkpoint refuses a process that has one.
 * 64-bit code reaches set_thread_area() through int $0x80 only, as
 * 32-bit code does.
 */
#include <errno.h>
#include <string.h>
#include <sys/ptrace.h>
#include <asm/ldt.h>

#include "arch.h"

#ifndef PTRACE_GET_THREAD_AREA
#define PTRACE_GET_THREAD_AREA	25
#endif
/* GDT_ENTRY_TLS_MIN and _ENTRIES of x86-64. */
#define CR_TLS_FIRST		12
#define CR_TLS_ENTRIES		3

/* An empty entry, as the kernel's fill_user_desc() tells it. */
static bool cr_tls_empty(const struct user_desc *u)
{
	return !u->base_addr && !u->limit && !u->seg_32bit &&
	       !u->contents && u->read_exec_only && !u->limit_in_pages &&
	       u->seg_not_present && !u->useable && !u->lm;
}

int cr_arch_tls_refuse(pid_t tid, struct cr_err *e)
{
	for (int i = 0; i < CR_TLS_ENTRIES; i++) {
		struct user_desc u;

		memset(&u, 0, sizeof(u));
		if (ptrace(PTRACE_GET_THREAD_AREA, tid,
			   (void *)(long)(CR_TLS_FIRST + i), &u)) {
			/*
			 * A kernel without IA32_EMULATION has no such request,
			 * and no way to set an entry either (no int $0x80;
			 * the 64-bit set_thread_area() is not implemented).
			 */
			if (errno == EIO && !i)
				return 0;
			return cr_fail(e, errno, "tid %d: cannot read GDT "
				       "entry %d: %m", tid, CR_TLS_FIRST + i);
		}
		if (!cr_tls_empty(&u))
			return cr_fail(e, EOPNOTSUPP, "tid %d: GDT TLS entry %d "
				       "(set_thread_area(), base %#x, limit "
				       "%#x): not restored", tid,
				       CR_TLS_FIRST + i, u.base_addr, u.limit);
	}
	return 0;
}
