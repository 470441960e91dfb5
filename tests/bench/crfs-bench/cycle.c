// SPDX-License-Identifier: GPL-2.0
/*
 * crfs-bench: one crfs cycle through the files of a mount, as a user
 * would do it: start the memory program in a new container, freeze it,
 * checkpoint its image into SHMDIR, kill it, restore the image into a
 * second container, thaw it, and ask the restored process to check its
 * whole memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

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

/**
 * bench_cycle() - one crfs cycle: freeze, checkpoint, kill, restore, thaw, verify
 * @o: the options (-m gives the mount)
 * @s: the size; one time of each crfs figure is added to it
 * @run: the run's number, in the container names
 *
 * Return: 0, or -1 when something broke (said on stderr).
 */
int bench_cycle(struct bench_opts *o, struct bench_size *s, int run)
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
	bench_recycle(o, s->mib << 20);
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
	bench_recycle(o, s->mib << 20);
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
