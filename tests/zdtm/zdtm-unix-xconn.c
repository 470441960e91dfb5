// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-unix-xconn: connections a server accept()ed from clients of other
 * processes come back, SO_PEERCRED naming each client's process.  The
 * parent (root) listens on DIR/xconn.sock; child 1 connects as root,
 * writes 700 bytes and shuts its socket down for writing; child 2 connects
 * with euid 4242 and egid 4343 (its ids back to root after the connect()),
 * writes 300 bytes.  The parent accepts both (fds 20, 21; 20 with
 * O_NONBLOCK, 21 with SO_RCVBUF set, O_ASYNC and its owner, an epoll
 * watching 20) and writes 500 and 400 bytes back, so that data waits both
 * ways.  After SIGTERM each side checks its
 * socket: SO_PEERCRED (an accepted end names its client's process with
 * the ids it connect()ed under, a client the parent, root), the flags and
 * options, the data; then the connections still carry a byte each way
 * (child 1's, shut down for writing, only towards it).  Child 3 connects
 * as root and forks a child of its own that holds the client too; the
 * parent accepts it (fd 22) and hands it to child 4, forked then, closing
 * its own: neither end held by the process that made it, 100 and 200
 * bytes queued; after SIGTERM children 3 and 4 check it and talk.
 */
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "zdtm.h"

static struct sockaddr_un sa = { .sun_family = AF_UNIX };
static socklen_t salen;
static int sync1[2];

/* Read @len bytes of pattern @seed from @fd. */
static void get(int fd, size_t len, uint64_t seed, const char *what)
{
	char buf[2048], want[2048] = { 0 };
	size_t got = 0;
	ssize_t n = 1;

	zdtm_fill(want, len, seed);
	while (got < len && n > 0) {
		n = read(fd, buf + got, len - got);
		got += n > 0 ? n : 0;
	}
	if (got != len || memcmp(buf, want, len))
		zdtm_fail("%s: %zu bytes, not %zu of pattern %llu", what, got,
			  len, (unsigned long long)seed);
}

/* Write @len bytes of pattern @seed into @fd. */
static void put(int fd, size_t len, uint64_t seed)
{
	char buf[2048] = { 0 };

	zdtm_fill(buf, len, seed);
	zdtm_check(write(fd, buf, len) != (ssize_t)len, "write");
}

/* SO_PEERCRED of @fd must name @pid, @uid, @gid. */
static void cred(int fd, pid_t pid, uid_t uid, gid_t gid, const char *who)
{
	socklen_t len = sizeof(struct ucred);
	struct ucred u;

	zdtm_check(getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &u, &len),
		   "SO_PEERCRED");
	if (u.pid != pid || u.uid != uid || u.gid != gid)
		zdtm_fail("%s: SO_PEERCRED names pid %d uid %u gid %u, not pid "
			  "%d uid %u gid %u", who, u.pid, u.uid, u.gid, pid,
			  uid, gid);
}

/* A client at fd 25, connected with euid @uid and egid @gid (0: as is). */
static int dial(uid_t uid, gid_t gid)
{
	int c = socket(AF_UNIX, SOCK_STREAM, 0);

	zdtm_check(c < 0 || dup2(c, 25) != 25, "socket");
	close(c);
	if (uid) {
		zdtm_check(setresgid(-1, gid, -1) || setresuid(-1, uid, -1),
			   "setresuid");
		/* DIR is root's, 0700: root's fs ids to reach the socket. */
		setfsuid(0);
		setfsgid(0);
	}
	zdtm_check(connect(25, (void *)&sa, salen), "connect");
	if (uid)
		zdtm_check(setresuid(-1, 0, -1) || setresgid(-1, 0, -1),
			   "back to root");
	return 25;
}

/* Child 1: connects as root, writes, shuts down for writing. */
static void child1(pid_t server)
{
	int c = dial(0, 0);
	char b;

	put(c, 700, 31);
	zdtm_check(shutdown(c, SHUT_WR), "shutdown");
	zdtm_check(write(sync1[1], "1", 1) != 1, "sync");
	cred(c, server, 0, 0, "child 1");
	zdtm_wait();
	cred(c, server, 0, 0, "child 1 after restore");
	get(c, 500, 32, "child 1, the parent's data");
	zdtm_check(read(c, &b, 1) != 1, "child 1: read the parent's byte");
	if (b != 'p')
		zdtm_fail("child 1: read '%c', not 'p'", b);
	if (send(c, "x", 1, MSG_NOSIGNAL) != -1 || errno != EPIPE)
		zdtm_fail("child 1: its socket is no longer shut down for "
			  "writing");
	exit(0);
}

/* Child 2: connects with euid 4242 and egid 4343, writes. */
static void child2(pid_t server)
{
	int c = dial(4242, 4343);
	char b;

	put(c, 300, 33);
	zdtm_check(write(sync1[1], "2", 1) != 1, "sync");
	cred(c, server, 0, 0, "child 2");
	zdtm_wait();
	cred(c, server, 0, 0, "child 2 after restore");
	get(c, 400, 34, "child 2, the parent's data");
	zdtm_check(write(c, "q", 1) != 1, "child 2: write");
	zdtm_check(read(c, &b, 1) != 1, "child 2: read the answer");
	if (b != 'r')
		zdtm_fail("child 2: read '%c', not 'r'", b);
	exit(0);
}

/*
 * Child 3: connects as root, writes, and forks a child that holds the
 * client too (it gets it from child 3 at restore); then talks to the
 * parent's child 4, which holds the accepted end.
 */
static void child3(pid_t server)
{
	int c = dial(0, 0);
	pid_t g;
	char b;

	put(c, 100, 35);
	g = fork();
	zdtm_check(g < 0, "child 3: fork");
	if (!g) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	zdtm_check(write(sync1[1], "3", 1) != 1, "sync");
	zdtm_wait();
	cred(c, server, 0, 0, "child 3 after restore");
	get(c, 200, 36, "child 3, child 4's data");
	zdtm_check(write(c, "h", 1) != 1, "child 3: write");
	zdtm_check(read(c, &b, 1) != 1, "child 3: read the answer");
	if (b != 'i')
		zdtm_fail("child 3: read '%c', not 'i'", b);
	kill(g, SIGKILL);
	exit(0);
}

/* Child 4: holds the connection the parent accepted from child 3. */
static void child4(pid_t p3)
{
	char b;

	put(22, 200, 36);
	zdtm_check(write(sync1[1], "4", 1) != 1, "sync");
	zdtm_wait();
	cred(22, p3, 0, 0, "child 4 after restore, fd 22");
	get(22, 100, 35, "child 4, child 3's data");
	zdtm_check(read(22, &b, 1) != 1, "child 4: read child 3's byte");
	if (b != 'h')
		zdtm_fail("child 4: read '%c', not 'h'", b);
	zdtm_check(write(22, "i", 1) != 1, "child 4: write");
	exit(0);
}

/* Fork a client that runs @fn, and wait for its word. */
static pid_t client(void (*fn)(pid_t), pid_t arg, int l)
{
	pid_t p = fork();
	char b;

	zdtm_check(p < 0, "fork");
	if (!p) {
		close(l);
		close(sync1[0]);
		fn(arg);
	}
	zdtm_check(read(sync1[0], &b, 1) != 1, "a client did not connect");
	return p;
}

/* Child @p must have exited 0. */
static void reap(pid_t p, const char *who)
{
	int st;

	zdtm_check(waitpid(p, &st, 0) != p, "waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		zdtm_fail("%s failed: %#x (its result says why)", who, st);
}

int main(int argc, char **argv)
{
	int l, a1, a2, a3, rcvbuf, v, ep;
	struct epoll_event ev;
	socklen_t len = sizeof(v);
	pid_t p1, p2, p3, p4;
	char b = 0;

	zdtm_init(argc, argv);
	zdtm_path(sa.sun_path, sizeof(sa.sun_path), "xconn.sock");
	salen = offsetof(struct sockaddr_un, sun_path) + strlen(sa.sun_path) + 1;
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	zdtm_check(l < 0 || bind(l, (void *)&sa, salen) || listen(l, 4),
		   "listen");
	zdtm_check(pipe(sync1), "pipe");
	p1 = client(child1, getpid(), l);
	p2 = client(child2, getpid(), l);
	p3 = client(child3, getpid(), l);
	a1 = accept(l, NULL, NULL);
	a2 = accept(l, NULL, NULL);
	a3 = accept(l, NULL, NULL);
	zdtm_check(a1 < 0 || a2 < 0 || a3 < 0 || dup2(a1, 20) != 20 ||
		   dup2(a2, 21) != 21 || dup2(a3, 22) != 22, "accept");
	close(a1);
	close(a2);
	close(a3);
	/* Child 4 holds 22 alone (fds 20 and 21 closed there). */
	p4 = fork();
	zdtm_check(p4 < 0, "fork");
	if (!p4) {
		close(l);
		close(sync1[0]);
		close(20);
		close(21);
		child4(p3);
	}
	close(22);
	zdtm_check(read(sync1[0], &b, 1) != 1, "child 4 did not start");
	zdtm_check(fcntl(20, F_SETFL, O_NONBLOCK), "O_NONBLOCK");
	v = 40000;
	zdtm_check(setsockopt(21, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) ||
		   getsockopt(21, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len),
		   "SO_RCVBUF");
	cred(20, p1, 0, 0, "the parent, fd 20");
	cred(21, p2, 4242, 4343, "the parent, fd 21");
	put(20, 500, 32);
	put(21, 400, 34);
	/* fd 21 signals us (SIGIO ignored), an epoll watches fd 20. */
	signal(SIGIO, SIG_IGN);
	zdtm_check(fcntl(21, F_SETOWN, getpid()) ||
		   fcntl(21, F_SETFL, O_ASYNC), "O_ASYNC");
	ep = epoll_create1(0);
	zdtm_check(ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, 20, &(struct
		   epoll_event){ .events = EPOLLIN, .data.u64 = 2020 }),
		   "epoll");
	zdtm_ready();
	zdtm_wait();
	if (fcntl(21, F_GETOWN) != getpid() ||
	    !(fcntl(21, F_GETFL) & O_ASYNC))
		zdtm_fail("fd 21: owner %d, O_ASYNC %d, not us and set",
			  fcntl(21, F_GETOWN), !!(fcntl(21, F_GETFL) & O_ASYNC));
	if (epoll_wait(ep, &ev, 1, 0) != 1 || ev.data.u64 != 2020 ||
	    !(ev.events & EPOLLIN))
		zdtm_fail("the epoll no longer tells fd 20 readable");
	cred(20, p1, 0, 0, "the parent after restore, fd 20");
	cred(21, p2, 4242, 4343, "the parent after restore, fd 21");
	if (!(fcntl(20, F_GETFL) & O_NONBLOCK))
		zdtm_fail("fd 20 lost O_NONBLOCK");
	len = sizeof(v);
	zdtm_check(getsockopt(21, SOL_SOCKET, SO_RCVBUF, &v, &len),
		   "SO_RCVBUF");
	if (v != rcvbuf)
		zdtm_fail("fd 21: SO_RCVBUF %d, not %d", v, rcvbuf);
	get(20, 700, 31, "the parent, child 1's data");
	if (read(20, &b, 1) != 0)
		zdtm_fail("fd 20: no end of file after child 1's data (its "
			  "client shut down for writing)");
	get(21, 300, 33, "the parent, child 2's data");
	kill(p1, SIGTERM);
	kill(p2, SIGTERM);
	kill(p3, SIGTERM);
	kill(p4, SIGTERM);
	zdtm_check(write(20, "p", 1) != 1, "write to child 1");
	get(21, 0, 0, "");
	zdtm_check(read(21, &b, 1) != 1, "read child 2's byte");
	if (b != 'q')
		zdtm_fail("fd 21: read '%c', not 'q'", b);
	zdtm_check(write(21, "r", 1) != 1, "write to child 2");
	reap(p1, "child 1");
	reap(p2, "child 2");
	reap(p3, "child 3");
	reap(p4, "child 4");
	zdtm_pass();
}
