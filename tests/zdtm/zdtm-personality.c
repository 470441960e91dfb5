// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-personality: a process that set READ_IMPLIES_EXEC after its start
 * (its existing mappings keep their protections; only new ones would be
 * made executable).  After the restore the personality is the same and
 * every mapping has the protections it had: a restore that set the
 * personality before rebuilding the memory makes them executable.
 */
#include <sys/personality.h>

#include "zdtm.h"

#define MAX_MAPS	512

struct map {
	unsigned long	start, end;
	char		perms[8];
};

/* The mappings of the process, with their protections; how many. */
static int maps_read(struct map *m)
{
	char line[512];
	int n = 0;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	zdtm_check(!f, "open maps");
	while (n < MAX_MAPS && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %7s", &m[n].start, &m[n].end,
			   m[n].perms) == 3)
			n++;
	fclose(f);
	return n;
}

/*
 * Does every range of @a lie in mappings of @b with the same protections?
 * (Not the same boundaries: the kernel may merge neighbours differently.)
 */
static const struct map *maps_differ(const struct map *a, int na,
				     const struct map *b, int nb)
{
	for (int i = 0; i < na; i++) {
		unsigned long addr = a[i].start;
		int j = 0;

		while (addr < a[i].end) {
			while (j < nb && b[j].end <= addr)
				j++;
			if (j == nb || b[j].start > addr ||
			    strcmp(b[j].perms, a[i].perms))
				return &a[i];
			addr = b[j].end;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static struct map before_maps[MAX_MAPS], after_maps[MAX_MAPS];
	int before, after, nb, na;
	const struct map *m;

	zdtm_init(argc, argv);
	before = personality(0xffffffff);
	zdtm_check(personality(before | READ_IMPLIES_EXEC) < 0, "personality");
	before = personality(0xffffffff);
	nb = maps_read(before_maps);
	zdtm_ready();
	zdtm_wait();
	after = personality(0xffffffff);
	if (after != before)
		zdtm_fail("personality %#x, it was %#x", after, before);
	na = maps_read(after_maps);
	m = maps_differ(before_maps, nb, after_maps, na);
	if (!m)
		m = maps_differ(after_maps, na, before_maps, nb);
	if (m)
		zdtm_fail("%lx-%lx %s: not so after the restore", m->start,
			  m->end, m->perms);
	zdtm_pass();
}
