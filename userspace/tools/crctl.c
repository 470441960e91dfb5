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
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <linux/crfs_ctl.h>

#define CRCTL_BUF		(1 << 20)
/*
 * The copy buffer starts on a page (64 KiB: any page size): a direct-I/O
 * read of 1 MiB into a buffer off a page boundary spans 257 pages, one
 * more than a FUSE request holds, and is split in two requests.
 */
#define CRCTL_BUF_ALIGN		(1 << 16)
#define CRCTL_FREEZE_TIMEOUT	10000	/* ms */
#define CRCTL_BUSY_TIMEOUT	10000	/* ms: an image closing, a kill */
#define CRCTL_REASON		1100	/* CT/error holds up to 1 KiB */

static const char *crctl_root = "/crfs";

static void __attribute__((noreturn)) usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" crctl [-r DIR] <command> [options]\n\n"
		"Control crfs containers through their files.\n\n"
		"Commands:\n"
		" checkpoint CT -o FILE [--leave-frozen|--thaw|--kill] [--shell-job]\n"
		"                           freeze CT, write its image to FILE ('-': stdout),\n"
		"                           mode 0600; on failure CT is left as it was;\n"
		"                           --shell-job: keep a terminal outside CT\n"
		" restore CT -i FILE [--thaw] [--shell-job]\n"
		"                           recreate CT from FILE ('-': stdin), frozen;\n"
		"                           on failure a CT that crctl made is removed;\n"
		"                           --shell-job: onto crctl's terminal (stdin)\n"
		" freeze CT [--wait]        freeze CT; --wait: until it is frozen\n"
		" thaw CT                   let CT run\n"
		" kill CT                   kill every process of CT\n"
		" ps                        list containers: name, state, pids\n"
		" run [--host-pid] [--host-ipc] CT -- CMD [ARG...]\n"
		"                           run CMD inside CT (made if missing), as pid 1\n"
		"                           of a new pid namespace, in an IPC namespace of\n"
		"                           its own; crctl waits for it and passes signals\n"
		"                           on; --host-pid: in the caller's pid namespace,\n"
		"                           crctl becoming CMD; --host-ipc: in the caller's\n"
		"                           IPC namespace\n\n"
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

/*
 * The reason for a failure of @ct with errno @err, in words: CT/error, or
 * strerror(@err) when it cannot be read or is empty (CT is gone, say).
 */
static void crctl_reason(const char *ct, const char *what, int err, char *buf,
			 size_t len)
{
	size_t n = strlen(what);

	if (crctl_read(ct, "error", buf, len) || !buf[0]) {
		snprintf(buf, len, "%s", strerror(err));
		return;
	}
	/* The error line names the operation ("restore: ..."): once is enough. */
	if (!strncmp(buf, what, n) && !strncmp(buf + n, ": ", 2))
		memmove(buf, buf + n + 2, strlen(buf + n + 2) + 1);
}

/* Print "crctl: CT: cannot WHAT: reason" (from CT/error) and exit. */
static void __attribute__((noreturn)) crctl_fail(const char *ct, const char *what,
						 int err)
{
	char reason[CRCTL_REASON];

	crctl_reason(ct, what, err, reason, sizeof(reason));
	errx(EXIT_FAILURE, "%s: cannot %s: %s", ct, what, reason);
}

static long crctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Does the text @buf have the whole line @line? */
static bool crctl_has_line(const char *buf, const char *line)
{
	size_t len = strlen(line);
	const char *p;

	for (p = buf; (p = strstr(p, line)); p++)
		if ((p == buf || p[-1] == '\n') && (p[len] == '\n' || !p[len]))
			return true;
	return false;
}

/*
 * Wait for the line @line ("frozen 1", "populated 0") in CT/events, woken by
 * poll().  Return: 0 or -errno (-ETIMEDOUT after @timeout_ms).
 */
static int crctl_wait_event(const char *ct, const char *line, int timeout_ms)
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
		if (crctl_has_line(buf, line)) {
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

/*
 * Copy @in to @out until EOF, adding the bytes moved to *@moved.
 * Return: 0, or -errno with *@side 0 (@in failed) or 1 (@out failed).
 */
static int crctl_copy(int in, int out, int *side, unsigned long long *moved)
{
	static char buf[CRCTL_BUF] __attribute__((aligned(CRCTL_BUF_ALIGN)));

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
			*moved += w;
		}
	}
}

/*
 * Copy the image @in to @out: written by crfs itself when @out is a
 * regular file it writes to (CRFS_IOC_IMAGE_TO: one copy less, and no
 * wait on crctl between its reads), else read and written here.
 * Return: as crctl_copy().
 */
static int crctl_copy_image(int in, int out, int *side,
			    unsigned long long *moved)
{
	struct stat st;

	if (!fstat(out, &st) && S_ISREG(st.st_mode)) {
		int ret;

		/* Interrupted (a stop signal too): it goes on where it was. */
		do
			ret = ioctl(in, CRFS_IOC_IMAGE_TO, &out);
		while (ret < 0 && errno == EINTR);
		if (ret >= 0) {
			*side = 1;	/* 0, or a write's errno */
			return -ret;
		}
		/* Not such a file for crfs, or an older crfs: read it. */
		if (errno != EOPNOTSUPP && errno != ENOTTY && errno != ENOSYS) {
			*side = 0;	/* the reason is in CT/error */
			return -errno;
		}
	}
	return crctl_copy(in, out, side, moved);
}

/* A command's options: --leave-frozen, --thaw, --kill, --wait, -o, -i. */
struct crctl_args {
	const char	*ct;
	const char	*file;
	const char	*after;		/* state word after the operation */
	int		wait;
	int		host_pid;	/* run: no pid namespace of its own */
	int		host_ipc;	/* run: keep the caller's IPC ns */
	int		shell_job;	/* checkpoint, restore: CT/shell_job */
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
		{ "host-pid",		no_argument,	   NULL, 'H' },
		{ "host-ipc",		no_argument,	   NULL, 'I' },
		{ "shell-job",		no_argument,	   NULL, 'J' },
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
		case 'I': a->host_ipc = 1; break;
		case 'o': case 'i': a->file = optarg; break;
		case 'H': a->host_pid = 1; break;
		case 'J': a->shell_job = 1; break;
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

/*
 * Where a checkpoint goes.  A file crctl creates is made mode 0600 (an image
 * holds the processes' memory) and is removed if the checkpoint fails; an
 * existing regular file is made 0600 before anything is written, emptied
 * when the image starts and emptied again if it fails.  Devices and FIFOs
 * are written as they are.
 */
struct crctl_out {
	const char	*name;		/* for messages: FILE or "stdout" */
	const char	*step;		/* what failed, when not the open or a write */
	int		fd;
	bool		made;		/* crctl created it */
	bool		regular;	/* an existing regular file */
	bool		started;	/* its old contents are gone */
};

/* Open @file ("-": stdout) for an image.  Return: 0 or -errno. */
static int crctl_out_open(struct crctl_out *o, const char *file)
{
	struct stat st;

	*o = (struct crctl_out){ .name = file, .fd = -1 };
	if (!strcmp(file, "-")) {
		o->name = "stdout";
		o->fd = STDOUT_FILENO;
		return 0;
	}
	o->fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (o->fd >= 0) {
		o->made = true;
		return 0;
	}
	if (errno != EEXIST)
		return -errno;
	o->fd = open(file, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (o->fd < 0)
		return -errno;
	if (fstat(o->fd, &st))
		return -errno;
	o->regular = S_ISREG(st.st_mode);
	if (o->regular && (st.st_mode & 07777) != 0600 && fchmod(o->fd, 0600)) {
		o->step = "cannot make it mode 0600";
		return -errno;
	}
	return 0;
}

/* The image starts: an existing regular file is emptied.  Return: 0 or -errno. */
static int crctl_out_start(struct crctl_out *o)
{
	o->started = true;
	if (o->regular && ftruncate(o->fd, 0)) {
		o->step = "cannot empty it";
		return -errno;
	}
	return 0;
}

/* The image is written: close the file.  Return: 0 or -errno. */
static int crctl_out_close(struct crctl_out *o)
{
	int fd = o->fd;

	o->fd = -1;
	if (fd != STDOUT_FILENO && close(fd))
		return -errno;
	return 0;
}

/* The checkpoint failed: remove the file crctl made, empty one it began. */
static void crctl_out_discard(struct crctl_out *o)
{
	if (o->made && unlink(o->name))
		warn("%s: cannot remove it", o->name);
	else if (o->regular && o->started && o->fd >= 0 && ftruncate(o->fd, 0))
		warn("%s: cannot empty it", o->name);
	if (o->fd > STDOUT_FILENO)
		close(o->fd);
	o->fd = -1;
}

/*
 * Freeze @ct unless it is frozen or on its way (*@froze: crctl asked), then
 * wait until it is.  Return: 0 or -errno (-ETIMEDOUT: not frozen in time).
 */
static int crctl_freeze_wait(const char *ct, bool *froze)
{
	char state[64];
	int ret;

	*froze = false;
	ret = crctl_read(ct, "state", state, sizeof(state));
	if (ret)
		return ret;
	if (!strcmp(state, "running") || !strcmp(state, "empty")) {
		ret = crctl_write(ct, "state", "freeze");
		if (ret)
			return ret;
		*froze = true;
	}
	return crctl_wait_event(ct, "frozen 1", CRCTL_FREEZE_TIMEOUT);
}

/* Write @word to CT/state, again while CT is busy (an image closing). */
static int crctl_write_state(const char *ct, const char *word)
{
	long deadline = crctl_now_ms() + CRCTL_BUSY_TIMEOUT;
	int ret;

	while ((ret = crctl_write(ct, "state", word)) == -EBUSY &&
	       crctl_now_ms() < deadline)
		usleep(20000);
	return ret;
}

/* A checkpoint failed: thaw @ct, which crctl froze; warn if it cannot. */
static void crctl_unfreeze(const char *ct)
{
	char reason[CRCTL_REASON];
	int ret;

	ret = crctl_write_state(ct, "thaw");
	if (ret) {
		crctl_reason(ct, "thaw", -ret, reason, sizeof(reason));
		warnx("%s: cannot thaw: %s", ct, reason);
	}
}

/*
 * checkpoint: the output first (a bad path touches nothing), then freeze,
 * then copy the image.  On failure CT is left as it was before: thawed if
 * crctl froze it, never killed; the output is discarded.
 */
static int crctl_checkpoint(int argc, char **argv)
{
	char path[PATH_MAX], reason[CRCTL_REASON];
	struct crctl_args a = { 0 };
	unsigned long long moved = 0;
	struct crctl_out out;
	bool froze = false;
	int in, ret, side = 1;

	crctl_parse(argc, argv, &a, "o:LTKJ");
	if (!a.file)
		errx(EXIT_FAILURE, "checkpoint: no output file given (-o FILE)");
	signal(SIGPIPE, SIG_IGN);	/* a reader gone: EPIPE, and a message */
	ret = crctl_out_open(&out, a.file);
	if (ret)
		goto out_file;
	if (a.shell_job && (ret = crctl_write(a.ct, "shell_job", "1"))) {
		crctl_reason(a.ct, "shell_job", -ret, reason, sizeof(reason));
		goto out_fail;
	}
	ret = crctl_freeze_wait(a.ct, &froze);
	if (ret)
		goto out_ct;
	in = open(crctl_path(path, sizeof(path), a.ct, "image"), O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		ret = -errno;
		goto out_ct;
	}
	ret = crctl_out_start(&out);
	if (!ret)
		ret = crctl_copy_image(in, out.fd, &side, &moved);
	close(in);		/* ends the transfer: CT stays frozen */
	if (!ret) {
		side = 1;
		ret = crctl_out_close(&out);
	}
	if (ret)
		goto out_side;
	if (a.after && (ret = crctl_write_state(a.ct, a.after)))
		crctl_fail(a.ct, a.after, -ret);
	return EXIT_SUCCESS;

out_side:
	if (!side)
		goto out_ct;
out_file:
	snprintf(reason, sizeof(reason), "%s: %s%s%s", out.name,
		 out.step ? out.step : "", out.step ? ": " : "", strerror(-ret));
	goto out_fail;
out_ct:
	if (ret == -ETIMEDOUT)
		snprintf(reason, sizeof(reason), "not frozen after %d s",
			 CRCTL_FREEZE_TIMEOUT / 1000);
	else
		crctl_reason(a.ct, "checkpoint", -ret, reason, sizeof(reason));
out_fail:
	warnx("%s: cannot checkpoint: %s", a.ct, reason);
	crctl_out_discard(&out);
	if (froze)
		crctl_unfreeze(a.ct);
	return EXIT_FAILURE;
}

/* mkdir @ct unless it exists.  Return: whether crctl made it. */
static bool crctl_mkdir(const char *ct, const char *what)
{
	char path[PATH_MAX];

	if (!mkdir(crctl_path(path, sizeof(path), ct, NULL), 0755))
		return true;
	if (errno != EEXIST)
		err(EXIT_FAILURE, "%s: cannot %s", ct, what);
	return false;
}

/* A restore failed: remove @ct, which crctl made (kill, wait, rmdir). */
static void crctl_remove(const char *ct)
{
	long deadline = crctl_now_ms() + CRCTL_BUSY_TIMEOUT;
	char path[PATH_MAX], reason[CRCTL_REASON];
	int ret;

	crctl_path(path, sizeof(path), ct, NULL);
	crctl_write_state(ct, "kill");
	crctl_wait_event(ct, "populated 0", CRCTL_BUSY_TIMEOUT);
	while ((ret = rmdir(path) ? -errno : 0) == -EBUSY && crctl_now_ms() < deadline)
		usleep(20000);
	if (ret && ret != -ENOENT) {
		crctl_reason(ct, "rmdir", -ret, reason, sizeof(reason));
		warnx("%s: cannot remove it: %s", ct, reason);
	}
}

/*
 * restore: make CT if missing, copy the image in.  The restore's result
 * comes with the write() of the image's last record or with close().  On
 * failure a CT that crctl made is removed; one that was there is left.
 */
static int crctl_restore(int argc, char **argv)
{
	char path[PATH_MAX], reason[CRCTL_REASON];
	struct crctl_args a = { 0 };
	unsigned long long moved = 0;
	int in, out, ret, side = 1;
	const char *name;
	bool made;

	crctl_parse(argc, argv, &a, "i:TJ");
	if (!a.file)
		errx(EXIT_FAILURE, "restore: no input file given (-i FILE)");
	name = strcmp(a.file, "-") ? a.file : "stdin";
	in = strcmp(a.file, "-") ? open(a.file, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	if (in < 0)
		err(EXIT_FAILURE, "%s: cannot restore: %s", a.ct, a.file);
	signal(SIGPIPE, SIG_IGN);
	made = crctl_mkdir(a.ct, "restore");
	if (a.shell_job && (ret = crctl_write(a.ct, "shell_job", "1"))) {
		crctl_reason(a.ct, "shell_job", -ret, reason, sizeof(reason));
		goto out_fail;
	}
	out = open(crctl_path(path, sizeof(path), a.ct, "image"), O_WRONLY | O_CLOEXEC);
	if (out < 0) {
		ret = -errno;
		goto out_ct;
	}
	ret = crctl_copy(in, out, &side, &moved);
	if (close(out) && !ret) {
		ret = -errno;
		side = 1;
	}
	if (ret && !side)
		goto out_file;
	if (ret)
		goto out_ct;
	if (!moved) {
		snprintf(reason, sizeof(reason), "%s: the image is empty", name);
		goto out_fail;
	}
	if (a.after && (ret = crctl_write_state(a.ct, a.after)))
		crctl_fail(a.ct, a.after, -ret);
	return EXIT_SUCCESS;

out_file:
	snprintf(reason, sizeof(reason), "%s: %s", name, strerror(-ret));
	goto out_fail;
out_ct:
	crctl_reason(a.ct, "restore", -ret, reason, sizeof(reason));
out_fail:
	warnx("%s: cannot restore: %s", a.ct, reason);
	if (made)
		crctl_remove(a.ct);
	return EXIT_FAILURE;
}

static int crctl_freeze(int argc, char **argv)
{
	struct crctl_args a = { 0 };
	int ret;

	crctl_parse(argc, argv, &a, "W");
	ret = crctl_write(a.ct, "state", "freeze");
	if (!ret && a.wait)
		ret = crctl_wait_event(a.ct, "frozen 1", CRCTL_FREEZE_TIMEOUT);
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

/* The first process of a pid namespace crctl runs: what it passes on. */
static pid_t crctl_child;

/* Pass a signal on to the command (pid 1 of its namespace). */
static void crctl_pass_signal(int sig)
{
	if (crctl_child > 0)
		kill(crctl_child, sig);
}

/*
 * run in a new pid namespace: the command is pid 1 there, a child of
 * crctl, which puts it in the container before it starts, waits for it
 * and exits as it did (128 + the signal that ended it).
 */
static int crctl_run_pidns(const struct crctl_args *a)
{
	static const int pass[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM,
				    SIGUSR1, SIGUSR2, SIGCONT, SIGWINCH };
	struct sigaction sa = { .sa_handler = crctl_pass_signal };
	int go[2], status, ret, null, own;
	char pid[32], c;

	if (pipe2(go, O_CLOEXEC))
		err(EXIT_FAILURE, "%s: pipe", a->ct);
	own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (own < 0)
		err(EXIT_FAILURE, "%s: /proc/self/ns/pid", a->ct);
	if (unshare(CLONE_NEWPID))
		err(EXIT_FAILURE, "%s: cannot make a pid namespace", a->ct);
	crctl_child = fork();
	if (crctl_child < 0)
		err(EXIT_FAILURE, "%s: fork", a->ct);
	/*
	 * crctl's own later children (none; but a sanitizer's helper at
	 * exit) in crctl's namespace again, where they can see crctl.
	 */
	if (crctl_child > 0 && setns(own, CLONE_NEWPID))
		err(EXIT_FAILURE, "%s: cannot go back to its pid namespace",
		    a->ct);
	if (crctl_child == 0) {
		/* In the container before the first instruction of CMD. */
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		/* SysV IPC of its own: crctl, outside, stays out of it. */
		if (!a->host_ipc && unshare(CLONE_NEWIPC))
			err(127, "%s: cannot make an IPC namespace", a->ct);
		close_range(3, ~0U, 0);
		execvp(a->cmd[0], a->cmd);
		err(127, "%s: cannot run %s", a->ct, a->cmd[0]);
	}
	close(go[0]);
	snprintf(pid, sizeof(pid), "%d\n", (int)crctl_child);
	ret = crctl_write(a->ct, "procs", pid);
	if (ret) {
		kill(crctl_child, SIGKILL);
		crctl_fail(a->ct, "run", -ret);
	}
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++)
		sigaction(pass[i], &sa, NULL);
	if (write(go[1], "g", 1) != 1)
		err(EXIT_FAILURE, "%s: cannot start %s", a->ct, a->cmd[0]);
	close(go[1]);
	/*
	 * Nothing of the container's stays open here: a description crctl
	 * shared with it (its stdout, a log) would tie it to a process
	 * outside, which a checkpoint refuses.
	 */
	close_range(3, ~0U, 0);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; null >= 0 && fd < 3; fd++)
		dup2(null, fd);
	if (null > 2)
		close(null);
	while (waitpid(crctl_child, &status, 0) < 0)
		if (errno != EINTR)
			err(EXIT_FAILURE, "%s: wait", a->ct);
	return WIFEXITED(status) ? WEXITSTATUS(status) :
	       128 + WTERMSIG(status);
}

static int crctl_run(int argc, char **argv)
{
	struct crctl_args a = { 0 };
	char pid[32];
	int ret;

	crctl_parse(argc, argv, &a, "+HI");
	if (!a.cmd[0])
		errx(EXIT_FAILURE, "run: no command given; try 'crctl --help'");
	crctl_mkdir(a.ct, "run");
	if (!a.host_pid)
		return crctl_run_pidns(&a);
	/* SysV IPC of its own: a namespace only the container is in. */
	if (!a.host_ipc && unshare(CLONE_NEWIPC))
		err(EXIT_FAILURE, "%s: cannot make an IPC namespace", a.ct);
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
