// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "proc": what a process keeps of its own that /proc shows
 * little or nothing of.  The descriptors it added to the GDT (TLS entries,
 * set_thread_area()) and its LDT (modify_ldt()) are refused: the restore
 * does not make them.
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>

#include "dump.h"
#include "restore.h"

/* The calls of the batch, in this order. */
enum { CR_PROC_LDT, CR_PROC_NR };

/* Bytes of the LDT read: any LDT at all is refused. */
#define CR_PROC_LDT_READ	8

/* Refuse an LDT: modify_ldt(0) gave @rc (the bytes asked, if it has one). */
static int proc_ldt_refuse(pid_t pid, long rc, struct cr_err *e)
{
	if (rc == -ENOSYS || !rc)
		return 0;	/* no modify_ldt(), or no LDT */
	if (rc < 0)
		return cr_fail(e, (int)-rc, "pid %d: injected modify_ldt "
			       "failed: %s", pid, strerror((int)-rc));
	return cr_fail(e, EOPNOTSUPP, "pid %d: has an LDT (modify_ldt()): "
		       "not restored", pid);
}

/* Phase 4: GDT TLS entries by ptrace, the LDT by an injected call. */
static int proc_seized(struct cr_dump *d, struct cr_dtask *dt,
		       struct cr_batch *b, struct cr_err *e)
{
	unsigned long at;

	(void)d;
	if (cr_seized_stopped(b))
		return cr_arch_tls_refuse(dt->pid, e);
	if (cr_seized_calls(b)) {
		if (cr_batch_data(b, CR_PROC_LDT_READ, &at) < 0 ||
		    cr_batch_add(b, __NR_modify_ldt, (unsigned long[6]){
				 0, at, CR_PROC_LDT_READ }) < 0)
			return cr_fail(e, E2BIG, "pid %d: the injection batch "
				       "is full", dt->pid);
		return 0;
	}
	return proc_ldt_refuse(dt->pid,
			       cr_batch_ret(b, b->slot->call + CR_PROC_LDT), e);
}

const struct cr_res_ops cr_res_proc = {
	.name		= "proc",
	.seized		= proc_seized,
};
