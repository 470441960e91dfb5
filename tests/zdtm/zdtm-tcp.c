// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-tcp: a TCP connection over the loopback between this process (the
 * server, its listener still open) and its child (the client), with
 * bytes queued both ways: each end wrote until its peer's window and its
 * own buffer were full, and read nothing.  After the restore each reads
 * every byte the other wrote, in order, then they exchange more; the
 * listener accepts a new connection; options set on the connection
 * (TCP_NODELAY, SO_KEEPALIVE, SO_REUSEADDR) read as before.  With
 * $ZDTM_TCP_IDLE set, nothing is queued: the killed connection would
 * close with a FIN and hold its addresses, unless crfs quiets it.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "zdtm.h"

/* Shared with the child: what each end wrote before the checkpoint. */
struct tcp_shared {
	uint64_t	wrote[2];	/* 0: server, 1: client */
	int		ready[2];
};

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

/* Byte @i of what end @side writes. */
static uint8_t pat(uint64_t i, int side)
{
	return (uint8_t)(i * 7 + 13 * side + (i >> 9));
}

/* Write until nothing more fits; how many bytes. */
static uint64_t fill(int fd, int side)
{
	uint8_t buf[4096];
	uint64_t n = 0;
	ssize_t w;

	if (getenv("ZDTM_TCP_IDLE"))
		return 0;
	zdtm_check(fcntl(fd, F_SETFL, O_NONBLOCK), "O_NONBLOCK");
	for (;;) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = pat(n + i, side);
		w = write(fd, buf, sizeof(buf));
		if (w < 0 && errno == EAGAIN)
			break;
		zdtm_check(w <= 0, "write");
		n += w;
	}
	zdtm_check(fcntl(fd, F_SETFL, 0), "blocking again");
	return n;
}

/* Read @n bytes of end @side's pattern: 0, or -1 (what is wrong in @why). */
static int drain(int fd, uint64_t n, int side, const char **why)
{
	uint8_t buf[4096];
	uint64_t got = 0;

	while (got < n) {
		size_t want = n - got < sizeof(buf) ? n - got : sizeof(buf);
		ssize_t r = read(fd, buf, want);

		if (r <= 0) {
			*why = "the connection ended before every byte came";
			return -1;
		}
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] != pat(got + i, side)) {
				*why = "a byte differs from what was written";
				return -1;
			}
		got += r;
	}
	return 0;
}

static void setint(int fd, int level, int name, int v)
{
	zdtm_check(setsockopt(fd, level, name, &v, sizeof(v)), "setsockopt");
}

static int getint(int fd, int level, int name)
{
	socklen_t len = sizeof(int);
	int v = -1;

	zdtm_check(getsockopt(fd, level, name, &v, &len), "getsockopt");
	return v;
}

static void child(int c, struct tcp_shared *sh, const sigset_t *old)
{
	const char *why = NULL;
	char b[5];

	sh->wrote[1] = fill(c, 1);
	sh->ready[1] = 1;
	while (!go)
		sigsuspend(old);
	if (drain(c, sh->wrote[0], 0, &why))
		_exit(2);
	if (write(c, "pong", 4) != 4 || read(c, b, 4) != 4 ||
	    memcmp(b, "ping", 4))
		_exit(3);
	_exit(0);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	struct tcp_shared *sh;
	sigset_t usr1, old;
	const char *why = NULL;
	int l, c, s, st;
	pid_t pid;
	char b[8];

	zdtm_init(argc, argv);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	zdtm_check(sh == MAP_FAILED, "mmap");
	signal(SIGUSR1, on_usr1);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	zdtm_check(l < 0, "socket");
	setint(l, SOL_SOCKET, SO_REUSEADDR, 1);
	setint(l, SOL_SOCKET, SO_RCVBUF, 8192);
	setint(l, SOL_SOCKET, SO_SNDBUF, 8192);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	zdtm_check(bind(l, (void *)&a, sizeof(a)) ||
		   getsockname(l, (void *)&a, &len) || listen(l, 8), "listen");
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	zdtm_check(c < 0, "socket");
	setint(c, SOL_SOCKET, SO_RCVBUF, 8192);
	setint(c, SOL_SOCKET, SO_SNDBUF, 8192);
	zdtm_check(connect(c, (void *)&a, sizeof(a)), "connect");
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	zdtm_check(s < 0, "accept");
	setint(s, IPPROTO_TCP, TCP_NODELAY, 1);
	setint(s, SOL_SOCKET, SO_KEEPALIVE, 1);
	pid = fork();
	zdtm_check(pid < 0, "fork");
	if (!pid) {
		close(s);
		close(l);
		child(c, sh, &old);
	}
	close(c);
	sh->wrote[0] = fill(s, 0);
	while (!sh->ready[1])
		usleep(1000);
	snprintf(b, sizeof(b), "%d", ntohs(a.sin_port));
	zdtm_put("port", b);
	zdtm_ready();
	zdtm_wait();
	if (getint(s, IPPROTO_TCP, TCP_NODELAY) != 1 ||
	    getint(s, SOL_SOCKET, SO_KEEPALIVE) != 1 ||
	    getint(l, SOL_SOCKET, SO_REUSEADDR) != 1)
		zdtm_fail("options of the connection or listener lost");
	kill(pid, SIGUSR1);
	if (drain(s, sh->wrote[1], 1, &why))
		zdtm_fail("server: %s (%llu bytes expected)", why,
			  (unsigned long long)sh->wrote[1]);
	if (read(s, b, 4) != 4 || memcmp(b, "pong", 4) ||
	    write(s, "ping", 4) != 4)
		zdtm_fail("no exchange after the queues");
	zdtm_check(waitpid(pid, &st, 0) != pid, "waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		zdtm_fail("client: status %#x (2: its bytes, 3: exchange)", st);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	zdtm_check(c < 0 || connect(c, (void *)&a, sizeof(a)) ||
		   accept(l, NULL, NULL) < 0, "a new connection to the listener");
	zdtm_pass();
}
