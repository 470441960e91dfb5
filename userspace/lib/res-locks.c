// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "locks": the file locks a process holds, each on the
 * description (FILE) it was taken on.  POSIX record locks (fcntl
 * F_SETLK) belong to the fd table, OFD locks (F_OFD_SETLK) and flock()
 * locks to the description; read or write, a byte range or "to the end".
 *
 * Checkpoint: /proc/PID/fdinfo/N shows, in the format of /proc/locks, the
 * locks taken on that description that it or the process's fd table owns;
 * it is read again only for a description whose fdinfo, as the files row
 * read it, has "lock:" lines (cr_file.locked), once per description, not
 * per descriptor.  What it shows and a restore cannot take again is
 * refused: a lease, a mandatory lock, a lock on a device.  A lock
 * /proc/locks gives to the process that no description of it shows (a
 * flock() on a description only a mapping keeps) is refused too: that
 * read waits for an RCU grace period, so it is started in a thread right
 * after the freeze and its result looked at after the seize, just
 * before the stream (cr_lk_cross_check()).  A lock the process waits for
 * is none it holds: its F_SETLKW or flock() call is restarted after the
 * restore.
 *
 * Restore: after the memory, in the late phase, the restored process
 * takes each lock again itself (injected fcntl() and flock(), never a
 * wait) on the descriptor of its description.  Not before: closing any
 * descriptor of a file drops the POSIX locks of the process on it, and
 * the memory restore closes the descriptors of the mapped files it
 * opened.  Nothing closes a descriptor after the late phase.  A lock
 * someone else took meanwhile makes the restore fail, naming the holder.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "dump.h"
#include "restore.h"

#ifndef F_OFD_SETLK
#define F_OFD_SETLK	37
#endif
#define CR_LK_EOF	UINT64_MAX	/* end of a lock "to the end" */

/* One line of /proc/locks, or the part of an fdinfo "lock:" line after it. */
struct cr_lk_line {
	char		kind[16];	/* POSIX, OFDLCK, FLOCK, LEASE, ... */
	char		mode[16];	/* ADVISORY, MANDATORY; a lease's state */
	char		type[16];	/* READ, WRITE, UNLCK */
	int		pid;		/* -1 for an OFD lock */
	unsigned int	maj, min;
	uint64_t	ino;
	uint64_t	start, end;	/* inclusive; CR_LK_EOF */
	bool		waiter;		/* "->": waits, holds nothing */
};

/* The kinds of lock a restore takes again, as /proc names them. */
static const struct {
	const char	*name;
	uint32_t	kind;
} cr_lk_kinds[] = {
	{ "POSIX", CRFS_LOCK_POSIX },
	{ "OFDLCK", CRFS_LOCK_OFD },
	{ "FLOCK", CRFS_LOCK_FLOCK },
};

/* What each kind is called in a reason. */
static const char *const cr_lk_names[] = {
	[CRFS_LOCK_POSIX] = "POSIX", [CRFS_LOCK_OFD] = "OFD",
	[CRFS_LOCK_FLOCK] = "flock",
};

/* Parse "ID: [-> ]KIND MODE TYPE PID MAJ:MIN:INO START END|EOF". */
static int cr_lk_parse(const char *s, struct cr_lk_line *l)
{
	char end[24];

	memset(l, 0, sizeof(*l));
	s = strchr(s, ':');
	if (!s)
		return -1;
	s += strspn(s + 1, " \t") + 1;
	if (!strncmp(s, "->", 2)) {
		l->waiter = true;
		s += 2;
	}
	if (sscanf(s, "%15s %15s %15s %d %x:%x:%" SCNu64 " %" SCNu64 " %23s",
		   l->kind, l->mode, l->type, &l->pid, &l->maj, &l->min,
		   &l->ino, &l->start, end) != 9)
		return -1;
	if (!strcmp(end, "EOF"))
		l->end = CR_LK_EOF;
	else if (sscanf(end, "%" SCNu64, &l->end) != 1 || l->end < l->start)
		return -1;
	return 0;
}

/* CRFS_LOCK_* of a parsed line, or 0 for a kind a restore cannot take. */
static uint32_t cr_lk_kind(const struct cr_lk_line *l)
{
	for (size_t i = 0; i < sizeof(cr_lk_kinds) / sizeof(cr_lk_kinds[0]);
	     i++)
		if (!strcmp(l->kind, cr_lk_kinds[i].name))
			return cr_lk_kinds[i].kind;
	return 0;
}

/* Why the lock of @l cannot be taken again, or NULL; its kind in *@kind. */
static const char *cr_lk_why(const struct cr_lk_line *l, uint32_t *kind)
{
	*kind = cr_lk_kind(l);
	if (!strcmp(l->kind, "LEASE") || !strcmp(l->kind, "DELEG"))
		return "a lease (F_SETLEASE) is not restored";
	if (!*kind)
		return "a lock of this kind is not restored";
	if (strcmp(l->mode, "ADVISORY"))
		return "a mandatory lock is not restored";
	if (strcmp(l->type, "READ") && strcmp(l->type, "WRITE"))
		return "a lock of this type is not restored";
	return NULL;
}

/* Sorting lines: by inode, kind, type, range. */
static int cr_lk_cmp(const void *pa, const void *pb)
{
	const struct cr_lk_line *a = pa, *b = pb;
	int r;

	if (a->maj != b->maj)
		return a->maj < b->maj ? -1 : 1;
	if (a->min != b->min)
		return a->min < b->min ? -1 : 1;
	if (a->ino != b->ino)
		return a->ino < b->ino ? -1 : 1;
	r = strcmp(a->kind, b->kind);
	if (!r)
		r = strcmp(a->type, b->type);
	if (r)
		return r;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return (a->end > b->end) - (a->end < b->end);
}

/* Note the first refusal of @dt: pid, fd, its path, the line, why. */
static void cr_lk_refuse(struct cr_dtask *dt, int fd,
			 const struct cr_lk_line *l, const char *why)
{
	char name[32], *path = NULL;
	struct cr_err ignore;

	if (dt->refused_lock.err)
		return;
	snprintf(name, sizeof(name), "fd/%d", fd);
	cr_proc_link(dt->pid, name, &path, &ignore);
	cr_fail(&dt->refused_lock, EOPNOTSUPP, "pid %d: fd %d: %s: %s %s "
		"%s lock: %s", dt->pid, fd, path ? path : "?", l->kind,
		l->mode, l->type, why);
	free(path);
}

/* The task's locks being collected, and the lines they came from. */
struct cr_lk_collect {
	struct cr_dump		*d;
	struct cr_dtask		*dt;
	const struct cr_fdtable	*fdt;
	struct cr_lk_line	*seen;
	uint32_t		nr_seen;
};

/* Add the lock of line @l, shown on descriptor @fd of FILE @file_id. */
/*
 * Is @l, a lock of description @file_id itself (flock, OFD), in @m
 * already: the same description in a process collected before?
 */
static bool cr_lk_known(const struct cr_model *m, uint32_t file_id,
			uint32_t kind, const struct cr_lk_line *l)
{
	uint64_t len = l->end == CR_LK_EOF ? 0 : l->end - l->start + 1;
	uint32_t type = strcmp(l->type, "READ") ? F_WRLCK : F_RDLCK;

	for (uint32_t i = 0; i < m->nr_locks; i++) {
		const struct crfs_lock *k = &m->locks[i].l;

		if (k->file_id == file_id && k->kind == kind &&
		    k->type == type && (kind == CRFS_LOCK_FLOCK ||
					(k->start == l->start && k->len == len)))
			return true;
	}
	return false;
}

static int cr_lk_add(struct cr_lk_collect *c, int fd, uint32_t file_id,
		     const struct cr_lk_line *l, struct cr_err *e)
{
	struct cr_lock *lk;
	const char *why;
	uint32_t kind;
	int err = 0;

	why = cr_lk_why(l, &kind);
	if (why) {
		cr_lk_refuse(c->dt, fd, l, why);
		return 0;
	}
	if (cr_grow(&c->seen, c->nr_seen, sizeof(*c->seen)))
		return cr_fail(e, ENOMEM, "out of memory");
	c->seen[c->nr_seen++] = *l;
	/* A description's own lock, seen by another process sharing it. */
	if (kind != CRFS_LOCK_POSIX && cr_lk_known(&c->d->m, file_id, kind, l))
		return 0;
	lk = cr_model_new_lock(&c->d->m, &err);
	if (!lk)
		return cr_fail(e, ENOMEM, "out of memory");
	lk->l = (struct crfs_lock){
		.file_id = file_id,
		.kind = kind,
		.owner = kind == CRFS_LOCK_POSIX ? c->fdt->t.id : 0,
		.type = strcmp(l->type, "READ") ? F_WRLCK : F_RDLCK,
	};
	if (kind != CRFS_LOCK_FLOCK) {
		lk->l.start = l->start;
		lk->l.len = l->end == CR_LK_EOF ? 0 : l->end - l->start + 1;
	}
	lk->pid = c->dt->pid;
	lk->fd = fd;
	return 0;
}

/* The locks fdinfo shows on the description of descriptor @fd. */
static int cr_lk_fd(struct cr_lk_collect *c, int fd, uint32_t file_id,
		    struct cr_err *e)
{
	char path[64], *buf, *p;
	struct cr_lk_line l;
	int ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", c->dt->pid, fd);
	buf = cr_read_file(path, NULL);
	if (!buf)
		return cr_fail(e, errno, "pid %d: fd %d: cannot read %s: %m",
			       c->dt->pid, fd, path);
	for (p = buf; !ret && p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		if (strncmp(p, "lock:", 5))
			continue;
		if (cr_lk_parse(p + 5, &l)) {
			char *nl = strchr(p, '\n');

			if (nl)
				*nl = '\0';
			memset(&l, 0, sizeof(l));
			snprintf(l.kind, sizeof(l.kind), "?");
			cr_lk_refuse(c->dt, fd, &l, p);
			if (nl)
				*nl = '\n';
			continue;
		}
		ret = cr_lk_add(c, fd, file_id, &l, e);
	}
	free(buf);
	return ret;
}

/* /proc/locks as a checkpoint read it once, in a thread of its own. */
struct cr_lk_snap {
	pthread_t		thread;
	bool			joined;
	char			*buf;
	int			err;		/* errno of the read */
};

/* The thread of a snapshot: one read of /proc/locks. */
static void *cr_lk_snap_read(void *arg)
{
	struct cr_lk_snap *s = arg;

	s->buf = cr_read_file("/proc/locks", NULL);
	s->err = s->buf ? 0 : errno;
	return NULL;
}

/* See dump.h. */
void cr_lk_snap_start(struct cr_dump *d)
{
	struct cr_lk_snap *s = calloc(1, sizeof(*s));

	if (s && pthread_create(&s->thread, NULL, cr_lk_snap_read, s)) {
		free(s);
		s = NULL;
	}
	d->lk_snap = s;
}

/* See dump.h. */
void cr_lk_snap_free(struct cr_dump *d)
{
	struct cr_lk_snap *s = d->lk_snap;

	if (!s)
		return;
	if (!s->joined)
		pthread_join(s->thread, NULL);
	free(s->buf);
	free(s);
	d->lk_snap = NULL;
}

/*
 * /proc/locks of @d: the snapshot's (waited for), else read now; NULL
 * with errno set when it cannot be read.  *@own: the caller frees it.
 */
static char *cr_lk_snap_get(struct cr_dump *d, bool *own)
{
	struct cr_lk_snap *s = d->lk_snap;

	*own = !s;
	if (!s)
		return cr_read_file("/proc/locks", NULL);
	if (!s->joined) {
		pthread_join(s->thread, NULL);
		s->joined = true;
	}
	errno = s->err;
	return s->buf;
}

/* The task of @d with pid @pid, or NULL. */
static struct cr_dtask *cr_lk_task(struct cr_dump *d, int pid)
{
	for (uint32_t i = 0; i < d->nr_tasks; i++)
		if (d->tasks[i].pid == pid)
			return &d->tasks[i];
	return NULL;
}

/*
 * Filesystems whose stat() gives the device /proc/locks names (the
 * superblock's): on these a mapping on another device is another inode.
 * A stacked one (overlay) or btrfs (a subvolume's own st_dev) may give
 * another device for the inode locked: there the inode number alone
 * refuses.
 */
static const unsigned long cr_lk_plain_fs[] = {
	0x01021994,	/* tmpfs, memfd */
	0x958458f6,	/* hugetlbfs */
	0x858458f6,	/* ramfs */
	0xef53,		/* ext2, ext3, ext4 */
	0x58465342,	/* xfs */
	0xf2f52010,	/* f2fs */
};

/* Is @v of @dt's mm, a mapping of a file, maybe the inode of @l? */
static bool cr_lk_maps(const struct cr_dtask *dt, const struct cr_vma *v,
		       const struct cr_lk_line *l)
{
	char path[96];
	struct statfs sfs;

	if (!v->file || v->file->f.ino != l->ino)
		return false;
	if (major(v->file->f.dev) == l->maj && minor(v->file->f.dev) == l->min)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", dt->pid,
		 (unsigned long long)v->v.start, (unsigned long long)v->v.end);
	if (statfs(path, &sfs))
		return true;		/* not known: it may be */
	for (size_t i = 0; i < sizeof(cr_lk_plain_fs) /
			       sizeof(cr_lk_plain_fs[0]); i++)
		if ((unsigned long)sfs.f_type == cr_lk_plain_fs[i])
			return false;
	return true;
}

/*
 * The first task of @d that maps the inode of @l through a file (FILE
 * mappings: regular files, memfds), or NULL (cr_lk_maps()).
 */
static struct cr_dtask *cr_lk_mapper(struct cr_dump *d,
				     const struct cr_lk_line *l)
{
	for (uint32_t i = 0; i < d->nr_tasks; i++) {
		const struct cr_mm *mm = d->tasks[i].t ? d->tasks[i].t->mm : NULL;

		for (uint32_t j = 0; mm && j < mm->nr_vmas; j++)
			if (cr_lk_maps(&d->tasks[i], &mm->vmas[j], l))
				return &d->tasks[i];
	}
	return NULL;
}

/* What every task's fdinfo showed, sorted, each line to be used once. */
struct cr_lk_seen {
	struct cr_lk_line	*l;
	bool			*used;
	uint32_t		n;
};

/* Gather the lines of every task of @d into @s.  Return: 0 or -ENOMEM. */
static int cr_lk_seen_all(struct cr_dump *d, struct cr_lk_seen *s)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < d->nr_tasks; i++)
		n += d->tasks[i].nr_lk_seen;
	s->l = calloc(n ? n : 1, sizeof(*s->l));
	s->used = calloc(n ? n : 1, sizeof(*s->used));
	if (!s->l || !s->used)
		return -ENOMEM;
	for (uint32_t i = 0; i < d->nr_tasks; i++)
		for (uint32_t j = 0; j < d->tasks[i].nr_lk_seen; j++)
			s->l[s->n++] = d->tasks[i].lk_seen[j];
	qsort(s->l, s->n, sizeof(*s->l), cr_lk_cmp);
	return 0;
}

/* Use a line of @s alike @l (by inode, kind, type, range); false: none left. */
static bool cr_lk_seen_use(struct cr_lk_seen *s, const struct cr_lk_line *l)
{
	uint32_t lo = 0, hi = s->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (cr_lk_cmp(&s->l[mid], l) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < s->n && !cr_lk_cmp(&s->l[lo], l); lo++) {
		if (s->used[lo])
			continue;
		s->used[lo] = true;
		return true;
	}
	return false;
}

/*
 * See dump.h; /proc/locks was read after the freeze, nothing changed
 * since.  Each of its lines given to a task of @d must match a line some
 * task's fdinfo showed, one for one: two alike shared locks, one on a
 * descriptor's description and one on a mapping's, show two lines.
 */
int cr_lk_cross_check(struct cr_dump *d, struct cr_err *e)
{
	struct cr_lk_seen seen = { 0 };
	struct cr_dtask *dt;
	struct cr_lk_line l;
	char *buf, *p;
	int ret = 0;
	bool own;

	buf = cr_lk_snap_get(d, &own);
	if (!buf)
		return cr_fail(e, errno, "pid %d: cannot read /proc/locks: %m",
			       d->nr_tasks ? d->tasks[0].pid : 0);
	if (cr_lk_seen_all(d, &seen))
		ret = cr_fail(e, ENOMEM, "out of memory");
	for (p = buf; !ret && p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		if (cr_lk_parse(p, &l) || l.waiter)
			continue;
		/*
		 * An OFD lock shows no pid.  One no descriptor's fdinfo
		 * showed, on a file a task maps, may be on a description
		 * only that mapping keeps, or a process's outside: the two
		 * look alike here, and dropping the first loses a lock.
		 */
		if (!strcmp(l.kind, "OFDLCK")) {
			if (cr_lk_seen_use(&seen, &l) ||
			    !(dt = cr_lk_mapper(d, &l)))
				continue;
			ret = cr_fail(e, EOPNOTSUPP, "pid %d: an OFD %s lock on "
				      "inode %u:%u:%" PRIu64 " that it maps, "
				      "and that none of the container's "
				      "descriptors has (a description only a "
				      "mapping keeps, or a process's outside "
				      "the container): not restored", dt->pid,
				      l.type, l.maj, l.min, l.ino);
			break;
		}
		if (!(dt = cr_lk_task(d, l.pid)))
			continue;
		if (cr_lk_seen_use(&seen, &l))
			continue;
		ret = cr_fail(e, EOPNOTSUPP, "pid %d: a %s %s lock on inode "
			      "%u:%u:%" PRIu64 " that none of its descriptors "
			      "has (a description only a mapping keeps, or one "
			      "given away): not restored", dt->pid, l.kind,
			      l.type, l.maj, l.min, l.ino);
	}
	free(seen.l);
	free(seen.used);
	if (own)
		free(buf);
	return ret;
}

/* The FILE @id of @d: by bisection, the collect adds them by id. */
static const struct cr_file *lk_file(const struct cr_dump *d, uint32_t id)
{
	uint32_t lo = 0, hi = d->m.nr_files;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (d->m.files[mid].f.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < d->m.nr_files && d->m.files[lo].f.id == id)
		return &d->m.files[lo];
	for (uint32_t i = 0; i < d->m.nr_files; i++)	/* not in order */
		if (d->m.files[i].f.id == id)
			return &d->m.files[i];
	return NULL;
}

/* A locked description's first descriptor: by FILE, then by number. */
struct lk_first {
	uint32_t	file_id;
	uint32_t	i;		/* in the fd table */
};

static int lk_first_cmp(const void *pa, const void *pb)
{
	const struct lk_first *a = pa, *b = pb;

	if (a->file_id != b->file_id)
		return a->file_id < b->file_id ? -1 : 1;
	return (a->i > b->i) - (a->i < b->i);
}

static int lk_first_by_fd(const void *pa, const void *pb)
{
	const struct lk_first *a = pa, *b = pb;

	return (a->i > b->i) - (a->i < b->i);
}

/*
 * Phase 1: the locks on each description of the task's fd table that has
 * any: the files row saw "lock:" lines in its fdinfo (cr_file.locked), so
 * a process without locks costs no read more than it did, and no memory
 * beyond its own descriptors: O(fds log files) a process.
 */
static int locks_collect(struct cr_dump *d, struct cr_dtask *dt,
			 struct cr_err *e)
{
	struct cr_lk_collect c = { .d = d, .dt = dt };
	struct lk_first *first = NULL;
	uint32_t n = 0, k = 0;
	int ret = 0;

	/* A table shared with a task before it: its locks are in. */
	if (dt->files_of >= 0)
		return 0;
	/* The files row has just made this task's table: the last one. */
	for (uint32_t i = d->m.nr_fdts; i-- > 0 && !c.fdt;)
		if (d->m.fdts[i].t.id == dt->t->t.fdtable_id)
			c.fdt = &d->m.fdts[i];
	if (!c.fdt)
		return 0;
	for (uint32_t i = 0; i < c.fdt->nr_fds; i++) {
		const struct cr_file *f = lk_file(d, c.fdt->fds[i].d.file_id);

		if (!f || !f->locked)
			continue;
		if (!first && !(first = calloc(c.fdt->nr_fds, sizeof(*first))))
			return cr_fail(e, ENOMEM, "out of memory");
		first[n++] = (struct lk_first){ f->f.id, i };
	}
	/* Each description once, at its first descriptor, in fd order. */
	if (n) {
		qsort(first, n, sizeof(*first), lk_first_cmp);
		for (uint32_t i = 0; i < n; i++)
			if (!i || first[i].file_id != first[i - 1].file_id)
				first[k++] = first[i];
		qsort(first, k, sizeof(*first), lk_first_by_fd);
	}
	for (uint32_t i = 0; !ret && i < k; i++) {
		const struct crfs_fd *fd = &c.fdt->fds[first[i].i].d;

		ret = cr_lk_fd(&c, fd->fd, fd->file_id, e);
	}
	/* Kept for cr_lk_cross_check(), after the seize. */
	free(dt->lk_seen);
	dt->lk_seen = c.seen;
	dt->nr_lk_seen = c.nr_seen;
	c.seen = NULL;
	free(first);
	free(c.seen);
	return ret;
}

/* Phase 2: what collect refused, then locks on files of other kinds. */
static int locks_check(struct cr_dump *d, struct cr_dtask *dt,
		       struct cr_err *e)
{
	if (dt->refused_lock.err) {
		*e = dt->refused_lock;
		return -e->err;
	}
	for (uint32_t i = 0; i < d->m.nr_locks; i++) {
		const struct cr_lock *l = &d->m.locks[i];

		if (l->pid != (uint32_t)dt->pid || !l->file ||
		    cr_file_lockable(&l->file->f))
			continue;
		return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s: a %s lock: "
			       "locks are restored on regular files, "
			       "memfds and directories only", dt->pid, l->fd,
			       l->file->path, cr_lk_names[l->l.kind]);
	}
	return 0;
}

/* A FILE and the number of a descriptor of it in the restored process. */
struct cr_lk_fd {
	const struct cr_file	*file;
	int32_t			fd;
};

static int cr_lk_fd_cmp(const void *pa, const void *pb)
{
	const struct cr_lk_fd *a = pa, *b = pb;

	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	return (a->fd > b->fd) - (a->fd < b->fd);
}

/* Does line @h hold what lock @l wants, against it? */
static bool cr_lk_conflicts(const struct cr_lk_line *h,
			    const struct crfs_lock *l, pid_t self)
{
	uint64_t end = l->len ? l->start + l->len - 1 : CR_LK_EOF;
	uint32_t kind = cr_lk_kind(h);

	if (h->waiter || (strcmp(h->type, "WRITE") && l->type != F_WRLCK))
		return false;
	if (l->kind == CRFS_LOCK_FLOCK)
		return kind == CRFS_LOCK_FLOCK;
	if ((kind != CRFS_LOCK_POSIX && kind != CRFS_LOCK_OFD) ||
	    (kind == CRFS_LOCK_POSIX && h->pid == self))
		return false;
	return h->start <= end && l->start <= h->end;
}

/* Who holds what @l conflicts with, by /proc/locks, in @buf. */
static const char *cr_lk_holder(pid_t self, int fd, const struct crfs_lock *l,
				char *buf, size_t len)
{
	char path[64], comm[CRFS_COMM_LEN], *locks, *p;
	struct cr_lk_line h;
	struct cr_err ignore;
	struct stat st;

	snprintf(buf, len, "another process holds a conflicting lock");
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", self, fd);
	if (cr_stat_cached(AT_FDCWD, path, 0, &st))
		return buf;
	locks = cr_read_file("/proc/locks", NULL);
	for (p = locks; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		if (cr_lk_parse(p, &h) || h.maj != major(st.st_dev) ||
		    h.min != minor(st.st_dev) || h.ino != st.st_ino ||
		    !cr_lk_conflicts(&h, l, self))
			continue;
		if (h.pid > 0 && !cr_proc_comm(h.pid, comm, &ignore))
			snprintf(buf, len, "pid %d (%s) holds a %s %s lock on "
				 "it", h.pid, comm, h.kind, h.type);
		else if (h.pid > 0)
			snprintf(buf, len, "pid %d holds a %s %s lock on it",
				 h.pid, h.kind, h.type);
		else
			snprintf(buf, len, "an OFD %s lock of another "
				 "description holds it (/proc/locks names no "
				 "pid for it)", h.type);
		break;
	}
	free(locks);
	return buf;
}

/* Take lock @lk again on descriptor @fd: one injected call, no wait. */
static int cr_lk_take(struct cr_rst *r, const struct cr_lock *lk, int32_t fd,
		      struct cr_err *e)
{
	const struct crfs_lock *l = &lk->l;
	char range[64], who[160];
	unsigned long addr;
	long ret;
	int rc;

	if (l->kind == CRFS_LOCK_FLOCK) {
		snprintf(range, sizeof(range), "the whole file");
		rc = cr_rst_syscall(r, SYS_flock, CR_ARGS(fd, LOCK_NB |
				    (l->type == F_WRLCK ? LOCK_EX : LOCK_SH)),
				    &ret, e);
	} else {
		struct flock fl = {
			.l_type = (short)l->type, .l_whence = SEEK_SET,
			.l_start = (off_t)l->start, .l_len = (off_t)l->len,
		};

		if (l->len)
			snprintf(range, sizeof(range), "bytes %" PRIu64 "-%"
				 PRIu64, (uint64_t)l->start,
				 (uint64_t)(l->start + l->len - 1));
		else
			snprintf(range, sizeof(range), "bytes %" PRIu64
				 " to the end", (uint64_t)l->start);
		rc = cr_rst_poke(r, 0, &fl, sizeof(fl), &addr, e);
		if (rc)
			return rc;
		rc = cr_rst_syscall(r, SYS_fcntl, CR_ARGS(fd,
				    l->kind == CRFS_LOCK_OFD ? F_OFD_SETLK :
				    F_SETLK, addr), &ret, e);
	}
	if (rc || ret >= 0)
		return rc;
	if (ret == -EAGAIN || ret == -EACCES)
		cr_lk_holder(r->pid, fd, l, who, sizeof(who));
	else
		snprintf(who, sizeof(who), "%s", strerror((int)-ret));
	return cr_fail(e, ret == -EACCES ? EAGAIN : (int)-ret, "pid %d: fd %d: "
		       "%s: cannot take its %s %s lock on %s again: %s", r->pid,
		       fd, lk->file->path, cr_lk_names[l->kind],
		       l->type == F_WRLCK ? "write" : "read", range, who);
}

/*
 * Restore phase 5: every lock of the process, on a descriptor of its
 * description; POSIX ones are its fd table's.  Descriptors found by
 * bisection: O((n + locks) log n).
 */
static int locks_late(struct cr_rst *r, struct cr_err *e)
{
	const struct cr_fdtable *t = r->task->fdt;
	const struct cr_model *m = r->m;
	struct cr_lk_fd *fds, key, *hit;
	int rc = 0;

	/* A shared table: the first process of it took them. */
	if (!m->nr_locks || !t || !t->nr_fds || cr_rst_fdt_follower(r->task))
		return 0;
	fds = calloc(t->nr_fds, sizeof(*fds));
	if (!fds)
		return cr_fail(e, ENOMEM, "out of memory");
	for (uint32_t i = 0; i < t->nr_fds; i++)
		fds[i] = (struct cr_lk_fd){ t->fds[i].file, t->fds[i].d.fd };
	qsort(fds, t->nr_fds, sizeof(*fds), cr_lk_fd_cmp);
	for (uint32_t i = 0; !rc && i < m->nr_locks; i++) {
		const struct cr_lock *lk = &m->locks[i];
		uint32_t lo = 0, hi = t->nr_fds;

		if (lk->l.kind == CRFS_LOCK_POSIX && lk->owner != t)
			continue;
		/* The lowest descriptor of the description. */
		key = (struct cr_lk_fd){ lk->file, -1 };
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;

			if (cr_lk_fd_cmp(&fds[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		hit = lo < t->nr_fds && fds[lo].file == lk->file ? &fds[lo] :
		      NULL;
		if (hit)
			rc = cr_lk_take(r, lk, hit->fd, e);
		else if (lk->l.kind == CRFS_LOCK_POSIX)
			rc = cr_fail(e, EINVAL, "pid %d: a POSIX lock on file "
				     "%u, which none of its descriptors has",
				     r->pid, lk->l.file_id);
	}
	free(fds);
	return rc;
}

const struct cr_res_ops cr_res_locks = {
	.name		= "locks",
	.collect	= locks_collect,
	.check		= locks_check,
	.late		= locks_late,
};
