// SPDX-License-Identifier: GPL-2.0
/*
 * The control files of a container, one row of crfs_ctl_files[] each.
 *
 * A write is one command of at most CRFS_CMD_MAX bytes; its handler
 * parses, checks, calls the cgroup side and returns 0 or -errno, leaving
 * the reason of a failure in the container's error file.  Reads are
 * seq_files made afresh at offset 0.  state and events can be polled: an
 * open file is readable again once the container changed after its last
 * read.
 */
#include <linux/crfs.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "crfs.h"

/*
 * <linux/crfs.h> is the image format, include/uapi/linux/crfs.h, the one
 * header of the kernel and userspace: here its image and record headers
 * have the sizes userspace's image.c checks.
 */
static_assert(sizeof(struct crfs_image_hdr) == 224);
static_assert(sizeof(struct crfs_rec_hdr) == 16);

/* An open control file: what it is, and the last change its reader saw. */
struct crfs_ctl_open {
	struct crfs_ct_file	*cf;
	int			seen;
};

/* procs: one pid a line, as cgroup.procs. */
static int crfs_procs_show(struct crfs_ct *ct, struct seq_file *m)
{
	crfs_cgroup_show_pids(ct->cgrp, m);
	return 0;
}

/*
 * The one word of a write: @buf less a single final newline.  Nothing else
 * is trimmed: blanks, a carriage return or a second newline make another
 * word, which no file takes.
 */
static char *crfs_word(char *buf)
{
	size_t len = strlen(buf);

	if (len && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	return buf;
}

/* procs: move the one pid written (decimal digits, nothing else) in. */
static int crfs_procs_write(struct crfs_ct *ct, char *buf)
{
	char *word = crfs_word(buf);
	int pid = 0, ret;

	if (!*word)
		return crfs_ct_fail(ct, -EINVAL, "procs: no pid written");
	/* kstrtoint() alone would take a sign and a final newline */
	if (strspn(word, "0123456789") != strlen(word) ||
	    kstrtoint(word, 10, &pid) || pid <= 0)
		return crfs_ct_fail(ct, -EINVAL, "procs: '%*pE': not a pid",
				    (int)strlen(word), word);
	ret = crfs_cgroup_attach(ct->cgrp, pid);
	if (ret == -EBUSY)
		return crfs_ct_fail(ct, ret,
				    "procs: %d: %s or the process's container is being checkpointed",
				    pid, ct->name);
	if (ret)
		return crfs_ct_fail(ct, ret, "procs: %d: %s", pid,
				    crfs_err_words(ret));
	return 0;
}

/* state: one word. */
static int crfs_state_show(struct crfs_ct *ct, struct seq_file *m)
{
	seq_printf(m, "%s\n", crfs_ct_state(ct));
	return 0;
}

static int crfs_state_freeze(struct crfs_ct *ct)
{
	int ret = crfs_cgroup_freeze(ct->cgrp, true);

	if (ret)
		return crfs_ct_fail(ct, ret, "freeze: %s: %s", ct->name,
				    crfs_err_words(ret));
	return 0;
}

static int crfs_state_thaw(struct crfs_ct *ct)
{
	int ret;

	/* the process would run before it is restored, and stay on a failure */
	if (READ_ONCE(ct->restoring))
		return crfs_ct_fail(ct, -EBUSY, "thaw: %s: a restore is under way",
				    ct->name);
	ret = crfs_cgroup_freeze(ct->cgrp, false);
	if (ret == -EBUSY)
		return crfs_ct_fail(ct, ret, "thaw: %s is checkpointing",
				    ct->name);
	if (ret)
		return crfs_ct_fail(ct, ret, "thaw: %s: %s", ct->name,
				    crfs_err_words(ret));
	return 0;
}

static bool crfs_ct_empty(struct crfs_ct *ct)
{
	struct crfs_cgroup_status st;

	crfs_cgroup_status(ct->cgrp, &st);
	return !st.populated;
}

/* SIGKILL every process of @ct, and wait until it is empty. */
static int crfs_ct_kill_wait(struct crfs_ct *ct)
{
	long left;
	int ret;

	ret = crfs_cgroup_kill(ct->cgrp);
	if (ret)
		return crfs_ct_fail(ct, ret, "kill: %s: %s", ct->name,
				    crfs_err_words(ret));
	left = wait_event_interruptible_timeout(ct->wait, crfs_ct_empty(ct),
						CRFS_KILL_TIMEOUT);
	if (left < 0)
		return left;	/* a signal: no reason to keep */
	if (!left)
		return crfs_ct_fail(ct, -EBUSY,
				    "kill: %s still has processes after %d ms",
				    ct->name, jiffies_to_msecs(CRFS_KILL_TIMEOUT));
	return 0;
}

/*
 * kill: end the transfer under way (crfs_image_kill(): before the
 * SIGKILLs, so that a restore moves no process in after them), SIGKILL
 * everything, wait for a restore's writer to let the container go, and
 * return once it is empty.
 */
static int crfs_state_kill(struct crfs_ct *ct)
{
	long left;
	int ret;

	crfs_image_kill(ct);
	ret = crfs_ct_kill_wait(ct);
	if (ret)
		return ret;
	/* a restore called off in its writer's write() ends there: wait */
	left = wait_event_interruptible_timeout(ct->wait, !READ_ONCE(ct->restoring),
						CRFS_KILL_TIMEOUT);
	if (left < 0)
		return left;
	if (!left)
		return crfs_ct_fail(ct, -EBUSY,
				    "kill: %s: the restore under way did not end after %d ms",
				    ct->name, jiffies_to_msecs(CRFS_KILL_TIMEOUT));
	/* what that restore moved in before it saw the kill */
	if (!crfs_ct_empty(ct)) {
		ret = crfs_ct_kill_wait(ct);
		if (ret)
			return ret;
	}
	/*
	 * Empty means thawed: the next process must not start frozen.  But
	 * not under a restore, which froze it for the process it is making
	 * (and thaws it again if that fails).
	 */
	if (READ_ONCE(ct->restoring))
		return 0;
	return crfs_cgroup_freeze(ct->cgrp, false);
}

/* Each sets the reason of its own failure. */
static const struct {
	const char	*word;
	int		(*set)(struct crfs_ct *ct);
} crfs_state_words[] = {
	{ "freeze",	crfs_state_freeze },
	{ "thaw",	crfs_state_thaw },
	{ "kill",	crfs_state_kill },
};

/* state: freeze, thaw or kill; only kill waits, for the processes to go. */
static int crfs_state_write(struct crfs_ct *ct, char *buf)
{
	char *word = crfs_word(buf);
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(crfs_state_words); i++) {
		if (strcmp(word, crfs_state_words[i].word))
			continue;
		ret = crfs_state_words[i].set(ct);
		crfs_ct_changed(ct);
		return ret;
	}
	return crfs_ct_fail(ct, -EINVAL,
			    "state: bad word '%*pE': expected freeze, thaw or kill",
			    (int)strlen(word), word);
}

/* events: flat keyed, as cgroup.events. */
static int crfs_events_show(struct crfs_ct *ct, struct seq_file *m)
{
	struct crfs_cgroup_status st;

	crfs_cgroup_status(ct->cgrp, &st);
	seq_printf(m, "populated %d\nfrozen %d\n", st.populated, st.frozen);
	return 0;
}

/* error: the reason of the last failure, one line. */
static int crfs_error_show(struct crfs_ct *ct, struct seq_file *m)
{
	char line[CRFS_ERROR_LEN];

	spin_lock(&ct->lock);
	strscpy(line, ct->error, sizeof(line));
	spin_unlock(&ct->lock);
	if (line[0])
		seq_printf(m, "%s\n", line);
	return 0;
}

const struct crfs_ctl crfs_ctl_files[] = {
	{ .name = "procs", .mode = 0644, .show = crfs_procs_show,
	  .write = crfs_procs_write },
	{ .name = "state", .mode = 0644, .show = crfs_state_show,
	  .write = crfs_state_write, .pollable = true },
	{ .name = "events", .mode = 0444, .show = crfs_events_show,
	  .pollable = true },
	{ .name = "image", .mode = 0600, .fops = &crfs_image_fops },
	{ .name = "error", .mode = 0600, .show = crfs_error_show },
};

const unsigned int crfs_nr_ctl_files = ARRAY_SIZE(crfs_ctl_files);

static int crfs_ctl_seq_show(struct seq_file *m, void *v)
{
	struct crfs_ctl_open *of = m->private;
	struct crfs_ct *ct = of->cf->ct;

	/* Before the content: a change while it is made wakes pollers. */
	of->seen = atomic_read(&ct->event);
	if (!of->cf->ctl->show)
		return -EINVAL;
	return of->cf->ctl->show(ct, m);
}

static int crfs_ctl_open(struct inode *inode, struct file *file)
{
	struct crfs_ct_file *cf = inode->i_private;
	struct crfs_ctl_open *of;
	int ret;

	if (cf->ctl->open) {
		ret = cf->ctl->open(cf->ct, file);
		if (ret)
			return ret;
	}
	of = kzalloc(sizeof(*of), GFP_KERNEL);
	if (!of)
		return -ENOMEM;
	of->cf = cf;
	of->seen = atomic_read(&cf->ct->event);
	ret = single_open(file, crfs_ctl_seq_show, of);
	if (ret)
		kfree(of);
	return ret;
}

static int crfs_ctl_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;

	kfree(m->private);
	return single_release(inode, file);
}

static ssize_t crfs_ctl_write(struct file *file, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	struct crfs_ctl_open *of = ((struct seq_file *)file->private_data)->private;
	const struct crfs_ctl *ctl = of->cf->ctl;
	struct crfs_ct *ct = of->cf->ct;
	char *buf;
	int ret;

	if (!ctl->write)
		return -EINVAL;
	crfs_ct_clear(ct);		/* a write is a new operation */
	if (len > CRFS_CMD_MAX)
		return crfs_ct_fail(ct, -E2BIG,
				    "%s: a write of %zu bytes: a command is at most %d",
				    ctl->name, len, CRFS_CMD_MAX);
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	if (strlen(buf) != len)
		ret = crfs_ct_fail(ct, -EINVAL, "%s: a NUL byte written",
				   ctl->name);
	else
		ret = ctl->write(ct, buf);
	kfree(buf);
	return ret ?: len;
}

static __poll_t crfs_ctl_poll(struct file *file, poll_table *wait)
{
	struct crfs_ctl_open *of = ((struct seq_file *)file->private_data)->private;
	struct crfs_ct *ct = of->cf->ct;

	if (!of->cf->ctl->pollable)
		return DEFAULT_POLLMASK;
	poll_wait(file, &ct->wait, wait);
	if (atomic_read(&ct->event) != READ_ONCE(of->seen))
		return EPOLLIN | EPOLLRDNORM | EPOLLPRI | EPOLLERR;
	return 0;
}

const struct file_operations crfs_ctl_fops = {
	.open		= crfs_ctl_open,
	.read_iter	= seq_read_iter,
	.write		= crfs_ctl_write,
	.llseek		= seq_lseek,
	.poll		= crfs_ctl_poll,
	.release	= crfs_ctl_release,
};
