// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The rules of img-check.c for unix sockets (FILE of kind UNIX, crfs.h):
 * the socket inode's name and type, the flags it is made with, its state
 * as socket(), socketpair(), setsockopt() and shutdown() take it again,
 * its queue as a send() per message makes it, and its peer: a socket of
 * the image whose peer it is, of its type (restore-pair.c makes both).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "rec.h"

/* Why the peer of connected socket @fi is wrong, or NULL. */
static const char *cr_unix_peer_why(const struct cr_chk *c,
				    const struct cr_file *fi)
{
	const struct crfs_file_unix *u = cr_unix_of(fi), *q;
	const struct cr_file *p = cr_model_file(c->m, u->peer_id);

	if (u->flags & CRFS_UNIX_F_PEER_CLOSED)
		return u->peer_ino || u->peer_id || u->type == SOCK_DGRAM ||
		       u->shutdown != (CRFS_UNIX_SHUT_RD | CRFS_UNIX_SHUT_WR) ||
		       ((u->flags & CRFS_UNIX_F_RESET) &&
			u->type == SOCK_SEQPACKET) ?
		       "a closed peer of a datagram socket, or with a peer, "
		       "not shut down both ways, or a seqpacket socket's "
		       "error" : NULL;
	if (!p || p == fi || p->f.kind != CRFS_FILE_UNIX)
		return "its peer_id names no other unix socket of the image";
	q = cr_unix_of(p);
	if (q->state != CRFS_UNIX_CONNECTED || q->peer_id != fi->f.id ||
	    q->peer_ino != u->ino || u->peer_ino != q->ino ||
	    q->type != u->type)
		return "its peer is not connected to it, or of another type";
	return NULL;
}

/* The first process of @m (its index) holding @f, or -1 (@f NULL). */
static int64_t cr_unix_first(const struct cr_model *m, const struct cr_file *f)
{
	for (uint32_t i = 0; f && i < m->nr_tasks; i++) {
		const struct cr_fdtable *fdt = m->tasks[i].fdt;

		if (m->tasks[i].t.state == CRFS_TASK_ZOMBIE)
			continue;
		for (uint32_t j = 0; fdt && j < fdt->nr_fds; j++)
			if (fdt->fds[j].d.file_id == f->f.id)
				return i;
	}
	return -1;
}

/* Is @f held by process @k of @m alone (the zombies hold nothing)? */
static bool cr_unix_held_by(const struct cr_model *m, const struct cr_file *f,
			    int64_t k)
{
	for (uint32_t i = 0; i < m->nr_tasks; i++) {
		const struct cr_fdtable *fdt = m->tasks[i].fdt;

		if (i == k || m->tasks[i].t.state == CRFS_TASK_ZOMBIE)
			continue;
		for (uint32_t j = 0; fdt && j < fdt->nr_fds; j++)
			if (fdt->fds[j].d.file_id == f->f.id)
				return false;
	}
	return true;
}

/* Does process @k of @m hold @f (a zombie holds nothing)? */
static bool cr_unix_holds(const struct cr_model *m, int64_t k,
			  const struct cr_file *f)
{
	const struct cr_fdtable *fdt = m->tasks[k].fdt;

	if (m->tasks[k].t.state == CRFS_TASK_ZOMBIE)
		return false;
	for (uint32_t j = 0; fdt && j < fdt->nr_fds; j++)
		if (fdt->fds[j].d.file_id == f->f.id)
			return true;
	return false;
}

/* Does another process of @m share the descriptor table of process @k? */
static bool cr_unix_fdt_shared(const struct cr_model *m, int64_t k)
{
	for (uint32_t i = 0; i < m->nr_tasks; i++)
		if (i != k && m->tasks[i].fdt && m->tasks[i].fdt == m->tasks[k].fdt)
			return true;
	return false;
}

/* cr_unix_xconn() of @fi whose listener's first holder is @lf. */
static int64_t cr_unix_xconn_lf(const struct cr_model *m,
				const struct cr_file *fi, int64_t lf)
{
	const struct crfs_unix_conn *c = cr_unix_conn_of(fi);
	const struct crfs_file_unix *u = cr_unix_of(fi);
	int64_t k;

	if (!c || !(u->flags & CRFS_UNIX_F_ACCEPTED) || u->cred_pid <= 0)
		return -1;
	k = cr_model_find(m, CR_K_TASK, (uint32_t)u->cred_pid);
	if (lf < 0 || k < 0 || k == lf ||
	    m->tasks[k].t.state == CRFS_TASK_ZOMBIE)
		return -1;
	return k;
}

int64_t cr_unix_xconn(const struct cr_model *m, const struct cr_file *fi)
{
	const struct crfs_unix_conn *c = cr_unix_conn_of(fi);

	if (!c)
		return -1;
	return cr_unix_xconn_lf(m, fi, cr_unix_first(m, cr_model_file(m,
				c->listen_id)));
}

/*
 * Why accepted socket @fi, connect()ed by process @k of @m (not @lf, the
 * first holding its listener), cannot be made again, or NULL.  The
 * restore connect()s in @k in its files step (so after @lf's, which made
 * the listener, its accepted connections and those waiting; the processes
 * after @k holding the client get it from @k), then @lf accept()s once
 * every process has its files, and each process holding the accepted
 * socket takes it from @lf (pidfd_getfd()).
 */
static const char *cr_unix_xconn_why(const struct cr_model *m,
				     const struct cr_file *fi, int64_t k,
				     int64_t lf)
{
	const struct crfs_file_unix *u = cr_unix_of(fi);
	const struct cr_file *p = cr_model_file(m, u->peer_id), *l;
	const struct crfs_unix_conn *c = cr_unix_conn_of(fi), *o;
	uint32_t n = 0;

	if (k < lf)
		return "accepted from a connect() of a process before the "
		       "first one holding its listening socket (a restore "
		       "connect()s again in that process, after the listener "
		       "is made)";
	/* No peer, not closed: not linked yet (res-unix.c asks again). */
	if (u->flags & CRFS_UNIX_F_PEER_CLOSED)
		return "accepted from a connect() of another process than the "
		       "first one holding its listening socket, its client "
		       "closed since";
	for (uint32_t i = 0; i < m->nr_tasks; i++)
		if ((i == k || i == lf || cr_unix_holds(m, i, fi)) &&
		    cr_unix_fdt_shared(m, i))
			return "accepted from a connect() of another process "
			       "than the first one holding its listening "
			       "socket, where that process, the one that "
			       "connect()ed or one holding the accepted socket "
			       "shares its descriptor table (CLONE_FILES)";
	if (p && cr_unix_first(m, p) != k)
		return "its client is held first by another process than the "
		       "one that connect()ed it, which its SO_PEERCRED names (a "
		       "restore connect()s it there, and hands it on only to "
		       "processes after it)";
	for (uint32_t i = 0; i < m->nr_files; i++) {
		const struct cr_file *w = &m->files[i];

		o = w->f.kind == CRFS_FILE_UNIX && w->ubuf ?
		    cr_unix_conn_of(w) : NULL;
		if (!o || o->listen_id != c->listen_id)
			continue;
		if (cr_unix_of(w)->flags & CRFS_UNIX_F_WAITING)
			return "accepted from a connect() of another process "
			       "than the first one holding its listening "
			       "socket, which has connections waiting in its "
			       "backlog: a restore makes those first, and "
			       "accept() would take them before it";
		/* Its listener's first holder is @lf: not looked for again. */
		n += cr_unix_xconn_lf(m, w, lf) >= 0;
	}
	l = cr_model_file(m, c->listen_id);
	if (l && l->f.kind == CRFS_FILE_UNIX && l->ubuf &&
	    n > (uint64_t)cr_unix_of(l)->backlog + 1)
		return "more connections of its listening socket accepted from "
		       "connect()s of other processes than its backlog holds "
		       "at once (a restore connect()s them all before the "
		       "first accept())";
	return NULL;
}

const char *cr_unix_maker_why(const struct cr_model *m,
			      const struct cr_file *fi)
{
	const struct crfs_unix_conn *c = cr_unix_conn_of(fi);
	const struct cr_file *l = c ? cr_model_file(m, c->listen_id) : NULL;
	const struct cr_file *p = cr_model_file(m, cr_unix_of(fi)->peer_id);
	int64_t a = cr_unix_first(m, fi), b = cr_unix_first(m, p), lf;

	if (!c)
		return NULL;
	lf = cr_unix_first(m, l);
	if (lf < 0 || a < lf || (p && b < lf))
		return "it (or its peer) is held by a process before the first "
		       "one holding its listening socket (which makes its "
		       "connections again)";
	a = cr_unix_xconn(m, fi);
	if (a >= 0)
		return cr_unix_xconn_why(m, fi, a, lf);
	/*
	 * A waiting one's other end (SO_PEERCRED after accept()) names the
	 * process that connect()ed, which Linux does not show before: taken
	 * as the one holding the listener first, if it alone holds the client.
	 */
	if ((cr_unix_of(fi)->flags & CRFS_UNIX_F_WAITING) &&
	    !cr_unix_held_by(m, fi, lf))
		return "a connection waiting in its backlog held by another "
		       "process than the first one holding the listener: the "
		       "process that connect()ed it, which its SO_PEERCRED "
		       "after accept() names, is not known before accept()";
	/*
	 * Its socket was made (socket(): the inode's owner, the fs ids then)
	 * under other ids than the process has now: it connect()ed under ids
	 * the restore cannot know, which a connect() under its euid and egid
	 * would not give back.
	 */
	if ((cr_unix_of(fi)->flags & CRFS_UNIX_F_WAITING) &&
	    (!m->tasks[lf].have_creds ||
	     fi->f.uid != m->tasks[lf].creds.euid ||
	     fi->f.gid != m->tasks[lf].creds.egid))
		return "a connection waiting in its backlog whose socket was "
		       "made under other ids than the euid and egid of the "
		       "process holding it: the ids it connect()ed under, "
		       "which its SO_PEERCRED after accept() names, are not "
		       "known before accept()";
	return NULL;
}

int64_t cr_unix_maker(const struct cr_model *m, const struct cr_file *fi)
{
	const struct crfs_unix_conn *c = cr_unix_conn_of(fi);
	const struct cr_file *p = cr_model_file(m, cr_unix_of(fi)->peer_id);
	int64_t a, b;

	if (!c && p && p->f.kind == CRFS_FILE_UNIX && p->ubuf)
		c = cr_unix_conn_of(p);
	else if (c && (a = cr_unix_xconn(m, fi)) >= 0)
		return a;
	if (c)
		return cr_unix_first(m, cr_model_file(m, c->listen_id));
	a = cr_unix_first(m, fi);
	b = cr_unix_first(m, p);
	a = b >= 0 && (a < 0 || b < a) ? b : a;
	/* A pair made by a process before its holders: made there again. */
	b = cr_unix_of(fi)->state == CRFS_UNIX_CONNECTED &&
	    cr_unix_of(fi)->cred_pid > 0 ?
	    cr_model_find(m, CR_K_TASK, (uint32_t)cr_unix_of(fi)->cred_pid) :
	    -1;
	return b >= 0 && m->tasks[b].t.state != CRFS_TASK_ZOMBIE &&
	       (a < 0 || b < a) ? b : a;
}

/* Do unix sockets @u and @o name the same SO_PEERCRED? */
static bool cr_unix_cred_same(const struct crfs_file_unix *u,
			      const struct crfs_file_unix *o)
{
	return u->cred_pid == o->cred_pid && u->cred_uid == o->cred_uid &&
	       u->cred_gid == o->cred_gid;
}

const char *cr_unix_cred_why(const struct cr_model *m,
			     const struct cr_file *fi)
{
	const struct crfs_file_unix *u = cr_unix_of(fi);
	const struct crfs_unix_conn *c = cr_unix_conn_of(fi);
	const struct cr_file *p = cr_model_file(m, u->peer_id), *l = NULL;
	bool unconn = u->state == CRFS_UNIX_UNCONN;
	int64_t k;

	if (p && (p->f.kind != CRFS_FILE_UNIX || !p->ubuf))
		p = NULL;
	if (!u->cred_pid)
		return unconn && !u->cred_uid && !u->cred_gid ? NULL :
		       "a listening or connected socket without SO_PEERCRED "
		       "(listen(), connect() and socketpair() give one), or "
		       "its ids without a pid";
	if (unconn || u->cred_pid < 0)
		return "SO_PEERCRED on a socket neither listening nor "
		       "connected (made again without one), or a negative pid";
	/* setresuid() and setresgid() take -1 as "unchanged". */
	if (u->cred_uid == UINT32_MAX || u->cred_gid == UINT32_MAX)
		return "SO_PEERCRED ids of -1";
	/* A client copied its listener's at connect() (a listen() after). */
	if (c && (u->flags & CRFS_UNIX_F_WAITING))
		l = cr_model_file(m, c->listen_id);
	else if (!c && p && cr_unix_conn_of(p))
		l = cr_model_file(m, cr_unix_conn_of(p)->listen_id);
	if (l && l->f.kind == CRFS_FILE_UNIX && l->ubuf &&
	    !cr_unix_cred_same(u, cr_unix_of(l)))
		return "the SO_PEERCRED of a client is not its listening "
		       "socket's (which connect() copies): the listener "
		       "listen()ed again since, as another process or ids";
	if (p && !c && !cr_unix_conn_of(p) &&
	    !cr_unix_cred_same(u, cr_unix_of(p)))
		return "the two ends of a pair name different SO_PEERCRED "
		       "(socketpair() gives both the same)";
	k = cr_unix_maker(m, fi);
	if (k >= 0 && m->tasks[k].t.pid != (uint32_t)u->cred_pid)
		return "SO_PEERCRED names a process other than the one that "
		       "makes it again (the first holding it or its peer, or, "
		       "for a connection, its listening socket)";
	return NULL;
}

/*
 * Why the connection @fi of a listening socket is wrong, or NULL: an
 * accepted socket has its listener's name and type, a waiting one is
 * alone at its place in the backlog, without a name, a peer or a queue.
 */
static const char *cr_unix_conn_why(const struct cr_chk *c,
				    const struct cr_file *fi)
{
	const struct crfs_file_unix *u = cr_unix_of(fi), *l;
	const struct crfs_unix_conn *cn = cr_unix_conn_of(fi), *o;
	const struct cr_file *lf, *p;

	if (!cn)
		return NULL;
	lf = cr_model_file(c->m, cn->listen_id);
	if ((u->flags & CRFS_UNIX_F_ACCEPTED) &&
	    (u->flags & CRFS_UNIX_F_WAITING))
		return "both accepted and waiting";
	if (u->state != CRFS_UNIX_CONNECTED || u->type == SOCK_DGRAM)
		return "a connection of a listener that is not a connected "
		       "stream or seqpacket socket";
	if (!lf || lf->f.kind != CRFS_FILE_UNIX || !lf->ubuf ||
	    cr_unix_of(lf)->state != CRFS_UNIX_LISTEN ||
	    cr_unix_of(lf)->ino != cn->listen_ino ||
	    cr_unix_of(lf)->type != u->type)
		return "its listen_id names no listening unix socket of its "
		       "type and listen_ino";
	l = cr_unix_of(lf);
	if ((u->flags & CRFS_UNIX_F_ACCEPTED) &&
	    (cn->seq || u->name_len != l->name_len ||
	     memcmp(u + 1, l + 1, u->name_len) || u->name_dev != l->name_dev ||
	     u->name_ino != l->name_ino || u->name_mode != l->name_mode ||
	     u->name_uid != l->name_uid || u->name_gid != l->name_gid))
		return "an accepted socket without its listener's name, or "
		       "with a place in its backlog";
	p = cr_model_file(c->m, u->peer_id);
	if (p && p->ubuf && (cr_unix_of(p)->name_len || cr_unix_of(p)->flags))
		return "an accepted socket whose peer has a name or flags";
	if ((u->flags & CRFS_UNIX_F_WAITING) &&
	    (!cn->seq || cn->seq > (uint64_t)l->backlog + 1 ||
	     u->flags != CRFS_UNIX_F_WAITING || u->name_len ||
	     u->nr_msgs || u->shutdown || u->peer_id || u->peer_ino))
		return "a waiting connection without a place in the backlog, "
		       "or with a name, a peer, a queue or a shutdown";
	for (uint32_t i = 0; (u->flags & CRFS_UNIX_F_WAITING) &&
	     i < c->m->nr_files; i++) {
		p = &c->m->files[i];
		o = p != fi && p->f.kind == CRFS_FILE_UNIX && p->ubuf ?
		    cr_unix_conn_of(p) : NULL;
		if (o && o->listen_id == cn->listen_id && o->seq == cn->seq)
			return "two waiting connections at one place in a "
			       "backlog";
	}
	return cr_unix_maker_why(c->m, fi);
}

/* Why the queue of @u is wrong, or NULL (cr_unix_read() framed it). */
static const char *cr_unix_queue_why(const struct crfs_file_unix *u)
{
	const char *p = (const char *)(u + 1) + cr_pad8(u->name_len);

	if (u->queued > CRFS_UNIX_QUEUE_MAX)
		return "more than CRFS_UNIX_QUEUE_MAX bytes queued";
	if (u->nr_msgs && u->state != CRFS_UNIX_CONNECTED &&
	    (u->state != CRFS_UNIX_UNCONN || u->type != SOCK_DGRAM ||
	     !u->name_len))
		return "messages queued on a socket that is neither connected "
		       "nor a bound datagram socket";
	if (u->nr_msgs && u->opts)
		return "messages queued with SO_PASSCRED or SO_PASSSEC on "
		       "(their credentials are not in the image)";
	if (u->type == SOCK_STREAM && u->nr_msgs > 1)
		return "a stream socket's queue in more than one message";
	for (uint32_t i = 0; i < u->nr_msgs; i++) {
		const struct crfs_unix_msg *m = (const void *)p;

		if (!m->len || m->__pad)
			return "an empty queued message, or padding";
		p += sizeof(*m) + cr_pad8(m->len);
	}
	return NULL;
}

/*
 * Why the name of @u is wrong, or NULL: a bound or listening socket's
 * abstract name or absolute path (with its socket file), none else.
 */
static const char *cr_unix_name_why(const struct crfs_file_unix *u)
{
	const char *n = (const char *)(u + 1);
	bool again = u->flags & CRFS_UNIX_F_RECONNECT;
	bool path = u->name_len && n[0];

	if (!u->name_len && (u->state == CRFS_UNIX_LISTEN || u->backlog))
		return "a listening socket without a name";
	if (u->state != CRFS_UNIX_LISTEN && u->backlog)
		return "a backlog of a socket that is not listening";
	if (u->name_len && u->state == CRFS_UNIX_CONNECTED &&
	    !(u->flags & CRFS_UNIX_F_ACCEPTED))
		return "a name of a connected socket not accepted from a "
		       "listening socket (not supported by this version)";
	if (u->state == CRFS_UNIX_LISTEN && u->type == SOCK_DGRAM)
		return "a listening datagram socket";
	if (u->backlog > INT_MAX)
		return "a backlog listen() does not take";
	if (path && (n[0] != '/' ||
		     memchr(n, 0, u->name_len) != n + u->name_len - 1))
		return "a path name that is not absolute and NUL-terminated";
	if (path && !again && (!S_ISSOCK(u->name_mode) || !u->name_ino))
		return "a path name without its socket file";
	if ((!path || again) && (u->name_dev || u->name_ino || u->name_mode ||
		      u->name_uid || u->name_gid))
		return "a socket file without a path name";
	return NULL;
}

/* Why the state of unix socket @fi is wrong, or NULL. */
static const char *cr_unix_state_why(const struct cr_chk *c,
				     const struct cr_file *fi)
{
	const struct crfs_file_unix *u = cr_unix_of(fi);
	const char *why;
	char name[48];

	snprintf(name, sizeof(name), "socket:[%" PRIu64 "]", (uint64_t)u->ino);
	if (strcmp(fi->path, name) || !u->ino)
		return "its path is not the name of its socket inode";
	if (u->type != SOCK_STREAM && u->type != SOCK_DGRAM &&
	    u->type != SOCK_SEQPACKET)
		return "a type socketpair() does not make";
	if (u->state != CRFS_UNIX_UNCONN && u->state != CRFS_UNIX_CONNECTED &&
	    u->state != CRFS_UNIX_LISTEN)
		return "an unknown state";
	why = cr_unix_name_why(u);
	if (why)
		return why;
	if ((u->shutdown & ~(CRFS_UNIX_SHUT_RD | CRFS_UNIX_SHUT_WR)) ||
	    (u->opts & ~(CRFS_UNIX_O_PASSCRED | CRFS_UNIX_O_PASSSEC)))
		return "unknown shutdown or option bits";
	if (u->peek_off < -1 || u->sndbuf > INT_MAX || u->rcvbuf > INT_MAX)
		return "a peek offset or buffer size setsockopt() does not "
		       "take";
	if (u->rcvtimeo_ns > (uint64_t)INT64_MAX ||
	    u->sndtimeo_ns > (uint64_t)INT64_MAX)
		return "a timeout beyond a struct timeval";
	if (u->state != CRFS_UNIX_CONNECTED && (u->peer_ino || u->peer_id))
		return "a peer of an unconnected socket";
	if ((u->flags & ~(CRFS_UNIX_F_PEER_CLOSED | CRFS_UNIX_F_RESET |
			  CRFS_UNIX_F_PEER_OUTSIDE | CRFS_UNIX_F_RECONNECT |
			  CRFS_UNIX_F_ACCEPTED | CRFS_UNIX_F_WAITING)) ||
	    ((u->flags & (CRFS_UNIX_F_RESET |
				      CRFS_UNIX_F_PEER_OUTSIDE)) &&
			 !(u->flags & CRFS_UNIX_F_PEER_CLOSED)) ||
	    ((u->flags & ~CRFS_UNIX_F_RECONNECT) &&
	     u->state != CRFS_UNIX_CONNECTED))
		return "unknown flags, padding, or a closed peer of a socket "
		       "that is not connected";
	if ((u->flags & CRFS_UNIX_F_RECONNECT) &&
	    (u->flags != CRFS_UNIX_F_RECONNECT || u->type != SOCK_DGRAM ||
	     u->state != CRFS_UNIX_UNCONN || !u->name_len || u->nr_msgs))
		return "a name to connect to again on a socket that is not an "
		       "unconnected datagram socket without a queue";
	/* A connection of a listener is made again with its client. */
	if ((u->flags & CRFS_UNIX_F_PEER_OUTSIDE) &&
	    (u->flags & (CRFS_UNIX_F_ACCEPTED | CRFS_UNIX_F_WAITING)))
		return "a connection of a listener whose client is outside "
		       "the container made again by connect()";
	if (u->state == CRFS_UNIX_CONNECTED &&
	    !(u->flags & CRFS_UNIX_F_WAITING)) {
		why = cr_unix_peer_why(c, fi);
		if (why)
			return why;
	}
	why = cr_unix_conn_why(c, fi);
	if (why)
		return why;
	why = cr_unix_cred_why(c->m, fi);
	if (why)
		return why;
	return cr_unix_queue_why(u);
}

int cr_img_unix_check(const struct cr_chk *c, const struct cr_file *fi,
		      struct cr_err *e)
{
	const struct crfs_file *f = &fi->f;
	const char *why = NULL;

	if (!fi->ubuf)
		why = "no state after its path";
	else if ((f->mode & S_IFMT) != S_IFSOCK)
		why = "its mode is not a socket's";
	else if ((f->flags & ~(O_ACCMODE | O_NONBLOCK | O_ASYNC)) ||
		 (f->flags & O_ACCMODE) != O_RDWR)
		why = "status flags it is not made with (O_RDWR, O_NONBLOCK, "
		      "O_ASYNC)";
	else if (f->pos || f->size || f->data_size || f->seals ||
		 f->data_id || f->cflags)
		why = "a position, data, seals or flags of a socket";
	else if (f->owner_type > CRFS_OWNER_PGRP ||
		 !f->owner_type != !f->owner_pid || f->signo > CRFS_NSIG)
		why = "an owner type, owner or signal (F_SETOWN_EX, F_SETSIG) "
		      "fcntl() does not take";
	else
		why = cr_unix_state_why(c, fi);
	if (!why)
		return 0;
	return cr_fail(e, EBADMSG, "file %u (unix socket): \"%.64s\": %s",
		       f->id, fi->path, why);
}
