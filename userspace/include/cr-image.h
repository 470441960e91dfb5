/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The image codec: writes and reads the records of
 * include/uapi/linux/crfs.h strictly in order, on any descriptor.
 */
#ifndef CR_IMAGE_H
#define CR_IMAGE_H

#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <linux/crfs.h>

#include "cr.h"

/*
 * Errors of the codec, as errno values:
 *   EINVAL          not a crfs image (bad magic), an impossible header
 *   EPROTONOSUPPORT a format version this reader does not know
 *   ENOEXEC         another architecture or page size
 *   EBADMSG         the image is corrupt: a checksum, a length, a record
 *                   type or order, or a count does not match
 *   EOPNOTSUPP      a record this version cannot restore
 *   ENODATA         the stream ended early: the image is truncated
 *   EIO             the descriptor failed (the reason says how)
 */

struct cr_ring;

/* The state of one stream being written or read. */
struct cr_img {
	int		fd;		/* -1 on a ring */
	struct cr_ring	*ring;		/* or NULL on a descriptor */
	uint64_t	off;		/* stream bytes so far */
	uint64_t	nr_records;	/* records so far, END excluded */
	uint64_t	page_bytes;	/* page data so far */
	uint32_t	page_size;	/* from the header */
	int		ended;		/* END seen or written */
	void		*buf;		/* on a descriptor: one record */
	size_t		buf_size;
	uint64_t	rec_off;	/* stream offset of the current record */
	size_t		held;		/* its bytes read so far */
	char		*wrec;		/* cr_img_pages_begin()'s record */
	size_t		wlen;
	uint64_t	wpages;
};

/* crc32c (Castagnoli), hardware-accelerated where the CPU has SSE4.2. */
uint32_t cr_crc32c(uint32_t crc, const void *buf, size_t len);

/**
 * cr_img_init() - start a stream on @fd (read or write)
 * Return: 0 or -ENOMEM.
 */
int cr_img_init(struct cr_img *img, int fd);

/**
 * cr_img_init_ring() - start a stream on @ring (read or write)
 *
 * Records are written in place in the ring and read where they lie in
 * it: nothing is copied on the way.  The caller closes the ring's side.
 *
 * Return: 0.
 */
int cr_img_init_ring(struct cr_img *img, struct cr_ring *ring);

/* cr_img_fini() - free what cr_img_init() took (does not close fd) */
void cr_img_fini(struct cr_img *img);

/**
 * cr_img_fill_hdr() - fill @h for this machine: magic, version, arch,
 * page size, release, machine, XCR0 and xstate size.
 */
void cr_img_fill_hdr(struct crfs_image_hdr *h);

/**
 * cr_img_write_hdr() - write the image header; sets its crc
 * Return: 0 or -errno with @e set.
 */
int cr_img_write_hdr(struct cr_img *img, struct crfs_image_hdr *h,
		     struct cr_err *e);

/**
 * cr_img_write_rec() - write one record whose payload is @iov
 * @type: CRFS_REC_*; not CRFS_REC_PAGES nor CRFS_REC_END
 *
 * The payload is padded with zeros to a multiple of 8 bytes.
 *
 * Return: 0 or -errno with @e set.
 */
int cr_img_write_rec(struct cr_img *img, uint32_t type,
		     const struct iovec *iov, int iovcnt, struct cr_err *e);

/**
 * cr_img_write_pages() - write one CRFS_REC_PAGES record
 * @owner: CRFS_PAGES_MM or CRFS_PAGES_SHMEM
 * @id:    the MM or SHMEM
 * @vaddr: address (MM) or offset (SHMEM) of the first page
 * @data:  @nr_pages * page_size bytes
 * @nr_pages: at most CR_PAGES_PER_REC
 *
 * Return: 0 or -errno with @e set.
 */
int cr_img_write_pages(struct cr_img *img, uint32_t owner, uint32_t id,
		       uint64_t vaddr, const void *data, uint64_t nr_pages,
		       struct cr_err *e);

/**
 * cr_img_pages_begin() - start one CRFS_REC_PAGES record in place
 * @owner:    CRFS_PAGES_MM or CRFS_PAGES_SHMEM
 * @id:       the MM or SHMEM
 * @vaddr:    address (MM) or offset (SHMEM) of the first page
 * @nr_pages: at most CR_PAGES_PER_REC
 *
 * The caller puts the @nr_pages pages at the returned address (in the
 * ring itself on a ring) and then calls cr_img_pages_end().  Nothing else
 * may be written in between.
 *
 * Return: where the page data goes, page-aligned, or NULL with @e set.
 */
void *cr_img_pages_begin(struct cr_img *img, uint32_t owner, uint32_t id,
			 uint64_t vaddr, uint64_t nr_pages, struct cr_err *e);

/**
 * cr_img_pages_end() - checksum and write the record cr_img_pages_begin()
 * started
 * Return: 0 or -errno with @e set.
 */
int cr_img_pages_end(struct cr_img *img, struct cr_err *e);

/**
 * cr_img_write_end() - write the trailer
 * Return: 0 or -errno with @e set.
 */
int cr_img_write_end(struct cr_img *img, struct cr_err *e);

/**
 * cr_img_read_hdr() - read and check the image header
 *
 * Checks magic, version (EPROTONOSUPPORT: "version 4 image, this crfs
 * reads version 5"), hdr_size and crc.  Does not compare with this
 * machine: see cr_img_check_hdr().
 *
 * Return: 0 or -errno with @e set.
 */
int cr_img_read_hdr(struct cr_img *img, struct crfs_image_hdr *h,
		    struct cr_err *e);

/**
 * cr_img_check_hdr() - can this machine restore an image with header @h?
 *
 * Compares arch and page size (ENOEXEC), kernel release, XCR0 and xstate
 * size (EOPNOTSUPP) with this machine, naming the field and both values.
 * What the image alone decides (features, ...) is cr_img_check_image()'s.
 *
 * Return: 0 or -errno with @e set.
 */
int cr_img_check_hdr(const struct crfs_image_hdr *h, struct cr_err *e);

/**
 * cr_img_read_rec() - read the next record, whole, and check its crc
 * @rh:      receives the record header
 * @payload: receives a pointer to the payload (in img->buf, or where it
 *           lies in the ring), valid until the next call or
 *           cr_img_fini(); for CRFS_REC_PAGES, use cr_img_pages_data()
 *
 * After CRFS_REC_END it checks the trailer's counts and that the stream
 * ends there.  A stream that ends before END gives -ENODATA naming the
 * record number and offset.
 *
 * Return: 0 or -errno with @e set.
 */
int cr_img_read_rec(struct cr_img *img, struct crfs_rec_hdr *rh,
		    void **payload, struct cr_err *e);

/*
 * Payloads start at 8-byte stream offsets but lie at any alignment in a
 * ring: read their fixed parts through a copy, never through a cast
 * pointer.
 */

/* The fixed part of a CRFS_REC_PAGES payload, copied into @p. */
static inline void cr_img_pages_get(const void *payload, struct crfs_pages *p)
{
	memcpy(p, payload, sizeof(*p));
}

/* The page data of a CRFS_REC_PAGES payload (page-aligned). */
static inline void *cr_img_pages_data(void *payload)
{
	struct crfs_pages p;

	cr_img_pages_get(payload, &p);
	return (char *)payload + sizeof(p) + p.pad;
}

/* The name of a record type, "?" if unknown. */
const char *cr_img_rec_name(uint32_t type);

#endif /* CR_IMAGE_H */
