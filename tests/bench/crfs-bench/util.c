// SPDX-License-Identifier: GPL-2.0
/*
 * crfs-bench: small utilities.  The clock, the processes we started (so
 * that giving up kills them), control files read and written as a shell
 * user would, and the image copy through one reused buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* The processes we started (and their restored copies: same pids). */
static volatile pid_t bench_pids[BENCH_MAX_PIDS];
static char *bench_buf;		/* the copy buffer, reused, prefaulted */
static size_t bench_cat_max;	/* the largest chunk cat's rule gave */
char bench_img[4096];		/* the image file, removed at exit */

/**
 * bench_now() - the monotonic clock
 *
 * Return: seconds, as a double.
 */
double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/**
 * bench_sleep_us() - sleep
 * @us: microseconds
 */
void bench_sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

/**
 * bench_track() - remember or forget a process that giving up must kill
 * @pid: the process
 * @on: true to remember it, false to forget it
 */
void bench_track(pid_t pid, bool on)
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

/**
 * bench_give_up() - kill what we started, remove the image and leave
 * @why: message for stderr
 * @len: its length
 * @status: exit status
 *
 * Async-signal-safe: called from the signal handler and the watchdog.
 */
void bench_give_up(const char *why, size_t len, int status)
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

/**
 * bench_echo() - write() a short text to a control file
 * @path: the file
 * @text: what to write, in one write(), as "echo text > path" does
 *
 * Return: 0, or a negative errno (-EIO for a short write).
 */
int bench_echo(const char *path, const char *text)
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

/**
 * bench_cat() - read a small file
 * @fdp: an open descriptor of @path to pread() again, or -1; updated
 * @path: the file
 * @buf: where its text goes, NUL-terminated
 * @len: size of @buf
 *
 * Reads from offset 0 of *@fdp if it is open; opens @path if not, or if
 * the file cannot be pread (a stream).  The caller closes *@fdp.
 *
 * Return: 0, or a negative errno.
 */
int bench_cat(int *fdp, const char *path, char *buf, size_t len)
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

/**
 * bench_wait_event() - wait until a container's events file says "@key @want"
 * @ct: the container directory
 * @key: the key, e.g. "frozen"
 * @want: its awaited value
 * @timeout: seconds
 *
 * poll() for a change notification, and look again every 200 us in case
 * none comes.
 *
 * Return: 0, -ETIMEDOUT, or a negative errno from reading events.
 */
int bench_wait_event(const char *ct, const char *key, int want, double timeout)
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
	if (size > bench_cat_max)
		bench_cat_max = size;
	return size;
}

/**
 * bench_cat_bufsize() - the largest chunk copied as cat does
 *
 * Return: bytes, or 0 if bench_copy() never chose the chunk itself.
 */
size_t bench_cat_bufsize(void)
{
	return bench_cat_max;
}

/**
 * bench_buf_init() - map and prefault the copy buffer
 * @len: its size: the -B chunk, or BENCH_BUF_MAX when copying as cat does
 *
 * Return: 0, or -1 with errno set.
 */
int bench_buf_init(size_t len)
{
	bench_buf = bench_map(len);
	if (!bench_buf)
		return -1;
	memset(bench_buf, 1, len);
	return 0;
}

/**
 * bench_copy() - copy one file to another through the copy buffer
 * @in: read until its end
 * @out: written
 * @bufsize: chunk of each read(); 0: as cat does (bench_cat_chunk())
 *
 * Return: the bytes copied, or a negative errno.
 */
int64_t bench_copy(int in, int out, size_t bufsize)
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

/**
 * bench_read() - read a file into the copy buffer, and nothing else
 * @in: read until @len bytes came, or its end
 * @len: the bytes wanted
 * @bufsize: chunk of each read(); 0: as cat does (bench_cat_chunk())
 *
 * Return: the bytes read, or a negative errno.
 */
int64_t bench_read(int in, size_t len, size_t bufsize)
{
	size_t total = 0;

	if (!bufsize)
		bufsize = bench_cat_chunk(in, in);

	while (total < len) {
		size_t chunk = len - total < bufsize ? len - total : bufsize;
		ssize_t n = read(in, bench_buf, chunk);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		total += n;
	}
	return total;
}
