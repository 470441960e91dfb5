// SPDX-License-Identifier: GPL-2.0
/*
 * Containers of one crfs-fuse mount: create, look up, remove, the reason
 * of the last failure, and change notification.  A watcher thread follows
 * each container's cgroup.events with inotify and wakes up the poll()ers
 * of its control files.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>

#include "crfs-fuse.h"

/* A container name is one path component of printable characters. */
static int crfs_ct_valid_name(const char *name)
{
	const char *p;

	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	if (strlen(name) > CRFS_NAME_MAX)
		return -ENAMETOOLONG;
	for (p = name; *p; p++)
		if (*p == '/' || (unsigned char)*p <= ' ' || *p == 0x7f)
			return -EINVAL;
	return 0;
}

/* Find a live container by name; fs->lock held. */
static struct crfs_ct *crfs_ct_find(struct crfs_fs *fs, const char *name)
{
	struct crfs_ct *ct;

	for (ct = fs->cts; ct; ct = ct->next)
		if (!strcmp(ct->name, name))
			return ct;
	return NULL;
}

/**
 * crfs_ct_lookup() - find a container by name and take a reference
 * Return: the container (crfs_ct_put() it), or NULL.
 */
struct crfs_ct *crfs_ct_lookup(struct crfs_fs *fs, const char *name)
{
	struct crfs_ct *ct;

	pthread_mutex_lock(&fs->lock);
	ct = crfs_ct_find(fs, name);
	if (ct)
		ct->refs++;
	pthread_mutex_unlock(&fs->lock);
	return ct;
}

/**
 * crfs_ct_get() - find a container by id and take a reference
 * Return: the container (crfs_ct_put() it), or NULL if it is gone.
 */
struct crfs_ct *crfs_ct_get(struct crfs_fs *fs, uint64_t id)
{
	struct crfs_ct *ct;

	pthread_mutex_lock(&fs->lock);
	for (ct = fs->cts; ct; ct = ct->next)
		if (ct->id == id)
			break;
	if (ct)
		ct->refs++;
	pthread_mutex_unlock(&fs->lock);
	return ct;
}

/**
 * crfs_ct_put() - drop a reference; the last one of a removed container frees it
 */
void crfs_ct_put(struct crfs_ct *ct)
{
	struct crfs_fs *fs = ct->fs;
	bool gone;

	pthread_mutex_lock(&fs->lock);
	gone = --ct->refs == 0 && ct->removed;
	pthread_mutex_unlock(&fs->lock);
	if (!gone)
		return;
	pthread_mutex_destroy(&ct->lock);
	free(ct);
}

/**
 * crfs_ct_fail() - keep the reason of a failure in the container's error file
 * @ct:  the container
 * @err: positive errno
 * @fmt: the reason, starting with the operation: "freeze: ct1 is restoring"
 *
 * The error file then reads "OP: REASON (ENAME)", one line, ENAME being
 * @err's symbolic name; a long reason is cut, the name never.
 * Return: -@err.
 */
int crfs_ct_fail(struct crfs_ct *ct, int err, const char *fmt, ...)
{
	char line[sizeof(ct->error)];
	va_list ap;

	va_start(ap, fmt);
	cr_err_vline(line, sizeof(line), err, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&ct->lock);
	memcpy(ct->error, line, sizeof(line));
	pthread_mutex_unlock(&ct->lock);
	return -err;
}

/**
 * crfs_ct_clear() - a new operation on @ct begins: forget the last reason
 * @ct: the container
 *
 * Called before a write to state or procs, an open of image and rmdir, so
 * that the error file never shows the reason of an older operation.
 */
void crfs_ct_clear(struct crfs_ct *ct)
{
	pthread_mutex_lock(&ct->lock);
	ct->error[0] = '\0';
	pthread_mutex_unlock(&ct->lock);
}

/**
 * crfs_ct_changed() - the container's state or events changed: wake pollers
 */
void crfs_ct_changed(struct crfs_ct *ct)
{
	struct crfs_poller *p;

	pthread_mutex_lock(&ct->lock);
	ct->event_seq++;
	for (p = ct->pollers; p; p = p->next)
		crfs_poller_wake(p);
	pthread_mutex_unlock(&ct->lock);
}

/**
 * crfs_ct_create() - make a container: its cgroup and its inotify watch
 * @fs:   the mount
 * @name: a directory name in the mount root
 * @ctp:  receives the container with a reference held
 *
 * Return: 0, -EINVAL/-ENAMETOOLONG (bad name), -EEXIST, or -errno.
 */
int crfs_ct_create(struct crfs_fs *fs, const char *name, struct crfs_ct **ctp)
{
	char events[sizeof(((struct crfs_ct *)0)->cgdir) + 16];
	struct crfs_ct *ct, **pp;
	int ret;

	ret = crfs_ct_valid_name(name);
	if (ret)
		return ret;
	ct = calloc(1, sizeof(*ct));
	if (!ct)
		return -ENOMEM;
	ct->fs = fs;
	ct->refs = 1;
	ct->wd = -1;
	strcpy(ct->name, name);
	snprintf(ct->cgdir, sizeof(ct->cgdir), "%s/%s", fs->subtree, name);
	clock_gettime(CLOCK_REALTIME, &ct->ctime);
	pthread_mutex_init(&ct->lock, NULL);

	pthread_mutex_lock(&fs->lock);
	if (crfs_ct_find(fs, name)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	ret = cr_cgroup_mkdir(ct->cgdir);
	if (ret)
		goto out_unlock;
	snprintf(events, sizeof(events), "%s/cgroup.events", ct->cgdir);
	ct->wd = inotify_add_watch(fs->inotify_fd, events, IN_MODIFY);
	if (ct->wd < 0) {
		ret = -errno;
		cr_cgroup_rmdir(ct->cgdir);
		goto out_unlock;
	}
	ct->id = fs->next_id++;
	ct->refs++;
	for (pp = &fs->cts; *pp; pp = &(*pp)->next)
		;
	*pp = ct;		/* listed in creation order */
	pthread_mutex_unlock(&fs->lock);
	*ctp = ct;
	return 0;

out_unlock:
	pthread_mutex_unlock(&fs->lock);
	pthread_mutex_destroy(&ct->lock);
	free(ct);
	return ret;
}

/* Unlink @ct from the mount; fs->lock held. */
static void crfs_ct_unlink(struct crfs_fs *fs, struct crfs_ct *ct)
{
	struct crfs_ct **pp;

	for (pp = &fs->cts; *pp != ct; pp = &(*pp)->next)
		;
	*pp = ct->next;
	inotify_rm_watch(fs->inotify_fd, ct->wd);
	ct->removed = true;
}

/**
 * crfs_ct_remove() - rmdir a container that has no processes and no transfer
 * Return: 0, -ENOENT, -EBUSY (reason in the container's error file), -errno.
 */
int crfs_ct_remove(struct crfs_fs *fs, const char *name)
{
	struct crfs_ct *ct;
	bool dump;
	pid_t *pids;
	int n, ret;

	ct = crfs_ct_lookup(fs, name);
	if (!ct)
		return -ENOENT;
	crfs_ct_clear(ct);
	if (crfs_fuse_image_busy(ct, &dump)) {
		ret = crfs_ct_fail(ct, EBUSY, "rmdir: %s: a %s is under way", name,
				   dump ? "checkpoint" : "restore");
		goto out_put;
	}
	n = cr_cgroup_pids(ct->cgdir, &pids);
	if (n > 0) {
		ret = crfs_ct_fail(ct, EBUSY, "rmdir: %s has %d process%s (pid %d%s): kill them first",
				   name, n, n > 1 ? "es" : "", (int)pids[0],
				   n > 1 ? ", ..." : "");
		free(pids);
		goto out_put;
	}
	if (n == 0)
		free(pids);

	pthread_mutex_lock(&fs->lock);
	ret = cr_cgroup_rmdir(ct->cgdir);
	if (ret == -EBUSY)
		crfs_ct_fail(ct, EBUSY, "rmdir: %s: the cgroup is busy", name);
	else if (!ret) {
		crfs_ct_unlink(fs, ct);
		ct->refs--;		/* the list's reference */
	}
	pthread_mutex_unlock(&fs->lock);
out_put:
	crfs_ct_put(ct);
	return ret;
}

/* Wake the pollers of the container watching @wd. */
static void crfs_fs_event(struct crfs_fs *fs, int wd)
{
	struct crfs_ct *ct;

	pthread_mutex_lock(&fs->lock);
	for (ct = fs->cts; ct; ct = ct->next)
		if (ct->wd == wd)
			break;
	if (ct)
		ct->refs++;
	pthread_mutex_unlock(&fs->lock);
	if (!ct)
		return;
	crfs_ct_changed(ct);
	crfs_ct_put(ct);
}

/* The watcher thread: cgroup.events changes until stop_fd is written. */
static void *crfs_fs_watch(void *arg)
{
	struct crfs_fs *fs = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = fs->inotify_fd, .events = POLLIN },
			{ .fd = fs->stop_fd, .events = POLLIN },
		};
		ssize_t n;
		char *p;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		n = read(fs->inotify_fd, buf, sizeof(buf));
		for (p = buf; n > 0 && p < buf + n; ) {
			struct inotify_event *ev = (struct inotify_event *)p;

			if (ev->mask & IN_MODIFY)
				crfs_fs_event(fs, ev->wd);
			p += sizeof(*ev) + ev->len;
		}
	}
	return NULL;
}

/**
 * crfs_fs_watch_start() - open the inotify instance and start the watcher
 * Return: 0 or -errno.
 */
int crfs_fs_watch_start(struct crfs_fs *fs)
{
	int ret;

	fs->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (fs->inotify_fd < 0)
		return -errno;
	fs->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (fs->stop_fd < 0) {
		ret = -errno;
		goto out_inotify;
	}
	ret = -pthread_create(&fs->watcher, NULL, crfs_fs_watch, fs);
	if (ret)
		goto out_stop;
	fs->watching = true;
	return 0;

out_stop:
	close(fs->stop_fd);
out_inotify:
	close(fs->inotify_fd);
	return ret;
}

/*
 * At shutdown every container is thawed (cr_cgroup_tree_prune()): one
 * checkpointed and not killed since runs again, so its network lock goes
 * now, as at a thaw (its image, whose lock is gone, is refused by a
 * restore).  A lock kept for the restore of a killed container stays.
 */
static void crfs_fs_unlock_net(struct crfs_ct *ct)
{
	char lock[sizeof(ct->netlock)];

	pthread_mutex_lock(&ct->lock);
	memcpy(lock, ct->netlock, sizeof(lock));
	ct->netlock[0] = 0;
	pthread_mutex_unlock(&ct->lock);
	if (cr_netlock_drop(lock))
		fprintf(stderr, "crfs-fuse: %s: cannot remove its network lock: nft delete table inet %s\n",
			ct->name, lock);
}

/**
 * crfs_fs_shutdown() - end every transfer, free the files left open, stop
 * the watcher, take the subtree down (thaw all, remove the empty cgroups)
 */
void crfs_fs_shutdown(struct crfs_fs *fs)
{
	struct crfs_ct *ct, *next;
	uint64_t one = 1;

	for (ct = fs->cts; ct; ct = ct->next) {
		crfs_fuse_image_abort(ct);
		crfs_fs_unlock_net(ct);
	}
	crfs_fuse_release_all(fs);
	crfs_fuse_ns_shutdown(fs);
	if (fs->watching) {
		if (write(fs->stop_fd, &one, sizeof(one)) < 0)
			perror("crfs-fuse: eventfd");
		pthread_join(fs->watcher, NULL);
		close(fs->stop_fd);
		close(fs->inotify_fd);
		fs->watching = false;
	}
	for (ct = fs->cts; ct; ct = next) {
		next = ct->next;
		pthread_mutex_destroy(&ct->lock);
		free(ct);
	}
	fs->cts = NULL;
	if (fs->subtree[0] && cr_cgroup_tree_prune(fs->subtree, true) > 0)
		fprintf(stderr, "crfs-fuse: %s: cgroups with processes left in place\n",
			fs->subtree);
}
