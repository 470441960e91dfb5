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
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/seccomp.h>
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
	bool		init_dflt;	/* the default is init's value */
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
	{ .name = "TSC reads fault (PR_SET_TSC)", .get = crfs_get_tsc,
	  .dflt = PR_TSC_ENABLE,
	  .why = "not saved: the restore would let it read the TSC" },
	{ .name = "CPUID faulting (ARCH_SET_CPUID)", .get = crfs_get_cpuid,
	  .dflt = 1, .why = "not saved: the restore would let it run CPUID" },
	{ .name = "machine-check kill policy (PR_MCE_KILL)", .get = crfs_get_mce,
	  .dflt = PR_MCE_KILL_DEFAULT,
	  .why = "not saved: the restore would give it the default policy" },
	{ .name = "speculative store bypass control (PR_SPEC_STORE_BYPASS)",
	  .get = crfs_get_ssb, .init_dflt = true,
	  .why = "not saved (a forced disable cannot even be undone)" },
	{ .name = "indirect branch speculation control (PR_SPEC_INDIRECT_BRANCH)",
	  .get = crfs_get_ib, .init_dflt = true,
	  .why = "not saved (a forced disable cannot even be undone)" },
	{ .name = "L1D flush on context switch (PR_SPEC_L1D_FLUSH)",
	  .get = crfs_get_l1d, .init_dflt = true, .why = "not saved" },
};

static bool crfs_on_sud(struct task_struct *t)
{
	return test_task_syscall_work(t, SYSCALL_USER_DISPATCH);
}

static bool crfs_on_io_flusher(struct task_struct *t)
{
	return (t->flags & CRFS_PF_IO_FLUSHER) == CRFS_PF_IO_FLUSHER;
}

#ifdef CONFIG_SCHED_CORE
static bool crfs_on_core_cookie(struct task_struct *t)
{
	return t->core_cookie;
}
#endif

/* What a thread has or has not, beside the settings with a value. */
static const struct {
	bool		(*on)(struct task_struct *t);
	const char	*what;
	const char	*why;
} crfs_ckpt_flags[] = {
	{ crfs_on_sud, "syscall user dispatch is on (PR_SET_SYSCALL_USER_DISPATCH)",
	  "not saved" },
	{ crfs_on_io_flusher, "it is an I/O flusher (PR_SET_IO_FLUSHER)", "not saved" },
#ifdef CONFIG_SCHED_CORE
	{ crfs_on_core_cookie, "it has a core-scheduling cookie (PR_SCHED_CORE)",
	  "a cookie shared with other processes cannot be made again" },
#endif
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

/* @v as crfs-fuse prints it (glibc's "%#lx": "0", not "0x0"). */
static const char *crfs_hex(char *buf, size_t len, long v)
{
	if (!v)
		return "0";
	snprintf(buf, len, "%#lx", v);
	return buf;
}

/**
 * crfs_task_settings_why - a setting of @t that a restore would not give
 * @t: a thread, held
 * @buf: where the reason is made
 * @len: its size
 * @why: add why it is not kept (a checkpoint's refusal), or not (a
 *	restore's, naming what its writer would hand down)
 *
 * Return: the reason, or NULL when every setting is the default.
 */
const char *crfs_task_settings_why(struct task_struct *t, char *buf,
				   size_t len, bool why)
{
	const struct crfs_ckpt_setting *s;
	char hv[24], hd[24];
	unsigned int i;
	long v, dflt;

	for (i = 0; i < ARRAY_SIZE(crfs_ckpt_settings); i++) {
		s = &crfs_ckpt_settings[i];
		v = s->get(t);
		dflt = s->init_dflt ? s->get(&init_task) : s->dflt;
		if (v == dflt)
			continue;
		snprintf(buf, len, "%s is %s, not the default %s%s%s", s->name,
			 crfs_hex(hv, sizeof(hv), v), crfs_hex(hd, sizeof(hd), dflt),
			 why ? ": " : "", why ? s->why : "");
		return buf;
	}
	for (i = 0; i < ARRAY_SIZE(crfs_ckpt_flags); i++) {
		if (!crfs_ckpt_flags[i].on(t))
			continue;
		snprintf(buf, len, "%s%s%s", crfs_ckpt_flags[i].what,
			 why ? ": " : "", why ? crfs_ckpt_flags[i].why : "");
		return buf;
	}
	return NULL;
}

/* Thread @t: its settings, then its GDT TLS entries. */
static int crfs_ckpt_misc_thread(struct crfs_ckpt *c, struct task_struct *t)
{
	char who[CRFS_CKPT_WHO_LEN], buf[192];
	const char *why;

#ifdef CONFIG_SECCOMP
	/* strict mode makes TSC reads fault: seccomp's refusal says it */
	if (t->seccomp.mode == SECCOMP_MODE_STRICT)
		return 0;
#endif
	why = crfs_task_settings_why(t, buf, sizeof(buf), true);
	if (why) {
		crfs_ckpt_who(c, t, who, sizeof(who));
		return crfs_ckpt_refuse(c, -EOPNOTSUPP, "%s: %s", who, why);
	}
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
	struct mm_struct *mm;
	unsigned int i;
	bool ldt = false;
	int ret;

	for (i = 0; i < c->nr_threads; i++) {
		ret = crfs_ckpt_misc_thread(c, c->threads[i]);
		if (ret)
			return ret;
	}
	mm = get_task_mm(c->task);	/* a kill may take it meanwhile */
	if (!mm)
		return crfs_ckpt_refuse(c, -ESRCH, "pid %d: killed during the checkpoint",
					c->pid);
#ifdef CONFIG_MODIFY_LDT_SYSCALL
	ldt = !!READ_ONCE(mm->context.ldt);
#endif
	mmput(mm);
	if (ldt)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP,
					"pid %d: has an LDT (modify_ldt()): not restored",
					c->pid);
	return 0;
}
