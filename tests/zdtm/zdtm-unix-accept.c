// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-unix-accept: the connections of listening unix sockets come back.
 * A stream socket listening on DIR/acc.sock (fd 5, backlog 2,
 * O_NONBLOCK), its socket file given to 4242:4343, mode 0604, with three
 * accepted connections: the first (client fd 10, accepted fd 11) with
 * 3000 bytes queued for the accepted end and 800 for the client, the
 * second (13, 12) shut down for writing by the accepted end, the third
 * (fd 14) whose client sent 96 bytes and closed; and three connections
 * waiting in its backlog, which is full, connected in the order of fds
 * 30, 20, 25.  A seqpacket socket listening on an abstract name (fd 6)
 * with an accepted connection (client 40, accepted 41) carrying two
 * records one way and one the other, and one connection waiting (fd 42).
 * After SIGTERM: the accepted ends have the listeners' names and the
 * clients none (getsockname(), getpeername()), SO_PEERCRED names this
 * process, the queues are read as they were, the backlog is still full
 * (a new connect() fails EAGAIN), and accept() gives the waiting
 * connections in their order (each reads what its client writes), each
 * naming this process with euid 4242 and egid 4343 (SO_PEERCRED), the
 * ids it connect()ed them with (and keeps; fs and real ids root's).
 */
#include <stdbool.h>
#include <stddef.h>
#include <unistd.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "zdtm.h"

/* Move @fd to @to. */
static int at(int fd, int to)
{
	zdtm_check(fd < 0 || dup2(fd, to) != to, "socket, dup2");
	close(fd);
	return to;
}

/*
 * A socket of @type connected to @sa (@len), at @to: made (socket(): its
 * owner) under fs ids of the euid and egid, connected under root's.
 */
static int dial(int type, const struct sockaddr_un *sa, socklen_t len, int to)
{
	int c;

	setfsgid(getegid());
	setfsuid(geteuid());
	c = socket(AF_UNIX, type, 0);
	setfsuid(0);
	setfsgid(0);

	zdtm_check(c < 0 || connect(c, (const void *)sa, len), "connect");
	return at(c, to);
}

/* @fd's name (@peer: its peer's) is @sa, @len bytes (0: none). */
static void named(int fd, bool peer, const struct sockaddr_un *sa,
		  socklen_t len)
{
	struct sockaddr_un got;
	socklen_t glen = sizeof(got);

	memset(&got, 0, sizeof(got));
	zdtm_check((peer ? getpeername : getsockname)(fd, (void *)&got, &glen),
		   "getsockname");
	if (!len && glen == sizeof(sa_family_t))
		return;
	if (glen != len || memcmp(&got, sa, len))
		zdtm_fail("fd %d: %s %u bytes \"%s\", not %u", fd,
			  peer ? "getpeername() says" : "getsockname() says",
			  glen, got.sun_path[0] ? got.sun_path :
			  got.sun_path + 1, len);
}

/* Write @len bytes of pattern @seed into @fd. */
static void put(int fd, size_t len, uint64_t seed)
{
	char buf[4096] = { 0 };

	zdtm_fill(buf, len, seed);
	zdtm_check(write(fd, buf, len) != (ssize_t)len, "write");
}

/* Read @len bytes of pattern @seed from @fd, then nothing (@eof: its end). */
static void get(int fd, size_t len, uint64_t seed, bool eof)
{
	char buf[4096], want[4096] = { 0 };
	size_t got = 0;
	ssize_t n = 1;

	zdtm_fill(want, len, seed);
	while (got < len && n > 0) {
		n = recv(fd, buf + got, len - got, MSG_DONTWAIT);
		got += n > 0 ? n : 0;
	}
	if (got != len || memcmp(buf, want, len))
		zdtm_fail("fd %d: %zu bytes, not %zu of pattern %llu", fd, got,
			  len, (unsigned long long)seed);
	n = recv(fd, buf, 1, MSG_DONTWAIT);
	if (eof ? n != 0 : (n != -1 || errno != EAGAIN))
		zdtm_fail("fd %d: %s after its data", fd,
			  eof ? "not at its end" : "more");
}

/* Record @rec (read by @fd as it was sent). */
static void record(int fd, const char *rec)
{
	char buf[64];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n != (ssize_t)strlen(rec) || memcmp(buf, rec, n))
		zdtm_fail("fd %d: a record of %zd bytes, not \"%s\"", fd, n,
			  rec);
}

/* SO_PEERCRED of @fd names this process. */
static void mine(int fd)
{
	struct ucred u;
	socklen_t len = sizeof(u);

	zdtm_check(getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &u, &len),
		   "SO_PEERCRED");
	if (u.pid != getpid())
		zdtm_fail("fd %d: SO_PEERCRED names pid %d, not %d", fd, u.pid,
			  getpid());
}

/* accept() on @l gives the connection of @w, which says @tag. */
static void take(int l, int w, char tag)
{
	int a = accept(l, NULL, NULL);
	socklen_t len = sizeof(struct ucred);
	struct ucred u;
	char b = 0;

	zdtm_check(a < 0, "accept a waiting connection");
	/* It names the process that connect()ed, with the ids it had. */
	zdtm_check(getsockopt(a, SOL_SOCKET, SO_PEERCRED, &u, &len),
		   "SO_PEERCRED");
	if (u.pid != getpid() || u.uid != 4242 || u.gid != 4343)
		zdtm_fail("'%c': SO_PEERCRED after accept() names pid %d uid "
			  "%u gid %u, not %d 4242 4343", tag, u.pid, u.uid,
			  u.gid, getpid());
	zdtm_check(write(w, &tag, 1) != 1 || read(a, &b, 1) != 1, "talk");
	if (b != tag)
		zdtm_fail("accept() gave the connection of '%c', not '%c'", b,
			  tag);
	close(a);
}

int main(int argc, char **argv)
{
	struct sockaddr_un ps = { .sun_family = AF_UNIX },
			   qs = { .sun_family = AF_UNIX };
	socklen_t plen, qlen;
	struct stat st;
	int l, q, c, t;
	char y;

	zdtm_init(argc, argv);
	zdtm_path(ps.sun_path, sizeof(ps.sun_path), "acc.sock");
	plen = offsetof(struct sockaddr_un, sun_path) + strlen(ps.sun_path) + 1;
	l = at(socket(AF_UNIX, SOCK_STREAM, 0), 5);
	zdtm_check(bind(l, (void *)&ps, plen) || chown(ps.sun_path, 4242, 4343) ||
		   chmod(ps.sun_path, 0604) || listen(l, 2), "listen on a path");
	snprintf(qs.sun_path + 1, sizeof(qs.sun_path) - 1,
		 "crfs-zdtm-accept-%d", getpid());
	qlen = offsetof(struct sockaddr_un, sun_path) + 1 +
	       strlen(qs.sun_path + 1);
	q = at(socket(AF_UNIX, SOCK_SEQPACKET, 0), 6);
	zdtm_check(bind(q, (void *)&qs, qlen) || listen(q, 5),
		   "listen on an abstract name");

	dial(SOCK_STREAM, &ps, plen, 10);
	at(accept(l, NULL, NULL), 11);
	put(10, 3000, 11);
	put(11, 800, 12);
	dial(SOCK_STREAM, &ps, plen, 13);
	at(accept(l, NULL, NULL), 12);
	zdtm_check(shutdown(12, SHUT_WR), "shutdown");
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	zdtm_check(c < 0 || connect(c, (void *)&ps, plen), "connect");
	at(accept(l, NULL, NULL), 14);
	put(c, 96, 13);
	close(c);
	/* From here euid 4242, egid 4343 (real ids root's, fs ids as dial()). */
	zdtm_check(setresgid(-1, 4343, -1) || setresuid(-1, 4242, -1),
		   "setresuid");
	setfsuid(0);
	setfsgid(0);
	dial(SOCK_STREAM, &ps, plen, 30);
	dial(SOCK_STREAM, &ps, plen, 20);
	dial(SOCK_STREAM, &ps, plen, 25);
	zdtm_check(fcntl(l, F_SETFL, O_NONBLOCK), "O_NONBLOCK");

	dial(SOCK_SEQPACKET, &qs, qlen, 40);
	at(accept(q, NULL, NULL), 41);
	zdtm_check(send(40, "rec-one", 7, 0) != 7 ||
		   send(40, "rec-two-xx", 10, 0) != 10 ||
		   send(41, "back", 4, 0) != 4, "send records");
	dial(SOCK_SEQPACKET, &qs, qlen, 42);
	zdtm_ready();
	zdtm_wait();

	named(11, false, &ps, plen);
	named(11, true, &ps, 0);
	named(10, false, &ps, 0);
	named(10, true, &ps, plen);
	named(12, false, &ps, plen);
	named(14, false, &ps, plen);
	named(41, false, &qs, qlen);
	named(40, true, &qs, qlen);
	named(42, false, &qs, 0);
	named(42, true, &qs, qlen);
	zdtm_check(stat(ps.sun_path, &st), "stat the socket file");
	if (!S_ISSOCK(st.st_mode) || (st.st_mode & 07777) != 0604 ||
	    st.st_uid != 4242 || st.st_gid != 4343)
		zdtm_fail("the socket file has mode %o, owner %u:%u",
			  st.st_mode, st.st_uid, st.st_gid);
	mine(10);
	mine(11);
	get(11, 3000, 11, false);
	get(10, 800, 12, false);
	get(13, 0, 0, true);
	zdtm_check(write(13, "y", 1) != 1, "write to the half-shut end");
	if (recv(12, &y, 1, MSG_DONTWAIT) != 1 || y != 'y')
		zdtm_fail("the accepted end shut for writing does not read");
	get(14, 96, 13, true);
	record(41, "rec-one");
	record(41, "rec-two-xx");
	record(40, "back");

	/* The backlog is full (3 waiting, backlog 2). */
	t = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (t < 0 || connect(t, (void *)&ps, plen) != -1 || errno != EAGAIN)
		zdtm_fail("a connect() to the full backlog did not fail EAGAIN");
	close(t);
	take(l, 30, '1');
	take(l, 20, '2');
	take(l, 25, '3');
	if (accept(l, NULL, NULL) != -1 || errno != EAGAIN)
		zdtm_fail("more connections waiting than there were");
	take(q, 42, 's');
	zdtm_pass();
}
