// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-maplock3: an OFD write lock on a description only a mapping
 * keeps.  /proc/locks shows it with no pid (OFD locks have none) and no
 * descriptor's fdinfo shows it: the checkpoint cannot tell it from a
 * lock of a process outside and must refuse, never drop it.  After
 * SIGTERM the lock is still held: a new description cannot take a
 * conflicting OFD lock on the file.
 */
#include <fcntl.h>
#include <sys/mman.h>

#include "zdtm.h"

#ifndef F_OFD_SETLK
#define F_OFD_SETLK	37
#endif

int main(int argc, char **argv)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = 0, .l_len = 10 };
	char path[4096];
	int fd, other;
	void *map;

	zdtm_init(argc, argv);
	zdtm_path(path, sizeof(path), "locked");
	fd = open(path, O_RDWR | O_CREAT, 0644);
	zdtm_check(fd < 0, "create");
	zdtm_check(ftruncate(fd, 4096), "ftruncate");
	zdtm_check(fcntl(fd, F_OFD_SETLK, &fl), "F_OFD_SETLK");
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	zdtm_check(map == MAP_FAILED, "mmap");
	close(fd);
	zdtm_ready();
	zdtm_wait();
	other = open(path, O_RDWR);
	zdtm_check(other < 0, "open");
	if (!fcntl(other, F_OFD_SETLK, &fl))
		zdtm_fail("the OFD lock of the mapping's description is gone");
	zdtm_pass();
}
