// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "creds": a process's user and group ids, supplementary
 * groups and capability sets (CREDS), from /proc/PID/status.  The
 * restore sets the ids and groups last of all, when nothing of the
 * restore needs the restorer's privileges any more, then the dumpable
 * flag, which a change of credentials resets.
 */
#include <errno.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "dump.h"
#include "restore.h"

/* Phase 1: the ids, groups and capabilities of the status read. */
static int creds_collect(struct cr_dump *d, struct cr_dtask *dt,
			 struct cr_err *e)
{
	struct crfs_creds *c = &dt->t->creds;
	const struct cr_proc_status *st = &dt->st;

	(void)d;
	(void)e;
	*c = (struct crfs_creds){
		.pid = dt->pid, .ngroups = st->ngroups,
		.uid = st->uid[0], .euid = st->uid[1], .suid = st->uid[2],
		.fsuid = st->uid[3], .gid = st->gid[0], .egid = st->gid[1],
		.sgid = st->gid[2], .fsgid = st->gid[3],
		.cap_inh = st->cap[0], .cap_prm = st->cap[1],
		.cap_eff = st->cap[2], .cap_bnd = st->cap[3],
		.cap_amb = st->cap[4],
	};
	dt->t->groups = dt->st.groups;
	dt->st.groups = NULL;
	dt->t->have_creds = true;
	return 0;
}

/*
 * setfsuid() and setfsgid() say nothing when they fail: they return the
 * old value either way.  Ask again with an invalid id, which changes
 * nothing and returns the current one, and fail if it is not @want.
 */
static int creds_fsid(struct cr_rst *r, long nr, uint32_t want,
		      const char *what, struct cr_err *e)
{
	long now;
	int rc;

	rc = cr_rst_syscall(r, nr, CR_ARGS(want), &now, e);
	if (!rc)
		rc = cr_rst_syscall(r, nr, CR_ARGS(-1UL), &now, e);
	if (rc)
		return rc;
	if ((uint32_t)now != want)
		return cr_fail(e, EPERM, "pid %d: cannot set %s to %u (it stays %u)",
			       r->pid, what, want, (uint32_t)now);
	return 0;
}

/* Groups, gids, then uids: from here on the process may be unprivileged. */
static int creds_late(struct cr_rst *r, struct cr_err *e)
{
	const struct crfs_creds *c = &r->task->creds;
	const struct crfs_task *k = &r->task->t;
	unsigned long addr = 0;
	int rc;

	if (c->ngroups) {
		rc = cr_rst_queue_poke(r, r->task->groups,
				       c->ngroups * sizeof(uint32_t), &addr, e);
		if (rc)
			return rc;
	}
	/* Queued (restore-queue.c): one stop for them all, flushed after. */
	rc = cr_rst_queue(r, SYS_setgroups, CR_ARGS(c->ngroups, addr),
			  "cannot set supplementary groups", NULL, e);
	if (!rc)
		rc = cr_rst_queue(r, SYS_setresgid,
				  CR_ARGS(c->gid, c->egid, c->sgid),
				  "cannot set gids", NULL, e);
	if (!rc && c->fsgid != c->egid)
		rc = creds_fsid(r, SYS_setfsgid, c->fsgid, "fsgid", e);
	if (!rc)
		rc = cr_rst_queue(r, SYS_setresuid,
				  CR_ARGS(c->uid, c->euid, c->suid),
				  "cannot set uids", NULL, e);
	if (!rc && c->fsuid != c->euid)
		rc = creds_fsid(r, SYS_setfsuid, c->fsuid, "fsuid", e);
	/* A change of credentials resets it. */
	if (!rc && k->dumpable <= 1)
		rc = cr_rst_queue(r, SYS_prctl,
				  CR_ARGS(PR_SET_DUMPABLE, k->dumpable),
				  "cannot set dumpable", NULL, e);
	return rc;
}

const struct cr_res_ops cr_res_creds = {
	.name		= "creds",
	.collect	= creds_collect,
	.late		= creds_late,
};
