// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The SysV IPC records (rows of rec.c): IPCNS, the container's own IPC
 * namespace and its sysctls, and IPC, one shared memory segment,
 * semaphore set or message queue in it, to and from the model, printed
 * and checked; and the checks of the IPC_DATA records (a segment's
 * pages), as FILE_DATA's.  Reading checks lengths, the messages' framing
 * and the order of ids; what the values mean is checked here too, in the
 * check functions, as img-check.c does for the other kinds.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "img-walk.h"

#define CR_IOV(p, l)	((struct iovec){ (void *)(p), (l) })

/* The kernel's limits: IPCMNI with ipcmni_extend, SEMVMX, a segment. */
#define CR_IPC_MNI		(1U << 24)
#define CR_IPC_SEMVMX		32767
#define CR_IPC_SHM_MAX		(1ULL << 46)

static const char *const cr_ipc_kinds[] = {
	[CRFS_IPC_SHM] = "shm", [CRFS_IPC_SEM] = "sem", [CRFS_IPC_MSQ] = "msq",
};

/* The name of kind @k, for messages. */
static const char *cr_ipc_kind_name(uint32_t k)
{
	return k >= CRFS_IPC_SHM && k <= CRFS_IPC_MSQ ? cr_ipc_kinds[k] : "?";
}

/* IPCNS */

int cr_ipcns_read(struct cr_rd *rd, const void *p, uint64_t len,
		  struct cr_err *e)
{
	(void)len;
	if (rd->m->have_ipcns)
		return cr_rd_fail(rd, e, "a second IPC namespace");
	memcpy(&rd->m->ipcns, p, sizeof(rd->m->ipcns));
	rd->m->have_ipcns = true;
	return 0;
}

int cr_ipcns_write(struct cr_img *img, const void *obj, struct cr_err *e)
{
	return cr_rec_put(img, CRFS_REC_IPCNS, e, 1,
			  &CR_IOV(obj, sizeof(struct crfs_ipcns)));
}

void cr_ipcns_print(struct cr_emit *o, const void *obj)
{
	const struct crfs_ipcns *n = obj;

	o->ops->u64(o, "shmmax", n->shmmax);
	o->ops->u64(o, "shmall", n->shmall);
	o->ops->u64(o, "shmmni", n->shmmni);
	o->ops->u64(o, "shm_rmid_forced", n->shm_rmid_forced);
	o->ops->u64(o, "msgmax", n->msgmax);
	o->ops->u64(o, "msgmnb", n->msgmnb);
	o->ops->u64(o, "msgmni", n->msgmni);
	o->ops->u64(o, "semmsl", n->sem[0]);
	o->ops->u64(o, "semmns", n->sem[1]);
	o->ops->u64(o, "semopm", n->sem[2]);
	o->ops->u64(o, "semmni", n->sem[3]);
	o->ops->s64(o, "shm_next_id", n->shm_next_id);
	o->ops->s64(o, "msg_next_id", n->msg_next_id);
	o->ops->s64(o, "sem_next_id", n->sem_next_id);
}

int cr_ipcns_check(const struct cr_chk *c, const void *obj, struct cr_err *e)
{
	const struct crfs_ipcns *n = obj;
	const char *why = NULL;

	if (n->shmmni > CR_IPC_MNI || n->msgmni > CR_IPC_MNI ||
	    n->sem[3] > CR_IPC_MNI)
		why = "more objects of a kind than the kernel allows";
	else if (n->shm_rmid_forced > 1)
		why = "shm_rmid_forced is neither 0 nor 1";
	else if (n->shm_next_id < -1 || n->msg_next_id < -1 ||
		 n->sem_next_id < -1)
		why = "a negative next id other than -1";
	else if (n->msgmax > INT32_MAX || n->msgmnb > INT32_MAX ||
		 n->sem[0] > INT32_MAX || n->sem[1] > INT32_MAX ||
		 n->sem[2] > INT32_MAX)
		why = "a limit beyond what the kernel takes";
	/* Segments made by the restorer would outlive it or die with it. */
	for (uint32_t i = 0; !why && n->shm_rmid_forced &&
	     i < c->m->nr_ipcs; i++)
		if (c->m->ipcs[i].i.kind == CRFS_IPC_SHM)
			why = "kernel.shm_rmid_forced with shared memory "
			      "segments: their creators cannot be restored";
	return why ? cr_fail(e, EBADMSG, "ipc namespace: %s", why) : 0;
}

/* IPC */

/* Are the messages of MSQ payload @p (@len bytes) @nr framed messages? */
static const char *cr_ipc_msgs_why(const char *p, uint64_t len, uint64_t nr)
{
	uint64_t off = 0, n = 0;
	struct crfs_ipc_msg m;

	while (off < len) {
		if (len - off < sizeof(m))
			return "a message header cut short";
		memcpy(&m, p + off, sizeof(m));
		off += sizeof(m);
		if (m.mtype <= 0 || m.size > CRFS_IPC_MAX_MSG)
			return "a message of type <= 0 or too large";
		if (cr_pad8(m.size) > len - off)
			return "a message text cut short";
		off += cr_pad8(m.size);
		n++;
	}
	return n == nr ? NULL : "not as many messages as it says";
}

int cr_ipc_read(struct cr_rd *rd, const void *p, uint64_t len,
		struct cr_err *e)
{
	const char *pay = (const char *)p + sizeof(struct crfs_ipc);
	struct crfs_ipc rec;
	struct cr_model *m = rd->m;
	uint64_t plen = len - sizeof(rec), want = 0;
	const char *why = NULL;
	struct cr_ipc *c;
	int err = 0;

	memcpy(&rec, p, sizeof(rec));
	if (!m->have_ipcns)
		return cr_rd_fail(rd, e, "an IPC object without its namespace");
	if (!rec.id || (m->nr_ipcs && m->ipcs[m->nr_ipcs - 1].i.id >= rec.id))
		return cr_rd_fail(rd, e, "ipc id %u: 0, or not above the one "
				  "before", rec.id);
	switch (rec.kind) {
	case CRFS_IPC_SHM:
		break;
	case CRFS_IPC_SEM:
		if (rec.nr > CRFS_IPC_MAX_NSEMS)
			why = "more semaphores than a set may have";
		want = cr_pad8(rec.nr * 2);
		break;
	case CRFS_IPC_MSQ:
		want = rec.data_size;
		if (plen == want)
			why = cr_ipc_msgs_why(pay, plen, rec.nr);
		break;
	default:
		why = "unknown kind";
	}
	if (!why && plen != want)
		why = "a payload of the wrong length";
	if (why)
		return cr_rd_fail(rd, e, "ipc %u: %s", rec.id, why);
	c = cr_model_new_ipc(m, &err);
	if (!c)
		return err == -E2BIG ?
		       cr_rd_fail(rd, e, "more than %u IPC objects",
				  CRFS_MAX_OBJECTS) :
		       cr_fail(e, ENOMEM, "%s: out of memory", rd->where);
	c->i = rec;
	if (!plen)
		return 0;
	c->payload = malloc(plen);
	if (!c->payload)
		return cr_fail(e, ENOMEM, "%s: out of memory", rd->where);
	memcpy(c->payload, pay, plen);
	c->payload_len = plen;
	return 0;
}

int cr_ipc_write(struct cr_img *img, const void *obj, struct cr_err *e)
{
	const struct cr_ipc *c = obj;

	return cr_rec_put(img, CRFS_REC_IPC, e, 2, (struct iovec[]){
			  CR_IOV(&c->i, sizeof(c->i)),
			  CR_IOV(c->payload, c->payload_len) });
}

void cr_ipc_print(struct cr_emit *o, const void *obj)
{
	const struct cr_ipc *c = obj;
	const struct crfs_ipc *i = &c->i;

	o->ops->u64(o, "id", i->id);
	o->ops->str(o, "kind", cr_ipc_kind_name(i->kind));
	o->ops->s64(o, "ipc_id", i->ipc_id);
	o->ops->hex(o, "key", (uint32_t)i->key);
	o->ops->u64(o, "uid", i->uid);
	o->ops->u64(o, "gid", i->gid);
	o->ops->u64(o, "cuid", i->cuid);
	o->ops->u64(o, "cgid", i->cgid);
	o->ops->oct(o, "mode", i->mode);
	o->ops->hex(o, "flags", i->flags);
	o->ops->u64(o, "size", i->size);
	o->ops->u64(o, "nr", i->nr);
	o->ops->u64(o, "data_size", i->data_size);
	if (!o->detail)
		return;
	o->ops->s64(o, "atime", i->atime);
	o->ops->s64(o, "dtime", i->dtime);
	o->ops->s64(o, "ctime", i->ctime);
	o->ops->s64(o, "cpid", i->cpid);
	o->ops->s64(o, "lpid", i->lpid);
	if (i->kind == CRFS_IPC_SEM) {
		o->ops->open(o, "values", true);
		for (uint64_t k = 0; k < i->nr; k++) {
			uint16_t v;

			memcpy(&v, (const char *)c->payload + 2 * k, 2);
			o->ops->open(o, NULL, false);
			o->ops->u64(o, "value", v);
			o->ops->close(o, false);
		}
		o->ops->close(o, true);
	}
}

/* Why SHM, SEM or MSQ @c is wrong for its kind, or NULL. */
static const char *cr_ipc_kind_why(const struct cr_ipc *c, uint64_t ps)
{
	const struct crfs_ipc *i = &c->i;

	switch (i->kind) {
	case CRFS_IPC_SHM:
		if (!i->size || i->size > CR_IPC_SHM_MAX || i->nr)
			return "a segment of no size, too large, or with a count";
		if (i->data_size % ps || i->data_size > cr_ipc_shm_span(c, ps))
			return "more data than the segment holds";
		if ((i->flags & CRFS_IPC_F_DEST) && (i->key || !c->nr_vmas))
			return "removed, but with a key or attached nowhere";
		return NULL;
	case CRFS_IPC_SEM:
		if (!i->nr || i->size != i->nr || i->data_size)
			return "a set of no semaphores, or sizes that differ";
		for (uint64_t k = 0; k < i->nr; k++) {
			uint16_t v;

			memcpy(&v, (const char *)c->payload + 2 * k, 2);
			if (v > CR_IPC_SEMVMX)
				return "a semaphore value above SEMVMX";
		}
		break;
	case CRFS_IPC_MSQ:
		if (i->size > INT32_MAX)
			return "a queue size beyond what the kernel takes";
		break;
	}
	return i->flags ? "flags on an object that is no segment" : NULL;
}

int cr_ipc_check(const struct cr_chk *c, const void *obj, struct cr_err *e)
{
	const struct cr_ipc *ci = obj, *prev;
	const struct crfs_ipc *i = &ci->i;
	const char *why = NULL;

	prev = ci > c->m->ipcs ? ci - 1 : NULL;
	if (i->ipc_id < 0)
		why = "a negative id";
	else if (prev && (prev->i.kind > i->kind ||
			  (prev->i.kind == i->kind &&
			   prev->i.ipc_id >= i->ipc_id)))
		why = "not after the one before by kind and id";
	else if (i->mode & ~0777U)
		why = "mode bits beyond 0777";
	else if (i->flags & ~(CRFS_IPC_F_DEST | CRFS_IPC_F_LOCKED))
		why = "unknown flags";
	else if (i->kind != CRFS_IPC_SHM && ci->nr_vmas)
		why = "mapped, and no segment";
	else
		why = cr_ipc_kind_why(ci, c->h->page_size);
	return why ? cr_fail(e, EBADMSG, "ipc %u (%s %d): %s", i->id,
			     cr_ipc_kind_name(i->kind), i->ipc_id, why) : 0;
}

/* IPC_DATA */

int cr_img_check_ipc_data(struct cr_img_walk *w, const void *payload,
			  uint64_t len, struct cr_err *e)
{
	uint64_t ps = w->hdr.page_size, end;
	struct crfs_ipc_data d;
	const char *why = NULL;
	struct cr_ipc *c;

	memcpy(&d, payload, sizeof(d));
	c = cr_model_ipc(&w->m, d.ipc_id);
	end = d.offset + d.size;
	if (!c || c->i.kind != CRFS_IPC_SHM)
		return cr_fail(e, EBADMSG, "ipc data of ipc %u, which is no "
			       "segment of the image", d.ipc_id);
	if (d.__pad)
		why = "padding not zero";
	else if (w->id_ipc && w->id_ipc != c &&
		 (w->id_ipc->i.id > c->i.id ||
		  w->id_sum != w->id_ipc->i.data_size))
		why = "after the data of another segment, or before it was "
		      "whole";
	else if (d.offset % ps || !d.size || d.size % ps ||
		 d.size > (uint64_t)CRFS_PAGES_PER_REC * ps ||
		 len != sizeof(d) + d.size)
		why = "not whole pages at a page-aligned offset, or a length "
		      "that does not match them";
	else if (end < d.offset || end > cr_ipc_shm_span(c, ps))
		why = "beyond the segment's size";
	else if (w->id_ipc == c && d.offset < w->id_next)
		why = "below the end of the data before it";
	else if ((w->id_ipc == c ? w->id_sum : 0) + d.size > c->i.data_size)
		why = "more than its data_size";
	if (why)
		return cr_fail(e, EBADMSG, "ipc %u: data at %" PRIu64 "+%"
			       PRIu64 ": %s", c->i.id, (uint64_t)d.offset,
			       (uint64_t)d.size, why);
	if (w->id_ipc != c)
		w->id_sum = 0;
	w->id_ipc = c;
	w->id_next = end;
	w->id_sum += d.size;
	w->id_total += d.size;
	w->idata = (struct cr_img_idata){ c, d.offset, d.size,
					  (const char *)payload + sizeof(d) };
	return 0;
}

int cr_img_check_ipc_data_end(struct cr_img_walk *w, struct cr_err *e)
{
	uint64_t want = 0;

	w->id_over = true;
	for (uint32_t i = 0; i < w->m.nr_ipcs; i++)
		if (w->m.ipcs[i].i.kind == CRFS_IPC_SHM)
			want += w->m.ipcs[i].i.data_size;
	if (want == w->id_total)
		return 0;
	return cr_fail(e, EBADMSG, "ipc data: %" PRIu64 " bytes, the "
		       "segments have %" PRIu64, w->id_total, want);
}
