// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-inet: TCP and UDP sockets that are not connections come back with
 * their addresses, options and state, and work: an IPv4 TCP listener with
 * options set and a backlog, an IPv6-only listener, a dual-stack UDP
 * socket, a UDP socket connected to another, a TCP socket bound and never
 * connected, one neither bound nor connected, a socket given another
 * owner (fchown).  After the restore each listener accepts a connection,
 * the UDP sockets carry datagrams, and every option reads as before.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "zdtm.h"

/* The options compared before and after, and their sockets. */
static const struct {
	int	sock;		/* index in s[] */
	int	level, name;
} opts[] = {
	{ 0, SOL_SOCKET, SO_REUSEADDR }, { 0, SOL_SOCKET, SO_KEEPALIVE },
	{ 0, SOL_SOCKET, SO_RCVBUF }, { 0, SOL_SOCKET, SO_SNDBUF },
	{ 0, SOL_SOCKET, SO_RCVTIMEO }, { 0, SOL_SOCKET, SO_LINGER },
	{ 0, SOL_SOCKET, SO_PRIORITY }, { 0, IPPROTO_IP, IP_TOS },
	{ 0, IPPROTO_IP, IP_TTL }, { 0, IPPROTO_TCP, TCP_NODELAY },
	{ 0, IPPROTO_TCP, TCP_KEEPIDLE }, { 0, IPPROTO_TCP, TCP_KEEPCNT },
	{ 0, IPPROTO_TCP, TCP_DEFER_ACCEPT }, { 0, IPPROTO_TCP, TCP_MAXSEG },
	{ 0, IPPROTO_TCP, TCP_CONGESTION },
	{ 1, IPPROTO_IPV6, IPV6_V6ONLY }, { 1, SOL_SOCKET, SO_REUSEPORT },
	{ 2, IPPROTO_IPV6, IPV6_V6ONLY }, { 2, SOL_SOCKET, SO_BROADCAST },
	{ 2, IPPROTO_IPV6, IPV6_RECVPKTINFO },
	{ 3, SOL_SOCKET, SO_SNDTIMEO }, { 4, SOL_SOCKET, SO_REUSEADDR },
};
#define NR_OPTS		(sizeof(opts) / sizeof(opts[0]))
#define NR_SOCKS	7

/* What a socket was: its name, peer, and its options' values. */
struct seen {
	struct sockaddr_storage	name[NR_SOCKS], peer[NR_SOCKS];
	socklen_t		nlen[NR_SOCKS], plen[NR_SOCKS];
	unsigned char		val[NR_OPTS][32];
	socklen_t		vlen[NR_OPTS];
	uid_t			uid[NR_SOCKS];
};

static void take(const int *s, struct seen *w)
{
	struct stat st;

	memset(w, 0, sizeof(*w));
	for (int i = 0; i < NR_SOCKS; i++) {
		w->nlen[i] = sizeof(w->name[i]);
		zdtm_check(getsockname(s[i], (void *)&w->name[i], &w->nlen[i]),
			   "getsockname");
		w->plen[i] = sizeof(w->peer[i]);
		if (getpeername(s[i], (void *)&w->peer[i], &w->plen[i]))
			w->plen[i] = 0;
		zdtm_check(fstat(s[i], &st), "fstat");
		w->uid[i] = st.st_uid;
	}
	for (size_t i = 0; i < NR_OPTS; i++) {
		w->vlen[i] = sizeof(w->val[i]);
		zdtm_check(getsockopt(s[opts[i].sock], opts[i].level,
				      opts[i].name, w->val[i], &w->vlen[i]),
			   "getsockopt");
	}
}

static int sock(int family, int type)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	zdtm_check(fd < 0, "socket");
	return fd;
}

static void setint(int fd, int level, int name, int v)
{
	zdtm_check(setsockopt(fd, level, name, &v, sizeof(v)), "setsockopt");
}

static void bind4(int fd, const char *addr, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };

	inet_pton(AF_INET, addr, &a.sin_addr);
	zdtm_check(bind(fd, (void *)&a, sizeof(a)), "bind");
}

static void bind6(int fd, const char *addr)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6 };

	inet_pton(AF_INET6, addr, &a.sin6_addr);
	zdtm_check(bind(fd, (void *)&a, sizeof(a)), "bind6");
}

/* Connect to listener @l and have it accepted: the listener works. */
static void accept_one(int l)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof(a);
	int c, s;

	zdtm_check(getsockname(l, (void *)&a, &len), "getsockname");
	if (a.ss_family == AF_INET6)
		inet_pton(AF_INET6, "::1", &((struct sockaddr_in6 *)&a)->sin6_addr);
	c = sock(a.ss_family, SOCK_STREAM);
	zdtm_check(connect(c, (void *)&a, len), "connect to the listener");
	s = accept(l, NULL, NULL);
	zdtm_check(s < 0, "accept");
	zdtm_check(write(c, "hello", 5) != 5, "write");
	char buf[8];
	zdtm_check(read(s, buf, 5) != 5 || memcmp(buf, "hello", 5),
		   "the accepted connection carries no data");
	close(c);
	close(s);
}

int main(int argc, char **argv)
{
	struct timeval tv = { 7, 250000 };
	struct linger lg = { 1, 5 };
	struct seen before, after;
	int s[NR_SOCKS];
	char buf[16];

	zdtm_init(argc, argv);
	/* 0: IPv4 TCP listener with options, backlog 17 */
	s[0] = sock(AF_INET, SOCK_STREAM);
	setint(s[0], SOL_SOCKET, SO_REUSEADDR, 1);
	setint(s[0], SOL_SOCKET, SO_KEEPALIVE, 1);
	setint(s[0], SOL_SOCKET, SO_RCVBUF, 50000);
	setint(s[0], SOL_SOCKET, SO_SNDBUF, 70000);
	zdtm_check(setsockopt(s[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)),
		   "SO_RCVTIMEO");
	zdtm_check(setsockopt(s[0], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)),
		   "SO_LINGER");
	setint(s[0], IPPROTO_IP, IP_TOS, 0x10);
	setint(s[0], SOL_SOCKET, SO_PRIORITY, 3);
	setint(s[0], IPPROTO_IP, IP_TTL, 33);
	setint(s[0], IPPROTO_TCP, TCP_NODELAY, 1);
	setint(s[0], IPPROTO_TCP, TCP_KEEPIDLE, 77);
	setint(s[0], IPPROTO_TCP, TCP_KEEPCNT, 4);
	setint(s[0], IPPROTO_TCP, TCP_DEFER_ACCEPT, 0);
	setint(s[0], IPPROTO_TCP, TCP_MAXSEG, 1200);
	zdtm_check(setsockopt(s[0], IPPROTO_TCP, TCP_CONGESTION, "reno", 4),
		   "TCP_CONGESTION");
	bind4(s[0], "127.0.0.1", 0);
	zdtm_check(listen(s[0], 17), "listen");
	/* 1: IPv6-only TCP listener on ::1, SO_REUSEPORT */
	s[1] = sock(AF_INET6, SOCK_STREAM);
	setint(s[1], IPPROTO_IPV6, IPV6_V6ONLY, 1);
	setint(s[1], SOL_SOCKET, SO_REUSEPORT, 1);
	bind6(s[1], "::1");
	zdtm_check(listen(s[1], 5), "listen6");
	/* 2: dual-stack UDP on ::, broadcast, pktinfo */
	s[2] = sock(AF_INET6, SOCK_DGRAM);
	setint(s[2], IPPROTO_IPV6, IPV6_V6ONLY, 0);
	setint(s[2], SOL_SOCKET, SO_BROADCAST, 1);
	setint(s[2], IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
	bind6(s[2], "::");
	/* 3, 4: UDP 3 bound, connected to 4 bound on 127.0.0.1 */
	s[4] = sock(AF_INET, SOCK_DGRAM);
	setint(s[4], SOL_SOCKET, SO_REUSEADDR, 1);
	bind4(s[4], "127.0.0.1", 0);
	s[3] = sock(AF_INET, SOCK_DGRAM);
	zdtm_check(setsockopt(s[3], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)),
		   "SO_SNDTIMEO");
	{
		struct sockaddr_storage a;
		socklen_t len = sizeof(a);

		zdtm_check(getsockname(s[4], (void *)&a, &len), "getsockname");
		zdtm_check(connect(s[3], (void *)&a, len), "udp connect");
	}
	/* 5: TCP bound, never connected; 6: TCP, nothing, another owner */
	s[5] = sock(AF_INET, SOCK_STREAM);
	bind4(s[5], "127.0.0.1", 0);
	s[6] = sock(AF_INET6, SOCK_STREAM);
	zdtm_check(fchown(s[6], 4321, 4322), "fchown");
	take(s, &before);
	zdtm_ready();
	zdtm_wait();
	take(s, &after);
	for (int i = 0; i < NR_SOCKS; i++) {
		if (before.nlen[i] != after.nlen[i] ||
		    memcmp(&before.name[i], &after.name[i], before.nlen[i]))
			zdtm_fail("socket %d: another local address", i);
		if (before.plen[i] != after.plen[i] ||
		    memcmp(&before.peer[i], &after.peer[i], before.plen[i]))
			zdtm_fail("socket %d: another peer", i);
		if (before.uid[i] != after.uid[i])
			zdtm_fail("socket %d: owner %u, was %u", i,
				  after.uid[i], before.uid[i]);
	}
	for (size_t i = 0; i < NR_OPTS; i++)
		if (before.vlen[i] != after.vlen[i] ||
		    memcmp(before.val[i], after.val[i], before.vlen[i]))
			zdtm_fail("socket %d: option %d/%d differs", opts[i].sock,
				  opts[i].level, opts[i].name);
	accept_one(s[0]);
	accept_one(s[1]);
	zdtm_check(send(s[3], "dgram", 5, 0) != 5, "udp send");
	zdtm_check(recv(s[4], buf, sizeof(buf), 0) != 5 ||
		   memcmp(buf, "dgram", 5), "udp datagram lost");
	{
		struct sockaddr_in a = { .sin_family = AF_INET };
		socklen_t len = sizeof(struct sockaddr_in6);
		struct sockaddr_in6 b;

		zdtm_check(getsockname(s[2], (void *)&b, &len), "getsockname");
		a.sin_port = b.sin6_port;
		inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
		zdtm_check(sendto(s[4], "v4", 2, 0, (void *)&a, sizeof(a)) != 2,
			   "sendto the dual-stack socket");
		zdtm_check(recv(s[2], buf, sizeof(buf), 0) != 2,
			   "the dual-stack socket got no IPv4 datagram");
	}
	zdtm_pass();
}
