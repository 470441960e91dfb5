// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "prctl": what a process set with prctl() or through /proc
 * and keeps: child subreaper (TASK flags), parent-death signal, timer
 * slack, oom_score_adj (TASK), transparent huge pages disabled,
 * memory-deny-write-execute and KSM for all memory (MM flags).  The dump
 * reads them by injected prctl() calls and from /proc
 * (res-task.c reads oom_score_adj and timerslack_ns); the restore sets
 * them after the ids (a change of credentials clears the parent-death
 * signal) and reads each back.  THP is set by the new process itself,
 * before any of its mappings exist; MDWE after the memory (it would
 * refuse the protections the restore gives its mappings).
 *
 * The parent-death signal refers to the parent, which is outside the
 * image: the restored process is a child of the restorer's parent
 * (CLONE_PARENT), and gets the signal when that one exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "dump.h"
#include "restore.h"

#ifndef PR_THP_DISABLE_EXCEPT_ADVISED
#define PR_THP_DISABLE_EXCEPT_ADVISED	(1 << 1)
#endif
#ifndef PR_SET_MDWE
#define PR_SET_MDWE			65
#define PR_GET_MDWE			66
#define PR_MDWE_REFUSE_EXEC_GAIN	(1UL << 0)
#define PR_MDWE_NO_INHERIT		(1UL << 1)
#endif
#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE		67
#define PR_GET_MEMORY_MERGE		68
#endif
/* The calls of the batch, in this order. */
enum { CR_PRCTL_SUBREAPER, CR_PRCTL_PDEATH, CR_PRCTL_THP, CR_PRCTL_MDWE,
       CR_PRCTL_KSM, CR_PRCTL_NR };
/* Calls a kernel may lack (EINVAL: the setting cannot be on). */
#define CR_PRCTL_OPTIONAL	(1U << CR_PRCTL_MDWE | 1U << CR_PRCTL_KSM)

/*
 * Can a child of this restorer take @adj as its oom_score_adj, as the
 * restored process must?  It starts with the restorer's value and floor
 * (oom_score_adj_min), and below the floor it takes CAP_SYS_RESOURCE:
 * a throwaway child tries.
 */
static bool prctl_oom_probe(int adj)
{
	char val[16];
	int len = snprintf(val, sizeof(val), "%d", adj), status;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

		_exit(fd >= 0 && write(fd, val, len) == len ? 0 : 1);
	}
	if (pid < 0)
		return false;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Can this restorer set @k's oom_score_adj?  Below its own, ask a child. */
static int prctl_oom_fits(const struct crfs_task *k, struct cr_err *e)
{
	long long own;
	int rc;

	rc = cr_proc_num(getpid(), "oom_score_adj", &own, e);
	if (rc || k->oom_score_adj >= own || prctl_oom_probe(k->oom_score_adj))
		return rc;
	return cr_fail(e, EPERM, "pid %u: oom_score_adj %d is below what "
		       "this restorer may set (its own is %lld): lowering it "
		       "needs CAP_SYS_RESOURCE", k->pid, k->oom_score_adj, own);
}

/*
 * KSM for all of the memory (PR_SET_MEMORY_MERGE) takes CAP_SYS_RESOURCE
 * to set: without it, the process cannot come back as it was.
 */
static int prctl_ksm_fits(uint32_t pid, const struct cr_mm *mm,
			  struct cr_err *e)
{
	if (!mm || !(mm->m.flags & CRFS_MM_F_KSM_ANY) ||
	    cr_capable(CAP_SYS_RESOURCE))
		return 0;
	return cr_fail(e, EPERM, "pid %u: KSM merges all its memory "
		       "(PR_SET_MEMORY_MERGE): setting it again needs "
		       "CAP_SYS_RESOURCE, which this restorer lacks", pid);
}

/* Phase 2: the restorer can set its oom_score_adj and KSM setting. */
static int prctl_check(struct cr_dump *d, struct cr_dtask *dt,
		       struct cr_err *e)
{
	int rc;

	(void)d;
	rc = prctl_oom_fits(&dt->t->t, e);
	return rc ? rc : prctl_ksm_fits(dt->pid, dt->t->mm, e);
}

/*
 * The optional calls this kernel has: one it lacks is not injected (it
 * would stop the batch, and the rows after it with it), and is off.
 * Asked once: the kernel does not change under us.
 */
static unsigned int prctl_present(void)
{
	static const int opt[CR_PRCTL_NR] = {
		[CR_PRCTL_MDWE] = PR_GET_MDWE,
		[CR_PRCTL_KSM] = PR_GET_MEMORY_MERGE,
	};
	static unsigned int known;	/* 0: not asked yet (racing askers agree) */
	unsigned int have = __atomic_load_n(&known, __ATOMIC_RELAXED);

	if (have)
		return have;
	have = ~CR_PRCTL_OPTIONAL;
	for (int i = 0; i < CR_PRCTL_NR; i++)
		if ((CR_PRCTL_OPTIONAL & 1U << i) &&
		    (prctl(opt[i], 0, 0, 0, 0) >= 0 || errno != EINVAL))
			have |= 1U << i;
	__atomic_store_n(&known, have, __ATOMIC_RELAXED);
	return have;
}

/* Phase 4: subreaper, parent-death signal and THP, by injected prctl(). */
static int prctl_seized(struct cr_dump *d, struct cr_dtask *dt,
			struct cr_batch *b, struct cr_err *e)
{
	struct crfs_task *k = &dt->t->t;
	size_t off = b->slot->data;
	unsigned long at[2];
	unsigned int have = prctl_present();
	long rc[CR_PRCTL_NR];
	int32_t v[2];

	(void)d;
	if (cr_seized_calls(b)) {
		if (cr_batch_data(b, sizeof(int32_t), &at[0]) < 0 ||
		    cr_batch_data(b, sizeof(int32_t), &at[1]) < 0 ||
		    cr_batch_add(b, __NR_prctl, (unsigned long[6]){
				 PR_GET_CHILD_SUBREAPER, at[0] }) < 0 ||
		    cr_batch_add(b, __NR_prctl, (unsigned long[6]){
				 PR_GET_PDEATHSIG, at[1] }) < 0 ||
		    cr_batch_add(b, __NR_prctl, (unsigned long[6]){
				 PR_GET_THP_DISABLE }) < 0 ||
		    ((have & 1U << CR_PRCTL_MDWE) &&
		     cr_batch_add(b, __NR_prctl, (unsigned long[6]){
				  PR_GET_MDWE }) < 0) ||
		    ((have & 1U << CR_PRCTL_KSM) &&
		     cr_batch_add(b, __NR_prctl, (unsigned long[6]){
				  PR_GET_MEMORY_MERGE }) < 0))
			return cr_fail(e, E2BIG, "pid %d: the injection batch "
				       "is full", dt->pid);
		return 0;
	}
	if (!cr_seized_done(b))
		return 0;
	for (int i = 0, call = b->slot->call; i < CR_PRCTL_NR; i++) {
		rc[i] = have & 1U << i ? cr_batch_ret(b, call++) : 0;
		if (rc[i] < 0)
			return cr_fail(e, (int)-rc[i], "pid %d: injected prctl "
				       "%d failed: %s", dt->pid, i,
				       strerror((int)-rc[i]));
	}
	memcpy(v, b->out + off, sizeof(v[0]));
	memcpy(&v[1], b->out + off + 8, sizeof(v[1]));
	if (v[0])
		k->flags |= CRFS_TASK_F_CHILD_SUBREAPER;
	k->pdeath_signal = v[1];
	if (rc[CR_PRCTL_THP] & 1)
		dt->t->mm->m.flags |= CRFS_MM_F_THP_DISABLE;
	if (rc[CR_PRCTL_THP] & PR_THP_DISABLE_EXCEPT_ADVISED)
		dt->t->mm->m.flags |= CRFS_MM_F_THP_EXCEPT_ADVISED;
	if (rc[CR_PRCTL_MDWE] & PR_MDWE_REFUSE_EXEC_GAIN)
		dt->t->mm->m.flags |= CRFS_MM_F_MDWE;
	if (rc[CR_PRCTL_MDWE] & PR_MDWE_NO_INHERIT)
		dt->t->mm->m.flags |= CRFS_MM_F_MDWE_NOINHERIT;
	if (rc[CR_PRCTL_KSM] == 1)
		dt->t->mm->m.flags |= CRFS_MM_F_KSM_ANY;
	return 0;
}

/* Restore phase 1: the restorer can set its oom_score_adj and KSM. */
static int prctl_plan(struct cr_rst *r, struct cr_err *e)
{
	int rc = prctl_oom_fits(&r->task->t, e);

	return rc ? rc : prctl_ksm_fits(r->task->t.pid, r->mm, e);
}

/*
 * Restore phase 3: THP as the image says, before any mapping is made
 * (kernels before 4.17 marked only mappings made after), and whatever the
 * restorer had (the flag is inherited).
 */
static int prctl_child(const struct cr_rst_child *c, struct cr_rst_res *res)
{
	uint32_t f = c->task->mm ? c->task->mm->m.flags : 0;

	res->step = CR_RST_THP;
	if (syscall(SYS_prctl, PR_SET_THP_DISABLE,
		    !!(f & CRFS_MM_F_THP_DISABLE),
		    f & CRFS_MM_F_THP_EXCEPT_ADVISED ?
		    PR_THP_DISABLE_EXCEPT_ADVISED : 0, 0, 0))
		return errno;
	return 0;
}

/* Write oom_score_adj of the process, from here. */
static int prctl_set_oom(struct cr_rst *r, int adj, struct cr_err *e)
{
	char path[64], val[16];
	int fd, len, ok;

	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", r->pid);
	len = snprintf(val, sizeof(val), "%d", adj);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return cr_fail(e, errno, "pid %d: cannot open %s: %m", r->pid,
			       path);
	ok = write(fd, val, len) == len;
	if (!ok)
		cr_fail(e, errno, "pid %d: cannot set oom_score_adj to %d: %m",
			r->pid, adj);
	close(fd);
	return ok ? 0 : -e->err;
}

/*
 * Queue an injected prctl(@op, &int) of the process (restore-queue.c):
 * where the int will be in *@at, read by prctl_read_int() once flushed.
 */
static int prctl_get_int(struct cr_rst *r, int op, unsigned long *at,
			 struct cr_err *e)
{
	int32_t v = -1;
	int rc;

	rc = cr_rst_queue_poke(r, &v, sizeof(v), at, e);
	if (!rc)
		rc = cr_rst_queue(r, SYS_prctl, CR_ARGS(op, *at),
				  "cannot read a prctl value back", NULL, e);
	return rc;
}

/* The int a flushed prctl_get_int() left at @at. */
static int prctl_read_int(struct cr_rst *r, unsigned long at, int32_t *v,
			  struct cr_err *e)
{
	struct iovec local = { v, sizeof(*v) };
	struct iovec remote = { (void *)at, sizeof(*v) };

	if (process_vm_readv(r->pid, &local, 1, &remote, 1, 0) != sizeof(*v))
		return cr_fail(e, errno, "pid %d: cannot read at %#lx: %m",
			       r->pid, at);
	return 0;
}

/* Read each back: the image's values. */
static int prctl_verify(struct cr_rst *r, struct cr_err *e)
{
	const struct crfs_task *k = &r->task->t;
	uint32_t f = r->mm ? r->mm->m.flags : 0;
	long long oom, slack;
	int32_t reaper = -1, pdeath = -1;
	unsigned long reaper_at = 0, pdeath_at = 0;
	long thp = -1, want_thp, mdwe = 0, want_mdwe, ksm = 0;
	int rc;

	want_thp = (f & CRFS_MM_F_THP_DISABLE ? 1 : 0) |
		   (f & CRFS_MM_F_THP_EXCEPT_ADVISED ?
		    PR_THP_DISABLE_EXCEPT_ADVISED : 0);
	want_mdwe = (f & CRFS_MM_F_MDWE ? PR_MDWE_REFUSE_EXEC_GAIN : 0) |
		    (f & CRFS_MM_F_MDWE_NOINHERIT ? PR_MDWE_NO_INHERIT : 0);
	/* Queued after the settings: all of them run in one stop. */
	rc = prctl_get_int(r, PR_GET_CHILD_SUBREAPER, &reaper_at, e);
	if (!rc)
		rc = prctl_get_int(r, PR_GET_PDEATHSIG, &pdeath_at, e);
	if (!rc)
		rc = cr_rst_queue(r, SYS_prctl, CR_ARGS(PR_GET_THP_DISABLE),
				  NULL, &thp, e);
	/* A kernel without them has them off: only what was set is asked. */
	if (!rc && want_mdwe)
		rc = cr_rst_queue(r, SYS_prctl, CR_ARGS(PR_GET_MDWE), NULL,
				  &mdwe, e);
	if (!rc && (f & CRFS_MM_F_KSM_ANY))
		rc = cr_rst_queue(r, SYS_prctl, CR_ARGS(PR_GET_MEMORY_MERGE),
				  NULL, &ksm, e);
	if (!rc)
		rc = cr_rst_flush(r, e);
	if (!rc)
		rc = prctl_read_int(r, reaper_at, &reaper, e);
	if (!rc)
		rc = prctl_read_int(r, pdeath_at, &pdeath, e);
	if (!rc)
		rc = cr_proc_num(r->pid, "oom_score_adj", &oom, e);
	if (!rc)
		rc = cr_proc_num(r->pid, "timerslack_ns", &slack, e);
	if (rc)
		return rc;
	if (mdwe != want_mdwe || !ksm != !(f & CRFS_MM_F_KSM_ANY))
		return cr_fail(e, EIO, "pid %d: read back MDWE %#lx and KSM "
			       "for all memory %ld: the image has %#lx and %d",
			       r->pid, mdwe, ksm, want_mdwe,
			       !!(f & CRFS_MM_F_KSM_ANY));
	if (!reaper != !(k->flags & CRFS_TASK_F_CHILD_SUBREAPER) ||
	    pdeath != (int32_t)k->pdeath_signal || thp != want_thp ||
	    oom != k->oom_score_adj ||
	    (k->timer_slack_ns && (uint64_t)slack != k->timer_slack_ns))
		return cr_fail(e, EIO, "pid %d: read back subreaper %d, "
			       "parent-death signal %d, THP disabled %ld, "
			       "oom_score_adj %lld, timer slack %lld ns: not "
			       "the image's", r->pid, reaper, pdeath, thp, oom,
			       slack);
	return 0;
}

/*
 * The settings of the address space: KSM for all of it, and MDWE, now
 * that every mapping has its protection (MDWE would have refused the
 * restore's own mprotect(PROT_EXEC) of them); nothing after this maps or
 * protects memory.
 */
static int prctl_late_mm(struct cr_rst *r, struct cr_err *e)
{
	uint32_t f = r->mm ? r->mm->m.flags : 0;
	unsigned long mdwe;
	int rc = 0;

	mdwe = (f & CRFS_MM_F_MDWE ? PR_MDWE_REFUSE_EXEC_GAIN : 0) |
	       (f & CRFS_MM_F_MDWE_NOINHERIT ? PR_MDWE_NO_INHERIT : 0);
	if (f & CRFS_MM_F_KSM_ANY)
		rc = cr_rst_queue(r, SYS_prctl,
				  CR_ARGS(PR_SET_MEMORY_MERGE, 1),
				  "cannot make KSM merge all its memory", NULL,
				  e);
	if (!rc && mdwe)
		rc = cr_rst_queue(r, SYS_prctl, CR_ARGS(PR_SET_MDWE, mdwe),
				  "cannot refuse writable executable memory "
				  "again (PR_SET_MDWE)", NULL, e);
	return rc;
}

/*
 * Restore phase 5, after the ids: oom_score_adj (by the restorer, first:
 * nothing below changes it), then each value by a call of the process
 * and all read back, queued and run in one stop (restore-queue.c).
 */
static int prctl_late(struct cr_rst *r, struct cr_err *e)
{
	const struct crfs_task *k = &r->task->t;
	int rc = prctl_set_oom(r, k->oom_score_adj, e);

	if (!rc && k->flags & CRFS_TASK_F_CHILD_SUBREAPER)
		rc = cr_rst_queue(r, SYS_prctl,
				  CR_ARGS(PR_SET_CHILD_SUBREAPER, 1),
				  "cannot become a child subreaper", NULL, e);
	if (!rc && k->pdeath_signal)
		rc = cr_rst_queue(r, SYS_prctl,
				  CR_ARGS(PR_SET_PDEATHSIG, k->pdeath_signal),
				  "cannot set the parent-death signal", NULL,
				  e);
	/* 0: a real-time policy's, which the kernel keeps at 0 */
	if (!rc && k->timer_slack_ns)
		rc = cr_rst_queue(r, SYS_prctl,
				  CR_ARGS(PR_SET_TIMERSLACK, k->timer_slack_ns),
				  "cannot set the timer slack", NULL, e);
	if (!rc)
		rc = prctl_late_mm(r, e);
	if (!rc)
		rc = prctl_verify(r, e);
	return rc;
}

const struct cr_res_ops cr_res_prctl = {
	.name		= "prctl",
	.check		= prctl_check,
	.seized		= prctl_seized,
	.plan		= prctl_plan,
	.child		= prctl_child,
	.late		= prctl_late,
};
