// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "ipc": SysV IPC in the container's own IPC namespace.
 *
 * A container started by `crctl run` has an IPC namespace of its own:
 * every process of the container is in it and no process outside is.
 * The checkpoint enters it (setns() of the engine thread alone: a
 * namespace is per thread) to read its sysctls and every object: shared
 * memory segments (their pages through the segment's own shmem file,
 * attached once and opened through /proc/thread-self/map_files), semaphore
 * sets (GETALL) and message queues (msgrcv(MSG_COPY), which leaves them in
 * place), then goes back.  The restore makes a new IPC namespace for the
 * engine thread before the first process is created, so that every
 * process of the container is created in it, makes every object again
 * with its id (/proc/sys/kernel/{shm,sem,msg}_next_id), its key, its
 * creator (made with the creator's effective ids) and its owner and mode
 * (IPC_SET), fills it, and goes back once the processes are restored
 * (restore-ipc.c); a process's attachments are made by the process itself
 * (restore-mm.c).
 *
 * Refused, by name: a process in another IPC namespace than the first
 * process's; a namespace of the container that a process outside is in,
 * or a segment of it attached outside; a process with a SEM_UNDO list
 * (semadj: no interface reads or sets it); SysV shared memory of the
 * dumper's own namespace (the host's: not the container's to save).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kcmp.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "dump.h"
#include "ipc.h"

#ifndef MSG_COPY
#define MSG_COPY	040000
#endif
#ifndef SHM_STAT_ANY
#define SHM_STAT_ANY	15
#define SEM_STAT_ANY	20
#define MSG_STAT_ANY	13
#endif

#define IPC_CHUNK	(CRFS_PAGES_PER_REC * 4096UL)

/* The inode of IPC namespace link @path, 0 when it cannot be read. */
static uint64_t ipc_ns_ino(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

/* Read sysctl @name (one line of numbers) into @v (at most @n). */
static int ipc_sysctl_get(const char *name, uint64_t *v, int n,
			  struct cr_err *e)
{
	char path[64], buf[128], *p = buf, *end;
	ssize_t got;
	int fd, i;

	snprintf(path, sizeof(path), IPC_SYS "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cr_fail(e, errno, "ipc namespace: cannot open %s: %m",
			       path);
	got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (got <= 0)
		return cr_fail(e, got ? errno : EIO, "ipc namespace: cannot "
			       "read %s", path);
	buf[got] = 0;
	for (i = 0; i < n; i++, p = end) {
		errno = 0;
		v[i] = strtoull(p, &end, 10);
		if (end == p || errno)
			return cr_fail(e, EIO, "ipc namespace: %s: not %d "
				       "numbers: %s", path, n, buf);
	}
	return 0;
}

int cr_ipc_sysctl_set(const char *name, const char *text, struct cr_err *e)
{
	char path[64];
	ssize_t len = strlen(text);
	int fd, ok;

	snprintf(path, sizeof(path), IPC_SYS "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return cr_fail(e, errno, "ipc namespace: cannot open %s: %m",
			       path);
	ok = write(fd, text, len) == len;
	if (!ok)
		cr_fail(e, errno ? errno : EIO, "ipc namespace: cannot write "
			"%s to %s: %m", text, path);
	close(fd);
	return ok ? 0 : -e->err;
}

int cr_ipc_sysctl_num(const char *name, int64_t v, struct cr_err *e)
{
	char text[32];

	snprintf(text, sizeof(text), "%" PRId64, v);
	return cr_ipc_sysctl_set(name, text, e);
}

int cr_ipc_sysctl_u64(const char *name, uint64_t v, struct cr_err *e)
{
	char text[32];

	snprintf(text, sizeof(text), "%" PRIu64, v);
	return cr_ipc_sysctl_set(name, text, e);
}

int cr_ipc_shm_open(int id, uint64_t size, int flags, struct cr_err *e)
{
	uint64_t ps = sysconf(_SC_PAGESIZE);
	char path[96];
	void *at;
	int fd;

	at = shmat(id, NULL, flags == O_RDONLY ? SHM_RDONLY : 0);
	if (at == (void *)-1)
		return cr_fail(e, errno, "shm %d: cannot attach it: %m", id);
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)at,
		 (unsigned long)at + (unsigned long)((size + ps - 1) / ps * ps));
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		cr_fail(e, errno, "shm %d: cannot open %s: %m", id, path);
	shmdt(at);
	return fd < 0 ? -e->err : fd;
}

/* ------------------------------------------------------------ checkpoint */

/*
 * The sysctls of the namespace the calling thread is in: the limits by
 * IPC_INFO (a sysctl's first read in a namespace costs some 20 us), the
 * rest from /proc/sys/kernel.
 */
static int ipc_dump_sysctls(struct crfs_ipcns *n, struct cr_err *e)
{
	static const struct { const char *name; size_t off; } rest[] = {
		{ "shm_rmid_forced", offsetof(struct crfs_ipcns, shm_rmid_forced) },
		{ "shm_next_id", offsetof(struct crfs_ipcns, shm_next_id) },
		{ "msg_next_id", offsetof(struct crfs_ipcns, msg_next_id) },
		{ "sem_next_id", offsetof(struct crfs_ipcns, sem_next_id) },
	};
	struct shminfo shm;
	struct msginfo msg;
	struct seminfo sem;
	uint64_t v = 0;
	uint32_t v32;
	int ret;

	if (shmctl(0, IPC_INFO, (struct shmid_ds *)&shm) < 0 ||
	    msgctl(0, IPC_INFO, (struct msqid_ds *)&msg) < 0 ||
	    semctl(0, 0, IPC_INFO, &sem) < 0)
		return cr_fail(e, errno, "ipc namespace: IPC_INFO: %m");
	n->shmmax = shm.shmmax;
	n->shmall = shm.shmall;
	n->shmmni = shm.shmmni;
	n->msgmax = msg.msgmax;
	n->msgmnb = msg.msgmnb;
	n->msgmni = msg.msgmni;
	n->sem[0] = sem.semmsl;
	n->sem[1] = sem.semmns;
	n->sem[2] = sem.semopm;
	n->sem[3] = sem.semmni;
	for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++) {
		ret = ipc_sysctl_get(rest[i].name, &v, 1, e);
		if (ret)
			return ret;
		v32 = v;
		memcpy((char *)n + rest[i].off, &v32, sizeof(v32));
	}
	return 0;
}

/* A new object of the model, its common fields from @perm. */
static struct cr_ipc *ipc_new(struct cr_dump *d, uint32_t kind, int id,
			      const struct ipc_perm *perm, struct cr_err *e)
{
	struct cr_ipc *c;
	int err = 0;

	c = cr_model_new_ipc(&d->m, &err);
	if (!c) {
		cr_fail(e, -err, "ipc namespace: too many objects");
		return NULL;
	}
	c->fd = -1;
	c->i.id = d->m.nr_ipcs;
	c->i.kind = kind;
	c->i.ipc_id = id;
	c->i.key = perm->__key;
	c->i.uid = perm->uid;
	c->i.gid = perm->gid;
	c->i.cuid = perm->cuid;
	c->i.cgid = perm->cgid;
	c->i.mode = perm->mode & 0777;
	return c;
}

/* Bytes of whole pages of data of shmem file @fd, holes left out. */
static bool ipc_extent(int fd, uint64_t size, uint64_t ps, uint64_t *off,
		       uint64_t *end)
{
	off_t a, b;

	if (*off >= size)
		return false;
	a = lseek(fd, *off, SEEK_DATA);
	if (a < 0)
		return false;
	b = lseek(fd, a, SEEK_HOLE);
	if (b < 0 || (uint64_t)b > size)
		b = size;
	*off = (uint64_t)a / ps * ps;
	*end = ((uint64_t)b + ps - 1) / ps * ps;
	return true;
}

/* Every segment of the namespace the thread is in. */
static int ipc_dump_shms(struct cr_dump *d, struct cr_err *e)
{
	uint64_t ps = sysconf(_SC_PAGESIZE), off, end;
	struct shmid_ds ds;
	struct shm_info info;
	struct statfs sfs;
	struct cr_ipc *c;
	int max, id;

	max = shmctl(0, SHM_INFO, (struct shmid_ds *)&info);
	if (max < 0)
		return cr_fail(e, errno, "ipc namespace: SHM_INFO: %m");
	for (int idx = 0; idx <= max; idx++) {
		id = shmctl(idx, SHM_STAT_ANY, &ds);
		if (id < 0)
			continue;
		if (d->m.ipcns.shm_rmid_forced)
			return cr_fail(e, EOPNOTSUPP, "ipc namespace: shm %d: "
				       "kernel.shm_rmid_forced is 1: its "
				       "segments' creators cannot be restored",
				       id);
		c = ipc_new(d, CRFS_IPC_SHM, id, &ds.shm_perm, e);
		if (!c)
			return -e->err;
		c->i.size = ds.shm_segsz;
		c->i.atime = ds.shm_atime;
		c->i.dtime = ds.shm_dtime;
		c->i.ctime = ds.shm_ctime;
		c->i.cpid = ds.shm_cpid;
		c->i.lpid = ds.shm_lpid;
		c->nattch = ds.shm_nattch;
		if (ds.shm_perm.mode & SHM_DEST)
			c->i.flags |= CRFS_IPC_F_DEST;
		if (ds.shm_perm.mode & SHM_LOCKED)
			c->i.flags |= CRFS_IPC_F_LOCKED;
		c->fd = cr_ipc_shm_open(id, c->i.size, O_RDONLY, e);
		if (c->fd < 0)
			return c->fd;
		/* A restore makes segments of shmem, not of huge pages. */
		if (fstatfs(c->fd, &sfs) || sfs.f_type != TMPFS_MAGIC)
			return cr_fail(e, EOPNOTSUPP, "ipc namespace: shm %d: "
				       "a segment of huge pages (SHM_HUGETLB) "
				       "is not supported", id);
		for (off = 0; ipc_extent(c->fd, c->i.size, ps, &off, &end);
		     off = end)
			c->i.data_size += end - off;
	}
	return 0;
}

/* Is semaphore set @id no longer the one @ds describes? */
static bool ipc_sem_changed(int id, const struct semid_ds *ds)
{
	struct semid_ds now;

	return semctl(id, 0, IPC_STAT, &now) < 0 ||
	       now.sem_nsems != ds->sem_nsems ||
	       now.sem_ctime != ds->sem_ctime ||
	       now.sem_perm.__key != ds->sem_perm.__key;
}

/* Every semaphore set, with its values. */
static int ipc_dump_sems(struct cr_dump *d, struct cr_err *e)
{
	struct seminfo info;
	struct semid_ds ds;
	struct cr_ipc *c;
	int max, id;

	max = semctl(0, 0, SEM_INFO, &info);
	if (max < 0)
		return cr_fail(e, errno, "ipc namespace: SEM_INFO: %m");
	for (int idx = 0; idx <= max; idx++) {
		id = semctl(idx, 0, SEM_STAT_ANY, &ds);
		if (id < 0)
			continue;
		c = ipc_new(d, CRFS_IPC_SEM, id, &ds.sem_perm, e);
		if (!c)
			return -e->err;
		c->i.size = c->i.nr = ds.sem_nsems;
		c->i.atime = ds.sem_otime;
		c->i.ctime = ds.sem_ctime;
		c->payload_len = cr_pad8(ds.sem_nsems * 2);
		c->payload = calloc(1, c->payload_len + 2);
		if (!c->payload)
			return cr_fail(e, ENOMEM, "out of memory");
		/*
		 * One value at a time, not GETALL: a set made again at this
		 * id meanwhile, bigger, would write past the payload.
		 */
		for (unsigned long k = 0; k < ds.sem_nsems; k++) {
			int v = semctl(id, k, GETVAL);

			if (v < 0)
				return cr_fail(e, errno == EINVAL ? EBUSY :
					       errno, "sem %d: cannot read "
					       "value %lu: %m", id, k);
			((uint16_t *)c->payload)[k] = (uint16_t)v;
		}
		if (ipc_sem_changed(id, &ds))
			return cr_fail(e, EBUSY, "sem %d: changed while the "
				       "checkpoint read it (by a process "
				       "outside the container?)", id);
	}
	return 0;
}

/* The messages of queue @c (@ds), in order, copied, not received. */
static int ipc_dump_msgs(struct cr_ipc *c, const struct msqid_ds *ds,
			 struct cr_err *e)
{
	uint64_t cap = ds->msg_qnum * sizeof(struct crfs_ipc_msg) +
		       ds->msg_cbytes + 8 * ds->msg_qnum;
	struct { long mtype; char text[CRFS_IPC_MAX_MSG]; } *buf;
	struct crfs_ipc_msg hdr;
	char *p;
	ssize_t n;

	if (cap > CRFS_REC_MAX_LEN - sizeof(struct crfs_ipc))
		return cr_fail(e, EOPNOTSUPP, "msq %d: %lu messages of %lu "
			       "bytes: more than one image record holds",
			       c->i.ipc_id, (unsigned long)ds->msg_qnum,
			       (unsigned long)ds->msg_cbytes);
	c->payload = p = calloc(1, cap ? cap : 1);
	buf = malloc(sizeof(*buf));
	if (!p || !buf) {
		free(buf);
		return cr_fail(e, ENOMEM, "out of memory");
	}
	for (uint64_t k = 0; k < ds->msg_qnum; k++) {
		n = msgrcv(c->i.ipc_id, buf, sizeof(buf->text), k,
			   IPC_NOWAIT | MSG_COPY);
		/* No message @k any more: the queue shrank since IPC_STAT. */
		if (n < 0 && errno == ENOMSG)
			goto out_changed;
		if (n < 0) {
			cr_fail(e, errno, "msq %d: cannot copy message %" PRIu64
				" of %lu (MSG_COPY): %m", c->i.ipc_id, k,
				(unsigned long)ds->msg_qnum);
			free(buf);
			return -e->err;
		}
		/* The queue changed since its IPC_STAT: stop, never overrun. */
		if ((uint64_t)(p - (char *)c->payload) + sizeof(hdr) +
		    cr_pad8(n) > cap)
			goto out_changed;
		hdr = (struct crfs_ipc_msg){ buf->mtype, n };
		memcpy(p, &hdr, sizeof(hdr));
		memcpy(p + sizeof(hdr), buf->text, n);
		p += sizeof(hdr) + cr_pad8(n);
	}
	free(buf);
	c->payload_len = p - (char *)c->payload;
	c->i.data_size = c->payload_len;
	c->i.nr = ds->msg_qnum;
	return 0;

out_changed:
	free(buf);
	return cr_fail(e, EBUSY, "msq %d: changed while the checkpoint copied "
		       "it (by a process outside the container?)", c->i.ipc_id);
}

/* Every message queue, with its messages. */
static int ipc_dump_msqs(struct cr_dump *d, struct cr_err *e)
{
	struct msginfo info;
	struct msqid_ds ds;
	struct cr_ipc *c;
	int max, id, ret;

	max = msgctl(0, MSG_INFO, (struct msqid_ds *)&info);
	if (max < 0)
		return cr_fail(e, errno, "ipc namespace: MSG_INFO: %m");
	for (int idx = 0; idx <= max; idx++) {
		id = msgctl(idx, MSG_STAT_ANY, &ds);
		if (id < 0)
			continue;
		c = ipc_new(d, CRFS_IPC_MSQ, id, &ds.msg_perm, e);
		if (!c)
			return -e->err;
		c->i.size = ds.msg_qbytes;
		c->i.atime = ds.msg_rtime;
		c->i.dtime = ds.msg_stime;
		c->i.ctime = ds.msg_ctime;
		c->i.cpid = ds.msg_lspid;
		c->i.lpid = ds.msg_lrpid;
		ret = ipc_dump_msgs(c, &ds, e);
		if (ret)
			return ret;
	}
	return 0;
}

/* By kind, then by id (ids are seq * 32768 + index: not index order). */
static int ipc_cmp(const void *pa, const void *pb)
{
	const struct crfs_ipc *a = &((const struct cr_ipc *)pa)->i;
	const struct crfs_ipc *b = &((const struct cr_ipc *)pb)->i;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return (a->ipc_id > b->ipc_id) - (a->ipc_id < b->ipc_id);
}

/* The objects of @m in the image's order, numbered 1, 2, ... in it. */
static void ipc_sort(struct cr_model *m)
{
	if (m->nr_ipcs)
		qsort(m->ipcs, m->nr_ipcs, sizeof(*m->ipcs), ipc_cmp);
	for (uint32_t i = 0; i < m->nr_ipcs; i++)
		m->ipcs[i].i.id = i + 1;
}

/* Is namespace @fd owned by this thread's user namespace? */
static bool ipc_owned_by_ours(int fd)
{
	struct stat owner, ours;
	int ufd = ioctl(fd, NS_GET_USERNS);
	bool same;

	if (ufd < 0)
		return false;
	same = !fstat(ufd, &owner) && !stat("/proc/thread-self/ns/user", &ours) &&
	       owner.st_dev == ours.st_dev && owner.st_ino == ours.st_ino;
	close(ufd);
	return same;
}

/*
 * Everything of the IPC namespace of @pid, entered by this thread alone
 * and left again, whatever happens.
 */
static int ipc_dump_ns(struct cr_dump *d, pid_t pid, struct cr_err *e)
{
	char path[64];
	int own, its, ret;

	own = open("/proc/thread-self/ns/ipc", O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", pid);
	its = open(path, O_RDONLY | O_CLOEXEC);
	if (own < 0 || its < 0) {
		ret = cr_fail(e, errno, "pid %d: cannot open its IPC "
			      "namespace: %m", pid);
		goto out_close;
	}
	/* The restore's namespace is owned by the restorer's user namespace. */
	if (!ipc_owned_by_ours(its)) {
		ret = cr_fail(e, EOPNOTSUPP, "pid %d: its IPC namespace is "
			      "owned by another user namespace than crfs's: "
			      "a restore would make it crfs's", pid);
		goto out_close;
	}
	if (setns(its, CLONE_NEWIPC)) {
		ret = cr_fail(e, errno, "pid %d: cannot enter its IPC "
			      "namespace: %m", pid);
		goto out_close;
	}
	d->m.have_ipcns = true;
	ret = ipc_dump_sysctls(&d->m.ipcns, e);
	if (!ret)
		ret = ipc_dump_shms(d, e);
	if (!ret)
		ret = ipc_dump_sems(d, e);
	if (!ret)
		ret = ipc_dump_msqs(d, e);
	if (!ret)
		ipc_sort(&d->m);
	if (setns(own, CLONE_NEWIPC) && !ret)
		ret = cr_fail(e, errno, "cannot go back to crfs's IPC "
			      "namespace: %m");
out_close:
	if (own >= 0)
		close(own);
	if (its >= 0)
		close(its);
	return ret;
}

/*
 * Leave the SEM_UNDO list this thread shares with the daemon's others
 * (every thread made with CLONE_SYSVSEM gets one), by entering its own
 * IPC namespace again (the kernel drops the list at setns): without one,
 * it is what ipc_check() compares a process's with.
 */
static int ipc_leave_undo(struct cr_err *e)
{
	int fd = open("/proc/thread-self/ns/ipc", O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return cr_fail(e, errno, "cannot open crfs's IPC namespace: %m");
	ret = setns(fd, CLONE_NEWIPC);
	if (ret)
		cr_fail(e, errno, "cannot enter crfs's IPC namespace again: %m");
	close(fd);
	return ret ? -e->err : 0;
}

/* Phase 1: the namespace of the first process, and what is in it. */
static int ipc_collect(struct cr_dump *d, struct cr_dtask *dt,
		       struct cr_err *e)
{
	char path[64];
	int ret;

	if (dt != &d->tasks[0])
		return 0;
	ret = ipc_leave_undo(e);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", dt->pid);
	d->ipc_ns = ipc_ns_ino(path);
	if (!d->ipc_ns)
		return cr_fail(e, errno, "pid %d: cannot stat %s: %m",
			       dt->pid, path);
	d->ipc_own = d->ipc_ns != ipc_ns_ino("/proc/thread-self/ns/ipc");
	return d->ipc_own ? ipc_dump_ns(d, dt->pid, e) : 0;
}

const char *cr_dump_ipc_vma(struct cr_dump *d, const struct cr_proc_map *m,
			    struct cr_vma *v)
{
	if (!d->ipc_own)
		return "SysV shared memory of crfs's own IPC namespace (the "
		       "host's) is not checkpointed: run the container in an "
		       "IPC namespace of its own (crctl run)";
	for (uint32_t i = 0; i < d->m.nr_ipcs; i++) {
		const struct cr_ipc *c = &d->m.ipcs[i];

		if (c->i.kind != CRFS_IPC_SHM || c->i.ipc_id != (int)m->ino)
			continue;
		v->v.kind = CRFS_VMA_SYSV;
		v->v.ipc_id = c->i.id;
		v->v.pgoff = m->pgoff;
		v->pages = CR_PAGES_NONE;
		if (!(m->vmflags & CR_VMF_MAYWRITE))
			v->v.flags |= CRFS_VMA_F_SHM_RDONLY;
		return NULL;
	}
	return "a segment the IPC namespace no longer has";
}

/* Does @q, not of the container, share its IPC namespace? */
static int ipc_outside_one(pid_t q, void *arg)
{
	const struct cr_dump *d = arg;
	char path[64];

	for (uint32_t i = 0; i < d->nr_tasks; i++)
		if (d->tasks[i].pid == q)
			return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", q);
	return ipc_ns_ino(path) == d->ipc_ns ? q : 0;
}

/* A segment attached more times than the container's mappings of it. */
static int ipc_check_attach(const struct cr_dump *d, struct cr_err *e)
{
	for (uint32_t i = 0; i < d->m.nr_ipcs; i++) {
		const struct cr_ipc *c = &d->m.ipcs[i];

		if (c->i.kind == CRFS_IPC_SHM && c->nattch != c->nr_vmas)
			return cr_fail(e, EOPNOTSUPP, "shm %d: attached %" PRIu64
				       " times, %u of them in the container: "
				       "attached by a process outside it",
				       c->i.ipc_id, c->nattch, c->nr_vmas);
	}
	return 0;
}

/*
 * Has the container's namespace a semaphore set, to which a SEM_UNDO list
 * may hold adjustments?  (The dumper's own: the kernel's count.)
 */
static bool ipc_has_sems(const struct cr_dump *d)
{
	struct seminfo info = { 0 };

	if (!d->ipc_own)
		return semctl(0, 0, SEM_INFO, &info) < 0 || info.semusz > 0;
	for (uint32_t i = 0; i < d->m.nr_ipcs; i++)
		if (d->m.ipcs[i].i.kind == CRFS_IPC_SEM)
			return true;
	return false;
}

/*
 * Phase 2: the process is in the container's IPC namespace; it has no
 * SEM_UNDO list (kcmp: the same as the
 * dumper thread's, which has none, ipc_collect()) where the namespace has
 * semaphores.  A list may be empty (a thread, created with CLONE_SYSVSEM,
 * makes one to share), but what it holds cannot be read: one that
 * exists is refused where there is something it could hold.
 */
static int ipc_check(struct cr_dump *d, struct cr_dtask *dt, struct cr_err *e)
{
	char path[64];
	uint64_t ino;
	long undo;

	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", dt->pid);
	ino = ipc_ns_ino(path);
	if (ino != d->ipc_ns)
		return cr_fail(e, EOPNOTSUPP, "pid %d: its IPC namespace "
			       "(%" PRIu64 ") is not the container's (%" PRIu64
			       ", of pid %d)", dt->pid, ino, d->ipc_ns,
			       d->tasks[0].pid);
	/* A thread made without CLONE_SYSVSEM has a list of its own. */
	for (uint32_t j = 1; j < dt->t->nr_threads; j++) {
		pid_t tid = dt->t->threads[j].t.tid;

		if (!syscall(SYS_kcmp, dt->pid, tid, KCMP_SYSVSEM, 0, 0))
			continue;
		return cr_fail(e, EOPNOTSUPP, "pid %d: thread %d: its SEM_UNDO "
			       "list is not its process's (clone() without "
			       "CLONE_SYSVSEM): a restore gives every thread "
			       "the process's", dt->pid, tid);
	}
	undo = syscall(SYS_kcmp, gettid(), dt->pid, KCMP_SYSVSEM, 0, 0);
	if (undo < 0)
		return cr_fail(e, errno, "pid %d: cannot compare its SEM_UNDO "
			       "list with crfs's (kcmp): %m", dt->pid);
	if (undo && ipc_has_sems(d))
		return cr_fail(e, EOPNOTSUPP, "pid %d: it has a SEM_UNDO list "
			       "(semop() with SEM_UNDO, or threads, which share "
			       "one) and its IPC namespace has semaphore sets: "
			       "its semaphore adjustments cannot be read or "
			       "restored", dt->pid);
	return 0;
}

/*
 * Phase 2, after the row "share" (whose refusals of what a process
 * outside shares say more): the container's own IPC namespace, which no
 * process outside is in, and no segment of it attached outside.
 */
static int ipc_check_outside(struct cr_dump *d, struct cr_dtask *dt,
			     struct cr_err *e)
{
	char comm[CRFS_COMM_LEN];
	pid_t other;

	if (dt != &d->tasks[0] || !d->ipc_own)
		return 0;
	other = cr_proc_each_other(dt->pid, ipc_outside_one, d);
	if (other > 0) {
		if (cr_proc_comm(other, comm, &(struct cr_err){ 0 }))
			snprintf(comm, sizeof(comm), "?");
		return cr_fail(e, EOPNOTSUPP, "pid %d: its IPC namespace "
			       "(%" PRIu64 ") is also pid %d's (%s), outside "
			       "the container: its SysV objects would be "
			       "restored apart from it", dt->pid, d->ipc_ns,
			       other, comm);
	}
	return ipc_check_attach(d, e);
}

int cr_dump_write_ipc_data(struct cr_dump *d, struct cr_img *img,
			   struct cr_err *e)
{
	uint64_t ps = img->page_size, off, end, n, sum;
	struct crfs_ipc_data rec = { 0 };
	char *buf = NULL;
	ssize_t got;
	int ret = 0;

	for (uint32_t i = 0; !ret && i < d->m.nr_ipcs; i++) {
		const struct cr_ipc *c = &d->m.ipcs[i];

		if (c->i.kind != CRFS_IPC_SHM || !c->i.data_size)
			continue;
		if (!buf && !(buf = malloc(IPC_CHUNK)))
			return cr_fail(e, ENOMEM, "out of memory");
		rec.ipc_id = c->i.id;
		sum = 0;
		for (off = 0; !ret && sum <= c->i.data_size &&
		     ipc_extent(c->fd, c->i.size, ps, &off, &end); off = end)
			for (; !ret && off < end; off += n) {
				n = end - off < IPC_CHUNK ? end - off : IPC_CHUNK;
				sum += n;
				if (sum > c->i.data_size)
					break;
				got = pread(c->fd, buf, n, off);
				if (got < 0) {
					ret = cr_fail(e, errno, "shm %d: cannot "
						      "read it: %m",
						      c->i.ipc_id);
					break;
				}
				memset(buf + got, 0, n - got);
				rec.offset = off;
				rec.size = n;
				ret = cr_rec_put(img, CRFS_REC_IPC_DATA, e, 2,
						 (struct iovec[]){
						 { &rec, sizeof(rec) },
						 { buf, n } });
			}
		if (!ret && sum != c->i.data_size)
			ret = cr_fail(e, EBUSY, "shm %d: its contents changed "
				      "during the checkpoint", c->i.ipc_id);
	}
	free(buf);
	return ret;
}

void cr_dump_ipc_free(struct cr_dump *d)
{
	for (uint32_t i = 0; i < d->m.nr_ipcs; i++)
		if (d->m.ipcs[i].fd >= 0 &&
		    d->m.ipcs[i].i.kind == CRFS_IPC_SHM) {
			close(d->m.ipcs[i].fd);
			d->m.ipcs[i].fd = -1;
		}
}

const struct cr_res_ops cr_res_ipc = {
	.name		= "ipc",
	.collect	= ipc_collect,
	.check		= ipc_check,
	.plan		= cr_rst_ipc_plan,
};

const struct cr_res_ops cr_res_ipc_share = {
	.name		= "ipc-share",
	.check		= ipc_check_outside,
};
