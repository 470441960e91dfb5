/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcr: the crfs checkpoint/restore engine.
 *
 * One engine, thin clients: crfs-fuse, crctl, crfs-image and the tests
 * call these functions; none of them knows how a process is dumped.
 */
#ifndef CR_H
#define CR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CR_ERR_MSG_LEN	1024

/*
 * The reason for a failure, in words.  @err is a positive errno; @msg
 * names the pid, descriptor, mapping or record and says why.
 */
struct cr_err {
	int	err;
	char	msg[CR_ERR_MSG_LEN];
};

/**
 * cr_fail() - record a failure
 * @e:   where to record it (may be NULL)
 * @err: positive errno
 * @fmt: printf format of the reason
 *
 * Return: -@err, so callers can write "return cr_fail(e, EBUSY, ...);".
 */
int cr_fail(struct cr_err *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* cgroup v2 helpers (cgroup.c) */

/**
 * cr_cgroup_root() - find the cgroup2 mount in /proc/self/mountinfo
 * @buf: receives the mount point
 * @len: size of @buf
 *
 * Return: 0, or -ENOENT when no cgroup2 filesystem is mounted.
 */
int cr_cgroup_root(char *buf, size_t len);

/**
 * cr_cgroup_pids() - read cgroup.procs of @cgdir
 * @cgdir: absolute path of a cgroup directory
 * @pids:  receives a malloc'd array (free() it)
 *
 * Return: the number of pids, or -errno.
 */
int cr_cgroup_pids(const char *cgdir, pid_t **pids);

/**
 * cr_inet_quiet() - put every TCP connection of the processes of @cgdir
 * in repair mode (res-tcp.c): killed, they go without a FIN or a reset,
 * their addresses free at once for a restore of their checkpoint.
 */
void cr_inet_quiet(const char *cgdir);

/**
 * cr_cgroup_events() - read populated and frozen from cgroup.events
 * @cgdir:     cgroup directory
 * @populated: receives 0 or 1 (may be NULL)
 * @frozen:    receives 0 or 1 (may be NULL)
 *
 * Return: 0 or -errno.
 */
int cr_cgroup_events(const char *cgdir, int *populated, int *frozen);

/**
 * cr_cgroup_freeze() - write 1 or 0 to cgroup.freeze; does not wait
 * Return: 0 or -errno.
 */
int cr_cgroup_freeze(const char *cgdir, bool freeze);

/**
 * cr_cgroup_freezing() - read cgroup.freeze (what was asked, not the state)
 * Return: 0 or 1, or -errno.
 */
int cr_cgroup_freezing(const char *cgdir);

/**
 * cr_cgroup_wait_frozen() - wait until cgroup.events says frozen @want
 * @cgdir:   cgroup directory
 * @want:    1 to wait for frozen, 0 for thawed
 * @timeout_ms: how long to wait
 *
 * Return: 0, -ETIMEDOUT, or -errno.
 */
int cr_cgroup_wait_frozen(const char *cgdir, int want, int timeout_ms);

/**
 * cr_cgroup_unfrozen() - name a thread of @cgdir the freezer has not
 * stopped yet, and where it is in the kernel
 * @cgdir: cgroup directory, freezing
 * @buf:   receives "pid P: thread T (COMM) in WCHAN, state S" or
 *	   "pid P (COMM) in WCHAN, state S", S the letter of /proc's State
 * @len:   size of @buf
 *
 * Return: the thread's tid, 0 if every thread is stopped, or -errno.
 */
pid_t cr_cgroup_unfrozen(const char *cgdir, char *buf, size_t len);

/**
 * cr_cgroup_wait_empty() - wait until cgroup.events says populated 0
 * Return: 0, -ETIMEDOUT, or -errno.
 */
int cr_cgroup_wait_empty(const char *cgdir, int timeout_ms);

/**
 * cr_cgroup_kill() - write 1 to cgroup.kill
 * Return: 0 or -errno.
 */
int cr_cgroup_kill(const char *cgdir);

/**
 * cr_cgroup_attach() - write @pid to cgroup.procs
 * Return: 0 or -errno (-ESRCH: no such process).
 */
int cr_cgroup_attach(const char *cgdir, pid_t pid);

/* cgroup subtrees (cgroup-tree.c) */

/**
 * cr_cgroup_mkdir() - create the cgroup directory @cgdir
 * Return: 0 or -errno (-EEXIST: it exists).
 */
int cr_cgroup_mkdir(const char *cgdir);

/**
 * cr_cgroup_rmdir() - remove the cgroup directory @cgdir
 * Return: 0 or -errno (-EBUSY: it has processes or child cgroups).
 */
int cr_cgroup_rmdir(const char *cgdir);

/**
 * cr_cgroup_tree_prune() - thaw a subtree and remove its empty cgroups
 * @dir:  the top of the subtree
 * @self: also thaw @dir itself and remove it if it ends up empty
 *
 * Return: the number of cgroups left in place (0: all gone), or -errno.
 */
int cr_cgroup_tree_prune(const char *dir, bool self);

/* Checkpoint (dump.c) */

struct cr_dump;

/*
 * What a container's control files ask of a checkpoint or a restore
 * beyond the default (res-tty.c): @shell_job, a terminal outside the
 * container (the shell's that started the program) is accepted by a
 * checkpoint; a restore puts such a terminal's descriptors on @tty_fd,
 * the restorer's terminal (-1: none, such an image is refused).  @lock:
 * the network lock a checkpoint of the container (peers keep) took and
 * that is still in force (not thawed since): the next checkpoint reuses
 * it (netlock.c).
 */
struct cr_opts {
	bool	shell_job;
	int	tty_fd;
	int	peers;		/* enum cr_peers */
	char	lock[64];	/* the network lock in force, "" for none */
};

/*
 * What a checkpoint does with a socket whose peer is outside the
 * container (the container's peers file, netlock.c): refuse it (naming
 * both ends), keep it as an end whose peer has gone, or keep a TCP
 * connection alive behind a network lock (unix sockets: as close).
 */
enum cr_peers {
	CR_PEERS_REFUSE,
	CR_PEERS_CLOSE,
	CR_PEERS_KEEP,
};

/**
 * cr_netlock_drop() - remove the network lock @name (an nftables table a
 * checkpoint with peers keep made, cr_xfer_lock()); "" or gone: nothing.
 *
 * Return: 0, or -errno (nft failed).
 */
int cr_netlock_drop(const char *name);

struct cr_dump;
/**
 * cr_dump_lock() - the network lock checkpoint @d took: its table's
 * name, "" for none; the caller owns it once the checkpoint ended
 */
const char *cr_dump_lock(const struct cr_dump *d);

/**
 * cr_netlock_fail() - the checkpoint of @d failed: remove the lock it
 * took, unless it is the one in force before it (cr_opts lock), which
 * the last image still needs
 */
void cr_netlock_fail(struct cr_dump *d);

/**
 * cr_inet_quiet_peers() - cr_inet_quiet(), but with @close, a connection
 * whose peer is outside the container is left out: killed, it ends as a
 * connection does (a FIN, or a reset with data unread), its peer told.
 */
void cr_inet_quiet_peers(const char *cgdir, bool close);

/**
 * cr_dump_begin_opts() - cr_dump_begin() with @opts (NULL: the defaults)
 */
struct cr_ring;
struct cr_dump *cr_dump_begin_opts(const char *cgdir,
				   const struct cr_ring *ring,
				   const struct cr_opts *opts,
				   struct cr_err *e);

/**
 * cr_dump_begin() - check and seize every process of a frozen cgroup
 * @cgdir: the container's cgroup directory; it must be frozen
 * @ring:  the stream cr_dump_stream() will write, or NULL: a step that
 *         may wait long (a check that opens files) ends early, -ECANCELED,
 *         once the ring is shut down (cr_ring_aborted())
 * @e:     the reason on failure
 *
 * Everything the engine cannot checkpoint is detected here, before any
 * image byte exists; on failure the container is left exactly as it was.
 * The calling thread becomes the tracer: cr_dump_stream() and
 * cr_dump_end() must be called from the same thread.
 *
 * Return: a dump handle, or NULL with @e set (-EBUSY: not frozen,
 * -EOPNOTSUPP: an unsupported resource, ...).
 */
struct cr_ring;
struct cr_dump *cr_dump_begin(const char *cgdir, const struct cr_ring *ring,
			      struct cr_err *e);

/* Page data per CRFS_REC_PAGES record, at most. */
#define CR_PAGES_PER_REC	256
/* Largest record payload a reader accepts (pages record plus its pad). */
#define CR_REC_MAX		(CR_PAGES_PER_REC * 4096 + 2 * 4096)

/*
 * The ring given to cr_dump_stream() or cr_restore() must hold, next to
 * the most its other side reserves or peeks at, CR_RING_REC bytes: the
 * engine reserves or peeks at whole records (cr-ring.h).
 */
#define CR_RING_REC		(CR_REC_MAX + 4096)

struct cr_ring;

/**
 * cr_dump_stream() - write the whole image into @ring, strictly in order
 * @d:    from cr_dump_begin()
 * @ring: the stream (cr-ring.h); page data is read straight into it.
 *        The caller closes it (cr_ring_close()) after this returns.
 * @e:    the reason on failure
 *
 * Return: 0 or -errno (-EIO when the reader shut the ring down).
 */
int cr_dump_stream(struct cr_dump *d, struct cr_ring *ring, struct cr_err *e);

/**
 * cr_dump_end() - let the processes go, frozen as they were, and free @d
 */
void cr_dump_end(struct cr_dump *d);

/* Restore (restore.c) */

/**
 * cr_restore() - read an image from @ring and recreate its processes
 * @ring:  the image stream (cr-ring.h); page data is written into the
 *         processes from where it lies in the ring.  Nothing is read
 *         past the image's trailer but the end of the stream.
 * @cgdir: an empty cgroup directory; the processes are created in it
 * @e:     the reason on failure
 *
 * On success the processes run the image's state, with the same pids,
 * frozen in @cgdir (cgroup.freeze is 1).  On failure nothing restored is
 * left running.
 *
 * Return: 0 or -errno.
 */
int cr_restore(struct cr_ring *ring, const char *cgdir, struct cr_err *e);

/**
 * cr_restore_opts() - cr_restore() with @opts (NULL: the defaults); the
 * caller keeps opts->tty_fd, which the restore only reopens.
 */
int cr_restore_opts(struct cr_ring *ring, const char *cgdir,
		    const struct cr_opts *opts, struct cr_err *e);

#endif /* CR_H */
