// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-devlock: a flock() on /dev/null, a device: the checkpoint
 * refuses locks on anything but regular files and directories.  After
 * SIGTERM the lock is still held.
 */
#include <sys/file.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	int fd, other;

	zdtm_init(argc, argv);
	fd = open("/dev/null", O_RDWR);
	zdtm_check(fd < 0, "open /dev/null");
	zdtm_check(flock(fd, LOCK_SH), "flock");
	zdtm_ready();
	zdtm_wait();
	other = open("/dev/null", O_RDWR);
	zdtm_check(other < 0, "open /dev/null");
	if (!flock(other, LOCK_EX | LOCK_NB))
		zdtm_fail("the lock on /dev/null is gone");
	zdtm_pass();
}
