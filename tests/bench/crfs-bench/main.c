// SPDX-License-Identifier: GPL-2.0
/*
 * crfs-bench: checkpoint/restore speed against this machine's own limits.
 *
 *   crfs-bench [-m MNT -p FUSEPID] [-F FILE -P FLOORPID] -x MEMPROG
 *              [-s MIB,...] [-r RUNS] [-B BUFSIZE] [-d SHMDIR] [-w WORKDIR]
 *              [-T SECS] [-S MS] [-C]
 *
 * For each size, RUNS times (interleaved, so noise hits all figures alike):
 *
 *  limits   memcpy into freshly mapped memory, process_vm_readv into freshly
 *           mapped memory, writing a new file of that size in SHMDIR, and
 *           with -F reading that much of FILE, the file of a fuse-floor
 *           daemon (FLOORPID) that answers each read from memory: the
 *           floor of a checkpoint's read through FUSE;
 *  crfs     through the files of a crfs mount, as a user would:
 *           freeze (write state, wait "frozen 1" in events), checkpoint
 *           (image -> SHMDIR file), kill (write state, reap the pid),
 *           restore (SHMDIR file -> image of a new container), thaw (write
 *           state, wait "frozen 0"); then the restored process checks its
 *           whole memory (SIGUSR1) and must answer PASS.
 *
 * -T bounds the runs of one size (default 180 s + 4 s per 64 MiB a run);
 * past it the daemon FUSEPID and everything we started are killed, and the
 * exit status is 3 (FLOORPID is killed too).
 * -B copies the image in chunks of BUFSIZE; by default the chunk is what
 * cat uses: the larger st_blksize of the two files, at least 128 KiB.
 * -C measures every step with whatever pages it gets; by default the
 * same amount of memory is touched and freed just before each measured
 * step, so that each gets pages the VM has just used (see bench_recycle()).
 * -S pauses MS milliseconds before each block of limits and each crfs run,
 * so memory freed by one (gigabytes) is settled before the next starts.
 * Without -m only the limits are measured.  Prints a table and one
 * "bench: key=value ..." line per figure.  Exit status 0 when everything
 * ran and every restored process was intact, whatever the speed.
 *
 * This file: options, the watchdog and signals, the runs of one size;
 * bench.h says what the others hold.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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
 * the daemon (-p, started for this run): that aborts the connection.
 */
static _Atomic double bench_deadline;	/* 0: disarmed */
static pid_t bench_fuse_pid;
static pid_t bench_floor_pid;

/* The watchdog thread: past the deadline, give up with status 3. */
static void *bench_watchdog(void *arg)
{
	static const char msg[] = "crfs-bench: watchdog: a run took too long, giving up\n";

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

/* Give the watchdog a deadline @secs from now; 0 disarms it. */
static void bench_watchdog_arm(double secs)
{
	bench_deadline = secs > 0 ? bench_now() + secs : 0;
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

/* Measure one size: runs of limits and crfs cycles, interleaved. */
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

	bench_watchdog_arm(o->watchdog_secs ? (double)o->watchdog_secs :
			   BENCH_CYCLE_SECS + o->runs * (s->mib / 16.0 +
							  o->settle_ms / 500.0));
	for (int r = 0; r < o->runs; r++) {
		int err;

		bench_sleep_us(o->settle_ms * 1000L);
		err = bench_limits(o, s, src, len);

		if (err < 0) {
			fprintf(stderr, "crfs-bench: limits, %zu MiB: %s\n",
				s->mib, strerror(-err));
			ret = -1;
			break;
		}
		if (o->mnt)
			bench_sleep_us(o->settle_ms * 1000L);
		if (o->mnt && bench_cycle(o, s, r) < 0) {
			fprintf(stderr, "crfs-bench: crfs run %d of %zu MiB failed\n",
				r + 1, s->mib);
			ret = -1;
			break;
		}
		fprintf(stderr, "crfs-bench: %zu MiB run %d done\n", s->mib,
			r + 1);
	}
	bench_watchdog_arm(0);
	munmap(src, len);
	if (o->mnt && o->fuse_pid > 0)
		s->hwm_kb = bench_hwm(o->fuse_pid);
	return ret;
}

/* Say how to call us and leave. */
static void bench_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-m MNT -p FUSEPID] [-F FILE -P FLOORPID] -x MEMPROG\n"
		"          [-s MIB,...] [-r RUNS] [-B BUFSIZE] [-d SHMDIR] [-w WORKDIR]\n"
		"          [-T SECS] [-S MS] [-C]\n", prog);
	exit(EXIT_FAILURE);
}

/* Parse the command line into @o. */
static void bench_parse(struct bench_opts *o, int argc, char **argv)
{
	const char *sizes = "64,1024";
	char *list, *tok, *save;
	int c;

	while ((c = getopt(argc, argv, "m:p:F:P:x:s:r:B:d:w:T:S:C")) != -1) {
		switch (c) {
		case 'm': o->mnt = optarg; break;
		case 'p': o->fuse_pid = atoi(optarg); break;
		case 'F': o->floor = optarg; break;
		case 'P': o->floor_pid = atoi(optarg); break;
		case 'x': o->memprog = optarg; break;
		case 's': sizes = optarg; break;
		case 'r': o->runs = atoi(optarg); break;
		case 'B': o->bufsize = strtoul(optarg, NULL, 0); break;
		case 'd': o->shmdir = optarg; break;
		case 'w': o->workdir = optarg; break;
		case 'T': o->watchdog_secs = atoi(optarg); break;
		case 'S': o->settle_ms = atoi(optarg); break;
		case 'C': o->cold = true; break;
		default: bench_usage(argv[0]);
		}
	}
	if (optind != argc || !o->memprog || o->runs < 1 ||
	    o->runs > BENCH_MAX_RUNS || (o->bufsize && o->bufsize < 4096) || o->settle_ms < 0 ||
	    o->watchdog_secs < 0)
		bench_usage(argv[0]);
	/* the memory program runs in /: make our paths absolute */
	o->memprog = realpath(o->memprog, NULL);
	o->workdir = realpath(o->workdir, NULL);
	if (!o->memprog || !o->workdir) {
		fprintf(stderr, "crfs-bench: -x or -w: %s\n", strerror(errno));
		exit(EXIT_FAILURE);
	}
	list = strdup(sizes);
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o->nr_sizes == BENCH_MAX_SIZES)
			bench_usage(argv[0]);
		o->sizes[o->nr_sizes].mib = strtoul(tok, NULL, 0);
		o->sizes[o->nr_sizes].hwm_kb = -1;
		if (!o->sizes[o->nr_sizes++].mib)
			bench_usage(argv[0]);
	}
	free(list);
}

/* Measure every size, print the report; fails if a run broke. */
int main(int argc, char **argv)
{
	struct bench_opts o = {
		.shmdir = "/dev/shm", .workdir = "/tmp", .runs = 3,
		.bufsize = 0,	/* as cat */
	};
	struct sigaction sa = { .sa_handler = bench_on_signal };
	pthread_t watchdog;
	bool ok = true;

	bench_parse(&o, argc, argv);
	syscall(SYS_close_range, 3U, ~0U, 0U);	/* strays from the shell */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	bench_fuse_pid = o.mnt ? o.fuse_pid : 0;
	bench_floor_pid = o.floor ? o.floor_pid : 0;
	if (pthread_create(&watchdog, NULL, bench_watchdog, NULL)) {
		fprintf(stderr, "crfs-bench: cannot start the watchdog\n");
		return EXIT_FAILURE;
	}
	if (bench_buf_init(o.bufsize ? o.bufsize : BENCH_BUF_MAX) < 0) {
		perror("crfs-bench: copy buffer");
		return EXIT_FAILURE;
	}
	snprintf(bench_img, sizeof(bench_img), "%s/crfs-bench-%d.img",
		 o.shmdir, (int)getpid());
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (int i = 0; i < o.nr_sizes && ok; i++)
		ok = !bench_size(&o, &o.sizes[i]);
	bench_report(&o, ok);
	unlink(bench_img);
	return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
