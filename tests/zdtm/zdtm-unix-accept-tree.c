// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-unix-accept-tree: the connections of a listening unix socket held
 * across processes come back.  The parent listens on DIR/tree.sock and
 * connects twice, the clients for child 1 (it forks it with them, and
 * closes its own copies: an accepted socket's SO_PEERCRED names the
 * process that connected, which a restore makes the connection in): it
 * accepts the first (1000 bytes queued for the parent's end, 200 for
 * child 1's) and the second, which it hands to child 2 and closes (300
 * bytes queued for child 2: neither end is the parent's).  Then the
 * parent makes three connections that wait in the backlog, '1', 'p', '3'
 * (a waiting connection of child 1 is refused: zdtm-neg-unix xwait).
 * After SIGTERM the parent passes it on to the children, checks its
 * queue, then accepts the three waiting connections: each must be the
 * next in that order and name the parent with its euid and egid
 * (SO_PEERCRED); the children check their queues and answer.
 */
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "zdtm.h"

static struct sockaddr_un sa = { .sun_family = AF_UNIX };
static socklen_t salen;
static int sync1[2];

/* A stream socket connected to the listener. */
static int dial(void)
{
	int c = socket(AF_UNIX, SOCK_STREAM, 0);

	zdtm_check(c < 0 || connect(c, (void *)&sa, salen), "connect");
	return c;
}

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

/* Tell the other side (@fd), or wait for it. */
static void tell(int fd)
{
	zdtm_check(write(fd, "s", 1) != 1, "sync");
}

static void await(int fd)
{
	char b;

	zdtm_check(read(fd, &b, 1) != 1, "sync");
}

static void child1(int k1, int k2)
{
	put(k1, 1000, 21);
	put(k2, 300, 23);
	tell(sync1[1]);
	zdtm_wait();
	get(k1, 200, 22, "child 1, the first connection");
	get(k2, 4, 24, "child 1, child 2's answer");
	exit(0);
}

static void child2(int a2)
{
	zdtm_wait();
	get(a2, 300, 23, "child 2");
	put(a2, 4, 24);
	exit(0);
}

/* accept() on @l gives the connection that says @tag. */
static void take(int l, char tag, int w)
{
	int a = accept(l, NULL, NULL);
	socklen_t len = sizeof(struct ucred);
	struct ucred u;
	char b = 0;

	zdtm_check(a < 0, "accept a waiting connection");
	zdtm_check(getsockopt(a, SOL_SOCKET, SO_PEERCRED, &u, &len),
		   "SO_PEERCRED");
	if (u.pid != getpid() || u.uid != geteuid() || u.gid != getegid())
		zdtm_fail("'%c': SO_PEERCRED after accept() names pid %d uid "
			  "%u gid %u, not the parent's", tag, u.pid, u.uid,
			  u.gid);
	zdtm_check(w >= 0 && write(w, &tag, 1) != 1, "write");
	zdtm_check(read(a, &b, 1) != 1, "read");
	if (b != tag)
		zdtm_fail("accept() gave the connection of '%c', not '%c'", b,
			  tag);
	close(a);
}

int main(int argc, char **argv)
{
	int l, a1, a2, w1, wp, w3, st, k1, k2;
	pid_t p1, p2;

	zdtm_init(argc, argv);
	zdtm_path(sa.sun_path, sizeof(sa.sun_path), "tree.sock");
	salen = offsetof(struct sockaddr_un, sun_path) + strlen(sa.sun_path) + 1;
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	zdtm_check(l < 0 || bind(l, (void *)&sa, salen) || listen(l, 8),
		   "listen");
	zdtm_check(pipe(sync1), "pipe");
	k1 = dial();
	k2 = dial();
	p1 = fork();
	zdtm_check(p1 < 0, "fork");
	if (!p1) {
		close(l);
		child1(k1, k2);
	}
	close(k1);
	close(k2);
	await(sync1[0]);
	a1 = accept(l, NULL, NULL);
	a2 = accept(l, NULL, NULL);
	zdtm_check(a1 < 0 || a2 < 0, "accept");
	put(a1, 200, 22);
	p2 = fork();
	zdtm_check(p2 < 0, "fork");
	if (!p2) {
		close(l);
		close(a1);
		child2(a2);
	}
	close(a2);
	w1 = dial();
	wp = dial();
	w3 = dial();
	zdtm_ready();
	zdtm_wait();
	kill(p1, SIGTERM);
	kill(p2, SIGTERM);
	get(a1, 1000, 21, "the parent, the first connection");
	take(l, '1', w1);
	take(l, 'p', wp);
	take(l, '3', w3);
	zdtm_check(waitpid(p1, &st, 0) != p1, "waitpid child 1");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		zdtm_fail("child 1 failed: %#x", st);
	zdtm_check(waitpid(p2, &st, 0) != p2, "waitpid child 2");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		zdtm_fail("child 2 failed: %#x", st);
	zdtm_pass();
}
