// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-manymaps: a process with very many mappings, for the cost and the
 * abort of a checkpoint or restore that has many objects to handle.
 *
 * $ZDTM_MAPS (default 30000) pages of one region, each filled with its
 * own pattern, every other one made read-only: as many mappings as pages.
 * After SIGTERM: every page holds its pattern, and /proc/self/maps shows
 * the region cut exactly as it was (same count, same protections).
 */
#include <sys/mman.h>

#include "zdtm.h"

/* How many mappings of [base, base + len) maps shows, and are they right? */
static long maps_check(char *base, size_t len, long psz)
{
	unsigned long start, end, lo = (unsigned long)base;
	unsigned long hi = lo + len;
	char perms[8], line[512];
	long n = 0;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	zdtm_check(!f, "open maps");
	while (fgets(line, sizeof(line), f)) {
		long page;

		if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3)
			zdtm_fail("maps line: %s", line);
		if (end <= lo || start >= hi)
			continue;
		page = (start - lo) / psz;
		if (end - start != (unsigned long)psz)
			zdtm_fail("mapping %lx-%lx is not one page", start, end);
		if (perms[1] != (page % 2 ? '-' : 'w'))
			zdtm_fail("page %ld has perms %s", page, perms);
		n++;
	}
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	const char *env = getenv("ZDTM_MAPS");
	long psz = sysconf(_SC_PAGESIZE), n, i, got, off;
	size_t len;
	char *base;

	zdtm_init(argc, argv);
	n = env ? atol(env) : 30000;
	if (n < 2)
		zdtm_fail("ZDTM_MAPS=%s: at least 2", env);
	len = n * psz;
	base = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	zdtm_check(base == MAP_FAILED, "mmap");
	for (i = 0; i < n; i++)
		zdtm_fill(base + i * psz, psz, i);
	for (i = 1; i < n; i += 2)
		zdtm_check(mprotect(base + i * psz, psz, PROT_READ),
			   "mprotect");
	got = maps_check(base, len, psz);
	if (got != n)
		zdtm_fail("%ld mappings before the checkpoint, want %ld", got,
			  n);
	zdtm_ready();
	zdtm_wait();
	got = maps_check(base, len, psz);
	if (got != n)
		zdtm_fail("%ld mappings after the restore, want %ld", got, n);
	for (i = 0; i < n; i++) {
		off = zdtm_cmp(base + i * psz, psz, i);
		if (off >= 0)
			zdtm_fail("page %ld differs at byte %ld", i, off);
	}
	zdtm_pass();
}
