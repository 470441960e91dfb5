/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * crfs control files: the words of a container's state file.
 *
 * One definition for the kernel filesystem (fs/crfs), crfs-fuse and the
 * tools that read the file.  See Documentation/filesystems/crfs.rst,
 * "state".
 */
#ifndef _UAPI_LINUX_CRFS_CTL_H
#define _UAPI_LINUX_CRFS_CTL_H

/* What a container's state file says; the default is empty. */
enum crfs_ct_state {
	CRFS_CT_EMPTY,			/* no process */
	CRFS_CT_RUNNING,		/* processes, not frozen */
	CRFS_CT_FREEZING,		/* freeze asked for, not done yet */
	CRFS_CT_FROZEN,			/* every process is stopped */
	CRFS_CT_CHECKPOINTING,		/* image is open for reading */
	CRFS_CT_RESTORING,		/* image is open for writing */
	CRFS_CT_NR_STATES,
};

/* The word of @state as the state file says it, without the newline. */
static inline const char *crfs_ct_state_name(enum crfs_ct_state state)
{
	static const char *const names[CRFS_CT_NR_STATES] = {
		[CRFS_CT_EMPTY]		= "empty",
		[CRFS_CT_RUNNING]	= "running",
		[CRFS_CT_FREEZING]	= "freezing",
		[CRFS_CT_FROZEN]	= "frozen",
		[CRFS_CT_CHECKPOINTING]	= "checkpointing",
		[CRFS_CT_RESTORING]	= "restoring",
	};

	return (unsigned int)state < CRFS_CT_NR_STATES ? names[state] : "?";
}

#endif /* _UAPI_LINUX_CRFS_CTL_H */
