// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-nocaps: a process of uid 0 that gave up every capability: empty
 * bounding, inheritable, permitted, effective and ambient sets.  It must
 * not come back with any: a restore never ends with more privilege than
 * the image says, whatever the uid.
 */
#include <linux/capability.h>
#include <sys/prctl.h>

#include "zdtm.h"

/* Every capability of any set, as one mask per set ORed. */
static uint64_t caps_any(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uint64_t any = 0;

	zdtm_check(syscall(SYS_capget, &h, d), "capget");
	for (int i = 0; i < 2; i++)
		any |= (uint64_t)(d[i].inheritable | d[i].permitted |
				  d[i].effective) << (32 * i);
	for (int c = 0; c < 64; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1 ||
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) == 1)
			any |= 1ULL << c;
	return any;
}

int main(int argc, char **argv)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct none[2] = { { 0 } };
	uint64_t any;

	zdtm_init(argc, argv);
	if (getuid() || geteuid())
		zdtm_fail("not run as root");
	for (int c = 0; c < 64; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) && errno != EINVAL)
			zdtm_fail("PR_CAPBSET_DROP %d: %s", c, strerror(errno));
	zdtm_check(syscall(SYS_capset, &h, none), "capset");
	any = caps_any();
	if (any)
		zdtm_fail("capabilities left before the checkpoint: %llx",
			  (unsigned long long)any);
	zdtm_ready();
	zdtm_wait();
	any = caps_any();
	if (any)
		zdtm_fail("capabilities after the restore: %llx",
			  (unsigned long long)any);
	if (getuid() || geteuid())
		zdtm_fail("uid %u euid %u after the restore", getuid(),
			  geteuid());
	zdtm_pass();
}
