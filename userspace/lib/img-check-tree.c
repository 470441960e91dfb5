// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The rules of an image's process tree, for the restore and `crfs-image
 * verify` alike (img-check.c runs them after the rules of each record):
 *
 *  - the root first, parent 0 (the restorer is its parent), pid 1 in an
 *    image of a pid namespace of its own (CRFS_FEAT_PIDNS); every other
 *    process after its parent, which is alive (a zombie has no children:
 *    the kernel gave them to a reaper);
 *  - sessions and process groups the restore makes again, each process
 *    created by its parent (restore.c): a process is in its parent's
 *    session or leads its own; a session leader leads its group; a
 *    process's group is its own or one whose leader is in the image, in
 *    the same session, or one whose leader has exited, which a helper
 *    process makes again: a child of a live process of the session
 *    (cr_tree_helper_maker()), gone once the members have joined;
 *  - a process stopped by a signal is the root (its parent, outside, is
 *    told nothing at a restore; a parent in the container would be told
 *    of the stop again, or not, as a restore cannot know);
 *  - a zombie has nothing but its ids, credentials and a wait status: an
 *    exit code, or a signal that kills without a core dump;
 *  - no address space or signal actions shared between processes (not
 *    supported yet); a descriptor table or fs shared with the parent
 *    that made it (cr_tree_shared()).
 *
 * Linear in the processes, a parent or leader found by bisection.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "img-walk.h"

/* Signals whose default action does not end a process. */
static const uint64_t cr_tree_sig_nokill =
	1ULL << (SIGCHLD - 1) | 1ULL << (SIGCONT - 1) |
	1ULL << (SIGSTOP - 1) | 1ULL << (SIGTSTP - 1) |
	1ULL << (SIGTTIN - 1) | 1ULL << (SIGTTOU - 1) |
	1ULL << (SIGURG - 1) | 1ULL << (SIGWINCH - 1);

/* The process @pid of @m, or NULL. */
static const struct cr_task *cr_tree_task(const struct cr_model *m,
					  uint32_t pid)
{
	int64_t i = cr_model_find(m, CR_K_TASK, pid);

	return i < 0 ? NULL : &m->tasks[i];
}

int64_t cr_tree_helper_maker(const struct cr_model *m, uint32_t sid)
{
	const struct cr_task *root = &m->tasks[0];

	for (uint32_t i = 0; i < m->nr_tasks; i++)
		if (m->tasks[i].t.state != CRFS_TASK_ZOMBIE &&
		    cr_task_sid(root, &m->tasks[i]) == sid)
			return i;
	return -1;
}

/* A zombie: its wait status, and nothing else. */
static int cr_tree_zombie(const struct cr_task *t, struct cr_err *e)
{
	const struct crfs_task *k = &t->t;
	uint32_t code = (uint32_t)k->exit_code, sig = code & 0x7f;

	if (k->mm_id || k->fdtable_id || k->fs_id || k->sighand_id ||
	    t->nr_threads || t->pending.nr || t->nr_timers)
		return cr_fail(e, EBADMSG, "pid %u: a zombie with objects, "
			       "threads, signals or timers", k->pid);
	if (!sig) {
		if (code & ~0xff00U)
			return cr_fail(e, EBADMSG, "pid %u: zombie with wait "
				       "status %#x", k->pid, code);
		return 0;
	}
	if (sig == 0x7f || sig > CRFS_NSIG || (code & ~0xffU) ||
	    (sig <= 64 && (cr_tree_sig_nokill >> (sig - 1) & 1)))
		return cr_fail(e, EBADMSG, "pid %u: zombie with wait status "
			       "%#x: no signal kills so", k->pid, code);
	if (code & 0x80)
		return cr_fail(e, EOPNOTSUPP, "pid %u: a zombie killed by "
			       "signal %u with a core dump: a restore cannot "
			       "dump core again", k->pid, sig);
	return 0;
}

/* A live process owns its address space and signal actions (not shared). */
static int cr_tree_own(const struct cr_task *t, struct cr_err *e)
{
	const struct {
		uint32_t	pid;
		const char	*what;
	} obj[] = {
		{ t->mm ? t->mm->pid : 0, "address space" },
		{ t->sighand ? t->sighand->pid : 0, "signal actions" },
	};

	for (size_t i = 0; i < sizeof(obj) / sizeof(obj[0]); i++)
		if (obj[i].pid && obj[i].pid != t->t.pid)
			return cr_fail(e, EOPNOTSUPP, "pid %u: shares its %s "
				       "with pid %u: processes sharing it are "
				       "not supported yet", t->t.pid,
				       obj[i].what, obj[i].pid);
	return 0;
}

/*
 * A descriptor table or fs @t shares with a process before it: made by
 * clone(CLONE_FILES, CLONE_FS) from its parent, which shares it too; a
 * shared fs has root / (a process opening its files after another entered
 * the root would find them under it).
 */
static int cr_tree_shared(const struct cr_model *m, const struct cr_task *t,
			  struct cr_err *e)
{
	const struct cr_task *p = t->t.ppid ? cr_tree_task(m, t->t.ppid) : NULL;
	const struct crfs_task *k = &t->t;

	if (t->fdt && t->fdt->pid != k->pid && (!p || p->fdt != t->fdt))
		return cr_fail(e, EOPNOTSUPP, "pid %u: shares its descriptor "
			       "table with pid %u, not with its parent %u: a "
			       "restore can make it shared only by "
			       "clone(CLONE_FILES) from its parent", k->pid,
			       t->fdt->pid, k->ppid);
	if (t->fs && t->fs->pid != k->pid && (!p || p->fs != t->fs))
		return cr_fail(e, EOPNOTSUPP, "pid %u: shares its cwd, root "
			       "and umask with pid %u, not with its parent "
			       "%u: a restore can make them shared only by "
			       "clone(CLONE_FS) from its parent", k->pid,
			       t->fs->pid, k->ppid);
	if (t->fs && t->fs->pid != k->pid && t->fs->root &&
	    strcmp(t->fs->root->path, "/"))
		return cr_fail(e, EOPNOTSUPP, "pid %u: shares its cwd, root "
			       "and umask with pid %u, its root %s: a shared "
			       "fs is supported with root / only", k->pid,
			       t->fs->pid, t->fs->root->path);
	return 0;
}

/*
 * A group whose leader has exited: made again by a helper process of its
 * pid (restore-tree.c), a child of a live process of the session, which
 * goes once the group's members have joined it.
 */
static int cr_tree_lost_leader(const struct cr_model *m,
			       const struct cr_task *t, uint32_t sid,
			       struct cr_err *e)
{
	if (cr_tree_helper_maker(m, sid) < 0)
		return cr_fail(e, EOPNOTSUPP, "pid %u: process group %u has no "
			       "leader in the image (it exited) and session "
			       "%u no live process to make it again", t->t.pid,
			       t->t.pgid, t->t.sid);
	return 0;
}

/* The parent, session and process group of @t. */
static int cr_tree_ids(const struct cr_model *m, const struct cr_task *t,
		       struct cr_err *e)
{
	const struct cr_task *root = &m->tasks[0], *p, *l;
	const struct crfs_task *k = &t->t;
	uint32_t sid = cr_task_sid(root, t), pgid = cr_task_pgid(root, t);

	if (t == root) {
		if (k->ppid || k->parent_tid)
			return cr_fail(e, EBADMSG, "pid %u: the first process "
				       "has parent %u (thread %u): the root's "
				       "is 0", k->pid, k->ppid, k->parent_tid);
		return 0;
	}
	p = cr_tree_task(m, k->ppid);
	if (!k->ppid || !p || p >= t)
		return cr_fail(e, EBADMSG, "pid %u: parent %u is not a process "
			       "of the image before it", k->pid, k->ppid);
	if (p->t.state == CRFS_TASK_ZOMBIE)
		return cr_fail(e, EBADMSG, "pid %u: parent %u is a zombie",
			       k->pid, k->ppid);
	if (k->state == CRFS_TASK_STOPPED)
		return cr_fail(e, EOPNOTSUPP, "pid %u: stopped by signal %u, "
			       "its parent %u in the container: whether the "
			       "parent was told of the stop (SIGCHLD, "
			       "waitpid(WUNTRACED)) cannot be restored: not "
			       "supported", k->pid, k->stop_signo, k->ppid);
	if (sid != k->pid && sid != cr_task_sid(root, p))
		return cr_fail(e, EOPNOTSUPP, "pid %u: session %u is neither "
			       "its own nor its parent's (%u): a session "
			       "whose leader is not its ancestor is not "
			       "supported yet", k->pid, k->sid, p->t.sid);
	if (sid == k->pid && pgid != k->pid)
		return cr_fail(e, EBADMSG, "pid %u: leads its session but is "
			       "in process group %u", k->pid, k->pgid);
	if (pgid == k->pid)
		return 0;
	l = cr_tree_task(m, pgid);
	if (!l)
		return cr_tree_lost_leader(m, t, sid, e);
	if (cr_task_pgid(root, l) != pgid)
		return cr_fail(e, EOPNOTSUPP, "pid %u: process group %u: its "
			       "pid is pid %u's, in group %u: the group's "
			       "leader is gone and its pid taken", k->pid,
			       k->pgid, l->t.pid, l->t.pgid);
	if (cr_task_sid(root, l) != sid)
		return cr_fail(e, EBADMSG, "pid %u: process group %u is in "
			       "session %u, the process in %u", k->pid,
			       k->pgid, l->t.sid, k->sid);
	return 0;
}

/* A thread but a leader: its tid, its process, is it a parent. */
struct cr_tree_tid {
	uint32_t	tid;
	uint32_t	task;
	bool		parent;
};

static int cr_tree_tid_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct cr_tree_tid *)a)->tid;
	uint32_t y = ((const struct cr_tree_tid *)b)->tid;

	return (x > y) - (x < y);
}

/*
 * Each child's parent thread (parent_tid, 0: the leader) is a thread of
 * its parent other than its leader, and a process has at most
 * CR_TREE_MAX_MAKERS such threads (a restore makes each on a stack of
 * its own, restore-tree.c).  After cr_tree_ids(): every ppid is known.
 */
static int cr_tree_parent_threads(const struct cr_model *m, struct cr_err *e)
{
	struct cr_tree_tid *tids = NULL, key, *f;
	uint32_t *nr = NULL, n = 0;
	int ret = 0;

	for (uint32_t i = 1; i < m->nr_tasks && !n; i++)
		n = m->tasks[i].t.parent_tid;
	if (!n)
		return 0;	/* no child of a thread: the common case */
	n = 0;
	for (uint32_t i = 0; i < m->nr_tasks; i++)
		n += m->tasks[i].nr_threads ? m->tasks[i].nr_threads - 1 : 0;
	tids = calloc(n + 1, sizeof(*tids));
	nr = calloc(m->nr_tasks, sizeof(*nr));
	if (!tids || !nr) {
		ret = cr_fail(e, ENOMEM, "out of memory");
		goto out;
	}
	n = 0;
	for (uint32_t i = 0; i < m->nr_tasks; i++)
		for (uint32_t j = 1; j < m->tasks[i].nr_threads; j++)
			tids[n++] = (struct cr_tree_tid){
				m->tasks[i].threads[j].t.tid, i, false };
	qsort(tids, n, sizeof(*tids), cr_tree_tid_cmp);
	for (uint32_t i = 1; !ret && i < m->nr_tasks; i++) {
		const struct crfs_task *k = &m->tasks[i].t;
		const struct cr_task *p;

		if (!k->parent_tid)
			continue;
		p = cr_tree_task(m, k->ppid);
		key.tid = k->parent_tid;
		f = bsearch(&key, tids, n, sizeof(*tids), cr_tree_tid_cmp);
		if (!p || !f || f->task != (uint32_t)(p - m->tasks))
			ret = cr_fail(e, EBADMSG, "pid %u: parent thread %u is "
				      "not a thread of its parent %u other "
				      "than its leader", k->pid, k->parent_tid,
				      k->ppid);
		else if (!f->parent) {
			f->parent = true;
			if (++nr[f->task] > CR_TREE_MAX_MAKERS)
				ret = cr_fail(e, EOPNOTSUPP, "pid %u: more than "
					      "%u of its threads are parents "
					      "of processes: not supported",
					      k->ppid, CR_TREE_MAX_MAKERS);
		}
	}
out:
	free(nr);
	free(tids);
	return ret;
}

int cr_img_check_tree(const struct crfs_image_hdr *h,
		      const struct cr_model *m, struct cr_err *e)
{
	int ret = 0;

	if (!m->nr_tasks)
		return cr_fail(e, EBADMSG, "no process");
	if ((h->features & CRFS_FEAT_PIDNS) && m->tasks[0].t.pid != 1)
		return cr_fail(e, EBADMSG, "pid %u: the first process of a pid "
			       "namespace of its own is pid 1",
			       m->tasks[0].t.pid);
	if (m->tasks[0].t.state == CRFS_TASK_ZOMBIE)
		return cr_fail(e, EBADMSG, "pid %u: the root is a zombie",
			       m->tasks[0].t.pid);
	for (uint32_t i = 0; !ret && i < m->nr_tasks; i++) {
		const struct cr_task *t = &m->tasks[i];

		ret = cr_tree_ids(m, t, e);
		if (!ret)
			ret = t->t.state == CRFS_TASK_ZOMBIE ?
			      cr_tree_zombie(t, e) : cr_tree_own(t, e);
		if (!ret)
			ret = cr_tree_shared(m, t, e);
	}
	return ret ? ret : cr_tree_parent_threads(m, e);
}
