// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-inotify: an inotify instance comes back with its watches, their
 * wds and masks.  Watches: DIR (IN_CREATE | IN_DELETE), DIR/file
 * (IN_MODIFY | IN_ONESHOT) after a watch made and removed (a hole in the
 * wds), DIR/sub (IN_ATTRIB | IN_EXCL_UNLINK); the IN_IGNORED of the
 * removed one read before the checkpoint.  After SIGTERM: its fdinfo
 * lists the same watches (wd, inode, mask), nothing is queued, a file
 * made in DIR is reported with its wd and name, DIR/file's write once
 * (then IN_IGNORED: one-shot), and a new watch gets the next wd.
 */
#include <sys/inotify.h>
#include <sys/ioctl.h>

#include "zdtm.h"

/* The "inotify wd:" lines of fd @fd's fdinfo into @buf. */
static void watches(int fd, char *buf, size_t len)
{
	char path[64], all[8192], *l, *next;
	int f;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	zdtm_check(f < 0, "open fdinfo");
	n = read(f, all, sizeof(all) - 1);
	zdtm_check(n < 0, "read fdinfo");
	all[n] = '\0';
	close(f);
	buf[0] = '\0';
	for (l = all; l && *l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(l, "inotify wd:", 11) &&
		    strlen(buf) + strlen(l) + 2 < len) {
			strcat(buf, l);
			strcat(buf, "\n");
		}
	}
}

/* Events read and not yet taken by next_event(). */
static char evbuf[4096];
static ssize_t evlen, evoff;

/* The next event of @fd within a second, into @ev (with its name). */
static int next_event(int fd, struct inotify_event *ev, size_t len)
{
	const struct inotify_event *e;
	size_t sz;

	for (int i = 0; evoff >= evlen && i < 100; i++) {
		evoff = 0;
		evlen = read(fd, evbuf, sizeof(evbuf));
		if (evlen > 0)
			break;
		zdtm_check(errno != EAGAIN, "read inotify");
		usleep(10000);
	}
	if (evoff >= evlen)
		return -1;
	e = (const void *)(evbuf + evoff);
	sz = sizeof(*e) + e->len;
	zdtm_check(sz > len, "event too long");
	memcpy(ev, e, sz);
	evoff += sz;
	return 0;
}

int main(int argc, char **argv)
{
	char dir[2048], file[2100], sub[2100], made[2100];
	static char before[8192], after[8192];
	union {
		struct inotify_event	ev;
		char			buf[4096];
	} u;
	int fd, wdir, wfile, wsub, gone, w, q, f;

	zdtm_init(argc, argv);
	snprintf(dir, sizeof(dir), "%s/w", zdtm_dir);
	snprintf(file, sizeof(file), "%s/file", dir);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(made, sizeof(made), "%s/made", dir);
	zdtm_check(mkdir(dir, 0755) || mkdir(sub, 0755), "mkdir");
	f = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	zdtm_check(f < 0, "create file");
	close(f);
	fd = inotify_init1(IN_NONBLOCK);
	zdtm_check(fd < 0, "inotify_init1");
	wdir = inotify_add_watch(fd, dir, IN_CREATE | IN_DELETE);
	gone = inotify_add_watch(fd, "/", IN_OPEN);
	zdtm_check(wdir < 0 || gone < 0, "inotify_add_watch");
	zdtm_check(inotify_rm_watch(fd, gone), "inotify_rm_watch");
	wfile = inotify_add_watch(fd, file, IN_MODIFY | IN_ONESHOT);
	wsub = inotify_add_watch(fd, sub, IN_ATTRIB | IN_EXCL_UNLINK);
	zdtm_check(wfile < 0 || wsub < 0, "inotify_add_watch");
	/* The IN_IGNORED of the removed one: nothing left queued. */
	while (read(fd, u.buf, sizeof(u.buf)) > 0)
		;
	watches(fd, before, sizeof(before));
	zdtm_ready();
	zdtm_wait();

	watches(fd, after, sizeof(after));
	if (strcmp(before, after))
		zdtm_fail("watches changed:\n%s--- now:\n%s", before, after);
	zdtm_check(ioctl(fd, FIONREAD, &q), "FIONREAD");
	if (q)
		zdtm_fail("%d bytes of events queued after the restore", q);
	if (!(fcntl(fd, F_GETFL) & O_NONBLOCK))
		zdtm_fail("O_NONBLOCK lost");
	f = open(made, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	zdtm_check(f < 0, "create made");
	close(f);
	if (next_event(fd, &u.ev, sizeof(u.buf)) || u.ev.wd != wdir ||
	    !(u.ev.mask & IN_CREATE) || strcmp(u.ev.name, "made"))
		zdtm_fail("no IN_CREATE of made on wd %d (wd %d mask %#x)",
			  wdir, u.ev.wd, u.ev.mask);
	f = open(file, O_WRONLY | O_CLOEXEC);
	zdtm_check(f < 0 || write(f, "x", 1) != 1 || write(f, "y", 1) != 1,
		   "write file");
	close(f);
	if (next_event(fd, &u.ev, sizeof(u.buf)) || u.ev.wd != wfile ||
	    !(u.ev.mask & IN_MODIFY))
		zdtm_fail("no IN_MODIFY on wd %d (wd %d mask %#x)", wfile,
			  u.ev.wd, u.ev.mask);
	if (next_event(fd, &u.ev, sizeof(u.buf)) || u.ev.wd != wfile ||
	    !(u.ev.mask & IN_IGNORED))
		zdtm_fail("one-shot: no IN_IGNORED after one event (wd %d "
			  "mask %#x)", u.ev.wd, u.ev.mask);
	w = inotify_add_watch(fd, made, IN_DELETE_SELF);
	if (w != wsub + 1)
		zdtm_fail("a new watch got wd %d, not %d", w, wsub + 1);
	unlink(made);
	unlink(file);
	rmdir(sub);
	rmdir(dir);
	zdtm_pass();
}
