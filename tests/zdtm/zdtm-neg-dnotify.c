// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-dnotify: a dnotify (F_NOTIFY) on a directory, which the
 * checkpoint must refuse.  After SIGTERM it still signals a creation.
 */
#include "zdtm.h"

static volatile sig_atomic_t got;

/* The dnotify signal (SIGIO). */
static void on_io(int sig)
{
	(void)sig;
	got++;
}

/* Create @name in @dir. */
static void touch(const char *dir, const char *name)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	close(open(p, O_CREAT | O_WRONLY, 0644));
}

int main(int argc, char **argv)
{
	char dir[4096];
	int fd;

	zdtm_init(argc, argv);
	zdtm_path(dir, sizeof(dir), "watched");
	zdtm_check(mkdir(dir, 0755), "mkdir");
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	zdtm_check(fd < 0, "open");
	signal(SIGIO, on_io);
	zdtm_check(fcntl(fd, F_NOTIFY, DN_CREATE | DN_MULTISHOT), "F_NOTIFY");
	touch(dir, "before");
	if (!got)
		zdtm_fail("dnotify did not signal before the checkpoint");
	zdtm_ready();
	zdtm_wait();
	got = 0;
	touch(dir, "after");
	if (!got)
		zdtm_fail("the dnotify is gone");
	zdtm_pass();
}
