// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-lease: a read lease (F_SETLEASE), which the checkpoint must
 * refuse.  After SIGTERM the lease is still held.
 */
#include "zdtm.h"

int main(int argc, char **argv)
{
	char path[4096];
	int fd;

	zdtm_init(argc, argv);
	zdtm_path(path, sizeof(path), "leased");
	fd = open(path, O_RDWR | O_CREAT, 0644);
	zdtm_check(fd < 0, "create");
	close(fd);
	fd = open(path, O_RDONLY);
	zdtm_check(fd < 0, "open");
	zdtm_check(fcntl(fd, F_SETLEASE, F_RDLCK), "F_SETLEASE");
	zdtm_ready();
	zdtm_wait();
	if (fcntl(fd, F_GETLEASE) != F_RDLCK)
		zdtm_fail("the lease is gone");
	zdtm_pass();
}
