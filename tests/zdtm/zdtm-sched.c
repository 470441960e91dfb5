// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-sched: a process at SCHED_BATCH with SCHED_RESET_ON_FORK, nice 10,
 * and a clear_child_tid address of its own (set_tid_address()).  After the
 * restore sched_getscheduler(), getpriority() and PR_GET_TID_ADDRESS say
 * the same.
 */
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "zdtm.h"

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK	0x40000000
#endif
#ifndef PR_GET_TID_ADDRESS
#define PR_GET_TID_ADDRESS	40
#endif

static int tid_word;

int main(int argc, char **argv)
{
	struct sched_param sp = { 0 };
	unsigned long addr = 0;
	int pol, nice;

	zdtm_init(argc, argv);
	zdtm_check(sched_setscheduler(0, SCHED_BATCH | SCHED_RESET_ON_FORK,
				      &sp), "sched_setscheduler");
	zdtm_check(setpriority(PRIO_PROCESS, 0, 10), "setpriority");
	syscall(SYS_set_tid_address, &tid_word);
	zdtm_ready();
	zdtm_wait();
	pol = sched_getscheduler(0);
	errno = 0;
	nice = getpriority(PRIO_PROCESS, 0);
	zdtm_check(pol < 0 || errno, "sched_getscheduler");
	zdtm_check(prctl(PR_GET_TID_ADDRESS, &addr), "PR_GET_TID_ADDRESS");
	if (pol != (SCHED_BATCH | SCHED_RESET_ON_FORK))
		zdtm_fail("policy %#x, want %#x", pol,
			  SCHED_BATCH | SCHED_RESET_ON_FORK);
	if (nice != 10)
		zdtm_fail("nice %d, want 10", nice);
	if (addr != (unsigned long)&tid_word)
		zdtm_fail("clear_child_tid %#lx, want %p", addr, &tid_word);
	zdtm_pass();
}
