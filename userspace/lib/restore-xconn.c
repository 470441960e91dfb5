// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unix connections accepted from another process's connect() made again
 * (cr_unix_xconn(), img-check-unix.c: the accepted end's SO_PEERCRED
 * names a live process other than the listener's first holder).
 *
 * The connecting process connect()s again in its own files step, which
 * comes after the listener's first holder's, under the euid and egid its
 * accepted end names (cr_rst_unix_xdial(), raw system calls); the
 * processes after it that hold the client get it from it as any shared
 * description.  The accepted end is left out of every files step.  Once
 * every process has its files and memory, before the late hooks (epoll
 * targets, locks, O_ASYNC and owner), cr_rst_unix_xconns(), in the order
 * of the connect()s (the image's order of the processes, then of their
 * entries): the listener's first holder accept()s (an injected accept4(),
 * after a look at the restorer's copy of the listener: it never waits),
 * each process holding the accepted end takes it at its numbers (dup3(),
 * or, in another process, pidfd_open() of the listener's holder and
 * pidfd_getfd(): every process still has the restorer's credentials), and
 * the restorer, through copies of both ends (pidfd_getfd()), checks that
 * the accepted one names the connecting process and gives both their
 * queues, options, status flags and shutdown (cr_rst_unix_ends()).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "restore.h"

long cr_rst_unix_xdial(const struct cr_rst_file *f)
{
	const struct cr_file *a = f->pair_peer;
	const struct crfs_file_unix *u = cr_unix_of(a);
	struct sockaddr_un sa;
	long len, c;
	int err;

	/* The accepted end names this process, with the ids it names. */
	cr_rst_unix_name(a, &sa, &len);
	c = cr_rst_unix_dial(u->type, &sa, len, true, u->cred_uid,
			     u->cred_gid);
	if (c < 0)
		return -1;
	if (syscall(SYS_fcntl, c, F_SETFL, f->pair->f.flags & O_NONBLOCK) >= 0)
		return c;
	err = errno;
	syscall(SYS_close, c);
	errno = err;
	return -1;
}

/* The number of listening socket @l in process @r, or -1. */
static int32_t cr_rst_unix_lfd(const struct cr_rst *r, const struct cr_file *l)
{
	int32_t i = cr_rst_unix_listener(&r->files, l->f.id);

	return i < 0 ? -1 : r->files.f[i].fd;
}

/*
 * Accepted socket @a at number @x of process @r put at each of its
 * numbers there (@x among them: *@kept).
 */
static int cr_rst_unix_xput(struct cr_rst *r, long x, const struct cr_file *a,
			    bool *kept, struct cr_err *e)
{
	const struct cr_rst_files *fs = &r->files;
	int rc = 0;

	*kept = false;
	for (uint32_t i = 0; !rc && i < fs->nr_fds; i++) {
		const struct cr_rst_fd *d = &fs->fds[i];

		if (r->task->fdt->fds[i].file != a)
			continue;
		if (d->fd == x) {
			*kept = true;
			rc = cr_rst_call(r, SYS_fcntl, CR_ARGS((unsigned long)x,
					 F_SETFD, d->cloexec ? FD_CLOEXEC : 0),
					 "cannot set the close-on-exec flag of "
					 "an accepted socket", e);
		} else {
			rc = cr_rst_call(r, SYS_dup3, CR_ARGS((unsigned long)x,
					 (unsigned long)d->fd,
					 d->cloexec ? O_CLOEXEC : 0),
					 "cannot move an accepted socket to its "
					 "number", e);
		}
	}
	return rc;
}

/*
 * Accepted socket @a, at number @x of process @rl (its listener's first
 * holder), handed to process @r: taken by it from @rl (an injected
 * pidfd_open() of @rl's pid as the container sees it, pidfd_getfd(): @r
 * still has the restorer's credentials), then put at its numbers.
 */
static int cr_rst_unix_xhand(struct cr_rst *r, const struct cr_rst *rl, long x,
			     const struct cr_file *a, struct cr_err *e)
{
	long pfd, nfd;
	bool kept;
	int rc;

	rc = cr_rst_syscall(r, SYS_pidfd_open, CR_ARGS(rl->task->t.pid, 0),
			    &pfd, e);
	if (!rc && pfd < 0)
		return cr_fail(e, (int)-pfd, "pid %d: %s: cannot open pid %u, "
			       "which accept()ed it: %s", r->pid, a->path,
			       rl->task->t.pid, strerror((int)-pfd));
	if (!rc)
		rc = cr_rst_syscall(r, SYS_pidfd_getfd, CR_ARGS((unsigned long)pfd,
				    (unsigned long)x, 0), &nfd, e);
	/* Closed first: its number may be one of the socket's. */
	if (!rc)
		rc = cr_rst_call(r, SYS_close, CR_ARGS((unsigned long)pfd),
				 "cannot close a pidfd", e);
	if (!rc && nfd < 0)
		return cr_fail(e, (int)-nfd, "pid %d: %s: cannot take it from "
			       "pid %u, which accept()ed it: %s", r->pid,
			       a->path, rl->task->t.pid, strerror((int)-nfd));
	if (!rc)
		rc = cr_rst_unix_xput(r, nfd, a, &kept, e);
	if (!rc && !kept)
		rc = cr_rst_call(r, SYS_close, CR_ARGS((unsigned long)nfd),
				 "cannot close an accepted socket's first "
				 "number", e);
	return rc;
}

/*
 * Has listening socket @l, at @lfd of @rl, a connection waiting (a look
 * at the restorer's copy of it: the accept() injected never waits)?
 */
static int cr_rst_unix_xready(const struct cr_rst *rl, int32_t lfd,
			      const struct cr_file *l, struct cr_err *e)
{
	struct pollfd p = { .events = POLLIN };
	int n;

	p.fd = (int)syscall(SYS_pidfd_getfd, rl->pidfd, lfd, 0);
	if (p.fd < 0)
		return cr_fail(e, errno, "pid %d: fd %d: %s: cannot take it: %m",
			       rl->pid, lfd, l->path);
	n = poll(&p, 1, 0);
	close(p.fd);
	if (n == 1 && (p.revents & POLLIN))
		return 0;
	return cr_fail(e, EIO, "pid %d: fd %d: %s: no connection waiting for "
		       "accept() after the connect() made again", rl->pid, lfd,
		       l->path);
}

/*
 * Accepted end @a accept()ed in @t's process @li, the first holding
 * listening socket @l, and put at the numbers of each process holding it;
 * the restorer's copy of it into *@copy.
 */
static int cr_rst_unix_xaccept(struct cr_rst_tree *t, int32_t li,
			       const struct cr_file *l, const struct cr_file *a,
			       long *copy, struct cr_err *e)
{
	struct cr_rst *rl = &t->rst[li];
	int32_t lfd = cr_rst_unix_lfd(rl, l);
	bool kept = false;
	long nfd;
	int rc;

	*copy = -1;
	if (lfd < 0)
		return cr_fail(e, EBADMSG, "pid %d: %s: a connection of listening "
			       "%s, which the process does not hold", rl->pid,
			       a->path, l->path);
	rc = cr_rst_unix_xready(rl, lfd, l, e);
	if (rc)
		return rc;
	rc = cr_rst_syscall(rl, SYS_accept4, CR_ARGS((unsigned long)lfd, 0, 0,
			    SOCK_CLOEXEC), &nfd, e);
	if (rc)
		return rc;
	if (nfd < 0)
		return cr_fail(e, (int)-nfd, "pid %d: fd %d: %s: cannot accept() "
			       "a connection again: %s", rl->pid, lfd, l->path,
			       strerror((int)-nfd));
	*copy = syscall(SYS_pidfd_getfd, rl->pidfd, nfd, 0);
	if (*copy < 0)
		rc = cr_fail(e, errno, "pid %d: fd %ld: %s: cannot take the "
			     "connection accept() gave: %m", rl->pid, nfd,
			     a->path);
	/* Its other holders take it from here before it leaves its number. */
	for (uint32_t i = 0; !rc && i < t->nr; i++) {
		struct cr_rst *r = &t->rst[i];
		const struct cr_fdtable *fdt = r->task->fdt;
		bool holds = false;

		for (uint32_t j = 0; fdt && !cr_rst_zombie(r) &&
		     j < fdt->nr_fds && !holds; j++)
			holds = fdt->fds[j].file == a;
		if (!holds || i == (uint32_t)li)
			continue;
		rc = cr_rst_unix_xhand(r, rl, nfd, a, e);
	}
	if (!rc)
		rc = cr_rst_unix_xput(rl, nfd, a, &kept, e);
	if (!rc && !kept)
		rc = cr_rst_call(rl, SYS_close, CR_ARGS((unsigned long)nfd),
				 "cannot close an accepted socket's first "
				 "number", e);
	return rc;
}

/*
 * The connection whose client entry @f of process @rp connect()ed
 * (cr_rst_unix_xdial()): accept()ed, then both ends' state through the
 * restorer's copies of them.
 */
static int cr_rst_unix_xconn(struct cr_rst_tree *t, struct cr_rst *rp,
			     const struct cr_rst_file *f, struct cr_err *e)
{
	const struct cr_model *m = rp->m;
	const struct cr_file *a = f->pair_peer, *c = f->pair;
	const struct cr_file *l = cr_model_file(m, cr_unix_conn_of(a)->listen_id);
	int32_t li = l ? t->pair_first[l - m->files] : -1;
	struct ucred uc = { 0 };
	socklen_t len = sizeof(uc);
	long sv[2], fds[2];
	int rc, err;

	if (li < 0)
		return cr_fail(e, EBADMSG, "pid %d: fd %d: %s: its listening "
			       "socket is held by no process", rp->pid, f->fd,
			       f->path);
	rc = cr_rst_unix_xaccept(t, li, l, a, &sv[0], e);
	sv[1] = rc ? -1 : syscall(SYS_pidfd_getfd, rp->pidfd, f->fd, 0);
	if (!rc && sv[1] < 0)
		rc = cr_fail(e, errno, "pid %d: fd %d: %s: cannot take the "
			     "client it connect()ed again: %m", rp->pid, f->fd,
			     f->path);
	if (rc)
		goto out_close;
	/* The connection accept() took names the process that made it. */
	if (getsockopt((int)sv[0], SOL_SOCKET, SO_PEERCRED, &uc, &len) ||
	    uc.pid != rp->pid || uc.uid != cr_unix_of(a)->cred_uid ||
	    uc.gid != cr_unix_of(a)->cred_gid) {
		rc = cr_fail(e, EIO, "pid %d: fd %d: %s: the connection "
			     "accept() took in pid %d names pid %d (uid %u, "
			     "gid %u), not this process with uid %u, gid %u",
			     rp->pid, f->fd, f->path, t->rst[li].pid, uc.pid,
			     uc.uid, uc.gid, cr_unix_of(a)->cred_uid,
			     cr_unix_of(a)->cred_gid);
		goto out_close;
	}
	/* Shared descriptions: the queues, options, shutdown, flags. */
	err = cr_rst_unix_ends(a, c, sv, fds);	/* closes them on failure */
	if (!err) {
		if (syscall(SYS_fcntl, fds[0], F_SETFL,
			    a->f.flags & O_NONBLOCK) < 0)
			err = errno;
		close((int)fds[0]);
		close((int)fds[1]);
	}
	if (err)
		rc = cr_fail(e, err, "pid %d: %s: cannot give the connection "
			     "accepted from pid %d (fd %d) its queues, options "
			     "or shutdown: %s", t->rst[li].pid, a->path,
			     rp->pid, f->fd, strerror(err));
	return rc;

out_close:
	if (sv[0] >= 0)
		close((int)sv[0]);
	if (sv[1] >= 0)
		close((int)sv[1]);
	return rc;
}

int cr_rst_unix_xconns(struct cr_rst_tree *t, struct cr_err *e)
{
	int rc = 0;

	/* In the order of their connect()s: the image's, then entries'. */
	for (uint32_t k = 0; !rc && k < t->nr; k++) {
		struct cr_rst *rp = &t->rst[k];
		const struct cr_rst_files *fs = &rp->files;

		if (cr_rst_zombie(rp))
			continue;
		for (uint32_t i = 0; !rc && i < fs->nr_fd_entries; i++)
			if (fs->f[i].xdial)
				rc = cr_rst_unix_xconn(t, rp, &fs->f[i], e);
	}
	return rc;
}
