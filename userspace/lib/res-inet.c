// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * TCP and UDP sockets (FILE of kind INET): what a checkpoint reads of a
 * socket descriptor, through a copy of it (pidfd_getfd(): the process
 * does not run, nothing of the socket changes), and how the new process
 * makes it again: socket(), the options that differed from a new socket's
 * (each read back: a value the kernel does not give again fails the
 * restore), bind(), connect() (UDP) or listen().
 *
 * Kept: sockets never connected (bound or not), listening sockets with no
 * connection waiting, UDP sockets bound or connected, with nothing queued
 * to read, and TCP connections with both ends in the container
 * (res-tcp.c).  Refused, with the reason: other TCP states (and every TCP
 * socket that was ever connected), connections waiting to be accepted,
 * queued datagrams, socket filters, options not made again, multicast
 * groups, sockets of another network namespace than the restorer's,
 * families other than AF_INET and AF_INET6 and protocols other than TCP
 * and UDP.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <net/if.h>
#include <poll.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "dump.h"
#include "inet.h"
#include "proc.h"
#include "restore.h"

#ifndef SO_MEMINFO
#define SO_MEMINFO		55
#endif
#ifndef SK_MEMINFO_RMEM_ALLOC
#define SK_MEMINFO_RMEM_ALLOC	0
#define SK_MEMINFO_VARS		9
#endif
#ifndef SO_GET_FILTER
#define SO_GET_FILTER		SO_ATTACH_FILTER
#endif

/* The families a socket descriptor may have, and what is said of others. */
static const struct {
	int		family;
	const char	*why;		/* NULL: a TCP or UDP socket */
} cr_sock_families[] = {
	{ AF_INET,	NULL },
	{ AF_INET6,	NULL },
	{ AF_NETLINK,	"netlink sockets are not supported" },
	{ AF_PACKET,	"packet sockets are not supported" },
};

#ifndef TCP_AO_INFO
#define TCP_AO_INFO		40
#endif
#ifndef IPV6_RTHDRDSTOPTS
#define IPV6_RTHDRDSTOPTS	55
#endif

/* The most bytes an option of the tables below gives. */
#define CR_SO_MAX		64

/*
 * Options a checkpoint reads and a restore cannot make again: refused
 * when they differ from a new socket's.
 */
static const struct {
	int		level, name;
	uint32_t	flags;		/* CR_SO_*: which sockets */
	const char	*why;
} cr_sock_refused[] = {
	{ IPPROTO_IP, IP_OPTIONS, CR_SO_ANY,
	  "IP options (IP_OPTIONS) are not supported" },
	{ IPPROTO_IPV6, IPV6_HOPOPTS, CR_SO_V6 | CR_SO_TCP | CR_SO_UDP,
	  "IPv6 hop-by-hop options (IPV6_HOPOPTS) are not supported" },
	{ IPPROTO_IPV6, IPV6_RTHDRDSTOPTS, CR_SO_V6 | CR_SO_TCP | CR_SO_UDP,
	  "IPv6 destination options (IPV6_RTHDRDSTOPTS) are not supported" },
	{ IPPROTO_IPV6, IPV6_RTHDR, CR_SO_V6 | CR_SO_TCP | CR_SO_UDP,
	  "IPv6 routing headers (IPV6_RTHDR) are not supported" },
	{ IPPROTO_IPV6, IPV6_DSTOPTS, CR_SO_V6 | CR_SO_TCP | CR_SO_UDP,
	  "IPv6 destination options (IPV6_DSTOPTS) are not supported" },
	{ IPPROTO_TCP, TCP_FASTOPEN_KEY, CR_SO_V4 | CR_SO_V6 | CR_SO_TCP,
	  "a TCP Fast Open key of its own (TCP_FASTOPEN_KEY) is not "
	  "supported" },
	{ IPPROTO_TCP, TCP_AO_INFO, CR_SO_V4 | CR_SO_V6 | CR_SO_TCP,
	  "TCP authentication (TCP-AO) is not supported" },
};

/* Why a TCP socket in each state but closed and listening is refused. */
static const char *const cr_tcp_refused[CR_TCP_NR_STATES] = {
	[2] = "TCP sockets connecting (SYN-SENT) are not supported",
	[3] = "TCP sockets in SYN-RECV are not supported",
	[4] = "TCP sockets closing (FIN-WAIT-1) are not supported",
	[5] = "TCP sockets closing (FIN-WAIT-2) are not supported",
	[6] = "TCP sockets in TIME-WAIT are not supported",
	[8] = "TCP sockets whose peer has closed (CLOSE-WAIT) are not "
	      "supported",
	[9] = "TCP sockets closing (LAST-ACK) are not supported",
	[11] = "TCP sockets closing (CLOSING) are not supported",
	[12] = "TCP sockets in NEW-SYN-RECV are not supported",
};

/* The address @sa of @len bytes into @a and @port; 0, or -1 if unusual. */
static int cr_inet_take(const struct sockaddr_storage *sa, socklen_t len,
			uint8_t a[16], uint16_t *port)
{
	const struct sockaddr_in *s4 = (const void *)sa;
	const struct sockaddr_in6 *s6 = (const void *)sa;

	if (sa->ss_family == AF_INET && len >= sizeof(*s4)) {
		memcpy(a, &s4->sin_addr, 4);
		*port = ntohs(s4->sin_port);
		return 0;
	}
	if (sa->ss_family == AF_INET6 && len >= sizeof(*s6)) {
		memcpy(a, &s6->sin6_addr, 16);
		*port = ntohs(s6->sin6_port);
		/* A link-local address needs its scope: not in the image. */
		return s6->sin6_scope_id || s6->sin6_flowinfo ? -1 : 0;
	}
	return -1;
}

/* Is the socket @fd in the network namespace of this process? */
static bool cr_inet_our_netns(int fd)
{
	struct stat a, b;
	int ns = ioctl(fd, SIOCGSKNS);
	bool same;

	if (ns < 0)
		return false;
	same = !fstat(ns, &a) && !stat("/proc/self/ns/net", &b) &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	close(ns);
	return same;
}

/* TCP: the state of @fd and why it is refused (static text), or NULL. */
static const char *cr_inet_tcp(int fd, struct crfs_file_inet *s,
			       uint8_t **q)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return "cannot read its TCP_INFO";
	s->state = ti.tcpi_state;
	if (ti.tcpi_state == CR_TCP_LISTEN) {
		s->backlog = ti.tcpi_sacked;
		if (ti.tcpi_unacked)
			return "a listening socket with connections waiting to "
			       "be accepted (they are not restored)";
		return NULL;
	}
	if (ti.tcpi_state == CR_TCP_ESTABLISHED) {
		salen = sizeof(sa);
		if (getpeername(fd, (struct sockaddr *)&sa, &salen) ||
		    cr_inet_take(&sa, salen, s->dst, &s->dport))
			return "a peer address the image cannot hold";
		return cr_tcp_conn(fd, s, q);
	}
	if (ti.tcpi_state != CR_TCP_CLOSE)
		return ti.tcpi_state < CR_TCP_NR_STATES &&
		       cr_tcp_refused[ti.tcpi_state] ?
		       cr_tcp_refused[ti.tcpi_state] :
		       "a TCP state this version does not know";
	if (ti.tcpi_segs_out || ti.tcpi_segs_in ||
	    !getpeername(fd, (struct sockaddr *)&sa, &salen))
		return "a TCP socket that was connected (its end is not "
		       "restored)";
	return NULL;
}

/* The bytes queued to be read on @fd, from SO_MEMINFO; 0 if unknown. */
static uint32_t cr_inet_queued(int fd)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mi);

	memset(mi, 0, sizeof(mi));
	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mi, &len))
		return 0;
	return mi[SK_MEMINFO_RMEM_ALLOC];
}

/*
 * Listener @s, inode @ino: anything the kernel's sock_diag shows of it
 * that the image does not hold (MD5 keys, an upper layer protocol, a
 * shutdown), or NULL.  One dump of this family's listeners.
 */
static const char *cr_inet_diag_listener(const struct crfs_file_inet *s,
					 uint64_t ino)
{
	struct {
		struct nlmsghdr		nh;
		struct inet_diag_req_v2	r;
	} req = {
		.nh = { .nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.r = { .sdiag_family = s->family,
		       .sdiag_protocol = IPPROTO_TCP,
		       .idiag_ext = 1 << (INET_DIAG_INFO - 1),
		       .idiag_states = 1 << CR_TCP_LISTEN,
		       .id.idiag_cookie = { INET_DIAG_NOCOOKIE,
					    INET_DIAG_NOCOOKIE } },
	};
	static char buf[32768];
	const char *why = "cannot ask sock_diag about the listener";
	bool done = false;
	int nl;

	req.r.id.idiag_sport = htons(s->sport);
	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0 || send(nl, &req, sizeof(req), 0) != sizeof(req))
		goto out;
	while (!done) {
		ssize_t n = recv(nl, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (n <= 0)
			break;
		for (; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			struct inet_diag_msg *m = NLMSG_DATA(h);
			struct rtattr *at;
			int len;

			if (h->nlmsg_type == NLMSG_DONE ||
			    h->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			if (m->idiag_inode != ino)
				continue;
			why = NULL;
			at = (struct rtattr *)(m + 1);
			len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
			for (; RTA_OK(at, len); at = RTA_NEXT(at, len)) {
				if (at->rta_type == INET_DIAG_MD5SIG &&
				    RTA_PAYLOAD(at))
					why = "TCP MD5 signature keys "
					      "(TCP_MD5SIG) are not supported";
				if (at->rta_type == INET_DIAG_ULP_INFO)
					why = "an upper layer protocol "
					      "(TCP_ULP: kTLS, ...) is not "
					      "supported";
				if (at->rta_type == INET_DIAG_SHUTDOWN &&
				    RTA_PAYLOAD(at) &&
				    *(uint8_t *)RTA_DATA(at))
					why = "a listener shut down is not "
					      "supported";
			}
		}
	}
out:
	if (nl >= 0)
		close(nl);
	return why;
}

/*
 * Is UDP socket @fd a member of a multicast group?  Each group some
 * socket of the host has joined (/proc/net/igmp, igmp6) is joined once
 * more on @fd: EADDRINUSE says it is a member already; else it is left
 * at once.  The group had members on that interface: the join and the
 * leave send nothing on the network.
 */
static const char *cr_inet_mcast(int fd, const struct crfs_file_inet *s)
{
	const char *why = "multicast group memberships (IP_ADD_MEMBERSHIP) "
			  "are not supported";
	char line[256], dev[IF_NAMESIZE + 1], grp[40];
	unsigned int idx = 0, users, g4;
	FILE *f = fopen("/proc/net/igmp", "re");

	while (f && fgets(line, sizeof(line), f)) {
		struct ip_mreqn mr = { 0 };

		/* An interface's line, then its groups' lines, indented. */
		if (line[0] != '\t') {
			if (sscanf(line, "%u %16s", &idx, dev) != 2)
				idx = 0;
			continue;
		}
		if (!idx || sscanf(line, " %x %u", &g4, &users) != 2 || !users)
			continue;
		mr.imr_multiaddr.s_addr = g4;	/* as the kernel prints it */
		mr.imr_ifindex = (int)idx;
		if (!setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
				sizeof(mr)))
			setsockopt(fd, IPPROTO_IP, IP_DROP_MEMBERSHIP, &mr,
				   sizeof(mr));
		else if (errno == EADDRINUSE)
			goto found;
	}
	if (f)
		fclose(f);
	f = s->family == AF_INET6 ? fopen("/proc/net/igmp6", "re") : NULL;
	while (f && fgets(line, sizeof(line), f)) {
		struct ipv6_mreq mr;

		if (sscanf(line, "%u %16s %32s %u", &idx, dev, grp, &users) != 4
		    || !users)
			continue;
		for (int i = 0; i < 16; i++)
			sscanf(grp + 2 * i, "%2hhx", &mr.ipv6mr_multiaddr.s6_addr[i]);
		mr.ipv6mr_interface = idx;
		if (!setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mr,
				sizeof(mr)))
			setsockopt(fd, IPPROTO_IPV6, IPV6_DROP_MEMBERSHIP, &mr,
				   sizeof(mr));
		else if (errno == EADDRINUSE)
			goto found;
	}
	why = NULL;
found:
	if (f)
		fclose(f);
	return why;
}

/*
 * Has @fd (inode @ino) anything no option of the table restores: a
 * filter, a pending error or a shutdown (poll() tells them against new
 * socket @nfd's), what sock_diag tells of a listener, multicast groups?
 */
static const char *cr_inet_extras(int fd, int nfd,
				  const struct crfs_file_inet *s, uint64_t ino)
{
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN | POLLOUT |
				 POLLRDHUP }, { .fd = nfd, .events = POLLIN |
				 POLLOUT | POLLRDHUP } };
	socklen_t len = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, NULL, &len) || len)
		return "a socket filter (SO_ATTACH_FILTER or SO_ATTACH_BPF) "
		       "is not supported";
	if (poll(p, 2, 0) < 0)
		return "cannot poll it";
	if (p[0].revents & POLLERR)
		return "a socket error is pending (it would be lost)";
	/* A connection against itself: a new socket is no connection. */
	if (s->type == SOCK_STREAM && s->state == CR_TCP_ESTABLISHED ?
	    p[0].revents & (POLLRDHUP | POLLHUP) :
	    s->state != CR_TCP_LISTEN && p[0].revents != p[1].revents)
		return "a socket shut down (shutdown()) is not supported";
	if (s->state == CR_TCP_LISTEN)
		return cr_inet_diag_listener(s, ino);
	if (s->protocol == IPPROTO_UDP)
		return cr_inet_mcast(fd, s);
	return NULL;
}

/* The value of option @level/@name on @fd into @val, its length into *@len. */
static int cr_inet_raw(int fd, int level, int name, uint8_t val[CR_SO_MAX],
		       socklen_t *len)
{
	*len = CR_SO_MAX;
	memset(val, 0, CR_SO_MAX);
	return getsockopt(fd, level, name, val, len);
}

/* The value of option @d on @fd into @so; 0, or -1 if it has none. */
static int cr_inet_get(int fd, const struct cr_sockopt_def *d,
		       struct crfs_sockopt *so)
{
	uint8_t val[CR_SO_MAX];
	socklen_t len;

	memset(so, 0, sizeof(*so));
	if (cr_inet_raw(fd, d->level, d->name, val, &len) || !len ||
	    len > d->len)
		return -1;
	if (d->flags & CR_SO_STR) {
		val[CRFS_SOCKOPT_VAL - 1] = '\0';
		len = strlen((char *)val);
		if (!len)
			return -1;
		len++;
	}
	memcpy(so->val, val, len);
	so->level = d->level;
	so->name = d->name;
	so->len = len;
	return 0;
}

/* Which of the CR_SO_* sockets @s is. */
static uint32_t cr_inet_which(const struct crfs_file_inet *s)
{
	return (s->family == AF_INET6 ? CR_SO_V6 : CR_SO_V4) |
	       (s->protocol == IPPROTO_UDP ? CR_SO_UDP : CR_SO_TCP);
}

/* Does @fd have an option of cr_sock_refused[] a new socket @nfd has not? */
static const char *cr_inet_refused_opt(int fd, int nfd,
				       const struct crfs_file_inet *s)
{
	uint32_t which = cr_inet_which(s);
	uint8_t a[CR_SO_MAX], b[CR_SO_MAX];
	socklen_t la, lb;

	for (size_t i = 0; i < sizeof(cr_sock_refused) /
			       sizeof(cr_sock_refused[0]); i++) {
		int ra, rb;

		if ((cr_sock_refused[i].flags & which) != which)
			continue;
		ra = cr_inet_raw(fd, cr_sock_refused[i].level,
				 cr_sock_refused[i].name, a, &la);
		rb = cr_inet_raw(nfd, cr_sock_refused[i].level,
				 cr_sock_refused[i].name, b, &lb);
		if (ra && rb)
			continue;
		if (!ra != !rb || la != lb || memcmp(a, b, la))
			return cr_sock_refused[i].why;
	}
	return NULL;
}

/*
 * The options of @fd that differ from a new socket's of the same kind
 * (and those kept whatever their value), into @opts
 * (CRFS_INET_MAX_OPTS of them at most); their number, or -1 with *@why.
 */
static int cr_inet_opts_read(int fd, int nfd, const struct crfs_file_inet *s,
			     struct crfs_sockopt *opts, const char **why)
{
	struct crfs_sockopt mine, fresh;
	int n = 0;

	*why = cr_inet_refused_opt(fd, nfd, s);
	for (uint32_t i = 0; !*why && i < cr_nr_sockopts; i++) {
		const struct cr_sockopt_def *d = &cr_sockopts[i];
		int a, b;

		if (!cr_sockopt_applies(d, s))
			continue;
		a = cr_inet_get(fd, d, &mine);
		b = cr_inet_get(nfd, d, &fresh);
		if (a && b)
			continue;
		if (!a && !b && !(d->flags & CR_SO_ALWAYS) &&
		    !memcmp(&mine, &fresh, sizeof(mine)))
			continue;
		if (a)
			/* Set on a new socket and not on this one: unusual. */
			*why = "an option a new socket has and this one not";
		else if (n >= CRFS_INET_MAX_OPTS)
			*why = "more options set than an image holds";
		else
			opts[n++] = mine;
	}
	return *why ? -1 : n;
}

/* The state of INET socket @fd (a copy) into @f; or f->why. */
static int cr_inet_probe(int fd, int family, struct cr_file *f,
			 struct cr_err *e)
{
	uint8_t *q = NULL;
	int nfd = -1;
	struct crfs_sockopt opts[CRFS_INET_MAX_OPTS];
	struct crfs_file_inet s = { .family = family };
	struct sockaddr_storage sa;
	socklen_t len = sizeof(int), salen = sizeof(sa);
	int type = 0, proto = 0, n;

	(void)e;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) ||
	    getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len)) {
		f->why = "cannot read its type and protocol";
		return 0;
	}
	if (!(type == SOCK_STREAM && proto == IPPROTO_TCP) &&
	    !(type == SOCK_DGRAM && proto == IPPROTO_UDP)) {
		f->why = "sockets other than TCP and UDP (raw, SCTP, ...) are "
			 "not supported";
		return 0;
	}
	s.type = type;
	s.protocol = proto;
	if (!cr_inet_our_netns(fd)) {
		f->why = "a socket of another network namespace than the "
			 "restorer's is not supported";
		return 0;
	}
	if (getsockname(fd, (struct sockaddr *)&sa, &salen) ||
	    cr_inet_take(&sa, salen, s.src, &s.sport)) {
		f->why = "a local address the image cannot hold (an IPv6 "
			 "scope or flow label)";
		return 0;
	}
	for (n = 0; n < 16; n++)
		if (s.src[n])
			break;
	if (s.sport || n < 16)
		s.flags |= CRFS_INET_F_BOUND;
	if (type == SOCK_STREAM) {
		f->why = cr_inet_tcp(fd, &s, &q);
	} else {
		s.state = CR_TCP_CLOSE;
		salen = sizeof(sa);
		if (!getpeername(fd, (struct sockaddr *)&sa, &salen)) {
			s.state = CR_TCP_ESTABLISHED;
			if (cr_inet_take(&sa, salen, s.dst, &s.dport))
				f->why = "a peer address the image cannot hold";
		}
	}
	if (!f->why && s.state != CR_TCP_ESTABLISHED && cr_inet_queued(fd))
		f->why = "data queued to be read (it is not kept)";
	if (!f->why) {
		nfd = socket(s.family, s.type | SOCK_CLOEXEC, s.protocol);
		if (nfd < 0)
			f->why = "cannot make a new socket of its kind to "
				 "compare it with";
	}
	if (!f->why)
		f->why = cr_inet_extras(fd, nfd, &s, f->f.ino);
	n = f->why ? -1 : cr_inet_opts_read(fd, nfd, &s, opts, &f->why);
	if (nfd >= 0)
		close(nfd);
	if (n < 0) {
		free(q);
		return 0;
	}
	s.nr_opts = n;
	f->inet = calloc(1, cr_inet_ext_len(&s));
	if (!f->inet) {
		free(q);
		return cr_fail(e, ENOMEM, "out of memory");
	}
	memcpy(f->inet, &s, sizeof(s));
	memcpy(f->inet + 1, opts, n * sizeof(opts[0]));
	if (s.snd_len + s.rcv_len)
		memcpy(cr_inet_data(f), q, s.snd_len + s.rcv_len);
	free(q);
	f->f.kind = CRFS_FILE_INET;
	return 0;
}

int cr_sock_probe(pid_t pid, const char *name, struct cr_file *f,
		  struct cr_err *e)
{
	socklen_t len = sizeof(int);
	int fd, cfd, family = -1, ret = 0;
	size_t i;

	if (sscanf(name, "fd/%d", &fd) != 1) {
		f->why = "a socket that is not a descriptor is not supported";
		return 0;
	}
	ret = cr_dump_fd_stat(pid, name, f, e);
	if (ret)
		return ret;
	cfd = cr_evfd_copy(pid, fd);
	if (cfd < 0)
		return cr_fail(e, errno, "pid %d: fd %d: %s: cannot take a "
			       "copy of the socket: %m", pid, fd, f->path);
	if (getsockopt(cfd, SOL_SOCKET, SO_DOMAIN, &family, &len))
		family = -1;
	/*
	 * A unix socket: res-unix.c, from sock_diag and a copy of its own;
	 * its O_ASYNC and owner: res-fown.c.
	 */
	if (family == AF_UNIX) {
		close(cfd);
		return cr_unix_probe(pid, name, f, e);
	}
	f->why = "sockets of this family are not supported";
	if (f->f.flags & O_ASYNC)
		family = -1, f->why = "O_ASYNC on a socket is not supported";
	for (i = 0; i < sizeof(cr_sock_families) /
			sizeof(cr_sock_families[0]); i++) {
		if (cr_sock_families[i].family != family)
			continue;
		f->why = cr_sock_families[i].why;
		if (!f->why)
			ret = cr_inet_probe(cfd, family, f, e);
		break;
	}
	close(cfd);
	return ret;
}

/* ---------------------------------------------------------- restore */

/* The address @a, @port of @s as a sockaddr into @sa; its length. */
static socklen_t cr_inet_sa(const struct crfs_file_inet *s, const uint8_t *a,
			    uint16_t port, struct sockaddr_storage *sa)
{
	struct sockaddr_in *s4 = (void *)sa;
	struct sockaddr_in6 *s6 = (void *)sa;

	memset(sa, 0, sizeof(*sa));
	if (s->family == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a, 4);
		return sizeof(*s4);
	}
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	memcpy(&s6->sin6_addr, a, 16);
	return sizeof(*s6);
}

/*
 * Set option @so on @fd: a buffer size as the restorer may (FORCE); a
 * linger time without lingering ({0, N}) as the kernel keeps it: set
 * with lingering first.
 */
static long cr_inet_set(long fd, const struct crfs_sockopt *so)
{
	const struct cr_sockopt_def *d = cr_sockopt_find(so->level, so->name);
	struct linger lg;
	int v;

	if (so->level == SOL_SOCKET && so->name == SO_LINGER) {
		memcpy(&lg, so->val, sizeof(lg));
		if (!lg.l_onoff && lg.l_linger) {
			lg.l_onoff = 1;
			if (syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_LINGER,
				    &lg, sizeof(lg)))
				return -1;
		}
	}
	if (d && (d->flags & CR_SO_BUF)) {
		memcpy(&v, so->val, sizeof(v));
		v /= 2;
		return syscall(SYS_setsockopt, fd, SOL_SOCKET,
			       so->name == SO_RCVBUF ? SO_RCVBUFFORCE :
			       SO_SNDBUFFORCE, &v, sizeof(v));
	}
	return syscall(SYS_setsockopt, fd, so->level, so->name, so->val,
		       so->len);
}

/* Does @fd give option @so's value back? */
static bool cr_inet_same(long fd, const struct crfs_sockopt *so)
{
	uint8_t val[CRFS_SOCKOPT_VAL];
	socklen_t len = sizeof(val);

	memset(val, 0, sizeof(val));
	if (syscall(SYS_getsockopt, fd, so->level, so->name, val, &len))
		return false;
	return len >= so->len && !memcmp(val, so->val, so->len);
}

long cr_rst_inet_make(const struct cr_file *fi, int oflags,
		      struct cr_rst_res *res)
{
	const struct crfs_file_inet *s = fi->inet;
	const struct crfs_sockopt *opts = cr_inet_opts(fi);
	struct sockaddr_storage sa;
	socklen_t salen;
	long fd, uid, gid;
	bool conn;
	int err;

	/* Its file's credentials are its owner's, as its creator's were. */
	res->v1 = CR_INET_SOCKET;
	uid = syscall(SYS_setfsuid, fi->f.uid);
	gid = syscall(SYS_setfsgid, fi->f.gid);
	fd = syscall(SYS_socket, s->family, s->type | SOCK_CLOEXEC |
		     (oflags & O_NONBLOCK ? SOCK_NONBLOCK : 0), s->protocol);
	err = errno;
	syscall(SYS_setfsuid, uid);
	syscall(SYS_setfsgid, gid);
	errno = err;
	if (fd < 0)
		return -1;
	conn = s->type == SOCK_STREAM && s->state == CR_TCP_ESTABLISHED;
	for (uint32_t i = 0; i < s->nr_opts; i++) {
		res->v1 = CR_INET_OPT;
		res->v2 = i;
		/* Already so (a buffer SO_RCVLOWAT grew): set nothing. */
		if (!cr_inet_same(fd, &opts[i]) && cr_inet_set(fd, &opts[i]))
			goto fail;
	}
	for (uint32_t i = 0; i < s->nr_opts; i++) {
		res->v1 = CR_INET_OPT_CHECK;
		res->v2 = i;
		if (!cr_inet_same(fd, &opts[i])) {
			errno = ESTALE;
			goto fail;
		}
	}
	/* Repair mode after the options: SO_REUSEADDR would undo it. */
	res->v1 = CR_INET_REPAIR;
	if (conn && cr_rst_tcp_seq(fd, s))
		goto fail;
	if (s->flags & CRFS_INET_F_BOUND) {
		res->v1 = CR_INET_BIND;
		salen = cr_inet_sa(s, s->src, s->sport, &sa);
		if (syscall(SYS_bind, fd, &sa, salen))
			goto fail;
	}
	if (s->state == CR_TCP_ESTABLISHED) {
		res->v1 = CR_INET_CONNECT;
		salen = cr_inet_sa(s, s->dst, s->dport, &sa);
		if (syscall(SYS_connect, fd, &sa, salen))
			goto fail;
	}
	res->v1 = CR_INET_CONN;
	if (conn && cr_rst_tcp_conn(fd, fi))
		goto fail;
	if (s->state == CR_TCP_LISTEN) {
		res->v1 = CR_INET_LISTEN;
		if (syscall(SYS_listen, fd, (int)s->backlog))
			goto fail;
	}
	/* A peer gone: reads give EOF, writes EPIPE (never connected). */
	if ((s->flags & CRFS_INET_F_PEER_GONE) &&
	    syscall(SYS_shutdown, fd, SHUT_RDWR) && errno != ENOTCONN) {
		res->v1 = CR_INET_CONNECT;
		goto fail;
	}
	res->v1 = 0;
	return fd;
fail:
	err = errno;
	syscall(SYS_close, fd);
	errno = err;
	return -1;
}

int cr_rst_inet_reason(pid_t pid, const char *name, const struct cr_file *fi,
		       const struct cr_rst_res *res, int err,
		       struct cr_err *e)
{
	static const char *const steps[] = {
		[CR_INET_SOCKET] = "cannot make the socket",
		[CR_INET_OPT] = "cannot set option",
		[CR_INET_OPT_CHECK] = "the kernel gives back another value "
				      "than the image's for option",
		[CR_INET_BIND] = "cannot bind to",
		[CR_INET_CONNECT] = "cannot connect to",
		[CR_INET_LISTEN] = "cannot listen on",
		[CR_INET_REPAIR] = "cannot make the connection in repair mode "
				   "(TCP_REPAIR) with its sequence numbers",
		[CR_INET_CONN] = "cannot give the connection its options, "
				 "queues and window (TCP_REPAIR)",
	};
	const struct crfs_file_inet *s = fi->inet;
	char addr[INET6_ADDRSTRLEN + 8] = "";
	const char *what = "";
	char a[INET6_ADDRSTRLEN];

	if (res->v1 >= sizeof(steps) / sizeof(steps[0]) || !steps[res->v1])
		return cr_fail(e, EIO, "pid %d: %s: bad report", pid, name);
	if ((res->v1 == CR_INET_OPT || res->v1 == CR_INET_OPT_CHECK) &&
	    res->v2 < s->nr_opts) {
		const struct crfs_sockopt *so = &cr_inet_opts(fi)[res->v2];
		const struct cr_sockopt_def *d = cr_sockopt_find(so->level,
								 so->name);

		what = d ? d->id : "?";
	} else if (res->v1 >= CR_INET_BIND) {
		bool peer = res->v1 == CR_INET_CONNECT;

		inet_ntop(s->family, peer ? s->dst : s->src, a, sizeof(a));
		snprintf(addr, sizeof(addr), s->family == AF_INET6 ?
			 "[%s]:%u" : "%s:%u", a, peer ? s->dport : s->sport);
		what = addr;
	}
	return cr_fail(e, err, "pid %d: %s: %s: %s%s%s: %s", pid, name,
		       fi->path, steps[res->v1], *what ? " " : "", what,
		       strerror(err));
}
