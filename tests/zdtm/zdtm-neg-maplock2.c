// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-maplock2: two shared flock() locks on one file, one on a
 * description a descriptor keeps, one on a description only a mapping
 * keeps.  /proc/locks shows two lines alike, fdinfo one: the checkpoint
 * must count, not just find one of the kind, and refuse.  After SIGTERM
 * the mapping's lock is still held: with the descriptor's let go, a new
 * description still cannot take the file's lock.
 */
#include <sys/file.h>
#include <sys/mman.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	char path[4096];
	int fd, kept, other;
	void *map;

	zdtm_init(argc, argv);
	zdtm_path(path, sizeof(path), "locked");
	kept = open(path, O_RDWR | O_CREAT, 0644);
	zdtm_check(kept < 0, "create");
	zdtm_check(ftruncate(kept, 4096), "ftruncate");
	zdtm_check(flock(kept, LOCK_SH), "flock kept");
	fd = open(path, O_RDWR);
	zdtm_check(fd < 0, "open");
	zdtm_check(flock(fd, LOCK_SH), "flock mapped");
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	zdtm_check(map == MAP_FAILED, "mmap");
	close(fd);
	zdtm_ready();
	zdtm_wait();
	zdtm_check(flock(kept, LOCK_UN), "unlock kept");
	other = open(path, O_RDWR);
	zdtm_check(other < 0, "open");
	if (!flock(other, LOCK_EX | LOCK_NB))
		zdtm_fail("the lock of the mapping's description is gone");
	zdtm_pass();
}
