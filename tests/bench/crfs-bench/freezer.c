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
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define FREEZER_SLICE_NS	50000	/* a poll slice: 50 us */
#define FREEZER_TIMEOUT		5.0	/* seconds */

/* The cgroup2 directory of @pid into @dir: the mount and its "0::" path. */
static int freezer_cgdir(pid_t pid, char *dir, size_t len)
{
	char path[64], line[4096], mnt[PATH_MAX] = "", cg[PATH_MAX] = "";
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - cgroup2 ");

		if (sep && sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1)
			break;
		mnt[0] = '\0';
	}
	fclose(f);
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
	if (!mnt[0] || !cg[0])
		return -ENOENT;
	if ((size_t)snprintf(dir, len, "%s%s", mnt, cg) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* frozen in cgroup.events through @fd: 0 or 1, or -errno. */
static int freezer_frozen(int fd)
{
	char buf[256], *p;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	p = strstr(buf, "frozen ");
	return p ? atoi(p + 7) : -EINVAL;
}

/* Write @val to cgroup.freeze and wait until frozen is @val. */
static int freezer_set(const char *dir, int events, int val)
{
	struct timespec slice = { 0, FREEZER_SLICE_NS };
	double end = bench_now() + FREEZER_TIMEOUT;
	char path[PATH_MAX + 32];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/cgroup.freeze", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write(fd, val ? "1" : "0", 1) == 1 ? 0 : -errno;
	close(fd);
	while (!ret && (ret = freezer_frozen(events)) >= 0 && ret != val) {
		struct pollfd pfd = { .fd = events, .events = POLLPRI };

		ret = 0;
		if (bench_now() > end)
			return -ETIMEDOUT;
		ppoll(&pfd, 1, &slice, NULL);
	}
	return ret < 0 ? ret : 0;
}

/**
 * bench_freezer() - time the cgroup freezer alone on the cycle's tree
 * @c: the cycle, its processes in their container, running
 *
 * Return: the seconds from the write of cgroup.freeze until frozen 1, or
 * 0 if it could not be measured (said on stderr).  The tree runs again
 * when it returns.
 */
double bench_freezer(const struct bench_cyc *c)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	double t0, t = 0;
	int events, err;

	err = freezer_cgdir(c->pid, dir, sizeof(dir));
	if (err < 0) {
		fprintf(stderr, "crfs-bench: the cgroup of pid %d: %s\n",
			(int)c->pid, strerror(-err));
		return 0;
	}
	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	events = open(path, O_RDONLY | O_CLOEXEC);
	if (events < 0) {
		fprintf(stderr, "crfs-bench: %s: %s\n", path, strerror(errno));
		return 0;
	}
	t0 = bench_now();
	err = freezer_set(dir, events, 1);
	if (!err)
		t = bench_now() - t0;
	if (!err)
		err = freezer_set(dir, events, 0);
	if (err < 0) {
		fprintf(stderr, "crfs-bench: the freezer of %s: %s\n", dir,
			strerror(-err));
		t = 0;
	}
	close(events);
	return t;
}
