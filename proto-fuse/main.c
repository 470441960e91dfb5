// SPDX-License-Identifier: GPL-2.0
/*
 * crfs-fuse: mount the crfs FUSE prototype.
 *
 *   crfs-fuse [-f] [-d] [-o opts] MOUNTPOINT	(--help lists the options)
 *
 * Options, the session, signals and cleanup.  The daemon makes its own
 * cgroup subtree <cgroup2 mount>/crfs-<pid> (or <DIR>/crfs-<pid> with
 * -o cgroup=DIR), forks its guardian, adopts the containers that gone
 * daemons left (adopt.c), and serves requests with the multithreaded loop
 * until unmounted or signalled.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "crfs-fuse.h"

#define CRFS_MIN_THREADS	32

/* The build may say which (git describe); else the release it was. */
#ifndef CRFS_VERSION
#define CRFS_VERSION		"0.1"
#endif

struct crfs_opts {
	char	*cgroup;	/* parent of the subtree */
};

static const struct fuse_opt crfs_opt_spec[] = {
	{ "cgroup=%s", offsetof(struct crfs_opts, cgroup), 0 },
	FUSE_OPT_END
};

/* Each option once: ours, then libfuse's own lists. */
static void usage(const char *prog)
{
	printf("Usage: %s [options] MOUNTPOINT\n\n"
	       "Mount crfs: containers controlled through files.\n\n"
	       "crfs-fuse options:\n"
	       "    -o cgroup=DIR          make the cgroup subtree in DIR\n"
	       "                           (default: the cgroup2 mount point)\n\n"
	       "Daemon options (max_threads: crfs-fuse runs at least %d):\n",
	       prog, CRFS_MIN_THREADS);
	fuse_cmdline_help();
	printf("\nMount options:\n");
	fuse_lowlevel_help();
}

/* The subtree's parent: -o cgroup=DIR, else the cgroup2 mount. */
static int crfs_cgroup_parent(const char *opt, char *buf, size_t len)
{
	char probe[PATH_MAX + 32];
	struct stat st;
	int ret;

	if (opt) {
		if (strlen(opt) >= len)
			return -ENAMETOOLONG;
		strcpy(buf, opt);
	} else {
		ret = cr_cgroup_root(buf, len);
		if (ret)
			return ret;
	}
	snprintf(probe, sizeof(probe), "%s/cgroup.procs", buf);
	if (stat(probe, &st))
		return -errno;
	return access(buf, W_OK) ? -errno : 0;
}

/*
 * Make our subtree, crfs-PID (crfs-PID.N if a stale one with that name
 * still holds processes), hold it and mark it (adopt.c): return the locked
 * directory's descriptor, or -errno.
 */
static int crfs_subtree_make(struct crfs_fs *fs, const char *parent)
{
	int err = -EEXIST, fd;

	for (int n = 0; n < 100 && (err == -EEXIST || err == -ENOENT); n++) {
		if (n)
			snprintf(fs->subtree, sizeof(fs->subtree), "%s/crfs-%d.%d",
				 parent, (int)getpid(), n);
		else
			snprintf(fs->subtree, sizeof(fs->subtree), "%s/crfs-%d",
				 parent, (int)getpid());
		err = cr_cgroup_mkdir(fs->subtree);
		if (err)
			continue;
		fd = open(fs->subtree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		/*
		 * Another daemon's sweep may hold it a moment, or remove it:
		 * it is marked only once it is ours, so none adopts from it.
		 */
		if (fd >= 0 && !flock(fd, LOCK_EX) &&
		    !faccessat(fd, "cgroup.procs", F_OK, 0)) {
			err = crfs_subtree_mark(fd);
			if (err)
				fprintf(stderr, "crfs-fuse: %s: cannot mark it (%s): a later daemon will not adopt its containers\n",
					fs->subtree, strerror(-err));
			return fd;
		}
		err = fd < 0 ? -errno : -ENOENT;
		if (fd >= 0)
			close(fd);
		rmdir(fs->subtree);
	}
	return err;
}

/* Serve requests until unmounted or signalled. */
static int crfs_loop(struct fuse_session *se, struct fuse_cmdline_opts *opts)
{
	struct fuse_loop_config *cfg;
	int ret;

	if (opts->singlethread)
		return fuse_session_loop(se);
	cfg = fuse_loop_cfg_create();
	if (!cfg)
		return -ENOMEM;
	/* Image reads and flushes block while the engine works. */
	fuse_loop_cfg_set_clone_fd(cfg, opts->clone_fd);
	if (opts->max_idle_threads != UINT_MAX)		/* UINT_MAX: unset */
		fuse_loop_cfg_set_idle_threads(cfg, opts->max_idle_threads);
	fuse_loop_cfg_set_max_threads(cfg, opts->max_threads != UINT_MAX &&
				      opts->max_threads > CRFS_MIN_THREADS ?
				      opts->max_threads : CRFS_MIN_THREADS);
	ret = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return ret;
}

/* The soft RLIMIT_NOFILE up to the hard one (1024 is 340 processes). */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct crfs_fs fs = { .lock = PTHREAD_MUTEX_INITIALIZER, .next_id = 1 };
	struct fuse_cmdline_opts opts = { 0 };
	struct crfs_opts copts = { 0 };
	struct crfs_leftovers leftovers = { 0 };
	char parent[PATH_MAX];
	int guard_fd = -1, lock_fd = -1, ret = EXIT_FAILURE, err;

	/* Nothing inherited may leak into the guardian or the containers. */
	close_range(3, ~0U, 0);
	/* A restore holds 3 descriptors a process of the tree at once. */
	raise_nofile();

	if (fuse_opt_parse(&args, &copts, crfs_opt_spec, NULL) ||
	    fuse_parse_cmdline(&args, &opts))
		goto out_args;
	if (opts.show_help) {
		usage(argv[0]);
		ret = EXIT_SUCCESS;
		goto out_args;
	}
	if (opts.show_version) {
		printf("crfs-fuse version %s\nFUSE library version %s\n",
		       CRFS_VERSION, fuse_pkgversion());
		fflush(stdout);		/* before fusermount3's own line */
		fuse_lowlevel_version();
		ret = EXIT_SUCCESS;
		goto out_args;
	}
	if (!opts.mountpoint) {
		fprintf(stderr, "crfs-fuse: no mount point given\n"
			"Try '%s --help' for more information.\n", argv[0]);
		goto out_args;
	}
	err = crfs_cgroup_parent(copts.cgroup, parent, sizeof(parent));
	if (err) {
		fprintf(stderr, "crfs-fuse: %s: no usable cgroup2 directory: %s\n",
			copts.cgroup ? copts.cgroup : "cgroup2 mount", strerror(-err));
		goto out_args;
	}
	fs.conn_opts = fuse_parse_conn_info_opts(&args);
	if (!fs.conn_opts)
		goto out_args;
	/*
	 * Always default_permissions: the kernel checks every open, mkdir and
	 * rmdir against the modes (image 0600, state and procs 0644, all the
	 * daemon's user's), even on an allow_other mount; fs.c checks again.
	 */
	if (fuse_opt_add_arg(&args, "-ofsname=crfs,subtype=crfs,default_permissions") ||
	    fuse_opt_add_arg(&args, "-omax_read=1048576"))
		goto out_args;

	clock_gettime(CLOCK_REALTIME, &fs.mtime);
	fs.uid = geteuid();
	fs.gid = getegid();
	fs.se = fuse_session_new(&args, &crfs_fuse_ops, sizeof(crfs_fuse_ops), &fs);
	if (!fs.se)
		goto out_args;
	if (fuse_set_signal_handlers(fs.se))
		goto out_session;
	if (fuse_session_mount(fs.se, opts.mountpoint))
		goto out_signals;
	fuse_daemonize(opts.foreground);

	/*
	 * After daemonizing: the subtree is named after the daemon's pid.
	 * The gone daemons' subtrees are taken first, so ours is not one.
	 */
	crfs_leftovers_take(parent, &leftovers);
	lock_fd = crfs_subtree_make(&fs, parent);
	err = lock_fd < 0 ? lock_fd : 0;
	if (err) {
		fprintf(stderr, "crfs-fuse: %s: cannot create: %s\n", fs.subtree,
			strerror(-err));
		fs.subtree[0] = '\0';
		goto out_unmount;
	}
	/* Before any thread: the guardian is a plain fork. */
	fs.guardian = crfs_guard_start(fs.subtree, lock_fd, &guard_fd);
	if (fs.guardian < 0) {
		fprintf(stderr, "crfs-fuse: cannot fork the guardian: %s\n",
			strerror(-fs.guardian));
		goto out_shutdown;
	}
	err = crfs_fs_watch_start(&fs);
	if (err) {
		fprintf(stderr, "crfs-fuse: cannot watch cgroup events: %s\n",
			strerror(-err));
		goto out_guard;
	}
	/* Guarded and watched: what is adopted is taken care of. */
	crfs_leftovers_adopt(&fs, &leftovers);
	ret = crfs_loop(fs.se, &opts) ? EXIT_FAILURE : EXIT_SUCCESS;

out_guard:
	fuse_session_unmount(fs.se);
	crfs_fs_shutdown(&fs);
	crfs_guard_stop(fs.guardian, guard_fd);
	goto out_signals;
out_shutdown:
	crfs_fs_shutdown(&fs);
out_unmount:
	fuse_session_unmount(fs.se);
out_signals:
	fuse_remove_signal_handlers(fs.se);
out_session:
	fuse_session_destroy(fs.se);
out_args:
	crfs_leftovers_adopt(NULL, &leftovers);	/* if not done: prune only */
	if (lock_fd >= 0)
		close(lock_fd);	/* after the subtree went (or was let go) */
	free(fs.conn_opts);
	free(opts.mountpoint);
	free(copts.cgroup);
	fuse_opt_free_args(&args);
	return ret;
}
