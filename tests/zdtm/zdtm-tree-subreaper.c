// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-tree-subreaper: the root is a child subreaper (PR_SET_CHILD_SUBREAPER)
 * with a child C and a grandchild G.  After the restore, on SIGTERM, the
 * root ends C; G, orphaned, must be reparented to the root (its nearest
 * subreaper), not to init: the root then ends G and reaps it.  A restore
 * that made C before the root was a subreaper again, and did not tell C
 * (fork() copies has_child_subreaper), loses G to init.  The pipe that
 * tells the root G is up is closed before the program is ready.
 */
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "zdtm.h"

/* The parent of @pid, as /proc says, or -1. */
static pid_t subreaper_ppid(pid_t pid)
{
	char path[64], buf[512], *s;
	int ppid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f) && (s = strrchr(buf, ')')))
		sscanf(s + 1, " %*c %d", &ppid);
	fclose(f);
	return ppid;
}

int main(int argc, char **argv)
{
	int up[2], status, i;
	pid_t c, g;

	zdtm_init(argc, argv);
	zdtm_check(prctl(PR_SET_CHILD_SUBREAPER, 1) || pipe2(up, O_CLOEXEC), "subreaper, pipe");
	c = fork();
	zdtm_check(c < 0, "fork C");
	if (c == 0) {
		close(up[0]);
		g = fork();
		if (g < 0)
			_exit(2);
		if (g == 0) {
			zdtm_wait();
			_exit(0);
		}
		if (write(up[1], &g, sizeof(g)) != sizeof(g))
			_exit(2);
		close(up[1]);
		zdtm_wait();
		_exit(0);
	}
	close(up[1]);
	zdtm_check(read(up[0], &g, sizeof(g)) != sizeof(g), "G is not up");
	close(up[0]);
	zdtm_ready();
	zdtm_wait();
	kill(c, SIGTERM);
	zdtm_check(waitpid(c, &status, 0) != c, "wait C");
	for (i = 0; i < 200 && subreaper_ppid(g) != getpid(); i++)
		usleep(10000);
	if (subreaper_ppid(g) != getpid())
		zdtm_fail("G (%d): its parent is %d, not the subreaper %d", g,
			  subreaper_ppid(g), getpid());
	kill(g, SIGTERM);
	zdtm_check(waitpid(g, &status, 0) != g, "wait G");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		zdtm_fail("G: status %#x", status);
	zdtm_pass();
}
