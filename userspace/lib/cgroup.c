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

/* The ids listed in @cgdir/@file (cgroup.procs, cgroup.threads) into *@ids. */
static int cg_ids(const char *cgdir, const char *file, pid_t **ids)
{
	char path[PATH_MAX], *buf, *p;
	int n = 0, cap = 16;
	pid_t *v;

	snprintf(path, sizeof(path), "%s/%s", cgdir, file);
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
		long id = strtol(p, &end, 10);

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
		v[n++] = id;
		p = end;
		while (*p == '\n')
			p++;
	}
	free(buf);
	*ids = v;
	return n;
}

int cr_cgroup_pids(const char *cgdir, pid_t **pids)
{
	return cg_ids(cgdir, "cgroup.procs", pids);
}

/* populated and frozen out of cgroup.events' text @buf. */
static void cg_events_parse(const char *buf, int *populated, int *frozen)
{
	const char *p = strstr(buf, "populated ");

	if (populated)
		*populated = p ? atoi(p + 10) : 0;
	p = strstr(buf, "frozen ");
	if (frozen)
		*frozen = p ? atoi(p + 7) : 0;
}

int cr_cgroup_events(const char *cgdir, int *populated, int *frozen)
{
	char path[PATH_MAX], *buf;

	snprintf(path, sizeof(path), "%s/cgroup.events", cgdir);
	buf = cr_read_file(path, NULL);
	if (!buf)
		return -errno;
	cg_events_parse(buf, populated, frozen);
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

/*
 * The poll slices of a wait: short and alike for its first CG_SLICE_FAST_US
 * (a freeze of a hundred processes takes half a millisecond, its change
 * notification may come 10 ms late), then each next one doubles, up to
 * the last.
 */
#define CG_SLICE_FIRST_US	50
#define CG_SLICE_FAST_US	2000
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
	int i, k = 0, n = cr_cgroup_pids(cgdir, &pids);

	for (i = 0; i < n && k < max; i++) {
		int fd = syscall(SYS_pidfd_open, pids[i], 0);

		if (fd >= 0)
			pfd[k++] = (struct pollfd){ .fd = fd, .events = POLLIN };
	}
	if (n >= 0)
		free(pids);
	return k;
}

/* What a wait waits for, in cgroup.events' two values. */
typedef bool (*cg_until_fn)(const char *cgdir, int populated, int frozen);

static bool cg_frozen(const char *cgdir, int populated, int frozen)
{
	(void)cgdir;
	(void)populated;
	return frozen == 1;
}

static bool cg_thawed(const char *cgdir, int populated, int frozen)
{
	(void)cgdir;
	(void)populated;
	return frozen == 0;
}

static bool cg_empty(const char *cgdir, int populated, int frozen)
{
	(void)cgdir;
	(void)frozen;
	return populated == 0;
}

/* Read cgroup.events again through @fd, which is then polled for changes. */
static int cg_events_pread(int fd, int *populated, int *frozen)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	cg_events_parse(buf, populated, frozen);
	return 0;
}

/*
 * Wait @until cgroup.events says it.  The file is held open: read through
 * it, poll() says POLLPRI as soon as it changes (kernfs).  But the kernel
 * tells at most one change of a cgroup file every 10 ms and delays the
 * others, so the file is read again after each slice (CG_SLICE_*).  A
 * wait for "populated 0" also watches the processes exit through pidfds,
 * which the kernel does not delay.
 */
static int cg_wait_events(const char *cgdir, cg_until_fn until,
			  int timeout_ms)
{
	long start = now_us(), deadline = start + timeout_ms * 1000L;
	long slice = CG_SLICE_FIRST_US;
	struct pollfd pfd[1 + CG_WAIT_PIDFDS];
	char path[PATH_MAX];
	int ret, n = 1, i, k;

	snprintf(path, sizeof(path), "%s/cgroup.events", cgdir);
	pfd[0] = (struct pollfd){ .fd = open(path, O_RDONLY | O_CLOEXEC),
				  .events = POLLPRI };
	if (pfd[0].fd < 0)
		return -errno;
	for (;;) {
		struct timespec ts;
		int populated, frozen;
		long left;

		ret = cg_events_pread(pfd[0].fd, &populated, &frozen);
		if (ret || until(cgdir, populated, frozen))
			break;
		left = deadline - now_us();
		if (left <= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		/* Kept from slice to slice until their processes are gone. */
		if (until == cg_empty && n == 1)
			n += cg_open_pidfds(cgdir, pfd + 1, CG_WAIT_PIDFDS);
		if (slice > left)
			slice = left;
		ts.tv_sec = slice / 1000000;
		ts.tv_nsec = slice % 1000000 * 1000;
		ppoll(pfd, n, &ts, NULL);
		for (i = k = 1; i < n; i++) {
			if (pfd[i].revents)
				close(pfd[i].fd);	/* exited */
			else
				pfd[k++] = pfd[i];
		}
		n = k;
		if (now_us() - start >= CG_SLICE_FAST_US)
			slice = slice * 2 < CG_SLICE_MAX_US ? slice * 2 : CG_SLICE_MAX_US;
	}
	for (i = 0; i < n; i++)
		close(pfd[i].fd);
	return ret;
}

int cr_cgroup_wait_frozen(const char *cgdir, int want, int timeout_ms)
{
	return cg_wait_events(cgdir, want ? cg_frozen : cg_thawed,
			      timeout_ms);
}

int cr_cgroup_wait_empty(const char *cgdir, int timeout_ms)
{
	return cg_wait_events(cgdir, cg_empty, timeout_ms);
}

/* The value of "@key:\t" in /proc status text @buf, up to its newline. */
static void cg_status_field(const char *buf, const char *key, char *out,
			    size_t len)
{
	const char *p = strstr(buf, key);
	size_t n;

	out[0] = '\0';
	if (!p || !len)
		return;
	p += strlen(key);
	while (*p == '\t' || *p == ' ')
		p++;
	n = strcspn(p, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* Where a thread is: its status's Name, State and Tgid, and its wchan. */
struct cg_where {
	char	name[64];
	char	state[64];
	char	wchan[128];
	pid_t	tgid;
};

/*
 * Where thread @tid is, into @w.
 * Return: true if the freezer counts it stopped (in its trap, stopped,
 * traced-stopped, or a vfork parent waiting), false if it has yet to be.
 */
static bool cg_thread_stopped(pid_t tid, struct cg_where *w)
{
	static const char *const stopped_in[] = { "do_freezer_trap",
						  "wait_for_vfork_done" };
	char path[64], *buf, tg[16];
	unsigned int i;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	buf = cr_read_file(path, NULL);
	if (!buf)
		return true;	/* gone: nothing to wait for */
	cg_status_field(buf, "\nState:", w->state, sizeof(w->state));
	cg_status_field(buf, "Name:", w->name, sizeof(w->name));
	cg_status_field(buf, "\nTgid:", tg, sizeof(tg));
	free(buf);
	w->tgid = atoi(tg);
	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)tid);
	buf = cr_read_file(path, NULL);
	snprintf(w->wchan, sizeof(w->wchan), "%s",
		 buf && *buf && strcmp(buf, "0") ? buf : "?");
	free(buf);
	if (w->state[0] == 'T' || w->state[0] == 't')
		return true;
	for (i = 0; i < sizeof(stopped_in) / sizeof(stopped_in[0]); i++)
		if (!strcmp(w->wchan, stopped_in[i]))
			return true;
	return false;
}

pid_t cr_cgroup_unfrozen(const char *cgdir, char *out, size_t outlen)
{
	struct cg_where w;
	pid_t *tids, tid = 0;
	char thread[32] = "";
	int i, n = cg_ids(cgdir, "cgroup.threads", &tids);

	if (n < 0)
		return n;
	for (i = 0; i < n && !tid; i++)
		if (!cg_thread_stopped(tids[i], &w))
			tid = tids[i];
	free(tids);
	if (!tid)
		return 0;
	if (w.tgid > 0 && w.tgid != tid)
		snprintf(thread, sizeof(thread), ": thread %d", (int)tid);
	snprintf(out, outlen, "pid %d%s (%s) in %s, state %c",
		 (int)(w.tgid > 0 ? w.tgid : tid), thread, w.name, w.wchan,
		 w.state[0]);
	return tid;
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
