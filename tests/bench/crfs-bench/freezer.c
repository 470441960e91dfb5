// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup freezer alone: what crfs's freeze of a tree cannot go below.
 * On the crctl cycle's tree, once it is in its container and before its
 * checkpoint: cgroup.freeze 1 until cgroup.events says frozen 1, waited
 * for as crfs-fuse waits (poll() for POLLPRI in 50 us slices), then a thaw.
 * The report puts it beside crfs's freeze (echo freeze > state until
 * events says frozen 1, on the cat cycle's tree) of the same run.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cr.h"
#include "bench.h"

#define FREEZER_TIMEOUT_MS	5000

/* The cgroup2 directory of @pid into @dir: libcr's mount and its "0::" path. */
static int freezer_cgdir(pid_t pid, char *dir, size_t len)
{
	char path[64], line[4096], mnt[PATH_MAX], cg[PATH_MAX] = "";
	FILE *f;
	int ret = cr_cgroup_root(mnt, sizeof(mnt));

	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			snprintf(cg, sizeof(cg), "%s", line + 3);
			cg[strcspn(cg, "\n")] = '\0';
		}
	fclose(f);
	if (!cg[0])
		return -ENOENT;
	if ((size_t)snprintf(dir, len, "%s%s", mnt, cg) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/**
 * bench_freezer() - time the cgroup freezer alone on the cycle's tree
 * @c: the cycle, its processes in their container, running
 *
 * cgroup.freeze 1 until cgroup.events says frozen 1, waited for as
 * crfs-fuse waits (libcr's cr_cgroup_wait_frozen()), then a thaw.
 *
 * Return: the seconds from the write of cgroup.freeze until frozen 1, or
 * 0 if it could not be measured (said on stderr).  The tree runs again
 * when it returns.
 */
double bench_freezer(const struct bench_cyc *c)
{
	char dir[PATH_MAX];
	double t0, t = 0;
	int err;

	err = freezer_cgdir(c->pid, dir, sizeof(dir));
	if (err < 0) {
		fprintf(stderr, "crfs-bench: the cgroup of pid %d: %s\n",
			(int)c->pid, strerror(-err));
		return 0;
	}
	t0 = bench_now();
	err = cr_cgroup_freeze(dir, true);
	if (!err)
		err = cr_cgroup_wait_frozen(dir, 1, FREEZER_TIMEOUT_MS);
	if (!err)
		t = bench_now() - t0;
	if (!err)
		err = cr_cgroup_freeze(dir, false);
	if (!err)
		err = cr_cgroup_wait_frozen(dir, 0, FREEZER_TIMEOUT_MS);
	if (err < 0) {
		fprintf(stderr, "crfs-bench: the freezer of %s: %s\n", dir,
			strerror(-err));
		t = 0;
	}
	return t;
}
