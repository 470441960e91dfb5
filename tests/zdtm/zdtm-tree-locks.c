// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-tree-locks: file locks held across a tree.  The root takes a
 * flock() and an OFD lock on a description, then forks: the child shares
 * the description, and so the locks (one each, not two).  Each then takes
 * a POSIX lock of its own on another file, through its own description.
 * After the restore every lock is held, by its owner: a fresh description
 * of the first file cannot take the flock or the OFD range; F_GETLK names
 * the child as the holder of its range to the root, and the root as the
 * holder of its range to the child.
 */
#include <sys/file.h>
#include <sys/wait.h>

#include "zdtm.h"

#ifndef F_OFD_GETLK
#define F_OFD_GETLK	36
#define F_OFD_SETLK	37
#endif

/* A write lock of [@start, @start + @len) by @cmd on @fd. */
static int locks_set(int fd, int cmd, off_t start, off_t len)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = start, .l_len = len };

	return fcntl(fd, cmd, &fl);
}

/* Who holds a lock on [@start, @start + @len) of @fd: its pid, -1 (OFD) or 0. */
static pid_t locks_holder(int fd, int cmd, off_t start, off_t len)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = start, .l_len = len };

	if (fcntl(fd, cmd, &fl))
		return -2;
	return fl.l_type == F_UNLCK ? 0 : fl.l_pid;
}

int main(int argc, char **argv)
{
	char path1[4096], path2[4096];
	int fd1, fd2, fresh, status, up[2];
	pid_t child, root = getpid();
	char c;

	zdtm_init(argc, argv);
	zdtm_path(path1, sizeof(path1), "lock1");
	zdtm_path(path2, sizeof(path2), "lock2");
	fd1 = open(path1, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	fd2 = open(path2, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	zdtm_check(fd1 < 0 || fd2 < 0, "open");
	zdtm_check(flock(fd1, LOCK_EX), "flock");
	zdtm_check(locks_set(fd1, F_OFD_SETLK, 100, 10), "OFD lock");
	zdtm_check(pipe2(up, O_CLOEXEC), "pipe");
	child = fork();
	zdtm_check(child < 0, "fork");
	if (child == 0) {
		int own = open(path2, O_RDWR | O_CLOEXEC);

		close(up[0]);
		if (own < 0 || locks_set(own, F_SETLK, 0, 10) ||
		    write(up[1], "u", 1) != 1)
			_exit(2);
		close(up[1]);
		zdtm_wait();
		if (locks_holder(own, F_GETLK, 20, 10) != root) {
			fprintf(stderr, "child: range 20 is not the root's\n");
			_exit(3);
		}
		_exit(0);
	}
	close(up[1]);
	zdtm_check(read(up[0], &c, 1) != 1, "the child is not up");
	close(up[0]);
	zdtm_check(locks_set(fd2, F_SETLK, 20, 10), "POSIX lock");
	zdtm_ready();
	zdtm_wait();
	fresh = open(path1, O_RDWR | O_CLOEXEC);
	zdtm_check(fresh < 0, "open again");
	if (!flock(fresh, LOCK_EX | LOCK_NB))
		zdtm_fail("the flock() of the shared description is not held");
	if (locks_holder(fresh, F_OFD_GETLK, 100, 10) != -1)
		zdtm_fail("the OFD lock of the shared description is not held");
	if (locks_holder(fd2, F_GETLK, 0, 10) != child)
		zdtm_fail("range 0 of lock2 is not the child's (%d)", child);
	kill(child, SIGTERM);
	zdtm_check(waitpid(child, &status, 0) != child, "wait child");
	if (status)
		zdtm_fail("the child: status %#x", status);
	zdtm_pass();
}
