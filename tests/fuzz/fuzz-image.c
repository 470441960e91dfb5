// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness of the image reader (tests/fuzz/README).
 *
 * An input is one mode byte, then an image stream.  Mode bit 0 set: the
 * header's crc32c, every whole record's crc32c and the trailer's counts
 * are recomputed before reading, so that mutations reach the decoders and
 * the checks behind the checksums.
 *
 * Each input is read twice, in memory:
 *  (a) as `crfs-image verify` reads it: the walker of img-check.c on a
 *      descriptor (a memfd), header to trailer;
 *  (b) as cr_restore() reads it up to the creation of the process, on a
 *      ring: cr_rst_read() (header, this machine's compatibility, every
 *      object and process into the model, every rule of the image alone),
 *      the plan made before the process exists (cr_rst_plan(): its files
 *      opened once each and their numbers, its descriptors and limits
 *      against this restorer, room for its mappings), then every PAGES
 *      record as the restore takes them (cr_rst_next_pages()).  Before (b) the header's machine fields
 *      (arch, page size, release, machine, xfeatures, xstate size) are set
 *      to this machine's, and its crc redone if it was right, so that
 *      cr_img_check_hdr() lets the image through.
 * When (b) read the very bytes (a) read, both must come to the same
 * verdict with the same reason: one set of rules for verify and restore.
 * A disagreement aborts, as a crash.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "restore.h"
#include "cr-ring.h"

#define FUZZ_FIX_CRC	0x01
/* Inputs larger than this skip (b): the ring holds a whole input. */
#define FUZZ_RING_SIZE	(4 << 20)

static int memfd = -1;
static struct cr_ring *ring;
static unsigned char *buf;	/* the image, possibly fixed */
static unsigned char *rbuf;	/* the image with this machine's header */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	memfd = memfd_create("fuzz-image", MFD_CLOEXEC);
	ring = cr_ring_new(FUZZ_RING_SIZE + CR_RING_REC);
	buf = malloc(FUZZ_RING_SIZE);
	rbuf = malloc(FUZZ_RING_SIZE);
	if (memfd < 0 || !ring || !buf || !rbuf) {
		perror("fuzz-image: setup");
		exit(1);
	}
	return 0;
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The header's crc32c, as the writer computes it. */
static uint32_t hdr_crc(const unsigned char *b)
{
	struct crfs_image_hdr h;

	memcpy(&h, b, sizeof(h));
	h.crc = 0;
	return cr_crc32c(0, &h, sizeof(h));
}

static void set_hdr_crc(unsigned char *b)
{
	uint32_t crc = hdr_crc(b);

	memcpy(b + offsetof(struct crfs_image_hdr, crc), &crc, sizeof(crc));
}

/* Recompute every checksum of @b and the trailer's counts. */
static void fix_crcs(unsigned char *b, size_t len)
{
	const size_t rh = sizeof(struct crfs_rec_hdr);
	uint64_t nr = 0, page_bytes = 0, ps;
	size_t off = sizeof(struct crfs_image_hdr);

	if (len < off)
		return;
	set_hdr_crc(b);
	ps = get32(b + offsetof(struct crfs_image_hdr, page_size));
	while (off + rh <= len) {
		uint32_t type = get32(b + off), crc;
		uint64_t n = get64(b + off + 8);
		struct crfs_end end;

		if (n > len - off - rh)
			break;
		if (type == CRFS_REC_PAGES && n >= sizeof(struct crfs_pages))
			page_bytes += get32(b + off + rh +
					    offsetof(struct crfs_pages,
						     nr_pages)) * ps;
		if (type == CRFS_REC_END && n == sizeof(end)) {
			end = (struct crfs_end){ nr, off, page_bytes };
			memcpy(b + off + rh, &end, sizeof(end));
		}
		memset(b + off + 4, 0, 4);
		crc = cr_crc32c(0, b + off, rh + n);
		memcpy(b + off + 4, &crc, sizeof(crc));
		if (type != CRFS_REC_END)
			nr++;
		off += rh + n;
	}
}

/* (a) The path of `crfs-image verify`: every record, on a descriptor. */
static int read_verify(const unsigned char *b, size_t len, struct cr_err *e)
{
	struct cr_img_walk w;
	struct cr_img img;
	int ret;

	if (ftruncate(memfd, 0) || pwrite(memfd, b, len, 0) != (ssize_t)len ||
	    lseek(memfd, 0, SEEK_SET)) {
		perror("fuzz-image: memfd");
		abort();
	}
	if (cr_img_init(&img, memfd))
		abort();
	ret = cr_img_walk_begin(&w, &img, e);
	while (!ret && (ret = cr_img_walk_next(&w, e)) > 0)
		ret = 0;
	cr_img_walk_fini(&w);
	cr_img_fini(&img);
	return ret;
}

/* Give @b this machine's header fields; redo the crc if it was right. */
static void this_machine(unsigned char *b, size_t len)
{
	struct crfs_image_hdr h, here;
	bool crc_ok;

	if (len < sizeof(h))
		return;
	crc_ok = hdr_crc(b) == get32(b + offsetof(struct crfs_image_hdr, crc));
	memcpy(&h, b, sizeof(h));
	cr_img_fill_hdr(&here);
	h.arch = here.arch;
	h.page_size = here.page_size;
	h.xfeatures = here.xfeatures;
	h.xstate_size = here.xstate_size;
	memcpy(h.release, here.release, sizeof(h.release));
	memcpy(h.machine, here.machine, sizeof(h.machine));
	memcpy(b, &h, sizeof(h));
	if (crc_ok)
		set_hdr_crc(b);
}

/*
 * (b) The restore's reading up to the creation of the process, then its
 * PAGES records.  @machine_e gets the reason of a machine check (files,
 * descriptors), which (a) does not make.
 */
static int read_restore(const unsigned char *b, size_t len, struct cr_err *e,
			struct cr_err *machine_e)
{
	struct cr_img_walk w;
	struct cr_img img;
	void *room;
	int ret;

	cr_ring_reset(ring);
	room = cr_ring_reserve(ring, len);
	if (!room)
		abort();
	memcpy(room, b, len);
	cr_ring_commit(ring, len);
	cr_ring_close(ring, 0);
	cr_img_init_ring(&img, ring);
	ret = cr_rst_read(&w, &img, e);
	if (!ret) {
		struct cr_rst r = { .m = &w.m, .task = &w.m.tasks[0],
				    .page_size = w.hdr.page_size };

		/* The plan of its files, and whether this restorer can. */
		r.thread = &r.task->threads[0];
		r.mm = r.task->mm;
		cr_rst_plan(&r, machine_e);
		cr_rst_files_free(&r.files);
	}
	while (!ret && (ret = cr_rst_next_pages(&w, e)) == CR_WALK_PAGES)
		ret = 0;
	cr_img_walk_fini(&w);
	cr_img_fini(&img);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cr_err ea = { 0 }, eb = { 0 }, em = { 0 };
	int ra, rb;

	if (size < 1 || size - 1 > FUZZ_RING_SIZE)
		return -1;
	size--;
	memcpy(buf, data + 1, size);
	if (data[0] & FUZZ_FIX_CRC)
		fix_crcs(buf, size);
	ra = read_verify(buf, size, &ea);

	memcpy(rbuf, buf, size);
	this_machine(rbuf, size);
	rb = read_restore(rbuf, size, &eb, &em);
	if (memcmp(buf, rbuf, size))
		return 0;
	if (ra != rb || (ra && strcmp(ea.msg, eb.msg))) {
		fprintf(stderr, "fuzz-image: verify and restore disagree:\n"
			"  verify:  %d %s\n  restore: %d %s\n", ra, ea.msg, rb,
			eb.msg);
		abort();
	}
	return 0;
}
