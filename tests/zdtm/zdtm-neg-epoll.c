// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-epoll: an epoll instance whose target's descriptor was closed
 * while another descriptor of its description stays open (dup()), so that
 * epoll still watches it under the closed number: the checkpoint must
 * refuse it (epoll cannot be told to watch a description under a number
 * it does not have), and the process goes on unharmed, still told of its
 * target's events.
 */
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 77 };
	int efd, ep, keep, n;
	uint64_t v = 1;

	zdtm_init(argc, argv);
	efd = eventfd(0, EFD_NONBLOCK);
	ep = epoll_create1(0);
	zdtm_check(efd < 0 || ep < 0, "eventfd, epoll_create1");
	zdtm_check(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev), "epoll_ctl");
	keep = dup(efd);
	zdtm_check(keep < 0, "dup");
	close(efd);
	zdtm_ready();
	zdtm_wait();
	zdtm_check(write(keep, &v, 8) != 8, "write eventfd");
	n = epoll_wait(ep, &ev, 1, 1000);
	if (n != 1 || ev.data.u64 != 77)
		zdtm_fail("epoll no longer watches its target: %d", n);
	zdtm_pass();
}
