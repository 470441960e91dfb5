// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of what a transfer relies on, TAP output: the framing that
 * tells a writer which write carries the trailer (img-frame.c), the ring's
 * waits and call-off (ring.c), and the scratch-area search of a restore
 * (restore-mm.c), whose cost must not grow faster than the mappings.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "restore.h"
#include "proc.h"
#include "fixture.h"
#include "cr-frame.h"
#include "cr-ring.h"
#include "tap.h"

#define TAP_PLAN	17

/* A small whole image in memory: the fixture's process, a page, END. */
static char *make_image(size_t *lenp)
{
	static const struct fx_run one[] = {
		{ CRFS_PAGES_MM, 1, 0x600000, 1 }, { 0 },
	};
	struct crfs_image_hdr h;
	struct cr_model m;
	char *buf = NULL;
	size_t len = 0;
	int fd;

	cr_img_fill_hdr(&h);
	h.nr_tasks = 1;
	fx_model(&m, &h);
	fd = fx_write(&h, &m, one, false);
	cr_model_free(&m);
	len = lseek(fd, 0, SEEK_END);
	buf = malloc(len);
	if (!buf || pread(fd, buf, len, 0) != (ssize_t)len)
		return NULL;
	close(fd);
	*lenp = len;
	return buf;
}

/* Feed @buf in pieces of @step bytes; the offset where the state became END. */
static int64_t frame_end_at(const char *buf, size_t len, size_t step)
{
	struct cr_img_frame f = { 0 };
	size_t off;

	for (off = 0; off < len; off += step) {
		size_t n = len - off < step ? len - off : step;

		if (cr_img_frame_feed(&f, buf + off, n) == CR_FRAME_END)
			return off + n;
		if (f.state != CR_FRAME_HDR && f.state != CR_FRAME_REC)
			return -1;
	}
	return -2;
}

static void test_frame(void)
{
	struct cr_img_frame f;
	size_t len, step, end_hdr;
	int64_t at;
	bool all = true;
	char *img, *bad;

	img = make_image(&len);
	ok(img != NULL, "frame: a synthetic image (%zu bytes)", len);
	if (!img)
		return;
	/* The END record is the last 16 + sizeof(struct crfs_end) bytes. */
	end_hdr = len - sizeof(struct crfs_end);
	for (step = 1; step <= len; step += step < 64 ? 1 : 97) {
		at = frame_end_at(img, len, step);
		/* END is seen in the piece that completes its header. */
		if (at < (int64_t)end_hdr || at >= (int64_t)(end_hdr + step)) {
			printf("# step %zu: END seen at %" PRId64 ", header ends at %zu\n",
			       step, at, end_hdr);
			all = false;
		}
	}
	ok(all, "frame: the trailer is seen in the write that completes its header, whatever the write sizes");
	at = frame_end_at(img, end_hdr - 1, 1);
	ok(at == -2, "frame: an image cut before its trailer never says END");

	bad = malloc(len);
	memcpy(bad, img, len);
	bad[0] ^= 1;
	memset(&f, 0, sizeof(f));
	ok(cr_img_frame_feed(&f, bad, len) == CR_FRAME_LOST,
	   "frame: a bad magic is lost framing");
	memcpy(bad, img, len);
	/*
	 * The first record's type, right after the header: one beyond every
	 * type (the framing follows the types below CRFS_REC_ARCH_END: the
	 * engine refuses the unknown ones among them).
	 */
	memcpy(bad + sizeof(struct crfs_image_hdr), &(uint32_t){ 0x7fff }, 4);
	memset(&f, 0, sizeof(f));
	ok(cr_img_frame_feed(&f, bad, len) == CR_FRAME_LOST,
	   "frame: an unknown record type is lost framing");
	memcpy(bad, img, len);
	memset(bad + sizeof(struct crfs_image_hdr) + 8, 0xff, 8);
	memset(&f, 0, sizeof(f));
	ok(cr_img_frame_feed(&f, bad, len) == CR_FRAME_LOST,
	   "frame: a record longer than a record can be is lost framing");
	free(bad);
	free(img);
}

struct peeker {
	struct cr_ring	*ring;
	size_t		min;
	ssize_t		got;
};

static void *peeker_main(void *arg)
{
	struct peeker *p = arg;
	void *at;

	p->got = cr_ring_peek(p->ring, p->min, &at);
	if (p->got > 0)
		cr_ring_consume(p->ring, p->got);
	return NULL;
}

static void test_ring(void)
{
	struct cr_ring *r = cr_ring_new(65536);
	struct peeker pk = { .ring = r, .min = 100 };
	pthread_t th;
	void *p;
	int ret;

	ok(r != NULL, "ring: made");
	if (!r)
		return;
	ok(cr_ring_wait_starved(r, 20) == -ETIMEDOUT,
	   "ring: no reader waiting: wait_starved times out");
	pthread_create(&th, NULL, peeker_main, &pk);
	ok(cr_ring_wait_starved(r, 5000) == 0,
	   "ring: a reader waiting for more than there is: starved");
	p = cr_ring_reserve(r, 100);
	memset(p, 1, 100);
	cr_ring_commit(r, 100);
	pthread_join(th, NULL);
	ok(pk.got == 100, "ring: the reader got its 100 bytes");
	ok(cr_ring_peek_wait(r, 1, &p, 20) == -ETIMEDOUT,
	   "ring: a timed peek on an open, empty ring times out");
	ok(!cr_ring_aborted(r), "ring: not called off");
	cr_ring_close(r, ECANCELED);
	ok(cr_ring_aborted(r) == ECANCELED && !cr_ring_reserve(r, 1) &&
	   errno == EPIPE,
	   "ring: closed with an error: called off, and takes no more bytes");
	ret = cr_ring_wait_starved(r, -1);
	ok(ret == -ECANCELED, "ring: wait_starved on a called-off ring: %d", ret);
	cr_ring_reset(r);
	cr_ring_shutdown(r);
	ok(cr_ring_aborted(r) == EPIPE && cr_ring_wait_starved(r, -1) == -EPIPE,
	   "ring: shut down by its reader: called off, the writer learns it");
	cr_ring_free(r);
}

/* Seconds on the monotonic clock. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The worst layout for a search that tries the end of every mapping:
 * the image is one-page mappings one page apart over the whole low
 * address space, and the current layout has a mapping just below each
 * gap left, so that no end of either is followed by enough room until
 * the very top.  A quadratic search takes hours here; a walk, moments.
 */
static void test_scratch(void)
{
	const uint32_t n = 400000;
	const uint64_t psz = 4096, base = 0x10000000UL;
	struct cr_mm t = { 0 };
	struct cr_proc_map *cur;
	unsigned long at;
	uint64_t hole;
	double t0, dt;
	uint32_t i;
	bool clear = true;

	t.vmas = calloc(n, sizeof(*t.vmas));
	cur = calloc(n, sizeof(*cur));
	if (!t.vmas || !cur) {
		ok(0, "scratch: out of memory");
		return;
	}
	t.nr_vmas = n;
	for (i = 0; i < n; i++) {
		t.vmas[i].v.start = base + 2 * i * psz;
		t.vmas[i].v.end = t.vmas[i].v.start + psz;
		t.vmas[i].v.kind = CRFS_VMA_ANON;
		cur[i].start = t.vmas[i].v.end;		/* fills the gap */
		cur[i].end = cur[i].start + psz;
	}
	/* One hole where the area fits, far up: the only answer. */
	hole = base + 2 * (uint64_t)n * psz + (64ULL << 20);
	t0 = now_s();
	at = cr_rst_scratch_addr(&t, cur, n, 3 * psz);
	dt = now_s() - t0;
	for (i = 0; i < n; i++)
		if ((at < t.vmas[i].v.end && at + 3 * psz > t.vmas[i].v.start) ||
		    (at < cur[i].end && at + 3 * psz > cur[i].start))
			clear = false;
	ok(at && clear && at >= hole - (64ULL << 20),
	   "scratch: found a free spot %#lx above %u mappings of each layout",
	   at, n);
	printf("# scratch search over %u + %u mappings: %.3f s\n", n, n, dt);
	/* Linear: twice the mappings, about twice the time (not four times). */
	ok(dt < 5.0, "scratch: the search over 800000 mappings takes moments (%.3f s)",
	   dt);
	free(t.vmas);
	free(cur);
}

int main(void)
{
	printf("1..%d\n", TAP_PLAN);
	test_frame();
	test_ring();
	test_scratch();
	return tap_failed || tap_nr != TAP_PLAN;
}
