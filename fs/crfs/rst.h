/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crfs restore internals: the context of one open of image for writing.
 *
 * write() feeds an incremental parser (rst.c): the header, then records
 * gathered whole and checked one by one into a model of the objects and
 * processes of the tree.  At the first PAGES record (or END), the model is
 * checked whole and the tree is made (rst-task.c): the root by the writer,
 * every other process by the thread of its parent that forked it, each
 * with kernel_clone() and the image's pid.  Each builds its own address
 * space (rst-mm.c) and files (rst-files.c) in its entry function, makes
 * its other threads (kernel_clone() with CLONE_THREAD and each one's tid)
 * and its children, then waits; the writer moves them into the frozen
 * container, fills their pages, and at END sets every thread's registers
 * as ptrace would, lets them finish (signals, limits, credentials last)
 * and waits until the container is frozen.
 */
#ifndef _FS_CRFS_RST_H
#define _FS_CRFS_RST_H

#include <linux/completion.h>
#include <linux/crfs.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/types.h>

/* The most objects of a kind one process may have here. */
#define CRFS_RST_MAX_FILES	4096
#define CRFS_RST_MAX_VMAS	65536
#define CRFS_RST_MAX_FDS	4096
#define CRFS_RST_MAX_THREADS	4096
#define CRFS_RST_MAX_PROCS	4096
#define CRFS_RST_MAX_TASKS	32768	/* threads of all processes */

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
	unsigned int		holders; /* PIPE: descriptors not installed yet */
};

/* The registers' task work: rax, which ret_from_fork() zeroes. */
struct crfs_rst_ax {
	struct callback_head	work;
	u64			ax;
};

/* A thread of the process: its records, then the task made for it. */
struct crfs_rst_thread {
	struct crfs_rst_proc	*p;
	struct crfs_thread	th;
	struct crfs_x86_regs	regs;
	bool			have_regs;
	void			*xstate;	/* hdr.xstate_size bytes */
	struct crfs_rst_ax	*ax;		/* handed to the thread */
	struct task_struct	*task;		/* a reference, once made */
};

/* An MM of the image and its VMAs; an FDTABLE and its FDs. */
struct crfs_rst_mm {
	struct crfs_mm		mm;
	struct crfs_vma		*vmas;
	unsigned int		nr_vmas;
};

struct crfs_rst_fdt {
	struct crfs_fdtable	fdt;
	struct crfs_fd		*fds;
	unsigned int		nr_fds;
};

/*
 * A process made only to lead a process group whose leader is not in the
 * image (it exited), in the session of its maker, a process of the image;
 * gone, reaped by its maker, once every member has joined the group.
 */
struct crfs_rst_helper {
	struct crfs_rst		*r;
	struct crfs_rst_proc	*maker;
	u32			pgid, sid;
	unsigned int		nr_members;
	struct completion	joined;		/* each member */
	struct task_struct	*task;		/* a reference, once made */
};

/*
 * A process of the image: its records (its objects by the ids of its
 * TASK, each one's alone), then the process made for it.
 */
struct crfs_rst_proc {
	struct crfs_rst		*r;
	struct crfs_rst_proc	*parent;	/* NULL: the root */
	struct crfs_task	task;
	struct crfs_creds	creds;
	u32			*groups;	/* creds.ngroups, as the image has them */
	bool			have_creds;
	u32			sid, pgid;	/* as restored (the root's: its pid) */
	struct crfs_rst_helper	*helper;	/* of its group, if any */
	bool			subreaper_above; /* an ancestor of the image */
	const struct crfs_mm	*mm;
	const struct crfs_vma	*vmas;
	unsigned int		nr_vmas;
	const struct crfs_fdtable *fdt;
	const struct crfs_fd	*fds;
	unsigned int		nr_fds;
	const struct crfs_fs	*fs;
	const struct crfs_sighand *sighand;
	struct crfs_rst_thread	*threads;	/* task.nr_threads of them */
	unsigned int		nr_threads;	/* THREAD records read */
	struct crfs_rst_thread	*lead;		/* the leader's, tid = pid */
	struct crfs_sigpending	*sigq;		/* queued signals, in order */
	unsigned int		nr_sigq, sigq_room;
	struct crfs_timer	*timers;	/* POSIX timers, ids ascending */
	unsigned int		nr_timers, timers_room;
	bool			pages_done;	/* its PAGES are behind */
	/* the process */
	struct cred		*new_cred;	/* its credentials, made at plan */
	struct task_struct	*proc;		/* the leader, a reference */
	struct mm_struct	*task_mm;	/* mmget() */
	struct completion	procset;	/* leader: actions, limits, timers */
	struct completion	queued;		/* each other thread: its signals */
};

/* One restore: from open() of image for writing to its release(). */
struct crfs_rst {
	struct crfs_ct		*ct;		/* a reference; first, as crfs_ckpt's */
	refcount_t		ref;		/* the open image, each process */
	struct mutex		lock;		/* writers of the stream */
	int			err;		/* sticky: every later write */
	bool			done;		/* restored and frozen */
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
	/* the model: the objects, then the processes */
	struct crfs_rst_file	*files;
	unsigned int		nr_files;
	struct crfs_ipcns	ipcns;
	bool			have_ipcns;
	struct crfs_rst_mm	*mms;
	unsigned int		nr_mms;
	struct crfs_rst_fdt	*fdts;
	unsigned int		nr_fdts;
	struct crfs_fs		*fss;
	unsigned int		nr_fss;
	struct crfs_sighand	**sighands;
	unsigned int		nr_sighands;
	struct crfs_rst_proc	*procs;		/* hdr.nr_tasks of them */
	unsigned int		nr_procs;	/* TASK records read */
	struct crfs_rst_helper	*helpers;	/* nr_procs of room */
	unsigned int		nr_helpers;
	struct crfs_rst_proc	*pg_proc;	/* of the PAGES record read */
	u64			pages_end;	/* its PAGES ascend past this */
	/*
	 * A PAGES record's data, written straight into the process's pages,
	 * held in pgs[pg_set]; the worker checks the crc of the record
	 * before in the other set meanwhile (pgset.c).
	 */
	u64			pg_addr;	/* where its next byte goes */
	u64			pg_left;	/* its bytes still to come */
	struct crfs_pgset	pgs[2];
	unsigned int		pg_set;
	/* the processes */
	struct mutex		build;		/* one process opens its files */
	bool			made;		/* the plan done, the root made */
	unsigned int		nr_tasks;	/* threads of all of them */
	struct completion	start;		/* writer: the root may go on */
	struct completion	ready;		/* each thread: built, or failed */
	struct completion	go;		/* writer: registers set, finish */
	struct completion	finished;	/* each thread: done, or failed */
	bool			froze;		/* the container, by us */
	bool			abort;
	bool			cancel;		/* a kill of the container called it off */
	int			child_err;
};

/* rst.c */
__printf(3, 4)
int crfs_rst_refuse(struct crfs_rst *r, int err, const char *fmt, ...);
struct crfs_rst *crfs_rst_open(struct crfs_ct *ct, struct file *file);
ssize_t crfs_rst_write(struct crfs_rst *r, struct iov_iter *from);
void crfs_rst_cancel(struct crfs_rst *r);
void crfs_rst_release(struct crfs_rst *r);
void crfs_rst_put(struct crfs_rst *r);
struct crfs_rst_file *crfs_rst_file_by_id(struct crfs_rst *r, u32 id);

/* rst-obj.c: the object records (crfs_rst_recs[], rst.c) */
int crfs_rst_rec_file(struct crfs_rst *r, void *p, size_t len);
int crfs_rst_rec_ipcns(struct crfs_rst *r, void *p, size_t len);
int crfs_rst_rec_mm(struct crfs_rst *r, void *p, size_t len);
int crfs_rst_rec_vma(struct crfs_rst *r, void *p, size_t len);
int crfs_rst_rec_fdtable(struct crfs_rst *r, void *p, size_t len);
int crfs_rst_rec_fd(struct crfs_rst *r, void *p, size_t len);
int crfs_rst_rec_fs(struct crfs_rst *r, void *p, size_t len);
int crfs_rst_rec_sighand(struct crfs_rst *r, void *p, size_t len);

/* rst-task.c */
int crfs_rst_plan_task(struct crfs_rst_proc *p);
int crfs_rst_spawn(struct crfs_rst *r);
int crfs_rst_complete(struct crfs_rst *r);
int crfs_rst_child(void *arg);
__printf(3, 4)
int crfs_rst_child_fail(struct crfs_rst *r, int err, const char *fmt, ...);

/* rst-creds.c */
int crfs_rst_plan_creds(struct crfs_rst_proc *p);

/* rst-tree.c */
struct kernel_clone_args;
/* what holds a pid, in words: crfs_rst_clone() */
#define CRFS_RST_WHO_LEN	96
pid_t crfs_rst_clone(struct kernel_clone_args *args, char *who, size_t len);
const char *crfs_rst_bind(struct crfs_rst *r, struct crfs_rst_proc *p);
int crfs_rst_plan_tree(struct crfs_rst *r);
int crfs_rst_own_groups(struct crfs_rst_proc *p);
int crfs_rst_make_children(struct crfs_rst_proc *p, u32 tid);
int crfs_rst_make_helpers(struct crfs_rst_proc *p);
int crfs_rst_join_group(struct crfs_rst_proc *p);
void crfs_rst_kill(struct crfs_rst *r);
void crfs_rst_reap(struct crfs_rst *r);

/* rst-thread.c */
const char *crfs_rst_plan_thread_why(struct crfs_rst_proc *p,
				     const struct crfs_rst_thread *t);
int crfs_rst_thread(struct crfs_rst_thread *t);
int crfs_rst_thread_sched(struct crfs_rst_thread *t);
int crfs_rst_regs(struct crfs_rst_proc *p, struct crfs_rst_thread *t);

/* rst-timer.c */
int crfs_rst_rec_timer(struct crfs_rst *r, void *rec, size_t len);
int crfs_rst_plan_timers(struct crfs_rst_proc *p);
int crfs_rst_timers_make(struct crfs_rst_proc *p);
int crfs_rst_timer_signal(struct crfs_rst_proc *p, const struct crfs_sigpending *s);
int crfs_rst_timers_arm(struct crfs_rst_proc *p);

/* rst-mm.c */
int crfs_rst_check_vma(struct crfs_rst *r, const struct crfs_vma *v);
int crfs_rst_check_mm(struct crfs_rst_proc *p);
int crfs_rst_build_mm(struct crfs_rst_proc *p);
int crfs_rst_pages_begin(struct crfs_rst_proc *p, const struct crfs_pages *pg);
ssize_t crfs_rst_pages_copy(struct crfs_rst *r, struct iov_iter *from);
int crfs_rst_pages_settle(struct crfs_rst *r);

/* rst-files.c */
int crfs_rst_check_file(struct crfs_rst *r, const struct crfs_rst_file *rf);
int crfs_rst_check_files(struct crfs_rst_proc *p);
struct file *crfs_rst_open_file(struct crfs_rst_proc *p, struct crfs_rst_file *rf,
				const char *what);
int crfs_rst_build_files(struct crfs_rst_proc *p);

/* rst-pipe.c */
int crfs_rst_check_pipe(struct crfs_rst *r, const struct crfs_rst_file *rf);
int crfs_rst_check_pipes(struct crfs_rst *r);
void crfs_rst_pipes_held(struct crfs_rst_proc *p);
struct file *crfs_rst_pipe_open(struct crfs_rst_proc *p, struct crfs_rst_file *rf,
				const char *what);

#endif /* _FS_CRFS_RST_H */
