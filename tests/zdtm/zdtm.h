/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zdtm: the shape of every end-to-end test program, after CRIU's zdtm.
 *
 *   prog DIR
 *
 * The program closes every descriptor it did not open, builds its state,
 * creates DIR/ready and waits for SIGTERM.  Between the two it is
 * checkpointed, killed and restored.  Then it checks its own state and
 * writes "PASS\n" or "FAIL: <what>\n" to DIR/result and exits 0 or 1.
 *
 * DIR must be an absolute path: the program may change its cwd.  Both
 * DIR/ready and DIR/result appear whole (written aside, then renamed).
 */
#ifndef ZDTM_H
#define ZDTM_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static const char *zdtm_dir;
static volatile sig_atomic_t zdtm_stop;

static inline void zdtm_on_term(int sig)
{
	(void)sig;
	zdtm_stop = 1;
}

/* Close every descriptor >= 3: shells leak some into their children. */
static inline void zdtm_close_fds(void)
{
	DIR *d;
	struct dirent *de;
	int fd;

	if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
		return;
	d = opendir("/proc/self/fd");
	if (!d) {
		for (fd = 3; fd < 4096; fd++)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		fd = atoi(de->d_name);
		if (fd >= 3 && fd != dirfd(d))
			close(fd);
	}
	closedir(d);
}

/* DIR/name into @buf. */
static inline void zdtm_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", zdtm_dir, name);
}

/* Write @text to DIR/name whole: aside first, then rename. */
static inline int zdtm_put(const char *name, const char *text)
{
	char tmp[4096], path[4096];
	size_t len = strlen(text);
	int fd, ok;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", zdtm_dir, name);
	zdtm_path(path, sizeof(path), name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	ok = write(fd, text, len) == (ssize_t)len;
	if (close(fd) || !ok || rename(tmp, path))
		return -1;
	return 0;
}

/* The result, then exit: 0 for PASS, 1 for FAIL. */
static inline void __attribute__((noreturn, format(printf, 1, 2)))
zdtm_fail(const char *fmt, ...)
{
	char msg[2048], line[2100];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "FAIL: %s\n", msg);
	zdtm_put("result", line);
	fputs(line, stderr);
	exit(1);
}

static inline void __attribute__((noreturn)) zdtm_pass(void)
{
	if (zdtm_put("result", "PASS\n"))
		exit(1);
	exit(0);
}

/* Fail with the errno text when @cond is true. */
#define zdtm_check(cond, what)						\
	do {								\
		if (cond)						\
			zdtm_fail("%s: %s", what, strerror(errno));	\
	} while (0)

/*
 * Common start: close stray descriptors, take DIR, block SIGTERM (it is
 * let in only while waiting) and install its handler.
 */
static inline void zdtm_init(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t set;

	zdtm_close_fds();
	if (argc != 2 || argv[1][0] != '/') {
		fprintf(stderr, "usage: %s /absolute/dir\n", argv[0]);
		exit(2);
	}
	zdtm_dir = argv[1];
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = zdtm_on_term;
	sigemptyset(&sa.sa_mask);
	zdtm_check(sigaction(SIGTERM, &sa, NULL), "sigaction SIGTERM");
}

/* State built: tell the test (DIR/ready holds our pid). */
static inline void zdtm_ready(void)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d\n", getpid());
	zdtm_check(zdtm_put("ready", buf), "create ready");
}

/* Wait for SIGTERM with the current mask minus SIGTERM; EINTR-safe. */
static inline void zdtm_wait(void)
{
	sigset_t mask;

	sigprocmask(SIG_BLOCK, NULL, &mask);
	sigdelset(&mask, SIGTERM);
	while (!zdtm_stop)
		sigsuspend(&mask);
}

/* Fill @buf with a pattern that depends on @seed and the byte offset. */
static inline void zdtm_fill(void *buf, size_t len, uint64_t seed)
{
	uint64_t *p = buf, x = seed * 0x9e3779b97f4a7c15ULL + 1;
	size_t i;

	for (i = 0; i < len / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x + i;
	}
}

/* The first byte offset where @buf differs from the pattern, or -1. */
static inline long zdtm_cmp(const void *buf, size_t len, uint64_t seed)
{
	const uint64_t *p = buf;
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
	size_t i;

	for (i = 0; i < len / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (p[i] != x + i)
			return (long)(i * 8);
	}
	return -1;
}

/* Read @len bytes (at most 256) from @fd whole and compare, or fail naming @what. */
static inline void zdtm_expect(int fd, const char *want, size_t len,
			       const char *what)
{
	char buf[256];
	size_t got = 0;
	ssize_t n;

	if (len > sizeof(buf))
		zdtm_fail("%s: too long", what);
	while (got < len) {
		n = read(fd, buf + got, len - got);
		if (n <= 0)
			zdtm_fail("%s: read %zu of %zu bytes: %s", what, got,
				  len, n ? strerror(errno) : "end of file");
		got += n;
	}
	if (memcmp(buf, want, len))
		zdtm_fail("%s: %.*s, want %.*s", what, (int)len, buf, (int)len,
			  want);
}

#endif /* ZDTM_H */
