// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The restore's reading of an image up to the creation of its process:
 * header, this machine's compatibility, every object and process into the
 * model, and every rule the image alone decides (img-check.c).  Apart
 * from restore.c so that it runs without creating anything (tests/fuzz).
 */
#include <errno.h>

#include "restore.h"

int cr_rst_read(struct cr_img_walk *w, struct cr_img *img, struct cr_err *e)
{
	int rc;

	rc = cr_img_walk_begin(w, img, e);
	if (!rc)
		rc = cr_img_check_hdr(&w->hdr, e);
	if (!rc)
		rc = cr_img_walk_next(w, e);
	if (rc < 0)
		return rc;
	/* cr_img_walk_next() gives the model first, checked. */
	return rc == CR_WALK_MODEL ? 0 : cr_fail(e, EBADMSG, "no model");
}

int cr_rst_next_pages(struct cr_img_walk *w, struct cr_err *e)
{
	int rc;

	/* Checked by the walker; written before (cr_rst_fdata_read()). */
	do
		rc = cr_img_walk_next(w, e);
	while (rc == CR_WALK_FILE_DATA || rc == CR_WALK_IPC_DATA);
	return rc;
}
