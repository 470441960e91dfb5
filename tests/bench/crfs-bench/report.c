// SPDX-License-Identifier: GPL-2.0
/*
 * crfs-bench: the report.  Every figure in one table (key, label, limit);
 * for each size a table of best and median times with rates and ratios to
 * the limit, then the targets judged PASS or MISS, then one
 * "bench: key=value ..." line per figure for machines to read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"

/* Every figure: key, label, needs the mount, moves bytes, its limit. */
const struct bench_fig_desc bench_figs[BF_NR] = {
	[BF_MEMCPY]  = { "memcpy",  "limit: memcpy into fresh memory",	false, true, -1 },
	[BF_PVR]     = { "pvr",     "limit: process_vm_readv into fresh",	false, true, -1 },
	[BF_SHMW]    = { "shmw",    "limit: write a new /dev/shm file",	false, true, -1 },
	[BF_FUSE]    = { "fuseread", "limit: FUSE read, 1 MiB from memory",	false, true, -1 },
	[BF_FREEZE]  = { "freeze",  "crfs: freeze (until frozen 1)",	true, false, -1 },
	[BF_CKPT]    = { "ckpt",    "crfs: checkpoint image -> shm",	true, true, BF_SHMW },
	[BF_KILL]    = { "kill",    "crfs: kill + reap",			true, false, -1 },
	[BF_RESTORE] = { "restore", "crfs: restore shm -> image",		true, true, BF_MEMCPY },
	[BF_THAW]    = { "thaw",    "crfs: thaw (until frozen 0)",		true, false, -1 },
	[BF_RTRIP]   = { "rtrip",   "crfs: round trip (sum of the 5)",	true, false, -1 },
};

/* qsort() order of times. */
static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Best (smallest) and median time of figure @f; false if never measured. */
static bool bench_stats(const struct bench_size *s, int f, double *best,
			double *median)
{
	double v[BENCH_MAX_RUNS];
	int n = s->n[f];

	if (!n)
		return false;
	memcpy(v, s->t[f], n * sizeof(v[0]));
	qsort(v, n, sizeof(v[0]), bench_cmp);
	*best = v[0];
	*median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return true;
}

/* 10^6 bytes a second of the size's memory moved in @secs; 0 if none. */
static double bench_mbps(const struct bench_size *s, double secs)
{
	return secs > 0 ? s->mib * 1048576.0 / secs / 1e6 : 0;
}

/* Size tag of the machine lines: 64m, 1g. */
static void bench_tag(const struct bench_size *s, char *buf, size_t len)
{
	if (s->mib >= 1024 && !(s->mib % 1024))
		snprintf(buf, len, "%zug", s->mib / 1024);
	else
		snprintf(buf, len, "%zum", s->mib);
}

/* A target's verdict. */
static const char *bench_verdict(bool ok)
{
	return ok ? "PASS" : "MISS";
}

/* The table rows of one size. */
static void bench_table_size(const struct bench_opts *o,
			     const struct bench_size *s)
{
	char tag[32];

	bench_tag(s, tag, sizeof(tag));
	printf("\n%s: %zu MiB of written anonymous memory", tag, s->mib);
	if (s->image_bytes)
		printf(", image %.1f MiB", s->image_bytes / 1048576.0);
	printf(", %d runs\n", o->runs);
	printf("  %-36s %8s %6s %8s %6s  %s\n", "figure", "best s", "MB/s",
	       "median s", "MB/s", "ratio to limit: best, median");
	for (int f = 0; f < BF_NR; f++) {
		const struct bench_fig_desc *d = &bench_figs[f];
		double best, med, lbest, lmed;

		if (!bench_stats(s, f, &best, &med))
			continue;
		if (d->rate)
			printf("  %-36s %8.4f %6.0f %8.4f %6.0f", d->label,
			       best, bench_mbps(s, best), med,
			       bench_mbps(s, med));
		else
			printf("  %-36s %8.4f %6s %8.4f %6s", d->label, best,
			       "", med, "");
		if (d->limit >= 0 && bench_stats(s, d->limit, &lbest, &lmed))
			printf("  %.2f, %.2f of %s", lbest / best, lmed / med,
			       bench_figs[d->limit].key);
		printf("\n");
	}
	if (s->hwm_kb >= 0 && o->mnt)
		printf("  %-36s %8ld kB\n", "crfs-fuse VmHWM after these runs",
		       s->hwm_kb);
}

/*
 * The checkpoint's floor, FUSE read + /dev/shm write: the best and median
 * runs of each added in @floor, false if either was not measured.
 */
static bool bench_ckpt_floor(const struct bench_size *s, double floor[2])
{
	double fb, fm, wb, wm;

	if (!bench_stats(s, BF_FUSE, &fb, &fm) ||
	    !bench_stats(s, BF_SHMW, &wb, &wm))
		return false;
	floor[0] = fb + wb;
	floor[1] = fm + wm;
	return true;
}

/*
 * The floor lines of one size: the checkpoint's floor and its ratio to the
 * checkpoint (floor time / checkpoint time), and the round trip's limits
 * with the FUSE read added.
 */
static void bench_lines_floor(const struct bench_opts *o,
			      const struct bench_size *s, const char *tag)
{
	double floor[2], b, m;

	if (!bench_ckpt_floor(s, floor))
		return;
	printf("bench: ckpt_floor_%s_s=%.6f ckpt_floor_%s_median_s=%.6f",
	       tag, floor[0], tag, floor[1]);
	if (o->mnt && bench_stats(s, BF_CKPT, &b, &m))
		printf(" ckpt_floor_%s_ratio=%.3f ckpt_floor_%s_median_ratio=%.3f",
		       tag, floor[0] / b, tag, floor[1] / m);
	if (o->mnt && bench_stats(s, BF_MEMCPY, &b, &m))
		printf(" rtrip_fuse_floor_%s_s=%.6f rtrip_fuse_floor_%s_median_s=%.6f",
		       tag, floor[0] + b, tag, floor[1] + m);
	printf("\n");
}

/* One "bench: key=value ..." line per figure of one size. */
static void bench_lines_size(const struct bench_opts *o,
			     const struct bench_size *s)
{
	double best, med, lbest, lmed;
	char tag[32];

	bench_tag(s, tag, sizeof(tag));
	for (int f = 0; f < BF_NR; f++) {
		const struct bench_fig_desc *d = &bench_figs[f];

		if (!bench_stats(s, f, &best, &med))
			continue;
		printf("bench: %s_%s_s=%.6f %s_%s_median_s=%.6f", d->key, tag,
		       best, d->key, tag, med);
		if (d->rate)
			printf(" %s_%s_mbps=%.0f %s_%s_median_mbps=%.0f", d->key,
			       tag, bench_mbps(s, best), d->key, tag,
			       bench_mbps(s, med));
		if (d->limit >= 0 && bench_stats(s, d->limit, &lbest, &lmed))
			printf(" %s_%s_ratio=%.3f %s_%s_median_ratio=%.3f %s_%s_limit=%s",
			       d->key, tag, lbest / best, d->key, tag,
			       lmed / med, d->key, tag,
			       bench_figs[d->limit].key);
		printf("\n");
	}
	if (s->hwm_kb >= 0 && o->mnt)
		printf("bench: fuse_hwm_%s_kb=%ld\n", tag, s->hwm_kb);
	if (o->mnt && bench_stats(s, BF_SHMW, &best, &med) &&
	    bench_stats(s, BF_MEMCPY, &lbest, &lmed))
		printf("bench: rtrip_floor_%s_s=%.6f rtrip_floor_%s_median_s=%.6f\n",
		       tag, best + lbest, tag, med + lmed);
	bench_lines_floor(o, s, tag);
}

/*
 * For scale: what the checkpoint cannot beat here, reading through FUSE
 * plus writing the new /dev/shm file, for 1g (else the largest size).
 */
static void bench_report_floor(const struct bench_opts *o)
{
	const struct bench_size *s = NULL;
	double floor[2], b, m;
	char tag[32];

	for (int i = 0; i < o->nr_sizes; i++) {
		const struct bench_size *t = &o->sizes[i];

		if (!bench_ckpt_floor(t, floor) || !bench_stats(t, BF_CKPT, &b, &m))
			continue;
		if (!s || (s->mib != 1024 && (t->mib == 1024 || t->mib > s->mib)))
			s = t;
	}
	if (!s)
		return;
	bench_ckpt_floor(s, floor);
	bench_stats(s, BF_CKPT, &b, &m);
	bench_tag(s, tag, sizeof(tag));
	printf("\ncheckpoint floor here: FUSE read + shm write = %.3f s; crfs checkpoint is at %.0f%% of that (%s, best runs, %.3f s)\n",
	       floor[0], floor[0] / b * 100, tag, b);
}

/* The targets, each PASS or MISS. */
static void bench_report_targets(const struct bench_opts *o)
{
	const struct bench_size *s64 = NULL, *s1g = NULL;
	double b, m, lb, lm, floor[2];

	for (int i = 0; i < o->nr_sizes; i++) {
		if (o->sizes[i].mib == 64)
			s64 = &o->sizes[i];
		if (o->sizes[i].mib == 1024)
			s1g = &o->sizes[i];
	}
	printf("\ntargets (judged on the best run; the machine is shared):\n");
	if (s1g && bench_stats(s1g, BF_CKPT, &b, &m) &&
	    bench_stats(s1g, BF_SHMW, &lb, &lm))
		printf("  %s 1g checkpoint at >= %.0f%% of the /dev/shm write limit: %.0f%%\n",
		       bench_verdict(lb / b >= BENCH_RATIO_TARGET),
		       BENCH_RATIO_TARGET * 100, lb / b * 100);
	if (s1g && bench_stats(s1g, BF_RESTORE, &b, &m) &&
	    bench_stats(s1g, BF_MEMCPY, &lb, &lm))
		printf("  %s 1g restore at >= %.0f%% of the memcpy-into-fresh limit: %.0f%%\n",
		       bench_verdict(lb / b >= BENCH_RATIO_TARGET),
		       BENCH_RATIO_TARGET * 100, lb / b * 100);
	if (s64 && bench_stats(s64, BF_RTRIP, &b, &m))
		printf("  %s 64m round trip under %.0f ms: %.1f ms (median %.1f ms)\n",
		       bench_verdict(b < BENCH_RTRIP_TARGET),
		       BENCH_RTRIP_TARGET * 1000, b * 1000, m * 1000);
	if (s64 && bench_stats(s64, BF_SHMW, &b, &m) &&
	    bench_stats(s64, BF_MEMCPY, &lb, &lm))
		printf("       (the limits alone take %.1f ms: a new /dev/shm file for the\n"
		       "        checkpoint plus fresh memory for the restore, best runs)\n",
		       (b + lb) * 1000);
	if (s64 && bench_ckpt_floor(s64, floor) &&
	    bench_stats(s64, BF_MEMCPY, &lb, &lm))
		printf("       (%.1f ms with the checkpoint's FUSE read floor added)\n",
		       (floor[0] + lb) * 1000);
	if (s64 && s1g && s64->hwm_kb > 0 && s1g->hwm_kb > 0)
		printf("  %s crfs-fuse VmHWM does not grow with the image: %ld kB after 64m, %ld kB after 1g\n",
		       bench_verdict((s1g->hwm_kb - s64->hwm_kb) * 1024L <=
				     (long)BENCH_HWM_SLACK),
		       s64->hwm_kb, s1g->hwm_kb);
	bench_report_floor(o);
}

/**
 * bench_report() - print the whole report on stdout
 * @o: the options and the measured sizes
 * @crfs_ok: every crfs cycle ran and was intact: the targets are judged
 */
void bench_report(const struct bench_opts *o, bool crfs_ok)
{
	struct utsname u;

	uname(&u);
	printf("\ncrfs-bench: kernel %s, %ld cpus, copy buffer %zu KiB%s, image in %s\n",
	       u.release, sysconf(_SC_NPROCESSORS_ONLN),
	       (o->bufsize ? o->bufsize : bench_cat_bufsize()) >> 10,
	       o->bufsize ? "" : " (as cat: the larger st_blksize, at least 128 KiB)",
	       o->shmdir);
	printf("MB/s = 10^6 bytes of process memory per second.  Ratios are limit time / crfs time:\n"
	       "  checkpoint vs. writing a new /dev/shm file: the daemon reads the process into\n"
	       "  a reused buffer, so the only fresh pages a checkpoint must get are the image\n"
	       "  file's; process_vm_readv into fresh memory is shown for scale only.\n"
	       "  restore vs. memcpy into fresh memory: the image is already in memory, and the\n"
	       "  restored process's pages are fresh, filled by one copy at best.\n"
	       "For scale, CRIU 4.2 on this machine: 64m dump 0.14 s, restore 0.09 s;\n"
	       "  1g dump 1.4 s, restore 1.4 s.\n");
	if (o->floor)
		printf("FUSE read: a daemon that answers each 1 MiB read from one static buffer\n"
		       "  (fuse-floor): what the kernel and libfuse cost a checkpoint's read side,\n"
		       "  with no engine.  A checkpoint cannot beat FUSE read + /dev/shm write.\n");
	printf(o->cold ?
	       "Pages as they fall (-C): a step may get pages the VM reported free to the\n"
	       "  host (slower) or pages just freed by the step before.\n" :
	       "Every measured step, limit or crfs, starts on pages the VM has just used: the\n"
	       "  same amount is touched and freed before it (freed memory is reported to the\n"
	       "  host after ~2 s and costs a host fault when handed out again; -C: as they fall).\n");
	for (int i = 0; i < o->nr_sizes; i++)
		bench_table_size(o, &o->sizes[i]);
	if (o->mnt && crfs_ok)
		bench_report_targets(o);
	if (!o->mnt)
		printf("\n(no mount given: limits only)\n");
	printf("\n");
	for (int i = 0; i < o->nr_sizes; i++)
		bench_lines_size(o, &o->sizes[i]);
}
