// SPDX-License-Identifier: GPL-2.0
/*
 * What the image does not keep of a task, refused when it is not what a
 * restore gives: the per-thread settings crfs-fuse also refuses (TSC and
 * CPUID faulting, the machine-check kill policy, the speculation
 * controls, syscall user dispatch, a core-scheduling cookie, the I/O
 * flusher flag, GDT TLS entries of set_thread_area()) and the process's
 * LDT (modify_ldt()).  A restore would bring the task back without them:
 * different, so refused at open(), in crfs-fuse's words.
 */
#include <linux/mm_types.h>
#include <linux/nospec.h>
#include <linux/prctl.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/thread_info.h>
#include <asm/desc.h>

#include "crfs.h"
#include "ckpt.h"

/* PR_SET_IO_FLUSHER sets both (kernel/sys.c). */
#define CRFS_PF_IO_FLUSHER	(PF_MEMALLOC_NOIO | PF_LOCAL_THROTTLE)

/* A setting read as its prctl() would read it, and what a restore gives. */
struct crfs_ckpt_setting {
	const char	*name;
	long		(*get)(struct task_struct *t);
	long		dflt;
	bool		own_dflt;	/* the default is the reader's own value */
	const char	*why;
};

static long crfs_get_tsc(struct task_struct *t)
{
	return test_tsk_thread_flag(t, TIF_NOTSC) ? PR_TSC_SIGSEGV : PR_TSC_ENABLE;
}

static long crfs_get_cpuid(struct task_struct *t)
{
	return !test_tsk_thread_flag(t, TIF_NOCPUID);
}

static long crfs_get_mce(struct task_struct *t)
{
	if (!(t->flags & PF_MCE_PROCESS))
		return PR_MCE_KILL_DEFAULT;
	return t->flags & PF_MCE_EARLY ? PR_MCE_KILL_EARLY : PR_MCE_KILL_LATE;
}

static long crfs_get_ssb(struct task_struct *t)
{
	return arch_prctl_spec_ctrl_get(t, PR_SPEC_STORE_BYPASS);
}

static long crfs_get_ib(struct task_struct *t)
{
	return arch_prctl_spec_ctrl_get(t, PR_SPEC_INDIRECT_BRANCH);
}

static long crfs_get_l1d(struct task_struct *t)
{
	return arch_prctl_spec_ctrl_get(t, PR_SPEC_L1D_FLUSH);
}

static const struct crfs_ckpt_setting crfs_ckpt_settings[] = {
	{ "TSC reads fault (PR_SET_TSC)", crfs_get_tsc, PR_TSC_ENABLE, false,
	  "not saved: the restore would let it read the TSC" },
	{ "CPUID faulting (ARCH_SET_CPUID)", crfs_get_cpuid, 1, false,
	  "not saved: the restore would let it run CPUID" },
	{ "machine-check kill policy (PR_MCE_KILL)", crfs_get_mce,
	  PR_MCE_KILL_DEFAULT, false,
	  "not saved: the restore would give it the default policy" },
	{ "speculative store bypass control (PR_SPEC_STORE_BYPASS)",
	  crfs_get_ssb, 0, true,
	  "not saved (a forced disable cannot even be undone)" },
	{ "indirect branch speculation control (PR_SPEC_INDIRECT_BRANCH)",
	  crfs_get_ib, 0, true,
	  "not saved (a forced disable cannot even be undone)" },
	{ "L1D flush on context switch (PR_SPEC_L1D_FLUSH)", crfs_get_l1d, 0,
	  true, "not saved" },
};

/* Thread @t's GDT TLS entries (set_thread_area()): the image has none. */
static int crfs_ckpt_tls(struct crfs_ckpt *c, struct task_struct *t)
{
	const struct desc_struct *d;
	unsigned int i;

	for (i = 0; i < GDT_ENTRY_TLS_ENTRIES; i++) {
		d = &t->thread.tls_array[i];
		if (desc_empty(d))
			continue;
		return crfs_ckpt_refuse(c, -EOPNOTSUPP,
					"tid %d: GDT TLS entry %d (set_thread_area(), base %#lx, limit %#lx): not restored",
					task_pid_nr_ns(t, c->pid_ns),
					GDT_ENTRY_TLS_MIN + i, get_desc_base(d),
					get_desc_limit(d));
	}
	return 0;
}

/* What else of thread @t the image has no room for, or NULL. */
static const char *crfs_ckpt_thread_extra(struct task_struct *t)
{
	if (test_task_syscall_work(t, SYSCALL_USER_DISPATCH))
		return "syscall user dispatch is on (PR_SET_SYSCALL_USER_DISPATCH): not saved";
	if ((t->flags & CRFS_PF_IO_FLUSHER) == CRFS_PF_IO_FLUSHER)
		return "it is an I/O flusher (PR_SET_IO_FLUSHER): not saved";
#ifdef CONFIG_SCHED_CORE
	if (t->core_cookie)
		return "it has a core-scheduling cookie (PR_SCHED_CORE): a cookie shared with other processes cannot be made again";
#endif
	return NULL;
}

/* Thread @t: each setting of the table, then the rest. */
static int crfs_ckpt_misc_thread(struct crfs_ckpt *c, struct task_struct *t)
{
	const struct crfs_ckpt_setting *s;
	char who[CRFS_CKPT_WHO_LEN];
	const char *why;
	long v, dflt;
	unsigned int i;

	crfs_ckpt_who(c, t, who, sizeof(who));
	for (i = 0; i < ARRAY_SIZE(crfs_ckpt_settings); i++) {
		s = &crfs_ckpt_settings[i];
		v = s->get(t);
		dflt = s->own_dflt ? s->get(current) : s->dflt;
		if (v != dflt)
			return crfs_ckpt_refuse(c, -EOPNOTSUPP,
						"%s: %s is %#lx, not the default %#lx: %s",
						who, s->name, v, dflt, s->why);
	}
	why = crfs_ckpt_thread_extra(t);
	if (why)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP, "%s: %s", who, why);
	return crfs_ckpt_tls(c, t);
}

/**
 * crfs_ckpt_misc - refuse what the image does not keep of the process
 * @c: the checkpoint, its threads collected
 *
 * Return: 0, or a refusal naming the pid or thread, with the reason in
 * the error file.
 */
int crfs_ckpt_misc(struct crfs_ckpt *c)
{
	unsigned int i;
	int ret;

	for (i = 0; i < c->nr_threads; i++) {
		ret = crfs_ckpt_misc_thread(c, c->threads[i]);
		if (ret)
			return ret;
	}
#ifdef CONFIG_MODIFY_LDT_SYSCALL
	if (READ_ONCE(c->task->mm->context.ldt))
		return crfs_ckpt_refuse(c, -EOPNOTSUPP,
					"pid %d: has an LDT (modify_ldt()): not restored",
					c->pid);
#endif
	return 0;
}
