// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-unix-async: what nginx does with its channels.  The parent makes
 * a stream pair, arms O_ASYNC on its end with itself as the signal owner
 * (F_SETOWN) and SIGUSR1 as the signal (F_SETSIG), and forks a child that
 * keeps both ends (the parent's end shared, its owner the parent) and
 * watches the other end with epoll.
 *
 * After SIGTERM the parent checks its end's flags, owner and signal, and
 * writes a byte; the child, woken by epoll, checks the shared end's owner
 * and flags too and answers; the answer brings the parent SIGUSR1 with
 * si_fd naming its end; the child exits 0.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "zdtm.h"

static int sv[2];

/* @fd has O_ASYNC, its owner is @owner and its signal SIGUSR1. */
static void armed(int fd, pid_t owner, const char *who)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || !(fl & O_ASYNC))
		zdtm_fail("%s: fd %d: flags %#x, no O_ASYNC", who, fd, fl);
	if (fcntl(fd, F_GETOWN) != owner)
		zdtm_fail("%s: fd %d: owner %d, not %d", who, fd,
			  fcntl(fd, F_GETOWN), owner);
	if (fcntl(fd, F_GETSIG) != SIGUSR1)
		zdtm_fail("%s: fd %d: signal %d, not SIGUSR1", who, fd,
			  fcntl(fd, F_GETSIG));
}

static void child(int ep)
{
	struct epoll_event ev;
	char c;
	int n;

	do
		n = epoll_wait(ep, &ev, 1, -1);
	while (n < 0 && errno == EINTR);
	if (n != 1 || ev.data.u64 != 0xabcdef || !(ev.events & EPOLLIN))
		zdtm_fail("child: epoll_wait %d, data %#llx, events %#x", n,
			  (unsigned long long)ev.data.u64, ev.events);
	armed(sv[0], getppid(), "child");
	if (read(sv[1], &c, 1) != 1 || c != 'a')
		zdtm_fail("child: read: %s", strerror(errno));
	zdtm_check(write(sv[1], "b", 1) != 1, "child: write");
	exit(0);
}

int main(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0xabcdef };
	struct timespec ts = { 10, 0 };
	siginfo_t si;
	sigset_t usr1;
	int ep, st;
	pid_t p;
	char c;

	zdtm_init(argc, argv);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	zdtm_check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
	zdtm_check(fcntl(sv[0], F_SETOWN, getpid()), "F_SETOWN");
	zdtm_check(fcntl(sv[0], F_SETSIG, SIGUSR1), "F_SETSIG");
	zdtm_check(fcntl(sv[0], F_SETFL, O_ASYNC | O_NONBLOCK), "O_ASYNC");
	ep = epoll_create1(0);
	zdtm_check(ep < 0, "epoll_create1");
	zdtm_check(epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev), "epoll_ctl");
	p = fork();
	zdtm_check(p < 0, "fork");
	if (!p)
		child(ep);
	close(ep);
	close(sv[1]);
	zdtm_ready();
	zdtm_wait();
	armed(sv[0], getpid(), "parent");
	zdtm_check(write(sv[0], "a", 1) != 1, "write");
	if (sigtimedwait(&usr1, &si, &ts) != SIGUSR1)
		zdtm_fail("no SIGUSR1 for the answer: %s", strerror(errno));
	if (si.si_fd != sv[0] || si.si_code != POLL_IN)
		zdtm_fail("SIGUSR1 for fd %d, code %d: not fd %d, POLL_IN",
			  si.si_fd, si.si_code, sv[0]);
	if (read(sv[0], &c, 1) != 1 || c != 'b')
		zdtm_fail("the answer: %s", strerror(errno));
	zdtm_check(waitpid(p, &st, 0) != p, "waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		zdtm_fail("the child failed: %#x", st);
	zdtm_pass();
}
