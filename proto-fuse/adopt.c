// SPDX-License-Identifier: GPL-2.0
/*
 * Leftovers: the cgroup subtrees of crfs-fuse daemons that are gone.
 *
 * A daemon holds an exclusive flock() on its subtree's directory for as
 * long as it or its guardian lives (in any pid namespace), and marks the
 * subtree with the xattr CRFS_SUBTREE_XATTR.  A daemon that starts locks
 * every crfs-* subtree of its cgroup parent that nobody holds, before it
 * makes its own.  Once its own subtree, guardian and watcher are up, it
 * adopts the live containers of the marked leftovers, then thaws what is
 * left of each and removes its empty cgroups.  An unmarked crfs-* subtree
 * (one made by hand) is only thawed and pruned; on a kernel that has the
 * crfs filesystem it is left alone (a kernel crfs mount's, maybe live).
 *
 * Adopting container NAME of a leftover (cgroup v2 renames only within
 * one parent, so processes move instead):
 *   1. make container NAME in this mount; NAME~2, NAME~3... when taken
 *      (leftovers in version order of their names, then containers in
 *      version order of theirs: the first NAME keeps it);
 *   2. give it the leftover's freeze state (its cgroup.freeze);
 *   3. freeze the leftover, so that nothing in it forks meanwhile;
 *   4. move every process of the leftover's cgroup tree in, round after
 *      round until none is left.  A moved process takes its new cgroup's
 *      freeze state: a frozen container stays frozen, a running one runs.
 * Processes keep their pids; settings written straight into the old
 * cgroup (limits, controllers) stay behind with it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/xattr.h>

#include "crfs-fuse.h"

#define CRFS_SUBTREE_PREFIX	"crfs-"
#define CRFS_SUBTREE_XATTR	"trusted.crfs.subtree"
#define CRFS_SUBTREE_XATTR_USER	"user.crfs.subtree"	/* without CAP_SYS_ADMIN */
#define CRFS_SUBTREE_MARK	"crfs-fuse"
#define CRFS_ADOPT_FREEZE_MS	2000	/* then move what is not frozen yet */
#define CRFS_ADOPT_ROUNDS	50
#define CRFS_ADOPT_NAMES	1000	/* NAME~2 ... NAME~1000 */

/**
 * crfs_subtree_mark() - mark the subtree open at @fd as a crfs-fuse one
 * @fd: the subtree's directory
 *
 * Return: 0, or -errno when neither xattr could be set (the containers of
 * this daemon will then not be adopted after it).
 */
int crfs_subtree_mark(int fd)
{
	if (!fsetxattr(fd, CRFS_SUBTREE_XATTR, CRFS_SUBTREE_MARK,
		       strlen(CRFS_SUBTREE_MARK), 0) ||
	    !fsetxattr(fd, CRFS_SUBTREE_XATTR_USER, CRFS_SUBTREE_MARK,
		       strlen(CRFS_SUBTREE_MARK), 0))
		return 0;
	return -errno;
}

/* Was the subtree open at @fd made by a crfs-fuse daemon? */
static bool crfs_subtree_marked(int fd)
{
	static const char *const names[] = {
		CRFS_SUBTREE_XATTR, CRFS_SUBTREE_XATTR_USER,
	};
	char val[sizeof(CRFS_SUBTREE_MARK)];
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ssize_t n = fgetxattr(fd, names[i], val, sizeof(val));

		if (n == (ssize_t)strlen(CRFS_SUBTREE_MARK) &&
		    !memcmp(val, CRFS_SUBTREE_MARK, n))
			return true;
	}
	return false;
}

static int crfs_is_subtree(const struct dirent *de)
{
	return de->d_type == DT_DIR &&
	       !strncmp(de->d_name, CRFS_SUBTREE_PREFIX, strlen(CRFS_SUBTREE_PREFIX));
}

static int crfs_is_cgroup(const struct dirent *de)
{
	return de->d_type == DT_DIR && strcmp(de->d_name, ".") &&
	       strcmp(de->d_name, "..");
}

/*
 * Does the running kernel have the crfs filesystem?  Then an unmarked
 * crfs-* subtree may be a mounted kernel crfs's (crfs-<n> too), whose
 * containers a thaw would wake mid-checkpoint and whose removal would make
 * its every mkdir fail (ENOENT).
 */
static bool crfs_kernel_has_crfs(void)
{
	char line[128];
	bool found = false;
	FILE *f = fopen("/proc/filesystems", "re");

	if (!f)
		return true;	/* unknown: leave them */
	while (!found && fgets(line, sizeof(line), f))
		found = !strcmp(line, "nodev\tcrfs\n") ||
			!strcmp(line, "\tcrfs\n");
	fclose(f);
	return found;
}

/**
 * crfs_leftovers_take() - lock the subtrees of gone daemons under @parent
 * @parent: the cgroup directory this daemon makes its subtree in
 * @lo:     receives them, held until crfs_leftovers_adopt()
 *
 * Call it before making this daemon's own subtree.
 */
void crfs_leftovers_take(const char *parent, struct crfs_leftovers *lo)
{
	struct dirent **de;
	int i, n, fd, kernel = -1;	/* crfs_kernel_has_crfs(), read once */

	lo->v = NULL;
	lo->nr = 0;
	n = scandir(parent, &de, crfs_is_subtree, versionsort);
	if (n < 0)
		return;
	lo->v = calloc(n ? n : 1, sizeof(*lo->v));
	for (i = 0; i < n; i++) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%s", parent, de[i]->d_name);
		free(de[i]);
		fd = lo->v ? open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		if (fd < 0)
			continue;
		/* Held: a live daemon's, or its guardian's at work. */
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			close(fd);
			continue;
		}
		lo->v[lo->nr].path = strdup(path);
		if (!lo->v[lo->nr].path) {
			close(fd);
			continue;
		}
		lo->v[lo->nr].fd = fd;
		lo->v[lo->nr].marked = crfs_subtree_marked(fd);
		/* Maybe a mounted kernel crfs's: not ours to thaw or prune. */
		if (!lo->v[lo->nr].marked && kernel < 0)
			kernel = crfs_kernel_has_crfs();
		if (!lo->v[lo->nr].marked && kernel) {
			free(lo->v[lo->nr].path);
			close(fd);
			continue;
		}
		lo->nr++;
	}
	free(de);
}

/*
 * One round: move the processes of @dir and its descendants into @dst.
 * Counts what was listed in @seen, what moved in @moved; keeps in @err
 * the last failure other than a process that exited meanwhile.
 */
static void crfs_adopt_round(const char *dir, const char *dst, int *seen,
			     int *moved, int *err)
{
	struct dirent **de;
	pid_t *pids;
	int i, n, ret;

	n = cr_cgroup_pids(dir, &pids);
	for (i = 0; i < n; i++) {
		ret = cr_cgroup_attach(dst, pids[i]);
		(*seen)++;
		if (!ret)
			(*moved)++;
		else if (ret != -ESRCH)
			*err = ret;
	}
	if (n >= 0)
		free(pids);
	n = scandir(dir, &de, crfs_is_cgroup, versionsort);
	for (i = 0; i < n; i++) {
		char sub[PATH_MAX];

		if (snprintf(sub, sizeof(sub), "%s/%s", dir, de[i]->d_name) <
		    (int)sizeof(sub))
			crfs_adopt_round(sub, dst, seen, moved, err);
		free(de[i]);
	}
	if (n >= 0)
		free(de);
}

/*
 * Move every process of @src's tree into @dst, round after round until
 * none is left.  Return: 0, or -errno when some would not move.
 */
static int crfs_adopt_move(const char *src, const char *dst, int *total)
{
	struct timespec pause = { 0, 10 * 1000000L };
	int round, seen, moved, err = 0;

	for (round = 0; round < CRFS_ADOPT_ROUNDS; round++) {
		seen = moved = 0;
		crfs_adopt_round(src, dst, &seen, &moved, &err);
		*total += moved;
		if (!seen)
			return 0;
		if (!moved)
			nanosleep(&pause, NULL);	/* exiting ones */
	}
	return err ? err : -EBUSY;
}

/* Make container @name, or @name~2, @name~3... (cut to fit) if taken. */
static int crfs_adopt_create(struct crfs_fs *fs, const char *name,
			     struct crfs_ct **ctp)
{
	char alt[CRFS_NAME_MAX + 1], suffix[16];
	int n, ret = -EEXIST;

	for (n = 1; n <= CRFS_ADOPT_NAMES && ret == -EEXIST; n++) {
		if (n == 1) {
			if (strlen(name) > CRFS_NAME_MAX)
				return -ENAMETOOLONG;
			strcpy(alt, name);
		} else {
			snprintf(suffix, sizeof(suffix), "~%d", n);
			snprintf(alt, sizeof(alt), "%.*s%s",
				 (int)(CRFS_NAME_MAX - strlen(suffix)), name, suffix);
		}
		ret = strcmp(alt, CRFS_NS_NAME) ? crfs_ct_create(fs, alt, ctp) :
						   -EEXIST;
	}
	return ret;
}

/* Adopt the container @name of the leftover subtree @dir, if it has processes. */
static void crfs_adopt_ct(struct crfs_fs *fs, const char *dir, const char *name)
{
	char src[PATH_MAX];
	struct crfs_ct *ct;
	int populated, frozen, moved = 0, ret;

	if (snprintf(src, sizeof(src), "%s/%s", dir, name) >= (int)sizeof(src) ||
	    cr_cgroup_events(src, &populated, NULL) || !populated)
		return;
	frozen = cr_cgroup_freezing(src);
	ret = frozen < 0 ? frozen : crfs_adopt_create(fs, name, &ct);
	if (ret) {
		fprintf(stderr, "crfs-fuse: %s: cannot adopt: %s\n", src,
			strerror(-ret));
		return;
	}
	ret = cr_cgroup_freeze(ct->cgdir, frozen);
	if (!ret)
		ret = cr_cgroup_freeze(src, true);
	if (!ret) {
		cr_cgroup_wait_frozen(src, 1, CRFS_ADOPT_FREEZE_MS);
		ret = crfs_adopt_move(src, ct->cgdir, &moved);
	}
	fprintf(stderr, "crfs-fuse: %s: adopted as %s, %s, %d process%s%s%s\n",
		src, ct->name, frozen ? "frozen" : "running", moved,
		moved == 1 ? "" : "es", ret ? "; some left: " : "",
		ret ? strerror(-ret) : "");
	crfs_ct_changed(ct);
	crfs_ct_put(ct);
}

/**
 * crfs_leftovers_adopt() - adopt the live containers of the leftovers,
 * then thaw and prune each and let it go
 * @fs: the mount, serving its own subtree with its guardian and watcher;
 *      NULL: adopt nothing (an error path)
 * @lo: from crfs_leftovers_take(); empty afterwards
 */
void crfs_leftovers_adopt(struct crfs_fs *fs, struct crfs_leftovers *lo)
{
	struct dirent **de;
	unsigned int i;
	int j, n;

	for (i = 0; i < lo->nr; i++) {
		struct crfs_leftover *l = &lo->v[i];

		n = fs && l->marked ? scandir(l->path, &de, crfs_is_cgroup,
					      versionsort) : -1;
		for (j = 0; j < n; j++) {
			crfs_adopt_ct(fs, l->path, de[j]->d_name);
			free(de[j]);
		}
		if (n >= 0)
			free(de);
		cr_cgroup_tree_prune(l->path, true);
		close(l->fd);
		free(l->path);
	}
	free(lo->v);
	lo->v = NULL;
	lo->nr = 0;
}
