// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "fs": a process's cwd, root and umask (FS), the two
 * directories as FILEs of kind DIR, checked by device and inode at
 * restore.  The files resource opens them and changes into them; this
 * one sets the umask.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "dump.h"
#include "restore.h"

/* Phase 1: the umask of the status read, cwd and root by /proc. */
static int fs_collect(struct cr_dump *d, struct cr_dtask *dt,
		      struct cr_err *e)
{
	uint32_t id, cwd, root;
	struct cr_fs *fs;
	int err = 0;

	/* Shared with a task before it (clone(CLONE_FS)). */
	if (dt->fs_of >= 0) {
		dt->t->t.fs_id = d->tasks[dt->fs_of].t->t.fs_id;
		return 0;
	}
	id = cr_dump_id(d);
	cwd = cr_dump_file(d, dt->pid, "cwd", O_PATH | O_DIRECTORY, e);
	if (!cwd)
		return -e->err;
	root = cr_dump_file(d, dt->pid, "root", O_PATH | O_DIRECTORY, e);
	if (!root)
		return -e->err;
	fs = cr_model_new_fs(&d->m, &err);
	if (!fs)
		return cr_fail(e, ENOMEM, "out of memory");
	fs->f = (struct crfs_fs){ id, dt->st.umask, cwd, root };
	dt->t->t.fs_id = id;
	return 0;
}

/* Phase 2: directories that are still there. */
static int fs_check(struct cr_dump *d, struct cr_dtask *dt, struct cr_err *e)
{
	const struct cr_fs *fs = dt->t->fs;

	(void)d;
	if (fs->cwd->why || fs->cwd->f.kind != CRFS_FILE_DIR)
		return cr_fail(e, EOPNOTSUPP, "pid %d: cwd %s: %s", dt->pid,
			       fs->cwd->path, fs->cwd->why ? fs->cwd->why :
			       "not a directory");
	if (fs->root->why || fs->root->f.kind != CRFS_FILE_DIR)
		return cr_fail(e, EOPNOTSUPP, "pid %d: root %s: %s", dt->pid,
			       fs->root->path, fs->root->why ? fs->root->why :
			       "not a directory");
	return 0;
}

/* Restore phase 3: the umask. */
static int fs_child(const struct cr_rst_child *c, struct cr_rst_res *res)
{
	/* Shared: set once, by the first process that has it. */
	if (cr_rst_fs_follower(c->task))
		return 0;
	res->step = CR_RST_UMASK;
	syscall(SYS_umask, c->task->fs->f.umask);
	return 0;
}

const struct cr_res_ops cr_res_fs = {
	.name		= "fs",
	.collect	= fs_collect,
	.check		= fs_check,
	.child		= fs_child,
};
