/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crfs-fuse: the FUSE 3 prototype of crfs.  A thin shim over libcr: the
 * mount root holds containers (directories), each container holds a few
 * control files routed through one table (ctl.c).
 *
 * Inode numbers are computed, not stored: the root is FUSE_ROOT_ID, a
 * container with id N is N << CRFS_INO_SHIFT and its control file number i
 * is (N << CRFS_INO_SHIFT) | (i + 1).  Container ids are never reused.
 */
#ifndef CRFS_FUSE_H
#define CRFS_FUSE_H

#define FUSE_USE_VERSION 312

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <fuse_lowlevel.h>

#include "cr.h"
#include "cr-xfer.h"

#define CRFS_INO_SHIFT		4
#define CRFS_NAME_MAX		64		/* container name */
#define CRFS_CTL_WRITE_MAX	64		/* write to a small control file */
#define CRFS_IO_MAX		(1U << 20)	/* max_read, max_write, pipe size */
#define CRFS_NS_NAME		"ns"		/* the namespace view, ns.c */
#define CRFS_NS_INO		(1ULL << 62)	/* inodes of the ns/ tree */
#define CRFS_NS_CT_INO		(1ULL << 61)	/* inodes of a container's ns/ */

struct crfs_fh;
struct crfs_ns_view;

/* One mount: the daemon's cgroup subtree and its containers. */
struct crfs_fs {
	struct fuse_session	*se;
	struct fuse_conn_info_opts *conn_opts;	/* -o max_write=, splice... */
	char			subtree[PATH_MAX];	/* <cg2>/crfs-<pid> */
	pid_t			guardian;
	struct timespec		mtime;			/* mount time */

	pthread_mutex_t		lock;			/* cts, next_id */
	struct crfs_ct		*cts;
	uint64_t		next_id;

	int			inotify_fd;		/* see ct.c */
	int			stop_fd;
	pthread_t		watcher;
	bool			watching;

	struct crfs_ns_view	*ns;			/* ns.c, made on first use */
	uid_t			uid;			/* owner of every file */
	gid_t			gid;
	struct crfs_fh		*fhs;			/* open control files; lock */
};

/* An open file that can be polled, on its owner's list (poller.c). */
struct crfs_poller {
	struct fuse_pollhandle	*ph;		/* kept until a change */
	struct crfs_poller	*next;
};

#define crfs_container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* One container: a cgroup directory under fs->subtree. */
struct crfs_ct {
	struct crfs_fs		*fs;
	struct crfs_ct		*next;		/* fs->cts; under fs->lock */
	unsigned int		refs;		/* under fs->lock */
	bool			removed;	/* under fs->lock */
	uint64_t		id;
	int			wd;		/* inotify on cgroup.events */
	struct timespec		ctime;
	char			name[CRFS_NAME_MAX + 1];
	char			cgdir[PATH_MAX + CRFS_NAME_MAX + 2];

	pthread_mutex_t		lock;		/* everything below */
	char			error[CR_ERR_MSG_LEN];
	uint64_t		event_seq;	/* bumped on every change */
	struct crfs_poller	*pollers;	/* open handles that poll */
	struct cr_xfer		*image;		/* transfer under way, or NULL */
	bool			dumped;		/* checkpointed since frozen */
	bool			shell_job;	/* the shell_job file */
	int			peers;		/* the peers file: cr_peers */
	int			dump_peers;	/* peers of the last checkpoint */
	char			netlock[64];	/* its network lock, or "" */
};

/* poller.c */
void crfs_poller_add(struct crfs_poller **list, struct crfs_poller *p);
void crfs_poller_del(struct crfs_poller **list, struct crfs_poller *p);
unsigned int crfs_poller_poll(struct crfs_poller *p, bool ready,
			      struct fuse_pollhandle *ph);
void crfs_poller_wake(struct crfs_poller *p);

/*
 * An open control file.  Requests on one open file run concurrently (two
 * threads pread() one descriptor): @lock serializes the rebuild and use
 * of its text.
 */
struct crfs_fh {
	struct crfs_ct			*ct;	/* holds a reference */
	const struct crfs_fuse_file	*file;
	char				*text;	/* what offset 0 returned; @lock */
	size_t				len;	/* @lock */
	uint64_t			seen;	/* ct->event_seq when read; ct->lock */
	struct crfs_poller		poller;	/* under ct->lock */
	struct cr_xfer			*image;	/* image.c */
	pid_t				image_closer; /* who ended it; atomic */
	pid_t				opener;	/* who opened it, 0: unknown */
	pthread_mutex_t			lock;	/* text, len */
	struct crfs_fh			*fs_next; /* fs->fhs, under fs->lock */
	struct crfs_fh			**fs_pprev;
};

/* A file whose data is a stream handled at the FUSE request level. */
struct crfs_fuse_stream_ops {
	int	(*open)(struct crfs_fh *fh, struct fuse_file_info *fi);
	void	(*read)(fuse_req_t req, struct crfs_fh *fh, size_t size);
	void	(*write_buf)(fuse_req_t req, struct crfs_fh *fh,
			     struct fuse_bufvec *in);
	void	(*flush)(fuse_req_t req, struct crfs_fh *fh);
	void	(*release)(struct crfs_fh *fh);
	void	(*ioctl)(fuse_req_t req, struct crfs_fh *fh, unsigned int cmd,
			 const void *in, size_t in_size);
};

/*
 * One row of the control-file table.  A small file has @read (print the
 * whole content to @out) and/or @write (the written bytes, NUL-terminated,
 * at most CRFS_CTL_WRITE_MAX); a stream file has @stream instead.
 */
struct crfs_fuse_file {
	const char				*name;
	mode_t					mode;
	int	(*read)(struct crfs_ct *ct, FILE *out);
	int	(*write)(struct crfs_ct *ct, char *buf);
	bool					pollable;
	const struct crfs_fuse_stream_ops	*stream;
};

/* ctl.c */
extern const struct crfs_fuse_file crfs_fuse_files[];
extern const unsigned int crfs_fuse_nr_files;
enum crfs_ct_state crfs_fuse_ct_state(struct crfs_ct *ct);

/* image.c */
extern const struct crfs_fuse_stream_ops crfs_fuse_image_ops;
bool crfs_fuse_image_busy(struct crfs_ct *ct, bool *dump);
void crfs_fuse_image_kill(struct crfs_ct *ct);
void crfs_fuse_image_settle(struct crfs_ct *ct);
void crfs_fuse_image_abort(struct crfs_ct *ct);

/* ct.c */
int crfs_ct_create(struct crfs_fs *fs, const char *name, struct crfs_ct **ctp);
int crfs_ct_remove(struct crfs_fs *fs, const char *name);
struct crfs_ct *crfs_ct_lookup(struct crfs_fs *fs, const char *name);
struct crfs_ct *crfs_ct_get(struct crfs_fs *fs, uint64_t id);
void crfs_ct_put(struct crfs_ct *ct);
int crfs_ct_fail(struct crfs_ct *ct, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void crfs_ct_clear(struct crfs_ct *ct);
void crfs_ct_changed(struct crfs_ct *ct);
int crfs_fs_watch_start(struct crfs_fs *fs);
void crfs_fs_shutdown(struct crfs_fs *fs);

/* ns.c */
extern const struct fuse_lowlevel_ops crfs_fuse_ns_ops;
bool crfs_fuse_ns_ino(fuse_ino_t ino);
void crfs_fuse_ns_dir_stat(struct crfs_ct *ct, struct stat *st);
void crfs_fuse_ns_entry(fuse_req_t req, struct crfs_ct *ct);
void crfs_fuse_ns_shutdown(struct crfs_fs *fs);

/* fs.c */
extern const struct fuse_lowlevel_ops crfs_fuse_ops;
void crfs_fuse_release_all(struct crfs_fs *fs);

/* guard.c */
pid_t crfs_guard_start(const char *subtree, int lock_fd, int *fdp);
void crfs_guard_stop(pid_t pid, int fd);

/* adopt.c: the subtrees that gone daemons left, locked by us */
struct crfs_leftover {
	char		*path;
	int		fd;		/* holds the flock */
	bool		marked;		/* a crfs-fuse daemon's */
};

struct crfs_leftovers {
	struct crfs_leftover	*v;
	unsigned int		nr;
};

int crfs_subtree_mark(int fd);
void crfs_leftovers_take(const char *parent, struct crfs_leftovers *lo);
void crfs_leftovers_adopt(struct crfs_fs *fs, struct crfs_leftovers *lo);

#endif /* CRFS_FUSE_H */
