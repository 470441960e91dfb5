/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crfs checkpoint internals: the context of one open of image for
 * reading, the record codec, and each resource's collect function.
 *
 * A checkpoint is collected and checked whole at open(): the records of
 * every object go into buffers, one per part of the stream (files, ipcns,
 * address space, fd table, fs, signal handlers, the process), which are
 * then joined after the image header; only the page data is read later,
 * record by record, as the reader asks for it.
 */
#ifndef _FS_CRFS_CKPT_H
#define _FS_CRFS_CKPT_H

#include <linux/crfs.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/completion.h>
#include <linux/workqueue.h>

struct crfs_ct;
struct file;
struct files_struct;
struct mm_struct;
struct page;
struct pipe_inode_info;
struct pid_namespace;
struct task_struct;
struct user_namespace;

/* A growing buffer of records. */
struct crfs_buf {
	char	*data;
	size_t	len;
	size_t	cap;
};

/* The parts of the object records, in stream order. */
enum crfs_part {
	CRFS_PART_FILES,
	CRFS_PART_IPCNS,
	CRFS_PART_MM,
	CRFS_PART_FDTABLE,
	CRFS_PART_FS,
	CRFS_PART_SIGHAND,
	CRFS_PART_TASK,
	CRFS_PART_NR
};

/* A run of pages to dump: at most CRFS_PAGES_PER_REC pages. */
struct crfs_run {
	unsigned long	addr;
	unsigned int	nr;
	unsigned int	proc;		/* whose: its index in c->procs */
};

/* One process of the container, in the image's order (ckpt-tree.c). */
struct crfs_ckpt_proc {
	struct task_struct	*task;		/* its leader, with a reference */
	struct task_struct	**threads;	/* with a reference, the leader first */
	unsigned int		nr_threads;
	struct mm_struct	*mm;		/* once collected, mmget() */
	u32			mm_id;
	pid_t			pid;		/* in the checkpointer's pid_ns */
	pid_t			ppid;		/* 0: the root */
	pid_t			parent_tid;	/* 0: the parent's leader made it */
	int			parent;		/* while ordered (sorted by pid) */
	int			child, next;	/* first child, next sibling */
	/* its fd table as crfs_ckpt_descs() read it; c->descs holds the files */
	struct crfs_ckpt_fd	*fds;
	unsigned int		nr_fds;
};

/* A FILE already collected: a struct file (or an inode mapped) and its id. */
/* One descriptor of the table, as iterate_fd() found it. */
struct crfs_ckpt_fd {
	struct file	*file;		/* with a reference */
	unsigned int	fd;
	bool		cloexec;
};

/* A description in the container's fd tables (ckpt-share.c). */
struct crfs_ckpt_desc {
	struct pipe_inode_info	*pipe;		/* NULL: no pipe's; the table's */
	struct file		*file;		/*   order: pipe, then file */
	unsigned int		nr_fds;		/* its descriptors, in every process */
	pid_t			pid;		/* a process that has it, */
	unsigned int		fd;		/*   as this descriptor */
};

/* The descriptors of one fd table, collected under its lock. */
struct crfs_ckpt_fds {
	struct files_struct	*files;
	struct crfs_ckpt_fd	*fds;		/* CRFS_CKPT_MAX_FDS */
	unsigned int		nr;
};

struct crfs_ckpt_file {
	const void	*key;
	u32		flags;
	u32		id;
};

/* The pages of one PAGES record and their crc, for a worker (pgset.c). */
struct crfs_pgset {
	struct work_struct	work;
	struct completion	done;
	bool			busy;		/* queued, not waited for */
	int			err;		/* the worker's result */
	/* take: want pages of mm at addr (the worker clears mm) */
	struct mm_struct	*mm;
	unsigned long		addr;
	unsigned int		want;
	struct page		**pages;	/* CRFS_PAGES_PER_REC */
	unsigned int		nr;		/* held */
	unsigned int		next;		/* the first still held */
	u32			raw;		/* crc32c(0, their bytes) */
	/* check: the record's crc from its head's and the pages' */
	bool			check;
	u32			head;
	u32			want_crc;
	u64			rec;		/* its number, for the error */
};

/* One checkpoint: from open() of image for reading to its release(). */
struct crfs_ckpt {
	struct crfs_ct		*ct;
	struct mutex		lock;		/* readers of the stream */
	int			err;		/* the stream failed: -EIO */
	bool			cut;		/* a kill ended it (crfs_image_kill()) */
	bool			refused;	/* the error file says why */
	struct pid_namespace	*pid_ns;	/* the opener's, or the container's own: pids */
	bool			pidns;		/* the container's own (its root pid 1) */
	struct user_namespace	*user_ns;	/* the opener's: ids */
	struct crfs_ckpt_proc	*procs;		/* every process, parents first */
	unsigned int		nr_procs;
	/*
	 * The process being collected, procs[cur_proc]: its fields,
	 * borrowed (procs[] holds the references).
	 */
	unsigned int		cur_proc;
	struct task_struct	*task;		/* its leader */
	pid_t			pid;		/* its pid in pid_ns */
	struct task_struct	**threads;	/* every thread, the leader first */
	unsigned int		nr_threads;
	u64			timer_slack;	/* of those not real-time */
	struct mm_struct	*mm;		/* its address space */
	u32			next_id;
	u32			mm_id, fdt_id, fs_id, sighand_id;
	struct crfs_ckpt_file	*files;
	unsigned int		nr_files;
	struct crfs_sigpending	*sigq;		/* queued signals, in order */
	unsigned int		nr_sigq;
	struct crfs_itimer	itimer[3];	/* ITIMER_REAL, _VIRTUAL, _PROF */
	struct crfs_timer	*timers;	/* POSIX timers, by id */
	unsigned int		nr_timers;
	const struct crfs_ckpt_fd *fds;	/* procs[cur_proc]'s, while recorded */
	unsigned int		nr_fds;
	struct crfs_ckpt_desc	*descs;		/* every process's (ckpt-share.c) */
	unsigned int		nr_descs, cap_descs;
	struct crfs_buf		part[CRFS_PART_NR];
	u64			nr_records;
	/* page data: the runs, by process, each one's in ascending address order */
	struct crfs_run		*runs;
	unsigned int		nr_runs;
	unsigned int		next_run;
	u64			page_bytes;
	/* the stream: what is made and not read yet */
	struct crfs_buf		out;
	size_t			out_off;
	/*
	 * After out: the current PAGES record's data, read from the pages
	 * of pgs[next_run & 1]; the worker takes the next record's into
	 * the other set meanwhile (pgset.c).
	 */
	struct crfs_pgset	pgs[2];
	struct crfs_pgset	*cur;		/* being read, or NULL */
	size_t			pg_off;		/* bytes of cur->pages[cur->next] read */
	u64			off;		/* stream bytes made */
	bool			ended;
	char			*path_buf;	/* PATH_MAX for d_path() */
};

/* rec.c */
u32 crfs_crc32c(u32 crc, const void *p, size_t len);
void crfs_rec_xstate(u64 *xfeatures, u32 *size);
int crfs_rec_put(struct crfs_ckpt *c, enum crfs_part part, u32 type,
		 const void *a, size_t alen, const void *b, size_t blen);
int crfs_rec_header(struct crfs_ckpt *c);
int crfs_rec_pages(struct crfs_ckpt *c);
int crfs_rec_end(struct crfs_ckpt *c);
int crfs_rec_pages_start(struct crfs_ckpt *c);
void crfs_buf_free(struct crfs_buf *b);

/* pgset.c */
u32 crfs_crc32c_join(u32 crc, u32 raw, size_t len);
int crfs_pgset_init(struct crfs_pgset *s);
void crfs_pgset_take(struct crfs_pgset *s, struct mm_struct *mm,
		     unsigned long addr, unsigned int nr);
void crfs_pgset_check(struct crfs_pgset *s, u32 want_crc);
int crfs_pgset_wait(struct crfs_pgset *s, bool killable);
void crfs_pgset_put(struct crfs_pgset *s);
void crfs_pgset_free(struct crfs_pgset *s);

/* ckpt-tree.c */
int crfs_ckpt_tree(struct crfs_ckpt *c);
void crfs_ckpt_tree_free(struct crfs_ckpt *c);

/* ckpt.c */
__printf(3, 4)
int crfs_ckpt_refuse(struct crfs_ckpt *c, int err, const char *fmt, ...);
struct crfs_ckpt *crfs_ckpt_open(struct crfs_ct *ct);
void crfs_ckpt_free(struct crfs_ckpt *c);
int crfs_ckpt_alive(struct crfs_ckpt *c, int proc);
/* "pid P" or "pid P: thread T": who a refusal names */
#define CRFS_CKPT_WHO_LEN	40
void crfs_ckpt_who(struct crfs_ckpt *c, struct task_struct *t, char *who,
		   size_t len);

/* ckpt-files.c */
u32 crfs_ckpt_file_find(struct crfs_ckpt *c, const void *key, u32 flags);
int crfs_ckpt_file_add(struct crfs_ckpt *c, const void *key, u32 flags, u32 id);
const char *crfs_ckpt_file_why(struct file *file);
int crfs_ckpt_file(struct crfs_ckpt *c, struct file *file, bool mapped,
		   const char *what, u32 *id);
int crfs_ckpt_fs(struct crfs_ckpt *c);
int crfs_ckpt_fds_get(struct task_struct *task, struct crfs_ckpt_fds *t);
int crfs_ckpt_fds_check(struct crfs_ckpt *c, pid_t pid, unsigned int nr_threads,
			int ret, const struct crfs_ckpt_fds *t);
void crfs_ckpt_fds_put(struct crfs_ckpt_fds *t);
int crfs_ckpt_fdtable(struct crfs_ckpt *c);

/* The status flags a pipe end is kept and made with (ckpt-pipe.c, rst-pipe.c). */
#define CRFS_PIPE_FLAGS		(O_ACCMODE | O_NONBLOCK | O_DIRECT | O_LARGEFILE)
/*
 * The most queued signals of a process kept and restored: above what
 * RLIMIT_SIGPENDING (per user) gives a machine of 32 GiB; each takes
 * 136 bytes while a checkpoint or restore holds it.
 */
#define CRFS_MAX_SIGQ		262144

/* ckpt-pipe.c */
struct pipe_inode_info *crfs_ckpt_pipe_of(struct file *file);
int crfs_ckpt_pipe(struct crfs_ckpt *c, struct file *file, const char *what,
		   u32 *id);

/* ckpt-share.c */
int crfs_ckpt_descs(struct crfs_ckpt *c);
const struct crfs_ckpt_desc *crfs_ckpt_desc_find(const struct crfs_ckpt *c,
						 struct pipe_inode_info *pipe,
						 struct file *file);
int crfs_ckpt_share_procs(struct crfs_ckpt *c);
int crfs_ckpt_share(struct crfs_ckpt *c);
void crfs_ckpt_descs_free(struct crfs_ckpt *c);

/* ckpt-mm.c */
int crfs_ckpt_mm(struct crfs_ckpt *c);

/* ckpt-task.c */
struct user_regset;
struct user_regset_view;
const struct user_regset *crfs_regset(const struct user_regset_view *view,
				      unsigned int note);
int crfs_ckpt_ipcns(struct crfs_ckpt *c);
int crfs_ckpt_task(struct crfs_ckpt *c);

/* ckpt-misc.c */
int crfs_ckpt_misc(struct crfs_ckpt *c);
const char *crfs_task_settings_why(struct task_struct *t, char *buf,
				   size_t len, bool why);

/* ckpt-ns.c */
const char *crfs_ckpt_ns_why(struct crfs_ckpt *c, struct task_struct *t,
			     struct task_struct *lead, char *buf, size_t len);

/* ckpt-signal.c */
int crfs_ckpt_sighand(struct crfs_ckpt *c);
int crfs_ckpt_signals_check(struct crfs_ckpt *c);
int crfs_ckpt_sigpending(struct crfs_ckpt *c, u32 tid);
int crfs_ckpt_thread_signals(struct crfs_ckpt *c, struct task_struct *t,
			     struct crfs_thread *th, unsigned long sp);

/* ckpt-timer.c */
int crfs_ckpt_signals_timers(struct crfs_ckpt *c);
int crfs_ckpt_timers(struct crfs_ckpt *c);

#endif /* _FS_CRFS_CKPT_H */
