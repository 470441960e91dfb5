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
 * crfs_fuse_ct_state() - the state of a container
 *
 * A transfer under way wins; otherwise the cgroup says it.
 * Return: the state; crfs_ct_state_name() gives its word.
 */
enum crfs_ct_state crfs_fuse_ct_state(struct crfs_ct *ct)
{
	bool dump;

	if (crfs_fuse_image_busy(ct, &dump))
		return dump ? CRFS_CT_CHECKPOINTING : CRFS_CT_RESTORING;
	return cr_cgroup_state(ct->cgdir);
}

/* The state word of a transfer under way: checkpointing or restoring. */
static const char *crfs_fuse_busy_word(bool dump)
{
	return crfs_ct_state_name(dump ? CRFS_CT_CHECKPOINTING :
				  CRFS_CT_RESTORING);
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

/*
 * The one word of a write: @buf less a single final newline.  Nothing else
 * is trimmed: blanks, a carriage return or a second newline make another
 * word, which no file takes.
 */
static char *crfs_fuse_word(char *buf)
{
	size_t len = strlen(buf);

	if (len && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	return buf;
}

/* @word, quoted into @out as the kernel's %pE does: control bytes escaped. */
static const char *crfs_fuse_quote(const char *word, char *out, size_t len)
{
	static const char special[] = "\n\r\t\v\f\a\e", letter[] = "nrtvfae";
	size_t n = 0;

	for (; *word && n + 5 < len; word++) {
		unsigned char c = *word;
		const char *sp = c ? strchr(special, c) : NULL;

		if (sp)
			n += snprintf(out + n, len - n, "\\%c", letter[sp - special]);
		else if (c < ' ' || c >= 0x7f)
			n += snprintf(out + n, len - n, "\\%03o", c);
		else
			out[n++] = c;
	}
	out[n] = '\0';
	return out;
}

/* An errno in words, as strerror() says it, in lower case. */
static const char *crfs_fuse_err_words(int err, char *buf, size_t len)
{
	const char *desc = strerrordesc_np(err);

	snprintf(buf, len, "%s", desc ? desc : "failed");
	buf[0] = tolower((unsigned char)buf[0]);
	return buf;
}

/* procs: move the one pid written (decimal digits, nothing else) in. */
static int crfs_fuse_procs_write(struct crfs_ct *ct, char *buf)
{
	char quoted[4 * CRFS_CTL_WRITE_MAX + 1], words[64];
	const char *word = crfs_fuse_word(buf);
	long pid = 0;
	bool dump;
	int ret;

	if (!*word)
		return crfs_ct_fail(ct, EINVAL, "procs: no pid written");
	if (strspn(word, "0123456789") == strlen(word)) {
		errno = 0;
		pid = strtol(word, NULL, 10);
		if (errno || pid > INT_MAX)
			pid = 0;
	}
	if (pid <= 0)
		return crfs_ct_fail(ct, EINVAL, "procs: '%s': not a pid",
				    crfs_fuse_quote(word, quoted, sizeof(quoted)));
	if (pid == getpid() || pid == ct->fs->guardian)
		return crfs_ct_fail(ct, EINVAL, "procs: %ld: that is crfs-fuse itself",
				    pid);
	if (crfs_fuse_image_busy(ct, &dump))
		return crfs_ct_fail(ct, EBUSY, "procs: %s is %s", ct->name,
				    crfs_fuse_busy_word(dump));
	ret = cr_cgroup_attach(ct->cgdir, pid);
	if (ret)
		return crfs_ct_fail(ct, -ret, "procs: %ld: %s", pid,
				    crfs_fuse_err_words(-ret, words, sizeof(words)));
	return 0;
}

/* state: one word. */
static int crfs_fuse_state_read(struct crfs_ct *ct, FILE *out)
{
	fprintf(out, "%s\n", crfs_ct_state_name(crfs_fuse_ct_state(ct)));
	return 0;
}

static int crfs_fuse_state_freeze(struct crfs_ct *ct)
{
	char words[64];
	bool dump;
	int ret;

	if (crfs_fuse_image_busy(ct, &dump) && !dump)
		return crfs_ct_fail(ct, EBUSY, "freeze: %s is restoring", ct->name);
	ret = cr_cgroup_freeze(ct->cgdir, true);
	if (ret)
		return crfs_ct_fail(ct, -ret, "freeze: %s: %s", ct->name,
				    crfs_fuse_err_words(-ret, words, sizeof(words)));
	return 0;
}

static int crfs_fuse_state_thaw(struct crfs_ct *ct)
{
	char words[64], lock[sizeof(ct->netlock)];
	bool dump;
	int ret;

	if (crfs_fuse_image_busy(ct, &dump))
		return crfs_ct_fail(ct, EBUSY, "thaw: %s is %s", ct->name,
				    crfs_fuse_busy_word(dump));
	ret = cr_cgroup_freeze(ct->cgdir, false);
	if (ret)
		return crfs_ct_fail(ct, -ret, "thaw: %s: %s", ct->name,
				    crfs_fuse_err_words(-ret, words, sizeof(words)));
	pthread_mutex_lock(&ct->lock);
	ct->dumped = false;
	memcpy(lock, ct->netlock, sizeof(lock));
	ct->netlock[0] = 0;
	pthread_mutex_unlock(&ct->lock);
	/* Its connections run again: their network lock goes (netlock.c). */
	cr_netlock_drop(lock);
	return 0;
}

/*
 * kill: SIGKILL everything, and return once the container is empty.
 * Checkpointed (and not thawed since), its TCP connections go in repair
 * mode first: no FIN, no reset, their addresses free for the restore.
 */
static int crfs_fuse_state_kill(struct crfs_ct *ct)
{
	char words[64];
	bool dumped;
	int peers, ret;

	crfs_fuse_image_kill(ct);
	/*
	 * The engine called off lets the processes go (a checkpoint) or
	 * kills and reaps what it made (a restore) before the kill: a kill
	 * while it waits on pid 1 of a namespace (an injected call) would
	 * leave that wait for ever, pid 1 waiting for its traced children,
	 * whose tracer is the thread waiting on it.
	 */
	crfs_fuse_image_settle(ct);
	pthread_mutex_lock(&ct->lock);
	dumped = ct->dumped;
	peers = ct->dump_peers;
	ct->dumped = false;
	ct->netlock[0] = 0;	/* its network lock stays for the restore */
	pthread_mutex_unlock(&ct->lock);
	if (dumped)
		cr_inet_quiet_peers(ct->cgdir, peers == CR_PEERS_CLOSE);
	ret = cr_cgroup_kill(ct->cgdir);
	if (ret)
		return crfs_ct_fail(ct, -ret, "kill: %s: %s", ct->name,
				    crfs_fuse_err_words(-ret, words, sizeof(words)));
	if (cr_cgroup_wait_empty(ct->cgdir, CRFS_KILL_TIMEOUT_MS))
		return crfs_ct_fail(ct, EBUSY,
				    "kill: %s still has processes after %d ms",
				    ct->name, CRFS_KILL_TIMEOUT_MS);
	/* Empty means thawed: the next process must not start frozen. */
	crfs_fuse_image_settle(ct);
	ret = cr_cgroup_freeze(ct->cgdir, false);
	if (ret)
		return crfs_ct_fail(ct, -ret, "kill: %s: cannot thaw it: %s",
				    ct->name,
				    crfs_fuse_err_words(-ret, words, sizeof(words)));
	return 0;
}

/* Each sets the reason of its own failure. */
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
	char quoted[4 * CRFS_CTL_WRITE_MAX + 1];
	const char *word = crfs_fuse_word(buf);
	unsigned int i;

	for (i = 0; i < sizeof(crfs_fuse_state_words) /
			sizeof(crfs_fuse_state_words[0]); i++)
		if (!strcmp(word, crfs_fuse_state_words[i].word))
			return crfs_fuse_state_words[i].set(ct);
	return crfs_ct_fail(ct, EINVAL,
			    "state: bad word '%s': expected freeze, thaw or kill",
			    crfs_fuse_quote(word, quoted, sizeof(quoted)));
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

/* shell_job: 0 or 1. */
static int crfs_fuse_shell_job_read(struct crfs_ct *ct, FILE *out)
{
	pthread_mutex_lock(&ct->lock);
	fprintf(out, "%d\n", ct->shell_job);
	pthread_mutex_unlock(&ct->lock);
	return 0;
}

/* shell_job: 1, a terminal outside the container is kept (res-tty.c). */
static int crfs_fuse_shell_job_write(struct crfs_ct *ct, char *buf)
{
	char quoted[4 * CRFS_CTL_WRITE_MAX + 1];
	const char *word = crfs_fuse_word(buf);

	if (strcmp(word, "0") && strcmp(word, "1"))
		return crfs_ct_fail(ct, EINVAL,
				    "shell_job: bad value '%s': expected 0 or 1",
				    crfs_fuse_quote(word, quoted, sizeof(quoted)));
	pthread_mutex_lock(&ct->lock);
	ct->shell_job = word[0] == '1';
	pthread_mutex_unlock(&ct->lock);
	return 0;
}

/* The words of the peers file, by enum cr_peers. */
static const char *const crfs_fuse_peers_words[] = {
	[CR_PEERS_REFUSE]	= "refuse",
	[CR_PEERS_CLOSE]	= "close",
	[CR_PEERS_KEEP]		= "keep",
};

/* peers: refuse, close or keep. */
static int crfs_fuse_peers_read(struct crfs_ct *ct, FILE *out)
{
	pthread_mutex_lock(&ct->lock);
	fprintf(out, "%s\n", crfs_fuse_peers_words[ct->peers]);
	pthread_mutex_unlock(&ct->lock);
	return 0;
}

/* peers: what a checkpoint does with a socket whose peer is outside. */
static int crfs_fuse_peers_write(struct crfs_ct *ct, char *buf)
{
	char quoted[4 * CRFS_CTL_WRITE_MAX + 1];
	const char *word = crfs_fuse_word(buf);
	unsigned int i;

	for (i = 0; i < sizeof(crfs_fuse_peers_words) /
			sizeof(crfs_fuse_peers_words[0]); i++) {
		if (strcmp(word, crfs_fuse_peers_words[i]))
			continue;
		pthread_mutex_lock(&ct->lock);
		ct->peers = i;
		pthread_mutex_unlock(&ct->lock);
		return 0;
	}
	return crfs_ct_fail(ct, EINVAL,
			    "peers: bad value '%s': expected refuse, close or keep",
			    crfs_fuse_quote(word, quoted, sizeof(quoted)));
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
	{ .name = "error", .mode = 0600, .read = crfs_fuse_error_read },
	{ .name = "shell_job", .mode = 0600, .read = crfs_fuse_shell_job_read,
	  .write = crfs_fuse_shell_job_write },
	{ .name = "peers", .mode = 0600, .read = crfs_fuse_peers_read,
	  .write = crfs_fuse_peers_write },
};

const unsigned int crfs_fuse_nr_files =
	sizeof(crfs_fuse_files) / sizeof(crfs_fuse_files[0]);
