// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-unix-peercred: SO_PEERCRED of unix sockets comes back, pid, euid
 * and egid.  The parent (root) makes a stream socket pair as itself (fds
 * 10, 11), a seqpacket pair with euid 1234 and egid 2345 (12, 13), a
 * stream socket listening on an abstract name with euid 1111 and egid
 * 2222 (14), and connects to it with euid 3333 and egid 4444 (client 15,
 * accepted 16), its ids back to root after each call.  A child then holds
 * 11, 13 and the client 15 (the parent closes them), and makes a datagram
 * pair of its own with euid 5555 and egid 6666 (20, 21).  Each reads
 * every SO_PEERCRED before the checkpoint; after SIGTERM the parent reads
 * its own again, then tells the child (a byte on a pipe), which does: the
 * same pid, uid and gid, or FAIL naming the process and descriptor.
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "zdtm.h"

#define NR_FDS	8

static const int fds[NR_FDS] = { 10, 11, 12, 13, 14, 15, 16, 20 };
static struct ucred want[NR_FDS];

/* Move @fd to @to. */
static void at(int fd, int to)
{
	zdtm_check(fd < 0 || dup2(fd, to) != to, "dup2");
	close(fd);
}

/* The thread's euid and egid (@uid 0: back to root), raw: this thread. */
static void as(uid_t uid, gid_t gid)
{
	if (uid) {
		zdtm_check(syscall(SYS_setresgid, -1, gid, -1), "setresgid");
		zdtm_check(syscall(SYS_setresuid, -1, uid, -1), "setresuid");
	} else {
		zdtm_check(syscall(SYS_setresuid, -1, 0, -1), "setresuid 0");
		zdtm_check(syscall(SYS_setresgid, -1, 0, -1), "setresgid 0");
	}
}

/* A socket pair of @type at @a, @b, made with @uid, @gid (0: as is). */
static void pair(int type, uid_t uid, gid_t gid, int a, int b)
{
	int sv[2];

	if (uid)
		as(uid, gid);
	zdtm_check(socketpair(AF_UNIX, type, 0, sv), "socketpair");
	if (uid)
		as(0, 0);
	at(sv[0], a);
	at(sv[1], b);
}

/* SO_PEERCRED of @fd. */
static struct ucred cred(int fd)
{
	struct ucred u;
	socklen_t len = sizeof(u);

	zdtm_check(getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &u, &len),
		   "SO_PEERCRED");
	return u;
}

/* Each of our descriptors of fds[] (open here) read into want[]. */
static void take(void)
{
	for (int i = 0; i < NR_FDS; i++)
		if (fcntl(fds[i], F_GETFD) >= 0)
			want[i] = cred(fds[i]);
}

/* Each of our descriptors names what it did; @who in a failure. */
static void check(const char *who)
{
	for (int i = 0; i < NR_FDS; i++) {
		struct ucred u;

		if (fcntl(fds[i], F_GETFD) < 0)
			continue;
		u = cred(fds[i]);
		if (u.pid != want[i].pid || u.uid != want[i].uid ||
		    u.gid != want[i].gid)
			zdtm_fail("%s: fd %d: SO_PEERCRED names pid %d uid %u "
				  "gid %u, not pid %d uid %u gid %u", who,
				  fds[i], u.pid, u.uid, u.gid, want[i].pid,
				  want[i].uid, want[i].gid);
	}
}

/* The child: its pair, then wait for the parent's byte on @go. */
static int child(int go, int done)
{
	char c;

	pair(SOCK_DGRAM, 5555, 6666, 20, 21);
	take();
	if (want[7].uid != 5555 || want[7].gid != 6666 ||
	    want[7].pid != getpid())
		zdtm_fail("child: fd 20: SO_PEERCRED names pid %d uid %u gid "
			  "%u before the checkpoint", want[7].pid,
			  want[7].uid, want[7].gid);
	c = 1;
	zdtm_check(write(done, &c, 1) != 1, "child: write");
	/* No byte: the parent failed, its result stands. */
	if (read(go, &c, 1) != 1)
		exit(2);
	check("child");
	c = 2;
	zdtm_check(write(done, &c, 1) != 1, "child: write");
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int go[2], done[2], l, s, c;
	socklen_t len;
	char b;
	pid_t p;

	zdtm_init(argc, argv);
	pair(SOCK_STREAM, 0, 0, 10, 11);
	pair(SOCK_SEQPACKET, 1234, 2345, 12, 13);
	zdtm_path(sa.sun_path, sizeof(sa.sun_path), "pc.sock");
	len = offsetof(struct sockaddr_un, sun_path) + strlen(sa.sun_path) + 1;
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	zdtm_check(l < 0 || bind(l, (void *)&sa, len), "bind");
	as(1111, 2222);
	zdtm_check(listen(l, 4), "listen");
	as(0, 0);
	as(3333, 4444);
	/* Root's fs ids (DIR is root's, 0700): uid 3333 alone could not. */
	syscall(SYS_setfsuid, 0);
	syscall(SYS_setfsgid, 0);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	zdtm_check(c < 0 || connect(c, (void *)&sa, len), "connect");
	as(0, 0);
	s = accept(l, NULL, NULL);
	at(l, 14);
	at(c, 15);
	at(s, 16);
	take();
	zdtm_check(pipe(go) || pipe(done), "pipe");
	zdtm_check(dup2(go[0], 30) != 30 || dup2(done[1], 31) != 31, "dup2");
	p = fork();
	zdtm_check(p < 0, "fork");
	if (!p) {
		/* Only the child's ends, and its pipes. */
		for (int fd = 3; fd < 64; fd++)
			if (fd != 11 && fd != 13 && fd != 15 && fd != 30 &&
			    fd != 31)
				close(fd);
		exit(child(30, 31));
	}
	close(11);
	close(13);
	close(15);
	close(go[0]);
	close(done[1]);
	close(30);
	close(31);
	if (read(done[0], &b, 1) != 1 || b != 1)
		zdtm_fail("the child did not start (its result says why)");
	if (want[1].pid != getpid() || want[3].uid != 1234 ||
	    want[3].gid != 2345 || want[4].uid != 1111 ||
	    want[6].uid != 3333 || want[6].gid != 4444 ||
	    want[5].uid != 1111 || want[5].gid != 2222)
		zdtm_fail("SO_PEERCRED not as made before the checkpoint");
	zdtm_ready();
	zdtm_wait();
	check("parent");
	b = 1;
	if (write(go[1], &b, 1) != 1 || read(done[0], &b, 1) != 1 || b != 2) {
		int st = 0;

		kill(p, SIGKILL);
		waitpid(p, &st, 0);
		/* Its own FAIL is the result: keep it. */
		if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
			exit(1);
		zdtm_fail("the child ended without its result: %#x", st);
	}
	waitpid(p, NULL, 0);
	zdtm_pass();
}
