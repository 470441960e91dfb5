// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What a restored process does for itself, before its memory is swapped:
 * it runs C code in a copy of the restorer (raw system calls only, the
 * restorer may be multithreaded): its session and process group, its
 * children (restore-tree.c), then the child hook of every row of the resource table (res.h): its name, umask,
 * files (restore-files.c: descriptions, mapped files,
 * executable, root and cwd), signal actions; then it blocks every signal,
 * reports and stops.  And the words of what it reports, and the injected
 * calls of the late phase.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/sched.h>
#include <sys/syscall.h>

#include "restore.h"

/* Tell the tracer how far we got and give up. */
static void __attribute__((noreturn))
cr_child_fail(int sock, struct cr_rst_res *res, int err)
{
	res->err = err;
	syscall(SYS_write, sock, res, sizeof(*res));
	syscall(SYS_exit_group, 1);
	__builtin_unreachable();
}

/*
 * The root not cloned into the container's cgroup (cr_spawn()) moves
 * itself in, before its children, made next, would inherit another.
 * Return: 0 or a positive errno, @res says where.
 */
static int cr_rst_task_cgroup(const struct cr_rst_child *c,
			      struct cr_rst_res *res)
{
	if (!c->cg_move)
		return 0;
	if (syscall(SYS_write, c->cg_procs, "0", 1) == 1)
		return 0;
	res->step = CR_RST_CGROUP;
	return errno ? errno : EIO;
}

void cr_rst_task_child(const struct cr_rst_child *c)
{
	struct cr_rst_res res = { 0 }, early = { 0 };
	int sock = c->sock, err, i, close_err = 0, early_err;
	uint32_t nr_makers = cr_rst_tree_makers(c, NULL);
	uint64_t all = ~0ULL;
	char go;
	/*
	 * The stacks of its threads that make children (restore-tree.c):
	 * here, where nothing else goes while it restores its own state,
	 * and inside the stack the restorer's thread had (which a child
	 * such a thread makes grows on, below).
	 */
	char stacks[nr_makers ? nr_makers * CR_MAKER_STACK : 1];

	cr_rst_tree_makers(c, stacks);

	/*
	 * Its session and group, then its children, which inherit them: all
	 * before a descriptor moves, while every socket is where the
	 * restorer made it.  A failure is told once the tracer listens.
	 */
	early_err = cr_rst_task_cgroup(c, &early);
	if (!early_err)
		early_err = cr_rst_tree_ids(c, &early);
	if (!early_err)
		early_err = cr_rst_tree_kids(c, &early, false);
	if (c->share & CLONE_FILES) {
		/* Its parent's table: the first of it placed our socket. */
		sock = c->sock_fd;
	} else if (c->nr_group) {
		close_err = cr_rst_tree_socks(c);
		sock = c->sock_fd;
	} else {
		if (sock != c->sock_fd) {
			if (syscall(SYS_dup3, sock, c->sock_fd, O_CLOEXEC) < 0)
				syscall(SYS_exit_group, 1);
			sock = c->sock_fd;
		}
		/* None of the restorer's descriptors may stay: said below. */
		if (sock > 0 && syscall(SYS_close_range, 0, sock - 1, 0))
			close_err = errno;
		if (!close_err && syscall(SYS_close_range, sock + 1, ~0U, 0))
			close_err = errno;
	}
	/* Those sharing its table, once it holds only their sockets. */
	if (!early_err && !close_err)
		early_err = cr_rst_tree_kids(c, &early, true);
	cr_rst_tree_hello(sock);
	/* Wait until the tracer holds us. */
	if (syscall(SYS_read, sock, &go, 1) != 1)
		syscall(SYS_exit_group, 1);
	res.step = CR_RST_CLOSE;
	if (close_err)
		cr_child_fail(sock, &res, close_err);
	if (early_err)
		cr_child_fail(sock, &early, early_err);
	if (c->task->t.state == CRFS_TASK_ZOMBIE)
		cr_rst_zombie_child(c, sock, &res);

	/* The limits come last, from the tracer: nothing here is bound by them. */
	for (i = 0; i < CR_RES_NR; i++) {
		if (!cr_res_table[i]->child)
			continue;
		err = cr_res_table[i]->child(c, &res);
		if (err)
			cr_child_fail(sock, &res, err);
	}
	res.idx = 0;
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
	const struct cr_rst_files *fs = &r->files;
	const struct cr_fs *dirs = r->task->fs;
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
	case CR_RST_CTTY:
		return cr_fail(e, err, "pid %d: cannot make /dev/pts/%d its session's controlling terminal (TIOCSCTTY): %s",
			       pid, res->idx, s);
	case CR_RST_CGROUP:
		return cr_fail(e, err, "pid %d: cannot move itself into the container's cgroup (cgroup.procs), before it makes its children: %s",
			       pid, s);
	case CR_RST_SETPGID:
		return cr_fail(e, err, "pid %d: cannot make its own process group: %s",
			       pid, s);
	case CR_RST_MAKER:
		return cr_fail(e, err, "pid %d: cannot create its thread %d, the parent of children of the image: %s",
			       pid, res->idx, s);
	case CR_RST_CHILD:
		return cr_fail(e, err, "pid %d: cannot create its child %d%s: %s",
			       pid, res->idx, err == EEXIST ?
			       " (the pid was taken meanwhile)" : "", s);
	case CR_RST_PASS:
		return cr_fail(e, err, "pid %d: cannot receive the descriptions it shares with other processes: %s",
			       pid, s);
	case CR_RST_ZOMBIE:
		return cr_fail(e, err, "pid %d: a zombie of the image: cannot %s: %s",
			       pid, res->idx ? "join its process group" :
			       "take its credentials", s);
	case CR_RST_NOFILE:
		return cr_fail(e, err, "pid %d: cannot raise RLIMIT_NOFILE to open descriptors up to %u: %s",
			       pid, fs->nofile - 1, s);
	case CR_RST_GROUPS:
		return cr_fail(e, err, "pid %d: cannot take the image's groups to open its files: %s",
			       pid, s);
	case CR_RST_FILE_OPEN:
	case CR_RST_FILE_STAT:
	case CR_RST_FILE_IDENT:
	case CR_RST_FILE_FLAGS:
	case CR_RST_FILE_MOVE:
	case CR_RST_FILE_SEEK:
	case CR_RST_FILE_DUP:
		return cr_rst_files_reason(pid, fs, r->mm, res, e);
	case CR_RST_ROOT:
		return cr_fail(e, err, "pid %d: root %s: cannot change to it: %s",
			       pid, dirs->root->path, s);
	case CR_RST_CWD:
		return cr_fail(e, err, "pid %d: cwd %s: cannot change to it: %s",
			       pid, dirs->cwd->path, s);
	case CR_RST_UMASK:
		return cr_fail(e, err, "pid %d: cannot set umask: %s", pid, s);
	case CR_RST_SIGACT:
		return cr_fail(e, err, "pid %d: signal %d: cannot set action: %s",
			       pid, res->idx, s);
	case CR_RST_NAME:
		return cr_fail(e, err, "pid %d: cannot set name: %s", pid, s);
	case CR_RST_SIGMASK:
		return cr_fail(e, err, "pid %d: cannot block signals: %s",
			       pid, s);
	case CR_RST_FUTEX_HASH:
		return cr_fail(e, err, "pid %d: cannot make a thread for the kernel to make its private futex hash: %s",
			       pid, s);
	case CR_RST_THP:
		return cr_fail(e, err, "pid %d: cannot set PR_SET_THP_DISABLE as the image says: %s",
			       pid, s);
	}
	return cr_fail(e, EIO, "pid %d: bad report (step %d)", pid, res->step);
}

int cr_rst_call(struct cr_rst *r, long nr, const unsigned long a[6],
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
