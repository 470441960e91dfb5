/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SysV IPC of the container's own IPC namespace: what the checkpoint
 * (res-ipc.c) and the restore (restore-ipc.c) share.
 */
#ifndef CR_IPC_H
#define CR_IPC_H

#include <stdint.h>

#include "dump.h"
#include "restore.h"
#include "img-walk.h"

/* The namespace sysctls, as /proc/sys/kernel names them. */
#define IPC_SYS		"/proc/sys/kernel/"

/**
 * cr_ipc_sysctl_set() - write @text to sysctl @name (IPC_SYS) of the
 * calling thread's IPC namespace
 * Return: 0 or -errno with @e set.
 */
int cr_ipc_sysctl_set(const char *name, const char *text, struct cr_err *e);

/* cr_ipc_sysctl_num(), cr_ipc_sysctl_u64(): one number, as set does. */
int cr_ipc_sysctl_num(const char *name, int64_t v, struct cr_err *e);
int cr_ipc_sysctl_u64(const char *name, uint64_t v, struct cr_err *e);

/**
 * cr_ipc_shm_open() - the shmem file of segment @id of the calling
 * thread's IPC namespace, @size bytes, opened @flags (O_RDONLY, O_RDWR):
 * attached once, opened through /proc/self/map_files, detached
 * Return: the descriptor, or -errno with @e set.
 */
int cr_ipc_shm_open(int id, uint64_t size, int flags, struct cr_err *e);

/**
 * cr_rst_ipc_plan() - restore phase 1: the kernel gives SysV objects the
 * ids asked for (/proc/sys/kernel/shm_next_id)
 * Return: 0 or -errno with @e set.
 */
int cr_rst_ipc_plan(struct cr_rst *r, struct cr_err *e);

#endif /* CR_IPC_H */
