// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the transfer object (xfer.c) without FUSE, TAP output: a
 * real process (sleep) in a cgroup made for the test is checkpointed
 * through a transfer and restored through another; the freeze policy,
 * the verdict on the write that carries the trailer, the call-off paths
 * and their reasons.  Needs root and a cgroup2 mount; skips otherwise.
 *
 * A restored process is a sibling of the restoring thread's process
 * (CLONE_PARENT): the tests run in a child, and the first process only
 * reaps (every restored process it outlives, then the test child), then
 * removes what is left of the cgroup.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <linux/crfs.h>

#include "cr.h"
#include "cr-frame.h"
#include "cr-ring.h"
#include "cr-xfer.h"
#include "tap.h"

#define TAP_PLAN	108
#define CHUNK		65536
/* The environment of a big process: more than the ring. */
#define BIG_ENV		(6 << 20)
#define BIG_VAR		(100 << 10)

static char cg[PATH_MAX];

/* What the transfer told its owner last. */
struct report {
	int	n;
	int	err;
	char	line[CR_ERR_MSG_LEN];
};

static void test_report(void *owner, int err, const char *line)
{
	struct report *r = owner;

	r->n++;
	r->err = err;
	snprintf(r->line, sizeof(r->line), "%s", line);
}

static const struct cr_xfer_ops test_ops = { .report = test_report };

/* Rings handed back (and freed) by the transfers of reap_ops. */
static int rings_back;

static void test_ring_put(struct cr_ring *r)
{
	rings_back++;
	cr_ring_free(r);
}

static const struct cr_xfer_ops reap_ops = {
	.report		= test_report,
	.ring_put	= test_ring_put,
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Poll @cond(@arg) every 10 ms for up to @ms; its last answer. */
static bool wait_until(bool (*cond)(long), long arg, int ms)
{
	long deadline = now_ms() + ms;

	while (!cond(arg)) {
		if (now_ms() > deadline)
			return false;
		usleep(10000);
	}
	return true;
}

static bool pid_gone(long pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld", pid);
	return access(path, F_OK) != 0;
}

/* Is /proc/@pid/exe sleep? */
static bool pid_is_sleep(long pid)
{
	char path[64], exe[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	return n >= 6 && !strcmp(exe + n - 6, "/sleep");
}

/* Is @pid the one process of the test cgroup? */
static bool cg_holds_only(pid_t pid)
{
	pid_t *pids;
	int n;
	bool yes;

	n = cr_cgroup_pids(cg, &pids);
	if (n < 0)
		return false;
	yes = n == 1 && pids[0] == pid;
	free(pids);
	return yes;
}

static bool cg_frozen(void)
{
	int populated, frozen;

	return !cr_cgroup_events(cg, &populated, &frozen) && populated && frozen;
}

static bool cg_empty(void)
{
	int populated;

	return !cr_cgroup_events(cg, &populated, NULL) && !populated;
}

/* What is left in the test cgroup, for a failed check: pid, state, name. */
static void cg_diag(void)
{
	char path[64], stat[256];
	pid_t *pids;
	int n, populated = -1, frozen = -1;

	cr_cgroup_events(cg, &populated, &frozen);
	n = cr_cgroup_pids(cg, &pids);
	diag("%s: populated %d frozen %d, %d processes", cg, populated,
	     frozen, n);
	for (int i = 0; i < n; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pids[i]);
		f = fopen(path, "r");
		if (f && fgets(stat, sizeof(stat), f))
			diag("  %s", stat);
		else
			diag("  %d: gone", (int)pids[i]);
		if (f)
			fclose(f);
	}
	if (n > 0)
		free(pids);
}

static bool cg_left_nothing(long unused)
{
	(void)unused;
	return cg_empty();
}

/* Descriptors of this process. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1;		/* opendir's own */
}

/* Threads of this process. */
static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * Start sleep 1000 in the test cgroup, its descriptors on /dev/null.  A
 * big one carries BIG_ENV bytes of environment: its image outgrows the
 * ring, so that its engine waits for the reader (or the writer).
 */
static pid_t start_sleep(bool big)
{
	static char *env[BIG_ENV / BIG_VAR + 1];
	struct rlimit stack;
	pid_t pid;
	int fd, i;

	for (i = 0; big && i < BIG_ENV / BIG_VAR; i++) {
		env[i] = malloc(BIG_VAR);
		if (!env[i])
			return -1;
		memset(env[i], 'a', BIG_VAR - 1);
		env[i][BIG_VAR - 1] = '\0';
		memcpy(env[i], "X", 1);
		env[i][1] = 'A' + i % 26;
		env[i][2] = 'A' + i / 26;
		env[i][3] = '=';
	}
	pid = fork();
	if (pid == 0) {
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		close_range(3, ~0U, 0);
		if (big) {
			/* Room for the environment: a quarter of the stack. */
			getrlimit(RLIMIT_STACK, &stack);
			if (stack.rlim_cur != RLIM_INFINITY &&
			    stack.rlim_cur < 64 << 20)
				stack.rlim_cur = stack.rlim_max > 64 << 20 ?
						 64 << 20 : stack.rlim_max;
			setrlimit(RLIMIT_STACK, &stack);
		}
		execle("/bin/sleep", "sleep", "1000", (char *)NULL,
		       big ? env : environ);
		execle("/usr/bin/sleep", "sleep", "1000", (char *)NULL,
		       big ? env : environ);
		_exit(127);
	}
	for (i = 0; big && i < BIG_ENV / BIG_VAR; i++)
		free(env[i]);
	if (pid < 0)
		return -1;
	if (cr_cgroup_attach(cg, pid) || !wait_until(pid_is_sleep, pid, 5000)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

/* Start a sleep and freeze it.  Return: its pid, or -1. */
static pid_t start_frozen(bool big)
{
	pid_t pid = start_sleep(big);

	if (pid > 0 &&
	    (cr_cgroup_freeze(cg, true) || cr_cgroup_wait_frozen(cg, 1, 5000)))
		return -1;
	return pid;
}

/* Kill the cgroup's processes and wait until it is empty and thawed. */
static bool cg_kill(void)
{
	return !cr_cgroup_kill(cg) && !cr_cgroup_wait_empty(cg, 5000) &&
	       !cr_cgroup_freeze(cg, false);
}

struct image {
	char	*buf;
	size_t	len;
};

/* cr_xfer_peek()'s take: append to the image. */
static void take_append(void *arg, const void *p, size_t n)
{
	struct image *img = arg;
	char *buf = realloc(img->buf, img->len + n);

	if (!buf)
		abort();
	memcpy(buf + img->len, p, n);
	img->buf = buf;
	img->len += n;
}

/* Read a whole checkpoint; by peek or by read.  Return: 0 or what failed. */
static ssize_t read_all(struct cr_xfer *x, bool peek, struct image *img)
{
	static char buf[CHUNK];
	ssize_t n;

	img->buf = NULL;
	img->len = 0;
	for (;;) {
		if (peek) {
			n = cr_xfer_peek(x, CHUNK, take_append, NULL, img);
		} else {
			n = cr_xfer_read(x, buf, sizeof(buf), NULL, NULL);
			if (n > 0)
				take_append(img, buf, n);
		}
		if (n <= 0)
			return n;
	}
}

/* Does @img follow the image framing to its trailer, and end there? */
static bool image_whole(const struct image *img)
{
	struct cr_img_frame f = { 0 };

	return img->len > 0 &&
	       cr_img_frame_feed(&f, img->buf, img->len) == CR_FRAME_END &&
	       f.rec_off + sizeof(struct crfs_rec_hdr) + sizeof(struct crfs_end) ==
	       img->len;
}

/*
 * Write @img in CHUNK writes: the result of the last one (that carries
 * the trailer), *@early the number of earlier writes that did not take
 * their whole chunk.
 */
static ssize_t write_all(struct cr_xfer *x, const char *buf, size_t len,
			 cr_xfer_wait_fn wait, void *arg, int *early)
{
	size_t off = 0;
	ssize_t n = 0;

	*early = 0;
	while (off < len) {
		size_t chunk = len - off < CHUNK ? len - off : CHUNK;

		n = cr_xfer_write(x, buf + off, chunk, wait, arg);
		if (off + chunk == len)
			break;
		if (n != (ssize_t)chunk)
			++*early;
		if (n <= 0)
			break;
		off += n;
	}
	return n;
}

static void test_policy(void)
{
	struct report rep = { 0 };
	struct cr_xfer *x;
	char reason[CR_ERR_MSG_LEN];

	x = cr_xfer_new(cg, "xfer", true, NULL, &test_ops, &rep);
	ok(x != NULL, "policy: a checkpoint transfer is made");
	if (!x)
		return;
	ok(cr_xfer_is_dump(x) && !strcmp(cr_xfer_op(x), "checkpoint") &&
	   cr_xfer_state(x) == CRFS_CT_CHECKPOINTING,
	   "policy: it is a checkpoint, and says so");
	ok(cr_xfer_begin(x) == -EBUSY,
	   "policy: a checkpoint of a running cgroup is EBUSY");
	ok(rep.n == 1 && rep.err == EBUSY &&
	   !strcmp(rep.line, "checkpoint: xfer: not frozen (state running) (EBUSY)"),
	   "policy: the owner is told why: '%s'", rep.line);
	ok(cr_xfer_result(x, reason, sizeof(reason)) == -EBUSY &&
	   !strcmp(reason, rep.line), "policy: the result keeps it");
	ok(cr_xfer_end(x) == -EBUSY, "policy: ending it gives the result");
	cr_xfer_put(x);

	rep.n = 0;
	x = cr_xfer_new(cg, "xfer", false, NULL, &test_ops, &rep);
	ok(x && cr_xfer_begin(x) == -EBUSY && rep.n == 1 &&
	   !strcmp(rep.line, "restore: xfer: restore needs an empty container (state running) (EBUSY)"),
	   "policy: a restore into a cgroup with a process is EBUSY: '%s'",
	   rep.line);
	if (x)
		cr_xfer_put(x);
}

/* Checkpoint the frozen cgroup into @img, by read (and again by peek). */
static void test_checkpoint(struct image *img)
{
	struct report rep = { 0 };
	struct image again;
	struct cr_xfer *x;
	ssize_t n;

	x = cr_xfer_new(cg, "xfer", true, NULL, &test_ops, &rep);
	ok(x && cr_xfer_begin(x) == 0,
	   "checkpoint: begins on a frozen cgroup");
	if (!x)
		return;
	ok(cr_xfer_under_way(x), "checkpoint: under way once begun");
	n = read_all(x, false, img);
	ok(n == 0 && image_whole(img),
	   "checkpoint: read to its end, the image is whole (%zu bytes)",
	   img->len);
	ok(cr_xfer_moved(x) == img->len, "checkpoint: moved counts the bytes");
	ok(cr_xfer_read(x, &n, 1, NULL, NULL) == 0,
	   "checkpoint: a read after the end gives 0");
	ok(cr_xfer_write(x, "x", 1, NULL, NULL) == -EBADF,
	   "checkpoint: a write is EBADF");
	ok(cr_xfer_end(x) == 0 && cr_xfer_result(x, NULL, 0) == 0 && rep.n == 0,
	   "checkpoint: ends with 0, nothing reported");
	ok(!cr_xfer_under_way(x), "checkpoint: not under way once ended");
	ok(cr_xfer_read(x, &n, 1, NULL, NULL) == -EBADF,
	   "checkpoint: a read after the end of the transfer is EBADF");
	cr_xfer_put(x);
	ok(cg_frozen(), "checkpoint: the cgroup is frozen as it was");

	x = cr_xfer_new(cg, "xfer", true, NULL, &test_ops, &rep);
	ok(x && cr_xfer_begin(x) == 0 && read_all(x, true, &again) == 0 &&
	   image_whole(&again) && again.len == img->len,
	   "checkpoint: by peek, an image of the same length");
	if (x) {
		ok(cr_xfer_end(x) == 0, "checkpoint: the second ends with 0");
		cr_xfer_put(x);
	}
	free(again.buf);
}

/* A checkpoint whose reader stops half way: abandoned, quietly. */
static void test_abandon(void)
{
	struct report rep = { 0 };
	struct cr_xfer *x;
	char buf[4096];
	size_t got = 0;
	ssize_t n = 0;

	x = cr_xfer_new(cg, "xfer", true, NULL, &test_ops, &rep);
	if (x && cr_xfer_begin(x) == 0) {
		/* A read gives what the ring holds: short under load. */
		while (got < sizeof(buf) &&
		       (n = cr_xfer_read(x, buf + got, sizeof(buf) - got,
					 NULL, NULL)) > 0)
			got += n;
	}
	ok(x && got == sizeof(buf), "abandon: a checkpoint read 4096 bytes");
	if (!x)
		return;
	cr_xfer_end(x);
	ok(rep.n == 0 && !cr_xfer_under_way(x) && cg_frozen(),
	   "abandon: ended early, nothing reported, the cgroup still frozen");
	cr_xfer_put(x);
}

/* A write waiting for the verdict asks wait(), which calls it off. */
struct writer {
	int	calls;
	pid_t	pid;
};

static int writer_killed(struct cr_xfer *x, void *arg)
{
	struct writer *w = arg;

	if (w->calls++ == 0)
		cr_xfer_call_off(x, ECANCELED, "the writer (pid %d) was killed",
				 (int)w->pid);
	return EINTR;
}

/*
 * The image's pid is held by a zombie (ours): the restore waits for it,
 * and the writer waits too, asking its wait(), which says the writer is
 * going away.  A small image is all in the ring: the write that carried
 * the trailer waits for the verdict.  A big one fills the ring: a write
 * waits for room.
 */
static void test_writer_gone(const struct image *img, pid_t zombie, bool big)
{
	const char *what = big ? "writer gone (ring full)" : "writer gone (verdict)";
	struct writer w = { .pid = getpid() };
	struct report rep = { 0 };
	char want[128];
	struct cr_xfer *x;
	int early;
	ssize_t n;

	x = cr_xfer_new(cg, "xfer", false, NULL, &test_ops, &rep);
	ok(x && cr_xfer_begin(x) == 0, "%s: a restore begins", what);
	if (!x)
		return;
	n = write_all(x, img->buf, img->len, writer_killed, &w, &early);
	snprintf(want, sizeof(want),
		 "restore: the writer (pid %d) was killed (ECANCELED)", (int)w.pid);
	/* The write that waited for room says EINTR; the verdict, the result. */
	ok(n == (big ? -EINTR : -ECANCELED) && w.calls >= 1 &&
	   (big ? early == 1 : early == 0),
	   "%s: %s waited, asked wait() (%d times), got %zd", what,
	   big ? "a write before the trailer's" : "the trailer's write",
	   w.calls, n);
	ok(rep.n == 1 && !strcmp(rep.line, want),
	   "%s: the reason is the caller's: '%s'", what, rep.line);
	ok(!cr_xfer_call_off(x, ECANCELED, "again"),
	   "%s: a second call-off does nothing", what);
	ok(cr_xfer_end(x) == -ECANCELED &&
	   cr_xfer_result(x, NULL, 0) == -ECANCELED,
	   "%s: the result is the call-off's errno", what);
	ok(cg_empty() && !pid_gone(zombie),
	   "%s: nothing made; the zombie still holds its pid", what);
	cr_xfer_put(x);
}

/* A writer interrupted, not killed: the zombie reaped on the second ask. */
struct reaper {
	int	calls;
	pid_t	zombie;
};

static int writer_interrupted(struct cr_xfer *x, void *arg)
{
	struct reaper *r = arg;

	(void)x;
	if (++r->calls == 2)
		waitpid(r->zombie, NULL, 0);
	return EINTR;
}

/*
 * The image's pid is held by a zombie: the trailer's write waits for the
 * verdict and asks wait(), which says "interrupted" (a signal that does
 * not kill the writer) and, the second time, reaps the zombie.  The write
 * waits on and returns the restore's result.
 */
static void test_writer_interrupted(const struct image *img, pid_t zombie)
{
	struct reaper r = { .zombie = zombie };
	struct report rep = { 0 };
	struct cr_xfer *x;
	int early;
	ssize_t n;

	x = cr_xfer_new(cg, "xfer", false, NULL, &test_ops, &rep);
	ok(x && cr_xfer_begin(x) == 0, "writer interrupted: a restore begins");
	if (!x)
		return;
	n = write_all(x, img->buf, img->len, writer_interrupted, &r, &early);
	ok(n > 0 && early == 0 && r.calls >= 2 && rep.n == 0,
	   "writer interrupted: the trailer's write waited on (wait() said EINTR %d times) for the verdict: %zd",
	   r.calls, n);
	ok(cr_xfer_end(x) == 0 && cg_holds_only(zombie) && cg_frozen(),
	   "writer interrupted: pid %d is back, frozen", (int)zombie);
	cr_xfer_put(x);
}

/* An image whose trailer is damaged: the write that carries it fails. */
static void test_bad_trailer(const struct image *img)
{
	struct report rep = { 0 };
	struct cr_img_frame f = { 0 };
	struct cr_xfer *x;
	char *bad;
	int early;
	ssize_t n;

	bad = malloc(img->len);
	if (!bad)
		abort();
	memcpy(bad, img->buf, img->len);
	cr_img_frame_feed(&f, bad, img->len);
	/* A payload byte of END: its crc no longer matches. */
	bad[f.rec_off + sizeof(struct crfs_rec_hdr)] ^= 1;
	x = cr_xfer_new(cg, "xfer", false, NULL, &test_ops, &rep);
	ok(x && cr_xfer_begin(x) == 0 && cr_xfer_under_way(x),
	   "bad trailer: a restore begins, under way");
	if (!x) {
		free(bad);
		return;
	}
	n = write_all(x, bad, img->len, NULL, NULL, &early);
	ok(n == -EBADMSG && early == 0,
	   "bad trailer: every write but the last took its bytes; the last is EBADMSG (%zd)",
	   n);
	ok(rep.n == 1 && rep.err == EBADMSG &&
	   !strncmp(rep.line, "restore: ", 9) && strstr(rep.line, "(EBADMSG)"),
	   "bad trailer: reported before the write returned: '%s'", rep.line);
	ok(!cr_xfer_under_way(x) && cg_empty(),
	   "bad trailer: no longer under way; nothing left in the cgroup");
	ok(cr_xfer_end(x) == -EBADMSG, "bad trailer: end gives the result again");
	cr_xfer_put(x);
	free(bad);
}

/* A whole image: the write that carries the trailer returns once done. */
static void test_restore(const struct image *img, pid_t pid)
{
	struct report rep = { 0 };
	char reason[CR_ERR_MSG_LEN];
	struct cr_xfer *x;
	int early;
	ssize_t n;

	x = cr_xfer_new(cg, "xfer", false, NULL, &test_ops, &rep);
	ok(x && cr_xfer_begin(x) == 0, "restore: begins on an empty cgroup");
	if (!x)
		return;
	ok(!cr_xfer_is_dump(x) && cr_xfer_state(x) == CRFS_CT_RESTORING &&
	   !strcmp(cr_xfer_op(x), "restore"), "restore: it is a restore");
	ok(cr_xfer_read(x, reason, 1, NULL, NULL) == -EBADF,
	   "restore: a read is EBADF");
	n = write_all(x, img->buf, img->len, NULL, NULL, &early);
	ok(n > 0 && early == 0, "restore: every write took its bytes (last %zd)", n);
	/* Before any end: the write was the verdict. */
	ok(!cr_xfer_under_way(x) && cr_xfer_result(x, NULL, 0) == 0,
	   "restore: done with 0 when the trailer's write returned");
	ok(cg_holds_only(pid) && cg_frozen() && pid_is_sleep(pid),
	   "restore: pid %d is back, sleep, frozen in the cgroup", (int)pid);
	n = cr_xfer_write(x, "x", 1, NULL, NULL);
	ok(n == -EBADMSG && rep.n == 1 &&
	   !strcmp(rep.line, "restore: xfer: 1 byte written after the image's trailer was ignored: the restore is done and stands (EBADMSG)"),
	   "restore: a byte after the trailer is EBADMSG, ignored: '%s'",
	   rep.line);
	ok(cg_holds_only(pid) && cg_frozen() &&
	   cr_xfer_result(x, NULL, 0) == 0,
	   "restore: and the restore stands");
	ok(cr_xfer_end(x) == 0, "restore: end gives the restore's result, 0");
	ok(cr_xfer_write(x, "x", 1, NULL, NULL) == -EBADF,
	   "restore: a write after the end is EBADF");
	cr_xfer_put(x);
}

/* A kill during a checkpoint: the reader gets EIO, the processes stay frozen. */
static void test_kill_checkpoint(pid_t pid)
{
	struct report rep = { 0 };
	char buf[4096], reason[CR_ERR_MSG_LEN];
	struct cr_xfer *x;
	long t0;

	x = cr_xfer_new(cg, "xfer", true, NULL, &test_ops, &rep);
	ok(x && cr_xfer_begin(x) == 0 &&
	   cr_xfer_read(x, buf, sizeof(buf), NULL, NULL) == sizeof(buf),
	   "kill checkpoint: a checkpoint read 4096 bytes, the engine is ahead");
	if (!x)
		return;
	t0 = now_ms();
	ok(cr_xfer_call_off(x, ECANCELED, "xfer was killed during the %s",
			    cr_xfer_op(x)),
	   "kill checkpoint: called off");
	ok(!cr_xfer_call_off(x, EINTR, "again"),
	   "kill checkpoint: called off once only");
	ok(cr_xfer_read(x, buf, sizeof(buf), NULL, NULL) == -EIO,
	   "kill checkpoint: the next read is EIO");
	ok(cr_xfer_settle(x, 5000), "kill checkpoint: the engine settles (%ld ms)",
	   now_ms() - t0);
	ok(cr_xfer_result(x, reason, sizeof(reason)) == -ECANCELED &&
	   !strcmp(reason, "checkpoint: xfer was killed during the checkpoint (ECANCELED)") &&
	   rep.n == 1 && !strcmp(rep.line, reason),
	   "kill checkpoint: the reason: '%s'", reason);
	ok(cr_xfer_end(x) == -ECANCELED, "kill checkpoint: end gives ECANCELED");
	ok(cg_holds_only(pid) && cg_frozen(),
	   "kill checkpoint: the process is let go, frozen");
	cr_xfer_put(x);
}

/* Restores that do not see their trailer: truncated, or killed. */
static void test_cut(const struct image *img)
{
	struct report rep = { 0 };
	struct cr_xfer *x;
	size_t half = img->len / 2;
	ssize_t n;

	x = cr_xfer_new(cg, "xfer", false, NULL, &test_ops, &rep);
	ok(x && cr_xfer_begin(x) == 0 &&
	   cr_xfer_write(x, img->buf, half, NULL, NULL) == (ssize_t)half,
	   "cut: half an image written");
	if (!x)
		return;
	ok(cr_xfer_end(x) == -ENODATA && rep.n == 1 && rep.err == ENODATA,
	   "cut: ending it there is ENODATA: '%s'", rep.line);
	ok(wait_until(cg_left_nothing, 0, 2000), "cut: nothing left");
	cr_xfer_put(x);

	rep.n = 0;
	x = cr_xfer_new(cg, "xfer", false, NULL, &test_ops, &rep);
	ok(x && cr_xfer_begin(x) == 0 &&
	   cr_xfer_write(x, img->buf, half, NULL, NULL) == (ssize_t)half &&
	   cr_xfer_call_off(x, ECANCELED, "xfer was killed during the restore"),
	   "cut: half an image written, then called off");
	if (!x)
		return;
	n = cr_xfer_write(x, img->buf + half, img->len - half, NULL, NULL);
	ok(n == -ECANCELED, "cut: the next write is ECANCELED (%zd)", n);
	ok(cr_xfer_end(x) == -ECANCELED && rep.n == 1 &&
	   !strcmp(rep.line, "restore: xfer was killed during the restore (ECANCELED)"),
	   "cut: end gives ECANCELED, the reason is the caller's: '%s'", rep.line);
	ok(wait_until(cg_left_nothing, 0, 2000), "cut: nothing left");
	cr_xfer_put(x);
}

/* A later close of a ring adds an error to a clean one, never replaces one. */
static void test_ring_close(void)
{
	struct cr_ring *r = cr_ring_new(4096);

	ok(r != NULL, "ring close: a ring");
	if (!r)
		return;
	cr_ring_close(r, ECANCELED);
	cr_ring_close(r, 0);
	ok(cr_ring_error(r) == ECANCELED && cr_ring_aborted(r) == ECANCELED,
	   "ring close: a kill's ECANCELED stays after the end's 0 (%d)",
	   cr_ring_error(r));
	cr_ring_reset(r);
	cr_ring_close(r, 0);
	cr_ring_close(r, ENODATA);
	cr_ring_close(r, EINTR);
	ok(cr_ring_error(r) == ENODATA && cr_ring_aborted(r) == ENODATA,
	   "ring close: a clean close, then ENODATA, then EINTR: ENODATA (%d)",
	   cr_ring_error(r));
	cr_ring_free(r);
}

/* cr_xfer_new() fails with a reason, and hands the ring back. */
static void test_new_fails(void)
{
	struct report rep = { 0 };
	struct cr_ring *r = cr_ring_new(4096);

	rings_back = 0;
	errno = 0;
	ok(r && !cr_xfer_new(cg, "xfer", false, r, &reap_ops, &rep) &&
	   errno == EINVAL && rings_back == 1,
	   "new: a ring too small is EINVAL, the ring handed back");
	ok(rep.n == 1 && rep.err == EINVAL && !strncmp(rep.line, "restore: xfer: ", 15) &&
	   strstr(rep.line, "too small") && strstr(rep.line, "(EINVAL)"),
	   "new: and says why: '%s'", rep.line);
}

/* cr_xfer_write_in()'s fill that fails. */
static ssize_t fill_fails(void *arg, void *room, size_t len)
{
	(void)arg, (void)room, (void)len;
	return -EFAULT;
}

/* Writes refused before a byte goes in: too large, or not taken. */
static void test_write_refused(void)
{
	struct report rep = { 0 };
	struct cr_xfer *x;
	size_t big = CR_XFER_RING_SIZE;
	char *buf = calloc(1, big);
	ssize_t n;

	x = cr_xfer_new(cg, "xfer", false, NULL, &test_ops, &rep);
	ok(x && buf && cr_xfer_begin(x) == 0, "refused: a restore begins");
	if (!x || !buf) {
		free(buf);
		return;
	}
	n = cr_xfer_write(x, buf, big, NULL, NULL);
	ok(n == -E2BIG && cr_xfer_moved(x) == 0,
	   "refused: a write of the ring's size is E2BIG, nothing taken (%zd)", n);
	ok(rep.n == 1 && rep.err == E2BIG && strstr(rep.line, "one write takes at most"),
	   "refused: and says why: '%s'", rep.line);
	n = cr_xfer_write_in(x, 100, fill_fails, NULL, NULL);
	ok(n == -EFAULT && cr_xfer_moved(x) == 0 && rep.n == 2 &&
	   rep.err == EFAULT && strstr(rep.line, "could not be taken"),
	   "refused: a fill that fails gives its errno and a reason: '%s'",
	   rep.line);
	ok(cr_xfer_end(x) == -ENODATA, "refused: ending it, nothing written: ENODATA");
	cr_xfer_put(x);
	free(buf);
}

/* Two ends of one transfer at once. */
static void *end_thread(void *arg)
{
	return (void *)(intptr_t)cr_xfer_end(arg);
}

/* The result is kept once: every end, every query gives the same. */
static void test_result_once(const struct image *img)
{
	struct report rep = { 0 };
	struct cr_xfer *x;
	pthread_t t;
	void *other;
	int ret;

	x = cr_xfer_new(cg, "xfer", false, NULL, &test_ops, &rep);
	ok(x && cr_xfer_end(x) == 0, "once: a transfer never begun ends with 0");
	if (!x)
		return;
	ok(!cr_xfer_call_off(x, ECANCELED, "too late") &&
	   cr_xfer_result(x, NULL, 0) == 0 && cr_xfer_end(x) == 0,
	   "once: a call-off after the end changes nothing (%d)",
	   cr_xfer_result(x, NULL, 0));
	cr_xfer_put(x);

	x = cr_xfer_new(cg, "xfer", false, NULL, &test_ops, &rep);
	ok(x && cr_xfer_call_off(x, ECANCELED, "killed") &&
	   cr_xfer_begin(x) == -ECANCELED && !cr_xfer_under_way(x) &&
	   cr_xfer_finished(x),
	   "once: called off before it began, it does not start");
	if (x) {
		ok(cr_xfer_end(x) == -ECANCELED, "once: and ends with ECANCELED");
		cr_xfer_put(x);
	}

	x = cr_xfer_new(cg, "xfer", false, NULL, &test_ops, &rep);
	ok(x && cr_xfer_begin(x) == 0 &&
	   cr_xfer_write(x, img->buf, img->len / 2, NULL, NULL) == (ssize_t)(img->len / 2) &&
	   cr_xfer_call_off(x, ECANCELED, "xfer was killed during the restore"),
	   "once: half a restore, called off");
	if (!x)
		return;
	if (pthread_create(&t, NULL, end_thread, x)) {
		ok(0, "once: a second thread");
		cr_xfer_put(x);
		return;
	}
	ret = cr_xfer_end(x);
	pthread_join(t, &other);
	ok(ret == -ECANCELED && (intptr_t)other == ret &&
	   cr_xfer_result(x, NULL, 0) == ret,
	   "once: two ends at once give one result (%d, %d)", ret,
	   (int)(intptr_t)other);
	cr_xfer_put(x);
	ok(wait_until(cg_left_nothing, 0, 2000), "once: nothing left");
}

/*
 * A transfer called off while its reader or writer holds it: over once
 * its engine thread exited, its thread and ring handed back at once,
 * the reader's and writer's calls failing as they would have.  The
 * checkpoint is of a big process: its engine waits for the reader.
 */
static void test_reap_checkpoint(pid_t pid)
{
	struct report rep = { 0 };
	char buf[4096];
	struct cr_xfer *x;
	ssize_t n;

	rings_back = 0;
	x = cr_xfer_new(cg, "xfer", true, NULL, &reap_ops, &rep);
	ok(x && cr_xfer_begin(x) == 0 &&
	   cr_xfer_read(x, buf, sizeof(buf), NULL, NULL) == sizeof(buf),
	   "reap checkpoint: 4096 bytes read, the reader holds on");
	if (!x)
		return;
	cr_xfer_reap(x);
	ok(rings_back == 0 && cr_xfer_under_way(x) && !cr_xfer_finished(x),
	   "reap checkpoint: not over, nothing reaped");
	cr_xfer_call_off(x, ECANCELED, "xfer was killed during the checkpoint");
	ok(cr_xfer_settle(x, 5000) && !cr_xfer_under_way(x) &&
	   cr_xfer_finished(x),
	   "reap checkpoint: called off, its engine gone: no longer under way");
	cr_xfer_reap(x);
	ok(rings_back == 1, "reap checkpoint: the ring is handed back at once");
	n = cr_xfer_read(x, buf, sizeof(buf), NULL, NULL);
	ok(n == -EIO, "reap checkpoint: the reader's next read is EIO (%zd)", n);
	ok(cr_xfer_end(x) == -ECANCELED && cg_holds_only(pid) && cg_frozen(),
	   "reap checkpoint: ends with ECANCELED, the process let go frozen");
	cr_xfer_put(x);
	ok(rings_back == 1, "reap checkpoint: the ring is handed back once");
}

/* A restore called off while its writer holds it; see above. */
static void test_reap_restore(const struct image *img)
{
	struct report rep = { 0 };
	struct cr_xfer *x;
	bool empty;
	ssize_t n;

	rings_back = 0;
	x = cr_xfer_new(cg, "xfer", false, NULL, &reap_ops, &rep);
	ok(x && cr_xfer_begin(x) == 0 &&
	   cr_xfer_write(x, img->buf, img->len / 2, NULL, NULL) == (ssize_t)(img->len / 2) &&
	   cr_xfer_call_off(x, ECANCELED, "xfer was killed during the restore"),
	   "reap restore: half an image written, called off");
	if (!x)
		return;
	ok(cr_xfer_settle(x, 5000) && !cr_xfer_under_way(x) &&
	   cr_xfer_finished(x), "reap restore: over once its engine is gone");
	cr_xfer_reap(x);
	n = cr_xfer_write(x, img->buf + img->len / 2, img->len - img->len / 2,
			  NULL, NULL);
	ok(rings_back == 1 && n == -ECANCELED,
	   "reap restore: the ring handed back; the next write is ECANCELED (%zd)",
	   n);
	n = cr_xfer_end(x);
	empty = cg_empty();
	if (!empty)
		cg_diag();
	ok(n == -ECANCELED && empty,
	   "reap restore: ends with ECANCELED (%zd), nothing left", n);
	cr_xfer_put(x);
	ok(rings_back == 1, "reap restore: the ring is handed back once");
}

static void test_line(void)
{
	char buf[40];

	cr_err_line(buf, sizeof(buf), ENOENT, "procs: %d: %s", 12, "gone\nnow");
	ok(!strcmp(buf, "procs: 12: gone now (ENOENT)"),
	   "line: OP: REASON (ENAME), on one line: '%s'", buf);
	cr_err_line(buf, sizeof(buf), EBADMSG, "%s", "restore: a very long reason that does not fit");
	ok(strlen(buf) == sizeof(buf) - 1 &&
	   !strcmp(buf + strlen(buf) - 10, " (EBADMSG)"),
	   "line: a long reason is cut, the errno name kept: '%s'", buf);
}

/* A big process: its image goes through the ring many times over. */
static void test_big(void)
{
	struct image img = { 0 };
	struct cr_xfer *x;
	bool done;
	pid_t pid;
	int early;

	pid = start_frozen(true);
	ok(pid > 0, "big: sleep with %d MiB of environment, frozen (pid %d)",
	   BIG_ENV >> 20, (int)pid);
	if (pid <= 0)
		return;
	x = cr_xfer_new(cg, "xfer", true, NULL, NULL, NULL);
	done = x && cr_xfer_begin(x) == 0 && read_all(x, true, &img) == 0 &&
	       cr_xfer_end(x) == 0;
	ok(done && image_whole(&img) && img.len > CR_XFER_RING_SIZE,
	   "big: checkpointed by peek, %zu bytes through a ring of %u",
	   img.len, CR_XFER_RING_SIZE);
	if (x)
		cr_xfer_put(x);
	test_kill_checkpoint(pid);
	test_reap_checkpoint(pid);
	ok(cg_kill(), "big: the process killed, its zombie kept");
	test_writer_gone(&img, pid, true);
	waitpid(pid, NULL, 0);

	x = cr_xfer_new(cg, "xfer", false, NULL, NULL, NULL);
	ok(x && cr_xfer_begin(x) == 0 &&
	   write_all(x, img.buf, img.len, NULL, NULL, &early) > 0 && !early &&
	   cr_xfer_end(x) == 0 && cg_holds_only(pid) && cg_frozen(),
	   "big: restored through the ring, pid %d back and frozen", (int)pid);
	if (x)
		cr_xfer_put(x);
	ok(cg_kill() && wait_until(pid_gone, pid, 10000),
	   "big: the restored process killed and reaped");
	free(img.buf);
}

/* The tests, in the test child.  Return: the exit status. */
static int run_tests(void)
{
	struct image img = { 0 };
	int fds, threads;
	pid_t pid;

	printf("1..%d\n", TAP_PLAN);
	fflush(stdout);
	test_line();
	test_ring_close();
	fds = count_fds();
	threads = count_threads();
	pid = start_sleep(false);
	ok(pid > 0, "sleep 1000 runs in %s (pid %d)", cg, (int)pid);
	if (pid <= 0)
		return 1;
	test_policy();
	ok(!cr_cgroup_freeze(cg, true) && !cr_cgroup_wait_frozen(cg, 1, 5000),
	   "frozen");
	test_checkpoint(&img);
	test_abandon();
	/* The process killed, its zombie kept: the pid stays taken. */
	ok(cg_kill(), "the process killed, the cgroup empty and thawed");
	test_writer_gone(&img, pid, false);
	test_writer_interrupted(&img, pid);
	ok(cg_kill() && wait_until(pid_gone, pid, 10000),
	   "the restored process killed and reaped");
	test_bad_trailer(&img);
	test_restore(&img, pid);
	ok(cg_kill() && wait_until(pid_gone, pid, 10000),
	   "the restored process killed and reaped");
	test_cut(&img);
	test_reap_restore(&img);
	test_result_once(&img);
	test_new_fails();
	test_write_refused();
	free(img.buf);
	test_big();
	ok(count_fds() == fds && count_threads() == threads,
	   "no descriptor (%d, were %d) nor thread (%d, were %d) left",
	   count_fds(), fds, count_threads(), threads);
	if (tap_nr != TAP_PLAN)
		printf("# %d checks, planned %d\n", tap_nr, TAP_PLAN);
	return tap_failed || tap_nr != TAP_PLAN;
}

int main(void)
{
	char root[PATH_MAX - 64];
	int status = 0, ret;
	pid_t child, pid;

	if (geteuid() != 0 || cr_cgroup_root(root, sizeof(root))) {
		printf("1..0 # SKIP needs root and a cgroup2 mount\n");
		return 0;
	}
	/* Not crfs-*: a crfs-fuse that starts prunes those it does not hold. */
	snprintf(cg, sizeof(cg), "%s/test-xfer-%d", root, (int)getpid());
	ret = cr_cgroup_mkdir(cg);
	if (ret) {
		printf("1..0 # SKIP cannot make %s: %s\n", cg, strerror(-ret));
		return 0;
	}
	fflush(stdout);
	child = fork();
	if (child == 0)
		_exit(run_tests());
	/* Reap everything, the test child last. */
	while ((pid = waitpid(-1, &ret, 0)) != child)
		if (pid < 0 && errno != EINTR)
			break;
	if (pid == child)
		status = ret;
	if (cr_cgroup_kill(cg) == 0)
		cr_cgroup_wait_empty(cg, 5000);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (cr_cgroup_rmdir(cg))
		printf("# cannot remove %s\n", cg);
	if (child < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		if (child < 0 || !WIFEXITED(status))
			printf("not ok - the test process died (status %#x)\n",
			       status);
		return 1;
	}
	return 0;
}
