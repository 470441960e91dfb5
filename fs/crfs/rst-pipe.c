// SPDX-License-Identifier: GPL-2.0
/*
 * Pipes of a restore: the FILE records of kind PIPE checked (crfs.h: the
 * two ends name each other, agree on the pipe, the data on the end of
 * lower id), and the descriptors of every process that hold each end
 * counted; then, when the first process to build its files opens an end,
 * the pipe made as that process (create_pipe_files() under its
 * credentials-to-be: its user is charged for the pipe's buffers), its
 * inode given the owner the record names (ids of the writer's user
 * namespace, checked with the record), sized (F_SETPIPE_SZ), its data written through the write
 * end, each end given its status flags.  The model keeps each end until
 * the last process holding it has installed its descriptors
 * (crfs_rst_pipes_held()), so that the ends of one pipe in two processes
 * are one pipe; an end no descriptor holds is closed at once.  Refused by
 * name: an end opened again through /proc (CRFS_PIPE_F_REOPEN), an owner
 * for SIGIO.
 */
#include <linux/cred.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/log2.h>
#include <linux/pipe_fs_i.h>
#include <linux/slab.h>
#include <linux/stat.h>

#include "crfs.h"
#include "ckpt.h"
#include "rst.h"

/* The largest size checked: F_SETPIPE_SZ takes an int. */
#define CRFS_RST_PIPE_SIZE_MAX	(1U << 30)

/**
 * crfs_rst_check_pipe - a PIPE record the kernel restores, or a refusal
 * @r: the restore
 * @rf: the file, its path and state read
 *
 * Return: 0, or the errno with the reason in the error file.
 */
int crfs_rst_check_pipe(struct crfs_rst *r, const struct crfs_rst_file *rf)
{
	const struct crfs_file_pipe *ps = rf->ext;
	const struct crfs_file *f = &rf->f;

	if (!ps || f->ext_len < sizeof(*ps) ||
	    ps->data_len > CRFS_PIPE_DATA_MAX ||
	    f->ext_len != sizeof(*ps) + ALIGN(ps->data_len, 8))
		return crfs_rst_refuse(r, -EINVAL, "file %u: %s: bad length of a pipe's state",
				       f->id, rf->path);
	if (!S_ISFIFO(f->mode) || strncmp(rf->path, "pipe:[", 6) ||
	    (f->flags & ~CRFS_PIPE_FLAGS) ||
	    (f->flags & O_ACCMODE) == O_ACCMODE || f->pos || f->size ||
	    f->data_size || f->seals || f->data_id || f->cflags ||
	    (ps->pflags & ~CRFS_PIPE_F_REOPEN) ||
	    ps->size < PAGE_SIZE || ps->size > CRFS_RST_PIPE_SIZE_MAX ||
	    !is_power_of_2(ps->size) || ps->data_len > ps->size ||
	    (ps->data_len && (f->flags & O_DIRECT)) ||
	    ((f->flags & O_ACCMODE) == O_RDWR &&
	     !(ps->pflags & CRFS_PIPE_F_REOPEN)))
		return crfs_rst_refuse(r, -EINVAL,
				       "file %u: %s: bad mode, flags, size, data or path of a pipe",
				       f->id, rf->path);
	if (ps->pflags & CRFS_PIPE_F_REOPEN)
		return crfs_rst_refuse(r, -EOPNOTSUPP,
				       "file %u: %s: a pipe end opened again (through /proc/PID/fd): kernel: not yet",
				       f->id, rf->path);
	if (f->owner_type || f->owner_pid || f->signo)
		return crfs_rst_refuse(r, -EOPNOTSUPP,
				       "file %u: %s: an owner for SIGIO (F_SETOWN): kernel: not yet",
				       f->id, rf->path);
	if (!uid_valid(make_kuid(r->wcred->user_ns, f->uid)) ||
	    !gid_valid(make_kgid(r->wcred->user_ns, f->gid)))
		return crfs_rst_refuse(r, -EINVAL, "file %u: %s: an owner with no id here",
				       f->id, rf->path);
	return 0;
}

/* Why the other end @rf names is not its pipe's, or NULL. */
static const char *crfs_rst_pipe_peer_why(struct crfs_rst *r,
					  const struct crfs_rst_file *rf)
{
	const struct crfs_file_pipe *ps = rf->ext, *qs;
	const struct crfs_rst_file *q;

	if (!ps->peer_id)
		return NULL;
	q = crfs_rst_file_by_id(r, ps->peer_id);
	if (!q || q == rf || q->f.kind != CRFS_FILE_PIPE)
		return "its peer_id names no other pipe of the image";
	qs = q->ext;
	if (qs->peer_id != rf->f.id)
		return "its other end names another file as its peer";
	if (q->f.dev != rf->f.dev || q->f.ino != rf->f.ino ||
	    q->f.mode != rf->f.mode || q->f.uid != rf->f.uid ||
	    q->f.gid != rf->f.gid || qs->size != ps->size)
		return "its two ends disagree on the pipe (inode, mode, owner or size)";
	if ((q->f.flags & O_ACCMODE) == (rf->f.flags & O_ACCMODE))
		return "its two ends are the same end";
	if (ps->data_len && q->f.id < rf->f.id)
		return "data on the end of higher id (the other carries them)";
	return NULL;
}

/**
 * crfs_rst_check_pipes - the two ends of each pipe name each other; count
 *	the descriptors of every process that hold each end
 * @r: the restore, its model whole
 *
 * Return: 0, or -EINVAL with the reason in the error file.
 */
int crfs_rst_check_pipes(struct crfs_rst *r)
{
	const struct crfs_rst_proc *p;
	struct crfs_rst_file *rf;
	const char *why;
	unsigned int i;

	for (p = r->procs; p < r->procs + r->nr_procs; p++)
		for (i = 0; i < p->nr_fds; i++) {
			rf = crfs_rst_file_by_id(r, p->fds[i].file_id);
			if (rf->f.kind == CRFS_FILE_PIPE)
				rf->holders++;
		}
	for (i = 0; i < r->nr_files; i++) {
		rf = &r->files[i];
		if (rf->f.kind != CRFS_FILE_PIPE)
			continue;
		why = crfs_rst_pipe_peer_why(r, rf);
		if (why)
			return crfs_rst_refuse(r, -EINVAL, "file %u: %s: %s",
					       rf->f.id, rf->path, why);
	}
	return 0;
}

/**
 * crfs_rst_pipe_open - make the pipe of end @rf, in the process
 * @p: the process of the restore, the first of its holders to build
 * @rf: the end met first; its other end's FILE gets its struct file too
 * @what: what refers to it, for a refusal: "fd 3"
 *
 * Return: the file (the model's reference), or an ERR_PTR() with the
 * reason in the error file.
 */
struct file *crfs_rst_pipe_open(struct crfs_rst_proc *p, struct crfs_rst_file *rf,
				const char *what)
{
	struct crfs_rst *r = p->r;
	const struct crfs_file_pipe *ps = rf->ext, *ds;
	struct crfs_rst_file *peer = NULL, *end[2] = { };
	struct file *res[2];
	kuid_t uid = make_kuid(r->wcred->user_ns, rf->f.uid);
	kgid_t gid = make_kgid(r->wcred->user_ns, rf->f.gid);
	const struct cred *old;
	struct inode *inode;
	const char *why;
	loff_t pos = 0;
	unsigned int i;
	long ret;

	if (ps->peer_id)
		peer = crfs_rst_file_by_id(r, ps->peer_id);
	end[rf->f.flags & O_ACCMODE] = rf;
	if (peer)
		end[peer->f.flags & O_ACCMODE] = peer;
	/* the data are on the end of lower id */
	ds = peer && peer->f.id < rf->f.id ? peer->ext : ps;

	old = override_creds(p->new_cred);
	ret = create_pipe_files(res, 0);
	revert_creds(old);
	if (ret) {
		crfs_rst_child_fail(r, ret, "pid %u: %s: %s: cannot make its pipe",
				    p->task.pid, what, rf->path);
		return ERR_PTR(ret);
	}
	/*
	 * The owner the record names, whichever of its holders makes it:
	 * the inode is new, no one else sees it yet.
	 */
	inode = file_inode(res[0]);
	inode->i_uid = uid;
	inode->i_gid = gid;
	why = "cannot size its pipe (F_SETPIPE_SZ)";
	ret = pipe_fcntl(res[0], F_GETPIPE_SZ, 0);
	if (ret >= 0 && ret != ps->size)
		ret = pipe_fcntl(res[0], F_SETPIPE_SZ, ps->size);
	if (ret >= 0 && ds->data_len) {
		why = "cannot write its data";
		ret = kernel_write(res[1], ds + 1, ds->data_len, &pos);
		if (ret >= 0 && ret != ds->data_len)
			ret = -EAGAIN;
	}
	if (ret < 0) {
		fput(res[0]);
		fput(res[1]);
		crfs_rst_child_fail(r, ret, "pid %u: %s: %s: %s", p->task.pid,
				    what, rf->path, why);
		return ERR_PTR(ret);
	}
	for (i = 0; i < 2; i++) {
		if (!end[i] || !end[i]->holders) {
			fput(res[i]);	/* nobody holds it */
			continue;
		}
		spin_lock(&res[i]->f_lock);
		res[i]->f_flags |= end[i]->f.flags &
				   (O_NONBLOCK | O_DIRECT | O_LARGEFILE);
		spin_unlock(&res[i]->f_lock);
		res[i]->f_mode |= FMODE_NOWAIT;	/* as pipe2() makes them */
		end[i]->file = res[i];
	}
	return rf->file;
}

/**
 * crfs_rst_pipes_held - the pipe ends @p holds are installed
 * @p: the process of the restore, its fd table built
 *
 * The model drops its reference to an end once every descriptor of the
 * image that holds it is installed: from then on only the processes hold
 * it, and an end they close is closed (end of file, EPIPE), whether the
 * writer still has image open or not.
 */
void crfs_rst_pipes_held(struct crfs_rst_proc *p)
{
	struct crfs_rst *r = p->r;
	struct crfs_rst_file *rf;
	unsigned int i;

	for (i = 0; i < p->nr_fds; i++) {
		rf = crfs_rst_file_by_id(r, p->fds[i].file_id);
		if (rf->f.kind != CRFS_FILE_PIPE || WARN_ON_ONCE(!rf->holders))
			continue;
		if (--rf->holders || !rf->file)
			continue;
		fput(rf->file);
		rf->file = NULL;
	}
}
