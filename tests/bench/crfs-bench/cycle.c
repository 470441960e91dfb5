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

/* Start the memory program detached; wait until it is ready. */
static pid_t bench_spawn(const struct bench_opts *o, size_t mib,
			 const char *ready, const char *result)
{
	double end = bench_now() + 60;
	char arg[32];
	pid_t pid;

	unlink(ready);
	unlink(result);
	snprintf(arg, sizeof(arg), "%zu", mib);
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
		execl(o->memprog, o->memprog, arg, ready, result, (char *)NULL);
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

/* Is @pid (still) running the memory program?  Then it is ours. */
static bool bench_is_memprog(const struct bench_opts *o, pid_t pid)
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
	if (strncmp(text, "PASS ", 5) || !strstr(text, want)) {
		fprintf(stderr, "crfs-bench: %s: restored pid %d is wrong: %s",
			c->e->key, (int)c->pid, text);
		return -1;
	}
	return 0;
}

/**
 * bench_cycle() - one cycle of one engine: start, checkpoint, kill, restore, check
 * @o: the options
 * @e: the engine
 * @mib: the size of the process's written memory
 * @t: the times of the steps, filled on success
 * @image_bytes: the bytes of the image directory after the checkpoint
 *
 * Return: 0, or -1 when something broke (said on stderr).
 */
int bench_cycle(struct bench_opts *o, const struct bench_engine *e, size_t mib,
		double t[BS_NR], uint64_t *image_bytes)
{
	static unsigned int seq;
	struct bench_cyc c = { .o = o, .e = e, .mib = mib };
	char ready[4096], result[4096];
	double t0, t1, t2, t3, t4;
	int ret = -1, err;
	pid_t pid;

	seq++;
	snprintf(c.cta, sizeof(c.cta), "b%d-%s-%zum-%ua", (int)getpid(), e->key,
		 mib, seq);
	snprintf(c.ctb, sizeof(c.ctb), "b%d-%s-%zum-%ub", (int)getpid(), e->key,
		 mib, seq);
	snprintf(c.img, sizeof(c.img), "%s/image", o->imgdir);
	snprintf(ready, sizeof(ready), "%s/ready", o->workdir);
	snprintf(result, sizeof(result), "%s/result", o->workdir);
	bench_imgdir(o, true);

	pid = bench_spawn(o, mib, ready, result);
	if (pid < 0)
		return -1;
	c.pid = pid;
	snprintf(c.pidstr, sizeof(c.pidstr), "%d", (int)pid);
	if (e->attach(&c) < 0)
		goto out_release;

	bench_recycle(o, mib << 20);
	t0 = bench_now();
	if (e->checkpoint(&c) < 0)
		goto out_release;
	t1 = bench_now();
	err = bench_wait_exit(pid, true, 10);
	if (err < 0) {
		fprintf(stderr, "crfs-bench: %s: pid %d not gone 10 s after its checkpoint: %s\n",
			e->key, (int)pid, strerror(-err));
		goto out_release;
	}
	t2 = bench_now();
	*image_bytes = bench_imgdir(o, false);

	bench_recycle(o, mib << 20);
	t3 = bench_now();
	if (e->restore(&c) < 0)
		goto out_release;
	t4 = bench_now();
	if (bench_verify(&c, result) < 0)
		goto out_release;

	t[BS_CKPT] = t1 - t0;
	t[BS_KILL] = t2 - t1;
	t[BS_RESTORE] = t4 - t3;
	t[BS_RTRIP] = t[BS_CKPT] + t[BS_KILL] + t[BS_RESTORE];
	ret = 0;
out_release:
	e->release(&c);
	/* whatever is left of it (a failed step), and zombies handed to us */
	if (bench_is_memprog(o, pid) && !kill(pid, SIGKILL))
		bench_wait_exit(pid, false, 10);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	bench_track(pid, false);
	bench_imgdir(o, true);
	return ret;
}
