// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The model of a container (model.h): its arrays, which grow with what
 * arrives; its id indexes (sort, then bisection); the resolution of ids
 * into pointers once everything is read; and freeing it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

int cr_grow(void *arrp, uint32_t i, size_t size)
{
	void **arr = arrp, *n;

	if (i && (i & (i - 1))) {
		memset((char *)*arr + (size_t)i * size, 0, size);
		return 0;
	}
	n = realloc(*arr, (size_t)(i ? 2 * (size_t)i : 1) * size);
	if (!n)
		return -ENOMEM;
	*arr = n;
	memset((char *)n + (size_t)i * size, 0, size);
	return 0;
}

/* Append one zeroed entry to *@arrp holding *@nr; NULL with *@err set. */
static void *cr_append(void *arrp, uint32_t *nr, size_t size, int *err)
{
	void **arr = arrp;

	if (*nr >= CRFS_MAX_OBJECTS) {
		*err = -E2BIG;
		return NULL;
	}
	if (cr_grow(arrp, *nr, size)) {
		*err = -ENOMEM;
		return NULL;
	}
	return (char *)*arr + (size_t)(*nr)++ * size;
}

struct cr_file *cr_model_new_file(struct cr_model *m, int *err)
{
	return cr_append(&m->files, &m->nr_files, sizeof(*m->files), err);
}

struct cr_shmem *cr_model_new_shmem(struct cr_model *m, int *err)
{
	return cr_append(&m->shmems, &m->nr_shmems, sizeof(*m->shmems), err);
}

struct cr_ipc *cr_model_new_ipc(struct cr_model *m, int *err)
{
	return cr_append(&m->ipcs, &m->nr_ipcs, sizeof(*m->ipcs), err);
}

struct cr_ipc *cr_model_ipc(const struct cr_model *m, uint32_t id)
{
	uint32_t lo = 0, hi = m->nr_ipcs;

	while (id && lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (m->ipcs[mid].i.id == id)
			return &m->ipcs[mid];
		if (m->ipcs[mid].i.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct cr_mm *cr_model_new_mm(struct cr_model *m, int *err)
{
	return cr_append(&m->mms, &m->nr_mms, sizeof(*m->mms), err);
}

struct cr_vma *cr_model_new_vma(struct cr_mm *mm, int *err)
{
	return cr_append(&mm->vmas, &mm->nr_vmas, sizeof(*mm->vmas), err);
}

struct cr_fdtable *cr_model_new_fdtable(struct cr_model *m, int *err)
{
	return cr_append(&m->fdts, &m->nr_fdts, sizeof(*m->fdts), err);
}

/* See model.h. */
const struct cr_fd *cr_model_fd(const struct cr_fdtable *t, int32_t fd)
{
	uint32_t lo = 0, hi = t->nr_fds;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if ((int64_t)t->fds[mid].d.fd < fd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->nr_fds && (int64_t)t->fds[lo].d.fd == fd ?
	       &t->fds[lo] : NULL;
}

struct cr_fd *cr_model_new_fd(struct cr_fdtable *t, int *err)
{
	return cr_append(&t->fds, &t->nr_fds, sizeof(*t->fds), err);
}

struct cr_lock *cr_model_new_lock(struct cr_model *m, int *err)
{
	return cr_append(&m->locks, &m->nr_locks, sizeof(*m->locks), err);
}

struct cr_fs *cr_model_new_fs(struct cr_model *m, int *err)
{
	return cr_append(&m->fss, &m->nr_fss, sizeof(*m->fss), err);
}

struct cr_sighand *cr_model_new_sighand(struct cr_model *m, int *err)
{
	return cr_append(&m->sighands, &m->nr_sighands, sizeof(*m->sighands),
			 err);
}

struct cr_task *cr_model_new_task(struct cr_model *m, int *err)
{
	return cr_append(&m->tasks, &m->nr_tasks, sizeof(*m->tasks), err);
}

struct cr_thread *cr_model_new_thread(struct cr_task *t, int *err)
{
	return cr_append(&t->threads, &t->nr_threads, sizeof(*t->threads),
			 err);
}

struct crfs_sigpending *cr_model_new_sig(struct cr_sigq *q, int *err)
{
	return cr_append(&q->sig, &q->nr, sizeof(*q->sig), err);
}

struct crfs_timer *cr_model_new_timer(struct cr_task *t, int *err)
{
	return cr_append(&t->timers, &t->nr_timers, sizeof(*t->timers), err);
}

struct cr_seccomp *cr_model_new_seccomp(struct cr_thread *th, int *err)
{
	return cr_append(&th->seccomp, &th->nr_seccomp, sizeof(*th->seccomp),
			 err);
}

/* The id of entry @i of kind @k. */
static uint32_t cr_kind_id(const struct cr_model *m, enum cr_model_kind k,
			   uint32_t i)
{
	switch (k) {
	case CR_K_FILE:		return m->files[i].f.id;
	case CR_K_SHMEM:	return m->shmems[i].s.id;
	case CR_K_MM:		return m->mms[i].m.id;
	case CR_K_FDTABLE:	return m->fdts[i].t.id;
	case CR_K_FS:		return m->fss[i].f.id;
	case CR_K_SIGHAND:	return m->sighands[i].s.id;
	default:		return m->tasks[i].t.pid;
	}
}

/* How many objects of kind @k there are. */
static uint32_t cr_kind_nr(const struct cr_model *m, enum cr_model_kind k)
{
	const uint32_t nr[CR_K_NR] = {
		m->nr_files, m->nr_shmems, m->nr_mms, m->nr_fdts, m->nr_fss,
		m->nr_sighands, m->nr_tasks,
	};

	return nr[k];
}

static int cr_id_cmp(const void *pa, const void *pb)
{
	const struct cr_id_ent *a = pa, *b = pb;

	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

int cr_model_index(struct cr_model *m, enum cr_model_kind k, uint32_t *dup)
{
	struct cr_ids *ids = &m->ids[k];
	uint32_t n = cr_kind_nr(m, k), i;

	free(ids->ent);
	ids->nr = 0;
	ids->ent = malloc((n ? n : 1) * sizeof(*ids->ent));
	if (!ids->ent)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		ids->ent[i] = (struct cr_id_ent){ cr_kind_id(m, k, i), i };
	qsort(ids->ent, n, sizeof(*ids->ent), cr_id_cmp);
	ids->nr = n;
	for (i = 1; i < n; i++)
		if (ids->ent[i].id == ids->ent[i - 1].id) {
			*dup = ids->ent[i].id;
			return -EEXIST;
		}
	return 0;
}

int64_t cr_model_find(const struct cr_model *m, enum cr_model_kind k,
		      uint32_t id)
{
	const struct cr_ids *ids = &m->ids[k];
	uint32_t lo = 0, hi = ids->nr;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (ids->ent[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < ids->nr && ids->ent[lo].id == id)
		return ids->ent[lo].idx;
	return -1;
}

struct cr_file *cr_model_file(const struct cr_model *m, uint32_t id)
{
	int64_t i = id ? cr_model_find(m, CR_K_FILE, id) : -1;

	return i < 0 ? NULL : &m->files[i];
}

struct cr_shmem *cr_model_shmem(const struct cr_model *m, uint32_t id)
{
	int64_t i = id ? cr_model_find(m, CR_K_SHMEM, id) : -1;

	return i < 0 ? NULL : &m->shmems[i];
}

struct cr_mm *cr_model_mm(const struct cr_model *m, uint32_t id)
{
	int64_t i = id ? cr_model_find(m, CR_K_MM, id) : -1;

	return i < 0 ? NULL : &m->mms[i];
}

/* A pointer to entry @id of kind @k, NULL for none. */
static void *cr_model_ptr(const struct cr_model *m, enum cr_model_kind k,
			  uint32_t id)
{
	int64_t i = id ? cr_model_find(m, k, id) : -1;

	if (i < 0)
		return NULL;
	switch (k) {
	case CR_K_FILE:		return &m->files[i];
	case CR_K_SHMEM:	return &m->shmems[i];
	case CR_K_MM:		return &m->mms[i];
	case CR_K_FDTABLE:	return &m->fdts[i];
	case CR_K_FS:		return &m->fss[i];
	case CR_K_SIGHAND:	return &m->sighands[i];
	default:		return &m->tasks[i];
	}
}

void cr_model_resolve(struct cr_model *m)
{
	uint32_t i, j;

	for (i = 0; i < m->nr_shmems; i++)
		m->shmems[i].nr_vmas = 0;
	for (i = 0; i < m->nr_ipcs; i++)
		m->ipcs[i].nr_vmas = 0;
	for (i = 0; i < m->nr_mms; i++) {
		struct cr_mm *mm = &m->mms[i];

		mm->exe = cr_model_ptr(m, CR_K_FILE, mm->m.exe_file_id);
		for (j = 0; j < mm->nr_vmas; j++) {
			struct cr_vma *v = &mm->vmas[j];

			v->file = cr_model_ptr(m, CR_K_FILE, v->v.file_id);
			v->shmem = cr_model_ptr(m, CR_K_SHMEM, v->v.shmem_id);
			if (v->shmem)
				v->shmem->nr_vmas++;
			v->ipc = cr_model_ipc(m, v->v.ipc_id);
			if (v->ipc)
				v->ipc->nr_vmas++;
		}
	}
	for (i = 0; i < m->nr_fdts; i++)
		for (j = 0; j < m->fdts[i].nr_fds; j++)
			m->fdts[i].fds[j].file =
				cr_model_ptr(m, CR_K_FILE,
					     m->fdts[i].fds[j].d.file_id);
	for (i = 0; i < m->nr_locks; i++) {
		m->locks[i].file = cr_model_ptr(m, CR_K_FILE,
						m->locks[i].l.file_id);
		m->locks[i].owner = cr_model_ptr(m, CR_K_FDTABLE,
						 m->locks[i].l.owner);
	}
	for (i = 0; i < m->nr_fss; i++) {
		m->fss[i].cwd = cr_model_ptr(m, CR_K_FILE,
					     m->fss[i].f.cwd_file_id);
		m->fss[i].root = cr_model_ptr(m, CR_K_FILE,
					      m->fss[i].f.root_file_id);
	}
	for (i = 0; i < m->nr_tasks; i++) {
		struct cr_task *t = &m->tasks[i];

		t->mm = cr_model_ptr(m, CR_K_MM, t->t.mm_id);
		t->fdt = cr_model_ptr(m, CR_K_FDTABLE, t->t.fdtable_id);
		t->fs = cr_model_ptr(m, CR_K_FS, t->t.fs_id);
		t->sighand = cr_model_ptr(m, CR_K_SIGHAND, t->t.sighand_id);
		if (t->mm && !t->mm->pid)
			t->mm->pid = t->t.pid;
		if (t->fdt && !t->fdt->pid)
			t->fdt->pid = t->t.pid;
		if (t->fs && !t->fs->pid)
			t->fs->pid = t->t.pid;
		if (t->sighand && !t->sighand->pid)
			t->sighand->pid = t->t.pid;
		for (j = 0; j < t->nr_threads; j++)
			t->threads[j].task = t;
	}
}

uint32_t cr_model_vma_find(const struct cr_mm *mm, uint64_t addr)
{
	uint32_t lo = 0, hi = mm->nr_vmas;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (mm->vmas[mid].v.end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* One mapping of a SHMEM: its range in the object and its address. */
struct cr_shm_map {
	uint32_t	shmem;		/* index in m->shmems */
	uint32_t	mm;		/* of the mapping, in m->mms */
	uint64_t	start, end, addr;
};

static int cr_shm_map_cmp(const void *pa, const void *pb)
{
	const struct cr_shm_map *a = pa, *b = pb;

	if (a->shmem != b->shmem)
		return a->shmem < b->shmem ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->end < b->end ? 1 : a->end > b->end ? -1 : 0;
}

/*
 * Sorted by object and offset, each mapping adds the part of its range
 * above what the ones before reached: windows apart, each mapped.
 */
int cr_model_shmem_windows(struct cr_model *m)
{
	struct cr_shm_map *maps = NULL;
	uint32_t n = 0, i, j;
	int err = 0;

	for (i = 0; i < m->nr_mms; i++)
		for (j = 0; j < m->mms[i].nr_vmas; j++) {
			const struct cr_vma *v = &m->mms[i].vmas[j];

			if (!v->shmem)
				continue;
			if (cr_grow(&maps, n, sizeof(*maps)))
				return -ENOMEM;
			maps[n++] = (struct cr_shm_map){
				.shmem = v->shmem - m->shmems,
				.mm = i,
				.start = v->v.pgoff,
				.end = v->v.pgoff + (v->v.end - v->v.start),
				.addr = v->v.start,
			};
		}
	if (n)
		qsort(maps, n, sizeof(*maps), cr_shm_map_cmp);
	for (i = 0; i < m->nr_shmems; i++) {
		free(m->shmems[i].win);
		m->shmems[i].win = NULL;
		m->shmems[i].nr_win = 0;
	}
	for (i = 0; i < n && !err; i++) {
		struct cr_shmem *s = &m->shmems[maps[i].shmem];
		uint64_t from = maps[i].start;

		if (s->nr_win && s->win[s->nr_win - 1].end > from)
			from = s->win[s->nr_win - 1].end;
		if (from >= maps[i].end)
			continue;
		if (cr_grow(&s->win, s->nr_win, sizeof(*s->win))) {
			err = -ENOMEM;
			break;
		}
		s->win[s->nr_win++] = (struct cr_shmem_win){
			from, maps[i].end, maps[i].addr + (from - maps[i].start),
			maps[i].mm,
		};
	}
	free(maps);
	return err;
}

void cr_model_free(struct cr_model *m)
{
	uint32_t i, j;

	for (i = 0; i < m->nr_files; i++) {
		free(m->files[i].path);
		cr_file_free_ev(&m->files[i]);
	}
	for (i = 0; i < m->nr_shmems; i++)
		free(m->shmems[i].win);
	for (i = 0; i < m->nr_mms; i++) {
		for (j = 0; j < m->mms[i].nr_vmas; j++)
			free(m->mms[i].vmas[j].name);
		free(m->mms[i].vmas);
	}
	for (i = 0; i < m->nr_fdts; i++)
		free(m->fdts[i].fds);
	for (i = 0; i < m->nr_tasks; i++) {
		struct cr_task *t = &m->tasks[i];

		for (j = 0; j < t->nr_threads; j++) {
			free(t->threads[j].pending.sig);
			for (uint32_t k = 0; k < t->threads[j].nr_seccomp; k++)
				free(t->threads[j].seccomp[k].insns);
			free(t->threads[j].seccomp);
			cr_arch_thread_free(&t->threads[j].arch);
		}
		free(t->threads);
		free(t->groups);
		free(t->pending.sig);
		free(t->timers);
	}
	for (i = 0; i < m->nr_ipcs; i++)
		free(m->ipcs[i].payload);
	free(m->ipcs);
	free(m->files);
	free(m->shmems);
	free(m->mms);
	free(m->fdts);
	free(m->locks);
	free(m->fss);
	free(m->sighands);
	free(m->tasks);
	for (i = 0; i < CR_K_NR; i++)
		free(m->ids[i].ent);
	memset(m, 0, sizeof(*m));
}
