// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "limits": a process's 16 resource limits (in TASK).  They
 * come back exactly, set last (after the descriptors are open, the memory
 * is in place and the pending signals are queued, before the
 * credentials), so a process that lowered RLIMIT_NOFILE below a
 * descriptor it holds, or RLIMIT_DATA below what it uses, restores.
 *
 * Whatever a checkpoint accepts must restore: cr_rst_task_fits() says
 * what this restorer can do, and both the dump and the restore ask it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/capability.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "dump.h"
#include "restore.h"

static const char *const cr_rlimit_names[CRFS_NR_RLIMITS] = {
	"RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK",
	"RLIMIT_CORE", "RLIMIT_RSS", "RLIMIT_NPROC", "RLIMIT_NOFILE",
	"RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS", "RLIMIT_SIGPENDING",
	"RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
};

/* A limit in words: a number or "unlimited". */
static const char *cr_rlim_str(char *buf, size_t len, uint64_t v)
{
	if (v == ~0ULL)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

/* May this process raise hard limits (CAP_SYS_RESOURCE in effect)? */
static bool cr_can_raise_limits(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[CAP_SYS_RESOURCE / 32].effective &
	       (1U << (CAP_SYS_RESOURCE % 32));
}

/* fs.nr_open: no process may have a descriptor number at or above it. */
static uint64_t cr_nr_open(void)
{
	unsigned long long v = 1024 * 1024;	/* the kernel's default */
	char *buf = cr_read_file("/proc/sys/fs/nr_open", NULL);

	if (buf)
		sscanf(buf, "%llu", &v);
	free(buf);
	return v;
}

/* Can the descriptors of @fs be opened under @nofile (number + 1)? */
static int cr_fits_fds(const struct cr_task *t, const struct cr_rst_files *fs,
		       uint64_t nofile, const char *why, struct cr_err *e)
{
	for (uint32_t i = 0; i < fs->nr_fds; i++)
		if ((uint64_t)fs->fds[i].fd >= nofile)
			return cr_fail(e, EMFILE,
				       "pid %u: fd %d: %s: a restore here cannot open descriptor %d (%s is %llu)",
				       t->t.pid, fs->fds[i].fd,
				       fs->f[fs->fds[i].entry].path,
				       fs->fds[i].fd, why,
				       (unsigned long long)nofile);
	if (fs->nofile > nofile)
		return cr_fail(e, EMFILE,
			       "pid %u: a restore here needs descriptor numbers up to %u for its descriptors, mapped files, executable and directories (%s is %llu)",
			       t->t.pid, fs->nofile - 1, why,
			       (unsigned long long)nofile);
	return 0;
}

/* Can this process restore @t, whose files are planned in @fs? */
static int cr_fits(const struct cr_task *t, const struct cr_rst_files *fs,
		   struct cr_err *e)
{
	bool cap = cr_can_raise_limits();
	uint64_t nr_open = cr_nr_open();
	char want[24], own[24];
	struct rlimit rl;
	int i, rc;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		rl.rlim_max = 0;
	rc = cr_fits_fds(t, fs, rl.rlim_max,
			 "the restorer's RLIMIT_NOFILE hard limit", e);
	if (!rc)
		rc = cr_fits_fds(t, fs, nr_open, "fs.nr_open", e);
	for (i = 0; !rc && i < CRFS_NR_RLIMITS; i++) {
		uint64_t cur = t->t.rlim[i].cur, max = t->t.rlim[i].max;

		if (getrlimit(i, &rl))
			continue;	/* a limit this kernel does not have */
		if (cur > max)
			rc = cr_fail(e, EINVAL,
				     "pid %u: %s: soft limit %s above hard limit %s",
				     t->t.pid, cr_rlimit_names[i],
				     cr_rlim_str(want, sizeof(want), cur),
				     cr_rlim_str(own, sizeof(own), max));
		else if (i == RLIMIT_NOFILE && max > nr_open)
			rc = cr_fail(e, EPERM,
				     "pid %u: %s: hard limit %s is above fs.nr_open %llu: a restore could not set it",
				     t->t.pid, cr_rlimit_names[i],
				     cr_rlim_str(want, sizeof(want), max),
				     (unsigned long long)nr_open);
		else if (max > rl.rlim_max && !cap)
			rc = cr_fail(e, EPERM,
				     "pid %u: %s: hard limit %s is above the restorer's %s: a restore could not set it (raising a hard limit needs CAP_SYS_RESOURCE)",
				     t->t.pid, cr_rlimit_names[i],
				     cr_rlim_str(want, sizeof(want), max),
				     cr_rlim_str(own, sizeof(own), rl.rlim_max));
	}
	return rc;
}

int cr_rst_task_fits(const struct cr_task *t, struct cr_err *e)
{
	struct cr_rst_files fs;
	int rc;

	rc = cr_rst_files_plan_task(t, &fs, e);
	if (!rc)
		rc = cr_fits(t, &fs, e);
	cr_rst_files_free(&fs);
	return rc;
}

/* Phase 1: /proc/PID/limits. */
static int limits_collect(struct cr_dump *d, struct cr_dtask *dt,
			  struct cr_err *e)
{
	(void)d;
	return cr_proc_limits(dt->pid, dt->t->t.rlim, e);
}

/* Phase 2: what is accepted here must restore. */
static int limits_check(struct cr_dump *d, struct cr_dtask *dt,
			struct cr_err *e)
{
	(void)d;
	return cr_rst_task_fits(dt->t, e);
}

/* Restore phase 1: the limits, descriptors and files this restorer can. */
static int limits_plan(struct cr_rst *r, struct cr_err *e)
{
	return cr_fits(r->task, &r->files, e);
}

/*
 * The image's limits, set by the tracer (prlimit() of another process of
 * the same uid) now that nothing of the restore can run into them.  Before
 * the credentials: afterwards the process is no longer the tracer's uid.
 */
static int limits_late(struct cr_rst *r, struct cr_err *e)
{
	const struct crfs_rlimit *rl = r->task->t.rlim;
	char cur[24], max[24];
	int i;

	for (i = 0; i < CRFS_NR_RLIMITS; i++) {
		struct rlimit lim = {
			.rlim_cur = rl[i].cur,
			.rlim_max = rl[i].max,
		};

		if (!prlimit(r->pid, i, &lim, NULL))
			continue;
		return cr_fail(e, errno, "pid %d: cannot set %s to %s/%s: %m%s",
			       r->pid, cr_rlimit_names[i],
			       cr_rlim_str(cur, sizeof(cur), lim.rlim_cur),
			       cr_rlim_str(max, sizeof(max), lim.rlim_max),
			       errno == EPERM ? " (raising a hard limit needs CAP_SYS_RESOURCE)" : "");
	}
	return 0;
}

const struct cr_res_ops cr_res_limits = {
	.name		= "limits",
	.collect	= limits_collect,
	.check		= limits_check,
	.plan		= limits_plan,
	.late		= limits_late,
};
