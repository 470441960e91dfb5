// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-epoll: an epoll instance whose target's descriptor was closed
 * while only a child holds its description: no descriptor of the
 * process that has the epoll reaches the target, so the restore could
 * not add it back: the checkpoint must refuse it, and the process goes on
 * unharmed, still told of its target's events.
 */
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 77 };
	int efd, ep, n;
	uint64_t v = 1;
	pid_t child;

	zdtm_init(argc, argv);
	efd = eventfd(0, EFD_NONBLOCK);
	ep = epoll_create1(0);
	zdtm_check(efd < 0 || ep < 0, "eventfd, epoll_create1");
	zdtm_check(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev), "epoll_ctl");
	zdtm_check(write(efd, &v, 8) != 8, "write eventfd");
	child = fork();
	zdtm_check(child < 0, "fork");
	if (!child) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ep);
		for (;;)
			pause();
	}
	close(efd);
	zdtm_ready();
	zdtm_wait();
	n = epoll_wait(ep, &ev, 1, 1000);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	if (n != 1 || ev.data.u64 != 77)
		zdtm_fail("epoll no longer watches its target: %d", n);
	zdtm_pass();
}
