// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-unix-named: bound and listening unix sockets come back with their
 * names.  A stream socket listening (backlog 7) on DIR/listen.sock, whose
 * file is chmod 0640 after bind (fd 5, O_NONBLOCK); a datagram socket
 * bound to an abstract name (fd 6, SO_RCVBUF 32768) with three datagrams
 * queued from senders without a name (2, 1000 and 5 bytes); a datagram
 * socket bound to DIR/dgram.sock with one; a stream socket
 * bound to another abstract name, neither listening nor connected (fd 7),
 * as CRIU's sk-unix-unconn has.  After SIGTERM: getsockname() of each is
 * its name, the socket file is a socket of mode 0640, the listener takes
 * a connection, the datagram sockets read their datagrams (from no name)
 * and receive from a new sender, and the bound stream socket listens and
 * takes one.
 */
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "zdtm.h"

/* Move @fd to @to. */
static int at(int fd, int to)
{
	zdtm_check(fd < 0 || dup2(fd, to) != to, "socket, dup2");
	close(fd);
	return to;
}

/* An abstract name of @tag and its length. */
static socklen_t abstract(struct sockaddr_un *sa, const char *tag)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1,
		 "crfs-zdtm-%s-%d", tag, getpid());
	return offsetof(struct sockaddr_un, sun_path) + 1 +
	       strlen(sa->sun_path + 1);
}

/* getsockname() of @fd is @sa, @len bytes. */
static void named(int fd, const struct sockaddr_un *sa, socklen_t len)
{
	struct sockaddr_un got;
	socklen_t glen = sizeof(got);

	memset(&got, 0, sizeof(got));
	zdtm_check(getsockname(fd, (void *)&got, &glen), "getsockname");
	if (glen != len || memcmp(&got, sa, len))
		zdtm_fail("fd %d: getsockname() says %u bytes \"%s\", not %u",
			  fd, glen, got.sun_path[0] ? got.sun_path :
			  got.sun_path + 1, len);
}

/* A connection to @sa (@len bytes), taken by listener @l. */
static void take(int l, const struct sockaddr_un *sa, socklen_t len)
{
	int c = socket(AF_UNIX, SOCK_STREAM, 0), a;
	char b;

	zdtm_check(c < 0 || connect(c, (const void *)sa, len), "connect");
	a = accept(l, NULL, NULL);
	zdtm_check(a < 0, "accept");
	zdtm_check(write(c, "x", 1) != 1 || read(a, &b, 1) != 1 || b != 'x',
		   "talk over the accepted connection");
	close(a);
	close(c);
}

/* Send @len bytes of pattern @seed to @sa from a socket without a name. */
static void send_anon(const struct sockaddr_un *sa, socklen_t salen,
		      size_t len, uint64_t seed)
{
	char buf[1024];
	int c = socket(AF_UNIX, SOCK_DGRAM, 0);

	zdtm_fill(buf, sizeof(buf), seed);
	zdtm_check(c < 0 || sendto(c, buf, len, 0, (const void *)sa, salen) !=
		   (ssize_t)len, "sendto");
	close(c);
}

/* Read a datagram of @len bytes of pattern @seed, from no name, on @fd. */
static void recv_anon(int fd, size_t len, uint64_t seed)
{
	char buf[2048], want[1024];
	struct sockaddr_un from;
	socklen_t flen = sizeof(from);
	ssize_t n;

	zdtm_fill(want, sizeof(want), seed);
	n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (void *)&from, &flen);
	if (n != (ssize_t)len || memcmp(buf, want, len))
		zdtm_fail("fd %d: datagram of %zd bytes, not %zu of pattern "
			  "%llu", fd, n, len, (unsigned long long)seed);
	if (flen != 0 && flen != sizeof(sa_family_t))
		zdtm_fail("fd %d: a datagram from a name (%u bytes)", fd, flen);
}

int main(int argc, char **argv)
{
	struct sockaddr_un ps = { .sun_family = AF_UNIX }, ds, ss,
			   qs = { .sun_family = AF_UNIX };
	socklen_t plen, dlen, slen, qlen;
	struct stat st;
	int l, d, s, c, q, v = 32768, rcv;
	socklen_t vlen = sizeof(rcv);
	char b;

	zdtm_init(argc, argv);
	zdtm_path(ps.sun_path, sizeof(ps.sun_path), "listen.sock");
	plen = offsetof(struct sockaddr_un, sun_path) + strlen(ps.sun_path) + 1;
	l = at(socket(AF_UNIX, SOCK_STREAM, 0), 5);
	zdtm_check(bind(l, (void *)&ps, plen) || chmod(ps.sun_path, 0640) ||
		   listen(l, 7), "listen on a path");
	zdtm_check(fcntl(l, F_SETFL, O_NONBLOCK), "O_NONBLOCK");
	dlen = abstract(&ds, "dgram");
	d = at(socket(AF_UNIX, SOCK_DGRAM, 0), 6);
	zdtm_check(bind(d, (void *)&ds, dlen), "bind an abstract name");
	zdtm_check(setsockopt(d, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)),
		   "SO_RCVBUF");
	zdtm_check(getsockopt(d, SOL_SOCKET, SO_RCVBUF, &rcv, &vlen),
		   "SO_RCVBUF");
	send_anon(&ds, dlen, 2, 1);
	send_anon(&ds, dlen, 1000, 2);
	send_anon(&ds, dlen, 5, 3);
	zdtm_path(qs.sun_path, sizeof(qs.sun_path), "dgram.sock");
	qlen = offsetof(struct sockaddr_un, sun_path) + strlen(qs.sun_path) + 1;
	q = at(socket(AF_UNIX, SOCK_DGRAM, 0), 8);
	zdtm_check(bind(q, (void *)&qs, qlen), "bind a path");
	send_anon(&qs, qlen, 77, 4);
	slen = abstract(&ss, "stream");
	s = at(socket(AF_UNIX, SOCK_STREAM, 0), 7);
	zdtm_check(bind(s, (void *)&ss, slen), "bind an abstract name");
	zdtm_ready();
	zdtm_wait();

	named(l, &ps, plen);
	named(d, &ds, dlen);
	named(s, &ss, slen);
	zdtm_check(stat(ps.sun_path, &st), "stat the socket file");
	if (!S_ISSOCK(st.st_mode) || (st.st_mode & 07777) != 0640)
		zdtm_fail("the socket file has mode %o", st.st_mode);
	if (!(fcntl(l, F_GETFL) & O_NONBLOCK))
		zdtm_fail("the listener lost O_NONBLOCK");
	if (accept(l, NULL, NULL) != -1 || errno != EAGAIN)
		zdtm_fail("the listener had a connection waiting");
	take(l, &ps, plen);
	vlen = sizeof(v);
	zdtm_check(getsockopt(d, SOL_SOCKET, SO_RCVBUF, &v, &vlen),
		   "SO_RCVBUF");
	if (v != rcv)
		zdtm_fail("SO_RCVBUF %d, not %d", v, rcv);
	named(q, &qs, qlen);
	recv_anon(d, 2, 1);
	recv_anon(d, 1000, 2);
	recv_anon(d, 5, 3);
	recv_anon(q, 77, 4);
	if (recv(d, &b, 1, MSG_DONTWAIT) != -1 || recv(q, &b, 1, MSG_DONTWAIT) != -1)
		zdtm_fail("more datagrams queued than there were");
	c = socket(AF_UNIX, SOCK_DGRAM, 0);
	zdtm_check(c < 0 || sendto(c, "d", 1, 0, (void *)&ds, dlen) != 1,
		   "sendto the abstract name");
	zdtm_check(recv(d, &b, 1, MSG_DONTWAIT) != 1 || b != 'd',
		   "recv on the abstract name");
	zdtm_check(listen(s, 1), "listen on the bound stream socket");
	take(s, &ss, slen);
	zdtm_pass();
}
