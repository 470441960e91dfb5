/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The model of a container: the kernel objects its tasks share, with ids,
 * as image format 4 describes them (include/uapi/linux/crfs.h).  The dump
 * fills it from /proc and writes it; the restore and `crfs-image` read it
 * from an image and check it (img-check.c) before using it.
 *
 * One array per kind, in stream order.  Objects refer to each other by id
 * in the image and by pointer here: the pointers are resolved once the
 * whole model is read (cr_model_resolve()), by sorted id indexes (sort +
 * bisection, O(n log n)).  Arrays grow with what arrives, never with a
 * count an image declares.
 */
#ifndef CR_MODEL_H
#define CR_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <linux/crfs.h>

#include "cr.h"
#include "arch.h"

/* FILE: an open file description, or a cwd or root. */
/* One inotify watch of a FILE's wbuf: its record and its path. */
struct cr_inotify_wd {
	const struct crfs_inotify_wd	*w;
	const char			*path;
};

struct cr_file {
	struct crfs_file	f;
	char			*path;		/* NUL-terminated */
	const char		*why;		/* dump: why it is refused */
	bool			locked;		/* dump: fdinfo names locks */
	/* An event descriptor's state (f.ext_len bytes in the image). */
	union {
		struct crfs_file_eventfd	efd;
		struct crfs_file_signalfd	sfd;
		struct crfs_file_timerfd	tfd;
		struct crfs_file_pipe		pipe;	/* PIPE, FIFO */
		struct crfs_file_tty		tty;	/* TTY (res-tty.c) */
	} ev;
	uint8_t			*pdata;		/* PIPE, FIFO: pipe.data_len;
						 * TTY: its queue (rec-tty.c) */
	struct crfs_epoll_tfd	*tfds;		/* EPOLL: its targets */
	uint32_t		nr_tfds;
	/* INOTIFY: its watches, as the image has them, and each in it */
	void			*wbuf;
	uint32_t		wlen, nr_wds;
	struct cr_inotify_wd	*wds;
	/* INET: its state, then its f.ext_len - sizeof(*inet) of options */
	struct crfs_file_inet	*inet;
	/* UNIX: its crfs_file_unix, name and queue, as the image has them */
	void			*ubuf;
	uint32_t		ulen;
	/*
	 * dump, UNIX: the pid SO_PEERCRED names as the daemon sees it, until
	 * res-unix.c gives it as the container sees it (0 then); dead: its
	 * process was reaped (SO_PEERPIDFD fails)
	 */
	pid_t			ucred_host;
	bool			ucred_dead;
	/* dump, UNIX: SO_PEERGROUPS, sorted (the restore gives the maker's) */
	uint32_t		*ugroups;
	uint32_t		nr_ugroups;
};

/* Free the event state of @f (its epoll targets, inotify watches). */
static inline void cr_file_free_ev(struct cr_file *f)
{
	free(f->tfds);
	free(f->wbuf);
	free(f->wds);
	free(f->inet);
	free(f->ubuf);
	f->ubuf = NULL;
	f->ulen = 0;
	free(f->pdata);
	f->pdata = NULL;
	f->tfds = NULL;
	f->wbuf = NULL;
	f->wds = NULL;
	f->inet = NULL;
	f->nr_tfds = f->wlen = f->nr_wds = 0;
	free(f->ugroups);
	f->ugroups = NULL;
	f->nr_ugroups = 0;
}

/* Is @f an event descriptor (eventfd, signalfd, timerfd, epoll, inotify)? */
static inline bool cr_file_event(const struct crfs_file *f)
{
	return f->kind == CRFS_FILE_EVENTFD || f->kind == CRFS_FILE_SIGNALFD ||
	       f->kind == CRFS_FILE_TIMERFD || f->kind == CRFS_FILE_EPOLL ||
	       f->kind == CRFS_FILE_INOTIFY;
}

/* The state of unix socket @f (rec-unix.c), NULL if it has none. */
static inline const struct crfs_file_unix *cr_unix_of(const struct cr_file *f)
{
	return f->ubuf;
}

/* Is @f a pipe or a FIFO (state: struct crfs_file_pipe, rec-pipe.c)? */
static inline bool cr_file_pipe(const struct crfs_file *f)
{
	return f->kind == CRFS_FILE_PIPE || f->kind == CRFS_FILE_FIFO;
}

/* Is @f made anew at restore from its state: an event descriptor, a socket? */
static inline bool cr_file_made(const struct crfs_file *f)
{
	return cr_file_event(f) || f->kind == CRFS_FILE_INET;
}

/* Does @f carry its kind's state after its path (ext_len bytes)? */
static inline bool cr_file_has_ext(const struct crfs_file *f)
{
	return cr_file_made(f) || cr_file_pipe(f) ||
	       f->kind == CRFS_FILE_TTY || f->kind == CRFS_FILE_UNIX;
}

/* Is @f the terminal of a shell job, outside the container (res-tty.c)? */
static inline bool cr_tty_shell_file(const struct cr_file *f)
{
	return f->f.kind == CRFS_FILE_TTY && f->ev.tty.type == CRFS_TTY_SHELL;
}

/* Is @f a file whose contents are in the image (FILE_DATA)? */
static inline bool cr_file_kept(const struct crfs_file *f)
{
	return f->kind == CRFS_FILE_MEMFD || f->kind == CRFS_FILE_UNLINKED ||
	       f->kind == CRFS_FILE_ANON_SHMEM;
}

/* Can a lock on @f be taken again: a regular file or a directory? */
static inline bool cr_file_lockable(const struct crfs_file *f)
{
	return f->kind == CRFS_FILE_REG || f->kind == CRFS_FILE_DIR ||
	       cr_file_kept(f);
}

/* A range of a SHMEM object reachable through one mapping (restore). */
struct cr_shmem_win {
	uint64_t		start, end;	/* offsets in the object */
	uint64_t		addr;		/* where start is mapped */
	uint32_t		mm;		/* in which mm (index) */
};

/* SHMEM: the shmem file behind MAP_SHARED | MAP_ANONYMOUS mappings. */
struct cr_shmem {
	struct crfs_shmem	s;
	uint64_t		ino;		/* dump: its inode, to find it, */
	uint64_t		map_start;	/* a mapping of it, to read it */
	uint64_t		map_end;	/* by /proc/PID/map_files */
	int32_t			pid;
	struct cr_shmem_win	*win;		/* cr_model_shmem_windows() */
	uint32_t		nr_win;
	uint32_t		nr_vmas;	/* mappings of it */
};

/* IPC: a SysV object of the container's IPC namespace (rec-ipc.c). */
struct cr_ipc {
	struct crfs_ipc		i;
	void			*payload;	/* SEM values, MSQ messages */
	uint64_t		payload_len;	/* as in the record, padded */
	int			fd;		/* dump: SHM, its shmem file */
	uint64_t		nattch;		/* dump: SHM, shm_nattch */
	uint32_t		nr_vmas;	/* SHM: its attachments */
};

/* The bytes a SHM @c spans in pages of @ps: what an attachment maps. */
static inline uint64_t cr_ipc_shm_span(const struct cr_ipc *c, uint64_t ps)
{
	return (c->i.size + ps - 1) / ps * ps;
}

/* VMA: one mapping of an MM. */
struct cr_vma {
	struct crfs_vma		v;
	char			*name;		/* anonymous name, or NULL */
	struct cr_file		*file;		/* FILE mappings */
	struct cr_shmem		*shmem;		/* SHMEM mappings */
	struct cr_ipc		*ipc;		/* SYSV mappings */
	uint8_t			pages;		/* dump: enum cr_dump_pages */
};

/* MM: an address space and its mappings, sorted by address. */
struct cr_mm {
	struct crfs_mm		m;
	struct cr_file		*exe;
	struct cr_vma		*vmas;
	uint32_t		nr_vmas;
	uint32_t		pid;		/* its first process, 0: none */
};

/* FD: one descriptor of an FDTABLE. */
struct cr_fd {
	struct crfs_fd		d;
	struct cr_file		*file;
};

/* FDTABLE: a descriptor table, sorted by number. */
struct cr_fdtable {
	struct crfs_fdtable	t;
	struct cr_fd		*fds;
	uint32_t		nr_fds;
	uint32_t		pid;		/* its first process, 0: none */
};

/*
 * LOCK: a lock held on a FILE (the description it was taken on); a POSIX
 * one by an FDTABLE (the kernel's owner is the files_struct).
 */
struct cr_lock {
	struct crfs_lock	l;
	struct cr_file		*file;
	struct cr_fdtable	*owner;		/* POSIX */
	uint32_t		pid;		/* dump: whose fdinfo showed it, */
	uint32_t		fd;		/* on which descriptor */
};

/* FS: cwd, root, umask. */
struct cr_fs {
	struct crfs_fs		f;
	struct cr_file		*cwd, *root;
	uint32_t		pid;		/* its first process, 0: none */
};

/* SIGHAND: a table of signal actions. */
struct cr_sighand {
	struct crfs_sighand	s;
	uint32_t		pid;		/* its first process, 0: none */
};

/* A queue of pending signals. */
struct cr_sigq {
	struct crfs_sigpending	*sig;
	uint32_t		nr;
};

/* SECCOMP: one filter of a thread, its program. */
struct cr_seccomp {
	struct crfs_seccomp	s;
	uint64_t		*insns;		/* s.nr_insns struct sock_filter */
};

/* THREAD: one thread of a TASK. */
struct cr_thread {
	struct crfs_thread	t;
	struct cr_seccomp	*seccomp;	/* its filters, index 0 first */
	uint32_t		nr_seccomp;
	struct cr_sigq		pending;	/* its own queue */
	struct cr_arch_thread	arch;		/* registers, XSAVE */
	uint64_t		eintr_admits;	/* dump: res-signals.c */
	struct cr_task		*task;
};

/* TASK: a process, its credentials, its threads and what it shares. */
struct cr_task {
	struct crfs_task	t;
	struct crfs_creds	creds;
	bool			have_creds;
	uint32_t		*groups;	/* creds.ngroups */
	struct cr_sigq		pending;	/* the shared queue */
	struct cr_thread	*threads;
	uint32_t		nr_threads;
	struct cr_mm		*mm;
	struct cr_fdtable	*fdt;
	struct cr_fs		*fs;
	struct cr_sighand	*sighand;
	struct crfs_timer	*timers;	/* POSIX timers, by id */
	uint32_t		nr_timers;
};

/*
 * The session and process group @t has after a restore: the root's
 * (tasks[0]) are outside the container, and the restored root leads a
 * session and group of its own; who was in them is in the root's.
 */
static inline uint32_t cr_task_sid(const struct cr_task *root,
				   const struct cr_task *t)
{
	return t->t.sid == root->t.sid ? root->t.pid : t->t.sid;
}

static inline uint32_t cr_task_pgid(const struct cr_task *root,
				    const struct cr_task *t)
{
	return t->t.pgid == root->t.pgid ? root->t.pid : t->t.pgid;
}

/* An index of a kind by id: (id, position) pairs sorted by id. */
struct cr_ids {
	struct cr_id_ent {
		uint32_t	id;
		uint32_t	idx;
	}			*ent;
	uint32_t		nr;
};

/* The kinds of the model with an id, for cr_model.ids[]. */
enum cr_model_kind {
	CR_K_FILE,
	CR_K_SHMEM,
	CR_K_MM,
	CR_K_FDTABLE,
	CR_K_FS,
	CR_K_SIGHAND,
	CR_K_TASK,
	CR_K_NR
};

/* A whole container. */
struct cr_model {
	struct cr_file		*files;
	struct cr_shmem		*shmems;
	struct cr_mm		*mms;
	struct cr_fdtable	*fdts;
	struct cr_fs		*fss;
	struct cr_sighand	*sighands;
	struct cr_task		*tasks;
	struct cr_lock		*locks;		/* no ids: in stream order */
	struct crfs_ipcns	ipcns;		/* its own IPC namespace, */
	bool			have_ipcns;	/* when it had one */
	struct cr_ipc		*ipcs;		/* ids ascending */
	uint32_t		nr_ipcs;
	uint32_t		nr_locks;
	uint32_t		nr_files, nr_shmems, nr_mms, nr_fdts, nr_fss,
				nr_sighands, nr_tasks;
	/* by id (files, shmems, mms, fdts, fss, sighands; tasks by pid) */
	struct cr_ids		ids[CR_K_NR];
};

/**
 * cr_grow() - make room for entry @i of an array filled in order
 * @arrp: the array (a pointer to it)
 * @i:    the index about to be filled; the array holds @i entries
 * @size: one entry's size
 *
 * Doubles the array when @i is a power of two (or 0), and zeroes the new
 * entry: memory grows with the entries that arrive.
 *
 * Return: 0 or -ENOMEM.
 */
int cr_grow(void *arrp, uint32_t i, size_t size);

/**
 * cr_model_new_*() - append a zeroed object to its array
 * Return: the object, or NULL when out of memory or beyond
 * CRFS_MAX_OBJECTS (-ENOMEM or -E2BIG in *@err).
 */
struct cr_file *cr_model_new_file(struct cr_model *m, int *err);
struct cr_shmem *cr_model_new_shmem(struct cr_model *m, int *err);
struct cr_mm *cr_model_new_mm(struct cr_model *m, int *err);
struct cr_vma *cr_model_new_vma(struct cr_mm *mm, int *err);
struct cr_fdtable *cr_model_new_fdtable(struct cr_model *m, int *err);
struct cr_fd *cr_model_new_fd(struct cr_fdtable *t, int *err);
/* The descriptor @fd of @t (sorted by number), or NULL. */
const struct cr_fd *cr_model_fd(const struct cr_fdtable *t, int32_t fd);
struct cr_lock *cr_model_new_lock(struct cr_model *m, int *err);
struct cr_fs *cr_model_new_fs(struct cr_model *m, int *err);
struct cr_sighand *cr_model_new_sighand(struct cr_model *m, int *err);
struct cr_task *cr_model_new_task(struct cr_model *m, int *err);
struct cr_thread *cr_model_new_thread(struct cr_task *t, int *err);
struct crfs_sigpending *cr_model_new_sig(struct cr_sigq *q, int *err);
struct crfs_timer *cr_model_new_timer(struct cr_task *t, int *err);
struct cr_seccomp *cr_model_new_seccomp(struct cr_thread *th, int *err);

struct cr_ipc *cr_model_new_ipc(struct cr_model *m, int *err);

/* The IPC object of id @id (bisection: ids ascend), NULL: none. */
struct cr_ipc *cr_model_ipc(const struct cr_model *m, uint32_t id);

/**
 * cr_model_index() - sort the ids of kind @k into @m->ids[@k]
 * Return: 0, -ENOMEM, or -EEXIST with *@dup set to an id seen twice.
 */
int cr_model_index(struct cr_model *m, enum cr_model_kind k, uint32_t *dup);

/**
 * cr_model_find() - the position of @id in the array of kind @k
 * (indexed by cr_model_index()), by bisection
 * Return: the position, or -1 when there is no such object.
 */
int64_t cr_model_find(const struct cr_model *m, enum cr_model_kind k,
		      uint32_t id);

/* Pointer versions of cr_model_find(): NULL when @id is 0 or unknown. */
struct cr_file *cr_model_file(const struct cr_model *m, uint32_t id);
struct cr_shmem *cr_model_shmem(const struct cr_model *m, uint32_t id);
struct cr_mm *cr_model_mm(const struct cr_model *m, uint32_t id);

/**
 * cr_model_resolve() - turn every id of @m into a pointer (NULL for an
 * unknown one), and note the first process of each shared object; every
 * kind must be indexed (cr_model_index())
 */
void cr_model_resolve(struct cr_model *m);

/**
 * cr_model_vma_find() - the mapping of @mm holding @addr, or the first one
 * above it: an index, by bisection (nr_vmas when there is none)
 */
uint32_t cr_model_vma_find(const struct cr_mm *mm, uint64_t addr);

/**
 * cr_model_shmem_windows() - for each SHMEM of @m, the ranges of it its
 * mappings reach, apart and sorted, each with an address that maps it
 * Return: 0 or -ENOMEM.
 */
int cr_model_shmem_windows(struct cr_model *m);

/* cr_model_free() - free everything @m holds (not @m itself) */
void cr_model_free(struct cr_model *m);

#endif /* CR_MODEL_H */
