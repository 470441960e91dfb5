// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * crfs-image: look inside a crfs checkpoint image, as CRIU's crit does.
 *
 *   crfs-image show   [FILE]   human summary
 *   crfs-image json   [FILE]   the whole decode as JSON (page data summarized)
 *   crfs-image verify [FILE]   exit 0 only for a whole, valid image: one a
 *                              restore accepts (this machine aside)
 *
 * FILE "-" or none is stdin, which may be a pipe: the image is read once,
 * in order, one record in memory at a time, so multi-GiB images stream.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>

#include "task-img.h"

/*
 * The state of one image being walked.  The reading and every check are
 * the library's walker (img-check.c), the one the restore uses: what
 * verify accepts, a restore on a compatible machine accepts too.
 */
struct walk {
	const char		*name;
	const struct walk_ops	*ops;
	struct cr_img		img;
	struct cr_img_walk	iw;
	struct cr_err		e;
	const struct crfs_image_hdr *h;	/* &iw.hdr */
	const struct cr_task_img *t;	/* &iw.t */
	uint64_t		*vma_pages;	/* pages dumped per mapping */
	uint64_t		task_pages, task_page_recs;
	uint64_t		run_vaddr, run_pages;	/* json: a page run */
};

/* What each command does with the parts of an image, in stream order. */
struct walk_ops {
	const char	*name;
	const char	*help;
	void		(*hdr)(struct walk *w);
	void		(*task)(struct walk *w);	/* its records read */
	void		(*pages)(struct walk *w, const struct cr_img_pages *p);
	void		(*task_end)(struct walk *w);	/* its pages read */
	void		(*end)(struct walk *w, const struct crfs_end *end);
};

static const char *const vma_kinds[] = {
	[CRFS_VMA_ANON] = "anon", [CRFS_VMA_FILE] = "file",
	[CRFS_VMA_HEAP] = "heap", [CRFS_VMA_STACK] = "stack",
	[CRFS_VMA_VDSO] = "vdso", [CRFS_VMA_VVAR] = "vvar",
	[CRFS_VMA_VSYSCALL] = "vsyscall",
};

static const char *const fd_kinds[] = {
	[CRFS_FD_REG] = "reg", [CRFS_FD_CHR] = "chr",
};

/* struct user_regs_struct of x86-64, in order. */
static const char *const reg_names[CRFS_X86_64_NR_REGS] = {
	"r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
	"rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags",
	"rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs",
};

static const char *const rlimit_names[CRFS_NR_RLIMITS] = {
	"cpu", "fsize", "data", "stack", "core", "rss", "nproc", "nofile",
	"memlock", "as", "locks", "sigpending", "msgqueue", "nice", "rtprio",
	"rttime",
};

#define NAME(tab, i) \
	((i) < sizeof(tab) / sizeof((tab)[0]) && (tab)[i] ? (tab)[i] : "?")

static const char *arch_name(uint32_t arch)
{
	return arch == CRFS_ARCH_X86_64 ? "x86_64" : "unknown";
}

/* "SIGUSR1", "SIGRT3"; a static buffer. */
static const char *sig_name(uint32_t signo)
{
	static char buf[16];
	const char *s = sigabbrev_np(signo);

	if (s)
		snprintf(buf, sizeof(buf), "SIG%s", s);
	else if (signo >= (uint32_t)SIGRTMIN && signo <= (uint32_t)SIGRTMAX)
		snprintf(buf, sizeof(buf), "SIGRT%u", signo - SIGRTMIN);
	else
		snprintf(buf, sizeof(buf), "%u", signo);
	return buf;
}

static void prot_str(const struct crfs_vma *v, char out[5])
{
	out[0] = v->prot & PROT_READ ? 'r' : '-';
	out[1] = v->prot & PROT_WRITE ? 'w' : '-';
	out[2] = v->prot & PROT_EXEC ? 'x' : '-';
	out[3] = v->flags & CRFS_VMA_F_SHARED ? 's' : 'p';
	out[4] = 0;
}

/* A path, with control characters escaped so a table stays a table. */
static const char *show_str(const char *s)
{
	static char buf[4 * CRFS_PATH_MAX + 1];
	char *o = buf;

	for (; s && *s; s++) {
		unsigned char c = *s;

		if (c < 0x20 || c == 0x7f || c == '\\')
			o += sprintf(o, c == '\\' ? "\\\\" : "\\x%02x", c);
		else
			*o++ = c;
	}
	*o = 0;
	return buf;
}

/* Account a checked PAGES record to the mappings that hold it. */
static void walk_pages(struct walk *w, const struct cr_img_pages *p)
{
	uint64_t a = p->vaddr, b = p->vaddr + p->nr_pages * w->h->page_size;

	for (uint32_t i = p->vma; a < b && i < w->t->task.nr_vmas; i++) {
		const struct crfs_vma *v = &w->t->vmas[i].v;
		uint64_t end = v->end < b ? v->end : b;

		w->vma_pages[i] += (end - a) / w->h->page_size;
		a = end;
	}
	w->task_pages += p->nr_pages;
	w->task_page_recs++;
}

static int walk_task(struct walk *w)
{
	w->task_pages = w->task_page_recs = 0;
	free(w->vma_pages);
	w->vma_pages = calloc(w->t->task.nr_vmas + 1, sizeof(uint64_t));
	if (!w->vma_pages)
		return cr_fail(&w->e, ENOMEM, "out of memory");
	if (w->ops->task)
		w->ops->task(w);
	return 0;
}

/* Read the whole image, calling @w->ops on the way. */
static int walk_image(struct walk *w)
{
	int ret = cr_img_walk_begin(&w->iw, &w->img, &w->e);

	w->h = &w->iw.hdr;
	w->t = &w->iw.t;
	if (ret)
		return ret;
	if (w->ops->hdr)
		w->ops->hdr(w);
	for (;;) {
		ret = cr_img_walk_next(&w->iw, &w->e);
		switch (ret) {
		case CR_WALK_TASK:
			ret = walk_task(w);
			break;
		case CR_WALK_PAGES:
			walk_pages(w, &w->iw.pages);
			if (w->ops->pages)
				w->ops->pages(w, &w->iw.pages);
			ret = 0;
			break;
		case CR_WALK_TASK_END:
			if (w->ops->task_end)
				w->ops->task_end(w);
			ret = 0;
			break;
		case CR_WALK_END:
			if (w->ops->end)
				w->ops->end(w, &w->iw.end);
			return 0;
		}
		if (ret)
			return ret;
	}
}

/* show */

/* A file identity as "major:minor:ino" into @buf. */
static const char *show_id(char *buf, size_t len, uint64_t dev, uint64_t ino)
{
	snprintf(buf, len, "%u:%u:%" PRIu64, major(dev), minor(dev), ino);
	return buf;
}

/* A time in ns since the epoch as UTC, with its nanoseconds, into @buf. */
static const char *show_time(char *buf, size_t len, int64_t ns)
{
	time_t sec = ns / 1000000000LL;
	long frac = ns % 1000000000LL;
	char day[32];
	struct tm tm;

	if (frac < 0) {
		frac += 1000000000L;
		sec--;
	}
	if (!gmtime_r(&sec, &tm))
		snprintf(buf, len, "%" PRId64 " ns", ns);
	else if (strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "%s.%09ld UTC", day, frac);
	return buf;
}

static void show_hdr(struct walk *w)
{
	const struct crfs_image_hdr *h = w->h;
	time_t sec = h->time_ns / 1000000000ULL;
	struct cr_err e;
	struct tm tm;
	char when[64] = "?";

	if (gmtime_r(&sec, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	printf("image:       %s\n", w->name);
	printf("version:     %u\n", h->version);
	printf("arch:        %s (0x%x)\n", arch_name(h->arch), h->arch);
	printf("kernel:      %s %s\n", h->release, h->machine);
	printf("page size:   %u\n", h->page_size);
	printf("features:    0x%" PRIx64 "%s\n", (uint64_t)h->features,
	       h->features & CRFS_FEAT_XSTATE ? " (xstate)" : "");
	printf("xstate:      %u bytes, xfeatures 0x%" PRIx64 "\n",
	       h->xstate_size, (uint64_t)h->xfeatures);
	printf("dumped:      %s\n", when);
	printf("tasks:       %u\n", h->nr_tasks);
	if (cr_img_check_hdr(h, &e))
		printf("restorable:  no, %s\n", e.msg);
	else
		printf("restorable:  yes, on this machine\n");
}

static void show_signals(const struct cr_task_img *t)
{
	const struct crfs_sigstate *s = &t->sigstate;
	int any = 0;

	printf("  blocked:   0x%016" PRIx64 "\n", (uint64_t)s->blocked);
	printf("  handlers: ");
	for (uint32_t i = 0; i < CRFS_NSIG; i++) {
		const struct crfs_sigact *a = &t->sigacts.act[i];

		if (!a->handler)
			continue;
		any = 1;
		if (a->handler == 1)
			printf(" %s=ignore", sig_name(i + 1));
		else
			printf(" %s=0x%" PRIx64, sig_name(i + 1),
			       (uint64_t)a->handler);
	}
	printf("%s\n", any ? "" : " all default");
	if (!(s->altstack_flags & 2 /* SS_DISABLE */))
		printf("  altstack:  0x%" PRIx64 " size %" PRIu64 " flags 0x%x\n",
		       (uint64_t)s->altstack_sp, (uint64_t)s->altstack_size,
		       s->altstack_flags);
	for (uint32_t i = 0; i < t->task.nr_pending; i++)
		printf("  pending:   %s (%s)\n", sig_name(t->pending[i].signo),
		       t->pending[i].shared ? "shared" : "private");
}

static void show_task_end(struct walk *w)
{
	const struct cr_task_img *t = w->t;
	const struct crfs_creds *c = &t->creds;
	char id[48], when[48];

	printf("\ntask %u (%s), parent %u\n", t->task.pid, show_str(t->task.comm),
	       t->task.ppid);
	printf("  uid:       %u euid %u suid %u fsuid %u\n", c->uid, c->euid,
	       c->suid, c->fsuid);
	printf("  gid:       %u egid %u sgid %u fsgid %u\n", c->gid, c->egid,
	       c->sgid, c->fsgid);
	printf("  groups:   ");
	for (uint32_t i = 0; i < c->ngroups; i++)
		printf(" %u", t->groups[i]);
	printf("%s\n", c->ngroups ? "" : " none");
	printf("  exe:       %s (%s, %" PRIu64 " bytes, mtime %s)\n",
	       show_str(t->exe), show_id(id, sizeof(id), t->mm.exe_dev,
					 t->mm.exe_ino),
	       (uint64_t)t->mm.exe_size,
	       show_time(when, sizeof(when), t->mm.exe_mtime_ns));
	printf("  cwd:       %s (%s)\n", show_str(t->cwd),
	       show_id(id, sizeof(id), t->fs.cwd_dev, t->fs.cwd_ino));
	printf("  root:      %s (%s)\n", show_str(t->root),
	       show_id(id, sizeof(id), t->fs.root_dev, t->fs.root_ino));
	printf("  umask:     %04o, personality 0x%x, dumpable %u\n",
	       t->task.umask, t->task.personality, t->task.dumpable);
	if (t->task.rseq_addr)
		printf("  rseq:      0x%" PRIx64 ", %u bytes, signature 0x%x\n",
		       (uint64_t)t->task.rseq_addr, t->task.rseq_len,
		       t->task.rseq_sig);
	printf("  rip:       0x%" PRIx64 ", rsp 0x%" PRIx64 "\n",
	       (uint64_t)t->regs.r[16], (uint64_t)t->regs.r[19]);
	show_signals(t);

	printf("  mappings:  %u\n", t->task.nr_vmas);
	printf("    %-16s %-16s %-4s %-5s %-8s %8s  %s\n", "start", "end",
	       "prot", "flags", "kind", "pages", "path");
	for (uint32_t i = 0; i < t->task.nr_vmas; i++) {
		const struct crfs_vma *v = &t->vmas[i].v;
		char prot[5];

		prot_str(v, prot);
		printf("    %016" PRIx64 " %016" PRIx64 " %-4s %c%c%c   %-8s "
		       "%8" PRIu64 "  %s\n", (uint64_t)v->start,
		       (uint64_t)v->end, prot,
		       v->flags & CRFS_VMA_F_SHARED ? 's' : '-',
		       v->flags & CRFS_VMA_F_GROWSDOWN ? 'g' : '-',
		       v->flags & CRFS_VMA_F_LOCKED ? 'l' : '-',
		       NAME(vma_kinds, v->kind), w->vma_pages[i],
		       show_str(t->vmas[i].path));
	}
	printf("  fds:       %u\n", t->task.nr_fds);
	printf("    %4s %-4s %-8s %-7s %10s %-18s %10s  %s\n", "fd", "kind",
	       "flags", "cloexec", "pos", "dev:ino", "size/rdev", "path");
	for (uint32_t i = 0; i < t->task.nr_fds; i++) {
		const struct crfs_fd *f = &t->fds[i].f;
		char sz[24];

		if (f->kind == CRFS_FD_CHR)
			snprintf(sz, sizeof(sz), "%u:%u", major(f->rdev),
				 minor(f->rdev));
		else
			snprintf(sz, sizeof(sz), "%" PRIu64, (uint64_t)f->size);
		printf("    %4u %-4s 0%-7o %-7s %10" PRIu64 " %-18s %10s  %s\n",
		       f->fd, NAME(fd_kinds, f->kind), f->flags,
		       f->cloexec ? "yes" : "no", (uint64_t)f->pos,
		       show_id(id, sizeof(id), f->dev, f->ino), sz,
		       show_str(t->fds[i].path));
	}
	printf("  pages:     %" PRIu64 " (%" PRIu64 " bytes) in %" PRIu64
	       " records\n", w->task_pages, w->task_pages * w->h->page_size,
	       w->task_page_recs);
}

static void show_end(struct walk *w, const struct crfs_end *end)
{
	printf("\ntotals:      %" PRIu64 " records, %" PRIu64 " page bytes, %"
	       PRIu64 " image bytes\n", (uint64_t)end->nr_records + 1,
	       (uint64_t)end->page_bytes, w->img.off);
}

/* json: a small streaming writer */

static int j_depth;
static bool j_first[32] = { true };

static void j_str_body(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	while (*p) {
		int n = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 :
			(*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 0;
		int k;

		for (k = 1; k < n && (p[k] & 0xc0) == 0x80; k++)
			;
		if (n > 1 && k == n) {		/* valid UTF-8 sequence */
			fwrite(p, 1, n, stdout);
			p += n;
			continue;
		}
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)	/* also stray bytes */
			printf("\\u%04x", *p);
		else
			putchar(*p);
		p++;
	}
	putchar('"');
}

static void j_key(const char *key)
{
	if (j_depth)
		printf("%s\n%*s", j_first[j_depth] ? "" : ",", 2 * j_depth, "");
	j_first[j_depth] = false;
	if (key)
		printf("\"%s\": ", key);
}

static void j_open(const char *key, char c)
{
	j_key(key);
	putchar(c);
	j_first[++j_depth] = true;
}

static void j_close(char c)
{
	bool empty = j_first[j_depth--];

	if (!empty)
		printf("\n%*s", 2 * j_depth, "");
	putchar(c);
}

static void j_u64(const char *key, uint64_t v)
{
	j_key(key);
	printf("%" PRIu64, v);
}

static void j_s64(const char *key, int64_t v)
{
	j_key(key);
	printf("%" PRId64, v);
}

static void j_hex(const char *key, uint64_t v)
{
	j_key(key);
	printf("\"0x%" PRIx64 "\"", v);
}

static void j_str(const char *key, const char *s)
{
	j_key(key);
	if (s)
		j_str_body(s);
	else
		printf("null");
}

static void j_bytes(const char *key, const void *p, size_t len)
{
	const unsigned char *b = p;

	j_key(key);
	putchar('"');
	for (size_t i = 0; i < len; i++)
		printf("%02x", b[i]);
	putchar('"');
}

static void json_hdr(struct walk *w)
{
	const struct crfs_image_hdr *h = w->h;
	struct cr_err e;

	j_open(NULL, '{');
	j_open("header", '{');
	j_u64("version", h->version);
	j_u64("hdr_size", h->hdr_size);
	j_hex("arch", h->arch);
	j_str("arch_name", arch_name(h->arch));
	j_u64("page_size", h->page_size);
	j_hex("features", h->features);
	j_hex("xfeatures", h->xfeatures);
	j_u64("xstate_size", h->xstate_size);
	j_u64("nr_tasks", h->nr_tasks);
	j_u64("time_ns", h->time_ns);
	j_str("release", h->release);
	j_str("machine", h->machine);
	j_hex("crc", h->crc);
	j_close('}');
	j_key("restorable");
	if (cr_img_check_hdr(h, &e))
		j_str_body(e.msg);
	else
		printf("true");
	j_open("tasks", '[');
}

static void json_sigs(const struct cr_task_img *t)
{
	const struct crfs_sigstate *s = &t->sigstate;

	j_open("sigacts", '[');
	for (uint32_t i = 0; i < CRFS_NSIG; i++) {
		const struct crfs_sigact *a = &t->sigacts.act[i];

		j_open(NULL, '{');
		j_u64("signo", i + 1);
		j_str("name", sig_name(i + 1));
		j_hex("handler", a->handler);
		j_hex("flags", a->flags);
		j_hex("restorer", a->restorer);
		j_hex("mask", a->mask);
		j_close('}');
	}
	j_close(']');
	j_open("sigstate", '{');
	j_hex("blocked", s->blocked);
	j_hex("altstack_sp", s->altstack_sp);
	j_u64("altstack_size", s->altstack_size);
	j_hex("altstack_flags", s->altstack_flags);
	j_close('}');
	j_open("pending", '[');
	for (uint32_t i = 0; i < t->task.nr_pending; i++) {
		j_open(NULL, '{');
		j_u64("signo", t->pending[i].signo);
		j_str("name", sig_name(t->pending[i].signo));
		j_u64("shared", t->pending[i].shared);
		j_bytes("siginfo", t->pending[i].siginfo, CRFS_SIGINFO_SIZE);
		j_close('}');
	}
	j_close(']');
}

static void json_mm(const struct cr_task_img *t)
{
	const struct crfs_mm *m = &t->mm;
	uint64_t xbv;

	j_open("xstate", '{');
	j_u64("size", t->xstate_size);
	if (t->xstate_size >= 520) {	/* XSAVE header: xstate_bv */
		memcpy(&xbv, (const char *)t->xstate + 512, sizeof(xbv));
		j_hex("xstate_bv", xbv);
	}
	j_close('}');
	j_open("mm", '{');
	j_hex("start_code", m->start_code);
	j_hex("end_code", m->end_code);
	j_hex("start_data", m->start_data);
	j_hex("end_data", m->end_data);
	j_hex("start_brk", m->start_brk);
	j_hex("brk", m->brk);
	j_hex("start_stack", m->start_stack);
	j_hex("arg_start", m->arg_start);
	j_hex("arg_end", m->arg_end);
	j_hex("env_start", m->env_start);
	j_hex("env_end", m->env_end);
	j_str("exe", t->exe);
	j_hex("exe_dev", m->exe_dev);
	j_u64("exe_ino", m->exe_ino);
	j_u64("exe_size", m->exe_size);
	j_s64("exe_mtime_ns", m->exe_mtime_ns);
	j_open("auxv", '[');
	for (uint32_t i = 0; i + 1 < m->auxv_words; i += 2) {
		j_open(NULL, '{');
		j_u64("type", m->auxv[i]);
		j_hex("value", m->auxv[i + 1]);
		j_close('}');
	}
	j_close(']');
	j_close('}');
}

static void json_task(struct walk *w)
{
	const struct cr_task_img *t = w->t;
	const struct crfs_creds *c = &t->creds;

	j_open(NULL, '{');
	j_u64("pid", t->task.pid);
	j_u64("ppid", t->task.ppid);
	j_str("comm", t->task.comm);
	j_hex("personality", t->task.personality);
	j_u64("umask", t->task.umask);
	j_u64("dumpable", t->task.dumpable);
	j_hex("rseq_addr", t->task.rseq_addr);
	j_u64("rseq_len", t->task.rseq_len);
	j_hex("rseq_sig", t->task.rseq_sig);
	j_open("creds", '{');
	j_u64("uid", c->uid);
	j_u64("euid", c->euid);
	j_u64("suid", c->suid);
	j_u64("fsuid", c->fsuid);
	j_u64("gid", c->gid);
	j_u64("egid", c->egid);
	j_u64("sgid", c->sgid);
	j_u64("fsgid", c->fsgid);
	j_open("groups", '[');
	for (uint32_t i = 0; i < c->ngroups; i++)
		j_u64(NULL, t->groups[i]);
	j_close(']');
	j_close('}');
	j_str("cwd", t->cwd);
	j_hex("cwd_dev", t->fs.cwd_dev);
	j_u64("cwd_ino", t->fs.cwd_ino);
	j_str("root", t->root);
	j_hex("root_dev", t->fs.root_dev);
	j_u64("root_ino", t->fs.root_ino);
	j_open("rlimits", '{');
	for (int i = 0; i < CRFS_NR_RLIMITS; i++) {
		j_open(rlimit_names[i], '{');
		j_u64("cur", t->rlim.rlim[i].cur);
		j_u64("max", t->rlim.rlim[i].max);
		j_close('}');
	}
	j_close('}');
	json_sigs(t);
	j_open("regs", '{');
	for (int i = 0; i < CRFS_X86_64_NR_REGS; i++)
		j_hex(reg_names[i], t->regs.r[i]);
	j_close('}');
	json_mm(t);
	j_open("pages", '[');
	w->run_pages = 0;
}

static void json_run_flush(struct walk *w)
{
	if (!w->run_pages)
		return;
	j_open(NULL, '{');
	j_hex("vaddr", w->run_vaddr);
	j_u64("nr_pages", w->run_pages);
	j_close('}');
	w->run_pages = 0;
}

/* Contiguous PAGES records are one run. */
static void json_pages(struct walk *w, const struct cr_img_pages *p)
{
	if (w->run_pages &&
	    w->run_vaddr + w->run_pages * w->h->page_size == p->vaddr) {
		w->run_pages += p->nr_pages;
		return;
	}
	json_run_flush(w);
	w->run_vaddr = p->vaddr;
	w->run_pages = p->nr_pages;
}

static void json_task_end(struct walk *w)
{
	const struct cr_task_img *t = w->t;

	json_run_flush(w);
	j_close(']');
	j_open("vmas", '[');
	for (uint32_t i = 0; i < t->task.nr_vmas; i++) {
		const struct crfs_vma *v = &t->vmas[i].v;

		j_open(NULL, '{');
		j_hex("start", v->start);
		j_hex("end", v->end);
		j_hex("pgoff", v->pgoff);
		j_hex("prot", v->prot);
		j_hex("flags", v->flags);
		j_str("kind", NAME(vma_kinds, v->kind));
		j_str("path", t->vmas[i].path);
		j_u64("ino", v->ino);
		j_hex("dev", v->dev);
		j_u64("size", v->size);
		j_s64("mtime_ns", v->mtime_ns);
		j_u64("pages", w->vma_pages[i]);
		j_close('}');
	}
	j_close(']');
	j_open("fds", '[');
	for (uint32_t i = 0; i < t->task.nr_fds; i++) {
		const struct crfs_fd *f = &t->fds[i].f;

		j_open(NULL, '{');
		j_u64("fd", f->fd);
		j_str("kind", NAME(fd_kinds, f->kind));
		j_hex("flags", f->flags);
		j_u64("cloexec", f->cloexec);
		j_u64("pos", f->pos);
		j_u64("ino", f->ino);
		j_hex("dev", f->dev);
		j_hex("mode", f->mode);
		j_u64("size", f->size);
		j_s64("mtime_ns", f->mtime_ns);
		j_hex("rdev", f->rdev);
		j_str("path", t->fds[i].path);
		j_close('}');
	}
	j_close(']');
	j_close('}');
}

static void json_end(struct walk *w, const struct crfs_end *end)
{
	j_close(']');
	j_open("end", '{');
	j_u64("nr_records", end->nr_records);
	j_u64("bytes", end->bytes);
	j_u64("page_bytes", end->page_bytes);
	j_close('}');
	j_u64("image_bytes", w->img.off);
	j_close('}');
	putchar('\n');
}

/* verify */

static void verify_end(struct walk *w, const struct crfs_end *end)
{
	printf("%s: valid crfs image, version %u, %u task%s, %" PRIu64
	       " records, %" PRIu64 " page bytes, %" PRIu64 " bytes\n",
	       w->name, w->h->version, w->iw.nr_tasks,
	       w->iw.nr_tasks == 1 ? "" : "s",
	       (uint64_t)end->nr_records + 1, (uint64_t)end->page_bytes,
	       w->img.off);
}

static const struct walk_ops commands[] = {
	{ "show", "print a summary of the image",
	  show_hdr, NULL, NULL, show_task_end, show_end },
	{ "json", "print the whole image as JSON (page data summarized)",
	  json_hdr, json_task, json_pages, json_task_end, json_end },
	{ "verify", "check the whole image as a restore does; exit 0 only if "
	  "it is valid",
	  NULL, NULL, NULL, NULL, verify_end },
};

static void __attribute__((noreturn)) usage(FILE *out, int status)
{
	fprintf(out, "Usage:\n"
		" crfs-image <command> [FILE]\n\n"
		"Decode a crfs checkpoint image; FILE - or none reads stdin.\n\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, " %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\nOptions:\n -h, --help  display this help\n");
	exit(status);
}

int main(int argc, char **argv)
{
	struct walk w = { 0 };
	const char *path;
	int fd, ret;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		usage(stdout, EXIT_SUCCESS);
	if (argc < 2 || argc > 3)
		usage(stderr, EXIT_FAILURE);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			w.ops = &commands[i];
	if (!w.ops) {
		fprintf(stderr, "crfs-image: unknown command '%s'\n"
			"Try 'crfs-image --help' for more information.\n",
			argv[1]);
		return EXIT_FAILURE;
	}
	path = argc == 3 ? argv[2] : "-";
	w.name = strcmp(path, "-") ? path : "stdin";
	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0) {
		fprintf(stderr, "crfs-image: %s: %m\n", path);
		return EXIT_FAILURE;
	}
	if (cr_img_init(&w.img, fd)) {
		fprintf(stderr, "crfs-image: out of memory\n");
		return EXIT_FAILURE;
	}
	ret = walk_image(&w);
	fflush(stdout);
	if (ret)
		fprintf(stderr, "crfs-image: %s: %s\n", w.name, w.e.msg);
	cr_img_walk_fini(&w.iw);
	free(w.vma_pages);
	cr_img_fini(&w.img);
	if (fd)
		close(fd);
	if (!ret && (ferror(stdout) || fclose(stdout))) {
		fprintf(stderr, "crfs-image: write error: %m\n");
		return EXIT_FAILURE;
	}
	return ret ? EXIT_FAILURE : EXIT_SUCCESS;
}
