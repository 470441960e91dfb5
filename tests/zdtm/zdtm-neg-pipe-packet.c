// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-pipe-packet: a pipe in packet mode (O_DIRECT) holding two
 * packets: the checkpoint must refuse it (the packets' bounds are not
 * kept).  After SIGTERM both packets must still be there, whole.
 */
#include "zdtm.h"

int main(int argc, char **argv)
{
	char buf[16];
	int p[2];

	zdtm_init(argc, argv);
	zdtm_check(pipe2(p, O_CLOEXEC | O_DIRECT), "pipe");
	zdtm_check(write(p[1], "one", 3) != 3 || write(p[1], "two!", 4) != 4,
		   "pipe write");
	zdtm_ready();
	zdtm_wait();
	if (read(p[0], buf, sizeof(buf)) != 3 || memcmp(buf, "one", 3) ||
	    read(p[0], buf, sizeof(buf)) != 4 || memcmp(buf, "two!", 4))
		zdtm_fail("the packets were lost or merged");
	zdtm_pass();
}
