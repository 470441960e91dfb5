// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-uring: an io_uring instance, which the checkpoint must refuse.
 * Without io_uring (ENOSYS, or disabled: EPERM) it writes DIR/skip with
 * the reason and exits 0 without DIR/ready.
 */
#include <linux/io_uring.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	struct io_uring_params p;
	char why[128];
	int fd;

	zdtm_init(argc, argv);
	memset(&p, 0, sizeof(p));
	fd = syscall(__NR_io_uring_setup, 4, &p);
	if (fd < 0 && (errno == ENOSYS || errno == EPERM)) {
		snprintf(why, sizeof(why), "io_uring_setup: %s\n",
			 strerror(errno));
		zdtm_put("skip", why);
		return 0;
	}
	zdtm_check(fd < 0, "io_uring_setup");
	zdtm_ready();
	zdtm_wait();
	if (fcntl(fd, F_GETFD) < 0)
		zdtm_fail("the io_uring descriptor is gone");
	zdtm_pass();
}
