// SPDX-License-Identifier: GPL-2.0
/*
 * The guardian: a process forked before any thread, holding only the read
 * end of a pipe whose write end the daemon keeps.  When the pipe hits EOF
 * the daemon is gone, however it died (SIGKILL included); the guardian then
 * thaws every container of the subtree and removes the empty cgroups, so no
 * container stays frozen forever.  It holds the subtree's lock (adopt.c)
 * until it is done: a new daemon adopts what it left, not what it works on.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "crfs-fuse.h"

/* Close every descriptor but @a and @b. */
static void crfs_guard_close_others(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;

	if (lo > 0)
		close_range(0, lo - 1, 0);
	if (hi > lo + 1)
		close_range(lo + 1, hi - 1, 0);
	close_range(hi + 1, ~0U, 0);
}

/* The guardian's life: wait for EOF, take the subtree down, exit. */
static void __attribute__((noreturn)) crfs_guard_run(const char *subtree, int fd,
						     int lock_fd)
{
	static const int ignored[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT };
	unsigned int i;
	char c;

	for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	prctl(PR_SET_NAME, "crfs-guard");
	crfs_guard_close_others(fd, lock_fd < 0 ? fd : lock_fd);
	for (;;) {
		ssize_t n = read(fd, &c, 1);

		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	cr_cgroup_tree_prune(subtree, true);
	_exit(0);		/* and the lock goes */
}

/**
 * crfs_guard_start() - fork the guardian of @subtree
 * @subtree: the daemon's cgroup subtree
 * @lock_fd: the subtree's locked directory, kept open by the guardian
 *           (-1: none)
 * @fdp:     receives the write end of the pipe; closing it (or dying)
 *           tells the guardian to act
 *
 * Call it before any thread exists.
 * Return: the guardian's pid, or -errno.
 */
pid_t crfs_guard_start(const char *subtree, int lock_fd, int *fdp)
{
	int p[2], err;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(p[0]);
		close(p[1]);
		return -err;
	}
	if (pid == 0)
		crfs_guard_run(subtree, p[0], lock_fd);
	close(p[0]);
	*fdp = p[1];
	return pid;
}

/**
 * crfs_guard_stop() - tell the guardian the daemon is done and reap it
 */
void crfs_guard_stop(pid_t pid, int fd)
{
	close(fd);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}
