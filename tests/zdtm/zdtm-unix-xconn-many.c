// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-unix-xconn-many: many connections accepted from another process's
 * connect(), behind a process with many descriptors.  The parent holds
 * 3000 descriptors (copies of fd 0) and forks L, which listens on
 * DIR/many.sock (backlog 4096) and forks K; K connects 2000 times (fds
 * 5000-6999), writing its index's low byte on each; L accepts them all
 * (fds 8000-9999).  After SIGTERM L checks that each accepted end names K
 * (SO_PEERCRED) and carries its byte, in order (DIR/pids: L and K).  The image's rules for
 * such connections must not take time quadratic in their number times
 * the descriptors before the listener (a checkpoint, verify and restore
 * of it are a second, not minutes).
 */
#include <stddef.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "zdtm.h"

#define NR_HELD		3000
#define NR_CONNS	2000

static struct sockaddr_un sa = { .sun_family = AF_UNIX };
static socklen_t salen;
static int sync1[2];

/* K: NR_CONNS clients at fds 5000 on, a byte each. */
static void k_main(void)
{
	for (int i = 0; i < NR_CONNS; i++) {
		int c = socket(AF_UNIX, SOCK_STREAM, 0);
		char b = (char)i;

		zdtm_check(c < 0 || dup2(c, 5000 + i) != 5000 + i, "socket");
		close(c);
		zdtm_check(connect(5000 + i, (void *)&sa, salen), "connect");
		zdtm_check(write(5000 + i, &b, 1) != 1, "write");
	}
	zdtm_check(write(sync1[1], "k", 1) != 1, "sync");
	zdtm_wait();
	exit(0);
}

/* L: listens, forks K, accepts its connections; checks them at the end. */
static void l_main(void)
{
	char pids[64];
	struct ucred u;
	socklen_t len;
	pid_t k;
	int l, a;
	char b;

	for (int i = 0; i < NR_HELD; i++)
		close(100 + i);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	zdtm_check(l < 0 || bind(l, (void *)&sa, salen) || listen(l, 4096),
		   "listen");
	k = fork();
	zdtm_check(k < 0, "fork");
	if (!k) {
		close(l);
		k_main();
	}
	for (int i = 0; i < NR_CONNS; i++) {
		a = accept(l, NULL, NULL);
		zdtm_check(a < 0 || dup2(a, 8000 + i) != 8000 + i, "accept");
		close(a);
	}
	snprintf(pids, sizeof(pids), "%d %d\n", (int)getpid(), (int)k);
	zdtm_check(zdtm_put("pids", pids), "pids");
	zdtm_check(write(sync1[1], "l", 1) != 1, "sync");
	zdtm_wait();
	for (int i = 0; i < NR_CONNS; i++) {
		len = sizeof(u);
		zdtm_check(getsockopt(8000 + i, SOL_SOCKET, SO_PEERCRED, &u,
				      &len), "SO_PEERCRED");
		if (u.pid != k)
			zdtm_fail("fd %d: SO_PEERCRED names pid %d, not %d",
				  8000 + i, u.pid, k);
		zdtm_check(read(8000 + i, &b, 1) != 1, "read");
		if (b != (char)i)
			zdtm_fail("fd %d: byte %d, not %d", 8000 + i, b,
				  (char)i);
	}
	kill(k, SIGTERM);
	exit(0);
}

int main(int argc, char **argv)
{
	pid_t p;
	char b;
	int st;

	struct rlimit rl;

	zdtm_init(argc, argv);
	/* Descriptors up to 9999: the soft limit raised, if it may be. */
	zdtm_check(getrlimit(RLIMIT_NOFILE, &rl), "getrlimit");
	if (rl.rlim_max < 10000) {
		zdtm_put("skip", "RLIMIT_NOFILE's hard limit below 10000\n");
		return 0;
	}
	rl.rlim_cur = rl.rlim_max;
	zdtm_check(setrlimit(RLIMIT_NOFILE, &rl), "setrlimit");
	zdtm_path(sa.sun_path, sizeof(sa.sun_path), "many.sock");
	salen = offsetof(struct sockaddr_un, sun_path) + strlen(sa.sun_path) + 1;
	zdtm_check(pipe(sync1), "pipe");
	for (int i = 0; i < NR_HELD; i++)
		zdtm_check(dup2(0, 100 + i) != 100 + i, "dup2");
	p = fork();
	zdtm_check(p < 0, "fork");
	if (!p)
		l_main();
	zdtm_check(read(sync1[0], &b, 1) != 1 || read(sync1[0], &b, 1) != 1,
		   "the children did not start");
	zdtm_ready();
	zdtm_wait();
	kill(p, SIGTERM);
	zdtm_check(waitpid(p, &st, 0) != p, "waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		zdtm_fail("L failed: %#x (its result says why)", st);
	zdtm_pass();
}
