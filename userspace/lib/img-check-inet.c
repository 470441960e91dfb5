// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The rules of img-check.c for TCP and UDP sockets (FILE of kind INET,
 * crfs.h): the socket inode's name and mode, the flags it is made with,
 * its state as socket(), bind(), connect() and listen() take it again,
 * and its options, each one of the table (inet.h), once, in its order.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "inet.h"
#include "rec.h"

/* Are the bytes of @p from @from to @to all zero? */
static bool cr_inet_zero(const uint8_t *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (p[i])
			return false;
	return true;
}

/* Why the addresses and ports of @s are wrong, or NULL. */
static const char *cr_inet_addr_why(const struct crfs_file_inet *s)
{
	size_t alen = s->family == AF_INET ? 4 : 16;

	if (!cr_inet_zero(s->src, alen, 16) || !cr_inet_zero(s->dst, alen, 16))
		return "an IPv4 address longer than 4 bytes";
	if (!(s->flags & CRFS_INET_F_BOUND) &&
	    (s->sport || !cr_inet_zero(s->src, 0, 16)))
		return "a local address on a socket that is not bound";
	if (s->state != CR_TCP_ESTABLISHED &&
	    !(s->flags & CRFS_INET_F_PEER_GONE) &&
	    (s->dport || !cr_inet_zero(s->dst, 0, 16)))
		return "a peer address on a socket that is not connected";
	if (s->state == CR_TCP_ESTABLISHED && !s->dport)
		return "a connected socket without a peer port";
	return NULL;
}

/* Why the state of socket @s is wrong, or NULL. */
static const char *cr_inet_state_why(const struct crfs_file_inet *s)
{
	bool tcp = s->type == SOCK_STREAM;

	if (s->family != AF_INET && s->family != AF_INET6)
		return "a family that is neither AF_INET nor AF_INET6";
	if (!(tcp && s->protocol == IPPROTO_TCP) &&
	    !(s->type == SOCK_DGRAM && s->protocol == IPPROTO_UDP))
		return "neither a TCP stream nor a UDP datagram socket";
	if (s->flags & ~(CRFS_INET_F_BOUND | CRFS_INET_F_PEER_GONE))
		return "unknown flags";
	if ((s->flags & CRFS_INET_F_PEER_GONE) &&
	    (!tcp || s->state != CR_TCP_CLOSE ||
	     (s->flags & CRFS_INET_F_BOUND) || !s->dport))
		return "a connection whose peer is gone that is not a closed, "
		       "unbound TCP socket naming its former peer";
	if (s->lock_id && (!tcp || s->state != CR_TCP_ESTABLISHED))
		return "a network lock on a socket that is no TCP connection";
	if (s->state != CR_TCP_CLOSE && s->state != CR_TCP_ESTABLISHED &&
	    !(tcp && s->state == CR_TCP_LISTEN))
		return "a state the restore does not make (closed, "
		       "connected; TCP: listening)";
	if (tcp && s->state == CR_TCP_ESTABLISHED &&
	    !(s->flags & CRFS_INET_F_BOUND))
		return "a TCP connection that is not bound";
	if (s->state == CR_TCP_LISTEN && !(s->flags & CRFS_INET_F_BOUND))
		return "a listening socket that is not bound";
	if (s->state == CR_TCP_LISTEN ? s->backlog > INT_MAX : s->backlog)
		return "a backlog listen() does not take, or one without "
		       "listening";
	return cr_inet_addr_why(s);
}

/* Why the connection of @fi (a TCP_REPAIR state) is wrong, or NULL. */
static const char *cr_inet_conn_why(const struct cr_file *fi)
{
	const struct crfs_file_inet *s = fi->inet;
	uint64_t data = (uint64_t)s->snd_len + s->rcv_len;
	static const uint8_t zero[8];

	if (s->type != SOCK_STREAM || s->state != CR_TCP_ESTABLISHED) {
		if (s->snd_seq || s->rcv_seq || data || s->mss || s->ts_val ||
		    s->tcp_opts || s->snd_wscale || s->rcv_wscale ||
		    s->snd_wl1 || s->snd_wnd || s->max_window || s->rcv_wnd ||
		    s->rcv_wup)
			return "the state of a connection on a socket that is "
			       "no TCP connection";
	} else if (s->tcp_opts & ~7U) {
		return "unknown TCP options";
	} else if (s->snd_wscale > 14 || s->rcv_wscale > 14 ||
		   (!(s->tcp_opts & 4) && (s->snd_wscale || s->rcv_wscale))) {
		return "a window scale TCP_REPAIR_OPTIONS does not take";
	} else if (s->mss < 88 || s->mss > 65535) {
		return "an MSS TCP_REPAIR_OPTIONS does not take";
	}
	if (memcmp(s->__pad, zero, sizeof(s->__pad)) ||
	    memcmp(cr_inet_data(fi) + data, zero, cr_pad8(data) - data))
		return "padding not zero";
	return NULL;
}

/* Why option @i of @fi is wrong, or NULL; *@last: its table index. */
static const char *cr_inet_opt_why(const struct cr_file *fi, uint32_t i,
				   long *last)
{
	const struct crfs_sockopt *so = &cr_inet_opts(fi)[i];
	const struct cr_sockopt_def *d = cr_sockopt_find(so->level, so->name);
	long at;

	if (!d || !cr_sockopt_applies(d, fi->inet))
		return "an option the restore does not set on such a socket";
	at = d - cr_sockopts;
	if (at <= *last)
		return "options repeated or out of the table's order";
	*last = at;
	if (!so->len || so->len > d->len || so->__pad ||
	    !cr_inet_zero(so->val, so->len, CRFS_SOCKOPT_VAL))
		return "an option whose length is not its own, or padding";
	if ((d->flags & CR_SO_STR) && (so->val[so->len - 1] ||
				       memchr(so->val, 0, so->len - 1)))
		return "a name that is not one NUL-terminated string";
	if (d->flags & CR_SO_BUF) {
		int v;

		memcpy(&v, so->val, sizeof(v));
		if (so->len != 4 || v <= 0 || v % 2)
			return "a buffer size that is not what getsockopt() "
			       "gives (twice what was set)";
	}
	return NULL;
}

int cr_img_inet_check(const struct cr_chk *c, const struct cr_file *fi,
		      struct cr_err *e)
{
	const struct crfs_file *f = &fi->f;
	size_t plen = strlen(fi->path);
	const char *why = NULL;
	long last = -1;

	(void)c;
	if (strncmp(fi->path, "socket:[", 8) || fi->path[plen - 1] != ']')
		why = "its path is not the name of a socket inode";
	else if (!S_ISSOCK(f->mode))
		why = "its mode is not a socket's";
	else if (f->flags & ~(O_ACCMODE | O_NONBLOCK) ||
		 (f->flags & O_ACCMODE) != O_RDWR)
		why = "status flags it is not made with (O_RDWR, O_NONBLOCK)";
	else if (f->pos || f->size || f->data_size || f->seals ||
		 f->data_id || f->cflags)
		why = "a position, data, seals or flags of a socket";
	else if (f->owner_type > CRFS_OWNER_PGRP ||
		 !f->owner_type != !f->owner_pid || f->signo > CRFS_NSIG)
		why = "an owner type, owner or signal (F_SETOWN_EX, F_SETSIG) "
		      "fcntl() does not take";
	else if (!fi->inet)
		why = "no state";
	else
		why = cr_inet_state_why(fi->inet);
	if (!why)
		why = cr_inet_conn_why(fi);
	for (uint32_t i = 0; !why && i < fi->inet->nr_opts; i++)
		why = cr_inet_opt_why(fi, i, &last);
	if (!why)
		return 0;
	return cr_fail(e, EBADMSG, "file %u (socket): \"%.64s\": %s", f->id,
		       fi->path, why);
}
