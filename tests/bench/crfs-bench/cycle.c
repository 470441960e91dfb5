// SPDX-License-Identifier: GPL-2.0
/*
 * crfs-bench: one cycle of one engine, the same for every engine.
 *
 * The memory program is started detached as the peers' README starts a
 * process for CRIU and crfs alike (a new session, /dev/null for 0, 1
 * and 2, no other descriptor, cwd /): the engine takes it in (untimed),
 * then three steps are timed, each from the start of the engine's first
 * command to the return of its last:
 *
 *   checkpoint  the process running -> its image complete in the image
 *               directory, the process killed (crfs: freeze, image, kill;
 *               CRIU: dump, which kills)
 *   kill        -> the process reaped by us, its parent: its pid is free
 *   restore     -> the process running again from the image (crfs: new
 *               container, image, thaw; CRIU: restore -d)
 *
 * round trip = checkpoint + kill + restore.  Before the checkpoint and
 * before the restore the same amount of memory is recycled (untimed, see
 * bench_recycle()).  Then the restored process checks its whole memory
 * and its pid (SIGUSR1) and must answer PASS; the engine lets go of it.
 *
 * A tree (-p of the memory program) is the same with every process: the
 * kill step waits until each is reaped (the root by us, its parent, the
 * children by us too, the subreaper they fall to), and the root answers
 * for all.  A checkpoint of a tree or a threaded process that crfs
 * refuses, saying why in the container's error file, is no failure if
 * the container, thawed, is intact: the cycle reports the refusal.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

/**
 * bench_cmd_timeout() - how long one engine command of a size may take
 * @mib: the size
 *
 * Return: seconds.
 */
double bench_cmd_timeout(size_t mib)
{
	return 30 + mib / 16.0;
}

/* Bytes of the files of the image directory; with @rm, remove them. */
static uint64_t bench_imgdir(const struct bench_opts *o, bool rm)
{
	uint64_t bytes = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;

	d = opendir(o->imgdir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (!fstatat(dirfd(d), de->d_name, &st, 0))
			bytes += st.st_size;
		if (rm)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	return bytes;
}

/**
 * bench_form_mib() - the MiB of all the processes of a form
 * @f: the form
 *
 * Return: MiB.
 */
size_t bench_form_mib(const struct bench_form *f)
{
	return f->shape == BSH_TREE ? f->mib * f->nr : f->mib;
}

/* The memory program's command line for @f into @argv (7 slots). */
static void bench_memprog_argv(const struct bench_opts *o,
			       const struct bench_form *f, const char *argv[7],
			       char mib[32], char nr[32], const char *ready,
			       const char *result)
{
	int i = 0;

	snprintf(mib, 32, "%zu", f->mib);
	snprintf(nr, 32, "%d", f->nr);
	argv[i++] = o->memprog;
	if (f->shape != BSH_PROC) {
		argv[i++] = f->shape == BSH_TREE ? "-p" : "-t";
		argv[i++] = nr;
	}
	argv[i++] = mib;
	argv[i++] = ready;
	argv[i++] = result;
	argv[i] = NULL;
}

/* Start the memory program detached; wait until it is ready. */
static pid_t bench_spawn(const struct bench_opts *o, const struct bench_form *f,
			 const char *ready, const char *result)
{
	double end = bench_now() + 60;
	char arg[32], nr[32];
	const char *argv[7];
	pid_t pid;

	unlink(ready);
	unlink(result);
	bench_memprog_argv(o, f, argv, arg, nr, ready, result);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		int null = open("/dev/null", O_RDWR);

		setsid();
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
		    dup2(null, 2) < 0 || chdir("/") < 0)
			_exit(127);
		syscall(SYS_close_range, 3U, ~0U, 0U);
		execv(o->memprog, (char *const *)argv);
		_exit(127);
	}
	bench_track(pid, true);
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
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			bench_track(pid, false);
			return -ETIMEDOUT;
		}
		bench_sleep_us(1000);
	}
	return pid;
}

/**
 * bench_is_memprog() - is a process (still) running the memory program?
 * @o: the options
 * @pid: the process
 *
 * Return: true when it is: then it is ours (a zombie is not).
 */
bool bench_is_memprog(const struct bench_opts *o, pid_t pid)
{
	char path[64], exe[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n < 0)
		return false;
	exe[n] = '\0';
	return !strcmp(exe, o->memprog);
}

/*
 * The pids of a tree, from its READY file (the root's first): into
 * c->pids, each tracked.  A single process: its pid alone.
 */
static int bench_read_pids(struct bench_cyc *c, const char *ready)
{
	char text[BENCH_MAX_TREE * 12 + 64], *line, *save;
	int fd = -1, err;

	c->pids[0] = c->pid;
	c->nr_pids = 1;
	if (c->f->shape != BSH_TREE)
		return 0;
	err = bench_cat(&fd, ready, text, sizeof(text));
	if (fd >= 0)
		close(fd);
	if (err < 0) {
		fprintf(stderr, "crfs-bench: %s: %s\n", ready, strerror(-err));
		return -1;
	}
	c->nr_pids = 0;
	for (line = strtok_r(text, "\n", &save); line && c->nr_pids < c->f->nr;
	     line = strtok_r(NULL, "\n", &save)) {
		c->pids[c->nr_pids] = atoi(line);
		if (c->nr_pids)
			bench_track(c->pids[c->nr_pids], true);
		c->nr_pids++;
	}
	if (c->nr_pids != c->f->nr || c->pids[0] != c->pid) {
		fprintf(stderr, "crfs-bench: %s: %d pids, the first %d, not %d and %d\n",
			ready, c->nr_pids, (int)c->pids[0], c->f->nr, (int)c->pid);
		return -1;
	}
	return 0;
}

/**
 * bench_wait_all() - wait until every process of a cycle has exited
 * @c: the cycle
 * @child: reap each if it is our child (the root first: its children
 *         then fall to us, the subreaper)
 * @timeout: seconds, for all of them
 *
 * Return: 0, or the negative errno of the first that did not exit.
 */
int bench_wait_all(const struct bench_cyc *c, bool child, double timeout)
{
	double end = bench_now() + timeout;

	for (int i = 0; i < c->nr_pids; i++) {
		double left = end - bench_now();
		int err = bench_wait_exit(c->pids[i], child,
					  left > 0.001 ? left : 0.001);

		if (err < 0) {
			fprintf(stderr, "crfs-bench: %s: pid %d not gone after %.0f s: %s\n",
				c->e->key, (int)c->pids[i], timeout, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* Ask the restored process to check itself; 0 when it says PASS, same pid. */
static int bench_verify(const struct bench_cyc *c, const char *result)
{
	double end = bench_now() + 30 + c->mib / 64;
	char text[256], want[64];
	int fd = -1;

	unlink(result);
	if (kill(c->pid, SIGUSR1) < 0) {
		fprintf(stderr, "crfs-bench: %s: restored pid %d: %s\n",
			c->e->key, (int)c->pid, strerror(errno));
		return -1;
	}
	while (access(result, F_OK)) {
		if (bench_now() > end) {
			fprintf(stderr, "crfs-bench: %s: restored pid %d never answered\n",
				c->e->key, (int)c->pid);
			return -1;
		}
		bench_sleep_us(1000);
	}
	if (bench_cat(&fd, result, text, sizeof(text)) < 0)
		text[0] = '\0';
	if (fd >= 0)
		close(fd);
	unlink(result);
	snprintf(want, sizeof(want), " pid %d\n", (int)c->pid);
	if (strncmp(text, "PASS ", 5) || !strstr(text, want) ||
	    (c->f->shape != BSH_PROC && atoi(text + 5) != c->f->nr)) {
		fprintf(stderr, "crfs-bench: %s: restored pid %d is wrong: %s",
			c->e->key, (int)c->pid, text);
		return -1;
	}
	return 0;
}

/*
 * The checkpoint of a tree or a threaded process by crfs failed: a
 * refusal when crfs said why (the engine's refusal()) and the container,
 * thawed, is intact (1, the reason in @out); else a failure (-1).
 */
static int bench_refusal(struct bench_cyc *c, const char *result,
			 struct bench_outcome *out)
{
	char path[4096];

	if (c->f->shape == BSH_PROC || !c->e->refusal ||
	    c->e->refusal(c, out->why, sizeof(out->why)) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s/state", c->o->mnt, c->cta);
	bench_echo(path, "thaw\n");	/* crctl thawed it already: no matter */
	if (bench_verify(c, result) < 0) {
		fprintf(stderr, "crfs-bench: %s: refused (%s), but the container is not intact\n",
			c->e->key, out->why);
		return -1;
	}
	return 1;
}

/**
 * bench_cycle() - one cycle of one engine: start, checkpoint, kill, restore, check
 * @o: the options
 * @e: the engine
 * @f: what the memory program is started as
 * @out: the times of the steps, the image's bytes, the freeze, a refusal
 *
 * Return: 0; 1 when crfs refused to checkpoint a tree or threads (the
 * reason in @out->why; the container was intact); -1 when something
 * broke (said on stderr).
 */
int bench_cycle(struct bench_opts *o, const struct bench_engine *e,
		const struct bench_form *f, struct bench_outcome *out)
{
	static unsigned int seq;
	size_t mib = bench_form_mib(f);
	struct bench_cyc c = { .o = o, .e = e, .f = f, .mib = mib };
	char ready[4096], result[4096], tag[32];
	double t0, t1, t2, t3, t4;
	int ret = -1;
	pid_t pid;

	seq++;
	if (f->shape == BSH_PROC)
		snprintf(tag, sizeof(tag), "%zum", mib);
	else
		snprintf(tag, sizeof(tag), "%s", f->shape == BSH_TREE ? "tree" : "thr");
	snprintf(c.cta, sizeof(c.cta), "b%d-%s-%s-%ua", (int)getpid(), e->key,
		 tag, seq);
	snprintf(c.ctb, sizeof(c.ctb), "b%d-%s-%s-%ub", (int)getpid(), e->key,
		 tag, seq);
	snprintf(c.img, sizeof(c.img), "%s/image", o->imgdir);
	snprintf(ready, sizeof(ready), "%s/ready", o->workdir);
	snprintf(result, sizeof(result), "%s/result", o->workdir);
	bench_imgdir(o, true);
	out->freeze = 0;
	out->freezer = 0;
	out->image_bytes = 0;
	out->why[0] = '\0';

	pid = bench_spawn(o, f, ready, result);
	if (pid < 0)
		return -1;
	c.pid = pid;
	snprintf(c.pidstr, sizeof(c.pidstr), "%d", (int)pid);
	if (bench_read_pids(&c, ready) < 0 || e->attach(&c) < 0)
		goto out_release;
	/* the floor of the cat cycle's freeze, on a tree alike */
	out->freezer = 0;
	if (f->shape == BSH_TREE && e == &bench_engines[BE_CRCTL])
		out->freezer = bench_freezer(&c);

	bench_recycle(o, mib << 20);
	t0 = bench_now();
	if (e->checkpoint(&c) < 0) {
		out->freeze = c.freeze;
		ret = bench_refusal(&c, result, out);
		goto out_release;
	}
	t1 = bench_now();
	if (bench_wait_all(&c, true, 10) < 0)
		goto out_release;
	t2 = bench_now();
	out->image_bytes = bench_imgdir(o, false);
	out->freeze = c.freeze;

	bench_recycle(o, mib << 20);
	t3 = bench_now();
	if (e->restore(&c) < 0)
		goto out_release;
	t4 = bench_now();
	if (bench_verify(&c, result) < 0)
		goto out_release;

	out->t[BS_CKPT] = t1 - t0;
	out->t[BS_KILL] = t2 - t1;
	out->t[BS_RESTORE] = t4 - t3;
	out->t[BS_RTRIP] = out->t[BS_CKPT] + out->t[BS_KILL] + out->t[BS_RESTORE];
	ret = 0;
out_release:
	e->release(&c);
	/* whatever is left of it (a failed step), and zombies handed to us */
	for (int i = 0; i < c.nr_pids; i++)
		if (bench_is_memprog(o, c.pids[i]) && !kill(c.pids[i], SIGKILL))
			bench_wait_exit(c.pids[i], false, 10);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (c.nr_pids > 1)	/* the children that fell to us late */
		bench_wait_all(&c, true, 10);
	for (int i = 0; i < c.nr_pids; i++)
		bench_track(c.pids[i], false);
	bench_imgdir(o, true);
	return ret;
}
