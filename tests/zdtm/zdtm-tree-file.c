// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-tree-file: one open file description a parent and its child share
 * after fork() (one offset, no O_APPEND), nothing else: the root writes
 * "r0", its child K "k0" through it before the checkpoint; after the
 * restore K writes "k1" on SIGTERM and exits, then the root "r1".  The
 * file must read "r0k0k1r1": with two descriptions (two offsets) the
 * root's "r1" would land on K's "k1".  The pipe that tells the root K is
 * up is closed before the program is ready.
 */
#include <stdio.h>
#include <sys/wait.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	char path[PATH_MAX], buf[32], c;
	int fd, up[2], status;
	ssize_t n;
	pid_t k;

	zdtm_init(argc, argv);
	zdtm_path(path, sizeof(path), "shared");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	zdtm_check(fd < 0 || pipe2(up, O_CLOEXEC), "open, pipe");
	zdtm_check(write(fd, "r0", 2) != 2, "write r0");
	k = fork();
	zdtm_check(k < 0, "fork");
	if (k == 0) {
		close(up[0]);
		if (write(fd, "k0", 2) != 2 || write(up[1], "k", 1) != 1)
			_exit(2);
		close(up[1]);
		zdtm_wait();
		_exit(write(fd, "k1", 2) == 2 ? 0 : 3);
	}
	close(up[1]);
	zdtm_check(read(up[0], &c, 1) != 1, "K is not up");
	close(up[0]);
	zdtm_ready();
	zdtm_wait();
	kill(k, SIGTERM);
	zdtm_check(waitpid(k, &status, 0) != k, "wait K");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		zdtm_fail("K: status %#x", status);
	zdtm_check(write(fd, "r1", 2) != 2, "write r1");
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	zdtm_check(n < 0, "pread");
	buf[n] = 0;
	if (strcmp(buf, "r0k0k1r1"))
		zdtm_fail("the file reads \"%s\", not \"r0k0k1r1\": two offsets?", buf);
	zdtm_pass();
}
