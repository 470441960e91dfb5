// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-affinity: a process bound to its last allowed CPU
 * (sched_setaffinity()).  After the restore sched_getaffinity() gives the
 * same single CPU.  With one CPU allowed only, DIR/skip.
 */
#include <sched.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	cpu_set_t all, one, got;
	int cpu, last = -1;

	zdtm_init(argc, argv);
	zdtm_check(sched_getaffinity(0, sizeof(all), &all), "sched_getaffinity");
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &all))
			last = cpu;
	if (CPU_COUNT(&all) < 2) {
		zdtm_put("skip", "one CPU allowed: nothing to bind to\n");
		return 0;
	}
	CPU_ZERO(&one);
	CPU_SET(last, &one);
	zdtm_check(sched_setaffinity(0, sizeof(one), &one), "sched_setaffinity");
	zdtm_ready();
	zdtm_wait();
	zdtm_check(sched_getaffinity(0, sizeof(got), &got), "sched_getaffinity");
	if (!CPU_EQUAL(&got, &one))
		zdtm_fail("%d CPUs allowed, want CPU %d only", CPU_COUNT(&got),
			  last);
	zdtm_pass();
}
