/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The records of one process (struct cr_task_img) to and from an image:
 * TASK, CREDS, FS, RLIMITS, SIGACTS, SIGSTATE, SIGPENDING*, REGS, XSTATE,
 * MM, VMA*, FD*.  The PAGES records that follow are the caller's.
 */
#ifndef CR_TASK_IMG_H
#define CR_TASK_IMG_H

#include <stdint.h>

#include "cr-internal.h"

/**
 * cr_task_img_write() - write the records of @t, TASK to the last FD
 * @img: a stream whose header is written
 * @t:   the process; the counts in @t->task and @t->creds.ngroups say how
 *       many entries the arrays hold; string lengths are computed here
 *
 * Return: 0 or -errno with @e set.
 */
int cr_task_img_write(struct cr_img *img, const struct cr_task_img *t,
		      struct cr_err *e);

/**
 * cr_task_img_read() - read the records of one process
 * @img:          a stream positioned just after a TASK record
 * @task_payload: that TASK record's payload
 * @len:          its length
 * @t:            receives the process; free it with cr_task_img_free()
 *
 * Reads CREDS to the last FD, checks that every record has the expected
 * type and a consistent length (counts, NUL-terminated strings, sorted
 * mappings and descriptors) and allocates the variable parts.  On failure
 * @t holds nothing to free.
 *
 * Return: 0 or -errno with @e set (-EBADMSG naming the record, or an
 * error of cr_img_read_rec()).
 */
int cr_task_img_read(struct cr_img *img, const void *task_payload,
		     uint64_t len, struct cr_task_img *t, struct cr_err *e);

#endif /* CR_TASK_IMG_H */
