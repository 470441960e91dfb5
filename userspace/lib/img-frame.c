// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Following the framing of an image stream without decoding it, for the
 * writer that hands a stream to the restore (crfs-fuse's image file): it
 * must know which write() carries the trailer, to return the restore's
 * result from that write, while the other writes return at once.
 *
 * Only the lengths of the header and of each record are followed, from
 * the header on.  Whatever the engine would refuse in a record header (an
 * unknown type, a length beyond CR_REC_MAX) makes the framing "lost": the
 * writer then waits for the engine's verdict on every write, which is
 * always right, only slower.
 */
#include <string.h>

#include "cr-internal.h"
#include "cr-frame.h"

/* Offsets in the first bytes of struct crfs_image_hdr. */
#define CR_FRAME_HDR_PEEK	16	/* magic, version, hdr_size */

_Static_assert(sizeof(struct crfs_rec_hdr) == CR_FRAME_HDR_PEEK,
	       "a record header is as long as the header's first bytes");

/* A whole header was gathered in @f->hdr: where does the next one start? */
static void cr_frame_header(struct cr_img_frame *f)
{
	struct crfs_rec_hdr rh;
	uint32_t hdr_size;

	if (f->state == CR_FRAME_HDR) {
		memcpy(&hdr_size, f->hdr + CRFS_IMAGE_MAGIC_LEN + 4,
		       sizeof(hdr_size));
		if (memcmp(f->hdr, CRFS_IMAGE_MAGIC, CRFS_IMAGE_MAGIC_LEN) ||
		    hdr_size != sizeof(struct crfs_image_hdr)) {
			f->state = CR_FRAME_LOST;
			return;
		}
		f->next = hdr_size;
		f->state = CR_FRAME_REC;
		return;
	}
	memcpy(&rh, f->hdr, sizeof(rh));
	if (rh.type == CRFS_REC_END) {
		f->state = CR_FRAME_END;
		return;
	}
	if (rh.type == 0 || rh.type >= CRFS_REC_MAX || rh.len > CR_REC_MAX) {
		f->state = CR_FRAME_LOST;
		return;
	}
	f->nr++;
	f->next = f->off + rh.len;
}

int cr_img_frame_feed(struct cr_img_frame *f, const void *buf, size_t len)
{
	const char *p = buf;

	while (len && (f->state == CR_FRAME_HDR || f->state == CR_FRAME_REC)) {
		size_t n;

		if (f->off < f->next) {		/* inside a payload */
			n = f->next - f->off < len ? f->next - f->off : len;
			f->off += n;
			p += n;
			len -= n;
			continue;
		}
		n = CR_FRAME_HDR_PEEK - f->held;
		if (n > len)
			n = len;
		memcpy(f->hdr + f->held, p, n);
		f->held += n;
		f->off += n;
		p += n;
		len -= n;
		if (f->held < CR_FRAME_HDR_PEEK)
			break;
		f->held = 0;
		f->rec_off = f->off - CR_FRAME_HDR_PEEK;
		cr_frame_header(f);
	}
	f->off += len;
	return f->state;
}
