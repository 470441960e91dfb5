// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-tree-pipe: a pipe between two processes, nothing else shared: the
 * root holds its read end, its child K the write end, "before" in it.
 * After the restore K writes "after" on SIGTERM and exits; the root must
 * read "beforeafter", then end of file (K's end was K's alone).  The pipe
 * that tells the root K is up is closed before the program is ready.
 */
#include <stdio.h>
#include <sys/wait.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	int p[2], up[2], status;
	char buf[32], c;
	size_t got = 0;
	ssize_t n;
	pid_t k;

	zdtm_init(argc, argv);
	zdtm_check(pipe2(p, O_CLOEXEC) || pipe2(up, O_CLOEXEC), "pipe");
	k = fork();
	zdtm_check(k < 0, "fork");
	if (k == 0) {
		close(p[0]);
		close(up[0]);
		if (write(p[1], "before", 6) != 6 || write(up[1], "k", 1) != 1)
			_exit(2);
		close(up[1]);
		zdtm_wait();
		_exit(write(p[1], "after", 5) == 5 ? 0 : 3);
	}
	close(p[1]);
	close(up[1]);
	zdtm_check(read(up[0], &c, 1) != 1, "K is not up");
	close(up[0]);
	zdtm_ready();
	zdtm_wait();
	kill(k, SIGTERM);
	zdtm_check(waitpid(k, &status, 0) != k, "wait K");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		zdtm_fail("K: status %#x", status);
	while (got < sizeof(buf) - 1 &&
	       (n = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	buf[got] = 0;
	if (strcmp(buf, "beforeafter"))
		zdtm_fail("read \"%s\", not \"beforeafter\" then end of file", buf);
	zdtm_pass();
}
