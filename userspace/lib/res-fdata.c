// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "fdata": files whose contents go into the image, because
 * no path leads to them any more: memfds and deleted (or O_TMPFILE)
 * regular files (FILE kinds MEMFD and UNLINKED).  One FILE per inode
 * carries the data (its data_id is its own id, dump-files.c); the other
 * descriptions and mappings of the inode name it.
 *
 * Checkpoint: the carrier's data, by the extents SEEK_DATA and SEEK_HOLE
 * find (holes stay holes), in whole pages, at most CRFS_FILE_DATA_MAX
 * bytes, and a memfd's seals; the data go into FILE_DATA records after
 * the processes.  Restore: before the process exists, the restorer makes
 * each inode anew (memfd_create() with the same name, or an O_TMPFILE in
 * the directory it was in, on the same filesystem, linked nowhere),
 * writes the data at their offsets, sets size, owner and mode; the new
 * process opens each of its descriptions of it through the restorer's
 * descriptor (restore-files.c), so every descriptor and mapping shares
 * the one inode; the seals come last, once everything is mapped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "dump.h"
#include "restore.h"

#define FDATA_CHUNK	((uint64_t)CRFS_PAGES_PER_REC * 4096)

/* Is @f the FILE carrying the contents of its inode? */
static bool fdata_carrier(const struct cr_file *f)
{
	return cr_file_kept(&f->f) && f->f.data_id == f->f.id;
}

/*
 * Open the carrier @f of @dt's process for reading, through a descriptor
 * or a mapping of its inode; -1 with errno when there is none.
 */
static int fdata_open(struct cr_dump *d, const struct cr_dtask *dt,
		      const struct cr_file *f)
{
	char path[96];
	uint32_t i;

	for (i = 0; i < d->m.nr_fdts; i++) {
		const struct cr_fdtable *t = &d->m.fdts[i];

		if (t->t.id != dt->t->t.fdtable_id)
			continue;
		for (uint32_t j = 0; j < t->nr_fds; j++) {
			const struct cr_file *o =
				cr_model_file(&d->m, t->fds[j].d.file_id);

			if (t->fds[j].d.file_id == f->f.id ||
			    (o && o->f.data_id == f->f.id)) {
				snprintf(path, sizeof(path), "/proc/%d/fd/%u",
					 dt->pid, t->fds[j].d.fd);
				return open(path, O_RDONLY | O_CLOEXEC);
			}
		}
	}
	for (i = 0; i < d->m.nr_mms; i++) {
		const struct cr_mm *mm = &d->m.mms[i];

		if (mm->m.id != dt->t->t.mm_id)
			continue;
		for (uint32_t j = 0; j < mm->nr_vmas; j++) {
			const struct cr_vma *v = &mm->vmas[j];
			const struct cr_file *o =
				cr_model_file(&d->m, v->v.file_id);

			if (v->v.kind != CRFS_VMA_FILE ||
			    (v->v.file_id != f->f.id &&
			     (!o || o->f.data_id != f->f.id)))
				continue;
			snprintf(path, sizeof(path),
				 "/proc/%d/map_files/%llx-%llx", dt->pid,
				 (unsigned long long)v->v.start,
				 (unsigned long long)v->v.end);
			return open(path, O_RDONLY | O_CLOEXEC);
		}
	}
	errno = ENOENT;
	return -1;
}

/*
 * The next extent of data of @fd from *@off on, in whole pages of @ps:
 * [*@off, *@end); false at the end of the data.
 */
static bool fdata_extent(int fd, uint64_t size, uint64_t ps, uint64_t *off,
			 uint64_t *end)
{
	off_t a, b;

	if (*off >= size)
		return false;
	a = lseek(fd, *off, SEEK_DATA);
	if (a < 0)
		return false;	/* ENXIO: no data after it */
	b = lseek(fd, a, SEEK_HOLE);
	if (b < 0)
		b = size;
	*off = (uint64_t)a / ps * ps;
	*end = ((uint64_t)b + ps - 1) / ps * ps;
	return true;
}

/* The bytes of whole pages of data of @fd, holes left out. */
static uint64_t fdata_bytes(int fd, uint64_t size, uint64_t ps)
{
	uint64_t off = 0, end, n = 0;

	while (fdata_extent(fd, size, ps, &off, &end)) {
		n += end - off;
		off = end;
	}
	return n;
}

/*
 * Phase 1: the data size and seals of every carrier of @dt's files: those
 * its rows have just collected (a carrier is the first FILE of its inode;
 * one of a task before it was measured there, and this task may not hold
 * it), so each task costs its own files, not all of them.
 */
static int fdata_collect(struct cr_dump *d, struct cr_dtask *dt,
			 struct cr_err *e)
{
	uint64_t ps = sysconf(_SC_PAGESIZE);
	uint32_t dup, i;
	int fd, seals;

	for (i = dt->first_file; i < d->m.nr_files; i++)
		if (d->m.files[i].f.data_id)
			break;
	if (i == d->m.nr_files)
		return 0;
	/* The files are indexed for fdata_open()'s look-ups. */
	if (cr_model_index(&d->m, CR_K_FILE, &dup))
		return cr_fail(e, ENOMEM, "out of memory");
	for (uint32_t i = dt->first_file; i < d->m.nr_files; i++) {
		struct cr_file *f = &d->m.files[i];

		if (!fdata_carrier(f) || f->why)
			continue;
		/* Read, it would tell a watch of it (res-inotify.c). */
		f->why = cr_inotify_noisy(&d->m, f);
		if (f->why)
			continue;
		fd = fdata_open(d, dt, f);
		if (fd < 0)
			return cr_fail(e, errno, "pid %d: %s: cannot open it "
				       "to read its contents: %m", dt->pid,
				       f->path);
		f->f.data_size = fdata_bytes(fd, f->f.size, ps);
		if (f->f.kind == CRFS_FILE_MEMFD) {
			seals = fcntl(fd, F_GET_SEALS);
			f->f.seals = seals < 0 ? 0 : seals;
		}
		close(fd);
		if (f->f.data_size > CRFS_FILE_DATA_MAX)
			f->why = "its data exceed CRFS_FILE_DATA_MAX (1 GiB)";
	}
	/* The other descriptions of an inode: its seals, its refusal. */
	for (uint32_t i = dt->first_file; i < d->m.nr_files; i++) {
		struct cr_file *f = &d->m.files[i];
		const struct cr_file *c;

		if (!f->f.data_id || fdata_carrier(f))
			continue;
		c = cr_model_file(&d->m, f->f.data_id);
		f->f.seals = c ? c->f.seals : 0;
		if (c && c->why && !f->why)
			f->why = c->why;
	}
	return 0;
}

/* The carrier of @m with device @dev and inode @ino, or NULL. */
static const struct cr_file *fdata_find(const struct cr_model *m,
					uint64_t dev, uint64_t ino)
{
	for (uint32_t i = 0; i < m->nr_files; i++)
		if (fdata_carrier(&m->files[i]) && m->files[i].f.dev == dev &&
		    m->files[i].f.ino == ino)
			return &m->files[i];
	return NULL;
}

/* What fdata_outside() looks for, and what it found. */
struct fdata_outside_ctx {
	const struct cr_model	*m;
	pid_t			found;
	const struct cr_file	*f;
};

/*
 * Is descriptor @name of the fd directory @dir one of an unlinked file
 * (memfds and shared anonymous memory are too): " (deleted)", as only a
 * carrier's link reads?  The link's text needs nothing of the file's
 * filesystem, where a stat could wait on a FUSE server that never
 * answers.
 */
static bool fdata_deleted_at(int dir, const char *name)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(dir, name, target, sizeof(target) - 1);

	return n > 10 && !memcmp(target + n - 10, " (deleted)", 10);
}

/* Does @q have a carrier of @arg's model open or mapped? */
static int fdata_outside_one(pid_t q, void *arg)
{
	struct fdata_outside_ctx *o = arg;
	unsigned long long ino;
	unsigned int maj, mnr;
	char path[300], line[512];
	struct dirent *fe;
	struct stat st;
	FILE *maps;
	DIR *fds;

	snprintf(path, sizeof(path), "/proc/%d/fd", q);
	fds = opendir(path);
	while (fds && !o->found && (fe = readdir(fds)))
		if (fe->d_name[0] != '.' &&
		    fdata_deleted_at(dirfd(fds), fe->d_name) &&
		    !cr_stat_cached(dirfd(fds), fe->d_name, 0, &st) &&
		    (o->f = fdata_find(o->m, st.st_dev, st.st_ino)))
			o->found = q;
	if (fds)
		closedir(fds);
	snprintf(path, sizeof(path), "/proc/%d/maps", q);
	maps = o->found ? NULL : fopen(path, "re");
	while (maps && !o->found && fgets(line, sizeof(line), maps))
		if (sscanf(line, "%*s %*s %*s %x:%x %llu", &maj, &mnr,
			   &ino) == 3 && ino &&
		    (o->f = fdata_find(o->m, makedev(maj, mnr), ino)))
			o->found = q;
	if (maps)
		fclose(maps);
	return o->found != 0;
}

/*
 * A process outside the container of @d (and not the dumper) that has a
 * carrier of its model open or mapped, into *@found (its pid) and *@f: its copy at restore
 * would part from what that process sees.  Reads every /proc/PID/fd and
 * maps: only when the image keeps a file; stats only descriptors of
 * unlinked files, from what the kernel has (AT_STATX_DONT_SYNC).
 */
static void fdata_outside(const struct cr_dump *d, pid_t *found,
			  const struct cr_file **f)
{
	struct fdata_outside_ctx o = { &d->m, 0, NULL };

	cr_dump_each_outside(d, fdata_outside_one, &o);
	*found = o.found;
	*f = o.f;
}

/* The first process of @d with @f as a descriptor or a mapping. */
static pid_t fdata_holder(const struct cr_dump *d, const struct cr_file *f)
{
	for (uint32_t i = 0; i < d->nr_tasks; i++) {
		const struct cr_task *t = d->tasks[i].t;

		for (uint32_t j = 0; t->fdt && j < t->fdt->nr_fds; j++)
			if (t->fdt->fds[j].file == f)
				return d->tasks[i].pid;
		for (uint32_t j = 0; t->mm && j < t->mm->nr_vmas; j++)
			if (t->mm->vmas[j].file == f)
				return d->tasks[i].pid;
	}
	return d->tasks[0].pid;
}

/*
 * Phase 2, for the whole container at the check of its first process
 * (one walk of /proc): a carrier refused (a mapping of it has no
 * descriptor to say), or held by a process outside the container.
 */
static int fdata_check(struct cr_dump *d, struct cr_dtask *dt,
		       struct cr_err *e)
{
	const struct cr_file *f = NULL;
	char comm[CRFS_COMM_LEN];
	bool any = false;
	pid_t other;

	if (dt != &d->tasks[0])
		return 0;
	for (uint32_t i = 0; i < d->m.nr_files; i++) {
		f = &d->m.files[i];
		any |= fdata_carrier(f);
		/* Mapped by any process of the container, all collected. */
		for (uint32_t j = 0; fdata_carrier(f) && !f->why &&
		     f->f.kind == CRFS_FILE_ANON_SHMEM && j < d->m.nr_shmems;
		     j++)
			if (d->m.shmems[j].ino == f->f.ino)
				d->m.files[i].why = "a descriptor of shared "
					"anonymous memory that is also mapped "
					"is not supported";
		if (fdata_carrier(f) && f->why)
			return cr_fail(e, f->f.data_size > CRFS_FILE_DATA_MAX ?
				       EFBIG : EOPNOTSUPP, "pid %d: %s: %s "
				       "(%" PRIu64 " bytes of data)",
				       fdata_holder(d, f), f->path, f->why,
				       (uint64_t)f->f.data_size);
	}
	if (!any)
		return 0;
	fdata_outside(d, &other, &f);
	if (!other)
		return 0;
	if (cr_proc_comm(other, comm, &(struct cr_err){ 0 }))
		snprintf(comm, sizeof(comm), "?");
	return cr_fail(e, EOPNOTSUPP, "pid %d: %s: also open or mapped in pid "
		       "%d (%s), outside the container: its contents would be "
		       "restored apart from it", fdata_holder(d, f), f->path,
		       other, comm);
}

/* Write the FILE_DATA records of carrier @f, read from @fd. */
static int fdata_write_one(struct cr_img *img, const struct cr_file *f,
			   int fd, char *buf, struct cr_err *e)
{
	uint64_t ps = img->page_size, off = 0, end, n, sum = 0;
	struct crfs_file_data rec = { .file_id = f->f.id };
	ssize_t got;
	int ret;

	while (sum <= f->f.data_size &&
	       fdata_extent(fd, f->f.size, ps, &off, &end)) {
		for (; off < end; off += n) {
			n = end - off < FDATA_CHUNK ? end - off : FDATA_CHUNK;
			sum += n;
			if (sum > f->f.data_size)
				break;	/* it grew: refused below */
			got = pread(fd, buf, n, off);
			if (got < 0)
				return cr_fail(e, errno, "%s: cannot read its "
					       "contents: %m", f->path);
			memset(buf + got, 0, n - got);
			rec.offset = off;
			rec.size = n;
			ret = cr_rec_put(img, CRFS_REC_FILE_DATA, e, 2,
					 (struct iovec[]){ { &rec, sizeof(rec) },
							   { buf, n } });
			if (ret)
				return ret;
		}
	}
	if (sum != f->f.data_size)
		return cr_fail(e, EBUSY, "%s: its contents changed during the "
			       "checkpoint (%" PRIu64 " bytes of data, then "
			       "%" PRIu64 "): is it shared with a process "
			       "outside the container?", f->path,
			       (uint64_t)f->f.data_size, sum);
	return 0;
}

int cr_dump_write_file_data(struct cr_dump *d, struct cr_img *img,
			    struct cr_err *e)
{
	char *buf = NULL;
	int ret = 0, fd;

	for (uint32_t i = 0; !ret && i < d->m.nr_files; i++) {
		const struct cr_file *f = &d->m.files[i];

		if (!fdata_carrier(f) || !f->f.data_size)
			continue;
		if (!buf && !(buf = malloc(FDATA_CHUNK)))
			return cr_fail(e, ENOMEM, "out of memory");
		fd = fdata_open(d, &d->tasks[0], f);
		if (fd < 0) {
			ret = cr_fail(e, errno, "pid %d: %s: cannot open it "
				      "to read its contents: %m",
				      d->tasks[0].pid, f->path);
			break;
		}
		ret = fdata_write_one(img, f, fd, buf, e);
		close(fd);
	}
	free(buf);
	return ret;
}

/* ----------------------------------------------------------- restore */

/* The file of a shared anonymous mapping, made and unmapped. */
static int fdata_make_shmem(const struct cr_rst *r, const struct cr_file *f,
			    struct cr_err *e)
{
	size_t ps = sysconf(_SC_PAGESIZE);
	size_t len = f->f.size > ps ? (f->f.size + ps - 1) / ps * ps : ps;
	char path[64];
	void *map;
	int fd;

	map = mmap(NULL, len, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return cr_fail(e, errno, "pid %u: %s: cannot make shared "
			       "anonymous memory of %zu bytes: %m",
			       r->task->t.pid, f->path, len);
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)map, (unsigned long)map + len);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fd = cr_fail(e, errno, "pid %u: %s: cannot open the shared "
			      "anonymous memory made for it: %m",
			      r->task->t.pid, f->path);
	munmap(map, len);
	return fd;
}

/*
 * Make the inode of carrier @f anew in the restorer: a memfd of the same
 * name, or an O_TMPFILE in the directory the file was in, which must be
 * there still, on the filesystem the file was on.
 */
static int fdata_make(const struct cr_rst *r, const struct cr_file *f,
		      struct cr_err *e)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	uint32_t pid = r->task->t.pid;
	char dir[CRFS_PATH_MAX], *slash;
	struct stat st;
	int dfd, fd;

	if (f->f.kind == CRFS_FILE_ANON_SHMEM)
		return fdata_make_shmem(r, f, e);
	if (f->f.kind == CRFS_FILE_MEMFD) {
		fd = memfd_create(f->path + strlen("memfd:"),
				  MFD_CLOEXEC | MFD_ALLOW_SEALING);
		if (fd < 0)
			return cr_fail(e, errno, "pid %u: %s: cannot make the "
				       "memfd again: %m", pid, f->path);
		return fd;
	}
	snprintf(dir, sizeof(dir), "%s", f->path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	dfd = syscall(SYS_openat2, AT_FDCWD, dir, &how, sizeof(how));
	if (dfd < 0)
		return cr_fail(e, errno, "pid %u: deleted file %s: its "
			       "directory %s: %m%s: cannot make the file again "
			       "where it was", pid, f->path, dir,
			       errno == ENOENT ? " (it is gone)" :
			       errno == ELOOP ? " (a symbolic link is in its "
			       "path now)" : "");
	fd = openat(dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	close(dfd);
	if (fd < 0)
		return cr_fail(e, errno, "pid %u: deleted file %s: cannot make "
			       "an unlinked file (O_TMPFILE) in %s: %m", pid,
			       f->path, dir);
	if (fstat(fd, &st) || (uint64_t)st.st_dev != f->f.dev) {
		close(fd);
		return cr_fail(e, EXDEV, "pid %u: deleted file %s: %s is on "
			       "another filesystem now (device %#llx, the file "
			       "was on %#llx)", pid, f->path, dir,
			       (unsigned long long)st.st_dev,
			       (unsigned long long)f->f.dev);
	}
	return fd;
}

/* Size, owner, mode of carrier @f in @fd, once its data are in. */
static int fdata_finish(const struct cr_rst *r, const struct cr_file *f,
			int fd, struct cr_err *e)
{
	const char *what = "set its size";

	if (!ftruncate(fd, f->f.size)) {
		what = "give it its owner";
		if (!fchown(fd, f->f.uid, f->f.gid)) {
			what = "give it its mode";
			if (!fchmod(fd, f->f.mode & 07777))
				return 0;
		}
	}
	return cr_fail(e, errno, "pid %u: %s: cannot %s: %m", r->task->t.pid,
		       f->path, what);
}

int cr_rst_fdata_point(struct cr_rst *r, struct cr_err *e)
{
	for (uint32_t i = 0; i < r->files.nr; i++) {
		struct cr_rst_file *rf = &r->files.f[i];
		int64_t k;
		struct stat st;

		if (!rf->data_id)
			continue;
		k = cr_model_find(r->m, CR_K_FILE, rf->data_id);
		if (k < 0 || r->fdata_fd[k] < 0 || fstat(r->fdata_fd[k], &st))
			return cr_fail(e, EIO, "pid %u: %s: no copy of it made",
				       r->task->t.pid, rf->path);
		snprintf(rf->via, sizeof(rf->via), "/proc/%d/fd/%d",
			 (int)getpid(), r->fdata_fd[k]);
		rf->dev = st.st_dev;
		rf->ino = st.st_ino;
	}
	return cr_rst_inotify_point(r, e);
}

int cr_rst_fdata_read(struct cr_rst *r, struct cr_img_walk *w,
		      struct cr_err *e)
{
	const struct cr_model *m = r->m;
	int rc = 0, fd;
	int64_t k;

	r->fdata_fd = malloc((m->nr_files ? m->nr_files : 1) *
			     sizeof(*r->fdata_fd));
	if (!r->fdata_fd)
		return cr_fail(e, ENOMEM, "out of memory");
	for (uint32_t i = 0; i < m->nr_files; i++)
		r->fdata_fd[i] = -1;
	for (uint32_t i = 0; !rc && i < m->nr_files; i++) {
		if (!fdata_carrier(&m->files[i]))
			continue;
		fd = fdata_make(r, &m->files[i], e);
		if (fd < 0)
			return fd;
		r->fdata_fd[i] = fd;
	}
	while ((rc = cr_img_walk_next(w, e)) == CR_WALK_FILE_DATA) {
		const struct cr_img_fdata *d = &w->fdata;

		k = cr_model_find(m, CR_K_FILE, d->file->f.id);
		if (k < 0 || r->fdata_fd[k] < 0)
			return cr_fail(e, EIO, "file %u: no copy of it made",
				       d->file->f.id);
		if (pwrite(r->fdata_fd[k], d->data, d->size, d->offset) !=
		    (ssize_t)d->size)
			return cr_fail(e, errno ? errno : EIO, "pid %u: %s: "
				       "cannot write its contents at %" PRIu64
				       ": %m", r->task->t.pid, d->file->path,
				       d->offset);
		rc = cr_rst_aborted(r, e);
		if (rc)
			return rc;
	}
	if (rc < 0)
		return rc;
	/* The record after the data: cr_read_pages() takes it again. */
	cr_img_walk_again(w);
	for (uint32_t i = 0; i < m->nr_files; i++)
		if (r->fdata_fd[i] >= 0 &&
		    (rc = fdata_finish(r, &m->files[i], r->fdata_fd[i], e)))
			return rc;
	return cr_rst_fdata_point(r, e);
}

void cr_rst_fdata_close(struct cr_rst *r)
{
	for (uint32_t i = 0; r->fdata_fd && i < r->m->nr_files; i++)
		if (r->fdata_fd[i] >= 0)
			close(r->fdata_fd[i]);
	free(r->fdata_fd);
	r->fdata_fd = NULL;
}

/* Phase 5: the seals of each memfd, last: everything is mapped. */
static int fdata_late(struct cr_rst *r, struct cr_err *e)
{
	/* The copies are the root's, for every process: sealed once. */
	if (r->idx)
		return 0;
	for (uint32_t i = 0; r->fdata_fd && i < r->m->nr_files; i++) {
		const struct cr_file *f = &r->m->files[i];

		if (r->fdata_fd[i] < 0 || !f->f.seals)
			continue;
		if (fcntl(r->fdata_fd[i], F_ADD_SEALS, f->f.seals))
			return cr_fail(e, errno, "pid %d: %s: cannot seal it "
				       "(seals %#x): %m", r->pid, f->path,
				       f->f.seals);
	}
	return 0;
}

const struct cr_res_ops cr_res_fdata = {
	.name		= "fdata",
	.collect	= fdata_collect,
	.check		= fdata_check,
	.late		= fdata_late,
};
