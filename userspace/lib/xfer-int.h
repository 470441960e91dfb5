/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inside a transfer: its object, shared by xfer.c (its life) and
 * xfer-io.c (its stream side).  See xfer.c for the states and locks.
 */
#ifndef CR_XFER_INT_H
#define CR_XFER_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "cr.h"
#include "cr-frame.h"
#include "cr-ring.h"
#include "cr-xfer.h"

struct cr_xfer {
	char			*cgdir;
	char			*name;
	bool			dump;		/* checkpoint, else restore */
	struct cr_ring		*ring;
	const struct cr_xfer_ops *ops;
	void			*owner;
	pthread_t		thread;

	pthread_mutex_t		io_lock;	/* one read or write at a time */
	struct cr_img_frame	frame;		/* restore: what was written */
	uint64_t		moved;		/* bytes read or written; atomic */

	pthread_mutex_t		lock;		/* everything below */
	pthread_cond_t		cond;
	unsigned int		refs;
	bool			started;	/* the thread was created */
	bool			joined;
	bool			begun;
	bool			done;
	bool			exited;
	bool			ending;
	bool			ended;
	int			off;		/* positive errno, or 0 */
	int			ret;		/* the engine's, once done */
	int			result;		/* the transfer's, once done */
	struct cr_err		err;		/* the engine's reason */
	char			reason[CR_ERR_MSG_LEN];	/* the last reported */
	struct cr_opts		opts;		/* its tty_fd is ours, -1 */
	char			netlock[64];	/* cr_xfer_lock() */
	bool			taken;		/* cr_xfer_take_result() */
};

/**
 * cr_xfer_report() - format a failure of @x (errno @err, or 0) as
 * "OP: reason", keep it as the transfer's last reason and hand it to the
 * owner's report hook.
 */
void __attribute__((format(printf, 3, 4)))
cr_xfer_report(struct cr_xfer *x, int err, const char *fmt, ...);

/**
 * cr_xfer_wait_done() - wait up to @ms (-1: for ever) for the engine's
 * result; true if it came.
 */
bool cr_xfer_wait_done(struct cr_xfer *x, int ms);

#endif /* CR_XFER_INT_H */
