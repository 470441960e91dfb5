// SPDX-License-Identifier: GPL-2.0
/*
 * The object records of a restore, read before the first TASK: FILE and
 * IPCNS, each MM with its VMAs, each FDTABLE with its FDs, FS, SIGHAND,
 * kept by id (r->files, mms, fdts, fss, sighands) until each TASK binds
 * its own (crfs_rst_bind(), rst-tree.c).  Each checked as it comes by
 * the rules crfs-image verify applies to what the kernel restores.
 */
#include <linux/slab.h>

#include "crfs.h"
#include "ckpt.h"
#include "rst.h"

/* Room for one more of @nr objects of @size at *@arr; an object before any TASK. */
static int crfs_rst_grow(struct crfs_rst *r, void **arr, unsigned int nr,
			 size_t size, const char *what)
{
	void *n;

	if (r->nr_procs)
		return crfs_rst_refuse(r, -EINVAL, "%s: after the first process", what);
	if (nr == CRFS_RST_MAX_PROCS)
		return crfs_rst_refuse(r, -EOPNOTSUPP, "more than %d of %s: kernel: not yet",
				       CRFS_RST_MAX_PROCS, what);
	n = krealloc_array(*arr, nr + 1, size, GFP_KERNEL);
	if (!n)
		return -ENOMEM;
	*arr = n;
	memset((char *)n + nr * size, 0, size);
	return 0;
}

/* CRFS_REC_FILE: a description; its path after it. */
int crfs_rst_rec_file(struct crfs_rst *r, void *p, size_t len)
{
	struct crfs_rst_file *rf, *n;
	struct crfs_file f;
	char *path;

	memcpy(&f, p, sizeof(f));
	path = (char *)p + sizeof(f);
	if (!f.path_len || f.path_len > CRFS_PATH_MAX ||
	    ALIGN(sizeof(f) + ALIGN(f.path_len, 8) + (size_t)f.ext_len, 8) != len ||
	    strnlen(path, f.path_len) != f.path_len - 1)
		return crfs_rst_refuse(r, -EINVAL, "file %u: bad path length", f.id);
	if (!f.id || crfs_rst_file_by_id(r, f.id))
		return crfs_rst_refuse(r, -EINVAL, "file %u: id zero or twice", f.id);
	if (r->nr_files == CRFS_RST_MAX_FILES)
		return crfs_rst_refuse(r, -EOPNOTSUPP, "more than %d files: kernel: not yet",
				       CRFS_RST_MAX_FILES);
	n = krealloc_array(r->files, r->nr_files + 1, sizeof(*n), GFP_KERNEL);
	if (!n)
		return -ENOMEM;
	r->files = n;
	rf = &r->files[r->nr_files];
	memset(rf, 0, sizeof(*rf));
	rf->f = f;
	rf->path = kstrdup(path, GFP_KERNEL);
	if (!rf->path)
		return -ENOMEM;
	/* a pipe's state and data (the other kinds' are refused) */
	if (f.kind == CRFS_FILE_PIPE && f.ext_len) {
		rf->ext = kvmemdup(path + ALIGN(f.path_len, 8), f.ext_len,
				   GFP_KERNEL);
		if (!rf->ext) {
			kfree(rf->path);
			return -ENOMEM;
		}
	}
	r->nr_files++;
	return crfs_rst_check_file(r, rf);
}

/* CRFS_REC_IPCNS: the container's own, empty, IPC namespace. */
int crfs_rst_rec_ipcns(struct crfs_rst *r, void *p, size_t len)
{
	if (r->have_ipcns || r->nr_procs)
		return crfs_rst_refuse(r, -EINVAL, "ipc namespace: twice, or after the process");
	memcpy(&r->ipcns, p, sizeof(r->ipcns));
	r->have_ipcns = true;
	return 0;
}

/* CRFS_REC_MM: an address space. */
int crfs_rst_rec_mm(struct crfs_rst *r, void *p, size_t len)
{
	struct crfs_rst_mm *m;
	unsigned int i;
	int ret;

	ret = crfs_rst_grow(r, (void **)&r->mms, r->nr_mms, sizeof(*m), "address spaces");
	if (ret)
		return ret;
	m = &r->mms[r->nr_mms];
	memcpy(&m->mm, p, sizeof(m->mm));
	for (i = 0; i < r->nr_mms; i++)
		if (r->mms[i].mm.id == m->mm.id || r->mms[i].nr_vmas != r->mms[i].mm.nr_vmas)
			break;
	if (!m->mm.id || i < r->nr_mms || m->mm.nr_vmas > CRFS_RST_MAX_VMAS ||
	    m->mm.auxv_words > CRFS_AUXV_WORDS || m->mm.auxv_words % 2)
		return crfs_rst_refuse(r, -EINVAL,
				       "address space %u: bad or repeated id, mappings or auxv",
				       m->mm.id);
	m->vmas = kvcalloc(m->mm.nr_vmas ?: 1, sizeof(*m->vmas), GFP_KERNEL);
	if (!m->vmas)
		return -ENOMEM;
	r->nr_mms++;
	return 0;
}

/* CRFS_REC_VMA: a mapping of the address space before, in address order. */
int crfs_rst_rec_vma(struct crfs_rst *r, void *p, size_t len)
{
	struct crfs_rst_mm *m = r->nr_mms ? &r->mms[r->nr_mms - 1] : NULL;
	struct crfs_vma v;

	memcpy(&v, p, sizeof(v));
	if (!m || r->nr_procs || v.mm_id != m->mm.id || m->nr_vmas == m->mm.nr_vmas)
		return crfs_rst_refuse(r, -EINVAL,
				       "mapping %llx-%llx: of no address space, or one too many",
				       v.start, v.end);
	if (v.name_len || len != sizeof(v))
		return crfs_rst_refuse(r, -EOPNOTSUPP,
				       "mapping %llx-%llx: named anonymous memory: kernel: not yet",
				       v.start, v.end);
	if (m->nr_vmas && v.start < m->vmas[m->nr_vmas - 1].end)
		return crfs_rst_refuse(r, -EINVAL,
				       "mapping %llx-%llx: overlaps or is out of order",
				       v.start, v.end);
	m->vmas[m->nr_vmas] = v;
	if (crfs_rst_check_vma(r, &m->vmas[m->nr_vmas]))
		return r->err;
	m->nr_vmas++;
	return 0;
}

/* CRFS_REC_FDTABLE: an fd table. */
int crfs_rst_rec_fdtable(struct crfs_rst *r, void *p, size_t len)
{
	struct crfs_rst_fdt *t;
	unsigned int i;
	int ret;

	ret = crfs_rst_grow(r, (void **)&r->fdts, r->nr_fdts, sizeof(*t), "fd tables");
	if (ret)
		return ret;
	t = &r->fdts[r->nr_fdts];
	memcpy(&t->fdt, p, sizeof(t->fdt));
	for (i = 0; i < r->nr_fdts; i++)
		if (r->fdts[i].fdt.id == t->fdt.id || r->fdts[i].nr_fds != r->fdts[i].fdt.nr_fds)
			return crfs_rst_refuse(r, -EINVAL,
					       "fd table %u: repeated id, or after a table not whole",
					       t->fdt.id);
	if (!t->fdt.id || t->fdt.nr_fds > CRFS_RST_MAX_FDS)
		return crfs_rst_refuse(r, -EOPNOTSUPP, "fd table: %u descriptors: kernel: at most %d",
				       t->fdt.nr_fds, CRFS_RST_MAX_FDS);
	t->fds = kvcalloc(t->fdt.nr_fds ?: 1, sizeof(*t->fds), GFP_KERNEL);
	if (!t->fds)
		return -ENOMEM;
	r->nr_fdts++;
	return 0;
}

/* CRFS_REC_FD: a descriptor of the fd table before, in fd order. */
int crfs_rst_rec_fd(struct crfs_rst *r, void *p, size_t len)
{
	struct crfs_rst_fdt *t = r->nr_fdts ? &r->fdts[r->nr_fdts - 1] : NULL;
	struct crfs_rst_file *rf;
	struct crfs_fd fd;

	memcpy(&fd, p, sizeof(fd));
	if (!t || r->nr_procs || t->nr_fds == t->fdt.nr_fds ||
	    (t->nr_fds && fd.fd <= t->fds[t->nr_fds - 1].fd) || fd.cloexec > 1)
		return crfs_rst_refuse(r, -EINVAL, "fd %u: of no fd table, out of order or bad",
				       fd.fd);
	rf = crfs_rst_file_by_id(r, fd.file_id);
	if (!rf)
		return crfs_rst_refuse(r, -EINVAL, "fd %u: file %u: no such file",
				       fd.fd, fd.file_id);
	t->fds[t->nr_fds++] = fd;
	return 0;
}

/* CRFS_REC_FS: cwd, root, umask. */
int crfs_rst_rec_fs(struct crfs_rst *r, void *p, size_t len)
{
	struct crfs_rst_file *cwd, *root;
	struct crfs_fs *fs;
	unsigned int i;
	int ret;

	ret = crfs_rst_grow(r, (void **)&r->fss, r->nr_fss, sizeof(*fs), "fs");
	if (ret)
		return ret;
	fs = &r->fss[r->nr_fss];
	memcpy(fs, p, sizeof(*fs));
	cwd = crfs_rst_file_by_id(r, fs->cwd_file_id);
	root = crfs_rst_file_by_id(r, fs->root_file_id);
	for (i = 0; i < r->nr_fss && r->fss[i].id != fs->id; i++)
		;
	if (!fs->id || i < r->nr_fss || !cwd || !root || cwd->f.kind != CRFS_FILE_DIR ||
	    root->f.kind != CRFS_FILE_DIR || fs->umask & ~0777)
		return crfs_rst_refuse(r, -EINVAL, "fs %u: bad or repeated id, cwd, root or umask",
				       fs->id);
	r->nr_fss++;
	return 0;
}

/* CRFS_REC_SIGHAND: a table of signal actions. */
int crfs_rst_rec_sighand(struct crfs_rst *r, void *p, size_t len)
{
	struct crfs_sighand *sh;
	unsigned int i;
	int ret;

	ret = crfs_rst_grow(r, (void **)&r->sighands, r->nr_sighands, sizeof(sh),
			    "signal handler tables");
	if (ret)
		return ret;
	sh = p;
	for (i = 0; i < r->nr_sighands; i++)
		if (r->sighands[i]->id == sh->id)
			return crfs_rst_refuse(r, -EINVAL, "signal handlers %u: repeated id",
					       sh->id);
	r->sighands[r->nr_sighands] = kmemdup(p, sizeof(*sh), GFP_KERNEL);
	if (!r->sighands[r->nr_sighands])
		return -ENOMEM;
	r->nr_sighands++;
	return 0;
}
