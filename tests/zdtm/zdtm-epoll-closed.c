// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-epoll-closed: epoll targets whose descriptor was closed while
 * another descriptor of their description stays open, as CRIU's zdtm
 * epoll does: an eventfd added as fd 10 and watched on after fd 10 is
 * closed (a dup() keeps it), and two pipes' read ends each added under
 * the number 999 (dup2()) and 999 closed, so that epoll watches two
 * descriptions under one closed number.  After the restore each target
 * reports its own data, fd 999 and fd 10 are not open, and the targets
 * are still keyed by their old numbers (EPOLL_CTL_MOD finds them there
 * once the number is dup()ed back, EEXIST on a second add).
 */
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "zdtm.h"

#define NUM	999

/* Add @fd to @ep under number @num, then close @num if it is not @fd. */
static void add_as(int ep, int fd, int num, uint64_t data)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = data };

	if (fd != num)
		zdtm_check(dup2(fd, num) != num, "dup2");
	zdtm_check(epoll_ctl(ep, EPOLL_CTL_ADD, num, &ev), "epoll_ctl add");
	if (fd != num)
		zdtm_check(close(num), "close");
}

/* Is the target @fd of @ep keyed under @num?  (dup()ed there, MOD.) */
static int keyed(int ep, int fd, int num, uint64_t data)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = data };
	int ok;

	zdtm_check(dup2(fd, num) != num, "dup2 back");
	ok = !epoll_ctl(ep, EPOLL_CTL_MOD, num, &ev) &&
	     epoll_ctl(ep, EPOLL_CTL_ADD, num, &ev) && errno == EEXIST;
	zdtm_check(close(num), "close again");
	return ok;
}

int main(int argc, char **argv)
{
	struct epoll_event evs[4];
	int efd, keep, ep, p1[2], p2[2], n, seen = 0;
	uint64_t v = 1;

	zdtm_init(argc, argv);
	ep = epoll_create1(0);
	zdtm_check(ep < 0, "epoll_create1");
	efd = eventfd(0, EFD_NONBLOCK);
	zdtm_check(efd < 0, "eventfd");
	if (efd != 10) {
		zdtm_check(dup2(efd, 10) != 10, "dup2 10");
		close(efd);
		efd = 10;
	}
	add_as(ep, efd, efd, 7);
	keep = dup(efd);
	zdtm_check(keep < 0, "dup");
	close(efd);
	zdtm_check(pipe(p1) || pipe(p2), "pipe");
	add_as(ep, p1[0], NUM, 100);
	add_as(ep, p2[0], NUM, 200);
	zdtm_ready();
	zdtm_wait();

	if (fcntl(NUM, F_GETFD) != -1 || fcntl(10, F_GETFD) != -1)
		zdtm_fail("fd %d or fd 10 is open after the restore", NUM);
	n = epoll_wait(ep, evs, 4, 0);
	if (n != 0)
		zdtm_fail("%d targets ready before anything was written", n);
	zdtm_check(write(keep, &v, 8) != 8, "write eventfd");
	zdtm_check(write(p1[1], "a", 1) != 1 || write(p2[1], "b", 1) != 1,
		   "write pipes");
	n = epoll_wait(ep, evs, 4, 1000);
	if (n != 3)
		zdtm_fail("%d targets ready, 3 expected", n);
	for (int i = 0; i < n; i++)
		seen |= evs[i].data.u64 == 7 ? 1 : evs[i].data.u64 == 100 ? 2 :
			evs[i].data.u64 == 200 ? 4 : 8;
	if (seen != 7)
		zdtm_fail("the targets' data are wrong (seen %#x)", seen);
	if (!keyed(ep, keep, 10, 7) || !keyed(ep, p1[0], NUM, 100) ||
	    !keyed(ep, p2[0], NUM, 200))
		zdtm_fail("a target is not keyed under its old number");
	zdtm_pass();
}
