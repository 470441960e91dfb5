// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-maplock: a flock() on a description that only a mapping keeps
 * (the descriptor closed after mmap()), which fdinfo cannot show and the
 * checkpoint must refuse.  After SIGTERM the lock is still held: a new
 * description cannot take it.
 */
#include <sys/file.h>
#include <sys/mman.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	char path[4096];
	void *map;
	int fd;

	zdtm_init(argc, argv);
	zdtm_path(path, sizeof(path), "locked");
	fd = open(path, O_RDWR | O_CREAT, 0644);
	zdtm_check(fd < 0, "create");
	zdtm_check(ftruncate(fd, 4096), "ftruncate");
	zdtm_check(flock(fd, LOCK_EX), "flock");
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	zdtm_check(map == MAP_FAILED, "mmap");
	close(fd);
	zdtm_ready();
	zdtm_wait();
	fd = open(path, O_RDWR);
	zdtm_check(fd < 0, "open");
	if (!flock(fd, LOCK_EX | LOCK_NB))
		zdtm_fail("the lock of the mapping's description is gone");
	zdtm_pass();
}
