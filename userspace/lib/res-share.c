// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "share": what the process of the container shares with a
 * process outside it, which a restore would bring back unshared, silently
 * parted from the other: its address space (clone(CLONE_VM) without
 * CLONE_THREAD), its descriptor table (CLONE_FILES), its cwd, root and
 * umask (CLONE_FS), a shared anonymous mapping the other maps too, an
 * open file description of a regular file or directory (one offset, as
 * `{ crctl run ...; other; } >>log` gives both).  Character devices are
 * reopened anyway and carry no offset: a /dev/null from the shell is
 * fine.  Pipes and sockets are refused by the files resource already.
 *
 * The check phase walks /proc once for the whole container (at the check
 * of its first process): each process outside is looked for among the
 * container's processes sorted by kcmp(KCMP_VM), and each of its threads
 * among them sorted by kcmp(KCMP_FILES, KCMP_FS) (kcmp orders the
 * kernel's objects: O(log n) calls, by bisection); of its descriptors,
 * only those whose device and inode (statx from the cache, never asking
 * the file's filesystem) are one of the container's descriptions go to
 * kcmp(KCMP_FILE); its maps are read only when the container has shared
 * anonymous memory, and matched by inode.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kcmp.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "dump.h"
#include "proc.h"

/* What to do about a description the program got from its starter. */
#define SHARE_FD_HINT	"start it with descriptors of its own " \
			"(</dev/null >log 2>&1), or close the descriptor"
#define SHARE_HINT	"end the other, move it into the container, or " \
			"start the program without sharing it"

/* A description of the container's, by device and inode. */
struct share_fd {
	uint64_t		dev, ino;
	pid_t			pid;		/* a process that has it */
	int			fd;
	const char		*path;
};

/* A shared anonymous memory object of the container's, by inode. */
struct share_shm {
	uint64_t		ino;
	pid_t			pid;		/* a process that maps it */
	uint64_t		start, end;	/* its mapping of it */
};

/* What the walk looks for. */
struct share_ctx {
	pid_t			*by[3];		/* live processes, by kcmp */
	uint32_t		nr;
	struct share_fd		*fds;
	uint32_t		nr_fds;
	struct share_shm	*shms;
	uint32_t		nr_shms;
};

/* What kcmp compares of whole processes, and what to call it. */
static const struct {
	int		type;
	bool		threads;	/* each thread may differ */
	const char	*what;
} share_kcmp[] = {
	{ KCMP_VM,	false,	"its address space (clone(CLONE_VM) without "
				"CLONE_THREAD)" },
	{ KCMP_FILES,	true,	"its descriptor table (clone(CLONE_FILES))" },
	{ KCMP_FS,	true,	"its cwd, root and umask (clone(CLONE_FS))" },
};

/* By device, inode, then descriptor number. */
static int share_fd_cmp(const void *pa, const void *pb)
{
	const struct share_fd *a = pa, *b = pb;

	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	if (a->ino != b->ino)
		return a->ino < b->ino ? -1 : 1;
	return (a->fd > b->fd) - (a->fd < b->fd);
}

/* By inode. */
static int share_shm_cmp(const void *pa, const void *pb)
{
	const struct share_shm *a = pa, *b = pb;

	return (a->ino > b->ino) - (a->ino < b->ino);
}

/* The first of @c's descriptions with @dev and @ino, or NULL. */
static const struct share_fd *share_fd_find(const struct share_ctx *c,
					    uint64_t dev, uint64_t ino)
{
	uint32_t lo = 0, hi = c->nr_fds;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct share_fd *f = &c->fds[mid];

		if (f->dev < dev || (f->dev == dev && f->ino < ino))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->nr_fds && c->fds[lo].dev == dev &&
	       c->fds[lo].ino == ino ? &c->fds[lo] : NULL;
}

/* The kind kcmp compares as an order, and its first error. */
struct share_order {
	int	type;
	int	err;
};

/* kcmp(@type) of two processes as an order. */
static int share_kcmp_cmp(const void *pa, const void *pb, void *arg)
{
	struct share_order *o = arg;
	long r = syscall(SYS_kcmp, *(const pid_t *)pa, *(const pid_t *)pb,
			 o->type, 0, 0);

	if (r < 0 && !o->err)
		o->err = errno;
	return r == 1 ? -1 : r == 2 ? 1 : 0;
}

/*
 * The keys: the live processes sorted by each kind of whole object,
 * the descriptions with an offset, the shared anonymous objects.
 */
static int share_keys(struct cr_dump *d, struct share_ctx *c,
		      struct cr_err *e)
{
	uint32_t nfd = 0;

	for (uint32_t i = 0; i < d->nr_tasks; i++)
		if (!d->tasks[i].zombie && d->tasks[i].t->fdt)
			nfd += d->tasks[i].t->fdt->nr_fds;
	c->fds = calloc(nfd ? nfd : 1, sizeof(*c->fds));
	c->shms = calloc(d->m.nr_shmems ? d->m.nr_shmems : 1,
			 sizeof(*c->shms));
	for (int k = 0; k < 3; k++)
		c->by[k] = calloc(d->nr_tasks, sizeof(*c->by[k]));
	if (!c->fds || !c->shms || !c->by[0] || !c->by[1] || !c->by[2])
		return cr_fail(e, ENOMEM, "out of memory");
	for (uint32_t i = 0; i < d->nr_tasks; i++) {
		const struct cr_dtask *dt = &d->tasks[i];
		const struct cr_fdtable *t = dt->t->fdt;

		if (dt->zombie)
			continue;
		for (int k = 0; k < 3; k++)
			c->by[k][c->nr] = dt->pid;
		c->nr++;
		for (uint32_t j = 0; t && j < t->nr_fds; j++) {
			const struct cr_file *f = t->fds[j].file;

			if (!f || !f->f.kind || f->f.kind == CRFS_FILE_CHR)
				continue;
			c->fds[c->nr_fds++] = (struct share_fd){ f->f.dev,
				f->f.ino, dt->pid, t->fds[j].d.fd, f->path };
		}
	}
	for (uint32_t i = 0; i < d->m.nr_shmems; i++)
		c->shms[c->nr_shms++] = (struct share_shm){
			d->m.shmems[i].ino, d->m.shmems[i].pid,
			d->m.shmems[i].map_start, d->m.shmems[i].map_end };
	for (int k = 0; k < 3; k++) {
		struct share_order o = { share_kcmp[k].type, 0 };

		qsort_r(c->by[k], c->nr, sizeof(pid_t), share_kcmp_cmp, &o);
		if (o.err)
			return cr_fail(e, o.err, "pid %d: kcmp: %s", c->by[k][0],
				       strerror(o.err));
	}
	qsort(c->fds, c->nr_fds, sizeof(*c->fds), share_fd_cmp);
	qsort(c->shms, c->nr_shms, sizeof(*c->shms), share_shm_cmp);
	return 0;
}

/*
 * Refuse what @pid of the container shares with @q (as its descriptor
 * @qfd, or -1): name both, and what to do.
 */
static int share_refuse(pid_t pid, pid_t q, int qfd, const char *obj,
			const char *what, const char *hint, struct cr_err *e)
{
	char comm[CRFS_COMM_LEN], as[32] = "";
	struct cr_err ignore;

	if (cr_proc_comm(q, comm, &ignore))
		snprintf(comm, sizeof(comm), "?");
	if (qfd >= 0)
		snprintf(as, sizeof(as), "fd %d of ", qfd);
	return cr_fail(e, EOPNOTSUPP, "pid %d: %s: %s is shared with %spid "
		       "%d (%s), outside the container: a restore would part "
		       "them: %s", pid, obj, what, as, q, comm, hint);
}

/* The process of the container with the @k-th object of @tid, or 0. */
static pid_t share_find(const struct share_ctx *c, int k, pid_t tid)
{
	uint32_t lo = 0, hi = c->nr;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		long r = syscall(SYS_kcmp, c->by[k][mid], tid,
				 share_kcmp[k].type, 0, 0);

		if (r == 0)
			return c->by[k][mid];
		if (r == 1)		/* by[mid] orders before tid's */
			lo = mid + 1;
		else if (r == 2)
			hi = mid;
		else
			return 0;	/* gone */
	}
	return 0;
}

/* Does thread @tid (of @q) share a whole object of the container's? */
static int share_task(const struct share_ctx *c, pid_t q, pid_t tid,
		      bool leader, struct cr_err *e)
{
	for (int k = 0; k < 3; k++) {
		pid_t pid;

		if (!leader && !share_kcmp[k].threads)
			continue;
		pid = share_find(c, k, tid);
		if (pid)
			return share_refuse(pid, q, -1, "process",
					    share_kcmp[k].what, SHARE_HINT, e);
	}
	return 0;
}

/* The threads of @q, then @q's descriptors of @c's descriptions. */
static int share_proc(const struct share_ctx *c, pid_t q, struct cr_err *e)
{
	char path[64], obj[4200];
	struct dirent *de;
	struct stat st;
	int ret = share_task(c, q, q, true, e);
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", q);
	dir = ret ? NULL : opendir(path);
	while (dir && !ret && (de = readdir(dir))) {
		pid_t tid = atoi(de->d_name);

		if (tid > 0 && tid != q)
			ret = share_task(c, q, tid, false, e);
	}
	if (dir)
		closedir(dir);
	snprintf(path, sizeof(path), "/proc/%d/fd", q);
	dir = ret || !c->nr_fds ? NULL : opendir(path);
	while (dir && !ret && (de = readdir(dir))) {
		const struct share_fd *f;
		int qfd = atoi(de->d_name);

		if (de->d_name[0] == '.' ||
		    cr_stat_cached(dirfd(dir), de->d_name, 0, &st))
			continue;
		for (f = share_fd_find(c, st.st_dev, st.st_ino);
		     f && f < c->fds + c->nr_fds && f->dev == st.st_dev &&
		     f->ino == st.st_ino && !ret; f++) {
			if (syscall(SYS_kcmp, f->pid, q, KCMP_FILE, f->fd,
				    qfd))
				continue;
			snprintf(obj, sizeof(obj), "fd %d: %s", f->fd, f->path);
			ret = share_refuse(f->pid, q, qfd, obj, "its open file "
					   "description (one offset)",
					   SHARE_FD_HINT, e);
		}
	}
	if (dir)
		closedir(dir);
	return ret;
}

/* Does @q map one of @c's shared anonymous objects? */
static int share_maps(const struct share_ctx *c, pid_t q, struct cr_err *e)
{
	char path[64], name[64], obj[96], *line = NULL;
	unsigned long long ino;
	struct share_shm key, *s = NULL;
	size_t len = 0;
	FILE *maps;

	snprintf(path, sizeof(path), "/proc/%d/maps", q);
	maps = c->nr_shms ? fopen(path, "re") : NULL;
	while (maps && !s && getline(&line, &len, maps) > 0) {
		name[0] = '\0';
		if (sscanf(line, "%*s %*s %*s %*s %llu %63s", &ino, name) < 1 ||
		    (strcmp(name, "/dev/zero") &&
		     strncmp(name, "[anon_shmem:", 12)))
			continue;
		key.ino = ino;
		s = bsearch(&key, c->shms, c->nr_shms, sizeof(*c->shms),
			    share_shm_cmp);
	}
	free(line);
	if (maps)
		fclose(maps);
	if (!s)
		return 0;
	snprintf(obj, sizeof(obj), "mapping %llx-%llx (shared anonymous)",
		 (unsigned long long)s->start, (unsigned long long)s->end);
	return share_refuse(s->pid, q, -1, obj, "its memory (mapped there "
			    "too)", SHARE_HINT, e);
}

/* What one process of the walk shares; @arg: the context and error. */
struct share_walk {
	const struct share_ctx	*c;
	struct cr_err		*e;
};

/* One process of the walk: a refusal ends it. */
static int share_one(pid_t q, void *arg)
{
	struct share_walk *w = arg;
	int ret = share_proc(w->c, q, w->e);

	return ret ? ret : share_maps(w->c, q, w->e);
}

/*
 * Phase 2: one walk of /proc for the whole container, at the check of its
 * first process; the first sharing found refused.
 */
static int share_check(struct cr_dump *d, struct cr_dtask *dt,
		       struct cr_err *e)
{
	struct share_ctx c = { .nr = 0 };
	struct share_walk w = { &c, e };
	int ret;

	if (dt != &d->tasks[0])
		return 0;
	ret = share_keys(d, &c, e);
	if (!ret)
		ret = cr_dump_each_outside(d, share_one, &w);
	if (ret && !e->err)
		ret = cr_fail(e, -ret, "cannot read /proc: %s",
			      strerror(-ret));
	free(c.fds);
	free(c.shms);
	for (int k = 0; k < 3; k++)
		free(c.by[k]);
	return ret;
}

const struct cr_res_ops cr_res_share = {
	.name		= "share",
	.check		= share_check,
};
