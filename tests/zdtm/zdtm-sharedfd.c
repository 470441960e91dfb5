// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-sharedfd: descriptors that share one open file description across
 * a checkpoint, as `prog > log 2>&1` leaves them.
 *
 * DIR/log is opened once and given to fds 1 and 2 (dup2) and to fd 7
 * (dup): one description, one offset.  "AB" is written through 1 and 2.
 * DIR/log is also opened a second time as fd 8 and seeked to the same
 * offset: another description, which must stay another one.  After
 * SIGTERM: fds 1, 2 and 7 are still one description (kcmp) with one
 * offset, so "CDE" written through 1, 2 and 7 follows "AB" (with three
 * descriptions the three writes land on one another), and fd 8 is still
 * apart, its offset its own.
 */
#include <linux/kcmp.h>

#include "zdtm.h"

#define SHARED_FDS	3

static const int shared[SHARED_FDS] = { 1, 2, 7 };
static char path[4096];

/* Are @a and @b of this process one description? */
static int same_description(int a, int b)
{
	return syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, a, b) == 0;
}

static void sharedfd_build(void)
{
	int fd;

	zdtm_path(path, sizeof(path), "log");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	zdtm_check(fd < 0, "create log");
	zdtm_check(dup2(fd, 1) != 1 || dup2(fd, 2) != 2 || dup2(fd, 7) != 7,
		   "dup2");
	close(fd);
	zdtm_check(write(1, "A", 1) != 1 || write(2, "B", 1) != 1,
		   "write AB");
	fd = open(path, O_RDWR);
	zdtm_check(fd < 0, "reopen log");
	zdtm_check(dup2(fd, 8) != 8, "dup2 8");
	close(fd);
	zdtm_check(lseek(8, 2, SEEK_SET) != 2, "lseek 8");
	if (!same_description(1, 2) || !same_description(1, 7) ||
	    same_description(1, 8))
		zdtm_fail("kcmp: the descriptions are not as built");
}

static void sharedfd_verify(void)
{
	char buf[16] = "";
	struct stat a, b;
	int i;

	for (i = 1; i < SHARED_FDS; i++)
		if (!same_description(shared[0], shared[i]))
			zdtm_fail("fd %d and fd %d are no longer one description",
				  shared[0], shared[i]);
	if (same_description(1, 8))
		zdtm_fail("fd 8, opened apart, now shares fd 1's description");
	if (lseek(1, 0, SEEK_CUR) != 2 || lseek(2, 0, SEEK_CUR) != 2 ||
	    lseek(8, 0, SEEK_CUR) != 2)
		zdtm_fail("offsets %ld %ld %ld, want 2 2 2",
			  (long)lseek(1, 0, SEEK_CUR), (long)lseek(2, 0, SEEK_CUR),
			  (long)lseek(8, 0, SEEK_CUR));
	zdtm_check(write(1, "C", 1) != 1 || write(2, "D", 1) != 1 ||
		   write(7, "E", 1) != 1, "write CDE");
	if (lseek(7, 0, SEEK_CUR) != 5 || lseek(8, 0, SEEK_CUR) != 2)
		zdtm_fail("after three writes: offsets %ld and %ld, want 5 and 2",
			  (long)lseek(7, 0, SEEK_CUR), (long)lseek(8, 0, SEEK_CUR));
	zdtm_check(pread(8, buf, sizeof(buf) - 1, 0) != 5, "read log");
	if (strcmp(buf, "ABCDE"))
		zdtm_fail("log holds \"%s\", want \"ABCDE\"", buf);
	zdtm_check(fstat(1, &a) || stat(path, &b), "stat log");
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		zdtm_fail("fd 1 is another file");
}

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	sharedfd_build();
	zdtm_ready();
	zdtm_wait();
	sharedfd_verify();
	zdtm_pass();
}
