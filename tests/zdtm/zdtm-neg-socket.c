// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-socket: holds a netlink socket (NETLINK_ROUTE), which the
 * checkpoint must refuse (netlink sockets are not supported).  After
 * SIGTERM (the refused checkpoint, then thaw) the socket must still
 * answer: a request for the links gets a reply.  With ZDTM_NEG_SHARED=1
 * a child holds the socket too (one description in two processes of the
 * container: the refusal must not call the child outside).
 */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	struct {
		struct nlmsghdr		nh;
		struct ifinfomsg	ifi;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.ifi = { .ifi_family = AF_UNSPEC },
	};
	char buf[8192];
	int s;

	zdtm_init(argc, argv);
	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	zdtm_check(s < 0, "a netlink socket");
	if (getenv("ZDTM_NEG_SHARED")) {
		pid_t child = fork();

		zdtm_check(child < 0, "fork");
		if (!child) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				pause();
		}
	}
	zdtm_ready();
	zdtm_wait();
	zdtm_check(send(s, &req, sizeof(req), 0) != sizeof(req), "send");
	zdtm_check(recv(s, buf, sizeof(buf), 0) <= 0, "no reply");
	zdtm_pass();
}
