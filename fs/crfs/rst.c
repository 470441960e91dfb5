// SPDX-License-Identifier: GPL-2.0
/*
 * The restore context: the incremental parser of an image written into
 * an empty container's image file, the model of its objects and of its
 * tree of processes with their threads, and the abort.
 *
 * The header, then each record, is gathered whole (at most
 * CRFS_REC_MAX_LEN bytes), its crc32c checked, then checked by the rules
 * crfs-image verify applies to what the kernel restores (the table
 * crfs_rst_recs[]); any other record is refused naming what it is.  The
 * object records come first (MM, FDTABLE, FS, SIGHAND: each process's
 * own, a shared one refused), then the processes, the root first, each
 * after its parent (TASK and its records): at the first PAGES record (or
 * END) the model is checked whole and only then is the tree made
 * (rst-task.c).  A PAGES record is not gathered: its fixed part is, then
 * its data goes straight from the writer into the pages of the process
 * whose MM it names, its crc32c checked at its end (a mismatch fails the
 * restore, and kills the tree).  A failure is sticky: that write() and
 * every later one return its errno, the error file says "restore: pid P:
 * OBJECT: reason", and the processes made are killed and waited for.
 */
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/stdarg.h>
#include <linux/uio.h>

#include "crfs.h"
#include "ckpt.h"
#include "rst.h"

/**
 * crfs_rst_refuse - fail the restore with a reason in the error file
 * @r: the restore
 * @err: a negative errno
 * @fmt: the reason, printf style: "pid P: OBJECT: why"
 *
 * The error file reads "restore: REASON (ENAME)"; the first reason stays.
 * Return: @err.
 */
int crfs_rst_refuse(struct crfs_rst *r, int err, const char *fmt, ...)
{
	char why[CRFS_ERROR_LEN];
	va_list args;

	if (r->err)
		return r->err;
	va_start(args, fmt);
	vsnprintf(why, sizeof(why), fmt, args);
	va_end(args);
	r->err = err;
	return crfs_ct_fail(r->ct, err, "restore: %s", why);
}

/**
 * crfs_rst_file_by_id - the FILE of the model with id @id
 * @r: the restore
 * @id: the id a reference names
 *
 * Return: the FILE, or NULL if no record made it.
 */
struct crfs_rst_file *crfs_rst_file_by_id(struct crfs_rst *r, u32 id)
{
	unsigned int i;

	for (i = 0; id && i < r->nr_files; i++)
		if (r->files[i].f.id == id)
			return &r->files[i];
	return NULL;
}

/* The image's header: this machine's, one process, no pid namespace. */
static int crfs_rst_header(struct crfs_rst *r)
{
	struct crfs_image_hdr h = r->hdr;
	u64 xfeatures;
	u32 xsize, crc = h.crc;

	h.crc = 0;
	if (memcmp(h.magic, CRFS_IMAGE_MAGIC, CRFS_IMAGE_MAGIC_LEN))
		return crfs_rst_refuse(r, -EINVAL, "not a crfs image (magic)");
	if (crfs_crc32c(0, &h, sizeof(h)) != crc)
		return crfs_rst_refuse(r, -EINVAL, "image header: bad crc");
	if (h.version != CRFS_IMAGE_VERSION || h.hdr_size != sizeof(h))
		return crfs_rst_refuse(r, -EINVAL,
				       "image version %u: this kernel reads version %u",
				       h.version, CRFS_IMAGE_VERSION);
	if (h.arch != CRFS_ARCH_X86_64 || h.page_size != PAGE_SIZE)
		return crfs_rst_refuse(r, -EINVAL,
				       "image of another architecture or page size");
	if (h.features & ~CRFS_FEAT_KNOWN)
		return crfs_rst_refuse(r, -EINVAL, "image features %#llx unknown",
				       h.features);
	crfs_rec_xstate(&xfeatures, &xsize);
	if (!(h.features & CRFS_FEAT_XSTATE) || h.xfeatures != xfeatures ||
	    h.xstate_size != xsize)
		return crfs_rst_refuse(r, -EOPNOTSUPP,
				       "image: FPU state of XSAVE features %#llx (%u bytes), this machine has %#llx (%u)",
				       h.xfeatures, h.xstate_size, xfeatures, xsize);
	if (!h.nr_tasks || h.nr_tasks > CRFS_RST_MAX_PROCS)
		return crfs_rst_refuse(r, -EOPNOTSUPP,
				       "image: %u processes: kernel: 1 to %u",
				       h.nr_tasks, CRFS_RST_MAX_PROCS);
	r->procs = kvcalloc(h.nr_tasks, sizeof(*r->procs), GFP_KERNEL);
	if (!r->procs)
		return -ENOMEM;
	r->have_hdr = true;
	return 0;
}

/* The process whose records are being read, or NULL before the first. */
static struct crfs_rst_proc *crfs_rst_last(struct crfs_rst *r)
{
	return r->nr_procs ? &r->procs[r->nr_procs - 1] : NULL;
}

/* Its pid, for a reason; 0 before the first TASK. */
static u32 crfs_rst_last_pid(struct crfs_rst *r)
{
	return r->nr_procs ? r->procs[r->nr_procs - 1].task.pid : 0;
}

/* Is the last process's every record read (its threads whole)? */
static bool crfs_rst_proc_whole(const struct crfs_rst_proc *p)
{
	return p->have_creds && p->nr_threads == p->task.nr_threads && p->lead &&
	       p->threads[p->nr_threads - 1].xstate;
}

/* CRFS_REC_TASK: a process, after the one before whole. */
static int crfs_rst_rec_task(struct crfs_rst *r, void *rec, size_t len)
{
	struct crfs_rst_proc *p = crfs_rst_last(r);
	const char *why;

	if (p && !crfs_rst_proc_whole(p))
		return crfs_rst_refuse(r, -EINVAL, "pid %u: its records are not whole before the next process",
				       p->task.pid);
	if (r->nr_procs == r->hdr.nr_tasks)
		return crfs_rst_refuse(r, -EINVAL, "image: more processes than the %u announced",
				       r->hdr.nr_tasks);
	p = &r->procs[r->nr_procs++];
	p->r = r;
	memcpy(&p->task, rec, sizeof(p->task));
	init_completion(&p->procset);
	init_completion(&p->queued);
	if (!p->task.nr_threads)
		return crfs_rst_refuse(r, -EINVAL, "pid %u: no thread", p->task.pid);
	if (p->task.nr_threads > CRFS_RST_MAX_THREADS)
		return crfs_rst_refuse(r, -EOPNOTSUPP, "pid %u: %u threads: kernel: at most %u",
				       p->task.pid, p->task.nr_threads, CRFS_RST_MAX_THREADS);
	why = crfs_rst_bind(r, p);
	if (why)
		return crfs_rst_refuse(r, strstr(why, "not yet") ? -EOPNOTSUPP : -EINVAL,
				       "pid %u: %s", p->task.pid, why);
	r->nr_tasks += p->task.nr_threads;
	if (r->nr_tasks > CRFS_RST_MAX_TASKS)
		return crfs_rst_refuse(r, -EOPNOTSUPP, "pid %u: more than %u threads in all: kernel: not yet",
				       p->task.pid, CRFS_RST_MAX_TASKS);
	p->threads = kvcalloc(p->task.nr_threads, sizeof(*p->threads), GFP_KERNEL);
	if (!p->threads)
		return -ENOMEM;
	return 0;
}

/* The thread whose records are being read, or NULL before the first. */
static struct crfs_rst_thread *crfs_rst_cur(struct crfs_rst_proc *p)
{
	return p && p->nr_threads ? &p->threads[p->nr_threads - 1] : NULL;
}

/* CRFS_REC_CREDS: the process's credentials, then its groups. */
static int crfs_rst_rec_creds(struct crfs_rst *r, void *rec, size_t len)
{
	struct crfs_rst_proc *p = crfs_rst_last(r);
	struct crfs_creds c;

	memcpy(&c, rec, sizeof(c));
	if (!p || p->have_creds || c.pid != p->task.pid)
		return crfs_rst_refuse(r, -EINVAL, "pid %u: credentials: not after its process",
				       c.pid);
	if (c.ngroups > CRFS_MAX_GROUPS ||
	    len != sizeof(c) + ALIGN(c.ngroups * sizeof(u32), 8))
		return crfs_rst_refuse(r, -EINVAL, "pid %u: credentials: bad length or number of groups",
				       c.pid);
	if (c.ngroups) {
		p->groups = kvmalloc_array(c.ngroups, sizeof(u32), GFP_KERNEL);
		if (!p->groups)
			return -ENOMEM;
		memcpy(p->groups, rec + sizeof(c), c.ngroups * sizeof(u32));
	}
	p->creds = c;
	p->have_creds = true;
	return 0;
}

/* CRFS_REC_THREAD: a thread of the process, after the one before whole. */
static int crfs_rst_rec_thread(struct crfs_rst *r, void *rec, size_t len)
{
	struct crfs_rst_proc *p = crfs_rst_last(r);
	struct crfs_rst_thread *t = crfs_rst_cur(p);
	struct crfs_thread th;
	unsigned int i;

	memcpy(&th, rec, sizeof(th));
	if (!p || !p->have_creds || th.pid != p->task.pid ||
	    p->nr_threads == p->task.nr_threads || (t && !t->xstate))
		return crfs_rst_refuse(r, -EINVAL, "pid %u: thread %u: not after its process or the thread before",
				       th.pid, th.tid);
	for (i = 0; i < p->nr_threads; i++)
		if (p->threads[i].th.tid == th.tid)
			return crfs_rst_refuse(r, -EINVAL, "pid %u: thread %u: twice",
					       th.pid, th.tid);
	t = &p->threads[p->nr_threads++];
	t->p = p;
	t->th = th;
	if (th.tid == p->task.pid)
		p->lead = t;
	return 0;
}

/* CRFS_REC_SIGPENDING: a queued signal, the process's (tid 0) or its thread's. */
static int crfs_rst_rec_sigpending(struct crfs_rst *r, void *rec, size_t len)
{
	struct crfs_rst_proc *p = crfs_rst_last(r);
	struct crfs_rst_thread *t = crfs_rst_cur(p);
	struct crfs_sigpending s, *n;
	int si_signo;

	memcpy(&s, rec, sizeof(s));
	memcpy(&si_signo, s.siginfo, sizeof(si_signo));
	if (!p || !p->have_creds || (t && t->have_regs) ||
	    (s.tid && (!t || s.tid != t->th.tid)) || (!s.tid && t))
		return crfs_rst_refuse(r, -EINVAL, "pid %u: pending signal %u: not after its process or thread",
				       crfs_rst_last_pid(r), s.signo);
	if (!s.signo || !valid_signal(s.signo) || s.signo > CRFS_NSIG ||
	    si_signo != s.signo)
		return crfs_rst_refuse(r, -EINVAL, "pid %u: pending signal %u: bad number or siginfo",
				       p->task.pid, s.signo);
	if (s.signo == SIGKILL)
		return crfs_rst_refuse(r, -EOPNOTSUPP, "pid %u: SIGKILL pending: kernel: not yet",
				       p->task.pid);
	if (p->nr_sigq == CRFS_MAX_SIGQ)
		return crfs_rst_refuse(r, -EOPNOTSUPP, "pid %u: more than %d pending signals: kernel: not yet",
				       p->task.pid, CRFS_MAX_SIGQ);
	if (p->nr_sigq == p->sigq_room) {
		n = kvmalloc_array(max(2 * p->sigq_room, 16U), sizeof(*n), GFP_KERNEL);
		if (!n)
			return -ENOMEM;
		if (p->nr_sigq)
			memcpy(n, p->sigq, p->nr_sigq * sizeof(*n));
		kvfree(p->sigq);
		p->sigq = n;
		p->sigq_room = max(2 * p->sigq_room, 16U);
	}
	p->sigq[p->nr_sigq++] = s;
	return 0;
}

/* CRFS_REC_X86_REGS: the thread's registers. */
static int crfs_rst_rec_regs(struct crfs_rst *r, void *rec, size_t len)
{
	struct crfs_rst_thread *t = crfs_rst_cur(crfs_rst_last(r));
	struct crfs_x86_regs regs;

	memcpy(&regs, rec, sizeof(regs));
	if (!t || t->have_regs || regs.tid != t->th.tid)
		return crfs_rst_refuse(r, -EINVAL, "pid %u: registers: not after its thread",
				       crfs_rst_last_pid(r));
	t->regs = regs;
	t->have_regs = true;
	return 0;
}

/* CRFS_REC_X86_XSTATE: the thread's XSAVE area. */
static int crfs_rst_rec_xstate(struct crfs_rst *r, void *p, size_t len)
{
	struct crfs_rst_thread *t = crfs_rst_cur(crfs_rst_last(r));
	struct crfs_x86_xstate xs;

	memcpy(&xs, p, sizeof(xs));
	if (!t || !t->have_regs || t->xstate || xs.tid != t->th.tid ||
	    xs.size != r->hdr.xstate_size ||
	    len != ALIGN(sizeof(xs) + xs.size, 8))
		return crfs_rst_refuse(r, -EINVAL, "pid %u: FPU: not after its registers, or bad size",
				       crfs_rst_last_pid(r));
	t->xstate = kvmemdup((char *)p + sizeof(xs), xs.size, GFP_KERNEL);
	if (!t->xstate)
		return -ENOMEM;
	return 0;
}

/* Is the model whole, and can the kernel restore it?  Then make the tree. */
static int crfs_rst_plan(struct crfs_rst *r)
{
	struct crfs_rst_proc *p;
	int ret;

	p = crfs_rst_last(r);
	if (r->nr_procs != r->hdr.nr_tasks || !crfs_rst_proc_whole(p))
		return crfs_rst_refuse(r, -EINVAL,
				       "image: %u of %u processes, the last one's threads (the leader among them), registers or FPU missing",
				       r->nr_procs, r->hdr.nr_tasks);
	ret = crfs_rst_check_pipes(r);
	if (!ret)
		ret = crfs_rst_plan_tree(r);
	for (p = r->procs; !ret && p < r->procs + r->nr_procs; p++) {
		if (p->nr_vmas != p->mm->nr_vmas || p->nr_fds != p->fdt->nr_fds)
			return crfs_rst_refuse(r, -EINVAL,
					       "pid %u: fewer mappings or descriptors than announced",
					       p->task.pid);
		ret = crfs_rst_check_files(p);
		if (!ret)
			ret = crfs_rst_check_mm(p);
		if (!ret)
			ret = crfs_rst_plan_task(p);
		if (!ret)
			ret = crfs_rst_plan_timers(p);
	}
	if (!ret)
		ret = crfs_rst_spawn(r);
	return ret;
}

/*
 * CRFS_REC_PAGES: its fixed part and padding are in @r->buf (@r->need
 * bytes); check them, then its data goes straight into the process
 * (crfs_rst_pages_copy()), never gathered.  Return: 0 with @r->need grown
 * to take the padding first, or with @r->pg_left set; or an errno.
 */
static int crfs_rst_pages_head(struct crfs_rst *r)
{
	struct crfs_rec_hdr rh = r->rh;
	struct crfs_rst_proc *p;
	struct crfs_pages pg;
	size_t data_off;
	int ret;

	memcpy(&pg, r->buf, sizeof(pg));
	data_off = sizeof(pg) + pg.pad;
	if (pg.pad < PAGE_SIZE && r->need < data_off) {
		r->buf_len = r->need;	/* the padding, then data */
		r->need = data_off;
		return 0;
	}
	if (!r->made) {
		ret = crfs_rst_plan(r);
		if (ret)
			return ret;
	}
	for (p = r->procs; p < r->procs + r->nr_procs; p++)
		if (pg.owner == CRFS_PAGES_MM && p->mm->id == pg.id)
			break;
	if (p == r->procs + r->nr_procs || p->pages_done)
		return crfs_rst_refuse(r, -EINVAL, "pages at %#llx: of no address space, or after the next one's",
				       pg.addr);
	if (p != r->pg_proc) {
		if (r->pg_proc)
			r->pg_proc->pages_done = true;
		r->pg_proc = p;
		r->pages_end = 0;
	}
	if (!pg.nr_pages ||
	    pg.nr_pages > CRFS_PAGES_PER_REC || pg.pad >= PAGE_SIZE ||
	    r->off % PAGE_SIZE ||
	    r->rh.len != data_off + ((u64)pg.nr_pages << PAGE_SHIFT) ||
	    pg.addr % PAGE_SIZE || pg.addr < r->pages_end)
		return crfs_rst_refuse(r, -EINVAL, "pid %u: pages at %#llx: bad record",
				       p->task.pid, pg.addr);
	ret = crfs_rst_pages_begin(p, &pg);
	if (ret)
		return ret;
	rh.crc = 0;
	r->pgs[r->pg_set].head = crfs_crc32c(crfs_crc32c(0, &rh, sizeof(rh)),
					     r->buf, data_off);
	r->pg_addr = pg.addr;
	r->pg_left = (u64)pg.nr_pages << PAGE_SHIFT;
	return 0;
}

/* The data of a PAGES record: into the process; at its end, its crc. */
static int crfs_rst_pages_feed(struct crfs_rst *r, struct iov_iter *from,
			       size_t *took)
{
	ssize_t n = crfs_rst_pages_copy(r, from);

	if (n < 0)
		return n;
	*took = n;
	r->off += n;
	if (r->pg_left)
		return 0;
	/* its crc checked by the worker while the next record comes */
	crfs_pgset_check(&r->pgs[r->pg_set], r->rh.crc);
	r->pg_set ^= 1;
	r->pages_end = r->pg_addr;
	r->page_bytes += r->rh.len - sizeof(struct crfs_pages) -
			 ((struct crfs_pages *)r->buf)->pad;
	r->nr_records++;
	r->have_rh = false;
	r->need = sizeof(r->rh);
	return 0;
}

/*
 * The container takes another restore: @r no longer claims it (its claim
 * is ct->rst; a second call, or one after a cancel, does nothing).
 */
static void crfs_rst_unbusy(struct crfs_rst *r)
{
	struct crfs_ct *ct = r->ct;
	bool mine;

	spin_lock(&ct->lock);
	mine = ct->rst == r;
	if (mine) {
		ct->restoring = false;
		ct->rst = NULL;
	}
	spin_unlock(&ct->lock);
	if (mine)
		crfs_ct_changed(ct);
}

/* CRFS_REC_END: the trailer; the process finishes and freezes. */
static int crfs_rst_rec_end(struct crfs_rst *r, void *p, size_t len)
{
	u64 bytes = r->off - sizeof(struct crfs_rec_hdr) - len;
	struct crfs_end end;
	int ret;

	memcpy(&end, p, sizeof(end));
	ret = crfs_rst_pages_settle(r);
	if (ret)
		return ret;
	if (end.nr_records != r->nr_records || end.bytes != bytes ||
	    end.page_bytes != r->page_bytes)
		return crfs_rst_refuse(r, -EBADMSG,
				       "image: trailer counts %llu records, %llu bytes, %llu page bytes; read %llu, %llu, %llu",
				       end.nr_records, end.bytes, end.page_bytes,
				       r->nr_records, bytes, r->page_bytes);
	if (!r->made) {
		ret = crfs_rst_plan(r);
		if (ret)
			return ret;
	}
	ret = crfs_rst_complete(r);
	if (!ret) {
		r->done = true;
		crfs_rst_unbusy(r);	/* it may be thawed, checkpointed */
	}
	return ret;
}

/* A record kind the kernel restores: its fixed size and reader. */
struct crfs_rst_rec {
	const char	*name;
	size_t		size;		/* the payload's least bytes */
	bool		exact;		/* and most */
	int		(*read)(struct crfs_rst *r, void *p, size_t len);
};

/* Indexed by CRFS_REC_*; a kind without reader is refused by name. */
static const struct crfs_rst_rec crfs_rst_recs[CRFS_REC_NR] = {
	[CRFS_REC_FILE]		= { "file", sizeof(struct crfs_file), false,
				    crfs_rst_rec_file },
	[CRFS_REC_SHMEM]	= { "shared anonymous memory" },
	[CRFS_REC_MM]		= { "address space", sizeof(struct crfs_mm), true,
				    crfs_rst_rec_mm },
	[CRFS_REC_VMA]		= { "mapping", sizeof(struct crfs_vma), false,
				    crfs_rst_rec_vma },
	[CRFS_REC_FDTABLE]	= { "fd table", sizeof(struct crfs_fdtable), true,
				    crfs_rst_rec_fdtable },
	[CRFS_REC_FD]		= { "descriptor", sizeof(struct crfs_fd), true,
				    crfs_rst_rec_fd },
	[CRFS_REC_LOCK]		= { "file lock" },
	[CRFS_REC_FS]		= { "fs", sizeof(struct crfs_fs), true, crfs_rst_rec_fs },
	[CRFS_REC_SIGHAND]	= { "signal handlers", sizeof(struct crfs_sighand), true,
				    crfs_rst_rec_sighand },
	[CRFS_REC_TASK]		= { "process", sizeof(struct crfs_task), true,
				    crfs_rst_rec_task },
	[CRFS_REC_CREDS]	= { "credentials", sizeof(struct crfs_creds), false,
				    crfs_rst_rec_creds },
	[CRFS_REC_SIGPENDING]	= { "pending signal", sizeof(struct crfs_sigpending), true,
				    crfs_rst_rec_sigpending },
	[CRFS_REC_THREAD]	= { "thread", sizeof(struct crfs_thread), true,
				    crfs_rst_rec_thread },
	[CRFS_REC_SECCOMP]	= { "seccomp filter" },
	[CRFS_REC_TIMER]	= { "POSIX timer", sizeof(struct crfs_timer), true,
				    crfs_rst_rec_timer },
	[CRFS_REC_FILE_DATA]	= { "file data (memfd, deleted file)" },
	/* read as it comes: crfs_rst_pages_head(), crfs_rst_pages_feed() */
	[CRFS_REC_PAGES]	= { "pages", sizeof(struct crfs_pages), false,
				    NULL },
	[CRFS_REC_END]		= { "end", sizeof(struct crfs_end), true,
				    crfs_rst_rec_end },
	[CRFS_REC_IPCNS]	= { "ipc namespace", sizeof(struct crfs_ipcns), true,
				    crfs_rst_rec_ipcns },
	[CRFS_REC_IPC]		= { "SysV IPC object" },
	[CRFS_REC_IPC_DATA]	= { "SysV shared memory data" },
};

/* The record header just gathered: a kind and a length the kernel takes. */
static int crfs_rst_rec_head(struct crfs_rst *r)
{
	u32 type = r->rh.type;

	if (r->rh.len % 8 || r->rh.len > CRFS_REC_MAX_LEN)
		return crfs_rst_refuse(r, -EINVAL, "record %llu (type %u): bad length %llu",
				       r->nr_records, type, r->rh.len);
	if (type == CRFS_REC_X86_REGS) {
		if (r->rh.len != sizeof(struct crfs_x86_regs))
			return crfs_rst_refuse(r, -EINVAL, "registers: bad length");
		return 0;
	}
	if (type == CRFS_REC_X86_XSTATE)
		return r->rh.len < sizeof(struct crfs_x86_xstate) ?
			crfs_rst_refuse(r, -EINVAL, "FPU: bad length") : 0;
	if (!type || type >= CRFS_REC_NR)
		return crfs_rst_refuse(r, -EINVAL, "record %llu: unknown type %u",
				       r->nr_records, type);
	if (!crfs_rst_recs[type].read && type != CRFS_REC_PAGES)
		return crfs_rst_refuse(r, -EOPNOTSUPP,
				       "pid %u: %s: kernel: not yet",
				       crfs_rst_last_pid(r), crfs_rst_recs[type].name ?: "?");
	if (r->rh.len < crfs_rst_recs[type].size ||
	    (crfs_rst_recs[type].exact && r->rh.len != crfs_rst_recs[type].size))
		return crfs_rst_refuse(r, -EINVAL, "record %llu (%s): bad length %llu",
				       r->nr_records, crfs_rst_recs[type].name, r->rh.len);
	return 0;
}

/* The record just gathered: its crc, then its reader. */
static int crfs_rst_rec(struct crfs_rst *r)
{
	struct crfs_rec_hdr rh = r->rh;
	u32 crc;
	int ret;

	rh.crc = 0;
	crc = crfs_crc32c(0, &rh, sizeof(rh));
	crc = crfs_crc32c(crc, r->buf, r->rh.len);
	if (crc != r->rh.crc)
		return crfs_rst_refuse(r, -EINVAL, "record %llu (type %u): bad crc",
				       r->nr_records, r->rh.type);
	if (r->rh.type == CRFS_REC_X86_REGS)
		ret = crfs_rst_rec_regs(r, r->buf, r->rh.len);
	else if (r->rh.type == CRFS_REC_X86_XSTATE)
		ret = crfs_rst_rec_xstate(r, r->buf, r->rh.len);
	else
		ret = crfs_rst_recs[r->rh.type].read(r, r->buf, r->rh.len);
	if (ret)
		return crfs_rst_refuse(r, ret, "record %llu: %s", r->nr_records,
				       crfs_err_words(ret));
	if (r->rh.type != CRFS_REC_END)
		r->nr_records++;
	return 0;
}

/* Take up to what the current piece needs; act on it when whole. */
static int crfs_rst_feed(struct crfs_rst *r, struct iov_iter *from, size_t *took)
{
	char *dst;
	size_t n;
	int ret;

	if (r->done)
		return crfs_rst_refuse(r, -EBADMSG, "image: trailing data after the trailer (END)");
	if (r->pg_left)
		return crfs_rst_pages_feed(r, from, took);
	if (!r->have_hdr)
		dst = (char *)&r->hdr;
	else if (!r->have_rh)
		dst = (char *)&r->rh;
	else
		dst = r->buf;
	n = copy_from_iter(dst + r->buf_len, r->need - r->buf_len, from);
	if (!n)
		return -EFAULT;
	*took = n;
	r->buf_len += n;
	r->off += n;
	if (r->buf_len < r->need)
		return 0;
	r->buf_len = 0;
	if (!r->have_hdr) {
		ret = crfs_rst_header(r);
		r->need = sizeof(r->rh);
	} else if (!r->have_rh) {
		ret = crfs_rst_rec_head(r);
		r->have_rh = true;
		r->need = r->rh.len;
		if (r->rh.type == CRFS_REC_PAGES)
			r->need = sizeof(struct crfs_pages);
		if (!ret && !r->need) {
			ret = -EINVAL;
			crfs_rst_refuse(r, ret, "record %llu: empty", r->nr_records);
		}
	} else if (r->rh.type == CRFS_REC_PAGES) {
		ret = crfs_rst_pages_head(r);
	} else {
		ret = crfs_rst_rec(r);
		r->have_rh = false;
		r->need = sizeof(r->rh);
	}
	return ret;
}

/*
 * A kill of the container called the restore off, or a process of it
 * gave up (and said why): the writer stops at once, not at END.
 */
static int crfs_rst_stopped(struct crfs_rst *r)
{
	int err = READ_ONCE(r->child_err);

	if (READ_ONCE(r->cancel))
		return crfs_rst_refuse(r, -ECANCELED, "%s was killed during the restore",
				       r->ct->name);
	if (err && !r->err)
		r->err = err;
	return err;
}

/**
 * crfs_rst_write - take the next bytes of the image
 * @r: the restore
 * @from: the bytes
 *
 * Return: the bytes taken, or the errno of the restore's failure (this
 * write's or an earlier one's), the process killed unless an earlier
 * write() restored it whole (trailing data after END).
 */
ssize_t crfs_rst_write(struct crfs_rst *r, struct iov_iter *from)
{
	size_t done = 0, n;
	bool restored;
	int ret = 0;

	if (mutex_lock_killable(&r->lock))
		return -EINTR;
	restored = r->done;
	n = iov_iter_count(from);
	if (restored && n)	/* a later write(): the restore stands */
		crfs_rst_refuse(r, -EBADMSG,
				"%s: %zu byte%s written after the image's trailer %s ignored: the restore is done and stands",
				r->ct->name, n, n == 1 ? "" : "s", n == 1 ? "was" : "were");
	while (!r->err && iov_iter_count(from)) {
		if (crfs_rst_stopped(r))
			break;
		n = 0;
		ret = crfs_rst_feed(r, from, &n);
		done += n;
		if (ret == -EFAULT && !r->err)
			break;
		if (ret && !r->err && fatal_signal_pending(current))
			crfs_rst_refuse(r, ret, "pid %u: the writer was killed",
					crfs_rst_last_pid(r));
		else if (ret && !r->err)
			crfs_rst_refuse(r, ret, "pid %u: %s", crfs_rst_last_pid(r),
					crfs_err_words(ret));
	}
	if (r->err) {
		/* a process an earlier write() restored is no longer ours */
		if (!restored)
			crfs_rst_kill(r);
		/* killed, the container thawed: it takes another operation */
		crfs_rst_unbusy(r);
		ret = r->err;
	}
	mutex_unlock(&r->lock);
	/*
	 * A kill that came while this write() held the lock, after its last
	 * look (crfs_rst_stopped()): the writer cancels it itself.  Paired
	 * with the barrier in crfs_rst_cancel().
	 */
	smp_mb();
	if (READ_ONCE(r->cancel) && !READ_ONCE(r->done))
		crfs_rst_cancel(r);
	if (READ_ONCE(r->err))
		return READ_ONCE(r->err);
	return done ?: ret;
}

/**
 * crfs_rst_open - begin a restore into an empty container
 * @ct: the container
 * @file: the image file, opened for writing
 *
 * Return: the restore, or an ERR_PTR() with the reason in the error file.
 */
struct crfs_rst *crfs_rst_open(struct crfs_ct *ct, struct file *file)
{
	struct crfs_cgroup_status st;
	struct crfs_rst *r;
	bool busy;

	if (!file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN) ||
	    !file_ns_capable(file, &init_user_ns, CAP_CHECKPOINT_RESTORE))
		return ERR_PTR(crfs_ct_fail(ct, -EPERM,
					    "restore: %s: needs CAP_SYS_ADMIN and CAP_CHECKPOINT_RESTORE",
					    ct->name));
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (r)
		r->buf = kvmalloc(CRFS_REC_MAX_LEN, GFP_KERNEL);
	if (!r || !r->buf) {
		kfree(r);
		return ERR_PTR(-ENOMEM);
	}
	refcount_set(&r->ref, 1);
	crfs_ct_get(ct);
	r->ct = ct;
	mutex_init(&r->lock);
	mutex_init(&r->build);
	r->wcred = get_cred(file->f_cred);
	r->need = sizeof(r->hdr);
	init_completion(&r->start);
	init_completion(&r->ready);
	init_completion(&r->go);
	init_completion(&r->finished);
	/* claimed and seen by a kill (crfs_image_kill()) at once */
	spin_lock(&ct->lock);
	busy = ct->restoring;
	if (!busy) {
		ct->restoring = true;
		ct->rst = r;
	}
	spin_unlock(&ct->lock);
	if (busy) {
		crfs_rst_put(r);
		return ERR_PTR(crfs_ct_fail(ct, -EBUSY, "restore: %s: another restore is under way",
					    ct->name));
	}
	crfs_cgroup_status(ct->cgrp, &st);
	if (st.populated || st.checkpoint) {
		crfs_rst_unbusy(r);
		crfs_rst_put(r);
		return ERR_PTR(crfs_ct_fail(ct, -EBUSY, "restore: %s: not empty (state %s)",
					    ct->name, crfs_ct_cg_state(ct)));
	}
	crfs_ct_changed(ct);	/* state: restoring */
	return r;
}

/**
 * crfs_rst_cancel - a kill of the container between two write()s
 * @r: the restore, referenced
 *
 * Its processes are killed and gone; the writer's next write() fails
 * (ECANCELED) and the container takes another restore at once.  A writer
 * in a write() holds the lock: that write() stops at its next step
 * (crfs_rst_stopped()), or cancels it itself once it let the lock go,
 * kills what it made and lets the container go.
 */
void crfs_rst_cancel(struct crfs_rst *r)
{
	WRITE_ONCE(r->cancel, true);
	smp_mb();	/* paired with crfs_rst_write()'s, after its unlock */
	if (!mutex_trylock(&r->lock))
		return;		/* the write() under way stops at its next step */
	if (!r->done && !r->err) {
		crfs_rst_stopped(r);	/* says why */
		crfs_rst_kill(r);
		/* not the writer: its zombie would keep the pid */
		crfs_rst_reap(r);
	}
	crfs_rst_unbusy(r);
	mutex_unlock(&r->lock);
}

/**
 * crfs_rst_release - end a restore: a process not restored whole is killed
 * @r: the restore
 */
void crfs_rst_release(struct crfs_rst *r)
{
	mutex_lock(&r->lock);	/* a kill may cancel it meanwhile */
	if (!r->done && !r->err && !r->off)
		crfs_rst_refuse(r, -ENODATA, "image is empty");
	else if (!r->done && !r->err && r->nr_procs)
		crfs_rst_refuse(r, -EINVAL, "pid %u: the image ended before END (truncated)",
				crfs_rst_last_pid(r));
	else if (!r->done && !r->err)
		crfs_rst_refuse(r, -EINVAL, "%s: the image ended before END (truncated)",
				r->ct->name);
	if (!r->done)
		crfs_rst_kill(r);
	crfs_rst_unbusy(r);
	mutex_unlock(&r->lock);
	crfs_rst_put(r);
}

/* A process's part of the model and of what was made. */
static void crfs_rst_free_proc(struct crfs_rst_proc *p)
{
	unsigned int i;

	if (p->task_mm)
		mmput(p->task_mm);
	if (p->proc)
		put_task_struct(p->proc);
	if (p->new_cred)
		put_cred(p->new_cred);
	for (i = 0; p->threads && i < p->task.nr_threads; i++) {
		if (p->threads[i].task)
			put_task_struct(p->threads[i].task);
		kfree(p->threads[i].ax);
		kvfree(p->threads[i].xstate);
	}
	kvfree(p->threads);
	kvfree(p->sigq);
	kvfree(p->timers);
	kvfree(p->groups);
}

/* The last reference is gone: the writer's and the processes'. */
static void crfs_rst_free(struct crfs_rst *r)
{
	unsigned int i;

	for (i = 0; i < r->nr_procs; i++)
		crfs_rst_free_proc(&r->procs[i]);
	kvfree(r->procs);
	for (i = 0; i < r->nr_helpers; i++)
		if (r->helpers[i].task)
			put_task_struct(r->helpers[i].task);
	kvfree(r->helpers);
	for (i = 0; i < r->nr_files; i++) {
		if (r->files[i].file)
			fput(r->files[i].file);
		kfree(r->files[i].path);
		kvfree(r->files[i].ext);
	}
	kfree(r->files);
	for (i = 0; i < r->nr_mms; i++)
		kvfree(r->mms[i].vmas);
	kfree(r->mms);
	for (i = 0; i < r->nr_fdts; i++)
		kvfree(r->fdts[i].fds);
	kfree(r->fdts);
	kfree(r->fss);
	for (i = 0; i < r->nr_sighands; i++)
		kfree(r->sighands[i]);
	kfree(r->sighands);
	crfs_pgset_free(&r->pgs[0]);
	crfs_pgset_free(&r->pgs[1]);
	kvfree(r->buf);
	put_cred(r->wcred);
	crfs_ct_put(r->ct);
	kfree(r);
}

/**
 * crfs_rst_put - drop a reference on a restore
 * @r: the restore
 *
 * The writer's goes at release(), the process's when it no longer touches
 * @r: a process the writer gave up waiting for (crfs_rst_kill()) may still
 * be in its entry function, in an open that no signal ends.
 */
void crfs_rst_put(struct crfs_rst *r)
{
	if (refcount_dec_and_test(&r->ref))
		crfs_rst_free(r);
}
