// SPDX-License-Identifier: GPL-2.0
/*
 * Files of a restore: the FILE records checked, each opened again by
 * path, through no symbolic link, in the process (with its
 * credentials-to-be, unless the image says it had the file through
 * privilege), checked on the opened file (device,
 * inode, type; size and mtime of a regular file, rdev of a device), its
 * offset set; the fd table (replace_fd() at each descriptor's number, its
 * close-on-exec flag), the cwd, root and umask.
 *
 * Kinds so far: regular files, directories, /dev/null, zero, full, random
 * and urandom; pipes (rst-pipe.c).  Everything else is refused by name.
 */
#include <linux/cred.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/kdev_t.h>
#include <linux/namei.h>
#include <linux/openat2.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/stat.h>

#include "../internal.h"
#include "crfs.h"
#include "ckpt.h"
#include "rst.h"

/* The character devices a restore opens again by path: 1:3, 5, 7, 8, 9. */
static const dev_t crfs_rst_chr_ok[] = {
	MKDEV(1, 3), MKDEV(1, 5), MKDEV(1, 7), MKDEV(1, 8), MKDEV(1, 9),
};

/* Open flags a description keeps; the rest of f_flags is refused. */
#define CRFS_RST_OPEN_FLAGS	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC | \
				 __O_SYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | \
				 O_NOFOLLOW | O_NOATIME)

/* The kinds of file the kernel restores, by name for a refusal. */
static const char * const crfs_rst_kind_names[CRFS_FILE_NR] = {
	[CRFS_FILE_MEMFD]	= "a memfd",
	[CRFS_FILE_UNLINKED]	= "a deleted file",
	[CRFS_FILE_FIFO]	= "a FIFO",
	[CRFS_FILE_UNIX]	= "a unix socket",
	[CRFS_FILE_INET]	= "an inet socket",
	[CRFS_FILE_EVENTFD]	= "an eventfd",
	[CRFS_FILE_EPOLL]	= "an epoll instance",
	[CRFS_FILE_SIGNALFD]	= "a signalfd",
	[CRFS_FILE_TIMERFD]	= "a timerfd",
	[CRFS_FILE_INOTIFY]	= "an inotify instance",
	[CRFS_FILE_TTY]		= "a terminal",
	[CRFS_FILE_ANON_SHMEM]	= "shared anonymous memory",
};

/**
 * crfs_rst_check_file - a FILE record the kernel restores, or a refusal
 * @r: the restore
 * @rf: the file, its path read
 *
 * Return: 0, or the errno with the reason in the error file.
 */
int crfs_rst_check_file(struct crfs_rst *r, const struct crfs_rst_file *rf)
{
	const struct crfs_file *f = &rf->f;
	const char *why = NULL;
	unsigned int i;
	bool chr_ok = false;

	if (f->kind >= CRFS_FILE_NR || !f->kind)
		return crfs_rst_refuse(r, -EINVAL, "file %u: unknown kind %u", f->id, f->kind);
	if (f->kind == CRFS_FILE_PIPE)
		return crfs_rst_check_pipe(r, rf);
	if (f->kind != CRFS_FILE_REG && f->kind != CRFS_FILE_DIR &&
	    f->kind != CRFS_FILE_CHR)
		why = crfs_rst_kind_names[f->kind];
	else if (f->ext_len || f->data_size || f->seals || f->data_id)
		why = "state after its path";
	else if (f->owner_type || f->owner_pid || f->signo)
		why = "an owner for SIGIO (F_SETOWN)";
	else if (f->flags & FASYNC)
		why = "FASYNC";
	else if (f->flags & O_PATH &&
		 f->flags != (O_PATH | O_DIRECTORY))
		why = "an O_PATH descriptor";
	else if (!(f->flags & O_PATH) && f->flags & ~CRFS_RST_OPEN_FLAGS)
		why = "open flags";
	if (why)
		return crfs_rst_refuse(r, -EOPNOTSUPP, "file %u: %s: %s: kernel: not yet",
				       f->id, rf->path, why);
	if (rf->path[0] != '/' || f->cflags & ~CRFS_FILE_F_PRIV ||
	    (f->kind == CRFS_FILE_REG && !S_ISREG(f->mode)) ||
	    (f->kind == CRFS_FILE_DIR && !S_ISDIR(f->mode)) ||
	    (f->kind == CRFS_FILE_CHR && !S_ISCHR(f->mode)))
		return crfs_rst_refuse(r, -EINVAL, "file %u: %s: bad path, mode or flags",
				       f->id, rf->path);
	if (f->kind != CRFS_FILE_CHR)
		return 0;
	for (i = 0; i < ARRAY_SIZE(crfs_rst_chr_ok); i++)
		if (new_decode_dev(f->rdev) == crfs_rst_chr_ok[i])
			chr_ok = true;
	if (!chr_ok)
		return crfs_rst_refuse(r, -EOPNOTSUPP,
				       "file %u: %s: a device other than /dev/null, zero, full, random, urandom: kernel: not yet",
				       f->id, rf->path);
	return 0;
}

/**
 * crfs_rst_check_files - descriptors of the fd table, of the right kinds
 * @p: the process of the restore, its model whole
 *
 * Return: 0, or the errno with the reason in the error file.
 */
int crfs_rst_check_files(struct crfs_rst_proc *p)
{
	struct crfs_rst *r = p->r;
	struct crfs_rst_file *rf;
	unsigned int i;

	for (i = 0; i < p->nr_fds; i++) {
		rf = crfs_rst_file_by_id(r, p->fds[i].file_id);
		if (rf->f.flags & O_PATH)
			return crfs_rst_refuse(r, -EOPNOTSUPP,
					       "pid %u: fd %u: an O_PATH descriptor: kernel: not yet",
					       p->task.pid, p->fds[i].fd);
	}
	return 0;
}

/* Is what @path names the file of @f, as the checkpoint saw it? */
static const char *crfs_rst_same(const struct path *path, const struct crfs_file *f)
{
	struct kstat st;

	if (vfs_getattr_nosec(path, &st, STATX_BASIC_STATS, AT_STATX_SYNC_AS_STAT))
		return "cannot stat it";
	if (new_encode_dev(st.dev) != f->dev || st.ino != f->ino ||
	    (st.mode & S_IFMT) != (f->mode & S_IFMT))
		return "another file now (device, inode or type)";
	if (f->kind == CRFS_FILE_REG &&
	    (st.size != f->size || timespec64_to_ns(&st.mtime) != f->mtime_ns))
		return "changed since the checkpoint (size or mtime)";
	if (f->kind == CRFS_FILE_CHR && new_encode_dev(st.rdev) != f->rdev)
		return "another device now";
	return NULL;
}

/*
 * @path opened as openat2() with RESOLVE_NO_SYMLINKS and
 * RESOLVE_NO_MAGICLINKS would (crfs-fuse's restore, crfs.rst: never
 * through a link), and O_NONBLOCK: a FIFO put in the file's place opens
 * at once and fails the check.  The caller takes O_NONBLOCK off again.
 */
static struct file *crfs_rst_filp_open(const char *path, int flags)
{
	struct open_how how = build_open_how(flags | O_NONBLOCK, 0);
	struct open_flags op;
	struct filename *name;
	struct file *file;
	int err;

	how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	err = build_open_flags(&how, &op);
	if (err)
		return ERR_PTR(err);
	name = getname_kernel(path);
	if (IS_ERR(name))
		return ERR_CAST(name);
	file = do_filp_open(AT_FDCWD, name, &op);
	putname(name);
	return file;
}

/**
 * crfs_rst_open_file - open a FILE again, in the process, and check it
 * @p: the process of the restore
 * @rf: the file; its struct file is kept there, opened once
 * @what: what refers to it, for a refusal: "fd 3", "the executable"
 *
 * Return: the file (the model's reference), or an ERR_PTR() with the
 * reason in the error file.
 */
struct file *crfs_rst_open_file(struct crfs_rst_proc *p, struct crfs_rst_file *rf,
				const char *what)
{
	struct crfs_rst *r = p->r;
	const struct cred *old = NULL;
	struct file *file;
	const char *why;
	loff_t pos;

	if (rf->file)
		return rf->file;
	if (rf->f.kind == CRFS_FILE_PIPE)
		return crfs_rst_pipe_open(p, rf, what);
	if (!(rf->f.cflags & CRFS_FILE_F_PRIV))
		old = override_creds(p->new_cred);
	file = crfs_rst_filp_open(rf->path, rf->f.flags & CRFS_RST_OPEN_FLAGS);
	if (old)
		revert_creds(old);
	if (IS_ERR(file)) {
		crfs_rst_child_fail(r, PTR_ERR(file), "pid %u: %s: %s: cannot open it",
				    p->task.pid, what, rf->path);
		return file;
	}
	why = crfs_rst_same(&file->f_path, &rf->f);
	if (!why && rf->f.pos) {
		pos = vfs_llseek(file, rf->f.pos, SEEK_SET);
		if (pos != rf->f.pos)
			why = "cannot set its offset";
	}
	if (why) {
		fput(file);
		crfs_rst_child_fail(r, -ESTALE, "pid %u: %s: %s: %s",
				    p->task.pid, what, rf->path, why);
		return ERR_PTR(-ESTALE);
	}
	if (!(rf->f.flags & O_NONBLOCK)) {
		spin_lock(&file->f_lock);
		file->f_flags &= ~O_NONBLOCK;
		spin_unlock(&file->f_lock);
	}
	rf->file = file;
	return file;
}

/* A directory of the FS record, looked up in the process and checked. */
static int crfs_rst_dir(struct crfs_rst_proc *p, u32 id, const char *what,
			struct path *path)
{
	struct crfs_rst *r = p->r;
	struct crfs_rst_file *rf = crfs_rst_file_by_id(r, id);
	const struct cred *old;
	const char *why;
	int ret;

	old = override_creds(p->new_cred);
	ret = kern_path(rf->path, LOOKUP_FOLLOW | LOOKUP_NO_SYMLINKS |
			LOOKUP_NO_MAGICLINKS | LOOKUP_DIRECTORY, path);
	revert_creds(old);
	if (ret)
		return crfs_rst_child_fail(r, ret, "pid %u: %s: %s: cannot find it",
					   p->task.pid, what, rf->path);
	why = crfs_rst_same(path, &rf->f);
	if (why) {
		path_put(path);
		return crfs_rst_child_fail(r, -ESTALE, "pid %u: %s: %s: %s",
					   p->task.pid, what, rf->path, why);
	}
	return 0;
}

/* cwd, root and umask of the process. */
static int crfs_rst_fs(struct crfs_rst_proc *p)
{
	struct path cwd, root;
	int ret;

	ret = crfs_rst_dir(p, p->fs->cwd_file_id, "cwd", &cwd);
	if (ret)
		return ret;
	ret = crfs_rst_dir(p, p->fs->root_file_id, "root", &root);
	if (ret) {
		path_put(&cwd);
		return ret;
	}
	set_fs_root(current->fs, &root);
	set_fs_pwd(current->fs, &cwd);
	current->fs->umask = p->fs->umask;
	path_put(&root);
	path_put(&cwd);
	return 0;
}

/**
 * crfs_rst_build_files - the process's fd table and fs, in the process
 * @p: the process of the restore
 *
 * The table the process has (a copy of the writer's) is emptied first.
 * Return: 0, or the errno with the reason in the error file.
 */
int crfs_rst_build_files(struct crfs_rst_proc *p)
{
	struct crfs_rst *r = p->r;
	struct crfs_rst_file *rf;
	struct file *file;
	unsigned int i;
	char what[24];
	int ret;

	ret = __close_range(0, ~0U, 0);
	if (ret)
		return crfs_rst_child_fail(r, ret, "pid %u: cannot empty its fd table",
					   p->task.pid);
	for (i = 0; i < p->nr_fds; i++) {
		snprintf(what, sizeof(what), "fd %u", p->fds[i].fd);
		rf = crfs_rst_file_by_id(r, p->fds[i].file_id);
		file = crfs_rst_open_file(p, rf, what);
		if (IS_ERR(file))
			return PTR_ERR(file);
		ret = replace_fd(p->fds[i].fd, file, p->fds[i].cloexec ? O_CLOEXEC : 0);
		if (ret < 0)
			return crfs_rst_child_fail(r, ret, "pid %u: %s: cannot install it",
						   p->task.pid, what);
	}
	crfs_rst_pipes_held(p);
	return crfs_rst_fs(p);
}
