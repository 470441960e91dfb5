// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The image codec: the header, length-framed records with a crc32c each,
 * page-aligned page data and the trailer, written and read strictly in
 * order on any descriptor (file, pipe, socket) or on an in-memory ring
 * (cr-ring.h), where records are built and read in place.
 *
 * The reader never seeks and never reads past the trailer, except for the
 * one read that proves the stream ends there.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/utsname.h>

#include "cr-internal.h"
#include "cr-ring.h"
#include "rec.h"
#include "arch.h"

/* Largest page size of an image this codec writes or reads. */
#define CR_PAGE_SIZE_MAX	65536
/* The reader buffer is aligned so page data lands page-aligned. */
#define CR_BUF_ALIGN		4096
/* It starts this large and grows, up to a whole record, as records need. */
#define CR_BUF_START		(4 * CR_BUF_ALIGN)
#define CR_BUF_MAX		(CR_REC_MAX + 2 * CR_BUF_ALIGN)
/* Most payload pieces cr_img_write_rec() takes. */
#define CR_REC_IOV_MAX		8

_Static_assert(sizeof(struct crfs_image_hdr) == 224, "header layout");
_Static_assert(sizeof(struct crfs_rec_hdr) == 16, "record header layout");
_Static_assert(sizeof(struct crfs_pages) == 24, "pages layout");
_Static_assert(CR_REC_MAX == CRFS_REC_MAX_LEN &&
	       CR_PAGES_PER_REC == CRFS_PAGES_PER_REC, "limits of the format");

/* The first bytes of every version: magic, version, hdr_size. */
#define CR_HDR_PEEK		16

static char cr_zeros[CR_PAGE_SIZE_MAX];

const char *cr_img_rec_name(uint32_t type)
{
	const struct cr_rec_ops *k = cr_rec_ops(type);

	return k ? k->name : "?";
}

static bool cr_is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

int cr_img_init(struct cr_img *img, int fd)
{
	memset(img, 0, sizeof(*img));
	img->fd = fd;
	img->buf_size = CR_BUF_START;
	if (posix_memalign(&img->buf, CR_BUF_ALIGN, img->buf_size)) {
		img->buf = NULL;
		return -ENOMEM;
	}
	return 0;
}

/*
 * Make the buffer hold @need bytes, keeping its first @keep: a record and
 * its header, from any offset in a page, fit in CR_BUF_MAX.  It doubles,
 * so an image of small records never takes a whole record's worth.
 */
static int cr_img_room(struct cr_img *img, size_t need, size_t keep,
		       struct cr_err *e)
{
	size_t size = img->buf_size;
	void *n;

	if (need <= size)
		return 0;
	while (size < need)
		size *= 2;
	if (size > CR_BUF_MAX)
		size = CR_BUF_MAX;
	if (need > size || posix_memalign(&n, CR_BUF_ALIGN, size))
		return cr_fail(e, ENOMEM, "no memory for a record of %zu bytes",
			       need);
	memcpy(n, img->buf, keep);
	free(img->buf);
	img->buf = n;
	img->buf_size = size;
	return 0;
}

int cr_img_init_ring(struct cr_img *img, struct cr_ring *ring)
{
	memset(img, 0, sizeof(*img));
	img->fd = -1;
	img->ring = ring;
	return 0;
}

void cr_img_fini(struct cr_img *img)
{
	if (img->ring)
		cr_ring_consume(img->ring, img->held);
	img->held = 0;
	free(img->buf);
	img->buf = NULL;
	img->buf_size = 0;
}

/* This machine's header, but the time: it cannot change while we run. */
static struct crfs_image_hdr cr_here;
static pthread_once_t cr_here_once = PTHREAD_ONCE_INIT;

/* Fill cr_here: CPUID traps in a virtual machine, uname() is a syscall. */
static void cr_here_init(void)
{
	struct crfs_image_hdr *h = &cr_here;
	struct utsname u;

	memcpy(h->magic, CRFS_IMAGE_MAGIC, CRFS_IMAGE_MAGIC_LEN);
	h->version = CRFS_IMAGE_VERSION;
	h->hdr_size = sizeof(*h);
	h->arch = CRFS_ARCH_X86_64;
	h->page_size = sysconf(_SC_PAGESIZE);
	h->features = CRFS_FEAT_XSTATE;
	h->xfeatures = cr_arch_xfeatures();
	h->xstate_size = cr_arch_xstate_size();
	if (uname(&u) == 0) {
		snprintf(h->release, sizeof(h->release), "%s", u.release);
		snprintf(h->machine, sizeof(h->machine), "%s", u.machine);
	}
}

void cr_img_fill_hdr(struct crfs_image_hdr *h)
{
	struct timespec ts;

	pthread_once(&cr_here_once, cr_here_init);
	*h = cr_here;
	clock_gettime(CLOCK_REALTIME, &ts);
	h->time_ns = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	/* An id for this image; a shortfall leaves it less random, not 0. */
	if (getrandom(h->image_id, sizeof(h->image_id), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(h->image_id))
		memcpy(h->image_id, &h->time_ns, sizeof(h->time_ns));
}

static uint32_t cr_hdr_crc(const struct crfs_image_hdr *h)
{
	struct crfs_image_hdr c = *h;

	c.crc = 0;
	return cr_crc32c(0, &c, sizeof(c));
}

/* Write @iov (modified) and account for it; EIO names the offset. */
static int cr_img_out(struct cr_img *img, struct iovec *iov, int iovcnt,
		      size_t len, struct cr_err *e)
{
	ssize_t n;

	if (img->ring) {
		char *p = cr_ring_reserve(img->ring, len);

		if (!p)
			return cr_fail(e, EIO, "cannot write image at offset %"
				       PRIu64 ": %m", img->off);
		/* An empty piece may have no base (a VMA without a path). */
		for (int i = 0; i < iovcnt; i++) {
			if (!iov[i].iov_len)
				continue;
			memcpy(p, iov[i].iov_base, iov[i].iov_len);
			p += iov[i].iov_len;
		}
		cr_ring_commit(img->ring, len);
		img->off += len;
		return 0;
	}
	n = cr_writev_full(img->fd, iov, iovcnt);

	if (n < 0)
		return cr_fail(e, EIO, "cannot write image at offset %" PRIu64
			       ": %m", img->off);
	if ((size_t)n != len)
		return cr_fail(e, EIO, "short write of image at offset %" PRIu64,
			       img->off);
	img->off += len;
	return 0;
}

int cr_img_write_hdr(struct cr_img *img, struct crfs_image_hdr *h,
		     struct cr_err *e)
{
	struct iovec iov = { h, sizeof(*h) };

	if (img->off)
		return cr_fail(e, EINVAL, "image header must come first");
	if (!cr_is_pow2(h->page_size) || h->page_size > CR_PAGE_SIZE_MAX)
		return cr_fail(e, EINVAL, "bad page size %u", h->page_size);
	h->hdr_size = sizeof(*h);
	h->crc = cr_hdr_crc(h);
	img->page_size = h->page_size;
	return cr_img_out(img, &iov, 1, sizeof(*h), e);
}

/* The crc of a record: header with crc 0, then the payload. */
static uint32_t cr_rec_crc(const struct crfs_rec_hdr *rh,
			   const struct iovec *iov, int iovcnt)
{
	struct crfs_rec_hdr c = *rh;
	uint32_t crc;

	c.crc = 0;
	crc = cr_crc32c(0, &c, sizeof(c));
	for (int i = 0; i < iovcnt; i++)
		crc = cr_crc32c(crc, iov[i].iov_base, iov[i].iov_len);
	return crc;
}

/* Frame and write one record of any type; @iov[0] is free for the header. */
static int cr_img_put(struct cr_img *img, uint32_t type, struct iovec *iov,
		      int iovcnt, struct cr_err *e)
{
	struct crfs_rec_hdr rh = { .type = type };
	int i;

	if (!img->page_size)
		return cr_fail(e, EINVAL, "%s record before the image header",
			       cr_img_rec_name(type));
	if (img->ended)
		return cr_fail(e, EINVAL, "%s record after the trailer",
			       cr_img_rec_name(type));
	for (i = 1; i < iovcnt; i++)
		rh.len += iov[i].iov_len;
	if (rh.len > CR_REC_MAX)
		return cr_fail(e, EINVAL, "%s record of %" PRIu64
			       " bytes is too large", cr_img_rec_name(type),
			       (uint64_t)rh.len);
	rh.crc = cr_rec_crc(&rh, iov + 1, iovcnt - 1);
	iov[0].iov_base = &rh;
	iov[0].iov_len = sizeof(rh);
	return cr_img_out(img, iov, iovcnt, sizeof(rh) + rh.len, e);
}

int cr_img_write_rec(struct cr_img *img, uint32_t type,
		     const struct iovec *iov, int iovcnt, struct cr_err *e)
{
	const struct cr_rec_ops *k = cr_rec_ops(type);
	struct iovec v[CR_REC_IOV_MAX + 2];
	uint64_t len = 0;
	int ret;

	if (!k || type == CRFS_REC_PAGES || type == CRFS_REC_END)
		return cr_fail(e, EINVAL, "cannot write a record of type %u",
			       type);
	if (iovcnt < 0 || iovcnt > CR_REC_IOV_MAX)
		return cr_fail(e, EINVAL, "%s record: %d pieces, at most %d",
			       k->name, iovcnt, CR_REC_IOV_MAX);
	for (int i = 0; i < iovcnt; i++) {
		v[i + 1] = iov[i];
		len += iov[i].iov_len;
	}
	if (len < k->size || (k->exact && len != k->size))
		return cr_fail(e, EINVAL, "%s record of %" PRIu64
			       " bytes, expected %s%" PRIu64, k->name, len,
			       k->exact ? "" : "at least ", (uint64_t)k->size);
	/* Every payload is a multiple of 8 bytes: pad it with zeros. */
	v[iovcnt + 1] = (struct iovec){ cr_zeros, cr_pad8(len) - len };
	ret = cr_img_put(img, type, v, iovcnt + 2, e);
	if (!ret)
		img->nr_records++;
	return ret;
}

void *cr_img_pages_begin(struct cr_img *img, uint32_t owner, uint32_t id,
			 uint64_t vaddr, uint64_t nr_pages, struct cr_err *e)
{
	struct crfs_pages p = { .owner = owner, .id = id, .addr = vaddr,
				.nr_pages = nr_pages };
	size_t hlen = sizeof(struct crfs_rec_hdr) + sizeof(p), len;
	char *rec;

	if (!img->page_size) {
		cr_fail(e, EINVAL, "pages record before the image header");
		return NULL;
	}
	if (img->ended) {
		cr_fail(e, EINVAL, "pages record after the trailer");
		return NULL;
	}
	if (!nr_pages || nr_pages > CR_PAGES_PER_REC) {
		cr_fail(e, EINVAL, "pages record at 0x%" PRIx64 ": %" PRIu64
			" pages, 1 to %d allowed", vaddr, nr_pages,
			CR_PAGES_PER_REC);
		return NULL;
	}
	if (vaddr & (img->page_size - 1)) {
		cr_fail(e, EINVAL, "pages record at 0x%" PRIx64
			": address not page-aligned", vaddr);
		return NULL;
	}
	p.pad = -(img->off + hlen) & (img->page_size - 1);
	len = hlen + p.pad + nr_pages * img->page_size;
	if (len - sizeof(struct crfs_rec_hdr) > CR_REC_MAX) {
		cr_fail(e, EINVAL, "pages record at 0x%" PRIx64 ": %" PRIu64
			" pages of %u bytes exceed a record", vaddr, nr_pages,
			img->page_size);
		return NULL;
	}
	if (img->ring) {
		rec = cr_ring_reserve(img->ring, len);
		if (!rec) {
			cr_fail(e, EIO, "cannot write image at offset %" PRIu64
				": %m", img->off);
			return NULL;
		}
	} else {
		/* In the buffer as in the stream: page data page-aligned. */
		size_t at = img->off & (CR_BUF_ALIGN - 1);

		if (cr_img_room(img, at + len, 0, e))
			return NULL;
		rec = (char *)img->buf + at;
	}
	memcpy(rec + sizeof(struct crfs_rec_hdr), &p, sizeof(p));
	memset(rec + hlen, 0, p.pad);
	img->wrec = rec;
	img->wlen = len;
	img->wpages = nr_pages;
	return rec + hlen + p.pad;
}

int cr_img_pages_end(struct cr_img *img, struct cr_err *e)
{
	struct crfs_rec_hdr rh = { .type = CRFS_REC_PAGES };
	struct iovec v;
	int ret = 0;

	if (!img->wrec)
		return cr_fail(e, EINVAL, "pages record not begun");
	rh.len = img->wlen - sizeof(rh);
	v = (struct iovec){ img->wrec + sizeof(rh), rh.len };
	rh.crc = cr_rec_crc(&rh, &v, 1);
	memcpy(img->wrec, &rh, sizeof(rh));
	if (img->ring) {
		cr_ring_commit(img->ring, img->wlen);
		img->off += img->wlen;
	} else {
		v = (struct iovec){ img->wrec, img->wlen };
		ret = cr_img_out(img, &v, 1, img->wlen, e);
	}
	if (!ret) {
		img->nr_records++;
		img->page_bytes += img->wpages * img->page_size;
	}
	img->wrec = NULL;
	return ret;
}

int cr_img_write_pages(struct cr_img *img, uint32_t owner, uint32_t id,
		       uint64_t vaddr, const void *data, uint64_t nr_pages,
		       struct cr_err *e)
{
	void *p = cr_img_pages_begin(img, owner, id, vaddr, nr_pages, e);

	if (!p)
		return e ? -e->err : -EINVAL;
	memcpy(p, data, nr_pages * img->page_size);
	return cr_img_pages_end(img, e);
}

int cr_img_write_end(struct cr_img *img, struct cr_err *e)
{
	struct crfs_end end = {
		.nr_records	= img->nr_records,
		.bytes		= img->off,
		.page_bytes	= img->page_bytes,
	};
	struct iovec v[2] = { [1] = { &end, sizeof(end) } };
	int ret;

	ret = cr_img_put(img, CRFS_REC_END, v, 2, e);
	if (!ret)
		img->ended = 1;
	return ret;
}

/* Start reading the header or a record: the one before is done with. */
static void cr_img_next(struct cr_img *img)
{
	if (img->ring)
		cr_ring_consume(img->ring, img->held);
	img->held = 0;
	img->rec_off = img->off;
}

/*
 * The next @len bytes of the current record, contiguous with the ones
 * before (in the buffer as they are in the stream, modulo the page; in
 * the ring where they lie).  Returns the bytes there are (< @len at the
 * end of the stream) or -EIO.
 */
static ssize_t cr_img_in(struct cr_img *img, size_t len, void **p,
			 struct cr_err *e)
{
	ssize_t n;
	char *at;

	if (img->ring) {
		void *base;
		int err;

		n = cr_ring_peek(img->ring, img->held + len, &base);
		if (n < 0)
			return cr_fail(e, EIO, "cannot read image at offset %"
				       PRIu64 ": a record of %zu bytes, the ring "
				       "holds %zu", img->off, img->held + len,
				       cr_ring_size(img->ring));
		n -= img->held;
		if ((size_t)n > len)
			n = len;
		err = (size_t)n < len ? cr_ring_error(img->ring) : 0;
		if (err)
			return cr_fail(e, EIO, "cannot read image at offset %"
				       PRIu64 ": %s", img->off + n,
				       strerror(err));
		at = (char *)base + img->held;
	} else {
		size_t keep = (img->rec_off & (CR_BUF_ALIGN - 1)) + img->held;

		if (cr_img_room(img, keep + len, keep, e))
			return -ENOMEM;
		at = (char *)img->buf + keep;
		n = cr_read_full(img->fd, at, len);
		if (n < 0)
			return cr_fail(e, EIO, "cannot read image at offset %"
				       PRIu64 ": %m", img->off);
	}
	img->held += n;
	img->off += n;
	*p = at;
	return n;
}

int cr_img_read_hdr(struct cr_img *img, struct crfs_image_hdr *h,
		    struct cr_err *e)
{
	ssize_t n, more = 0;
	void *p, *q;

	cr_img_next(img);
	/* The first bytes say which version this is, in every version. */
	n = cr_img_in(img, CR_HDR_PEEK, &p, e);
	if (n < 0)
		return n;
	memset(h, 0, sizeof(*h));
	memcpy(h, p, n);
	if (memcmp(h->magic, CRFS_IMAGE_MAGIC,
		   n < CRFS_IMAGE_MAGIC_LEN ? n : CRFS_IMAGE_MAGIC_LEN))
		return cr_fail(e, EINVAL, "not a crfs image");
	if (n == 0)
		return cr_fail(e, ENODATA, "image is empty");
	if (n == CR_HDR_PEEK && h->version != CRFS_IMAGE_VERSION)
		return cr_fail(e, EPROTONOSUPPORT, "version %u image, this "
			       "crfs reads version %u", h->version,
			       CRFS_IMAGE_VERSION);
	if (n == CR_HDR_PEEK) {
		more = cr_img_in(img, sizeof(*h) - CR_HDR_PEEK, &q, e);
		if (more < 0)
			return more;
		memcpy((char *)h + CR_HDR_PEEK, q, more);
	}
	if ((size_t)(n + more) < sizeof(*h))
		return cr_fail(e, ENODATA, "image truncated in the header "
			       "(%zd of %zu bytes)", n + more, sizeof(*h));
	if (h->hdr_size != sizeof(*h))
		return cr_fail(e, EBADMSG, "image header size %u, expected %zu",
			       h->hdr_size, sizeof(*h));
	if (h->crc != cr_hdr_crc(h))
		return cr_fail(e, EBADMSG, "image header: checksum mismatch");
	if (!cr_is_pow2(h->page_size) || h->page_size > CR_PAGE_SIZE_MAX)
		return cr_fail(e, EINVAL, "image header: bad page size %u",
			       h->page_size);
	if (!memchr(h->release, 0, sizeof(h->release)) ||
	    !memchr(h->machine, 0, sizeof(h->machine)))
		return cr_fail(e, EINVAL, "image header: unterminated string");
	img->page_size = h->page_size;
	return 0;
}

int cr_img_check_hdr(const struct crfs_image_hdr *h, struct cr_err *e)
{
	struct crfs_image_hdr here;

	cr_img_fill_hdr(&here);
	if (h->arch != here.arch)
		return cr_fail(e, ENOEXEC, "image is for architecture 0x%x, "
			       "this is 0x%x", h->arch, here.arch);
	if (h->page_size != here.page_size)
		return cr_fail(e, ENOEXEC, "image is for page size %u, "
			       "this is %u", h->page_size, here.page_size);
	if (strcmp(h->release, here.release))
		return cr_fail(e, EOPNOTSUPP, "image is for kernel %s, "
			       "this is %s", h->release, here.release);
	if (h->xfeatures != here.xfeatures)
		return cr_fail(e, EOPNOTSUPP, "image has xfeatures 0x%" PRIx64
			       ", this cpu has 0x%" PRIx64, (uint64_t)h->xfeatures,
			       (uint64_t)here.xfeatures);
	if (h->xstate_size != here.xstate_size)
		return cr_fail(e, EOPNOTSUPP, "image has xstate size %u, "
			       "this cpu has %u", h->xstate_size,
			       here.xstate_size);
	return 0;
}

/*
 * Check the framing of a PAGES payload that starts at stream @off: the
 * payload lies at any alignment, so its fixed part is copied out first.
 */
static int cr_img_frame_pages(struct cr_img *img, const void *payload,
			      uint64_t len, uint64_t off, const char *where,
			      struct cr_err *e)
{
	uint64_t ps = img->page_size;
	struct crfs_pages p;

	cr_img_pages_get(payload, &p);
	if (!p.nr_pages || p.nr_pages > CR_PAGES_PER_REC)
		return cr_fail(e, EBADMSG, "%s: %" PRIu64 " pages, 1 to %d "
			       "allowed", where, (uint64_t)p.nr_pages,
			       CR_PAGES_PER_REC);
	if (p.addr & (ps - 1))
		return cr_fail(e, EBADMSG, "%s: address 0x%" PRIx64 " not "
			       "page-aligned", where, (uint64_t)p.addr);
	if (p.pad >= ps || (off + sizeof(p) + p.pad) & (ps - 1))
		return cr_fail(e, EBADMSG, "%s: pad %u does not align the "
			       "page data", where, p.pad);
	if (len != sizeof(p) + p.pad + p.nr_pages * ps)
		return cr_fail(e, EBADMSG, "%s: length %" PRIu64 " does not "
			       "match %" PRIu64 " pages", where, len,
			       (uint64_t)p.nr_pages);
	if (memcmp((const char *)payload + sizeof(p), cr_zeros, p.pad))
		return cr_fail(e, EBADMSG, "%s: pad not zero", where);
	img->page_bytes += p.nr_pages * ps;
	return 0;
}

/* Check the trailer against what was read and that nothing follows. */
static int cr_img_check_end(struct cr_img *img, const void *payload,
			    uint64_t start, const char *where,
			    struct cr_err *e)
{
	uint64_t at = img->off;		/* where trailing data would start */
	struct crfs_end end;
	void *c;
	ssize_t n;

	memcpy(&end, payload, sizeof(end));
	if (end.nr_records != img->nr_records)
		return cr_fail(e, EBADMSG, "%s: trailer counts %" PRIu64
			       " records, %" PRIu64 " were read", where,
			       (uint64_t)end.nr_records, img->nr_records);
	if (end.bytes != start)
		return cr_fail(e, EBADMSG, "%s: trailer counts %" PRIu64
			       " bytes, %" PRIu64 " were read", where,
			       (uint64_t)end.bytes, start);
	if (end.page_bytes != img->page_bytes)
		return cr_fail(e, EBADMSG, "%s: trailer counts %" PRIu64
			       " page bytes, %" PRIu64 " were read", where,
			       (uint64_t)end.page_bytes, img->page_bytes);
	/*
	 * On a ring the writer waits for the verdict on the write that
	 * carried the trailer (crfs-fuse): look at what came with it, do not
	 * wait for the end of the stream.  On a descriptor CR_BUF_START holds
	 * this byte too: the buffer does not move.
	 */
	if (img->ring)
		n = cr_ring_avail(img->ring) > img->held;
	else
		n = cr_img_in(img, 1, &c, e);
	if (n < 0)
		return n;
	if (n)
		return cr_fail(e, EBADMSG, "trailing data after the trailer "
			       "at offset %" PRIu64, at);
	img->ended = 1;
	return 0;
}

int cr_img_read_rec(struct cr_img *img, struct crfs_rec_hdr *rh,
		    void **payload, struct cr_err *e)
{
	uint64_t start = img->off, nr = img->nr_records + 1;
	const struct cr_rec_ops *k;
	char where[128];
	uint32_t crc;
	void *p;
	ssize_t n;

	if (!img->page_size)
		return cr_fail(e, EINVAL, "image record read before the header");
	if (img->ended)
		return cr_fail(e, EINVAL, "image record read after the trailer");
	cr_img_next(img);
	n = cr_img_in(img, sizeof(*rh), &p, e);
	if (n < 0)
		return n;
	memcpy(rh, p, n);
	if (n == 0)
		return cr_fail(e, ENODATA, "image truncated after %" PRIu64
			       " records (no trailer)", img->nr_records);
	if ((size_t)n < sizeof(*rh))
		return cr_fail(e, ENODATA, "image truncated in record %" PRIu64
			       " (%s) at offset %" PRIu64, nr,
			       n >= 4 ? cr_img_rec_name(rh->type) : "?", start);
	k = cr_rec_ops(rh->type);
	snprintf(where, sizeof(where), "record %" PRIu64 " (%s) at offset %"
		 PRIu64, nr, k ? k->name : "?", start);
	if (!k)
		return cr_fail(e, EBADMSG, "%s: unknown type %u", where,
			       rh->type);
	if (rh->len > CR_REC_MAX)
		return cr_fail(e, EBADMSG, "%s: length %" PRIu64 " exceeds %d",
			       where, (uint64_t)rh->len, CR_REC_MAX);
	if (rh->len % 8)
		return cr_fail(e, EBADMSG, "%s: length %" PRIu64 " is not a "
			       "multiple of 8", where, (uint64_t)rh->len);
	n = cr_img_in(img, rh->len, &p, e);
	if (n < 0)
		return n;
	if ((uint64_t)n < rh->len)
		return cr_fail(e, ENODATA, "image truncated in %s", where);
	crc = cr_rec_crc(rh, &(struct iovec){ p, rh->len }, 1);
	if (crc != rh->crc)
		return cr_fail(e, EBADMSG, "%s: checksum mismatch", where);
	if (rh->len < k->size || (k->exact && rh->len != k->size))
		return cr_fail(e, EBADMSG, "%s: length %" PRIu64 ", expected %s%"
			       PRIu64, where, (uint64_t)rh->len,
			       k->exact ? "" : "at least ", (uint64_t)k->size);
	*payload = p;
	if (rh->type == CRFS_REC_END)
		return cr_img_check_end(img, p, start, where, e);
	if (rh->type == CRFS_REC_PAGES) {
		int ret = cr_img_frame_pages(img, p, rh->len,
					     start + sizeof(*rh), where, e);
		if (ret)
			return ret;
	}
	img->nr_records++;
	return 0;
}
