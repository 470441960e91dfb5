/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crfs restore internals: the context of one open of image for writing.
 *
 * write() feeds an incremental parser (rst.c): the header, then records
 * gathered whole and checked one by one into a model of one process.  At
 * the first PAGES record (or END), the model is checked whole and the
 * process is made (rst-task.c): kernel_clone() with the image's pid, moved
 * into the container, frozen.  It builds its own address space (rst-mm.c)
 * and files (rst-files.c) in its entry function, makes its other threads
 * (kernel_clone() with CLONE_THREAD and each one's tid), then waits; the
 * writer fills its pages, and at END sets every thread's registers as
 * ptrace would, lets them finish (signals, limits, credentials last) and
 * waits until the process is frozen.
 */
#ifndef _FS_CRFS_RST_H
#define _FS_CRFS_RST_H

#include <linux/completion.h>
#include <linux/crfs.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/types.h>

struct cred;
struct crfs_ct;
struct file;
struct mm_struct;
struct task_struct;

/* A FILE of the image, and the file the process opened for it. */
struct crfs_rst_file {
	struct crfs_file	f;
	char			*path;
	void			*ext;	/* PIPE: its crfs_file_pipe, data */
	struct file		*file;	/* opened by the process */
};

/* The registers' task work: rax, which ret_from_fork() zeroes. */
struct crfs_rst_ax {
	struct callback_head	work;
	u64			ax;
};

/* A thread of the process: its records, then the task made for it. */
struct crfs_rst_thread {
	struct crfs_rst		*r;
	struct crfs_thread	th;
	struct crfs_x86_regs	regs;
	bool			have_regs;
	void			*xstate;	/* hdr.xstate_size bytes */
	struct crfs_rst_ax	*ax;		/* handed to the thread */
	struct task_struct	*task;		/* a reference, once made */
};

/* One restore: from open() of image for writing to its release(). */
struct crfs_rst {
	struct crfs_ct		*ct;		/* a reference; first, as crfs_ckpt's */
	refcount_t		ref;		/* the open image, the process */
	struct mutex		lock;		/* writers of the stream */
	int			err;		/* sticky: every later write */
	bool			done;		/* restored and frozen */
	bool			busy;		/* ct->restoring is ours */
	const struct cred	*wcred;		/* the writer's (f_cred) */
	/* the parser */
	u64			off;		/* stream bytes taken */
	u64			nr_records;
	u64			page_bytes;
	bool			have_hdr;
	struct crfs_image_hdr	hdr;
	struct crfs_rec_hdr	rh;
	bool			have_rh;
	char			*buf;		/* the record being gathered */
	size_t			buf_len;	/* bytes in it */
	size_t			need;		/* bytes it will have */
	/* the model: one process */
	struct crfs_rst_file	*files;
	unsigned int		nr_files;
	struct crfs_ipcns	ipcns;
	bool			have_ipcns;
	struct crfs_mm		mm;
	bool			have_mm;
	struct crfs_vma		*vmas;
	unsigned int		nr_vmas;
	struct crfs_fdtable	fdt;
	bool			have_fdt;
	struct crfs_fd		*fds;
	unsigned int		nr_fds;
	struct crfs_fs		fs;
	bool			have_fs;
	struct crfs_sighand	*sighand;
	struct crfs_task	task;
	bool			have_task;
	struct crfs_creds	creds;
	bool			have_creds;
	struct crfs_rst_thread	*threads;	/* task.nr_threads of them */
	unsigned int		nr_threads;	/* THREAD records read */
	struct crfs_rst_thread	*lead;		/* the leader's, tid = pid */
	struct crfs_sigpending	*sigq;		/* queued signals, in order */
	unsigned int		nr_sigq, sigq_room;
	struct crfs_timer	*timers;	/* POSIX timers, ids ascending */
	unsigned int		nr_timers, timers_room;
	u64			pages_end;	/* PAGES ascend past this */
	/*
	 * A PAGES record's data, written straight into the process's pages,
	 * held in pgs[pg_set]; the worker checks the crc of the record
	 * before in the other set meanwhile (pgset.c).
	 */
	u64			pg_addr;	/* where its next byte goes */
	u64			pg_left;	/* its bytes still to come */
	struct crfs_pgset	pgs[2];
	unsigned int		pg_set;
	/* the process */
	struct cred		*new_cred;	/* its credentials, made at plan */
	struct task_struct	*proc;		/* the leader, a reference */
	struct mm_struct	*task_mm;	/* mmget() */
	struct completion	start;		/* writer: it is in the container */
	struct completion	ready;		/* each thread: built, or failed */
	struct completion	go;		/* writer: registers set, finish */
	struct completion	procset;	/* leader: actions, limits, timers */
	struct completion	queued;		/* each other thread: its signals */
	struct completion	finished;	/* each thread: done, or failed */
	bool			froze;		/* the container, by us */
	bool			abort;
	int			child_err;
	char			child_why[96];	/* the process's reason */
};

/* rst.c */
__printf(3, 4)
int crfs_rst_refuse(struct crfs_rst *r, int err, const char *fmt, ...);
struct crfs_rst *crfs_rst_open(struct crfs_ct *ct, struct file *file);
ssize_t crfs_rst_write(struct crfs_rst *r, struct iov_iter *from);
void crfs_rst_release(struct crfs_rst *r);
void crfs_rst_put(struct crfs_rst *r);
struct crfs_rst_file *crfs_rst_file_by_id(struct crfs_rst *r, u32 id);

/* rst-task.c */
int crfs_rst_plan_task(struct crfs_rst *r);
int crfs_rst_spawn(struct crfs_rst *r);
int crfs_rst_complete(struct crfs_rst *r);
void crfs_rst_kill(struct crfs_rst *r);
__printf(3, 4)
int crfs_rst_child_fail(struct crfs_rst *r, int err, const char *fmt, ...);

/* rst-thread.c */
const char *crfs_rst_plan_thread_why(struct crfs_rst *r,
				     const struct crfs_rst_thread *t);
int crfs_rst_thread(struct crfs_rst_thread *t);
int crfs_rst_thread_sched(struct crfs_rst_thread *t);
int crfs_rst_regs(struct crfs_rst *r, struct crfs_rst_thread *t);

/* rst-timer.c */
int crfs_rst_rec_timer(struct crfs_rst *r, void *p, size_t len);
int crfs_rst_plan_timers(struct crfs_rst *r);
int crfs_rst_timers_make(struct crfs_rst *r);
int crfs_rst_timer_signal(struct crfs_rst *r, const struct crfs_sigpending *s);
int crfs_rst_timers_arm(struct crfs_rst *r);

/* rst-mm.c */
int crfs_rst_check_vma(struct crfs_rst *r, const struct crfs_vma *v);
int crfs_rst_check_mm(struct crfs_rst *r);
int crfs_rst_build_mm(struct crfs_rst *r);
int crfs_rst_pages_begin(struct crfs_rst *r, const struct crfs_pages *pg);
ssize_t crfs_rst_pages_copy(struct crfs_rst *r, struct iov_iter *from);
int crfs_rst_pages_settle(struct crfs_rst *r);

/* rst-files.c */
int crfs_rst_check_file(struct crfs_rst *r, const struct crfs_rst_file *rf);
int crfs_rst_check_files(struct crfs_rst *r);
struct file *crfs_rst_open_file(struct crfs_rst *r, struct crfs_rst_file *rf,
				const char *what);
int crfs_rst_build_files(struct crfs_rst *r);

/* rst-pipe.c */
int crfs_rst_check_pipe(struct crfs_rst *r, const struct crfs_rst_file *rf);
int crfs_rst_check_pipes(struct crfs_rst *r);
struct file *crfs_rst_pipe_open(struct crfs_rst *r, struct crfs_rst_file *rf,
				const char *what);

#endif /* _FS_CRFS_RST_H */
