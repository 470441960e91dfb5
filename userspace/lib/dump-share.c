// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What processes of a checkpoint share whole and a restore makes shared
 * again: a descriptor table (clone(CLONE_FILES)) and a cwd, root and
 * umask (clone(CLONE_FS)).  Found before the rows collect, by kcmp(2) as
 * an order (the kernel orders its objects): O(n log n) kcmp() calls, not
 * one per pair.  The first process of a group in the image's order
 * (parents before children) collects the object; the others take its id
 * (res-files.c, res-fs.c).  Which groups a restore can make is a rule of
 * the image (img-check-tree.c): each sharer is made by clone() from its
 * parent, which shares it too.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kcmp.h>
#include <sys/syscall.h>

#include "dump.h"

/* The kinds, and where each task keeps the first of its group. */
static const struct {
	int	type;
	size_t	of;
} dump_share_kinds[] = {
	{ KCMP_FILES,	offsetof(struct cr_dtask, files_of) },
	{ KCMP_FS,	offsetof(struct cr_dtask, fs_of) },
};

/* The kind compared, the tasks, and the first error of kcmp(). */
struct dump_share_ctx {
	const struct cr_dump	*d;
	int			type;
	int			err;
};

/* kcmp's order of two tasks' objects, then the image's order. */
static int dump_share_cmp(const void *pa, const void *pb, void *arg)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	struct dump_share_ctx *c = arg;
	long r = syscall(SYS_kcmp, c->d->tasks[a].pid, c->d->tasks[b].pid,
			 c->type, 0, 0);

	if (r < 0 && !c->err)
		c->err = errno;
	if (r == 1)
		return -1;
	if (r == 2)
		return 1;
	return (a > b) - (a < b);
}

/* The task of @d's @i, field @of (files_of or fs_of). */
static int32_t *dump_share_of(struct cr_dump *d, uint32_t i, size_t of)
{
	return (int32_t *)((char *)&d->tasks[i] + of);
}

int cr_dump_share(struct cr_dump *d, struct cr_err *e)
{
	uint32_t *ix = malloc((d->nr_tasks + 1) * sizeof(*ix)), n = 0;
	int ret = 0;

	if (!ix)
		return cr_fail(e, ENOMEM, "out of memory");
	for (uint32_t i = 0; i < d->nr_tasks; i++) {
		d->tasks[i].files_of = d->tasks[i].fs_of = -1;
		if (!d->tasks[i].zombie)
			ix[n++] = i;
	}
	for (size_t k = 0; !ret && n > 1 && k < sizeof(dump_share_kinds) /
	     sizeof(dump_share_kinds[0]); k++) {
		struct dump_share_ctx c = { d, dump_share_kinds[k].type, 0 };
		uint32_t first = ix[0];

		qsort_r(ix, n, sizeof(*ix), dump_share_cmp, &c);
		for (uint32_t i = 0; !c.err && i < n; i++) {
			if (!i || syscall(SYS_kcmp, d->tasks[ix[i - 1]].pid,
					  d->tasks[ix[i]].pid, c.type, 0, 0))
				first = ix[i];
			else
				*dump_share_of(d, ix[i],
					       dump_share_kinds[k].of) =
					(int32_t)first;
		}
		if (c.err)
			ret = cr_fail(e, c.err, "pid %d: kcmp: %s",
				      d->tasks[ix[0]].pid, strerror(c.err));
	}
	free(ix);
	return ret;
}
