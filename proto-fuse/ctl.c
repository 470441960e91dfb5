// SPDX-License-Identifier: GPL-2.0
/*
 * The control files of a container, one table row each.  A handler
 * parses, checks, calls the engine or a cgroup helper, and returns 0 or
 * -errno; every failure leaves its reason in the container's error file.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crfs-fuse.h"

/* A killed process leaves its cgroup at once; allow for a loaded machine. */
#define CRFS_KILL_TIMEOUT_MS	5000

/**
 * crfs_fuse_ct_state() - the state word of a container
 *
 * A transfer under way wins; otherwise the cgroup says it.
 * Return: a static string.
 */
const char *crfs_fuse_ct_state(struct crfs_ct *ct)
{
	int populated, frozen, freeze;
	bool dump;

	if (crfs_fuse_image_busy(ct, &dump))
		return dump ? "checkpointing" : "restoring";
	if (cr_cgroup_events(ct->cgdir, &populated, &frozen))
		return "empty";
	if (!populated)
		return "empty";
	freeze = cr_cgroup_freezing(ct->cgdir);
	if (freeze == 1)
		return frozen ? "frozen" : "freezing";
	return "running";
}

/* procs: one pid a line, from cgroup.procs. */
static int crfs_fuse_procs_read(struct crfs_ct *ct, FILE *out)
{
	pid_t *pids;
	int i, n;

	n = cr_cgroup_pids(ct->cgdir, &pids);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++)
		fprintf(out, "%d\n", (int)pids[i]);
	free(pids);
	return 0;
}

/* procs: move every pid of @buf (whitespace-separated) into the container. */
static int crfs_fuse_procs_write(struct crfs_ct *ct, char *buf)
{
	char *tok, *save, *end;
	bool dump;
	int ret;

	if (crfs_fuse_image_busy(ct, &dump))
		return crfs_ct_fail(ct, EBUSY, "procs: %s is %s", ct->name,
				    dump ? "checkpointing" : "restoring");
	tok = strtok_r(buf, " \t\n", &save);
	if (!tok)
		return crfs_ct_fail(ct, EINVAL, "procs: no pid written");
	for (; tok; tok = strtok_r(NULL, " \t\n", &save)) {
		long pid;

		errno = 0;
		pid = strtol(tok, &end, 10);
		if (*end || errno || pid <= 0 || pid > INT_MAX)
			return crfs_ct_fail(ct, EINVAL, "procs: '%s': not a pid",
					    tok);
		if (pid == getpid() || pid == ct->fs->guardian)
			return crfs_ct_fail(ct, EINVAL,
					    "procs: %ld: that is crfs-fuse itself", pid);
		ret = cr_cgroup_attach(ct->cgdir, pid);
		if (ret)
			return crfs_ct_fail(ct, -ret, "procs: %ld: %s", pid,
					    ret == -ESRCH ? "no such process" :
					    strerror(-ret));
	}
	return 0;
}

/* state: one word. */
static int crfs_fuse_state_read(struct crfs_ct *ct, FILE *out)
{
	fprintf(out, "%s\n", crfs_fuse_ct_state(ct));
	return 0;
}

static int crfs_fuse_state_freeze(struct crfs_ct *ct)
{
	bool dump;

	if (crfs_fuse_image_busy(ct, &dump) && !dump)
		return crfs_ct_fail(ct, EBUSY, "state: %s is restoring", ct->name);
	return cr_cgroup_freeze(ct->cgdir, true);
}

static int crfs_fuse_state_thaw(struct crfs_ct *ct)
{
	bool dump;

	if (crfs_fuse_image_busy(ct, &dump))
		return crfs_ct_fail(ct, EBUSY, "state: cannot thaw %s while %s",
				    ct->name, dump ? "checkpointing" : "restoring");
	return cr_cgroup_freeze(ct->cgdir, false);
}

/* kill: SIGKILL everything, and return once the container is empty. */
static int crfs_fuse_state_kill(struct crfs_ct *ct)
{
	int ret;

	crfs_fuse_image_kill(ct);
	ret = cr_cgroup_kill(ct->cgdir);
	if (ret)
		return ret;
	if (cr_cgroup_wait_empty(ct->cgdir, CRFS_KILL_TIMEOUT_MS))
		return crfs_ct_fail(ct, EBUSY,
				    "state: kill: %s still has processes after %d ms",
				    ct->name, CRFS_KILL_TIMEOUT_MS);
	/* Empty means thawed: the next process must not start frozen. */
	crfs_fuse_image_settle(ct);
	return cr_cgroup_freeze(ct->cgdir, false);
}

static const struct {
	const char	*word;
	int		(*set)(struct crfs_ct *ct);
} crfs_fuse_state_words[] = {
	{ "freeze",	crfs_fuse_state_freeze },
	{ "thaw",	crfs_fuse_state_thaw },
	{ "kill",	crfs_fuse_state_kill },
};

/* state: freeze, thaw or kill; only kill waits, for the processes to go. */
static int crfs_fuse_state_write(struct crfs_ct *ct, char *buf)
{
	size_t len = strlen(buf);
	unsigned int i;
	int ret;

	while (len && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	for (i = 0; i < sizeof(crfs_fuse_state_words) /
			sizeof(crfs_fuse_state_words[0]); i++) {
		if (strcmp(buf, crfs_fuse_state_words[i].word))
			continue;
		ret = crfs_fuse_state_words[i].set(ct);
		if (ret && ret != -EBUSY)
			crfs_ct_fail(ct, -ret, "state: %s: %s", buf, strerror(-ret));
		return ret;
	}
	return crfs_ct_fail(ct, EINVAL,
			    "state: bad word '%s': expected freeze, thaw or kill",
			    buf);
}

/* events: flat keyed, from cgroup.events. */
static int crfs_fuse_events_read(struct crfs_ct *ct, FILE *out)
{
	int populated, frozen, ret;

	ret = cr_cgroup_events(ct->cgdir, &populated, &frozen);
	if (ret)
		return ret;
	fprintf(out, "populated %d\nfrozen %d\n", populated, frozen);
	return 0;
}

/* error: the reason of the last failure, one line. */
static int crfs_fuse_error_read(struct crfs_ct *ct, FILE *out)
{
	pthread_mutex_lock(&ct->lock);
	if (ct->error[0])
		fprintf(out, "%s\n", ct->error);
	pthread_mutex_unlock(&ct->lock);
	return 0;
}

const struct crfs_fuse_file crfs_fuse_files[] = {
	{ .name = "procs", .mode = 0644, .read = crfs_fuse_procs_read,
	  .write = crfs_fuse_procs_write },
	{ .name = "state", .mode = 0644, .read = crfs_fuse_state_read,
	  .write = crfs_fuse_state_write, .pollable = true },
	{ .name = "events", .mode = 0444, .read = crfs_fuse_events_read,
	  .pollable = true },
	{ .name = "image", .mode = 0600, .stream = &crfs_fuse_image_ops },
	{ .name = "error", .mode = 0444, .read = crfs_fuse_error_read },
};

const unsigned int crfs_fuse_nr_files =
	sizeof(crfs_fuse_files) / sizeof(crfs_fuse_files[0]);
