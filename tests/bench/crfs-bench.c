// SPDX-License-Identifier: GPL-2.0
/*
 * crfs-bench: checkpoint/restore speed against this machine's own limits.
 *
 *   crfs-bench [-m MNT -p FUSEPID] -x MEMPROG [-s MIB,...] [-r RUNS]
 *              [-B BUFSIZE] [-d SHMDIR] [-w WORKDIR] [-T SECS] [-S MS] [-C]
 *
 * For each size, RUNS times (interleaved, so noise hits all figures alike):
 *
 *  limits   memcpy into freshly mapped memory, process_vm_readv into freshly
 *           mapped memory, and writing a new file of that size in SHMDIR;
 *  crfs     through the files of a crfs mount, as a user would:
 *           freeze (write state, wait "frozen 1" in events), checkpoint
 *           (image -> SHMDIR file), kill (write state, reap the pid),
 *           restore (SHMDIR file -> image of a new container), thaw (write
 *           state, wait "frozen 0"); then the restored process checks its
 *           whole memory (SIGUSR1) and must answer PASS.
 *
 * -T bounds the runs of one size (default 180 s + 4 s per 64 MiB a run);
 * past it the daemon FUSEPID and everything we started are killed, and the
 * exit status is 3.
 * -B copies the image in chunks of BUFSIZE; by default the chunk is what
 * cat uses: the larger st_blksize of the two files, at least 128 KiB.
 * -C measures every step with whatever pages it gets; by default the
 * same amount of memory is touched and freed just before each measured
 * step, so that each gets pages the VM has just used (see bench_recycle()).
 * -S pauses MS milliseconds before each block of limits and each crfs run,
 * so memory freed by one (gigabytes) is settled before the next starts.
 * Without -m only the limits are measured.  Prints a table and one
 * "bench: key=value ..." line per figure.  Exit status 0 when everything
 * ran and every restored process was intact, whatever the speed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_MAX_RUNS		15
#define BENCH_MAX_SIZES		4
#define BENCH_MAX_PIDS		64
#define BENCH_CYCLE_SECS	180	/* watchdog for one size's runs */
#define BENCH_RTRIP_TARGET	0.060	/* 64 MiB round trip, seconds */
#define BENCH_RATIO_TARGET	0.70	/* 1 GiB ckpt and restore vs limit */
#define BENCH_HWM_SLACK		(16UL << 20)	/* allowed VmHWM growth */

/* Every figure the benchmark measures, in table order. */
enum bench_fig_id {
	BF_MEMCPY,
	BF_PVR,
	BF_SHMW,
	BF_FREEZE,
	BF_CKPT,
	BF_KILL,
	BF_RESTORE,
	BF_THAW,
	BF_RTRIP,
	BF_NR
};

struct bench_fig_desc {
	const char	*key;		/* in the machine lines */
	const char	*label;		/* in the table */
	bool		crfs;		/* needs the mount */
	bool		rate;		/* bytes moved: print MB/s */
	int		limit;		/* enum bench_fig_id of its limit, or -1 */
};

static const struct bench_fig_desc bench_figs[BF_NR] = {
	[BF_MEMCPY]  = { "memcpy",  "limit: memcpy into fresh memory",	false, true, -1 },
	[BF_PVR]     = { "pvr",     "limit: process_vm_readv into fresh",	false, true, -1 },
	[BF_SHMW]    = { "shmw",    "limit: write a new /dev/shm file",	false, true, -1 },
	[BF_FREEZE]  = { "freeze",  "crfs: freeze (until frozen 1)",	true, false, -1 },
	[BF_CKPT]    = { "ckpt",    "crfs: checkpoint image -> shm",	true, true, BF_SHMW },
	[BF_KILL]    = { "kill",    "crfs: kill + reap",			true, false, -1 },
	[BF_RESTORE] = { "restore", "crfs: restore shm -> image",		true, true, BF_MEMCPY },
	[BF_THAW]    = { "thaw",    "crfs: thaw (until frozen 0)",		true, false, -1 },
	[BF_RTRIP]   = { "rtrip",   "crfs: round trip (sum of the 5)",	true, false, -1 },
};

struct bench_size {
	size_t		mib;
	double		t[BF_NR][BENCH_MAX_RUNS];	/* seconds */
	int		n[BF_NR];
	uint64_t	image_bytes;
	long		hwm_kb;		/* crfs-fuse VmHWM after this size */
};

struct bench_opts {
	const char	*mnt;
	pid_t		fuse_pid;
	const char	*memprog;
	const char	*shmdir;
	const char	*workdir;
	size_t		bufsize;
	int		runs;
	int		watchdog_secs;	/* per size; 0: from the size */
	int		settle_ms;	/* pause before each measured block */
	int		nr_sizes;
	struct bench_size sizes[BENCH_MAX_SIZES];
};

/* The processes we started (and their restored copies: same pids). */
static volatile pid_t bench_pids[BENCH_MAX_PIDS];
static char *bench_buf;		/* the copy buffer, reused, prefaulted */
#define BENCH_BUF_MAX	(4 << 20)	/* its size when copying as cat does */
static size_t bench_cat_bufsize;	/* the largest chunk cat's rule gave */
static char bench_img[4096];	/* the image file, removed at exit */

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void bench_sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

static void bench_track(pid_t pid, bool on)
{
	for (int i = 0; i < BENCH_MAX_PIDS; i++) {
		if (on && !bench_pids[i]) {
			bench_pids[i] = pid;
			return;
		}
		if (!on && bench_pids[i] == pid)
			bench_pids[i] = 0;
	}
}

/* Kill what we started, remove the image and leave: async-signal-safe. */
static void bench_give_up(const char *why, size_t len, int status)
{
	for (int i = 0; i < BENCH_MAX_PIDS; i++)
		if (bench_pids[i] > 0)
			kill(bench_pids[i], SIGKILL);
	if (bench_img[0])
		unlink(bench_img);
	if (write(2, why, len) < 0)
		status |= 4;
	_exit(status);
}

static void bench_on_signal(int sig)
{
	static const char msg[] = "crfs-bench: interrupted: giving up\n";

	(void)sig;
	bench_give_up(msg, sizeof(msg) - 1, 2);
}

/*
 * The watchdog is a thread, not alarm(): a signal handler cannot run while
 * the main thread waits on a FUSE request.  A request the daemon already
 * took is waited for even by a killed process, so the watchdog first kills
 * the daemon (-p, started for this run): that aborts the connection.
 */
static _Atomic double bench_deadline;	/* 0: disarmed */
static pid_t bench_fuse_pid;

static void *bench_watchdog(void *arg)
{
	static const char msg[] = "crfs-bench: watchdog: a run took too long, giving up\n";

	(void)arg;
	for (;;) {
		double d = bench_deadline;

		if (d > 0 && bench_now() > d) {
			if (bench_fuse_pid > 0)
				kill(bench_fuse_pid, SIGKILL);
			bench_give_up(msg, sizeof(msg) - 1, 3);
		}
		bench_sleep_us(100000);
	}
	return NULL;
}

static void bench_watchdog_arm(double secs)
{
	bench_deadline = secs > 0 ? bench_now() + secs : 0;
}

/* write() a short text to a control file, as "echo text > path" does. */
static int bench_echo(const char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	return ret;
}

/* Read a small file into @buf (NUL-terminated); pread first, reopen if need. */
static int bench_cat(int *fdp, const char *path, char *buf, size_t len)
{
	ssize_t n = -1;

	if (*fdp >= 0) {
		n = pread(*fdp, buf, len - 1, 0);
		if (n < 0 && errno == ESPIPE) {
			close(*fdp);
			*fdp = -1;
		}
	}
	if (*fdp < 0) {
		*fdp = open(path, O_RDONLY | O_CLOEXEC);
		if (*fdp < 0)
			return -errno;
		n = read(*fdp, buf, len - 1);
	}
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* Value of "key N" in a flat keyed file, or -1. */
static long bench_key(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (!strncmp(p, key, klen) && p[klen] == ' ')
			return strtol(p + klen + 1, NULL, 10);
	return -1;
}

/*
 * Wait until events says "@key @want": poll() for a change notification,
 * and look again every 200 us in case none comes.
 */
static int bench_wait_event(const char *ct, const char *key, int want,
			    double timeout)
{
	double end = bench_now() + timeout;
	struct timespec tick = { 0, 200000 };
	char path[4096], text[512];
	int fd = -1, ret;

	snprintf(path, sizeof(path), "%s/events", ct);
	for (;;) {
		ret = bench_cat(&fd, path, text, sizeof(text));
		if (ret < 0)
			break;
		if (bench_key(text, key) == want)
			break;
		if (bench_now() > end) {
			ret = -ETIMEDOUT;
			break;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLPRI };

		if (ppoll(&pfd, 1, &tick, NULL) > 0)
			bench_sleep_us(50);	/* it said "changed": do not spin */
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * cat's chunk (coreutils io_blksize): the larger of 128 KiB and both
 * files' st_blksize; crfs image files say 1 MiB.
 */
static size_t bench_cat_chunk(int in, int out)
{
	size_t size = 128 << 10;
	struct stat st;

	if (!fstat(in, &st) && (size_t)st.st_blksize > size)
		size = st.st_blksize;
	if (!fstat(out, &st) && (size_t)st.st_blksize > size)
		size = st.st_blksize;
	if (size > BENCH_BUF_MAX)
		size = BENCH_BUF_MAX;
	if (size > bench_cat_bufsize)
		bench_cat_bufsize = size;
	return size;
}

/* Copy @in to @out through bench_buf (@bufsize 0: as cat does). */
static int64_t bench_copy(int in, int out, size_t bufsize)
{
	int64_t total = 0;

	if (!bufsize)
		bufsize = bench_cat_chunk(in, out);

	for (;;) {
		ssize_t n = read(in, bench_buf, bufsize), off = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return total;
		while (off < n) {
			ssize_t w = write(out, bench_buf + off, n - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -errno;
			off += w;
		}
		total += n;
	}
}

/* A fresh private anonymous mapping (not yet faulted in). */
static void *bench_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * This VM reports the memory it frees to the host (virtio-balloon free
 * page reporting, about 2 s after the free); a page handed out after
 * that costs the host a fault and a zeroing of its own, two to three
 * times the guest's cost.  Whether a step gets such pages or pages freed
 * a moment ago is an accident of the order of the steps (the restore
 * gets the pages the kill just freed, the checkpoint's image file gets
 * cold ones, the first limit gets cold ones and hands warm ones to the
 * next).  So before each measured step, unless -C, the same amount is
 * touched and freed: every step, limits and crfs alike, starts from the
 * same kind of pages.  -C measures each as it falls.
 */
static bool bench_cold;

static void bench_recycle(size_t len)
{
	size_t n = len + len / 8 + (16 << 20);
	void *p;

	if (bench_cold)
		return;
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_POPULATE, -1, 0);
	if (p != MAP_FAILED)
		munmap(p, n);
}

/* One run of the three limits over @src (@len bytes, written). */
static int bench_limits(struct bench_opts *o, struct bench_size *s,
			const char *src, size_t len)
{
	char path[4096];
	size_t bufsize;
	double t0;
	char *dst;
	int fd;

	dst = bench_map(len);
	if (!dst)
		return -errno;
	bench_recycle(len);
	t0 = bench_now();
	memcpy(dst, src, len);
	s->t[BF_MEMCPY][s->n[BF_MEMCPY]++] = bench_now() - t0;
	munmap(dst, len);

	dst = bench_map(len);
	if (!dst)
		return -errno;
	bench_recycle(len);
	t0 = bench_now();
	for (size_t done = 0; done < len; ) {
		struct iovec l = { dst + done, len - done };
		struct iovec r = { (char *)src + done, len - done };
		ssize_t n = process_vm_readv(getpid(), &l, 1, &r, 1, 0);

		if (n <= 0) {
			fprintf(stderr, "crfs-bench: process_vm_readv: %s\n",
				n < 0 ? strerror(errno) : "no progress");
			munmap(dst, len);
			return -EIO;
		}
		done += n;
	}
	s->t[BF_PVR][s->n[BF_PVR]++] = bench_now() - t0;
	munmap(dst, len);

	snprintf(path, sizeof(path), "%s/crfs-bench-%d-limit", o->shmdir,
		 (int)getpid());
	unlink(path);
	bench_recycle(len);
	t0 = bench_now();
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/* In the chunks cat writes a crfs image in (its st_blksize). */
	bufsize = o->bufsize ? o->bufsize : 1 << 20;
	for (size_t done = 0; done < len; ) {
		size_t chunk = len - done < bufsize ? len - done : bufsize;
		ssize_t n = write(fd, src + done, chunk);

		if (n <= 0) {
			int err = n < 0 ? errno : ENOSPC;

			close(fd);
			unlink(path);
			return -err;
		}
		done += n;
	}
	close(fd);
	s->t[BF_SHMW][s->n[BF_SHMW]++] = bench_now() - t0;
	unlink(path);
	return 0;
}

/* Start the memory program in @ct's future; wait until it is ready. */
static pid_t bench_spawn(struct bench_opts *o, size_t mib, const char *ready,
			 const char *result)
{
	char arg[32];
	double end;
	pid_t pid;

	unlink(ready);
	unlink(result);
	snprintf(arg, sizeof(arg), "%zu", mib);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		int null = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		setsid();
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
		    dup2(null, 2) < 0 || chdir("/") < 0)
			_exit(127);
		execl(o->memprog, o->memprog, arg, ready, result, (char *)NULL);
		_exit(127);
	}
	bench_track(pid, true);
	end = bench_now() + 60;
	while (access(ready, F_OK)) {
		int status;

		if (waitpid(pid, &status, WNOHANG) == pid) {
			bench_track(pid, false);
			fprintf(stderr, "crfs-bench: %s exited early (status %#x)\n",
				o->memprog, status);
			return -ECHILD;
		}
		if (bench_now() > end) {
			fprintf(stderr, "crfs-bench: %s not ready in 60 s\n",
				o->memprog);
			return -ETIMEDOUT;
		}
		bench_sleep_us(1000);
	}
	return pid;
}

/* Print what the container's error file says, if it has one. */
static void bench_why(const char *ct)
{
	char path[4096], text[2048];
	int fd = -1;

	snprintf(path, sizeof(path), "%s/error", ct);
	if (!bench_cat(&fd, path, text, sizeof(text)) && text[0])
		fprintf(stderr, "crfs-bench: %s says: %s%s", path, text,
			text[strlen(text) - 1] == '\n' ? "" : "\n");
	if (fd >= 0)
		close(fd);
}

/* Ask the restored process to check its memory; 0 when it says PASS. */
static int bench_verify(pid_t pid, const char *result, size_t mib)
{
	double end = bench_now() + 30 + mib / 64;
	char text[256];
	int fd = -1;

	unlink(result);
	if (kill(pid, SIGUSR1) < 0) {
		fprintf(stderr, "crfs-bench: restored pid %d: %s\n", (int)pid,
			strerror(errno));
		return -1;
	}
	while (access(result, F_OK)) {
		if (bench_now() > end) {
			fprintf(stderr, "crfs-bench: restored pid %d never answered\n",
				(int)pid);
			return -1;
		}
		bench_sleep_us(1000);
	}
	if (bench_cat(&fd, result, text, sizeof(text)) < 0)
		text[0] = '\0';
	if (fd >= 0)
		close(fd);
	unlink(result);
	if (strncmp(text, "PASS", 4)) {
		fprintf(stderr, "crfs-bench: restored memory is wrong: %s", text);
		return -1;
	}
	return 0;
}

/* Kill what is left in @ct (if it exists) and remove it. */
static void bench_ct_remove(const char *ct)
{
	char path[4096];
	double end = bench_now() + 10;

	if (access(ct, F_OK))
		return;
	snprintf(path, sizeof(path), "%s/state", ct);
	bench_echo(path, "kill\n");
	while (rmdir(ct) < 0 && errno == EBUSY && bench_now() < end)
		bench_sleep_us(2000);
}

/*
 * One crfs cycle: freeze, checkpoint, kill, restore, thaw, verify.
 * Return: 0, or -1 when something broke (said on stderr).
 */
static int bench_cycle(struct bench_opts *o, struct bench_size *s, int run)
{
	char cta[2048], ctb[2048], path[4096], ready[2048], result[2048];
	double tb[5], te[5];	/* each step's begin and end */
	int64_t bytes;
	int in = -1, out = -1, ret = -1, err, status;
	bool reaped = false;
	pid_t pid = 0;

	snprintf(cta, sizeof(cta), "%s/bench%d-%zum-%da", o->mnt,
		 (int)getpid(), s->mib, run);
	snprintf(ctb, sizeof(ctb), "%s/bench%d-%zum-%db", o->mnt,
		 (int)getpid(), s->mib, run);
	snprintf(ready, sizeof(ready), "%s/ready", o->workdir);
	snprintf(result, sizeof(result), "%s/result", o->workdir);

	if (strlen(o->mnt) > 1024 || mkdir(cta, 0755) < 0 || mkdir(ctb, 0755) < 0) {
		fprintf(stderr, "crfs-bench: mkdir in %s: %s\n", o->mnt,
			strerror(errno));
		goto out_ct;
	}
	pid = bench_spawn(o, s->mib, ready, result);
	if (pid < 0) {
		pid = 0;
		goto out_ct;
	}
	snprintf(path, sizeof(path), "%s/procs", cta);
	{
		char text[32];

		snprintf(text, sizeof(text), "%d\n", (int)pid);
		err = bench_echo(path, text);
	}
	if (err < 0) {
		fprintf(stderr, "crfs-bench: %s: %s\n", path, strerror(-err));
		goto out_kill;
	}

	/* freeze */
	tb[0] = bench_now();
	snprintf(path, sizeof(path), "%s/state", cta);
	err = bench_echo(path, "freeze\n");
	if (!err)
		err = bench_wait_event(cta, "frozen", 1, 10);
	if (err < 0) {
		fprintf(stderr, "crfs-bench: %s: freeze: %s\n", cta, strerror(-err));
		goto out_kill;
	}

	te[0] = bench_now();

	/* checkpoint: image -> shm */
	bench_recycle(s->mib << 20);
	tb[1] = bench_now();
	snprintf(path, sizeof(path), "%s/image", cta);
	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		fprintf(stderr, "crfs-bench: open %s: %s\n", path, strerror(errno));
		bench_why(cta);
		goto out_kill;
	}
	out = open(bench_img, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		fprintf(stderr, "crfs-bench: %s: %s\n", bench_img, strerror(errno));
		goto out_kill;
	}
	bytes = bench_copy(in, out, o->bufsize);
	err = bytes < 0 ? (int)bytes : 0;
	if (close(in) < 0 && !err)
		err = -errno;
	if (close(out) < 0 && !err)
		err = -errno;
	in = out = -1;
	if (err < 0) {
		fprintf(stderr, "crfs-bench: checkpoint %s: %s\n", cta,
			strerror(-err));
		bench_why(cta);
		goto out_kill;
	}
	te[1] = bench_now();
	s->image_bytes = bytes;

	/* kill, and reap: the pid must be free for the restore */
	tb[2] = bench_now();
	snprintf(path, sizeof(path), "%s/state", cta);
	err = bench_echo(path, "kill\n");
	if (err < 0) {
		fprintf(stderr, "crfs-bench: %s: kill: %s\n", cta, strerror(-err));
		goto out_kill;
	}
	{
		double end = bench_now() + 10;

		while (waitpid(pid, &status, WNOHANG) != pid) {
			if (bench_now() > end) {
				fprintf(stderr, "crfs-bench: pid %d not dead 10 s after kill\n",
					(int)pid);
				goto out_kill;
			}
			bench_sleep_us(50);
		}
		reaped = true;
	}
	te[2] = bench_now();

	/* restore: shm -> image */
	bench_recycle(s->mib << 20);
	tb[3] = bench_now();
	in = open(bench_img, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/image", ctb);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (in < 0 || out < 0) {
		fprintf(stderr, "crfs-bench: open for restore: %s\n",
			strerror(errno));
		goto out_kill;
	}
	bytes = bench_copy(in, out, o->bufsize);
	err = bytes < 0 ? (int)bytes : 0;
	close(in);
	if (close(out) < 0 && !err)
		err = -errno;
	in = out = -1;
	if (err < 0) {
		fprintf(stderr, "crfs-bench: restore into %s: %s\n", ctb,
			strerror(-err));
		bench_why(ctb);
		goto out_ct;
	}

	te[3] = bench_now();

	/* thaw */
	tb[4] = bench_now();
	snprintf(path, sizeof(path), "%s/state", ctb);
	err = bench_echo(path, "thaw\n");
	if (!err)
		err = bench_wait_event(ctb, "frozen", 0, 10);
	if (err < 0) {
		fprintf(stderr, "crfs-bench: %s: thaw: %s\n", ctb, strerror(-err));
		goto out_ct;
	}
	te[4] = bench_now();

	if (bench_verify(pid, result, s->mib) < 0)
		goto out_ct;

	s->t[BF_RTRIP][s->n[BF_RTRIP]] = 0;
	for (int i = BF_FREEZE; i <= BF_THAW; i++) {
		double d = te[i - BF_FREEZE] - tb[i - BF_FREEZE];

		s->t[i][s->n[i]++] = d;
		s->t[BF_RTRIP][s->n[BF_RTRIP]] += d;
	}
	s->n[BF_RTRIP]++;
	ret = 0;
	goto out_ct;

out_kill:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (!reaped) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
out_ct:
	bench_ct_remove(cta);
	bench_ct_remove(ctb);
	unlink(bench_img);
	if (pid > 0)
		bench_track(pid, false);
	return ret;
}

static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Best (smallest) and median time of figure @f; false if never measured. */
static bool bench_stats(const struct bench_size *s, int f, double *best,
			double *median)
{
	double v[BENCH_MAX_RUNS];
	int n = s->n[f];

	if (!n)
		return false;
	memcpy(v, s->t[f], n * sizeof(v[0]));
	qsort(v, n, sizeof(v[0]), bench_cmp);
	*best = v[0];
	*median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return true;
}

static double bench_mbps(const struct bench_size *s, double secs)
{
	return secs > 0 ? s->mib * 1048576.0 / secs / 1e6 : 0;
}

/* Size tag of the machine lines: 64m, 1g. */
static void bench_tag(const struct bench_size *s, char *buf, size_t len)
{
	if (s->mib >= 1024 && !(s->mib % 1024))
		snprintf(buf, len, "%zug", s->mib / 1024);
	else
		snprintf(buf, len, "%zum", s->mib);
}

/* VmHWM of @pid in kB, or -1. */
static long bench_hwm(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static const char *bench_verdict(bool ok)
{
	return ok ? "PASS" : "MISS";
}

/* The table rows of one size. */
static void bench_table_size(const struct bench_opts *o,
			     const struct bench_size *s)
{
	char tag[32];

	bench_tag(s, tag, sizeof(tag));
	printf("\n%s: %zu MiB of written anonymous memory", tag, s->mib);
	if (s->image_bytes)
		printf(", image %.1f MiB", s->image_bytes / 1048576.0);
	printf(", %d runs\n", o->runs);
	printf("  %-36s %8s %6s %8s %6s  %s\n", "figure", "best s", "MB/s",
	       "median s", "MB/s", "ratio to limit: best, median");
	for (int f = 0; f < BF_NR; f++) {
		const struct bench_fig_desc *d = &bench_figs[f];
		double best, med, lbest, lmed;

		if (!bench_stats(s, f, &best, &med))
			continue;
		if (d->rate)
			printf("  %-36s %8.4f %6.0f %8.4f %6.0f", d->label,
			       best, bench_mbps(s, best), med,
			       bench_mbps(s, med));
		else
			printf("  %-36s %8.4f %6s %8.4f %6s", d->label, best,
			       "", med, "");
		if (d->limit >= 0 && bench_stats(s, d->limit, &lbest, &lmed))
			printf("  %.2f, %.2f of %s", lbest / best, lmed / med,
			       bench_figs[d->limit].key);
		printf("\n");
	}
	if (s->hwm_kb >= 0 && o->mnt)
		printf("  %-36s %8ld kB\n", "crfs-fuse VmHWM after these runs",
		       s->hwm_kb);
}

/* One "bench: key=value ..." line per figure of one size. */
static void bench_lines_size(const struct bench_opts *o,
			     const struct bench_size *s)
{
	double best, med, lbest, lmed;
	char tag[32];

	bench_tag(s, tag, sizeof(tag));
	for (int f = 0; f < BF_NR; f++) {
		const struct bench_fig_desc *d = &bench_figs[f];

		if (!bench_stats(s, f, &best, &med))
			continue;
		printf("bench: %s_%s_s=%.6f %s_%s_median_s=%.6f", d->key, tag,
		       best, d->key, tag, med);
		if (d->rate)
			printf(" %s_%s_mbps=%.0f %s_%s_median_mbps=%.0f", d->key,
			       tag, bench_mbps(s, best), d->key, tag,
			       bench_mbps(s, med));
		if (d->limit >= 0 && bench_stats(s, d->limit, &lbest, &lmed))
			printf(" %s_%s_ratio=%.3f %s_%s_median_ratio=%.3f %s_%s_limit=%s",
			       d->key, tag, lbest / best, d->key, tag,
			       lmed / med, d->key, tag,
			       bench_figs[d->limit].key);
		printf("\n");
	}
	if (s->hwm_kb >= 0 && o->mnt)
		printf("bench: fuse_hwm_%s_kb=%ld\n", tag, s->hwm_kb);
	if (o->mnt && bench_stats(s, BF_SHMW, &best, &med) &&
	    bench_stats(s, BF_MEMCPY, &lbest, &lmed))
		printf("bench: rtrip_floor_%s_s=%.6f rtrip_floor_%s_median_s=%.6f\n",
		       tag, best + lbest, tag, med + lmed);
}

/* The targets, each PASS or MISS. */
static void bench_report_targets(const struct bench_opts *o)
{
	const struct bench_size *s64 = NULL, *s1g = NULL;
	double b, m, lb, lm;

	for (int i = 0; i < o->nr_sizes; i++) {
		if (o->sizes[i].mib == 64)
			s64 = &o->sizes[i];
		if (o->sizes[i].mib == 1024)
			s1g = &o->sizes[i];
	}
	printf("\ntargets (judged on the best run; the machine is shared):\n");
	if (s1g && bench_stats(s1g, BF_CKPT, &b, &m) &&
	    bench_stats(s1g, BF_SHMW, &lb, &lm))
		printf("  %s 1g checkpoint at >= %.0f%% of the /dev/shm write limit: %.0f%%\n",
		       bench_verdict(lb / b >= BENCH_RATIO_TARGET),
		       BENCH_RATIO_TARGET * 100, lb / b * 100);
	if (s1g && bench_stats(s1g, BF_RESTORE, &b, &m) &&
	    bench_stats(s1g, BF_MEMCPY, &lb, &lm))
		printf("  %s 1g restore at >= %.0f%% of the memcpy-into-fresh limit: %.0f%%\n",
		       bench_verdict(lb / b >= BENCH_RATIO_TARGET),
		       BENCH_RATIO_TARGET * 100, lb / b * 100);
	if (s64 && bench_stats(s64, BF_RTRIP, &b, &m))
		printf("  %s 64m round trip under %.0f ms: %.1f ms (median %.1f ms)\n",
		       bench_verdict(b < BENCH_RTRIP_TARGET),
		       BENCH_RTRIP_TARGET * 1000, b * 1000, m * 1000);
	if (s64 && bench_stats(s64, BF_SHMW, &b, &m) &&
	    bench_stats(s64, BF_MEMCPY, &lb, &lm))
		printf("       (the limits alone take %.1f ms: a new /dev/shm file for the\n"
		       "        checkpoint plus fresh memory for the restore, best runs)\n",
		       (b + lb) * 1000);
	if (s64 && s1g && s64->hwm_kb > 0 && s1g->hwm_kb > 0)
		printf("  %s crfs-fuse VmHWM does not grow with the image: %ld kB after 64m, %ld kB after 1g\n",
		       bench_verdict((s1g->hwm_kb - s64->hwm_kb) * 1024L <=
				     (long)BENCH_HWM_SLACK),
		       s64->hwm_kb, s1g->hwm_kb);
}

static void bench_report(const struct bench_opts *o, bool crfs_ok)
{
	struct utsname u;

	uname(&u);
	printf("\ncrfs-bench: kernel %s, %ld cpus, copy buffer %zu KiB%s, image in %s\n",
	       u.release, sysconf(_SC_NPROCESSORS_ONLN),
	       (o->bufsize ? o->bufsize : bench_cat_bufsize) >> 10,
	       o->bufsize ? "" : " (as cat: the larger st_blksize, at least 128 KiB)",
	       o->shmdir);
	printf("MB/s = 10^6 bytes of process memory per second.  Ratios are limit time / crfs time:\n"
	       "  checkpoint vs. writing a new /dev/shm file: the daemon reads the process into\n"
	       "  a reused buffer, so the only fresh pages a checkpoint must get are the image\n"
	       "  file's; process_vm_readv into fresh memory is shown for scale only.\n"
	       "  restore vs. memcpy into fresh memory: the image is already in memory, and the\n"
	       "  restored process's pages are fresh, filled by one copy at best.\n"
	       "For scale, CRIU 4.2 on this machine: 64m dump 0.14 s, restore 0.09 s;\n"
	       "  1g dump 1.4 s, restore 1.4 s.\n");
	printf(bench_cold ?
	       "Pages as they fall (-C): a step may get pages the VM reported free to the\n"
	       "  host (slower) or pages just freed by the step before.\n" :
	       "Every measured step, limit or crfs, starts on pages the VM has just used: the\n"
	       "  same amount is touched and freed before it (freed memory is reported to the\n"
	       "  host after ~2 s and costs a host fault when handed out again; -C: as they fall).\n");
	for (int i = 0; i < o->nr_sizes; i++)
		bench_table_size(o, &o->sizes[i]);
	if (o->mnt && crfs_ok)
		bench_report_targets(o);
	if (!o->mnt)
		printf("\n(no mount given: limits only)\n");
	printf("\n");
	for (int i = 0; i < o->nr_sizes; i++)
		bench_lines_size(o, &o->sizes[i]);
}

/* Measure one size: runs of limits and crfs cycles, interleaved. */
static int bench_size(struct bench_opts *o, struct bench_size *s)
{
	size_t len = s->mib << 20;
	int ret = 0;
	char *src;

	src = bench_map(len);
	if (!src) {
		fprintf(stderr, "crfs-bench: mmap %zu MiB: %s\n", s->mib,
			strerror(errno));
		return -1;
	}
	madvise(src, len, MADV_DONTFORK);	/* spawning need not copy it */
	for (size_t i = 0; i < len; i += 8)
		*(uint64_t *)(src + i) = i * 0x9e3779b97f4a7c15ULL + 1;

	bench_watchdog_arm(o->watchdog_secs ? (double)o->watchdog_secs :
			   BENCH_CYCLE_SECS + o->runs * (s->mib / 16.0 +
							  o->settle_ms / 500.0));
	for (int r = 0; r < o->runs; r++) {
		int err;

		bench_sleep_us(o->settle_ms * 1000L);
		err = bench_limits(o, s, src, len);

		if (err < 0) {
			fprintf(stderr, "crfs-bench: limits, %zu MiB: %s\n",
				s->mib, strerror(-err));
			ret = -1;
			break;
		}
		if (o->mnt)
			bench_sleep_us(o->settle_ms * 1000L);
		if (o->mnt && bench_cycle(o, s, r) < 0) {
			fprintf(stderr, "crfs-bench: crfs run %d of %zu MiB failed\n",
				r + 1, s->mib);
			ret = -1;
			break;
		}
		fprintf(stderr, "crfs-bench: %zu MiB run %d done\n", s->mib,
			r + 1);
	}
	bench_watchdog_arm(0);
	munmap(src, len);
	if (o->mnt && o->fuse_pid > 0)
		s->hwm_kb = bench_hwm(o->fuse_pid);
	return ret;
}

static void bench_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-m MNT -p FUSEPID] -x MEMPROG [-s MIB,...] [-r RUNS]\n"
		"          [-B BUFSIZE] [-d SHMDIR] [-w WORKDIR] [-T SECS] [-S MS] [-C]\n", prog);
	exit(EXIT_FAILURE);
}

/* Parse the command line into @o. */
static void bench_parse(struct bench_opts *o, int argc, char **argv)
{
	const char *sizes = "64,1024";
	char *list, *tok, *save;
	int c;

	while ((c = getopt(argc, argv, "m:p:x:s:r:B:d:w:T:S:C")) != -1) {
		switch (c) {
		case 'm': o->mnt = optarg; break;
		case 'p': o->fuse_pid = atoi(optarg); break;
		case 'x': o->memprog = optarg; break;
		case 's': sizes = optarg; break;
		case 'r': o->runs = atoi(optarg); break;
		case 'B': o->bufsize = strtoul(optarg, NULL, 0); break;
		case 'd': o->shmdir = optarg; break;
		case 'w': o->workdir = optarg; break;
		case 'T': o->watchdog_secs = atoi(optarg); break;
		case 'S': o->settle_ms = atoi(optarg); break;
		case 'C': bench_cold = true; break;
		default: bench_usage(argv[0]);
		}
	}
	if (optind != argc || !o->memprog || o->runs < 1 ||
	    o->runs > BENCH_MAX_RUNS || (o->bufsize && o->bufsize < 4096) || o->settle_ms < 0 ||
	    o->watchdog_secs < 0)
		bench_usage(argv[0]);
	/* the memory program runs in /: make our paths absolute */
	o->memprog = realpath(o->memprog, NULL);
	o->workdir = realpath(o->workdir, NULL);
	if (!o->memprog || !o->workdir) {
		fprintf(stderr, "crfs-bench: -x or -w: %s\n", strerror(errno));
		exit(EXIT_FAILURE);
	}
	list = strdup(sizes);
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o->nr_sizes == BENCH_MAX_SIZES)
			bench_usage(argv[0]);
		o->sizes[o->nr_sizes].mib = strtoul(tok, NULL, 0);
		o->sizes[o->nr_sizes].hwm_kb = -1;
		if (!o->sizes[o->nr_sizes++].mib)
			bench_usage(argv[0]);
	}
	free(list);
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
		.shmdir = "/dev/shm", .workdir = "/tmp", .runs = 3,
		.bufsize = 0,	/* as cat */
	};
	struct sigaction sa = { .sa_handler = bench_on_signal };
	pthread_t watchdog;
	bool ok = true;

	bench_parse(&o, argc, argv);
	syscall(SYS_close_range, 3U, ~0U, 0U);	/* strays from the shell */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	bench_fuse_pid = o.mnt ? o.fuse_pid : 0;
	if (pthread_create(&watchdog, NULL, bench_watchdog, NULL)) {
		fprintf(stderr, "crfs-bench: cannot start the watchdog\n");
		return EXIT_FAILURE;
	}
	bench_buf = bench_map(o.bufsize ? o.bufsize : BENCH_BUF_MAX);
	if (!bench_buf) {
		perror("crfs-bench: copy buffer");
		return EXIT_FAILURE;
	}
	memset(bench_buf, 1, o.bufsize ? o.bufsize : BENCH_BUF_MAX);
	snprintf(bench_img, sizeof(bench_img), "%s/crfs-bench-%d.img",
		 o.shmdir, (int)getpid());
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (int i = 0; i < o.nr_sizes && ok; i++)
		ok = !bench_size(&o, &o.sizes[i]);
	bench_report(&o, ok);
	unlink(bench_img);
	return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
