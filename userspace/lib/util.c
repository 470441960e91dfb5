// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Small helpers of the engine: failure reasons and whole reads and writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/capability.h>

#include "cr-internal.h"

int cr_fail(struct cr_err *e, int err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (err <= 0)
		err = EIO;
	if (e) {
		e->err = err;
		errno = saved;	/* for %m in @fmt */
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	errno = saved;
	return -err;
}

char *cr_read_file(const char *path, size_t *lenp)
{
	size_t len = 0, size = 4096;
	char *buf = malloc(size);
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto out_free;
	for (;;) {
		ssize_t n;

		if (len + 1 >= size) {
			char *nbuf = realloc(buf, size * 2);

			if (!nbuf)
				goto out_close;
			buf = nbuf;
			size *= 2;
		}
		n = read(fd, buf + len, size - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out_close;
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;

out_close:
	{
		int saved = errno;

		close(fd);
		errno = saved;
	}
out_free:
	{
		int saved = errno;

		free(buf);
		errno = saved;
	}
	return NULL;
}

ssize_t cr_read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

ssize_t cr_write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		done += n;
	}
	return done;
}

ssize_t cr_writev_full(int fd, struct iovec *iov, int iovcnt)
{
	size_t total = 0;

	while (iovcnt > 0) {
		ssize_t n = writev(fd, iov, iovcnt);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		total += n;
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= n;
		}
	}
	return total;
}

bool cr_capable(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct c[2] = { { 0 } };

	if (syscall(SYS_capget, &h, c))
		return false;
	return c[cap / 32].effective & (1U << (cap % 32));
}
