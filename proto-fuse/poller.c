// SPDX-License-Identifier: GPL-2.0
/*
 * Open files that can be polled: a FUSE poll handle kept until a change
 * wakes it, on a list of their owner (a container, the namespace view).
 * The owner's lock covers the list and the handles.
 */
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
 * crfs_poller_arm() - keep @ph to be woken by the next change
 * @ph: the poll request's handle (NULL: the caller wants no wake-up);
 *      it replaces an older one
 */
void crfs_poller_arm(struct crfs_poller *p, struct fuse_pollhandle *ph)
{
	if (!ph)
		return;
	if (p->ph)
		fuse_pollhandle_destroy(p->ph);
	p->ph = ph;
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
