// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unix sockets made again (FILEs of kind UNIX, crfs.h; res-unix.c reads
 * them), in the "files" row's child step, raw system calls: a connected
 * socket and its peer are a pair (restore-pair.c): the first process
 * holding either end makes both with socketpair(), writes each end's
 * queue through the other (one send() per datagram), then sets the
 * options and shuts down what was (cr_rst_unix_pair()); later processes
 * get the ends they hold passed.  An unconnected socket is a socket(),
 * bound (an abstract name as the restorer, a path as the process), then
 * listening if it was, its datagrams sent to its name again from a socket
 * without a name, and shut down as it was (cr_rst_unix_make(),
 * cr_rst_unix_bind()).
 *
 * The connections of a listening socket are made by the first process
 * holding it (cr_rst_unix_plan(): restore-pair.c's maker of their pairs,
 * CR_RF_PAIR entries for those only later processes hold), once its
 * listeners are in place (restore-files.c's first pass): each accepted
 * one by a connect() to the listener's name and an accept(), with its
 * queues as a pair's (cr_rst_unix_accept()); then those waiting in the
 * backlog, connect()ed in their order (cr_rst_unix_waiting()), under the
 * process's euid and egid: the process that connect()ed a waiting one,
 * which its other end names after accept(), is the one holding it alone
 * and its listener first (img-check-unix.c; others are refused).
 *
 * A connection accepted from another process's connect() (cr_unix_xconn():
 * its accepted end's SO_PEERCRED names that process) is connect()ed again
 * by that process in its own files step, under the ids its accepted end
 * names (cr_rst_unix_xdial()); its accepted end is left out of every
 * files step (xlate) and accept()ed by the listener's first holder once
 * every process has its files and memory, handed to its holders by
 * injected calls, and given its state with the client's by the restorer
 * (restore-xconn.c).
 *
 * SO_PEERCRED: the socketpair(), listen() or connect() that sets it is
 * made under the euid and egid recorded (cr_rst_unix_as(), this thread
 * only, then back), in the process the image's rule names
 * (cr_unix_maker(): img-check-unix.c), which may hold neither end of a
 * pair it makes (cr_rst_unix_pairs(): passed on to the holders).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <linux/capability.h>

#include "restore.h"

#define CR_NS			1000000000ULL

/* setsockopt() of an int, raw. */
static long cr_rst_unix_set(long sk, int name, int v)
{
	return syscall(SYS_setsockopt, sk, SOL_SOCKET, name, &v, sizeof(v));
}

/* The thread's ids while a socket is made under those of its SO_PEERCRED. */
struct cr_rst_unix_ids {
	uid_t				r, e, s;
	gid_t				rg, eg, sg;
	long				fsuid, fsgid;
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	cap[2];
	bool				moved;
};

/*
 * The ids @old back after cr_rst_unix_as() below (the euid first: back to the
 * restorer's, it gives the capabilities to set the others); -1 and errno.
 */
static long cr_rst_unix_back(const struct cr_rst_unix_ids *old)
{
	long now;

	if (!old->moved)
		return 0;
	if (syscall(SYS_setresuid, -1, old->e, -1) ||
	    syscall(SYS_setresgid, -1, old->eg, -1))
		return -1;
	syscall(SYS_setfsuid, old->fsuid);
	syscall(SYS_setfsgid, old->fsgid);
	now = syscall(SYS_setfsuid, -1);
	if (now != old->fsuid || syscall(SYS_setfsgid, -1) != old->fsgid) {
		errno = EPERM;
		return -1;
	}
	return syscall(SYS_capset, &old->hdr, old->cap) ? -1 : 0;
}

/*
 * Give the thread euid @uid and egid @gid for the one call that sets an
 * SO_PEERCRED (socketpair(), listen() or connect()): its ids, fs ids and
 * capabilities kept in @old first; -1 and errno (then as before).
 */
static long cr_rst_unix_as_ids(uint32_t uid, uint32_t gid,
			       struct cr_rst_unix_ids *old)
{
	struct __user_cap_data_struct all[2];
	int err;

	old->moved = false;
	if (syscall(SYS_getresuid, &old->r, &old->e, &old->s) ||
	    syscall(SYS_getresgid, &old->rg, &old->eg, &old->sg))
		return -1;
	if (old->e == uid && old->eg == gid)
		return 0;
	/* An invalid id changes nothing and tells the current one. */
	old->fsuid = syscall(SYS_setfsuid, -1);
	old->fsgid = syscall(SYS_setfsgid, -1);
	old->hdr = (struct __user_cap_header_struct){
		.version = _LINUX_CAPABILITY_VERSION_3 };
	if (syscall(SYS_capget, &old->hdr, old->cap))
		return -1;
	old->moved = true;
	/* The restorer's capabilities to change ids (the task's may lack). */
	for (int i = 0; i < 2; i++) {
		all[i] = old->cap[i];
		all[i].effective = old->cap[i].permitted;
	}
	if (!syscall(SYS_capset, &old->hdr, all) &&
	    !syscall(SYS_setresgid, -1, gid, -1) &&
	    !syscall(SYS_setresuid, -1, uid, -1)) {
		/*
		 * The fs ids as they were (SO_PEERCRED takes none of them):
		 * a connect() resolves the listener's path as before, as the
		 * restorer (the real uid lets it, with the fs capabilities).
		 */
		syscall(SYS_setfsuid, old->fsuid);
		syscall(SYS_setfsgid, old->fsgid);
		return 0;
	}
	err = errno;
	cr_rst_unix_back(old);
	errno = err;
	return -1;
}

/*
 * Give the thread the euid and egid that SO_PEERCRED of @fi names (none:
 * kept), as cr_rst_unix_as_ids().
 */
static long cr_rst_unix_as(const struct cr_file *fi, struct cr_rst_unix_ids *old)
{
	const struct crfs_file_unix *u = cr_unix_of(fi);

	old->moved = false;
	if (!u->cred_pid)
		return 0;
	return cr_rst_unix_as_ids(u->cred_uid, u->cred_gid, old);
}

/* Write queue @fi of the socket at @to through its peer @from. */
static long cr_rst_unix_fill(long from, const struct cr_file *fi)
{
	const struct crfs_file_unix *u = cr_unix_of(fi);
	const char *p = (const char *)(u + 1) + cr_pad8(u->name_len);

	for (uint32_t i = 0; i < u->nr_msgs; i++) {
		const struct crfs_unix_msg *m = (const void *)p;
		const char *data = p + sizeof(*m);
		uint32_t done = 0;

		do {
			long n = syscall(SYS_sendto, from, data + done,
					 m->len - done,
					 MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0);

			if (n < 0)
				return -1;
			done += n;
		} while (done < m->len && u->type == SOCK_STREAM);
		if (done != m->len) {
			errno = EMSGSIZE;
			return -1;
		}
		p = data + cr_pad8(m->len);
	}
	return 0;
}

/* Room to write @fi's queue into it through @from: its buffers forced. */
static long cr_rst_unix_room(long from, long to, const struct cr_file *fi)
{
	int room = (int)(cr_unix_of(fi)->queued * 2 + (1 << 20));

	if (!cr_unix_of(fi)->nr_msgs)
		return 0;
	if (cr_rst_unix_set(from, SO_SNDBUFFORCE, room) ||
	    cr_rst_unix_set(to, SO_RCVBUFFORCE, room))
		return -1;
	return 0;
}

/* The shutdown state of @fi on @sk, once its queue is written. */
static long cr_rst_unix_shut(long sk, const struct cr_file *fi)
{
	static const int how[] = { -1, SHUT_RD, SHUT_WR, SHUT_RDWR };
	const struct crfs_file_unix *u = cr_unix_of(fi);

	if (u->shutdown && syscall(SYS_shutdown, sk, how[u->shutdown & 3]))
		return -1;
	return 0;
}

/* The options of @fi on @sk. */
static long cr_rst_unix_opts(long sk, const struct cr_file *fi)
{
	const struct crfs_file_unix *u = cr_unix_of(fi);
	struct timeval rcv = { u->rcvtimeo_ns / CR_NS,
			       (u->rcvtimeo_ns % CR_NS) / 1000 };
	struct timeval snd = { u->sndtimeo_ns / CR_NS,
			       (u->sndtimeo_ns % CR_NS) / 1000 };

	/* getsockopt() told twice what setsockopt() takes. */
	if (cr_rst_unix_set(sk, SO_SNDBUFFORCE, u->sndbuf / 2) ||
	    cr_rst_unix_set(sk, SO_RCVBUFFORCE, u->rcvbuf / 2) ||
	    cr_rst_unix_set(sk, SO_PASSCRED,
			    !!(u->opts & CRFS_UNIX_O_PASSCRED)) ||
	    cr_rst_unix_set(sk, SO_PASSSEC,
			    !!(u->opts & CRFS_UNIX_O_PASSSEC)) ||
	    (u->peek_off >= 0 &&
	     cr_rst_unix_set(sk, SO_PEEK_OFF, u->peek_off)) ||
	    syscall(SYS_setsockopt, sk, SOL_SOCKET, SO_RCVTIMEO, &rcv,
		    sizeof(rcv)) ||
	    syscall(SYS_setsockopt, sk, SOL_SOCKET, SO_SNDTIMEO, &snd,
		    sizeof(snd)))
		return -1;
	return 0;
}

/*
 * The other end @sk of a socket whose peer was closed, made to close as
 * that peer did: with a byte unread if it left an error (ECONNRESET);
 * restore-pair.c closes it, which shuts @f's end down both ways.
 */
static long cr_rst_unix_closing(long sk, const struct cr_file *f)
{
	char c = 0;

	if (!(cr_unix_of(f)->flags & CRFS_UNIX_F_RESET))
		return 0;
	/* Written into @sk's queue through @f's end: sent from there. */
	return syscall(SYS_sendto, sk, &c, 1, MSG_DONTWAIT | MSG_NOSIGNAL, NULL,
		       0) == 1 ? 0 : -1;
}

int cr_rst_unix_ends(const struct cr_file *f, const struct cr_file *peer,
			    long sv[2], long fds[2])
{
	int err;

	/* Each queue through the other end, then options and shutdown. */
	if (cr_rst_unix_room(sv[1], sv[0], f) || cr_rst_unix_fill(sv[1], f) ||
	    cr_rst_unix_opts(sv[0], f) ||
	    (!peer && cr_rst_unix_closing(sv[0], f)) ||
	    (peer && (cr_rst_unix_room(sv[0], sv[1], peer) ||
		      cr_rst_unix_fill(sv[0], peer) ||
		      cr_rst_unix_opts(sv[1], peer) ||
		      cr_rst_unix_shut(sv[0], f) ||
		      cr_rst_unix_shut(sv[1], peer)))) {
		err = errno;
		syscall(SYS_close, sv[0]);
		syscall(SYS_close, sv[1]);
		return err;
	}
	fds[0] = sv[0];
	fds[1] = sv[1];
	return 0;
}

int cr_rst_unix_pair(const struct cr_file *f, const struct cr_file *peer,
		     long fds[2])
{
	const struct crfs_file_unix *u = cr_unix_of(f);
	struct cr_rst_unix_ids ids;
	int sv[2], err;
	long l[2];

	if (!peer && !(u->flags & CRFS_UNIX_F_PEER_CLOSED))
		return EINVAL;	/* img-check-unix.c: never */
	/* Both ends name this process, with the ids of f's (= peer's). */
	if (cr_rst_unix_as(f, &ids))
		return errno;
	err = syscall(SYS_socketpair, AF_UNIX, u->type | SOCK_CLOEXEC, 0, sv) ?
	      errno : 0;
	if (cr_rst_unix_back(&ids) && !err) {
		err = errno;
		syscall(SYS_close, sv[0]);
		syscall(SYS_close, sv[1]);
	}
	if (err)
		return err;
	l[0] = sv[0];
	l[1] = sv[1];
	return cr_rst_unix_ends(f, peer, l, fds);
}

void cr_rst_unix_name(const struct cr_file *fi, struct sockaddr_un *sa,
			     long *len)
{
	const struct crfs_file_unix *u = cr_unix_of(fi);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, u + 1, u->name_len);
	*len = offsetof(struct sockaddr_un, sun_path) + u->name_len;
}

/*
 * A socket of @type connect()ed to @sa (@len): never waiting (a full
 * backlog fails, EAGAIN), blocking once connected; -1 and errno.
 */
static long cr_rst_unix_connect(uint32_t type, const struct sockaddr_un *sa,
				long len)
{
	long sk = syscall(SYS_socket, AF_UNIX, type | SOCK_CLOEXEC |
			  SOCK_NONBLOCK, 0);
	int err;

	if (sk < 0)
		return -1;
	if (!syscall(SYS_connect, sk, sa, len) &&
	    syscall(SYS_fcntl, sk, F_SETFL, 0) >= 0)
		return sk;
	err = errno;
	syscall(SYS_close, sk);
	errno = err;
	return -1;
}

long cr_rst_unix_dial(uint32_t type, const struct sockaddr_un *sa,
			     long len, bool as, uint32_t uid, uint32_t gid)
{
	struct cr_rst_unix_ids ids = { .moved = false };
	long c;
	int err;

	if (as && cr_rst_unix_as_ids(uid, gid, &ids))
		return -1;
	c = cr_rst_unix_connect(type, sa, len);
	err = c < 0 ? errno : 0;
	if (cr_rst_unix_back(&ids) && !err) {
		err = errno;
		syscall(SYS_close, c);
	}
	errno = err;
	return err ? -1 : c;
}

/*
 * Did this process connect() the socket accept() gave as @s?  Its
 * SO_PEERCRED names the process that did.  Return: 0, EBUSY or an errno.
 */
static int cr_rst_unix_ours(long s)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (syscall(SYS_getsockopt, s, SOL_SOCKET, SO_PEERCRED, &uc, &len))
		return errno;
	return uc.pid == syscall(SYS_getpid) ? 0 : EBUSY;
}

int cr_rst_unix_accept(const struct cr_file *f, const struct cr_file *peer,
		       long lfd, long fds[2])
{
	const struct cr_file *a = cr_unix_of(f)->flags & CRFS_UNIX_F_ACCEPTED ?
				  f : peer;
	struct sockaddr_un sa;
	long len, c, s, sv[2];
	int err;

	if (!a || (!peer && !(cr_unix_of(f)->flags & CRFS_UNIX_F_PEER_CLOSED)))
		return EINVAL;	/* img-check-unix.c: never */
	cr_rst_unix_name(a, &sa, &len);
	/* The accepted end names the connecting process, with its ids. */
	c = cr_rst_unix_dial(cr_unix_of(a)->type, &sa, len,
			     cr_unix_of(a)->cred_pid, cr_unix_of(a)->cred_uid,
			     cr_unix_of(a)->cred_gid);
	if (c < 0)
		return errno;
	/* Nothing else waits: the connection just made. */
	s = syscall(SYS_accept4, lfd, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0) {
		err = errno;
		syscall(SYS_close, c);
		return err;
	}
	/*
	 * Unless a process outside connected to the name since listen():
	 * then the accepted one is its connection, not ours (EBUSY).
	 */
	err = cr_rst_unix_ours(s);
	if (err) {
		syscall(SYS_close, s);
		syscall(SYS_close, c);
		return err;
	}
	sv[0] = a == f ? s : c;
	sv[1] = a == f ? c : s;
	return cr_rst_unix_ends(f, peer, sv, fds);
}

/* The entry of @fs waiting at place @seq in listener @l's backlog, or -1. */
static int32_t cr_rst_unix_waiter(const struct cr_rst_files *fs,
				  const struct cr_file *l, uint32_t seq)
{
	for (uint32_t i = 0; i < fs->nr; i++) {
		const struct cr_file *w = fs->f[i].conn ? fs->f[i].pair : NULL;
		const struct crfs_unix_conn *c = w ? cr_unix_conn_of(w) : NULL;

		if (c && (cr_unix_of(w)->flags & CRFS_UNIX_F_WAITING) &&
		    c->listen_id == l->f.id && c->seq == seq)
			return (int32_t)i;
	}
	return -1;
}

int cr_rst_unix_waiting(const struct cr_rst_files *fs, const struct cr_task *t,
			struct cr_rst_res *res)
{
	struct sockaddr_un sa;
	int32_t j;
	long len, w;

	for (uint32_t i = 0; i < fs->nr_fd_entries; i++) {
		const struct cr_file *l = fs->f[i].unx;

		if (!l || cr_unix_of(l)->state != CRFS_UNIX_LISTEN)
			continue;
		cr_rst_unix_name(l, &sa, &len);
		for (uint32_t seq = 1;
		     (j = cr_rst_unix_waiter(fs, l, seq)) >= 0; seq++) {
			res->idx = j;
			res->step = CR_RST_FILE_OPEN;
			/*
			 * Its other end names this process (img-check-unix.c:
			 * it alone holds it), with its ids, after accept().
			 */
			w = cr_rst_unix_dial(cr_unix_of(l)->type, &sa, len,
					     true, t->creds.euid,
					     t->creds.egid);
			if (w < 0)
				return errno;
			if (cr_rst_unix_opts(w, fs->f[j].pair) ||
			    (w != fs->f[j].fd &&
			     syscall(SYS_dup3, w, fs->f[j].fd, O_CLOEXEC) < 0)) {
				syscall(SYS_close, w);
				return errno;
			}
			if (w != fs->f[j].fd)
				syscall(SYS_close, w);
		}
	}
	return 0;
}

int32_t cr_rst_unix_listener(const struct cr_rst_files *fs, uint32_t id)
{
	for (uint32_t i = 0; i < fs->nr_fd_entries; i++)
		if (fs->f[i].unx && fs->f[i].unx->f.id == id)
			return (int32_t)i;
	return -1;
}

/* The entry of @fs of FILE @f (NULL: none), or -1. */
static int32_t cr_rst_unix_entry(const struct cr_rst_files *fs,
				 const struct cr_file *f)
{
	for (uint32_t i = 0; f && i < fs->nr; i++)
		if (fs->f[i].pair == f || fs->f[i].unx == f)
			return (int32_t)i;
	return -1;
}

size_t cr_rst_unix_extra(const struct cr_model *m, const struct cr_task *t)
{
	const struct cr_fdtable *fdt = t->fdt;
	bool listens = false;
	size_t n = 0;

	for (uint32_t i = 0; fdt && i < fdt->nr_fds && !listens; i++)
		listens = fdt->fds[i].file &&
			  fdt->fds[i].file->f.kind == CRFS_FILE_UNIX &&
			  cr_unix_of(fdt->fds[i].file)->state ==
			  CRFS_UNIX_LISTEN;
	for (uint32_t i = 0; listens && i < m->nr_files; i++)
		n += m->files[i].f.kind == CRFS_FILE_UNIX &&
		     cr_unix_conn_of(&m->files[i]) ? 2 : 0;
	/* Pairs made for SO_PEERCRED, held by later processes alone. */
	for (uint32_t i = 0; i < m->nr_files; i++)
		n += m->files[i].f.kind == CRFS_FILE_UNIX &&
		     cr_unix_of(&m->files[i])->cred_pid > 0 &&
		     (uint32_t)cr_unix_of(&m->files[i])->cred_pid == t->t.pid ?
		     2 : 0;
	return n;
}

const struct cr_file *cr_rst_unix_maker(const struct cr_model *m,
					const struct cr_file *f)
{
	const struct crfs_unix_conn *c = cr_unix_conn_of(f);
	const struct cr_file *p;

	if (!c && cr_unix_of(f)->peer_id) {
		p = cr_model_file(m, cr_unix_of(f)->peer_id);
		c = p ? cr_unix_conn_of(p) : NULL;
	}
	return c ? cr_model_file(m, c->listen_id) : NULL;
}

/*
 * Connection @x of listener entry @k of @fs that no end of is held here:
 * CR_RF_PAIR entries, an accepted one's made here with its peer's.
 */
static void cr_rst_unix_conn_add(const struct cr_model *m,
				 struct cr_rst_files *fs, int32_t k,
				 const struct cr_file *x)
{
	const struct cr_file *p = cr_model_file(m, cr_unix_of(x)->peer_id);
	struct cr_rst_file *rf;
	int32_t i = cr_rst_pair_add(fs, x), j;

	rf = &fs->f[i];
	rf->conn = true;
	rf->listen_entry = k;
	rf->priv = true;
	if (cr_unix_of(x)->flags & CRFS_UNIX_F_WAITING)
		return;
	j = p ? cr_rst_pair_add(fs, p) : -1;
	rf = &fs->f[i];
	rf->pair_made = false;
	rf->pair_make = true;
	rf->pair_peer = p;
	rf->pair_entry = j;
}

/*
 * The connections of listener @l (entry @k of @fs, made here) no end of
 * which this process holds.
 */
static void cr_rst_unix_conns(const struct cr_model *m,
			      struct cr_rst_files *fs, int32_t k,
			      const struct cr_file *l)
{
	for (uint32_t i = 0; i < m->nr_files; i++) {
		const struct cr_file *x = &m->files[i];
		const struct crfs_unix_conn *c = x->f.kind == CRFS_FILE_UNIX ?
						 cr_unix_conn_of(x) : NULL;

		/* One another process connect()s: cr_rst_unix_xconns(). */
		if (!c || c->listen_id != l->f.id ||
		    cr_unix_xconn(m, x) >= 0 ||
		    cr_rst_unix_entry(fs, x) >= 0 ||
		    cr_rst_unix_entry(fs, cr_model_file(m,
				      cr_unix_of(x)->peer_id)) >= 0)
			continue;
		cr_rst_unix_conn_add(m, fs, k, x);
	}
}

/*
 * The pairs @r's process makes though it holds neither end (their
 * SO_PEERCRED names it, cr_unix_maker()): CR_RF_PAIR entries, passed on
 * to their holders, all later (restore-tree.c).
 */
static void cr_rst_unix_pairs(const struct cr_rst *r, struct cr_rst_files *fs)
{
	const struct cr_model *m = r->m;

	for (uint32_t i = 0; r->tree && i < m->nr_files; i++) {
		const struct cr_file *x = &m->files[i], *p;
		struct cr_rst_file *rf;
		int32_t k, j;

		if (x->f.kind != CRFS_FILE_UNIX || !x->ubuf ||
		    cr_unix_of(x)->state != CRFS_UNIX_CONNECTED ||
		    cr_unix_conn_of(x) ||
		    cr_unix_maker(m, x) != (int64_t)r->idx)
			continue;
		p = cr_model_file(m, cr_unix_of(x)->peer_id);
		/* Once a pair: by its end of lower id. */
		if ((p && (cr_unix_conn_of(p) || p->f.id < x->f.id)) ||
		    cr_rst_unix_entry(fs, x) >= 0 ||
		    cr_rst_unix_entry(fs, p) >= 0)
			continue;
		k = cr_rst_pair_add(fs, x);
		j = p ? cr_rst_pair_add(fs, p) : -1;
		rf = &fs->f[k];
		rf->pair_made = false;
		rf->pair_make = true;
		rf->pair_peer = p;
		rf->pair_entry = j;
		/* As the restorer: SO_SNDBUFFORCE (cr_rst_unix_opts()). */
		rf->priv = true;
	}
}

/*
 * The entries of @fs of connections accepted from another process than
 * the listener's first holder (cr_unix_xconn()): the accepted end, left
 * for cr_rst_unix_xconns(); the client, connect()ed here.
 */
static void cr_rst_unix_xplan(const struct cr_rst *r, struct cr_rst_files *fs)
{
	const struct cr_model *m = r->m;

	for (uint32_t i = 0; r->tree && i < fs->nr_fd_entries; i++) {
		struct cr_rst_file *rf = &fs->f[i];
		const struct cr_file *f = rf->pair, *p;

		if (!f || f->f.kind != CRFS_FILE_UNIX || rf->pair_make)
			continue;
		if (cr_unix_xconn(m, f) >= 0) {
			rf->xlate = true;
			continue;
		}
		p = cr_model_file(m, cr_unix_of(f)->peer_id);
		if (p && p->f.kind == CRFS_FILE_UNIX && p->ubuf &&
		    cr_unix_xconn(m, p) == (int64_t)r->idx) {
			rf->xdial = true;
			rf->pair_peer = p;
			/* Connected to the listener's name as the restorer. */
			rf->priv = true;
		}
	}
}

int cr_rst_unix_plan(const struct cr_rst *r, struct cr_rst_files *fs,
		     struct cr_err *e)
{
	uint32_t n = fs->nr_fd_entries;

	cr_rst_unix_pairs(r, fs);
	cr_rst_unix_xplan(r, fs);

	/* The listeners made here: their connections held only later. */
	for (uint32_t i = 0; i < n; i++) {
		const struct cr_file *l = fs->f[i].unx;

		if (l && cr_unix_of(l)->state == CRFS_UNIX_LISTEN &&
		    (!r->tree ||
		     r->tree->pair_first[l - r->m->files] == (int32_t)r->idx))
			cr_rst_unix_conns(r->m, fs, (int32_t)i, l);
	}
	for (uint32_t i = 0; i < n; i++) {
		struct cr_rst_file *rf = &fs->f[i];
		const struct cr_file *f = rf->pair, *p = rf->pair_peer;
		const struct crfs_unix_conn *c;

		if (!rf->pair_make || f->f.kind != CRFS_FILE_UNIX)
			continue;
		c = cr_unix_conn_of(f) ?: (p ? cr_unix_conn_of(p) : NULL);
		if (!c)
			continue;
		rf->conn = true;
		/* As the restorer: SO_SNDBUFFORCE (cr_rst_unix_opts()). */
		rf->priv = true;
		rf->listen_entry = cr_rst_unix_listener(fs, c->listen_id);
		if (rf->listen_entry < 0)
			return cr_fail(e, EBADMSG, "fd %u: %s: a connection of "
				       "a listening socket this process does not "
				       "hold", rf->idx, rf->path);
		/* A waiting one: made after, by its listener's entry. */
		if (cr_unix_of(f)->flags & CRFS_UNIX_F_WAITING) {
			rf->pair_make = false;
			rf->pair_made = true;
		}
	}
	return 0;
}

/*
 * The datagrams queued on bound socket @fi, sent to its name @sa (@len
 * bytes) from a socket without a name, as they came.
 */
static long cr_rst_unix_sendto(const struct cr_file *fi,
			       const struct sockaddr_un *sa, long len)
{
	const struct crfs_file_unix *u = cr_unix_of(fi);
	const char *p = (const char *)(u + 1) + cr_pad8(u->name_len);
	int room = (int)(u->queued * 2 + (1 << 20)), err = 0;
	long t;

	if (!u->nr_msgs)
		return 0;
	t = syscall(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (t < 0)
		return -1;
	/* Forced as the restorer; as a process without CAP_NET_ADMIN, not. */
	if (cr_rst_unix_set(t, SO_SNDBUFFORCE, room))
		cr_rst_unix_set(t, SO_SNDBUF, room);
	for (uint32_t i = 0; !err && i < u->nr_msgs; i++) {
		const struct crfs_unix_msg *m = (const void *)p;

		if (syscall(SYS_sendto, t, p + sizeof(*m), m->len,
			    MSG_DONTWAIT | MSG_NOSIGNAL, sa, len) != (long)m->len)
			err = errno ? errno : EMSGSIZE;
		p += sizeof(*m) + cr_pad8(m->len);
	}
	syscall(SYS_close, t);
	errno = err;
	return err ? -1 : 0;
}

int cr_rst_unix_bind(const struct cr_rst_file *f, long sk)
{
	const struct crfs_file_unix *u = cr_unix_of(f->unx);
	const char *name = (const char *)(u + 1);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long len = offsetof(struct sockaddr_un, sun_path) + u->name_len;
	struct stat st;

	if (!u->name_len)
		return cr_rst_unix_shut(sk, f->unx);
	memcpy(sa.sun_path, name, u->name_len);
	/* Its peer's name (a socket outside): connected to it again. */
	if (u->flags & CRFS_UNIX_F_RECONNECT)
		return syscall(SYS_connect, sk, &sa, len) ? -1 :
		       cr_rst_unix_shut(sk, f->unx);
	/* The socket file the checkpoint found, and no other, goes. */
	if (name[0] && !syscall(SYS_newfstatat, AT_FDCWD, name, &st,
				AT_SYMLINK_NOFOLLOW)) {
		if (!S_ISSOCK(st.st_mode) || st.st_dev != u->name_dev ||
		    st.st_ino != u->name_ino) {
			errno = EEXIST;
			return -1;
		}
		if (syscall(SYS_unlinkat, AT_FDCWD, name, 0))
			return -1;
	} else if (name[0] && errno != ENOENT) {
		return -1;
	}
	if (syscall(SYS_bind, sk, &sa, len))
		return -1;
	/* Another owner given as the process (res-unix.c: CAP_CHOWN). */
	if (name[0] && (syscall(SYS_newfstatat, AT_FDCWD, name, &st,
				AT_SYMLINK_NOFOLLOW) ||
			((st.st_uid != u->name_uid || st.st_gid != u->name_gid) &&
			 syscall(SYS_fchownat, AT_FDCWD, name, u->name_uid,
				 u->name_gid, AT_SYMLINK_NOFOLLOW))))
		return -1;
	if (name[0] && (syscall(SYS_fchmodat, AT_FDCWD, name,
				u->name_mode & 07777) ||
			syscall(SYS_newfstatat, AT_FDCWD, name, &st,
				AT_SYMLINK_NOFOLLOW)))
		return -1;
	if (name[0] && (st.st_uid != u->name_uid || st.st_gid != u->name_gid)) {
		errno = EPERM;
		return -1;
	}
	/* Its SO_PEERCRED names the process, with the ids recorded. */
	if (u->state == CRFS_UNIX_LISTEN) {
		struct cr_rst_unix_ids ids;
		int err;

		if (cr_rst_unix_as(f->unx, &ids))
			return -1;
		err = syscall(SYS_listen, sk, u->backlog) ? errno : 0;
		if (cr_rst_unix_back(&ids) && !err)
			err = errno;
		errno = err;
		if (err)
			return -1;
	}
	if (cr_rst_unix_sendto(f->unx, &sa, len))
		return -1;
	return cr_rst_unix_shut(sk, f->unx);
}

long cr_rst_unix_make(const struct cr_rst_file *f)
{
	const struct crfs_file_unix *u = cr_unix_of(f->unx);
	long sk = syscall(SYS_socket, AF_UNIX, u->type | SOCK_CLOEXEC, 0);
	int err;

	if (sk < 0)
		return -1;
	/* A path is bound as the process, after (restore-files.c). */
	if (!cr_rst_unix_opts(sk, f->unx) &&
	    (!f->priv || !cr_rst_unix_bind(f, sk)) &&
	    syscall(SYS_fcntl, sk, F_SETFL, f->oflags) >= 0)
		return sk;
	err = errno;
	syscall(SYS_close, sk);
	errno = err;
	return -1;
}

int cr_rst_unix_reason(pid_t pid, const char *name, const struct cr_rst_file *f,
		       int err, struct cr_err *e)
{
	const struct crfs_file_unix *u = cr_unix_of(f->unx);
	const char *n = (const char *)(u + 1);

	return cr_fail(e, err, "pid %d: %s: %s: cannot %s it to %s%.*s "
		       "again: %s%s", pid, name, f->path,
		       u->flags & CRFS_UNIX_F_RECONNECT ? "connect" : "bind",
		       n[0] ? "" : "@",
		       (int)u->name_len - 1, n[0] ? n : n + 1, strerror(err),
		       err == EEXIST ? " (another file is there now, not the "
		       "socket file the checkpoint found)" :
		       err == EADDRINUSE ? " (the name is taken)" : "");
}
