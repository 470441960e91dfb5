// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * TCP connections (FILE of kind INET, state TCP_ESTABLISHED), through
 * TCP_REPAIR: the checkpoint puts a copy of the socket in repair mode a
 * moment, reads its sequence numbers, options, window and both queues
 * (MSG_PEEK: nothing is consumed) and lets it go again as it was; the
 * restore makes the socket in repair mode (res-inet.c), connects it
 * without a handshake, fills its queues, and the restorer lets it out of
 * repair mode once every process of the container has its sockets (the
 * "inet" row's late hook), so that neither end talks to a peer not made
 * yet.  A peer outside the container is refused, unless the container's
 * peers file says keep (the network lock, netlock.c, holds the peer off
 * until the restore) or close (restored closed, as CRIU's --tcp-close).
 *
 * A container killed after its checkpoint has its connections put in
 * repair mode first (cr_inet_quiet()): they go without a FIN or a reset,
 * and their addresses are free at once for the restore.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "dump.h"
#include "inet.h"
#include "restore.h"

#ifndef TCP_REPAIR_OFF_NO_WP
#define TCP_REPAIR_OFF_NO_WP	-1
#endif
#define CR_TCPOPT_MAXSEG	2
#define CR_TCPOPT_WINDOW	3
#define CR_TCPOPT_SACK_PERM	4
#define CR_TCPOPT_TIMESTAMP	8
/* Tries at reading a receive queue that data keep joining. */
#define CR_TCP_READ_TRIES	5
/* Bytes of one send() into a queue at restore. */
#define CR_TCP_CHUNK		(64U << 10)

static int cr_tcp_set(int fd, int name, int v)
{
	return setsockopt(fd, IPPROTO_TCP, name, &v, sizeof(v));
}

static int cr_tcp_get(int fd, int name, uint32_t *v)
{
	socklen_t len = sizeof(*v);

	return getsockopt(fd, IPPROTO_TCP, name, v, &len);
}

/* Sequence number and peeked bytes of queue @q of @fd, into @buf. */
static const char *cr_tcp_queue(int fd, int q, int ioc, uint32_t *seq,
				uint8_t **buf, uint32_t *len, uint32_t off)
{
	int n;

	if (cr_tcp_set(fd, TCP_REPAIR_QUEUE, q) ||
	    cr_tcp_get(fd, TCP_QUEUE_SEQ, seq) || ioctl(fd, ioc, &n) || n < 0)
		return "cannot read a queue of the connection in repair mode";
	if ((uint64_t)off + n > CRFS_INET_MAX_DATA)
		return "more bytes queued on the connection than an image "
		       "record holds (512 KiB)";
	*len = n;
	*buf = realloc(*buf, off + n + 8);
	if (!*buf)
		return "out of memory";
	if (n && recv(fd, *buf + off, n, MSG_PEEK | MSG_DONTWAIT) != n)
		return "cannot peek at a queue of the connection";
	return NULL;
}

/* Read connection @fd in repair mode into @s and *@q (both queues). */
static const char *cr_tcp_read(int fd, struct crfs_file_inet *s, uint8_t **q)
{
	struct tcp_repair_window w;
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	uint32_t wseq, rnxt, again, out, in;
	const char *why = NULL;
	int tries = 0;

	do {
		why = cr_tcp_queue(fd, TCP_SEND_QUEUE, SIOCOUTQ, &wseq, q,
				   &out, 0);
		if (!why)
			why = cr_tcp_queue(fd, TCP_RECV_QUEUE, SIOCINQ, &rnxt,
					   q, &in, out);
		if (!why && cr_tcp_get(fd, TCP_QUEUE_SEQ, &again))
			why = "cannot read a queue of the connection";
	} while (!why && again != rnxt && ++tries < CR_TCP_READ_TRIES);
	if (!why && again != rnxt)
		why = "data kept arriving on the connection while it was read";
	if (why)
		return why;
	s->snd_seq = wseq - out;
	s->snd_len = out;
	s->rcv_seq = rnxt - in;
	s->rcv_len = in;
	memset(&ti, 0, sizeof(ti));
	len = sizeof(w);
	if (getsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, &len) ||
	    cr_tcp_get(fd, TCP_MAXSEG, &s->mss) ||
	    cr_tcp_get(fd, TCP_TIMESTAMP, &s->ts_val))
		return "cannot read the connection's window, MSS or timestamp";
	len = sizeof(ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return "cannot read the connection's TCP_INFO";
	s->tcp_opts = ti.tcpi_options & 7;
	if (s->tcp_opts & TCPI_OPT_WSCALE) {
		s->snd_wscale = ti.tcpi_snd_wscale;
		s->rcv_wscale = ti.tcpi_rcv_wscale;
	}
	s->snd_wl1 = w.snd_wl1;
	s->snd_wnd = w.snd_wnd;
	s->max_window = w.max_window;
	s->rcv_wnd = w.rcv_wnd;
	s->rcv_wup = w.rcv_wup;
	return NULL;
}

const char *cr_tcp_conn(int fd, struct crfs_file_inet *s, uint8_t **q)
{
	int reuse = 0, peek = -1, off = -1;
	socklen_t len = sizeof(int);
	const char *why;

	/* Repair mode changes SO_REUSEADDR and a peek offset moves. */
	if (getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, &len) ||
	    getsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &peek, &len))
		return "cannot read its SO_REUSEADDR and SO_PEEK_OFF";
	if (peek >= 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)))
		return "cannot set its SO_PEEK_OFF aside";
	if (cr_tcp_set(fd, TCP_REPAIR, TCP_REPAIR_ON))
		why = "cannot put the connection in repair mode (TCP_REPAIR)";
	else
		why = cr_tcp_read(fd, s, q);
	cr_tcp_set(fd, TCP_REPAIR_QUEUE, TCP_NO_QUEUE);
	if (cr_tcp_set(fd, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse)) ||
	    (peek >= 0 &&
	     setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &peek, sizeof(peek))))
		why = "cannot let the connection out of repair mode as it was";
	return why;
}

/* ---------------------------------------------------------- restore */

/* Push @len bytes at @p into queue @q of @fd in repair mode. */
static int cr_tcp_fill(long fd, int q, const uint8_t *p, uint32_t len)
{
	if (syscall(SYS_setsockopt, fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &q,
		    sizeof(q)))
		return -1;
	while (len) {
		uint32_t n = len < CR_TCP_CHUNK ? len : CR_TCP_CHUNK;
		long sent = syscall(SYS_sendto, fd, p, n, MSG_DONTWAIT, NULL,
				    0);

		if (sent <= 0) {
			if (!sent)
				errno = EIO;
			return -1;
		}
		p += sent;
		len -= sent;
	}
	return 0;
}

int cr_rst_tcp_seq(long fd, const struct crfs_file_inet *s)
{
	int on = TCP_REPAIR_ON, q;

	if (syscall(SYS_setsockopt, fd, IPPROTO_TCP, TCP_REPAIR, &on,
		    sizeof(on)))
		return -1;
	q = TCP_SEND_QUEUE;
	if (syscall(SYS_setsockopt, fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &q,
		    sizeof(q)) ||
	    syscall(SYS_setsockopt, fd, IPPROTO_TCP, TCP_QUEUE_SEQ,
		    &s->snd_seq, sizeof(s->snd_seq)))
		return -1;
	q = TCP_RECV_QUEUE;
	if (syscall(SYS_setsockopt, fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &q,
		    sizeof(q)) ||
	    syscall(SYS_setsockopt, fd, IPPROTO_TCP, TCP_QUEUE_SEQ,
		    &s->rcv_seq, sizeof(s->rcv_seq)))
		return -1;
	return 0;
}

int cr_rst_tcp_conn(long fd, const struct cr_file *fi)
{
	const struct crfs_file_inet *s = fi->inet;
	struct tcp_repair_opt o[4];
	struct tcp_repair_window w = {
		.snd_wl1 = s->snd_wl1, .snd_wnd = s->snd_wnd,
		.max_window = s->max_window, .rcv_wnd = s->rcv_wnd,
		.rcv_wup = s->rcv_wup,
	};
	const uint8_t *data = cr_inet_data(fi);
	int n = 0, q = TCP_NO_QUEUE;

	o[n++] = (struct tcp_repair_opt){ CR_TCPOPT_MAXSEG, s->mss };
	if (s->tcp_opts & TCPI_OPT_WSCALE)
		o[n++] = (struct tcp_repair_opt){ CR_TCPOPT_WINDOW,
			s->snd_wscale | (uint32_t)s->rcv_wscale << 16 };
	if (s->tcp_opts & TCPI_OPT_SACK)
		o[n++] = (struct tcp_repair_opt){ CR_TCPOPT_SACK_PERM, 0 };
	if (s->tcp_opts & TCPI_OPT_TIMESTAMPS)
		o[n++] = (struct tcp_repair_opt){ CR_TCPOPT_TIMESTAMP, 0 };
	if (syscall(SYS_setsockopt, fd, IPPROTO_TCP, TCP_REPAIR_OPTIONS, o,
		    n * sizeof(o[0])))
		return -1;
	if ((s->tcp_opts & TCPI_OPT_TIMESTAMPS) &&
	    syscall(SYS_setsockopt, fd, IPPROTO_TCP, TCP_TIMESTAMP,
		    &s->ts_val, sizeof(s->ts_val)))
		return -1;
	if (cr_tcp_fill(fd, TCP_RECV_QUEUE, data + s->snd_len, s->rcv_len) ||
	    cr_tcp_fill(fd, TCP_SEND_QUEUE, data, s->snd_len))
		return -1;
	if (syscall(SYS_setsockopt, fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w,
		    sizeof(w)) ||
	    syscall(SYS_setsockopt, fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &q,
		    sizeof(q)))
		return -1;
	return 0;
}

/* Does @s hold SO_REUSEADDR set (repair mode left it cleared)? */
static int cr_tcp_reuse(const struct cr_file *fi)
{
	for (uint32_t i = 0; i < fi->inet->nr_opts; i++) {
		const struct crfs_sockopt *so = &cr_inet_opts(fi)[i];
		int v;

		if (so->level != SOL_SOCKET || so->name != SO_REUSEADDR)
			continue;
		memcpy(&v, so->val, sizeof(v));
		return v;
	}
	return 0;
}

/* Is @fi a TCP connection? */
static bool cr_tcp_is_conn(const struct cr_file *fi)
{
	return fi && fi->f.kind == CRFS_FILE_INET && fi->inet &&
	       fi->inet->type == SOCK_STREAM &&
	       fi->inet->state == CR_TCP_ESTABLISHED;
}

/*
 * Restore phase 5: every connection of @r out of repair mode (every
 * process of the container has its sockets by now), its SO_REUSEADDR as
 * the image has it, through a copy of the descriptor.
 */
static int tcp_late(struct cr_rst *r, struct cr_err *e)
{
	const struct cr_fdtable *fdt = r->task->fdt;
	int pfd = -1, rc = 0;

	for (uint32_t i = 0; fdt && !rc && i < fdt->nr_fds; i++) {
		const struct cr_file *fi = fdt->fds[i].file;
		int fd, off = TCP_REPAIR_OFF, reuse;

		if (!cr_tcp_is_conn(fi))
			continue;
		if (pfd < 0)
			pfd = syscall(SYS_pidfd_open, r->pid, 0);
		fd = pfd < 0 ? -1 : syscall(SYS_pidfd_getfd, pfd,
					    fdt->fds[i].d.fd, 0);
		reuse = cr_tcp_reuse(fi);
		if (fd < 0 ||
		    setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off)) ||
		    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse,
			       sizeof(reuse)))
			rc = cr_fail(e, errno, "pid %d: fd %u: %s: cannot let "
				     "the connection out of repair mode: %m",
				     r->pid, fdt->fds[i].d.fd, fi->path);
		if (fd >= 0)
			close(fd);
	}
	if (pfd >= 0)
		close(pfd);
	return rc;
}

/* Is @b the other end of connection @a: the same addresses, crossed? */
static bool cr_tcp_peers(const struct crfs_file_inet *a,
			 const struct crfs_file_inet *b)
{
	return a->family == b->family && a->sport == b->dport &&
	       a->dport == b->sport && !memcmp(a->src, b->dst, 16) &&
	       !memcmp(a->dst, b->src, 16);
}

/*
 * Connection @fi, whose peer is outside, as an end whose peer has gone
 * (peers close): an unbound socket, its former peer named, nothing of the
 * connection kept; the restore shuts it down both ways.
 */
static void cr_tcp_gone(struct cr_file *fi)
{
	struct crfs_file_inet *s = fi->inet;
	uint32_t nr = s->nr_opts;
	struct crfs_file_inet g = {
		.family = s->family, .type = s->type, .protocol = s->protocol,
		.state = CR_TCP_CLOSE, .flags = CRFS_INET_F_PEER_GONE,
		.dport = s->dport, .nr_opts = nr,
	};

	memcpy(g.dst, s->dst, sizeof(g.dst));
	*s = g;		/* the options stay where they were, the data go */
}

/*
 * Checkpoint phase 2: the other end of each connection of @dt is a
 * socket of the container (its FILE is in the model); one whose peer is
 * outside is refused, or with the container's peers file, kept behind
 * the network lock (keep, netlock.c) or closed (close).
 */
static int tcp_check(struct cr_dump *d, struct cr_dtask *dt, struct cr_err *e)
{
	const struct cr_fdtable *fdt = dt->t->fdt;
	const struct cr_model *m = &d->m;
	char a[INET6_ADDRSTRLEN], l[INET6_ADDRSTRLEN], by[96] = "";
	char comm[CRFS_COMM_LEN];
	pid_t other;

	for (uint32_t i = 0; fdt && i < fdt->nr_fds; i++) {
		struct cr_file *fi = fdt->fds[i].file;
		bool found = false;

		if (!cr_tcp_is_conn(fi))
			continue;
		for (uint32_t j = 0; !found && j < m->nr_files; j++)
			found = cr_tcp_is_conn(&m->files[j]) &&
				cr_tcp_peers(fi->inet, m->files[j].inet);
		if (found)
			continue;
		if (d->peers == CR_PEERS_CLOSE) {
			cr_tcp_gone(fi);
			continue;
		}
		if (d->peers == CR_PEERS_KEEP && cr_netlock_holds(d, fi->inet)) {
			fi->inet->lock_id = d->lock_id;
			continue;
		}
		inet_ntop(fi->inet->family, fi->inet->dst, a, sizeof(a));
		inet_ntop(fi->inet->family, fi->inet->src, l, sizeof(l));
		other = cr_tcp_peer_holder(d, fi->inet, comm, sizeof(comm));
		if (other)
			snprintf(by, sizeof(by), " (held by pid %d (%s), "
				 "outside the container)", other, comm);
		return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s: a TCP "
			       "connection from %s port %u to %s port %u%s, "
			       "which no process of the container holds: %s",
			       dt->pid, fdt->fds[i].d.fd, fi->path, l,
			       fi->inet->sport, a, fi->inet->dport, by,
			       d->peers == CR_PEERS_KEEP ?
			       "the network lock does not hold it" :
			       "a peer outside the container (echo keep > "
			       "peers of the container: kept behind a network "
			       "lock; close: restored closed)");
	}
	return 0;
}

const struct cr_res_ops cr_res_tcp = {
	.name	= "tcp",
	.check	= tcp_check,
	.late	= tcp_late,
};

/* Put every TCP connection of @pid in repair mode. */
static void cr_tcp_quiet_pid(pid_t pid)
{
	char path[64], link[64];
	struct dirent *de;
	int pfd, on = TCP_REPAIR_ON;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	pfd = syscall(SYS_pidfd_open, pid, 0);
	while (dir && pfd >= 0 && (de = readdir(dir))) {
		struct tcp_info ti;
		socklen_t len = sizeof(ti);
		ssize_t n;
		int fd, proto = 0;

		n = readlinkat(dirfd(dir), de->d_name, link, sizeof(link) - 1);
		if (n <= 0 || strncmp(link, "socket:[", 8))
			continue;
		fd = syscall(SYS_pidfd_getfd, pfd, atoi(de->d_name), 0);
		if (fd < 0)
			continue;
		len = sizeof(proto);
		if (!getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) &&
		    proto == IPPROTO_TCP &&
		    !getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti,
				&(socklen_t){ sizeof(ti) }) &&
		    ti.tcpi_state != CR_TCP_LISTEN &&
		    ti.tcpi_state != CR_TCP_CLOSE)
			setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on,
				   sizeof(on));
		close(fd);
	}
	if (pfd >= 0)
		close(pfd);
	if (dir)
		closedir(dir);
}

void cr_inet_quiet(const char *cgdir)
{
	pid_t *pids;
	int n = cr_cgroup_pids(cgdir, &pids);

	for (int i = 0; i < n; i++)
		cr_tcp_quiet_pid(pids[i]);
	if (n >= 0)
		free(pids);
}
