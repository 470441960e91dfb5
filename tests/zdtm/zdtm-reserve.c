// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-reserve: what Go and Java runtimes do with their heaps.  A 64 GiB
 * PROT_NONE reservation (more than RAM and swap: a restore that maps it
 * writable, or charges it, fails), of which 1 MiB is made read-write and
 * filled; a page made read-only and one made PROT_NONE after being
 * written.  After restore: the same protections, the same bytes, and the
 * rest of the reservation still PROT_NONE and untouched.
 */
#include <sys/mman.h>

#include "zdtm.h"

#define RESV_SIZE	(64UL << 30)
#define RESV_USED	(1UL << 20)

/* The protection of the mapping holding @addr, from /proc/self/maps. */
static int prot_of(unsigned long addr, unsigned long *end)
{
	unsigned long lo, hi;
	char perms[8], line[512];
	int prot = -1;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	zdtm_check(!f, "open maps");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 &&
		    addr >= lo && addr < hi) {
			prot = (perms[0] == 'r' ? PROT_READ : 0) |
			       (perms[1] == 'w' ? PROT_WRITE : 0) |
			       (perms[2] == 'x' ? PROT_EXEC : 0);
			*end = hi;
			break;
		}
	fclose(f);
	return prot;
}

int main(int argc, char **argv)
{
	unsigned long psz = sysconf(_SC_PAGESIZE), base, end;
	unsigned char *p;

	zdtm_init(argc, argv);
	p = mmap(NULL, RESV_SIZE, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	zdtm_check(p == MAP_FAILED, "reserve 64 GiB");
	base = (unsigned long)p;
	zdtm_check(mprotect(p, RESV_USED, PROT_READ | PROT_WRITE),
		   "mprotect used part");
	zdtm_fill(p, RESV_USED, 42);
	/* The last two pages of the used part: read-only, then none. */
	zdtm_check(mprotect(p + RESV_USED - 2 * psz, psz, PROT_READ),
		   "mprotect read-only page");
	zdtm_check(mprotect(p + RESV_USED - psz, psz, PROT_NONE),
		   "mprotect none page");
	zdtm_ready();
	zdtm_wait();

	if (prot_of(base, &end) != (PROT_READ | PROT_WRITE) ||
	    end != base + RESV_USED - 2 * psz)
		zdtm_fail("the used part is not read-write up to its end");
	if (prot_of(base + RESV_USED - 2 * psz, &end) != PROT_READ)
		zdtm_fail("the read-only page is not read-only");
	if (prot_of(base + RESV_USED - psz, &end) != 0 ||
	    end < base + RESV_SIZE)
		zdtm_fail("the rest of the reservation is not PROT_NONE");
	zdtm_check(mprotect(p + RESV_USED - psz, psz, PROT_READ),
		   "mprotect none page back");
	if (zdtm_cmp(p, RESV_USED, 42) >= 0)
		zdtm_fail("the used part changed at byte %ld",
			  zdtm_cmp(p, RESV_USED, 42));
	/* Far in the reservation: still there, still zero. */
	zdtm_check(mprotect(p + RESV_SIZE / 2, psz, PROT_READ),
		   "mprotect far page");
	if (p[RESV_SIZE / 2 + 7])
		zdtm_fail("a never-touched page is not zero");
	zdtm_pass();
}
