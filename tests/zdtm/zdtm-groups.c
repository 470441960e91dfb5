// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-groups: a root process with 4000 supplementary groups (more than a
 * page of them).  After the restore getgroups() returns the same list.
 */
#include <grp.h>

#include "zdtm.h"

#define NGROUPS	4000

int main(int argc, char **argv)
{
	static gid_t want[NGROUPS], got[NGROUPS + 1];
	int i, n;

	zdtm_init(argc, argv);
	for (i = 0; i < NGROUPS; i++)
		want[i] = 100000 + 3 * i;
	zdtm_check(setgroups(NGROUPS, want), "setgroups");
	zdtm_ready();
	zdtm_wait();
	n = getgroups(NGROUPS + 1, got);
	zdtm_check(n < 0, "getgroups");
	if (n != NGROUPS)
		zdtm_fail("%d groups, want %d", n, NGROUPS);
	for (i = 0; i < n; i++)
		if (got[i] != want[i])
			zdtm_fail("group %d is %u, want %u", i, got[i], want[i]);
	zdtm_pass();
}
