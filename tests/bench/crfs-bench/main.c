// SPDX-License-Identifier: GPL-2.0
/*
 * crfs-bench: checkpoint/restore speed of crfs and CRIU side by side,
 * against this machine's own limits, all measured in the same run.
 *
 *   crfs-bench [-m MNT -p FUSEPID [-X CRCTL]] [-c CRIU] [-F FILE -P FLOORPID]
 *              -x MEMPROG -d SHMDIR -w WORKDIR [-s MIB,...] [-r RUNS]
 *              [-k MIB] [-B CHUNK] [-S MS] [-R]
 *              [-T SHAPE,...] [-Y PROCSxMIB] [-Z THREADSxMIB]
 *
 * The engines (engines.c): crfs through crctl (-X), crfs through echo and
 * cat on the files of the mount (-m), CRIU (-c).  Each runs the same
 * memory program (-x) the same way (cycle.c), its images in SHMDIR/img.
 *
 * First, with -m and -X, the cold transfer: the first cycle through the
 * mount right after crfs-fuse mounted it (nothing has gone through it
 * yet), at -k MIB (default 64; 0: none); then CRIU's first cycle at the
 * same size.  These are shown apart and count in no median.
 *
 * Then for each size, RUNS times: the limits (limits.c), then one cycle
 * of each engine, the order turning by one engine each run, so that
 * noise and the pages left by the step before fall on every engine
 * alike.  -S pauses MS milliseconds before each block.  -R: no recycling
 * of memory before each measured step (see bench_recycle()).  -B: the
 * chunk of the limits' reads and writes (default 1 MiB, what cat and
 * crctl use on crfs image files).
 *
 * -T: the shapes measured (default proc,tree,threads): "proc" is the
 * single process at each size above (and the cold cycles); "tree" a
 * root and its children (-Y PROCSxMIB, default 100x1: MIB each),
 * "threads" one process of many threads (-Z THREADSxMIB, default 32x64),
 * each RUNS times after the sizes, alike (shapes.c).  A checkpoint of
 * these that crfs refuses, saying why, with the container intact, is
 * reported as not measured, not as a failure.
 *
 * A watchdog thread bounds each block (60 s + 1 s per 8 MiB): past it the
 * daemons FUSEPID and FLOORPID and everything we started are killed, and
 * the exit status is 3.  A CRIU failure is reported and CRIU is not run
 * again; a crfs failure ends the runs.  Exit status 0 when every crfs
 * cycle ran and every process crfs restored was intact, whatever the
 * speed.
 *
 * This file: options, the watchdog and signals, the runs; bench.h says
 * what the others hold.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

/* SIGINT, SIGTERM: kill what we started and leave with status 2. */
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
 * the daemons (-p, -P, started for this run): that aborts the connections.
 */
static _Atomic double bench_deadline;	/* 0: disarmed */
static pid_t bench_fuse_pid;
static pid_t bench_floor_pid;

/* The watchdog thread: past the deadline, give up with status 3. */
static void *bench_watchdog(void *arg)
{
	static const char msg[] = "crfs-bench: watchdog: a block of runs took too long, giving up\n";

	(void)arg;
	for (;;) {
		double d = bench_deadline;

		if (d > 0 && bench_now() > d) {
			if (bench_fuse_pid > 0)
				kill(bench_fuse_pid, SIGKILL);
			if (bench_floor_pid > 0)
				kill(bench_floor_pid, SIGKILL);
			bench_give_up(msg, sizeof(msg) - 1, 3);
		}
		bench_sleep_us(100000);
	}
	return NULL;
}

/* Give the watchdog a deadline for one block of @mib MiB; 0 disarms it. */
static void bench_watchdog_arm(size_t mib)
{
	bench_deadline = mib ? bench_now() + 60 + mib / 8.0 : 0;
}

/* VmHWM of @pid (crfs-fuse) in kB, or -1. */
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

/**
 * bench_engine_off() - why engine @e does not run (now)
 * @o: the options
 * @e: enum bench_engine_id
 *
 * Return: the reason, or NULL when it runs.
 */
const char *bench_engine_off(const struct bench_opts *o, int e)
{
	unsigned int needs = bench_engines[e].needs;

	if ((needs & BENCH_NEEDS_MNT) && !o->mnt)
		return "not run: no crfs mount";
	if ((needs & BENCH_NEEDS_CRCTL) && !o->crctl)
		return "not run: no crctl given";
	if ((needs & BENCH_NEEDS_CRIU) && !o->criu)
		return "not run: no criu given (make bench says why)";
	if ((needs & BENCH_NEEDS_CRIU) && o->criu_broke[0])
		return o->criu_broke;
	return NULL;
}

/**
 * bench_engine_cycle() - one cycle of an engine, under the watchdog
 * @o: the options
 * @e: enum bench_engine_id
 * @f: what the memory program is started as
 * @when: "cold", "run N", for the messages
 * @out: the outcome of the cycle
 *
 * A crfs failure is the run's; a CRIU failure stops CRIU only (noted in
 * o->criu_broke).
 *
 * Return: 0; 1 when CRIU failed or crfs refused (bench_cycle()); -1
 * when crfs failed.
 */
int bench_engine_cycle(struct bench_opts *o, int e, const struct bench_form *f,
		       const char *when, struct bench_outcome *out)
{
	size_t mib = bench_form_mib(f);
	const double *t = out->t;
	char what[64];
	int ret;

	if (f->shape == BSH_PROC)
		snprintf(what, sizeof(what), "%zu MiB", mib);
	else
		snprintf(what, sizeof(what), "%s", bench_shape_keys[f->shape]);
	bench_watchdog_arm(mib);
	ret = bench_cycle(o, &bench_engines[e], f, out);
	bench_watchdog_arm(0);
	if (ret < 0 && e == BE_CRIU) {
		snprintf(o->criu_broke, sizeof(o->criu_broke),
			 "failed at %s, %s (its messages are above)", what, when);
		fprintf(stderr, "crfs-bench: CRIU %s: not run again\n", o->criu_broke);
		return 1;
	}
	if (ret < 0)
		fprintf(stderr, "crfs-bench: %s failed at %s, %s\n",
			bench_engines[e].label, what, when);
	else if (ret > 0)
		fprintf(stderr, "crfs-bench: %s %s %s: refused, the container intact: %s\n",
			what, when, bench_engines[e].key, out->why);
	else
		fprintf(stderr, "crfs-bench: %s %s %s: checkpoint %.4f kill %.4f restore %.4f s\n",
			what, when, bench_engines[e].key, t[BS_CKPT], t[BS_KILL],
			t[BS_RESTORE]);
	return ret;
}

/* The cold cycles: crfs's first through the fresh mount, then CRIU's. */
static int bench_cold(struct bench_opts *o)
{
	static const int first[] = { BE_CRCTL, BE_CRIU };
	struct bench_cold *cold = &o->cold;
	struct bench_form f = { BSH_PROC, 1, cold->mib };
	struct bench_outcome out;

	if (!cold->mib || bench_engine_off(o, BE_CRCTL))
		return 0;
	for (size_t i = 0; i < sizeof(first) / sizeof(first[0]); i++) {
		int e = first[i], ret;

		if (bench_engine_off(o, e))
			continue;
		ret = bench_engine_cycle(o, e, &f, "cold", &out);
		if (ret < 0)
			return -1;
		cold->done[e] = !ret;
		memcpy(cold->t[e], out.t, sizeof(out.t));
	}
	return 0;
}

/* Measure one size: runs of limits and of each engine, interleaved. */
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

	for (int r = 0; r < o->runs && !ret; r++) {
		char when[32];
		int err;

		snprintf(when, sizeof(when), "run %d", r + 1);
		fprintf(stderr, "crfs-bench: %zu MiB %s\n", s->mib, when);
		bench_sleep_us(o->settle_ms * 1000L);
		bench_watchdog_arm(s->mib);
		err = bench_limits(o, s, src, len);
		bench_watchdog_arm(0);
		if (err < 0) {
			fprintf(stderr, "crfs-bench: limits, %zu MiB: %s\n",
				s->mib, strerror(-err));
			ret = -1;
			break;
		}
		for (int k = 0; k < BE_NR; k++) {
			struct bench_form f = { BSH_PROC, 1, s->mib };
			int e = (r + k) % BE_NR;
			struct bench_outcome out;

			if (bench_engine_off(o, e))
				continue;
			bench_sleep_us(o->settle_ms * 1000L);
			err = bench_engine_cycle(o, e, &f, when, &out);
			if (out.image_bytes)
				s->image_bytes[e] = out.image_bytes;
			if (err < 0) {
				ret = -1;
				break;
			}
			for (int i = 0; !err && i < BS_NR; i++)
				s->eng[e][i].t[s->eng[e][i].n++] = out.t[i];
		}
	}
	munmap(src, len);
	if (o->mnt && o->fuse_pid > 0)
		s->hwm_kb = bench_hwm(o->fuse_pid);
	return ret;
}

/* CRIU's version (criu --version: "Version: 4.2") into o->criu_version. */
static void bench_criu_version(struct bench_opts *o)
{
	const char *argv[] = { o->criu, "--version", NULL };
	char path[4096], text[256], *v;
	int fd = -1;

	snprintf(path, sizeof(path), "%s/criu.version", o->workdir);
	if (bench_exec(argv, NULL, path, 10) ||
	    bench_cat(&fd, path, text, sizeof(text)) < 0)
		text[0] = '\0';
	if (fd >= 0)
		close(fd);
	v = strstr(text, "Version: ");
	if (v) {
		v += 9;
		v[strcspn(v, "\n")] = '\0';
	}
	snprintf(o->criu_version, sizeof(o->criu_version), "%s", v ? v : "?");
}

/* Say how to call us and leave. */
static void bench_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-m MNT -p FUSEPID [-X CRCTL]] [-c CRIU] [-F FILE -P FLOORPID]\n"
		"          -x MEMPROG -d SHMDIR -w WORKDIR [-s MIB,...] [-r RUNS]\n"
		"          [-k MIB] [-B CHUNK] [-S MS] [-R]\n"
		"          [-T SHAPE,...] [-Y PROCSxMIB] [-Z THREADSxMIB]\n", prog);
	exit(EXIT_FAILURE);
}

/* Parse the command line into @o. */
static void bench_parse(struct bench_opts *o, int argc, char **argv)
{
	const char *sizes = "8,64,256,1024", *shapes = "proc,tree,threads";
	const char *tree = "100x1", *threads = "32x64";
	char *list, *tok, *save;
	int c;

	while ((c = getopt(argc, argv, "m:p:X:c:F:P:x:s:r:k:B:d:w:S:RT:Y:Z:")) != -1) {
		switch (c) {
		case 'm': o->mnt = optarg; break;
		case 'p': o->fuse_pid = atoi(optarg); break;
		case 'X': o->crctl = optarg; break;
		case 'c': o->criu = optarg; break;
		case 'F': o->floor = optarg; break;
		case 'P': o->floor_pid = atoi(optarg); break;
		case 'x': o->memprog = optarg; break;
		case 's': sizes = optarg; break;
		case 'r': o->runs = atoi(optarg); break;
		case 'k': o->cold.mib = strtoul(optarg, NULL, 0); break;
		case 'B': o->chunk = strtoul(optarg, NULL, 0); break;
		case 'd': o->shmdir = optarg; break;
		case 'w': o->workdir = optarg; break;
		case 'S': o->settle_ms = atoi(optarg); break;
		case 'R': o->no_recycle = true; break;
		case 'T': shapes = optarg; break;
		case 'Y': tree = optarg; break;
		case 'Z': threads = optarg; break;
		default: bench_usage(argv[0]);
		}
	}
	if (optind != argc || !o->memprog || !o->shmdir || !o->workdir ||
	    o->runs < 1 || o->runs > BENCH_MAX_RUNS || o->chunk < 4096 ||
	    o->chunk > BENCH_RING || o->settle_ms < 0 || o->cold.mib > 65536)
		bench_usage(argv[0]);
	/* the memory program runs in /: make our paths absolute */
	o->memprog = realpath(o->memprog, NULL);
	o->workdir = realpath(o->workdir, NULL);
	o->shmdir = realpath(o->shmdir, NULL);
	if (!o->memprog || !o->workdir || !o->shmdir) {
		fprintf(stderr, "crfs-bench: -x, -w or -d: %s\n", strerror(errno));
		exit(EXIT_FAILURE);
	}
	list = strdup(sizes);
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		struct bench_size *s = &o->sizes[o->nr_sizes];

		if (o->nr_sizes == BENCH_MAX_SIZES)
			bench_usage(argv[0]);
		s->mib = strtoul(tok, NULL, 0);
		s->hwm_kb = -1;
		o->nr_sizes++;
		if (!s->mib || s->mib > 65536)
			bench_usage(argv[0]);
	}
	free(list);
	if (bench_shapes_parse(o, shapes, tree, threads) < 0)
		bench_usage(argv[0]);
	if (!(o->shapes & (1U << BSH_PROC))) {
		o->nr_sizes = 0;	/* no single process: no sizes, no cold */
		o->cold.mib = 0;
	}
}

/* Measure the cold cycles and every size, print the report. */
int main(int argc, char **argv)
{
	struct bench_opts o = { .runs = 5, .chunk = BENCH_CHUNK, .cold.mib = 64 };
	struct sigaction sa = { .sa_handler = bench_on_signal };
	pthread_t watchdog;
	bool ok = true;

	bench_parse(&o, argc, argv);
	bench_loadavg(o.load_start, sizeof(o.load_start));
	syscall(SYS_close_range, 3U, ~0U, 0U);	/* strays from the shell */
	bench_set_workdir(o.workdir);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* criu restore -d leaves the restored process to us: reap it */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		perror("crfs-bench: PR_SET_CHILD_SUBREAPER");
	bench_fuse_pid = o.mnt ? o.fuse_pid : 0;
	bench_floor_pid = o.floor ? o.floor_pid : 0;
	if (pthread_create(&watchdog, NULL, bench_watchdog, NULL)) {
		fprintf(stderr, "crfs-bench: cannot start the watchdog\n");
		return EXIT_FAILURE;
	}
	if (bench_buf_init() < 0) {
		perror("crfs-bench: buffer");
		return EXIT_FAILURE;
	}
	snprintf(o.imgdir, sizeof(o.imgdir), "%s/img", o.shmdir);
	if (mkdir(o.imgdir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "crfs-bench: mkdir %s: %s\n", o.imgdir,
			strerror(errno));
		return EXIT_FAILURE;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (o.criu)
		bench_criu_version(&o);

	ok = !bench_cold(&o);
	for (int i = 0; i < o.nr_sizes && ok; i++)
		ok = !bench_size(&o, &o.sizes[i]);
	if (ok)
		ok = !bench_shapes_run(&o);
	bench_report(&o, ok);
	rmdir(o.imgdir);
	return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
