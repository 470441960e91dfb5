// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The table of resources (res.h), in the order the engine runs the hooks
 * of a phase: the refusals of a checkpoint in this order, and the late
 * steps of a restore (the pending signals before the limits, the limits
 * before the credentials, the timers armed after them, seccomp and
 * capabilities last).
 */
#include "res.h"

const struct cr_res_ops *const cr_res_table[CR_RES_NR] = {
	&cr_res_task, &cr_res_ns, &cr_res_ipc, &cr_res_fs, &cr_res_mm,
	&cr_res_pipe, &cr_res_files, &cr_res_evfd, &cr_res_tcp, &cr_res_locks,
	&cr_res_fdata,
	&cr_res_share, &cr_res_ipc_share, &cr_res_signals, &cr_res_thread,
	&cr_res_limits, &cr_res_caps, &cr_res_creds, &cr_res_access,
	&cr_res_prctl, &cr_res_misc, &cr_res_proc, &cr_res_fown,
	&cr_res_timers, &cr_res_secure,
};
