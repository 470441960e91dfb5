// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-delmap: a shared mapping of a file that was deleted, its descriptor
 * closed: its contents go into the image.  After SIGTERM the mapping must
 * hold its data.
 */
#include <sys/mman.h>

#include "zdtm.h"

#define LEN	(4 * 4096)

int main(int argc, char **argv)
{
	char path[4096];
	char *map;
	int fd;

	zdtm_init(argc, argv);
	zdtm_path(path, sizeof(path), "victim.file");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	zdtm_check(fd < 0, "create file");
	zdtm_check(ftruncate(fd, LEN), "ftruncate");
	map = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	zdtm_check(map == MAP_FAILED, "mmap");
	close(fd);
	zdtm_fill(map, LEN, 8);
	zdtm_check(unlink(path), "unlink");
	zdtm_ready();
	zdtm_wait();
	if (zdtm_cmp(map, LEN, 8) >= 0)
		zdtm_fail("the deleted file's mapping lost its data");
	zdtm_pass();
}
