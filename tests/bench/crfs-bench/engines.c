// SPDX-License-Identifier: GPL-2.0
/*
 * crfs-bench: the engines, each a row of bench_engines[]: how it takes
 * the process in, checkpoints it into the image directory (killing it),
 * restores it from there (running), and lets go of what is left.
 *
 *   crctl  crfs through crctl:  crctl checkpoint CT -o DIR/image --kill,
 *          crctl restore CT2 -i DIR/image --thaw
 *   cat    crfs through the files as a shell user would: echo freeze >
 *          state, wait for "frozen 1" in events, cat image > DIR/image,
 *          echo kill > state; mkdir CT2, cat DIR/image > CT2/image,
 *          echo thaw > state (echo is a shell builtin: one write() here;
 *          cat is /bin/cat, run with the redirections a shell makes)
 *   criu   criu dump -t PID -D DIR, criu restore -d -D DIR
 *
 * Every command is a process of its own, started the same way (fork,
 * redirections, exec, wait on its pidfd): no engine is spared an exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

/* @buf = MNT/@ct[/@file]. */
static char *bench_ct_path(char *buf, size_t len, const struct bench_cyc *c,
			   const char *ct, const char *file)
{
	snprintf(buf, len, "%s/%s%s%s", c->o->mnt, ct, file ? "/" : "",
		 file ? file : "");
	return buf;
}

/* Say that command @cmd of engine @key on @pid failed with @ret (bench_exec()). */
static void bench_exec_fail(const char *cmd, const char *key, pid_t pid, int ret)
{
	char why[64];

	if (ret < 0)
		snprintf(why, sizeof(why), "%s", strerror(-ret));
	else if (ret > 128)
		snprintf(why, sizeof(why), "killed by signal %d", ret - 128);
	else
		snprintf(why, sizeof(why), "exit status %d", ret);
	fprintf(stderr, "crfs-bench: %s: %s of pid %d failed: %s\n", key, cmd,
		(int)pid, why);
}

/**
 * bench_ct_error() - what a container's error file says
 * @c: the cycle
 * @ct: the container
 * @buf: its text, NUL-terminated ("" after a success)
 * @len: size of @buf
 *
 * Return: 0, or a negative errno.
 */
int bench_ct_error(const struct bench_cyc *c, const char *ct, char *buf,
		   size_t len)
{
	char path[4096];
	int fd = -1, err;

	bench_ct_path(path, sizeof(path), c, ct, "error");
	err = bench_cat(&fd, path, buf, len);
	if (fd >= 0)
		close(fd);
	return err;
}

/* Print what container @ct's error file says, if anything. */
static void bench_ct_why(const struct bench_cyc *c, const char *ct)
{
	char text[2048];

	if (!bench_ct_error(c, ct, text, sizeof(text)) && text[0])
		fprintf(stderr, "crfs-bench: %s/%s/error says: %s%s", c->o->mnt,
			ct, text, text[strlen(text) - 1] == '\n' ? "" : "\n");
}

/* Write @word to @ct's state file; say why not. */
static int bench_ct_state(const struct bench_cyc *c, const char *ct,
			  const char *word)
{
	char path[4096], text[32];
	int err;

	snprintf(text, sizeof(text), "%s\n", word);
	err = bench_echo(bench_ct_path(path, sizeof(path), c, ct, "state"), text);
	if (err < 0) {
		fprintf(stderr, "crfs-bench: echo %s > %s: %s\n", word, path,
			strerror(-err));
		bench_ct_why(c, ct);
		return -1;
	}
	return 0;
}

/* Run a command of a crfs engine; on failure say why, with @ct's error. */
static int bench_crfs_exec(const struct bench_cyc *c, const char *ct,
			   const char *const argv[], const char *in,
			   const char *out)
{
	int ret = bench_exec(argv, in, out, bench_cmd_timeout(c->mib));

	if (!ret)
		return 0;
	bench_exec_fail(argv[0], c->e->key, c->pid, ret);
	bench_exec_why(argv[0]);
	bench_ct_why(c, ct);
	return -1;
}

/*
 * crfs: a container for the process: mkdir CT, echo PID > CT/procs; for
 * a tree each of its processes, the root first.
 */
static int bench_crfs_attach(struct bench_cyc *c)
{
	char path[4096], text[32];
	int err;

	if (mkdir(bench_ct_path(path, sizeof(path), c, c->cta, NULL), 0755) < 0) {
		fprintf(stderr, "crfs-bench: mkdir %s: %s\n", path, strerror(errno));
		return -1;
	}
	bench_ct_path(path, sizeof(path), c, c->cta, "procs");
	for (int i = 0; i < c->nr_pids; i++) {
		snprintf(text, sizeof(text), "%d\n", (int)c->pids[i]);
		err = bench_echo(path, text);
		if (err < 0) {
			fprintf(stderr, "crfs-bench: echo %d > %s: %s\n",
				(int)c->pids[i], path, strerror(-err));
			return -1;
		}
	}
	return 0;
}

/*
 * Copy the first line of @text from after @mark into @why: a reason of
 * crfs's error file, "REASON (ENAME)"; -1 if there is none (a timeout, an
 * errno alone: no refusal).
 */
static int bench_reason(const char *text, const char *mark, char *why,
			size_t len)
{
	const char *p = strstr(text, mark), *e;
	size_t n;

	if (!p)
		return -1;
	p += strlen(mark);
	n = strcspn(p, "\n");
	snprintf(why, len, "%.*s", (int)n, p);
	e = strrchr(why, '(');
	n = strlen(why);
	if (!e || e == why || e[-1] != ' ' || e[1] != 'E' || why[n - 1] != ')')
		return -1;
	return 0;
}

/* crctl refused: its reason, "CT: cannot checkpoint: REASON" on its stderr. */
static int bench_crctl_refusal(struct bench_cyc *c, char *why, size_t len)
{
	char text[2048];

	(void)c;
	if (bench_exec_said(text, sizeof(text)) < 0)
		return -1;
	return bench_reason(text, "cannot checkpoint: ", why, len);
}

/* A cat of CT/image refused: the reason, "checkpoint: REASON" in CT/error. */
static int bench_cat_refusal(struct bench_cyc *c, char *why, size_t len)
{
	char text[2048];

	if (bench_ct_error(c, c->cta, text, sizeof(text)) < 0 ||
	    strncmp(text, "checkpoint: ", 12))
		return -1;
	return bench_reason(text, "checkpoint: ", why, len);
}

/* crfs: echo kill > @ct/state, if @ct is there. */
static void bench_crfs_kill(struct bench_cyc *c, const char *ct)
{
	char path[4096];

	bench_ct_path(path, sizeof(path), c, ct, "state");
	if (!access(path, F_OK))
		bench_echo(path, "kill\n");
}

/* crfs: rmdir @ct, while it is busy with a dying process. */
static void bench_crfs_rmdir(struct bench_cyc *c, const char *ct)
{
	double end = bench_now() + 10;
	char path[4096];

	bench_ct_path(path, sizeof(path), c, ct, NULL);
	while (rmdir(path) < 0 && errno == EBUSY && bench_now() < end)
		bench_sleep_us(2000);
}

/*
 * crfs: kill what is left in both containers, wait until the process
 * (restored: a child of crfs-fuse's parent, not ours) has exited, remove
 * the containers.
 */
static void bench_crfs_release(struct bench_cyc *c)
{
	bench_crfs_kill(c, c->cta);
	bench_crfs_kill(c, c->ctb);
	bench_wait_all(c, false, 10);
	bench_crfs_rmdir(c, c->cta);
	bench_crfs_rmdir(c, c->ctb);
}

/* crctl checkpoint CT -o DIR/image --kill */
static int bench_crctl_checkpoint(struct bench_cyc *c)
{
	const char *argv[] = { c->o->crctl, "-r", c->o->mnt, "checkpoint",
			       c->cta, "-o", c->img, "--kill", NULL };

	return bench_crfs_exec(c, c->cta, argv, NULL, NULL);
}

/* crctl restore CT2 -i DIR/image --thaw */
static int bench_crctl_restore(struct bench_cyc *c)
{
	const char *argv[] = { c->o->crctl, "-r", c->o->mnt, "restore",
			       c->ctb, "-i", c->img, "--thaw", NULL };

	return bench_crfs_exec(c, c->ctb, argv, NULL, NULL);
}

/* echo freeze > state; wait "frozen 1"; cat image > DIR/image; echo kill > state */
static int bench_cat_checkpoint(struct bench_cyc *c)
{
	const char *argv[] = { "cat", NULL, NULL };
	char ct[4096], image[4096];
	double t0 = bench_now();
	int err;

	if (bench_ct_state(c, c->cta, "freeze") < 0)
		return -1;
	err = bench_wait_event(bench_ct_path(ct, sizeof(ct), c, c->cta, NULL),
			       "frozen", 1, 10);
	if (err < 0) {
		fprintf(stderr, "crfs-bench: %s: frozen 1: %s\n", ct, strerror(-err));
		return -1;
	}
	c->freeze = bench_now() - t0;
	argv[1] = bench_ct_path(image, sizeof(image), c, c->cta, "image");
	if (bench_crfs_exec(c, c->cta, argv, NULL, c->img) < 0)
		return -1;
	return bench_ct_state(c, c->cta, "kill");
}

/* mkdir CT2; cat DIR/image > CT2/image; echo thaw > CT2/state */
static int bench_cat_restore(struct bench_cyc *c)
{
	const char *argv[] = { "cat", c->img, NULL };
	char path[4096];

	if (mkdir(bench_ct_path(path, sizeof(path), c, c->ctb, NULL), 0755) < 0) {
		fprintf(stderr, "crfs-bench: mkdir %s: %s\n", path, strerror(errno));
		return -1;
	}
	bench_ct_path(path, sizeof(path), c, c->ctb, "image");
	if (bench_crfs_exec(c, c->ctb, argv, NULL, path) < 0)
		return -1;
	return bench_ct_state(c, c->ctb, "thaw");
}

/* CRIU: nothing to take the process in. */
static int bench_criu_attach(struct bench_cyc *c)
{
	(void)c;
	return 0;
}

/* Run criu with @argv; on failure say why, with the errors of its @log. */
static int bench_criu_exec(struct bench_cyc *c, const char *const argv[],
			   const char *log)
{
	char text[16384], *line, *save;
	int ret, fd = -1;

	ret = bench_exec(argv, NULL, NULL, bench_cmd_timeout(c->mib));
	if (!ret)
		return 0;
	bench_exec_fail(argv[1], c->e->key, c->pid, ret);
	bench_exec_why("criu");
	if (bench_cat(&fd, log, text, sizeof(text)) < 0)
		text[0] = '\0';
	if (fd >= 0)
		close(fd);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "Error"))
			fprintf(stderr, "crfs-bench: %s: %s\n", log, line);
	return -1;
}

/* criu dump -t PID -D DIR -o WORKDIR/criu-dump.log */
static int bench_criu_checkpoint(struct bench_cyc *c)
{
	char log[4096];
	const char *argv[] = { c->o->criu, "dump", "-t", c->pidstr, "-D",
			       c->o->imgdir, "-o", log, NULL };

	snprintf(log, sizeof(log), "%s/criu-dump.log", c->o->workdir);
	return bench_criu_exec(c, argv, log);
}

/* criu restore -d -D DIR -o WORKDIR/criu-restore.log */
static int bench_criu_restore(struct bench_cyc *c)
{
	char log[4096];
	const char *argv[] = { c->o->criu, "restore", "-d", "-D",
			       c->o->imgdir, "-o", log, NULL };

	snprintf(log, sizeof(log), "%s/criu-restore.log", c->o->workdir);
	return bench_criu_exec(c, argv, log);
}

/*
 * CRIU: kill the restored processes.  criu restore -d left the root to
 * the nearest subreaper, which we are (main()), and its children fall to
 * us when it dies: reap them all.
 */
static void bench_criu_release(struct bench_cyc *c)
{
	bool any = false;

	for (int i = 0; i < c->nr_pids; i++)
		any |= bench_is_memprog(c->o, c->pids[i]) &&
		       !kill(c->pids[i], SIGKILL);
	if (any)
		bench_wait_all(c, true, 10);
}

const struct bench_engine bench_engines[BE_NR] = {
	[BE_CRCTL] = {
		.key = "crctl", .label = "crfs (crctl)",
		.needs = BENCH_NEEDS_MNT | BENCH_NEEDS_CRCTL,
		.how = { "crctl checkpoint CT -o DIR/image --kill",
			 "crctl restore CT2 -i DIR/image --thaw" },
		.attach = bench_crfs_attach,
		.checkpoint = bench_crctl_checkpoint,
		.restore = bench_crctl_restore,
		.refusal = bench_crctl_refusal,
		.release = bench_crfs_release,
	},
	[BE_CAT] = {
		.key = "cat", .label = "crfs (echo/cat)", .needs = BENCH_NEEDS_MNT,
		.how = { "echo freeze > CT/state, wait for frozen 1 in CT/events,",
			 "cat CT/image > DIR/image, echo kill > CT/state",
			 "mkdir CT2, cat DIR/image > CT2/image, echo thaw > CT2/state" },
		.attach = bench_crfs_attach,
		.checkpoint = bench_cat_checkpoint,
		.restore = bench_cat_restore,
		.refusal = bench_cat_refusal,
		.release = bench_crfs_release,
	},
	[BE_CRIU] = {
		.key = "criu", .label = "CRIU", .needs = BENCH_NEEDS_CRIU,
		.how = { "criu dump -t PID -D DIR", "criu restore -d -D DIR" },
		.attach = bench_criu_attach,
		.checkpoint = bench_criu_checkpoint,
		.restore = bench_criu_restore,
		.release = bench_criu_release,
	},
};
