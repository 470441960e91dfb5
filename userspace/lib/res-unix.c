// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "unix": a process's unix sockets (FILEs of kind UNIX,
 * crfs.h), and the refusal of those it cannot bring back exactly.
 *
 * Checkpoint, without changing a socket: sock_diag (NETLINK_SOCK_DIAG,
 * UNIX_DIAG_*) tells its state, name, peer, queue length and shutdown
 * state; a copy of the descriptor (pidfd_getfd()) its type and options,
 * and the data queued for it to read, peeked (MSG_PEEK) from offsets set
 * with SO_PEEK_OFF, whose value is put back after.  A control buffer with
 * each peek shows descriptors in flight (SCM_RIGHTS), which are refused.
 * Then (phase 2, res-unix-check.c) each connected socket's peer must be a socket of the
 * container whose peer it is; one outside is refused, or with the
 * container's peers file close or keep, a stream or seqpacket socket is
 * kept as an end whose peer has gone (cr_unix_gone()) and a datagram
 * socket as one connected again to its peer's name (cr_unix_reconnect());
 * an accepted socket's listener (the one of its name) and a waiting one's
 * (UNIX_DIAG_ICONS) must be too, held first by a process no later than
 * theirs (it makes them again).  SO_PEERCRED (its pid as the container
 * sees it, euid, egid) must be one a restore gives again
 * (unix_check_cred(), cr_unix_cred_why()), and SO_PEERGROUPS the groups of
 * the process that makes the socket again.
 *
 * The restore is restore-unix.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/un.h>

#include "dump.h"
#include "proc.h"
#include "rec.h"
#include "restore.h"
#include "unix.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD	77
#endif

#ifndef SIOCGSKNS
#define SIOCGSKNS		0x894C
#endif
#define CR_TCP_ESTABLISHED	1
#define CR_TCP_CLOSE		7
#define CR_TCP_LISTEN		10
#define CR_NS			1000000000ULL
/* A datagram peeked at a time, at first: grown to what MSG_TRUNC tells. */
#define CR_UNIX_DGRAM_BUF	65536
/* Room for the control messages a peek may bring (SCM_MAX_FD is 253). */
#define CR_UNIX_CTL		CMSG_SPACE(256 * sizeof(int))

/* Why a socket of another family is refused. */
static const struct {
	int		family;
	const char	*why;
} cr_sock_families[] = {
	{ AF_INET,	"TCP/IP sockets are not supported" },
	{ AF_INET6,	"TCP/IPv6 sockets are not supported" },
	{ AF_NETLINK,	"netlink sockets are not supported" },
	{ AF_PACKET,	"packet sockets are not supported" },
};

/* The UNIX_DIAG_* attributes of message @h into @u. */
static void cr_unix_diag_attrs(const struct nlmsghdr *h,
			       struct cr_unix_diag *u)
{
	const struct unix_diag_msg *m = NLMSG_DATA(h);
	int len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
	const struct nlattr *a = (const void *)(m + 1);

	u->state = m->udiag_state;
	for (; len >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) &&
	       a->nla_len <= len;
	     len -= NLA_ALIGN(a->nla_len),
	     a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len))) {
		const void *v = (const char *)a + NLA_HDRLEN;

		switch (a->nla_type) {
		case UNIX_DIAG_NAME:
			u->name_len = a->nla_len - NLA_HDRLEN;
			if (u->name_len > sizeof(u->name))
				u->name_len = sizeof(u->name) + 1;
			else
				memcpy(u->name, v, u->name_len);
			break;
		case UNIX_DIAG_VFS:
			memcpy(&u->vfs_ino, v, 4);
			memcpy(&u->vfs_dev, (const char *)v + 4, 4);
			u->vfs = true;
			break;
		case UNIX_DIAG_PEER:
			memcpy(&u->peer, v, 4);
			break;
		case UNIX_DIAG_RQLEN:
			memcpy(&u->rqueue, v, 4);
			memcpy(&u->wqueue, (const char *)v + 4, 4);
			break;
		case UNIX_DIAG_SHUTDOWN:
			u->shutdown = *(const uint8_t *)v;
			break;
		}
	}
}

/* See unix.h. */
int cr_unix_diag_ask(uint64_t ino, uint32_t show, void *buf,
			    size_t cap, const struct nlmsghdr **m)
{
	struct {
		struct nlmsghdr		h;
		struct unix_diag_req	r;
	} req = {
		.h = { .nlmsg_len = sizeof(req),
		       .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		       .nlmsg_flags = NLM_F_REQUEST },
		.r = { .sdiag_family = AF_UNIX, .udiag_states = ~0U,
		       .udiag_ino = (uint32_t)ino, .udiag_show = show,
		       .udiag_cookie = { ~0U, ~0U } },
	};
	const struct nlmsghdr *h = buf;
	int s, ret = 0;
	ssize_t n;

	s = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (s < 0)
		return -errno;
	if (send(s, &req, sizeof(req), 0) != sizeof(req)) {
		ret = -errno;
		goto out;
	}
	n = recv(s, buf, cap, 0);
	if (n < 0)
		ret = -errno;
	else if (!NLMSG_OK(h, (size_t)n))
		ret = -EBADMSG;
	else if (h->nlmsg_type == NLMSG_ERROR)
		ret = ((const struct nlmsgerr *)NLMSG_DATA(h))->error ?: -EBADMSG;
	else if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		 h->nlmsg_len < NLMSG_LENGTH(sizeof(struct unix_diag_msg)))
		ret = -EBADMSG;
	else
		*m = h;
out:
	close(s);
	return ret;
}

/* See unix.h. */
int cr_unix_diag(uint64_t ino, struct cr_unix_diag *u)
{
	union {
		struct nlmsghdr	h;
		char		buf[8192];
	} rsp;
	const struct nlmsghdr *h;
	int ret;

	memset(u, 0, sizeof(*u));
	ret = cr_unix_diag_ask(ino, UDIAG_SHOW_NAME | UDIAG_SHOW_PEER |
			       UDIAG_SHOW_RQLEN | UDIAG_SHOW_VFS, &rsp,
			       sizeof(rsp), &h);
	if (!ret)
		cr_unix_diag_attrs(h, u);
	return ret;
}

/* Is @sk in the dumper's network namespace? */
static bool cr_unix_netns_mine(int sk)
{
	struct stat a, b;
	int ns = ioctl(sk, SIOCGSKNS);
	bool mine;

	if (ns < 0)
		return false;
	mine = !fstat(ns, &a) && !stat("/proc/self/ns/net", &b) &&
	       a.st_ino == b.st_ino && a.st_dev == b.st_dev;
	close(ns);
	return mine;
}

/* The queue being read: messages appended to a buffer. */
struct cr_unix_q {
	char		*buf;		/* crfs_unix_msg + data, each padded */
	size_t		len, cap;
	uint32_t	nr;
	uint64_t	bytes;
};

/* Room for @n more bytes in @q; -ENOMEM. */
static int cr_unix_q_room(struct cr_unix_q *q, size_t n)
{
	char *b;

	if (q->len + n <= q->cap)
		return 0;
	b = realloc(q->buf, q->len + n + 4096);
	if (!b)
		return -ENOMEM;
	q->buf = b;
	q->cap = q->len + n + 4096;
	return 0;
}

/* Append message @p of @len bytes to @q. */
static int cr_unix_q_add(struct cr_unix_q *q, const void *p, uint32_t len)
{
	struct crfs_unix_msg m = { len, 0 };
	size_t pad = cr_pad8(len);

	if (cr_unix_q_room(q, sizeof(m) + pad))
		return -ENOMEM;
	memcpy(q->buf + q->len, &m, sizeof(m));
	memcpy(q->buf + q->len + sizeof(m), p, len);
	memset(q->buf + q->len + sizeof(m) + len, 0, pad - len);
	q->len += sizeof(m) + pad;
	q->nr++;
	q->bytes += len;
	return 0;
}

/*
 * Peek at most @len bytes at offset @off of @sk's queue into @p; the
 * length (the datagram's whole length with MSG_TRUNC), 0 at the end
 * (-EAGAIN: nothing more), or -errno; *@why if descriptors are in flight;
 * *@from (if not NULL) the length of its sender's name, 0: none.
 */
static ssize_t cr_unix_peek(int sk, uint64_t off, void *p, size_t len,
			    int flags, socklen_t *from, const char **why)
{
	struct sockaddr_un sa;
	union {
		struct cmsghdr	c;
		char		buf[CR_UNIX_CTL];
	} ctl;
	struct iovec iov = { p, len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = &ctl, .msg_controllen = sizeof(ctl),
		.msg_name = from ? &sa : NULL,
		.msg_namelen = from ? sizeof(sa) : 0,
	};
	int v = (int)off;
	struct cmsghdr *c;
	ssize_t n;

	if (off > INT32_MAX)
		return -ERANGE;
	if (setsockopt(sk, SOL_SOCKET, SO_PEEK_OFF, &v, sizeof(v)))
		return -errno;
	n = recvmsg(sk, &mh, MSG_PEEK | MSG_DONTWAIT | MSG_CMSG_CLOEXEC |
		    flags);
	if (n < 0)
		return -errno;
	if (from)
		*from = mh.msg_namelen;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		int *fds = (int *)CMSG_DATA(c);
		size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		/* The peek gave this process copies: only those are closed. */
		for (size_t i = 0; i < nfd; i++)
			close(fds[i]);
		*why = "descriptors in flight (SCM_RIGHTS sent and not yet "
		       "received) are not supported";
	}
	if (mh.msg_flags & MSG_CTRUNC && !*why)
		*why = "data queued with control messages (credentials, "
		       "security labels or descriptors) is not supported";
	return n;
}

/*
 * Read the stream queue of @sk (@total bytes, as sock_diag tells) into
 * @q.  Never a peek at its end: with nothing to copy, it would take a
 * pending error (sock_error() clears it).
 */
static int cr_unix_peek_stream(int sk, uint32_t total, struct cr_unix_q *q,
			       const char **why)
{
	char *buf = malloc(total + 1);
	uint64_t off = 0;
	ssize_t n = 0;
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	while (off < total && !*why) {
		n = cr_unix_peek(sk, off, buf + off, total - off, 0, NULL, why);
		if (n <= 0)
			break;
		off += n;
	}
	if (n < 0 && n != -EAGAIN)
		ret = n;
	else if (!*why && off != total)
		*why = "its queue is not the length sock_diag tells";
	else if (!*why && off)
		ret = cr_unix_q_add(q, buf, off);
	free(buf);
	return ret;
}

/*
 * Read the datagrams queued on @sk into @q, each with its boundary; with
 * @anon, each must come from a sender without a name (an unconnected
 * socket's: the restore sends it from one).
 */
static int cr_unix_peek_dgram(int sk, bool rcv_shut, bool anon,
			      struct cr_unix_q *q, const char **why)
{
	size_t cap = CR_UNIX_DGRAM_BUF;
	char *buf = malloc(cap), *b;
	socklen_t from = 0;
	uint64_t off = 0;
	int ret = 0;
	ssize_t n;

	while (buf && !*why) {
		n = cr_unix_peek(sk, off, buf, cap, MSG_TRUNC, &from, why);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			ret = n;
			break;
		}
		/* At the end when shut down; else an empty datagram. */
		if (!n) {
			if (!rcv_shut)
				*why = "an empty datagram is queued (a peek "
				       "cannot go past it)";
			break;
		}
		if (anon && from > sizeof(sa_family_t)) {
			*why = "a datagram from a sender with a name, queued on "
			       "an unconnected socket, is not supported yet (a "
			       "restore would send it from that name)";
			break;
		}
		if ((size_t)n > cap) {
			b = realloc(buf, n);
			if (!b)
				break;
			buf = b;
			cap = n;
			continue;
		}
		if (q->nr >= CRFS_UNIX_MSGS_MAX ||
		    q->bytes + n > CRFS_UNIX_QUEUE_MAX) {
			*why = "more than CRFS_UNIX_MSGS_MAX datagrams or "
			       "CRFS_UNIX_QUEUE_MAX bytes are queued";
			break;
		}
		ret = cr_unix_q_add(q, buf, n);
		if (ret)
			break;
		off += n;
	}
	if (!buf)
		ret = -ENOMEM;
	free(buf);
	return ret;
}

/* getsockopt() of an int; -errno. */
static int cr_unix_opt(int sk, int name, int *v)
{
	socklen_t len = sizeof(*v);

	return getsockopt(sk, SOL_SOCKET, name, v, &len) ? -errno : 0;
}

/* A timeout in ns; -errno. */
static int cr_unix_timeo(int sk, int name, __u64 *ns)
{
	struct timeval tv;
	socklen_t len = sizeof(tv);

	if (getsockopt(sk, SOL_SOCKET, name, &tv, &len))
		return -errno;
	*ns = (__u64)tv.tv_sec * CR_NS + (__u64)tv.tv_usec * 1000;
	return 0;
}

/* The options of @sk into @u. */
static int cr_unix_opts(int sk, struct crfs_file_unix *u)
{
	int v, ret;

	ret = cr_unix_opt(sk, SO_TYPE, &v);
	u->type = v;
	ret = ret ?: cr_unix_opt(sk, SO_SNDBUF, &v);
	u->sndbuf = v;
	ret = ret ?: cr_unix_opt(sk, SO_RCVBUF, &v);
	u->rcvbuf = v;
	ret = ret ?: cr_unix_opt(sk, SO_PASSCRED, &v);
	u->opts |= v ? CRFS_UNIX_O_PASSCRED : 0;
	ret = ret ?: cr_unix_opt(sk, SO_PASSSEC, &v);
	u->opts |= v ? CRFS_UNIX_O_PASSSEC : 0;
	ret = ret ?: cr_unix_opt(sk, SO_PEEK_OFF, &v);
	u->peek_off = v;
	ret = ret ?: cr_unix_timeo(sk, SO_RCVTIMEO, &u->rcvtimeo_ns);
	return ret ?: cr_unix_timeo(sk, SO_SNDTIMEO, &u->sndtimeo_ns);
}

/* See unix.h. */
void cr_unix_path(pid_t pid, const struct cr_unix_diag *d,
			 struct crfs_file_unix *u, struct cr_file *f)
{
	char path[CRFS_UNIX_NAME_MAX + 32];
	struct stat st;

	if (d->name[0] != '/') {
		f->why = "a unix socket bound to a relative path is not "
			 "supported";
		return;
	}
	if (memchr(d->name, 0, d->name_len) != d->name + d->name_len - 1) {
		f->why = "a unix socket's path name without its NUL";
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/root%s", pid, d->name);
	if (!d->vfs || cr_stat_cached(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW,
				      &st) ||
	    !S_ISSOCK(st.st_mode) || st.st_ino != d->vfs_ino ||
	    major(st.st_dev) != d->vfs_dev >> 20 ||
	    minor(st.st_dev) != (d->vfs_dev & 0xfffff)) {
		f->why = "the path a unix socket is bound to no longer leads "
			 "to its socket file (removed or replaced): a restore "
			 "could not bind it again";
		return;
	}
	u->name_dev = st.st_dev;
	u->name_ino = st.st_ino;
	u->name_mode = st.st_mode;
	u->name_uid = st.st_uid;
	u->name_gid = st.st_gid;
}

/* Has @sk an error pending (sk_err: poll() says POLLERR, not clearing it)? */
static bool cr_unix_error(int sk)
{
	struct pollfd p = { sk, 0, 0 };

	return poll(&p, 1, 0) < 0 || (p.revents & POLLERR);
}

/*
 * Is socket @ino waiting in the backlog of a listening socket?  Its
 * listener and position (1: accepted first) into @c, unknown: 0.
 */
static bool cr_unix_waiting(uint64_t ino, struct crfs_unix_conn *c)
{
	struct {
		struct nlmsghdr		h;
		struct unix_diag_req	r;
	} req = {
		.h = { .nlmsg_len = sizeof(req),
		       .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.r = { .sdiag_family = AF_UNIX,
		       .udiag_states = 1U << CR_TCP_LISTEN,
		       .udiag_show = UDIAG_SHOW_ICONS },
	};
	bool found = false, done = false;
	char *buf = malloc(32768);
	int s;

	s = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	/* Unknown: taken as waiting, which refuses it. */
	if (!buf || s < 0 || send(s, &req, sizeof(req), 0) != sizeof(req)) {
		if (s >= 0)
			close(s);
		free(buf);
		return true;
	}
	while (!done) {
		ssize_t n = recv(s, buf, 32768, 0);
		const struct nlmsghdr *h = (const void *)buf;

		if (n <= 0) {
			found = true;
			break;
		}
		for (; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			const struct unix_diag_msg *m = NLMSG_DATA(h);
			int len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
			const struct nlattr *a = (const void *)(m + 1);

			if (h->nlmsg_type == NLMSG_DONE ||
			    h->nlmsg_type == NLMSG_ERROR) {
				found |= h->nlmsg_type == NLMSG_ERROR;
				done = true;
				break;
			}
			for (; len >= (int)sizeof(*a) &&
			       a->nla_len >= sizeof(*a) && a->nla_len <= len;
			     len -= NLA_ALIGN(a->nla_len),
			     a = (const void *)((const char *)a +
						NLA_ALIGN(a->nla_len))) {
				const uint32_t *icons = (const void *)
					((const char *)a + NLA_HDRLEN);
				uint32_t nr = (a->nla_len - NLA_HDRLEN) / 4;

				if (a->nla_type != UNIX_DIAG_ICONS)
					continue;
				for (uint32_t i = 0; i < nr; i++) {
					if (icons[i] != (uint32_t)ino)
						continue;
					found = true;
					c->listen_ino = m->udiag_ino;
					c->seq = i + 1;
				}
			}
		}
	}
	close(s);
	free(buf);
	return found;
}

/*
 * A connection (sock_diag @d) waiting in the backlog of listener @c into
 * @u: with nothing sent (its bytes would wait in the socket the listener
 * holds for it, which no peek reaches), nor shut down; else f->why.
 */
static void cr_unix_waits(const struct cr_unix_diag *d,
			  struct crfs_file_unix *u,
			  const struct crfs_unix_conn *c, struct cr_file *f)
{
	if (!c->listen_ino)
		f->why = "a connection waiting in the backlog of a listening "
			 "socket sock_diag does not tell";
	else if (d->wqueue)
		f->why = "a connection waiting in the backlog of a listening "
			 "socket (not accepted yet) that has sent data is not "
			 "supported yet";
	else if (d->shutdown)
		f->why = "a connection waiting in the backlog of a listening "
			 "socket, shut down, is not supported yet";
	else
		u->flags = CRFS_UNIX_F_WAITING;
}

/*
 * Connected socket @sk (@ino, sock_diag @d) without a peer: a stream or
 * seqpacket socket whose peer was closed, or a connection waiting in a
 * backlog (its listener into @c), into @u; a datagram socket the kernel
 * marks connected without a peer, f->why.
 */
static void cr_unix_closed(int sk, uint64_t ino, const struct cr_unix_diag *d,
			   struct crfs_file_unix *u, struct crfs_unix_conn *c,
			   struct cr_file *f)
{
	struct pollfd p = { sk, 0, 0 };

	if (u->type == SOCK_DGRAM)
		f->why = "a datagram socket marked connected without a peer "
			 "(another socket connect()ed to it, or its peer is "
			 "closed) is not supported yet";
	else if (cr_unix_waiting(ino, c))
		cr_unix_waits(d, u, c, f);
	else if ((d->shutdown & 3) != 3 || poll(&p, 1, 0) < 0)
		f->why = "a connected unix socket without a peer, not shut "
			 "down both ways";
	else if ((p.revents & POLLERR) && u->type == SOCK_SEQPACKET)
		f->why = "a seqpacket socket whose peer closed with data unread "
			 "(an error pending, which a peek would clear) is not "
			 "supported";
	else
		u->flags = CRFS_UNIX_F_PEER_CLOSED |
			   (p.revents & POLLERR ? CRFS_UNIX_F_RESET : 0);
}

/*
 * The name of a socket of @pid (sock_diag @d) into @u: a named socket is
 * bound (unconnected), listening, or a stream or seqpacket connection
 * (taken as accepted: unix_check_conn() finds its listener); else
 * f->why.
 */
static void cr_unix_named(pid_t pid, const struct cr_unix_diag *d,
			  struct crfs_file_unix *u, struct cr_file *f)
{
	if (!d->name_len)
		return;
	if (d->name_len > CRFS_UNIX_NAME_MAX) {
		f->why = "a unix socket's name is longer than sun_path";
		return;
	}
	/* Accepted from a listener (unix_check() finds it), or bound. */
	if (u->state == CRFS_UNIX_CONNECTED &&
	    (u->type == SOCK_DGRAM || (u->flags & CRFS_UNIX_F_WAITING))) {
		f->why = "connected unix sockets with a name of their own "
			 "(bound before they connected) are not supported yet";
		return;
	}
	if (u->state == CRFS_UNIX_CONNECTED)
		u->flags |= CRFS_UNIX_F_ACCEPTED;
	u->name_len = d->name_len;
	u->backlog = u->state == CRFS_UNIX_LISTEN ? d->wqueue : 0;
	if (d->name[0])
		cr_unix_path(pid, d, u, f);
}

/*
 * Has the process of pidfd @pfd been reaped?  Its fdinfo says "Pid: -1"
 * (a kernel that gives a pidfd of a reaped process: SO_PEERPIDFD does).
 */
static bool cr_unix_pidfd_gone(int pfd)
{
	char path[48], line[128];
	bool gone = false;
	FILE *fi;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pfd);
	fi = fopen(path, "re");
	if (!fi)
		return false;
	while (fgets(line, sizeof(line), fi))
		if (!strncmp(line, "Pid:", 4))
			gone = atoi(line + 4) < 0;
	fclose(fi);
	return gone;
}

/* See unix.h. */
int cr_unix_gid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* SO_PEERGROUPS of @sk into @f, sorted; -errno. */
static int cr_unix_groups(int sk, struct cr_file *f)
{
	socklen_t len = 0;

	free(f->ugroups);
	f->ugroups = NULL;
	f->nr_ugroups = 0;
	if (!getsockopt(sk, SOL_SOCKET, SO_PEERGROUPS, NULL, &len) ||
	    errno == ENODATA)
		return 0;
	if (errno != ERANGE || !len)
		return -errno;
	f->ugroups = malloc(len);
	if (!f->ugroups)
		return -ENOMEM;
	if (getsockopt(sk, SOL_SOCKET, SO_PEERGROUPS, f->ugroups, &len))
		return -errno;
	f->nr_ugroups = len / sizeof(uint32_t);
	qsort(f->ugroups, f->nr_ugroups, sizeof(uint32_t), cr_unix_gid_cmp);
	return 0;
}

/*
 * SO_PEERCRED of @sk: its ids into @u, its pid as the daemon sees it into
 * @f (0: none), and whether that process was reaped since (SO_PEERPIDFD
 * fails: its number may be another process's now); -errno.
 */
static int cr_unix_cred(int sk, struct crfs_file_unix *u, struct cr_file *f)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	int pfd;

	if (getsockopt(sk, SOL_SOCKET, SO_PEERCRED, &uc, &len))
		return -errno;
	/* Set (ids not -1) with pid 0: a process the daemon does not see. */
	f->ucred_host = uc.pid > 0 ? uc.pid :
			uc.uid != (uid_t)-1 || uc.gid != (gid_t)-1 ? -1 : 0;
	f->ucred_dead = f->ucred_host < 0;
	if (f->ucred_host <= 0)
		return 0;
	u->cred_uid = uc.uid;
	u->cred_gid = uc.gid;
	if (cr_unix_groups(sk, f))
		return -errno;
	len = sizeof(pfd);
	if (!getsockopt(sk, SOL_SOCKET, SO_PEERPIDFD, &pfd, &len)) {
		f->ucred_dead = cr_unix_pidfd_gone(pfd);
		close(pfd);
	} else if (errno == EINVAL || errno == ESRCH) {
		f->ucred_dead = true;
	} else if (errno != ENOPROTOOPT) {
		return -errno;
	}
	return 0;
}

/* The state of unix socket @sk (inode @ino) of @pid into @f, or f->why. */
static int cr_unix_state(pid_t pid, int sk, uint64_t ino, struct cr_file *f)
{
	struct crfs_file_unix u = { .ino = ino };
	struct crfs_unix_conn c = { 0 };
	struct cr_unix_q q = { 0 };
	struct cr_unix_diag d;
	size_t nlen, clen;
	int ret;

	ret = cr_unix_diag(ino, &d);
	ret = ret ?: cr_unix_opts(sk, &u);
	ret = ret ?: cr_unix_cred(sk, &u, f);
	if (ret)
		return ret;
	u.shutdown = d.shutdown & (CRFS_UNIX_SHUT_RD | CRFS_UNIX_SHUT_WR);
	if (u.type != SOCK_STREAM && u.type != SOCK_DGRAM &&
	    u.type != SOCK_SEQPACKET)
		f->why = "a unix socket of this type is not supported";
	else if (d.state == CR_TCP_ESTABLISHED && !d.peer)
		cr_unix_closed(sk, ino, &d, &u, &c, f);
	else if (d.state != CR_TCP_ESTABLISHED && d.state != CR_TCP_CLOSE &&
		 d.state != CR_TCP_LISTEN)
		f->why = "a unix socket in this state is not supported";
	if (f->why)
		return 0;
	u.state = d.state == CR_TCP_ESTABLISHED ? CRFS_UNIX_CONNECTED :
		  d.state == CR_TCP_LISTEN ? CRFS_UNIX_LISTEN :
					     CRFS_UNIX_UNCONN;
	u.peer_ino = u.state == CRFS_UNIX_CONNECTED ? d.peer : 0;
	cr_unix_named(pid, &d, &u, f);
	if (!f->why && !(u.flags & CRFS_UNIX_F_PEER_CLOSED) &&
	    cr_unix_error(sk))
		f->why = "a unix socket with an error pending (which a peek "
			 "would clear) is not supported";
	/*
	 * A connected socket has a queue, and a bound datagram socket; no
	 * other can be sent to.
	 */
	if (f->why || (u.state != CRFS_UNIX_CONNECTED &&
		       (u.type != SOCK_DGRAM || !u.name_len)))
		ret = 0;
	else if (u.type == SOCK_STREAM && d.rqueue > CRFS_UNIX_QUEUE_MAX)
		f->why = "more than CRFS_UNIX_QUEUE_MAX bytes are queued";
	else if (u.type == SOCK_STREAM)
		ret = cr_unix_peek_stream(sk, d.rqueue, &q, &f->why);
	else
		ret = cr_unix_peek_dgram(sk, u.shutdown & CRFS_UNIX_SHUT_RD,
					 u.state != CRFS_UNIX_CONNECTED, &q,
					 &f->why);
	/* The process's own peek offset back (-1: off). */
	if (setsockopt(sk, SOL_SOCKET, SO_PEEK_OFF, &u.peek_off,
		       sizeof(u.peek_off)) && !ret)
		ret = -errno;
	if (!ret && !f->why && q.nr && u.opts)
		f->why = "data queued for a socket with SO_PASSCRED or "
			 "SO_PASSSEC (its credentials and labels) is not "
			 "supported";
	if (ret || f->why)
		goto out;
	u.nr_msgs = q.nr;
	u.queued = q.bytes;
	nlen = cr_pad8(u.name_len);
	clen = u.flags & (CRFS_UNIX_F_ACCEPTED | CRFS_UNIX_F_WAITING) ?
	       sizeof(c) : 0;
	f->ubuf = calloc(1, sizeof(u) + nlen + q.len + clen);
	if (!f->ubuf) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(f->ubuf, &u, sizeof(u));
	memcpy((char *)f->ubuf + sizeof(u), d.name, u.name_len);
	if (q.len)
		memcpy((char *)f->ubuf + sizeof(u) + nlen, q.buf, q.len);
	memcpy((char *)f->ubuf + sizeof(u) + nlen + q.len, &c, clen);
	f->ulen = sizeof(u) + nlen + q.len + clen;
	f->f.kind = CRFS_FILE_UNIX;
out:
	free(q.buf);
	return ret;
}

int cr_unix_probe(pid_t pid, const char *name, struct cr_file *f,
		  struct cr_err *e)
{
	unsigned long long ino;
	int fd, sk, dom, ret = 0;

	if (sscanf(f->path, "socket:[%llu]", &ino) != 1) {
		f->why = "sockets are not supported";
		return 0;
	}
	if (sscanf(name, "fd/%d", &fd) != 1) {
		f->why = "a socket that is not a descriptor is not supported";
		return 0;
	}
	ret = cr_dump_fd_stat(pid, name, f, e);
	if (ret)
		return ret;
	sk = cr_evfd_copy(pid, fd);
	if (sk < 0)
		return cr_fail(e, errno, "pid %d: fd %d: %s: cannot take a copy "
			       "of it: %m", pid, fd, f->path);
	ret = cr_unix_opt(sk, SO_DOMAIN, &dom);
	if (!ret && dom != AF_UNIX) {
		f->why = "sockets of this family are not supported";
		for (size_t i = 0; i < sizeof(cr_sock_families) /
		     sizeof(cr_sock_families[0]); i++)
			if (cr_sock_families[i].family == dom)
				f->why = cr_sock_families[i].why;
	} else if (!ret && !cr_unix_netns_mine(sk)) {
		f->why = "a unix socket of another network namespace is not "
			 "supported";
	} else if (!ret) {
		ret = cr_unix_state(pid, sk, ino, f);
	}
	close(sk);
	if (ret)
		return cr_fail(e, -ret, "pid %d: fd %d: %s: cannot read the "
			       "socket's state: %s", pid, fd, f->path,
			       strerror(-ret));
	return 0;
}

