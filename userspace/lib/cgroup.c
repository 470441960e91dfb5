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
#include <sys/syscall.h>

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

/* The first poll slice of a wait; each next one doubles, up to the last. */
#define CG_SLICE_FIRST_US	100
#define CG_SLICE_MAX_US		50000
/* How many processes a wait for "populated 0" watches exit directly. */
#define CG_WAIT_PIDFDS		16

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

/*
 * Open a pidfd for each process of @cgdir (at most @max) into @pfd: it
 * becomes readable at the exit, which cgroup.events may tell only later.
 * Return: how many were opened.
 */
static int cg_open_pidfds(const char *cgdir, struct pollfd *pfd, int max)
{
	pid_t *pids;
	int n, i, k = 0;

	n = cr_cgroup_pids(cgdir, &pids);
	if (n < 0)
		return 0;
	for (i = 0; i < n && k < max; i++) {
		int fd = syscall(SYS_pidfd_open, pids[i], 0);

		if (fd >= 0)
			pfd[k++] = (struct pollfd){ .fd = fd, .events = POLLIN };
	}
	free(pids);
	return k;
}

/*
 * Wait until cgroup.events says @want for frozen (@populated false) or
 * populated.  The kernel sends at most one change notification of a
 * cgroup file every 10 ms and delays the others, so inotify alone can be
 * late: the file is read again after slices that start short and double.
 * A wait for "populated 0" watches the processes exit through pidfds
 * instead; inotify is set up only when there is nothing else to watch
 * (closing an inotify instance costs a quarter of a millisecond).
 */
static int cg_wait_events(const char *cgdir, bool populated, int want,
			  int timeout_ms)
{
	long deadline = now_us() + timeout_ms * 1000L;
	long slice = CG_SLICE_FIRST_US;
	struct pollfd pfd[1 + CG_WAIT_PIDFDS];
	char path[PATH_MAX];
	int ifd, ret, n = 1, i, k;

	pfd[0] = (struct pollfd){ .fd = -1 };	/* poll() skips it */
	ifd = -1;
	for (;;) {
		struct timespec ts;
		int value;
		long left;

		ret = populated ? cr_cgroup_events(cgdir, &value, NULL) :
				  cr_cgroup_events(cgdir, NULL, &value);
		if (ret)
			break;
		if (value == want)
			break;
		left = deadline - now_us();
		if (left <= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		/* Kept from slice to slice until their processes are gone. */
		if (populated && !want && n == 1)
			n += cg_open_pidfds(cgdir, pfd + 1, CG_WAIT_PIDFDS);
		/* Nothing to watch exit: watch the file (IN_MODIFY on changes). */
		if (n == 1 && ifd == -1) {
			snprintf(path, sizeof(path), "%s/cgroup.events", cgdir);
			ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
			if (ifd >= 0 && inotify_add_watch(ifd, path, IN_MODIFY) < 0) {
				close(ifd);
				ifd = -1;
			}
			if (ifd < 0)
				ifd = -2;	/* none: the slices alone */
			pfd[0] = (struct pollfd){ .fd = ifd, .events = POLLIN };
			continue;	/* a change before the watch is seen now */
		}
		if (slice > left)
			slice = left;
		ts.tv_sec = slice / 1000000;
		ts.tv_nsec = slice % 1000000 * 1000;
		ppoll(pfd, n, &ts, NULL);
		if (ifd >= 0) {
			char ev[4096];

			while (read(ifd, ev, sizeof(ev)) > 0)
				;
		}
		for (i = k = 1; i < n; i++) {
			if (pfd[i].revents)
				close(pfd[i].fd);	/* exited */
			else
				pfd[k++] = pfd[i];
		}
		n = k;
		slice = slice * 2 < CG_SLICE_MAX_US ? slice * 2 : CG_SLICE_MAX_US;
	}
	for (i = 1; i < n; i++)
		close(pfd[i].fd);
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
