/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Following the framing of an image stream without decoding it
 * (img-frame.c): for a writer that hands an image to the restore and must
 * know which of its writes carries the trailer.  Free of the image
 * format's definitions, so that a transfer can include it.
 */
#ifndef CR_FRAME_H
#define CR_FRAME_H

#include <stddef.h>
#include <stdint.h>

/*
 * The framing of a stream fed to cr_img_frame_feed(), for a writer that
 * passes an image on without decoding it (see img-frame.c).  Start from
 * all zeroes.
 */
enum cr_img_frame_state {
	CR_FRAME_HDR,		/* in the image header */
	CR_FRAME_REC,		/* between or in records, trailer not seen */
	CR_FRAME_END,		/* the trailer's header was fed */
	CR_FRAME_LOST,		/* a header the engine will refuse */
};

struct cr_img_frame {
	uint64_t	off;		/* stream bytes fed */
	uint64_t	next;		/* offset of the next header */
	uint64_t	rec_off;	/* offset of the last header seen */
	uint64_t	nr;		/* records seen before the trailer */
	char		hdr[16];	/* a header being gathered */
	uint32_t	held;		/* its bytes so far */
	int		state;		/* enum cr_img_frame_state */
};

/**
 * cr_img_frame_feed() - follow the next @len bytes of a stream
 * Return: the state after them (enum cr_img_frame_state).
 */
int cr_img_frame_feed(struct cr_img_frame *f, const void *buf, size_t len);

#endif /* CR_FRAME_H */
