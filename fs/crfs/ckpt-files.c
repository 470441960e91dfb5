// SPDX-License-Identifier: GPL-2.0
/*
 * Files of the checkpoint: the FILE records of the open descriptions, of
 * the mapped files and executable, of the cwd and root (FS), and the fd
 * table (FDTABLE, FD).  One FILE per struct file of a descriptor, per
 * (inode, open mode) of a mapping, as the userspace engine makes them;
 * the identity a restore checks (device, inode, type, size, mtime) comes
 * from vfs_getattr_nosec(), the path from d_path() against the root the
 * checkpointer and the process share.
 *
 * Kinds so far: regular files, directories, /dev/null, zero, full, random
 * and urandom; pipes (ckpt-pipe.c).  Deleted files, memfds, FIFOs, sockets,
 * event descriptors,
 * terminals, O_PATH descriptors, file owners (F_SETOWN), locks and leases
 * are refused.
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/filelock.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/kdev_t.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/stat.h>

#include "crfs.h"
#include "ckpt.h"

/* The character devices a restore opens again by path: 1:3, 5, 7, 8, 9. */
static const dev_t crfs_ckpt_chr_ok[] = {
	MKDEV(1, 3), MKDEV(1, 5), MKDEV(1, 7), MKDEV(1, 8), MKDEV(1, 9),
};

/* The most descriptors a process may have here. */
#define CRFS_CKPT_MAX_FDS	1024

/* Why a file of mode @mode (rdev @rdev) cannot be kept yet, or NULL; *@kind */
static const char *crfs_ckpt_file_kind(umode_t mode, dev_t rdev, u32 *kind)
{
	unsigned int i;

	if (S_ISREG(mode)) {
		*kind = CRFS_FILE_REG;
		return NULL;
	}
	if (S_ISDIR(mode)) {
		*kind = CRFS_FILE_DIR;
		return NULL;
	}
	if (S_ISCHR(mode)) {
		for (i = 0; i < ARRAY_SIZE(crfs_ckpt_chr_ok); i++)
			if (rdev == crfs_ckpt_chr_ok[i]) {
				*kind = CRFS_FILE_CHR;
				return NULL;
			}
		return "a character device other than /dev/null, zero, full, random, urandom";
	}
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISBLK(mode))
		return "a block device";
	return "an anonymous inode (event descriptor, epoll, ...)";
}

/* The FILE of @key and @flags, if collected already. */
u32 crfs_ckpt_file_find(struct crfs_ckpt *c, const void *key, u32 flags)
{
	unsigned int i;

	for (i = 0; i < c->nr_files; i++)
		if (c->files[i].key == key && c->files[i].flags == flags)
			return c->files[i].id;
	return 0;
}

/* Note (@key, @flags) as FILE @id. */
int crfs_ckpt_file_add(struct crfs_ckpt *c, const void *key, u32 flags, u32 id)
{
	struct crfs_ckpt_file *n;

	if (!(c->nr_files & (c->nr_files - 1)) || !c->files) {
		n = krealloc_array(c->files, max(2 * c->nr_files, 8U),
				   sizeof(*n), GFP_KERNEL);
		if (!n)
			return -ENOMEM;
		c->files = n;
	}
	c->files[c->nr_files++] = (struct crfs_ckpt_file){ key, flags, id };
	return 0;
}

/*
 * The FILE record of @path opened with @flags at @pos; @what names it in a
 * refusal ("fd 3", "cwd", "mapping 0x1000").
 */
static int crfs_ckpt_path(struct crfs_ckpt *c, const struct path *path,
			  u32 flags, u64 pos, const char *what, u32 *id)
{
	struct crfs_file f = { .flags = flags, .pos = pos };
	struct kstat st;
	const char *why;
	char *p;
	int ret;

	p = d_path(path, c->path_buf, PATH_MAX);
	if (IS_ERR(p))
		return crfs_ckpt_refuse(c, PTR_ERR(p), "pid %d: %s: no path",
					c->pid, what);
	ret = vfs_getattr_nosec(path, &st, STATX_BASIC_STATS,
				AT_STATX_SYNC_AS_STAT);
	if (ret)
		return crfs_ckpt_refuse(c, ret, "pid %d: %s: %s: cannot stat it",
					c->pid, what, p);
	why = crfs_ckpt_file_kind(st.mode, st.rdev, &f.kind);
	if (!why && d_unlinked(path->dentry))
		why = "a deleted file or a memfd";
	if (why)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP, "pid %d: %s: %s: %s: kernel: not yet",
					c->pid, what, p, why);
	f.id = ++c->next_id;
	f.mode = st.mode;
	f.dev = new_encode_dev(st.dev);
	f.ino = st.ino;
	if (f.kind == CRFS_FILE_CHR)
		f.rdev = new_encode_dev(st.rdev);
	if (f.kind == CRFS_FILE_REG) {
		f.size = st.size;
		f.mtime_ns = timespec64_to_ns(&st.mtime);
	}
	f.uid = from_kuid_munged(c->user_ns, st.uid);
	f.gid = from_kgid_munged(c->user_ns, st.gid);
	f.path_len = strlen(p) + 1;
	*id = f.id;
	return crfs_rec_put(c, CRFS_PART_FILES, CRFS_REC_FILE, &f, sizeof(f),
			    p, f.path_len);
}

/**
 * crfs_ckpt_file_why - why open description @file cannot be kept yet
 * @file: the description
 *
 * Return: the reason (its owner, flags), or NULL.
 */
const char *crfs_ckpt_file_why(struct file *file)
{
	if (file->f_flags & O_PATH)
		return "O_PATH descriptors";
	if (file_f_owner(file) && file_f_owner(file)->pid)
		return "an owner for SIGIO (F_SETOWN)";
	if (file->f_flags & FASYNC)
		return "FASYNC";
	return NULL;
}

/**
 * crfs_ckpt_file - the FILE of an open description or of a mapped file
 * @c: the checkpoint
 * @file: the description
 * @mapped: a mapping's (or the executable's): one FILE per inode and open
 *	mode, flags only the open mode; else one per description
 * @what: what refers to it, for a refusal: "fd 3", "the executable"
 * @id: its FILE id
 *
 * Return: 0, or a refusal with the reason in the error file.
 */
int crfs_ckpt_file(struct crfs_ckpt *c, struct file *file, bool mapped,
		   const char *what, u32 *id)
{
	const void *key = mapped ? (void *)file_inode(file) : (void *)file;
	u32 flags = file->f_flags & ~(O_CLOEXEC | __FMODE_EXEC);
	const char *why;
	int ret;

	if (mapped)
		flags &= O_ACCMODE;
	*id = crfs_ckpt_file_find(c, key, mapped ? flags | 1U << 31 : flags);
	if (*id)
		return 0;
	why = mapped ? NULL : crfs_ckpt_file_why(file);
	if (why)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP, "pid %d: %s: %s: kernel: not yet",
					c->pid, what, why);
	if (!mapped && c->fds && crfs_ckpt_pipe_of(file))
		return crfs_ckpt_pipe(c, file, what, id);
	ret = crfs_ckpt_path(c, &file->f_path, flags, mapped ? 0 : file->f_pos,
			     what, id);
	if (ret)
		return ret;
	return crfs_ckpt_file_add(c, key, mapped ? flags | 1U << 31 : flags,
				  *id);
}

/**
 * crfs_ckpt_fs - the FS record: cwd, root (as O_PATH directories), umask
 * @c: the checkpoint
 *
 * The root must be the checkpointer's: paths are read against it.
 * Return: 0, or a refusal with the reason in the error file.
 */
int crfs_ckpt_fs(struct crfs_ckpt *c)
{
	struct crfs_fs fs = { 0 };
	struct path cwd, root, mine;
	bool same;
	int ret;

	task_lock(c->task);
	if (!c->task->fs || c->task->fs->users > c->nr_threads) {
		task_unlock(c->task);
		return crfs_ckpt_refuse(c, -EOPNOTSUPP,
					"pid %d: fs: shared with another process (CLONE_FS): kernel: not yet",
					c->pid);
	}
	get_fs_root(c->task->fs, &root);
	get_fs_pwd(c->task->fs, &cwd);
	fs.umask = c->task->fs->umask;
	task_unlock(c->task);
	get_fs_root(current->fs, &mine);
	same = path_equal(&root, &mine);
	path_put(&mine);
	if (!same) {
		ret = crfs_ckpt_refuse(c, -EOPNOTSUPP,
				       "pid %d: root: not the checkpointer's root (chroot): kernel: not yet",
				       c->pid);
		goto out_put;
	}
	fs.id = ++c->next_id;
	c->fs_id = fs.id;
	ret = crfs_ckpt_path(c, &cwd, O_PATH | O_DIRECTORY, 0, "cwd",
			     &fs.cwd_file_id);
	if (!ret)
		ret = crfs_ckpt_path(c, &root, O_PATH | O_DIRECTORY, 0, "root",
				     &fs.root_file_id);
	if (!ret)
		ret = crfs_rec_put(c, CRFS_PART_FS, CRFS_REC_FS, &fs, sizeof(fs),
				   NULL, 0);
out_put:
	path_put(&cwd);
	path_put(&root);
	return ret;
}

/* Collected under the table's lock: no sleeping here. */
static int crfs_ckpt_fd_one(const void *p, struct file *file, unsigned int fd)
{
	struct crfs_ckpt_fds *t = (struct crfs_ckpt_fds *)p;

	if (t->nr == CRFS_CKPT_MAX_FDS)
		return 1;
	t->fds[t->nr].file = get_file(file);
	t->fds[t->nr].fd = fd;
	t->fds[t->nr].cloexec = close_on_exec(fd, t->files);
	t->nr++;
	return 0;
}

/**
 * crfs_ckpt_fds_get - the fd table of @task and its descriptors
 * @task: a frozen process
 * @t: the table (referenced) and its descriptors (each file referenced);
 *	crfs_ckpt_fds_put() drops them, whatever the result
 *
 * Return: 0, -ESRCH (no table), -E2BIG (more than CRFS_CKPT_MAX_FDS
 * descriptors) or -ENOMEM.
 */
int crfs_ckpt_fds_get(struct task_struct *task, struct crfs_ckpt_fds *t)
{
	*t = (struct crfs_ckpt_fds){ };
	task_lock(task);
	t->files = task->files;
	if (t->files)
		atomic_inc(&t->files->count);
	task_unlock(task);
	if (!t->files)
		return -ESRCH;
	t->fds = kvcalloc(CRFS_CKPT_MAX_FDS, sizeof(*t->fds), GFP_KERNEL);
	if (!t->fds)
		return -ENOMEM;
	return iterate_fd(t->files, 0, crfs_ckpt_fd_one, t) ? -E2BIG : 0;
}

/**
 * crfs_ckpt_fds_check - refuse an fd table the checkpoint cannot take
 * @c: the checkpoint
 * @pid: its process, of @nr_threads threads
 * @ret: what crfs_ckpt_fds_get() returned for it
 * @t: the table
 *
 * Return: 0, a refusal naming @pid with the reason in the error file, or
 * -ENOMEM.
 */
int crfs_ckpt_fds_check(struct crfs_ckpt *c, pid_t pid, unsigned int nr_threads,
			int ret, const struct crfs_ckpt_fds *t)
{
	if (ret == -ESRCH)
		return crfs_ckpt_refuse(c, -ESRCH, "pid %d: no fd table", pid);
	if ((!ret || ret == -E2BIG) && atomic_read(&t->files->count) > nr_threads + 1)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP,
					"pid %d: fd table: shared with another process (CLONE_FILES): kernel: not yet",
					pid);
	if (ret == -E2BIG)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP,
					"pid %d: more than %d descriptors: kernel: not yet",
					pid, CRFS_CKPT_MAX_FDS);
	return ret;
}

/**
 * crfs_ckpt_fds_put - drop what crfs_ckpt_fds_get() took
 * @t: the table and its descriptors
 */
void crfs_ckpt_fds_put(struct crfs_ckpt_fds *t)
{
	unsigned int i;

	for (i = 0; i < t->nr; i++)
		fput(t->fds[i].file);
	kvfree(t->fds);
	if (t->files)
		put_files_struct(t->files);
	*t = (struct crfs_ckpt_fds){ };
}

/* Is a POSIX lock, OFD lock, flock or lease held on @file? */
static bool crfs_ckpt_file_locked(struct file *file)
{
	struct file_lock_context *ctx = locks_inode_context(file_inode(file));

	return ctx && (!list_empty(&ctx->flc_posix) ||
		       !list_empty(&ctx->flc_flock) ||
		       !list_empty(&ctx->flc_lease));
}

/**
 * crfs_ckpt_fdtable - the FDTABLE record, its FDs, and their FILEs
 * @c: the checkpoint
 *
 * Return: 0, or a refusal with the reason in the error file.
 */
int crfs_ckpt_fdtable(struct crfs_ckpt *c)
{
	const struct crfs_ckpt_proc *p = &c->procs[c->cur_proc];
	const struct crfs_ckpt_fd *t = p->fds;
	struct crfs_fdtable fdt = { 0 };
	struct crfs_fd fd;
	char what[24];
	unsigned int i;
	int ret;

	/* read and checked by crfs_ckpt_descs(), before any process */
	fdt.id = ++c->next_id;
	fdt.nr_fds = p->nr_fds;
	c->fdt_id = fdt.id;
	c->fds = t;
	c->nr_fds = p->nr_fds;
	ret = crfs_rec_put(c, CRFS_PART_FDTABLE, CRFS_REC_FDTABLE, &fdt,
			   sizeof(fdt), NULL, 0);
	for (i = 0; !ret && i < p->nr_fds; i++) {
		fd = (struct crfs_fd){ .fd = t[i].fd, .cloexec = t[i].cloexec };
		if (crfs_ckpt_file_locked(t[i].file)) {
			ret = crfs_ckpt_refuse(c, -EOPNOTSUPP,
					       "pid %d: fd %u: a lock or lease on its file: kernel: not yet",
					       c->pid, fd.fd);
			break;
		}
		snprintf(what, sizeof(what), "fd %u", fd.fd);
		ret = crfs_ckpt_file(c, t[i].file, false, what, &fd.file_id);
		if (!ret)
			ret = crfs_rec_put(c, CRFS_PART_FDTABLE, CRFS_REC_FD, &fd,
					   sizeof(fd), NULL, 0);
	}
	c->fds = NULL;
	c->nr_fds = 0;
	return ret;
}
