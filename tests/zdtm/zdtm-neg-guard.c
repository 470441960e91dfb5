// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-guard: a guard region (MADV_GUARD_INSTALL, Linux 6.13) in
 * anonymous memory, which smaps does not show and a restore would lose:
 * the checkpoint must refuse it.  After SIGTERM the guard must still be
 * there (pagemap bit 58, Linux 6.15) and the pages around it hold their
 * data.
 */
#include <sys/mman.h>

#include "zdtm.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL	102
#endif
#define PM_GUARD_REGION		(1ULL << 58)
#define PAGE			4096UL

/* Is page @p a guard, as pagemap tells? */
static int guarded(const char *p)
{
	uint64_t ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	zdtm_check(fd < 0, "open pagemap");
	zdtm_check(pread(fd, &ent, 8, (uintptr_t)p / PAGE * 8) != 8,
		   "read pagemap");
	close(fd);
	return !!(ent & PM_GUARD_REGION);
}

int main(int argc, char **argv)
{
	static char after[4 * PAGE];
	char *map;

	zdtm_init(argc, argv);
	map = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	zdtm_check(map == MAP_FAILED, "mmap");
	zdtm_fill(map, 8 * PAGE, 9);
	memcpy(after, map + 4 * PAGE, sizeof(after));
	zdtm_check(madvise(map + 2 * PAGE, 2 * PAGE, MADV_GUARD_INSTALL),
		   "madvise MADV_GUARD_INSTALL");
	if (!guarded(map + 2 * PAGE))
		zdtm_fail("pagemap does not show the guard region");
	zdtm_ready();
	zdtm_wait();
	if (!guarded(map + 2 * PAGE) || !guarded(map + 3 * PAGE))
		zdtm_fail("the guard region is gone");
	if (zdtm_cmp(map, 2 * PAGE, 9) >= 0 ||
	    memcmp(map + 4 * PAGE, after, sizeof(after)))
		zdtm_fail("the pages around the guard lost their data");
	zdtm_pass();
}
