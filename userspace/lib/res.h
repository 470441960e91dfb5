/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The table of resources (Documentation/crfs/engine.rst): every kind of
 * state a process has is one row, in one file of its own (res-*.c), with a
 * hook for each phase of a checkpoint and of a restore that concerns it.
 * The engine (dump.c, restore.c) runs the phases and, in each, the hooks
 * of every row in the table's order:
 *
 *   task, ns, ipc, fs, mm, files, events, locks, fdata, share,
 *   ipc-share, signals, thread, limits, caps, creds, access, prctl, misc,
 *   proc, fown, timers, secure
 *
 * which is the order their refusals are checked at a checkpoint, and the
 * order of the restore's late steps: the pending signals before the
 * limits (RLIMIT_SIGPENDING), the limits before the credentials (after
 * them the process is no longer the restorer's uid); the inheritable and
 * bounding sets before the ids, the parent-death signal after them (a
 * change of ids clears it); the timers armed after the ids (their signal
 * queue entries charged to the process's own user) and before the
 * capabilities go (PR_TIMER_CREATE_RESTORE_IDS needs
 * CAP_CHECKPOINT_RESTORE); seccomp and the dropping of capabilities last
 * of all (res-secure.c).
 */
#ifndef CR_RES_H
#define CR_RES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cr.h"

struct cr_dump;
struct cr_dtask;
struct cr_batch;
struct cr_rst;
struct cr_rst_child;
struct cr_rst_res;

/* One kind of state, across the phases. */
struct cr_res_ops {
	const char	*name;
	/* Checkpoint phase 1: fill the model from /proc (no ptrace). */
	int	(*collect)(struct cr_dump *d, struct cr_dtask *dt,
			   struct cr_err *e);
	/* Phase 2: refuse what cannot be restored: pid, object, reason. */
	int	(*check)(struct cr_dump *d, struct cr_dtask *dt,
			 struct cr_err *e);
	/*
	 * Phase 4, the task stopped, its signals blocked; called three
	 * times (dump.h): cr_seized_stopped(@b): read what ptrace tells,
	 * before anything runs in the task; cr_seized_calls(@b): add calls
	 * to the task's injection batch (cr_batch_add(), cr_batch_data());
	 * cr_seized_done(@b): read their results into the model.
	 */
	int	(*seized)(struct cr_dump *d, struct cr_dtask *dt,
			  struct cr_batch *b, struct cr_err *e);
	/* Restore phase 1: check the model against this machine. */
	int	(*plan)(struct cr_rst *r, struct cr_err *e);
	/*
	 * Restore phase 3, in the new process (raw system calls, no
	 * allocation): restore its own state; 0, or a positive errno with
	 * @res saying where.
	 */
	int	(*child)(const struct cr_rst_child *c, struct cr_rst_res *res);
	/* Restore phase 5: injected calls into the stopped process. */
	int	(*late)(struct cr_rst *r, struct cr_err *e);
};

/* The rows, each in its file. */
extern const struct cr_res_ops cr_res_task, cr_res_ns, cr_res_fs,
	cr_res_mm, cr_res_files, cr_res_locks, cr_res_signals, cr_res_thread,
	cr_res_limits, cr_res_caps, cr_res_creds, cr_res_access, cr_res_prctl,
	cr_res_misc, cr_res_timers, cr_res_secure, cr_res_fdata, cr_res_proc,
	cr_res_fown, cr_res_share, cr_res_ipc, cr_res_ipc_share, cr_res_evfd,
	cr_res_pipe, cr_res_tcp;

/* The table, in order. */
#define CR_RES_NR	25
extern const struct cr_res_ops *const cr_res_table[CR_RES_NR];

#endif /* CR_RES_H */
