// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-sched-rr: a process at SCHED_RR priority 7 with nice -3 (which a
 * real-time policy keeps, unused, until it goes back to a fair one).
 * After the restore the policy, the priority and the nice value are the
 * same.
 */
#include <sched.h>
#include <sys/resource.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	struct sched_param sp = { .sched_priority = 7 };
	int pol, nice;

	zdtm_init(argc, argv);
	zdtm_check(setpriority(PRIO_PROCESS, 0, -3), "setpriority");
	zdtm_check(sched_setscheduler(0, SCHED_RR, &sp), "sched_setscheduler");
	zdtm_ready();
	zdtm_wait();
	sp.sched_priority = 0;
	pol = sched_getscheduler(0);
	errno = 0;
	nice = getpriority(PRIO_PROCESS, 0);
	zdtm_check(pol < 0 || errno || sched_getparam(0, &sp), "sched_get");
	if (pol != SCHED_RR || sp.sched_priority != 7 || nice != -3)
		zdtm_fail("policy %d priority %d nice %d, want %d 7 -3", pol,
			  sp.sched_priority, nice, SCHED_RR);
	zdtm_pass();
}
