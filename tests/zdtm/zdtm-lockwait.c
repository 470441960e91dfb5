// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-lockwait: a process waiting for a POSIX lock (F_SETLKW) that a
 * process outside the container holds on bytes 0-9 of DIR/wait.  It is
 * checkpointed while it waits: the wait is no lock it holds and is not in
 * the image; the restore restarts its fcntl() and it waits again.  Once
 * the holder lets go, it gets the lock; after SIGTERM a probe (a child)
 * finds the lock held by this process.
 */
#include <sys/wait.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = 0, .l_len = 10 };
	char path[4096];
	int fd, status;
	pid_t pid;

	zdtm_init(argc, argv);
	zdtm_path(path, sizeof(path), "wait");
	fd = open(path, O_RDWR | O_CREAT, 0644);
	zdtm_check(fd < 0, "open wait");
	zdtm_ready();
	zdtm_check(fcntl(fd, F_SETLKW, &fl), "F_SETLKW");
	zdtm_wait();
	pid = fork();
	zdtm_check(pid < 0, "fork");
	if (!pid) {
		struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
				   .l_start = 5, .l_len = 1 };

		zdtm_check(fcntl(fd, F_GETLK, &q), "probe F_GETLK");
		if (q.l_type != F_WRLCK || q.l_pid != getppid() ||
		    q.l_start != 0 || q.l_len != 10)
			zdtm_fail("probe: the lock waited for is not ours: type %d pid %d %lld+%lld",
				  q.l_type, q.l_pid, (long long)q.l_start,
				  (long long)q.l_len);
		_exit(0);
	}
	zdtm_check(waitpid(pid, &status, 0) != pid, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	zdtm_pass();
}
