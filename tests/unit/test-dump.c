// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the checkpoint's look-ups, TAP output: their cost must
 * not grow faster than what they look through (the SHMEM objects of an
 * address space by inode, res-mm.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dump.h"
#include "tap.h"

#define TAP_PLAN	3

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * @n shared anonymous mappings of @n objects, then @n more of the same
 * objects, as smaps lists them: the seconds it takes, best of 3; *@good
 * false when an object was not found again, or found twice.
 */
static double time_shmem(uint32_t n, bool *good)
{
	double best = 1e9;

	for (int round = 0; round < 3; round++) {
		struct cr_dump d;
		struct cr_shmem_ix ix = { 0 };
		struct cr_err e = { 0 };
		bool created;
		double t0;

		memset(&d, 0, sizeof(d));
		t0 = now_s();
		for (uint32_t i = 0; i < 2 * n; i++) {
			/* shmem inodes: large, in no useful order */
			uint64_t ino = ((i % n) * 2654435761ULL) % 1000000007ULL;
			struct cr_shmem *s = cr_dump_shmem_get(&d, &ix, 42, ino,
							       &created, &e);

			if (!s || created != (i < n) || s->ino != ino ||
			    s->s.id != i % n + 1)
				*good = false;
		}
		if (now_s() - t0 < best)
			best = now_s() - t0;
		*good &= d.m.nr_shmems == n;
		cr_shmem_ix_free(&ix);
		cr_model_free(&d.m);
	}
	return best;
}

/* Twice the mappings of 8 times the objects: about 8 times as long. */
static void test_shmem_linear(void)
{
	bool good = true;
	double t1 = time_shmem(8192, &good);
	double t2 = time_shmem(65536, &good);

	ok(good, "shmem: each object found again by its inode, none twice");
	ok(t2 / t1 < 8 * 3,
	   "shmem: 8 times the shared anonymous mappings take %.1f times as "
	   "long (%.2f ms for 8192, %.2f ms for 65536)", t2 / t1, t1 * 1e3,
	   t2 * 1e3);
	ok(t2 < 1.0, "shmem: 65536 objects are indexed in moments (%.3f s)",
	   t2);
}

int main(void)
{
	printf("1..%d\n", TAP_PLAN);
	test_shmem_linear();
	return tap_failed || tap_nr != TAP_PLAN;
}
