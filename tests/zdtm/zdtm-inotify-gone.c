// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-inotify-gone: an inotify watch on a file that has no path any
 * more, as CRIU's zdtm inotify00 has: a file of a watched directory,
 * watched itself, open and deleted (with data in it).  After the restore
 * (or a thaw) nothing is queued (neither made an event), the file keeps
 * its data, and the watch reports what the process does to it: IN_MODIFY
 * on a write, IN_CLOSE_WRITE, IN_DELETE_SELF and IN_IGNORED when its last
 * descriptor is closed, IN_CLOSE_WRITE on the directory's watch too.
 */
#include <sys/inotify.h>

#include "zdtm.h"

/* Not IN_OPEN, IN_ACCESS, IN_CLOSE_NOWRITE: refused (zdtm-neg-inotify). */
#define FMASK	(IN_MODIFY | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_ATTRIB)

/* The next event of @fd into @ev (its name dropped): 1, or 0: none. */
static int next_event(int fd, struct inotify_event *ev)
{
	static char buf[4096] __attribute__((aligned(8)));
	static int len, off;
	struct inotify_event *e;

	if (off >= len) {
		len = read(fd, buf, sizeof(buf));
		off = 0;
		if (len <= 0) {
			len = 0;
			return 0;
		}
	}
	e = (struct inotify_event *)(buf + off);
	*ev = *e;
	off += sizeof(*e) + e->len;
	return 1;
}

int main(int argc, char **argv)
{
	static const uint32_t want[] = { IN_MODIFY, IN_CLOSE_WRITE,
					 IN_DELETE_SELF, IN_IGNORED };
	char dir[2048], path[2100], got[8];
	struct inotify_event ev;
	int in, fd, wdir, wf, n = 0, dirclose = 0;

	zdtm_init(argc, argv);
	snprintf(dir, sizeof(dir), "%s/w", zdtm_dir);
	snprintf(path, sizeof(path), "%s/gone", dir);
	zdtm_check(mkdir(dir, 0755), "mkdir");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	zdtm_check(fd < 0, "create");
	zdtm_check(write(fd, "payload", 7) != 7, "write");
	in = inotify_init1(IN_NONBLOCK);
	zdtm_check(in < 0, "inotify_init1");
	wdir = inotify_add_watch(in, dir, IN_CLOSE_WRITE | IN_DELETE |
				 IN_CREATE);
	wf = inotify_add_watch(in, path, FMASK);
	zdtm_check(wdir < 0 || wf < 0, "inotify_add_watch");
	zdtm_check(unlink(path), "unlink");
	while (next_event(in, &ev))
		;
	zdtm_ready();
	zdtm_wait();

	if (next_event(in, &ev))
		zdtm_fail("an event (wd %d, mask %#x) was queued by the "
			  "checkpoint or the restore", ev.wd, ev.mask);
	if (pread(fd, got, 7, 0) != 7 || memcmp(got, "payload", 7))
		zdtm_fail("the deleted file lost its data");
	zdtm_check(pwrite(fd, "P", 1, 0) != 1, "pwrite");
	close(fd);
	while (next_event(in, &ev)) {
		if (ev.wd == wdir && ev.mask == IN_CLOSE_WRITE) {
			dirclose++;
		} else if (ev.wd == wf && n < 4 && ev.mask == want[n]) {
			n++;
		} else {
			zdtm_fail("unexpected event: wd %d mask %#x (file "
				  "events so far %d)", ev.wd, ev.mask, n);
		}
	}
	if (n != 4 || dirclose != 1)
		zdtm_fail("events missing: file %d of 4, dir %d", n, dirclose);
	rmdir(dir);
	zdtm_pass();
}
