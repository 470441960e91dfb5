// SPDX-License-Identifier: GPL-2.0
/*
 * crfs-bench: the container shapes of issue 9 beside the single process.
 *
 *   tree     a root and its children (-Y PROCSxMIB, default 100x1), each
 *            with MIB MiB of its own pattern; after each restore every
 *            process checks its pages, its pid, its parent, its group
 *            and session, and the root answers for all
 *   threads  one process of THREADS threads (-Z THREADSxMIB, default
 *            32x64) sharing MIB MiB; after each restore every thread
 *            checks its tid, its TLS word, its stack and its share of
 *            the pages (all of them, together)
 *
 * Each shape runs RUNS times after the sizes, one cycle of each engine a
 * run, the order turning, timed as the single process is (cycle.c); the
 * report gives the same medians and CRIU/crfs ratios, and crfs's freeze
 * of the container (echo freeze > state until "frozen 1" in events, as
 * the echo/cat engine does it; CRIU has no such step).  While crfs
 * refuses a shape, saying why, the shape is "not measured" for crfs and
 * CRIU is measured all the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

const char *const bench_shape_keys[BSH_NR] = {
	[BSH_PROC] = "proc", [BSH_TREE] = "tree", [BSH_THREADS] = "threads",
};

/* The crfs engines CRIU is compared with, in table order. */
static const int bench_shape_crfs[] = { BE_CRCTL, BE_CAT };
#define BENCH_SHAPE_NR_CRFS	(sizeof(bench_shape_crfs) / sizeof(int))

/* Parse "NxMIB" into shape @id of @o; N from 1 to @max. */
static int bench_shape_form(struct bench_opts *o, int id, const char *arg,
			    int max)
{
	struct bench_form *f = &o->shape[id].f;
	char x;
	int n = 0;

	f->shape = id;
	if (sscanf(arg, "%d%c%zu%n", &f->nr, &x, &f->mib, &n) != 3 ||
	    x != 'x' || arg[n] || f->nr < 1 || f->nr > max || !f->mib ||
	    f->mib > 4096) {
		fprintf(stderr, "crfs-bench: %s: %s: not NxMIB, N from 1 to %d, MIB from 1 to 4096\n",
			bench_shape_keys[id], arg, max);
		return -1;
	}
	return 0;
}

/**
 * bench_shapes_parse() - the shapes to measure and their forms
 * @o: the options, o->shapes and o->shape[] set
 * @list: "proc,tree,threads" or part of it (-T)
 * @tree: PROCSxMIB (-Y)
 * @threads: THREADSxMIB (-Z)
 *
 * Return: 0, or -1 (said on stderr).
 */
int bench_shapes_parse(struct bench_opts *o, const char *list,
		       const char *tree, const char *threads)
{
	char *copy = strdup(list), *tok, *save;
	int ret = 0;

	o->shapes = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		int id;

		for (id = 0; id < BSH_NR; id++)
			if (!strcmp(tok, bench_shape_keys[id]))
				break;
		if (id == BSH_NR) {
			fprintf(stderr, "crfs-bench: %s: no such shape (proc, tree, threads)\n",
				tok);
			ret = -1;
		}
		o->shapes |= 1U << id;
	}
	free(copy);
	if (ret || !o->shapes ||
	    bench_shape_form(o, BSH_TREE, tree, BENCH_MAX_TREE) < 0 ||
	    bench_shape_form(o, BSH_THREADS, threads, 256) < 0)
		return -1;
	return 0;
}

/* Push @t onto @ser, if there is room. */
static void bench_push(struct bench_series *ser, double t)
{
	if (ser->n < BENCH_MAX_RUNS)
		ser->t[ser->n++] = t;
}

/* The runs of one shape: each engine each run, the order turning. */
static int bench_shape_runs(struct bench_opts *o, struct bench_shape *sh)
{
	const char *key = bench_shape_keys[sh->f.shape];

	for (int r = 0; r < o->runs; r++) {
		char when[32];

		snprintf(when, sizeof(when), "run %d", r + 1);
		fprintf(stderr, "crfs-bench: %s %s\n", key, when);
		for (int k = 0; k < BE_NR; k++) {
			int e = (r + k) % BE_NR, err;
			struct bench_outcome out;

			if (bench_engine_off(o, e))
				continue;
			bench_sleep_us(o->settle_ms * 1000L);
			err = bench_engine_cycle(o, e, &sh->f, when, &out);
			if (err < 0)
				return -1;
			if (out.freeze > 0)
				bench_push(&sh->freeze, out.freeze);
			if (out.freezer > 0)
				bench_push(&sh->freezer, out.freezer);
			if (err > 0 && e != BE_CRIU) {
				sh->refusals[e]++;
				snprintf(sh->refused[e], BENCH_WHY, "%s", out.why);
			}
			if (err > 0)
				continue;
			sh->image_bytes[e] = out.image_bytes;
			for (int st = 0; st < BS_NR; st++)
				bench_push(&sh->eng[e][st], out.t[st]);
		}
	}
	return 0;
}

/**
 * bench_shapes_run() - measure the tree and the threads, as -T asks
 * @o: the options
 *
 * Return: 0, or -1 when a crfs cycle broke (a refusal does not).
 */
int bench_shapes_run(struct bench_opts *o)
{
	for (int id = BSH_TREE; id < BSH_NR; id++)
		if ((o->shapes & (1U << id)) &&
		    bench_shape_runs(o, &o->shape[id]) < 0)
			return -1;
	return 0;
}

/* CRIU/crfs of the medians of step @st of @sh for crfs engine @e; 0: none. */
static double bench_shape_ratio(const struct bench_shape *sh, int e, int st)
{
	double crfs = bench_median(&sh->eng[e][st]);
	double criu = bench_median(&sh->eng[BE_CRIU][st]);

	return crfs > 0 && criu > 0 ? criu / crfs : 0;
}

/* The title of a shape's table. */
static void bench_shape_title(const struct bench_opts *o,
			      const struct bench_shape *sh)
{
	const struct bench_form *f = &sh->f;

	const char *sep = "";

	if (f->shape == BSH_TREE)
		printf("\ntree: %d process%s (a root and %d children), %zu MiB of written\n"
		       "anonymous memory each; after each restore every process checks its pages,\n"
		       "pid, parent, group and session; %d runs; images:",
		       f->nr, f->nr > 1 ? "es" : "", f->nr - 1, f->mib, o->runs);
	else
		printf("\nthreads: one process of %d thread%s sharing %zu MiB of written anonymous\n"
		       "memory; after each restore every thread checks its tid, TLS word, stack and\n"
		       "its share of the pages; %d runs; images:", f->nr,
		       f->nr > 1 ? "s" : "", f->mib, o->runs);
	for (int e = 0; e < BE_NR; e++) {
		if (!sh->image_bytes[e])
			continue;
		printf("%s %s %.1f MiB", sep, bench_engines[e].key,
		       sh->image_bytes[e] / 1048576.0);
		sep = ",";
	}
	printf("\n");
}

/* The table of one shape: engines by step, refusals, the freeze. */
static void bench_report_shape(const struct bench_opts *o,
			       const struct bench_shape *sh)
{
	const char *key = bench_shape_keys[sh->f.shape];
	size_t mib = bench_form_mib(&sh->f);
	double med, min, max;

	bench_shape_title(o, sh);
	printf("  %-11s %-22s %8s %-17s %6s  %s\n", "step", "engine", "median",
	       "[min..max] s", "MB/s", "CRIU/crfs");
	for (int st = 0; st < BS_NR; st++) {
		bool first = true;

		for (int e = 0; e < BE_NR; e++) {
			double r = e == BE_CRIU || st == BS_KILL ? 0 :
				   bench_shape_ratio(sh, e, st);

			if (!sh->eng[e][st].n)
				continue;
			bench_row(first ? bench_step_rows[st].label : "",
				  bench_label(o, e), &sh->eng[e][st], mib,
				  st == BS_CKPT || st == BS_RESTORE);
			first = false;
			if (r > 0)
				printf("  %6.2f", r);
			printf("\n");
		}
	}
	for (int e = 0; e < BE_NR; e++) {
		const char *off = bench_engine_off(o, e);

		if (off)
			printf("  %s: %s: %s\n", bench_label(o, e), key, off);
		else if (sh->refusals[e] && !sh->eng[e][BS_RTRIP].n)
			printf("  %s: %s: not measured: %s\n", bench_label(o, e),
			       key, sh->refused[e]);
		else if (sh->refusals[e])
			printf("  %s: %s: refused in %d of %d runs: %s\n",
			       bench_label(o, e), key, sh->refusals[e], o->runs,
			       sh->refused[e]);
	}
	if (bench_stats(&sh->freeze, &med, &min, &max))
		printf("  freeze of the %s, crfs (echo freeze > state until frozen 1 in\n"
		       "    events): %.3f ms [%.3f..%.3f], %d runs; CRIU has no such step\n",
		       sh->f.shape == BSH_TREE ? "processes" : "threads",
		       med * 1000, min * 1000, max * 1000, sh->freeze.n);
	if (bench_stats(&sh->freezer, &med, &min, &max))
		printf("  the cgroup freezer alone, its floor (cgroup.freeze 1 until\n"
		       "    cgroup.events says frozen 1, on the crctl cycle's tree): %.3f ms\n"
		       "    [%.3f..%.3f], %d runs\n",
		       med * 1000, min * 1000, max * 1000, sh->freezer.n);
}

/**
 * bench_report_shapes() - the tables of the tree and the threads
 * @o: the options and the measured shapes
 */
void bench_report_shapes(const struct bench_opts *o)
{
	for (int id = BSH_TREE; id < BSH_NR; id++)
		if (o->shapes & (1U << id))
			bench_report_shape(o, &o->shape[id]);
}

/**
 * bench_targets_shapes() - issue 9's targets: ahead of CRIU, a fast freeze
 * @o: the options and the measured shapes
 */
void bench_targets_shapes(const struct bench_opts *o)
{
	for (int id = BSH_TREE; id < BSH_NR; id++) {
		const struct bench_shape *sh = &o->shape[id];
		double fr;

		if (!(o->shapes & (1U << id)))
			continue;
		for (size_t k = 0; k < BENCH_SHAPE_NR_CRFS; k++) {
			int e = bench_shape_crfs[k];
			double r = bench_shape_ratio(sh, e, BS_RTRIP);

			if (r > 0)
				printf("  %s %s round trip (%s) ahead of CRIU: CRIU/crfs %.2f\n",
				       bench_verdict(r > 1), bench_shape_keys[id],
				       bench_engines[e].key, r);
			else if (!sh->eng[e][BS_RTRIP].n)
				printf("  ---- %s round trip (%s) ahead of CRIU: not judged, crfs not measured\n",
				       bench_shape_keys[id], bench_engines[e].key);
		}
		fr = bench_median(&sh->freeze);
		if (id == BSH_TREE && fr > 0)
			printf("  %s freeze of the %d-process tree under %.0f ms: %.3f ms\n",
			       bench_verdict(fr < BENCH_FREEZE_TARGET), sh->f.nr,
			       BENCH_FREEZE_TARGET * 1000, fr * 1000);
		if (id == BSH_TREE && fr > 0 && bench_median(&sh->freezer) > 0)
			printf("       (the cgroup freezer alone %.3f ms: crfs adds %.3f ms)\n",
			       bench_median(&sh->freezer) * 1000,
			       (fr - bench_median(&sh->freezer)) * 1000);
	}
}

/**
 * bench_lines_shapes() - the "bench: key=value" lines of the shapes
 * @o: the options and the measured shapes
 */
void bench_lines_shapes(const struct bench_opts *o)
{
	char k[64];

	for (int id = BSH_TREE; id < BSH_NR; id++) {
		const struct bench_shape *sh = &o->shape[id];
		const char *tag = bench_shape_keys[id];
		size_t mib = bench_form_mib(&sh->f);

		if (!(o->shapes & (1U << id)))
			continue;
		if (id == BSH_TREE)
			printf("bench: shape_tree_procs=%d shape_tree_mib_each=%zu\n",
			       sh->f.nr, sh->f.mib);
		else
			printf("bench: shape_threads_threads=%d shape_threads_mib=%zu\n",
			       sh->f.nr, sh->f.mib);
		for (int e = 0; e < BE_NR; e++) {
			for (int st = 0; st < BS_NR; st++) {
				snprintf(k, sizeof(k), "%s_%s", bench_engines[e].key,
					 bench_step_rows[st].key);
				bench_line(k, tag, &sh->eng[e][st], mib,
					   st == BS_CKPT || st == BS_RESTORE);
			}
			if (sh->image_bytes[e])
				printf("bench: image_%s_%s_bytes=%llu\n",
				       bench_engines[e].key, tag,
				       (unsigned long long)sh->image_bytes[e]);
			if (sh->refusals[e])
				printf("bench: %s_%s_refused=%d\n",
				       bench_engines[e].key, tag, sh->refusals[e]);
		}
		for (size_t i = 0; i < BENCH_SHAPE_NR_CRFS; i++) {
			int e = bench_shape_crfs[i];
			bool any = false;

			for (int st = 0; st < BS_NR; st++) {
				double r = st == BS_KILL ? 0 :
					   bench_shape_ratio(sh, e, st);

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
		bench_line("cat_freeze", tag, &sh->freeze, 0, false);
		bench_line("cgroup_freeze", tag, &sh->freezer, 0, false);
	}
}
