// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The table of every record kind (rec.h), and walking a model through it
 * in stream order: to write it, to check it, to print it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rec.h"

/* A row whose records this version reads only to refuse them. */
#define CR_REFUSED(t, n, s, x, r) \
	[t] = { t, n, s, x, 0, r, cr_rec_refuse, NULL, NULL, NULL }
/* A row of an object kind: its four functions are cr_<k>_*. */
#define CR_ROW(t, n, s, x, a, r, k) \
	{ t, n, s, x, a, r, cr_##k##_read, cr_##k##_write, cr_##k##_print, \
	  cr_##k##_check }

static const struct cr_rec_ops cr_rec_table[CRFS_REC_NR] = {
	[CRFS_REC_FILE]	   = CR_ROW(CRFS_REC_FILE, "file",
				    sizeof(struct crfs_file), false, 0,
				    CR_R_FILE, file),
	[CRFS_REC_SHMEM]   = CR_ROW(CRFS_REC_SHMEM, "shmem",
				    sizeof(struct crfs_shmem), true, 0,
				    CR_R_SHMEM, shmem),
	[CRFS_REC_MM]	   = CR_ROW(CRFS_REC_MM, "mm", sizeof(struct crfs_mm),
				    true, 0, CR_R_MM, mm),
	[CRFS_REC_VMA]	   = CR_ROW(CRFS_REC_VMA, "vma", sizeof(struct crfs_vma),
				    false, 0, CR_R_VMA, vma),
	[CRFS_REC_FDTABLE] = CR_ROW(CRFS_REC_FDTABLE, "fdtable",
				    sizeof(struct crfs_fdtable), true, 0,
				    CR_R_FDTABLE, fdtable),
	[CRFS_REC_FD]	   = CR_ROW(CRFS_REC_FD, "fd", sizeof(struct crfs_fd),
				    true, 0, CR_R_FD, fd),
	[CRFS_REC_LOCK]	   = CR_ROW(CRFS_REC_LOCK, "lock",
				    sizeof(struct crfs_lock), true, 0,
				    CR_R_LOCK, lock),
	[CRFS_REC_FS]	   = CR_ROW(CRFS_REC_FS, "fs", sizeof(struct crfs_fs),
				    true, 0, CR_R_FS, fs),
	[CRFS_REC_SIGHAND] = CR_ROW(CRFS_REC_SIGHAND, "sighand",
				    sizeof(struct crfs_sighand), true, 0,
				    CR_R_SIGHAND, sighand),
	[CRFS_REC_TASK]	   = CR_ROW(CRFS_REC_TASK, "task",
				    sizeof(struct crfs_task), true, 0,
				    CR_R_TASK, task),
	[CRFS_REC_CREDS]   = CR_ROW(CRFS_REC_CREDS, "creds",
				    sizeof(struct crfs_creds), false, 0,
				    CR_R_CREDS, creds),
	[CRFS_REC_SIGPENDING] = CR_ROW(CRFS_REC_SIGPENDING, "sigpending",
				       sizeof(struct crfs_sigpending), true, 0,
				       CR_R_SIGP_TASK, sigpending),
	[CRFS_REC_THREAD]  = CR_ROW(CRFS_REC_THREAD, "thread",
				    sizeof(struct crfs_thread), true, 0,
				    CR_R_THREAD, thread),
	[CRFS_REC_SECCOMP] = CR_ROW(CRFS_REC_SECCOMP, "seccomp",
				    sizeof(struct crfs_seccomp), false, 0,
				    CR_R_SECCOMP, seccomp),
	[CRFS_REC_TIMER]   = CR_ROW(CRFS_REC_TIMER, "timer",
				    sizeof(struct crfs_timer), true, 0,
				    CR_R_TIMER, timer),
	/* The data and the trailer: the walker's and the codec's own. */
	[CRFS_REC_FILE_DATA] = { .type = CRFS_REC_FILE_DATA,
				 .name = "file_data",
				 .size = sizeof(struct crfs_file_data),
				 .rank = CR_R_FILE_DATA },
	[CRFS_REC_PAGES]   = { .type = CRFS_REC_PAGES, .name = "pages",
			       .size = sizeof(struct crfs_pages),
			       .rank = CR_R_PAGES },
	[CRFS_REC_END]	   = { .type = CRFS_REC_END, .name = "end",
			       .size = sizeof(struct crfs_end), .exact = true,
			       .rank = CR_R_END },
	/* SysV IPC (rec-ipc.c): the namespace, its objects, shm data. */
	[CRFS_REC_IPCNS]   = CR_ROW(CRFS_REC_IPCNS, "ipcns",
				    sizeof(struct crfs_ipcns), true, 0,
				    CR_R_IPCNS, ipcns),
	[CRFS_REC_IPC]	   = CR_ROW(CRFS_REC_IPC, "ipc",
				    sizeof(struct crfs_ipc), false, 0,
				    CR_R_IPC, ipc),
	[CRFS_REC_IPC_DATA] = { .type = CRFS_REC_IPC_DATA,
				.name = "ipc_data",
				.size = sizeof(struct crfs_ipc_data),
				.rank = CR_R_IPC_DATA },
};

static const struct cr_rec_ops
cr_rec_arch_table[CRFS_REC_ARCH_END - CRFS_REC_ARCH_BASE] = {
	CR_ROW(CRFS_REC_X86_REGS, "x86_regs", sizeof(struct crfs_x86_regs),
	       true, CRFS_ARCH_X86_64, CR_R_ARCH, x86_regs),
	CR_ROW(CRFS_REC_X86_XSTATE, "x86_xstate",
	       sizeof(struct crfs_x86_xstate), false, CRFS_ARCH_X86_64,
	       CR_R_ARCH + 1, x86_xstate),
};

/* Every fixed part is a multiple of 8 bytes: payloads stay aligned. */
_Static_assert(sizeof(struct crfs_file) % 8 == 0 &&
	       sizeof(struct crfs_lock) % 8 == 0 &&
	       sizeof(struct crfs_shmem) % 8 == 0 &&
	       sizeof(struct crfs_mm) % 8 == 0 &&
	       sizeof(struct crfs_vma) % 8 == 0 &&
	       sizeof(struct crfs_fdtable) % 8 == 0 &&
	       sizeof(struct crfs_fd) % 8 == 0 &&
	       sizeof(struct crfs_fs) % 8 == 0 &&
	       sizeof(struct crfs_sighand) % 8 == 0 &&
	       sizeof(struct crfs_task) % 8 == 0 &&
	       sizeof(struct crfs_creds) % 8 == 0 &&
	       sizeof(struct crfs_seccomp) % 8 == 0 &&
	       sizeof(struct crfs_timer) % 8 == 0 &&
	       sizeof(struct crfs_thread) % 8 == 0 &&
	       sizeof(struct crfs_sigpending) % 8 == 0 &&
	       sizeof(struct crfs_file_data) % 8 == 0 &&
	       sizeof(struct crfs_pages) % 8 == 0 &&
	       sizeof(struct crfs_end) % 8 == 0 &&
	       sizeof(struct crfs_ipcns) % 8 == 0 &&
	       sizeof(struct crfs_ipc) % 8 == 0 &&
	       sizeof(struct crfs_ipc_msg) % 8 == 0 &&
	       sizeof(struct crfs_ipc_data) % 8 == 0 &&
	       sizeof(struct crfs_x86_regs) % 8 == 0 &&
	       sizeof(struct crfs_x86_xstate) % 8 == 0 &&
	       sizeof(struct crfs_image_hdr) % 8 == 0,
	       "a fixed part is not a multiple of 8 bytes");

const struct cr_rec_ops *cr_rec_ops(uint32_t type)
{
	const struct cr_rec_ops *row = NULL;

	if (type > 0 && type < CRFS_REC_NR)
		row = &cr_rec_table[type];
	else if (type >= CRFS_REC_ARCH_BASE && type < CRFS_REC_ARCH_END)
		row = &cr_rec_arch_table[type - CRFS_REC_ARCH_BASE];
	return row && row->name ? row : NULL;
}

bool cr_rec_str(const char *p, uint64_t len, uint64_t avail, uint64_t max)
{
	static const char zero[8];

	if (len < 1 || len > max || len > avail || p[len - 1] ||
	    memchr(p, 0, len - 1) || cr_pad8(len) != avail)
		return false;
	return !memcmp(p + len, zero, avail - len);
}

int cr_rd_fail(const struct cr_rd *rd, struct cr_err *e, const char *fmt, ...)
{
	char why[CR_ERR_MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return cr_fail(e, EBADMSG, "%s: %s", rd->where, why);
}

int cr_rec_refuse(struct cr_rd *rd, const void *p, uint64_t len,
		  struct cr_err *e)
{
	(void)p;
	(void)len;
	return cr_fail(e, EOPNOTSUPP, "%s: this version cannot restore "
		       "such a record", rd->where);
}

int cr_rec_put(struct cr_img *img, uint32_t type, struct cr_err *e, int n,
	       const struct iovec *iov)
{
	return cr_img_write_rec(img, type, iov, n, e);
}

/* Visit @obj with the row of @type; its children are the caller's. */
static int cr_visit(const struct cr_walk_ops *ops, void *ctx, uint32_t type,
		    const void *obj)
{
	return ops->visit(ctx, cr_rec_ops(type), obj);
}

static void cr_leave(const struct cr_walk_ops *ops, void *ctx, uint32_t type,
		     const void *obj)
{
	if (ops->leave)
		ops->leave(ctx, cr_rec_ops(type), obj);
}

/* A thread, its seccomp filters, its own signals and its arch records. */
static int cr_walk_thread(const struct cr_thread *th,
			  const struct cr_walk_ops *ops, void *ctx)
{
	int ret = cr_visit(ops, ctx, CRFS_REC_THREAD, th);

	for (uint32_t i = 0; !ret && i < th->nr_seccomp; i++)
		ret = cr_visit(ops, ctx, CRFS_REC_SECCOMP, &th->seccomp[i]);
	for (uint32_t i = 0; !ret && i < th->pending.nr; i++)
		ret = cr_visit(ops, ctx, CRFS_REC_SIGPENDING,
			       &th->pending.sig[i]);
	if (!ret)
		ret = cr_visit(ops, ctx, CRFS_REC_X86_REGS, th);
	if (!ret && th->arch.xstate)
		ret = cr_visit(ops, ctx, CRFS_REC_X86_XSTATE, th);
	if (!ret)
		cr_leave(ops, ctx, CRFS_REC_THREAD, th);
	return ret;
}

/* A process, its credentials, shared signals, threads and timers. */
static int cr_walk_task(const struct cr_task *t, const struct cr_walk_ops *ops,
			void *ctx)
{
	int ret = cr_visit(ops, ctx, CRFS_REC_TASK, t);

	if (!ret)
		ret = cr_visit(ops, ctx, CRFS_REC_CREDS, t);
	for (uint32_t i = 0; !ret && i < t->pending.nr; i++)
		ret = cr_visit(ops, ctx, CRFS_REC_SIGPENDING,
			       &t->pending.sig[i]);
	for (uint32_t i = 0; !ret && i < t->nr_threads; i++)
		ret = cr_walk_thread(&t->threads[i], ops, ctx);
	for (uint32_t i = 0; !ret && i < t->nr_timers; i++)
		ret = cr_visit(ops, ctx, CRFS_REC_TIMER, &t->timers[i]);
	if (!ret)
		cr_leave(ops, ctx, CRFS_REC_TASK, t);
	return ret;
}

int cr_model_walk(const struct cr_model *m, const struct cr_walk_ops *ops,
		  void *ctx)
{
	uint32_t i, j;
	int ret = 0;

	for (i = 0; !ret && i < m->nr_files; i++)
		ret = cr_visit(ops, ctx, CRFS_REC_FILE, &m->files[i]);
	for (i = 0; !ret && i < m->nr_shmems; i++)
		ret = cr_visit(ops, ctx, CRFS_REC_SHMEM, &m->shmems[i]);
	if (!ret && m->have_ipcns)
		ret = cr_visit(ops, ctx, CRFS_REC_IPCNS, &m->ipcns);
	for (i = 0; !ret && i < m->nr_ipcs; i++)
		ret = cr_visit(ops, ctx, CRFS_REC_IPC, &m->ipcs[i]);
	for (i = 0; !ret && i < m->nr_mms; i++) {
		ret = cr_visit(ops, ctx, CRFS_REC_MM, &m->mms[i]);
		for (j = 0; !ret && j < m->mms[i].nr_vmas; j++)
			ret = cr_visit(ops, ctx, CRFS_REC_VMA,
				       &m->mms[i].vmas[j]);
		if (!ret)
			cr_leave(ops, ctx, CRFS_REC_MM, &m->mms[i]);
	}
	for (i = 0; !ret && i < m->nr_fdts; i++) {
		ret = cr_visit(ops, ctx, CRFS_REC_FDTABLE, &m->fdts[i]);
		for (j = 0; !ret && j < m->fdts[i].nr_fds; j++)
			ret = cr_visit(ops, ctx, CRFS_REC_FD,
				       &m->fdts[i].fds[j]);
		if (!ret)
			cr_leave(ops, ctx, CRFS_REC_FDTABLE, &m->fdts[i]);
	}
	for (i = 0; !ret && i < m->nr_locks; i++)
		ret = cr_visit(ops, ctx, CRFS_REC_LOCK, &m->locks[i]);
	for (i = 0; !ret && i < m->nr_fss; i++)
		ret = cr_visit(ops, ctx, CRFS_REC_FS, &m->fss[i]);
	for (i = 0; !ret && i < m->nr_sighands; i++)
		ret = cr_visit(ops, ctx, CRFS_REC_SIGHAND, &m->sighands[i]);
	for (i = 0; !ret && i < m->nr_tasks; i++)
		ret = cr_walk_task(&m->tasks[i], ops, ctx);
	return ret;
}

/* Writing: each record by its row. */
struct cr_write_ctx {
	struct cr_img	*img;
	struct cr_err	*e;
};

static int cr_write_visit(void *ctx, const struct cr_rec_ops *row,
			  const void *obj)
{
	struct cr_write_ctx *w = ctx;

	return row->write(w->img, obj, w->e);
}

int cr_model_write(struct cr_img *img, const struct cr_model *m,
		   struct cr_err *e)
{
	static const struct cr_walk_ops ops = { cr_write_visit, NULL };
	struct cr_write_ctx w = { img, e };

	return cr_model_walk(m, &ops, &w);
}

/*
 * Printing: a list per object kind; inside an object the lists of its
 * children (an MM's VMAs, a TASK's pending signals and threads), inside
 * a thread the list of its own pending signals.
 */
struct cr_print_ctx {
	struct cr_emit	*o;
	uint32_t	list;		/* the top-level list open (a type) */
	uint32_t	sub;		/* the list open inside its object */
	uint32_t	tsub;		/* the list open inside a thread */
	bool		in_thread;
};

/* The key of each list, by record type. */
static const char *const cr_list_names[CRFS_REC_NR] = {
	[CRFS_REC_FILE] = "files", [CRFS_REC_SHMEM] = "shmems",
	[CRFS_REC_MM] = "mms", [CRFS_REC_VMA] = "vmas",
	[CRFS_REC_FDTABLE] = "fdtables", [CRFS_REC_FD] = "fds",
	[CRFS_REC_LOCK] = "locks",
	[CRFS_REC_FS] = "fs", [CRFS_REC_SIGHAND] = "sighands",
	[CRFS_REC_TASK] = "tasks", [CRFS_REC_SIGPENDING] = "pending",
	[CRFS_REC_THREAD] = "threads", [CRFS_REC_SECCOMP] = "seccomp",
	[CRFS_REC_TIMER] = "timers", [CRFS_REC_IPCNS] = "ipcns",
	[CRFS_REC_IPC] = "ipcs",
};

/* Make the list open in *@open the one of @type (0: none). */
static void cr_print_list(struct cr_emit *o, uint32_t *open, uint32_t type)
{
	if (*open == type)
		return;
	if (*open)
		o->ops->close(o, true);
	*open = type;
	if (type)
		o->ops->open(o, cr_list_names[type], true);
}

static int cr_print_visit(void *ctx, const struct cr_rec_ops *row,
			  const void *obj)
{
	struct cr_print_ctx *p = ctx;
	struct cr_emit *o = p->o;
	uint32_t t = row->type;

	switch (t) {
	case CRFS_REC_CREDS:
	case CRFS_REC_X86_REGS:
	case CRFS_REC_X86_XSTATE:
		/* An object of its own inside the task or thread. */
		cr_print_list(o, p->in_thread ? &p->tsub : &p->sub, 0);
		row->print(o, obj);
		return 0;
	case CRFS_REC_SIGPENDING:
		cr_print_list(o, p->in_thread ? &p->tsub : &p->sub, t);
		break;
	case CRFS_REC_SECCOMP:
		cr_print_list(o, &p->tsub, t);
		break;
	case CRFS_REC_VMA:
	case CRFS_REC_FD:
	case CRFS_REC_THREAD:
	case CRFS_REC_TIMER:
		cr_print_list(o, &p->sub, t);
		break;
	default:
		cr_print_list(o, &p->list, t);
	}
	o->ops->open(o, NULL, false);
	row->print(o, obj);
	if (t == CRFS_REC_THREAD) {
		p->in_thread = true;
		p->tsub = 0;
	}
	/* What has no children is closed at once. */
	if (t != CRFS_REC_MM && t != CRFS_REC_FDTABLE && t != CRFS_REC_TASK &&
	    t != CRFS_REC_THREAD)
		o->ops->close(o, false);
	return 0;
}

static void cr_print_leave(void *ctx, const struct cr_rec_ops *row,
			   const void *obj)
{
	struct cr_print_ctx *p = ctx;

	(void)obj;
	if (row->type == CRFS_REC_THREAD) {
		cr_print_list(p->o, &p->tsub, 0);
		p->in_thread = false;
	} else {
		cr_print_list(p->o, &p->sub, 0);
	}
	p->o->ops->close(p->o, false);
}

void cr_model_print(const struct cr_model *m, struct cr_emit *o)
{
	static const struct cr_walk_ops ops = { cr_print_visit,
						cr_print_leave };
	struct cr_print_ctx p = { .o = o };

	cr_model_walk(m, &ops, &p);
	cr_print_list(o, &p.list, 0);
}
