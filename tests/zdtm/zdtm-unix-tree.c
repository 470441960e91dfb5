// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-unix-tree: unix socket pairs held across processes come back with
 * their queues:
 *
 *   A  a stream pair: the parent holds one end, child 1 the other; 5000
 *      bytes queued for the child, 7 for the parent
 *   B  a datagram pair: the parent and child 2 hold both ends; three
 *      datagrams queued one way (the parent reads them), one the other
 *      (child 2 reads it)
 *   C  a seqpacket pair only child 2 holds (the parent closed both ends),
 *      a record queued each way
 *
 * After SIGTERM the parent passes it on to the children; each checks what
 * is queued for it and answers over its pair; the parent checks its own,
 * the answers, and the children's exit status.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include "zdtm.h"

static int a[2], b[2], c[2];

static int sock_type(int fd)
{
	socklen_t len = sizeof(int);
	int v = 0;

	getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len);
	return v;
}

/* Read one message of @len bytes of pattern @seed from @fd. */
static void get(int fd, size_t len, uint64_t seed, const char *what)
{
	char buf[8192], want[8192];
	size_t got = 0;
	ssize_t n;

	zdtm_fill(want, (len + 7) / 8 * 8, seed);
	do {
		/* A stream's next bytes may follow: only @len of them. */
		n = recv(fd, buf + got, sock_type(fd) == SOCK_STREAM ?
			 len - got : sizeof(buf) - got, 0);
		if (n <= 0)
			zdtm_fail("%s: %zu of %zu bytes: %s", what, got, len,
				  n ? strerror(errno) : "end of file");
		got += n;
	} while (got < len && n > 0);
	if (got != len || memcmp(buf, want, len))
		zdtm_fail("%s: %zu bytes, or the wrong ones", what, got);
}

/* Send @len bytes of pattern @seed on @fd as one message. */
static void put(int fd, size_t len, uint64_t seed)
{
	char buf[8192];

	zdtm_fill(buf, (len + 7) / 8 * 8, seed);
	zdtm_check(send(fd, buf, len, 0) != (ssize_t)len, "send");
}

/* Nothing more queued on @fd. */
static void empty(int fd, const char *what)
{
	char x;

	if (recv(fd, &x, 1, MSG_DONTWAIT) != -1 || errno != EAGAIN)
		zdtm_fail("%s: more queued than there was", what);
}

static void child1(void)
{
	zdtm_wait();
	get(a[1], 5000, 1, "A, child 1");
	empty(a[1], "A, child 1");
	put(a[1], 3, 9);
	exit(0);
}

static void child2(void)
{
	zdtm_wait();
	get(b[1], 50, 5, "B, child 2");
	empty(b[1], "B, child 2");
	get(c[1], 100, 6, "C, child 2");
	get(c[0], 200, 7, "C, child 2");
	empty(c[0], "C, child 2");
	empty(c[1], "C, child 2");
	put(b[1], 4, 10);
	exit(0);
}

int main(int argc, char **argv)
{
	pid_t p1, p2;
	int st;

	zdtm_init(argc, argv);
	zdtm_check(socketpair(AF_UNIX, SOCK_STREAM, 0, a) ||
		   socketpair(AF_UNIX, SOCK_DGRAM, 0, b) ||
		   socketpair(AF_UNIX, SOCK_SEQPACKET, 0, c), "socketpair");
	put(a[0], 5000, 1);
	put(a[1], 7, 2);
	put(b[1], 10, 3);
	put(b[1], 1, 4);
	put(b[1], 300, 11);
	put(b[0], 50, 5);
	put(c[0], 100, 6);
	put(c[1], 200, 7);
	p1 = fork();
	zdtm_check(p1 < 0, "fork");
	if (!p1) {
		close(a[0]);
		close(b[0]);
		close(b[1]);
		close(c[0]);
		close(c[1]);
		child1();
	}
	close(a[1]);
	p2 = fork();
	zdtm_check(p2 < 0, "fork");
	if (!p2) {
		close(a[0]);
		child2();
	}
	close(c[0]);
	close(c[1]);
	zdtm_ready();
	zdtm_wait();
	get(a[0], 7, 2, "A, parent");
	get(b[0], 10, 3, "B, parent");
	get(b[0], 1, 4, "B, parent");
	get(b[0], 300, 11, "B, parent");
	empty(a[0], "A, parent");
	empty(b[0], "B, parent");
	kill(p1, SIGTERM);
	kill(p2, SIGTERM);
	get(a[0], 3, 9, "A, child 1's answer");
	get(b[0], 4, 10, "B, child 2's answer");
	zdtm_check(waitpid(p1, &st, 0) != p1, "waitpid child 1");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		zdtm_fail("child 1 failed: %#x", st);
	zdtm_check(waitpid(p2, &st, 0) != p2, "waitpid child 2");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		zdtm_fail("child 2 failed: %#x", st);
	zdtm_pass();
}
