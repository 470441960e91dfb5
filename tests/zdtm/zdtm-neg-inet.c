// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-inet: a TCP or UDP socket the checkpoint must refuse, the case
 * named by $ZDTM_INET_CASE: "closing" (a connection half closed),
 * "outside" (a connection to 127.0.0.1:$ZDTM_INET_PORT, a listener
 * outside the container), "waiting" (a
 * listener with a connection not accepted), "queued" (a UDP datagram not
 * read), "shutdown", "error" (a pending ICMP error), "mcast" (a multicast
 * group joined), "ipopts" (IP_OPTIONS), "filter" (a socket filter),
 * "async" (O_ASYNC).  After SIGTERM (the refused checkpoint, then thaw)
 * the socket must be as it was: nothing read, nothing lost.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "zdtm.h"

static struct sockaddr_in lo(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int sock(int type)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	zdtm_check(fd < 0, "socket");
	return fd;
}

/* @fd bound to 127.0.0.1 on a port of its own; the port. */
static int bind_lo(int fd)
{
	struct sockaddr_in a = lo(0);
	socklen_t len = sizeof(a);

	zdtm_check(bind(fd, (void *)&a, sizeof(a)), "bind");
	zdtm_check(getsockname(fd, (void *)&a, &len), "getsockname");
	return ntohs(a.sin_port);
}

int main(int argc, char **argv)
{
	const char *c = getenv("ZDTM_INET_CASE");
	int a = -1, b = -1, l, one = 1;
	struct sockaddr_in to;
	char buf[16];

	zdtm_init(argc, argv);
	zdtm_check(!c, "ZDTM_INET_CASE");
	if (!strcmp(c, "outside")) {
		const char *port = getenv("ZDTM_INET_PORT");

		zdtm_check(!port, "ZDTM_INET_PORT");
		to = lo(atoi(port));
		a = sock(SOCK_STREAM);
		zdtm_check(connect(a, (void *)&to, sizeof(to)), "connect");
	} else if (!strcmp(c, "closing") || !strcmp(c, "waiting")) {
		l = sock(SOCK_STREAM);
		to = lo(bind_lo(l));
		zdtm_check(listen(l, 4), "listen");
		a = sock(SOCK_STREAM);
		zdtm_check(connect(a, (void *)&to, sizeof(to)), "connect");
		if (!strcmp(c, "closing")) {
			b = accept(l, NULL, NULL);
			zdtm_check(b < 0, "accept");
			zdtm_check(shutdown(a, SHUT_WR), "shutdown");
			zdtm_check(read(b, buf, 1) != 0, "no end of file");
		} else {
			b = l;
		}
	} else if (!strcmp(c, "queued") || !strcmp(c, "error")) {
		a = sock(SOCK_DGRAM);
		b = sock(SOCK_DGRAM);
		to = lo(bind_lo(b));
		if (!strcmp(c, "error")) {
			close(b);	/* nobody there: port unreachable */
			b = -1;
			zdtm_check(connect(a, (void *)&to, sizeof(to)), "connect");
			zdtm_check(send(a, "x", 1, 0) != 1, "send");
			struct pollfd p = { .fd = a, .events = 0 };
			zdtm_check(poll(&p, 1, 2000) != 1 || !(p.revents & POLLERR),
				   "no ICMP error came");
		} else {
			zdtm_check(sendto(a, "dgram", 5, 0, (void *)&to,
					  sizeof(to)) != 5, "sendto");
		}
	} else if (!strcmp(c, "shutdown")) {
		a = sock(SOCK_DGRAM);
		bind_lo(a);
		shutdown(a, SHUT_RD);	/* ENOTCONN, and yet it is shut */
	} else if (!strcmp(c, "mcast")) {
		struct ip_mreqn mr = { .imr_ifindex = 1 };

		a = sock(SOCK_DGRAM);
		inet_pton(AF_INET, "239.7.7.7", &mr.imr_multiaddr);
		zdtm_check(setsockopt(a, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
				      sizeof(mr)), "IP_ADD_MEMBERSHIP");
	} else if (!strcmp(c, "ipopts")) {
		static const unsigned char nop[4] = { 1, 1, 1, 0 };

		a = sock(SOCK_DGRAM);
		zdtm_check(setsockopt(a, IPPROTO_IP, IP_OPTIONS, nop, 4),
			   "IP_OPTIONS");
	} else if (!strcmp(c, "filter")) {
		struct sock_filter ok = BPF_STMT(BPF_RET | BPF_K, 0xffff);
		struct sock_fprog prog = { 1, &ok };

		a = sock(SOCK_DGRAM);
		zdtm_check(setsockopt(a, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
				      sizeof(prog)), "SO_ATTACH_FILTER");
	} else if (!strcmp(c, "async")) {
		a = sock(SOCK_DGRAM);
		zdtm_check(fcntl(a, F_SETFL, O_ASYNC), "O_ASYNC");
	} else {
		zdtm_fail("unknown case %s", c);
	}
	(void)one;
	zdtm_ready();
	zdtm_wait();
	/* What the checkpoint must have left as it was. */
	if (!strcmp(c, "closing")) {
		zdtm_check(write(b, "ping", 4) != 4, "write");
		zdtm_check(read(a, buf, 4) != 4 || memcmp(buf, "ping", 4),
			   "the half-closed connection lost its bytes");
	} else if (!strcmp(c, "outside")) {
		zdtm_check(write(a, "ping", 4) != 4, "the connection out is gone");
	} else if (!strcmp(c, "waiting")) {
		zdtm_check(accept(b, NULL, NULL) < 0,
			   "the waiting connection is gone");
	} else if (!strcmp(c, "queued")) {
		zdtm_check(recv(b, buf, sizeof(buf), MSG_DONTWAIT) != 5 ||
			   memcmp(buf, "dgram", 5), "the datagram was consumed");
	} else if (!strcmp(c, "error")) {
		zdtm_check(recv(a, buf, 1, MSG_DONTWAIT) >= 0 ||
			   errno != ECONNREFUSED, "the error was consumed");
	}
	zdtm_pass();
}
