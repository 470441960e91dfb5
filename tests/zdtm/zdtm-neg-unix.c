// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-unix: holds a unix socket the checkpoint must refuse, as
 * $ZDTM_UNIX says: "inflight" a socket pair with a descriptor sent
 * (SCM_RIGHTS) and not received; "wrote" a socket listening on a path
 * with a connection waiting in its backlog whose client has written to it
 * ("gone": whose client was closed); "bound" a connection accepted from a
 * socket listening on an abstract name, whose client was bound to a name
 * of its own before it connected ("lclosed": the client without a name,
 * the listener closed after the accept); "early" a connection waiting in
 * the backlog of a socket a child listens on (the child comes after the
 * parent, which the listener's connections are made by); "unlinked" a socket bound
 * to a path whose file was removed; "sender" a datagram socket bound to
 * an abstract name with a datagram queued from a sender bound to another;
 * "oneway" a datagram socket connected to one bound to an abstract name,
 * which is not connected back (the kernel marks both connected); "closed"
 * a datagram socket of a pair whose other end was closed; "dead" a socket
 * pair (SO_PEERCRED names its maker) that a child made, sent here
 * (SCM_RIGHTS) and exited; "xconn" a connection a child listening on
 * an abstract name accepted from our connect() as euid 4242 (SO_PEERCRED
 * of the accepted end names us, a process before the child: a restore
 * connect()s in that process after the listener is made), which the
 * child echoes; "xwait" a child that connected as euid 4242 to our
 * listener, the connection waiting in the backlog (the process that
 * connect()ed is not known before accept()); "xmix" the child's
 * connection accepted, and one of ours waiting in the same backlog (a
 * restore would make ours first, and accept() take it first); "groups"
 * a socket pair made with the supplementary group 4242 alone, which the
 * process has no longer (SO_PEERGROUPS); "idwait" a connection waiting in
 * the backlog of our own listener, connect()ed as root, after which the
 * process took euid 4242 (its fs ids root's): the ids it connect()ed under
 * are not its ids now; "outside" a socket pair whose other end a
 * process in the cgroup $ZDTM_OUT_CG holds (a sibling: CLONE_PARENT),
 * which echoes what it reads.  After SIGTERM (the refused checkpoint,
 * then thaw) the socket must be as it was: the descriptor still in
 * flight, the connection waiting still there, the accepted one still
 * carrying data, the echo still answering.
 */
#include <sched.h>
#include <stdbool.h>
#include <grp.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "zdtm.h"

static char stack[65536] __attribute__((aligned(16)));
static int sv[2], pfd[2], dv[2];

/* The outside end: leave for the cgroup @arg, then echo until EOF. */
static int child(void *arg)
{
	char buf[64], ok = 1;
	int fd;
	ssize_t n;

	close(sv[0]);
	fd = open(arg, O_WRONLY);
	if (fd < 0 || write(fd, "0\n", 2) != 2)
		ok = 0;
	if (write(pfd[1], &ok, 1) != 1)
		return 1;
	while ((n = read(sv[1], buf, sizeof(buf))) > 0)
		if (write(sv[1], buf, n) != n)
			return 1;
	return 0;
}

/* Send @fd on @s, to be left in flight. */
static void send_fd(int s, int fd)
{
	union {
		struct cmsghdr	c;
		char		buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { "F", 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = &ctl,
			     .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	zdtm_check(sendmsg(s, &mh, 0) != 1, "sendmsg SCM_RIGHTS");
}

/* The descriptor in flight on @s, received with @flags (-1: none). */
static int take_fd(int s, int flags)
{
	union {
		struct cmsghdr	c;
		char		buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	char b;
	struct iovec iov = { &b, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = &ctl,
			     .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	int fd;

	if (recvmsg(s, &mh, flags) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* The descriptor in flight on @s is still there: receive it. */
static void recv_fd(int s)
{
	int fd = take_fd(s, MSG_DONTWAIT);

	if (fd < 0)
		zdtm_fail("the descriptor in flight is gone");
	if (fcntl(fd, F_GETFD) < 0)
		zdtm_fail("the descriptor received is not open");
	close(fd);
}

int main(int argc, char **argv)
{
	const char *mode = getenv("ZDTM_UNIX"), *cg = getenv("ZDTM_OUT_CG");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char procs[4200], buf[8], ok = 0;
	int s = -1, c = -1, a = -1;
	pid_t pid = 0, early = 0;

	zdtm_init(argc, argv);
	zdtm_check(!mode, "ZDTM_UNIX must be set");
	zdtm_check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
		   "socketpair");
	if (!strcmp(mode, "inflight")) {
		send_fd(sv[0], sv[0]);
	} else if (!strcmp(mode, "wrote") || !strcmp(mode, "gone") ||
		   !strcmp(mode, "bound") || !strcmp(mode, "lclosed")) {
		struct sockaddr_un cs = { .sun_family = AF_UNIX };
		bool accepted = !strcmp(mode, "bound") ||
				!strcmp(mode, "lclosed");

		if (!accepted)
			zdtm_path(sa.sun_path, sizeof(sa.sun_path), "sock");
		else
			snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1,
				 "crfs-zdtm-%d", getpid());
		snprintf(cs.sun_path + 1, sizeof(cs.sun_path) - 1,
			 "crfs-zdtm-client-%d", getpid());
		s = socket(AF_UNIX, SOCK_STREAM, 0);
		zdtm_check(s < 0 || bind(s, (void *)&sa, sizeof(sa)) ||
			   listen(s, 4), "listen");
		c = socket(AF_UNIX, SOCK_STREAM, 0);
		zdtm_check(c < 0 || (!strcmp(mode, "bound") &&
				     bind(c, (void *)&cs, sizeof(cs))) ||
			   connect(c, (void *)&sa, sizeof(sa)),
			   "connect to the listener");
		if (!strcmp(mode, "wrote"))
			zdtm_check(write(c, "w", 1) != 1, "write");
		if (!strcmp(mode, "gone")) {
			close(c);
			c = -1;
		}
		if (accepted)
			zdtm_check((a = accept(s, NULL, NULL)) < 0, "accept");
		if (!strcmp(mode, "lclosed"))
			close(s);
	} else if (!strcmp(mode, "early")) {
		snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1,
			 "crfs-zdtm-early-%d", getpid());
		zdtm_check(pipe(pfd), "pipe");
		early = fork();
		zdtm_check(early < 0, "fork");
		if (!early) {
			/* Until the parent is gone, or kills it. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(pfd[0]);
			s = socket(AF_UNIX, SOCK_STREAM, 0);
			ok = s >= 0 && !bind(s, (void *)&sa, sizeof(sa)) &&
			     !listen(s, 4);
			zdtm_check(write(pfd[1], &ok, 1) != 1, "write");
			close(pfd[1]);
			for (;;)
				pause();
		}
		zdtm_check(read(pfd[0], &ok, 1) != 1 || !ok,
			   "the child could not listen");
		close(pfd[0]);
		close(pfd[1]);
		c = socket(AF_UNIX, SOCK_STREAM, 0);
		zdtm_check(c < 0 || connect(c, (void *)&sa, sizeof(sa)),
			   "connect to the child's listener");
	} else if (!strcmp(mode, "unlinked")) {
		zdtm_path(sa.sun_path, sizeof(sa.sun_path), "gone.sock");
		s = socket(AF_UNIX, SOCK_DGRAM, 0);
		zdtm_check(s < 0 || bind(s, (void *)&sa, sizeof(sa)) ||
			   unlink(sa.sun_path), "bind, unlink");
	} else if (!strcmp(mode, "sender")) {
		struct sockaddr_un from = { .sun_family = AF_UNIX };

		snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1,
			 "crfs-zdtm-to-%d", getpid());
		snprintf(from.sun_path + 1, sizeof(from.sun_path) - 1,
			 "crfs-zdtm-from-%d", getpid());
		s = socket(AF_UNIX, SOCK_DGRAM, 0);
		c = socket(AF_UNIX, SOCK_DGRAM, 0);
		zdtm_check(s < 0 || c < 0 || bind(s, (void *)&sa, sizeof(sa)) ||
			   bind(c, (void *)&from, sizeof(from)) ||
			   sendto(c, "s", 1, 0, (void *)&sa, sizeof(sa)) != 1,
			   "send from a name");
	} else if (!strcmp(mode, "oneway")) {
		snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1,
			 "crfs-zdtm-oneway-%d", getpid());
		s = socket(AF_UNIX, SOCK_DGRAM, 0);
		c = socket(AF_UNIX, SOCK_DGRAM, 0);
		zdtm_check(s < 0 || c < 0 || bind(s, (void *)&sa, sizeof(sa)) ||
			   connect(c, (void *)&sa, sizeof(sa)), "connect");
	} else if (!strcmp(mode, "dead")) {
		/* A pair its maker sent here before it exited (reaped). */
		pid_t maker = fork();

		zdtm_check(maker < 0, "fork");
		if (!maker) {
			if (socketpair(AF_UNIX, SOCK_STREAM, 0, dv))
				_exit(1);
			send_fd(sv[1], dv[0]);
			send_fd(sv[1], dv[1]);
			_exit(0);
		}
		zdtm_check(waitpid(maker, NULL, 0) != maker, "waitpid");
		dv[0] = take_fd(sv[0], 0);
		dv[1] = take_fd(sv[0], 0);
		zdtm_check(dv[0] < 0 || dv[1] < 0, "receive the maker's pair");
		snprintf(procs, sizeof(procs), "%d\n", maker);
		zdtm_put("child", procs);
	} else if (!strcmp(mode, "xconn")) {
		/* A child listens and accepts; we connect as euid 4242. */
		snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1,
			 "crfs-zdtm-xconn-%d", getpid());
		zdtm_check(pipe(pfd), "pipe");
		early = fork();
		zdtm_check(early < 0, "fork");
		if (!early) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(pfd[0]);
			s = socket(AF_UNIX, SOCK_STREAM, 0);
			ok = s >= 0 && !bind(s, (void *)&sa, sizeof(sa)) &&
			     !listen(s, 4);
			zdtm_check(write(pfd[1], &ok, 1) != 1, "write");
			close(pfd[1]);
			a = ok ? accept(s, NULL, NULL) : -1;
			/* An echo: the connection still carries data. */
			while (a >= 0 && read(a, buf, 1) == 1 &&
			       write(a, buf, 1) == 1)
				;
			for (;;)
				pause();
		}
		zdtm_check(read(pfd[0], &ok, 1) != 1 || !ok,
			   "the child could not listen");
		close(pfd[0]);
		close(pfd[1]);
		c = socket(AF_UNIX, SOCK_STREAM, 0);
		zdtm_check(c < 0 || setresuid(-1, 4242, -1) ||
			   connect(c, (void *)&sa, sizeof(sa)) ||
			   setresuid(-1, 0, -1), "connect as euid 4242");
		snprintf(procs, sizeof(procs), "%d\n", early);
		zdtm_put("child", procs);
	} else if (!strcmp(mode, "xwait") || !strcmp(mode, "xmix")) {
		/* A child connects to our listener, as uid 4242. */
		snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1,
			 "crfs-zdtm-xconn-%d", getpid());
		s = socket(AF_UNIX, SOCK_STREAM, 0);
		zdtm_check(s < 0 || bind(s, (void *)&sa, sizeof(sa)) ||
			   listen(s, 4), "listen");
		zdtm_check(pipe(pfd), "pipe");
		early = fork();
		zdtm_check(early < 0, "fork");
		if (!early) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(pfd[0]);
			close(s);
			c = socket(AF_UNIX, SOCK_STREAM, 0);
			ok = c >= 0 && !setresuid(-1, 4242, -1) &&
			     !connect(c, (void *)&sa, sizeof(sa));
			zdtm_check(write(pfd[1], &ok, 1) != 1, "write");
			close(pfd[1]);
			for (;;)
				pause();
		}
		zdtm_check(read(pfd[0], &ok, 1) != 1 || !ok,
			   "the child could not connect");
		close(pfd[0]);
		close(pfd[1]);
		/* Accepted, and one of ours waiting on the same listener. */
		if (!strcmp(mode, "xmix")) {
			a = accept(s, NULL, NULL);
			c = socket(AF_UNIX, SOCK_STREAM, 0);
			zdtm_check(a < 0 || c < 0 ||
				   connect(c, (void *)&sa, sizeof(sa)),
				   "accept, then connect to our listener");
		}
		snprintf(procs, sizeof(procs), "%d\n", early);
		zdtm_put("child", procs);
	} else if (!strcmp(mode, "idwait")) {
		snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1,
			 "crfs-zdtm-idwait-%d", getpid());
		s = socket(AF_UNIX, SOCK_STREAM, 0);
		zdtm_check(s < 0 || bind(s, (void *)&sa, sizeof(sa)) ||
			   listen(s, 4), "listen");
		c = socket(AF_UNIX, SOCK_STREAM, 0);
		zdtm_check(c < 0 || connect(c, (void *)&sa, sizeof(sa)) ||
			   setresuid(-1, 4242, -1), "connect, then euid 4242");
		setfsuid(0);
		zdtm_check(setfsuid(-1) != 0, "fsuid 0");
	} else if (!strcmp(mode, "groups")) {
		/* A pair made with the supplementary group 4242 alone. */
		gid_t mine[64];
		int n = getgroups(64, mine);

		zdtm_check(n < 0 || setgroups(1, (gid_t[]){ 4242 }) ||
			   socketpair(AF_UNIX, SOCK_STREAM, 0, dv) ||
			   setgroups(n, mine), "socketpair with group 4242");
	} else if (!strcmp(mode, "closed")) {
		zdtm_check(socketpair(AF_UNIX, SOCK_DGRAM, 0, dv), "socketpair");
		close(dv[1]);
	} else if (!strcmp(mode, "outside")) {
		zdtm_check(!cg, "ZDTM_OUT_CG must be set");
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
		zdtm_check(pipe(pfd), "pipe");
		pid = clone(child, stack + sizeof(stack),
			    CLONE_PARENT | SIGCHLD, procs);
		zdtm_check(pid < 0, "clone");
		zdtm_check(read(pfd[0], &ok, 1) != 1 || !ok,
			   "the child could not leave for the cgroup");
		close(pfd[0]);
		close(pfd[1]);
		close(sv[1]);
		snprintf(procs, sizeof(procs), "%d\n", pid);
		zdtm_put("child", procs);
	} else {
		zdtm_fail("ZDTM_UNIX: inflight, wrote, gone, bound, lclosed, early, unlinked, "
			  "sender, oneway, closed, dead, xconn, xwait, xmix, idwait, "
			  "groups or outside");
	}
	zdtm_ready();
	zdtm_wait();
	if (!strcmp(mode, "inflight"))
		recv_fd(sv[1]);
	if (!strcmp(mode, "wrote") || !strcmp(mode, "gone"))
		zdtm_check((a = accept(s, NULL, NULL)) < 0,
			   "accept the connection waiting");
	if (!strcmp(mode, "wrote") &&
	    (read(a, buf, 1) != 1 || buf[0] != 'w'))
		zdtm_fail("the data the waiting client wrote is gone");
	if (!strcmp(mode, "gone") && read(a, buf, 1) != 0)
		zdtm_fail("the connection of a closed client is not at its end");
	if (!strcmp(mode, "idwait")) {
		struct ucred u;
		socklen_t len = sizeof(u);

		zdtm_check((a = accept(s, NULL, NULL)) < 0 ||
			   getsockopt(a, SOL_SOCKET, SO_PEERCRED, &u, &len),
			   "accept the connection waiting, SO_PEERCRED");
		if (u.pid != getpid() || u.uid != 0 || u.gid != 0)
			zdtm_fail("the accepted socket names pid %d uid %u gid "
				  "%u, not %d 0 0 (the connect()'s)", u.pid,
				  u.uid, u.gid, getpid());
	}
	if (a >= 0 && c >= 0 && strcmp(mode, "xmix"))
		zdtm_check(write(c, "n", 1) != 1 || read(a, buf, 1) != 1 ||
			   buf[0] != 'n', "talk over the accepted connection");
	if (early && !strcmp(mode, "xconn")) {
		struct ucred u;
		socklen_t len = sizeof(u);

		zdtm_check(getsockopt(c, SOL_SOCKET, SO_PEERCRED, &u, &len),
			   "SO_PEERCRED");
		if (u.pid != early || u.uid != 0)
			zdtm_fail("the client names pid %d uid %u, not its "
				  "listener's %d uid 0", u.pid, u.uid, early);
		zdtm_check(write(c, "x", 1) != 1 || read(c, buf, 1) != 1,
			   "talk to the child");
		if (buf[0] != 'x')
			zdtm_fail("the child's echo is '%c', not 'x'", buf[0]);
		kill(early, SIGKILL);
	} else if (early && (!strcmp(mode, "xwait") || !strcmp(mode, "xmix"))) {
		struct ucred u;
		socklen_t len = sizeof(u);
		int w;

		zdtm_check(!strcmp(mode, "xwait") &&
			   (a = accept(s, NULL, NULL)) < 0,
			   "accept the connection waiting");
		if (!strcmp(mode, "xmix")) {
			w = accept(s, NULL, NULL);
			zdtm_check(w < 0 || getsockopt(w, SOL_SOCKET,
						       SO_PEERCRED, &u, &len),
				   "accept our connection waiting");
			if (u.pid != getpid() || u.uid != 0)
				zdtm_fail("our waiting connection names pid %d "
					  "uid %u, not us", u.pid, u.uid);
			len = sizeof(u);
		}

		zdtm_check(getsockopt(a, SOL_SOCKET, SO_PEERCRED, &u, &len),
			   "SO_PEERCRED");
		if (u.pid != early || u.uid != 4242)
			zdtm_fail("the accepted socket names pid %d uid %u, not "
				  "its client %d uid 4242", u.pid, u.uid, early);
		kill(early, SIGKILL);
	} else if (early) {
		zdtm_check(write(c, "e", 1) != 1, "write to the child's listener");
		kill(early, SIGKILL);
	}
	if ((!strcmp(mode, "dead") || !strcmp(mode, "groups")) &&
	    (write(dv[0], "d", 1) != 1 || read(dv[1], buf, 1) != 1 ||
	     buf[0] != 'd'))
		zdtm_fail("the pair no longer talks");
	if (!strcmp(mode, "unlinked")) {
		struct sockaddr_un got;
		socklen_t len = sizeof(got);

		zdtm_check(getsockname(s, (void *)&got, &len), "getsockname");
		if (strcmp(got.sun_path, sa.sun_path))
			zdtm_fail("the socket lost its name");
	}
	if (!strcmp(mode, "sender") &&
	    (recv(s, buf, 1, MSG_DONTWAIT) != 1 || buf[0] != 's'))
		zdtm_fail("the datagram from a name is gone");
	if (!strcmp(mode, "oneway") &&
	    (send(c, "o", 1, 0) != 1 || recv(s, buf, 1, MSG_DONTWAIT) != 1))
		zdtm_fail("the connected datagram socket no longer sends");
	if (!strcmp(mode, "closed") &&
	    (send(dv[0], "c", 1, 0) != -1 || errno != ECONNREFUSED))
		zdtm_fail("the datagram socket sends to its closed peer");
	if (pid) {
		zdtm_check(write(sv[0], "echo", 4) != 4, "write");
		zdtm_check(read(sv[0], buf, 4) != 4, "read the echo");
		if (memcmp(buf, "echo", 4))
			zdtm_fail("the echo is wrong");
		kill(pid, SIGKILL);
	}
	zdtm_pass();
}
