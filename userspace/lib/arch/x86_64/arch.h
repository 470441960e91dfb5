/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * x86-64: registers, FPU/XSAVE state and syscall injection through ptrace.
 */
#ifndef CR_ARCH_X86_64_H
#define CR_ARCH_X86_64_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>
#include <linux/crfs.h>

#include "cr.h"

/* Highest user address + 1 with 4-level page tables. */
#define CR_TASK_SIZE	0x7ffffffff000UL

_Static_assert(sizeof(struct user_regs_struct) ==
	       sizeof(((struct crfs_x86_regs *)0)->r),
	       "crfs_x86_regs must mirror user_regs_struct");

/* What a thread has of this architecture: registers and XSAVE area. */
struct cr_arch_thread {
	struct crfs_x86_regs	regs;		/* CRFS_REC_X86_REGS */
	void			*xstate;	/* CRFS_REC_X86_XSTATE */
	uint32_t		xstate_size;
	bool			have_regs;
};

/* cr_arch_thread_free() - free what @a holds */
void cr_arch_thread_free(struct cr_arch_thread *a);

/**
 * cr_arch_thread_missing() - the arch record a thread of an image with
 * @features lacks after its records were read, or NULL: its registers,
 * and its XSAVE area when CRFS_FEAT_XSTATE is set
 */
const char *cr_arch_thread_missing(const struct cr_arch_thread *a,
				   uint64_t features);

/**
 * cr_arch_xstate_size() - bytes of the XSAVE area on this CPU (XCR0)
 */
uint32_t cr_arch_xstate_size(void);

/**
 * cr_arch_xfeatures() - XCR0 of this CPU, 0 without XSAVE
 */
uint64_t cr_arch_xfeatures(void);

/**
 * cr_arch_get_regs() - read a stopped tracee's registers and XSAVE area
 * @pid:    a ptrace-stopped tracee of the calling thread
 * @regs:   receives the general registers, fs_base and gs_base
 * @xstate: receives cr_arch_xstate_size() bytes
 *
 * A tracee stopped inside an interrupted system call is reported as the
 * kernel holds it (orig_rax the call, rax -ERESTART*): loaded back, the
 * task restarts it or returns EINTR as the kernel decides on its way out;
 * -EINTR for calls restarted through restart_syscall(), whose restart
 * block does not survive.  orig_rax is -1 for a tracee in no call.
 *
 * Return: 0 or -errno with @e set.
 */
int cr_arch_get_regs(pid_t pid, struct crfs_x86_regs *regs, void *xstate,
		     struct cr_err *e);

/**
 * cr_arch_set_regs() - load registers and XSAVE area into a stopped tracee
 * @xstate: may be NULL to leave the FPU state alone
 *
 * Return: 0 or -errno with @e set.
 */
int cr_arch_set_regs(pid_t pid, const struct crfs_x86_regs *regs,
		     const void *xstate, uint32_t xstate_size,
		     struct cr_err *e);

/**
 * cr_arch_check_regs() - would the kernel load these registers and XSAVE
 * area?  Selectors, fs/gs base and the XSAVE header (check.c)
 * @pid:        for messages
 * @xfeatures:  the image header's XCR0 (0: an FXSAVE area)
 *
 * Return: 0 or -EBADMSG with @e set.
 */
int cr_arch_check_regs(uint32_t pid, const struct crfs_x86_regs *regs,
		       const void *xstate, uint32_t xstate_size,
		       uint64_t xfeatures, struct cr_err *e);

/**
 * cr_arch_call_eintr() - whether @regs, as cr_arch_get_regs() read them,
 * return EINTR from a system call to the task rather than restart it
 * (epoll_pwait(), or a restart block's call): the only way out of a call
 * that swapped the blocked mask (TIF_RESTORE_SIGMASK) but restarting it.
 */
bool cr_arch_call_eintr(const struct crfs_x86_regs *regs);

/**
 * cr_arch_tls_refuse() - refuse a stopped tracee @tid whose GDT TLS entries
 * (set_thread_area()) are not empty
 * Return: 0, or -errno with @e set (EOPNOTSUPP: an entry is set).
 */
int cr_arch_tls_refuse(pid_t tid, struct cr_err *e);

/**
 * cr_arch_clone3_exit() - clone3() a child that exits with status 0 at once
 * @args: struct clone_args; CLONE_VM | CLONE_VFORK make it cheap (no stack
 *        needed: the child touches no memory)
 * @size: sizeof(struct clone_args)
 *
 * Return: the child's pid (reap it), or -errno.
 */
long cr_arch_clone3_exit(void *args, size_t size);

/**
 * cr_arch_clone3_thread_exit() - clone3() a thread that exits at once
 * @args: struct clone_args with CLONE_THREAD (and what it needs), without
 *        CLONE_VFORK; the thread runs on the caller's stack without
 *        touching it, so every signal must be blocked
 * @size: sizeof(struct clone_args)
 *
 * Return: the thread's tid, or -errno.
 */
long cr_arch_clone3_thread_exit(void *args, size_t size);

/**
 * cr_arch_clone3_run() - clone3() a thread that runs @fn(@arg) on the
 * stack @args gives (stack, stack_size: its top 16-byte aligned), and
 * exits if @fn returns
 * @args: struct clone_args with CLONE_VM and a stack
 * @size: sizeof(struct clone_args)
 *
 * Return: the thread's tid, or -errno.
 */
long cr_arch_clone3_run(void *args, size_t size, void (*fn)(void *),
			void *arg);

/**
 * cr_arch_syscall4() - system call @nr with four arguments, errno left
 * alone: for threads that share the caller's TLS (cr_arch_clone3_run())
 *
 * Return: what the kernel returned (-errno on failure).
 */
long cr_arch_syscall4(long nr, long a0, long a1, long a2, long a3);

/**
 * cr_arch_find_syscall() - address of a "syscall" instruction (0f 05)
 * @pid:   tracee
 * @start: first address to search, usually the [vdso] start
 * @end:   end of the search
 *
 * Return: the address, or 0 when none is found.
 */
unsigned long cr_arch_find_syscall(pid_t pid, unsigned long start,
				   unsigned long end);

/*
 * A tracee prepared for syscall injection.  @saved are its registers
 * when it was stopped; every injected call starts from a copy of them.
 */
struct cr_infect {
	pid_t			pid;
	unsigned long		gadget;		/* address of 0f 05 */
	struct user_regs_struct	saved;
};

/**
 * cr_infect_init() - remember a stopped tracee's registers
 * @pid:    ptrace-stopped tracee, seized with PTRACE_O_TRACESYSGOOD
 * @gadget: from cr_arch_find_syscall()
 *
 * Return: 0 or -errno with @e set.
 */
int cr_infect_init(struct cr_infect *inf, pid_t pid, unsigned long gadget,
		   struct cr_err *e);

/**
 * cr_infect_syscall() - make the tracee execute one system call
 * @nr:  syscall number
 * @a:   six arguments
 * @ret: receives the raw return value (-errno on failure)
 *
 * The tracee runs from @inf->gadget to the end of the call and stops
 * again (syscall-exit-stop).  Signals must be blocked in the tracee (use
 * PTRACE_SETSIGMASK) and its cgroup must not be frozen.
 *
 * Return: 0 when the call ran (whatever it returned), or -errno with @e
 * set when the tracee could not be driven (it died, an unexpected stop).
 */
int cr_infect_syscall(struct cr_infect *inf, long nr, const unsigned long a[6],
		      long *ret, struct cr_err *e);

/*
 * One call of a batch, as it lies in the tracee's memory: the number, six
 * arguments, and the raw result the tracee stores after the call.
 */
struct cr_infect_call {
	uint64_t	nr;
	uint64_t	a[6];
	int64_t		ret;
};

/* The code that runs a batch: copy it to executable memory of the tracee. */
extern const unsigned char cr_arch_batch_code[];
extern const size_t cr_arch_batch_code_size;

/**
 * cr_infect_batch() - make the tracee run @n system calls in one go
 * @code:  where cr_arch_batch_code was copied in the tracee (executable)
 * @table: where @calls are copied in the tracee (writable, @n entries)
 * @calls: the calls; their @ret fields receive the results
 *
 * One resume and one stop for them all, instead of two of each per call:
 * the tracee runs the calls in order, stops at the first that fails, and
 * traps (int3) at the end.  Signals must be blocked as for
 * cr_infect_syscall(); SIGTRAP is let through for the trap alone, so a
 * tracee that ignores SIGTRAP or has one pending (the trap would reset
 * the one or take the other) is refused with -EAGAIN and @e untouched:
 * run the calls one by one instead.
 *
 * Return: how many calls succeeded (@n, or the index of the one that
 * failed, its -errno in @calls[i].ret), -EAGAIN, or -errno with @e set
 * when the tracee could not be driven.
 */
int cr_infect_batch(struct cr_infect *inf, unsigned long code,
		    unsigned long table, struct cr_infect_call *calls, int n,
		    struct cr_err *e);

/**
 * cr_infect_batch_run() - cr_infect_batch() without its look at
 * /proc/PID/status: for a caller that knows SIGTRAP is neither pending
 * in the tracee nor ignored by it (the image says so)
 * Return: as cr_infect_batch(), never -EAGAIN.
 */
int cr_infect_batch_run(struct cr_infect *inf, unsigned long code,
			unsigned long table, struct cr_infect_call *calls,
			int n, struct cr_err *e);

/**
 * cr_infect_fini() - put back the registers saved by cr_infect_init()
 * Return: 0 or -errno with @e set.
 */
int cr_infect_fini(struct cr_infect *inf, struct cr_err *e);

#endif /* CR_ARCH_X86_64_H */
