// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "task": what a process is (TASK) and which threads it has
 * (THREAD): its ids, state, name, personality, a few prctl values, its
 * dumpable flag, whether a signal stopped it (job control: it comes back
 * stopped); and what it must not have for this version: a tracer, an
 * exit in progress.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "dump.h"
#include "restore.h"

/* Phase 1: /proc/PID/{status,stat,comm,personality,...}, the threads. */
static int task_collect(struct cr_dump *d, struct cr_dtask *dt,
			struct cr_err *e)
{
	struct crfs_task *k = &dt->t->t;
	long long v;
	int ret, err = 0;

	(void)d;
	ret = cr_proc_status(dt->pid, &dt->st, e);
	if (!ret)
		ret = cr_proc_comm(dt->pid, k->comm, e);
	if (!ret)
		ret = cr_proc_personality(dt->pid, &k->personality, e);
	if (ret)
		return ret;
	/* pid, parent, group and session: dump-tree.c */
	/* Frozen processes sleep; one stopped by a signal stays 'T', 't'. */
	k->state = dt->st.state == 'T' || dt->st.state == 't' ?
		   CRFS_TASK_STOPPED : CRFS_TASK_ALIVE;
	k->dumpable = 1;	/* the batch asks (task_seized()) */
	if (dt->st.no_new_privs)
		k->flags |= CRFS_TASK_F_NO_NEW_PRIVS;
	if (!cr_proc_num(dt->pid, "oom_score_adj", &v, e))
		k->oom_score_adj = v;
	if (!cr_proc_num(dt->pid, "timerslack_ns", &v, e))
		k->timer_slack_ns = v;
	dt->nr_tids = cr_proc_tids(dt->pid, &dt->tids, e);
	if (dt->nr_tids < 0)
		return dt->nr_tids;
	for (int i = 0; i < dt->nr_tids; i++) {
		struct cr_thread *th = cr_model_new_thread(dt->t, &err);

		if (!th)
			return cr_fail(e, ENOMEM, "out of memory");
		th->t.pid = dt->pid;
		th->t.tid = dt->tids[i];
		memcpy(th->t.comm, k->comm, sizeof(th->t.comm));
	}
	return 0;
}

/*
 * Phase 2: not exiting, untraced (it would come back untraced).  A
 * process stopped by a signal (job control) comes back stopped.  Its
 * threads: res-thread.c; its children: dump-tree.c.
 */
static int task_check(struct cr_dump *d, struct cr_dtask *dt,
		      struct cr_err *e)
{
	if (dt->st.state == 'Z' || dt->st.state == 'X')
		return cr_fail(e, ESRCH, "pid %d: the process is exiting",
			       dt->pid);
	(void)d;
	if (dt->st.tracer)
		return cr_fail(e, EOPNOTSUPP,
			       "pid %d: traced by pid %d (a debugger?): detach it first",
			       dt->pid, (int)dt->st.tracer);
	return 0;
}

/* Phase 4: the stop signal, and the dumpable flag only the task tells. */
static int task_seized(struct cr_dump *d, struct cr_dtask *dt,
		       struct cr_batch *b, struct cr_err *e)
{
	long rc;

	(void)d;
	/* The signal of its group stop, as the seize reported it. */
	if (cr_seized_stopped(b) && dt->t->t.state == CRFS_TASK_STOPPED)
		dt->t->t.stop_signo = dt->stop_sig;
	if (cr_seized_calls(b))
		return cr_batch_add(b, __NR_prctl,
				    (unsigned long[6]){ PR_GET_DUMPABLE }) < 0 ?
		       cr_fail(e, E2BIG, "pid %d: the injection batch is full",
			       dt->pid) : 0;
	if (!cr_seized_done(b))
		return 0;
	rc = cr_batch_ret(b, b->slot->call);
	if (rc < 0)
		return cr_fail(e, (int)-rc, "pid %d: injected prctl failed: %s",
			       dt->pid, strerror((int)-rc));
	dt->t->t.dumpable = rc;
	return 0;
}

/* Restore phase 3: the new process's name. */
static int task_child(const struct cr_rst_child *c, struct cr_rst_res *res)
{
	const struct crfs_task *k = &c->task->t;
	char name[CRFS_COMM_LEN];

	memcpy(name, k->comm, sizeof(name));
	name[sizeof(name) - 1] = '\0';
	res->step = CR_RST_NAME;
	if (syscall(SYS_prctl, PR_SET_NAME, name, 0, 0, 0))
		return errno;
	return 0;
}

/*
 * Restore phase 5: the personality, after the memory: with
 * READ_IMPLIES_EXEC every readable mapping made before would have been
 * made executable too.
 */
static int task_late(struct cr_rst *r, struct cr_err *e)
{
	return cr_rst_call(r, SYS_personality,
			   CR_ARGS(r->task->t.personality),
			   "cannot set the personality", e);
}

const struct cr_res_ops cr_res_task = {
	.name		= "task",
	.collect	= task_collect,
	.check		= task_check,
	.seized		= task_seized,
	.child		= task_child,
	.late		= task_late,
};
