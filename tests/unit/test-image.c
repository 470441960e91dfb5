// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the image codec (image.c, crc32c.c) and of every record
 * kind's reading and writing (rec-*.c, model-read.c), on a descriptor and
 * on a ring (ring.c), TAP output.  The process here is the valid one of
 * fixture.h with every field the rules leave free made random: they test
 * the encoding; test-check*.c test the rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>
#include <sys/sysmacros.h>
#include <sys/mman.h>

#include "cr-ring.h"
#include "fixture.h"
#include "tap.h"

/* crc32c.c: the table path, not in a header (only tests want it). */
uint32_t cr_crc32c_sw(uint32_t crc, const void *buf, size_t len);

#define TAP_PLAN	(39 + CRFS_IMAGE_VERSION)	/* one test per older version */

static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void fill_rnd(void *p, size_t len)
{
	unsigned char *c = p;

	while (len--)
		*c++ = rnd();
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* crc32c */

static void test_crc32c(void)
{
	static const struct {
		const char *name;
		int fill;		/* -1: 0, 1, 2, ...; -2: "123456789" */
		size_t len;
		uint32_t crc;
	} vec[] = {
		{ "empty",		0,  0,	0x00000000 },
		{ "\"123456789\"",	-2, 9,	0xE3069283 },
		{ "32 zero bytes",	0,  32,	0x8A9136AA },
		{ "32 0xff bytes",	0xff, 32, 0x62A8AB43 },
		{ "32 incrementing",	-1, 32,	0x46DD794E },
	};
	unsigned char buf[64];
	size_t big = 1 << 20;
	unsigned char *b = malloc(big + 64);
	int same = 1, split = 1;
	double t0, t1;

	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		if (vec[i].fill == -2)
			memcpy(buf, "123456789", 9);
		else
			for (size_t k = 0; k < vec[i].len; k++)
				buf[k] = vec[i].fill == -1 ? (int)k : vec[i].fill;
		ok(cr_crc32c(0, buf, vec[i].len) == vec[i].crc &&
		   cr_crc32c_sw(0, buf, vec[i].len) == vec[i].crc,
		   "crc32c of %s is 0x%08X (hw and sw)", vec[i].name,
		   vec[i].crc);
	}

	fill_rnd(b, big + 64);
	for (int i = 0; i < 2000 && same; i++) {
		size_t off = rnd() % 64;
		size_t len = i < 1000 ? rnd() % 2048 : rnd() % big;

		same = cr_crc32c(0, b + off, len) == cr_crc32c_sw(0, b + off, len);
	}
	ok(same, "crc32c: hardware and table paths agree on 2000 buffers");

	for (int i = 0; i < 200 && split; i++) {
		size_t len = rnd() % big, cut = len ? rnd() % len : 0;
		uint32_t whole = cr_crc32c(0, b, len);

		split = cr_crc32c(cr_crc32c(0, b, cut), b + cut, len - cut) ==
			whole;
	}
	ok(split, "crc32c: crc(a + b) == crc(crc(a), b)");

	t0 = now();
	for (int i = 0; i < 256; i++)
		same += cr_crc32c(0, b, big) & 1;
	t1 = now();
	for (int i = 0; i < 16; i++)
		same += cr_crc32c_sw(0, b, big) & 1;
	diag("crc32c: %.1f GB/s (tables: %.1f GB/s)",
	     256.0 * big / (t1 - t0) / 1e9, 16.0 * big / (now() - t1) / 1e9);
	free(b);
}

/* A process with every record kind */

/* A big anonymous mapping for page data, before the stack. */
#define BIG_START	0x10000000ULL
#define BIG_PAGES	65536ULL

#define REG(name)	FX_REG(name)

/* Random values in every field the rules leave free. */
static void make_model(struct cr_model *m, int cwd_len)
{
	struct crfs_image_hdr h;
	struct cr_task *t;
	struct cr_thread *th;
	struct cr_vma *v;
	int err;

	cr_img_fill_hdr(&h);
	fx_model(m, &h);
	for (uint32_t i = 0; i < m->nr_files; i++) {
		struct crfs_file *f = &m->files[i].f;

		f->dev = rnd();
		f->ino = rnd();
		if (f->kind == CRFS_FILE_REG) {
			f->size = rnd() & 0xffffff;
			f->mtime_ns = (int64_t)rnd();
			f->pos = rnd() >> 1;
		}
		/* One of the devices a checkpoint keeps (img-check.c). */
		if (f->kind == CRFS_FILE_CHR)
			f->rdev = makedev(1, "\3\5\10\11"[rnd() % 4]);
	}
	free(m->files[F_CWD].path);
	m->files[F_CWD].path = malloc(cwd_len + 2);
	m->files[F_CWD].path[0] = '/';
	memset(m->files[F_CWD].path + 1, 'd', cwd_len);
	m->files[F_CWD].path[cwd_len + 1] = 0;
	free(m->files[F_LOG].path);
	m->files[F_LOG].path = strdup("/tmp/file\twith \"quotes\"\\");
	m->mms[0].m.flags = CRFS_MM_F_MDWE;
	/* The big mapping, in place of the first anonymous one. */
	v = &m->mms[0].vmas[V_ANON1];
	v->v.start = BIG_START;
	v->v.end = BIG_START + BIG_PAGES * 4096;
	v->v.advice = CRFS_VMA_A_HUGEPAGE | CRFS_VMA_A_DONTFORK;
	{
		struct cr_vma tmp = m->mms[0].vmas[V_ANON1];

		/* Sorted: after the shmem mappings, before the stack. */
		memmove(&m->mms[0].vmas[V_ANON1], &m->mms[0].vmas[V_ANON1 + 1],
			(V_STACK - 1 - V_ANON1) * sizeof(tmp));
		m->mms[0].vmas[V_STACK - 1] = tmp;
	}
	for (int i = 0; i < CRFS_NSIG; i++)
		if (i + 1 != SIGKILL && i + 1 != SIGSTOP)
			fill_rnd(&m->sighands[0].s.act[i],
				 sizeof(struct crfs_sigact));
	t = &m->tasks[0];
	t->t.pgid = rnd();
	t->t.sid = rnd();
	t->t.exit_code = rnd();
	t->t.exit_signal = rnd() % 64;
	t->t.personality = 0x0040000;
	t->t.pdeath_signal = 9;
	t->t.oom_score_adj = -1000 + rnd() % 2001;
	t->t.timer_slack_ns = rnd();
	t->t.flags = CRFS_TASK_F_NO_NEW_PRIVS;
	for (int i = 0; i < CRFS_NR_RLIMITS; i++) {
		t->t.rlim[i].max = rnd();
		t->t.rlim[i].cur = t->t.rlim[i].max >> (rnd() % 8);
	}
	for (int i = 0; i < 3; i++) {
		/* whole microseconds, as getitimer() gives them */
		t->t.itimer[i].value_ns = (rnd() >> 2) / 1000 * 1000;
		t->t.itimer[i].interval_ns = (rnd() >> 2) / 1000 * 1000;
	}
	for (int i = 0; i < 2; i++) {
		struct crfs_timer *tm = cr_model_new_timer(t, &err);

		*tm = (struct crfs_timer){
			.pid = t->t.pid, .timer_id = 3 + 40 * i,
			.clock = i ? -6 : 1, .notify = i ? 4 : 0,
			.signo = 10 + i, .notify_tid = i ? t->t.pid : 0,
			.sigval = rnd(), .value_ns = rnd() >> 2,
			.interval_ns = rnd() >> 2, .overrun = rnd(),
		};
	}
	t->creds.uid = rnd() & 0xfffff;
	t->creds.securebits = rnd() & 0xff;
	fill_rnd(&t->creds.cap_inh, 5 * sizeof(__u64));
	/* As the kernel keeps them (cr_creds_caps_why()). */
	t->creds.cap_eff &= t->creds.cap_prm;
	t->creds.cap_amb &= t->creds.cap_prm & t->creds.cap_inh;
	fill_rnd(t->pending.sig[0].siginfo, CRFS_SIGINFO_SIZE);
	*cr_model_new_sig(&t->pending, &err) = (struct crfs_sigpending){
		.signo = 33 };
	fill_rnd(t->pending.sig[1].siginfo, CRFS_SIGINFO_SIZE);
	th = &t->threads[0];
	th->t.blocked = rnd();
	th->t.clear_child_tid = rnd() & 0x7ffffffff000ULL;
	th->t.robust_list = rnd();
	th->t.robust_list_len = 24;
	th->t.sched_policy = 3;
	th->t.sched_nice = -5;
	th->t.cpus_allowed[0] = rnd() | 1;
	th->t.cpus_allowed[CRFS_CPU_WORDS - 1] = rnd();
	fill_rnd(th->pending.sig[0].siginfo, CRFS_SIGINFO_SIZE);
	for (int i = 0; i < CRFS_X86_64_NR_REGS; i++)
		if (i != REG(cs) && i != REG(ss) && i != REG(ds) &&
		    i != REG(es) && i != REG(fs) && i != REG(gs) &&
		    i != REG(fs_base) && i != REG(gs_base))
			th->arch.regs.r[i] = rnd();
	fill_rnd((char *)th->arch.xstate + 576, th->arch.xstate_size - 576);
	fx_resolve(m);
}

static int same_str(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

/* Field by field; the counts are the writer's, so compare arrivals. */
static int model_equal(const struct cr_model *a, const struct cr_model *b,
		       char *why, size_t len)
{
#define NE(cond, what) do { if (cond) { snprintf(why, len, "%s", what); return 0; } } while (0)
#define SAME(x, y) (!memcmp(&(x), &(y), sizeof(x)))
	NE(a->nr_files != b->nr_files || a->nr_shmems != b->nr_shmems ||
	   a->nr_mms != b->nr_mms || a->nr_fdts != b->nr_fdts ||
	   a->nr_fss != b->nr_fss || a->nr_sighands != b->nr_sighands ||
	   a->nr_tasks != b->nr_tasks, "the number of objects");
	for (uint32_t i = 0; i < a->nr_files; i++) {
		struct crfs_file x = a->files[i].f, y = b->files[i].f;

		x.path_len = y.path_len = 0;
		NE(!SAME(x, y) || !same_str(a->files[i].path, b->files[i].path),
		   "file");
	}
	for (uint32_t i = 0; i < a->nr_shmems; i++)
		NE(!SAME(a->shmems[i].s, b->shmems[i].s), "shmem");
	for (uint32_t i = 0; i < a->nr_mms; i++) {
		const struct cr_mm *x = &a->mms[i], *y = &b->mms[i];
		struct crfs_mm mx = x->m, my = y->m;

		mx.nr_vmas = my.nr_vmas = 0;
		NE(!SAME(mx, my) || x->nr_vmas != y->nr_vmas, "mm");
		for (uint32_t j = 0; j < x->nr_vmas; j++) {
			struct crfs_vma vx = x->vmas[j].v, vy = y->vmas[j].v;

			vx.name_len = vy.name_len = 0;
			NE(!SAME(vx, vy) || !same_str(x->vmas[j].name,
						      y->vmas[j].name), "vma");
		}
	}
	for (uint32_t i = 0; i < a->nr_fdts; i++) {
		NE(a->fdts[i].nr_fds != b->fdts[i].nr_fds ||
		   a->fdts[i].t.id != b->fdts[i].t.id, "fdtable");
		for (uint32_t j = 0; j < a->fdts[i].nr_fds; j++)
			NE(!SAME(a->fdts[i].fds[j].d, b->fdts[i].fds[j].d),
			   "fd");
	}
	for (uint32_t i = 0; i < a->nr_fss; i++)
		NE(!SAME(a->fss[i].f, b->fss[i].f), "fs");
	for (uint32_t i = 0; i < a->nr_sighands; i++)
		NE(!SAME(a->sighands[i].s, b->sighands[i].s), "sighand");
	for (uint32_t i = 0; i < a->nr_tasks; i++) {
		const struct cr_task *x = &a->tasks[i], *y = &b->tasks[i];

		NE(!SAME(x->t, y->t), "task");
		NE(!SAME(x->creds, y->creds) ||
		   memcmp(x->groups, y->groups, x->creds.ngroups * 4), "creds");
		NE(x->pending.nr != y->pending.nr ||
		   memcmp(x->pending.sig, y->pending.sig,
			  x->pending.nr * sizeof(*x->pending.sig)),
		   "shared sigpending");
		NE(x->nr_timers != y->nr_timers ||
		   memcmp(x->timers, y->timers,
			  x->nr_timers * sizeof(*x->timers)), "timers");
		NE(x->nr_threads != y->nr_threads, "threads");
		for (uint32_t j = 0; j < x->nr_threads; j++) {
			const struct cr_thread *p = &x->threads[j],
					       *q = &y->threads[j];

			NE(!SAME(p->t, q->t), "thread");
			NE(p->pending.nr != q->pending.nr ||
			   memcmp(p->pending.sig, q->pending.sig,
				  p->pending.nr * sizeof(*p->pending.sig)),
			   "thread sigpending");
			NE(!SAME(p->arch.regs, q->arch.regs), "x86_regs");
			NE(p->arch.xstate_size != q->arch.xstate_size ||
			   memcmp(p->arch.xstate, q->arch.xstate,
				  p->arch.xstate_size), "x86_xstate");
		}
	}
	return 1;
#undef SAME
#undef NE
}

/*
 * Runs of @nr_pages pages in all, in the big mapping: odd sizes, gaps
 * between them, so that records start at many offsets.  Ended by nr 0.
 */
static struct fx_run *make_runs(uint64_t nr_pages)
{
	struct fx_run *runs = calloc(nr_pages + 1, sizeof(*runs));
	uint64_t at = 0, pg = 0;
	int n = 0;

	while (pg < nr_pages) {
		uint64_t k = nr_pages - pg;

		k = k < CR_PAGES_PER_REC ? k : CR_PAGES_PER_REC;
		if (k > 3)
			k -= pg % 3;
		runs[n++] = (struct fx_run){ CRFS_PAGES_MM, 1,
					     BIG_START + at * 4096, k };
		pg += k;
		at += k + (pg % 2);
	}
	return runs;
}

/* A whole image of @m and @nr_pages pages of data on @img. */
static int write_image_to(struct cr_img *img, const struct cr_model *m,
			  uint64_t nr_pages, struct cr_err *e)
{
	struct crfs_image_hdr h;
	struct fx_run *runs = make_runs(nr_pages);
	int ret;

	cr_img_fill_hdr(&h);
	h.nr_tasks = 1;
	ret = fx_write_to(img, &h, m, runs, false, e);
	free(runs);
	return ret;
}

static int write_image(int fd, const struct cr_model *m, uint64_t nr_pages,
		       struct cr_err *e)
{
	struct cr_img img;
	int ret;

	if (cr_img_init(&img, fd))
		return cr_fail(e, ENOMEM, "no memory");
	ret = write_image_to(&img, m, nr_pages, e);
	cr_img_fini(&img);
	return ret;
}

/* How reading went. */
struct read_res {
	int		ret;
	struct cr_err	e;
	struct cr_model	m;
	int		have_model;
	uint64_t	pages, bad_align, bad_data;
	uint64_t	records, bytes;
};

/* Read a whole image from @img, checking page data and its alignment. */
static void read_image_from(struct cr_img *img, struct read_res *r)
{
	struct cr_img_walk w;
	uint32_t ps;

	r->ret = cr_img_walk_begin(&w, img, &r->e);
	ps = w.hdr.page_size;
	while (!r->ret) {
		r->ret = cr_img_walk_next(&w, &r->e);
		if (r->ret == CR_WALK_END) {
			r->ret = 0;
			break;
		}
		if (r->ret == CR_WALK_MODEL) {
			r->ret = 0;
			continue;
		}
		if (r->ret != CR_WALK_PAGES)
			break;
		r->ret = 0;
		{
			const unsigned char *d = w.pages.data;
			uint64_t data_off = img->off - w.pages.nr_pages * ps;

			if (data_off % ps || (uintptr_t)d % ps)
				r->bad_align++;
			for (uint64_t i = 0; i < w.pages.nr_pages; i++)
				if (d[i * ps] != fx_byte(r->pages + i, 0) ||
				    d[i * ps + 4095] !=
				    fx_byte(r->pages + i, 4095))
					r->bad_data++;
			r->pages += w.pages.nr_pages;
		}
	}
	if (w.have_model) {
		r->m = w.m;
		r->have_model = 1;
		memset(&w.m, 0, sizeof(w.m));
	}
	cr_img_walk_fini(&w);
	r->records = img->nr_records;
	r->bytes = img->off;
}

static void read_image(int fd, struct read_res *r)
{
	struct cr_img img;

	memset(r, 0, sizeof(*r));
	if (cr_img_init(&img, fd)) {
		r->ret = -ENOMEM;
		return;
	}
	read_image_from(&img, r);
	cr_img_fini(&img);
}

struct writer {
	int		fd;
	const struct cr_model *t;
	uint64_t	nr_pages;
	const void	*buf;		/* or raw bytes */
	size_t		len;
	int		ret;
	struct cr_err	e;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	if (w->buf)
		w->ret = cr_write_full(w->fd, w->buf, w->len) == (ssize_t)w->len ?
			 0 : -errno;
	else
		w->ret = write_image(w->fd, w->t, w->nr_pages, &w->e);
	close(w->fd);
	return NULL;
}

/* Run a writer thread into a pipe and read the other end. */
static void through_pipe(struct writer *w, struct read_res *r)
{
	pthread_t th;
	int p[2];

	if (pipe2(p, O_CLOEXEC)) {
		perror("pipe2");
		exit(1);
	}
	w->fd = p[1];
	pthread_create(&th, NULL, writer_main, w);
	read_image(p[0], r);
	close(p[0]);		/* a writer blocked on a full pipe gets EPIPE */
	pthread_join(th, NULL);
}

/* An image in memory. */
static unsigned char *image_bytes(const struct cr_model *t,
				  uint64_t nr_pages, size_t *len)
{
	int fd = memfd_create("img", MFD_CLOEXEC);
	struct cr_err e = { 0 };
	unsigned char *b;
	off_t size;

	if (fd < 0 || write_image(fd, t, nr_pages, &e)) {
		fprintf(stderr, "cannot build an image: %s\n", e.msg);
		exit(1);
	}
	size = lseek(fd, 0, SEEK_END);
	b = malloc(size);
	if (pread(fd, b, size, 0) != size)
		exit(1);
	close(fd);
	*len = size;
	return b;
}

static void test_round_trip(void)
{
	struct cr_model t;
	struct writer w = { 0 };
	struct read_res r;
	char why[64] = "";
	int good = 1;

	make_model(&t, 10);
	w.t = &t;
	w.nr_pages = 600;
	through_pipe(&w, &r);
	ok(w.ret == 0 && r.ret == 0, "round trip through a pipe: %s%s",
	   w.ret ? w.e.msg : "written", r.ret ? r.e.msg : ", read");
	ok(r.have_model && model_equal(&t, &r.m, why, sizeof(why)),
	   "round trip: every field of every record comes back%s%s",
	   *why ? ", but not " : "", why);
	ok(r.pages == 600 && !r.bad_data, "round trip: 600 pages of data intact");
	ok(!r.bad_align, "round trip: page data page-aligned in the stream and "
	   "in memory");
	if (r.have_model)
		cr_model_free(&r.m);

	/* cwd of every length moves the first PAGES record to every offset */
	for (int len = 0; len < 64 && good; len++) {
		struct cr_model u;

		make_model(&u, len * 8 + len % 8);
		w = (struct writer){ .t = &u, .nr_pages = 5 };
		through_pipe(&w, &r);
		good = !w.ret && !r.ret && !r.bad_align && !r.bad_data &&
		       r.pages == 5;
		if (r.have_model)
			cr_model_free(&r.m);
		cr_model_free(&u);
	}
	ok(good, "pages alignment at 64 different record offsets");
	cr_model_free(&t);
}

/* Read @len bytes of @b through a pipe (no thread when they fit). */
/* read_bytes() goes through a ring instead of a pipe. */
static int via_ring;

/* Read @len bytes of @b through a ring that holds them all. */
static void read_bytes_ring(const void *b, size_t len, struct read_res *r)
{
	size_t size = CR_REC_MAX + 8192 > len ? CR_REC_MAX + 8192 : len;
	struct cr_ring *ring = cr_ring_new(size);
	struct cr_img img;
	void *room;

	if (!ring || !(room = cr_ring_reserve(ring, len))) {
		perror("ring");
		exit(1);
	}
	memcpy(room, b, len);
	cr_ring_commit(ring, len);
	cr_ring_close(ring, 0);
	memset(r, 0, sizeof(*r));
	cr_img_init_ring(&img, ring);
	read_image_from(&img, r);
	cr_img_fini(&img);
	cr_ring_free(ring);
}

static void read_bytes(const void *b, size_t len, struct read_res *r)
{
	struct writer w = { .buf = b, .len = len };
	int p[2];

	if (via_ring) {
		read_bytes_ring(b, len, r);
	} else if (len > 65536) {
		through_pipe(&w, r);
	} else {
		if (pipe2(p, O_CLOEXEC) ||
		    cr_write_full(p[1], b, len) != (ssize_t)len) {
			perror("pipe");
			exit(1);
		}
		close(p[1]);
		read_image(p[0], r);
		close(p[0]);
	}
	if (r->have_model)
		cr_model_free(&r->m);
}

static void test_truncation(const unsigned char *img, size_t len)
{
	size_t bad = 0, first_bad = 0, hdr = sizeof(struct crfs_image_hdr);
	struct read_res r;
	char msg[CR_ERR_MSG_LEN] = "";

	for (size_t cut = 0; cut < len; cut++) {
		read_bytes(img, cut, &r);
		if (r.ret != -ENODATA && !bad++) {
			first_bad = cut;
			snprintf(msg, sizeof(msg), "%s", r.e.msg);
		}
	}
	ok(!bad, "truncation at each of %zu byte boundaries gives ENODATA "
	   "(header included)%s%s", len, bad ? ": " : "", msg);
	if (bad)
		diag("first bad cut at %zu", first_bad);

	read_bytes(img, 0, &r);
	ok(r.ret == -ENODATA && strstr(r.e.msg, "empty"),
	   "empty stream: %s", r.e.msg);
	read_bytes(img, hdr - 1, &r);
	ok(r.ret == -ENODATA && strstr(r.e.msg, "header"),
	   "cut in the header: %s", r.e.msg);
	read_bytes(img, len - sizeof(struct crfs_rec_hdr) -
		   sizeof(struct crfs_end), &r);
	ok(r.ret == -ENODATA && strstr(r.e.msg, "no trailer"),
	   "cut before the trailer: %s", r.e.msg);
	read_bytes(img, len - 5, &r);
	ok(r.ret == -ENODATA && strstr(r.e.msg, "truncated in record") &&
	   strstr(r.e.msg, "(end)"), "cut in the trailer: %s", r.e.msg);
}

static void test_flips(const unsigned char *img, size_t len)
{
	unsigned char *b = malloc(len);
	size_t passed = 0, first = 0;
	int seen[4] = { 0 };	/* EBADMSG, ENODATA, EINVAL, other */

	for (size_t pos = 0; pos < len; pos++) {
		struct read_res r;

		memcpy(b, img, len);
		b[pos] ^= pos & 1 ? 0x80 : 0x01;
		read_bytes(b, len, &r);
		if (!r.ret && !passed++)
			first = pos;
		seen[r.ret == -EBADMSG ? 0 : r.ret == -ENODATA ? 1 :
		     r.ret == -EINVAL ? 2 : 3]++;
	}
	ok(!passed, "a flipped bit at each of %zu positions is caught", len);
	if (passed)
		diag("first undetected flip at %zu", first);
	diag("flips: %d EBADMSG, %d ENODATA, %d EINVAL, %d other",
	     seen[0], seen[1], seen[2], seen[3]);
	free(b);
}

static void test_bad_streams(const unsigned char *img, size_t len)
{
	struct crfs_image_hdr h;
	struct crfs_rec_hdr rh = { CRFS_REC_FILE, 0, CR_REC_MAX + 1 };
	unsigned char *b = malloc(len + 64);
	struct cr_model m;
	struct cr_img w;
	struct cr_err e;
	struct read_res r;
	int fd;

	memcpy(b, img, len);
	b[len] = 'x';
	read_bytes(b, len + 1, &r);
	ok(r.ret == -EBADMSG && strstr(r.e.msg, "trailing data"),
	   "trailing data after the trailer: %s", r.e.msg);

	memcpy(b + sizeof(h), &rh, sizeof(rh));
	read_bytes(b, len, &r);
	ok(r.ret == -EBADMSG && strstr(r.e.msg, "exceeds"),
	   "oversize record length: %s", r.e.msg);

	rh = (struct crfs_rec_hdr){ CRFS_REC_FILE, 0, 84 };
	memcpy(b + sizeof(h), &rh, sizeof(rh));
	read_bytes(b, len, &r);
	ok(r.ret == -EBADMSG && strstr(r.e.msg, "not a multiple of 8"),
	   "a record length not a multiple of 8: %s", r.e.msg);

	rh = (struct crfs_rec_hdr){ 99, 0, 8 };
	memcpy(b + sizeof(h), &rh, sizeof(rh));
	read_bytes(b, len, &r);
	ok(r.ret == -EBADMSG && strstr(r.e.msg, "unknown type"),
	   "unknown record type: %s", r.e.msg);

	read_bytes("hello, world, this is not an image", 34, &r);
	ok(r.ret == -EINVAL && !strcmp(r.e.msg, "not a crfs image"),
	   "bad magic: %s", r.e.msg);

	/* the versions before, with a valid crc */
	for (uint32_t v = 1; v < CRFS_IMAGE_VERSION; v++) {
		char want[64];

		fd = memfd_create("v1", MFD_CLOEXEC);
		cr_img_init(&w, fd);
		cr_img_fill_hdr(&h);
		h.version = v;
		cr_img_write_hdr(&w, &h, &e);
		cr_img_fini(&w);
		pread(fd, b, sizeof(h), 0);
		close(fd);
		read_bytes(b, len, &r);
		snprintf(want, sizeof(want), "version %u image, this crfs "
			 "reads version %u", v, CRFS_IMAGE_VERSION);
		ok(r.ret == -EPROTONOSUPPORT && !strcmp(r.e.msg, want),
		   "version %u refused: %s", v, r.e.msg);
	}

	/* objects out of order: a FILE after the SIGHAND */
	cr_img_fill_hdr(&h);
	h.nr_tasks = 1;
	fx_model(&m, &h);
	fd = memfd_create("order", MFD_CLOEXEC);
	cr_img_init(&w, fd);
	cr_img_write_hdr(&w, &h, &e);
	cr_sighand_write(&w, &m.sighands[0], &e);
	cr_file_write(&w, &m.files[0], &e);
	cr_img_write_end(&w, &e);
	cr_img_fini(&w);
	cr_model_free(&m);
	len = lseek(fd, 0, SEEK_END);
	pread(fd, b, len, 0);
	close(fd);
	read_bytes(b, len, &r);
	ok(r.ret == -EBADMSG && strstr(r.e.msg, "out of order: after a "
					"sighand record"),
	   "records out of order: %s", r.e.msg);

	/* writer refuses what readers would refuse */
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	cr_img_init(&w, fd);
	cr_img_fill_hdr(&h);
	cr_img_write_hdr(&w, &h, &e);
	ok(cr_img_write_rec(&w, CRFS_REC_X86_REGS, &(struct iovec){ b, 8 }, 1,
			    &e) == -EINVAL &&
	   cr_img_write_rec(&w, CRFS_REC_PAGES, &(struct iovec){ b, 8 }, 1,
			    &e) == -EINVAL &&
	   cr_img_write_rec(&w, 99, &(struct iovec){ b, 8 }, 1, &e) ==
	   -EINVAL &&
	   cr_img_write_pages(&w, CRFS_PAGES_MM, 1, 0x1000, b, 0, &e) ==
	   -EINVAL &&
	   cr_img_write_pages(&w, CRFS_PAGES_MM, 1, 0x1001, b, 1, &e) ==
	   -EINVAL,
	   "writer refuses bad lengths, types and page runs");
	cr_img_fini(&w);
	close(fd);
	free(b);
}

static void test_check_hdr(void)
{
	struct crfs_image_hdr h, x;
	struct cr_err e = { 0 };
	int ret;

	cr_img_fill_hdr(&h);
	ret = cr_img_check_hdr(&h, &e);
	ok(ret == 0, "this machine's header is accepted%s%s", ret ? ": " : "",
	   ret ? e.msg : "");

	x = h;
	x.arch = 0xc00000b7;	/* aarch64 */
	ok(cr_img_check_hdr(&x, &e) == -ENOEXEC, "other arch: %s", e.msg);
	x = h;
	x.page_size = 65536;
	ok(cr_img_check_hdr(&x, &e) == -ENOEXEC, "other page size: %s", e.msg);
	x = h;
	strcpy(x.release, "6.1.0");
	ok(cr_img_check_hdr(&x, &e) == -EOPNOTSUPP &&
	   strstr(e.msg, "image is for kernel 6.1.0, this is "),
	   "other kernel: %s", e.msg);
	x = h;
	x.xfeatures ^= 0x4;
	ok(cr_img_check_hdr(&x, &e) == -EOPNOTSUPP && strstr(e.msg, "xfeatures"),
	   "other xfeatures: %s", e.msg);
	x = h;
	x.xstate_size += 64;
	ok(cr_img_check_hdr(&x, &e) == -EOPNOTSUPP && strstr(e.msg, "xstate"),
	   "other xstate size: %s", e.msg);
	x = h;
	x.features |= 1ULL << 40;
	ok(cr_img_check_hdr(&x, &e) == 0 &&
	   cr_img_check_image(&x, &e) == -EOPNOTSUPP &&
	   strstr(e.msg, "features"),
	   "unknown feature bit: not this machine's business, the image's: %s",
	   e.msg);
}

/* A writer thread on a ring; it closes the ring with its result. */
struct ring_writer {
	struct cr_ring	*ring;
	const struct cr_model *t;
	uint64_t	nr_pages;
	int		ret;
	struct cr_err	e;
};

static void *ring_writer_main(void *arg)
{
	struct ring_writer *w = arg;
	struct cr_img img;

	cr_img_init_ring(&img, w->ring);
	w->ret = write_image_to(&img, w->t, w->nr_pages, &w->e);
	cr_img_fini(&img);
	cr_ring_close(w->ring, w->ret ? -w->ret : 0);
	return NULL;
}

static void test_ring(const unsigned char *small, size_t small_len)
{
	struct cr_ring *ring;
	struct ring_writer w = { 0 };
	struct cr_model t;
	struct read_res r;
	struct cr_img img;
	char why[64] = "";
	pthread_t th;
	size_t size;
	void *p;
	int ok_all;

	/* Just over one record: 3000 pages wrap it a dozen times, records
	 * straddle its end at every offset, and must read back whole. */
	size = CR_REC_MAX + 65536;
	ring = cr_ring_new(size);
	make_model(&t, 21);
	w = (struct ring_writer){ .ring = ring, .t = &t, .nr_pages = 3000 };
	memset(&r, 0, sizeof(r));
	pthread_create(&th, NULL, ring_writer_main, &w);
	cr_img_init_ring(&img, ring);
	read_image_from(&img, &r);
	cr_img_fini(&img);
	cr_ring_shutdown(ring);
	pthread_join(th, NULL);
	ok(w.ret == 0 && r.ret == 0, "round trip through a %zu-byte ring: %s%s",
	   cr_ring_size(ring), w.ret ? w.e.msg : "written",
	   r.ret ? r.e.msg : ", read");
	ok(r.have_model && model_equal(&t, &r.m, why, sizeof(why)),
	   "ring: every field of every record comes back%s%s",
	   *why ? ", but not " : "", why);
	ok(r.pages == 3000 && !r.bad_data && !r.bad_align,
	   "ring: 3000 pages intact and page-aligned where they lie in it "
	   "(%" PRIu64 " pages, %" PRIu64 " bad, %" PRIu64 " misaligned)",
	   r.pages, r.bad_data, r.bad_align);
	if (r.have_model)
		cr_model_free(&r.m);
	cr_ring_free(ring);

	/* The reader goes away: the writer stops with EIO, saying why. */
	ring = cr_ring_new(size);
	w = (struct ring_writer){ .ring = ring, .t = &t, .nr_pages = 3000 };
	pthread_create(&th, NULL, ring_writer_main, &w);
	cr_img_init_ring(&img, ring);
	{
		struct crfs_image_hdr h;

		r.ret = cr_img_read_hdr(&img, &h, &r.e);
	}
	cr_img_fini(&img);
	cr_ring_shutdown(ring);
	pthread_join(th, NULL);
	ok(r.ret == 0 && w.ret == -EIO && strstr(w.e.msg, "Broken pipe"),
	   "ring shut down by its reader: the writer fails: %s", w.e.msg);
	cr_ring_free(ring);

	/* The writer fails half way: the reader gets EIO and its reason. */
	ring = cr_ring_new(size);
	p = cr_ring_reserve(ring, small_len / 2);
	memcpy(p, small, small_len / 2);
	cr_ring_commit(ring, small_len / 2);
	cr_ring_close(ring, ENOSPC);
	memset(&r, 0, sizeof(r));
	cr_img_init_ring(&img, ring);
	read_image_from(&img, &r);
	cr_img_fini(&img);
	ok(r.ret == -EIO && strstr(r.e.msg, strerror(ENOSPC)),
	   "ring closed with an error: the reader fails: %s", r.e.msg);
	if (r.have_model)
		cr_model_free(&r.m);

	ok(!cr_ring_reserve(ring, cr_ring_size(ring) + 1) && errno == EMSGSIZE &&
	   cr_ring_peek(ring, cr_ring_size(ring) + 1, &p) == -EMSGSIZE,
	   "ring: a reservation or a peek larger than the ring is EMSGSIZE");
	cr_ring_free(ring);
	cr_model_free(&t);

	/* The reader's checks are the same on a ring as on a descriptor. */
	via_ring = 1;
	ok_all = 1;
	for (size_t cut = 0; cut < small_len && ok_all; cut++) {
		read_bytes(small, cut, &r);
		ok_all = r.ret == -ENODATA;
	}
	ok(ok_all, "ring: truncation at each of %zu byte boundaries gives "
	   "ENODATA", small_len);
	test_flips(small, small_len);
	via_ring = 0;
}

int main(void)
{
	struct cr_model t;
	unsigned char *img;
	size_t len;

	signal(SIGPIPE, SIG_IGN);
	printf("1..%d\n", TAP_PLAN);
	test_crc32c();
	test_round_trip();
	test_check_hdr();

	make_model(&t, 3);
	img = image_bytes(&t, 1, &len);
	diag("small image: %zu bytes", len);
	test_truncation(img, len);
	test_flips(img, len);
	test_bad_streams(img, len);
	test_ring(img, len);
	free(img);
	cr_model_free(&t);
	if (tap_nr != TAP_PLAN)
		ok(0, "planned %d tests, ran %d", TAP_PLAN, tap_nr);
	return tap_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
