/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * procfs readers of the dump side: what /proc/PID/{status,stat,smaps,
 * limits,auxv,fdinfo,...} say about a process, parsed into plain structs.
 * None of them needs ptrace; all of them work on a frozen process.
 */
#ifndef CR_PROC_H
#define CR_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <linux/crfs.h>

#include "cr.h"

/* What /proc/PID/status says. */
struct cr_proc_status {
	uint32_t	uid[4];		/* real, effective, saved, fs */
	uint32_t	gid[4];
	uint32_t	*groups;	/* malloc'd, ngroups entries */
	uint32_t	ngroups;
	uint32_t	umask;
	uint32_t	threads;
	uint64_t	sigblk;
	uint64_t	cap[5];		/* CapInh, CapPrm, CapEff, CapBnd, CapAmb */
	uint32_t	no_new_privs;
	uint32_t	seccomp;	/* SECCOMP_MODE_*: 0, 1 strict, 2 filter */
	pid_t		tracer;		/* TracerPid, 0: none */
	char		state;		/* R, S, D, T, t, Z, ... */
};

/* What /proc/PID/stat says: parent, state and the mm layout fields. */
struct cr_proc_stat {
	char		state;
	pid_t		ppid, pgid, sid;
	unsigned int	tty_nr;		/* its controlling terminal, 0: none */
	pid_t		tpgid;		/* its foreground group, -1: none */
	int		exit_signal;
	int		exit_code;	/* a zombie's wait status */
	uint64_t	start_code, end_code, start_stack;
	uint64_t	start_data, end_data, start_brk;
	uint64_t	arg_start, arg_end, env_start, env_end;
};

/* VmFlags of smaps that the dump cares about (CR_VMF_*). */
#define CR_VMF_GROWSDOWN	(1U << 0)	/* gd */
#define CR_VMF_LOCKED		(1U << 1)	/* lo */
#define CR_VMF_IO		(1U << 2)	/* io */
#define CR_VMF_PFNMAP		(1U << 3)	/* pf */
#define CR_VMF_HUGETLB		(1U << 4)	/* ht */
#define CR_VMF_UFFD		(1U << 5)	/* um, uw, ui */
#define CR_VMF_MIXEDMAP		(1U << 6)	/* mm */
#define CR_VMF_NORESERVE	(1U << 7)	/* nr */
#define CR_VMF_ACCOUNT		(1U << 8)	/* ac: charged to the commit limit */
#define CR_VMF_LOCKONFAULT	(1U << 9)	/* lf: mlock2(MLOCK_ONFAULT) */
#define CR_VMF_DROPPABLE	(1U << 10)	/* dp: MAP_DROPPABLE */
#define CR_VMF_MAYBE_GUARD	(1U << 11)	/* gu: had a guard region */
#define CR_VMF_MAYWRITE		(1U << 12)	/* mw: of a shared file map: opened rw */
#define CR_VMF_UNKNOWN		(1U << 31)	/* a mnemonic of none of these */

/* One line of /proc/PID/maps with the VmFlags of its smaps entry. */
struct cr_proc_map {
	uint64_t	start, end;
	uint64_t	pgoff;
	uint32_t	prot;		/* PROT_* */
	int		shared;		/* 's' rather than 'p' */
	unsigned int	dev_major, dev_minor;
	uint64_t	ino;
	char		*path;		/* text after the inode, "" if none */
	uint32_t	vmflags;	/* CR_VMF_* */
	uint32_t	advice;		/* CRFS_VMA_A_* from VmFlags */
	char		vmf_other[3];	/* CR_VMF_UNKNOWN: the first such */
	uint64_t	rss_kb;		/* Rss: pages mapped now */
	uint64_t	swap_kb;	/* Swap: */
	uint32_t	pkey;		/* ProtectionKey: (with pkeys) */
};

/* st_mtim of @st in ns since the epoch, as the image records it. */
static inline int64_t cr_mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

/* A thread's signal masks, as its status tells them. */
struct cr_proc_sigmasks {
	uint64_t	blocked;	/* SigBlk: task->blocked, now */
	uint64_t	pending;	/* SigPnd: its own queue */
	uint64_t	shared;		/* ShdPnd: the process's queue */
};

/**
 * cr_proc_sigmasks() - parse the Sig lines of /proc/@pid/task/@tid/status
 * Return: 0 or -errno with @e set.
 */
int cr_proc_sigmasks(pid_t pid, pid_t tid, struct cr_proc_sigmasks *sm,
		     struct cr_err *e);

/**
 * cr_proc_status() - parse /proc/@pid/status
 * Return: 0 or -errno with @e set.  Free @st->groups.
 */
int cr_proc_status(pid_t pid, struct cr_proc_status *st, struct cr_err *e);

/**
 * cr_proc_stat() - parse /proc/@pid/stat (state, ppid, fields 26-28, 45-51)
 * Return: 0 or -errno with @e set.
 */
int cr_proc_stat(pid_t pid, struct cr_proc_stat *st, struct cr_err *e);

/**
 * cr_proc_maps() - parse /proc/@pid/smaps into an array sorted by address
 * @maps: receives a malloc'd array; free it with cr_proc_maps_free()
 *
 * Return: the number of mappings, or -errno with @e set.
 */
int cr_proc_maps(pid_t pid, struct cr_proc_map **maps, struct cr_err *e);

/**
 * cr_proc_layout() - like cr_proc_maps(), from /proc/@pid/maps: ranges,
 * protections and paths only (no VmFlags, Rss or Swap), without the walk
 * of the page tables that smaps costs
 */
int cr_proc_layout(pid_t pid, struct cr_proc_map **maps, struct cr_err *e);

/* cr_proc_maps_free() - free what cr_proc_maps() returned */
void cr_proc_maps_free(struct cr_proc_map *maps, int nr);

/**
 * cr_proc_limits() - parse /proc/@pid/limits ("unlimited": ~0ULL)
 * Return: 0 or -errno with @e set.
 */
int cr_proc_limits(pid_t pid, struct crfs_rlimit rl[CRFS_NR_RLIMITS],
		   struct cr_err *e);

/**
 * cr_proc_auxv() - read /proc/@pid/auxv into @auxv, up to AT_NULL included
 * @nr_words: receives the words used
 *
 * Return: 0 or -errno with @e set (-E2BIG if more than @max words).
 */
int cr_proc_auxv(pid_t pid, __u64 *auxv, uint32_t max, uint32_t *nr_words,
		 struct cr_err *e);

/**
 * cr_proc_link() - readlink /proc/@pid/@name into a malloc'd string
 * Return: 0 or -errno with @e set.
 */
int cr_proc_link(pid_t pid, const char *name, char **target, struct cr_err *e);

/**
 * cr_proc_each_other() - call @fn(q, @arg) for each process q of /proc
 * but @pid and the caller, until one returns nonzero: the one walk that
 * finds what a process outside a container holds (res-files.c,
 * res-fdata.c, res-share.c)
 * Return: the last result of @fn, 0, or -errno when /proc is unreadable.
 */
int cr_proc_each_other(pid_t pid, int (*fn)(pid_t q, void *arg), void *arg);

/**
 * cr_proc_task_vpid() - thread @tid of process @pid as its innermost pid
 * namespace sees it: the last value of NSpid in /proc/PID/task/TID/status
 * Return: that tid, or 0 if the file cannot be read or has none.
 */
long cr_proc_task_vpid(pid_t pid, long tid);

/**
 * cr_proc_each_outside() - cr_proc_each_other() for every process but
 * those of @in (sorted, @nr of them: a container's) and the caller
 * Return: the last result of @fn, 0, or -errno when /proc is unreadable.
 */
int cr_proc_each_outside(const pid_t *in, uint32_t nr,
			 int (*fn)(pid_t q, void *arg), void *arg);

/**
 * cr_stat_cached() - fstatat(@dirfd, @path, @st, @flags) that does not
 * ask the filesystem: statx() with AT_STATX_DONT_SYNC, so that FUSE and
 * NFS answer from their cache; a process's file on a FUSE server whose
 * getattr blocks cannot hang a checkpoint
 * Return: 0, or -1 with errno set.
 */
int cr_stat_cached(int dirfd, const char *path, int flags, struct stat *st);

/**
 * cr_proc_comm() - read /proc/@pid/comm without the newline
 * Return: 0 or -errno with @e set.
 */
int cr_proc_comm(pid_t pid, char comm[CRFS_COMM_LEN], struct cr_err *e);

/**
 * cr_proc_personality() - read /proc/@pid/personality
 * Return: 0 or -errno with @e set.
 */
int cr_proc_personality(pid_t pid, uint32_t *pers, struct cr_err *e);

/**
 * cr_proc_tids() - the threads of /proc/@pid/task, sorted, the leader
 * first
 * @tids: receives a malloc'd array (free() it)
 *
 * Return: the number of threads, or -errno with @e set.
 */
int cr_proc_tids(pid_t pid, pid_t **tids, struct cr_err *e);

/**
 * cr_proc_num() - read the one number of /proc/@pid/@name
 * Return: 0 or -errno with @e set.
 */
int cr_proc_num(pid_t pid, const char *name, long long *v, struct cr_err *e);

/**
 * cr_proc_fdinfo() - read pos and flags of /proc/@pid/fdinfo/@fd
 * @flags: receives the octal flags line, O_CLOEXEC included
 * @locks: receives whether it names locks ("lock:" lines), or NULL
 *
 * Return: 0 or -errno with @e set.
 */
int cr_proc_fdinfo(pid_t pid, int fd, uint64_t *pos, uint32_t *flags,
		   bool *locks, struct cr_err *e);

/**
 * cr_proc_fds() - the descriptor numbers of /proc/@pid/fd, sorted
 * @fds: receives a malloc'd array (free() it)
 *
 * Return: how many, or -errno with @e set.
 */
int cr_proc_fds(pid_t pid, int **fds, struct cr_err *e);

#endif /* CR_PROC_H */
