// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-files: descriptors, cwd and umask across a checkpoint.
 *
 * Regular files (all with paths that exist) open read-write at an offset,
 * write-only O_APPEND, read-only at an offset, one at a high descriptor
 * number, one with FD_CLOEXEC; /dev/null, /dev/zero (O_NONBLOCK) and
 * /dev/urandom; the cwd in a temporary directory; umask 027.  After
 * SIGTERM each descriptor must be the same file (inode), with the same
 * access mode, status flags, close-on-exec flag and offset, and work.
 */
#include <sys/sysmacros.h>

#include "zdtm.h"

#define DATA_LEN	8192
#define HIGH_FD		100

struct fd_case {
	const char	*name;		/* in DIR, or an absolute /dev path */
	int		fd;		/* after setup */
	int		flags;		/* open flags */
	int		cloexec;
	off_t		pos;		/* offset to leave it at */
	dev_t		dev;
	ino_t		ino;
	int		want_fd;	/* dup2 to this number, or -1 */
};

static struct fd_case files[] = {
	{ "rw.dat", -1, O_RDWR, 0, 1234, 0, 0, -1 },
	{ "append.log", -1, O_WRONLY | O_APPEND, 0, 0, 0, 0, -1 },
	{ "ro.dat", -1, O_RDONLY, 1, 77, 0, 0, -1 },
	{ "high.dat", -1, O_RDONLY, 0, 4097, 0, 0, HIGH_FD },
	{ "/dev/null", -1, O_WRONLY, 0, 0, 0, 0, -1 },
	{ "/dev/zero", -1, O_RDONLY | O_NONBLOCK, 1, 0, 0, 0, -1 },
	{ "/dev/urandom", -1, O_RDONLY, 0, 0, 0, 0, -1 },
};

#define NR_FILES	(sizeof(files) / sizeof(files[0]))
#define FL_CMP		(O_ACCMODE | O_APPEND | O_NONBLOCK)

static char cwd[4096];
static char data[DATA_LEN];

/* DIR/name, or name itself if absolute. */
static void files_path(const struct fd_case *c, char *buf, size_t len)
{
	if (c->name[0] == '/')
		snprintf(buf, len, "%s", c->name);
	else
		zdtm_path(buf, len, c->name);
}

static void files_build(void)
{
	char path[4096], tmpl[4200];
	struct stat st;
	unsigned int i;
	int fd;

	zdtm_fill(data, DATA_LEN, 99);
	for (i = 0; i < NR_FILES; i++) {
		struct fd_case *c = &files[i];

		files_path(c, path, sizeof(path));
		if (c->name[0] != '/') {
			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			zdtm_check(fd < 0, "create data file");
			zdtm_check(write(fd, data, DATA_LEN) != DATA_LEN,
				   "write data file");
			close(fd);
		}
		fd = open(path, c->flags | (c->cloexec ? O_CLOEXEC : 0));
		if (fd < 0)
			zdtm_fail("open %s: %s", path, strerror(errno));
		if (c->want_fd >= 0) {
			zdtm_check(dup3(fd, c->want_fd, c->cloexec ? O_CLOEXEC : 0) < 0,
				   "dup3");
			close(fd);
			fd = c->want_fd;
		}
		c->fd = fd;
		if (c->pos)
			zdtm_check(lseek(fd, c->pos, SEEK_SET) != c->pos,
				   "lseek");
		zdtm_check(fstat(fd, &st), "fstat");
		c->dev = st.st_dev;
		c->ino = st.st_ino;
	}
	/* One write through the O_APPEND descriptor. */
	zdtm_check(write(files[1].fd, "A", 1) != 1, "append A");

	snprintf(tmpl, sizeof(tmpl), "%s/cwd.XXXXXX", zdtm_dir);
	zdtm_check(!mkdtemp(tmpl), "mkdtemp");
	zdtm_check(chdir(tmpl), "chdir");
	zdtm_check(!getcwd(cwd, sizeof(cwd)), "getcwd");
	umask(027);
}

static void files_verify_one(struct fd_case *c)
{
	char buf[4096];
	struct stat st;
	int fl, fdfl;
	off_t pos;

	fl = fcntl(c->fd, F_GETFL);
	if (fl < 0)
		zdtm_fail("fd %d (%s) is not open after restore", c->fd, c->name);
	if ((fl & FL_CMP) != (c->flags & FL_CMP))
		zdtm_fail("fd %d (%s): flags %#o, want %#o", c->fd, c->name,
			  fl & FL_CMP, c->flags & FL_CMP);
	fdfl = fcntl(c->fd, F_GETFD);
	if (!!(fdfl & FD_CLOEXEC) != c->cloexec)
		zdtm_fail("fd %d (%s): close-on-exec is %d, want %d", c->fd,
			  c->name, !!(fdfl & FD_CLOEXEC), c->cloexec);
	zdtm_check(fstat(c->fd, &st), "fstat");
	if (st.st_dev != c->dev || st.st_ino != c->ino)
		zdtm_fail("fd %d (%s) is another file (ino %lu, want %lu)", c->fd,
			  c->name, (unsigned long)st.st_ino,
			  (unsigned long)c->ino);
	if (!S_ISREG(st.st_mode))
		return;
	pos = lseek(c->fd, 0, SEEK_CUR);
	if (c->flags & O_APPEND) {
		if (pos != DATA_LEN + 1)
			zdtm_fail("fd %d (%s): offset %ld, want %d", c->fd,
				  c->name, (long)pos, DATA_LEN + 1);
		return;
	}
	if (pos != c->pos)
		zdtm_fail("fd %d (%s): offset %ld, want %ld", c->fd, c->name,
			  (long)pos, (long)c->pos);
	if ((c->flags & O_ACCMODE) == O_WRONLY)
		return;
	if (read(c->fd, buf, 100) != 100 || memcmp(buf, data + c->pos, 100))
		zdtm_fail("fd %d (%s): wrong bytes at offset %ld", c->fd,
			  c->name, (long)c->pos);
}

static void files_verify(void)
{
	char buf[4096], path[4096];
	mode_t um;
	unsigned int i;
	struct stat st;

	for (i = 0; i < NR_FILES; i++)
		files_verify_one(&files[i]);

	/* The descriptors work. */
	if (write(files[0].fd, "xyz", 3) != 3)
		zdtm_fail("write to rw.dat: %s", strerror(errno));
	zdtm_check(write(files[1].fd, "B", 1) != 1, "append B");
	zdtm_path(path, sizeof(path), "append.log");
	zdtm_check(stat(path, &st), "stat append.log");
	if (st.st_size != DATA_LEN + 2)
		zdtm_fail("append.log is %ld bytes, want %d", (long)st.st_size,
			  DATA_LEN + 2);
	if (read(files[2].fd, buf, 1) != 1)
		zdtm_fail("read ro.dat: %s", strerror(errno));
	if (write(files[2].fd, "x", 1) != -1 || errno != EBADF)
		zdtm_fail("ro.dat is writable after restore");
	if (write(files[4].fd, "x", 1) != 1)
		zdtm_fail("write /dev/null: %s", strerror(errno));
	memset(buf, 1, sizeof(buf));
	if (read(files[5].fd, buf, sizeof(buf)) != sizeof(buf) ||
	    buf[0] || buf[sizeof(buf) - 1])
		zdtm_fail("/dev/zero does not read zeros");
	if (read(files[6].fd, buf, 16) != 16)
		zdtm_fail("read /dev/urandom: %s", strerror(errno));
	/* Nothing more than what we opened (0-2 came from the starter). */
	for (i = 3; i < 1024; i++) {
		unsigned int j;
		int ours = 0;

		for (j = 0; j < NR_FILES; j++)
			ours |= files[j].fd == (int)i;
		if (!ours && fcntl(i, F_GETFD) >= 0)
			zdtm_fail("fd %u is open after restore", i);
	}

	zdtm_check(!getcwd(buf, sizeof(buf)), "getcwd");
	if (strcmp(buf, cwd))
		zdtm_fail("cwd is %s, want %s", buf, cwd);
	um = umask(0);
	if (um != 027)
		zdtm_fail("umask is %03o, want 027", um);
}

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	files_build();
	zdtm_ready();
	zdtm_wait();
	files_verify();
	zdtm_pass();
}
