// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-unix: unix socket pairs come back with their data, boundaries,
 * options and shutdown state.  A stream pair (fds 5, 9) with 100000 bytes
 * queued one way and 3 the other, the reader at fd 9 with SO_PEEK_OFF 0
 * having peeked 2 bytes (peek offset 2), O_NONBLOCK, SO_RCVTIMEO 1.5 s,
 * SO_SNDBUF 65536; a datagram pair (fds 12, 7) with five datagrams of 1,
 * 100, 3000, 7 and 60000 bytes queued one way and one the other; a
 * seqpacket pair (fds 14, 15) with two records queued, shut down for
 * writing at 14 (15 reads its records, then end of file); a dup() of the
 * stream socket at fd 20 (one description); an unconnected datagram
 * socket (fd 22, SO_PASSCRED) and an unconnected stream socket (fd 23);
 * a stream socket (fd 30) whose peer closed with 5 bytes unread, leaving
 * 1000 bytes for it (it reads them, then ECONNRESET once, then end of
 * file), and a seqpacket socket (fd 32) whose peer closed after sending
 * two records.  After SIGTERM, each is checked: what is
 * queued, in order and with its boundaries, the options, getpeername()
 * (no name), and that the pairs still carry data both ways.
 */
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "zdtm.h"

#define BIG		100000
static const int dgram_len[] = { 1, 100, 3000, 7, 60000 };

/* Move @fd to @to. */
static int at(int fd, int to)
{
	zdtm_check(dup2(fd, to) != to, "dup2");
	close(fd);
	return to;
}

/* Make a pair of @type at @a and @b. */
static void pair(int type, int a, int b)
{
	int sv[2];

	zdtm_check(socketpair(AF_UNIX, type, 0, sv), "socketpair");
	at(sv[0], a);
	at(sv[1], b);
}

static int opt(int fd, int name)
{
	socklen_t len = sizeof(int);
	int v;

	zdtm_check(getsockopt(fd, SOL_SOCKET, name, &v, &len), "getsockopt");
	return v;
}

static void set(int fd, int name, int v)
{
	zdtm_check(setsockopt(fd, SOL_SOCKET, name, &v, sizeof(v)),
		   "setsockopt");
}

/* Send @len bytes of pattern @seed on @fd, as one message. */
static void put(int fd, size_t len, uint64_t seed)
{
	char *buf = calloc(1, len + 8);
	size_t done = 0;

	zdtm_fill(buf, (len + 7) / 8 * 8, seed);
	while (done < len) {
		ssize_t n = send(fd, buf + done, len - done, MSG_DONTWAIT);

		zdtm_check(n <= 0, "send");
		done += n;
	}
	free(buf);
}

/* Receive one message of exactly @len bytes of pattern @seed from @fd. */
static void get(int fd, size_t len, uint64_t seed, int flags, const char *what)
{
	char *buf = calloc(1, len + 4096), *want = calloc(1, len + 8);
	size_t done = 0;
	ssize_t n;

	zdtm_fill(want, (len + 7) / 8 * 8, seed);
	do {
		n = recv(fd, buf + done, len + 4096 - done,
			 MSG_DONTWAIT | flags);
		if (n < 0)
			zdtm_fail("%s: recv after %zu of %zu bytes: %s", what,
				  done, len, strerror(errno));
		if (!n)
			zdtm_fail("%s: end of file after %zu bytes", what,
				  done);
		done += n;
	} while (done < len && !flags);
	if (done != len)
		zdtm_fail("%s: %zu bytes, not %zu", what, done, len);
	if (memcmp(buf, want, len))
		zdtm_fail("%s: wrong bytes", what);
	free(buf);
	free(want);
}

/* Nothing more to read on @fd now. */
static void empty(int fd, const char *what)
{
	char c;

	if (recv(fd, &c, 1, MSG_DONTWAIT) != -1 || errno != EAGAIN)
		zdtm_fail("%s: more data queued than there was", what);
}

/* The pair @a, @b carries a message both ways. */
static void ping(int a, int b, const char *what)
{
	put(a, 10, 77);
	get(b, 10, 77, 0, what);
	put(b, 11, 78);
	get(a, 11, 78, 0, what);
}

/* getpeername() of a socketpair end: AF_UNIX, no name. */
static void noname(int fd)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);

	memset(&sa, 0xff, sizeof(sa));
	zdtm_check(getpeername(fd, (struct sockaddr *)&sa, &len),
		   "getpeername");
	if (len != sizeof(sa_family_t) || sa.sun_family != AF_UNIX)
		zdtm_fail("getpeername of fd %d: length %u", fd, len);
}

int main(int argc, char **argv)
{
	struct timeval tv = { 1, 500000 }, got;
	socklen_t len = sizeof(got);
	char peeked[2];
	int sndbuf, i, u;

	zdtm_init(argc, argv);
	pair(SOCK_STREAM, 5, 9);
	set(9, SO_SNDBUF, 65536);
	sndbuf = opt(9, SO_SNDBUF);
	put(5, BIG, 1);
	put(9, 3, 2);
	set(9, SO_PEEK_OFF, 0);
	zdtm_check(recv(9, peeked, 2, MSG_PEEK) != 2, "peek");
	zdtm_check(setsockopt(9, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)),
		   "SO_RCVTIMEO");
	zdtm_check(fcntl(9, F_SETFL, O_NONBLOCK), "O_NONBLOCK");
	zdtm_check(dup2(5, 20) != 20, "dup2");
	pair(SOCK_DGRAM, 12, 7);
	for (i = 0; i < 5; i++)
		put(12, dgram_len[i], 10 + i);
	put(7, 5, 20);
	pair(SOCK_SEQPACKET, 14, 15);
	put(14, 4000, 30);
	put(14, 9, 31);
	zdtm_check(shutdown(14, SHUT_WR), "shutdown");
	u = at(socket(AF_UNIX, SOCK_DGRAM, 0), 22);
	set(u, SO_PASSCRED, 1);
	at(socket(AF_UNIX, SOCK_STREAM, 0), 23);
	pair(SOCK_STREAM, 30, 31);
	put(31, 1000, 50);
	put(30, 5, 51);
	close(31);
	pair(SOCK_SEQPACKET, 32, 33);
	put(33, 700, 52);
	put(33, 3, 53);
	close(33);
	zdtm_ready();
	zdtm_wait();

	/* Peers closed: the data, then (30) the reset, then end of file. */
	get(30, 1000, 50, 0, "stream 31 -> 30, 31 closed");
	if (recv(30, peeked, 1, MSG_DONTWAIT) != -1 || errno != ECONNRESET)
		zdtm_fail("fd 30: no ECONNRESET after its data: %s",
			  strerror(errno));
	if (recv(30, peeked, 1, MSG_DONTWAIT) != 0)
		zdtm_fail("fd 30: no end of file after the reset");
	if (send(30, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL) != -1 ||
	    errno != EPIPE)
		zdtm_fail("fd 30: sends to its closed peer");
	get(32, 700, 52, MSG_TRUNC, "seqpacket 33 -> 32, 33 closed");
	get(32, 3, 53, MSG_TRUNC, "seqpacket 33 -> 32, 33 closed");
	if (recv(32, peeked, 1, MSG_DONTWAIT) != 0)
		zdtm_fail("fd 32: no end of file after its records");

	/* Stream: options, then the peek offset, then the data. */
	if (opt(9, SO_SNDBUF) != sndbuf || opt(9, SO_PEEK_OFF) != 2 ||
	    !(fcntl(9, F_GETFL) & O_NONBLOCK) || opt(5, SO_PEEK_OFF) != -1)
		zdtm_fail("stream options: sndbuf %d (want %d), peek_off %d",
			  opt(9, SO_SNDBUF), sndbuf, opt(9, SO_PEEK_OFF));
	zdtm_check(getsockopt(9, SOL_SOCKET, SO_RCVTIMEO, &got, &len),
		   "SO_RCVTIMEO");
	if (got.tv_sec != 1 || got.tv_usec != 500000)
		zdtm_fail("SO_RCVTIMEO %ld.%06ld", (long)got.tv_sec,
			  (long)got.tv_usec);
	set(9, SO_PEEK_OFF, -1);
	get(9, BIG, 1, 0, "stream 5 -> 9");
	empty(9, "stream 5 -> 9");
	get(20, 3, 2, 0, "stream 9 -> 5 (read at its dup fd 20)");
	empty(5, "stream 9 -> 5");
	ping(5, 9, "stream pair");
	noname(5);
	noname(9);

	/* Datagrams: each whole, in order. */
	for (i = 0; i < 5; i++)
		get(7, dgram_len[i], 10 + i, MSG_TRUNC, "datagram 12 -> 7");
	empty(7, "datagram 12 -> 7");
	get(12, 5, 20, MSG_TRUNC, "datagram 7 -> 12");
	empty(12, "datagram 7 -> 12");
	ping(12, 7, "datagram pair");
	if (opt(7, SO_TYPE) != SOCK_DGRAM)
		zdtm_fail("fd 7 is not a datagram socket");

	/* Seqpacket: records, then end of file; 14 cannot send. */
	get(15, 4000, 30, MSG_TRUNC, "seqpacket 14 -> 15");
	get(15, 9, 31, MSG_TRUNC, "seqpacket 14 -> 15");
	if (recv(15, peeked, 1, MSG_DONTWAIT) != 0)
		zdtm_fail("seqpacket 15: no end of file after the records");
	if (send(14, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL) != -1 ||
	    errno != EPIPE)
		zdtm_fail("seqpacket 14: sends after shutdown(SHUT_WR)");
	put(15, 6, 40);
	get(14, 6, 40, MSG_TRUNC, "seqpacket 15 -> 14");

	if (opt(22, SO_TYPE) != SOCK_DGRAM || opt(22, SO_PASSCRED) != 1)
		zdtm_fail("the unconnected socket lost its type or SO_PASSCRED");
	if (opt(23, SO_TYPE) != SOCK_STREAM || opt(23, SO_ACCEPTCONN))
		zdtm_fail("fd 23 is not an unconnected stream socket");
	zdtm_pass();
}
