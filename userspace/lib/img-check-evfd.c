// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The rules of img-check.c for event descriptors (FILE of kind EVENTFD,
 * SIGNALFD, TIMERFD, EPOLL, INOTIFY, crfs.h): the anonymous inode's name and mode,
 * the flags the object is made with, and its state as the kernel takes it
 * again (eventfd_write(), signalfd4(), timerfd_settime(), epoll_ctl()).
 * An epoll instance's targets are descriptors of the process that holds
 * it, naming the FILE the image says (cr_img_evfd_task()).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "rec.h"

#ifndef CLOCK_BOOTTIME_ALARM
#define CLOCK_REALTIME_ALARM	8
#define CLOCK_BOOTTIME_ALARM	9
#endif
#define CR_TFD_ABSTIME		(1U << 0)
#define CR_TFD_CANCEL_ON_SET	(1U << 1)
/* The events epoll_ctl() takes (fdinfo shows them as they were added). */
#define CR_EPOLL_EVENTS		(EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLERR | \
				 EPOLLHUP | EPOLLRDNORM | \
				 EPOLLRDBAND | EPOLLWRNORM | EPOLLWRBAND | \
				 EPOLLMSG | EPOLLRDHUP | EPOLLEXCLUSIVE | \
				 EPOLLWAKEUP | EPOLLONESHOT | EPOLLET)
/* With EPOLLEXCLUSIVE, only these (ep_insert()'s EPOLLEXCLUSIVE_OK_BITS). */
#define CR_EPOLL_EXCL_OK	(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | \
				 EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)
/* What is left of a one-shot target's events once it fired. */
#define CR_EPOLL_FLAGS		(EPOLLONESHOT | EPOLLET | EPOLLWAKEUP | \
				 EPOLLEXCLUSIVE)
#define CR_TIME_MAX_NS		((uint64_t)INT64_MAX)

/* The name /proc gives each kind's anonymous inode. */
static const char *const cr_evfd_names[CRFS_FILE_NR] = {
	[CRFS_FILE_EVENTFD]	= "anon_inode:[eventfd]",
	[CRFS_FILE_SIGNALFD]	= "anon_inode:[signalfd]",
	[CRFS_FILE_TIMERFD]	= "anon_inode:[timerfd]",
	[CRFS_FILE_EPOLL]	= "anon_inode:[eventpoll]",
	[CRFS_FILE_INOTIFY]	= "anon_inode:inotify",
};
/* The mask of a watch as fdinfo shows it. */
#define CR_IN_MASK		(IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK)

/* Can epoll watch @f as the restore makes it? */
static bool cr_evfd_pollable(const struct crfs_file *f)
{
	return cr_file_event(f) || f->kind == CRFS_FILE_INET ||
	       f->kind == CRFS_FILE_UNIX ||
	       cr_file_pipe(f) || f->kind == CRFS_FILE_TTY ||
	       (f->kind == CRFS_FILE_CHR && major(f->rdev) == 1 &&
		(minor(f->rdev) == 8 || minor(f->rdev) == 9));
}


/* Is @f a terminal, a unix socket, a TCP or UDP socket? */
static bool evfd_is_tty(const struct crfs_file *f)
{
	return f->kind == CRFS_FILE_TTY;
}

static bool evfd_is_unix(const struct crfs_file *f)
{
	return f->kind == CRFS_FILE_UNIX;
}

static bool evfd_is_inet(const struct crfs_file *f)
{
	return f->kind == CRFS_FILE_INET;
}

/*
 * The kinds that raise EPOLLERR or EPOLLHUP by themselves (a peer or a
 * side gone, an error): a one-shot target of theirs that fired would be
 * armed for them again by epoll_ctl(), so it is refused.
 */
static const struct {
	bool		(*is)(const struct crfs_file *f);
	const char	*why;
} evfd_hangups[] = {
	{ cr_file_pipe, "a one-shot pipe or FIFO target that fired "
	  "(epoll_ctl() would arm it again for EPOLLERR and EPOLLHUP)" },
	{ evfd_is_tty, "a one-shot terminal target that fired (a terminal "
	  "can hang up, which epoll_ctl() would report again)" },
	{ evfd_is_unix, "a one-shot unix socket target that fired "
	  "(epoll_ctl() would arm it again for EPOLLERR and EPOLLHUP)" },
	{ evfd_is_inet, "a one-shot TCP or UDP socket target that fired "
	  "(epoll_ctl() would arm it again for EPOLLERR and EPOLLHUP)" },
};

/* Why a fired one-shot target of @f's kind is refused; NULL: it is not. */
static const char *evfd_hangs_up(const struct crfs_file *f)
{
	for (size_t i = 0; i < sizeof(evfd_hangups) / sizeof(evfd_hangups[0]);
	     i++)
		if (evfd_hangups[i].is(f))
			return evfd_hangups[i].why;
	return NULL;
}

/* Why the targets of epoll @fi are wrong, or NULL. */
static const char *cr_evfd_epoll_why(const struct cr_chk *c,
				     const struct cr_file *fi)
{
	for (uint32_t i = 0; i < fi->nr_tfds; i++) {
		const struct crfs_epoll_tfd *t = &fi->tfds[i];
		const struct cr_file *tf = cr_model_file(c->m, t->target_id);
		const char *why;

		if (t->fd < 0 || (i && (t->fd < fi->tfds[i - 1].fd ||
					(t->fd == fi->tfds[i - 1].fd &&
					 t->via <= fi->tfds[i - 1].via))))
			return "target descriptors not ascending numbers";
		if (t->via > (uint32_t)INT32_MAX)
			return "a target reached by a descriptor out of range";
		if ((t->events & ~CR_EPOLL_EVENTS) ||
		    ((t->events & EPOLLEXCLUSIVE) &&
		     (t->events & ~CR_EPOLL_EXCL_OK)))
			return "events epoll_ctl() does not take";
		if (!tf || t->target_id == fi->f.id)
			return "a target that is no other file of the image";
		if (!cr_evfd_pollable(&tf->f))
			return "a target of a kind epoll does not watch";
		/* epoll_ctl() arms EPOLLERR | EPOLLHUP, which these raise. */
		if ((t->events & EPOLLONESHOT) &&
		    !(t->events & ~CR_EPOLL_FLAGS) &&
		    (why = evfd_hangs_up(&tf->f)))
			return why;
		if (tf->f.kind != CRFS_FILE_EPOLL)
			continue;
		if (t->events & EPOLLEXCLUSIVE)
			return "EPOLLEXCLUSIVE on an epoll target";
		for (uint32_t j = 0; j < tf->nr_tfds; j++) {
			const struct cr_file *n;

			n = cr_model_file(c->m, tf->tfds[j].target_id);
			if (n && n->f.kind == CRFS_FILE_EPOLL)
				return "epoll instances nested more than "
				       "two deep";
		}
	}
	return NULL;
}

/* Is the FILE @w->via the carrier of the deleted inode @w watches? */
static bool cr_evfd_inotify_via(const struct cr_chk *c,
				const struct crfs_inotify_wd *w)
{
	const struct cr_file *o = cr_model_file(c->m, w->via);

	return o && o->f.kind == CRFS_FILE_UNLINKED &&
	       o->f.data_id == o->f.id && o->f.dev == w->dev &&
	       o->f.ino == w->ino;
}

/* Why the watches of inotify @fi are wrong, or NULL. */
static const char *cr_evfd_inotify_why(const struct cr_chk *c,
				       const struct cr_file *fi)
{
	for (uint32_t i = 0; i < fi->nr_wds; i++) {
		const struct crfs_inotify_wd *w = fi->wds[i].w;

		if (w->wd < 1 || (i && w->wd <= fi->wds[i - 1].w->wd))
			return "watch descriptors not ascending from 1";
		if (!(w->mask & IN_ALL_EVENTS) || (w->mask & ~CR_IN_MASK))
			return "a watch mask inotify_add_watch() does not take";
		if (fi->wds[i].path[0] != '/')
			return "a watch whose path is not absolute";
		if (w->via && (w->mask & CR_IN_VIA_NOISY))
			return "a watch of a deleted inode for IN_OPEN, "
			       "IN_ACCESS or IN_CLOSE_NOWRITE (the restore "
			       "opens it)";
		if (w->via && !cr_evfd_inotify_via(c, w))
			return "a watch of a FILE that is no deleted file "
			       "carrying the watched inode's data";
	}
	return NULL;
}

/* Why the state of event descriptor @fi is wrong, or NULL. */
static const char *cr_evfd_state_why(const struct cr_chk *c,
				     const struct cr_file *fi)
{
	const struct crfs_file_timerfd *t = &fi->ev.tfd;
	uint64_t stop = 1ULL << (SIGSTOP - 1), kill = 1ULL << (SIGKILL - 1);

	switch (fi->f.kind) {
	case CRFS_FILE_EVENTFD:
		if (fi->ev.efd.count == UINT64_MAX)
			return "a counter of 2^64 - 1, which eventfd_write() "
			       "does not reach";
		if (fi->ev.efd.semaphore > 1 || fi->ev.efd.__pad)
			return "semaphore neither 0 nor 1, or padding";
		return NULL;
	case CRFS_FILE_SIGNALFD:
		if (fi->ev.sfd.sigmask & (stop | kill))
			return "SIGKILL or SIGSTOP in its mask";
		return NULL;
	case CRFS_FILE_TIMERFD:
		if (t->clock != CLOCK_REALTIME && t->clock != CLOCK_MONOTONIC &&
		    t->clock != CLOCK_BOOTTIME &&
		    t->clock != CLOCK_REALTIME_ALARM &&
		    t->clock != CLOCK_BOOTTIME_ALARM)
			return "a clock timerfd_create() does not take";
		if (t->settime_flags & ~(CR_TFD_ABSTIME | CR_TFD_CANCEL_ON_SET))
			return "unknown settime flags";
		if ((t->settime_flags & CR_TFD_CANCEL_ON_SET) &&
		    (!(t->settime_flags & CR_TFD_ABSTIME) ||
		     (t->clock != CLOCK_REALTIME &&
		      t->clock != CLOCK_REALTIME_ALARM)))
			return "TFD_TIMER_CANCEL_ON_SET without an absolute "
			       "CLOCK_REALTIME timer";
		if (t->value_ns > CR_TIME_MAX_NS ||
		    t->interval_ns > CR_TIME_MAX_NS)
			return "a time timerfd_settime() does not take";
		return NULL;
	case CRFS_FILE_INOTIFY:
		return cr_evfd_inotify_why(c, fi);
	}
	return cr_evfd_epoll_why(c, fi);
}

int cr_img_evfd_check(const struct cr_chk *c, const struct cr_file *fi,
		      struct cr_err *e)
{
	const struct crfs_file *f = &fi->f;
	const char *why = NULL;

	if (strcmp(fi->path, cr_evfd_names[f->kind]))
		why = "its path is not the name of its anonymous inode";
	else if (f->mode != (S_IRUSR | S_IWUSR))
		why = "its mode is not the anonymous inode's (0600)";
	else if ((f->flags & ~(O_ACCMODE | O_NONBLOCK)) ||
		 (f->flags & O_ACCMODE) != (f->kind == CRFS_FILE_INOTIFY ?
					    O_RDONLY : O_RDWR))
		why = "status flags it is not made with (O_RDWR, or O_RDONLY "
		      "for inotify; O_NONBLOCK)";
	else if (f->pos || f->size || f->data_size || f->seals ||
		 f->data_id || f->cflags || f->owner_type || f->signo)
		why = "a position, data, seals, flags or owner of an event "
		      "descriptor";
	else
		why = cr_evfd_state_why(c, fi);
	if (!why)
		return 0;
	return cr_fail(e, EBADMSG, "file %u (kind %u): \"%.64s\": %s", f->id,
		       f->kind, fi->path, why);
}

int cr_img_evfd_task(const struct cr_chk *c, const struct cr_task *t,
		     struct cr_err *e)
{
	const struct cr_fdtable *fdt = t->fdt;

	(void)c;
	for (uint32_t i = 0; fdt && i < fdt->nr_fds; i++) {
		const struct cr_file *ep = fdt->fds[i].file;

		if (!ep || ep->f.kind != CRFS_FILE_EPOLL)
			continue;
		for (uint32_t j = 0; j < ep->nr_tfds; j++) {
			const struct crfs_epoll_tfd *tf = &ep->tfds[j];
			const struct cr_fd *d;

			if (tf->via && cr_model_fd(fdt, tf->fd))
				return cr_fail(e, EBADMSG, "pid %u: fd %u: epoll "
					       "target fd %d reached through "
					       "fd %u, but the process has fd "
					       "%d", t->t.pid,
					       fdt->fds[i].d.fd, tf->fd,
					       tf->via - 1, tf->fd);
			d = cr_model_fd(fdt, tf->via ? (int)(tf->via - 1) :
					tf->fd);
			if (d && d->d.file_id == tf->target_id)
				continue;
			return cr_fail(e, EBADMSG, "pid %u: fd %u: epoll target "
				       "fd %d is not a descriptor of file %u "
				       "in the process", t->t.pid,
				       fdt->fds[i].d.fd,
				       tf->via ? (int)(tf->via - 1) : tf->fd,
				       tf->target_id);
		}
	}
	return 0;
}
