// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-inotify: an inotify instance holding an event not yet read
 * (a file made in its watched directory): the checkpoint must refuse it
 * (queued events are not kept), and the process goes on unharmed: the
 * event is still there to read after the thaw.
 * ZDTM_NEG_INOTIFY=memfd: a watch of a memfd instead (a watched inode
 * with no path that is no deleted file); =open: a watch of a deleted
 * file for IN_OPEN (the checkpoint's read of it would be reported); =dir:
 * a watch for IN_OPEN of the directory a deleted file was in (the kernel
 * still reports the file's events there, by its old name).
 * Either is refused, and the only event read after the thaw is one the
 * process makes then (none for a memfd on Linux 6.14 and later): the
 * checkpoint queued nothing (it did not read the file).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/mman.h>

#include "zdtm.h"

/*
 * A watch of a memfd or of a deleted file (@how), for IN_OPEN and
 * IN_MODIFY; after the thaw only the IN_MODIFY of a write is queued.
 */
static int gone(const char *how)
{
	union {
		struct inotify_event	ev;
		char			buf[4096];
	} u;
	bool dir = !strcmp(how, "dir");
	char path[2200], wdir[2100];
	int in, fd, n;

	snprintf(wdir, sizeof(wdir), "%s/w", zdtm_dir);
	zdtm_check(dir && mkdir(wdir, 0755), "mkdir");
	snprintf(path, sizeof(path), "%s/gone", dir ? wdir : zdtm_dir);
	fd = !strcmp(how, "memfd") ? memfd_create("zdtm-neg", 0) :
	     open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	zdtm_check(fd < 0, "memfd_create or create");
	in = inotify_init1(IN_NONBLOCK);
	zdtm_check(in < 0, "inotify_init1");
	if (!dir)
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	zdtm_check(inotify_add_watch(in, dir ? wdir : path,
				     IN_OPEN | IN_MODIFY) < 0,
		   "inotify_add_watch");
	snprintf(path, sizeof(path), "%s/gone", dir ? wdir : zdtm_dir);
	if (strcmp(how, "memfd"))
		zdtm_check(unlink(path), "unlink");
	zdtm_ready();
	zdtm_wait();
	zdtm_check(write(fd, "x", 1) != 1, "write");
	n = read(in, u.buf, sizeof(u.buf));
	/* A memfd's own descriptions report nothing (Linux 6.14 on). */
	if (!strcmp(how, "memfd") && n < 0 && errno == EAGAIN)
		zdtm_pass();
	if (n != (int)(sizeof(u.ev) + u.ev.len) || u.ev.mask != IN_MODIFY)
		zdtm_fail("%d bytes of events (mask %#x), one IN_MODIFY "
			  "expected", n, n > 0 ? u.ev.mask : 0);
	zdtm_pass();
}

int main(int argc, char **argv)
{
	union {
		struct inotify_event	ev;
		char			buf[4096];
	} u;
	char dir[2048], made[2100];
	int fd, wd, f;

	zdtm_init(argc, argv);
	if (getenv("ZDTM_NEG_INOTIFY"))
		return gone(getenv("ZDTM_NEG_INOTIFY"));
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
