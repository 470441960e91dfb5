// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-fown: a description whose signal owner (F_SETOWN) is another
 * process (its parent, outside the container), which the checkpoint must
 * refuse.  After SIGTERM the owner is still that process.
 */
#include "zdtm.h"

int main(int argc, char **argv)
{
	char path[4096];
	pid_t owner;
	int fd;

	zdtm_init(argc, argv);
	zdtm_path(path, sizeof(path), "owned");
	fd = open(path, O_RDWR | O_CREAT, 0644);
	zdtm_check(fd < 0, "create");
	owner = getppid();
	zdtm_check(fcntl(fd, F_SETOWN, owner), "F_SETOWN");
	zdtm_ready();
	zdtm_wait();
	if (fcntl(fd, F_GETOWN) != owner)
		zdtm_fail("the owner changed: %d, was %d", fcntl(fd, F_GETOWN),
			  owner);
	zdtm_pass();
}
