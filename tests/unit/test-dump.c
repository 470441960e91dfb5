// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the checkpoint's look-ups, TAP output: their cost must
 * not grow faster than what they look through (the SHMEM objects of an
 * address space by inode, res-mm.c), counted in slots looked at.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "tap.h"

#define TAP_PLAN	4

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

int main(void)
{
	printf("1..%d\n", TAP_PLAN);
	test_shmem_linear();
	return tap_failed || tap_nr != TAP_PLAN;
}
