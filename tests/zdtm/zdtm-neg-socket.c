// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-socket: holds a socket pair, which the checkpoint must refuse.
 * After SIGTERM (the refused checkpoint, then thaw) the sockets must still
 * carry data.
 */
#include <sys/socket.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	char buf[8];
	int sv[2];

	zdtm_init(argc, argv);
	zdtm_check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
		   "socketpair");
	zdtm_ready();
	zdtm_wait();
	zdtm_check(write(sv[0], "ping", 4) != 4, "socket write");
	zdtm_check(read(sv[1], buf, 4) != 4, "socket read");
	if (memcmp(buf, "ping", 4))
		zdtm_fail("socket carried the wrong bytes");
	zdtm_pass();
}
