// SPDX-License-Identifier: GPL-2.0
/*
 * What the container's fd tables hold, and what of it a process outside
 * shares.  Before any process is collected, every description in the
 * tables of the container's processes is found once, with the number of
 * its descriptors in all of them and one process and descriptor that
 * has it (crfs_ckpt_descs()), in a table sorted by pipe, then by
 * description: the ends of one pipe in two processes are one pipe
 * (ckpt-pipe.c looks a pipe up), and a pipe's counts are checked against
 * the container's, not one process's.
 *
 * Each process's descriptors are kept as read (c->procs[i].fds, the
 * files borrowed from this table) for its FDTABLE: the tables are read
 * once.
 *
 * Then every process outside the container is looked at
 * (crfs_ckpt_share()): an open description of a regular file or a
 * directory that one of them shares (one offset, as
 * "{ crctl run ...; other; } >>log" gives both) would come back parted
 * from it, each with an offset of its own: refused, naming both ends, as
 * crfs-fuse does (res-share.c).  Character devices carry no offset and
 * are opened again anyway; pipes are checked by their counts
 * (ckpt-pipe.c), and signal actions by theirs.
 *
 * An address space, fd table or fs (cwd, root, umask) of one of the
 * container's processes that a task outside shares (clone(CLONE_VM)
 * without CLONE_THREAD, CLONE_FILES, CLONE_FS) is refused naming that
 * task (crfs_ckpt_share_procs(), before the descriptions are read), as
 * crfs-fuse does.  Its count tells it first: only when one counts more
 * users than the process has threads are the tasks of the system walked.
 *
 * A table the count would miss or count twice (none, more than
 * CRFS_CKPT_MAX_FDS descriptors, shared with another process, a thread's
 * own) is refused here, naming its process, as crfs_ckpt_fdtable() and
 * crfs_ckpt_check_task() would.
 */
#include <linux/bsearch.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/pipe_fs_i.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "crfs.h"
#include "ckpt.h"

/* What to do about a description the program got from its starter. */
#define CRFS_SHARE_FD_HINT \
	"start it with descriptors of its own (</dev/null >log 2>&1), or close the descriptor"
#define CRFS_SHARE_HINT \
	"crfs restores the container's processes alone: end the other, or start the program without sharing it"

/* What a whole process shares, as crfs-fuse names it (res-share.c). */
enum crfs_share_kind { CRFS_SHARE_MM, CRFS_SHARE_FILES, CRFS_SHARE_FS, CRFS_SHARE_NR };

static const char *const crfs_share_what[CRFS_SHARE_NR] = {
	[CRFS_SHARE_MM]		= "its address space (clone(CLONE_VM) without CLONE_THREAD)",
	[CRFS_SHARE_FILES]	= "its descriptor table (clone(CLONE_FILES))",
	[CRFS_SHARE_FS]		= "its cwd, root and umask (clone(CLONE_FS))",
};

/* An object of a process of the container, to look up by its address. */
struct crfs_ckpt_obj {
	const void	*ptr;
	pid_t		pid;
	unsigned int	kind;
};

/* Note descriptor @fd of process @pid, of @file (one entry a descriptor). */
static int crfs_ckpt_desc_add(struct crfs_ckpt *c, struct file *file, pid_t pid,
			      unsigned int fd)
{
	struct crfs_ckpt_desc *n;
	unsigned int cap;

	if (c->nr_descs == c->cap_descs) {
		cap = max(2 * c->cap_descs, 64U);
		n = kvrealloc(c->descs, array_size(cap, sizeof(*n)), GFP_KERNEL);
		if (!n)
			return -ENOMEM;
		c->descs = n;
		c->cap_descs = cap;
	}
	c->descs[c->nr_descs++] = (struct crfs_ckpt_desc){
		.pipe = crfs_ckpt_pipe_of(file), .file = get_file(file),
		.nr_fds = 1, .pid = pid, .fd = fd };
	return 0;
}

/* Order (@pipe, @file) against entry @d: <0, 0 or >0. */
static int crfs_ckpt_desc_order(struct pipe_inode_info *pipe, struct file *file,
				const struct crfs_ckpt_desc *d)
{
	if (pipe != d->pipe)
		return (unsigned long)pipe < (unsigned long)d->pipe ? -1 : 1;
	if (file != d->file)
		return (unsigned long)file < (unsigned long)d->file ? -1 : 1;
	return 0;
}

static int crfs_ckpt_desc_cmp(const void *a, const void *b)
{
	const struct crfs_ckpt_desc *x = a;

	return crfs_ckpt_desc_order(x->pipe, x->file, b);
}

/* Sorted, each description once with its count of descriptors. */
static void crfs_ckpt_descs_sort(struct crfs_ckpt *c)
{
	struct crfs_ckpt_desc *d = c->descs;
	unsigned int i, k = 0;

	sort(d, c->nr_descs, sizeof(*d), crfs_ckpt_desc_cmp, NULL);
	for (i = 0; i < c->nr_descs; i++) {
		if (k && d[k - 1].file == d[i].file) {
			d[k - 1].nr_fds++;
			fput(d[i].file);
			continue;
		}
		d[k++] = d[i];
	}
	c->nr_descs = k;
}

/**
 * crfs_ckpt_desc_find - a description of the container's fd tables
 * @c: the checkpoint, crfs_ckpt_descs() done
 * @pipe: its pipe, or NULL
 * @file: the description; NULL: the first of @pipe's
 *
 * Callable under a spinlock.
 * Return: its entry, or NULL.
 */
const struct crfs_ckpt_desc *crfs_ckpt_desc_find(const struct crfs_ckpt *c,
						 struct pipe_inode_info *pipe,
						 struct file *file)
{
	unsigned int lo = 0, hi = c->nr_descs, mid;

	while (lo < hi) {	/* the first entry not below (pipe, file) */
		mid = lo + (hi - lo) / 2;
		if (crfs_ckpt_desc_order(pipe, file, &c->descs[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == c->nr_descs || c->descs[lo].pipe != pipe ||
	    (file && c->descs[lo].file != file))
		return NULL;
	return &c->descs[lo];
}

/*
 * The fd table of process @p, which its threads share (one of its own is
 * refused here as crfs_ckpt_thread_why() would: it would not be
 * counted), its descriptions noted.  Its threads are not collected yet:
 * they are looked at under RCU.
 */
static int crfs_ckpt_descs_of(struct crfs_ckpt *c, struct crfs_ckpt_proc *p)
{
	struct files_struct *files;
	struct crfs_ckpt_fds t;
	struct task_struct *th;
	bool own = false;
	pid_t tid = 0;
	unsigned int j;
	int ret;

	ret = crfs_ckpt_fds_check(c, p->pid, get_nr_threads(p->task),
				  crfs_ckpt_fds_get(p->task, &t), &t);
	if (!ret) {
		rcu_read_lock();
		for_each_thread(p->task, th) {
			task_lock(th);
			files = th->files;
			task_unlock(th);
			if (files && files != t.files) {
				own = true;
				tid = task_pid_nr_ns(th, c->pid_ns);
				break;
			}
		}
		rcu_read_unlock();
	}
	if (own)
		ret = crfs_ckpt_refuse(c, -EOPNOTSUPP,
				       "pid %d: thread %d: an fd table of its own (unshare(CLONE_FILES)): kernel: not yet",
				       p->pid, tid);
	for (j = 0; !ret && j < t.nr; j++)
		ret = crfs_ckpt_desc_add(c, t.fds[j].file, p->pid, t.fds[j].fd);
	if (!ret) {
		/* kept for crfs_ckpt_fdtable(), the files c->descs' */
		for (j = 0; j < t.nr; j++)
			fput(t.fds[j].file);
		p->fds = t.fds;
		p->nr_fds = t.nr;
		t.fds = NULL;
		t.nr = 0;
	}
	crfs_ckpt_fds_put(&t);
	return ret;
}

/**
 * crfs_ckpt_descs - every description the container's fd tables hold
 * @c: the checkpoint, its processes found (c->procs)
 *
 * Return: 0, a refusal with the reason in the error file, or -ENOMEM.
 */
int crfs_ckpt_descs(struct crfs_ckpt *c)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < c->nr_procs; i++) {
		ret = crfs_ckpt_descs_of(c, &c->procs[i]);
		cond_resched();
	}
	crfs_ckpt_descs_sort(c);
	return ret;
}

/**
 * crfs_ckpt_descs_free - drop what crfs_ckpt_descs() found
 * @c: the checkpoint
 */
void crfs_ckpt_descs_free(struct crfs_ckpt *c)
{
	unsigned int i;

	for (i = 0; i < c->nr_descs; i++)
		fput(c->descs[i].file);
	kvfree(c->descs);
	c->descs = NULL;
	c->nr_descs = 0;
	c->cap_descs = 0;
}

/* Is @t a thread of one of the container's processes? */
static bool crfs_ckpt_ours(const struct crfs_ckpt *c, struct task_struct *t)
{
	unsigned int i;

	for (i = 0; i < c->nr_procs; i++)
		if (same_thread_group(t, c->procs[i].task))
			return true;
	return false;
}

/* A task outside: what of the container's it shares, and where. */
struct crfs_ckpt_shared {
	const struct crfs_ckpt	*c;
	const struct crfs_ckpt_desc *d;	/* a description of the container's */
	struct crfs_ckpt_obj	*objs;	/* the processes' objects, sorted */
	unsigned int		nr_objs;
	const struct crfs_ckpt_obj *obj;	/* the one found */
};

/* iterate_fd() under the table's lock: is @file one of ours that matters? */
static int crfs_ckpt_shared_one(const void *p, struct file *file, unsigned int fd)
{
	struct crfs_ckpt_shared *s = (struct crfs_ckpt_shared *)p;
	umode_t mode = file_inode(file)->i_mode;

	if (!S_ISREG(mode) && !S_ISDIR(mode))
		return 0;
	s->d = crfs_ckpt_desc_find(s->c, NULL, file);
	return s->d ? fd + 1 : 0;
}

/* One task outside: the fd number + 1 of a description it shares, or 0. */
static int crfs_ckpt_share_fds(struct crfs_ckpt_shared *s, struct task_struct *t)
{
	struct files_struct *files;
	int fd = 0;

	task_lock(t);
	files = t->files;
	if (files && (t == t->group_leader || files != t->group_leader->files))
		fd = iterate_fd(files, 0, crfs_ckpt_shared_one, s);
	task_unlock(t);
	return fd;
}

/*
 * @t's address space, fd table and fs, only to compare, by kind: true
 * when one has more users than @nr_threads (another task).
 */
static bool crfs_ckpt_objs_of(struct task_struct *t, const void *o[CRFS_SHARE_NR],
			      unsigned int nr_threads)
{
	bool more;

	/* exit_mm(), exit_files() and exit_fs() let go under it */
	task_lock(t);
	o[CRFS_SHARE_MM] = t->mm;
	o[CRFS_SHARE_FILES] = t->files;
	o[CRFS_SHARE_FS] = t->fs;
	more = (t->mm && atomic_read(&t->mm->mm_users) > nr_threads) ||
	       (t->files && atomic_read(&t->files->count) > nr_threads) ||
	       (t->fs && t->fs->users > nr_threads);
	task_unlock(t);
	return more;
}

static int crfs_ckpt_obj_cmp(const void *a, const void *b)
{
	const struct crfs_ckpt_obj *x = a, *y = b;

	if (x->ptr != y->ptr)
		return (unsigned long)x->ptr < (unsigned long)y->ptr ? -1 : 1;
	return 0;
}

/* One task outside: 1 when it shares an object of the container's. */
static int crfs_ckpt_share_objs(struct crfs_ckpt_shared *s, struct task_struct *t)
{
	const void *o[CRFS_SHARE_NR];
	struct crfs_ckpt_obj key;
	unsigned int k;

	crfs_ckpt_objs_of(t, o, 0);
	for (k = 0; k < CRFS_SHARE_NR; k++) {
		if (!o[k])
			continue;
		key.ptr = o[k];
		s->obj = bsearch(&key, s->objs, s->nr_objs, sizeof(key),
				 crfs_ckpt_obj_cmp);
		if (s->obj)
			return 1;
	}
	return 0;
}

/*
 * Every task of the system outside the container, in pid order, until
 * @one finds something (> 0): the one found under RCU, referenced, looked
 * at, and the next looked up from its pid, so that no lock is held long.
 * Return: that task, referenced; NULL: none; or ERR_PTR(-EINTR).
 */
static struct task_struct *
crfs_ckpt_outside(struct crfs_ckpt_shared *s,
		  int (*one)(struct crfs_ckpt_shared *s, struct task_struct *t),
		  int *found)
{
	struct task_struct *t;
	struct pid *pid;
	int nr = 1;

	for (;;) {
		rcu_read_lock();
		pid = find_ge_pid(nr, &init_pid_ns);
		t = pid ? pid_task(pid, PIDTYPE_PID) : NULL;
		if (pid)
			nr = pid_nr(pid) + 1;
		if (t)
			get_task_struct(t);
		rcu_read_unlock();
		if (!pid)
			return NULL;
		if (t && !crfs_ckpt_ours(s->c, t)) {
			*found = one(s, t);
			if (*found)
				return t;
		}
		if (t)
			put_task_struct(t);
		if (fatal_signal_pending(current))
			return ERR_PTR(-EINTR);
		cond_resched();
	}
}

/**
 * crfs_ckpt_share_procs - refuse a process whose address space, fd table
 * or fs a task outside shares
 * @c: the checkpoint, its processes found (c->procs)
 *
 * Return: 0, a refusal naming both with the reason in the error file,
 * -ENOMEM or -EINTR.
 */
int crfs_ckpt_share_procs(struct crfs_ckpt *c)
{
	struct crfs_ckpt_shared s = { .c = c };
	char comm[TASK_COMM_LEN];
	const void *o[CRFS_SHARE_NR];
	struct task_struct *t;
	unsigned int i, k;
	bool more = false;
	int found = 0;

	s.objs = kvmalloc_array(c->nr_procs, CRFS_SHARE_NR * sizeof(*s.objs),
				GFP_KERNEL);
	if (!s.objs)
		return -ENOMEM;
	for (i = 0; i < c->nr_procs; i++) {
		more |= crfs_ckpt_objs_of(c->procs[i].task, o,
					  get_nr_threads(c->procs[i].task));
		for (k = 0; k < CRFS_SHARE_NR; k++)
			if (o[k])
				s.objs[s.nr_objs++] = (struct crfs_ckpt_obj){
					o[k], c->procs[i].pid, k };
	}
	t = NULL;
	if (more) {	/* else no task outside shares any */
		sort(s.objs, s.nr_objs, sizeof(*s.objs), crfs_ckpt_obj_cmp, NULL);
		t = crfs_ckpt_outside(&s, crfs_ckpt_share_objs, &found);
	}
	if (IS_ERR_OR_NULL(t)) {
		kvfree(s.objs);
		return PTR_ERR_OR_ZERO(t);
	}
	__get_task_comm(comm, sizeof(comm), t);
	found = crfs_ckpt_refuse(c, -EOPNOTSUPP,
				 "pid %d: process: %s is shared with pid %d (%s), outside the container: a restore would part them: %s",
				 s.obj->pid, crfs_share_what[s.obj->kind],
				 task_tgid_nr_ns(t, task_active_pid_ns(current)), comm,
				 CRFS_SHARE_HINT);
	put_task_struct(t);
	kvfree(s.objs);
	return found;
}

/**
 * crfs_ckpt_share - refuse a description a process outside shares
 * @c: the checkpoint, crfs_ckpt_descs() done
 *
 * Return: 0, a refusal naming both ends with the reason in the error
 * file, or -EINTR.
 */
int crfs_ckpt_share(struct crfs_ckpt *c)
{
	struct crfs_ckpt_shared s = { .c = c };
	char comm[TASK_COMM_LEN];
	struct task_struct *t;
	const char *path;
	int fd = 0, nr;

	if (!c->nr_descs || c->descs[0].pipe)	/* nothing but pipes */
		return 0;
	t = crfs_ckpt_outside(&s, crfs_ckpt_share_fds, &fd);
	if (IS_ERR_OR_NULL(t))
		return PTR_ERR_OR_ZERO(t);
	__get_task_comm(comm, sizeof(comm), t);
	nr = task_tgid_nr_ns(t, task_active_pid_ns(current));	/* the opener's */
	put_task_struct(t);
	path = d_path(&s.d->file->f_path, c->path_buf, PATH_MAX);
	return crfs_ckpt_refuse(c, -EOPNOTSUPP,
				"pid %d: fd %u: %s: its open file description (one offset) is shared with fd %d of pid %d (%s), outside the container: a restore would part them: %s",
				s.d->pid, s.d->fd, IS_ERR(path) ? "?" : path, fd - 1, nr,
				comm, CRFS_SHARE_FD_HINT);
}
