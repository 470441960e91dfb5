// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cgroup v2 directories: create and remove one, and take a whole subtree
 * down (thaw everything, remove what is empty).  The last is what crfs-fuse
 * runs on exit and what its guardian runs when the daemon was killed, so
 * that no container stays frozen forever.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cr-internal.h"

/**
 * cr_cgroup_mkdir() - create the cgroup directory @cgdir
 * Return: 0 or -errno (-EEXIST: it exists).
 */
int cr_cgroup_mkdir(const char *cgdir)
{
	return mkdir(cgdir, 0755) ? -errno : 0;
}

/**
 * cr_cgroup_rmdir() - remove the cgroup directory @cgdir
 * Return: 0 or -errno (-EBUSY: it has processes or child cgroups).
 */
int cr_cgroup_rmdir(const char *cgdir)
{
	return rmdir(cgdir) ? -errno : 0;
}

/**
 * cr_cgroup_tree_prune() - thaw every cgroup under @dir, remove the empty ones
 * @dir:  a cgroup directory
 * @self: also thaw @dir itself and remove it if it ends up empty
 *
 * Children first, so that a parent whose children all went away can go too.
 * A cgroup that still has processes is thawed and left in place.
 *
 * Return: the number of cgroups left in place (0: all gone), or -errno if
 * @dir cannot be read.  A missing @dir is not an error.
 */
int cr_cgroup_tree_prune(const char *dir, bool self)
{
	struct dirent *de;
	int left = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char sub[PATH_MAX];
		int ret;

		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") ||
		    !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(sub)) {
			left++;
			continue;
		}
		ret = cr_cgroup_tree_prune(sub, true);
		left += ret < 0 ? 1 : ret;
	}
	closedir(d);
	if (self) {
		cr_cgroup_freeze(dir, false);
		if (rmdir(dir) && errno != ENOENT)
			left++;
	}
	return left;
}
