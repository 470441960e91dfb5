// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-inotify: an inotify instance holding an event not yet read
 * (a file made in its watched directory): the checkpoint must refuse it
 * (queued events are not kept), and the process goes on unharmed: the
 * event is still there to read after the thaw.
 */
#include <sys/inotify.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	union {
		struct inotify_event	ev;
		char			buf[4096];
	} u;
	char dir[2048], made[2100];
	int fd, wd, f;

	zdtm_init(argc, argv);
	snprintf(dir, sizeof(dir), "%s/w", zdtm_dir);
	snprintf(made, sizeof(made), "%s/made", dir);
	zdtm_check(mkdir(dir, 0755), "mkdir");
	fd = inotify_init1(IN_NONBLOCK);
	zdtm_check(fd < 0, "inotify_init1");
	wd = inotify_add_watch(fd, dir, IN_CREATE);
	zdtm_check(wd < 0, "inotify_add_watch");
	f = open(made, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	zdtm_check(f < 0, "create");
	close(f);
	zdtm_ready();
	zdtm_wait();
	if (read(fd, u.buf, sizeof(u.buf)) <= 0 || u.ev.wd != wd ||
	    !(u.ev.mask & IN_CREATE) || strcmp(u.ev.name, "made"))
		zdtm_fail("the queued IN_CREATE is gone");
	unlink(made);
	rmdir(dir);
	zdtm_pass();
}
