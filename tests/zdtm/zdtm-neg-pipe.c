// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-pipe: reads its standard input, the read end of a pipe whose
 * write end a process outside the container holds, with "data" in it:
 * the checkpoint must refuse it, naming that process.  After SIGTERM the
 * data must still be there (the refused checkpoint took none).
 */
#include "zdtm.h"

int main(int argc, char **argv)
{
	struct stat st;
	char buf[8];

	zdtm_init(argc, argv);
	zdtm_check(fstat(0, &st), "fstat");
	if (!S_ISFIFO(st.st_mode))
		zdtm_fail("standard input is not a pipe");
	zdtm_ready();
	zdtm_wait();
	zdtm_check(read(0, buf, 4) != 4, "pipe read");
	if (memcmp(buf, "data", 4))
		zdtm_fail("pipe lost its data");
	zdtm_pass();
}
