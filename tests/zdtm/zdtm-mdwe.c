// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-mdwe: a process that refuses writable and executable memory
 * (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN)), as services run under
 * systemd's MemoryDenyWriteExecute= do.  The dump must not need such
 * memory in it.  After the restore the memory pattern must be intact,
 * and MDWE must be set again: PR_GET_MDWE says so, and a writable
 * executable mapping is still refused.
 */
#include <sys/mman.h>
#include <sys/prctl.h>

#include "zdtm.h"

#ifndef PR_SET_MDWE
#define PR_SET_MDWE			65
#define PR_GET_MDWE			66
#define PR_MDWE_REFUSE_EXEC_GAIN	1
#endif

#define MDWE_LEN	(1 << 20)

int main(int argc, char **argv)
{
	void *rwx, *buf;
	long bad;

	zdtm_init(argc, argv);
	zdtm_check(prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0),
		   "prctl(PR_SET_MDWE)");
	rwx = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rwx != MAP_FAILED)
		zdtm_fail("MDWE is set, yet a writable executable mapping was made");
	buf = mmap(NULL, MDWE_LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	zdtm_check(buf == MAP_FAILED, "mmap");
	zdtm_fill(buf, MDWE_LEN, 0x3d0e);
	zdtm_ready();
	zdtm_wait();
	bad = zdtm_cmp(buf, MDWE_LEN, 0x3d0e);
	if (bad >= 0)
		zdtm_fail("memory differs at offset %ld", bad);
	bad = prctl(PR_GET_MDWE, 0, 0, 0, 0);
	if (bad != PR_MDWE_REFUSE_EXEC_GAIN)
		zdtm_fail("PR_GET_MDWE says %ld after the restore, not %d",
			  bad, PR_MDWE_REFUSE_EXEC_GAIN);
	rwx = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rwx != MAP_FAILED)
		zdtm_fail("after the restore a writable executable mapping was made");
	zdtm_pass();
}
