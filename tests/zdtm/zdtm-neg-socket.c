// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-socket: holds a UDP socket bound to the loopback, which the
 * checkpoint must refuse (TCP/IP sockets are not supported).  After
 * SIGTERM (the refused checkpoint, then thaw) the socket must still carry
 * data to itself.
 */
#include <netinet/in.h>
#include <sys/socket.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	char buf[8];
	int s;

	zdtm_init(argc, argv);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	zdtm_check(s < 0 || bind(s, (void *)&sa, sizeof(sa)) ||
		   getsockname(s, (void *)&sa, &len), "bind a UDP socket");
	zdtm_ready();
	zdtm_wait();
	zdtm_check(sendto(s, "ping", 4, 0, (void *)&sa, sizeof(sa)) != 4,
		   "sendto");
	zdtm_check(recv(s, buf, 4, 0) != 4, "recv");
	if (memcmp(buf, "ping", 4))
		zdtm_fail("socket carried the wrong bytes");
	zdtm_pass();
}
