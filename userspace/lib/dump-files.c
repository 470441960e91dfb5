// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What a file of a process is, for a checkpoint: regular files,
 * directories and a few harmless character devices are kept, by path,
 * with the identity a restore checks them by; everything else gets the
 * reason it is refused, which the check phase reports (res-files.c),
 * with what to do about a terminal or a descriptor inherited from the
 * shell.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "dump.h"
#include "proc.h"

#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC	0x19800202	/* ipc/mqueue.c; not in every uapi */
#endif

/* What a file whose link starts with @prefix is, for the refusal. */
static const struct {
	const char	*prefix;
	const char	*why;
} cr_file_refused[] = {
	{ "anon_inode:[io_uring]",	"io_uring is not supported" },
	{ "anon_inode:[fanotify]",	"fanotify is not supported" },
	{ "anon_inode:[pidfd]",		"pidfds are not supported" },
	{ "pidfd:",			"pidfds are not supported" },
	{ "anon_inode:",		"anonymous inodes are not supported" },
};

/* The character devices that are reopened by path at restore. */
static const struct {
	unsigned int	major, minor;
} cr_chr_ok[] = {
	{ 1, 3 },	/* /dev/null */
	{ 1, 5 },	/* /dev/zero */
	{ 1, 7 },	/* /dev/full */
	{ 1, 8 },	/* /dev/random */
	{ 1, 9 },	/* /dev/urandom */
	{ 5, 0 },	/* /dev/tty: its terminal's, checked by res-tty.c */
};

/* Does @path end with the " (deleted)" of an unlinked file? */
static bool cr_deleted(const char *path)
{
	size_t l = strlen(path);

	return l > 10 && !strcmp(path + l - 10, " (deleted)");
}

/*
 * The kind of a regular file: a memfd ("/memfd:NAME (deleted)" on tmpfs),
 * a deleted file linked nowhere (its contents go into the image), or a
 * file reopened by path.
 */
static uint32_t cr_file_kind_reg(const struct stat *st, const char *link,
				 const struct statfs *sfs, const char **why)
{
	bool deleted = !st->st_nlink || cr_deleted(link);

	if (link[0] != '/') {
		*why = "files without a path are not supported";
		return 0;
	}
	if (!deleted)
		return CRFS_FILE_REG;
	if (!strncmp(link, "/memfd:", 7)) {
		if (sfs->f_type == TMPFS_MAGIC)
			return CRFS_FILE_MEMFD;
		*why = "hugetlbfs memfds are not supported";
		return 0;
	}
	if (!strcmp(link, "/dev/zero (deleted)") && !major(st->st_dev) &&
	    sfs->f_type == TMPFS_MAGIC)
		return CRFS_FILE_ANON_SHMEM;
	if (st->st_nlink) {
		*why = "a file deleted at this path but linked at another "
		       "(its contents would be restored apart from it) is "
		       "not supported";
		return 0;
	}
	return CRFS_FILE_UNLINKED;
}

/* The kind of @st at @link, or 0 with *@why saying why it is refused. */
static uint32_t cr_file_kind(const struct stat *st, const char *link,
			     const struct statfs *sfs, const char **why)
{
	size_t i;

	/* Its descriptors read as "/NAME", a path of no file of the root. */
	if (sfs->f_type == MQUEUE_MAGIC) {
		*why = "POSIX message queues are not supported";
		return 0;
	}
	/* Its inodes are made per lookup: reopened, another inode. */
	if (sfs->f_type == PROC_SUPER_MAGIC) {
		*why = "files of /proc are not supported (reopened, they would "
		       "be other inodes)";
		return 0;
	}
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		return cr_file_kind_reg(st, link, sfs, why);
	case S_IFDIR:
		if (cr_deleted(link))
			*why = "deleted directories are not supported";
		return *why ? 0 : CRFS_FILE_DIR;
	case S_IFCHR:
		for (i = 0; i < sizeof(cr_chr_ok) / sizeof(cr_chr_ok[0]); i++)
			if (major(st->st_rdev) == cr_chr_ok[i].major &&
			    minor(st->st_rdev) == cr_chr_ok[i].minor)
				return CRFS_FILE_CHR;
		*why = "this character device is not supported";
		return 0;
	case S_IFIFO:
		if (link[0] != '/' || cr_deleted(link))
			*why = "a FIFO without a path (deleted?) is not "
			       "supported";
		return *why ? 0 : CRFS_FILE_FIFO;
	case S_IFSOCK:
		*why = "sockets are not supported";
		return 0;
	case S_IFBLK:
		*why = "block devices are not supported";
		return 0;
	}
	*why = "unknown kind of file";
	return 0;
}

int cr_dump_fd_stat(pid_t pid, const char *name, struct cr_file *f,
		    struct cr_err *e)
{
	char path[96];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	if (cr_stat_cached(AT_FDCWD, path, 0, &st))
		return cr_fail(e, errno, "pid %d: %s: %s: cannot stat: %m", pid,
			       name, f->path);
	f->f.mode = st.st_mode;
	f->f.dev = st.st_dev;
	f->f.ino = st.st_ino;
	f->f.uid = st.st_uid;
	f->f.gid = st.st_gid;
	return 0;
}

int cr_dump_file_probe(pid_t pid, const char *name, uint32_t flags,
		       struct cr_file *f, struct cr_err *e)
{
	char path[96], *link;
	struct statfs sfs;
	struct stat st;
	size_t i;
	int ret;

	memset(f, 0, sizeof(*f));
	ret = cr_proc_link(pid, name, &link, e);
	if (ret)
		return ret;
	/* How it was opened, not a status of it (restores follow no link). */
	f->f.flags = flags & ~O_NOFOLLOW;
	f->path = link;
	if (cr_evfd_kind(link))
		return cr_evfd_probe(pid, name, f, e);
	if (!strncmp(link, "socket:", 7))
		return cr_sock_probe(pid, name, f, e);
	if (!strncmp(link, "pipe:", 5)) {
		f->f.kind = CRFS_FILE_PIPE;
		return cr_pipe_probe(pid, name, f, e);
	}
	if (cr_tty_link(link)) {
		ret = cr_tty_probe(pid, name, f, e);
		if (ret || f->f.kind || f->why)
			return ret;
	}
	for (i = 0; i < sizeof(cr_file_refused) / sizeof(cr_file_refused[0]);
	     i++)
		if (!strncmp(link, cr_file_refused[i].prefix,
			     strlen(cr_file_refused[i].prefix))) {
			f->why = cr_file_refused[i].why;
			return 0;
		}
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	/*
	 * Nothing here asks the file's filesystem (a FUSE server could
	 * block): the attributes come from its cache, and only a deleted
	 * memfd or shared anonymous memory needs statfs (tmpfs or not), a
	 * file under /proc (procfs or not), and a regular file "/NAME" (a
	 * POSIX message queue or not: a FUSE mount on / is unlikely).
	 */
	memset(&sfs, 0, sizeof(sfs));
	if (cr_stat_cached(AT_FDCWD, path, 0, &st) ||
	    ((!strncmp(link, "/memfd:", 7) ||
	      !strcmp(link, "/dev/zero (deleted)") ||
	      !strncmp(link, "/proc/", 6) || !strcmp(link, "/proc") ||
	      (S_ISREG(st.st_mode) && link[0] == '/' &&
	       !strchr(link + 1, '/'))) &&
	     statfs(path, &sfs))) {
		ret = cr_fail(e, errno, "pid %d: %s: %s: cannot stat: %m", pid,
			      name, link);
		free(link);
		f->path = NULL;
		return ret;
	}
	f->f.kind = cr_file_kind(&st, link, &sfs, &f->why);
	/* Where it was: without " (deleted)", a memfd as memfd:NAME. */
	if (cr_file_kept(&f->f)) {
		if (cr_deleted(link))
			link[strlen(link) - 10] = '\0';
		if (f->f.kind == CRFS_FILE_MEMFD)
			memmove(link, link + 1, strlen(link));
		/* How an O_TMPFILE was made, not a status of it. */
		f->f.flags &= ~O_TMPFILE;
	}
	f->f.mode = st.st_mode;
	f->f.dev = st.st_dev;
	f->f.ino = st.st_ino;
	f->f.rdev = st.st_rdev;
	f->f.uid = st.st_uid;
	f->f.gid = st.st_gid;
	if (S_ISREG(st.st_mode)) {
		f->f.size = st.st_size;
		f->f.mtime_ns = cr_mtime_ns(&st);
	}
	if (f->f.kind == CRFS_FILE_FIFO)
		return cr_pipe_probe(pid, name, f, e);
	return 0;
}

/*
 * The FILE carrying the contents of @n's inode: an earlier MEMFD or
 * UNLINKED file of the same device and inode, or @n itself.  Linear in
 * the files, only for files whose contents are in the image.
 */
static uint32_t cr_dump_file_inode(const struct cr_model *m,
				   const struct cr_file *n)
{
	for (uint32_t i = 0; i < m->nr_files; i++) {
		const struct crfs_file *o = &m->files[i].f;

		if (&m->files[i] != n && o->data_id && o->kind == n->f.kind &&
		    o->dev == n->f.dev && o->ino == n->f.ino)
			return o->data_id;
	}
	return n->f.id;
}

uint32_t cr_dump_file_add(struct cr_dump *d, struct cr_file *f,
			  struct cr_err *e)
{
	struct cr_file *n;
	int err = 0;

	n = cr_model_new_file(&d->m, &err);
	if (!n) {
		free(f->path);
		f->path = NULL;
		cr_fail(e, ENOMEM, "out of memory");
		return 0;
	}
	*n = *f;
	n->f.id = cr_dump_id(d);
	f->path = NULL;
	if (cr_file_kept(&n->f))
		n->f.data_id = cr_dump_file_inode(&d->m, n);
	return n->f.id;
}

uint32_t cr_dump_file(struct cr_dump *d, pid_t pid, const char *name,
		      uint32_t flags, struct cr_err *e)
{
	struct cr_file f;

	if (cr_dump_file_probe(pid, name, flags, &f, e))
		return 0;
	return cr_dump_file_add(d, &f, e);
}
