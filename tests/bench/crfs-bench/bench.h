/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crfs-bench: what its files share (see main.c for the program itself).
 *
 *   main.c     options, the watchdog and signals, the runs, main()
 *   engines.c  the engines: crfs by crctl, crfs by echo/cat, CRIU
 *   cycle.c    one cycle of an engine: start, checkpoint, kill, restore, check
 *   limits.c   fresh memory, recycling of pages, the machine's limits
 *   report.c   the tables, the ratios, the verdicts, the machine lines
 *   shapes.c   the container shapes: a process tree, a threaded process
 *   util.c     clock, started processes and commands, control files
 */
#ifndef CRFS_BENCH_H
#define CRFS_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BENCH_MAX_RUNS		15
#define BENCH_MAX_SIZES		6
#define BENCH_MAX_TREE		256		/* processes of a tree, at most */
#define BENCH_MAX_PIDS		(BENCH_MAX_TREE + 64)
#define BENCH_CHUNK		(1 << 20)	/* cat's and crctl's chunk on image files */
#define BENCH_RING		(4 << 20)	/* the reused buffer: crfs-fuse's ring */
#define BENCH_RTRIP_TARGET	0.060		/* target: 64 MiB round trip, seconds */
#define BENCH_RATIO_TARGET	0.70		/* target: 1 GiB steps vs. their limit */
#define BENCH_HWM_SLACK		(16UL << 20)	/* target: allowed VmHWM growth */
#define BENCH_FREEZE_TARGET	0.001		/* target: freeze of a tree, seconds */
#define BENCH_WHY		512		/* a reason, from an error file */

/* The shapes of what is checkpointed (shapes.c), BENCH_SHAPES. */
enum bench_shape_id {
	BSH_PROC,	/* one process, at each size of -s */
	BSH_TREE,	/* a root and its children, each with its memory */
	BSH_THREADS,	/* one process of many threads */
	BSH_NR
};

/* What the memory program is started as. */
struct bench_form {
	int		shape;		/* enum bench_shape_id */
	int		nr;		/* processes (tree), threads (threads), or 1 */
	size_t		mib;		/* MiB of each process (tree), of the process */
};

/* The machine's limits, measured in every run (limits.c). */
enum bench_limit_id {
	BL_MEMCPY,	/* memcpy into this process's fresh memory */
	BL_FILL,	/* process_vm_writev into another process's fresh memory */
	BL_SHMW,	/* write a new /dev/shm file */
	BL_FUSE,	/* read a FUSE file answered from memory (-F) */
	BL_NR
};

/* The engines, in the order of the tables (engines.c). */
enum bench_engine_id {
	BE_CRCTL,	/* crfs by crctl checkpoint --kill / restore --thaw */
	BE_CAT,		/* crfs by echo and cat through the files */
	BE_CRIU,	/* criu dump / criu restore -d */
	BE_NR
};

/* The timed steps of one cycle, the same for every engine (cycle.c). */
enum bench_step_id {
	BS_CKPT,	/* running -> image complete, process killed */
	BS_KILL,	/* -> the process reaped, its pid free */
	BS_RESTORE,	/* -> running again from the image */
	BS_RTRIP,	/* the sum of the three */
	BS_NR
};

/* Times of one figure, one a run. */
struct bench_series {
	double		t[BENCH_MAX_RUNS];	/* seconds */
	int		n;
};

struct bench_size {
	size_t		mib;
	struct bench_series lim[BL_NR];
	struct bench_series eng[BE_NR][BS_NR];
	uint64_t	image_bytes[BE_NR];
	long		hwm_kb;		/* crfs-fuse VmHWM after this size */
};

/* A shape other than the single process: its runs (shapes.c). */
struct bench_shape {
	struct bench_form f;
	struct bench_series eng[BE_NR][BS_NR];
	uint64_t	image_bytes[BE_NR];
	struct bench_series freeze;	/* crfs: echo freeze until frozen 1 */
	struct bench_series freezer;	/* the cgroup freezer alone */
	int		refusals[BE_NR];	/* crfs refused the checkpoint */
	char		refused[BE_NR][BENCH_WHY];	/* the last reason */
};

/* What one cycle gives (cycle.c). */
struct bench_outcome {
	double		t[BS_NR];	/* the steps, on success */
	uint64_t	image_bytes;	/* the image directory after the checkpoint */
	double		freeze;		/* echo freeze until frozen 1 (cat), or 0 */
	double		freezer;	/* the cgroup freezer alone (crctl), or 0 */
	char		why[BENCH_WHY];	/* a refusal: crfs's reason */
};

/* The first cycles right after the mount, before anything else. */
struct bench_cold {
	size_t		mib;		/* 0: not measured */
	bool		done[BE_NR];
	double		t[BE_NR][BS_NR];
};

struct bench_opts {
	const char	*mnt;		/* -m: the crfs-fuse mount, or NULL */
	pid_t		fuse_pid;	/* -p: its daemon */
	const char	*crctl;		/* -X: crctl, or NULL (no crctl engine) */
	const char	*criu;		/* -c: criu, or NULL (no CRIU engine) */
	char		criu_version[64];
	char		criu_broke[512];	/* why CRIU stopped being run, or "" */
	char		load_start[64];	/* /proc/loadavg when we started */
	const char	*memprog;	/* -x: crfs-bench-mem */
	const char	*shmdir;	/* -d: holds the image directory */
	const char	*workdir;	/* -w: logs, ready and result files */
	const char	*floor;		/* -F: the file of fuse-floor, or NULL */
	pid_t		floor_pid;	/* -P: its daemon */
	char		imgdir[4096];	/* SHMDIR/img: every engine's images */
	size_t		chunk;		/* -B: chunk of the limits' I/O */
	int		runs;		/* -r */
	int		settle_ms;	/* -S: pause before each measured block */
	bool		no_recycle;	/* -R: no recycling before each step */
	int		nr_sizes;
	struct bench_size sizes[BENCH_MAX_SIZES];
	struct bench_cold cold;		/* -k MIB */
	unsigned int	shapes;		/* -T: bit (1 << enum bench_shape_id) */
	struct bench_shape shape[BSH_NR];	/* -Y, -Z: [BSH_TREE], [BSH_THREADS] */
};

struct bench_cyc;

/* A row of a table of figures: key in the machine lines, label. */
struct bench_row {
	const char	*key;
	const char	*label;
};

/* What an engine needs to run: a crfs mount (-m), crctl (-X), criu (-c). */
#define BENCH_NEEDS_MNT		0x1
#define BENCH_NEEDS_CRCTL	0x2
#define BENCH_NEEDS_CRIU	0x4

/* One engine: how it checkpoints and restores (engines.c). */
struct bench_engine {
	const char	*key;		/* in the machine lines */
	const char	*label;		/* in the tables */
	const char	*how[4];	/* its commands, for the header, lines */
	unsigned int	needs;		/* BENCH_NEEDS_* */
	/* after the start, untimed: e.g. move the process into a container */
	int		(*attach)(struct bench_cyc *c);
	/* timed: running -> image in the image directory, process killed */
	int		(*checkpoint)(struct bench_cyc *c);
	/* timed: image -> the process running again */
	int		(*restore)(struct bench_cyc *c);
	/* after a failed checkpoint: the engine's reason, if it refused; or NULL */
	int		(*refusal)(struct bench_cyc *c, char *why, size_t len);
	/* untimed, always: kill what is left, remove containers */
	void		(*release)(struct bench_cyc *c);
};

/* One cycle of one engine (cycle.c), as its operations see it. */
struct bench_cyc {
	struct bench_opts *o;
	const struct bench_engine *e;
	const struct bench_form *f;
	size_t		mib;		/* of all its processes */
	pid_t		pid;		/* the process (a tree's root), and its restored copy */
	char		pidstr[16];
	pid_t		pids[BENCH_MAX_TREE];	/* every process, the root first */
	int		nr_pids;
	double		freeze;		/* echo freeze until frozen 1, or 0 */
	char		cta[256];	/* checkpointed container (crfs) */
	char		ctb[256];	/* restored container (crfs) */
	char		img[4200];	/* crfs's image file in the image dir */
};

/* The engines, indexed by enum bench_engine_id (engines.c). */
extern const struct bench_engine bench_engines[BE_NR];

/* engines.c */
int bench_ct_error(const struct bench_cyc *c, const char *ct, char *buf,
		   size_t len);

/* freezer.c */
double bench_freezer(const struct bench_cyc *c);

/* util.c */
double bench_now(void);
void bench_sleep_us(long us);
void bench_track(pid_t pid, bool on);
void bench_give_up(const char *why, size_t len, int status);
void bench_set_workdir(const char *dir);
int bench_echo(const char *path, const char *text);
int bench_cat(int *fdp, const char *path, char *buf, size_t len);
int bench_wait_event(const char *ct, const char *key, int want, double timeout);
int bench_wait_exit(pid_t pid, bool child, double timeout);
int bench_exec(const char *const argv[], const char *in, const char *out,
	       double timeout);
void bench_exec_why(const char *what);
int bench_exec_said(char *buf, size_t len);
int bench_buf_init(void);
char *bench_buf(void);
int64_t bench_read(int in, size_t len, size_t chunk);

/* limits.c */
void *bench_map(size_t len);
void bench_recycle(const struct bench_opts *o, size_t len);
int bench_limits(struct bench_opts *o, struct bench_size *s, const char *src,
		 size_t len);

/* cycle.c */
int bench_cycle(struct bench_opts *o, const struct bench_engine *e,
		const struct bench_form *f, struct bench_outcome *out);
double bench_cmd_timeout(size_t mib);
int bench_wait_all(const struct bench_cyc *c, bool child, double timeout);
bool bench_is_memprog(const struct bench_opts *o, pid_t pid);
size_t bench_form_mib(const struct bench_form *f);

/* main.c */
const char *bench_engine_off(const struct bench_opts *o, int e);
int bench_engine_cycle(struct bench_opts *o, int e, const struct bench_form *f,
		       const char *when, struct bench_outcome *out);

/* shapes.c */
extern const char *const bench_shape_keys[BSH_NR];
int bench_shapes_parse(struct bench_opts *o, const char *list,
		       const char *tree, const char *threads);
int bench_shapes_run(struct bench_opts *o);
void bench_report_shapes(const struct bench_opts *o);
void bench_targets_shapes(const struct bench_opts *o);
void bench_lines_shapes(const struct bench_opts *o);

/* report.c */
extern const struct bench_row bench_step_rows[BS_NR];
void bench_loadavg(char *buf, size_t len);
bool bench_stats(const struct bench_series *ser, double *med, double *min,
		 double *max);
double bench_median(const struct bench_series *ser);
const char *bench_label(const struct bench_opts *o, int e);
void bench_row(const char *step, const char *what,
	       const struct bench_series *ser, size_t mib, bool rate);
void bench_line(const char *key, const char *tag,
		const struct bench_series *ser, size_t mib, bool rate);
const char *bench_verdict(bool ok);
void bench_report(const struct bench_opts *o, bool ok);

#endif /* CRFS_BENCH_H */
