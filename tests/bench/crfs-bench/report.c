// SPDX-License-Identifier: GPL-2.0
/*
 * crfs-bench: the report.  Every figure printed was measured in this run:
 * the header says what was run and how; the cold cycles; for each size
 * the engines' steps (median, min, max) with CRIU/crfs ratios of the
 * medians, and the limits; then the ratios of every size side by side,
 * the targets judged on medians, and one "bench: key=value ..." line per
 * figure for machines to read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"

static const struct bench_row bench_limit_rows[BL_NR] = {
	[BL_MEMCPY] = { "memcpy",   "memcpy into fresh memory" },
	[BL_FILL]   = { "fill",     "the fill (process_vm_writev)" },
	[BL_SHMW]   = { "shmw",     "write a new /dev/shm file" },
	[BL_FUSE]   = { "fuseread", "FUSE read from memory" },
};

const struct bench_row bench_step_rows[BS_NR] = {
	[BS_CKPT]    = { "ckpt",    "checkpoint" },
	[BS_KILL]    = { "kill",    "kill" },
	[BS_RESTORE] = { "restore", "restore" },
	[BS_RTRIP]   = { "rtrip",   "round trip" },
};

/* The crfs engines CRIU is compared with, in table order. */
static const int bench_crfs_engines[] = { BE_CRCTL, BE_CAT };
#define BENCH_NR_CRFS	(sizeof(bench_crfs_engines) / sizeof(int))

/**
 * bench_loadavg() - the load averages of the machine, as /proc/loadavg says
 * @buf: "1-min 5-min 15-min", or "?"
 * @len: its size
 */
void bench_loadavg(char *buf, size_t len)
{
	double l[3];
	FILE *f = fopen("/proc/loadavg", "re");

	snprintf(buf, len, "?");
	if (f && fscanf(f, "%lf %lf %lf", &l[0], &l[1], &l[2]) == 3)
		snprintf(buf, len, "%.2f %.2f %.2f", l[0], l[1], l[2]);
	if (f)
		fclose(f);
}

/* Is /run a tmpfs, where CRIU keeps its kernel-probe cache (kdat)? */
static bool bench_run_tmpfs(void)
{
	struct statfs st;

	return !statfs("/run", &st) && st.f_type == TMPFS_MAGIC;
}

/* qsort() order of times. */
static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/**
 * bench_stats() - median, min and max of a series
 * @ser: the series
 * @med: its median
 * @min: its least, or NULL
 * @max: its greatest, or NULL
 *
 * Return: false if never measured.
 */
bool bench_stats(const struct bench_series *ser, double *med,
			double *min, double *max)
{
	double v[BENCH_MAX_RUNS];
	int n = ser->n;

	if (!n)
		return false;
	memcpy(v, ser->t, n * sizeof(v[0]));
	qsort(v, n, sizeof(v[0]), bench_cmp);
	*med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	if (min)
		*min = v[0];
	if (max)
		*max = v[n - 1];
	return true;
}

/**
 * bench_median() - median of a series
 * @ser: the series
 *
 * Return: its median, or 0 if never measured.
 */
double bench_median(const struct bench_series *ser)
{
	double m;

	return bench_stats(ser, &m, NULL, NULL) ? m : 0;
}

/* 10^6 bytes a second of @mib MiB of process memory moved in @secs. */
static double bench_mbps(size_t mib, double secs)
{
	return secs > 0 ? mib * 1048576.0 / secs / 1e6 : 0;
}

/* Size tag of the machine lines: 64m, 1g. */
static const char *bench_tag(size_t mib)
{
	static char buf[4][32];
	static int i;
	char *p = buf[i++ % 4];

	if (mib >= 1024 && !(mib % 1024))
		snprintf(p, 32, "%zug", mib / 1024);
	else
		snprintf(p, 32, "%zum", mib);
	return p;
}

/**
 * bench_label() - the label of an engine in the tables (CRIU with its version)
 * @o: the options
 * @e: enum bench_engine_id
 *
 * Return: the label, in a static buffer for CRIU.
 */
const char *bench_label(const struct bench_opts *o, int e)
{
	static char buf[96];

	if (e != BE_CRIU || !o->criu_version[0])
		return bench_engines[e].label;
	snprintf(buf, sizeof(buf), "%s %s", bench_engines[e].label,
		 o->criu_version);
	return buf;
}

/* The size measured at @mib MiB, or NULL. */
static const struct bench_size *bench_find(const struct bench_opts *o,
					   size_t mib)
{
	for (int i = 0; i < o->nr_sizes; i++)
		if (o->sizes[i].mib == mib)
			return &o->sizes[i];
	return NULL;
}

/* CRIU/crfs of the medians of step @st at @s for crfs engine @e; 0: none. */
static double bench_ratio(const struct bench_size *s, int e, int st)
{
	double crfs = bench_median(&s->eng[e][st]);
	double criu = bench_median(&s->eng[BE_CRIU][st]);

	return crfs > 0 && criu > 0 ? criu / crfs : 0;
}

/* The header: the machine, the engines, how the steps are timed. */
static void bench_header(const struct bench_opts *o)
{
	char thp[128] = "?", load[64], *a, *b;
	struct utsname u;
	FILE *f;

	uname(&u);
	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	if (f) {
		if (fgets(thp, sizeof(thp), f) && (a = strchr(thp, '[')) &&
		    (b = strchr(a, ']'))) {
			*b = '\0';
			memmove(thp, a + 1, strlen(a + 1) + 1);
		}
		fclose(f);
	}
	bench_loadavg(load, sizeof(load));
	printf("\ncrfs-bench: kernel %s, %ld cpus, transparent hugepages %s,\n"
	       "  load average %s at the start, %s at the end,\n"
	       "  %d runs a size, images in %s (every engine's);\n"
	       "  every figure below was measured in this run\n",
	       u.release, sysconf(_SC_NPROCESSORS_ONLN), thp, o->load_start, load,
	       o->runs, o->imgdir);
	printf("engines, each command a process of its own, on the same program started the\n"
	       "same way (detached: new session, /dev/null for 0-2, no other descriptor):\n");
	for (int e = 0; e < BE_NR; e++) {
		const char *why = bench_engine_off(o, e);

		for (int i = 0; i < 4 && bench_engines[e].how[i]; i++)
			printf("  %-16s %s\n", i ? "" : bench_label(o, e),
			       bench_engines[e].how[i]);
		if (why)
			printf("  %-16s %s\n", "", why);
	}
	if (o->criu && !bench_run_tmpfs())
		printf("  (CRIU keeps its cache of kernel probes only on a tmpfs /run; /run is not\n"
		       "  one here, so every criu command probes the kernel again: a fixed cost)\n");
	printf("steps, timed alike for every engine from the start of its first command to\n"
	       "the end of its last: checkpoint = from running until the image is complete\n"
	       "and the process killed; kill = until we, its parent, reaped it (its pid is\n"
	       "free); restore = until it runs again from the image; round trip = the sum.\n"
	       "Each restored process then checks its whole memory and its pid (untimed) and\n"
	       "must say PASS.  Times in seconds: median [min..max]; MB/s = 10^6 bytes of the\n"
	       "process's memory a second, at the median.  CRIU/crfs = CRIU's median / crfs's\n"
	       "median: above 1, crfs is faster.\n");
	printf("limits, measured in the same runs: memcpy into fresh memory; the fill:\n"
	       "  process_vm_writev from a reused 4 MiB buffer into another process's freshly\n"
	       "  mapped, never touched memory, 1 MiB a call, as a restore fills; a new\n"
	       "  /dev/shm file written in 1 MiB chunks, where a checkpoint's image lands;\n"
	       "  a FUSE read from a daemon answering each 1 MiB read from memory\n"
	       "  (fuse-floor): what a checkpoint's read costs with no engine.\n");
	printf(o->no_recycle ?
	       "Pages as they fall (-R): a step may get pages the VM reported free to the\n"
	       "  host (slower) or pages just freed by the step before.\n" :
	       "Every measured step, limit or engine, starts on pages the VM has just used:\n"
	       "  the same amount is touched and freed before it, untimed (freed memory is\n"
	       "  reported to the host after ~2 s and costs a host fault when handed out again).\n");
}

/* The cold cycles, with the warm medians of the same size beside them. */
static void bench_report_cold(const struct bench_opts *o)
{
	const struct bench_cold *c = &o->cold;
	const struct bench_size *s = bench_find(o, c->mib);

	if (!c->done[BE_CRCTL] && !c->done[BE_CRIU])
		return;
	printf("\ncold, %zu MiB: the first cycle through crfs-fuse right after it mounted, before\n"
	       "any other transfer; then CRIU's first cycle of this run (one run each, in no\n"
	       "median; warm: the median of the runs of %zu MiB below)\n", c->mib, c->mib);
	printf("  %-22s %10s %10s %10s %10s\n", "engine", "checkpoint", "kill",
	       "restore", "round trip");
	for (int e = 0; e < BE_NR; e++) {
		if (!c->done[e])
			continue;
		printf("  %-22s", bench_label(o, e));
		for (int st = 0; st < BS_NR; st++)
			printf(" %10.4f", c->t[e][st]);
		printf("\n");
		if (!s || !s->eng[e][BS_RTRIP].n)
			continue;
		printf("  %-22s", "  warm");
		for (int st = 0; st < BS_NR; st++)
			printf(" %10.4f", bench_median(&s->eng[e][st]));
		printf("\n");
	}
}

/**
 * bench_row() - one row of times: median [min..max], MB/s if @rate
 * @step: the step, or ""
 * @what: the engine or limit
 * @ser: the times
 * @mib: the MiB moved, for MB/s
 * @rate: print MB/s
 *
 * Prints nothing if @ser was never measured; no end of line.
 */
void bench_row(const char *step, const char *what,
		      const struct bench_series *ser, size_t mib, bool rate)
{
	double med, min, max;

	if (!bench_stats(ser, &med, &min, &max))
		return;
	printf("  %-11s %-22s %8.4f [%.4f..%.4f]", step, what, med, min, max);
	if (rate)
		printf(" %6.0f", bench_mbps(mib, med));
	else
		printf(" %6s", "");
}

/* The tables of one size: engines by step, then the limits. */
static void bench_report_size(const struct bench_opts *o,
			      const struct bench_size *s)
{
	double fuse, shmw, fill, ck, rs;

	printf("\n%zu MiB of written anonymous memory, %d runs; images:", s->mib,
	       s->eng[BE_CRCTL][BS_CKPT].n ? s->eng[BE_CRCTL][BS_CKPT].n :
	       s->lim[BL_MEMCPY].n);
	for (int e = 0; e < BE_NR; e++)
		if (s->image_bytes[e])
			printf(" %s %.1f MiB%s", bench_engines[e].key,
			       s->image_bytes[e] / 1048576.0,
			       e == BE_NR - 1 ? "" : ",");
	printf("\n  %-11s %-22s %8s %-17s %6s  %s\n", "step", "engine", "median",
	       "[min..max] s", "MB/s", "CRIU/crfs");
	for (int st = 0; st < BS_NR; st++) {
		bool first = true;

		for (int e = 0; e < BE_NR; e++) {
			double r = e == BE_CRIU || st == BS_KILL ? 0 :
				   bench_ratio(s, e, st);

			if (!s->eng[e][st].n)
				continue;
			bench_row(first ? bench_step_rows[st].label : "",
				  bench_label(o, e), &s->eng[e][st], s->mib,
				  st == BS_CKPT || st == BS_RESTORE);
			first = false;
			if (r > 0)
				printf("  %6.2f", r);
			printf("\n");
		}
	}
	printf("  %-34s %8s %-17s %6s\n", "limit", "median", "[min..max] s", "MB/s");
	for (int l = 0; l < BL_NR; l++) {
		double med, min, max;

		if (!bench_stats(&s->lim[l], &med, &min, &max))
			continue;
		printf("  %-34s %8.4f [%.4f..%.4f] %6.0f\n",
		       bench_limit_rows[l].label, med, min, max,
		       bench_mbps(s->mib, med));
	}
	fuse = bench_median(&s->lim[BL_FUSE]);
	shmw = bench_median(&s->lim[BL_SHMW]);
	fill = bench_median(&s->lim[BL_FILL]);
	ck = bench_median(&s->eng[BE_CRCTL][BS_CKPT]);
	rs = bench_median(&s->eng[BE_CRCTL][BS_RESTORE]);
	if (fuse > 0 && shmw > 0 && ck > 0)
		printf("  checkpoint floor, FUSE read + /dev/shm write: %.4f s (%.3f s a GiB);\n"
		       "    crctl's checkpoint takes %.2f times it\n", fuse + shmw,
		       (fuse + shmw) * 1024 / s->mib, ck / (fuse + shmw));
	if (fill > 0 && rs > 0)
		printf("  restore floor, the fill: %.4f s (%.3f s a GiB); crctl's restore takes\n"
		       "    %.2f times it\n", fill, fill * 1024 / s->mib, rs / fill);
	if (s->hwm_kb >= 0 && o->mnt)
		printf("  crfs-fuse VmHWM after these runs: %ld kB\n", s->hwm_kb);
}

/* CRIU/crfs of every size side by side. */
static void bench_report_ratios(const struct bench_opts *o)
{
	bool any = false;

	for (int i = 0; i < o->nr_sizes; i++)
		any |= bench_ratio(&o->sizes[i], BE_CRCTL, BS_RTRIP) > 0 ||
		       bench_ratio(&o->sizes[i], BE_CAT, BS_RTRIP) > 0;
	if (!any) {
		printf("\nCRIU/crfs: no ratio: CRIU %s\n", !o->criu ?
		       "was not run (make bench says why)" : o->criu_broke[0] ?
		       o->criu_broke : "has no figures");
		return;
	}
	printf("\nCRIU/crfs, ratio of the medians (above 1: crfs faster), by size:\n");
	if (atof(o->load_start) > sysconf(_SC_NPROCESSORS_ONLN))
		printf("  (the machine was loaded: load average %s on %ld cpus.  Under load\n"
		       "  wall times favour the engine that works on more threads at once:\n"
		       "  crfs pipelines its copies over cat and crfs-fuse's engine thread,\n"
		       "  CRIU makes its copies one after the other)\n",
		       o->load_start, sysconf(_SC_NPROCESSORS_ONLN));
	printf("  %-28s", "");
	for (int i = 0; i < o->nr_sizes; i++)
		printf(" %7s", bench_tag(o->sizes[i].mib));
	printf("\n");
	for (int st = 0; st < BS_NR; st++) {
		if (st == BS_KILL)
			continue;
		for (size_t k = 0; k < BENCH_NR_CRFS; k++) {
			int e = bench_crfs_engines[k];
			char label[64];

			snprintf(label, sizeof(label), "%s, %s",
				 bench_step_rows[st].label, bench_engines[e].label);
			printf("  %-28s", label);
			for (int i = 0; i < o->nr_sizes; i++) {
				double r = bench_ratio(&o->sizes[i], e, st);

				if (r > 0)
					printf(" %7.2f", r);
				else
					printf(" %7s", "-");
			}
			printf("\n");
		}
	}
	for (size_t k = 0; k < BENCH_NR_CRFS; k++) {
		int e = bench_crfs_engines[k];

		printf("  round trip on the medians, %s:", bench_engines[e].label);
		for (int i = 0; i < o->nr_sizes; i++) {
			double r = bench_ratio(&o->sizes[i], e, BS_RTRIP);

			printf(" %s %s%s", bench_tag(o->sizes[i].mib),
			       r <= 0 ? "-" : r >= 1 ? "crfs faster" : "CRIU faster",
			       i == o->nr_sizes - 1 ? "" : ",");
		}
		printf("\n");
	}
}

/**
 * bench_verdict() - a target's verdict
 * @ok: the target is met
 *
 * Return: "PASS" or "MISS".
 */
const char *bench_verdict(bool ok)
{
	return ok ? "PASS" : "MISS";
}

/* The targets, each PASS or MISS on the medians. */
static void bench_report_targets(const struct bench_opts *o)
{
	const struct bench_size *s64 = bench_find(o, 64), *s1g = bench_find(o, 1024);
	double ck, rs, lim;

	printf("\ntargets (stated targets, judged on the medians of this run; the machine\n"
	       "is shared):\n");
	if (s1g && (ck = bench_median(&s1g->eng[BE_CRCTL][BS_CKPT])) > 0 &&
	    (lim = bench_median(&s1g->lim[BL_SHMW])) > 0)
		printf("  %s 1g checkpoint (crctl) at >= %.0f%% of the /dev/shm write: %.0f%%\n",
		       bench_verdict(lim / ck >= BENCH_RATIO_TARGET),
		       BENCH_RATIO_TARGET * 100, lim / ck * 100);
	if (s1g && (rs = bench_median(&s1g->eng[BE_CRCTL][BS_RESTORE])) > 0 &&
	    (lim = bench_median(&s1g->lim[BL_FILL])) > 0)
		printf("  %s 1g restore (crctl) at >= %.0f%% of the fill: %.0f%%\n",
		       bench_verdict(lim / rs >= BENCH_RATIO_TARGET),
		       BENCH_RATIO_TARGET * 100, lim / rs * 100);
	if (s64 && (rs = bench_median(&s64->eng[BE_CRCTL][BS_RTRIP])) > 0)
		printf("  %s 64m round trip (crctl) under %.0f ms: %.1f ms\n",
		       bench_verdict(rs < BENCH_RTRIP_TARGET),
		       BENCH_RTRIP_TARGET * 1000, rs * 1000);
	if (s64 && s1g && s64->hwm_kb > 0 && s1g->hwm_kb > 0)
		printf("  %s crfs-fuse VmHWM does not grow with the image: %ld kB after 64m, %ld kB after 1g\n",
		       bench_verdict((s1g->hwm_kb - s64->hwm_kb) * 1024L <=
				     (long)BENCH_HWM_SLACK),
		       s64->hwm_kb, s1g->hwm_kb);
	bench_targets_shapes(o);
}

/**
 * bench_line() - the machine line of one series
 * @key: the figure's key, e.g. "crctl_ckpt"
 * @tag: the size or shape, e.g. "64m"
 * @ser: the times
 * @mib: the MiB moved, for MB/s
 * @rate: add the MB/s of the median
 */
void bench_line(const char *key, const char *tag,
		       const struct bench_series *ser, size_t mib, bool rate)
{
	double med, min, max;

	if (!bench_stats(ser, &med, &min, &max))
		return;
	printf("bench: %s_%s_median_s=%.6f %s_%s_min_s=%.6f %s_%s_max_s=%.6f",
	       key, tag, med, key, tag, min, key, tag, max);
	if (rate)
		printf(" %s_%s_median_mbps=%.0f", key, tag, bench_mbps(mib, med));
	printf(" %s_%s_runs=%d\n", key, tag, ser->n);
}

/* One "bench: key=value ..." line per figure. */
static void bench_report_lines(const struct bench_opts *o)
{
	const struct bench_cold *c = &o->cold;
	char key[64];

	for (int e = 0; e < BE_NR; e++) {
		if (!c->done[e])
			continue;
		printf("bench:");
		for (int st = 0; st < BS_NR; st++)
			printf(" cold_%s_%s_%s_s=%.6f", bench_engines[e].key,
			       bench_step_rows[st].key, bench_tag(c->mib), c->t[e][st]);
		printf("\n");
	}
	for (int i = 0; i < o->nr_sizes; i++) {
		const struct bench_size *s = &o->sizes[i];
		const char *tag = bench_tag(s->mib);

		for (int e = 0; e < BE_NR; e++) {
			for (int st = 0; st < BS_NR; st++) {
				snprintf(key, sizeof(key), "%s_%s",
					 bench_engines[e].key, bench_step_rows[st].key);
				bench_line(key, tag, &s->eng[e][st], s->mib,
					   st == BS_CKPT || st == BS_RESTORE);
			}
			if (s->image_bytes[e])
				printf("bench: image_%s_%s_bytes=%llu\n",
				       bench_engines[e].key, tag,
				       (unsigned long long)s->image_bytes[e]);
		}
		for (int l = 0; l < BL_NR; l++) {
			snprintf(key, sizeof(key), "limit_%s", bench_limit_rows[l].key);
			bench_line(key, tag, &s->lim[l], s->mib, true);
		}
		for (size_t k = 0; k < BENCH_NR_CRFS; k++) {
			int e = bench_crfs_engines[k];
			bool any = false;

			for (int st = 0; st < BS_NR; st++) {
				double r = st == BS_KILL ? 0 : bench_ratio(s, e, st);

				if (r <= 0)
					continue;
				printf("%s ratio_criu_%s_%s_%s=%.3f", any ? "" : "bench:",
				       bench_engines[e].key, bench_step_rows[st].key,
				       tag, r);
				any = true;
			}
			if (any)
				printf("\n");
		}
		if (s->hwm_kb >= 0 && o->mnt)
			printf("bench: fuse_hwm_%s_kb=%ld\n", tag, s->hwm_kb);
	}
}

/**
 * bench_report() - print the whole report on stdout
 * @o: the options and the measured sizes
 * @ok: every crfs cycle ran and was intact: the targets are judged
 */
void bench_report(const struct bench_opts *o, bool ok)
{
	bench_header(o);
	bench_report_cold(o);
	for (int i = 0; i < o->nr_sizes; i++)
		bench_report_size(o, &o->sizes[i]);
	if (o->shapes & (1U << BSH_PROC))
		bench_report_ratios(o);
	bench_report_shapes(o);
	if (o->mnt && ok)
		bench_report_targets(o);
	if (!ok)
		printf("\nno targets judged: a crfs run broke (see the messages above)\n");
	if (!o->mnt)
		printf("\n(no crfs mount given: limits and CRIU only)\n");
	printf("\n");
	bench_report_lines(o);
	bench_lines_shapes(o);
}
