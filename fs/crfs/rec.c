// SPDX-License-Identifier: GPL-2.0
/*
 * The record codec of the checkpoint: the image header, length-framed
 * records with a crc32c each (include/uapi/linux/crfs.h), page data at a
 * stream offset multiple of the page size, and the END trailer, as the
 * userspace writer (userspace/lib/image.c) frames them.
 */
#include <linux/crc32c.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/utsname.h>
#include <asm/fpu/xcr.h>

#include "crfs.h"
#include "ckpt.h"

/**
 * crfs_crc32c - crc32c of @len bytes at @p, continuing @crc
 * @crc: 0, or the crc32c of the bytes before
 * @p: the bytes
 * @len: how many
 *
 * Through libcrc32c, which takes the fastest "crc32c" the crypto API has
 * (the SSE4.2 instruction with CRYPTO_CRC32C_INTEL): page data is most of
 * a checkpoint, and lib/crc32.c's tables take longer than its copies.
 *
 * Return: the crc32c (initial value and final xor ~0) of the bytes so far.
 */
u32 crfs_crc32c(u32 crc, const void *p, size_t len)
{
	return ~crc32c(~crc, p, len);
}

/**
 * crfs_buf_free - free a buffer's bytes
 * @b: the buffer
 */
void crfs_buf_free(struct crfs_buf *b)
{
	kvfree(b->data);
	memset(b, 0, sizeof(*b));
}

/* Make room for @more bytes at the end of @b; zeroed. */
static void *crfs_buf_grow(struct crfs_buf *b, size_t more)
{
	size_t cap = b->cap ?: 4096;
	char *n;

	while (cap < b->len + more)
		cap *= 2;
	if (cap != b->cap) {
		n = kvzalloc(cap, GFP_KERNEL_ACCOUNT);
		if (!n)
			return NULL;
		if (b->len)
			memcpy(n, b->data, b->len);
		kvfree(b->data);
		b->data = n;
		b->cap = cap;
	}
	b->len += more;
	return b->data + b->len - more;
}

/**
 * crfs_rec_put - frame one record into a part of the stream
 * @c: the checkpoint
 * @part: where it goes
 * @type: CRFS_REC_*
 * @a: the fixed part of the payload
 * @alen: its bytes
 * @b: what follows it (a path, a name), or NULL
 * @blen: its bytes; the payload is padded with zeros to a multiple of 8
 *
 * Return: 0 or -ENOMEM.
 */
int crfs_rec_put(struct crfs_ckpt *c, enum crfs_part part, u32 type,
		 const void *a, size_t alen, const void *b, size_t blen)
{
	size_t len = ALIGN(alen + blen, 8);
	struct crfs_rec_hdr rh = { .type = type, .len = len };
	char *p;

	p = crfs_buf_grow(&c->part[part], sizeof(rh) + len);
	if (!p)
		return -ENOMEM;
	memcpy(p + sizeof(rh), a, alen);
	if (blen)
		memcpy(p + sizeof(rh) + alen, b, blen);
	memcpy(p, &rh, sizeof(rh));
	rh.crc = crfs_crc32c(0, p, sizeof(rh) + len);
	memcpy(p, &rh, sizeof(rh));
	c->nr_records++;
	return 0;
}

/**
 * crfs_rec_xstate - this machine's XSAVE features and area size
 * @xfeatures: XCR0, as the userspace engine reads it (0 without XSAVE)
 * @size: the bytes of an XSAVE area for them (CPUID 0xd), or the 512 of
 *	the legacy FXSAVE area
 */
void crfs_rec_xstate(u64 *xfeatures, u32 *size)
{
	unsigned int a, b, cx, d;

	if (!boot_cpu_has(X86_FEATURE_OSXSAVE)) {
		*xfeatures = 0;
		*size = 512;	/* the legacy FXSAVE area */
		return;
	}
	*xfeatures = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	cpuid_count(0xd, 0, &a, &b, &cx, &d);
	*size = b;
}

/**
 * crfs_rec_header - make the stream's first bytes: header and objects
 * @c: the checkpoint, every object collected
 *
 * Return: 0 or -ENOMEM.
 */
int crfs_rec_header(struct crfs_ckpt *c)
{
	struct crfs_image_hdr h = { .magic = CRFS_IMAGE_MAGIC };
	struct new_utsname *u = utsname();
	unsigned int i;
	char *p;

	h.version = CRFS_IMAGE_VERSION;
	h.hdr_size = sizeof(h);
	h.arch = CRFS_ARCH_X86_64;
	h.page_size = PAGE_SIZE;
	h.features = CRFS_FEAT_XSTATE | (c->pidns ? CRFS_FEAT_PIDNS : 0);
	crfs_rec_xstate(&h.xfeatures, &h.xstate_size);
	h.nr_tasks = c->nr_procs;
	h.time_ns = ktime_get_real_ns();
	get_random_bytes(h.image_id, sizeof(h.image_id));
	strscpy(h.release, u->release, sizeof(h.release));
	strscpy(h.machine, u->machine, sizeof(h.machine));
	h.crc = crfs_crc32c(0, &h, sizeof(h));

	c->out.len = 0;
	p = crfs_buf_grow(&c->out, sizeof(h));
	if (!p)
		return -ENOMEM;
	memcpy(p, &h, sizeof(h));
	for (i = 0; i < CRFS_PART_NR; i++) {
		if (!c->part[i].len)
			continue;
		p = crfs_buf_grow(&c->out, c->part[i].len);
		if (!p)
			return -ENOMEM;
		memcpy(p, c->part[i].data, c->part[i].len);
		crfs_buf_free(&c->part[i]);
	}
	c->out_off = 0;
	c->off = c->out.len;
	return 0;
}

/**
 * crfs_rec_pages_start - have the worker take the first run's pages
 * @c: the checkpoint, its records made (end of open())
 *
 * Return: 0 or -ENOMEM.
 */
int crfs_rec_pages_start(struct crfs_ckpt *c)
{
	int ret;

	if (!c->nr_runs)
		return 0;
	ret = crfs_pgset_init(&c->pgs[0]);
	if (!ret)
		ret = crfs_pgset_init(&c->pgs[1]);
	if (ret)
		return ret;
	crfs_pgset_take(&c->pgs[0], c->procs[c->runs[0].proc].mm,
			c->runs[0].addr, c->runs[0].nr);
	return 0;
}

/**
 * crfs_rec_pages - make the PAGES record of the next run, the next bytes
 * to read
 * @c: the checkpoint
 *
 * The process is frozen.  The worker took this run's pages and summed them
 * (pgset.c) while the reader read the record before; now it takes the
 * next run's, while the reader copies these straight from the process's
 * pages into its buffer (crfs_image_read_iter()).  Only the header and
 * the padding that aligns the data go into @c->out.  A page that could
 * not be taken fails the checkpoint.
 * Return: 0, -ENOMEM, -EINTR, or -EIO with the reason in the error file.
 */
int crfs_rec_pages(struct crfs_ckpt *c)
{
	unsigned int i = c->next_run;
	const struct crfs_run *run = &c->runs[i];
	const struct crfs_ckpt_proc *proc = &c->procs[run->proc];
	struct crfs_pgset *s = &c->pgs[i & 1];
	struct crfs_pages pg = { .owner = CRFS_PAGES_MM, .id = proc->mm_id,
				 .addr = run->addr, .nr_pages = run->nr };
	size_t hlen = sizeof(struct crfs_rec_hdr) + sizeof(pg);
	size_t data = (size_t)run->nr << PAGE_SHIFT, len;
	struct crfs_rec_hdr rh = { .type = CRFS_REC_PAGES };
	char *p;
	int ret;

	ret = crfs_pgset_wait(s, true);
	if (ret == -EIO)
		return crfs_ckpt_refuse(c, -EIO, "pid %d: pages at %#lx: %u of %u pages read",
					proc->pid, run->addr, s->nr, run->nr);
	if (ret)
		return ret;
	c->next_run++;
	c->cur = s;
	c->pg_off = 0;
	if (i + 1 < c->nr_runs) {
		struct crfs_pgset *t = &c->pgs[(i + 1) & 1];

		crfs_pgset_put(t);
		crfs_pgset_take(t, c->procs[run[1].proc].mm, run[1].addr,
				run[1].nr);
	}
	pg.pad = -(c->off + hlen) & (PAGE_SIZE - 1);
	len = hlen + pg.pad + data;
	c->out.len = 0;
	c->out_off = 0;
	p = crfs_buf_grow(&c->out, hlen + pg.pad);
	if (!p)
		return -ENOMEM;
	memset(p, 0, hlen + pg.pad);
	rh.len = len - sizeof(rh);
	memcpy(p + sizeof(rh), &pg, sizeof(pg));
	memcpy(p, &rh, sizeof(rh));
	rh.crc = crfs_crc32c_join(crfs_crc32c(0, p, hlen + pg.pad), s->raw, data);
	memcpy(p, &rh, sizeof(rh));
	c->off += len;
	c->nr_records++;
	c->page_bytes += data;
	return 0;
}

/**
 * crfs_rec_end - make the END trailer, the last bytes to read
 * @c: the checkpoint
 *
 * Return: 0 or -ENOMEM.
 */
int crfs_rec_end(struct crfs_ckpt *c)
{
	struct crfs_end end = { .nr_records = c->nr_records,
				.bytes = c->off,
				.page_bytes = c->page_bytes };
	struct crfs_rec_hdr rh = { .type = CRFS_REC_END, .len = sizeof(end) };
	char *p;

	c->out.len = 0;
	c->out_off = 0;
	p = crfs_buf_grow(&c->out, sizeof(rh) + sizeof(end));
	if (!p)
		return -ENOMEM;
	memcpy(p, &rh, sizeof(rh));
	memcpy(p + sizeof(rh), &end, sizeof(end));
	rh.crc = crfs_crc32c(0, p, sizeof(rh) + sizeof(end));
	memcpy(p, &rh, sizeof(rh));
	c->off += sizeof(rh) + sizeof(end);
	c->ended = true;
	return 0;
}
