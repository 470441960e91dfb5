/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * TCP and UDP sockets (FILE of kind INET, crfs.h): the socket options a
 * checkpoint reads and a restore sets again, one table for the dump
 * (res-inet.c), the image rules (img-check-inet.c) and the printer
 * (rec-inet.c).
 */
#ifndef CR_INET_H
#define CR_INET_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/crfs.h>

#include "model.h"

/* Which sockets an option is read from (CR_SO_*: any of them). */
#define CR_SO_V4	(1U << 0)	/* AF_INET */
#define CR_SO_V6	(1U << 1)	/* AF_INET6 */
#define CR_SO_TCP	(1U << 2)
#define CR_SO_UDP	(1U << 3)
#define CR_SO_ANY	(CR_SO_V4 | CR_SO_V6 | CR_SO_TCP | CR_SO_UDP)
/* How: a buffer size (getsockopt() gives twice what was set), a string. */
#define CR_SO_BUF	(1U << 4)
#define CR_SO_STR	(1U << 5)
/* Kept whatever its value (a new socket's comes from a sysctl). */
#define CR_SO_ALWAYS	(1U << 6)

/* The TCP states of crfs_file_inet.state (the kernel's TCP_*). */
#define CR_TCP_ESTABLISHED	1
#define CR_TCP_CLOSE		7
#define CR_TCP_LISTEN		10
#define CR_TCP_NR_STATES	13

/* One option of the table. */
struct cr_sockopt_def {
	int		level, name;
	uint32_t	len;		/* bytes getsockopt() gives, at most */
	uint32_t	flags;		/* CR_SO_* */
	const char	*id;		/* "SO_REUSEADDR" */
};

extern const struct cr_sockopt_def cr_sockopts[];
extern const uint32_t cr_nr_sockopts;

/**
 * cr_sockopt_find() - the table's entry for option @name of @level.
 *
 * Return: the entry, or NULL for an option no image may carry.
 */
const struct cr_sockopt_def *cr_sockopt_find(int level, int name);

/**
 * cr_sockopt_applies() - is @d read from sockets such as @s?
 */
bool cr_sockopt_applies(const struct cr_sockopt_def *d,
			const struct crfs_file_inet *s);

/* The options of INET @f, after its state. */
static inline struct crfs_sockopt *cr_inet_opts(const struct cr_file *f)
{
	return (struct crfs_sockopt *)(f->inet + 1);
}

#endif
