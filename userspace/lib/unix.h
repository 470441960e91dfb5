/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unix sockets at checkpoint: what sock_diag tells of one, shared by the
 * probe of each socket (res-unix.c) and the checks of the whole container
 * (res-unix-check.c).
 */
#ifndef CR_UNIX_H
#define CR_UNIX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/crfs.h>
#include <linux/netlink.h>

#include "model.h"

#define CR_CAP_CHOWN		0

/* What sock_diag tells of one unix socket. */
struct cr_unix_diag {
	uint32_t	state;		/* TCP_ESTABLISHED, _CLOSE, _LISTEN */
	uint32_t	peer;		/* its peer's inode, 0: none */
	uint32_t	rqueue;		/* bytes queued (stream), first dgram;
					 * LISTEN: connections waiting */
	uint32_t	wqueue;		/* LISTEN: its backlog */
	uint32_t	shutdown;	/* sk_shutdown */
	uint32_t	name_len;	/* UNIX_DIAG_NAME */
	char		name[CRFS_UNIX_NAME_MAX];
	bool		vfs;		/* UNIX_DIAG_VFS: its socket file */
	uint32_t	vfs_ino, vfs_dev;	/* the kernel's dev_t */
};

/**
 * cr_unix_diag_ask() - ask sock_diag about unix socket @ino, for @show
 * (UDIAG_SHOW_*); its answer in @buf of @cap bytes
 * Return: 0 with *@m the message, or -errno.
 */
int cr_unix_diag_ask(uint64_t ino, uint32_t show, void *buf, size_t cap,
		     const struct nlmsghdr **m);

/**
 * cr_unix_diag() - what sock_diag tells of unix socket @ino, into @u
 * Return: 0 or -errno.
 */
int cr_unix_diag(uint64_t ino, struct cr_unix_diag *u);

/**
 * cr_unix_path() - the socket file of path name @d of @pid's socket into
 * @u: the file its name leads to must be its socket's; else f->why
 */
void cr_unix_path(pid_t pid, const struct cr_unix_diag *d,
		  struct crfs_file_unix *u, struct cr_file *f);

/* cr_unix_gid_cmp() - compare two gids (uint32_t), for qsort(). */
int cr_unix_gid_cmp(const void *a, const void *b);

#endif
