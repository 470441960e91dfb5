// SPDX-License-Identifier: GPL-2.0
/*
 * The FUSE low-level operations of crfs-fuse: the inode table (computed
 * inode numbers, see crfs-fuse.h), directories, and the routing of open,
 * read, write, flush, poll and release through the control-file table.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crfs-fuse.h"

#define CRFS_TIMEOUT	1.0

/* Hand a request on an inode of the namespace view to ns.c. */
#define CRFS_NS_ROUTE(op, ino, ...)				\
	do {							\
		if (crfs_fuse_ns_ino(ino)) {			\
			crfs_fuse_ns_ops.op(__VA_ARGS__);	\
			return;					\
		}						\
	} while (0)

static struct crfs_fs *crfs_req_fs(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* Decode an inode number: NULL for the root, a container (held) and file. */
static int crfs_ino(struct crfs_fs *fs, fuse_ino_t ino, struct crfs_ct **ctp,
		    const struct crfs_fuse_file **filep)
{
	unsigned int idx = ino & ((1U << CRFS_INO_SHIFT) - 1);

	*ctp = NULL;
	*filep = NULL;
	if (ino == FUSE_ROOT_ID)
		return 0;
	if (idx > crfs_fuse_nr_files)
		return -ENOENT;
	*ctp = crfs_ct_get(fs, ino >> CRFS_INO_SHIFT);
	if (!*ctp)
		return -ENOENT;
	if (idx)
		*filep = &crfs_fuse_files[idx - 1];
	return 0;
}

/* Fill @st for the root (@ct NULL), a container or one of its files. */
static void crfs_stat(struct crfs_fs *fs, struct crfs_ct *ct,
		      const struct crfs_fuse_file *file, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_blksize = 4096;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	if (!ct) {
		st->st_ino = FUSE_ROOT_ID;
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		st->st_atim = st->st_mtim = st->st_ctim = fs->mtime;
		return;
	}
	st->st_atim = st->st_mtim = st->st_ctim = ct->ctime;
	st->st_ino = ct->id << CRFS_INO_SHIFT;
	if (!file) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return;
	}
	st->st_ino |= file - crfs_fuse_files + 1;
	st->st_mode = S_IFREG | file->mode;
	st->st_nlink = 1;
	/* cat and cp copy a stream in chunks of st_blksize: make them large. */
	if (file->stream)
		st->st_blksize = CRFS_IO_MAX;
}

static void crfs_reply_entry(fuse_req_t req, struct crfs_fs *fs,
			     struct crfs_ct *ct, const struct crfs_fuse_file *file)
{
	struct fuse_entry_param e = {
		.attr_timeout = CRFS_TIMEOUT,
		.entry_timeout = CRFS_TIMEOUT,
	};

	crfs_stat(fs, ct, file, &e.attr);
	e.ino = e.attr.st_ino;
	fuse_reply_entry(req, &e);
}

/*
 * May the caller of @req have @want (R_OK, W_OK, X_OK bits) on a file of
 * @mode?  The kernel checks the same first (the mount always has
 * default_permissions); this holds should it not.  Root may, the owner
 * (the daemon's user) by the owner bits, anyone else by the others bits:
 * no mode of crfs gives a group more than the others.
 */
static int crfs_may(fuse_req_t req, mode_t mode, int want)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct crfs_fs *fs = crfs_req_fs(req);

	if (ctx->uid == 0)
		return 0;
	if (ctx->uid == fs->uid)
		mode >>= 6;
	return want & ~mode & 7 ? -EACCES : 0;
}

static const struct crfs_fuse_file *crfs_file_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < crfs_fuse_nr_files; i++)
		if (!strcmp(crfs_fuse_files[i].name, name))
			return &crfs_fuse_files[i];
	return NULL;
}

/*
 * Big requests and splice where the kernel has it; -o options override,
 * but no request may be larger than CRFS_IO_MAX: the image ring is sized
 * for it (and libfuse's buffers for what was asked).
 */
static void crfs_fuse_init(void *userdata, struct fuse_conn_info *conn)
{
	struct crfs_fs *fs = userdata;

	conn->max_write = CRFS_IO_MAX;
	conn->max_read = CRFS_IO_MAX;
	conn->want |= conn->capable & (FUSE_CAP_SPLICE_WRITE |
				       FUSE_CAP_SPLICE_MOVE |
				       FUSE_CAP_SPLICE_READ |
				       FUSE_CAP_ATOMIC_O_TRUNC);
	if (fs->conn_opts)
		fuse_apply_conn_info_opts(fs->conn_opts, conn);
	if (conn->max_write > CRFS_IO_MAX)
		conn->max_write = CRFS_IO_MAX;
	if (conn->max_read > CRFS_IO_MAX)
		conn->max_read = CRFS_IO_MAX;
}

static void crfs_fuse_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct crfs_fs *fs = crfs_req_fs(req);
	const struct crfs_fuse_file *file;
	struct crfs_ct *ct;
	int ret;

	CRFS_NS_ROUTE(lookup, parent, req, parent, name);
	ret = crfs_ino(fs, parent, &ct, &file);
	if (ret || file) {
		fuse_reply_err(req, ret ? -ret : ENOTDIR);
		goto out;
	}
	if (!strcmp(name, CRFS_NS_NAME)) {
		crfs_fuse_ns_entry(req, ct);
		goto out;
	}
	if (!ct) {
		ct = crfs_ct_lookup(fs, name);
		if (ct)
			crfs_reply_entry(req, fs, ct, NULL);
		else
			fuse_reply_err(req, ENOENT);
		goto out;
	}
	file = crfs_file_find(name);
	if (file)
		crfs_reply_entry(req, fs, ct, file);
	else
		fuse_reply_err(req, ENOENT);
out:
	if (ct)
		crfs_ct_put(ct);
}

static void crfs_fuse_getattr(fuse_req_t req, fuse_ino_t ino,
			      struct fuse_file_info *fi)
{
	struct crfs_fs *fs = crfs_req_fs(req);
	const struct crfs_fuse_file *file;
	struct crfs_ct *ct;
	struct stat st;
	int ret;

	(void)fi;
	CRFS_NS_ROUTE(getattr, ino, req, ino, fi);
	ret = crfs_ino(fs, ino, &ct, &file);
	if (ret) {
		fuse_reply_err(req, -ret);
		return;
	}
	crfs_stat(fs, ct, file, &st);
	fuse_reply_attr(req, &st, CRFS_TIMEOUT);
	if (ct)
		crfs_ct_put(ct);
}

/* Only what open(O_TRUNC) and touch do is accepted, and ignored. */
static void crfs_fuse_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
			      int to_set, struct fuse_file_info *fi)
{
	int ok = FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
		 FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW |
		 FUSE_SET_ATTR_CTIME;

	if ((to_set & ~ok) || ((to_set & FUSE_SET_ATTR_SIZE) && attr->st_size)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	crfs_fuse_getattr(req, ino, fi);
}

/* A readdir reply being filled: entries before @off are skipped. */
struct crfs_dirbuf {
	fuse_req_t	req;
	char		*buf;
	size_t		size, used;
	off_t		off, next;
};

/* Add one entry; false once the reply is full. */
static bool crfs_dirbuf_add(struct crfs_dirbuf *db, const char *name,
			    const struct stat *st)
{
	size_t n;

	if (db->next++ < db->off)
		return true;
	n = fuse_add_direntry(db->req, db->buf + db->used, db->size - db->used,
			      name, st, db->next);
	if (n > db->size - db->used)
		return false;
	db->used += n;
	return true;
}

static void crfs_fuse_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
			      off_t off, struct fuse_file_info *fi)
{
	struct crfs_dirbuf db = { .req = req, .size = size, .off = off };
	struct crfs_fs *fs = crfs_req_fs(req);
	const struct crfs_fuse_file *file;
	struct stat st = { .st_mode = S_IFDIR };
	struct crfs_ct *ct, *c;
	unsigned int i;
	int ret;

	(void)fi;
	CRFS_NS_ROUTE(readdir, ino, req, ino, size, off, fi);
	ret = crfs_ino(fs, ino, &ct, &file);
	if (ret || file) {
		fuse_reply_err(req, ret ? -ret : ENOTDIR);
		goto out;
	}
	db.buf = malloc(size);
	if (!db.buf) {
		fuse_reply_err(req, ENOMEM);
		goto out;
	}
	st.st_ino = ino;
	if (!crfs_dirbuf_add(&db, ".", &st))
		goto reply;
	st.st_ino = FUSE_ROOT_ID;
	if (!crfs_dirbuf_add(&db, "..", &st))
		goto reply;
	crfs_fuse_ns_dir_stat(ct, &st);
	if (!crfs_dirbuf_add(&db, CRFS_NS_NAME, &st))
		goto reply;
	for (i = 0; ct && i < crfs_fuse_nr_files; i++) {
		crfs_stat(fs, ct, &crfs_fuse_files[i], &st);
		if (!crfs_dirbuf_add(&db, crfs_fuse_files[i].name, &st))
			break;
	}
	pthread_mutex_lock(&fs->lock);
	for (c = ct ? NULL : fs->cts; c; c = c->next) {
		crfs_stat(fs, c, NULL, &st);
		if (!crfs_dirbuf_add(&db, c->name, &st))
			break;
	}
	pthread_mutex_unlock(&fs->lock);
reply:
	fuse_reply_buf(req, db.buf, db.used);
	free(db.buf);
out:
	if (ct)
		crfs_ct_put(ct);
}

static void crfs_fuse_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
			    mode_t mode)
{
	struct crfs_fs *fs = crfs_req_fs(req);
	struct crfs_ct *ct;
	int ret;

	(void)mode;
	if (parent != FUSE_ROOT_ID) {
		fuse_reply_err(req, EPERM);	/* containers do not nest */
		return;
	}
	ret = crfs_may(req, 0755, W_OK | X_OK);
	if (ret) {
		fuse_reply_err(req, -ret);
		return;
	}
	if (!strcmp(name, CRFS_NS_NAME)) {
		fuse_reply_err(req, EEXIST);
		return;
	}
	ret = crfs_ct_create(fs, name, &ct);
	if (ret) {
		fuse_reply_err(req, -ret);
		return;
	}
	crfs_reply_entry(req, fs, ct, NULL);
	crfs_ct_put(ct);
}

static void crfs_fuse_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct crfs_fs *fs = crfs_req_fs(req);

	if (parent != FUSE_ROOT_ID) {
		fuse_reply_err(req, crfs_file_find(name) ? ENOTDIR : ENOENT);
		return;
	}
	if (crfs_may(req, 0755, W_OK | X_OK)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	fuse_reply_err(req, -crfs_ct_remove(fs, name));
}

/* unlink, rename, create, mknod, symlink, link: the layout is fixed. */
static void crfs_fuse_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent;
	(void)name;
	fuse_reply_err(req, EPERM);
}

static void crfs_fuse_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
			     fuse_ino_t newparent, const char *newname,
			     unsigned int flags)
{
	(void)parent, (void)name, (void)newparent, (void)newname, (void)flags;
	fuse_reply_err(req, EPERM);
}

static void crfs_fuse_create(fuse_req_t req, fuse_ino_t parent, const char *name,
			     mode_t mode, struct fuse_file_info *fi)
{
	(void)parent, (void)name, (void)mode, (void)fi;
	fuse_reply_err(req, EPERM);
}

static void crfs_fuse_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
			    mode_t mode, dev_t rdev)
{
	(void)parent, (void)name, (void)mode, (void)rdev;
	fuse_reply_err(req, EPERM);
}

static void crfs_fuse_symlink(fuse_req_t req, const char *link,
			      fuse_ino_t parent, const char *name)
{
	(void)link, (void)parent, (void)name;
	fuse_reply_err(req, EPERM);
}

static void crfs_fuse_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
			   const char *newname)
{
	(void)ino, (void)newparent, (void)newname;
	fuse_reply_err(req, EPERM);
}

static struct crfs_fh *crfs_fh(struct fuse_file_info *fi)
{
	return (struct crfs_fh *)(uintptr_t)fi->fh;
}

static void crfs_fuse_open(fuse_req_t req, fuse_ino_t ino,
			   struct fuse_file_info *fi)
{
	struct crfs_fs *fs = crfs_req_fs(req);
	const struct crfs_fuse_file *file;
	int mode = fi->flags & O_ACCMODE;
	struct crfs_fh *fh;
	struct crfs_ct *ct;
	int ret;

	CRFS_NS_ROUTE(open, ino, req, ino, fi);
	ret = crfs_ino(fs, ino, &ct, &file);
	if (!ret && !file)
		ret = -EISDIR;
	if (!ret && !file->stream &&
	    ((mode != O_WRONLY && !file->read) || (mode != O_RDONLY && !file->write)))
		ret = -EACCES;
	if (!ret)
		ret = crfs_may(req, file->mode, (mode != O_WRONLY ? R_OK : 0) |
			       (mode != O_RDONLY ? W_OK : 0));
	fh = ret ? NULL : calloc(1, sizeof(*fh));
	if (!ret && !fh && file->stream)	/* a transfer that did not begin */
		ret = crfs_ct_fail(ct, ENOMEM, "%s: %s: no memory for the open file",
				   mode == O_RDONLY ? "checkpoint" : "restore",
				   ct->name);
	else if (!ret && !fh)
		ret = -ENOMEM;
	if (ret) {
		fuse_reply_err(req, -ret);
		if (ct)
			crfs_ct_put(ct);
		return;
	}
	fh->ct = ct;
	fh->file = file;
	fh->opener = fuse_req_ctx(req)->pid;
	pthread_mutex_init(&fh->lock, NULL);
	fi->fh = (uintptr_t)fh;
	fi->direct_io = 1;
	/* a control file's close asks nothing: no FLUSH round trip */
	fi->noflush = !file->stream;
	if (file->stream) {
		crfs_ct_clear(ct);	/* a checkpoint or restore begins */
		ret = file->stream->open(fh, fi);
		if (ret) {
			fuse_reply_err(req, -ret);
			crfs_ct_put(ct);
			pthread_mutex_destroy(&fh->lock);
			free(fh);
			return;
		}
	}
	if (file->pollable) {
		pthread_mutex_lock(&ct->lock);
		fh->seen = ct->event_seq;
		crfs_poller_add(&ct->pollers, &fh->poller);
		pthread_mutex_unlock(&ct->lock);
	}
	pthread_mutex_lock(&fs->lock);
	fh->fs_next = fs->fhs;
	if (fs->fhs)
		fs->fhs->fs_pprev = &fh->fs_next;
	fh->fs_pprev = &fs->fhs;
	fs->fhs = fh;
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_open(req, fi);
}

/* Regenerate a small file's text; remember which change it reflects. */
static int crfs_fh_fill(struct crfs_fh *fh)
{
	struct crfs_ct *ct = fh->ct;
	FILE *out;
	int ret;

	assert(pthread_mutex_trylock(&fh->lock) == EBUSY);

	pthread_mutex_lock(&ct->lock);
	fh->seen = ct->event_seq;
	pthread_mutex_unlock(&ct->lock);
	free(fh->text);
	fh->text = NULL;
	fh->len = 0;
	out = open_memstream(&fh->text, &fh->len);
	if (!out)
		return -errno;
	ret = fh->file->read(ct, out);
	if (fclose(out) && !ret)
		ret = -ENOMEM;
	return ret;
}

static void crfs_fuse_read(fuse_req_t req, fuse_ino_t ino, size_t size,
			   off_t off, struct fuse_file_info *fi)
{
	struct crfs_fh *fh = crfs_fh(fi);
	char *piece;
	size_t n;
	int ret;

	CRFS_NS_ROUTE(read, ino, req, ino, size, off, fi);
	if (fh->file->stream) {
		fh->file->stream->read(req, fh, size);
		return;
	}
	/*
	 * The piece asked for is copied under the lock and sent after: once
	 * replied to, the opener may close the file and its release free @fh
	 * while this thread still runs.
	 */
	pthread_mutex_lock(&fh->lock);
	ret = off == 0 || !fh->text ? crfs_fh_fill(fh) : 0;
	n = ret || (size_t)off >= fh->len ? 0 : fh->len - off;
	if (n > size)
		n = size;
	piece = n ? malloc(n) : NULL;
	if (piece)
		memcpy(piece, fh->text + off, n);
	else if (n)
		ret = -ENOMEM;
	pthread_mutex_unlock(&fh->lock);
	if (ret)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_buf(req, piece, n);
	free(piece);
}

static void crfs_fuse_write_buf(fuse_req_t req, fuse_ino_t ino,
				struct fuse_bufvec *in, off_t off,
				struct fuse_file_info *fi)
{
	struct crfs_fh *fh = crfs_fh(fi);
	size_t size = fuse_buf_size(in);
	char buf[CRFS_CTL_WRITE_MAX + 1];
	struct fuse_bufvec dst = FUSE_BUFVEC_INIT(size);
	ssize_t n;
	int ret;

	(void)ino, (void)off;
	if (fh->file->stream) {
		fh->file->stream->write_buf(req, fh, in);
		return;
	}
	crfs_ct_clear(fh->ct);		/* a write is a new operation */
	if (size > CRFS_CTL_WRITE_MAX) {
		ret = crfs_ct_fail(fh->ct, E2BIG,
				   "%s: a write of %zu bytes: a command is at most %d",
				   fh->file->name, size, CRFS_CTL_WRITE_MAX);
		fuse_reply_err(req, -ret);
		return;
	}
	dst.buf[0].mem = buf;
	n = fuse_buf_copy(&dst, in, 0);
	if (n < 0) {
		fuse_reply_err(req, (int)-n);
		return;
	}
	buf[n] = '\0';
	if (strlen(buf) != (size_t)n)
		ret = crfs_ct_fail(fh->ct, EINVAL, "%s: a NUL byte written",
				   fh->file->name);
	else
		ret = fh->file->write(fh->ct, buf);
	if (ret)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_write(req, n);
}

static void crfs_fuse_flush(fuse_req_t req, fuse_ino_t ino,
			    struct fuse_file_info *fi)
{
	struct crfs_fh *fh = crfs_fh(fi);

	CRFS_NS_ROUTE(flush, ino, req, ino, fi);
	if (fh->file->stream)
		fh->file->stream->flush(req, fh);
	else
		fuse_reply_err(req, 0);
}

/* Free an open control file: off the mount's list, its stream ended. */
static void crfs_fh_free(struct crfs_fh *fh)
{
	struct crfs_ct *ct = fh->ct;
	struct crfs_fs *fs = ct->fs;

	pthread_mutex_lock(&fs->lock);
	*fh->fs_pprev = fh->fs_next;
	if (fh->fs_next)
		fh->fs_next->fs_pprev = fh->fs_pprev;
	pthread_mutex_unlock(&fs->lock);
	if (fh->file->stream)
		fh->file->stream->release(fh);
	pthread_mutex_lock(&ct->lock);
	crfs_poller_del(&ct->pollers, &fh->poller);
	pthread_mutex_unlock(&ct->lock);
	free(fh->text);
	pthread_mutex_destroy(&fh->lock);
	free(fh);
	crfs_ct_put(ct);
}

static void crfs_fuse_release(fuse_req_t req, fuse_ino_t ino,
			      struct fuse_file_info *fi)
{
	CRFS_NS_ROUTE(release, ino, req, ino, fi);
	crfs_fh_free(crfs_fh(fi));
	fuse_reply_err(req, 0);
}

/**
 * crfs_fuse_release_all() - free the control files still open at the end
 * @fs: the mount, whose request loop has ended: no release will come
 *
 * Call it after the transfers were called off (crfs_fuse_image_abort()).
 */
void crfs_fuse_release_all(struct crfs_fs *fs)
{
	struct crfs_fh *fh;

	for (;;) {
		pthread_mutex_lock(&fs->lock);
		fh = fs->fhs;
		pthread_mutex_unlock(&fs->lock);
		if (!fh)
			break;
		crfs_fh_free(fh);
	}
}

/*
 * poll: a pollable file is ready (POLLIN, POLLPRI, POLLERR) once it changed
 * since this handle last read it, as kernfs files do; other files always.
 */
static void crfs_fuse_poll(fuse_req_t req, fuse_ino_t ino,
			   struct fuse_file_info *fi, struct fuse_pollhandle *ph)
{
	struct crfs_fh *fh = crfs_fh(fi);
	struct crfs_ct *ct;
	unsigned int revents = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;

	CRFS_NS_ROUTE(poll, ino, req, ino, fi, ph);
	ct = fh->ct;
	if (!fh->file->pollable) {
		if (ph)
			fuse_pollhandle_destroy(ph);
		fuse_reply_poll(req, revents);
		return;
	}
	pthread_mutex_lock(&ct->lock);
	revents = crfs_poller_poll(&fh->poller, fh->seen != ct->event_seq, ph);
	pthread_mutex_unlock(&ct->lock);
	fuse_reply_poll(req, revents);
}

/* ioctl: a stream file's (image: CRFS_IOC_IMAGE_TO); ENOTTY elsewhere. */
static void crfs_fuse_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd,
			    void *arg,
			    struct fuse_file_info *fi, unsigned int flags,
			    const void *in, size_t in_size, size_t out_size)
{
	struct crfs_fh *fh;

	(void)arg;
	(void)out_size;
	if (crfs_fuse_ns_ino(ino) || (flags & FUSE_IOCTL_DIR) || !fi->fh) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	fh = crfs_fh(fi);
	if (!fh->file->stream || !fh->file->stream->ioctl) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	fh->file->stream->ioctl(req, fh, cmd, in, in_size);
}

/* Only the namespace view has symbolic links. */
static void crfs_fuse_readlink(fuse_req_t req, fuse_ino_t ino)
{
	CRFS_NS_ROUTE(readlink, ino, req, ino);
	fuse_reply_err(req, EINVAL);
}

const struct fuse_lowlevel_ops crfs_fuse_ops = {
	.init		= crfs_fuse_init,
	.lookup		= crfs_fuse_lookup,
	.getattr	= crfs_fuse_getattr,
	.readlink	= crfs_fuse_readlink,
	.setattr	= crfs_fuse_setattr,
	.readdir	= crfs_fuse_readdir,
	.mkdir		= crfs_fuse_mkdir,
	.rmdir		= crfs_fuse_rmdir,
	.unlink		= crfs_fuse_unlink,
	.rename		= crfs_fuse_rename,
	.create		= crfs_fuse_create,
	.mknod		= crfs_fuse_mknod,
	.symlink	= crfs_fuse_symlink,
	.link		= crfs_fuse_link,
	.open		= crfs_fuse_open,
	.read		= crfs_fuse_read,
	.write_buf	= crfs_fuse_write_buf,
	.flush		= crfs_fuse_flush,
	.release	= crfs_fuse_release,
	.poll		= crfs_fuse_poll,
	.ioctl		= crfs_fuse_ioctl,
};
