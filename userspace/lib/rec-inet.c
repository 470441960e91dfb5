// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The state of a TCP or UDP socket in its FILE record (crfs.h): after the
 * path, a crfs_file_inet and its crfs_sockopt records.  The table of the
 * options a checkpoint reads, and what may be in an image, is here; read,
 * written and printed for rec-objects.c; what the values mean is
 * img-check-inet.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include "inet.h"
#include "rec.h"

#ifndef SO_RCVTIMEO_OLD
#define SO_RCVTIMEO_OLD		20
#define SO_SNDTIMEO_OLD		21
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT		103
#endif
#ifndef UDP_GRO
#define UDP_GRO			104
#endif
#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE	51
#endif

#ifndef SO_TIMESTAMP_NEW
#define SO_TIMESTAMP_NEW	63
#define SO_TIMESTAMPNS_NEW	64
#define SO_TIMESTAMPING_NEW	65
#endif
#ifndef SO_TIMESTAMPING_OLD
#define SO_TIMESTAMPING_OLD	37
#endif
#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL	69
#define SO_BUSY_POLL_BUDGET	70
#endif
#ifndef SO_RCVMARK
#define SO_RCVMARK		75
#endif
#ifndef IP_RECVERR_RFC4884
#define IP_RECVERR_RFC4884	26
#endif
#ifndef IPV6_RECVERR_RFC4884
#define IPV6_RECVERR_RFC4884	31
#endif
#ifndef IPV6_FLOWINFO_SEND
#define IPV6_FLOWINFO_SEND	33
#endif
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL	29
#endif
#ifndef IPV6_RECVFRAGSIZE
#define IPV6_RECVFRAGSIZE	77
#endif
#ifndef UDP_ENCAP
#define UDP_ENCAP		100
#define UDP_NO_CHECK6_TX	101
#define UDP_NO_CHECK6_RX	102
#endif
#ifndef TCP_TX_DELAY
#define TCP_TX_DELAY		37
#endif

#define ALL	CR_SO_ANY
/* IP-level options apply to IPv6 sockets too (IPv4-mapped traffic). */
#define V4	CR_SO_ANY
#define V6	(CR_SO_V6 | CR_SO_TCP | CR_SO_UDP)
#define TCP	(CR_SO_V4 | CR_SO_V6 | CR_SO_TCP)
#define UDP	(CR_SO_V4 | CR_SO_V6 | CR_SO_UDP)
#define OPT(l, n, len, f)	{ l, n, len, f, #n }

/*
 * Every option a checkpoint compares with a new socket's and a restore
 * sets again, in the order they are set (all before bind(); one the
 * socket already reads back is not set again, as a buffer size that
 * SO_RCVLOWAT grew).  IPV6_V6ONLY, which a new socket takes from a
 * sysctl, is kept whatever its value.  res-inet.c refuses the options it
 * can read and not set; what is in neither table is not kept:
 * Documentation/crfs/checkpoint.rst says what.
 */
const struct cr_sockopt_def cr_sockopts[] = {
	OPT(SOL_SOCKET, SO_REUSEADDR, 4, ALL),
	OPT(SOL_SOCKET, SO_REUSEPORT, 4, ALL),
	OPT(SOL_SOCKET, SO_KEEPALIVE, 4, ALL),
	OPT(SOL_SOCKET, SO_BROADCAST, 4, ALL),
	OPT(SOL_SOCKET, SO_DONTROUTE, 4, ALL),
	OPT(SOL_SOCKET, SO_OOBINLINE, 4, ALL),
	OPT(SOL_SOCKET, SO_LINGER, 8, ALL),
	OPT(SOL_SOCKET, SO_RCVLOWAT, 4, ALL),
	OPT(SOL_SOCKET, SO_RCVTIMEO_OLD, 16, ALL),
	OPT(SOL_SOCKET, SO_SNDTIMEO_OLD, 16, ALL),
	OPT(SOL_SOCKET, SO_PASSCRED, 4, ALL),
	OPT(SOL_SOCKET, SO_TIMESTAMP_OLD, 4, ALL),
	OPT(SOL_SOCKET, SO_TIMESTAMPNS_OLD, 4, ALL),
	OPT(SOL_SOCKET, SO_TIMESTAMP_NEW, 4, ALL),
	OPT(SOL_SOCKET, SO_TIMESTAMPNS_NEW, 4, ALL),
	OPT(SOL_SOCKET, SO_TIMESTAMPING_OLD, 8, ALL),
	OPT(SOL_SOCKET, SO_TIMESTAMPING_NEW, 8, ALL),
	OPT(SOL_SOCKET, SO_MAX_PACING_RATE, 8, ALL),
	OPT(SOL_SOCKET, SO_INCOMING_CPU, 4, ALL),
	OPT(SOL_SOCKET, SO_RCVMARK, 4, ALL),
	OPT(SOL_SOCKET, SO_TXTIME, 8, ALL),
	OPT(SOL_SOCKET, SO_PREFER_BUSY_POLL, 4, ALL),
	OPT(SOL_SOCKET, SO_BUSY_POLL_BUDGET, 4, ALL),
	OPT(SOL_SOCKET, SO_RXQ_OVFL, 4, ALL),
	OPT(SOL_SOCKET, SO_SELECT_ERR_QUEUE, 4, ALL),
	OPT(SOL_SOCKET, SO_BUSY_POLL, 4, ALL),
	OPT(SOL_SOCKET, SO_ZEROCOPY, 4, ALL),
	OPT(SOL_SOCKET, SO_PEEK_OFF, 4, ALL),
	OPT(SOL_SOCKET, SO_BINDTODEVICE, 16, ALL | CR_SO_STR),
	OPT(SOL_SOCKET, SO_RCVBUF, 4, ALL | CR_SO_BUF | CR_SO_NOCONN),
	OPT(SOL_SOCKET, SO_SNDBUF, 4, ALL | CR_SO_BUF | CR_SO_NOCONN),
	OPT(IPPROTO_IP, IP_TOS, 4, V4),
	OPT(IPPROTO_IP, IP_TTL, 4, V4),
	OPT(IPPROTO_IP, IP_RECVOPTS, 4, V4),
	OPT(IPPROTO_IP, IP_RETOPTS, 4, V4),
	OPT(IPPROTO_IP, IP_PKTINFO, 4, V4),
	OPT(IPPROTO_IP, IP_RECVTTL, 4, V4),
	OPT(IPPROTO_IP, IP_RECVTOS, 4, V4),
	OPT(IPPROTO_IP, IP_MTU_DISCOVER, 4, V4),
	OPT(IPPROTO_IP, IP_RECVERR, 4, V4),
	OPT(IPPROTO_IP, IP_FREEBIND, 4, V4),
	OPT(IPPROTO_IP, IP_TRANSPARENT, 4, V4),
	OPT(IPPROTO_IP, IP_MULTICAST_TTL, 4, UDP),
	OPT(IPPROTO_IP, IP_MULTICAST_LOOP, 4, UDP),
	OPT(IPPROTO_IP, IP_MULTICAST_ALL, 4, UDP),
	OPT(IPPROTO_IP, IP_MULTICAST_IF, 4, UDP),
	OPT(IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 4, V4),
	OPT(IPPROTO_IP, IP_NODEFRAG, 4, V4),
	OPT(IPPROTO_IP, IP_PASSSEC, 4, V4),
	OPT(IPPROTO_IP, IP_MINTTL, 4, V4),
	OPT(IPPROTO_IP, IP_RECVORIGDSTADDR, 4, V4),
	OPT(IPPROTO_IP, IP_LOCAL_PORT_RANGE, 4, V4),
	OPT(IPPROTO_IP, IP_RECVERR_RFC4884, 4, V4),
	OPT(IPPROTO_IP, IP_UNICAST_IF, 4, V4),
	OPT(IPPROTO_IP, IP_RECVFRAGSIZE, 4, V4),
	OPT(IPPROTO_IP, IP_CHECKSUM, 4, V4),
	OPT(IPPROTO_IPV6, IPV6_V6ONLY, 4, V6 | CR_SO_ALWAYS),
	OPT(IPPROTO_IPV6, IPV6_UNICAST_HOPS, 4, V6),
	OPT(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 4, CR_SO_V6 | CR_SO_UDP),
	OPT(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 4, CR_SO_V6 | CR_SO_UDP),
	OPT(IPPROTO_IPV6, IPV6_MULTICAST_IF, 4, CR_SO_V6 | CR_SO_UDP),
	OPT(IPPROTO_IPV6, IPV6_RECVPKTINFO, 4, V6),
	OPT(IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 4, V6),
	OPT(IPPROTO_IPV6, IPV6_RECVTCLASS, 4, V6),
	OPT(IPPROTO_IPV6, IPV6_TCLASS, 4, V6),
	OPT(IPPROTO_IPV6, IPV6_MTU_DISCOVER, 4, V6),
	OPT(IPPROTO_IPV6, IPV6_RECVERR, 4, V6),
	OPT(IPPROTO_IPV6, IPV6_FREEBIND, 4, V6),
	OPT(IPPROTO_IPV6, IPV6_TRANSPARENT, 4, V6),
	OPT(IPPROTO_IPV6, IPV6_AUTOFLOWLABEL, 4, V6),
	OPT(IPPROTO_IPV6, IPV6_DONTFRAG, 4, V6),
	OPT(IPPROTO_IPV6, IPV6_RECVORIGDSTADDR, 4, V6),
	OPT(IPPROTO_IPV6, IPV6_MINHOPCOUNT, 4, V6),
	OPT(IPPROTO_IPV6, IPV6_RECVERR_RFC4884, 4, V6),
	OPT(IPPROTO_IPV6, IPV6_FLOWINFO_SEND, 4, V6),
	OPT(IPPROTO_IPV6, IPV6_ADDR_PREFERENCES, 4, V6),
	OPT(IPPROTO_IPV6, IPV6_UNICAST_IF, 4, V6),
	OPT(IPPROTO_IPV6, IPV6_RECVFRAGSIZE, 4, V6),
	OPT(IPPROTO_IPV6, IPV6_MULTICAST_ALL, 4, CR_SO_V6 | CR_SO_UDP),
	OPT(IPPROTO_TCP, TCP_NODELAY, 4, TCP),
	OPT(IPPROTO_TCP, TCP_CORK, 4, TCP),
	OPT(IPPROTO_TCP, TCP_MAXSEG, 4, TCP | CR_SO_NOCONN),
	OPT(IPPROTO_TCP, TCP_KEEPIDLE, 4, TCP),
	OPT(IPPROTO_TCP, TCP_KEEPINTVL, 4, TCP),
	OPT(IPPROTO_TCP, TCP_KEEPCNT, 4, TCP),
	OPT(IPPROTO_TCP, TCP_SYNCNT, 4, TCP),
	OPT(IPPROTO_TCP, TCP_LINGER2, 4, TCP),
	OPT(IPPROTO_TCP, TCP_DEFER_ACCEPT, 4, TCP),
	OPT(IPPROTO_TCP, TCP_WINDOW_CLAMP, 4, TCP | CR_SO_NOCONN),
	OPT(IPPROTO_TCP, TCP_USER_TIMEOUT, 4, TCP),
	OPT(IPPROTO_TCP, TCP_NOTSENT_LOWAT, 4, TCP),
	OPT(IPPROTO_TCP, TCP_THIN_LINEAR_TIMEOUTS, 4, TCP),
	OPT(IPPROTO_TCP, TCP_FASTOPEN, 4, TCP),
	OPT(IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 4, TCP),
	OPT(IPPROTO_TCP, TCP_FASTOPEN_NO_COOKIE, 4, TCP),
	OPT(IPPROTO_TCP, TCP_CONGESTION, 16, TCP | CR_SO_STR),
	OPT(IPPROTO_TCP, TCP_QUICKACK, 4, TCP | CR_SO_NOCONN),
	OPT(IPPROTO_TCP, TCP_SAVE_SYN, 4, TCP),
	OPT(IPPROTO_TCP, TCP_TX_DELAY, 4, TCP),
	OPT(IPPROTO_UDP, UDP_CORK, 4, UDP),
	OPT(IPPROTO_UDP, UDP_SEGMENT, 4, UDP),
	OPT(IPPROTO_UDP, UDP_GRO, 4, UDP),
	OPT(IPPROTO_UDP, UDP_NO_CHECK6_TX, 4, UDP),
	OPT(IPPROTO_UDP, UDP_NO_CHECK6_RX, 4, UDP),
	OPT(IPPROTO_UDP, UDP_ENCAP, 4, UDP),
	/* last: IP_TOS and IPV6_TCLASS may have set them */
	OPT(SOL_SOCKET, SO_PRIORITY, 4, ALL),
	OPT(SOL_SOCKET, SO_MARK, 4, ALL),
};
const uint32_t cr_nr_sockopts = sizeof(cr_sockopts) / sizeof(cr_sockopts[0]);

_Static_assert(sizeof(struct crfs_file_inet) % 8 == 0 &&
	       sizeof(struct crfs_sockopt) % 8 == 0,
	       "a socket's state is not a multiple of 8 bytes");

const struct cr_sockopt_def *cr_sockopt_find(int level, int name)
{
	for (uint32_t i = 0; i < cr_nr_sockopts; i++)
		if (cr_sockopts[i].level == level &&
		    cr_sockopts[i].name == name)
			return &cr_sockopts[i];
	return NULL;
}

bool cr_sockopt_applies(const struct cr_sockopt_def *d,
			const struct crfs_file_inet *s)
{
	uint32_t fam = s->family == AF_INET6 ? CR_SO_V6 : CR_SO_V4;
	uint32_t proto = s->protocol == IPPROTO_UDP ? CR_SO_UDP : CR_SO_TCP;

	if ((d->flags & CR_SO_NOCONN) && s->type == SOCK_STREAM &&
	    s->state == CR_TCP_ESTABLISHED)
		return false;
	return (d->flags & fam) && (d->flags & proto);
}

int cr_inet_read(struct cr_file *f, const void *p, uint64_t len,
		 const char **why)
{
	const struct crfs_file_inet *s = p;

	if (len < sizeof(*s) || s->nr_opts > CRFS_INET_MAX_OPTS ||
	    (uint64_t)s->snd_len + s->rcv_len > CRFS_INET_MAX_DATA ||
	    len != cr_inet_ext_len(s)) {
		*why = "ext_len is not a socket's state, its nr_opts options "
		       "(at most CRFS_INET_MAX_OPTS) and its queues (at most "
		       "CRFS_INET_MAX_DATA)";
		return -EBADMSG;
	}
	f->inet = malloc(len);
	if (!f->inet)
		return -ENOMEM;
	memcpy(f->inet, p, len);
	return 0;
}

struct iovec cr_inet_iov(const struct cr_file *f)
{
	if (!f->inet)
		return (struct iovec){ NULL, 0 };
	return (struct iovec){ f->inet, cr_inet_ext_len(f->inet) };
}

/* @a of family @family as text, into @buf. */
static const char *cr_inet_addr(char *buf, size_t len, int family,
				const uint8_t *a)
{
	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, a, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

void cr_inet_print(struct cr_emit *o, const struct cr_file *fi)
{
	const struct crfs_file_inet *s = fi->inet;
	char buf[64];

	if (!s)
		return;
	o->ops->u64(o, "family", s->family);
	o->ops->u64(o, "type", s->type);
	o->ops->u64(o, "protocol", s->protocol);
	o->ops->u64(o, "state", s->state);
	o->ops->hex(o, "inet_flags", s->flags);
	o->ops->u64(o, "backlog", s->backlog);
	o->ops->str(o, "src", cr_inet_addr(buf, sizeof(buf), s->family,
					   s->src));
	o->ops->u64(o, "sport", s->sport);
	o->ops->str(o, "dst", cr_inet_addr(buf, sizeof(buf), s->family,
					   s->dst));
	o->ops->u64(o, "dport", s->dport);
	if (s->lock_id)
		o->ops->hex(o, "lock_id", s->lock_id);
	if (o->detail || s->snd_len || s->rcv_len || s->snd_seq) {
		o->ops->u64(o, "snd_seq", s->snd_seq);
		o->ops->u64(o, "rcv_seq", s->rcv_seq);
		o->ops->u64(o, "snd_len", s->snd_len);
		o->ops->u64(o, "rcv_len", s->rcv_len);
		o->ops->u64(o, "mss", s->mss);
		o->ops->u64(o, "ts_val", s->ts_val);
		o->ops->hex(o, "tcp_opts", s->tcp_opts);
		o->ops->u64(o, "snd_wscale", s->snd_wscale);
		o->ops->u64(o, "rcv_wscale", s->rcv_wscale);
		o->ops->u64(o, "snd_wnd", s->snd_wnd);
		o->ops->u64(o, "rcv_wnd", s->rcv_wnd);
	}
	o->ops->open(o, "options", true);
	for (uint32_t i = 0; i < s->nr_opts; i++) {
		const struct crfs_sockopt *so = &cr_inet_opts(fi)[i];
		const struct cr_sockopt_def *d = cr_sockopt_find(so->level,
								 so->name);

		o->ops->open(o, NULL, false);
		o->ops->str(o, "name", d ? d->id : "?");
		o->ops->s64(o, "level", so->level);
		o->ops->s64(o, "optname", so->name);
		o->ops->bytes(o, "val", so->val,
			      so->len <= CRFS_SOCKOPT_VAL ? so->len : 0);
		o->ops->close(o, false);
	}
	o->ops->close(o, true);
}
