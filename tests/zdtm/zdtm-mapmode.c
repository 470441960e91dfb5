// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-mapmode: the open mode of a mapped file across a checkpoint.
 *
 * DIR/map.dat is opened read-write, mapped MAP_SHARED, written through
 * the mapping, then made read-only with mprotect(PROT_READ), and its
 * descriptor closed: only the mapping holds the read-write description.
 * After SIGTERM the mapping must still have the data, mprotect(PROT_WRITE)
 * must work (it needs a description opened for writing: EACCES on a
 * read-only one), and a write through the mapping must reach the file.
 * A second, private mapping of a read-only descriptor must stay such that
 * the file cannot be written through it.
 */
#include <sys/mman.h>

#include "zdtm.h"

#define PAGE		4096UL
#define MAP_PAGES	4

static char path[4096], ropath[4096];
static char *map, *romap;

static void mapmode_build(void)
{
	int fd;

	zdtm_path(path, sizeof(path), "map.dat");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	zdtm_check(fd < 0, "create map.dat");
	zdtm_check(ftruncate(fd, MAP_PAGES * PAGE), "ftruncate");
	map = mmap(NULL, MAP_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	zdtm_check(map == MAP_FAILED, "mmap map.dat");
	close(fd);
	zdtm_fill(map, MAP_PAGES * PAGE, 31);
	zdtm_check(msync(map, MAP_PAGES * PAGE, MS_SYNC), "msync");
	zdtm_check(mprotect(map, MAP_PAGES * PAGE, PROT_READ), "mprotect");

	zdtm_path(ropath, sizeof(ropath), "ro.dat");
	fd = open(ropath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	zdtm_check(fd < 0 || ftruncate(fd, PAGE), "create ro.dat");
	close(fd);
	fd = open(ropath, O_RDONLY | O_CLOEXEC);
	zdtm_check(fd < 0, "open ro.dat");
	romap = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	zdtm_check(romap == MAP_FAILED, "mmap ro.dat");
	close(fd);
}

static void mapmode_verify(void)
{
	char byte;
	long off;
	int fd;

	off = zdtm_cmp(map, MAP_PAGES * PAGE, 31);
	if (off >= 0)
		zdtm_fail("the mapping differs at byte %ld", off);
	if (mprotect(map, MAP_PAGES * PAGE, PROT_READ | PROT_WRITE))
		zdtm_fail("mprotect(PROT_WRITE) of the shared mapping of a "
			  "file opened read-write: %s", strerror(errno));
	map[PAGE + 5] = 'W';
	zdtm_check(msync(map, MAP_PAGES * PAGE, MS_SYNC), "msync");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	zdtm_check(fd < 0, "reopen map.dat");
	zdtm_check(pread(fd, &byte, 1, PAGE + 5) != 1, "read map.dat");
	close(fd);
	if (byte != 'W')
		zdtm_fail("a write through the mapping did not reach the file");
	if (!mprotect(romap, PAGE, PROT_READ | PROT_WRITE))
		zdtm_fail("the shared mapping of a read-only descriptor "
			  "became writable");
}

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	mapmode_build();
	zdtm_ready();
	zdtm_wait();
	mapmode_verify();
	zdtm_pass();
}
