/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crfs-bench: what its files share (see main.c for the program itself).
 *
 *   main.c    options, the watchdog and signals, one size's runs, main()
 *   limits.c  fresh memory, recycling of pages, the machine's limits
 *   cycle.c   one crfs cycle through the mount, and the restored check
 *   report.c  the figures table, the printed table, targets, machine lines
 *   util.c    clock, started processes, control files, the image copy
 */
#ifndef CRFS_BENCH_H
#define CRFS_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BENCH_MAX_RUNS		15
#define BENCH_MAX_SIZES		4
#define BENCH_MAX_PIDS		64
#define BENCH_CYCLE_SECS	180	/* watchdog for one size's runs */
#define BENCH_RTRIP_TARGET	0.060	/* 64 MiB round trip, seconds */
#define BENCH_RATIO_TARGET	0.70	/* 1 GiB ckpt and restore vs limit */
#define BENCH_HWM_SLACK		(16UL << 20)	/* allowed VmHWM growth */
#define BENCH_BUF_MAX		(4 << 20)	/* copy buffer when copying as cat does */

/* Every figure the benchmark measures, in table order. */
enum bench_fig_id {
	BF_MEMCPY,
	BF_PVR,
	BF_SHMW,
	BF_FUSE,
	BF_FREEZE,
	BF_CKPT,
	BF_KILL,
	BF_RESTORE,
	BF_THAW,
	BF_RTRIP,
	BF_NR
};

struct bench_fig_desc {
	const char	*key;		/* in the machine lines */
	const char	*label;		/* in the table */
	bool		crfs;		/* needs the mount */
	bool		rate;		/* bytes moved: print MB/s */
	int		limit;		/* enum bench_fig_id of its limit, or -1 */
};

/* The figures, indexed by enum bench_fig_id (report.c). */
extern const struct bench_fig_desc bench_figs[BF_NR];

struct bench_size {
	size_t		mib;
	double		t[BF_NR][BENCH_MAX_RUNS];	/* seconds */
	int		n[BF_NR];
	uint64_t	image_bytes;
	long		hwm_kb;		/* crfs-fuse VmHWM after this size */
};

struct bench_opts {
	const char	*mnt;
	pid_t		fuse_pid;
	const char	*memprog;
	const char	*shmdir;
	const char	*workdir;
	const char	*floor;		/* -F: the file of fuse-floor, or NULL */
	pid_t		floor_pid;	/* -P: its daemon */
	size_t		bufsize;
	int		runs;
	int		watchdog_secs;	/* per size; 0: from the size */
	int		settle_ms;	/* pause before each measured block */
	bool		cold;		/* -C: no recycling before each step */
	int		nr_sizes;
	struct bench_size sizes[BENCH_MAX_SIZES];
};

/* The image file in SHMDIR, removed at exit (util.c). */
extern char bench_img[4096];

/* util.c */
double bench_now(void);
void bench_sleep_us(long us);
void bench_track(pid_t pid, bool on);
void bench_give_up(const char *why, size_t len, int status);
int bench_echo(const char *path, const char *text);
int bench_cat(int *fdp, const char *path, char *buf, size_t len);
int bench_wait_event(const char *ct, const char *key, int want, double timeout);
int bench_buf_init(size_t len);
size_t bench_cat_bufsize(void);
int64_t bench_copy(int in, int out, size_t bufsize);
int64_t bench_read(int in, size_t len, size_t bufsize);

/* limits.c */
void *bench_map(size_t len);
void bench_recycle(const struct bench_opts *o, size_t len);
int bench_limits(struct bench_opts *o, struct bench_size *s, const char *src,
		 size_t len);

/* cycle.c */
int bench_cycle(struct bench_opts *o, struct bench_size *s, int run);

/* report.c */
void bench_report(const struct bench_opts *o, bool crfs_ok);

#endif /* CRFS_BENCH_H */
