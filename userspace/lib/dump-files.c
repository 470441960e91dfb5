// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Dump of the file descriptors: regular files and a few harmless character
 * devices are kept; everything else is refused by name, before any image
 * byte exists, and a terminal or a descriptor inherited from the shell is
 * refused with what to do about it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "dump.h"
#include "proc.h"

/* What a descriptor whose link starts with @prefix is, for the refusal. */
static const struct {
	const char	*prefix;
	const char	*why;
} fd_refused[] = {
	{ "socket:",			"sockets are not supported" },
	{ "pipe:",			"pipes are not supported" },
	{ "anon_inode:[io_uring]",	"io_uring is not supported" },
	{ "anon_inode:[eventfd]",	"eventfds are not supported" },
	{ "anon_inode:[signalfd]",	"signalfds are not supported" },
	{ "anon_inode:[timerfd]",	"timerfds are not supported" },
	{ "anon_inode:[eventpoll]",	"epoll instances are not supported" },
	{ "anon_inode:inotify",		"inotify instances are not supported" },
	{ "anon_inode:[fanotify]",	"fanotify is not supported" },
	{ "anon_inode:[pidfd]",		"pidfds are not supported" },
	{ "pidfd:",			"pidfds are not supported" },
	{ "anon_inode:",		"anonymous inodes are not supported" },
	{ "/memfd:",			"memfds are not supported" },
};

/* What to do about a descriptor the program got from whoever started it. */
#define FD_HINT "start it with </dev/null >log 2>&1, or close the descriptor"

/* Is a character device of major @maj, at @link, a terminal? */
static bool fd_is_tty(unsigned int maj, const char *link)
{
	/* tty, ttyS; /dev/tty, console, ptmx; the pts majors 136-143 */
	return maj == 4 || maj == 5 || (maj >= 136 && maj <= 143) ||
	       !strncmp(link, "/dev/pts/", 9) || !strncmp(link, "/dev/tty", 8);
}

/*
 * A process other than @pid holding @link ("pipe:[81236]"), so the other
 * end of a pipe or socket is outside the container: its pid, its name in
 * @comm; 0 if none is found.  Only for a refusal: it reads every
 * /proc/PID/fd.
 */
static pid_t fd_holder(pid_t pid, const char *link, char *comm, size_t len)
{
	char path[64], target[64];
	struct dirent *de, *fe;
	pid_t found = 0, p;
	DIR *proc, *fds;
	ssize_t n;

	proc = opendir("/proc");
	if (!proc)
		return 0;
	while (!found && (de = readdir(proc))) {
		p = atoi(de->d_name);
		if (p <= 0 || p == pid || p == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", p);
		fds = opendir(path);
		if (!fds)
			continue;
		while (!found && (fe = readdir(fds))) {
			n = readlinkat(dirfd(fds), fe->d_name, target,
				       sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (!strcmp(target, link))
				found = p;
		}
		closedir(fds);
	}
	closedir(proc);
	if (found) {
		struct cr_err ignore;

		if (cr_proc_comm(found, comm, &ignore))
			snprintf(comm, len, "?");
	}
	return found;
}

/*
 * Put what to do into @buf after @why, for a descriptor that is a
 * terminal, or a pipe or socket that a standard descriptor holds or a
 * process outside the container shares: most likely inherited from the
 * shell that started the program.
 */
static const char *fd_hint(pid_t pid, int fd, const char *link,
			   const struct stat *st, bool have_st,
			   const char *why, char *buf, size_t len)
{
	char comm[CRFS_COMM_LEN];
	pid_t other = 0;

	if (have_st && S_ISCHR(st->st_mode) &&
	    fd_is_tty(major(st->st_rdev), link)) {
		snprintf(buf, len, "terminals are not supported: " FD_HINT);
		return buf;
	}
	if (strncmp(link, "pipe:", 5) && strncmp(link, "socket:", 7))
		return why;
	other = fd_holder(pid, link, comm, sizeof(comm));
	if (other)
		snprintf(buf, len, "%s: also open in pid %d (%s), outside the container: "
			 FD_HINT, why, other, comm);
	else if (fd <= 2)
		snprintf(buf, len, "%s: " FD_HINT, why);
	else
		return why;
	return buf;
}

/* The character devices that are reopened by path at restore. */
static const struct {
	unsigned int	major, minor;
} fd_chr_ok[] = {
	{ 1, 3 },	/* /dev/null */
	{ 1, 5 },	/* /dev/zero */
	{ 1, 8 },	/* /dev/random */
	{ 1, 9 },	/* /dev/urandom */
};

/* Why a descriptor of mode @st cannot be dumped, or NULL if it can. */
static const char *fd_mode_refused(const struct stat *st, const char *link,
				   char *buf, size_t len)
{
	size_t i, l = strlen(link);

	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		if (!st->st_nlink ||
		    (l > 10 && !strcmp(link + l - 10, " (deleted)")))
			return "deleted files are not supported";
		if (link[0] != '/')
			return "files without a path are not supported";
		return NULL;
	case S_IFCHR:
		for (i = 0; i < sizeof(fd_chr_ok) / sizeof(fd_chr_ok[0]); i++)
			if (major(st->st_rdev) == fd_chr_ok[i].major &&
			    minor(st->st_rdev) == fd_chr_ok[i].minor)
				return NULL;
		snprintf(buf, len, "character device %u:%u is not supported",
			 major(st->st_rdev), minor(st->st_rdev));
		return buf;
	case S_IFDIR:
		return "directories are not supported";
	case S_IFIFO:
		return "FIFOs are not supported";
	case S_IFSOCK:
		return "sockets are not supported";
	case S_IFBLK:
		return "block devices are not supported";
	}
	return "unknown kind of file";
}

/* Collect descriptor @fd into @fi, or refuse it. */
static int dump_fd(struct cr_dump *d, int fd, struct cr_fd_img *fi,
		   struct cr_err *e)
{
	char name[32], path[64], why[64], hint[256], *link;
	const char *no = NULL;
	bool have_st = false;
	uint32_t flags = 0;
	uint64_t pos = 0;
	struct stat st;
	size_t i;
	int ret;

	snprintf(name, sizeof(name), "fd/%d", fd);
	ret = cr_proc_link(d->pid, name, &link, e);
	if (ret)
		return ret;
	for (i = 0; i < sizeof(fd_refused) / sizeof(fd_refused[0]); i++)
		if (!strncmp(link, fd_refused[i].prefix,
			     strlen(fd_refused[i].prefix))) {
			no = fd_refused[i].why;
			break;
		}
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", d->pid, fd);
	if (!no && stat(path, &st)) {
		ret = cr_fail(e, errno, "pid %d: fd %d: %s: cannot stat: %m",
			      d->pid, fd, link);
		goto out_free;
	}
	if (!no) {
		have_st = true;
		no = fd_mode_refused(&st, link, why, sizeof(why));
	}
	if (!no) {
		ret = cr_proc_fdinfo(d->pid, fd, &pos, &flags, e);
		if (ret)
			goto out_free;
		if (flags & O_PATH)
			no = "O_PATH descriptors are not supported";
	}
	if (no) {
		no = fd_hint(d->pid, fd, link, &st, have_st, no, hint,
			     sizeof(hint));
		ret = cr_fail(e, EOPNOTSUPP, "pid %d: fd %d: %s: %s", d->pid,
			      fd, link, no);
		goto out_free;
	}
	memset(fi, 0, sizeof(*fi));
	fi->f.fd = fd;
	fi->f.kind = S_ISREG(st.st_mode) ? CRFS_FD_REG : CRFS_FD_CHR;
	fi->f.flags = flags & ~O_CLOEXEC;
	fi->f.cloexec = !!(flags & O_CLOEXEC);
	fi->f.pos = pos;
	fi->f.ino = st.st_ino;
	fi->f.dev = st.st_dev;
	fi->f.mode = st.st_mode;
	if (S_ISREG(st.st_mode)) {
		fi->f.size = st.st_size;
		fi->f.mtime_ns = cr_mtime_ns(&st);
	} else {
		fi->f.rdev = st.st_rdev;
	}
	fi->f.path_len = strlen(link) + 1;
	fi->path = link;
	return 0;

out_free:
	free(link);
	return ret;
}

/* Order descriptors by number. */
static int fd_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* List the descriptor numbers of /proc/PID/fd, sorted. */
static int list_fds(pid_t pid, int **fdsp, struct cr_err *e)
{
	int *fds = NULL, n = 0, cap = 0;
	struct dirent *de;
	char path[64];
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return cr_fail(e, errno, "pid %d: cannot open %s: %m", pid,
			       path);
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			int *nf;

			cap = cap ? 2 * cap : 32;
			nf = realloc(fds, cap * sizeof(*nf));
			if (!nf) {
				free(fds);
				closedir(dir);
				return cr_fail(e, ENOMEM, "out of memory");
			}
			fds = nf;
		}
		fds[n++] = atoi(de->d_name);
	}
	closedir(dir);
	qsort(fds, n, sizeof(*fds), fd_cmp);
	*fdsp = fds;
	return n;
}

/* Collect every descriptor of the task, or refuse the first bad one. */
int cr_dump_files(struct cr_dump *d, struct cr_err *e)
{
	int *fds = NULL, i, n, ret = 0;

	n = list_fds(d->pid, &fds, e);
	if (n < 0)
		return n;
	d->t.fds = calloc(n ? n : 1, sizeof(*d->t.fds));
	if (!d->t.fds) {
		free(fds);
		return cr_fail(e, ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		ret = dump_fd(d, fds[i], &d->t.fds[i], e);
		if (ret)
			break;
		d->t.task.nr_fds++;
	}
	free(fds);
	return ret;
}
