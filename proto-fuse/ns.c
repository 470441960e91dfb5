// SPDX-License-Identifier: GPL-2.0
/*
 * The namespace view of crfs-fuse, a mirror of the kernel's `mount -t nsfs`
 * as far as a stock kernel allows:
 *
 *	ns/TYPE/INUM/handle	-> the path of a bind mount that pins it, or
 *				   /proc/PID/ns/TYPE of a member
 *	ns/TYPE/INUM/owner	-> ../../user/INUM	(ioctl NS_GET_USERNS)
 *	ns/TYPE/INUM/parent	-> ../INUM		(NS_GET_PARENT: pid, user)
 *	ns/TYPE/INUM/events	"live 1", then "live 0"; poll wakes on death
 *	CT/ns/TYPE		-> /proc/PID/ns/TYPE of CT's first process
 *
 * A stock kernel lists no namespaces, so they are found by scanning
 * /proc/PID/ns/TYPE and the nsfs bind mounts of mountinfo (libmount), at
 * most every CRFS_NS_SCAN_MS.  A namespace held only by an open descriptor
 * or by another namespace is not seen, and "death" means "no longer seen":
 * a watcher thread rescans every CRFS_NS_SCAN_MS while an events file is
 * open and wakes the pollers of namespaces that vanished.
 *
 * Inode numbers: CRFS_NS_INO | (type + 1) << 48 | inum << 3 | file for the
 * ns/ tree, CRFS_NS_CT_INO | ct->id << CRFS_INO_SHIFT | (type + 1) for a
 * container's ns/ directory and its links.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <libmount.h>

#include "crfs-fuse.h"

#define CRFS_NS_SCAN_MS		250
#define CRFS_NS_TYPE_SHIFT	48
#define CRFS_NS_INUM_SHIFT	3

/* The files of a namespace directory; CRFS_NS_F_DIR is the directory. */
enum { CRFS_NS_F_DIR, CRFS_NS_F_EVENTS, CRFS_NS_F_HANDLE, CRFS_NS_F_OWNER,
       CRFS_NS_F_PARENT, CRFS_NS_F_NR };

static const struct crfs_ns_file {
	const char	*name;
	mode_t		mode;
} crfs_ns_files[CRFS_NS_F_NR] = {
	[CRFS_NS_F_EVENTS]	= { "events", S_IFREG | 0444 },
	[CRFS_NS_F_HANDLE]	= { "handle", S_IFLNK | 0777 },
	[CRFS_NS_F_OWNER]	= { "owner", S_IFLNK | 0777 },
	[CRFS_NS_F_PARENT]	= { "parent", S_IFLNK | 0777 },
};

/* The namespace types, named as in /proc/PID/ns. */
static const struct crfs_ns_type {
	const char	*name;
	bool		has_parent;
} crfs_ns_types[] = {
	{ "cgroup", false }, { "ipc", false }, { "mnt", false },
	{ "net", false }, { "pid", true }, { "time", false },
	{ "user", true }, { "uts", false },
};

#define CRFS_NS_NR_TYPES (sizeof(crfs_ns_types) / sizeof(crfs_ns_types[0]))

/* One namespace seen by the last scan. */
struct crfs_ns {
	unsigned int	type;		/* index in crfs_ns_types */
	uint32_t	inum;
	char		handle[PATH_MAX];
};

/* An open events file. */
struct crfs_ns_fh {
	unsigned int		type;
	uint32_t		inum;
	bool			dead;		/* final */
	struct crfs_poller	poller;		/* on the view's list */
};

/* The view's state, one per mount (fs->ns). */
struct crfs_ns_view {
	pthread_mutex_t		lock;		/* everything below */
	struct crfs_ns		*ns;		/* sorted by type, inum */
	size_t			nr;
	struct timespec		scanned;
	struct crfs_poller	*pollers;	/* of events files */
	bool			watching;	/* @watcher runs */
	bool			joinable;	/* @watcher is to be joined */
	bool			stopping;	/* the mount goes: no new watcher */
	pthread_t		watcher;
};

static struct crfs_fs *crfs_ns_fs(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static struct crfs_ns_view *crfs_ns_view(struct crfs_fs *fs)
{
	struct crfs_ns_view *v;

	pthread_mutex_lock(&fs->lock);
	if (!fs->ns) {
		v = calloc(1, sizeof(*v));
		if (v) {
			pthread_mutex_init(&v->lock, NULL);
			fs->ns = v;
		}
	}
	v = fs->ns;
	pthread_mutex_unlock(&fs->lock);
	return v;
}

static int crfs_ns_cmp(const void *a, const void *b)
{
	const struct crfs_ns *x = a, *y = b;

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return x->inum < y->inum ? -1 : x->inum > y->inum;
}

static struct crfs_ns *crfs_ns_find(struct crfs_ns_view *v, unsigned int type,
				    uint32_t inum)
{
	struct crfs_ns key = { .type = type, .inum = inum };

	return bsearch(&key, v->ns, v->nr, sizeof(*v->ns), crfs_ns_cmp);
}

/* Add a namespace to @list unless there; @list is unsorted while scanning. */
static int crfs_ns_add(struct crfs_ns **list, size_t *nr, size_t *cap,
		       unsigned int type, uint32_t inum, const char *handle)
{
	struct crfs_ns *n;
	size_t i;

	for (i = 0; i < *nr; i++)
		if ((*list)[i].type == type && (*list)[i].inum == inum)
			return 0;
	if (*nr == *cap) {
		n = realloc(*list, (*cap ? *cap * 2 : 64) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		*list = n;
		*cap = *cap ? *cap * 2 : 64;
	}
	n = &(*list)[(*nr)++];
	n->type = type;
	n->inum = inum;
	snprintf(n->handle, sizeof(n->handle), "%s", handle);
	return 0;
}

static int crfs_ns_type_find(const char *name)
{
	unsigned int t;

	for (t = 0; t < CRFS_NS_NR_TYPES; t++)
		if (!strcmp(crfs_ns_types[t].name, name))
			return t;
	return -1;
}

/* The nsfs bind mounts of mountinfo: root "net:[4026532...]". */
static int crfs_ns_scan_mounts(struct crfs_ns **list, size_t *nr, size_t *cap)
{
	struct libmnt_table *tb;
	struct libmnt_iter *it;
	struct libmnt_fs *mfs;
	char name[16];
	unsigned int inum;
	int t, ret = 0;

	tb = mnt_new_table_from_file("/proc/self/mountinfo");
	if (!tb)
		return -errno ? -errno : -EIO;
	it = mnt_new_iter(MNT_ITER_FORWARD);
	if (!it) {
		mnt_unref_table(tb);
		return -ENOMEM;
	}
	while (!ret && mnt_table_next_fs(tb, it, &mfs) == 0) {
		const char *root = mnt_fs_get_root(mfs);

		if (!mnt_fs_match_fstype(mfs, "nsfs") || !root ||
		    sscanf(root, "%15[a-z_]:[%u]", name, &inum) != 2)
			continue;
		t = crfs_ns_type_find(name);
		if (t >= 0)
			ret = crfs_ns_add(list, nr, cap, t, inum,
					  mnt_fs_get_target(mfs));
	}
	mnt_free_iter(it);
	mnt_unref_table(tb);
	return ret;
}

/*
 * The bind mounts first: a pin is a stable handle, a process may exit any
 * time; then every /proc/PID/ns/TYPE, for what no mount pins.
 */
static int crfs_ns_scan(struct crfs_ns_view *v)
{
	struct crfs_ns *list = NULL;
	size_t nr = 0, cap = 0;
	struct dirent *de;
	char path[sizeof("/proc//ns/cgroup") + sizeof(de->d_name)];
	struct stat st;
	unsigned int t;
	int ret = 0;
	DIR *d;

	ret = crfs_ns_scan_mounts(&list, &nr, &cap);
	d = ret ? NULL : opendir("/proc");
	if (!d) {
		free(list);
		return ret ? ret : -errno;
	}
	while (!ret && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		for (t = 0; !ret && t < CRFS_NS_NR_TYPES; t++) {
			snprintf(path, sizeof(path), "/proc/%s/ns/%s",
				 de->d_name, crfs_ns_types[t].name);
			if (!stat(path, &st))
				ret = crfs_ns_add(&list, &nr, &cap, t,
						  st.st_ino, path);
		}
	}
	closedir(d);
	if (ret) {
		free(list);
		return ret;
	}
	qsort(list, nr, sizeof(*list), crfs_ns_cmp);
	free(v->ns);
	v->ns = list;
	v->nr = nr;
	clock_gettime(CLOCK_MONOTONIC, &v->scanned);
	return 0;
}

/* Does the handle of @n still open to the namespace numbered @n->inum? */
static bool crfs_ns_handle_valid(const struct crfs_ns *n)
{
	struct stat st;

	return !stat(n->handle, &st) && st.st_ino == n->inum;
}

/* Rescan when the last scan is older than CRFS_NS_SCAN_MS. */
static int crfs_ns_refresh(struct crfs_ns_view *v)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - v->scanned.tv_sec) * 1000 +
	     (now.tv_nsec - v->scanned.tv_nsec) / 1000000;
	if (v->ns && ms < CRFS_NS_SCAN_MS)
		return 0;
	return crfs_ns_scan(v);
}

/* Mark the pollers of vanished namespaces dead and wake them. */
static void crfs_ns_wake_dead(struct crfs_ns_view *v)
{
	struct crfs_poller *p;

	for (p = v->pollers; p; p = p->next) {
		struct crfs_ns_fh *fh = crfs_container_of(p, struct crfs_ns_fh,
							  poller);

		if (!fh->dead && !crfs_ns_find(v, fh->type, fh->inum))
			fh->dead = true;
		if (fh->dead)
			crfs_poller_wake(p);
	}
}

/* Rescan periodically while an events file is open. */
static void *crfs_ns_watch(void *arg)
{
	struct crfs_ns_view *v = arg;
	struct timespec tick = { 0, CRFS_NS_SCAN_MS * 1000000L };

	for (;;) {
		nanosleep(&tick, NULL);
		pthread_mutex_lock(&v->lock);
		if (!v->pollers || v->stopping) {
			v->watching = false;
			pthread_mutex_unlock(&v->lock);
			return NULL;
		}
		if (!crfs_ns_scan(v))
			crfs_ns_wake_dead(v);
		pthread_mutex_unlock(&v->lock);
	}
}

/* Ask the kernel for a related namespace: NS_GET_USERNS or NS_GET_PARENT. */
static int crfs_ns_related(const char *handle, unsigned long req,
			   uint32_t *inum)
{
	struct stat st;
	int fd, rfd, ret = 0;

	fd = open(handle, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rfd = ioctl(fd, req);
	if (rfd < 0 || fstat(rfd, &st))
		ret = -errno;
	else
		*inum = st.st_ino;
	if (rfd >= 0)
		close(rfd);
	close(fd);
	return ret;
}

/* Decoded ns/ tree inode: -1 for "none" in type. */
struct crfs_ns_ino {
	int		type;
	uint32_t	inum;
	unsigned int	file;
};

static struct crfs_ns_ino crfs_ns_decode(fuse_ino_t ino)
{
	struct crfs_ns_ino d = {
		.type = (int)((ino >> CRFS_NS_TYPE_SHIFT) & 0xff) - 1,
		.inum = (ino >> CRFS_NS_INUM_SHIFT) & 0xffffffffU,
		.file = ino & ((1U << CRFS_NS_INUM_SHIFT) - 1),
	};
	return d;
}

static fuse_ino_t crfs_ns_encode(int type, uint32_t inum, unsigned int file)
{
	return CRFS_NS_INO | (fuse_ino_t)(type + 1) << CRFS_NS_TYPE_SHIFT |
	       (fuse_ino_t)inum << CRFS_NS_INUM_SHIFT | file;
}

/*
 * Resolve what a file of the ns/ tree shows: the handle path, or the owner
 * or parent link.  Return: 0, or -ENOENT when it is not (or no longer) there.
 */
static int crfs_ns_target(struct crfs_ns_view *v, struct crfs_ns_ino d,
			  char *buf, size_t len)
{
	char handle[PATH_MAX];
	struct crfs_ns *n;
	uint32_t inum;
	int ret;

	if (!v)
		return -ENOMEM;
	pthread_mutex_lock(&v->lock);
	ret = crfs_ns_refresh(v);
	n = ret ? NULL : crfs_ns_find(v, d.type, d.inum);
	/*
	 * Namespace numbers are reused as soon as a namespace dies: a handle
	 * from the last scan must still open to this number, else rescan.
	 */
	if (n && !crfs_ns_handle_valid(n)) {
		ret = crfs_ns_scan(v);
		n = ret ? NULL : crfs_ns_find(v, d.type, d.inum);
	}
	if (n)
		snprintf(handle, sizeof(handle), "%s", n->handle);
	pthread_mutex_unlock(&v->lock);
	if (ret)
		return ret;
	if (!n)
		return -ENOENT;
	switch (d.file) {
	case CRFS_NS_F_DIR:
	case CRFS_NS_F_EVENTS:
		return 0;
	case CRFS_NS_F_HANDLE:
		snprintf(buf, len, "%s", handle);
		return 0;
	case CRFS_NS_F_OWNER:
		ret = crfs_ns_related(handle, NS_GET_USERNS, &inum);
		if (!ret)
			snprintf(buf, len, "../../user/%u", inum);
		return ret ? -ENOENT : 0;
	case CRFS_NS_F_PARENT:
		if (!crfs_ns_types[d.type].has_parent)
			return -ENOENT;
		ret = crfs_ns_related(handle, NS_GET_PARENT, &inum);
		if (!ret)
			snprintf(buf, len, "../%u", inum);
		return ret ? -ENOENT : 0;
	}
	return -ENOENT;
}

/* --- a container's ns/: links to its first process's namespaces --- */

static int crfs_ns_ct_target(struct crfs_ct *ct, unsigned int type,
			     char *buf, size_t len)
{
	pid_t *pids;
	int n;

	n = cr_cgroup_pids(ct->cgdir, &pids);
	if (n < 0)
		return n;
	if (n > 0)
		snprintf(buf, len, "/proc/%d/ns/%s", pids[0],
			 crfs_ns_types[type].name);
	free(pids);
	return n > 0 ? 0 : -ENOENT;
}

/* --- stat and entries --- */

static void crfs_ns_stat(fuse_ino_t ino, mode_t mode, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = mode;
	st->st_nlink = S_ISDIR(mode) ? 2 : 1;
	st->st_blksize = 4096;
}

/**
 * crfs_fuse_ns_ino() - is @ino part of the namespace view
 * @ino: an inode number
 *
 * Return: true for the ns/ tree and for the containers' ns/ directories.
 */
bool crfs_fuse_ns_ino(fuse_ino_t ino)
{
	return ino & (CRFS_NS_INO | CRFS_NS_CT_INO);
}

/**
 * crfs_fuse_ns_dir_stat() - the stat of ns/ at the root or in a container
 * @ct: the container, or NULL for the root's
 * @st: filled
 */
void crfs_fuse_ns_dir_stat(struct crfs_ct *ct, struct stat *st)
{
	if (ct)
		crfs_ns_stat(CRFS_NS_CT_INO | ct->id << CRFS_INO_SHIFT,
			     S_IFDIR | 0555, st);
	else
		crfs_ns_stat(CRFS_NS_INO, S_IFDIR | 0555, st);
}

static void crfs_ns_reply_entry(fuse_req_t req, const struct stat *st)
{
	struct fuse_entry_param e = { .ino = st->st_ino, .attr = *st };

	fuse_reply_entry(req, &e);
}

/**
 * crfs_fuse_ns_entry() - reply to the lookup of ns/ at the root or in @ct
 * @req: the lookup request
 * @ct: the container, or NULL
 */
void crfs_fuse_ns_entry(fuse_req_t req, struct crfs_ct *ct)
{
	struct stat st;

	crfs_fuse_ns_dir_stat(ct, &st);
	crfs_ns_reply_entry(req, &st);
}

/* Fill @st for any inode of the view; -ENOENT when it is gone. */
static int crfs_ns_getattr_ino(struct crfs_fs *fs, fuse_ino_t ino,
			       struct stat *st)
{
	char buf[PATH_MAX];
	struct crfs_ns_ino d;
	struct crfs_ct *ct;
	int ret = 0;

	if (ino & CRFS_NS_CT_INO) {
		unsigned int type = ino & ((1U << CRFS_INO_SHIFT) - 1);

		ct = crfs_ct_get(fs, (ino & ~CRFS_NS_CT_INO) >> CRFS_INO_SHIFT);
		if (!ct)
			return -ENOENT;
		if (type > CRFS_NS_NR_TYPES)
			ret = -ENOENT;
		else if (type)
			ret = crfs_ns_ct_target(ct, type - 1, buf, sizeof(buf));
		if (!ret)
			crfs_ns_stat(ino, type ? S_IFLNK | 0777 : S_IFDIR | 0555,
				     st);
		crfs_ct_put(ct);
		return ret;
	}
	if (ino == CRFS_NS_INO) {
		crfs_ns_stat(ino, S_IFDIR | 0555, st);
		return 0;
	}
	d = crfs_ns_decode(ino);
	if (d.type < 0 || d.type >= (int)CRFS_NS_NR_TYPES || d.file >= CRFS_NS_F_NR)
		return -ENOENT;
	if (!d.inum && d.file == CRFS_NS_F_DIR) {
		crfs_ns_stat(ino, S_IFDIR | 0555, st);	/* ns/TYPE */
		return 0;
	}
	ret = crfs_ns_target(crfs_ns_view(fs), d, buf, sizeof(buf));
	if (!ret)
		crfs_ns_stat(ino, d.file ? crfs_ns_files[d.file].mode :
			     S_IFDIR | 0555, st);
	return ret;
}

static void crfs_ns_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct crfs_fs *fs = crfs_ns_fs(req);
	struct crfs_ns_ino d = crfs_ns_decode(parent);
	fuse_ino_t ino = 0;
	unsigned int f;
	struct stat st;
	char *end;
	int t, ret;

	if (parent & CRFS_NS_CT_INO) {
		t = crfs_ns_type_find(name);
		if (t >= 0)
			ino = parent | (t + 1);
	} else if (parent == CRFS_NS_INO) {
		t = crfs_ns_type_find(name);
		if (t >= 0)
			ino = crfs_ns_encode(t, 0, CRFS_NS_F_DIR);
	} else if (!d.inum) {
		unsigned long inum = strtoul(name, &end, 10);

		if (*name && !*end && inum && inum <= 0xffffffffUL)
			ino = crfs_ns_encode(d.type, inum, CRFS_NS_F_DIR);
	} else {
		for (f = CRFS_NS_F_EVENTS; f < CRFS_NS_F_NR; f++)
			if (!strcmp(crfs_ns_files[f].name, name))
				ino = parent | f;
	}
	ret = ino ? crfs_ns_getattr_ino(fs, ino, &st) : -ENOENT;
	if (ret)
		fuse_reply_err(req, -ret);
	else
		crfs_ns_reply_entry(req, &st);
}

static void crfs_ns_getattr(fuse_req_t req, fuse_ino_t ino,
			    struct fuse_file_info *fi)
{
	struct stat st;
	int ret;

	(void)fi;
	ret = crfs_ns_getattr_ino(crfs_ns_fs(req), ino, &st);
	if (ret)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_attr(req, &st, 0);
}

static void crfs_ns_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct crfs_fs *fs = crfs_ns_fs(req);
	char buf[PATH_MAX];
	struct crfs_ct *ct;
	int ret = -EINVAL;

	if (ino & CRFS_NS_CT_INO) {
		ct = crfs_ct_get(fs, (ino & ~CRFS_NS_CT_INO) >> CRFS_INO_SHIFT);
		if (ct) {
			ret = crfs_ns_ct_target(ct, (ino & 0xf) - 1, buf,
						sizeof(buf));
			crfs_ct_put(ct);
		} else {
			ret = -ENOENT;
		}
	} else if (crfs_ns_decode(ino).file >= CRFS_NS_F_HANDLE) {
		ret = crfs_ns_target(crfs_ns_view(fs), crfs_ns_decode(ino), buf,
				     sizeof(buf));
	}
	if (ret)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_readlink(req, buf);
}

/* A readdir reply; entries whose offset is not above @off are skipped. */
struct crfs_ns_dirbuf {
	fuse_req_t	req;
	char		*buf;
	size_t		size, used;
	off_t		off;
	bool		full;
};

static void crfs_ns_dir_add(struct crfs_ns_dirbuf *db, const char *name,
			    fuse_ino_t ino, mode_t mode, off_t next)
{
	struct stat st = { .st_ino = ino, .st_mode = mode };
	size_t n;

	if (db->full || next <= db->off)
		return;
	n = fuse_add_direntry(db->req, db->buf + db->used, db->size - db->used,
			      name, &st, next);
	if (n > db->size - db->used)
		db->full = true;
	else
		db->used += n;
}

/* The entries of @ino after the dots; offsets from 3 on. */
static int crfs_ns_readdir_fill(struct crfs_fs *fs, fuse_ino_t ino,
				struct crfs_ns_dirbuf *db)
{
	struct crfs_ns_ino d = crfs_ns_decode(ino);
	char name[16], target[PATH_MAX];
	struct crfs_ns_view *v;
	unsigned int f, t;
	size_t i;
	int ret;

	if (ino & CRFS_NS_CT_INO || ino == CRFS_NS_INO) {
		for (t = 0; t < CRFS_NS_NR_TYPES; t++)
			crfs_ns_dir_add(db, crfs_ns_types[t].name,
					ino & CRFS_NS_CT_INO ? ino | (t + 1) :
					crfs_ns_encode(t, 0, 0),
					ino & CRFS_NS_CT_INO ? S_IFLNK : S_IFDIR,
					t + 3);
		return 0;
	}
	v = crfs_ns_view(fs);
	if (d.inum) {
		for (f = CRFS_NS_F_EVENTS; f < CRFS_NS_F_NR; f++) {
			d.file = f;
			if (!crfs_ns_target(v, d, target, sizeof(target)))
				crfs_ns_dir_add(db, crfs_ns_files[f].name,
						ino | f, crfs_ns_files[f].mode,
						f + 3);
		}
		return 0;
	}
	if (!v)
		return -ENOMEM;
	pthread_mutex_lock(&v->lock);
	ret = crfs_ns_refresh(v);
	for (i = 0; !ret && i < v->nr; i++) {
		if (v->ns[i].type != (unsigned int)d.type)
			continue;
		snprintf(name, sizeof(name), "%u", v->ns[i].inum);
		crfs_ns_dir_add(db, name, crfs_ns_encode(d.type, v->ns[i].inum, 0),
				S_IFDIR, (off_t)v->ns[i].inum + 3);
	}
	pthread_mutex_unlock(&v->lock);
	return ret;
}

static void crfs_ns_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
			    off_t off, struct fuse_file_info *fi)
{
	struct crfs_ns_dirbuf db = { .req = req, .size = size, .off = off };
	struct stat st;
	int ret;

	(void)fi;
	ret = crfs_ns_getattr_ino(crfs_ns_fs(req), ino, &st);
	if (!ret && !S_ISDIR(st.st_mode))
		ret = -ENOTDIR;
	db.buf = ret ? NULL : malloc(size);
	if (!ret && !db.buf)
		ret = -ENOMEM;
	if (!ret) {
		crfs_ns_dir_add(&db, ".", ino, S_IFDIR, 1);
		crfs_ns_dir_add(&db, "..", FUSE_ROOT_ID, S_IFDIR, 2);
		ret = crfs_ns_readdir_fill(crfs_ns_fs(req), ino, &db);
	}
	if (ret)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_buf(req, db.buf, db.used);
	free(db.buf);
}

/* --- events --- */

static struct crfs_ns_fh *crfs_ns_fh(struct fuse_file_info *fi)
{
	return (struct crfs_ns_fh *)(uintptr_t)fi->fh;
}

static void crfs_ns_open(fuse_req_t req, fuse_ino_t ino,
			 struct fuse_file_info *fi)
{
	struct crfs_fs *fs = crfs_ns_fs(req);
	struct crfs_ns_ino d = crfs_ns_decode(ino);
	struct crfs_ns_view *v = crfs_ns_view(fs);
	struct crfs_ns_fh *fh;
	struct stat st;
	int ret;

	ret = v ? crfs_ns_getattr_ino(fs, ino, &st) : -ENOMEM;
	if (!ret && S_ISDIR(st.st_mode))
		ret = -EISDIR;
	else if (!ret && (ino & CRFS_NS_CT_INO || d.file != CRFS_NS_F_EVENTS))
		ret = -ELOOP;		/* a link the kernel did not follow */
	else if (!ret && (fi->flags & O_ACCMODE) != O_RDONLY)
		ret = -EACCES;
	fh = ret ? NULL : calloc(1, sizeof(*fh));
	if (!ret && !fh)
		ret = -ENOMEM;
	if (ret) {
		fuse_reply_err(req, -ret);
		return;
	}
	fh->type = d.type;
	fh->inum = d.inum;
	fi->fh = (uintptr_t)fh;
	fi->direct_io = 1;
	pthread_mutex_lock(&v->lock);
	crfs_poller_add(&v->pollers, &fh->poller);
	if (!v->watching && !v->stopping) {
		/* A watcher that saw no poller left is gone, or going. */
		if (v->joinable)
			pthread_join(v->watcher, NULL);
		v->joinable = false;
		if (!pthread_create(&v->watcher, NULL, crfs_ns_watch, v))
			v->joinable = v->watching = true;
	}
	pthread_mutex_unlock(&v->lock);
	fuse_reply_open(req, fi);
}

static void crfs_ns_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			 struct fuse_file_info *fi)
{
	struct crfs_ns_view *v = crfs_ns_view(crfs_ns_fs(req));
	struct crfs_ns_fh *fh = crfs_ns_fh(fi);
	char text[16];
	int len;

	(void)ino;
	pthread_mutex_lock(&v->lock);
	if (!fh->dead && !crfs_ns_refresh(v) &&
	    !crfs_ns_find(v, fh->type, fh->inum))
		fh->dead = true;
	len = snprintf(text, sizeof(text), "live %d\n", !fh->dead);
	pthread_mutex_unlock(&v->lock);
	if (off >= len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, text + off,
			       (size_t)(len - off) < size ? (size_t)(len - off) : size);
}

/* Not ready while the namespace is seen; readable, PRI and ERR once gone. */
static void crfs_ns_poll(fuse_req_t req, fuse_ino_t ino,
			 struct fuse_file_info *fi, struct fuse_pollhandle *ph)
{
	struct crfs_ns_view *v = crfs_ns_view(crfs_ns_fs(req));
	struct crfs_ns_fh *fh = crfs_ns_fh(fi);
	unsigned int revents;

	(void)ino;
	pthread_mutex_lock(&v->lock);
	revents = crfs_poller_poll(&fh->poller, fh->dead, ph);
	pthread_mutex_unlock(&v->lock);
	fuse_reply_poll(req, revents);
}

static void crfs_ns_release(fuse_req_t req, fuse_ino_t ino,
			    struct fuse_file_info *fi)
{
	struct crfs_ns_view *v = crfs_ns_view(crfs_ns_fs(req));
	struct crfs_ns_fh *fh = crfs_ns_fh(fi);

	(void)ino;
	pthread_mutex_lock(&v->lock);
	crfs_poller_del(&v->pollers, &fh->poller);
	pthread_mutex_unlock(&v->lock);
	free(fh);
	fuse_reply_err(req, 0);
}

static void crfs_ns_flush(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	(void)ino, (void)fi;
	fuse_reply_err(req, 0);
}

/**
 * crfs_fuse_ns_shutdown() - the mount goes: stop the watcher, free the view
 * @fs: the mount, whose request loop has ended
 *
 * Events files still open never get their release: they go with the view.
 */
void crfs_fuse_ns_shutdown(struct crfs_fs *fs)
{
	struct crfs_ns_view *v;
	struct crfs_poller *p, *next;
	bool join;

	pthread_mutex_lock(&fs->lock);
	v = fs->ns;
	fs->ns = NULL;
	pthread_mutex_unlock(&fs->lock);
	if (!v)
		return;
	pthread_mutex_lock(&v->lock);
	v->stopping = true;
	join = v->joinable;
	pthread_mutex_unlock(&v->lock);
	if (join)
		pthread_join(v->watcher, NULL);	/* within CRFS_NS_SCAN_MS */
	for (p = v->pollers; p; p = next) {
		next = p->next;
		if (p->ph)
			fuse_pollhandle_destroy(p->ph);
		free(crfs_container_of(p, struct crfs_ns_fh, poller));
	}
	free(v->ns);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

const struct fuse_lowlevel_ops crfs_fuse_ns_ops = {
	.lookup		= crfs_ns_lookup,
	.getattr	= crfs_ns_getattr,
	.readlink	= crfs_ns_readlink,
	.readdir	= crfs_ns_readdir,
	.open		= crfs_ns_open,
	.read		= crfs_ns_read,
	.poll		= crfs_ns_poll,
	.flush		= crfs_ns_flush,
	.release	= crfs_ns_release,
};
