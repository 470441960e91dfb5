// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What a restored process does for itself.  Before its memory is swapped
 * it runs C code in a copy of the restorer (raw system calls only, the
 * restorer may be multithreaded): session, its files (restore-files.c:
 * descriptors, mapped files, executable, root and cwd), umask, signal
 * actions, name, personality.  After the swap the rest is injected: rseq,
 * sigaltstack, pending signals; then its tracer sets its limits, and
 * last come the credentials.
 *
 * Whatever a checkpoint accepts must restore: cr_rst_task_fits() says
 * what this restorer can do, and both the dump and the restore ask it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "restore.h"

static const char *const cr_rlimit_names[CRFS_NR_RLIMITS] = {
	"RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK",
	"RLIMIT_CORE", "RLIMIT_RSS", "RLIMIT_NPROC", "RLIMIT_NOFILE",
	"RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS", "RLIMIT_SIGPENDING",
	"RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
};

/* A limit in words: a number or "unlimited". */
static const char *cr_rlim_str(char *buf, size_t len, uint64_t v)
{
	if (v == ~0ULL)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

/* May this process raise hard limits (CAP_SYS_RESOURCE in effect)? */
static bool cr_can_raise_limits(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[CAP_SYS_RESOURCE / 32].effective &
	       (1U << (CAP_SYS_RESOURCE % 32));
}

/* fs.nr_open: no process may have a descriptor number at or above it. */
static uint64_t cr_nr_open(void)
{
	unsigned long long v = 1024 * 1024;	/* the kernel's default */
	char *buf = cr_read_file("/proc/sys/fs/nr_open", NULL);

	if (buf)
		sscanf(buf, "%llu", &v);
	free(buf);
	return v;
}

/* Can the descriptors of @fs be opened under @nofile (number + 1)? */
static int cr_fits_fds(const struct cr_task_img *t,
		       const struct cr_rst_files *fs, uint64_t nofile,
		       const char *why, struct cr_err *e)
{
	uint32_t i;

	for (i = 0; i < fs->nr_fds; i++)
		if ((uint64_t)fs->f[i].fd >= nofile)
			return cr_fail(e, EMFILE,
				       "pid %u: fd %d: %s: a restore here cannot open descriptor %d (%s is %llu)",
				       t->task.pid, fs->f[i].fd, fs->f[i].path,
				       fs->f[i].fd, why,
				       (unsigned long long)nofile);
	if (fs->nofile > nofile)
		return cr_fail(e, EMFILE,
			       "pid %u: a restore here needs descriptor numbers up to %u for its descriptors, mapped files, executable and directories (%s is %llu)",
			       t->task.pid, fs->nofile - 1, why,
			       (unsigned long long)nofile);
	return 0;
}

/* Can this process restore @t, whose files are planned in @fs? */
static int cr_fits(const struct cr_task_img *t, const struct cr_rst_files *fs,
		   struct cr_err *e)
{
	bool cap = cr_can_raise_limits();
	uint64_t nr_open = cr_nr_open();
	char want[24], own[24];
	struct rlimit rl;
	int i, rc;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		rl.rlim_max = 0;
	rc = cr_fits_fds(t, fs, rl.rlim_max,
			 "the restorer's RLIMIT_NOFILE hard limit", e);
	if (!rc)
		rc = cr_fits_fds(t, fs, nr_open, "fs.nr_open", e);
	for (i = 0; !rc && i < CRFS_NR_RLIMITS; i++) {
		uint64_t cur = t->rlim.rlim[i].cur, max = t->rlim.rlim[i].max;

		if (getrlimit(i, &rl))
			continue;	/* a limit this kernel does not have */
		if (cur > max)
			rc = cr_fail(e, EINVAL,
				     "pid %u: %s: soft limit %s above hard limit %s",
				     t->task.pid, cr_rlimit_names[i],
				     cr_rlim_str(want, sizeof(want), cur),
				     cr_rlim_str(own, sizeof(own), max));
		else if (i == RLIMIT_NOFILE && max > nr_open)
			rc = cr_fail(e, EPERM,
				     "pid %u: %s: hard limit %s is above fs.nr_open %llu: a restore could not set it",
				     t->task.pid, cr_rlimit_names[i],
				     cr_rlim_str(want, sizeof(want), max),
				     (unsigned long long)nr_open);
		else if (max > rl.rlim_max && !cap)
			rc = cr_fail(e, EPERM,
				     "pid %u: %s: hard limit %s is above the restorer's %s: a restore could not set it (raising a hard limit needs CAP_SYS_RESOURCE)",
				     t->task.pid, cr_rlimit_names[i],
				     cr_rlim_str(want, sizeof(want), max),
				     cr_rlim_str(own, sizeof(own), rl.rlim_max));
	}
	return rc;
}

int cr_rst_task_fits(const struct cr_task_img *t, struct cr_err *e)
{
	struct cr_rst_files fs;
	int rc;

	rc = cr_rst_files_plan(t, &fs, e);
	if (rc)
		return rc;
	rc = cr_fits(t, &fs, e);
	cr_rst_files_free(&fs);
	return rc;
}

int cr_rst_task_check(struct cr_rst *r, struct cr_rst_child *c,
		      struct cr_err *e)
{
	int rc;

	rc = cr_rst_files_plan(r->t, &r->files, e);
	if (!rc)
		rc = cr_fits(r->t, &r->files, e);
	if (rc)
		return rc;
	c->t = r->t;
	c->files = &r->files;
	c->sock_fd = r->files.sock_fd;
	return 0;
}

void cr_rst_task_fini(struct cr_rst *r)
{
	cr_rst_files_free(&r->files);
}

/* Tell the tracer how far we got and give up. */
static void __attribute__((noreturn))
cr_child_fail(int sock, struct cr_rst_res *res, int err)
{
	res->err = err;
	syscall(SYS_write, sock, res, sizeof(*res));
	syscall(SYS_exit_group, 1);
	__builtin_unreachable();
}

void cr_rst_task_child(const struct cr_rst_child *c)
{
	const struct cr_task_img *t = c->t;
	struct cr_rst_res res = { 0 };
	int sock = c->sock, err, i, close_err = 0;
	uint64_t all = ~0ULL;
	char name[CRFS_COMM_LEN], go;

	if (sock != c->sock_fd) {
		if (syscall(SYS_dup3, sock, c->sock_fd, O_CLOEXEC) < 0)
			syscall(SYS_exit_group, 1);
		sock = c->sock_fd;
	}
	/* None of the restorer's descriptors may stay: said below if one does. */
	if (sock > 0 && syscall(SYS_close_range, 0, sock - 1, 0))
		close_err = errno;
	if (!close_err && syscall(SYS_close_range, sock + 1, ~0U, 0))
		close_err = errno;
	/* Wait until the tracer holds us. */
	if (syscall(SYS_read, sock, &go, 1) != 1)
		syscall(SYS_exit_group, 1);
	res.step = CR_RST_CLOSE;
	if (close_err)
		cr_child_fail(sock, &res, close_err);
	/*
	 * A session of its own, as after setsid(): not the restorer's, whose
	 * terminal and process group signals must not reach it.  The pid is
	 * the image's, so a process that led its session leads it again.  A
	 * process group with our pid still alive makes it fail: then the
	 * restore does, rather than leave it in the restorer's session.
	 */
	res.step = CR_RST_SETSID;
	if (syscall(SYS_setsid) < 0)
		cr_child_fail(sock, &res, errno);

	/* The limits come last, from the tracer: nothing here is bound by them. */
	err = cr_rst_files_open(c, &res);
	if (err)
		cr_child_fail(sock, &res, err);
	syscall(SYS_umask, t->task.umask);
	for (i = 1; i <= CRFS_NSIG; i++) {
		if (i == SIGKILL || i == SIGSTOP)
			continue;
		res.step = CR_RST_SIGACT;
		res.idx = i;
		if (syscall(SYS_rt_sigaction, i, &t->sigacts.act[i - 1], NULL,
			    sizeof(uint64_t)))
			cr_child_fail(sock, &res, errno);
	}
	res.idx = 0;
	memcpy(name, t->task.comm, sizeof(name));
	name[sizeof(name) - 1] = '\0';
	res.step = CR_RST_NAME;
	if (syscall(SYS_prctl, PR_SET_NAME, name, 0, 0, 0))
		cr_child_fail(sock, &res, errno);
	/* The personality comes after the memory (READ_IMPLIES_EXEC). */
	res.step = CR_RST_SIGMASK;
	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL,
		    sizeof(all)))
		cr_child_fail(sock, &res, errno);

	res.step = CR_RST_DONE;
	syscall(SYS_write, sock, &res, sizeof(res));
	syscall(SYS_close, sock);
	/* The tracer takes over in this stop and never lets us go on here. */
	syscall(SYS_tkill, syscall(SYS_gettid), SIGSTOP);
	syscall(SYS_exit_group, 1);
	__builtin_unreachable();
}

int cr_rst_task_reason(const struct cr_rst *r, const struct cr_rst_res *res,
		       struct cr_err *e)
{
	const struct cr_task_img *t = r->t;
	const struct cr_rst_files *fs = &r->files;
	int err = res->err > 0 ? res->err : EIO;
	const char *s = strerror(err);
	pid_t pid = r->pid;

	switch (res->step) {
	case CR_RST_DONE:
		return 0;
	case CR_RST_CLOSE:
		return cr_fail(e, err, "pid %d: cannot close the restorer's descriptors: %s",
			       pid, s);
	case CR_RST_SETSID:
		return cr_fail(e, err, "pid %d: cannot start a session of its own (a process group %d is still alive?): %s",
			       pid, pid, s);
	case CR_RST_NOFILE:
		return cr_fail(e, err, "pid %d: cannot raise RLIMIT_NOFILE to open descriptors up to %u: %s",
			       pid, fs->nofile - 1, s);
	case CR_RST_GROUPS:
		return cr_fail(e, err, "pid %d: cannot take the image's groups to open its files: %s",
			       pid, s);
	case CR_RST_FILE_OPEN:
	case CR_RST_FILE_STAT:
	case CR_RST_FILE_IDENT:
	case CR_RST_FILE_MOVE:
	case CR_RST_FILE_SEEK:
		return cr_rst_files_reason(pid, t, fs, res, e);
	case CR_RST_ROOT:
		return cr_fail(e, err, "pid %d: root %s: cannot change to it: %s",
			       pid, t->root, s);
	case CR_RST_CWD:
		return cr_fail(e, err, "pid %d: cwd %s: cannot change to it: %s",
			       pid, t->cwd, s);
	case CR_RST_SIGACT:
		return cr_fail(e, err, "pid %d: signal %d: cannot set action: %s",
			       pid, res->idx, s);
	case CR_RST_NAME:
		return cr_fail(e, err, "pid %d: cannot set name: %s", pid, s);
	case CR_RST_SIGMASK:
		return cr_fail(e, err, "pid %d: cannot block signals: %s",
			       pid, s);
	}
	return cr_fail(e, EIO, "pid %d: bad report (step %d)", pid, res->step);
}

/* Run an injected call that must succeed; @what names it on failure. */
static int cr_late_call(struct cr_rst *r, long nr, const unsigned long a[6],
			const char *what, struct cr_err *e)
{
	long ret;
	int rc;

	rc = cr_rst_syscall(r, nr, a, &ret, e);
	if (rc)
		return rc;
	if (ret < 0 && ret > -4096) {
		errno = -ret;
		return cr_fail(e, -ret, "pid %d: %s: %m", r->pid, what);
	}
	return 0;
}

/* Alternate signal stack, as saved. */
static int cr_late_altstack(struct cr_rst *r, struct cr_err *e)
{
	const struct crfs_sigstate *ss = &r->t->sigstate;
	stack_t st = { 0 };
	unsigned long addr;
	int rc;

	if (ss->altstack_flags & SS_DISABLE) {
		st.ss_flags = SS_DISABLE;
	} else {
		st.ss_sp = (void *)(uintptr_t)ss->altstack_sp;
		st.ss_size = ss->altstack_size;
		st.ss_flags = ss->altstack_flags & ~SS_ONSTACK;
	}
	rc = cr_rst_poke(r, 0, &st, sizeof(st), &addr, e);
	if (rc)
		return rc;
	return cr_late_call(r, SYS_sigaltstack, CR_ARGS(addr),
			    "cannot set the alternate signal stack", e);
}

/* Queue the pending signals again, each on its own queue. */
static int cr_late_pending(struct cr_rst *r, struct cr_err *e)
{
	char what[64];
	uint32_t i;
	int rc;

	for (i = 0; i < r->t->task.nr_pending; i++) {
		const struct crfs_sigpending *p = &r->t->pending[i];
		unsigned long addr;

		rc = cr_rst_aborted(r, e);
		if (rc)
			return rc;
		rc = cr_rst_poke(r, 0, p->siginfo, sizeof(p->siginfo),
				 &addr, e);
		if (rc)
			return rc;
		snprintf(what, sizeof(what), "cannot queue signal %u",
			 p->signo);
		if (p->shared)
			rc = cr_late_call(r, SYS_rt_sigqueueinfo,
					  CR_ARGS(r->pid, p->signo, addr),
					  what, e);
		else
			rc = cr_late_call(r, SYS_rt_tgsigqueueinfo,
					  CR_ARGS(r->pid, r->pid, p->signo,
						  addr), what, e);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * setfsuid() and setfsgid() say nothing when they fail: they return the
 * old value either way.  Ask again with an invalid id, which changes
 * nothing and returns the current one, and fail if it is not @want.
 */
static int cr_late_fsid(struct cr_rst *r, long nr, uint32_t want,
			const char *what, struct cr_err *e)
{
	long now;
	int rc;

	rc = cr_rst_syscall(r, nr, CR_ARGS(want), &now, e);
	if (!rc)
		rc = cr_rst_syscall(r, nr, CR_ARGS(-1UL), &now, e);
	if (rc)
		return rc;
	if ((uint32_t)now != want)
		return cr_fail(e, EPERM, "pid %d: cannot set %s to %u (it stays %u)",
			       r->pid, what, want, (uint32_t)now);
	return 0;
}

/* Groups, gids, then uids: from here on the process may be unprivileged. */
static int cr_late_creds(struct cr_rst *r, struct cr_err *e)
{
	const struct crfs_creds *c = &r->t->creds;
	unsigned long addr = 0;
	int rc;

	if (c->ngroups) {
		rc = cr_rst_poke(r, 0, r->t->groups,
				 c->ngroups * sizeof(uint32_t), &addr, e);
		if (rc)
			return rc;
	}
	rc = cr_late_call(r, SYS_setgroups, CR_ARGS(c->ngroups, addr),
			  "cannot set supplementary groups", e);
	if (!rc)
		rc = cr_late_call(r, SYS_setresgid,
				  CR_ARGS(c->gid, c->egid, c->sgid),
				  "cannot set gids", e);
	if (!rc && c->fsgid != c->egid)
		rc = cr_late_fsid(r, SYS_setfsgid, c->fsgid, "fsgid", e);
	if (!rc)
		rc = cr_late_call(r, SYS_setresuid,
				  CR_ARGS(c->uid, c->euid, c->suid),
				  "cannot set uids", e);
	if (!rc && c->fsuid != c->euid)
		rc = cr_late_fsid(r, SYS_setfsuid, c->fsuid, "fsuid", e);
	return rc;
}

/*
 * The image's limits, set by the tracer (prlimit() of another process of
 * the same uid) now that nothing of the restore can run into them: the
 * descriptors are open above a lowered RLIMIT_NOFILE, the mappings exist
 * under a lowered RLIMIT_AS or RLIMIT_DATA, the pending signals are
 * queued under RLIMIT_SIGPENDING.  Before the credentials: afterwards the
 * process is no longer the tracer's uid.
 */
static int cr_late_rlimits(struct cr_rst *r, struct cr_err *e)
{
	const struct crfs_rlimits *rl = &r->t->rlim;
	char cur[24], max[24];
	int i;

	for (i = 0; i < CRFS_NR_RLIMITS; i++) {
		struct rlimit lim = {
			.rlim_cur = rl->rlim[i].cur,
			.rlim_max = rl->rlim[i].max,
		};

		if (!prlimit(r->pid, i, &lim, NULL))
			continue;
		return cr_fail(e, errno, "pid %d: cannot set %s to %s/%s: %m%s",
			       r->pid, cr_rlimit_names[i],
			       cr_rlim_str(cur, sizeof(cur), lim.rlim_cur),
			       cr_rlim_str(max, sizeof(max), lim.rlim_max),
			       errno == EPERM ? " (raising a hard limit needs CAP_SYS_RESOURCE)" : "");
	}
	return 0;
}

int cr_rst_task_late(struct cr_rst *r, struct cr_err *e)
{
	const struct cr_task_img *t = r->t;
	int rc;

	/*
	 * After the memory: with READ_IMPLIES_EXEC every readable mapping
	 * made before would have been made executable too.
	 */
	rc = cr_late_call(r, SYS_personality, CR_ARGS(t->task.personality),
			  "cannot set the personality", e);
	if (rc)
		return rc;
	/* The restorer's libc area was unregistered before the swap. */
	if (t->task.rseq_addr) {
		rc = cr_late_call(r, SYS_rseq,
				  CR_ARGS(t->task.rseq_addr, t->task.rseq_len, 0,
					  t->task.rseq_sig),
				  "cannot register the rseq area", e);
		if (rc)
			return rc;
	}
	rc = cr_late_altstack(r, e);
	if (!rc)
		rc = cr_late_pending(r, e);
	if (!rc)
		rc = cr_late_rlimits(r, e);
	if (!rc)
		rc = cr_late_creds(r, e);
	/* A change of credentials resets it. */
	if (!rc && t->task.dumpable <= 1)
		rc = cr_late_call(r, SYS_prctl,
				  CR_ARGS(PR_SET_DUMPABLE, t->task.dumpable),
				  "cannot set dumpable", e);
	return rc;
}
