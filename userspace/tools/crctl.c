// SPDX-License-Identifier: GPL-2.0
/*
 * crctl: control crfs containers.  A thin client of the file interface
 * (mkdir, procs, state, events, image, error), so it works the same on the
 * FUSE prototype and on the kernel filesystem.
 */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#define CRCTL_BUF		(1 << 20)
#define CRCTL_FREEZE_TIMEOUT	10000	/* ms */

static const char *crctl_root = "/crfs";

static void __attribute__((noreturn)) usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" crctl [-r DIR] <command> [options]\n\n"
		"Control crfs containers through their files.\n\n"
		"Commands:\n"
		" checkpoint CT -o FILE [--leave-frozen|--thaw|--kill]\n"
		"                           freeze CT, write its image to FILE ('-': stdout)\n"
		" restore CT -i FILE [--thaw]\n"
		"                           recreate CT from FILE ('-': stdin), frozen\n"
		" freeze CT [--wait]        freeze CT; --wait: until it is frozen\n"
		" thaw CT                   let CT run\n"
		" kill CT                   kill every process of CT\n"
		" ps                        list containers: name, state, pids\n"
		" run CT -- CMD [ARG...]    run CMD inside CT (made if missing)\n\n"
		"Options:\n"
		" -r, --root DIR            the crfs mount (default $CRFS_ROOT, else /crfs)\n"
		" -h, --help                display this help\n");
	exit(out == stderr ? EXIT_FAILURE : EXIT_SUCCESS);
}

/* @buf = <root>/<ct>[/<file>]. */
static char *crctl_path(char *buf, size_t len, const char *ct, const char *file)
{
	if (file)
		snprintf(buf, len, "%s/%s/%s", crctl_root, ct, file);
	else
		snprintf(buf, len, "%s/%s", crctl_root, ct);
	return buf;
}

/* Does container @ct have the control file @file? */
static bool crctl_exists(const char *ct, const char *file)
{
	char path[PATH_MAX];

	return !access(crctl_path(path, sizeof(path), ct, file), F_OK);
}

/* Read a small control file; strip the final newline.  Return: 0 or -errno. */
static int crctl_read(const char *ct, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	fd = open(crctl_path(path, sizeof(path), ct, file), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

/* Write @val to a small control file.  Return: 0 or -errno. */
static int crctl_write(const char *ct, const char *file, const char *val)
{
	char path[PATH_MAX];
	int fd, ret = 0;

	fd = open(crctl_path(path, sizeof(path), ct, file), O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Print "crctl: CT: cannot WHAT: reason" (from CT/error) and exit. */
static void __attribute__((noreturn)) crctl_fail(const char *ct, const char *what,
						 int err)
{
	char reason[1100];

	if (err == ENOENT || crctl_read(ct, "error", reason, sizeof(reason)) ||
	    !reason[0])
		snprintf(reason, sizeof(reason), "%s", strerror(err));
	errx(EXIT_FAILURE, "%s: cannot %s: %s", ct, what, reason);
}

static long crctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Wait for "frozen 1" in CT/events, woken by poll().  Return: 0 or -errno. */
static int crctl_wait_frozen(const char *ct, int timeout_ms)
{
	long deadline = crctl_now_ms() + timeout_ms;
	char path[PATH_MAX], buf[256];
	int fd, ret;

	fd = open(crctl_path(path, sizeof(path), ct, "events"), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLPRI };
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		long left;

		if (n < 0) {
			ret = -errno;
			break;
		}
		buf[n] = '\0';
		if (strstr(buf, "frozen 1\n")) {
			ret = 0;
			break;
		}
		left = deadline - crctl_now_ms();
		if (left <= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		if (poll(&pfd, 1, left) < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
	}
	close(fd);
	return ret;
}

/* Copy @in to @out until EOF.  Return: 0, or -errno with *@side 0 (in) or 1. */
static int crctl_copy(int in, int out, int *side)
{
	static char buf[CRCTL_BUF];

	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf)), off = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*side = 0;
			return n ? -errno : 0;
		}
		while (off < n) {
			ssize_t w = write(out, buf + off, n - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				*side = 1;
				return -errno;
			}
			off += w;
		}
	}
}

/* A command's options: --leave-frozen, --thaw, --kill, --wait, -o, -i. */
struct crctl_args {
	const char	*ct;
	const char	*file;
	const char	*after;		/* state word after the operation */
	int		wait;
	char		**cmd;
};

static void crctl_parse(int argc, char **argv, struct crctl_args *a,
			const char *shortopts)
{
	static const struct option longopts[] = {
		{ "leave-frozen",	no_argument,	   NULL, 'L' },
		{ "thaw",		no_argument,	   NULL, 'T' },
		{ "kill",		no_argument,	   NULL, 'K' },
		{ "wait",		no_argument,	   NULL, 'W' },
		{ "output",		required_argument, NULL, 'o' },
		{ "input",		required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 0;	/* GNU: re-read @shortopts */
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == '?' || !strchr(shortopts, c))
			errx(EXIT_FAILURE, "%s: bad option; try 'crctl --help'", argv[0]);
		switch (c) {
		case 'L': a->after = NULL; break;
		case 'T': a->after = "thaw"; break;
		case 'K': a->after = "kill"; break;
		case 'W': a->wait = 1; break;
		case 'o': case 'i': a->file = optarg; break;
		}
	}
	if (optind >= argc)
		errx(EXIT_FAILURE, "%s: no container given; try 'crctl --help'", argv[0]);
	a->ct = argv[optind++];
	a->cmd = argv + optind;
	if (*a->cmd && !strcmp(*a->cmd, "--"))
		a->cmd++;
	if (*a->cmd && !strchr(shortopts, '+'))
		errx(EXIT_FAILURE, "%s: unexpected argument '%s'", argv[0], *a->cmd);
}

/* Freeze @ct unless it is; wait until it is frozen. */
static void crctl_freeze_wait(const char *ct, const char *what, int *froze)
{
	char state[64];
	int ret;

	ret = crctl_read(ct, "state", state, sizeof(state));
	if (ret)
		crctl_fail(ct, what, -ret);
	*froze = strcmp(state, "frozen") != 0;
	if (*froze && (ret = crctl_write(ct, "state", "freeze")))
		crctl_fail(ct, what, -ret);
	ret = crctl_wait_frozen(ct, CRCTL_FREEZE_TIMEOUT);
	if (ret == -ETIMEDOUT)
		errx(EXIT_FAILURE, "%s: cannot %s: not frozen after %d s", ct, what,
		     CRCTL_FREEZE_TIMEOUT / 1000);
	if (ret)
		crctl_fail(ct, what, -ret);
}

static int crctl_checkpoint(int argc, char **argv)
{
	struct crctl_args a = { 0 };
	char path[PATH_MAX];
	int in, out, ret, side, froze;

	crctl_parse(argc, argv, &a, "o:LTK");
	if (!a.file)
		errx(EXIT_FAILURE, "checkpoint: no output file given (-o FILE)");
	crctl_freeze_wait(a.ct, "checkpoint", &froze);
	in = open(crctl_path(path, sizeof(path), a.ct, "image"), O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		ret = -errno;
		goto out_thaw;
	}
	out = strcmp(a.file, "-") ? open(a.file, O_WRONLY | O_CREAT | O_TRUNC |
					 O_CLOEXEC, 0600) : STDOUT_FILENO;
	if (out < 0)
		err(EXIT_FAILURE, "%s: cannot checkpoint: %s", a.ct, a.file);
	ret = crctl_copy(in, out, &side);
	close(in);
	if (ret && side) {
		errno = -ret;
		err(EXIT_FAILURE, "%s: cannot checkpoint: %s", a.ct, a.file);
	}
	if (out != STDOUT_FILENO && close(out))
		err(EXIT_FAILURE, "%s: cannot checkpoint: %s", a.ct, a.file);
	if (ret)
		goto out_thaw;
	if (a.after && (ret = crctl_write(a.ct, "state", a.after)))
		crctl_fail(a.ct, a.after, -ret);
	return EXIT_SUCCESS;

out_thaw:
	if (froze)	/* as it was: it ran before we came */
		crctl_write(a.ct, "state", "thaw");
	crctl_fail(a.ct, "checkpoint", -ret);
}

/* mkdir @ct unless it exists. */
static void crctl_mkdir(const char *ct, const char *what)
{
	char path[PATH_MAX];

	if (mkdir(crctl_path(path, sizeof(path), ct, NULL), 0755) && errno != EEXIST)
		err(EXIT_FAILURE, "%s: cannot %s", ct, what);
}

static int crctl_restore(int argc, char **argv)
{
	struct crctl_args a = { 0 };
	char path[PATH_MAX];
	int in, out, ret, side;

	crctl_parse(argc, argv, &a, "i:T");
	if (!a.file)
		errx(EXIT_FAILURE, "restore: no input file given (-i FILE)");
	in = strcmp(a.file, "-") ? open(a.file, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	if (in < 0)
		err(EXIT_FAILURE, "%s: cannot restore: %s", a.ct, a.file);
	crctl_mkdir(a.ct, "restore");
	out = open(crctl_path(path, sizeof(path), a.ct, "image"), O_WRONLY | O_CLOEXEC);
	if (out < 0)
		crctl_fail(a.ct, "restore", errno);
	ret = crctl_copy(in, out, &side);
	if (ret && !side) {
		errno = -ret;
		err(EXIT_FAILURE, "%s: cannot restore: %s", a.ct, a.file);
	}
	/* The restore's result comes with close(). */
	if (close(out) && !ret)
		ret = -errno;
	if (ret)
		crctl_fail(a.ct, "restore", -ret);
	if (a.after && (ret = crctl_write(a.ct, "state", a.after)))
		crctl_fail(a.ct, a.after, -ret);
	return EXIT_SUCCESS;
}

static int crctl_freeze(int argc, char **argv)
{
	struct crctl_args a = { 0 };
	int ret;

	crctl_parse(argc, argv, &a, "W");
	ret = crctl_write(a.ct, "state", "freeze");
	if (!ret && a.wait)
		ret = crctl_wait_frozen(a.ct, CRCTL_FREEZE_TIMEOUT);
	if (ret == -ETIMEDOUT)
		errx(EXIT_FAILURE, "%s: cannot freeze: not frozen after %d s", a.ct,
		     CRCTL_FREEZE_TIMEOUT / 1000);
	if (ret)
		crctl_fail(a.ct, "freeze", -ret);
	return EXIT_SUCCESS;
}

/* thaw and kill: one word to the state file. */
static int crctl_state_word(int argc, char **argv)
{
	struct crctl_args a = { 0 };
	int ret;

	crctl_parse(argc, argv, &a, "");
	ret = crctl_write(a.ct, "state", argv[0]);
	if (ret)
		crctl_fail(a.ct, argv[0], -ret);
	return EXIT_SUCCESS;
}

static int crctl_ps(int argc, char **argv)
{
	struct dirent *de;
	DIR *d;

	if (argc > 1)
		errx(EXIT_FAILURE, "ps: unexpected argument '%s'", argv[1]);
	d = opendir(crctl_root);
	if (!d)
		err(EXIT_FAILURE, "%s", crctl_root);
	printf("%-20s %-14s %s\n", "NAME", "STATE", "PIDS");
	while ((de = readdir(d))) {
		char state[64], pids[4096], *p;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (!crctl_exists(de->d_name, "state"))
			continue;	/* not a container: ns/ */
		if (crctl_read(de->d_name, "state", state, sizeof(state)))
			strcpy(state, "?");
		if (crctl_read(de->d_name, "procs", pids, sizeof(pids)))
			strcpy(pids, "?");
		for (p = pids; (p = strchr(p, '\n')); )
			*p = ',';
		printf("%-20s %-14s %s\n", de->d_name, state, pids);
	}
	closedir(d);
	return EXIT_SUCCESS;
}

static int crctl_run(int argc, char **argv)
{
	struct crctl_args a = { 0 };
	char pid[32];
	int ret;

	crctl_parse(argc, argv, &a, "+");
	if (!a.cmd[0])
		errx(EXIT_FAILURE, "run: no command given; try 'crctl --help'");
	crctl_mkdir(a.ct, "run");
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	ret = crctl_write(a.ct, "procs", pid);
	if (ret)
		crctl_fail(a.ct, "run", -ret);
	close_range(3, ~0U, 0);
	execvp(a.cmd[0], a.cmd);
	err(EXIT_FAILURE, "%s: cannot run %s", a.ct, a.cmd[0]);
}

static const struct {
	const char	*name;
	int		(*run)(int argc, char **argv);
} crctl_cmds[] = {
	{ "checkpoint",	crctl_checkpoint },
	{ "restore",	crctl_restore },
	{ "freeze",	crctl_freeze },
	{ "thaw",	crctl_state_word },
	{ "kill",	crctl_state_word },
	{ "ps",		crctl_ps },
	{ "run",	crctl_run },
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument,	     NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned int i;
	int c;

	if (getenv("CRFS_ROOT") && *getenv("CRFS_ROOT"))
		crctl_root = getenv("CRFS_ROOT");
	while ((c = getopt_long(argc, argv, "+r:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			crctl_root = optarg;
			break;
		case 'h':
			usage(stdout);
		default:
			usage(stderr);
		}
	}
	if (optind >= argc)
		usage(stderr);
	for (i = 0; i < sizeof(crctl_cmds) / sizeof(crctl_cmds[0]); i++)
		if (!strcmp(argv[optind], crctl_cmds[i].name))
			return crctl_cmds[i].run(argc - optind, argv + optind);
	errx(EXIT_FAILURE, "unknown command '%s'; try 'crctl --help'", argv[optind]);
}
