// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What a restored process does for itself.  Before its memory is swapped
 * it runs C code in a copy of the restorer (raw system calls only, the
 * restorer may be multithreaded): session, descriptors, cwd, umask,
 * limits, signal actions, name, personality.  After the swap the rest is
 * injected: chroot, rseq, sigaltstack, pending signals and, last, the
 * credentials.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "restore.h"

/* Where the child stopped, for the reason of a failure. */
enum cr_rst_step {
	CR_RST_DONE,
	CR_RST_SOCK,
	CR_RST_RLIMIT,
	CR_RST_FD_OPEN,
	CR_RST_FD_MOVE,
	CR_RST_FD_SEEK,
	CR_RST_FD_STAT,
	CR_RST_FD_IDENT,
	CR_RST_CWD,
	CR_RST_SIGACT,
	CR_RST_NAME,
	CR_RST_PERSONALITY,
	CR_RST_SIGMASK,
};

static const char *const cr_rlimit_names[CRFS_NR_RLIMITS] = {
	"RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK",
	"RLIMIT_CORE", "RLIMIT_RSS", "RLIMIT_NPROC", "RLIMIT_NOFILE",
	"RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS", "RLIMIT_SIGPENDING",
	"RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
};

/* File status flags a descriptor is reopened with. */
#define CR_FD_OPEN_FLAGS	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_SYNC | \
				 O_DSYNC | O_DIRECT | O_NOATIME | O_LARGEFILE)

int cr_rst_task_check(const struct cr_task_img *t, struct cr_rst_child *c,
		      struct cr_err *e)
{
	uint32_t i;
	int n;

	for (i = 0; i < t->task.nr_fds; i++) {
		const struct cr_fd_img *fi = &t->fds[i];
		struct stat st;

		if (fi->f.kind != CRFS_FD_REG && fi->f.kind != CRFS_FD_CHR)
			return cr_fail(e, EOPNOTSUPP,
				       "pid %u: fd %u: unsupported kind %u",
				       t->task.pid, fi->f.fd, fi->f.kind);
		if (stat(fi->path, &st))
			return cr_fail(e, errno, "pid %u: fd %u: %s: %m",
				       t->task.pid, fi->f.fd, fi->path);
		if (st.st_dev != fi->f.dev || st.st_ino != fi->f.ino)
			return cr_rst_task_reason(t->task.pid, t,
				&(struct cr_rst_res){ .step = CR_RST_FD_IDENT,
						      .idx = i,
						      .v1 = st.st_dev,
						      .v2 = st.st_ino }, e);
	}
	/* The socket goes to the lowest number the image does not use. */
	for (i = 0, n = 0; i < t->task.nr_fds; i++)
		if ((int)t->fds[i].f.fd == n)
			n++;
	c->t = t;
	c->sock_fd = n;
	return 0;
}

/* Tell the tracer how far we got and give up. */
static void __attribute__((noreturn))
cr_child_fail(int sock, int step, int err, int idx, uint64_t v1, uint64_t v2)
{
	struct cr_rst_res res = {
		.step = step, .err = err, .idx = idx, .v1 = v1, .v2 = v2,
	};

	syscall(SYS_write, sock, &res, sizeof(res));
	syscall(SYS_exit_group, 1);
	__builtin_unreachable();
}

/* Open one descriptor of the image at its number, as it was. */
static int cr_child_fd(const struct cr_fd_img *fi, int *step, uint64_t *v)
{
	int flags = (fi->f.flags & CR_FD_OPEN_FLAGS) | O_NOCTTY;
	int cloexec = fi->f.cloexec ? O_CLOEXEC : 0;
	int fd = fi->f.fd;
	struct stat st;
	long tmp;

	*step = CR_RST_FD_OPEN;
	tmp = syscall(SYS_openat, AT_FDCWD, fi->path, flags | cloexec);
	if (tmp < 0)
		return errno;
	if (tmp != fd) {
		*step = CR_RST_FD_MOVE;
		if (syscall(SYS_dup3, tmp, fd, cloexec) < 0)
			return errno;
		syscall(SYS_close, tmp);
	}
	*step = CR_RST_FD_SEEK;
	if (syscall(SYS_lseek, fd, fi->f.pos, SEEK_SET) != (long)fi->f.pos &&
	    fi->f.kind == CRFS_FD_REG)
		return errno ? errno : EIO;
	*step = CR_RST_FD_STAT;
	if (syscall(SYS_fstat, fd, &st))
		return errno;
	if (st.st_dev != fi->f.dev || st.st_ino != fi->f.ino) {
		*step = CR_RST_FD_IDENT;
		v[0] = st.st_dev;
		v[1] = st.st_ino;
		return ESTALE;
	}
	return 0;
}

/* Set one limit; 0 or a positive errno. */
static int cr_child_rlimit(int res, uint64_t cur, uint64_t max)
{
	uint64_t lim[2] = { cur, max };

	if (syscall(SYS_prlimit64, 0, res, lim, NULL))
		return errno;
	return 0;
}

void cr_rst_task_child(const struct cr_rst_child *c)
{
	const struct cr_task_img *t = c->t;
	int sock = c->sock, step, err, i;
	uint64_t all = ~0ULL, v[2] = { 0, 0 };
	char name[CRFS_COMM_LEN], go;

	if (sock != c->sock_fd) {
		if (syscall(SYS_dup3, sock, c->sock_fd, O_CLOEXEC) < 0)
			syscall(SYS_exit_group, 1);
		sock = c->sock_fd;
	}
	if (sock > 0)
		syscall(SYS_close_range, 0, sock - 1, 0);
	syscall(SYS_close_range, sock + 1, ~0U, 0);
	/* Wait until the tracer holds us. */
	if (syscall(SYS_read, sock, &go, 1) != 1)
		syscall(SYS_exit_group, 1);
	/*
	 * A session of its own, as after setsid(): not the restorer's, whose
	 * terminal and process group signals must not reach it.  The pid is
	 * the image's, so a process that led its session leads it again.
	 * Failing (a group with our pid still lives) leaves the restorer's.
	 */
	syscall(SYS_setsid);

	/* NOFILE last: it must let the descriptors below be opened. */
	for (i = 0; i < CRFS_NR_RLIMITS; i++) {
		if (i == RLIMIT_NOFILE)
			continue;
		err = cr_child_rlimit(i, t->rlim.rlim[i].cur,
				      t->rlim.rlim[i].max);
		if (err)
			cr_child_fail(sock, CR_RST_RLIMIT, err, i, 0, 0);
	}
	err = cr_child_rlimit(RLIMIT_NOFILE, t->rlim.rlim[RLIMIT_NOFILE].max,
			      t->rlim.rlim[RLIMIT_NOFILE].max);
	if (err)
		cr_child_fail(sock, CR_RST_RLIMIT, err, RLIMIT_NOFILE, 0, 0);
	for (i = 0; i < (int)t->task.nr_fds; i++) {
		err = cr_child_fd(&t->fds[i], &step, v);
		if (err)
			cr_child_fail(sock, step, err, i, v[0], v[1]);
	}
	err = cr_child_rlimit(RLIMIT_NOFILE, t->rlim.rlim[RLIMIT_NOFILE].cur,
			      t->rlim.rlim[RLIMIT_NOFILE].max);
	if (err)
		cr_child_fail(sock, CR_RST_RLIMIT, err, RLIMIT_NOFILE, 0, 0);

	/* The root is changed later: the tracer still opens image paths. */
	if (syscall(SYS_chdir, t->cwd))
		cr_child_fail(sock, CR_RST_CWD, errno, 0, 0, 0);
	syscall(SYS_umask, t->task.umask);
	for (i = 1; i <= CRFS_NSIG; i++) {
		if (i == SIGKILL || i == SIGSTOP)
			continue;
		if (syscall(SYS_rt_sigaction, i, &t->sigacts.act[i - 1], NULL,
			    sizeof(uint64_t)))
			cr_child_fail(sock, CR_RST_SIGACT, errno, i, 0, 0);
	}
	memcpy(name, t->task.comm, sizeof(name));
	name[sizeof(name) - 1] = '\0';
	if (syscall(SYS_prctl, PR_SET_NAME, name, 0, 0, 0))
		cr_child_fail(sock, CR_RST_NAME, errno, 0, 0, 0);
	if (syscall(SYS_personality, t->task.personality) == -1)
		cr_child_fail(sock, CR_RST_PERSONALITY, errno, 0, 0, 0);
	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL,
		    sizeof(all)))
		cr_child_fail(sock, CR_RST_SIGMASK, errno, 0, 0, 0);

	step = CR_RST_DONE;
	syscall(SYS_write, sock, &(struct cr_rst_res){ .step = step },
		sizeof(struct cr_rst_res));
	syscall(SYS_close, sock);
	/* The tracer takes over in this stop and never lets us go on here. */
	syscall(SYS_tkill, syscall(SYS_gettid), SIGSTOP);
	syscall(SYS_exit_group, 1);
	__builtin_unreachable();
}

/* A limit in words: a number or "unlimited". */
static void cr_rlim_str(char *buf, size_t len, uint64_t v)
{
	if (v == ~0ULL)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

int cr_rst_task_reason(pid_t pid, const struct cr_task_img *t,
		       const struct cr_rst_res *res, struct cr_err *e)
{
	const struct cr_fd_img *fi = NULL;
	int err = res->err > 0 ? res->err : EIO;
	const char *s = strerror(err);
	char cur[24], max[24];

	if (res->step >= CR_RST_FD_OPEN && res->step <= CR_RST_FD_IDENT) {
		if (res->idx < 0 || (uint32_t)res->idx >= t->task.nr_fds)
			return cr_fail(e, EIO, "pid %d: bad report", pid);
		fi = &t->fds[res->idx];
	}
	switch (res->step) {
	case CR_RST_DONE:
		return 0;
	case CR_RST_RLIMIT:
		if (res->idx < 0 || res->idx >= CRFS_NR_RLIMITS)
			break;
		cr_rlim_str(cur, sizeof(cur), t->rlim.rlim[res->idx].cur);
		cr_rlim_str(max, sizeof(max), t->rlim.rlim[res->idx].max);
		return cr_fail(e, err, "pid %d: cannot set %s to %s/%s: %s%s",
			       pid, cr_rlimit_names[res->idx], cur, max, s,
			       err == EPERM ? " (raising a hard limit needs CAP_SYS_RESOURCE)" : "");
	case CR_RST_FD_OPEN:
	case CR_RST_FD_MOVE:
	case CR_RST_FD_SEEK:
	case CR_RST_FD_STAT:
		return cr_fail(e, err, "pid %d: fd %u: %s: %s%s", pid,
			       fi->f.fd, fi->path,
			       res->step == CR_RST_FD_SEEK ? "cannot seek: " :
			       res->step == CR_RST_FD_MOVE ? "cannot move: " : "",
			       s);
	case CR_RST_FD_IDENT:
		return cr_fail(e, ESTALE,
			       "pid %d: fd %u: %s is another file now (%s %llu, the image has %llu)",
			       pid, fi->f.fd, fi->path,
			       res->v1 != fi->f.dev ? "dev" : "ino",
			       (unsigned long long)(res->v1 != fi->f.dev ?
						    res->v1 : res->v2),
			       (unsigned long long)(res->v1 != fi->f.dev ?
						    fi->f.dev : fi->f.ino));
	case CR_RST_CWD:
		return cr_fail(e, err, "pid %d: cwd %s: %s", pid, t->cwd, s);
	case CR_RST_SIGACT:
		return cr_fail(e, err, "pid %d: signal %d: cannot set action: %s",
			       pid, res->idx, s);
	case CR_RST_NAME:
		return cr_fail(e, err, "pid %d: cannot set name: %s", pid, s);
	case CR_RST_PERSONALITY:
		return cr_fail(e, err, "pid %d: cannot set personality %#x: %s",
			       pid, t->task.personality, s);
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
		rc = cr_late_call(r, SYS_setfsgid, CR_ARGS(c->fsgid),
				  "cannot set fsgid", e);
	if (!rc)
		rc = cr_late_call(r, SYS_setresuid,
				  CR_ARGS(c->uid, c->euid, c->suid),
				  "cannot set uids", e);
	if (!rc && c->fsuid != c->euid)
		rc = cr_late_call(r, SYS_setfsuid, CR_ARGS(c->fsuid),
				  "cannot set fsuid", e);
	return rc;
}

int cr_rst_task_late(struct cr_rst *r, struct cr_err *e)
{
	const struct cr_task_img *t = r->t;
	unsigned long addr;
	char what[64];
	int rc;

	if (strcmp(t->root, "/")) {
		rc = cr_rst_poke(r, 0, t->root, strlen(t->root) + 1, &addr, e);
		if (rc)
			return rc;
		snprintf(what, sizeof(what), "root %.40s", t->root);
		rc = cr_late_call(r, SYS_chroot, CR_ARGS(addr), what, e);
		if (rc)
			return rc;
	}
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
		rc = cr_late_creds(r, e);
	/* A change of credentials resets it. */
	if (!rc && t->task.dumpable <= 1)
		rc = cr_late_call(r, SYS_prctl,
				  CR_ARGS(PR_SET_DUMPABLE, t->task.dumpable),
				  "cannot set dumpable", e);
	return rc;
}
