// SPDX-License-Identifier: GPL-2.0
/*
 * crfs-bench: small utilities.  The clock, the processes we started (so
 * that giving up kills them, and bench.sh can kill what a killed
 * crfs-bench left), commands run as a shell runs them, control files
 * read and written as a shell user would, and the reused buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* The processes we started (and their restored copies: same pids). */
static volatile pid_t bench_pids[BENCH_MAX_PIDS];
static char *bench_ring;		/* the reused buffer, prefaulted */
static char bench_pidlog[4096];		/* WORKDIR/pids: every pid we started */
static char bench_errlog[4096];		/* WORKDIR/cmd.err: a command's stderr */

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
 * bench_set_workdir() - where the pid log and commands' stderr go
 * @dir: the work directory (-w)
 */
void bench_set_workdir(const char *dir)
{
	snprintf(bench_pidlog, sizeof(bench_pidlog), "%s/pids", dir);
	snprintf(bench_errlog, sizeof(bench_errlog), "%s/cmd.err", dir);
}

/**
 * bench_track() - remember or forget a process that giving up must kill
 * @pid: the process
 * @on: true to remember it (and log it in WORKDIR/pids), false to forget it
 */
void bench_track(pid_t pid, bool on)
{
	if (on && bench_pidlog[0]) {
		char line[32];
		int fd = open(bench_pidlog, O_WRONLY | O_CREAT | O_APPEND |
			      O_CLOEXEC, 0600);
		int len = snprintf(line, sizeof(line), "%d\n", (int)pid);

		if (fd >= 0) {
			if (write(fd, line, len) != len)
				fprintf(stderr, "crfs-bench: %s: short write\n",
					bench_pidlog);
			close(fd);
		}
	}
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
 * bench_give_up() - kill what we started and leave
 * @why: message for stderr
 * @len: its length
 * @status: exit status
 *
 * Async-signal-safe: called from the signal handler and the watchdog.
 * The image directory is left to bench.sh, which removes it.
 */
void bench_give_up(const char *why, size_t len, int status)
{
	for (int i = 0; i < BENCH_MAX_PIDS; i++)
		if (bench_pids[i] > 0)
			kill(bench_pids[i], SIGKILL);
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

/**
 * bench_wait_exit() - wait until a process has exited, woken by its pidfd
 * @pid: the process
 * @child: it is our child: reap it too (its pid is then free)
 * @timeout: seconds
 *
 * Return: 0 (gone, or a zombie its parent has yet to reap when !@child),
 * -ETIMEDOUT, or a negative errno.
 */
int bench_wait_exit(pid_t pid, bool child, double timeout)
{
	int fd = syscall(SYS_pidfd_open, pid, 0);
	struct pollfd pfd = { .events = POLLIN };
	double end = bench_now() + timeout;
	int ret = 0;

	if (fd < 0)
		return errno == ESRCH ? 0 : -errno;
	pfd.fd = fd;
	for (;;) {
		double left = end - bench_now();
		int n;

		if (left <= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		n = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (n > 0)
			break;
		if (n < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
	}
	close(fd);
	if (!ret && child)
		waitpid(pid, NULL, 0);
	return ret;
}

/* In a child of bench_exec(): open @path as descriptor @fd, or die. */
static void bench_redirect(int fd, const char *path, int flags)
{
	int f = open(path, flags | O_CLOEXEC, 0644);

	if (f < 0 || dup2(f, fd) < 0) {
		dprintf(2, "crfs-bench: %s: %s\n", path, strerror(errno));
		_exit(126);
	}
}

/**
 * bench_exec() - run a command as a shell runs "CMD <IN >OUT", and wait
 * @argv: the command (argv[0] looked up in PATH)
 * @in: its standard input, or NULL for /dev/null
 * @out: its standard output, made or truncated, or NULL for /dev/null
 * @timeout: seconds; past them it is killed
 *
 * The redirections are opened in the child, after fork(), as a shell
 * does; the child gets no other descriptor.  Its stderr goes to
 * WORKDIR/cmd.err (bench_exec_why() prints it).  Returns as soon as the
 * command has exited (woken by its pidfd), its status collected.
 *
 * Return: 0 when it exited with status 0; its exit status, or 128 + the
 * signal that killed it; or a negative errno (-ETIMEDOUT).
 */
int bench_exec(const char *const argv[], const char *in, const char *out,
	       double timeout)
{
	int status, ret;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		bench_redirect(2, bench_errlog, O_WRONLY | O_CREAT | O_TRUNC);
		bench_redirect(0, in ? in : "/dev/null", O_RDONLY);
		bench_redirect(1, out ? out : "/dev/null",
			       O_WRONLY | O_CREAT | O_TRUNC);
		syscall(SYS_close_range, 3U, ~0U, 0U);
		execvp(argv[0], (char *const *)argv);
		dprintf(2, "crfs-bench: cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	bench_track(pid, true);
	ret = bench_wait_exit(pid, false, timeout);
	if (ret == -ETIMEDOUT) {
		fprintf(stderr, "crfs-bench: %s: no exit within %.0f s: killed\n",
			argv[0], timeout);
		kill(pid, SIGKILL);
	}
	if (waitpid(pid, &status, 0) == pid && !ret)
		ret = WIFEXITED(status) ? WEXITSTATUS(status) :
		      128 + WTERMSIG(status);
	bench_track(pid, false);
	return ret;
}

/**
 * bench_exec_said() - what the last command said on stderr
 * @buf: its text, NUL-terminated
 * @len: size of @buf
 *
 * Return: 0, or a negative errno.
 */
int bench_exec_said(char *buf, size_t len)
{
	int fd = -1, err;

	err = bench_cat(&fd, bench_errlog, buf, len);
	if (fd >= 0)
		close(fd);
	return err;
}

/**
 * bench_exec_why() - print what the last command said on stderr
 * @what: names the command, in the prefix of each line
 */
void bench_exec_why(const char *what)
{
	char text[2048], *line, *save;

	if (bench_exec_said(text, sizeof(text)) < 0)
		text[0] = '\0';
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		fprintf(stderr, "crfs-bench: %s said: %s\n", what, line);
}

/**
 * bench_buf_init() - map and prefault the reused buffer (BENCH_RING bytes)
 *
 * Return: 0, or -1 with errno set.
 */
int bench_buf_init(void)
{
	bench_ring = bench_map(BENCH_RING);
	if (!bench_ring)
		return -1;
	memset(bench_ring, 1, BENCH_RING);
	return 0;
}

/**
 * bench_buf() - the reused buffer
 *
 * Return: BENCH_RING bytes, prefaulted.
 */
char *bench_buf(void)
{
	return bench_ring;
}

/**
 * bench_read() - read a file into the reused buffer, and nothing else
 * @in: read until @len bytes came, or its end
 * @len: the bytes wanted
 * @chunk: bytes of each read(), at most BENCH_RING
 *
 * Return: the bytes read, or a negative errno.
 */
int64_t bench_read(int in, size_t len, size_t chunk)
{
	size_t total = 0;

	while (total < len) {
		size_t want = len - total < chunk ? len - total : chunk;
		ssize_t n = read(in, bench_ring, want);

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
