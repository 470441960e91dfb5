// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "unix", phase 2 (res-unix.c probes each socket): the
 * checks of the container's unix sockets as a whole.  Each connected
 * socket's peer must be a socket of the container whose peer it is; one
 * outside is refused, or with the container's peers file close or keep,
 * a stream or seqpacket socket is kept as an end whose peer has gone
 * (cr_unix_gone()) and a datagram socket as one connected again to its
 * peer's name (cr_unix_reconnect()); an accepted socket's listener (the
 * one of its name) and a waiting one's (UNIX_DIAG_ICONS) must be too,
 * held first by a process no later than theirs (it makes them again).
 * SO_PEERCRED (its pid as the container sees it, euid, egid) must be one
 * a restore gives again (unix_check_cred(), cr_unix_cred_why()), and
 * SO_PEERGROUPS the groups of the process that makes the socket again.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "dump.h"
#include "proc.h"
#include "rec.h"
#include "restore.h"
#include "unix.h"

/* The process outside container @d holding socket @ino, in @comm. */
static pid_t cr_unix_outside(const struct cr_dump *d, uint64_t ino,
			     char *comm, size_t len)
{
	char link[48];

	snprintf(link, sizeof(link), "socket:[%llu]", (unsigned long long)ino);
	return cr_files_holder(d->pids, d->nr_tasks, link, comm, len);
}

/*
 * Connected socket @f, whose peer is outside, as an end whose peer has
 * gone (peers close or keep): no name, no peer, shut down both ways, its
 * queue kept; the restore closes the other end of the pair it makes.
 */
static int cr_unix_gone(struct cr_file *f, struct cr_err *e)
{
	struct crfs_file_unix *u = f->ubuf;
	size_t skip = cr_pad8(u->name_len);
	/* an accepted socket's listener is no business of a gone end */
	size_t rest = f->ulen - sizeof(*u) - skip -
		      (cr_unix_conn_of(f) ? sizeof(struct crfs_unix_conn) : 0);
	char *buf = calloc(1, sizeof(*u) + rest);

	if (!buf)
		return cr_fail(e, ENOMEM, "out of memory");
	u->flags = CRFS_UNIX_F_PEER_CLOSED | CRFS_UNIX_F_PEER_OUTSIDE;
	u->name_len = 0;
	u->name_dev = u->name_ino = 0;
	u->name_mode = u->name_uid = u->name_gid = 0;
	u->peer_ino = 0;
	u->peer_id = 0;
	u->shutdown = CRFS_UNIX_SHUT_RD | CRFS_UNIX_SHUT_WR;
	memcpy(buf, u, sizeof(*u));
	memcpy(buf + sizeof(*u), (char *)f->ubuf + sizeof(*u) + skip, rest);
	free(f->ubuf);
	f->ubuf = buf;
	f->ulen = sizeof(*u) + rest;
	return 0;
}

/*
 * Connected datagram socket @f of @pid, whose peer @ino is outside, as a
 * socket connect()ed again to the peer's name at restore (peers close or
 * keep); else refused, naming the name.
 */
static int cr_unix_reconnect(pid_t pid, unsigned int fd, struct cr_file *f,
			     struct cr_err *e)
{
	struct crfs_file_unix *u = f->ubuf, n;
	struct cr_file tf = { .why = NULL };
	struct cr_unix_diag pd;
	const char *why = NULL;
	char *buf;

	if (cr_unix_diag(u->peer_ino, &pd))
		pd.name_len = 0;
	if (u->name_len)
		why = "it has a name of its own (a restore would connect it "
		      "from that name): not supported";
	else if (u->nr_msgs)
		why = "datagrams from the socket outside are queued on it (a "
		      "restore could not send them from that socket)";
	else if (!pd.name_len || pd.name_len > CRFS_UNIX_NAME_MAX)
		why = "the socket outside has no name to connect to again";
	else if (pd.name[0])
		cr_unix_path(pid, &pd, &n, &tf);
	if (!why && tf.why)
		why = "its name no longer leads to the socket outside "
		      "(removed or replaced): a restore could not connect to it "
		      "again";
	if (why)
		return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s: a datagram "
			       "socket connected to socket:[%llu] outside the "
			       "container, %s%.*s: %s", pid, fd, f->path,
			       (unsigned long long)u->peer_ino,
			       pd.name_len && pd.name[0] ? "" : "@",
			       pd.name_len ? (int)pd.name_len - 1 : 0,
			       pd.name_len && pd.name[0] ? pd.name :
			       pd.name + 1, why);
	buf = calloc(1, sizeof(*u) + cr_pad8(pd.name_len));
	if (!buf)
		return cr_fail(e, ENOMEM, "out of memory");
	u->state = CRFS_UNIX_UNCONN;
	u->peer_ino = 0;
	u->peer_id = 0;
	u->flags = CRFS_UNIX_F_RECONNECT;
	u->name_len = pd.name_len;
	u->name_dev = u->name_ino = 0;
	u->name_mode = u->name_uid = u->name_gid = 0;
	memcpy(buf, u, sizeof(*u));
	memcpy(buf + sizeof(*u), pd.name, pd.name_len);
	free(f->ubuf);
	f->ubuf = buf;
	f->ulen = sizeof(*u) + cr_pad8(pd.name_len);
	return 0;
}

/*
 * The sockets waiting in the backlog of listening socket @ino, in order
 * (UNIX_DIAG_ICONS), into *@icons (to be freed), *@nr; -errno.
 */
static int cr_unix_icons(uint64_t ino, uint32_t **icons, uint32_t *nr)
{
	const size_t cap = 1U << 20;
	const struct nlmsghdr *h;
	char *buf = malloc(cap);
	int len, ret;

	*icons = NULL;
	*nr = 0;
	if (!buf)
		return -ENOMEM;
	ret = cr_unix_diag_ask(ino, UDIAG_SHOW_ICONS, buf, cap, &h);
	if (ret)
		goto out;
	len = h->nlmsg_len - NLMSG_LENGTH(sizeof(struct unix_diag_msg));
	for (const struct nlattr *a = (const void *)((const char *)
			NLMSG_DATA(h) + sizeof(struct unix_diag_msg));
	     len >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) &&
	     a->nla_len <= len;
	     len -= NLA_ALIGN(a->nla_len),
	     a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len))) {
		if (a->nla_type != UNIX_DIAG_ICONS || *icons)
			continue;
		*nr = (a->nla_len - NLA_HDRLEN) / 4;
		*icons = malloc(*nr * 4 + 4);
		if (!*icons) {
			*nr = 0;
			ret = -ENOMEM;
			break;
		}
		memcpy(*icons, (const char *)a + NLA_HDRLEN, *nr * 4);
	}
out:
	free(buf);
	return ret;
}

/* The listening socket of @m whose name is accepted socket @u's, or NULL. */
static const struct cr_file *cr_unix_listener(const struct cr_model *m,
					      const struct crfs_file_unix *u)
{
	for (uint32_t i = 0; i < m->nr_files; i++) {
		const struct crfs_file_unix *l = cr_unix_of(&m->files[i]);

		if (m->files[i].f.kind == CRFS_FILE_UNIX && l &&
		    l->state == CRFS_UNIX_LISTEN && l->type == u->type &&
		    l->name_len == u->name_len && l->name_ino == u->name_ino &&
		    l->name_dev == u->name_dev &&
		    !memcmp(l + 1, u + 1, u->name_len))
			return &m->files[i];
	}
	return NULL;
}

/*
 * Phase 2: the listening socket of accepted or waiting socket @f (fd @fd
 * of @dt), found in the container, and its process the one that can make
 * it again; listening socket @f's waiting connections all held in the
 * container, each at its place.
 */
static int unix_check_conn(struct cr_dump *d, struct cr_dtask *dt,
			   uint32_t fd, struct cr_file *f, struct cr_err *e)
{
	struct crfs_unix_conn *c = cr_unix_conn_of(f);
	const struct crfs_file_unix *u = f->ubuf;
	const struct cr_file *l, *w;
	char comm[CRFS_COMM_LEN];
	uint32_t *icons, nr;
	const char *why;
	pid_t other;
	int ret;

	if (u->state == CRFS_UNIX_LISTEN) {
		ret = cr_unix_icons(u->ino, &icons, &nr);
		if (ret)
			return cr_fail(e, -ret, "pid %d: fd %u: %s: cannot tell "
				       "the connections waiting in its backlog: "
				       "%s", dt->pid, fd, f->path,
				       strerror(-ret));
		for (uint32_t i = 0; i < nr; i++) {
			w = cr_unix_find(&d->m, icons[i]);
			if (w && cr_unix_conn_of(w) &&
			    cr_unix_conn_of(w)->listen_ino == u->ino &&
			    cr_unix_conn_of(w)->seq == i + 1)
				continue;
			nr = icons[i];
			free(icons);
			other = cr_unix_outside(d, nr, comm,
						sizeof(comm));
			if (other)
				return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: "
					       "%s: the socket:[%u] waiting in "
					       "its backlog is held by pid %d "
					       "(%s), outside the container",
					       dt->pid, fd, f->path,
					       nr, other, comm);
			return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s: a "
				       "connection waiting in its backlog "
				       "(socket:[%u]) is held by no process of "
				       "the container (closed by its client, or "
				       "outside it)", dt->pid, fd, f->path,
				       nr);
		}
		free(icons);
		return 0;
	}
	if (!c)
		return 0;
	/* A client outside, with peers close or keep: a gone end below. */
	if ((u->flags & CRFS_UNIX_F_ACCEPTED) && d->peers != CR_PEERS_REFUSE &&
	    !(u->flags & CRFS_UNIX_F_PEER_CLOSED) && u->peer_ino &&
	    !cr_unix_find(&d->m, u->peer_ino))
		return 0;
	l = u->flags & CRFS_UNIX_F_WAITING ? cr_unix_find(&d->m, c->listen_ino) :
					     cr_unix_listener(&d->m, u);
	if (!l && (u->flags & CRFS_UNIX_F_WAITING)) {
		other = cr_unix_outside(d, c->listen_ino, comm,
					sizeof(comm));
		return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s: waits in the "
			       "backlog of listening socket:[%llu], held by %s "
			       "%d (%s)", dt->pid, fd, f->path,
			       (unsigned long long)c->listen_ino,
			       other ? "pid" : "no process of the container, "
			       "nor", other, other ? comm : "?");
	}
	if (!l)
		return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s: a connected "
			       "unix socket with a name, bound before it "
			       "connected, or accepted from a listening socket "
			       "that is closed or outside the container: not "
			       "supported yet", dt->pid, fd, f->path);
	c->listen_ino = cr_unix_of(l)->ino;
	c->listen_id = l->f.id;
	why = cr_unix_maker_why(&d->m, f);
	if (why)
		return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s: a connection "
			       "of listening %s: %s: not supported yet",
			       dt->pid, fd, f->path, l->path, why);
	return 0;
}

/*
 * Unix socket @f, or NULL (@f NULL, or not one, or its SO_PEERCRED a
 * process of @d: its pid the host's like the model's, until
 * cr_dump_tree_views() gives every pid the container's view).
 */
static const struct cr_file *cr_unix_cred_host(const struct cr_dump *d,
					       struct cr_file *f)
{
	if (!f || f->f.kind != CRFS_FILE_UNIX || !f->ubuf || !f->ucred_host)
		return NULL;
	if (f->ucred_dead || !cr_dump_tree_view(d, f->ucred_host))
		return f;
	((struct crfs_file_unix *)f->ubuf)->cred_pid = f->ucred_host;
	f->ucred_host = 0;
	return NULL;
}

/* Why SO_PEERCRED of @f names no process of @d, in @buf. */
static const char *cr_unix_cred_stray(const struct cr_file *f, char *buf,
				      size_t len)
{
	if (f->ucred_host < 0)
		snprintf(buf, len, "a process the checkpoint does not see "
			 "(of another pid namespace)");
	else
		snprintf(buf, len, "pid %d (as crfs sees it), %s", f->ucred_host,
			 f->ucred_dead ? "which has exited" :
			 "which is not a process of the container");
	return buf;
}

/* Are @f's SO_PEERGROUPS the supplementary groups of @t? */
static bool cr_unix_groups_same(const struct cr_file *f,
				const struct cr_task *t)
{
	uint32_t n = t->creds.ngroups, *g;
	bool same;

	if (n != f->nr_ugroups)
		return false;
	if (!n)
		return true;
	g = malloc(n * sizeof(uint32_t));
	if (!g)
		return false;
	memcpy(g, t->groups, n * sizeof(uint32_t));
	qsort(g, n, sizeof(uint32_t), cr_unix_gid_cmp);
	same = !memcmp(g, f->ugroups, n * sizeof(uint32_t));
	free(g);
	return same;
}

/*
 * Phase 2, after unix_check()'s changes: the SO_PEERCRED of each unix
 * socket of @dt as the container sees it, one a restore gives again
 * (cr_unix_cred_why()); an end whose peer was outside (peers close or
 * keep) names the process making it again, with its ids; one connected
 * again to a name outside none (a datagram connect() gives none).
 */
static int unix_check_cred(struct cr_dump *d, struct cr_dtask *dt,
			   struct cr_err *e)
{
	const struct cr_fdtable *fdt = dt->t->fdt;
	struct cr_model *m = &d->m;

	for (uint32_t i = 0; fdt && i < fdt->nr_fds; i++) {
		struct cr_file *f = cr_model_file(m, fdt->fds[i].d.file_id);
		const struct crfs_unix_conn *c;
		const struct cr_file *x;
		struct crfs_file_unix *u;
		struct cr_file *p;
		const char *why;
		char buf[128];
		int64_t k;

		if (!f || f->f.kind != CRFS_FILE_UNIX || !f->ubuf)
			continue;
		u = f->ubuf;
		if (u->flags & (CRFS_UNIX_F_PEER_OUTSIDE |
				CRFS_UNIX_F_RECONNECT)) {
			k = u->flags & CRFS_UNIX_F_RECONNECT ? -1 :
			    cr_unix_maker(m, f);
			u->cred_pid = k < 0 ? 0 : (int32_t)m->tasks[k].t.pid;
			u->cred_uid = k < 0 ? 0 : m->tasks[k].creds.euid;
			u->cred_gid = k < 0 ? 0 : m->tasks[k].creds.egid;
			f->ucred_host = 0;
			continue;
		}
		p = cr_model_file(m, u->peer_id);
		c = cr_unix_conn_of(f) ?:
		    (p && p->ubuf ? cr_unix_conn_of(p) : NULL);
		x = cr_unix_cred_host(d, f) ?:
		    cr_unix_cred_host(d, p) ?:
		    (c ? cr_unix_cred_host(d, cr_model_file(m, c->listen_id)) :
			 NULL);
		if (x)
			return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s: "
				       "SO_PEERCRED of %s%s names %s: a restore "
				       "cannot make it in that process's name",
				       dt->pid, fdt->fds[i].d.fd, f->path,
				       x == f ? "it" : x->path,
				       x == f ? "" : (c && x->f.id ==
						      c->listen_id ?
						      " (its listener)" :
						      " (its peer)"),
				       cr_unix_cred_stray(x, buf, sizeof(buf)));
		why = cr_unix_cred_why(m, f);
		if (why)
			return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s: "
				       "SO_PEERCRED names pid %d (uid %u, gid "
				       "%u): %s", dt->pid, fdt->fds[i].d.fd,
				       f->path, u->cred_pid, u->cred_uid,
				       u->cred_gid, why);
		/*
		 * One accepted from another process's connect() (its
		 * SO_PEERCRED and peer known now): made again as it says?
		 */
		c = cr_unix_conn_of(f);
		why = c && cr_unix_xconn(m, f) >= 0 ? cr_unix_maker_why(m, f) :
		      NULL;
		if (why)
			return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s: a "
				       "connection of listening %s: %s: not "
				       "supported yet", dt->pid,
				       fdt->fds[i].d.fd, f->path,
				       cr_model_file(m, c->listen_id) ?
				       cr_model_file(m, c->listen_id)->path :
				       "socket", why);
		k = u->cred_pid ? cr_unix_maker(m, f) : -1;
		if (k >= 0 && !cr_unix_groups_same(f, &m->tasks[k]))
			return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s: "
				       "SO_PEERGROUPS names %u supplementary "
				       "groups, not those of pid %u, which "
				       "makes it again (%u; a restore gives "
				       "its own)", dt->pid, fdt->fds[i].d.fd,
				       f->path, f->nr_ugroups,
				       m->tasks[k].t.pid,
				       m->tasks[k].creds.ngroups);
	}
	return 0;
}

/*
 * Phase 2 (the model complete): each connected socket's peer is a socket
 * of the container whose peer it is, first held by the same process; a
 * stream or seqpacket socket whose peer is outside, refused, or with the
 * container's peers file close or keep, an end whose peer has gone.
 */
static int unix_check(struct cr_dump *d, struct cr_dtask *dt,
		      struct cr_err *e)
{
	const struct cr_fdtable *fdt = dt->t->fdt;

	for (uint32_t i = 0; fdt && i < fdt->nr_fds; i++) {
		struct cr_file *f = cr_model_file(&d->m, fdt->fds[i].d.file_id);
		const struct cr_file *p;
		struct crfs_file_unix *u;
		char comm[CRFS_COMM_LEN];
		pid_t other;
		int ret;

		if (!f || f->f.kind != CRFS_FILE_UNIX)
			continue;
		u = f->ubuf;
		ret = unix_check_conn(d, dt, fdt->fds[i].d.fd, f, e);
		if (ret)
			return ret;
		/* Another owner given with CAP_CHOWN (an accepted: none). */
		if (u->name_len && ((const char *)(u + 1))[0] &&
		    (((u->name_uid != dt->t->creds.fsuid ||
		       u->name_gid != dt->t->creds.fsgid) &&
		      !(u->flags & CRFS_UNIX_F_ACCEPTED) &&
		      !(dt->t->creds.cap_eff & (1ULL << CR_CAP_CHOWN))) ||
		     !dt->t->fs || !dt->t->fs->root ||
		     strcmp(dt->t->fs->root->path, "/")))
			return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s: its "
				       "socket file %s is owned by %u:%u, not "
				       "the process's fsuid and fsgid (and it "
				       "has no CAP_CHOWN), or the "
				       "process has a root of its own: a "
				       "restore could not bind it as it was",
				       dt->pid, fdt->fds[i].d.fd, f->path,
				       (const char *)(u + 1), u->name_uid,
				       u->name_gid);
		if (u->state != CRFS_UNIX_CONNECTED ||
		    (u->flags & (CRFS_UNIX_F_PEER_CLOSED |
				 CRFS_UNIX_F_WAITING)))
			continue;
		p = cr_unix_find(&d->m, u->peer_ino);
		if (!p) {
			other = cr_unix_outside(d, u->peer_ino, comm,
						sizeof(comm));
			if (other && d->peers != CR_PEERS_REFUSE) {
				int ret = u->type == SOCK_DGRAM ?
					  cr_unix_reconnect(dt->pid,
							    fdt->fds[i].d.fd,
							    f, e) :
					  cr_unix_gone(f, e);

				if (ret)
					return ret;
				continue;
			}
			if (other)
				return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: "
					       "%s: its peer socket:[%llu] is "
					       "held by pid %d (%s), outside "
					       "the container%s", dt->pid,
					       fdt->fds[i].d.fd, f->path,
					       (unsigned long long)u->peer_ino,
					       other, comm,
					       u->type == SOCK_DGRAM ?
					       " (echo close > peers of the "
					       "container: connected again to "
					       "its name at restore)" :
					       " (echo close > peers of the "
					       "container: restored as an end "
					       "whose peer has gone)");
			return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s: its "
				       "peer socket:[%llu] is held by no "
				       "process of the container (in flight, "
				       "or outside it)", dt->pid,
				       fdt->fds[i].d.fd, f->path,
				       (unsigned long long)u->peer_ino);
		}
		if (cr_unix_of(p)->peer_ino != u->ino)
			return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s: "
				       "connected to %s, which is not connected "
				       "back (a datagram socket's connect() to a "
				       "name): not supported yet", dt->pid,
				       fdt->fds[i].d.fd, f->path, p->path);
		u->peer_id = p->f.id;
	}
	return unix_check_cred(d, dt, e);
}

const struct cr_res_ops cr_res_unix = {
	.name		= "unix",
	.check		= unix_check,
};
