// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the image codec (image.c, task-img.c, crc32c.c) on a
 * descriptor and on a ring (ring.c), TAP output.  The processes here are
 * random: they test the encoding, not the rules of img-check.c
 * (test-check.c, which also writes valid synthetic images).
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
#include <sys/mman.h>

#include "task-img.h"
#include "cr-ring.h"
#include "arch.h"
#include "tap.h"

/* crc32c.c: the table path, not in a header (only tests want it). */
uint32_t cr_crc32c_sw(uint32_t crc, const void *buf, size_t len);

#define TAP_PLAN	40

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

/* A synthetic process with every record kind */

static void make_task(struct cr_task_img *t, int cwd_len)
{
	static const char *vpath[] = { "/usr/bin/prog", NULL, NULL,
				       "/usr/lib/libc.so.6", NULL };
	static const uint32_t vkind[] = { CRFS_VMA_FILE, CRFS_VMA_HEAP,
					  CRFS_VMA_ANON, CRFS_VMA_FILE,
					  CRFS_VMA_STACK };
	uint64_t addr = 0x400000;

	memset(t, 0, sizeof(*t));
	t->task = (struct crfs_task){ .pid = 4711, .ppid = 0,
		.personality = 0, .umask = 022, .dumpable = 1,
		.nr_vmas = 5, .nr_fds = 3, .nr_pending = 2, .comm = "prog \"x\"" };
	t->creds = (struct crfs_creds){ 1, 2, 3, 4, 5, 6, 7, 8, 2, 0 };
	t->groups = malloc(2 * sizeof(uint32_t));
	t->groups[0] = 10;
	t->groups[1] = 1000;
	t->cwd = malloc(cwd_len + 2);
	t->cwd[0] = '/';
	memset(t->cwd + 1, 'd', cwd_len);
	t->cwd[cwd_len + 1] = 0;
	t->root = strdup("/");
	t->fs = (struct crfs_fs){ .cwd_dev = rnd(), .cwd_ino = rnd(),
				  .root_dev = rnd(), .root_ino = rnd() };
	fill_rnd(&t->rlim, sizeof(t->rlim));
	fill_rnd(&t->sigacts, sizeof(t->sigacts));
	fill_rnd(&t->sigstate, sizeof(t->sigstate));
	t->pending = calloc(2, sizeof(*t->pending));
	for (int i = 0; i < 2; i++) {
		t->pending[i].shared = i;
		t->pending[i].signo = 10 + i;
		fill_rnd(t->pending[i].siginfo, CRFS_SIGINFO_SIZE);
	}
	fill_rnd(&t->regs, sizeof(t->regs));
	t->xstate_size = cr_arch_xstate_size();
	t->xstate = malloc(t->xstate_size);
	fill_rnd(t->xstate, t->xstate_size);
	fill_rnd(&t->mm, sizeof(t->mm));
	t->mm.auxv_words = 40;
	t->exe = strdup("/usr/bin/prog");
	t->vmas = calloc(5, sizeof(*t->vmas));
	for (int i = 0; i < 5; i++) {
		struct crfs_vma *v = &t->vmas[i].v;

		v->start = addr;
		v->end = addr + (i + 1) * 0x10000;
		addr = v->end + 0x100000;
		v->prot = 3;
		v->flags = i == 4 ? CRFS_VMA_F_GROWSDOWN : 0;
		v->kind = vkind[i];
		v->ino = rnd();
		v->dev = rnd();
		v->size = rnd() & 0xffffff;
		v->mtime_ns = (int64_t)rnd();
		t->vmas[i].path = vpath[i] ? strdup(vpath[i]) : NULL;
	}
	t->fds = calloc(3, sizeof(*t->fds));
	for (int i = 0; i < 3; i++) {
		t->fds[i].f = (struct crfs_fd){ .fd = i * 2,
			.kind = i ? CRFS_FD_REG : CRFS_FD_CHR, .flags = 02,
			.cloexec = i & 1, .pos = i * 100, .ino = rnd(),
			.dev = rnd(), .mode = i ? 0100644 : 020666,
			.size = i ? rnd() & 0xffff : 0,
			.mtime_ns = i ? (int64_t)rnd() : 0,
			.rdev = i ? 0 : 0x103 };
		t->fds[i].path = strdup(i ? "/tmp/file\twith \"quotes\"\\" :
					"/dev/null");
	}
}

static int same_str(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

/* Field by field; the length fields are the writer's, so skip them. */
static int task_equal(const struct cr_task_img *a, const struct cr_task_img *b,
		      char *why, size_t len)
{
#define NE(cond, what) do { if (cond) { snprintf(why, len, "%s", what); return 0; } } while (0)
	struct crfs_mm ma = a->mm, mb = b->mm;
	struct crfs_fs fa = a->fs, fb = b->fs;

	NE(memcmp(&a->task, &b->task, sizeof(a->task)), "task");
	NE(memcmp(&a->creds, &b->creds, sizeof(a->creds)), "creds");
	NE(memcmp(a->groups, b->groups, a->creds.ngroups * 4), "groups");
	fa.cwd_len = fb.cwd_len = fa.root_len = fb.root_len = 0;
	NE(memcmp(&fa, &fb, sizeof(fa)) || !same_str(a->cwd, b->cwd) ||
	   !same_str(a->root, b->root), "fs");
	NE(memcmp(&a->rlim, &b->rlim, sizeof(a->rlim)), "rlimits");
	NE(memcmp(&a->sigacts, &b->sigacts, sizeof(a->sigacts)), "sigacts");
	NE(memcmp(&a->sigstate, &b->sigstate, sizeof(a->sigstate)), "sigstate");
	NE(memcmp(a->pending, b->pending,
		  a->task.nr_pending * sizeof(*a->pending)), "sigpending");
	NE(memcmp(&a->regs, &b->regs, sizeof(a->regs)), "regs");
	NE(a->xstate_size != b->xstate_size ||
	   memcmp(a->xstate, b->xstate, a->xstate_size), "xstate");
	ma.exe_len = mb.exe_len = 0;
	NE(memcmp(&ma, &mb, sizeof(ma)) || !same_str(a->exe, b->exe), "mm");
	for (uint32_t i = 0; i < a->task.nr_vmas; i++) {
		struct crfs_vma va = a->vmas[i].v, vb = b->vmas[i].v;

		va.path_len = vb.path_len = 0;
		NE(memcmp(&va, &vb, sizeof(va)) ||
		   !same_str(a->vmas[i].path, b->vmas[i].path), "vma");
	}
	for (uint32_t i = 0; i < a->task.nr_fds; i++) {
		struct crfs_fd fa = a->fds[i].f, fb = b->fds[i].f;

		fa.path_len = fb.path_len = 0;
		NE(memcmp(&fa, &fb, sizeof(fa)) ||
		   !same_str(a->fds[i].path, b->fds[i].path), "fd");
	}
	return 1;
#undef NE
}

/* The byte of page @pg of a synthetic image at @k. */
static unsigned char page_byte(uint64_t pg, size_t k)
{
	return (unsigned char)(pg * 131 + k * 7 + (k >> 12));
}

/*
 * Write a whole image of @t: header, the task, @nr_pages pages of data
 * in runs of up to CR_PAGES_PER_REC inside the task's mappings, trailer.
 */
static int write_image_to(struct cr_img *img, const struct cr_task_img *t,
			  uint64_t nr_pages, struct cr_err *e)
{
	struct crfs_image_hdr h;
	unsigned char *data;
	uint32_t ps;
	uint64_t pg = 0;
	int ret;

	cr_img_fill_hdr(&h);
	h.nr_tasks = 1;
	ps = h.page_size;
	data = malloc((size_t)CR_PAGES_PER_REC * ps);
	ret = cr_img_write_hdr(img, &h, e);
	if (!ret)
		ret = cr_task_img_write(img, t, e);
	for (uint32_t v = 0, at = 0; !ret && pg < nr_pages; ) {
		const struct crfs_vma *vma = &t->vmas[v].v;
		uint64_t vpages = (vma->end - vma->start) / ps;
		uint64_t n = nr_pages - pg;

		/* odd-sized runs so records start at many offsets */
		n = n < vpages - at ? n : vpages - at;
		n = n < CR_PAGES_PER_REC ? n : CR_PAGES_PER_REC;
		if (n > 3)
			n -= pg % 3;
		for (uint64_t i = 0; i < n; i++)
			for (size_t k = 0; k < ps; k++)
				data[i * ps + k] = page_byte(pg + i, k);
		ret = cr_img_write_pages(img, vma->start + at * ps, data, n, e);
		pg += n;
		at += n;
		if (at == vpages) {
			at = 0;
			v = (v + 1) % t->task.nr_vmas;
		}
	}
	if (!ret)
		ret = cr_img_write_end(img, e);
	free(data);
	return ret;
}

static int write_image(int fd, const struct cr_task_img *t, uint64_t nr_pages,
		       struct cr_err *e)
{
	struct cr_img img;
	int ret;

	if (cr_img_init(&img, fd))
		return cr_fail(e, ENOMEM, "no memory");
	ret = write_image_to(&img, t, nr_pages, e);
	cr_img_fini(&img);
	return ret;
}

/* How reading went. */
struct read_res {
	int		ret;
	struct cr_err	e;
	struct cr_task_img t;
	int		have_task;
	uint64_t	pages, bad_align, bad_data;
	uint64_t	records, bytes;
};

/* Read a whole image from @img, checking page data and its alignment. */
static void read_image_from(struct cr_img *img, struct read_res *r)
{
	struct crfs_image_hdr h;
	struct crfs_rec_hdr rh;
	void *p;

	r->ret = cr_img_read_hdr(img, &h, &r->e);
	while (!r->ret) {
		r->ret = cr_img_read_rec(img, &rh, &p, &r->e);
		if (r->ret)
			break;
		if (rh.type == CRFS_REC_END)
			break;
		if (rh.type == CRFS_REC_TASK) {
			if (r->have_task)
				cr_task_img_free(&r->t);
			r->ret = cr_task_img_read(img, p, rh.len, &r->t, &r->e);
			r->have_task = !r->ret;
		} else if (rh.type == CRFS_REC_PAGES) {
			unsigned char *d = cr_img_pages_data(p);
			struct crfs_pages pg;
			uint64_t data_off;

			cr_img_pages_get(p, &pg);
			data_off = img->off - pg.nr_pages * h.page_size;
			if (data_off % h.page_size || (uintptr_t)d % h.page_size)
				r->bad_align++;
			for (uint64_t i = 0; i < pg.nr_pages; i++)
				if (d[i * h.page_size] != page_byte(r->pages + i, 0) ||
				    d[i * h.page_size + 4095] !=
				    page_byte(r->pages + i, 4095))
					r->bad_data++;
			r->pages += pg.nr_pages;
		} else {
			r->ret = cr_fail(&r->e, EBADMSG, "unexpected %s record",
					 cr_img_rec_name(rh.type));
		}
	}
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
	const struct cr_task_img *t;
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
static unsigned char *image_bytes(const struct cr_task_img *t,
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
	struct cr_task_img t;
	struct writer w = { 0 };
	struct read_res r;
	char why[64] = "";
	int good = 1;

	make_task(&t, 10);
	w.t = &t;
	w.nr_pages = 600;
	through_pipe(&w, &r);
	ok(w.ret == 0 && r.ret == 0, "round trip through a pipe: %s%s",
	   w.ret ? w.e.msg : "written", r.ret ? r.e.msg : ", read");
	ok(r.have_task && task_equal(&t, &r.t, why, sizeof(why)),
	   "round trip: every field of every record comes back%s%s",
	   *why ? ", but not " : "", why);
	ok(r.pages == 600 && !r.bad_data, "round trip: 600 pages of data intact");
	ok(!r.bad_align, "round trip: page data page-aligned in the stream and "
	   "in memory");
	if (r.have_task)
		cr_task_img_free(&r.t);

	/* cwd of every length moves the first PAGES record to every offset */
	for (int len = 0; len < 64 && good; len++) {
		struct cr_task_img u;

		make_task(&u, len * 8 + len % 8);
		w = (struct writer){ .t = &u, .nr_pages = 5 };
		through_pipe(&w, &r);
		good = !w.ret && !r.ret && !r.bad_align && !r.bad_data &&
		       r.pages == 5;
		if (r.have_task)
			cr_task_img_free(&r.t);
		cr_task_img_free(&u);
	}
	ok(good, "pages alignment at 64 different record offsets");
	cr_task_img_free(&t);
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
	if (r->have_task)
		cr_task_img_free(&r->t);
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
	struct crfs_rec_hdr rh = { CRFS_REC_TASK, 0, CR_REC_MAX + 1 };
	unsigned char *b = malloc(len + 64);
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

	rh = (struct crfs_rec_hdr){ 99, 0, 8 };
	memcpy(b + sizeof(h), &rh, sizeof(rh));
	read_bytes(b, len, &r);
	ok(r.ret == -EBADMSG && strstr(r.e.msg, "unknown type"),
	   "unknown record type: %s", r.e.msg);

	read_bytes("hello, world, this is not an image", 34, &r);
	ok(r.ret == -EINVAL && !strcmp(r.e.msg, "not a crfs image"),
	   "bad magic: %s", r.e.msg);

	/* another version (the first one), with a valid crc */
	fd = memfd_create("v1", MFD_CLOEXEC);
	cr_img_init(&w, fd);
	cr_img_fill_hdr(&h);
	h.version = 1;
	cr_img_write_hdr(&w, &h, &e);
	cr_img_fini(&w);
	pread(fd, b, sizeof(h), 0);
	close(fd);
	read_bytes(b, len, &r);
	ok(r.ret == -EPROTONOSUPPORT && strstr(r.e.msg, "version 1") &&
	   strstr(r.e.msg, "version 2"), "wrong version: %s", r.e.msg);

	/* the task's records out of order: TASK then FS */
	fd = memfd_create("order", MFD_CLOEXEC);
	cr_img_init(&w, fd);
	cr_img_fill_hdr(&h);
	cr_img_write_hdr(&w, &h, &e);
	{
		struct crfs_task t = { .pid = 1, .comm = "x" };
		struct crfs_fs fs = { .cwd_len = 2, .root_len = 2 };
		struct iovec v[2] = { { &fs, sizeof(fs) }, { "/\0/", 4 } };

		cr_img_write_rec(&w, CRFS_REC_TASK,
				 &(struct iovec){ &t, sizeof(t) }, 1, &e);
		cr_img_write_rec(&w, CRFS_REC_FS, v, 2, &e);
	}
	cr_img_write_end(&w, &e);
	cr_img_fini(&w);
	len = lseek(fd, 0, SEEK_END);
	pread(fd, b, len, 0);
	close(fd);
	read_bytes(b, len, &r);
	ok(r.ret == -EBADMSG && strstr(r.e.msg, "expected creds"),
	   "records out of order: %s", r.e.msg);

	/* writer refuses what readers would refuse */
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	cr_img_init(&w, fd);
	cr_img_fill_hdr(&h);
	cr_img_write_hdr(&w, &h, &e);
	ok(cr_img_write_rec(&w, CRFS_REC_REGS, &(struct iovec){ b, 8 }, 1,
			    &e) == -EINVAL &&
	   cr_img_write_rec(&w, CRFS_REC_PAGES, &(struct iovec){ b, 8 }, 1,
			    &e) == -EINVAL &&
	   cr_img_write_pages(&w, 0x1000, b, 0, &e) == -EINVAL &&
	   cr_img_write_pages(&w, 0x1001, b, 1, &e) == -EINVAL,
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
	const struct cr_task_img *t;
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
	struct cr_task_img t;
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
	make_task(&t, 21);
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
	ok(r.have_task && task_equal(&t, &r.t, why, sizeof(why)),
	   "ring: every field of every record comes back%s%s",
	   *why ? ", but not " : "", why);
	ok(r.pages == 3000 && !r.bad_data && !r.bad_align,
	   "ring: 3000 pages intact and page-aligned where they lie in it "
	   "(%" PRIu64 " pages, %" PRIu64 " bad, %" PRIu64 " misaligned)",
	   r.pages, r.bad_data, r.bad_align);
	if (r.have_task)
		cr_task_img_free(&r.t);
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
	if (r.have_task)
		cr_task_img_free(&r.t);

	ok(!cr_ring_reserve(ring, cr_ring_size(ring) + 1) && errno == EMSGSIZE &&
	   cr_ring_peek(ring, cr_ring_size(ring) + 1, &p) == -EMSGSIZE,
	   "ring: a reservation or a peek larger than the ring is EMSGSIZE");
	cr_ring_free(ring);
	cr_task_img_free(&t);

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
	struct cr_task_img t;
	unsigned char *img;
	size_t len;

	signal(SIGPIPE, SIG_IGN);
	printf("1..%d\n", TAP_PLAN);
	test_crc32c();
	test_round_trip();
	test_check_hdr();

	make_task(&t, 3);
	img = image_bytes(&t, 1, &len);
	diag("small image: %zu bytes", len);
	test_truncation(img, len);
	test_flips(img, len);
	test_bad_streams(img, len);
	test_ring(img, len);
	free(img);
	cr_task_img_free(&t);
	if (tap_nr != TAP_PLAN)
		ok(0, "planned %d tests, ran %d", TAP_PLAN, tap_nr);
	return tap_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
