// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the checkpoint's look-ups, TAP output: their cost must
 * not grow faster than what they look through (the SHMEM objects of an
 * address space by inode, res-mm.c), counted in slots looked at; and the
 * zero-page test of the pages' dump (dump-pages.c) never takes a page
 * that holds data for the zero page.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "dump.h"
#include "tap.h"

#define TAP_PLAN	8

/*
 * @n shared anonymous mappings of @n objects, then @n more of the same
 * objects, as smaps lists them: the slots the index looked at, all told;
 * *@good false when an object was not found again, or found twice.
 */
static uint64_t probe_shmem(uint32_t n, bool *good)
{
	struct cr_dump d;
	struct cr_shmem_ix ix = { 0 };
	struct cr_err e = { 0 };
	uint64_t probes;
	bool created;

	memset(&d, 0, sizeof(d));
	for (uint32_t i = 0; i < 2 * n; i++) {
		/* shmem inodes: large, in no useful order */
		uint64_t ino = ((i % n) * 2654435761ULL) % 1000000007ULL;
		struct cr_shmem *s = cr_dump_shmem_get(&d, &ix, 42, ino,
						       &created, &e);

		if (!s || created != (i < n) || s->ino != ino ||
		    s->s.id != i % n + 1)
			*good = false;
	}
	*good &= d.m.nr_shmems == n;
	probes = ix.probes;
	cr_shmem_ix_free(&ix);
	cr_model_free(&d.m);
	return probes;
}

/*
 * The look-ups are counted, not timed (the machine is shared): a few
 * slots a look-up, growth included, whatever the number of objects.
 */
static void test_shmem_linear(void)
{
	bool good = true;
	uint64_t p1 = probe_shmem(8192, &good);
	uint64_t p2 = probe_shmem(65536, &good);

	ok(good, "shmem: each object found again by its inode, none twice");
	ok(p1 <= 4ULL * 2 * 8192, "shmem: 16384 look-ups of 8192 objects "
	   "look at %llu slots (at most 4 each)", (unsigned long long)p1);
	ok(p2 <= 4ULL * 2 * 65536, "shmem: 131072 look-ups of 65536 objects "
	   "look at %llu slots (at most 4 each)", (unsigned long long)p2);
	ok(p2 < 8 * 2 * p1, "shmem: 8 times the objects, %.1f times the "
	   "slots looked at", (double)p2 / (double)p1);
}

/* The PFN behind @addr of this process, 0 if none or not visible. */
static uint64_t pfn_of(int pm, const volatile void *addr)
{
	uint64_t ent;

	if (pread(pm, &ent, sizeof(ent), (uintptr_t)addr / 4096 * 8) !=
	    sizeof(ent) || !(ent >> 63))
		return 0;
	return ent & ((1ULL << 55) - 1);
}

/* @n pages read-faulted at once, in mappings of their own: how many map
 * @want (the zero PFN the dump took) */
static unsigned int read_faults_on(int pm, unsigned int n, uint64_t want)
{
	volatile char *p[8];
	unsigned int hits = 0;

	for (unsigned int i = 0; i < n; i++) {
		p[i] = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
		if (p[i] == MAP_FAILED)
			return 0;
		(void)p[i][0];
	}
	for (unsigned int i = 0; i < n; i++) {
		hits += pfn_of(pm, p[i]) == want;
		munmap((void *)p[i], 4096);
	}
	return hits;
}

/*
 * A kernel may answer a read fault with a page of its own rather than
 * the zero page; the dump once took the PFN of such a page, freed right
 * after, for the zero page, and skipped the page when it came to hold a
 * process's data (restored as zeros).  Pages written now, after the
 * dump looked, are the pages most likely to reuse it.
 */
static void test_zero_pfn(void)
{
	uint64_t zero, hzero, bad = 0;
	size_t len = 4096 * 4096;
	unsigned int skipped = 0, seen = 0;
	char *m;
	int pm;

	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	cr_dump_zero_pfn(0, &zero, &hzero);
	diag("zero page: PFN %#llx, huge zero page: PFN %#llx (0: not found, "
	     "nothing skipped)", (unsigned long long)zero,
	     (unsigned long long)hzero);
	ok(!cr_dump_zero_pfn(0, NULL, NULL), "zero: PFN 0 (not visible) is "
	   "never skipped");
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (m != MAP_FAILED)
		m[0] = 0x5a;
	if (pm < 0 || m == MAP_FAILED || !pfn_of(pm, m)) {
		/* PFNs are shown to CAP_SYS_ADMIN only */
		for (int i = 0; i < 3; i++)
			ok(1, "zero: # skip no PFN visible here (not root?)");
		goto out;
	}
	ok(!zero || read_faults_on(pm, 8, zero) == 8,
	   "zero: the PFN taken, if any, is what 8 read faults held at once "
	   "all map");
	for (size_t at = 0; at < len; at += 4096) {
		uint64_t pfn;

		m[at] = 0x5a;
		pfn = pfn_of(pm, m + at);
		seen += pfn != 0;
		if (cr_dump_zero_pfn(pfn, NULL, NULL)) {
			skipped++;
			bad = pfn;
		}
	}
	ok(seen == len / 4096, "zero: %u of %zu pages written have a visible "
	   "PFN", seen, len / 4096);
	ok(!skipped, "zero: none of the %zu pages written is taken for a "
	   "zero page (%u were, PFN %#llx)", len / 4096, skipped,
	   (unsigned long long)bad);
out:
	if (m != MAP_FAILED)
		munmap(m, len);
	if (pm >= 0)
		close(pm);
}

int main(void)
{
	printf("1..%d\n", TAP_PLAN);
	test_shmem_linear();
	test_zero_pfn();
	return tap_failed || tap_nr != TAP_PLAN;
}
