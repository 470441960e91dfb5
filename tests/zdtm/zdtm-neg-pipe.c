// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-pipe: holds a pipe with data in it, which the checkpoint must
 * refuse.  After SIGTERM the data must still be there.
 */
#include "zdtm.h"

int main(int argc, char **argv)
{
	char buf[8];
	int p[2];

	zdtm_init(argc, argv);
	zdtm_check(pipe2(p, O_CLOEXEC), "pipe");
	zdtm_check(write(p[1], "data", 4) != 4, "pipe write");
	zdtm_ready();
	zdtm_wait();
	zdtm_check(read(p[0], buf, 4) != 4, "pipe read");
	if (memcmp(buf, "data", 4))
		zdtm_fail("pipe lost its data");
	zdtm_pass();
}
