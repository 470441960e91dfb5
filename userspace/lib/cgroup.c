// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cgroup v2: the freezer, cgroup.kill and membership of a container's
 * cgroup.  The cgroup2 mount is found in /proc/self/mountinfo, wherever it is.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/inotify.h>

#include "cr-internal.h"

int cr_cgroup_root(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char mnt[PATH_MAX], *sep;

		/* 36 35 98:0 /root /mnt rw,... - cgroup2 cgroup2 rw */
		sep = strstr(line, " - ");
		if (!sep || strncmp(sep, " - cgroup2 ", 11))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		if (strlen(mnt) >= len) {
			ret = -ENAMETOOLONG;
			break;
		}
		strcpy(buf, mnt);
		ret = 0;
		break;
	}
	free(line);
	fclose(f);
	return ret;
}

/* Write @val to @cgdir/@file. */
static int cg_write(const char *cgdir, const char *file, const char *val)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", cgdir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	close(fd);
	return 0;
}

int cr_cgroup_pids(const char *cgdir, pid_t **pids)
{
	char path[PATH_MAX], *buf, *p;
	int n = 0, cap = 16;
	pid_t *v;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgdir);
	buf = cr_read_file(path, NULL);
	if (!buf)
		return -errno;
	v = malloc(cap * sizeof(*v));
	if (!v) {
		free(buf);
		return -ENOMEM;
	}
	for (p = buf; *p; ) {
		char *end;
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (n == cap) {
			pid_t *nv = realloc(v, 2 * cap * sizeof(*v));

			if (!nv) {
				free(v);
				free(buf);
				return -ENOMEM;
			}
			v = nv;
			cap *= 2;
		}
		v[n++] = pid;
		p = end;
		while (*p == '\n')
			p++;
	}
	free(buf);
	*pids = v;
	return n;
}

int cr_cgroup_events(const char *cgdir, int *populated, int *frozen)
{
	char path[PATH_MAX], *buf, *p;

	snprintf(path, sizeof(path), "%s/cgroup.events", cgdir);
	buf = cr_read_file(path, NULL);
	if (!buf)
		return -errno;
	p = strstr(buf, "populated ");
	if (populated)
		*populated = p ? atoi(p + 10) : 0;
	p = strstr(buf, "frozen ");
	if (frozen)
		*frozen = p ? atoi(p + 7) : 0;
	free(buf);
	return 0;
}

int cr_cgroup_freeze(const char *cgdir, bool freeze)
{
	return cg_write(cgdir, "cgroup.freeze", freeze ? "1" : "0");
}

int cr_cgroup_freezing(const char *cgdir)
{
	char path[PATH_MAX], *buf;
	int v;

	snprintf(path, sizeof(path), "%s/cgroup.freeze", cgdir);
	buf = cr_read_file(path, NULL);
	if (!buf)
		return -errno;
	v = atoi(buf) ? 1 : 0;
	free(buf);
	return v;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Wait until cgroup.events says @want for frozen (@populated false) or populated. */
static int cg_wait_events(const char *cgdir, bool populated, int want,
			  int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	char path[PATH_MAX];
	int ifd, ret;

	/* cgroup.events raises IN_MODIFY on every change. */
	snprintf(path, sizeof(path), "%s/cgroup.events", cgdir);
	ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ifd >= 0 && inotify_add_watch(ifd, path, IN_MODIFY) < 0) {
		close(ifd);
		ifd = -1;
	}
	for (;;) {
		int value, left;

		ret = populated ? cr_cgroup_events(cgdir, &value, NULL) :
				  cr_cgroup_events(cgdir, NULL, &value);
		if (ret)
			break;
		if (value == want)
			break;
		left = (int)(deadline - now_ms());
		if (left <= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		if (ifd >= 0) {
			struct pollfd pfd = { .fd = ifd, .events = POLLIN };
			char ev[4096];

			/* Poll in slices: a missed event costs 50 ms at most. */
			if (poll(&pfd, 1, left < 50 ? left : 50) > 0)
				while (read(ifd, ev, sizeof(ev)) > 0)
					;
		} else {
			usleep(1000);
		}
	}
	if (ifd >= 0)
		close(ifd);
	return ret;
}

int cr_cgroup_wait_frozen(const char *cgdir, int want, int timeout_ms)
{
	return cg_wait_events(cgdir, false, want, timeout_ms);
}

int cr_cgroup_wait_empty(const char *cgdir, int timeout_ms)
{
	return cg_wait_events(cgdir, true, 0, timeout_ms);
}

int cr_cgroup_kill(const char *cgdir)
{
	return cg_write(cgdir, "cgroup.kill", "1");
}

int cr_cgroup_attach(const char *cgdir, pid_t pid)
{
	char val[32];

	snprintf(val, sizeof(val), "%d", (int)pid);
	return cg_write(cgdir, "cgroup.procs", val);
}
