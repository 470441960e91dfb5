// SPDX-License-Identifier: GPL-2.0
/*
 * Open files that can be polled: a FUSE poll handle kept until a change
 * wakes it, on a list of their owner (a container, the namespace view).
 * The owner's lock covers the list and the handles.
 */
#include <poll.h>

#include "crfs-fuse.h"

/**
 * crfs_poller_add() - put @p on @list
 */
void crfs_poller_add(struct crfs_poller **list, struct crfs_poller *p)
{
	p->next = *list;
	*list = p;
}

/**
 * crfs_poller_del() - take @p off @list and drop the handle it kept
 */
void crfs_poller_del(struct crfs_poller **list, struct crfs_poller *p)
{
	struct crfs_poller **pp;

	for (pp = list; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	if (p->ph)
		fuse_pollhandle_destroy(p->ph);
	p->ph = NULL;
}

/**
 * crfs_poller_poll() - answer a poll request of @p
 * @ready: the file changed since its opener last read it
 * @ph:    the request's handle (NULL: no wake-up wanted); kept to be
 *         woken by the next change when not @ready (it replaces an older
 *         one), else dropped
 *
 * Return: the revents to reply: readable, PRI and ERR once ready, as
 * kernfs files do, else 0.
 */
unsigned int crfs_poller_poll(struct crfs_poller *p, bool ready,
			      struct fuse_pollhandle *ph)
{
	if (ready) {
		if (ph)
			fuse_pollhandle_destroy(ph);
		return POLLIN | POLLRDNORM | POLLPRI | POLLERR;
	}
	if (ph) {
		if (p->ph)
			fuse_pollhandle_destroy(p->ph);
		p->ph = ph;
	}
	return 0;
}

/**
 * crfs_poller_wake() - wake @p's poller, if it waits; the handle is spent
 */
void crfs_poller_wake(struct crfs_poller *p)
{
	if (!p->ph)
		return;
	fuse_lowlevel_notify_poll(p->ph);
	fuse_pollhandle_destroy(p->ph);
	p->ph = NULL;
}
