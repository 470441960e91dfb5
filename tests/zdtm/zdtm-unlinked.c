// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-unlinked: deleted files across a checkpoint, their contents in the
 * image.
 *
 * fd T: an O_TMPFILE in DIR (O_RDWR | O_APPEND), 8 KiB of pattern at 0 and
 * 4 KiB at 2 MiB, size 3 MiB, mode 0604, offset 100.  DIR/victim: 12 KiB
 * of pattern, open at fd V (O_RDWR, offset 4097) and at fd R (O_RDONLY,
 * another description), mapped shared read-write, then unlinked.  After
 * SIGTERM: both still linked nowhere, in DIR, on DIR's filesystem, with
 * their size, mode, offsets, flags and contents, the holes of T, V and R
 * one inode, and a write through the mapping seen through fd R.
 */
#include <libgen.h>
#include <sys/mman.h>

#include "zdtm.h"

#define FD_T		5
#define FD_V		6
#define FD_R		7
#define T_HEAD		8192
#define T_MID_OFF	(2 * 1024 * 1024)
#define T_MID		4096
#define T_SIZE		(3 * 1024 * 1024)
#define V_LEN		(3 * 4096)

static char buf[V_LEN];
static char *map;
static struct stat dir_st;

static void build(void)
{
	char path[4096];
	int fd;

	zdtm_check(stat(zdtm_dir, &dir_st), "stat DIR");
	fd = open(zdtm_dir, O_TMPFILE | O_RDWR | O_APPEND | O_CLOEXEC, 0600);
	zdtm_check(fd < 0, "O_TMPFILE");
	zdtm_check(dup2(fd, FD_T) != FD_T, "dup2 T");
	close(fd);
	zdtm_fill(buf, T_HEAD, 4);
	zdtm_check(pwrite(FD_T, buf, T_HEAD, 0) != T_HEAD, "write T head");
	zdtm_check(ftruncate(FD_T, T_SIZE), "ftruncate T");
	zdtm_fill(buf, T_MID, 5);
	/* O_APPEND: pwrite appends on Linux; write the middle by a mapping. */
	map = mmap(NULL, T_MID, PROT_READ | PROT_WRITE, MAP_SHARED, FD_T,
		   T_MID_OFF);
	zdtm_check(map == MAP_FAILED, "mmap T");
	memcpy(map, buf, T_MID);
	munmap(map, T_MID);
	zdtm_check(fchmod(FD_T, 0604), "fchmod T");
	zdtm_check(lseek(FD_T, 100, SEEK_SET) != 100, "lseek T");

	zdtm_path(path, sizeof(path), "victim");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	zdtm_check(fd < 0, "create victim");
	zdtm_check(dup2(fd, FD_V) != FD_V, "dup2 V");
	close(fd);
	zdtm_fill(buf, V_LEN, 6);
	zdtm_check(pwrite(FD_V, buf, V_LEN, 0) != V_LEN, "write victim");
	zdtm_check(lseek(FD_V, 4097, SEEK_SET) != 4097, "lseek V");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	zdtm_check(fd < 0 || dup2(fd, FD_R) != FD_R, "open R");
	close(fd);
	map = mmap(NULL, V_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, FD_V, 0);
	zdtm_check(map == MAP_FAILED, "mmap victim");
	zdtm_check(unlink(path), "unlink victim");
}

/* fd @fd: linked nowhere, in DIR, on its filesystem, @size, @mode. */
static void check_file(int fd, const char *what, off_t size, mode_t mode)
{
	char path[64], link[4096];
	struct stat st;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	zdtm_check(n < 0, "readlink");
	link[n] = '\0';
	zdtm_check(fstat(fd, &st), "fstat");
	if (st.st_nlink || st.st_dev != dir_st.st_dev || st.st_size != size ||
	    (st.st_mode & 07777) != mode)
		zdtm_fail("%s: %lu links, dev %#lx (DIR %#lx), size %lld, mode "
			  "%o", what, (unsigned long)st.st_nlink,
			  (unsigned long)st.st_dev,
			  (unsigned long)dir_st.st_dev, (long long)st.st_size,
			  st.st_mode & 07777);
	if (strncmp(link, zdtm_dir, strlen(zdtm_dir)) ||
	    link[strlen(zdtm_dir)] != '/' || strchr(link + strlen(zdtm_dir) + 1, '/') ||
	    !strstr(link, " (deleted)"))
		zdtm_fail("%s is %s: not a deleted file of %s", what, link,
			  zdtm_dir);
}

static void verify(void)
{
	struct stat v, r;
	int fl;

	check_file(FD_T, "O_TMPFILE", T_SIZE, 0604);
	check_file(FD_V, "victim", V_LEN, 0640);
	check_file(FD_R, "victim (R)", V_LEN, 0640);
	zdtm_check(fstat(FD_V, &v) || fstat(FD_R, &r), "fstat V R");
	if (v.st_ino != r.st_ino)
		zdtm_fail("fd V and R are no longer one inode");
	if (lseek(FD_T, 0, SEEK_CUR) != 100 || lseek(FD_V, 0, SEEK_CUR) != 4097 ||
	    lseek(FD_R, 0, SEEK_CUR) != 0)
		zdtm_fail("offsets %ld %ld %ld, expected 100 4097 0",
			  (long)lseek(FD_T, 0, SEEK_CUR),
			  (long)lseek(FD_V, 0, SEEK_CUR),
			  (long)lseek(FD_R, 0, SEEK_CUR));
	fl = fcntl(FD_T, F_GETFL);
	if ((fl & O_ACCMODE) != O_RDWR || !(fl & O_APPEND) ||
	    (fcntl(FD_R, F_GETFL) & O_ACCMODE) != O_RDONLY)
		zdtm_fail("status flags %#x, R %#x", fl, fcntl(FD_R, F_GETFL));
	zdtm_check(pread(FD_T, buf, T_HEAD, 0) != T_HEAD, "read T head");
	if (zdtm_cmp(buf, T_HEAD, 4) >= 0)
		zdtm_fail("T head differs at %ld", zdtm_cmp(buf, T_HEAD, 4));
	zdtm_check(pread(FD_T, buf, T_MID, T_MID_OFF) != T_MID, "read T mid");
	if (zdtm_cmp(buf, T_MID, 5) >= 0)
		zdtm_fail("T mid differs at %ld", zdtm_cmp(buf, T_MID, 5));
	if (lseek(FD_T, T_HEAD, SEEK_DATA) != T_MID_OFF ||
	    lseek(FD_T, T_MID_OFF, SEEK_HOLE) != T_MID_OFF + T_MID)
		zdtm_fail("T: holes not kept (data at %ld, hole at %ld)",
			  (long)lseek(FD_T, T_HEAD, SEEK_DATA),
			  (long)lseek(FD_T, T_MID_OFF, SEEK_HOLE));
	zdtm_check(pread(FD_R, buf, V_LEN, 0) != V_LEN, "read victim");
	if (zdtm_cmp(buf, V_LEN, 6) >= 0 || zdtm_cmp(map, V_LEN, 6) >= 0)
		zdtm_fail("victim differs at %ld", zdtm_cmp(buf, V_LEN, 6));
	memcpy(map + 10, "THROUGH-THE-MAP", 15);
	zdtm_check(pread(FD_R, buf, 15, 10) != 15, "read back");
	if (memcmp(buf, "THROUGH-THE-MAP", 15))
		zdtm_fail("the mapping is not the file of the descriptors");
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
