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

#include <linux/ioctl.h>

/*
 * ioctl on a checkpoint's image file (open for reading): crfs writes the
 * rest of the image itself to the caller's descriptor *arg, a regular
 * file open for writing, at its offset, and returns 0 at the image's end
 * (where a read would return 0), or a positive errno if a write to the
 * descriptor failed (ENOSPC, ...; what was written stays).  It fails (-1)
 * with EOPNOTSUPP (or ENOTTY) before the first byte where it does not
 * write such a file itself, and the caller reads the image as usual;
 * with EBADF when *arg is no descriptor open for writing; with the
 * checkpoint's error (EIO, the reason in the error file) as a read would.
 * See Documentation/crfs/checkpoint.rst.
 */
#define CRFS_IOC_IMAGE_TO	_IOW(0xCF, 1, int)

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
