// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Inotify instances, for the "events" row (res-evfd.c): their watches by
 * path at a checkpoint, and made again by the new process at a restore.
 *
 * Checkpoint: fdinfo lists each watch with its wd, mask, inode and file
 * handle; the path is where open_by_handle_at() on a mount of the
 * inode's filesystem leads, checked by device and inode; a watched inode
 * with no path that is a deleted file of the container (an UNLINKED FILE,
 * its contents in the image) is that FILE (via, cr_inotify_via()).  An
 * instance holding events not read (FIONREAD on a pidfd_getfd() copy) is
 * refused: they would be lost.
 *
 * Restore: each watch is added again through an O_PATH descriptor of
 * its path checked by device and inode, with its wd: the kernel hands
 * wds out in turn, so a wd below the one wanted is removed and the watch
 * added again until it is; the IN_IGNORED events of that walk are read
 * off (the instance had no event queued).  A watch of a deleted file is
 * added through the restorer's copy of it, kept as an O_PATH descriptor
 * (cr_rst_inotify_point(); restore-files.c opens it as the restorer).
 * Events that happen between the checkpoint and the end of the restore
 * are not seen.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "dump.h"
#include "proc.h"
#include "rec.h"
#include "restore.h"

/* The longest file handle fdinfo shows (MAX_HANDLE_SZ). */
#define CR_HANDLE_MAX		128

/* Bytes of events inotify @fd of @pid holds, not yet read; -1: unknown. */
static int cr_evfd_queued(pid_t pid, int fd)
{
	int cfd = cr_evfd_copy(pid, fd), n = -1;

	if (cfd >= 0 && ioctl(cfd, FIONREAD, &n))
		n = -1;
	if (cfd >= 0)
		close(cfd);
	return n;
}

/*
 * A descriptor of a mount of device @maj:@min (its root directory, open
 * for reading: open_by_handle_at() takes no O_PATH one), or -1.
 */
static int cr_evfd_mount_fd(unsigned int maj, unsigned int min)
{
	char *buf = cr_read_file("/proc/self/mountinfo", NULL), *l, *next;
	char mp[4096];
	unsigned int a, b;
	int fd = -1;

	for (l = buf; buf && fd < 0 && l && *l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		if (sscanf(l, "%*d %*d %u:%u %*s %4095s", &a, &b, mp) != 3 ||
		    a != maj || b != min)
			continue;
		fd = open(mp, O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC);
	}
	free(buf);
	return fd;
}

/*
 * Where deleted inode @fd (open by its handle) was, "/PATH (deleted)":
 * the watch is then of the FILE carrying its contents, found once every
 * FILE is known (cr_inotify_via()); NULL, *@why kept, if it is not
 * deleted (outside every mount) or no regular file.
 */
static char *cr_evfd_gone_path(int fd, const char **why)
{
	char link[64], buf[CRFS_PATH_MAX];
	struct stat st;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_nlink)
		return NULL;
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n <= 0 || buf[0] != '/')
		return NULL;
	buf[n] = '\0';
	*why = NULL;
	return strdup(buf);
}

/*
 * The path of the inode of file handle @hex (type @type) on device
 * @maj:@min, checked to be @dev, @ino; or, with *@gone, where that
 * deleted inode was; NULL with *@why.
 */
static char *cr_evfd_handle_path(const char *hex, int type, unsigned int maj,
				 unsigned int min, uint64_t ino,
				 const char **why, bool *gone)
{
	union {
		struct file_handle	h;
		unsigned char		raw[sizeof(struct file_handle) +
					    CR_HANDLE_MAX];
	} fh;
	unsigned char *hb = fh.raw + sizeof(struct file_handle);
	char link[64], *path = NULL;
	size_t n = strlen(hex) / 2;
	struct stat st;
	int mfd, fd;

	*why = "an inotify watch whose inode cannot be found by its file "
	       "handle (a filesystem without handles, or not mounted here)";
	if (!n || n > CR_HANDLE_MAX)
		return NULL;
	fh.h.handle_bytes = n;
	fh.h.handle_type = type;
	for (size_t i = 0; i < n; i++)
		if (sscanf(hex + 2 * i, "%2hhx", &hb[i]) != 1)
			return NULL;
	mfd = cr_evfd_mount_fd(maj, min);
	/* Not mounted here (a memfd's): refused unless a FILE of it. */
	if (mfd < 0) {
		*gone = true;
		*why = NULL;
		return strdup("/ (not mounted here)");
	}
	fd = open_by_handle_at(mfd, &fh.h, O_PATH | O_CLOEXEC);
	close(mfd);
	if (fd < 0)
		return NULL;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	path = realpath(link, NULL);
	*why = "an inotify watch on an inode that has no path here (deleted, "
	       "or outside every mount of its filesystem)";
	if (!path || path[0] != '/' ||
	    cr_stat_cached(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, &st) ||
	    st.st_dev != makedev(maj, min) || st.st_ino != ino) {
		free(path);
		path = cr_evfd_gone_path(fd, why);
		*gone = path != NULL;
		close(fd);
		return path;
	}
	close(fd);
	*why = NULL;
	return path;
}

/* Append watch @w at @path to inotify @f's wbuf. */
static int cr_evfd_add_wd(struct cr_file *f, struct crfs_inotify_wd *w,
			  const char *path)
{
	size_t plen = strlen(path) + 1, add = sizeof(*w) + cr_pad8(plen);
	char *b = realloc(f->wbuf, f->wlen + add);

	if (!b)
		return -ENOMEM;
	w->path_len = plen;
	memcpy(b + f->wlen, w, sizeof(*w));
	memset(b + f->wlen + sizeof(*w), 0, cr_pad8(plen));
	memcpy(b + f->wlen + sizeof(*w), path, plen);
	f->wbuf = b;
	f->wlen += add;
	f->nr_wds++;
	return 0;
}

/* A watch being collected: its record, its path. */
struct cr_wd_probe {
	struct crfs_inotify_wd	w;
	char			*path;
};

/* By wd. */
static int cr_wd_cmp(const void *pa, const void *pb)
{
	const struct cr_wd_probe *a = pa, *b = pb;

	return (a->w.wd > b->w.wd) - (a->w.wd < b->w.wd);
}

/* One "inotify wd:" line @l into @p; 0, or why it is refused in *@why. */
static int cr_evfd_wd_line(const char *l, struct cr_wd_probe *p,
			   const char **why)
{
	unsigned int wd, mask, sdev, type = 0, nb = 0;
	char hex[2 * CR_HANDLE_MAX + 1] = "";
	unsigned long long ino;
	bool gone = false;

	if (sscanf(l, "inotify wd:%x ino:%llx sdev:%x mask:%x "
		   "ignored_mask:%*x fhandle-bytes:%x fhandle-type:%x "
		   "f_handle:%256[0-9a-f]", &wd, &ino, &sdev, &mask, &nb,
		   &type, hex) < 4)
		return -EBADMSG;
	memset(p, 0, sizeof(*p));
	p->w.wd = wd;
	p->w.mask = mask;
	/* sdev is the kernel's dev_t: its major in the top 12 bits. */
	p->w.dev = makedev(sdev >> 20, sdev & 0xfffff);
	p->w.ino = ino;
	p->path = cr_evfd_handle_path(hex, type, sdev >> 20, sdev & 0xfffff,
				      ino, why, &gone);
	if (gone)
		p->w.via = CR_INOTIFY_VIA_FIND;
	return 0;
}

/*
 * The watches of inotify @fd of @pid from its fdinfo @buf, each by the
 * path its file handle leads to; refused (f->why) if it holds events not
 * read, or a watch's inode has no path.
 */
int cr_inotify_probe(pid_t pid, int fd, char *buf, struct cr_file *f,
		     struct cr_err *e)
{
	struct cr_wd_probe *w = NULL, *nw;
	const char *why = NULL;
	uint32_t n = 0, i;
	int ret = 0, q;
	char *l;

	q = cr_evfd_queued(pid, fd);
	if (q) {
		f->why = q < 0 ? "cannot tell whether the inotify instance "
				 "holds events not read" :
				 "an inotify instance holding events not read "
				 "is not supported (they would be lost): read "
				 "them first";
		return 0;
	}
	for (l = buf; !ret && !why && l && *l;
	     l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, "inotify wd:", 11))
			continue;
		if (n >= CRFS_MAX_INOTIFY_WDS) {
			why = "an inotify instance with more than "
			      "CRFS_MAX_INOTIFY_WDS watches is not supported";
			break;
		}
		nw = realloc(w, (n + 1) * sizeof(*w));
		if (!nw) {
			ret = cr_fail(e, ENOMEM, "out of memory");
			break;
		}
		w = nw;
		if (cr_evfd_wd_line(l, &w[n], &why))
			ret = cr_fail(e, EBADMSG, "pid %d: fd %d: cannot read "
				      "an inotify watch: %.80s", pid, fd, l);
		else
			n++;
	}
	if (!ret && !why && n)
		qsort(w, n, sizeof(*w), cr_wd_cmp);
	f->why = why;
	for (i = 0; !ret && !why && i < n; i++)
		if (cr_evfd_add_wd(f, &w[i].w, w[i].path))
			ret = cr_fail(e, ENOMEM, "out of memory");
	if (!ret && !why) {
		f->nr_wds = 0;
		if (cr_inotify_index(f, &why))
			ret = cr_fail(e, EBADMSG, "pid %d: fd %d: %s", pid, fd,
				      why);
	}
	for (i = 0; i < n; i++)
		free(w[i].path);
	free(w);
	return ret;
}

/*
 * The carrier FILE of the deleted file @dev, @ino in @m, or NULL.  Not a
 * memfd: its descriptions report nothing to inotify (Linux 6.14 and
 * later: pseudo files), a copy opened again through /proc would.
 */
static const struct cr_file *cr_inotify_carrier(const struct cr_model *m,
						uint64_t dev, uint64_t ino)
{
	for (uint32_t i = 0; i < m->nr_files; i++) {
		const struct crfs_file *o = &m->files[i].f;

		if (o->kind == CRFS_FILE_UNLINKED && o->data_id == o->id &&
		    o->dev == dev && o->ino == ino)
			return &m->files[i];
	}
	return NULL;
}

/*
 * The directory deleted file @f was in (its path without " (deleted)"),
 * in @st; false if there is none any more.
 */
static bool inotify_parent(const struct cr_file *f, struct stat *st)
{
	char dir[PATH_MAX], *slash;
	size_t n = strlen(f->path);

	if (f->f.kind == CRFS_FILE_MEMFD || f->path[0] != '/' ||
	    n >= sizeof(dir))
		return false;
	memcpy(dir, f->path, n + 1);
	if (n > 10 && !strcmp(dir + n - 10, " (deleted)"))
		dir[n - 10] = 0;
	slash = strrchr(dir, '/');
	slash[slash == dir] = 0;
	return !stat(dir, st);
}

const char *cr_inotify_noisy(const struct cr_model *m,
			     const struct cr_file *cf)
{
	const struct crfs_file *f = &cf->f;
	struct stat dir;
	bool parent = inotify_parent(cf, &dir);

	for (uint32_t i = 0; i < m->nr_files; i++) {
		const struct cr_file *in = &m->files[i];

		if (in->f.kind != CRFS_FILE_INOTIFY || in->why)
			continue;
		for (uint32_t j = 0; j < in->nr_wds; j++) {
			const struct crfs_inotify_wd *w = in->wds[j].w;

			/* A deleted child's events still go to its directory. */
			if (parent && w->dev == dir.st_dev &&
			    w->ino == dir.st_ino &&
			    (w->mask & CR_IN_VIA_NOISY) &&
			    !(w->mask & IN_EXCL_UNLINK))
				return "a deleted file whose directory inotify "
				       "watches for IN_OPEN, IN_ACCESS or "
				       "IN_CLOSE_NOWRITE is not supported "
				       "(reading its contents would be "
				       "reported)";
			if (w->dev != f->dev || w->ino != f->ino)
				continue;
			if (f->kind == CRFS_FILE_MEMFD)
				return "a memfd watched by inotify is not "
				       "supported (its copy, opened again, "
				       "would report what it does not)";
			if (w->mask & CR_IN_VIA_NOISY)
				return "a deleted file watched by inotify for "
				       "IN_OPEN, IN_ACCESS or IN_CLOSE_NOWRITE "
				       "is not supported (reading its "
				       "contents would be reported)";
		}
	}
	return NULL;
}

int cr_inotify_via(struct cr_dump *d, const struct cr_dtask *dt,
		   struct cr_err *e)
{
	const struct cr_fdtable *fdt = dt->t->fdt;

	for (uint32_t i = 0; fdt && i < fdt->nr_fds; i++) {
		struct cr_file *f = cr_model_file(&d->m,
						  fdt->fds[i].d.file_id);

		if (!f || f->f.kind != CRFS_FILE_INOTIFY || f->why)
			continue;
		for (uint32_t j = 0; j < f->nr_wds; j++) {
			/* The dump's own copy (wbuf), written once here. */
			struct crfs_inotify_wd *w = (void *)f->wds[j].w;
			const struct cr_file *o;

			if (w->via != CR_INOTIFY_VIA_FIND)
				continue;
			o = cr_inotify_carrier(&d->m, w->dev, w->ino);
			if (!o)
				return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: "
					       "%s: an inotify watch (wd %d) "
					       "on an inode that has no path "
					       "here (%.200s) and is no "
					       "deleted file a descriptor or "
					       "mapping of the container holds "
					       "(a memfd, or a file held "
					       "outside) is not supported",
					       dt->pid,
					       fdt->fds[i].d.fd, f->path,
					       w->wd, f->wds[j].path);
			if (w->mask & CR_IN_VIA_NOISY)
				return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: "
					       "%s: an inotify watch (wd %d) "
					       "of a deleted file (%.200s) "
					       "for IN_OPEN, "
					       "IN_ACCESS or IN_CLOSE_NOWRITE "
					       "is not supported (the "
					       "checkpoint reads its contents, "
					       "the restore opens it: both "
					       "would be reported)", dt->pid,
					       fdt->fds[i].d.fd, f->path,
					       w->wd, f->wds[j].path);
			w->via = o->f.id;
		}
	}
	return 0;
}

/* "/proc/self/fd/@fd" into @buf (no library call: the new process). */
static void evfd_fd_path(char *buf, long fd)
{
	static const char pre[] = "/proc/self/fd/";
	char digits[24];
	int n = 0, i = sizeof(pre) - 1;

	memcpy(buf, pre, sizeof(pre) - 1);
	do {
		digits[n++] = '0' + fd % 10;
		fd /= 10;
	} while (fd);
	while (n)
		buf[i++] = digits[--n];
	buf[i] = '\0';
}

/*
 * Watch @w of inotify @fd again, with its wd: the inode at its path,
 * checked (dev, ino) on an O_PATH descriptor, watched through that
 * descriptor; a wd below the one wanted is removed and the inode added
 * again until the kernel, which hands wds out in turn, hands out the one
 * wanted.  0, or -1 with errno.
 */
static int evfd_watch(long fd, const struct cr_inotify_wd *w, long copy)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	char path[40];
	struct stat st;
	long pfd, wd = -1;
	int err = 0;

	/* A deleted inode: the copy the restorer made of it. */
	pfd = copy >= 0 ? syscall(SYS_dup, copy) :
	      syscall(SYS_openat2, AT_FDCWD, w->path, &how, sizeof(how));
	if (pfd < 0)
		return -1;
	if (copy < 0 && syscall(SYS_fstat, pfd, &st))
		err = errno;
	else if (copy < 0 &&
		 (st.st_dev != w->w->dev || st.st_ino != w->w->ino))
		err = ESTALE;
	evfd_fd_path(path, pfd);
	for (int n = 0; !err && n <= CR_INOTIFY_WD_WALK; n++) {
		wd = syscall(SYS_inotify_add_watch, fd, path, w->w->mask);
		if (wd < 0)
			err = errno;
		else if (wd == w->w->wd)
			break;
		else if (wd > w->w->wd ||
			 syscall(SYS_inotify_rm_watch, fd, wd))
			err = EEXIST;
	}
	if (!err && wd != w->w->wd)
		err = EEXIST;
	syscall(SYS_close, pfd);
	errno = err;
	return err ? -1 : 0;
}

/*
 * An inotify instance with @fi's watches; the IN_IGNORED events of the
 * watches removed on the way are read off (the instance had none queued).
 */
long cr_rst_inotify_make(const struct cr_file *fi, int oflags,
			 const int32_t *pfd)
{
	char buf[4096];
	long fd;
	int err = 0;

	fd = syscall(SYS_inotify_init1, IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return fd;
	for (uint32_t i = 0; !err && i < fi->nr_wds; i++)
		if (evfd_watch(fd, &fi->wds[i], pfd ? pfd[i] : -1))
			err = errno;
	while (!err && syscall(SYS_read, fd, buf, sizeof(buf)) > 0)
		;
	if (!err && !(oflags & O_NONBLOCK) &&
	    syscall(SYS_fcntl, fd, F_SETFL, oflags & ~O_NONBLOCK))
		err = errno;
	if (err) {
		syscall(SYS_close, fd);
		errno = err;
		return -1;
	}
	return fd;
}


/*
 * The restorer's copy @fd of a watched deleted inode turned into an
 * O_PATH descriptor at the same number, before any watch exists: the
 * writable one it was made through is released now, and closing the copy
 * at the end of the restore tells the watches nothing (no
 * IN_CLOSE_WRITE).  The processes still open it through /proc.
 */
static int cr_inotify_quiet(int fd)
{
	char link[64];
	int pfd, fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	if (fl & O_PATH)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	pfd = open(link, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	if (dup3(pfd, fd, O_CLOEXEC) < 0) {
		int err = errno;

		close(pfd);
		return -err;
	}
	close(pfd);
	return 0;
}

int cr_rst_inotify_point(struct cr_rst *r, struct cr_err *e)
{
	for (uint32_t i = 0; i < r->files.nr; i++) {
		struct cr_rst_file *rf = &r->files.f[i];
		const struct cr_file *fi = rf->evfd;

		if (!fi || fi->f.kind != CRFS_FILE_INOTIFY || rf->wd_via)
			continue;
		for (uint32_t j = 0; j < fi->nr_wds; j++) {
			uint32_t via = fi->wds[j].w->via;
			int64_t k;
			int ret;

			if (!via)
				continue;
			if (!rf->wd_via) {
				rf->wd_via = calloc(fi->nr_wds,
						    sizeof(*rf->wd_via));
				if (!rf->wd_via)
					return cr_fail(e, ENOMEM,
						       "out of memory");
			}
			k = cr_model_find(r->m, CR_K_FILE, via);
			if (k < 0 || !r->fdata_fd || r->fdata_fd[k] < 0)
				return cr_fail(e, EIO, "pid %u: inotify watch "
					       "%d: no copy made of its "
					       "deleted inode (file %u)",
					       r->task->t.pid,
					       fi->wds[j].w->wd, via);
			ret = cr_inotify_quiet(r->fdata_fd[k]);
			if (ret)
				return cr_fail(e, -ret, "pid %u: inotify watch "
					       "%d: cannot reopen the copy of "
					       "its deleted inode: %s",
					       r->task->t.pid,
					       fi->wds[j].w->wd, strerror(-ret));
			snprintf(rf->wd_via[j], sizeof(rf->wd_via[j]),
				 "/proc/%d/fd/%d", (int)getpid(),
				 r->fdata_fd[k]);
		}
	}
	return 0;
}
