// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "ns": the namespaces of a process.  This version neither
 * saves nor makes namespaces: a restore puts the process in the
 * restorer's, or, for a container with a pid namespace of its own, in the
 * new one the restore makes.  So a process in any namespace other than
 * the dumper's (or the container's pid namespace) is refused, by name, before anything is read: it would come back in
 * another network, mount table, hostname or user namespace, and its
 * capabilities, which /proc shows relative to its own user namespace,
 * would be the host's (an `unshare -Ur` process has every capability in
 * its namespace, none outside).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump.h"

/*
 * The namespaces compared, as /proc/PID/ns names them; not ipc, which is
 * the container's own or the dumper's (res-ipc.c).
 */
static const char *const ns_names[] = {
	"user", "mnt", "pid", "pid_for_children", "net", "uts",
	"cgroup", "time", "time_for_children",
};

/* Every kind of namespace, threads may differ in each. */
static const char *const ns_all[] = {
	"user", "mnt", "pid_for_children", "net", "ipc", "uts", "cgroup",
	"time_for_children",
};

/*
 * Each thread of the process in the leader's namespaces: a thread may
 * unshare(2) one of its own, and a restore makes every thread in the
 * leader's.
 */
static int ns_check_threads(const struct cr_dtask *dt, struct cr_err *e)
{
	const struct cr_task *t = dt->t;
	char path[96];
	struct stat lead, its;

	for (uint32_t j = 1; j < t->nr_threads; j++) {
		for (size_t i = 0; i < sizeof(ns_all) / sizeof(ns_all[0]);
		     i++) {
			snprintf(path, sizeof(path), "/proc/%d/task/%d/ns/%s",
				 dt->pid, dt->pid, ns_all[i]);
			if (stat(path, &lead))
				continue;	/* no such kind here */
			snprintf(path, sizeof(path), "/proc/%d/task/%u/ns/%s",
				 dt->pid, t->threads[j].t.tid, ns_all[i]);
			if (stat(path, &its))
				return cr_fail(e, errno, "pid %d: cannot stat "
					       "%s: %m", dt->pid, path);
			if (its.st_dev == lead.st_dev &&
			    its.st_ino == lead.st_ino)
				continue;
			return cr_fail(e, EOPNOTSUPP, "pid %d: thread %u: its "
				       "%s namespace (%lu) is not its "
				       "process's (%lu): a restore makes "
				       "every thread in the process's",
				       dt->pid, t->threads[j].t.tid,
				       ns_all[i], (unsigned long)its.st_ino,
				       (unsigned long)lead.st_ino);
		}
	}
	return 0;
}

/*
 * Phase 2: every namespace of the process is the dumper's own; but in a
 * container with a pid namespace of its own (dump-tree.c), its pid
 * namespace and its children's are the container's, its root's.
 */
static int ns_check(struct cr_dump *d, struct cr_dtask *dt, struct cr_err *e)
{
	char path[64];
	struct stat own, its;
	int ret = ns_check_threads(dt, e);

	if (ret)
		return ret;
	for (size_t i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++) {
		if (d->pidns && !strncmp(ns_names[i], "pid", 3))
			snprintf(path, sizeof(path), "/proc/%d/ns/pid",
				 d->tasks[0].pid);
		else
			snprintf(path, sizeof(path), "/proc/self/ns/%s",
				 ns_names[i]);
		/* A kernel without this kind: nobody can be in another one. */
		if (stat(path, &own))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", dt->pid,
			 ns_names[i]);
		if (stat(path, &its))
			return cr_fail(e, errno, "pid %d: cannot stat %s: %m",
				       dt->pid, path);
		if (its.st_dev == own.st_dev && its.st_ino == own.st_ino)
			continue;
		if (d->pidns && !strncmp(ns_names[i], "pid", 3))
			return cr_fail(e, EOPNOTSUPP, "pid %d: its %s "
				       "namespace (%lu) is not the "
				       "container's (%lu): nested pid "
				       "namespaces are not supported",
				       dt->pid, ns_names[i],
				       (unsigned long)its.st_ino,
				       (unsigned long)own.st_ino);
		return cr_fail(e, EOPNOTSUPP, "pid %d: its %s namespace "
			       "(%lu) is not crfs's (%lu): namespaces are not "
			       "checkpointed yet; run it in crfs's namespaces",
			       dt->pid, ns_names[i],
			       (unsigned long)its.st_ino,
			       (unsigned long)own.st_ino);
	}
	return 0;
}

const struct cr_res_ops cr_res_ns = {
	.name		= "ns",
	.check		= ns_check,
};
