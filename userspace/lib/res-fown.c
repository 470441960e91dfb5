// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "fown": who gets the signal of each open file description
 * (F_SETOWN, F_SETOWN_EX) and which signal (F_SETSIG).  /proc shows
 * neither: the dump asks the process, two injected fcntl() calls per
 * description, in batches of their own after the task's (which has no
 * room for a thousand descriptors).  An owner
 * is kept if it is the process itself (its pid, its thread, or the
 * process group it leads, which the restore makes it lead again) or
 * another process of the container holding the description, which sets
 * it again; any other is refused.  The kernel keeps the uid and euid of
 * the caller of F_SETOWN with the owner (F_GETOWNER_UIDS: what decides
 * whether the signal may be sent); the restore sets it with the owner's,
 * so an owner whose uid or euid are not those is refused.  With O_ASYNC
 * and F_SETSIG the signal's si_fd is the number of the descriptor that
 * armed O_ASYNC first: a description held at several numbers is refused
 * then (the restore cannot tell which).
 *
 * dnotify (F_NOTIFY) leaves no trace in /proc either, but it makes the
 * process the owner of its directory: a directory with an owner is
 * refused, as a dnotify may be registered on it.
 *
 * The restore sets both by injected calls, after the credentials (the
 * kernel keeps the caller's uid with the owner), and O_ASYNC (which the
 * descriptions were opened without: open() does not arm it), and reads
 * them back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "dump.h"
#include "restore.h"

#ifndef F_GETOWNER_UIDS
#define F_GETOWNER_UIDS	17	/* CONFIG_CHECKPOINT_RESTORE */
#endif

/* F_OWNER_* of the kernel, and the image's, in the order of the enum. */
static const int fown_types[] = {
	[CRFS_OWNER_TID] = F_OWNER_TID,
	[CRFS_OWNER_PID] = F_OWNER_PID,
	[CRFS_OWNER_PGRP] = F_OWNER_PGRP,
};
static const char *const fown_names[] = {
	[CRFS_OWNER_TID] = "thread", [CRFS_OWNER_PID] = "process",
	[CRFS_OWNER_PGRP] = "process group",
};

/* The image's owner type of F_OWNER_* @type, 0 if none. */
static uint32_t fown_type(int type)
{
	for (uint32_t i = CRFS_OWNER_TID; i <= CRFS_OWNER_PGRP; i++)
		if (fown_types[i] == type)
			return i;
	return CRFS_OWNER_NONE;
}

/* Does @ot, a live task with a descriptor table of its own, hold @f? */
static bool fown_holds(const struct cr_dtask *ot, const struct cr_file *f)
{
	const struct cr_fdtable *fdt;

	if (ot->zombie)
		return false;
	fdt = ot->t->fdt;
	for (uint32_t i = 0; fdt && i < fdt->nr_fds; i++)
		if (fdt->fds[i].file == f)
			return true;
	return false;
}

/*
 * The owner @o, of type @type, of description @f: the process @dt, or
 * another process of @d holding @f in a descriptor table of its own
 * (the thread or group of either: the leader's, the group it leads);
 * NULL if neither.
 */
static const struct cr_dtask *fown_ours(const struct cr_dump *d, const struct cr_dtask *dt,
		      const struct cr_file *f, const struct f_owner_ex *o,
		      uint32_t type)
{
	/* The process names itself as its pid namespace sees it. */
	for (uint32_t i = 0; i < d->nr_tasks; i++) {
		const struct cr_dtask *ot = &d->tasks[i];

		if (ot->vpid != o->pid ||
		    (type == CRFS_OWNER_PGRP && ot->vpgid != ot->vpid))
			continue;
		return ot == dt || (ot->files_of < 0 && fown_holds(ot, f)) ?
		       ot : NULL;
	}
	return NULL;
}

/*
 * A descriptor of @f in a process of @d at a number other than @fd: its
 * process and number into @pid, @at; false if none.
 */
static bool fown_other_fd(const struct cr_dump *d, const struct cr_file *f,
			  int32_t fd, pid_t *pid, int32_t *at)
{
	for (uint32_t i = 0; i < d->nr_tasks; i++) {
		const struct cr_fdtable *fdt = d->tasks[i].t->fdt;

		for (uint32_t j = 0; fdt && !d->tasks[i].zombie &&
		     j < fdt->nr_fds; j++)
			if (fdt->fds[j].file == f &&
			    (int32_t)fdt->fds[j].d.fd != fd) {
				*pid = d->tasks[i].pid;
				*at = fdt->fds[j].d.fd;
				return true;
			}
	}
	return false;
}

/*
 * With O_ASYNC and a signal (F_SETSIG) @sig, the signal's si_fd is the
 * number of the first descriptor that armed O_ASYNC, which nothing
 * shows: refused when @fd's description is held at other numbers too.
 */
static int fown_refuse_sifd(const struct cr_dump *d, const struct cr_dtask *dt,
			    const struct cr_fd *fd, long sig, struct cr_err *e)
{
	pid_t pid;
	int32_t at;

	if (!sig || !(fd->file->f.flags & O_ASYNC) ||
	    !fown_other_fd(d, fd->file, fd->d.fd, &pid, &at))
		return 0;
	return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s: O_ASYNC with a "
		       "signal (F_SETSIG %ld) on a description held at other "
		       "numbers too (pid %d: fd %d): the signal's si_fd is "
		       "that of whichever armed O_ASYNC first, which cannot "
		       "be read: not supported", dt->pid, fd->d.fd,
		       fd->file->path, sig, pid, at);
}

/*
 * The kernel keeps the uid and euid of F_SETOWN's caller, @uids, with
 * the owner (whether the signal may be sent depends on them); the
 * restore sets it as owner @ot: refused unless they are @ot's.
 */
static int fown_refuse_uids(const struct cr_dtask *dt, const struct cr_fd *fd,
			    const struct cr_dtask *ot, const uint32_t *uids,
			    struct cr_err *e)
{
	const struct crfs_creds *c = &ot->t->creds;

	if (!ot->t->have_creds || (c->uid == uids[0] && c->euid == uids[1]))
		return 0;
	return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s: its signal owner "
		       "(F_SETOWN), pid %d (uid %u, euid %u), was set by a "
		       "caller with uid %u, euid %u, which the kernel keeps "
		       "to decide whether the signal may be sent: the "
		       "restore sets it as the owner: not supported",
		       dt->pid, fd->d.fd, fd->file->path, ot->pid, c->uid,
		       c->euid, uids[0], uids[1]);
}

/*
 * Refuse what a restore cannot make again: an owner other than the
 * process or a process of the container holding the description, an
 * owner on a directory (dnotify may be registered).
 */
static int fown_refuse(const struct cr_dump *d, struct cr_dtask *dt,
		       const struct cr_fd *fd, const struct f_owner_ex *o,
		       const uint32_t *uids, struct cr_err *e)
{
	const struct cr_file *f = fd->file;
	uint32_t type = fown_type(o->type);
	const struct cr_dtask *self = type ? fown_ours(d, dt, f, o, type) :
					     NULL;

	if (!type || !self)
		return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s: its signal "
			       "owner (F_SETOWN) is %s %d, neither the "
			       "process nor one of the container holding "
			       "it: not restored", dt->pid, fd->d.fd,
			       f->path, type ? fown_names[type] : "type",
			       o->pid);
	if (f->f.kind == CRFS_FILE_DIR)
		return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s: a directory "
			       "with a signal owner: it may have a dnotify "
			       "(F_NOTIFY), which cannot be read or "
			       "restored", dt->pid, fd->d.fd, f->path);
	return fown_refuse_uids(dt, fd, self, uids, e);
}

/* What is asked of a description: its owner, F_SETOWN's uid and euid. */
struct fown_out {
	struct f_owner_ex	o;
	uint32_t		uids[2];
};

/* Descriptions asked in one batch: three calls and a fown_out each. */
#define FOWN_CHUNK_CALLS	(CR_BATCH_CALLS / 3)
#define FOWN_CHUNK_DATA		(CR_SCRATCH_DATA_SIZE / \
				 sizeof(struct fown_out))
#define FOWN_CHUNK		(FOWN_CHUNK_CALLS < FOWN_CHUNK_DATA ? \
				 FOWN_CHUNK_CALLS : FOWN_CHUNK_DATA)

/* What @more said of @fd's description (calls 3 @i to 3 @i + 2), into it. */
static int fown_got(const struct cr_dump *d, struct cr_dtask *dt,
		    const struct cr_fd *fd,
		    const struct cr_batch *more, int i, long off,
		    struct cr_err *e)
{
	struct crfs_file *f = &fd->file->f;
	long rc = cr_batch_ret(more, 3 * i);
	struct fown_out out;
	int ret;

	memcpy(&out, more->out + off, sizeof(out));
	if (rc >= 0 && out.o.pid)
		rc = cr_batch_ret(more, 3 * i + 2);
	if (rc >= 0)
		rc = cr_batch_ret(more, 3 * i + 1);
	if (rc < 0)
		return cr_fail(e, (int)-rc, "pid %d: fd %u: %s: injected fcntl "
			       "failed: %s", dt->pid, fd->d.fd,
			       fd->file->path, strerror((int)-rc));
	if (out.o.pid) {
		ret = fown_refuse(d, dt, fd, &out.o, out.uids, e);
		if (ret)
			return ret;
		f->owner_type = fown_type(out.o.type);
		f->owner_pid = out.o.pid;
	}
	ret = fown_refuse_sifd(d, dt, fd, rc, e);
	if (ret)
		return ret;
	f->signo = rc;
	return 0;
}

/*
 * Ask the process the owner (F_GETOWN_EX), signal (F_GETSIG) and the uid
 * and euid kept with the owner (F_GETOWNER_UIDS) of the
 * descriptions of @fds, @n of them, in batches of FOWN_CHUNK, in the
 * scratch area of @b.
 */
static int fown_ask(const struct cr_dump *d, struct cr_dtask *dt,
		    const struct cr_batch *b,
		    const struct cr_fd *const *fds, uint32_t n,
		    struct cr_err *e)
{
	struct cr_batch *more = malloc(sizeof(*more));
	long off[FOWN_CHUNK];
	int ret = 0;

	if (!more)
		return cr_fail(e, ENOMEM, "out of memory");
	for (uint32_t at = 0; !ret && at < n; at += FOWN_CHUNK) {
		uint32_t k = n - at < FOWN_CHUNK ? n - at : FOWN_CHUNK;

		memset(more, 0, sizeof(*more));
		more->scratch = b->scratch;
		more->exec = b->exec;
		for (uint32_t i = 0; i < k; i++) {
			unsigned long addr;

			/* FOWN_CHUNK fits: none can fail. */
			off[i] = cr_batch_data(more, sizeof(struct fown_out),
					       &addr);
			cr_batch_add(more, __NR_fcntl, (unsigned long[6]){
				     fds[at + i]->d.fd, F_GETOWN_EX, addr });
			cr_batch_add(more, __NR_fcntl, (unsigned long[6]){
				     fds[at + i]->d.fd, F_GETSIG });
			cr_batch_add(more, __NR_fcntl, (unsigned long[6]){
				     fds[at + i]->d.fd, F_GETOWNER_UIDS,
				     addr + offsetof(struct fown_out, uids) });
		}
		ret = cr_batch_run_more(dt, more, e);
		for (uint32_t i = 0; !ret && i < k; i++)
			ret = fown_got(d, dt, fds[at + i], more, (int)i,
				       off[i], e);
	}
	free(more);
	return ret;
}

/*
 * Phase 4: once the task's batch ran, one F_GETOWN_EX and one F_GETSIG
 * per description, on its first descriptor (an O_PATH one cannot have
 * them), batched in the scratch area: two calls a description, one stop
 * for FOWN_CHUNK of them.
 */
static int fown_seized(struct cr_dump *d, struct cr_dtask *dt,
		       struct cr_batch *b, struct cr_err *e)
{
	const struct cr_fdtable *fdt = dt->t->fdt;
	const struct cr_fd **fds;
	uint32_t n = 0;
	bool *seen;
	int ret;

	if (!cr_seized_done(b) || !fdt || !fdt->nr_fds)
		return 0;
	seen = calloc(d->m.nr_files, sizeof(*seen));
	fds = calloc(fdt->nr_fds, sizeof(*fds));
	if (!seen || !fds) {
		free(seen);
		free(fds);
		return cr_fail(e, ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < fdt->nr_fds; i++) {
		const struct cr_fd *fd = &fdt->fds[i];
		size_t k;

		if (!fd->file)
			continue;
		k = fd->file - d->m.files;
		if (seen[k] || fd->file->f.flags & O_PATH)
			continue;
		seen[k] = true;
		fds[n++] = fd;
	}
	ret = fown_ask(d, dt, b, fds, n, e);
	free(seen);
	free(fds);
	return ret;
}

/* O_ASYNC on @fd's description (F_SETFL, as open() does not), read back. */
static int fown_async(struct cr_rst *r, const struct cr_fd *fd,
		      struct cr_err *e)
{
	long fl;
	int rc;

	rc = cr_rst_syscall(r, SYS_fcntl, CR_ARGS(fd->d.fd, F_GETFL), &fl, e);
	if (!rc && fl >= 0)
		rc = cr_rst_call(r, SYS_fcntl, CR_ARGS(fd->d.fd, F_SETFL,
				 fl | O_ASYNC), "cannot set O_ASYNC", e);
	if (!rc)
		rc = cr_rst_syscall(r, SYS_fcntl, CR_ARGS(fd->d.fd, F_GETFL),
				    &fl, e);
	if (rc)
		return rc;
	if (fl < 0 || !(fl & O_ASYNC))
		return cr_fail(e, EIO, "pid %d: fd %u: read back status flags "
			       "%#lo: O_ASYNC is not set", r->pid, fd->d.fd,
			       fl);
	return 0;
}

/* Set the owner and signal of @fd's description, and read them back. */
static int fown_set(struct cr_rst *r, const struct cr_fd *fd,
		    struct cr_err *e)
{
	const struct crfs_file *f = &fd->file->f;
	struct f_owner_ex o = { 0 }, back = { 0 };
	struct iovec local = { &back, sizeof(back) }, remote;
	unsigned long at;
	long sig = 0;
	int rc = 0;

	if (f->owner_type) {
		o = (struct f_owner_ex){ fown_types[f->owner_type],
					 f->owner_pid };
		rc = cr_rst_poke(r, 0, &o, sizeof(o), &at, e);
		if (!rc)
			rc = cr_rst_call(r, SYS_fcntl, CR_ARGS(fd->d.fd,
					 F_SETOWN_EX, at), "cannot set the "
					 "signal owner of a description", e);
	}
	if (!rc && f->signo)
		rc = cr_rst_call(r, SYS_fcntl, CR_ARGS(fd->d.fd, F_SETSIG,
				 f->signo), "cannot set the signal of a "
				 "description (F_SETSIG)", e);
	/* read back into the poked area, zeroed first */
	if (!rc)
		rc = cr_rst_poke(r, 0, &back, sizeof(back), &at, e);
	if (!rc)
		rc = cr_rst_call(r, SYS_fcntl, CR_ARGS(fd->d.fd, F_GETOWN_EX,
				 at), "cannot read a signal owner back", e);
	if (!rc)
		rc = cr_rst_syscall(r, SYS_fcntl, CR_ARGS(fd->d.fd, F_GETSIG),
				    &sig, e);
	if (rc)
		return rc;
	remote = (struct iovec){ (void *)at, sizeof(back) };
	if (process_vm_readv(r->pid, &local, 1, &remote, 1, 0) !=
	    sizeof(back))
		return cr_fail(e, errno, "pid %d: cannot read at %#lx: %m",
			       r->pid, at);
	if (back.pid != o.pid || (o.pid && back.type != o.type) ||
	    sig != f->signo)
		return cr_fail(e, EIO, "pid %d: fd %u: read back signal owner "
			       "%d (type %d) and signal %ld: the image has %d "
			       "(type %d) and %u", r->pid, fd->d.fd, back.pid,
			       back.type, sig, o.pid, o.type, f->signo);
	return 0;
}

/*
 * Restore phase 5, after the ids: each description with either; its
 * owner, when another process of the image (which holds it too), sets it.
 */
static int fown_late(struct cr_rst *r, struct cr_err *e)
{
	const struct cr_fdtable *fdt = r->task->fdt;
	int rc = 0;

	/* A shared table: the first process of it did. */
	if (cr_rst_fdt_follower(r->task))
		return 0;

	for (uint32_t i = 0; !rc && fdt && i < fdt->nr_fds; i++) {
		const struct cr_fd *fd = &fdt->fds[i];
		bool first = true;

		if (!fd->file || !(fd->file->f.owner_type ||
				   fd->file->f.signo ||
				   fd->file->f.flags & O_ASYNC))
			continue;
		for (uint32_t j = 0; j < i; j++)
			first &= fdt->fds[j].file != fd->file;
		if (first && fd->file->f.flags & O_ASYNC)
			rc = fown_async(r, fd, e);
		if (!rc && first && (!fd->file->f.owner_type ||
				     fd->file->f.owner_pid == r->task->t.pid))
			rc = fown_set(r, fd, e);
	}
	return rc;
}

const struct cr_res_ops cr_res_fown = {
	.name		= "fown",
	.seized		= fown_seized,
	.late		= fown_late,
};
