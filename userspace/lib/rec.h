/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every record kind of image format 4 in one table (rec.c): its name, the
 * size of its fixed part, whether that is all of it, its architecture, its
 * place in the stream, and what reads it into the model, writes it from
 * the model, prints it and checks it (img-check.c).  The codec (image.c),
 * the reading of a model (model-read.c), its writing (model-walk.c),
 * `crfs-image` and the checker all go through this table.
 */
#ifndef CR_REC_H
#define CR_REC_H

#include <stdbool.h>
#include <stdint.h>

#include "cr-internal.h"
#include "model.h"

/*
 * Where a record may come, in stream order.  A kind may repeat at its
 * rank; a group (MM and its VMAs, FDTABLE and its FDs, TASK and what
 * follows it, THREAD and what follows it) starts again at its first rank.
 */
enum cr_rank {
	CR_R_FILE = 10,
	CR_R_SHMEM = 20,
	CR_R_IPCNS = 22,
	CR_R_IPC = 24,
	CR_R_MM = 30,
	CR_R_VMA,
	CR_R_FDTABLE = 40,
	CR_R_FD,
	CR_R_LOCK = 50,
	CR_R_FS = 60,
	CR_R_SIGHAND = 70,
	CR_R_TASK = 100,
	CR_R_CREDS,
	CR_R_SIGP_TASK,		/* SIGPENDING of the process's queue */
	CR_R_THREAD = 110,
	CR_R_SECCOMP,
	CR_R_SIGP_THREAD,	/* SIGPENDING of the thread's own queue */
	CR_R_ARCH,		/* registers, XSAVE: rank + their order */
	CR_R_TIMER = 120,
	CR_R_FILE_DATA = 200,
	CR_R_IPC_DATA = 205,
	CR_R_PAGES = 210,
	CR_R_END = 250,
};

/*
 * Printing: the printers of the table emit keys and values; what they
 * look like is the emitter's (crfs-image: JSON, or one line per object).
 */
struct cr_emit;
struct cr_emit_ops {
	/* an object (@list false) or a list; @key NULL inside a list */
	void	(*open)(struct cr_emit *o, const char *key, bool list);
	void	(*close)(struct cr_emit *o, bool list);
	void	(*u64)(struct cr_emit *o, const char *key, uint64_t v);
	void	(*s64)(struct cr_emit *o, const char *key, int64_t v);
	void	(*hex)(struct cr_emit *o, const char *key, uint64_t v);
	void	(*oct)(struct cr_emit *o, const char *key, uint64_t v);
	void	(*str)(struct cr_emit *o, const char *key, const char *s);
	void	(*bytes)(struct cr_emit *o, const char *key, const void *p,
			 size_t len);
};

struct cr_emit {
	const struct cr_emit_ops *ops;
	bool		detail;		/* also what a summary leaves out */
	void		*priv;
};

/* The model being read from an image, and where the stream is. */
struct cr_rd {
	struct cr_model			*m;
	const struct crfs_image_hdr	*h;
	char				where[96];	/* the record read */
	uint32_t			rank;		/* of the last record */
	uint32_t			type;		/* the last record's */
	uint32_t			sealed;		/* CR_K_* indexed */
	struct cr_mm			*mm;		/* VMAs to come */
	struct cr_fdtable		*fdt;		/* FDs to come */
	struct cr_task			*task;		/* its group */
	struct cr_thread		*thread;	/* its group */
	uint32_t			arch_seen;	/* arch records of it */
};

/*
 * An image being checked: its header and its model, read whole, and where
 * the check is (the object whose children are checked, the one before).
 */
struct cr_chk {
	const struct crfs_image_hdr	*h;
	const struct cr_model		*m;
	const struct cr_mm		*mm;		/* of the VMAs */
	const struct cr_vma		*prev_vma;
	const struct cr_fdtable		*fdt;		/* of the FDs */
	const struct cr_fd		*prev_fd;
	const struct cr_task		*task;		/* of the threads */
	const struct cr_sigq		*queue;		/* of the signals */
	uint64_t			seen_std;	/* standard ones in it */
	uint64_t			rt;		/* real-time, the task's */
	/* (file << 32 | fd table) of every descriptor, sorted, for LOCKs */
	uint64_t			*held;
	uint32_t			nr_held;
	bool				have_held;
};

/* One record kind. */
struct cr_rec_ops {
	uint32_t	type;		/* CRFS_REC_* */
	const char	*name;
	uint32_t	size;		/* fixed part: payload bytes at least */
	bool		exact;		/* the payload is exactly @size bytes */
	uint32_t	arch;		/* CRFS_ARCH_* of an arch record, or 0 */
	uint32_t	rank;		/* enum cr_rank, 0: PAGES and END */
	/*
	 * Decode the payload @p (any alignment) into the model: lengths,
	 * strings, counts and references, what memory safety and the ids
	 * need; what values mean is @check's.  rd->where names the record.
	 */
	int		(*read)(struct cr_rd *rd, const void *p, uint64_t len,
				struct cr_err *e);
	/* Write the record of model object @obj. */
	int		(*write)(struct cr_img *img, const void *obj,
				 struct cr_err *e);
	/* Print the fields of @obj. */
	void		(*print)(struct cr_emit *o, const void *obj);
	/* The rules about @obj in the whole model (img-check.c). */
	int		(*check)(const struct cr_chk *c, const void *obj,
				 struct cr_err *e);
};

/**
 * cr_rec_ops() - the row of record type @type
 * Return: the row, or NULL for a type the format does not have.
 */
const struct cr_rec_ops *cr_rec_ops(uint32_t type);

/* Round @n up to a multiple of 8, as every payload is. */
static inline uint64_t cr_pad8(uint64_t n)
{
	return (n + 7) & ~7ULL;
}

/**
 * cr_rec_str() - check a NUL-padded string of @len bytes with its NUL at
 * @p, @max at most, in a payload of which @avail bytes follow it
 * Return: true when it is one string, ending where it says, with zero
 * padding up to the next multiple of 8, the rest of the payload
 */
bool cr_rec_str(const char *p, uint64_t len, uint64_t avail, uint64_t max);

/* rec-objects.c, rec-task.c, arch/x86_64/rec.c: the rows' functions. */
#define CR_REC_FNS(k)							\
	int cr_##k##_read(struct cr_rd *rd, const void *p, uint64_t len,\
			  struct cr_err *e);				\
	int cr_##k##_write(struct cr_img *img, const void *obj,		\
			   struct cr_err *e);				\
	void cr_##k##_print(struct cr_emit *o, const void *obj);	\
	int cr_##k##_check(const struct cr_chk *c, const void *obj,	\
			   struct cr_err *e)

CR_REC_FNS(file);
CR_REC_FNS(shmem);
CR_REC_FNS(mm);
CR_REC_FNS(vma);
CR_REC_FNS(fdtable);
CR_REC_FNS(fd);
CR_REC_FNS(lock);
CR_REC_FNS(fs);
CR_REC_FNS(sighand);
CR_REC_FNS(task);
CR_REC_FNS(creds);
CR_REC_FNS(sigpending);
CR_REC_FNS(thread);
CR_REC_FNS(timer);
CR_REC_FNS(seccomp);
CR_REC_FNS(x86_regs);
CR_REC_FNS(x86_xstate);
CR_REC_FNS(ipcns);
CR_REC_FNS(ipc);

/* img-check-sec.c: why capability sets or securebits are wrong, or NULL */
const char *cr_creds_caps_why(const struct crfs_creds *c);

/**
 * cr_rec_refuse() - the reader of a kind this version does not restore
 * (a kind defined for a later version; none today): EOPNOTSUPP naming it
 */
int cr_rec_refuse(struct cr_rd *rd, const void *p, uint64_t len,
		  struct cr_err *e);

/* Write one record of @n pieces; the codec pads it to 8 bytes. */
int cr_rec_put(struct cr_img *img, uint32_t type, struct cr_err *e, int n,
	       const struct iovec *iov);

/* A failure of the record being read: EBADMSG naming it. */
int cr_rd_fail(const struct cr_rd *rd, struct cr_err *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Walking a model in stream order: @visit for each object and record
 * kind (TASK, then CREDS with the same task, SIGPENDING with each
 * signal, ...), @leave after an object's children (MM after its VMAs,
 * TASK after its threads, ...).  A non-zero return of @visit stops.
 */
struct cr_walk_ops {
	int	(*visit)(void *ctx, const struct cr_rec_ops *row,
			 const void *obj);
	void	(*leave)(void *ctx, const struct cr_rec_ops *row,
			 const void *obj);
};

/**
 * cr_model_walk() - call @ops on every record of @m, in stream order
 * Return: 0, or what @ops->visit returned first that was not 0.
 */
int cr_model_walk(const struct cr_model *m, const struct cr_walk_ops *ops,
		  void *ctx);

/**
 * cr_model_write() - write every record of @m (objects and processes)
 * Return: 0 or -errno with @e set.
 */
int cr_model_write(struct cr_img *img, const struct cr_model *m,
		   struct cr_err *e);

/**
 * cr_model_print() - print every record of @m with @o: lists of files,
 * shmems, mms (with their vmas), fdtables (with their fds), locks, fs,
 * sighands and tasks (with their creds, pending signals and threads)
 */
void cr_model_print(const struct cr_model *m, struct cr_emit *o);

/**
 * cr_evfd_read() - the event state of @f from the @len bytes at @p after
 * its path (FILE's ext_len).
 *
 * Return: 0, -EBADMSG with *@why saying what is wrong, or -ENOMEM.
 */
int cr_evfd_read(struct cr_file *f, const void *p, uint64_t len,
		 const char **why);

/*
 * What reading a deleted inode's contents (a checkpoint) or opening it (a
 * restore) reports to its watches (IN_* of <sys/inotify.h>): refused on
 * a watch of a deleted inode (crfs_inotify_wd.via).
 */
#define CR_IN_VIA_NOISY		(IN_OPEN | IN_ACCESS | IN_CLOSE_NOWRITE)

/**
 * cr_inotify_index() - index the watches of inotify @f's wbuf (wlen
 * bytes) into f->wds, checking their lengths and paths.
 *
 * Return: 0, -EBADMSG with *@why saying what is wrong, or -ENOMEM.
 */
int cr_inotify_index(struct cr_file *f, const char **why);

/**
 * cr_evfd_iov() - the event state of @f as written after its path.
 *
 * Return: the bytes to write, f->f.ext_len of them.
 */
struct iovec cr_evfd_iov(const struct cr_file *f);

/**
 * cr_unix_read() - the state of unix socket @f from the @len bytes at @p
 * after its path (FILE's ext_len), framed: its name and messages fill it.
 *
 * Return: 0, -ENOMEM, or -EBADMSG with *@why set.
 */
int cr_unix_read(struct cr_file *f, const void *p, uint64_t len,
		 const char **why);

/* cr_unix_print() - print the state of unix socket @fi, if it is one. */
void cr_unix_print(struct cr_emit *o, const struct cr_file *fi);

/**
 * cr_unix_maker_why() - why accepted or waiting unix socket @fi cannot be
 * made again by the first process of @m holding its listener (that
 * process makes the connections, restore-unix.c, and passes them to the
 * processes after it), or NULL
 * @m: the model
 * @fi: a FILE of kind UNIX
 *
 * Return: the reason (it, or its peer, is held by a process before that
 * one, or its listener is held by none, or a waiting one is held by
 * another process too: the process that connect()ed it, whose
 * SO_PEERCRED accept() gives, is taken to be that one; or one accepted
 * from another process's connect(), cr_unix_xconn(), in a shape the
 * restore does not make: that process before the listener's first
 * holder, its client closed or held first by another, a descriptor table
 * shared, connections waiting on the listener, more such connections
 * than its backlog holds at once), or NULL.
 */
const char *cr_unix_maker_why(const struct cr_model *m,
			      const struct cr_file *fi);

/**
 * cr_unix_xconn() - the process that connect()ed accepted unix socket @fi,
 * if it is another than the first one holding its listener
 * @m: the model
 * @fi: a FILE of kind UNIX
 *
 * An accepted socket's SO_PEERCRED names the process that connect()ed;
 * when that is a live process of @m other than the listener's first
 * holder, the restore connect()s again in that process, in its files
 * step, and the listener's first holder accept()s after every process
 * has its files (restore-unix.c: cr_rst_unix_xconns()); the rules of that
 * shape are cr_unix_maker_why()'s.
 *
 * Return: its index in @m, or -1 (not accepted, or named the listener's
 * first holder, or no live process of @m).
 */
int64_t cr_unix_xconn(const struct cr_model *m, const struct cr_file *fi);

/**
 * cr_unix_maker() - the process that makes unix socket @fi again
 * @m: the model
 * @fi: a FILE of kind UNIX
 *
 * Return: its index in @m: for an accepted socket whose SO_PEERCRED
 * names another process (cr_unix_xconn()) that process; for a connection
 * of a listening socket (either end, else) the first process holding the
 * listener; for a pair (or an end
 * whose peer is closed) the process its SO_PEERCRED names if it comes
 * before every holder (it holds neither end: restore-unix.c gives it
 * CR_RF_PAIR entries, passed on), else the first holding either end
 * (restore-pair.c); else the first holding it; -1: none.
 */
int64_t cr_unix_maker(const struct cr_model *m, const struct cr_file *fi);

/**
 * cr_unix_cred_why() - why the SO_PEERCRED unix socket @fi names cannot
 * be given to it again, or NULL
 * @m: the model
 * @fi: a FILE of kind UNIX
 *
 * The restore (restore-unix.c) makes each socket's SO_PEERCRED with the
 * socketpair(), listen() or connect() that sets it, in the process that
 * makes the socket (cr_unix_maker_why()), under the ids recorded: the pid
 * must be that process's, both ends of a pair name the same, a client
 * names its listener's (connect() copies it), and a socket neither
 * listening nor connected names none.
 *
 * Return: the reason, or NULL.
 */
const char *cr_unix_cred_why(const struct cr_model *m,
			     const struct cr_file *fi);

/**
 * cr_unix_conn_of() - the listener of accepted or waiting unix socket @f
 * @f: a FILE of kind UNIX whose state cr_unix_read() framed
 *
 * Return: its crfs_unix_conn (after the messages), or NULL if it is
 * neither (crfs.h: CRFS_UNIX_F_ACCEPTED, CRFS_UNIX_F_WAITING).
 */
struct crfs_unix_conn *cr_unix_conn_of(const struct cr_file *f);

/**
 * cr_unix_find() - the unix socket of @m whose socket inode is @ino
 *
 * Return: its FILE, or NULL.
 */
const struct cr_file *cr_unix_find(const struct cr_model *m, uint64_t ino);

/**
 * cr_img_unix_check() - the rules of a unix socket's FILE @fi
 * (img-check-unix.c): its name, mode, flags, state, queue and peer.
 *
 * Return: 0, or -EBADMSG with @e set.
 */
int cr_img_unix_check(const struct cr_chk *c, const struct cr_file *fi,
		      struct cr_err *e);

/**
 * cr_evfd_print() - print the event state of @fi, if it has one.
 */
void cr_evfd_print(struct cr_emit *o, const struct cr_file *fi);

/**
 * cr_pipe_read() - the state of pipe or FIFO @f (struct crfs_file_pipe and
 * its buffered data) from the @len bytes at @p after its path.
 *
 * Return: 0, -EBADMSG with *@why saying what is wrong, or -ENOMEM.
 */
int cr_pipe_read(struct cr_file *f, const void *p, uint64_t len,
		 const char **why);

/**
 * cr_pipe_iov() - the state of pipe or FIFO @f as written after its path,
 * in @iov: the struct, the data, the padding.
 *
 * Return: the bytes of the three (ext_len).
 */
int cr_pipe_iov(const struct cr_file *f, struct iovec iov[3]);

/**
 * cr_pipe_print() - print the state of @fi if it is a pipe or a FIFO.
 */
void cr_pipe_print(struct cr_emit *o, const struct cr_file *fi);

/**
 * cr_img_pipe_check() - the rules of a pipe's or FIFO's FILE @fi
 * (img-check-pipe.c): its path, mode, flags, size and data, and the
 * other end it names.
 *
 * Return: 0, or -EBADMSG with @e naming the file and the rule.
 */
int cr_img_pipe_check(const struct cr_chk *c, const struct cr_file *fi,
		      struct cr_err *e);

/**
 * cr_tty_read() - the terminal state of TTY @f from the @len bytes at @p
 * after its path (rec-tty.c).
 *
 * Return: 0, or -EBADMSG with *@why saying what is wrong.
 */
int cr_tty_read(struct cr_file *f, const void *p, uint64_t len,
		const char **why);

/**
 * cr_tty_iov() - the terminal state of TTY @f as written after its path.
 *
 * Return: the bytes to write, its crfs_file_tty (cr_tty_queue_iov() the
 * rest of f->f.ext_len).
 */
struct iovec cr_tty_iov(const struct cr_file *f);

/**
 * cr_tty_queue_iov() - the data queued in TTY @f's pair, as written after
 * its crfs_file_tty (a crfs_file_tty_queue, the bytes, padding); empty
 * when it has none.
 * @f: the file.
 */
struct iovec cr_tty_queue_iov(const struct cr_file *f);

/**
 * cr_tty_queue_len() - the size of TTY @f's queue in the image (0: none).
 * @f: the file.
 */
uint64_t cr_tty_queue_len(const struct cr_file *f);

/**
 * cr_tty_print() - print the terminal state of @fi, if it is a TTY.
 */
void cr_tty_print(struct cr_emit *o, const struct cr_file *fi);

/**
 * cr_img_evfd_check() - the rules of an event descriptor's FILE @fi
 * (img-check-evfd.c): its name, mode, flags and state.
 *
 * Return: 0, or -EBADMSG with @e naming the file and the rule.
 */
int cr_img_evfd_check(const struct cr_chk *c, const struct cr_file *fi,
		      struct cr_err *e);

/**
 * cr_img_tty_check() - the rules of a pseudo-terminal's FILE @fi
 * (img-check-tty.c): its side, device, flags and state, and its pair.
 *
 * Return: 0, or -EBADMSG with @e naming the file and the rule.
 */
int cr_img_tty_check(const struct cr_chk *c, const struct cr_file *fi,
		     struct cr_err *e);

/**
 * cr_img_tty_task() - a /dev/tty descriptor of @t has a terminal to name:
 * its session's, a pair of the image (img-check-tty.c).
 *
 * Return: 0, or -EBADMSG with @e naming the pid and the descriptor.
 */
int cr_img_tty_task(const struct cr_chk *c, const struct cr_task *t,
		    struct cr_err *e);

/**
 * cr_img_evfd_task() - every epoll target of @t's descriptors is a
 * descriptor of @t naming the target's FILE.
 *
 * Return: 0, or -EBADMSG with @e naming the pid, the epoll and the target.
 */
int cr_img_evfd_task(const struct cr_chk *c, const struct cr_task *t,
		     struct cr_err *e);

/**
 * cr_inet_read() - the state and options of socket @f from the @len bytes
 * at @p after its path (rec-inet.c).
 *
 * Return: 0, -EBADMSG with *@why saying what is wrong, or -ENOMEM.
 */
int cr_inet_read(struct cr_file *f, const void *p, uint64_t len,
		 const char **why);

/**
 * cr_inet_iov() - the state and options of socket @f as written after its
 * path.
 *
 * Return: the bytes to write (none when @f is no INET file).
 */
struct iovec cr_inet_iov(const struct cr_file *f);

/**
 * cr_inet_print() - print the state of socket @fi, if it has one.
 */
void cr_inet_print(struct cr_emit *o, const struct cr_file *fi);

/**
 * cr_img_inet_check() - the rules of a socket's FILE @fi
 * (img-check-inet.c): its name, mode, flags, state and options.
 *
 * Return: 0, or -EBADMSG with @e naming the file and the rule.
 */
int cr_img_inet_check(const struct cr_chk *c, const struct cr_file *fi,
		      struct cr_err *e);

#endif /* CR_REC_H */
