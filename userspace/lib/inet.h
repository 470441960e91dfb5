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
/* Not read on a TCP connection (its value follows the connection). */
#define CR_SO_NOCONN	(1U << 7)

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

/**
 * cr_tcp_conn() - read TCP connection @fd (a copy) in repair mode into
 * @s: sequence numbers, options, window, and both queues into *@q
 * (malloc()ed, snd_len then rcv_len bytes); left as it was (res-tcp.c).
 *
 * Return: NULL, or why it cannot be read (static text).
 */
const char *cr_tcp_conn(int fd, struct crfs_file_inet *s, uint8_t **q);

/**
 * cr_rst_tcp_seq() - in the new process, put socket @fd in repair mode
 * and give it the sequence numbers of @s, before it is connected.
 *
 * Return: 0, or -1 with errno set.
 */
int cr_rst_tcp_seq(long fd, const struct crfs_file_inet *s);

/**
 * cr_rst_tcp_conn() - in the new process, connection @fd (connected in
 * repair mode) gets the options, timestamp, queues and window of @fi; it
 * stays in repair mode until the restorer lets it out (late hook).
 *
 * Return: 0, or -1 with errno set.
 */
int cr_rst_tcp_conn(long fd, const struct cr_file *fi);

/* A TCP connection's queued bytes, after the options: send, then receive. */
static inline uint8_t *cr_inet_data(const struct cr_file *f)
{
	return (uint8_t *)(cr_inet_opts(f) + f->inet->nr_opts);
}

/* The bytes of the state of @s after its path (ext_len). */
static inline uint64_t cr_inet_ext_len(const struct crfs_file_inet *s)
{
	return sizeof(*s) + (uint64_t)s->nr_opts * sizeof(struct crfs_sockopt) +
	       (((uint64_t)s->snd_len + s->rcv_len + 7) & ~7ULL);
}

#endif
