// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-memfd: memfds across a checkpoint, their contents in the image.
 *
 * memfd "crfs-zdtm" (MFD_ALLOW_SEALING): 64 KiB of pattern at 0, 4 KiB at
 * 1 MiB, size 4 MiB + 123 (holes in between), mode 0640, mapped shared
 * read-write over its first 64 KiB, sealed against growing, shrinking
 * and more seals.  fd A (O_RDWR, offset 5000) and its dup B share a
 * description; fd C is another description of the same inode (O_RDONLY
 * | O_NONBLOCK, offset 77).  memfd "mapped-only" is only mapped (shared,
 * 8 KiB of pattern), its descriptor closed.  After SIGTERM: names, size,
 * mode, seals, offsets, flags, sharing, the contents and the holes; a
 * write through the mapping shows through the descriptors (it maps the
 * same memfd), growing is refused (the seal).
 */
#include <linux/kcmp.h>
#include <sys/mman.h>

#include "zdtm.h"

#define FD_A		5
#define FD_B		6
#define FD_C		7
#define HEAD		(64 * 1024)
#define MID_OFF		(1024 * 1024)
#define MID		4096
#define SIZE		(4 * 1024 * 1024 + 123)
#define SEALS		(F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL)
#define ONLY_LEN	8192

static char head[HEAD], mid[MID], buf[HEAD];
static char *map, *only;

/* Is fd @a the same description as fd @b? */
static int same(int a, int b)
{
	return syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, a, b) == 0;
}

static void build(void)
{
	char path[64];
	int fd;

	fd = memfd_create("crfs-zdtm", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	zdtm_check(fd < 0, "memfd_create");
	zdtm_check(dup2(fd, FD_A) != FD_A, "dup2 A");
	close(fd);
	zdtm_fill(head, HEAD, 1);
	zdtm_fill(mid, MID, 2);
	zdtm_check(pwrite(FD_A, head, HEAD, 0) != HEAD, "write head");
	zdtm_check(pwrite(FD_A, mid, MID, MID_OFF) != MID, "write mid");
	zdtm_check(ftruncate(FD_A, SIZE), "ftruncate");
	zdtm_check(fchmod(FD_A, 0640), "fchmod");
	map = mmap(NULL, HEAD, PROT_READ | PROT_WRITE, MAP_SHARED, FD_A, 0);
	zdtm_check(map == MAP_FAILED, "mmap");
	zdtm_check(fcntl(FD_A, F_ADD_SEALS, SEALS), "F_ADD_SEALS");
	zdtm_check(lseek(FD_A, 5000, SEEK_SET) != 5000, "lseek A");
	zdtm_check(dup2(FD_A, FD_B) != FD_B, "dup2 B");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", FD_A);
	fd = open(path, O_RDONLY | O_NONBLOCK);
	zdtm_check(fd < 0, "reopen");
	zdtm_check(dup2(fd, FD_C) != FD_C, "dup2 C");
	close(fd);
	zdtm_check(lseek(FD_C, 77, SEEK_SET) != 77, "lseek C");

	fd = memfd_create("mapped-only", 0);
	zdtm_check(fd < 0, "memfd_create mapped-only");
	zdtm_check(ftruncate(fd, ONLY_LEN), "ftruncate mapped-only");
	only = mmap(NULL, ONLY_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	zdtm_check(only == MAP_FAILED, "mmap mapped-only");
	close(fd);
	zdtm_fill(only, ONLY_LEN, 3);
}

static void check_link(int fd, const char *want)
{
	char path[64], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	zdtm_check(n < 0, "readlink");
	link[n] = '\0';
	if (strcmp(link, want))
		zdtm_fail("fd %d is %s, expected %s", fd, link, want);
}

static void verify(void)
{
	struct stat a, c;
	long off;
	int fl;

	check_link(FD_A, "/memfd:crfs-zdtm (deleted)");
	check_link(FD_C, "/memfd:crfs-zdtm (deleted)");
	zdtm_check(fstat(FD_A, &a) || fstat(FD_C, &c), "fstat");
	if (a.st_ino != c.st_ino || a.st_nlink)
		zdtm_fail("fd A and C: inodes %lu and %lu, %lu links",
			  (unsigned long)a.st_ino, (unsigned long)c.st_ino,
			  (unsigned long)a.st_nlink);
	if (a.st_size != SIZE || (a.st_mode & 07777) != 0640)
		zdtm_fail("size %lld mode %o, expected %d and 0640",
			  (long long)a.st_size, a.st_mode & 07777, SIZE);
	if (fcntl(FD_A, F_GET_SEALS) != SEALS)
		zdtm_fail("seals %#x, expected %#x", fcntl(FD_A, F_GET_SEALS),
			  SEALS);
	if (!same(FD_A, FD_B) || same(FD_A, FD_C))
		zdtm_fail("A and B must share a description, C not");
	if (lseek(FD_A, 0, SEEK_CUR) != 5000 || lseek(FD_C, 0, SEEK_CUR) != 77)
		zdtm_fail("offsets %ld and %ld, expected 5000 and 77",
			  (long)lseek(FD_A, 0, SEEK_CUR),
			  (long)lseek(FD_C, 0, SEEK_CUR));
	fl = fcntl(FD_C, F_GETFL);
	if ((fl & O_ACCMODE) != O_RDONLY || !(fl & O_NONBLOCK) ||
	    (fcntl(FD_A, F_GETFL) & O_ACCMODE) != O_RDWR)
		zdtm_fail("status flags %#x (A %#x)", fl, fcntl(FD_A, F_GETFL));
	zdtm_check(pread(FD_C, buf, HEAD, 0) != HEAD, "read head");
	if (zdtm_cmp(buf, HEAD, 1) >= 0 || memcmp(map, head, HEAD))
		zdtm_fail("head differs at %ld", zdtm_cmp(buf, HEAD, 1));
	zdtm_check(pread(FD_C, buf, MID, MID_OFF) != MID, "read mid");
	if (zdtm_cmp(buf, MID, 2) >= 0)
		zdtm_fail("mid differs at %ld", zdtm_cmp(buf, MID, 2));
	off = lseek(FD_C, HEAD, SEEK_DATA);
	if (off != MID_OFF)
		zdtm_fail("the hole after the head: data at %ld", off);
	off = lseek(FD_C, MID_OFF, SEEK_HOLE);
	if (off != MID_OFF + MID)
		zdtm_fail("the hole after mid: at %ld", off);
	if (lseek(FD_C, MID_OFF + MID, SEEK_DATA) >= 0 || errno != ENXIO)
		zdtm_fail("data after mid");
	memcpy(map + 100, "THROUGH-THE-MAP", 15);
	zdtm_check(pread(FD_A, buf, 15, 100) != 15, "read back");
	if (memcmp(buf, "THROUGH-THE-MAP", 15))
		zdtm_fail("the mapping is not the memfd of the descriptors");
	if (ftruncate(FD_A, 2 * SIZE) == 0 || errno != EPERM)
		zdtm_fail("grew a memfd sealed against it");
	if (zdtm_cmp(only, ONLY_LEN, 3) >= 0)
		zdtm_fail("mapped-only differs at %ld", zdtm_cmp(only, ONLY_LEN, 3));
}

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	build();
	zdtm_ready();
	zdtm_wait();
	verify();
	zdtm_pass();
}
