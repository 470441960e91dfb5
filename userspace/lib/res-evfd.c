// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "events": a process's event descriptors, eventfd,
 * signalfd, timerfd, epoll and inotify (FILEs of those kinds, crfs.h;
 * inotify in res-inotify.c), and the refusal of those it cannot bring
 * back exactly.
 *
 * Checkpoint: /proc/PID/fdinfo tells each one's state without touching it
 * (cr_evfd_probe(), called for the descriptors of the "files" row): the
 * eventfd's counter and EFD_SEMAPHORE, the signalfd's mask, the timerfd's
 * clock, settime flags, expirations not read, time left and period, the
 * epoll instance's targets (descriptor, events, data).  An epoll target
 * is the descriptor it was added with (kcmp(KCMP_EPOLL_TFD)), or, that
 * descriptor closed, is reached by another descriptor of the process of
 * its description (via): the restore dup2()s that one to the old number,
 * adds it and closes the number.  A closed target no descriptor of the
 * process reaches, or whose number now is another description, is
 * refused: epoll_ctl() adds a target only by a descriptor it has.
 *
 * Restore: the new process makes each object itself, at the number of
 * its first descriptor (cr_rst_evfd_make(), raw system calls, in the
 * "files" row's child step): eventfd2() and a write() of the counter,
 * signalfd4(), timerfd_create(), epoll_create1().  Then, in the late
 * steps, with injected calls once every descriptor exists: epoll_ctl()
 * of each target with its events and data, timerfd_settime() with the
 * time left (relative to now: the time the container spent frozen does
 * not count) or the absolute expiry (TFD_TIMER_ABSTIME), and
 * TFD_IOC_SET_TICKS for the expirations not read.
 *
 * Not brought back: a level-triggered target is reported again as the
 * kernel finds it ready, but an edge-triggered (EPOLLET) target that was
 * ready and already reported is reported once more after the restore
 * (epoll_ctl() finds it ready: a spurious wake-up, which EPOLLET users
 * must handle anyway).  A one-shot target that fired is added back with
 * only its flags, but epoll_ctl() adds EPOLLERR | EPOLLHUP to every
 * target: exact for the event descriptors, none of which raises them; a
 * pipe or FIFO target (which can) that fired is refused (img-check-evfd.c),
 * a socket target must refuse or re-disarm it too.
 * The signals a signalfd reads are the process's pending signals
 * ("signals" row).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/kcmp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>

#include "dump.h"
#include "proc.h"
#include "restore.h"

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS	_IOW('T', 0, uint64_t)
#endif
#ifndef KCMP_EPOLL_TFD
#define KCMP_EPOLL_TFD		7
#endif
#define CR_NS			1000000000ULL

/* The prefix of each kind's link, and its kind. */
static const struct {
	const char	*link;
	uint32_t	kind;
} cr_evfd_kinds[] = {
	{ "anon_inode:[eventfd]",	CRFS_FILE_EVENTFD },
	{ "anon_inode:[signalfd]",	CRFS_FILE_SIGNALFD },
	{ "anon_inode:[timerfd]",	CRFS_FILE_TIMERFD },
	{ "anon_inode:[eventpoll]",	CRFS_FILE_EPOLL },
	{ "anon_inode:inotify",		CRFS_FILE_INOTIFY },
};

/* struct kcmp_epoll_slot of linux/kcmp.h (5.x and later). */
struct cr_kcmp_slot {
	uint32_t	efd, tfd, toff;
};

/* struct epoll_event as x86-64 packs it. */
struct cr_epoll_event {
	uint32_t	events;
	uint64_t	data;
} __attribute__((packed));

uint32_t cr_evfd_kind(const char *link)
{
	for (size_t i = 0; i < sizeof(cr_evfd_kinds) / sizeof(cr_evfd_kinds[0]);
	     i++)
		if (!strcmp(link, cr_evfd_kinds[i].link))
			return cr_evfd_kinds[i].kind;
	return 0;
}

/* By descriptor number, then by the descriptor it is reached by. */
static int cr_tfd_cmp(const void *pa, const void *pb)
{
	const struct crfs_epoll_tfd *a = pa, *b = pb;

	if (a->fd != b->fd)
		return (a->fd > b->fd) - (a->fd < b->fd);
	return (a->via > b->via) - (a->via < b->via);
}

/* Is @fd a descriptor of @pid? */
static bool cr_evfd_has_fd(pid_t pid, int fd)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	return !lstat(path, &st);
}

/*
 * 1 + the lowest descriptor of @pid whose description is the target
 * @slot of its epoll (a target whose descriptor was closed), or 0: none.
 */
static uint32_t cr_evfd_via(pid_t pid, struct cr_kcmp_slot *slot)
{
	char path[64];
	struct dirent *de;
	long best = -1;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		char *end;
		long n = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || (best >= 0 && n >= best))
			continue;
		if (!syscall(SYS_kcmp, pid, pid, KCMP_EPOLL_TFD, n, slot))
			best = n;
	}
	closedir(dir);
	return best < 0 ? 0 : best + 1;
}

/*
 * The targets of epoll @fd of @pid from its fdinfo @buf.  A target whose
 * descriptor was closed is reached by another descriptor of its
 * description (via); one no descriptor of @pid reaches, or whose number
 * now is another description, gets f->why.
 */
static int cr_evfd_epoll(pid_t pid, int fd, char *buf, struct cr_file *f,
			 struct cr_err *e)
{
	unsigned long long data;
	unsigned int events;
	char *l;
	int tfd;

	for (l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		struct cr_kcmp_slot slot = { fd, 0, 0 };
		struct crfs_epoll_tfd *t;

		if (sscanf(l, "tfd: %d events: %x data: %llx", &tfd, &events,
			   &data) != 3)
			continue;
		if (f->nr_tfds >= CRFS_MAX_EPOLL_TFDS) {
			f->why = "an epoll instance with more than "
				 "CRFS_MAX_EPOLL_TFDS targets is not supported";
			return 0;
		}
		/* kcmp() counts the targets of this number before it. */
		for (uint32_t i = 0; i < f->nr_tfds; i++)
			slot.toff += f->tfds[i].fd == tfd;
		t = realloc(f->tfds, (f->nr_tfds + 1) * sizeof(*t));
		if (!t)
			return cr_fail(e, ENOMEM, "out of memory");
		f->tfds = t;
		t = &t[f->nr_tfds++];
		memset(t, 0, sizeof(*t));
		t->fd = tfd;
		t->events = events;
		t->data = data;
		slot.tfd = tfd;
		if (f->why || !syscall(SYS_kcmp, pid, pid, KCMP_EPOLL_TFD, tfd,
				       &slot))
			continue;
		if (cr_evfd_has_fd(pid, tfd))
			f->why = "an epoll instance watching a description "
				 "under a number the process now has for "
				 "another (a target closed and its number "
				 "reused) is not supported";
		else if (!(t->via = cr_evfd_via(pid, &slot)))
			f->why = "an epoll target whose descriptor was closed "
				 "and whose description no other descriptor of "
				 "the process holds is not supported: "
				 "epoll_ctl(EPOLL_CTL_DEL) it before closing";
	}
	if (f->nr_tfds)
		qsort(f->tfds, f->nr_tfds, sizeof(*f->tfds), cr_tfd_cmp);
	return 0;
}

/* The state of a timerfd from its fdinfo @buf. */
static int cr_evfd_timerfd(char *buf, struct cr_file *f)
{
	struct crfs_file_timerfd *t = &f->ev.tfd;
	unsigned long long vs, vn, is, in, ticks;
	unsigned int flags;
	struct timespec now;
	char *p;

	p = strstr(buf, "clockid:");
	if (!p || sscanf(p, "clockid: %d ticks: %llu settime flags: %o "
			 "it_value: (%llu, %llu) it_interval: (%llu, %llu)",
			 &t->clock, &ticks, &flags, &vs, &vn, &is, &in) != 7)
		return -EBADMSG;
	t->ticks = ticks;
	t->settime_flags = flags;
	t->value_ns = vs * CR_NS + vn;
	t->interval_ns = is * CR_NS + in;
	/* The absolute expiry on its clock: fdinfo tells the time left. */
	if (t->value_ns && (flags & TFD_TIMER_ABSTIME)) {
		if (clock_gettime(t->clock, &now))
			return -errno;
		t->value_ns += now.tv_sec * CR_NS + now.tv_nsec;
	}
	return 0;
}

int cr_evfd_copy(pid_t pid, int fd)
{
	int pfd, cfd, err;

	pfd = syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0)
		return -1;
	cfd = syscall(SYS_pidfd_getfd, pfd, fd, 0);
	err = errno;
	close(pfd);
	errno = err;
	return cfd;
}

/*
 * Bring the expirations of timerfd @fd of @pid into what fdinfo tells: a
 * periodic timer that expired counts one tick until it is read, or its
 * time asked (timerfd_gettime() adds the periods missed since, as a read
 * would, and rearms it: nothing a read or poll would see changes).  Asked
 * here through a copy of the descriptor: the process does not run.
 */
static int cr_evfd_forward(pid_t pid, int fd, struct cr_err *e)
{
	struct itimerspec its;
	int tfd, ret = 0;

	tfd = cr_evfd_copy(pid, fd);
	if (tfd < 0 || timerfd_gettime(tfd, &its))
		ret = cr_fail(e, errno, "pid %d: fd %d: cannot read the "
			      "timerfd's time: %m", pid, fd);
	if (tfd >= 0)
		close(tfd);
	return ret;
}

int cr_evfd_probe(pid_t pid, const char *name, struct cr_file *f,
		  struct cr_err *e)
{
	char path[96], *buf;
	unsigned long long count = 0;
	unsigned int sem;
	int fd, ret = 0;
	char *p;

	f->f.kind = cr_evfd_kind(f->path);
	if (sscanf(name, "fd/%d", &fd) != 1) {
		f->why = "an event descriptor that is not a descriptor "
			 "(mapped?) is not supported";
		return 0;
	}
	ret = cr_dump_fd_stat(pid, name, f, e);
	if (ret)
		return ret;
	if (f->f.kind == CRFS_FILE_TIMERFD) {
		ret = cr_evfd_forward(pid, fd, e);
		if (ret)
			return ret;
	}
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	buf = cr_read_file(path, NULL);
	if (!buf)
		return cr_fail(e, errno, "pid %d: cannot read %s: %m", pid,
			       path);
	switch (f->f.kind) {
	case CRFS_FILE_EVENTFD:
		p = strstr(buf, "eventfd-count:");
		if (!p || sscanf(p, "eventfd-count: %llx", &count) != 1)
			ret = -EBADMSG;
		f->ev.efd.count = count;
		p = strstr(buf, "eventfd-semaphore:");
		/* Before Linux 6.6 fdinfo does not tell EFD_SEMAPHORE. */
		if (!p || sscanf(p, "eventfd-semaphore: %u", &sem) != 1)
			f->why = "this kernel does not tell whether an eventfd "
				 "has EFD_SEMAPHORE (fdinfo of Linux 6.6 and "
				 "later)";
		else
			f->ev.efd.semaphore = sem;
		break;
	case CRFS_FILE_SIGNALFD:
		p = strstr(buf, "sigmask:");
		if (!p || sscanf(p, "sigmask: %llx", &count) != 1)
			ret = -EBADMSG;
		f->ev.sfd.sigmask = count;
		break;
	case CRFS_FILE_TIMERFD:
		ret = cr_evfd_timerfd(buf, f);
		break;
	case CRFS_FILE_EPOLL:
		ret = cr_evfd_epoll(pid, fd, buf, f, e);
		if (ret)
			goto out;
		break;
	case CRFS_FILE_INOTIFY:
		ret = cr_inotify_probe(pid, fd, buf, f, e);
		if (ret)
			goto out;
		break;
	}
	if (ret)
		ret = cr_fail(e, -ret, "pid %d: fd %d: %s: cannot read its "
			      "state from %s", pid, fd, f->path, path);
out:
	free(buf);
	return ret;
}

/*
 * Can this machine make @f as it is: a timerfd on an alarm clock (an RTC
 * is needed), expirations set (TFD_IOC_SET_TICKS, CONFIG_CHECKPOINT_RESTORE)?
 * Both the checkpoint and the restore ask.
 */
static const char *evfd_fit(const struct crfs_file_timerfd *t)
{
	uint64_t one = 1;
	const char *why = NULL;
	int fd = timerfd_create(t->clock, TFD_CLOEXEC);

	if (fd < 0)
		return "a timerfd on a clock this machine cannot make one on "
		       "(an _ALARM clock without an RTC, or without "
		       "CAP_WAKE_ALARM)";
	if (t->ticks && ioctl(fd, TFD_IOC_SET_TICKS, &one))
		why = "a timerfd with expirations not read, which this kernel "
		      "cannot set again (TFD_IOC_SET_TICKS needs "
		      "CONFIG_CHECKPOINT_RESTORE)";
	close(fd);
	return why;
}

/* The first event descriptor of @t this machine cannot make, or 0. */
static int evfd_fits(const struct cr_task *t, struct cr_err *e)
{
	const struct cr_fdtable *fdt = t->fdt;

	for (uint32_t i = 0; fdt && i < fdt->nr_fds; i++) {
		const struct cr_file *f = fdt->fds[i].file;
		const char *why;

		if (!f || f->why)
			continue;
		if (f->f.kind == CRFS_FILE_INOTIFY && f->nr_wds &&
		    f->wds[f->nr_wds - 1].w->wd > CR_INOTIFY_WD_WALK)
			return cr_fail(e, EOPNOTSUPP, "pid %u: fd %u: %s: watch "
				       "descriptor %d: a restore makes wds by "
				       "adding and removing watches up to %d "
				       "at most", t->t.pid, fdt->fds[i].d.fd,
				       f->path, f->wds[f->nr_wds - 1].w->wd,
				       CR_INOTIFY_WD_WALK);
		if (f->f.kind != CRFS_FILE_TIMERFD)
			continue;
		why = evfd_fit(&f->ev.tfd);
		if (why)
			return cr_fail(e, EOPNOTSUPP, "pid %u: fd %u: %s: %s",
				       t->t.pid, fdt->fds[i].d.fd, f->path,
				       why);
	}
	return 0;
}

/* The FILE of each epoll target of @dt, by its descriptor. */
static void evfd_targets(struct cr_dump *d, struct cr_dtask *dt)
{
	const struct cr_fdtable *fdt = dt->t->fdt;

	for (uint32_t i = 0; fdt && i < fdt->nr_fds; i++) {
		struct cr_file *ep = cr_model_file(&d->m,
						   fdt->fds[i].d.file_id);

		if (!ep || ep->f.kind != CRFS_FILE_EPOLL)
			continue;
		for (uint32_t j = 0; j < ep->nr_tfds; j++) {
			const struct crfs_epoll_tfd *tf = &ep->tfds[j];
			const struct cr_fd *t;

			t = cr_model_fd(fdt, tf->via ? (int)(tf->via - 1) :
					tf->fd);

			ep->tfds[j].target_id = t ? t->d.file_id : 0;
		}
	}
}

/*
 * Phase 2 (the model resolved): the targets' FILEs, and what this
 * machine cannot make again.
 */
static int evfd_check(struct cr_dump *d, struct cr_dtask *dt,
		      struct cr_err *e)
{
	int rc;

	evfd_targets(d, dt);
	rc = cr_inotify_via(d, dt, e);
	return rc ? rc : evfd_fits(dt->t, e);
}

/* Restore phase 1: the same, on this machine. */
static int evfd_plan(struct cr_rst *r, struct cr_err *e)
{
	return evfd_fits(r->task, e);
}

long cr_rst_evfd_make(const struct cr_file *fi, int oflags)
{
	const struct crfs_file *f = &fi->f;
	int nb = oflags & O_NONBLOCK;
	long fd = -1;

	switch (f->kind) {
	case CRFS_FILE_EVENTFD:
		fd = syscall(SYS_eventfd2, 0, O_CLOEXEC | nb |
			     (fi->ev.efd.semaphore ? 1 : 0));
		if (fd >= 0 && fi->ev.efd.count &&
		    syscall(SYS_write, fd, &fi->ev.efd.count, 8) != 8) {
			int err = errno ? errno : EIO;

			syscall(SYS_close, fd);
			errno = err;
			return -1;
		}
		return fd;
	case CRFS_FILE_SIGNALFD:
		return syscall(SYS_signalfd4, -1, &fi->ev.sfd.sigmask, 8,
			       O_CLOEXEC | nb);
	case CRFS_FILE_TIMERFD:
		return syscall(SYS_timerfd_create, fi->ev.tfd.clock,
			       O_CLOEXEC | nb);
	case CRFS_FILE_EPOLL:
		return syscall(SYS_epoll_create1, O_CLOEXEC);
	case CRFS_FILE_INOTIFY:
		return cr_rst_inotify_make(fi, oflags, NULL);
	}
	errno = EINVAL;
	return fd;
}

/* Is fd @i of @fdt the first descriptor of its description? */
static bool evfd_first(const struct cr_fdtable *fdt, uint32_t i)
{
	for (uint32_t j = 0; j < i; j++)
		if (fdt->fds[j].d.file_id == fdt->fds[i].d.file_id)
			return false;
	return true;
}

/* The targets of epoll @ep at descriptor @fd. */
static int evfd_late_epoll(struct cr_rst *r, const struct cr_file *ep,
			   int fd, struct cr_err *e)
{
	char what[96];
	unsigned long addr;
	int rc;

	for (uint32_t i = 0; i < ep->nr_tfds; i++) {
		const struct crfs_epoll_tfd *t = &ep->tfds[i];
		struct cr_epoll_event ev = { t->events, t->data };

		rc = cr_rst_poke(r, 0, &ev, sizeof(ev), &addr, e);
		if (rc)
			return rc;
		if (t->via) {
			snprintf(what, sizeof(what), "fd %d: cannot dup fd %u "
				 "to %d for a target", fd, t->via - 1, t->fd);
			rc = cr_rst_call(r, SYS_dup2, CR_ARGS(t->via - 1, t->fd),
					 what, e);
			if (rc)
				return rc;
		}
		snprintf(what, sizeof(what), "fd %d: cannot watch fd %d "
			 "(events %#x)", fd, t->fd, t->events);
		rc = cr_rst_call(r, SYS_epoll_ctl,
				 CR_ARGS(fd, EPOLL_CTL_ADD, t->fd, addr), what,
				 e);
		/* The target's own descriptor was closed: close it again. */
		if (!rc && t->via) {
			snprintf(what, sizeof(what), "fd %d: cannot close fd "
				 "%d of a target", fd, t->fd);
			rc = cr_rst_call(r, SYS_close, CR_ARGS(t->fd), what, e);
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* Timerfd @fi at descriptor @fd armed, its expirations not read set. */
static int evfd_late_timerfd(struct cr_rst *r, const struct cr_file *fi,
			     int fd, struct cr_err *e)
{
	const struct crfs_file_timerfd *t = &fi->ev.tfd;
	struct itimerspec its = {
		.it_interval = { t->interval_ns / CR_NS, t->interval_ns % CR_NS },
		.it_value = { t->value_ns / CR_NS, t->value_ns % CR_NS },
	};
	unsigned long addr;
	char what[64];
	int rc = 0;

	if (t->value_ns || t->interval_ns) {
		rc = cr_rst_poke(r, 0, &its, sizeof(its), &addr, e);
		snprintf(what, sizeof(what), "fd %d: cannot arm the timerfd",
			 fd);
		if (!rc)
			rc = cr_rst_call(r, SYS_timerfd_settime,
					 CR_ARGS(fd, t->settime_flags, addr, 0),
					 what, e);
	}
	if (rc || !t->ticks)
		return rc;
	rc = cr_rst_poke(r, 0, &t->ticks, sizeof(t->ticks), &addr, e);
	snprintf(what, sizeof(what), "fd %d: cannot set its %llu expirations",
		 fd, (unsigned long long)t->ticks);
	if (!rc)
		rc = cr_rst_call(r, SYS_ioctl, CR_ARGS(fd, TFD_IOC_SET_TICKS,
						       addr), what, e);
	return rc;
}

/* Restore phase 5: the epoll targets, then the timerfds armed. */
static int evfd_late(struct cr_rst *r, struct cr_err *e)
{
	const struct cr_fdtable *fdt = r->task->fdt;
	int rc = 0;

	/* A shared table: the first process of it did. */
	if (cr_rst_fdt_follower(r->task))
		return 0;

	for (int pass = 0; pass < 2; pass++)
		for (uint32_t i = 0; !rc && fdt && i < fdt->nr_fds; i++) {
			const struct cr_file *f = fdt->fds[i].file;
			int fd = fdt->fds[i].d.fd;

			if (!f || (f->f.kind != CRFS_FILE_EPOLL &&
				   f->f.kind != CRFS_FILE_TIMERFD) ||
			    !evfd_first(fdt, i))
				continue;
			if (!pass && f->f.kind == CRFS_FILE_EPOLL)
				rc = evfd_late_epoll(r, f, fd, e);
			else if (pass && f->f.kind == CRFS_FILE_TIMERFD)
				rc = evfd_late_timerfd(r, f, fd, e);
		}
	return rc;
}

const struct cr_res_ops cr_res_evfd = {
	.name		= "events",
	.check		= evfd_check,
	.plan		= evfd_plan,
	.late		= evfd_late,
};
