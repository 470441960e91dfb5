// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "access": for every file a process has by path (its
 * descriptors, mapped files, executable, cwd and root), could it open it
 * with its own credentials?  A restore opens a file the process could
 * open itself only with the process's credentials, so that a permission
 * revoked since the checkpoint is refused, never bypassed; only a file it
 * had through privilege (opened as root before it dropped it) is opened
 * as the restorer (CRFS_FILE_F_PRIV, restore-files.c).
 *
 * The question is asked of the kernel, not of the mode bits: a short-lived
 * child of the dumper takes the process's fs ids, groups and effective
 * capabilities (one child for all the processes that have the same) and
 * opens each path as the restore will (same flags, no
 * symbolic link followed, cwd and root entered with fchdir(): an O_PATH
 * open proves nothing), and checks it opened the file the image names.
 * It answers with one byte per file.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "cr-ring.h"
#include "dump.h"

/* File status flags a description is reopened with (restore-files.c). */
#define ACC_OPEN_FLAGS	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_SYNC | \
			 O_DSYNC | O_DIRECT | O_NOATIME | O_LARGEFILE)

/* How long the child may take to answer. */
#define ACC_TIMEOUT_MS	10000
#define ACC_SLICE_MS	20	/* between looks at a call-off */

/* What the child says of one file. */
enum acc_answer {
	ACC_SELF,		/* opened with the process's credentials */
	ACC_DENIED,		/* EACCES or EPERM: it had it by privilege */
	ACC_OTHER,		/* another failure: the restore will say */
};

/* The files to try: each FILE once, sorted by pointer. */
struct acc_list {
	struct cr_file	**f;
	uint32_t	nr;
};

/* Add @f (a FILE reopened by path) to @l; the array has room. */
static void acc_add(struct acc_list *l, struct cr_file *f)
{
	if (f && (f->f.kind == CRFS_FILE_REG || f->f.kind == CRFS_FILE_DIR ||
		  f->f.kind == CRFS_FILE_CHR))
		l->f[l->nr++] = f;
}

static int acc_ptr_cmp(const void *pa, const void *pb)
{
	const struct cr_file *a = *(struct cr_file *const *)pa;
	const struct cr_file *b = *(struct cr_file *const *)pb;

	return (a > b) - (a < b);
}

/* How many FILEs of @t acc_collect() may add. */
static size_t acc_room(const struct cr_task *t)
{
	return (size_t)(t->fdt ? t->fdt->nr_fds : 0) +
	       (t->mm ? t->mm->nr_vmas : 0) + 3;
}

/* Every FILE of @t reopened by path added to @l (which has room). */
static void acc_collect(const struct cr_task *t, struct acc_list *l)
{
	uint32_t nfd = t->fdt ? t->fdt->nr_fds : 0;
	uint32_t nvma = t->mm ? t->mm->nr_vmas : 0, i;

	for (i = 0; i < nfd; i++)
		acc_add(l, t->fdt->fds[i].file);
	for (i = 0; i < nvma; i++)
		if (t->mm->vmas[i].v.kind == CRFS_VMA_FILE)
			acc_add(l, t->mm->vmas[i].file);
	if (t->mm)
		acc_add(l, t->mm->exe);
	if (t->fs) {
		acc_add(l, t->fs->cwd);
		acc_add(l, t->fs->root);
	}
}

/* @l sorted, each FILE once. */
static void acc_unique(struct acc_list *l)
{
	uint32_t i, j;

	qsort(l->f, l->nr, sizeof(*l->f), acc_ptr_cmp);
	for (i = j = 0; i < l->nr; i++)
		if (!j || l->f[i] != l->f[j - 1])
			l->f[j++] = l->f[i];
	l->nr = j;
}

/* The credentials the child takes (acc_take_creds()) in one order. */
static int acc_creds_cmp(const void *pa, const void *pb, void *arg)
{
	const struct cr_dtask *tasks = arg;
	const struct cr_task *a = tasks[*(const uint32_t *)pa].t;
	const struct cr_task *b = tasks[*(const uint32_t *)pb].t;
	const struct crfs_creds *x = &a->creds, *y = &b->creds;

	if (x->fsuid != y->fsuid)
		return x->fsuid < y->fsuid ? -1 : 1;
	if (x->fsgid != y->fsgid)
		return x->fsgid < y->fsgid ? -1 : 1;
	if (x->cap_eff != y->cap_eff)
		return x->cap_eff < y->cap_eff ? -1 : 1;
	if (x->ngroups != y->ngroups)
		return x->ngroups < y->ngroups ? -1 : 1;
	return x->ngroups ? memcmp(a->groups, b->groups,
				   x->ngroups * sizeof(*a->groups)) : 0;
}

/* In the child: take @t's fs ids, groups and effective capabilities. */
static int acc_take_creds(const struct cr_task *t)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct cap[2];

	if (syscall(SYS_capget, &hdr, cap) ||
	    syscall(SYS_setgroups, t->creds.ngroups, t->groups))
		return -1;
	syscall(SYS_setfsgid, t->creds.fsgid);
	syscall(SYS_setfsuid, t->creds.fsuid);
	/* They say nothing when they fail: ask again with an invalid id. */
	if ((uint32_t)syscall(SYS_setfsgid, -1) != t->creds.fsgid ||
	    (uint32_t)syscall(SYS_setfsuid, -1) != t->creds.fsuid)
		return -1;
	cap[0].effective = (uint32_t)t->creds.cap_eff & cap[0].permitted;
	cap[1].effective = (uint32_t)(t->creds.cap_eff >> 32) &
			   cap[1].permitted;
	return syscall(SYS_capset, &hdr, cap) ? -1 : 0;
}

/* In the child: can the process open @f as the restore would? */
static uint8_t acc_try(const struct cr_file *f)
{
	struct open_how how = {
		.flags = (f->f.flags & ACC_OPEN_FLAGS) | O_NOCTTY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	uint8_t ans = ACC_SELF;
	struct stat st;
	long fd;

	if (f->f.kind == CRFS_FILE_DIR)
		how.flags |= O_DIRECTORY | (f->f.flags & O_PATH);
	if (how.flags & O_PATH)
		how.flags &= O_PATH | O_DIRECTORY | O_CLOEXEC;
	fd = syscall(SYS_openat2, AT_FDCWD, f->path, &how, sizeof(how));
	if (fd < 0)
		return errno == EACCES || errno == EPERM ? ACC_DENIED :
		       ACC_OTHER;
	/* A cwd or root is entered: that needs more than O_PATH. */
	if ((how.flags & O_PATH) && syscall(SYS_fchdir, fd))
		ans = errno == EACCES || errno == EPERM ? ACC_DENIED :
		      ACC_OTHER;
	/* Another file at the path now: the restore will refuse it. */
	if (ans == ACC_SELF && (syscall(SYS_fstat, fd, &st) ||
				(uint64_t)st.st_dev != f->f.dev ||
				(uint64_t)st.st_ino != f->f.ino))
		ans = ACC_OTHER;
	syscall(SYS_close, fd);
	return ans;
}

/* The child: its pid, then one answer per file of @l on @wfd; exit. */
static void __attribute__((noreturn))
acc_child(const struct cr_task *t, const struct acc_list *l, int wfd)
{
	pid_t self = getpid();
	uint8_t buf[256];
	uint32_t i, n = 0;

	if (write(wfd, &self, sizeof(self)) != sizeof(self) ||
	    acc_take_creds(t))
		_exit(2);
	for (i = 0; i < l->nr; i++) {
		buf[n++] = acc_try(l->f[i]);
		if (n == sizeof(buf) || i + 1 == l->nr) {
			if (write(wfd, buf, n) != (ssize_t)n)
				_exit(3);
			n = 0;
		}
	}
	_exit(0);
}

/*
 * Start the child on @l, as an orphan that init reaps: one stuck in an
 * open that a FUSE server never answers cannot be waited for (a killed
 * process waits for the answer to a request the server has read), and
 * the checkpoint must not wait for it.  Its reading end into *@rfd.
 */
static int acc_start(const struct cr_dtask *dt, const struct acc_list *l,
		     int *rfd, struct cr_err *e)
{
	int p[2], status = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return cr_fail(e, errno, "pid %d: cannot tell which files it "
			       "could open itself: pipe: %m", dt->pid);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		pid = fork();
		if (pid == 0)
			acc_child(dt->t, l, p[1]);
		_exit(pid < 0);
	}
	close(p[1]);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		close(p[0]);
		return cr_fail(e, pid < 0 ? errno : EAGAIN, "pid %d: cannot "
			       "tell which files it could open itself: fork "
			       "failed", dt->pid);
	}
	*rfd = p[0];
	return 0;
}

/*
 * Wait up to ACC_TIMEOUT_MS for @rfd to be readable, in slices, looking
 * at @d's ring between them.  Return: 0, or -ETIMEDOUT or -ECANCELED
 * (the transfer was called off) with @e set.
 */
static int acc_wait(const struct cr_dump *d, const struct cr_dtask *dt,
		    int rfd, struct cr_err *e)
{
	for (int waited = 0; waited < ACC_TIMEOUT_MS; waited += ACC_SLICE_MS) {
		struct pollfd pfd = { .fd = rfd, .events = POLLIN };

		if (d->ring && cr_ring_aborted(d->ring))
			return cr_fail(e, ECANCELED, "pid %d: called off while "
				       "finding which files it could open "
				       "itself", dt->pid);
		if (poll(&pfd, 1, ACC_SLICE_MS) != 0)
			return 0;
	}
	return cr_fail(e, ETIMEDOUT, "pid %d: cannot tell which files it "
		       "could open itself: an open took more than %d ms",
		       dt->pid, ACC_TIMEOUT_MS);
}

/* Run the child on @l; its answers into @ans. */
static int acc_ask(const struct cr_dump *d, const struct cr_dtask *dt,
		   const struct acc_list *l, uint8_t *ans, struct cr_err *e)
{
	uint32_t got = 0, hgot = 0;
	pid_t helper = 0;
	int rfd = -1, ret;
	ssize_t n;

	ret = acc_start(dt, l, &rfd, e);
	if (ret)
		return ret;
	/* An open may hang (a FUSE file served by a frozen process). */
	while (got < l->nr) {
		ret = acc_wait(d, dt, rfd, e);
		if (ret) {
			if (hgot == sizeof(helper))
				kill(helper, SIGKILL);
			break;
		}
		if (hgot < sizeof(helper))
			n = read(rfd, (char *)&helper + hgot,
				 sizeof(helper) - hgot);
		else
			n = read(rfd, ans + got, l->nr - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (hgot < sizeof(helper))
			hgot += n;
		else
			got += n;
	}
	close(rfd);
	if (!ret && got != l->nr)
		ret = cr_fail(e, EPERM, "pid %d: cannot tell which files it "
			      "could open itself: the helper taking its "
			      "credentials (fsuid %u, fsgid %u) failed "
			      "(%u answers of %u)", dt->pid,
			      dt->t->creds.fsuid, dt->t->creds.fsgid, got,
			      l->nr);
	return ret;
}

/* By credentials, then in the image's order: a group's first comes first. */
static int acc_order_cmp(const void *pa, const void *pb, void *arg)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	int c = acc_creds_cmp(pa, pb, arg);

	return c ? c : (a > b) - (a < b);
}

/* Ask for the @n tasks @ix of @d, which have the same credentials. */
static int acc_group(struct cr_dump *d, const uint32_t *ix, uint32_t n,
		     struct cr_err *e)
{
	const struct cr_dtask *dt = &d->tasks[ix[0]];
	struct acc_list l = { 0 };
	uint8_t *ans = NULL;
	size_t room = 0;
	int ret = 0;

	for (uint32_t i = 0; i < n; i++)
		room += acc_room(d->tasks[ix[i]].t);
	l.f = calloc(room, sizeof(*l.f));
	if (!l.f)
		return cr_fail(e, ENOMEM, "out of memory");
	for (uint32_t i = 0; i < n; i++)
		acc_collect(d->tasks[ix[i]].t, &l);
	acc_unique(&l);
	if (!l.nr)
		goto out;
	ans = calloc(l.nr, 1);
	if (!ans) {
		ret = cr_fail(e, ENOMEM, "out of memory");
		goto out;
	}
	ret = acc_ask(d, dt, &l, ans, e);
	for (uint32_t i = 0; !ret && i < l.nr; i++)
		if (ans[i] == ACC_DENIED)
			l.f[i]->f.cflags |= CRFS_FILE_F_PRIV;
out:
	free(ans);
	free(l.f);
	return ret;
}

/*
 * Phase 2, for the whole container at the check of its first process:
 * mark the files each process had only through privilege.  Processes
 * with the same fs ids, groups and effective capabilities get the same
 * answers: one child asks for all of them (a fork of the dumper costs
 * more than the opens), the first of them named if it fails.
 */
static int access_check(struct cr_dump *d, struct cr_dtask *dt,
			struct cr_err *e)
{
	uint32_t *ix, n = 0;
	int ret = 0;

	if (dt != &d->tasks[0])
		return 0;
	ix = calloc(d->nr_tasks + 1, sizeof(*ix));
	if (!ix)
		return cr_fail(e, ENOMEM, "out of memory");
	for (uint32_t i = 0; i < d->nr_tasks; i++)
		if (!d->tasks[i].zombie)
			ix[n++] = i;
	qsort_r(ix, n, sizeof(*ix), acc_order_cmp, d->tasks);
	for (uint32_t i = 0, j; !ret && i < n; i = j) {
		for (j = i + 1; j < n && !acc_creds_cmp(&ix[i], &ix[j],
							d->tasks); j++)
			;
		ret = acc_group(d, &ix[i], j - i, e);
	}
	free(ix);
	return ret;
}

const struct cr_res_ops cr_res_access = {
	.name		= "access",
	.check		= access_check,
};
