// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-floor: the floor of reading a FUSE file on this machine.
 *
 *   fuse-floor [-f] [-d] [-s] -o size=MIB MOUNTPOINT
 *
 * Serves one read-only file, "data", of MIB MiB.  It is opened as crfs
 * opens its image file (direct_io, non-seekable, st_blksize 1 MiB, reads
 * of up to 1 MiB) and every read is answered with fuse_reply_buf() from
 * one static buffer, filled once: no engine, no copy of our own.  What a
 * reader measures is what the kernel and libfuse cost: the request round
 * trip, pinning the reader's pages and copying into them.  crfs-bench
 * reads it for its "FUSE read" limit.  Each open reads the file from its
 * start; reads past MIB MiB return 0 (end of file).
 */
#define FUSE_USE_VERSION 312

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <fuse_lowlevel.h>

#define FLOOR_IO_MAX		(1U << 20)	/* max_read, max_write, a reply */
#define FLOOR_DATA_INO		2
#define FLOOR_DATA_NAME		"data"
#define FLOOR_TIMEOUT		3600.0		/* nothing ever changes */
#define FLOOR_MAX_THREADS	32

struct floor_opts {
	unsigned int	size_mib;
};

static const struct fuse_opt floor_opt_spec[] = {
	{ "size=%u", offsetof(struct floor_opts, size_mib), 0 },
	FUSE_OPT_END
};

/* What every read replies with. */
static char floor_buf[FLOOR_IO_MAX];
static uint64_t floor_size;	/* bytes of "data" */

/* One open of "data": the bytes handed out so far. */
struct floor_fh {
	_Atomic uint64_t	sent;
};

/* Fill @st for the root or "data". */
static void floor_stat(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_blksize = FLOOR_IO_MAX;	/* cat reads in chunks of this */
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0400;
		st->st_nlink = 1;
		st->st_size = floor_size;
	}
}

/* Requests as large as crfs-fuse takes them, and the same splice flags. */
static void floor_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	conn->max_write = FLOOR_IO_MAX;
	conn->max_read = FLOOR_IO_MAX;
	conn->want |= conn->capable & (FUSE_CAP_SPLICE_WRITE |
				       FUSE_CAP_SPLICE_MOVE |
				       FUSE_CAP_SPLICE_READ |
				       FUSE_CAP_ATOMIC_O_TRUNC);
}

static void floor_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = {
		.ino = FLOOR_DATA_INO,
		.attr_timeout = FLOOR_TIMEOUT,
		.entry_timeout = FLOOR_TIMEOUT,
	};

	if (parent != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if (strcmp(name, FLOOR_DATA_NAME)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	floor_stat(FLOOR_DATA_INO, &e.attr);
	fuse_reply_entry(req, &e);
}

static void floor_getattr(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (ino != FUSE_ROOT_ID && ino != FLOOR_DATA_INO) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	floor_stat(ino, &st);
	fuse_reply_attr(req, &st, FLOOR_TIMEOUT);
}

/* open: "data" for reading only, as a direct_io, non-seekable stream. */
static void floor_open(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct floor_fh *fh;

	if (ino != FLOOR_DATA_INO) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EACCES);
		return;
	}
	fh = calloc(1, sizeof(*fh));
	if (!fh) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	fi->fh = (uintptr_t)fh;
	fi->direct_io = 1;
	fi->nonseekable = 1;
	if (fuse_reply_open(req, fi) == -ENOENT)	/* the opener is gone */
		free(fh);
}

/* read: up to 1 MiB from the static buffer; 0 once "data" was all sent. */
static void floor_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct floor_fh *fh = (struct floor_fh *)(uintptr_t)fi->fh;
	uint64_t sent = atomic_load(&fh->sent), n;

	(void)ino;
	(void)off;	/* a stream: the offset means nothing */
	if (size > FLOOR_IO_MAX)
		size = FLOOR_IO_MAX;
	do {
		n = floor_size - sent < size ? floor_size - sent : size;
	} while (n && !atomic_compare_exchange_weak(&fh->sent, &sent, sent + n));
	fuse_reply_buf(req, floor_buf, n);
}

static void floor_release(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	(void)ino;
	free((void *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops floor_ops = {
	.init		= floor_init,
	.lookup		= floor_lookup,
	.getattr	= floor_getattr,
	.open		= floor_open,
	.read		= floor_read,
	.release	= floor_release,
};

/* Serve requests with the multithreaded loop, as crfs-fuse does. */
static int floor_loop(struct fuse_session *se, struct fuse_cmdline_opts *opts)
{
	struct fuse_loop_config *cfg;
	int ret;

	if (opts->singlethread)
		return fuse_session_loop(se);
	cfg = fuse_loop_cfg_create();
	if (!cfg)
		return -ENOMEM;
	fuse_loop_cfg_set_clone_fd(cfg, opts->clone_fd);
	fuse_loop_cfg_set_max_threads(cfg, FLOOR_MAX_THREADS);
	ret = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return ret;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts opts = { 0 };
	struct floor_opts fopts = { 0 };
	struct fuse_session *se;
	int ret = EXIT_FAILURE;

	close_range(3, ~0U, 0);		/* strays from the shell */
	if (fuse_opt_parse(&args, &fopts, floor_opt_spec, NULL) ||
	    fuse_parse_cmdline(&args, &opts))
		goto out_args;
	if (opts.show_help || opts.show_version || !opts.mountpoint ||
	    !fopts.size_mib) {
		fprintf(stderr, "usage: %s [-f] [-d] [-s] -o size=MIB MOUNTPOINT\n",
			argv[0]);
		if (opts.show_help || opts.show_version)
			ret = EXIT_SUCCESS;
		goto out_args;
	}
	floor_size = (uint64_t)fopts.size_mib << 20;
	memset(floor_buf, 0x5a, sizeof(floor_buf));

	if (fuse_opt_add_arg(&args, "-ofsname=crfs-floor,subtype=crfs-floor") ||
	    fuse_opt_add_arg(&args, "-omax_read=1048576"))
		goto out_args;
	se = fuse_session_new(&args, &floor_ops, sizeof(floor_ops), NULL);
	if (!se)
		goto out_args;
	if (fuse_set_signal_handlers(se))
		goto out_session;
	if (fuse_session_mount(se, opts.mountpoint))
		goto out_signals;
	fuse_daemonize(opts.foreground);
	ret = floor_loop(se, &opts) ? EXIT_FAILURE : EXIT_SUCCESS;
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out_args:
	free(opts.mountpoint);
	fuse_opt_free_args(&args);
	return ret;
}
