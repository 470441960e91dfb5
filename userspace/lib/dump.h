/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inside the checkpoint: the handle shared by dump.c (the phases) and the
 * rows of the resource table (res-*.c), the injection batch of a task,
 * and the writing of page data (dump-pages.c).
 */
#ifndef CR_DUMP_H
#define CR_DUMP_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cr-internal.h"
#include "model.h"
#include "proc.h"
#include "res.h"
#include "arch.h"

/* A network lock's nftables table name: crfs_lock_ID, and its NUL. */
#define CR_NETLOCK_NAME		64

/* A TCP connection by its addresses (netlock.c); ports in host order. */
struct cr_tcp_tuple {
	uint16_t	family;
	uint16_t	sport, dport;
	uint8_t		src[16], dst[16];
};

/* Which pages of a VMA hold data the image must carry (cr_vma.pages). */
enum cr_dump_pages {
	CR_PAGES_NONE,		/* shared file, shmem, vdso, vvar, vsyscall */
	CR_PAGES_ANON,		/* private anon: present or swapped, not zero */
	CR_PAGES_COW,		/* private file: anonymous copies only */
};

/*
 * The scratch area a checkpoint maps in a task for its injected calls:
 * the data the calls write, the batch runner, the calls.
 */
#define CR_SCRATCH_SIZE		32768
#define CR_SCRATCH_DATA		0
#define CR_SCRATCH_DATA_SIZE	12288
#define CR_SCRATCH_CODE		12288
#define CR_SCRATCH_CALLS	12416
#define CR_BATCH_CALLS		((CR_SCRATCH_SIZE - CR_SCRATCH_CALLS) / \
				 sizeof(struct cr_infect_call))

/* Where a row's calls and data are in its task's batch. */
struct cr_batch_slot {
	int		call;		/* its first call */
	size_t		data;		/* its first byte of data */
};

/* The injected calls of one task, run in one go (cr_infect_batch()). */
struct cr_batch {
	struct cr_infect_call	calls[CR_BATCH_CALLS];
	int			n;
	unsigned long		scratch;	/* the area in the task */
	size_t			data_used;
	uint8_t			out[CR_SCRATCH_DATA_SIZE]; /* data, after */
	bool			ran;		/* results are in */
	bool			exec;		/* the scratch area runs code */
	int			done;		/* calls that succeeded */
	struct cr_batch_slot	*slot;		/* the row's being called */
};

/*
 * The three stages of a row's seized hook (res.h), told by the batch:
 * the task stopped (what ptrace tells), the calls to add, their results.
 */
#define cr_seized_stopped(b)	(!(b)->scratch)
#define cr_seized_calls(b)	((b)->scratch && !(b)->ran)
#define cr_seized_done(b)	((b)->ran)

/**
 * cr_batch_ret() - the result of call @i of @b, or -ECANCELED for a call
 * that did not run (one before it failed)
 */
static inline long cr_batch_ret(const struct cr_batch *b, int i)
{
	return i <= b->done ? b->calls[i].ret : -ECANCELED;
}

/**
 * cr_batch_add() - append a call to @b, its arguments @a
 * Return: its index, or -E2BIG when the batch is full.
 */
int cr_batch_add(struct cr_batch *b, long nr, const unsigned long a[6]);

/**
 * cr_batch_data() - reserve @len bytes of the data area for a call's
 * output; its address in the task goes to *@addr
 * Return: the offset in @b->out, or -E2BIG.
 */
long cr_batch_data(struct cr_batch *b, size_t len, unsigned long *addr);

struct cr_dtask;

/**
 * cr_batch_run_more() - run another batch @more in @dt, in the scratch
 * area of @b, the task's batch, after it ran: for a row with more calls
 * than one batch holds.  Fill @more with cr_batch_add() and
 * cr_batch_data() after setting @more->scratch and @more->exec from @b;
 * it runs up to its first failing call, then its data is read back into
 * @more->out, as for the task's batch.
 *
 * Return: 0 or -errno with @e set.
 */
int cr_batch_run_more(struct cr_dtask *dt, struct cr_batch *more,
		      struct cr_err *e);

/* One process of a checkpoint, seized in phase 3. */
struct cr_dtask {
	pid_t			pid;
	pid_t			vpid, vpgid, vsid; /* as the container sees */
	bool			zombie;		/* no rows: dump-tree.c */
	unsigned int		tty_nr;		/* its controlling terminal */
	pid_t			tpgid;		/* its foreground group */
	/* the first task sharing its fd table, its fs (dump-share.c); -1 */
	int32_t			files_of, fs_of;
	uint32_t		first_file;	/* its FILEs: from this on */
	struct cr_task		*t;		/* its model */
	struct cr_proc_status	st;		/* its status, as collected */
	pid_t			*tids;		/* its threads, the leader first */
	int			nr_tids;
	int			tids_seized;	/* tids[1..this] seized */
	struct cr_err		refused_mm;	/* collect: a mapping refused */
	struct cr_err		refused_lock;	/* collect: a lock refused */
	struct cr_lk_line	*lk_seen;	/* the locks fdinfo showed */
	uint32_t		nr_lk_seen;
	int			seized;
	int			infected;	/* inf holds the saved regs */
	int			stop_sig;	/* WSTOPSIG of the seize */
	int			sigmask_saved;
	uint64_t		sigmask;	/* blocked, as seized */
	struct cr_infect	inf;
	uint64_t		rseq_addr;	/* rseq area, 0 if none */
	uint32_t		rseq_len;
	uint8_t			rseq_saved[64];	/* its bytes as seized */
	struct cr_batch_slot	slot[CR_RES_NR];
};

/* res-mm.c: the SHMEM objects of the container, by inode. */
struct cr_shmem_ix {
	uint32_t	*slot;		/* 1 + its index in the model; 0: free */
	uint32_t	size;		/* slots, a power of 2 */
	uint32_t	used;
	uint64_t	probes;		/* slots looked at, all told */
};

/* A description: a descriptor that has it, and its FILE. */
struct cr_dump_fdesc {
	pid_t		pid;
	int		fd;
	uint32_t	file_id;
};

/*
 * The descriptions alike by device, inode, offset and flags, for another
 * process to find its own among them: in kcmp(KCMP_FILE)'s order.
 */
struct cr_dump_fkey {
	uint64_t		dev, ino, pos;
	uint32_t		flags;
	int32_t			next;		/* in its bucket, -1: last */
	struct cr_dump_fdesc	*v;
	uint32_t		nr;
	bool			unordered;	/* kcmp failed: look at each */
};

/* The descriptions of the container's processes by (device, inode). */
struct cr_dump_fkeys {
	struct cr_dump_fkey	*ent;
	uint32_t		nr;
	int32_t			*head;		/* buckets, -1: empty */
	uint32_t		size;		/* a power of 2, or 0 */
	/* the last descriptor not found: where it goes in its key */
	pid_t			miss_pid;
	int			miss_fd;
	int32_t			miss_key;	/* -1: none */
	uint32_t		miss_at;
};

/* One checkpoint in progress. */
struct cr_dump {
	char			cgdir[PATH_MAX];
	pid_t			tracer;		/* gettid() of cr_dump_begin */
	struct cr_model		m;
	struct cr_dtask		*tasks;		/* parents before children */
	uint32_t		nr_tasks;
	pid_t			*pids;		/* the same, sorted */
	pid_t			*vpids;		/* each as the container sees */
	bool			pidns;		/* a pid namespace of its own */
	uint32_t		next_id;	/* ids of new objects */
	struct cr_shmem_ix	shmem_ix;	/* res-mm.c */
	struct cr_dump_fkeys	fkeys;		/* dump-tree.c */
	struct cr_lk_snap	*lk_snap;	/* /proc/locks (res-locks.c) */
	const struct cr_ring	*ring;		/* cr_ring_aborted(): called off */
	uint64_t		ipc_ns;		/* res-ipc.c: the container's
						 * IPC namespace (inode), */
	bool			ipc_own;	/* not the dumper's */
	bool			shell_job;	/* cr_opts: a terminal outside
						 * is accepted (res-tty.c) */
	int			peers;		/* cr_opts: enum cr_peers */
	/* peers keep: the network lock (netlock.c), its table, its id */
	char			lock[CR_NETLOCK_NAME];
	char			lock_held[CR_NETLOCK_NAME];	/* cr_opts */
	bool			lock_reused;	/* lock is lock_held */
	uint32_t		lock_id;
	struct cr_tcp_tuple	*locked;	/* the connections it holds */
	uint32_t		nr_locked;
};

/**
 * cr_netlock_take() - peers keep: lock every TCP connection of the
 * processes of @d whose peer is outside the container, before anything
 * reads them (netlock.c); d->lock names the table ("" when none): the
 * lock in force (d->lock_held) if any, a new one otherwise.
 *
 * Return: 0, or -errno with the reason in @e.
 */
int cr_netlock_take(struct cr_dump *d, struct cr_err *e);

/**
 * cr_tcp_peer_holder() - a process outside container @d holding the
 * other end of TCP connection @s on this host (sock_diag), its name in
 * @comm; 0 if none is found (the peer is on another host).  Only for a
 * refusal.
 */
pid_t cr_tcp_peer_holder(const struct cr_dump *d,
			 const struct crfs_file_inet *s, char *comm,
			 size_t len);

/**
 * cr_netlock_holds() - is connection @s one of the lock of @d?
 */
bool cr_netlock_holds(const struct cr_dump *d,
		      const struct crfs_file_inet *s);

/**
 * cr_dump_tree() - find the processes of the frozen cgroup of @d, and the
 * zombies among their children, into @d->tasks with their ids: parent,
 * process group, session, state (dump-tree.c)
 *
 * Refuses a second process whose parent is outside the container, a
 * child outside it, a process of another pid namespace.
 *
 * Return: 0 or -errno with @e set naming the pid.
 */
int cr_dump_tree(struct cr_dump *d, struct cr_err *e);

/**
 * cr_dump_share() - for each live task of @d, the first task (in @d's
 * order) whose descriptor table (files_of) and whose cwd, root and umask
 * (fs_of) it shares, by kcmp(2) as an order (dump-share.c)
 * Return: 0 or -errno with @e set.
 */
int cr_dump_share(struct cr_dump *d, struct cr_err *e);

/**
 * cr_dump_tree_check() - refuse what the processes of @d share that a
 * restore cannot share again (an address space, a descriptor table, ...),
 * by kcmp(2) as an order
 * Return: 0 or -errno with @e set naming both pids.
 */
int cr_dump_tree_check(struct cr_dump *d, struct cr_err *e);

/**
 * cr_dump_file_shared() - the FILE of another process of @d that is the
 * description of descriptor @fd of @pid (kcmp(KCMP_FILE)), found by the
 * key of @f (device, inode, flags, offset), then by bisection in kcmp's
 * order among the descriptions of that key: O(log n) kcmp() calls
 * Return: its id, or 0 when there is none.
 */
uint32_t cr_dump_file_shared(struct cr_dump *d, pid_t pid, int fd,
			     const struct cr_file *f);

/**
 * cr_dump_file_note() - note FILE @id as descriptor @fd of @pid, for the
 * processes collected after it (cr_dump_file_shared())
 * Return: 0 or -ENOMEM with @e set.
 */
int cr_dump_file_note(struct cr_dump *d, pid_t pid, int fd,
		      const struct cr_file *f, uint32_t id, struct cr_err *e);

/**
 * cr_dump_tree_view() - a host pid of @d's processes as the container sees it
 * @d: the dump: its pids (sorted) and their vpids
 * @host: the pid in the daemon's pid namespace
 *
 * Return: the pid in the container's view, or 0 if @host is none of @d's.
 */
pid_t cr_dump_tree_view(const struct cr_dump *d, pid_t host);

/**
 * cr_dump_tree_views() - every pid of @d's model as the container sees
 * it: in a pid namespace of its own, the namespace's (NSpid); else as
 * they are
 * Return: 0 or -errno with @e set (a thread or owner it cannot name).
 */
int cr_dump_tree_views(struct cr_dump *d, struct cr_err *e);

/* cr_dump_tree_free() - free what dump-tree.c keeps in @d */
void cr_dump_tree_free(struct cr_dump *d);

/**
 * cr_dump_each_outside() - cr_proc_each_outside() for every process that
 * is not one of @d's
 */
static inline int cr_dump_each_outside(const struct cr_dump *d,
				       int (*fn)(pid_t q, void *arg),
				       void *arg)
{
	return cr_proc_each_outside(d->pids, d->nr_tasks, fn, arg);
}

/* A new object's id in @d's model. */
static inline uint32_t cr_dump_id(struct cr_dump *d)
{
	return ++d->next_id;
}

/**
 * cr_dump_zero_pfn() - would the checkpoint skip @pfn as the zero page?
 *
 * The PFNs taken for the shared zero page and the huge zero page (found
 * once, by read faults of the caller's own memory) go to *@zero and
 * *@hzero when not NULL; 0 is unknown, and nothing is skipped for it.
 *
 * Return: true when a present anonymous page at @pfn is not dumped.
 */
bool cr_dump_zero_pfn(uint64_t pfn, uint64_t *zero, uint64_t *hzero);

/**
 * cr_dump_write_pages() - write the CRFS_REC_PAGES records of @d
 *
 * The tasks must be stopped.  The pages of each address space, those
 * that hold data (pagemap), in address order, with process_vm_readv or
 * /proc/PID/mem; then those of each shared memory object, read from it.
 *
 * Return: 0 or -errno with @e set.
 */
int cr_dump_write_pages(struct cr_dump *d, struct cr_img *img,
			struct cr_err *e);

/**
 * cr_dump_write_file_data() - write the CRFS_REC_FILE_DATA records of @d:
 * the contents of its memfds and deleted files, holes left out
 * (res-fdata.c); the tasks must be stopped
 * Return: 0 or -errno with @e set (EBUSY: the contents changed).
 */
int cr_dump_write_file_data(struct cr_dump *d, struct cr_img *img,
			    struct cr_err *e);

/**
 * cr_lk_snap_start() - start reading /proc/locks for @d, in a thread of
 * its own: the read waits for an RCU grace period (the kernel takes
 * file_rwsem for writing), 10-20 ms here, which the collect of the tasks
 * hides; the cgroup must be frozen already.  Without memory or a thread
 * the locks row reads it itself when it needs it.
 */
void cr_lk_snap_start(struct cr_dump *d);

/* cr_lk_snap_free() - wait for the read of cr_lk_snap_start(), free it. */
void cr_lk_snap_free(struct cr_dump *d);

/**
 * cr_lk_cross_check() - every lock /proc/locks gives to a process of @d
 * by its pid is one the fdinfo of its descriptors showed (collect), else
 * it is on a description no descriptor has (a mapping's), which a
 * restore would not take again: refused.  Called as late as it can be
 * before the stream (after the seize), so that the wait for the read of
 * cr_lk_snap_start() overlaps the rest of the checkpoint.
 *
 * Return: 0 or -errno with @e set (EOPNOTSUPP: such a lock).
 */
int cr_lk_cross_check(struct cr_dump *d, struct cr_err *e);

/* dump-files.c: the files of res-files.c, res-fs.c and res-mm.c. */

/**
 * cr_dump_ipc_vma() - make @v the mapping @m of a SysV segment of the
 * container's own IPC namespace, as collected (res-ipc.c)
 * Return: NULL, or why it is refused.
 */
const char *cr_dump_ipc_vma(struct cr_dump *d, const struct cr_proc_map *m,
			    struct cr_vma *v);

/**
 * cr_dump_write_ipc_data() - the IPC_DATA records of every segment
 * Return: 0 or -errno with @e set.
 */
int cr_dump_write_ipc_data(struct cr_dump *d, struct cr_img *img,
			   struct cr_err *e);

/* cr_dump_ipc_free() - close what res-ipc.c opened for the dump of @d */
void cr_dump_ipc_free(struct cr_dump *d);

/**
 * cr_dump_file_probe() - what /proc/@pid/@name is, into @f: its path, its
 * identity by stat(), its kind, or why it is refused (@f->why)
 * @flags: its open flags, from fdinfo or map_files
 *
 * Return: 0 (free @f->path) or -errno with @e set.
 */
int cr_dump_file_probe(pid_t pid, const char *name, uint32_t flags,
		       struct cr_file *f, struct cr_err *e);

/**
 * cr_dump_file_add() - move @f into @d's model, with a new id
 * Return: the id, or 0 with @e set (out of memory; @f's path is freed).
 */
uint32_t cr_dump_file_add(struct cr_dump *d, struct cr_file *f,
			  struct cr_err *e);

/**
 * cr_dump_file() - cr_dump_file_probe(), then cr_dump_file_add()
 * Return: the new FILE's id, or 0 with @e set.
 */
uint32_t cr_dump_file(struct cr_dump *d, pid_t pid, const char *name,
		      uint32_t flags, struct cr_err *e);

/* dump-threads.c: the threads of a process but its leader. */

/**
 * cr_dump_mask_check() - refuse thread @th of @pid, its registers @regs
 * (cr_arch_get_regs()'s) and saved mask @saved (PTRACE_GETSIGMASK's) read,
 * when its call returns EINTR to @saved with a signal pending that only
 * the call's mask admits (res-signals.c); keep those signals in
 * @th->eintr_admits for the queues read later.  Before its mask changes.
 * Return: 0 or -errno with @e set (EOPNOTSUPP: refused).
 */
int cr_dump_mask_check(pid_t pid, struct cr_thread *th,
		       const struct crfs_x86_regs *regs, uint64_t saved,
		       struct cr_err *e);

/**
 * cr_dump_seize_threads() - seize and stop every thread of @dt but its
 * leader (seized already): all asked first, then waited for
 * Return: 0 or -errno with @e set; @dt->tids_seized counts those seized.
 */
int cr_dump_seize_threads(struct cr_dtask *dt, struct cr_err *e);

/**
 * cr_dump_release_threads() - detach the threads cr_dump_seize_threads()
 * seized (the cgroup frozen already), wait until each left its stop
 */
void cr_dump_release_threads(struct cr_dtask *dt);

/**
 * cr_dump_threads_ask() - what only each thread but the leader can tell
 * about itself, by calls of its own, once the leader's batch ran and its
 * results were read (the rows' done stage): the scratch area at
 * @scratch is free for them; @exec: executable, the batch runner in it
 * Return: 0 or -errno with @e set naming the pid and thread.
 */
int cr_dump_threads_ask(struct cr_dtask *dt, unsigned long scratch,
			bool exec, struct cr_err *e);

/* res-misc.c: the per-thread settings, asked of each other thread. */
#define CR_MISC_THREAD_CALLS	16

int cr_misc_thread_calls(struct cr_infect_call *calls, unsigned long at);
int cr_misc_thread_check(struct cr_dtask *dt, pid_t tid,
			 const struct cr_infect_call *calls, int done,
			 const uint8_t *out, struct cr_err *e);

/**
 * cr_dump_shmem_get() - the SHMEM of @pid with inode @ino in @d's model,
 * found through @ix in constant time, or a new one with a new id, its
 * inode and pid set (*@created true; the caller fills in the rest)
 * Return: it, or NULL with @e set (out of memory).
 */
struct cr_shmem *cr_dump_shmem_get(struct cr_dump *d, struct cr_shmem_ix *ix,
				   pid_t pid, uint64_t ino, bool *created,
				   struct cr_err *e);

/* cr_shmem_ix_free() - free @ix's slots, leave it empty */
void cr_shmem_ix_free(struct cr_shmem_ix *ix);

/**
 * cr_tty_link() - is @link ("/dev/ptmx", "/dev/pts/N") the path of a
 * pseudo-terminal side, for cr_tty_probe() (res-tty.c)?
 */
bool cr_tty_link(const char *link);

/**
 * cr_tty_probe() - the kind and state of pseudo-terminal side @name
 * ("fd/N") of @pid into @f (path already set), or f->why
 * Return: 0 or -errno with @e set.
 */
int cr_tty_probe(pid_t pid, const char *name, struct cr_file *f,
		 struct cr_err *e);

/**
 * cr_tty_tree_check() - the controlling terminals of @d's sessions: each
 * a pseudo-terminal pair of the container that every process of the
 * session has, its session and foreground group put into the pair's
 * FILEs (res-tty.c).  Sessions led outside the container are left alone.
 * Return: 0 or -EOPNOTSUPP with @e set naming the pid and the terminal.
 */
int cr_tty_tree_check(struct cr_dump *d, struct cr_err *e);

/**
 * cr_tty_tree_queues() - the data queued in each pair of @d, read and put
 * back (cr_ttyq_save()): the last step before the first image byte, once
 * every other refusal had its chance, as it touches the pairs.
 * Return: 0 or -errno with @e set naming the pid, the fd and the pair.
 */
int cr_tty_tree_queues(struct cr_dump *d, struct cr_err *e);

/**
 * cr_ttyq_save() - the data queued in the pair of master FILE @mf, read
 * through copies of its master @mc and slave @sc and put back at once
 * (res-ttyq.c), into @mf's queue.  @peer: @sc is a slave opened for the
 * purpose (TIOCGPTPEER), none being in the container: input found on it
 * is refused (a restore has no slave to put it into).
 * @who: "pid P: fd N: PATH" of the master, for messages.
 *
 * Return: 0, or -errno with @e set: -EOPNOTSUPP for a queue that cannot
 * be put back exactly, naming @who, the pair and why.
 */
int cr_ttyq_save(struct cr_file *mf, int mc, int sc, bool peer,
		 const char *who, struct cr_err *e);

/**
 * cr_dump_fd_stat() - the identity of descriptor @name ("fd/N") of @pid,
 * whose link is in f->path, into @f: mode, dev, ino, uid, gid (from the
 * attribute cache: nothing asks the file's filesystem).  For the kinds
 * made anew (event descriptors, sockets).
 *
 * Return: 0, or -errno with @e set naming the pid and the descriptor.
 */
int cr_dump_fd_stat(pid_t pid, const char *name, struct cr_file *f,
		    struct cr_err *e);

/**
 * cr_evfd_kind() - the kind of event descriptor whose link reads @link
 * ("anon_inode:[eventfd]"), or 0 (res-evfd.c).
 */
uint32_t cr_evfd_kind(const char *link);

/**
 * cr_evfd_probe() - the kind and state of event descriptor @name
 * ("fd/N") of @pid, whose link is in f->path, from its fdinfo; f->why
 * says why it cannot be restored.
 *
 * Return: 0, or -errno with @e set naming the pid and the descriptor.
 */
int cr_evfd_probe(pid_t pid, const char *name, struct cr_file *f,
		  struct cr_err *e);

/**
 * cr_sock_probe() - the kind and state of socket descriptor @name ("fd/N")
 * of @pid, whose link is in f->path (res-inet.c): a TCP or UDP socket
 * (INET), or f->why saying why it cannot be restored.
 *
 * Return: 0, or -errno with @e set naming the pid and the descriptor.
 */
int cr_sock_probe(pid_t pid, const char *name, struct cr_file *f,
		  struct cr_err *e);

/**
 * cr_unix_probe() - the kind and state of socket @name ("fd/N") of @pid,
 * whose link is in f->path (res-unix.c): a unix socket's from sock_diag
 * and a copy of the descriptor, nothing changed; f->why says why it
 * cannot be restored.
 *
 * Return: 0, or -errno with @e set naming the pid and the descriptor.
 */
int cr_unix_probe(pid_t pid, const char *name, struct cr_file *f,
		  struct cr_err *e);

/**
 * cr_files_holder() - a process outside the container @in (sorted, @nr
 * pids; none: every process but the caller) holding a descriptor whose
 * link reads @link ("socket:[81236]"), its name in @comm (res-files.c);
 * it reads every /proc/PID/fd: only for a refusal.
 *
 * Return: its pid, or 0 if none is found.
 */
pid_t cr_files_holder(const pid_t *in, uint32_t nr, const char *link,
		      char *comm, size_t len);

/**
 * cr_pipe_probe() - the size and buffered data of pipe or FIFO @name
 * ("fd/N") of @pid (f's kind, path and identity set), read without
 * taking them (res-pipe.c); f->why says why it cannot be restored.
 *
 * Return: 0, or -errno with @e set naming the pid and the descriptor.
 */
int cr_pipe_probe(pid_t pid, const char *name, struct cr_file *f,
		  struct cr_err *e);

/**
 * cr_evfd_copy() - a copy of descriptor @fd of @pid in this process
 * (pidfd_getfd()), to ask its state without the process running.
 *
 * Return: the copy, or -1 with errno set.
 */
int cr_evfd_copy(pid_t pid, int fd);

/* The via of a watch of a deleted inode, until cr_inotify_via() finds it. */
#define CR_INOTIFY_VIA_FIND	UINT32_MAX

/**
 * cr_inotify_via() - the FILE of each watched deleted inode of @dt's
 * inotify instances: the deleted file or memfd of the container carrying
 * its contents (res-inotify.c), once every FILE is known.
 *
 * Return: 0, or -EOPNOTSUPP with @e set naming pid, fd and watch when no
 * FILE of the container holds that inode.
 */
int cr_inotify_via(struct cr_dump *d, const struct cr_dtask *dt,
		   struct cr_err *e);

/**
 * cr_inotify_noisy() - why deleted file or memfd @f may not be read for
 * its contents: an inotify instance collected so far watches it or the
 * directory it was in, and would be told (res-inotify.c); NULL if none
 * does.
 */
const char *cr_inotify_noisy(const struct cr_model *m,
			     const struct cr_file *f);

/**
 * cr_inotify_probe() - the watches of inotify @fd of @pid from its
 * fdinfo @buf into @f (res-inotify.c), each by the path its file handle
 * leads to; f->why says why it cannot be restored (events not read, an
 * inode without a path).
 *
 * Return: 0, or -errno with @e set naming the pid and the descriptor.
 */
int cr_inotify_probe(pid_t pid, int fd, char *buf, struct cr_file *f,
		     struct cr_err *e);

#endif /* CR_DUMP_H */
