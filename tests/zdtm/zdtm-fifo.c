// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-fifo: a FIFO in DIR opened three ways (O_RDWR, O_RDONLY with
 * O_NONBLOCK, O_WRONLY), data in it; a second FIFO opened O_RDONLY
 * alone with data its writer left, and a third O_WRONLY alone (its
 * reader an O_RDWR description closed later: data stay in it).  Each
 * comes back the same FIFO (its inode) with its flags and data.
 */
#include "zdtm.h"

/* Read @len bytes of @want from @fd, or fail naming @what. */
static void expect(int fd, const char *want, size_t len, const char *what)
{
	char buf[64];
	ssize_t n = read(fd, buf, len);

	if (n != (ssize_t)len || memcmp(buf, want, len))
		zdtm_fail("%s: read %zd: %.*s, want %.*s (%s)", what, n,
			  n > 0 ? (int)n : 0, buf, (int)len, want,
			  strerror(errno));
}

/* mkfifo DIR/@name, its inode into *@ino. */
static void make(const char *name, char *path, size_t len, ino_t *ino)
{
	struct stat st;

	zdtm_path(path, len, name);
	unlink(path);
	zdtm_check(mkfifo(path, 0600), "mkfifo");
	zdtm_check(stat(path, &st), "stat");
	*ino = st.st_ino;
}

/* Is @fd the FIFO @ino with access mode @acc and O_NONBLOCK @nb? */
static void same(int fd, ino_t ino, int acc, int nb, const char *what)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);

	zdtm_check(fstat(fd, &st), "fstat");
	if (!S_ISFIFO(st.st_mode) || st.st_ino != ino)
		zdtm_fail("%s: not the FIFO", what);
	if ((fl & O_ACCMODE) != acc || !(fl & O_NONBLOCK) != !nb)
		zdtm_fail("%s: flags %#o", what, fl);
}

int main(int argc, char **argv)
{
	char p1[4096], p2[4096], p3[4096];
	int rw, rd, wr, r2, w2, w3, t;
	ino_t i1, i2, i3;

	zdtm_init(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	make("fifo1", p1, sizeof(p1), &i1);
	make("fifo2", p2, sizeof(p2), &i2);
	make("fifo3", p3, sizeof(p3), &i3);
	rw = open(p1, O_RDWR);
	rd = open(p1, O_RDONLY | O_NONBLOCK);
	wr = open(p1, O_WRONLY);
	zdtm_check(rw < 0 || rd < 0 || wr < 0, "open fifo1");
	zdtm_check(write(wr, "fifo-one", 8) != 8, "write fifo1");
	r2 = open(p2, O_RDONLY | O_NONBLOCK);
	w2 = open(p2, O_WRONLY);
	zdtm_check(r2 < 0 || w2 < 0, "open fifo2");
	zdtm_check(write(w2, "fifo-two", 8) != 8, "write fifo2");
	close(w2);
	t = open(p3, O_RDWR);
	w3 = open(p3, O_WRONLY);
	zdtm_check(t < 0 || w3 < 0, "open fifo3");
	zdtm_check(write(w3, "three", 5) != 5, "write fifo3");
	close(t);
	fcntl(r2, F_SETFL, 0);
	zdtm_ready();
	zdtm_wait();

	same(rw, i1, O_RDWR, 0, "fifo1 O_RDWR");
	same(rd, i1, O_RDONLY, 1, "fifo1 O_RDONLY");
	same(wr, i1, O_WRONLY, 0, "fifo1 O_WRONLY");
	same(r2, i2, O_RDONLY, 0, "fifo2 O_RDONLY");
	same(w3, i3, O_WRONLY, 0, "fifo3 O_WRONLY");
	expect(rd, "fifo", 4, "fifo1 through O_RDONLY");
	expect(rw, "-one", 4, "fifo1 through O_RDWR");
	zdtm_check(write(wr, "more", 4) != 4, "write fifo1 after");
	expect(rd, "more", 4, "fifo1 after");
	expect(r2, "fifo-two", 8, "fifo2");
	if (read(r2, p2, 1) != 0)
		zdtm_fail("fifo2: a writer left open");
	t = open(p3, O_RDONLY | O_NONBLOCK);
	zdtm_check(t < 0, "open fifo3 for reading");
	expect(t, "three", 5, "fifo3");
	zdtm_pass();
}
