// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The process tree of a checkpoint: every process of the frozen cgroup,
 * and the zombies among their children (a zombie has left the cgroup:
 * cgroup.procs does not show it), with their parent, process group,
 * session and state, parents before their children.  A container has one
 * root, whose parent is outside (the restorer is its parent at restore);
 * any other process whose parent is outside, a child outside, a process
 * of another pid namespace is refused.
 *
 * What the processes share is found by kcmp(2) as an order (the kernel
 * orders its objects): the descriptions of their descriptors (one FILE,
 * one offset, res-files.c through cr_dump_file_shared()), and whole
 * objects: a descriptor table and an fs (dump-share.c), an address space
 * and signal actions, which a restore cannot share again yet
 * (cr_dump_tree_check()).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kcmp.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "dump.h"
#include "proc.h"

/* How long a freeze that was asked for may take. */
#define TREE_FREEZE_TIMEOUT_MS	5000

/* A process found, before it is put in order. */
struct tree_proc {
	pid_t			pid;
	pid_t			v[3];		/* pid, pgid, sid: innermost */
	int			depth;		/* of its pid namespace */
	bool			zombie;
	struct cr_proc_stat	st;
	int32_t			parent;		/* index, -1: outside */
	int32_t			child, next;	/* first child, sibling */
	pid_t			ptid;		/* its parent's thread that
						 * made it, 0: the leader */
};

static int tree_proc_cmp(const void *pa, const void *pb)
{
	const struct tree_proc *a = pa, *b = pb;

	return (a->pid > b->pid) - (a->pid < b->pid);
}

static int tree_pid_cmp(const void *pa, const void *pb)
{
	pid_t a = *(const pid_t *)pa, b = *(const pid_t *)pb;

	return (a > b) - (a < b);
}

/* The index of @pid in @p (sorted, @n), or -1. */
static int32_t tree_find(const struct tree_proc *p, uint32_t n, pid_t pid)
{
	struct tree_proc key = { .pid = pid };
	const struct tree_proc *f = bsearch(&key, p, n, sizeof(*p),
					    tree_proc_cmp);

	return f ? (int32_t)(f - p) : -1;
}

/*
 * Not frozen after the wait: a thread the freezer has not stopped (in an
 * uninterruptible wait in the kernel) is named.
 */
static int tree_not_frozen(struct cr_dump *d, struct cr_err *e)
{
	const char *ct = strrchr(d->cgdir, '/');
	char who[256];

	if (cr_cgroup_freezing(d->cgdir) != 1)
		return cr_fail(e, EBUSY, "%s: not frozen", d->cgdir);
	if (cr_cgroup_unfrozen(d->cgdir, who, sizeof(who)) <= 0)
		snprintf(who, sizeof(who), "a process");
	/* the container, by its name: its cgroup's */
	return cr_fail(e, EBUSY, "%s: not frozen after %d ms (state freezing): "
		       "%s, has not stopped", ct ? ct + 1 : d->cgdir,
		       TREE_FREEZE_TIMEOUT_MS, who);
}

/* The cgroup frozen (or freezing as asked), and its processes. */
static int tree_pids(struct cr_dump *d, pid_t **pids, struct cr_err *e)
{
	int frozen, n, ret;

	ret = cr_cgroup_events(d->cgdir, NULL, &frozen);
	if (ret)
		return cr_fail(e, -ret, "%s: cannot read cgroup.events: %s",
			       d->cgdir, strerror(-ret));
	/* Freezing, not frozen yet: the freeze was asked for, wait for it. */
	if (!frozen && cr_cgroup_freezing(d->cgdir) == 1 &&
	    !cr_cgroup_wait_frozen(d->cgdir, 1, TREE_FREEZE_TIMEOUT_MS))
		frozen = 1;
	if (!frozen)
		return tree_not_frozen(d, e);
	n = cr_cgroup_pids(d->cgdir, pids);
	if (n < 0)
		return cr_fail(e, -n, "%s: cannot read cgroup.procs: %s",
			       d->cgdir, strerror(-n));
	if (n == 0) {
		free(*pids);
		*pids = NULL;
		return cr_fail(e, EINVAL, "%s: container is empty", d->cgdir);
	}
	return n;
}

/*
 * The last (innermost) pid, process group and session of /proc/@pid/status
 * (NSpid, NSpgid, NSsid: one a level, 0 for one the level cannot see) into
 * @v, and how many levels deep its pid namespace is into *@depth.
 */
static int tree_nsids(pid_t pid, pid_t v[3], int *depth, struct cr_err *e)
{
	static const char *const keys[] = { "\nNSpid:", "\nNSpgid:",
					    "\nNSsid:" };
	char path[64], *buf;
	int ret = 0;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	buf = cr_read_file(path, NULL);
	if (!buf)
		return cr_fail(e, errno, "pid %d: cannot read %s: %m", pid,
			       path);
	for (int k = 0; !ret && k < 3; k++) {
		char *s = strstr(buf, keys[k]), *end;
		int n = 0;

		if (!s) {
			ret = cr_fail(e, EINVAL, "pid %d: %s has no%s", pid,
				      path, keys[k] + 1);
			break;
		}
		for (s += strlen(keys[k]); *s && *s != '\n'; s = end) {
			long x = strtol(s, &end, 10);

			if (end == s)
				break;
			v[k] = x;
			n++;
		}
		if (!k)
			*depth = n;
	}
	free(buf);
	return ret;
}

/* Append process @pid to *@p (*@n of them), its stat read. */
static int tree_add(struct tree_proc **p, uint32_t *n, pid_t pid,
		    bool zombie, const struct cr_proc_stat *st,
		    struct cr_err *e)
{
	if (cr_grow(p, *n, sizeof(**p)))
		return cr_fail(e, ENOMEM, "out of memory");
	(*p)[*n] = (struct tree_proc){ .pid = pid, .zombie = zombie,
				       .st = *st, .parent = -1, .child = -1,
				       .next = -1 };
	(*n)++;
	return tree_nsids(pid, (*p)[*n - 1].v, &(*p)[*n - 1].depth, e);
}

/*
 * The children of every thread of @pid: those in the cgroup are in @p
 * already (its first @nr_live); a zombie is added to @p; a live one
 * outside is refused: a process of the container depends on it.  A child
 * of a thread other than the leader keeps that thread (ptid): a restore
 * has the thread make it (restore-tree.c).
 */
static int tree_children(pid_t pid, struct tree_proc **p, uint32_t nr_live,
			 uint32_t *n, struct cr_err *e)
{
	char path[320], *buf, *s, *end;
	struct cr_proc_stat st;
	struct cr_err ignore;
	struct dirent *de;
	int ret = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return cr_fail(e, errno, "pid %d: cannot read %s: %m", pid,
			       path);
	while (!ret && (de = readdir(dir))) {
		pid_t tid = atoi(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/children", pid,
			 de->d_name);
		buf = cr_read_file(path, NULL);
		if (!buf) {
			ret = cr_fail(e, errno, "pid %d: cannot read %s: %m",
				      pid, path);
			break;
		}
		for (s = buf; !ret; s = end) {
			long c = strtol(s, &end, 10);
			pid_t ptid = tid == pid ? 0 : tid;
			int32_t k;

			if (end == s)
				break;
			k = tree_find(*p, nr_live, c);
			if (k >= 0) {
				(*p)[k].ptid = ptid;
				continue;
			}
			if (cr_proc_stat(c, &st, &ignore))
				continue;	/* reaped meanwhile: frozen? */
			if (st.state == 'Z') {
				ret = tree_add(p, n, c, true, &st, e);
				if (!ret)
					(*p)[*n - 1].ptid = ptid;
			} else
				ret = cr_fail(e, EOPNOTSUPP,
					      "pid %d: child process %ld is outside the container: a process of the container depends on it (move it in, or end it)",
					      pid, c);
		}
		free(buf);
	}
	closedir(dir);
	return ret;
}

/* The pid namespace of /proc/@pid (0: the caller), by device and inode. */
static int tree_ns_of(pid_t pid, struct stat *st, struct cr_err *e)
{
	char path[64];

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/pid");
	if (stat(path, st))
		return cr_fail(e, errno, "pid %d: cannot read %s: %m", pid,
			       path);
	return 0;
}

/* Is live process @pid in the pid namespace @ns (the container's)? */
static int tree_pidns(pid_t pid, const struct stat *ns, bool own,
		      struct cr_err *e)
{
	struct stat its;
	int ret = tree_ns_of(pid, &its, e);

	if (ret)
		return ret;
	if (its.st_ino != ns->st_ino || its.st_dev != ns->st_dev)
		return cr_fail(e, EOPNOTSUPP,
			       "pid %d: in a pid namespace other than %s: nested pid namespaces are not supported",
			       pid, own ? "the container's" : "the host's");
	return 0;
}

/* What the walk for outside processes in the container's namespace needs. */
struct tree_ns_walk {
	struct stat		ns;
	pid_t			found;
};

/* Is @q in the container's pid namespace? */
static int tree_ns_one(pid_t q, void *arg)
{
	struct tree_ns_walk *w = arg;
	struct stat st;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", q);
	if (!stat(path, &st) && st.st_ino == w->ns.st_ino &&
	    st.st_dev == w->ns.st_dev)
		w->found = q;
	return w->found != 0;
}

/*
 * A container with a pid namespace of its own: its root is pid 1 there,
 * every process of it is in it, and nothing else is (one walk of /proc).
 */
static int tree_own_ns(struct cr_dump *d, const struct tree_proc *p,
		       uint32_t n, int32_t root, struct cr_err *e)
{
	struct tree_ns_walk w = { .found = 0 };
	char comm[CRFS_COMM_LEN];
	int ret = 0;

	if (p[root].v[0] != 1)
		return cr_fail(e, EOPNOTSUPP,
			       "pid %d: in a pid namespace of its own as pid %d: its pid 1 is outside the container",
			       p[root].pid, p[root].v[0]);
	ret = tree_ns_of(p[root].pid, &w.ns, e);
	for (uint32_t i = 0; !ret && i < n; i++) {
		if (p[i].depth != p[root].depth)
			ret = cr_fail(e, EOPNOTSUPP,
				      "pid %d: in a pid namespace other than the container's: nested pid namespaces are not supported",
				      p[i].pid);
		else if (!p[i].zombie)
			ret = tree_pidns(p[i].pid, &w.ns, true, e);
	}
	if (ret)
		return ret;
	ret = cr_proc_each_outside(d->pids, n, tree_ns_one, &w);
	if (ret < 0)
		return cr_fail(e, -ret, "cannot read /proc: %s", strerror(-ret));
	if (!w.found)
		return 0;
	if (cr_proc_comm(w.found, comm, &(struct cr_err){ 0 }))
		snprintf(comm, sizeof(comm), "?");
	return cr_fail(e, EOPNOTSUPP,
		       "pid %d (%s): in the container's pid namespace (pid 1: %d), but outside the container: move it in, or end it",
		       w.found, comm, p[root].pid);
}

/* The ids of a zombie's credentials, from what its status still shows. */
static int tree_zombie_creds(struct cr_task *t, struct cr_err *e)
{
	char path[64], *buf, *s;
	unsigned int u[4], g[4];

	snprintf(path, sizeof(path), "/proc/%u/status", t->t.pid);
	buf = cr_read_file(path, NULL);
	if (!buf)
		return cr_fail(e, errno, "pid %u: cannot read %s: %m",
			       t->t.pid, path);
	s = strstr(buf, "\nUid:");
	if (!s || sscanf(s, "\nUid: %u %u %u %u", &u[0], &u[1], &u[2],
			 &u[3]) != 4 ||
	    !(s = strstr(buf, "\nGid:")) ||
	    sscanf(s, "\nGid: %u %u %u %u", &g[0], &g[1], &g[2], &g[3]) != 4) {
		free(buf);
		return cr_fail(e, EINVAL, "pid %u: unexpected %s", t->t.pid,
			       path);
	}
	t->creds = (struct crfs_creds){
		.pid = t->t.pid, .uid = u[0], .euid = u[1], .suid = u[2],
		.fsuid = u[3], .gid = g[0], .egid = g[1], .sgid = g[2],
		.fsgid = g[3],
	};
	s = strstr(buf, "\nGroups:");
	for (s = s ? s + 8 : NULL; s && *s && *s != '\n';) {
		char *end;
		unsigned long v = strtoul(s, &end, 10);

		if (end == s)
			break;
		if (cr_grow(&t->groups, t->creds.ngroups, sizeof(*t->groups))) {
			free(buf);
			return cr_fail(e, ENOMEM, "out of memory");
		}
		t->groups[t->creds.ngroups++] = v;
		s = end;
	}
	free(buf);
	t->have_creds = true;
	return 0;
}

/*
 * Process @i's group and session: one of the container's processes, or
 * the root's (which the restore makes anew), or one whose leader has
 * exited (made again by a helper of its pid); not one led by a process
 * outside, nor one the container's pid namespace cannot see.
 */
static int tree_ids_check(const struct tree_proc *p, uint32_t n,
			  uint32_t root, uint32_t i, struct cr_err *e)
{
	static const char *const what[] = { "process group", "session" };
	const struct tree_proc *t = &p[i];
	pid_t ids[2] = { t->st.pgid, t->st.sid };
	pid_t rids[2] = { p[root].st.pgid, p[root].st.sid };
	struct cr_proc_stat lead;
	struct cr_err ignore;
	char comm[CRFS_COMM_LEN];

	if (i == root)
		return 0;
	for (int k = 0; k < 2; k++) {
		if (ids[k] == rids[k] || tree_find(p, n, ids[k]) >= 0)
			continue;
		if (!t->v[k + 1])
			return cr_fail(e, EOPNOTSUPP, "pid %d: its %s %d is "
				       "outside the container's pid namespace",
				       t->pid, what[k], ids[k]);
		if (cr_proc_stat(ids[k], &lead, &ignore) ||
		    (k ? lead.sid : lead.pgid) != ids[k])
			continue;	/* its leader has exited */
		if (cr_proc_comm(ids[k], comm, &ignore))
			snprintf(comm, sizeof(comm), "?");
		return cr_fail(e, EOPNOTSUPP, "pid %d: its %s %d is led by pid "
			       "%d (%s), outside the container: move it in, "
			       "or start the container in a %s of its own",
			       t->pid, what[k], ids[k], ids[k], comm, what[k]);
	}
	return 0;
}

/* The model of process @p, in the tree's order at @i. */
static int tree_task(struct cr_dump *d, uint32_t i, const struct tree_proc *p,
		     const struct tree_proc *all, struct cr_err *e)
{
	struct cr_dtask *dt = &d->tasks[i];
	struct crfs_task *k;

	dt->pid = p->pid;
	dt->vpid = p->v[0];
	dt->vpgid = p->v[1];
	dt->vsid = p->v[2];
	dt->zombie = p->zombie;
	dt->tty_nr = p->st.tty_nr;
	dt->tpgid = p->st.tpgid;
	dt->t = &d->m.tasks[i];
	k = &dt->t->t;
	k->pid = p->pid;
	k->ppid = p->parent < 0 ? 0 : (uint32_t)all[p->parent].pid;
	k->parent_tid = p->parent < 0 ? 0 : (uint32_t)p->ptid;
	k->pgid = p->st.pgid;
	k->sid = p->st.sid;
	k->exit_signal = p->st.exit_signal;
	if (!p->zombie)
		return 0;
	k->state = CRFS_TASK_ZOMBIE;
	k->exit_code = p->st.exit_code;
	if (cr_proc_comm(p->pid, k->comm, e))
		return -e->err;
	return tree_zombie_creds(dt->t, e);
}

/*
 * The order of the tree, parents before children, from the root: each
 * process's children after it, in the order of their pids.
 */
static int tree_order(struct cr_dump *d, struct tree_proc *p, uint32_t n,
		      int32_t root, struct cr_err *e)
{
	int32_t *queue = malloc(n * sizeof(*queue));
	uint32_t head = 0, tail = 0;
	int ret = 0, err = 0;

	d->tasks = calloc(n, sizeof(*d->tasks));
	d->pids = malloc(n * sizeof(*d->pids));
	d->vpids = malloc(n * sizeof(*d->vpids));
	if (!queue || !d->tasks || !d->pids || !d->vpids) {
		free(queue);
		return cr_fail(e, ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < n; i++)
		if (!cr_model_new_task(&d->m, &err)) {
			free(queue);
			return cr_fail(e, ENOMEM, "out of memory");
		}
	/* Children linked in reverse pid order, so each list ascends. */
	for (int32_t i = (int32_t)n - 1; i >= 0; i--)
		if (p[i].parent >= 0) {
			p[i].next = p[p[i].parent].child;
			p[p[i].parent].child = i;
		}
	queue[tail++] = root;
	while (head < tail) {
		int32_t i = queue[head++];

		for (int32_t c = p[i].child; c >= 0; c = p[c].next)
			queue[tail++] = c;
	}
	d->nr_tasks = tail;
	for (uint32_t i = 0; !ret && i < tail; i++)
		ret = tree_task(d, i, &p[queue[i]], p, e);
	for (uint32_t i = 0; i < n; i++) {
		d->pids[i] = p[i].pid;	/* sorted: @p is */
		d->vpids[i] = p[i].v[0];
	}
	free(queue);
	return ret;
}

/*
 * In the caller's pid namespace, every process; or a pid namespace of
 * its own, one level or more below (the restore makes it one level below
 * the restorer's: the container sees the same).
 */
static int tree_mode(struct cr_dump *d, const struct tree_proc *p,
		     uint32_t n, int32_t root, struct cr_err *e)
{
	pid_t mine[3];
	struct stat ns;
	int depth, ret;

	ret = tree_nsids(0, mine, &depth, e);
	if (!ret && p[root].depth > depth) {
		d->pidns = true;
		return tree_own_ns(d, p, n, root, e);
	}
	if (!ret)
		ret = tree_ns_of(0, &ns, e);
	for (uint32_t i = 0; !ret && i < n; i++)
		if (!p[i].zombie)
			ret = tree_pidns(p[i].pid, &ns, false, e);
	return ret;
}

int cr_dump_tree(struct cr_dump *d, struct cr_err *e)
{
	struct tree_proc *p = NULL;
	uint32_t n = 0, nr_live;
	int32_t root = -1;
	pid_t *pids = NULL;
	int nr, ret = 0;

	nr = tree_pids(d, &pids, e);
	if (nr < 0)
		return nr;
	qsort(pids, nr, sizeof(*pids), tree_pid_cmp);
	for (int i = 0; !ret && i < nr; i++) {
		struct cr_proc_stat st;

		ret = cr_proc_stat(pids[i], &st, e);
		if (!ret)
			ret = tree_add(&p, &n, pids[i], false, &st, e);
	}
	nr_live = n;
	for (uint32_t i = 0; !ret && i < nr_live; i++)
		ret = tree_children(p[i].pid, &p, nr_live, &n, e);
	if (ret)
		goto out;
	qsort(p, n, sizeof(*p), tree_proc_cmp);
	for (uint32_t i = 0; !ret && i < n; i++) {
		p[i].parent = tree_find(p, n, p[i].st.ppid);
		if (p[i].parent >= 0)
			continue;
		if (root < 0) {
			root = i;
			continue;
		}
		ret = cr_fail(e, EOPNOTSUPP,
			      "pid %d: its parent %d is outside the container, as pid %d's (%d) is: a container has one root process",
			      p[i].pid, p[i].st.ppid, p[root].pid,
			      p[root].st.ppid);
	}
	if (!ret && root < 0)
		ret = cr_fail(e, EINVAL, "%s: no process whose parent is outside",
			      d->cgdir);
	for (uint32_t i = 0; !ret && root >= 0 && i < n; i++)
		ret = tree_ids_check(p, n, (uint32_t)root, i, e);
	if (!ret && p[root].zombie)
		ret = cr_fail(e, EOPNOTSUPP, "pid %d: the container's root is a zombie",
			      p[root].pid);
	if (!ret)
		ret = tree_order(d, p, n, root, e);
	if (!ret)
		ret = tree_mode(d, p, n, root, e);
out:
	free(pids);
	free(p);
	return ret;
}

/*
 * What kcmp compares of whole processes that a restore cannot share again,
 * and what to call it (a descriptor table and an fs it can: dump-share.c).
 */
static const struct {
	int		type;
	const char	*what;
} tree_kcmp[] = {
	{ KCMP_VM,	"their address space (clone(CLONE_VM), vfork())" },
	{ KCMP_SIGHAND,	"their signal actions (clone(CLONE_SIGHAND))" },
};

/* The kind kcmp compares, and its first error. */
struct tree_kcmp_ctx {
	int	type;
	int	err;
};

/* kcmp(@type) of two processes as an order. */
static int tree_kcmp_cmp(const void *pa, const void *pb, void *arg)
{
	pid_t a = *(const pid_t *)pa, b = *(const pid_t *)pb;
	struct tree_kcmp_ctx *k = arg;
	long r = syscall(SYS_kcmp, a, b, k->type, 0, 0);

	if (r < 0 && !k->err)
		k->err = errno;
	return r == 1 ? -1 : r == 2 ? 1 : 0;
}

int cr_dump_tree_check(struct cr_dump *d, struct cr_err *e)
{
	pid_t *live = malloc((d->nr_tasks + 1) * sizeof(*live));
	uint32_t n = 0;
	/* After the rows, whose refusal of a terminal descriptor says more. */
	int ret = cr_tty_tree_check(d, e);

	if (ret) {
		free(live);
		return ret;
	}
	if (!live)
		return cr_fail(e, ENOMEM, "out of memory");
	for (uint32_t i = 0; i < d->nr_tasks; i++)
		if (!d->tasks[i].zombie)
			live[n++] = d->tasks[i].pid;
	for (size_t k = 0; !ret && n > 1 &&
	     k < sizeof(tree_kcmp) / sizeof(tree_kcmp[0]); k++) {
		struct tree_kcmp_ctx c = { tree_kcmp[k].type, 0 };

		qsort_r(live, n, sizeof(*live), tree_kcmp_cmp, &c);
		for (uint32_t i = 1; !ret && !c.err && i < n; i++)
			if (!syscall(SYS_kcmp, live[i - 1], live[i], c.type,
				     0, 0))
				ret = cr_fail(e, EOPNOTSUPP,
					      "pid %d and pid %d share %s: processes sharing it are not supported yet",
					      live[i - 1], live[i],
					      tree_kcmp[k].what);
		if (!ret && c.err)
			ret = cr_fail(e, c.err, "pid %d: kcmp: %s", live[0],
				      strerror(c.err));
	}
	free(live);
	return ret;
}

/* The bucket of (@dev, @ino) in @k. */
static uint32_t tree_fkey_hash(const struct cr_dump_fkeys *k, uint64_t dev,
			       uint64_t ino)
{
	return (uint32_t)(((ino ^ (dev << 20)) * 0x9e3779b97f4a7c15ULL) >>
			  32) & (k->size - 1);
}

/* Same description key as @f? */
static bool tree_fkey_same(const struct cr_dump_fkey *k,
			   const struct cr_file *f)
{
	return k->dev == f->f.dev && k->ino == f->f.ino &&
	       k->pos == f->f.pos && k->flags == f->f.flags;
}

/* The key of @f in @k, or NULL. */
static struct cr_dump_fkey *tree_fkey_find(const struct cr_dump_fkeys *k,
					   const struct cr_file *f)
{
	if (!k->size)
		return NULL;
	for (int32_t i = k->head[tree_fkey_hash(k, f->f.dev, f->f.ino)];
	     i >= 0; i = k->ent[i].next)
		if (tree_fkey_same(&k->ent[i], f))
			return &k->ent[i];
	return NULL;
}

/*
 * Descriptor @fd of @pid among the descriptions of @x by bisection in
 * kcmp's order: its index if one is it, else -1 and *@at where it goes.
 * A kcmp() that fails (a process gone) makes @x unordered: each looked at.
 */
static int32_t tree_fdesc_find(struct cr_dump_fkey *x, pid_t pid, int fd,
			       uint32_t *at)
{
	uint32_t lo = 0, hi = x->nr;

	while (!x->unordered && lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		long r = syscall(SYS_kcmp, x->v[mid].pid, pid, KCMP_FILE,
				 x->v[mid].fd, fd);

		if (r == 0)
			return (int32_t)mid;
		if (r == 1)
			lo = mid + 1;
		else if (r == 2)
			hi = mid;
		else
			x->unordered = true;
	}
	*at = x->unordered ? x->nr : lo;
	for (uint32_t i = 0; x->unordered && i < x->nr; i++)
		if (!syscall(SYS_kcmp, x->v[i].pid, pid, KCMP_FILE,
			     x->v[i].fd, fd))
			return (int32_t)i;
	return -1;
}

uint32_t cr_dump_file_shared(struct cr_dump *d, pid_t pid, int fd,
			     const struct cr_file *f)
{
	struct cr_dump_fkeys *k = &d->fkeys;
	struct cr_dump_fkey *x;
	uint32_t at;
	int32_t i;

	k->miss_key = -1;
	if (f->why || !f->f.kind)
		return 0;
	x = tree_fkey_find(k, f);
	if (!x)
		return 0;
	i = tree_fdesc_find(x, pid, fd, &at);
	if (i >= 0)
		return x->v[i].file_id;
	/* Kept for cr_dump_file_note(), which comes next. */
	k->miss_pid = pid;
	k->miss_fd = fd;
	k->miss_key = (int32_t)(x - k->ent);
	k->miss_at = at;
	return 0;
}

/* Twice the buckets, every key put again. */
static int tree_fkeys_grow(struct cr_dump_fkeys *k)
{
	uint32_t size = k->size ? 2 * k->size : 256;
	int32_t *head = malloc(size * sizeof(*head));

	if (!head)
		return -ENOMEM;
	free(k->head);
	k->head = head;
	k->size = size;
	for (uint32_t i = 0; i < size; i++)
		head[i] = -1;
	for (uint32_t i = 0; i < k->nr; i++) {
		uint32_t h = tree_fkey_hash(k, k->ent[i].dev, k->ent[i].ino);

		k->ent[i].next = head[h];
		head[h] = i;
	}
	return 0;
}

/* The key of @f in @k, made if new; NULL: out of memory. */
static struct cr_dump_fkey *tree_fkey_get(struct cr_dump_fkeys *k,
					  const struct cr_file *f)
{
	struct cr_dump_fkey *x = tree_fkey_find(k, f);
	uint32_t h;

	if (x)
		return x;
	if ((k->nr + 1 > k->size && tree_fkeys_grow(k)) ||
	    cr_grow(&k->ent, k->nr, sizeof(*k->ent)))
		return NULL;
	h = tree_fkey_hash(k, f->f.dev, f->f.ino);
	x = &k->ent[k->nr];
	*x = (struct cr_dump_fkey){
		.dev = f->f.dev, .ino = f->f.ino, .pos = f->f.pos,
		.flags = f->f.flags, .next = k->head[h],
	};
	k->head[h] = k->nr++;
	return x;
}

int cr_dump_file_note(struct cr_dump *d, pid_t pid, int fd,
		      const struct cr_file *f, uint32_t id, struct cr_err *e)
{
	struct cr_dump_fkey *x;
	uint32_t at = 0;

	/* One process: nobody to share with. */
	if (d->nr_tasks < 2 || f->why || !f->f.kind)
		return 0;
	x = tree_fkey_get(&d->fkeys, f);
	if (!x || cr_grow(&x->v, x->nr, sizeof(*x->v)))
		return cr_fail(e, ENOMEM, "out of memory");
	/* A new description: where it goes in kcmp's order. */
	if (d->fkeys.miss_key == (int32_t)(x - d->fkeys.ent) &&
	    d->fkeys.miss_pid == pid && d->fkeys.miss_fd == fd)
		at = d->fkeys.miss_at;
	else if (tree_fdesc_find(x, pid, fd, &at) >= 0)
		return 0;
	d->fkeys.miss_key = -1;
	memmove(&x->v[at + 1], &x->v[at], (x->nr - at) * sizeof(*x->v));
	x->v[at] = (struct cr_dump_fdesc){ pid, fd, id };
	x->nr++;
	return 0;
}

void cr_dump_tree_free(struct cr_dump *d)
{
	for (uint32_t i = 0; i < d->fkeys.nr; i++)
		free(d->fkeys.ent[i].v);
	free(d->fkeys.ent);
	free(d->fkeys.head);
	free(d->pids);
	free(d->vpids);
	cr_shmem_ix_free(&d->shmem_ix);
}

pid_t cr_dump_tree_view(const struct cr_dump *d, pid_t host)
{
	for (uint32_t lo = 0, hi = d->nr_tasks; lo < hi;) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (d->pids[mid] < host)
			lo = mid + 1;
		else if (d->pids[mid] > host)
			hi = mid;
		else
			return d->vpids[mid];
	}
	return 0;
}

/*
 * The view of thread @tid of @dt: its leader's, or the last NSpid of
 * /proc/PID/task/TID/status (the process is seized: the thread stays).
 */
static int tree_view_tid(const struct cr_dtask *dt, uint32_t *tid,
			 struct cr_err *e)
{
	long v;

	if (!*tid)
		return 0;
	if (*tid == (uint32_t)dt->pid) {
		*tid = dt->vpid;
		return 0;
	}
	v = cr_proc_task_vpid(dt->pid, *tid);
	if (!v)
		return cr_fail(e, ESRCH, "pid %d: thread %u: cannot read its tid in the container's pid namespace (/proc/%d/task/%u/status)",
			       dt->pid, *tid, dt->pid, *tid);
	*tid = v;
	return 0;
}

/* Every pid of @dt's process and of what it owns, as the container sees. */
static int tree_view_task(struct cr_dump *d, struct cr_dtask *dt,
			  struct cr_err *e)
{
	struct cr_task *t = dt->t;
	struct crfs_task *k = &t->t;
	int ret = 0;

	/* The first process of each object (cr_model_resolve()) too. */
	if (t->mm && t->mm->pid == (uint32_t)dt->pid)
		t->mm->pid = dt->vpid;
	if (t->fdt && t->fdt->pid == (uint32_t)dt->pid)
		t->fdt->pid = dt->vpid;
	if (t->fs && t->fs->pid == (uint32_t)dt->pid)
		t->fs->pid = dt->vpid;
	if (t->sighand && t->sighand->pid == (uint32_t)dt->pid)
		t->sighand->pid = dt->vpid;
	k->pid = dt->vpid;
	/* Its parent thread, by the parent's /proc (pids still the host's). */
	for (uint32_t i = 0; !ret && k->parent_tid && i < d->nr_tasks; i++)
		if (d->tasks[i].pid == (pid_t)k->ppid)
			ret = tree_view_tid(&d->tasks[i], &k->parent_tid, e);
	k->ppid = k->ppid ? (uint32_t)cr_dump_tree_view(d, k->ppid) : 0;
	k->pgid = dt->vpgid;
	k->sid = dt->vsid;
	t->creds.pid = dt->vpid;
	for (uint32_t i = 0; !ret && i < t->nr_threads; i++) {
		struct cr_thread *th = &t->threads[i];

		th->t.pid = dt->vpid;
		ret = tree_view_tid(dt, &th->t.tid, e);
		for (uint32_t j = 0; !ret && j < th->nr_seccomp; j++)
			ret = tree_view_tid(dt, &th->seccomp[j].s.tid, e);
		for (uint32_t j = 0; !ret && j < th->pending.nr; j++)
			ret = tree_view_tid(dt, &th->pending.sig[j].tid, e);
	}
	for (uint32_t i = 0; !ret && i < t->nr_timers; i++) {
		t->timers[i].pid = dt->vpid;
		ret = tree_view_tid(dt, &t->timers[i].notify_tid, e);
	}
	/* A signal owner is the process itself (res-fown.c). */
	for (uint32_t i = 0; !ret && t->fdt && i < t->fdt->nr_fds; i++) {
		struct cr_file *f = t->fdt->fds[i].file;

		if (f && f->f.owner_type && f->f.owner_pid == (uint32_t)dt->pid)
			f->f.owner_pid = dt->vpid;
	}
	return ret;
}

int cr_dump_tree_views(struct cr_dump *d, struct cr_err *e)
{
	int ret = 0;
	if (!d->pidns)
		return 0;
	uint32_t dup;

	for (uint32_t i = 0; !ret && i < d->nr_tasks; i++)
		ret = tree_view_task(d, &d->tasks[i], e);
	/* SO_PEERCRED of unix sockets: a container process (res-unix.c). */
	for (uint32_t i = 0; !ret && i < d->m.nr_files; i++) {
		struct cr_file *f = &d->m.files[i];
		struct crfs_file_unix *u = f->ubuf;
		pid_t v;

		if (f->f.kind != CRFS_FILE_UNIX || !u || u->cred_pid <= 0)
			continue;
		v = cr_dump_tree_view(d, u->cred_pid);
		if (!v)
			ret = cr_fail(e, ESRCH, "%s: SO_PEERCRED names pid %d, "
				      "not a process of the container", f->path,
				      u->cred_pid);
		u->cred_pid = v;
	}
	/* The processes by their new pids. */
	if (!ret && cr_model_index(&d->m, CR_K_TASK, &dup))
		ret = cr_fail(e, ENOMEM, "out of memory");
	return ret;
}
