// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "share": what the processes of the container share with a
 * process outside it, which a restore would bring back unshared, silently
 * parted from the other: an address space (clone(CLONE_VM) without
 * CLONE_THREAD), a descriptor table (CLONE_FILES), a cwd, root and umask
 * (CLONE_FS), a shared anonymous mapping the other maps too, an open file
 * description of a regular file or directory (one offset, as
 * `{ crctl run ...; other; } >>log` gives both).  Character devices are
 * reopened anyway and carry no offset: a /dev/null from the shell is
 * fine, and so is the shell's terminal of a shell job (res-tty.c), which
 * a restore puts on another terminal anyway.  Pipes and sockets are
 * refused by the files resource already.
 *
 * The check phase walks /proc once per checkpoint, for every task of it
 * at once (the hook of the first task does it).  kcmp() orders the
 * kernel's objects, so the container's address spaces, descriptor tables
 * and fs are sorted once by it, and each thread outside is looked up
 * among them by binary search: O(log n) kcmp() calls per process outside,
 * not one per pair.  Of a process's descriptors, only those whose device
 * and inode (statx from the cache, never asking the file's filesystem)
 * are one of the container's descriptions go to kcmp(KCMP_FILE); its maps
 * are read only when the container has shared anonymous memory, and
 * matched by inode.
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
#define SHARE_HINT	"crfs restores the container's processes alone: " \
			"end the other, or start the program without " \
			"sharing it"

/* A description of the container's, by device and inode. */
struct share_fd {
	uint64_t		dev, ino;
	pid_t			pid;		/* a task that has it */
	int			fd;		/* as this descriptor */
	const char		*path;
};

/* A shared anonymous memory object of the container's, by inode. */
struct share_shm {
	uint64_t		ino;
	pid_t			pid;		/* a task that maps it */
	uint64_t		start, end;	/* there */
};

/* What kcmp compares of whole tasks, and what to call it. */
struct share_kind {
	int		type;
	bool		threads;	/* each thread may differ */
	const char	*what;
};

static const struct share_kind share_kinds[] = {
	{ KCMP_VM,	false,	"its address space (clone(CLONE_VM) without "
				"CLONE_THREAD)" },
	{ KCMP_FILES,	true,	"its descriptor table (clone(CLONE_FILES))" },
	{ KCMP_FS,	true,	"its cwd, root and umask (clone(CLONE_FS))" },
};
#define SHARE_NR_KINDS	(sizeof(share_kinds) / sizeof(share_kinds[0]))

/* The container's tasks (or threads) by one kind, in kcmp's order. */
struct share_sorted {
	pid_t			*tid;
	uint32_t		n;
};

/* What the walk looks for. */
struct share_ctx {
	struct cr_dump		*d;
	pid_t			*inside;	/* the tasks' pids, sorted */
	struct share_sorted	by[SHARE_NR_KINDS];
	struct share_fd		*fds;
	uint32_t		nr_fds;
	struct share_shm	*shms;
	uint32_t		nr_shms;
	struct cr_err		*e;
};

/* -1, 0, 1 as kcmp orders the @type objects of @a and @b; 0 on error. */
static int share_kcmp(pid_t a, pid_t b, int type)
{
	long r = syscall(SYS_kcmp, a, b, type, 0, 0);

	return r == 1 ? -1 : r == 2 ? 1 : 0;
}

/* qsort_r() of @tid indices by kind @arg. */
static int share_by_cmp(const void *pa, const void *pb, void *arg)
{
	return share_kcmp(*(const pid_t *)pa, *(const pid_t *)pb,
			  *(const int *)arg);
}

static int share_pid_cmp(const void *pa, const void *pb)
{
	pid_t a = *(const pid_t *)pa, b = *(const pid_t *)pb;

	return (a > b) - (a < b);
}

/* By device, inode, then task and descriptor number. */
static int share_fd_cmp(const void *pa, const void *pb)
{
	const struct share_fd *a = pa, *b = pb;

	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	if (a->ino != b->ino)
		return a->ino < b->ino ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
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

/* Sort the tasks (a kind of whole processes) or threads by each kind. */
static int share_sort(struct share_ctx *c)
{
	struct cr_dump *d = c->d;
	uint32_t nr_threads = 0;

	for (uint32_t i = 0; i < d->nr_tasks; i++)
		nr_threads += d->tasks[i].t->nr_threads ?
			      d->tasks[i].t->nr_threads : 1;
	for (size_t k = 0; k < SHARE_NR_KINDS; k++) {
		struct share_sorted *s = &c->by[k];

		s->tid = calloc(nr_threads, sizeof(*s->tid));
		if (!s->tid)
			return -ENOMEM;
		for (uint32_t i = 0; i < d->nr_tasks; i++) {
			const struct cr_task *t = d->tasks[i].t;

			/* A zombie has no objects (NULL, as a kernel thread). */
			if (d->tasks[i].zombie)
				continue;
			if (!share_kinds[k].threads || !t->nr_threads) {
				s->tid[s->n++] = d->tasks[i].pid;
				continue;
			}
			for (uint32_t j = 0; j < t->nr_threads; j++)
				s->tid[s->n++] = t->threads[j].t.tid;
		}
		qsort_r(s->tid, s->n, sizeof(*s->tid), share_by_cmp,
			(void *)&share_kinds[k].type);
	}
	return 0;
}

/* The keys: descriptions with an offset, shared anonymous objects. */
static int share_keys(struct share_ctx *c)
{
	struct cr_dump *d = c->d;
	uint32_t nr_fds = 0;

	for (uint32_t i = 0; i < d->nr_tasks; i++)
		if (d->tasks[i].t->fdt)
			nr_fds += d->tasks[i].t->fdt->nr_fds;
	c->inside = calloc(d->nr_tasks, sizeof(*c->inside));
	c->fds = calloc(nr_fds ? nr_fds : 1, sizeof(*c->fds));
	c->shms = calloc(d->m.nr_shmems ? d->m.nr_shmems : 1,
			 sizeof(*c->shms));
	if (!c->inside || !c->fds || !c->shms)
		return -ENOMEM;
	for (uint32_t i = 0; i < d->nr_tasks; i++) {
		const struct cr_fdtable *t = d->tasks[i].t->fdt;

		c->inside[i] = d->tasks[i].pid;
		for (uint32_t j = 0; t && j < t->nr_fds; j++) {
			const struct cr_file *f = t->fds[j].file;

			if (!f || !f->f.kind || f->f.kind == CRFS_FILE_CHR ||
			    cr_tty_shell_file(f))
				continue;
			c->fds[c->nr_fds++] = (struct share_fd){ f->f.dev,
				f->f.ino, d->tasks[i].pid, t->fds[j].d.fd,
				f->path };
		}
	}
	for (uint32_t i = 0; i < d->m.nr_shmems; i++)
		c->shms[c->nr_shms++] = (struct share_shm){
			d->m.shmems[i].ino, d->m.shmems[i].pid,
			d->m.shmems[i].map_start, d->m.shmems[i].map_end };
	qsort(c->inside, d->nr_tasks, sizeof(*c->inside), share_pid_cmp);
	qsort(c->fds, c->nr_fds, sizeof(*c->fds), share_fd_cmp);
	qsort(c->shms, c->nr_shms, sizeof(*c->shms), share_shm_cmp);
	return share_sort(c) ? -ENOMEM : 0;
}

/*
 * Refuse what @pid of the container shares with @q (as its descriptor
 * @qfd, or -1): name both, and what to do.
 */
static int share_refuse(const struct share_ctx *c, pid_t pid, pid_t q,
			int qfd, const char *obj, const char *what,
			const char *hint)
{
	char comm[CRFS_COMM_LEN], as[32] = "";
	struct cr_err ignore;

	if (cr_proc_comm(q, comm, &ignore))
		snprintf(comm, sizeof(comm), "?");
	if (qfd >= 0)
		snprintf(as, sizeof(as), "fd %d of ", qfd);
	return cr_fail(c->e, EOPNOTSUPP, "pid %d: %s: %s is shared with %spid "
		       "%d (%s), outside the container: a restore would part "
		       "them: %s", pid, obj, what, as, q, comm, hint);
}

/* The container's task whose kind-@k object is @tid's, or 0. */
static pid_t share_find(const struct share_ctx *c, size_t k, pid_t tid)
{
	const struct share_sorted *s = &c->by[k];
	uint32_t lo = 0, hi = s->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		long r = syscall(SYS_kcmp, tid, s->tid[mid],
				 share_kinds[k].type, 0, 0);

		if (r == 0)
			return s->tid[mid];
		if (r < 0)
			return 0;	/* gone: it shares nothing now */
		if (r == 2)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* The container's process of thread @tid (its pid when it leads one). */
static pid_t share_process_of(const struct share_ctx *c, pid_t tid)
{
	for (uint32_t i = 0; i < c->d->nr_tasks; i++) {
		const struct cr_task *t = c->d->tasks[i].t;

		for (uint32_t j = 0; j < t->nr_threads; j++)
			if ((pid_t)t->threads[j].t.tid == tid)
				return c->d->tasks[i].pid;
	}
	return tid;
}

/* Does thread @tid (of @q) share a whole object of the container's? */
static int share_task(const struct share_ctx *c, pid_t q, pid_t tid,
		      bool leader)
{
	for (size_t k = 0; k < SHARE_NR_KINDS; k++) {
		pid_t in;

		if (!leader && !share_kinds[k].threads)
			continue;
		in = share_find(c, k, tid);
		if (in)
			return share_refuse(c, share_process_of(c, in), q, -1,
					    "process", share_kinds[k].what,
					    SHARE_HINT);
	}
	return 0;
}

/* The threads of @q, then @q's descriptors of the container's descriptions. */
static int share_proc(const struct share_ctx *c, pid_t q)
{
	char path[64], obj[4200];
	struct dirent *de;
	struct stat st;
	int ret = share_task(c, q, q, true);
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", q);
	dir = ret ? NULL : opendir(path);
	while (dir && !ret && (de = readdir(dir))) {
		pid_t tid = atoi(de->d_name);

		if (tid > 0 && tid != q)
			ret = share_task(c, q, tid, false);
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
			if (syscall(SYS_kcmp, f->pid, q, KCMP_FILE, f->fd, qfd))
				continue;
			snprintf(obj, sizeof(obj), "fd %d: %s", f->fd, f->path);
			ret = share_refuse(c, f->pid, q, qfd, obj, "its open "
					   "file description (one offset)",
					   SHARE_FD_HINT);
		}
	}
	if (dir)
		closedir(dir);
	return ret;
}

/* Does @q map one of the container's shared anonymous objects? */
static int share_maps(const struct share_ctx *c, pid_t q)
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
	return share_refuse(c, s->pid, q, -1, obj, "its memory (mapped there "
			    "too)", SHARE_HINT);
}

/* One process of the walk: one outside the container; a refusal ends it. */
static int share_one(pid_t q, void *arg)
{
	struct share_ctx *c = arg;
	int ret;

	if (bsearch(&q, c->inside, c->d->nr_tasks, sizeof(q), share_pid_cmp))
		return 0;
	ret = share_proc(c, q);
	return ret ? ret : share_maps(c, q);
}

/* Free what share_keys() made. */
static void share_free(struct share_ctx *c)
{
	for (size_t k = 0; k < SHARE_NR_KINDS; k++)
		free(c->by[k].tid);
	free(c->inside);
	free(c->fds);
	free(c->shms);
}

/* Phase 2, at the first task: one walk of /proc for all of them. */
static int share_check(struct cr_dump *d, struct cr_dtask *dt,
		       struct cr_err *e)
{
	struct share_ctx c = { .d = d, .e = e };
	int ret;

	if (dt != &d->tasks[0])
		return 0;
	ret = share_keys(&c);
	if (ret)
		ret = cr_fail(e, -ret, "out of memory");
	else
		ret = cr_proc_each_other(dt->pid, share_one, &c);
	if (ret && !e->err)
		ret = cr_fail(e, -ret, "cannot read /proc: %s",
			      strerror(-ret));
	share_free(&c);
	return ret;
}

const struct cr_res_ops cr_res_share = {
	.name		= "share",
	.check		= share_check,
};
