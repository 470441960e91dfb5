/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inside the restore side of the engine: the processes of a tree being
 * recreated from a model read out of an image.
 *
 * restore.c runs the phases and drives the processes; restore-tree.c
 * makes the tree and what its processes share; restore-task.c is a
 * new process's own code and the reasons of its failures; restore-files.c
 * the files it opens and checks; restore-mm.c its memory.  The rows of the
 * resource table (res.h) restore the rest, each in its phase.
 */
#ifndef CR_RESTORE_H
#define CR_RESTORE_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "cr-internal.h"
#include "img-walk.h"
#include "res.h"
#include "arch.h"

/* The scratch area: the injection gadget, then data for injected calls. */
#define CR_RST_SCRATCH_PAGES	3
#define CR_RST_DATA_OFF		64

/* How an entry of struct cr_rst_files is named in a reason. */
enum cr_rst_file_kind {
	CR_RF_FD,		/* a description of descriptors of the image */
	CR_RF_MAP,		/* a mapped file (one entry for all its mappings) */
	CR_RF_EXE,		/* the executable, for PR_SET_MM_MAP */
	CR_RF_CWD,		/* O_PATH directories, closed by the child */
	CR_RF_ROOT,
	CR_RF_PAIR,		/* the other end of a pair made here, held by
				 * later processes only (restore-pair.c) */
};

/* The identity fields a file is checked by; CR_RF_* bits of check. */
enum cr_rst_file_field {
	CR_RF_F_TYPE,		/* st_mode & S_IFMT */
	CR_RF_F_DEV,
	CR_RF_F_INO,
	CR_RF_F_SIZE,
	CR_RF_F_MTIME,		/* ns */
	CR_RF_F_RDEV,
	CR_RF_F_NR
};
#define CR_RF_TYPE	(1U << CR_RF_F_TYPE)
#define CR_RF_DEV	(1U << CR_RF_F_DEV)
#define CR_RF_INO	(1U << CR_RF_F_INO)
#define CR_RF_SIZE	(1U << CR_RF_F_SIZE)
#define CR_RF_MTIME	(1U << CR_RF_F_MTIME)
#define CR_RF_RDEV	(1U << CR_RF_F_RDEV)

/* One description the new process opens once, and what it must be. */
struct cr_rst_file {
	const char	*path;		/* the image's, absolute */
	uint32_t	kind;		/* enum cr_rst_file_kind */
	uint32_t	idx;		/* FD: its first fd, MAP: first VMA */
	int32_t		fd;		/* its number in the new process */
	int32_t		oflags;		/* openat2() flags */
	uint64_t	pos;		/* its offset */
	bool		seek;		/* lseek() it there */
	bool		priv;		/* CRFS_FILE_F_PRIV: as the restorer */
	uint32_t	data_id;	/* MEMFD, UNLINKED: its inode's FILE */
	int32_t		pass;		/* FD: opened by an earlier process,
					 * received: index in pass_fd; -1 */
	char		via[48];	/* then: the restorer's copy of it */
	const struct cr_file *evfd;	/* an event descriptor, made anew */
	char		(*wd_via)[48];	/* INOTIFY: per watch, the restorer's
					 * copy of its deleted inode, "": by
					 * path; NULL: none (res-inotify.c) */
	const struct cr_file *unx;	/* an unconnected or listening unix
					 * socket, made anew (restore-unix.c) */
	/* One end of a pair (restore-pair.c). */
	const struct cr_file *pair;	/* its FILE, NULL: no pair */
	bool		pair_make;	/* this entry makes the pair, */
	const struct cr_file *pair_peer; /* the other end's FILE or NULL, */
	int32_t		pair_entry;	/* the other end's entry, -1: none */
	int32_t		pair_fd;	/* and number, -1: closed at once */
	bool		pair_made;	/* made by another entry: in place */
	bool		reopen;		/* opened again through pair_fd of
					 * the same pipe, in @via, last */
	const struct cr_file *fifo;	/* a FIFO, reopened by path */
	/* A connection of a listening socket made here (restore-unix.c). */
	bool		conn;		/* accepted: made through listen_entry
					 * (pair_make); waiting: made by it
					 * (pair_made), placed last */
	int32_t		listen_entry;	/* the listener's entry, */
	int32_t		listen_fd;	/* and number */
	/*
	 * A connection another process than the listener's connect()ed
	 * (cr_unix_xconn()): its accepted end, accept()ed once every process
	 * has its files (cr_rst_unix_xconns()), not placed in the files step;
	 * its client, connect()ed here (pair_peer: the accepted end).
	 */
	bool		xlate;
	bool		xdial;
	uint32_t	type;		/* S_IFREG, S_IFCHR, S_IFDIR */
	uint32_t	check;		/* CR_RF_* fields compared */
	uint64_t	dev, ino, size, rdev;
	int64_t		mtime_ns;
};

/* One descriptor of the image: the description it gets. */
struct cr_rst_fd {
	int32_t		fd;
	uint32_t	entry;		/* in struct cr_rst_files.f */
	bool		cloexec;
};

/*
 * Every file of one process, planned before it exists: the descriptions
 * of its descriptors (each at the number of its first descriptor), then
 * its mapped files and executable (at numbers the image does not use,
 * closed once mapped), then its cwd and root.
 */
struct cr_rst_files {
	struct cr_rst_file	*f;
	uint32_t		nr;
	uint32_t		nr_fd_entries;	/* the first entries */
	struct cr_rst_fd	*fds;		/* sorted by number */
	uint32_t		nr_fds;
	int32_t			*vma_file;	/* per VMA: its entry, or -1 */
	int32_t			exe, cwd, root;	/* entries, -1: none */
	int32_t			sock_fd;	/* the child's socket */
	uint32_t		nofile;		/* highest number + 1 */
	bool			fdt_shared;	/* an earlier process's table */
	/* descriptions another process opened (restore-tree.c) */
	uint32_t		nr_pass;
	int32_t			*pass_fd;	/* child: where each arrived */
	struct cr_rst_pass {
		uint32_t	task;		/* the process that opened it,
						 * CR_PASS_RESTORER: fd is the
						 * restorer's own (res-tty.c) */
		int32_t		fd;		/* its number there */
	}			*pass_src;
};

#define CR_PASS_RESTORER	UINT32_MAX

struct cr_rst_tree;

/* Calls a late step queues before they run as one batch (restore-queue.c). */
#define CR_RST_QUEUE		24
#define CR_RST_QUEUE_WHAT	160

/*
 * The injected calls of a process queued by its late steps, not run yet:
 * each with where its result goes (NULL: it must succeed, else the
 * restore fails naming @what, as cr_rst_call() does), and the bytes of
 * queue data their arguments point to (the scratch area's second page
 * from the end).  Empty between the late steps.
 */
struct cr_rst_queue {
	struct cr_infect_call	c[CR_RST_QUEUE];
	long			*ret[CR_RST_QUEUE];
	char			what[CR_RST_QUEUE][CR_RST_QUEUE_WHAT];
	uint32_t		n;
	uint32_t		data;		/* queue data bytes in use */
	uint32_t		runs;		/* batches run, one stop each */
	int8_t			quiet;		/* SIGTRAP neither pending nor
						 * ignored, by the image: 1,
						 * 0: not known yet, -1: no */
};

/* One process being restored, driven by the calling thread (its tracer). */
struct cr_rst {
	pid_t			pid;
	uint32_t		idx;		/* in the tree, 0: the root */
	struct cr_rst_tree	*tree;		/* every process of the image */
	int			pidfd;		/* of @pid, -1: none */
	const char		*cgdir;
	struct cr_ring		*ring;		/* the image: aborts come by it */
	const struct cr_model	*m;
	const struct cr_task	*task;
	const struct cr_thread	*thread;
	const struct cr_mm	*mm;
	uint32_t		page_size;
	struct cr_infect	inf;		/* injection state */
	unsigned long		scratch;	/* scratch area, 0: none */
	size_t			scratch_size;
	uint64_t		page_bytes;	/* page data written so far */
	const struct cr_vma	*wr_vma;	/* last mapping made writable */
	struct cr_rst_files	files;		/* its files (res-files.c) */
	int32_t			*shmem_fd;	/* per SHMEM, while mapping */
	int32_t			*fdata_fd;	/* per FILE: a copy made, -1 */
	int			zsock;		/* a zombie's socket, -1 */
	bool			seized;		/* traced by the restorer */
	struct cr_infect	*tinf;		/* its other threads, made */
	uint32_t		nr_tinf;
	int			ipc_old_fd;	/* res-ipc.c: crfs's IPC ns */
	int32_t			*ipc_fd;	/* per IPC: a SHM's file, -1 */
	struct cr_rst_queue	q;		/* late calls not run yet */
};

/* A process group whose leader has exited, made by a helper of its pid. */
struct cr_rst_helper {
	uint32_t		pgid;		/* the helper's pid */
	uint32_t		maker;		/* the process that makes it */
};

/*
 * A thread but the leader that is the parent of processes (their
 * parent_tid): made with its tid by its process before its children, as
 * a thread that makes them when the process asks, then waits until the
 * restorer takes it (restore-tree.c, cr_rst_threads_create()).
 */
struct cr_rst_maker {
	uint32_t		tid;		/* the image's */
	uint32_t		owner;		/* its process, in the tree */
	uint32_t		nr_kids;	/* the children it makes */
	uint32_t		state;		/* enum cr_rst_maker_state:
						 * the futex word */
	const struct cr_rst_child *kid;	/* asked: the child to make */
	int32_t			err;		/* done: 0 or a positive errno */
	char			*stack;		/* its stack's top */
	int32_t			next;		/* its process's next, -1 */
};

/* Every process of a restore, and what they share (restore-tree.c). */
struct cr_rst_tree {
	struct cr_rst		*rst;		/* one per process, image order */
	struct cr_rst_child	*child;		/* the same */
	uint32_t		nr;
	struct cr_rst		**by_mm;	/* per MM: its process */
	int			*shm_fd;	/* per SHMEM: the restorer's
						 * copy, -1: none (yet) */
	uint8_t			*shm_many;	/* per SHMEM: in two mms */
	bool			pidns;		/* CRFS_FEAT_PIDNS: a new one */
	struct cr_rst_helper	*helpers;
	uint32_t		nr_helpers;
	uint32_t		*groups;	/* shared tables' processes */
	uint32_t		*later;		/* made from them, not sharing */
	uint32_t		nr_later;
	int32_t			*pair_first;	/* per FILE: its first holder
						 * (restore-pair.c), -1 */
	int			*tty_fd;	/* per FILE: a TTY the restorer
						 * made (res-tty.c), else -1 */
	int			shell_tty;	/* cr_opts.tty_fd, -1: none */
	struct cr_rst_maker	*makers;	/* threads making children */
	uint32_t		nr_makers;
};

/* Is @r's process a zombie of the image? */
static inline bool cr_rst_zombie(const struct cr_rst *r)
{
	return r->task->t.state == CRFS_TASK_ZOMBIE;
}

/**
 * cr_pid_going() - who holds @pid (or a tid): 1 if it is going away
 * (zombie, exiting, or gone already), 0 if a live task has it, its name
 * into @comm (restore.c)
 */
int cr_pid_going(pid_t pid, char *comm, size_t len);

/**
 * cr_timer_requeues() - is @p, a pending signal of task @t, the signal
 * of one of its POSIX timers (SI_TIMER, that timer's id)?  The timer,
 * made again, queues it itself (res-timers.c): a copy queued beside it
 * would be a second signal where the kernel keeps one per timer.
 */
bool cr_timer_requeues(const struct cr_task *t,
		       const struct crfs_sigpending *p);

/**
 * cr_rst_ipc_create() - make the container's IPC namespace, for the
 * calling thread, before the first process is created (which is created
 * in it), and every SysV object in it with its id, fill them with the
 * IPC_DATA records that follow @w's FILE_DATA (res-ipc.c); nothing
 * without an IPCNS record.  cr_rst_ipc_leave() it, even on failure.
 * Return: 0 or -errno with @e set.
 */
int cr_rst_ipc_create(struct cr_rst *r, struct cr_img_walk *w,
		      struct cr_err *e);

/**
 * cr_rst_ipc_finish() - once every process is restored: remove the
 * segments that were removed (IPC_RMID) but attached, and set the
 * namespace's sysctls
 * Return: 0 or -errno with @e set.
 */
int cr_rst_ipc_finish(struct cr_rst *r, struct cr_err *e);

/* cr_rst_ipc_leave() - the calling thread back in crfs's IPC namespace */
void cr_rst_ipc_leave(struct cr_rst *r);

/**
 * cr_rst_aborted() - has the restore been called off (cr_ring_aborted())?
 *
 * Every step that does not wait on the ring polls it, so that a kill,
 * the writer gone or an unmount ends the restore within one injected call.
 *
 * Return: 0, or -errno with @e set naming the process.
 */
int cr_rst_aborted(const struct cr_rst *r, struct cr_err *e);

/* Arguments of an injected call, missing ones zero. */
#define CR_ARGS(...)	((const unsigned long[6]){ __VA_ARGS__ })

/**
 * cr_rst_syscall() - make the process run one system call
 * @r:   the process, stopped, with @r->inf ready
 * @nr:  syscall number
 * @a:   arguments (CR_ARGS(...))
 * @ret: receives the raw result, -errno on failure
 *
 * Return: 0 when the call ran, or -errno with @e set when the process
 * could not be driven.
 */
int cr_rst_syscall(struct cr_rst *r, long nr, const unsigned long a[6],
		   long *ret, struct cr_err *e);

/**
 * cr_rst_call() - an injected call that must succeed
 * @what: what it does, for the reason of a failure
 * Return: 0 or -errno with @e set ("pid N: @what: reason").
 */
int cr_rst_call(struct cr_rst *r, long nr, const unsigned long a[6],
		const char *what, struct cr_err *e);

/**
 * cr_rst_poke() - copy @len bytes into the scratch data area at @off
 * @addr: receives the address of the copy in the process
 *
 * Return: 0 or -errno with @e set.
 */
int cr_rst_poke(struct cr_rst *r, size_t off, const void *buf, size_t len,
		unsigned long *addr, struct cr_err *e);

/**
 * cr_rst_queue() - queue an injected call of a late step, run later with
 * the others of the queue in one stop of the process (cr_rst_flush())
 * @r:    the process, stopped, with its scratch area
 * @nr:   syscall number
 * @a:    arguments (CR_ARGS(...))
 * @what: a call that must succeed: what it does, for the reason of its
 *        failure ("pid N: @what: reason", as cr_rst_call()); NULL: one
 *        whose result is wanted, in *@ret once flushed
 * @ret:  with @what NULL: receives the raw result, -errno on failure
 *
 * A call whose result is wanted before the next step, or any step of the
 * restorer on the process (/proc, ptrace, prlimit()), needs a
 * cr_rst_flush() first; cr_rst_syscall(), cr_rst_call() and cr_rst_poke()
 * flush it themselves.  The queue is run when full.
 *
 * Return: 0, or -errno with @e set (a queued call that failed, when run).
 */
int cr_rst_queue(struct cr_rst *r, long nr, const unsigned long a[6],
		 const char *what, long *ret, struct cr_err *e);

/**
 * cr_rst_queue_poke() - copy @len bytes for a queued call into the queue
 * data, where no later poke overwrites them before the queue has run
 * @addr: receives the address of the copy in the process
 *
 * Return: 0 or -errno with @e set.
 */
int cr_rst_queue_poke(struct cr_rst *r, const void *buf, size_t len,
		      unsigned long *addr, struct cr_err *e);

/**
 * cr_rst_flush() - run the queued calls of @r, in their order, in one
 * stop of the process (one by one when a batch cannot run there); each
 * result where it was asked for, the first failure of a call that must
 * succeed reported as cr_rst_call() reports it, the calls after it not run
 *
 * Return: 0 or -errno with @e set.
 */
int cr_rst_flush(struct cr_rst *r, struct cr_err *e);

/**
 * cr_rst_batch() - cr_infect_batch() for @r's process, without its look at
 * /proc when the image has SIGTRAP neither ignored nor queued and no
 * POSIX timer (restore-queue.c)
 * Return: as cr_infect_batch().
 */
int cr_rst_batch(struct cr_rst *r, unsigned long code, unsigned long table,
		 struct cr_infect_call *calls, int n, struct cr_err *e);

/* cr_rst_queue_drop() - forget the queued calls (after a failure) */
void cr_rst_queue_drop(struct cr_rst *r);

/**
 * cr_rst_late_row() - the late hook of row @ops for @r, then what it left
 * queued run (cr_rst_flush()), or dropped when it failed
 * Return: 0 or -errno with @e set.
 */
int cr_rst_late_row(const struct cr_res_ops *ops, struct cr_rst *r,
		    struct cr_err *e);

/**
 * cr_rst_plan() - restore phase 1 after the reading: the plan hook of
 * every row (the files and their numbers, what this restorer can set,
 * room for the mappings), before anything exists
 * @r: with @r->m, @r->task, @r->thread and @r->mm set; free @r->files
 *     with cr_rst_files_free(), even after a failure
 *
 * Return: 0 or -errno with @e set.
 */
int cr_rst_plan(struct cr_rst *r, struct cr_err *e);

/* res-misc.c */

/**
 * cr_rst_affinity() - give the process the CPU affinity of the image and
 * read it back (the restore pinned it to the restorer's CPU)
 *
 * Return: 0, or -errno with @e set naming the process.
 */
int cr_rst_affinity(struct cr_rst *r, struct cr_err *e);

/**
 * cr_rst_sched() - set the scheduling policy, priority and nice value of
 * @r's thread (@r->thread, @r->pid) from the restorer, which keeps
 * CAP_SYS_NICE, and read them back
 *
 * Return: 0, or -errno with @e set naming the process.
 */
int cr_rst_sched(struct cr_rst *r, struct cr_err *e);

/* restore-threads.c: the threads of the process but its leader. */

/**
 * cr_rst_threads_create() - the leader, stopped, its memory whole, makes
 * the image's other threads with their tids, each left stopped
 * Return: 0 or -errno with @e set.
 */
int cr_rst_threads_create(struct cr_rst *r, struct cr_err *e);

/**
 * cr_rst_threads_parked() - before @r's memory is swapped: each thread its
 * process made to make children (restore-tree.c) is inside its pause(),
 * off the code the swap takes away; waited for, up to 5 s
 * Return: 0 or -errno with @e set.
 */
int cr_rst_threads_parked(struct cr_rst *r, struct cr_err *e);

/**
 * cr_rst_threads_late() - each other thread's own state, by its own calls
 * Return: 0 or -errno with @e set.
 */
int cr_rst_threads_late(struct cr_rst *r, struct cr_err *e);

/**
 * cr_rst_threads_let_go() - their registers, mask and affinity, then the
 * cgroup frozen and the threads detached into it
 * Return: 0 or -errno with @e set.
 */
int cr_rst_threads_let_go(struct cr_rst *r, struct cr_err *e);

/**
 * cr_futex_slots_default() - the slots of the private futex hash the
 * kernel gives a process that made @nr_threads - 1 threads on this
 * machine (futex_hash_allocate_default(): 4 per thread, as many threads
 * as CPUs online at most, a power of 2, 16 at least)
 */
uint32_t cr_futex_slots_default(uint32_t nr_threads);

/* cr_rst_threads_undo() - reap the killed threads, free their state */
void cr_rst_threads_undo(struct cr_rst *r);

/* restore-read.c */

/**
 * cr_rst_read() - read and check an image up to its page data
 * @w:   receives the walker (cr_img_walk_fini() it, even on failure), with
 *       the model in @w->m
 * @img: the image stream
 *
 * The header, whether this machine can run the image (cr_img_check_hdr()),
 * every object and process and every rule the image alone decides: what
 * `crfs-image verify` refuses, the restore refuses here, before anything
 * is created, with the same reason.
 *
 * Return: 0 or -errno with @e set.
 */
int cr_rst_read(struct cr_img_walk *w, struct cr_img *img, struct cr_err *e);

/**
 * cr_rst_next_pages() - the next PAGES record of the image, checked
 * Return: CR_WALK_PAGES (in @w->pages), CR_WALK_END (the image is whole),
 * or -errno with @e set.
 */
int cr_rst_next_pages(struct cr_img_walk *w, struct cr_err *e);

/* res-fdata.c */

/**
 * cr_rst_fdata_read() - make every memfd and deleted file of the image
 * anew in the restorer (@r->fdata_fd), write the FILE_DATA records into
 * them, set their size, owner and mode, and point the new process's
 * entries of them (@r->files) at them; the record after the data is left
 * for cr_rst_next_pages() (cr_img_walk_again())
 * Return: 0 or -errno with @e set; cr_rst_fdata_close() even on failure.
 */
int cr_rst_fdata_read(struct cr_rst *r, struct cr_img_walk *w,
		      struct cr_err *e);

/**
 * cr_rst_fdata_point() - point @r's entries of kept files at the copies
 * another process's cr_rst_fdata_read() made (@r->fdata_fd, shared)
 * Return: 0 or -errno with @e set.
 */
int cr_rst_fdata_point(struct cr_rst *r, struct cr_err *e);

/* cr_rst_fdata_close() - close the copies cr_rst_fdata_read() made */
void cr_rst_fdata_close(struct cr_rst *r);

/* restore-mm.c */

struct cr_proc_map;

/**
 * cr_rst_scratch_addr() - where the scratch area of a restore can go
 * @mm:     the image's address space (its mappings, sorted)
 * @cur:    the new process's mappings now, sorted (cr_proc_layout())
 * @nr_cur: how many
 * @size:   the scratch area's size
 *
 * Somewhere neither layout has anything, with a stack guard gap's worth
 * of room on both sides so that nothing grows into it.  Linear in the
 * number of mappings, whatever their layout.
 *
 * Return: the address, or 0 when there is no such room.
 */
unsigned long cr_rst_scratch_addr(const struct cr_mm *mm,
				  const struct cr_proc_map *cur, int nr_cur,
				  size_t size);

/**
 * cr_rst_mm_swap() - replace the memory of the stopped process by the
 * image's mappings (no page data yet), leaving the scratch area in place
 * Return: 0 or -errno with @e set.
 */
int cr_rst_mm_swap(struct cr_rst *r, struct cr_err *e);

/**
 * cr_rst_mm_pages() - write the data of one CRFS_REC_PAGES record
 * @pg: the record, checked by cr_img_check_pages()
 *
 * Return: 0 or -errno with @e set.
 */
int cr_rst_mm_pages(struct cr_rst *r, const struct cr_img_pages *pg,
		    struct cr_err *e);

/**
 * cr_rst_mm_finish() - final protections, PR_SET_MM_MAP (layout, auxv, exe)
 * Return: 0 or -errno with @e set.
 */
int cr_rst_mm_finish(struct cr_rst *r, struct cr_err *e);

/**
 * cr_rst_mm_unmap_scratch() - drop the scratch area, by a call from its
 * own syscall instruction: the last injected call of a restore
 * Return: 0 or -errno with @e set.
 */
int cr_rst_mm_unmap_scratch(struct cr_rst *r, struct cr_err *e);

/* restore-task.c */

/* Where the new process stopped, for the reason of a failure. */
enum cr_rst_step {
	CR_RST_DONE,
	CR_RST_CLOSE,		/* closing the restorer's descriptors */
	CR_RST_SETSID,		/* a session of its own */
	CR_RST_NOFILE,		/* room for the descriptors */
	CR_RST_GROUPS,		/* the image's groups, to open as the task */
	CR_RST_FILE_OPEN,	/* idx: entry of struct cr_rst_files */
	CR_RST_FILE_STAT,
	CR_RST_FILE_IDENT,	/* field: enum cr_rst_file_field, v1: found */
	CR_RST_FILE_FLAGS,	/* its status flags, O_NONBLOCK off */
	CR_RST_FILE_MOVE,
	CR_RST_FILE_SEEK,
	CR_RST_FILE_DUP,	/* idx: descriptor of struct cr_rst_files */
	CR_RST_ROOT,
	CR_RST_CWD,
	CR_RST_UMASK,
	CR_RST_SIGACT,
	CR_RST_NAME,
	CR_RST_SIGMASK,
	CR_RST_THP,		/* PR_SET_THP_DISABLE */
	CR_RST_SETPGID,		/* a process group of its own */
	CR_RST_CHILD,		/* idx: the child it could not create */
	CR_RST_PASS,		/* the descriptions of other processes */
	CR_RST_ZOMBIE,		/* idx: its group, credentials, exit */
	CR_RST_FUTEX_HASH,	/* a thread to make the futex hash */
	CR_RST_CTTY,		/* idx: its controlling terminal (pts) */
	CR_RST_MAKER,		/* idx: the thread to make children */
	CR_RST_CGROUP,		/* moving itself into the container */
};

/* What the new process says about its own restore, through its socket. */
struct cr_rst_res {
	int32_t		step;		/* enum cr_rst_step, 0: done */
	int32_t		err;		/* positive errno */
	int32_t		idx;		/* file entry, signal, ... */
	int32_t		field;		/* enum cr_rst_file_field */
	uint64_t	v1, v2;		/* found values */
};

/* Everything the new process needs, ready in memory before it exists. */
struct cr_rst_child {
	const struct cr_model		*m;
	const struct cr_task		*task;
	const struct cr_rst_files	*files;
	int				sock;	 /* its end of the socket */
	int				sock_fd; /* where to move it */
	/* the tree: every process's, the first child and next sibling */
	const struct cr_rst_child	*all;
	int32_t				child, next;
	/* groups whose leader has exited: their helpers (restore-tree.c) */
	const struct cr_rst_helper	*helpers;
	uint32_t			nr_helpers;
	/* a session leader: the restorer's descriptor of its terminal */
	int32_t				ctty_fd;	/* -1: none */
	uint32_t			ctty_index;	/* /dev/pts/N */
	/* CLONE_FILES, CLONE_FS: what it shares with its parent */
	unsigned long			share;
	/* first of a shared table: every process of it, itself first */
	const uint32_t			*group;
	uint32_t			nr_group;
	/* and those made from it later that do not share it */
	const uint32_t			*later;
	uint32_t			nr_later;
	/* the thread of its parent that makes it: in makers, -1: leader */
	int32_t				maker;
	struct cr_rst_maker		*makers;	/* the tree's */
	int32_t				first_maker;	/* its own, -1 */
	/*
	 * the root, when it could not be cloned into the container's
	 * cgroup: it moves itself in through @cg_procs (cgroup.procs)
	 * before it makes a child, which then inherits the cgroup
	 */
	bool				cg_move;
	int				cg_procs;
};

/*
 * Stack of each thread that makes children: its own few calls only (a
 * child it makes grows on below, in its copy); at most
 * CR_TREE_MAX_MAKERS of them in a process.
 */
#define CR_MAKER_STACK		(16 * 1024)

/* Has @t an earlier process's descriptor table (clone(CLONE_FILES))? */
static inline bool cr_rst_fdt_follower(const struct cr_task *t)
{
	return t->fdt && t->fdt->pid != t->t.pid;
}

/* Has @t an earlier process's cwd, root and umask (clone(CLONE_FS))? */
static inline bool cr_rst_fs_follower(const struct cr_task *t)
{
	return t->fs && t->fs->pid != t->t.pid;
}

/**
 * cr_rst_task_fits() - can this process restore @t with its own limits?
 *
 * Its descriptor numbers, and the ones the restore needs on top of them,
 * must be below the restorer's RLIMIT_NOFILE hard limit and fs.nr_open
 * (EMFILE); each hard limit of the image must be one the restorer can set:
 * not above its own without CAP_SYS_RESOURCE, NOFILE not above
 * fs.nr_open (EPERM).  Both the dump and the restore ask (res-limits.c).
 *
 * Return: 0 or -errno with @e set naming the pid, the fd or limit.
 */
int cr_rst_task_fits(const struct cr_task *t, struct cr_err *e);

/**
 * cr_rst_task_child() - the new process restores its own state and stops
 *
 * Runs in the child of clone3(), in a copy of a possibly multithreaded
 * caller: raw system calls only.  Waits for a byte on its socket (its
 * tracer is attached), starts a session, runs the child hook of every row
 * of the resource table (its name and personality, umask, files, signal
 * actions), blocks all signals, reports on the socket and stops itself
 * with SIGSTOP.  Exits on failure.
 */
void cr_rst_task_child(const struct cr_rst_child *c)
	__attribute__((noreturn));

/**
 * cr_rst_task_reason() - put the report @res of @r's new process into words
 * Return: -errno with @e set, or 0 if @res says done.
 */
int cr_rst_task_reason(const struct cr_rst *r, const struct cr_rst_res *res,
		       struct cr_err *e);

/* restore-tree.c */

/**
 * cr_rst_tree_plan() - after every process's plan: who creates whom
 * (@t->child links), the descriptions each process gets from one made
 * before it, the process of each address space, shared memory objects
 * mapped by more than one
 * Return: 0 or -errno with @e set.
 */
int cr_rst_tree_plan(struct cr_rst_tree *t, struct cr_err *e);

/**
 * cr_rst_tree_ids() - in the new process: its session and process group,
 * if it leads them (before its children are made, which inherit them)
 * Return: 0 or a positive errno with @res set.
 */
int cr_rst_tree_ids(const struct cr_rst_child *c, struct cr_rst_res *res);

/**
 * cr_rst_tree_hello() - in the new process: send the restorer a pidfd of
 * itself over @sock (SCM_RIGHTS), which names it in any pid namespace
 */
void cr_rst_tree_hello(int sock);

/**
 * cr_rst_tree_whois() - in the restorer: the pidfd @r's process sent on
 * @sock (cr_rst_tree_hello()) into @r->pidfd, unless it has one, and its
 * pid as the restorer sees it into @r->pid
 * Return: 0 or -errno with @e set.
 */
int cr_rst_tree_whois(struct cr_rst *r, int sock, struct cr_err *e);

/**
 * cr_rst_tree_kids() - in the new process: make its children, each with
 * its pid (clone3() set_tid), exit signal and what it shares with it
 * (CLONE_FS); with @files, those sharing its descriptor table
 * (CLONE_FILES), made once the table holds only their sockets
 * (cr_rst_tree_socks()); each goes on in cr_rst_task_child()
 * Return: 0 or a positive errno with @res set naming the child.
 */
int cr_rst_tree_kids(const struct cr_rst_child *c, struct cr_rst_res *res,
		     bool files);

/**
 * cr_rst_tree_makers() - in the new process: how many of its threads make
 * children; with @stacks (that many CR_MAKER_STACK bytes on its stack,
 * kept until it stops), where each one's stack is
 * Return: the number of its threads that make children.
 */
uint32_t cr_rst_tree_makers(const struct cr_rst_child *c, char *stacks);

/**
 * cr_rst_tree_maker() - in the restorer: the thread @tid of @r's process
 * that made children is there already (cr_rst_threads_create() takes it)
 */
bool cr_rst_tree_maker(const struct cr_rst *r, uint32_t tid);

/**
 * cr_rst_tree_socks() - in the new process, the first of a shared
 * descriptor table: its socket and those of the processes that will share
 * the table moved to their numbers, every other descriptor of the
 * restorer closed
 * Return: 0 or a positive errno.
 */
int cr_rst_tree_socks(const struct cr_rst_child *c);

/**
 * cr_rst_tree_recv() - in the new process, the files row: receive the
 * descriptions of other processes (SCM_RIGHTS) into @c->files->pass_fd,
 * each at a number above every one the restore uses
 * Return: 0 or a positive errno with @res set.
 */
int cr_rst_tree_recv(const struct cr_rst_child *c, struct cr_rst_res *res);

/**
 * cr_rst_zombie_child() - a zombie of the image, once told: its process
 * group, credentials and name, then its end as the image's wait status
 */
void cr_rst_zombie_child(const struct cr_rst_child *c, int sock,
			 struct cr_rst_res *res) __attribute__((noreturn));

/**
 * cr_rst_tree_send() - send @r's process the descriptions it gets from
 * the processes restored before it (pidfd_getfd(), SCM_RIGHTS on @sock)
 * Return: 0 or -errno with @e set.
 */
int cr_rst_tree_send(struct cr_rst *r, int sock, struct cr_err *e);

/**
 * cr_rst_tree_groups() - every process that joins a group it does not
 * lead joins it (an injected setpgid()), once every leader has made its
 * group; then the zombies end, and their parents lose the signal of it
 * Return: 0 or -errno with @e set.
 */
int cr_rst_tree_groups(struct cr_rst_tree *t, struct cr_err *e);

/* restore-files.c */

/**
 * cr_rst_files_plan_task() - every file of @t, opened once each, and the
 * number it gets
 * Return: 0 or -errno with @e set; free @fs with cr_rst_files_free(),
 * even after a failure.
 */
int cr_rst_files_plan_task(const struct cr_task *t, struct cr_rst_files *fs,
			   struct cr_err *e);

/* cr_rst_files_plan() - the plan hook of "files": @r->files */
int cr_rst_files_plan(struct cr_rst *r, struct cr_err *e);

/**
 * cr_rst_files_renumber() - the socket and the files that are not the
 * image's descriptors of @fs numbered again from @start on: a process of
 * a shared table (restore-tree.c) keeps clear of the numbers of the
 * processes before it
 */
void cr_rst_files_renumber(struct cr_rst_files *fs, uint32_t start);

/* cr_rst_files_free() - free what cr_rst_files_plan_task() allocated */
void cr_rst_files_free(struct cr_rst_files *fs);

/**
 * cr_rst_files_open() - in the new process (the child hook of "files"):
 * open and check every file of @c->files once, give each descriptor its
 * description, then change to the root and the cwd
 * Raw system calls only (see cr_rst_task_child()).
 * Return: 0, or a positive errno with @res saying where.
 */
int cr_rst_files_open(const struct cr_rst_child *c, struct cr_rst_res *res);

/**
 * cr_rst_files_reason() - put a report of cr_rst_files_open() into words
 * Return: -errno with @e set naming the pid, fd or mapping, path and field.
 */
int cr_rst_files_reason(pid_t pid, const struct cr_rst_files *fs,
			const struct cr_mm *mm, const struct cr_rst_res *res,
			struct cr_err *e);

/**
 * cr_rst_unix_make() - make the unconnected or listening unix socket of
 * entry @f in the new process (raw system calls, restore-unix.c), with its
 * options, bound if its name is abstract.
 *
 * Return: its descriptor, or -1 with errno set.
 */
long cr_rst_unix_make(const struct cr_rst_file *f);

/**
 * cr_rst_unix_pair() - make connected unix socket @f and its peer @peer
 * in the new process (raw system calls, restore-pair.c's row): a
 * socketpair(), each end's queue written through the other, then the
 * options of both and their shutdown; @fds receives @f's end, then the
 * other.
 *
 * Return: 0 or a positive errno.
 */
int cr_rst_unix_pair(const struct cr_file *f, const struct cr_file *peer,
		     long fds[2]);

/**
 * cr_rst_unix_plan() - the connections of the listening sockets @r's
 * process makes (after cr_rst_pair_plan(), which gave it the pairs it
 * holds an end of): an accepted one's pair through its listener's entry,
 * a waiting one by cr_rst_unix_waiting(); those only later processes
 * hold get CR_RF_PAIR entries, from where they are passed
 * @r: the process
 * @fs: its files, planned
 * @e: the error, if any
 *
 * Return: 0, or -1 with @e set (a listener not among them: never, the
 * image check refuses it).
 */
int cr_rst_unix_plan(const struct cr_rst *r, struct cr_rst_files *fs,
		     struct cr_err *e);

/**
 * cr_rst_unix_extra() - how many CR_RF_PAIR entries cr_rst_unix_plan()
 * may add for process @t: two per connection of @m if @t holds a
 * listening unix socket, else none
 * @m: the model
 * @t: the process
 *
 * Return: the count.
 */
size_t cr_rst_unix_extra(const struct cr_model *m, const struct cr_task *t);

/**
 * cr_rst_unix_maker() - the listening socket whose first holder makes
 * the pair of unix socket @f (restore-pair.c's row)
 * @m: the model
 * @f: a connected unix socket
 *
 * Return: the listener of @f or of its peer (accepted or waiting), or
 * NULL: made by the first holder of either end.
 */
const struct cr_file *cr_rst_unix_maker(const struct cr_model *m,
					const struct cr_file *f);

/**
 * cr_rst_pair_add() - a CR_RF_PAIR entry of @fs for FILE @f, made in
 * this process for later ones (restore-pair.c)
 * @fs: the files of the process, planned
 * @f: the FILE
 *
 * Return: its index in @fs.
 */
int32_t cr_rst_pair_add(struct cr_rst_files *fs, const struct cr_file *f);

/**
 * cr_rst_unix_accept() - make accepted unix socket pair @f, @peer in the
 * new process (raw system calls): connect() to listener @lfd's name,
 * accept(), then each end's queue, options and shutdown as
 * cr_rst_unix_pair() does; @f's end in @fds[0]
 * @f: one end (the accepted socket or the one that connected)
 * @peer: the other end, NULL: closed
 * @lfd: the listening socket, in place, with nothing waiting yet
 * @fds: the two ends
 *
 * Return: 0 or a positive errno.
 */
int cr_rst_unix_accept(const struct cr_file *f, const struct cr_file *peer,
		       long lfd, long fds[2]);

/**
 * cr_rst_unix_name() - the name of accepted or listening unix socket @fi
 * into @sa, its length into @len (restore-unix.c)
 */
void cr_rst_unix_name(const struct cr_file *fi, struct sockaddr_un *sa,
		      long *len);

/**
 * cr_rst_unix_dial() - a socket of @type connect()ed to @sa (@len bytes),
 * never waiting, under euid @uid and egid @gid of this thread only for
 * that call (@as; else the thread's ids): the connect() that sets the
 * SO_PEERCRED of the socket accept() gives (raw system calls,
 * restore-unix.c)
 *
 * Return: the socket, or -1 and errno.
 */
long cr_rst_unix_dial(uint32_t type, const struct sockaddr_un *sa, long len,
		      bool as, uint32_t uid, uint32_t gid);

/**
 * cr_rst_unix_ends() - connected ends @sv of @f and @peer (NULL: closed):
 * each queue written through the other end, the options, and the shutdown
 * (restore-unix.c); @fds receives @sv
 *
 * Return: 0, or a positive errno (both ends closed then).
 */
int cr_rst_unix_ends(const struct cr_file *f, const struct cr_file *peer,
		     long sv[2], long fds[2]);

/**
 * cr_rst_unix_listener() - the entry of @fs of listening socket FILE @id
 * (restore-unix.c)
 *
 * Return: its index, or -1.
 */
int32_t cr_rst_unix_listener(const struct cr_rst_files *fs, uint32_t id);

/**
 * cr_rst_unix_xdial() - connect() again the client of entry @f (xdial: a
 * connection accepted from another process than the listener's), in the
 * new process, under the euid and egid its accepted end's SO_PEERCRED
 * names (raw system calls, restore-xconn.c)
 *
 * Return: the socket, or -1 and errno.
 */
long cr_rst_unix_xdial(const struct cr_rst_file *f);

/**
 * cr_rst_unix_xconns() - accept() the connections cr_rst_unix_xdial() made,
 * in the image's order, in the first process holding each listener (an
 * injected accept4(), then dup3() to the accepted end's numbers), and
 * give both ends their queues, options and shutdown from copies the
 * restorer takes (pidfd_getfd()); every process stopped, its files and
 * memory restored, before the late hooks (restore-xconn.c)
 * @t: the tree
 * @e: the reason of a failure
 *
 * Return: 0 or -errno with @e set.
 */
int cr_rst_unix_xconns(struct cr_rst_tree *t, struct cr_err *e);

/**
 * cr_rst_unix_waiting() - the connections waiting in the backlog of each
 * listening socket of @fs, in place (after the accepted ones): connect()ed
 * in their order, each moved to its entry's number (raw system calls),
 * under @t's euid and egid (the SO_PEERCRED of its other end after
 * accept(): img-check-unix.c lets only the process holding the client
 * alone and the listener first have one)
 * @fs: the files of the new process
 * @t: the new process
 * @res: the entry and step that failed
 *
 * Return: 0 or a positive errno.
 */
int cr_rst_unix_waiting(const struct cr_rst_files *fs, const struct cr_task *t,
			struct cr_rst_res *res);

/**
 * cr_rst_unix_reason() - why named unix socket @f (at @name, "fd 3")
 * of @pid could not be made again, @err, into @e (restore-unix.c)
 * Return: -@err.
 */
int cr_rst_unix_reason(pid_t pid, const char *name, const struct cr_rst_file *f,
		       int err, struct cr_err *e);

/**
 * cr_rst_unix_bind() - the rest of unconnected or listening socket @sk of
 * entry @f (restore-unix.c): bound to its name (a path's socket file the
 * checkpoint found removed first, the new one given its mode), listening
 * if it was, the datagrams queued on it sent to it again, then shut down
 * as it was; called as the process for a path (its fs ids), by
 * cr_rst_unix_make() else.
 *
 * Return: 0, or -1 with errno set.
 */
int cr_rst_unix_bind(const struct cr_rst_file *f, long sk);

/**
 * cr_rst_pair_plan() - the pairs @r's process makes (restore-pair.c): each
 * of its descriptions that is one end of a pair (a pipe) of which it is
 * the first holder of either end in the image's order makes the pair; the
 * other end goes to its entry in @fs, or to a new CR_RF_PAIR entry when
 * only later processes hold it (they get it from there), or is closed
 * at once when none does.  Called between the mapped files and the
 * executable, cwd and root of @fs.
 *
 * Return: 0 or -errno with @e set.
 */
int cr_rst_pair_plan(struct cr_rst *r, struct cr_rst_files *fs,
		     struct cr_err *e);

/**
 * cr_rst_pair_number() - once the entries of @fs have their numbers, the
 * number of the other end of each pair made
 */
void cr_rst_pair_number(struct cr_rst_files *fs);

/**
 * cr_rst_pair_open() - make the pair of entry @f in the new process (raw
 * system calls, with its fs ids): the other end placed at f->pair_fd
 * (or closed), each end with its status flags.
 *
 * Return: @f's end, at any number, or -1 with errno set.
 */
long cr_rst_pair_open(const struct cr_rst_file *f);

/**
 * cr_rst_pair_free() - free what cr_rst_pair_plan() keeps in @t
 */
void cr_rst_pair_free(struct cr_rst_tree *t);

/**
 * cr_rst_pipe_make() - make pipe @f (its other end @peer, or NULL) in the
 * new process (raw system calls): pipe2(), F_SETPIPE_SZ, the data written
 * (res-pipe.c); @fds receives @f's end, then the other.
 *
 * Return: 0 or a positive errno.
 */
int cr_rst_pipe_make(const struct cr_file *f, const struct cr_file *peer,
		     long fds[2]);

/**
 * cr_rst_fifo_open() - reopen FIFO @fi by its path with @oflags, its data
 * written first (O_RDWR, never waiting for a peer), in the new process
 *
 * Return: the descriptor, or -1 with errno set.
 */
long cr_rst_fifo_open(const struct cr_file *fi, int oflags);

/**
 * cr_rst_tty_make() - make every pseudo-terminal of @t's image in the
 * restorer, each with its index, state and descriptions (res-tty.c):
 * t->tty_fd, and each session leader's ctty_fd.
 *
 * Return: 0 or -errno with @e set naming the terminal and why.
 */
int cr_rst_tty_make(struct cr_rst_tree *t, struct cr_err *e);

/**
 * cr_ttyq_restore() - put the data queued in master FILE @mf's image back
 * into the new pair (res-ttyq.c): the input through slave @sfd with the
 * slave's termios @st, the output through master @mfd.
 *
 * Return: 0, or -errno with @e naming the pair (-EIO: it reads back other
 * than the image's).
 */
int cr_ttyq_restore(const struct cr_file *mf, int mfd,
		    const struct crfs_file_tty *st, int sfd, struct cr_err *e);

/**
 * cr_rst_tty_fd() - the restorer's description of TTY @f, passed to
 * the processes that have it, or -1 when @f is no TTY.
 */
int cr_rst_tty_fd(const struct cr_rst_tree *t, const struct cr_file *f);

/* cr_rst_tty_close() - close what cr_rst_tty_make() made. */
void cr_rst_tty_close(struct cr_rst_tree *t);

/**
 * cr_rst_tty_late() - the "tty" row's late step: a session leader sets
 * its terminal's foreground group (restore-tty.c)
 * Return: 0 or -errno with @e set.
 */
int cr_rst_tty_late(struct cr_rst *r, struct cr_err *e);

/**
 * cr_rst_evfd_make() - make event descriptor @fi anew in the new process
 * (raw system calls): eventfd with its counter, signalfd with its mask,
 * timerfd on its clock (armed later), epoll (its targets added later);
 * @oflags: O_NONBLOCK if it has it.
 *
 * Return: the new descriptor, or -1 with errno set.
 */
long cr_rst_evfd_make(const struct cr_file *fi, int oflags);

/* What cr_rst_inet_make() was doing when it failed (res->v1). */
enum cr_inet_step {
	CR_INET_DONE,
	CR_INET_SOCKET,
	CR_INET_OPT,		/* res->v2: the option's index */
	CR_INET_OPT_CHECK,	/* res->v2: the option's index */
	CR_INET_BIND,
	CR_INET_CONNECT,
	CR_INET_LISTEN,
	CR_INET_REPAIR,
	CR_INET_CONN,
};

/**
 * cr_rst_inet_make() - make TCP or UDP socket @fi anew in the new process
 * (res-inet.c): socket() with its owner's fs ids, its options, read
 * back, bind(), connect() or listen(); raw system calls, with the
 * restorer's capabilities.
 *
 * Return: the descriptor, or -1 with errno set and res->v1 (enum
 * cr_inet_step), res->v2 saying what failed.
 */
long cr_rst_inet_make(const struct cr_file *fi, int oflags,
		      struct cr_rst_res *res);

/**
 * cr_rst_inet_reason() - why socket @fi, descriptor @name of @pid, could
 * not be made, from @res and @err, into @e: the step, the option or the
 * address.
 *
 * Return: -@err.
 */
int cr_rst_inet_reason(pid_t pid, const char *name, const struct cr_file *fi,
		       const struct cr_rst_res *res, int err,
		       struct cr_err *e);

/* The highest inotify wd a restore walks to (adding and removing). */
#define CR_INOTIFY_WD_WALK	65536

/**
 * cr_rst_inotify_make() - make inotify @fi anew with its watches and
 * their wds, in the new process (raw system calls, res-inotify.c);
 * @oflags: O_NONBLOCK if it has it; @pfd: NULL, or per watch an O_PATH
 * descriptor of the copy of its deleted inode (-1: by its path).
 *
 * Return: the new descriptor, or -1 with errno set (ESTALE: a watched
 * path leads to another inode; EEXIST: its wd cannot be had).
 */
long cr_rst_inotify_make(const struct cr_file *fi, int oflags,
			 const int32_t *pfd);

/**
 * cr_rst_inotify_point() - point @r's inotify entries watching a deleted
 * inode at the restorer's copy of it (@r->fdata_fd): their wd_via.
 *
 * Return: 0 or -errno with @e set.
 */
int cr_rst_inotify_point(struct cr_rst *r, struct cr_err *e);

/**
 * cr_netlock_check() - before anything is made: refuse a connection of
 * @m kept behind a network lock (netlock.c) whose table is gone, naming
 * its pid, descriptor and addresses (the peer may have moved on)
 *
 * Return: 0, or -errno with @e set.
 */
int cr_netlock_check(const struct cr_model *m, struct cr_err *e);

/**
 * cr_netlock_restored() - remove the network locks (netlock.c) of the
 * connections of @m, every one of them back and out of repair mode, each
 * by its exact name (crfs_lock_ID)
 *
 * Return: 0, or -errno with @e naming the lock that stays.
 */
int cr_netlock_restored(const struct cr_model *m, struct cr_err *e);

#endif /* CR_RESTORE_H */
