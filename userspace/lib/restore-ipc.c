// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The restore of the container's own IPC namespace (res-ipc.c): made for
 * the restoring thread before the first process, so that every process is
 * created in it; every SysV object made again with its id, key, creator,
 * owner and mode, filled; the removed segments removed and the sysctls set
 * once the processes are restored; then the thread goes back.
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
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>

#include "ipc.h"

#define IPCMNI_MAX	32768		/* IPCMNI, without ipcmni_extend */

/*
 * What a new IPC namespace starts with: include/uapi/linux/{shm,msg,sem}.h
 * (not includable beside glibc's).
 */
#define SHMMAX		(~0UL - (1UL << 24))
#define SHMALL		(~0UL - (1UL << 24))
#define SHMMNI		4096
#define MSGMAX		8192
#define MSGMNB		16384
#define MSGMNI		32000
#define SEMMSL		32000
#define SEMMNI		32000
#define SEMMNS		(SEMMNI * SEMMSL)
#define SEMOPM		500

int cr_rst_ipc_plan(struct cr_rst *r, struct cr_err *e)
{
	if (!r->m->have_ipcns)
		return 0;
	if (access(IPC_SYS "shm_next_id", W_OK))
		return cr_fail(e, EOPNOTSUPP, "ipc namespace: %s: %m: this "
			       "kernel cannot give SysV objects their ids "
			       "again (CONFIG_CHECKPOINT_RESTORE)",
			       IPC_SYS "shm_next_id");
	return 0;
}

/* Make @c again, with its id, key, creator and mode: its id, or -errno. */
static int ipc_make(const struct cr_ipc *c, struct cr_err *e)
{
	static const char *const next[] = {
		[CRFS_IPC_SHM] = "shm_next_id", [CRFS_IPC_SEM] = "sem_next_id",
		[CRFS_IPC_MSQ] = "msg_next_id",
	};
	const struct crfs_ipc *i = &c->i;
	int flags = IPC_CREAT | IPC_EXCL | i->mode, id, err;
	uid_t euid = geteuid();
	gid_t egid = getegid();

	if (cr_ipc_sysctl_num(next[i->kind], i->ipc_id, e))
		return -e->err;
	/* The creator's ids for this thread alone (raw calls, not glibc's). */
	if (syscall(SYS_setresgid, -1, i->cgid, -1) ||
	    syscall(SYS_setresuid, -1, i->cuid, -1)) {
		err = errno;
		syscall(SYS_setresgid, -1, egid, -1);
		return cr_fail(e, err, "ipc %u: cannot take the ids of its "
			       "creator %u:%u: %s", i->id, i->cuid, i->cgid,
			       strerror(err));
	}
	if (i->kind == CRFS_IPC_SHM)
		id = shmget(i->key, i->size, flags);
	else if (i->kind == CRFS_IPC_SEM)
		id = semget(i->key, i->nr, flags);
	else
		id = msgget(i->key, flags);
	err = errno;
	if (syscall(SYS_setresuid, -1, euid, -1) ||
	    syscall(SYS_setresgid, -1, egid, -1))
		return cr_fail(e, errno, "cannot take back crfs's ids: %m");
	if (id < 0)
		return cr_fail(e, err, "ipc %u: cannot make it again (key %#x): "
			       "%s", i->id, (unsigned int)i->key, strerror(err));
	if (id != i->ipc_id)
		return cr_fail(e, EEXIST, "ipc %u: made with id %d, not %d",
			       i->id, id, i->ipc_id);
	return id;
}

/* Owner and mode (and a queue's size) set back, as IPC_SET does. */
static int ipc_set(const struct cr_ipc *c, struct cr_err *e)
{
	const struct crfs_ipc *i = &c->i;
	int rc;

	if (i->kind == CRFS_IPC_SHM) {
		struct shmid_ds ds = { .shm_perm = { .uid = i->uid,
			.gid = i->gid, .mode = i->mode } };

		rc = shmctl(i->ipc_id, IPC_SET, &ds);
		if (!rc && (i->flags & CRFS_IPC_F_LOCKED))
			rc = shmctl(i->ipc_id, SHM_LOCK, NULL);
	} else if (i->kind == CRFS_IPC_SEM) {
		struct semid_ds ds = { .sem_perm = { .uid = i->uid,
			.gid = i->gid, .mode = i->mode } };

		rc = semctl(i->ipc_id, 0, IPC_SET, &ds);
	} else {
		struct msqid_ds ds = { .msg_perm = { .uid = i->uid,
			.gid = i->gid, .mode = i->mode },
			.msg_qbytes = i->size };

		rc = msgctl(i->ipc_id, IPC_SET, &ds);
	}
	return rc ? cr_fail(e, errno, "ipc %u (id %d): cannot set its owner "
			    "%u:%u and mode %o: %m", i->id, i->ipc_id, i->uid,
			    i->gid, i->mode) : 0;
}

/*
 * The values of a set; a set operated on since its creation (sem_otime
 * not 0, which programs read to know it is ready) is operated on once,
 * by an operation that leaves its values as they are.
 */
static int ipc_fill_sem(const struct cr_ipc *c, struct cr_err *e)
{
	const struct crfs_ipc *i = &c->i;
	uint16_t *vals = c->payload;
	struct sembuf ops[2] = { { 0, 1, IPC_NOWAIT }, { 0, -1, IPC_NOWAIT } };

	if (semctl(i->ipc_id, 0, SETALL, vals))
		return cr_fail(e, errno, "sem %d: cannot set its values: %m",
			       i->ipc_id);
	if (!i->atime)
		return 0;
	if (vals[0]) {
		ops[0].sem_op = -1;
		ops[1].sem_op = 1;
	}
	return semop(i->ipc_id, ops, 2) ?
	       cr_fail(e, errno, "sem %d: cannot operate on it: %m",
		       i->ipc_id) : 0;
}

/* The messages of a queue, in order. */
static int ipc_fill_msq(const struct cr_ipc *c, struct cr_err *e)
{
	struct { long mtype; char text[CRFS_IPC_MAX_MSG]; } *buf;
	const char *p = c->payload;
	struct crfs_ipc_msg hdr;
	int rc = 0;

	if (!c->i.nr)
		return 0;
	buf = malloc(sizeof(*buf));
	if (!buf)
		return cr_fail(e, ENOMEM, "out of memory");
	for (uint64_t k = 0; !rc && k < c->i.nr; k++) {
		memcpy(&hdr, p, sizeof(hdr));
		buf->mtype = hdr.mtype;
		memcpy(buf->text, p + sizeof(hdr), hdr.size);
		p += sizeof(hdr) + cr_pad8(hdr.size);
		if (msgsnd(c->i.ipc_id, buf, hdr.size, IPC_NOWAIT))
			rc = cr_fail(e, errno, "msq %d: cannot queue message "
				     "%" PRIu64 " again: %m", c->i.ipc_id, k);
	}
	free(buf);
	return rc;
}

/*
 * The sysctls of a namespace with the value a new one starts with (the
 * kernel's defaults, include/uapi/linux/{shm,msg,sem}.h): only those the
 * image has otherwise are written (each sysctl's first access in a new
 * namespace costs some 20 us).
 */
static const struct ipc_sysctl {
	const char	*name;
	size_t		off;		/* in struct crfs_ipcns */
	bool		wide;		/* u64, else u32 */
	uint64_t	fresh;
} ipc_sysctls[] = {
	{ "shmmax", offsetof(struct crfs_ipcns, shmmax), true, SHMMAX },
	{ "shmall", offsetof(struct crfs_ipcns, shmall), true, SHMALL },
	{ "shmmni", offsetof(struct crfs_ipcns, shmmni), false, SHMMNI },
	{ "msgmax", offsetof(struct crfs_ipcns, msgmax), false, MSGMAX },
	{ "msgmnb", offsetof(struct crfs_ipcns, msgmnb), false, MSGMNB },
	{ "msgmni", offsetof(struct crfs_ipcns, msgmni), false, MSGMNI },
	{ "shm_rmid_forced", offsetof(struct crfs_ipcns, shm_rmid_forced),
	  false, 0 },
};
#define IPC_NR_SYSCTLS	(sizeof(ipc_sysctls) / sizeof(ipc_sysctls[0]))
static const uint32_t ipc_sem_fresh[4] = { SEMMSL, SEMMNS, SEMOPM, SEMMNI };

/* The value of sysctl row @k in @n. */
static uint64_t ipc_sysctl_val(const struct crfs_ipcns *n, size_t k)
{
	const char *p = (const char *)n + ipc_sysctls[k].off;
	uint32_t v32;
	uint64_t v64;

	if (ipc_sysctls[k].wide) {
		memcpy(&v64, p, sizeof(v64));
		return v64;
	}
	memcpy(&v32, p, sizeof(v32));
	return v32;
}

/* Raise msgmax, msgmnb to what the image's queues need, if above. */
static int ipc_limits_for(const struct cr_model *m, struct cr_err *e)
{
	uint64_t msgmax = MSGMAX, msgmnb = MSGMNB;
	int rc = 0;

	for (uint32_t i = 0; i < m->nr_ipcs; i++) {
		const struct cr_ipc *c = &m->ipcs[i];
		const char *p = c->payload;
		struct crfs_ipc_msg hdr;

		if (c->i.kind != CRFS_IPC_MSQ)
			continue;
		if (c->i.size > msgmnb)
			msgmnb = c->i.size;
		if (c->i.data_size > msgmnb)
			msgmnb = c->i.data_size;
		for (uint64_t k = 0; k < c->i.nr; k++) {
			memcpy(&hdr, p, sizeof(hdr));
			if (hdr.size > msgmax)
				msgmax = hdr.size;
			p += sizeof(hdr) + cr_pad8(hdr.size);
		}
	}
	if (msgmax > MSGMAX)
		rc = cr_ipc_sysctl_num("msgmax", msgmax, e);
	if (!rc && msgmnb > MSGMNB)
		rc = cr_ipc_sysctl_num("msgmnb", msgmnb, e);
	/* More objects than a new namespace takes: room for all. */
	if (!rc && m->nr_ipcs >= SHMMNI)
		rc = cr_ipc_sysctl_num("shmmni", IPCMNI_MAX, e);
	if (!rc && m->nr_ipcs >= MSGMNI)
		rc = cr_ipc_sysctl_num("msgmni", IPCMNI_MAX, e);
	if (!rc && m->nr_ipcs >= SEMMNI)
		rc = cr_ipc_sysctl_set("sem", "32000 2147483647 500 32768", e);
	return rc;
}

/* Every object of the image, made again in the thread's new namespace. */
static int ipc_make_all(struct cr_rst *r, struct cr_err *e)
{
	const struct cr_model *m = r->m;
	int rc = ipc_limits_for(m, e);

	for (uint32_t i = 0; !rc && i < m->nr_ipcs; i++) {
		const struct cr_ipc *c = &m->ipcs[i];

		rc = ipc_make(c, e);
		if (rc < 0)
			break;
		rc = ipc_set(c, e);
		if (!rc && c->i.kind == CRFS_IPC_SEM)
			rc = ipc_fill_sem(c, e);
		if (!rc && c->i.kind == CRFS_IPC_MSQ)
			rc = ipc_fill_msq(c, e);
		if (!rc && c->i.kind == CRFS_IPC_SHM && c->i.data_size) {
			r->ipc_fd[i] = cr_ipc_shm_open(c->i.ipc_id,
						       c->i.size, O_RDWR, e);
			if (r->ipc_fd[i] < 0)
				rc = r->ipc_fd[i];
		}
	}
	return rc;
}

int cr_rst_ipc_create(struct cr_rst *r, struct cr_img_walk *w,
		      struct cr_err *e)
{
	const struct cr_model *m = r->m;
	int rc;
	int64_t k;

	if (!m->have_ipcns)
		return 0;
	r->ipc_fd = malloc((m->nr_ipcs + 1) * sizeof(*r->ipc_fd));
	if (!r->ipc_fd)
		return cr_fail(e, ENOMEM, "out of memory");
	for (uint32_t i = 0; i < m->nr_ipcs; i++)
		r->ipc_fd[i] = -1;
	r->ipc_old_fd = open("/proc/thread-self/ns/ipc", O_RDONLY | O_CLOEXEC);
	if (r->ipc_old_fd < 0)
		return cr_fail(e, errno, "cannot open crfs's IPC namespace: %m");
	if (unshare(CLONE_NEWIPC))
		return cr_fail(e, errno, "cannot make an IPC namespace: %m");
	rc = ipc_make_all(r, e);
	while (!rc && (rc = cr_img_walk_next(w, e)) == CR_WALK_IPC_DATA) {
		const struct cr_img_idata *d = &w->idata;

		k = d->ipc - m->ipcs;
		if (r->ipc_fd[k] < 0)
			return cr_fail(e, EIO, "ipc %u: no segment made",
				       d->ipc->i.id);
		if (pwrite(r->ipc_fd[k], d->data, d->size, d->offset) !=
		    (ssize_t)d->size)
			return cr_fail(e, errno ? errno : EIO, "shm %d: cannot "
				       "write its contents at %" PRIu64 ": %m",
				       d->ipc->i.ipc_id, d->offset);
		rc = cr_rst_aborted(r, e);
	}
	if (rc < 0)
		return rc;
	/* The record after the data: cr_read_pages() takes it again. */
	cr_img_walk_again(w);
	return 0;
}

int cr_rst_ipc_finish(struct cr_rst *r, struct cr_err *e)
{
	const struct cr_model *m = r->m;
	const struct crfs_ipcns *n = &m->ipcns;
	bool raised = m->nr_ipcs > 0;
	char sem[96];
	int rc = 0;

	if (!m->have_ipcns)
		return 0;
	/* Removed segments, now that their attachments are made again. */
	for (uint32_t i = 0; !rc && i < m->nr_ipcs; i++)
		if (m->ipcs[i].i.flags & CRFS_IPC_F_DEST &&
		    shmctl(m->ipcs[i].i.ipc_id, IPC_RMID, NULL))
			rc = cr_fail(e, errno, "shm %d: cannot remove it: %m",
				     m->ipcs[i].i.ipc_id);
	/* Written all, or none: the limits raised meanwhile went back. */
	for (size_t k = 0; !rc && k < IPC_NR_SYSCTLS; k++)
		if (raised || ipc_sysctl_val(n, k) != ipc_sysctls[k].fresh)
			rc = cr_ipc_sysctl_u64(ipc_sysctls[k].name,
					       ipc_sysctl_val(n, k), e);
	snprintf(sem, sizeof(sem), "%u %u %u %u", n->sem[0], n->sem[1],
		 n->sem[2], n->sem[3]);
	if (!rc && (raised || memcmp(n->sem, ipc_sem_fresh, sizeof(n->sem))))
		rc = cr_ipc_sysctl_set("sem", sem, e);
	/* -1, none pending, is what each creation left (and not writable). */
	if (!rc && n->shm_next_id >= 0)
		rc = cr_ipc_sysctl_num("shm_next_id", n->shm_next_id, e);
	if (!rc && n->msg_next_id >= 0)
		rc = cr_ipc_sysctl_num("msg_next_id", n->msg_next_id, e);
	if (!rc && n->sem_next_id >= 0)
		rc = cr_ipc_sysctl_num("sem_next_id", n->sem_next_id, e);
	return rc;
}

void cr_rst_ipc_leave(struct cr_rst *r)
{
	for (uint32_t i = 0; r->ipc_fd && i < r->m->nr_ipcs; i++)
		if (r->ipc_fd[i] >= 0)
			close(r->ipc_fd[i]);
	free(r->ipc_fd);
	r->ipc_fd = NULL;
	if (r->ipc_old_fd < 0)
		return;
	/*
	 * Cannot fail for a namespace this thread was in and holds open;
	 * were it to, the thread is the transfer's own and ends with it.
	 */
	(void)!setns(r->ipc_old_fd, CLONE_NEWIPC);
	close(r->ipc_old_fd);
	r->ipc_old_fd = -1;
}

