// SPDX-License-Identifier: GPL-2.0
/*
 * crfs-bench: the machine's limits.  What the same bytes cost without
 * crfs: memcpy and process_vm_readv into freshly mapped memory, writing
 * a new file in SHMDIR, and (with -F) reading a FUSE file whose daemon
 * answers from memory; and the recycling of pages that puts every
 * measured step, limit or crfs, on the same kind of pages.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bench.h"

/**
 * bench_map() - a fresh private anonymous mapping, not yet faulted in
 * @len: its size
 *
 * Return: the mapping, or NULL with errno set.
 */
void *bench_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/**
 * bench_recycle() - touch and free memory just before a measured step
 * @o: the options (nothing is done with -C)
 * @len: the bytes the step moves; a little more is touched
 *
 * This VM reports the memory it frees to the host (virtio-balloon free
 * page reporting, about 2 s after the free); a page handed out after
 * that costs the host a fault and a zeroing of its own, two to three
 * times the guest's cost.  Whether a step gets such pages or pages freed
 * a moment ago is an accident of the order of the steps (the restore
 * gets the pages the kill just freed, the checkpoint's image file gets
 * cold ones, the first limit gets cold ones and hands warm ones to the
 * next).  So before each measured step, unless -C, the same amount is
 * touched and freed: every step, limits and crfs alike, starts from the
 * same kind of pages.  -C measures each as it falls.
 */
void bench_recycle(const struct bench_opts *o, size_t len)
{
	size_t n = len + len / 8 + (16 << 20);
	void *p;

	if (o->cold)
		return;
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_POPULATE, -1, 0);
	if (p != MAP_FAILED)
		munmap(p, n);
}

/*
 * The FUSE read floor: read @len bytes of fuse-floor's file (-F) into the
 * reused copy buffer, in the chunks cat would read crfs's image in.  Its
 * daemon replies to each read from one static buffer: this is what the
 * kernel and libfuse cost a checkpoint's read side, with no engine.
 */
static int bench_floor(struct bench_opts *o, struct bench_size *s, size_t len)
{
	int64_t n;
	double t0;
	int fd, err;

	bench_recycle(o, len);
	t0 = bench_now();
	fd = open(o->floor, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
	} else {
		n = bench_read(fd, len, o->bufsize);
		err = n < 0 ? (int)n : (size_t)n < len ? -ENODATA : 0;
		if (close(fd) < 0 && !err)
			err = -errno;
	}
	if (err < 0) {
		fprintf(stderr, "crfs-bench: %s: %s\n", o->floor,
			err == -ENODATA ? "shorter than the size" : strerror(-err));
		return -EIO;
	}
	s->t[BF_FUSE][s->n[BF_FUSE]++] = bench_now() - t0;
	return 0;
}

/**
 * bench_limits() - one run of the limits
 * @o: the options
 * @s: the size; one time of each limit is added to it
 * @src: the source, written
 * @len: its bytes
 *
 * Return: 0, or a negative errno.
 */
int bench_limits(struct bench_opts *o, struct bench_size *s, const char *src,
		 size_t len)
{
	char path[4096];
	size_t bufsize;
	double t0;
	char *dst;
	int fd;

	dst = bench_map(len);
	if (!dst)
		return -errno;
	bench_recycle(o, len);
	t0 = bench_now();
	memcpy(dst, src, len);
	s->t[BF_MEMCPY][s->n[BF_MEMCPY]++] = bench_now() - t0;
	munmap(dst, len);

	dst = bench_map(len);
	if (!dst)
		return -errno;
	bench_recycle(o, len);
	t0 = bench_now();
	for (size_t done = 0; done < len; ) {
		struct iovec l = { dst + done, len - done };
		struct iovec r = { (char *)src + done, len - done };
		ssize_t n = process_vm_readv(getpid(), &l, 1, &r, 1, 0);

		if (n <= 0) {
			fprintf(stderr, "crfs-bench: process_vm_readv: %s\n",
				n < 0 ? strerror(errno) : "no progress");
			munmap(dst, len);
			return -EIO;
		}
		done += n;
	}
	s->t[BF_PVR][s->n[BF_PVR]++] = bench_now() - t0;
	munmap(dst, len);

	snprintf(path, sizeof(path), "%s/crfs-bench-%d-limit", o->shmdir,
		 (int)getpid());
	unlink(path);
	bench_recycle(o, len);
	t0 = bench_now();
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/* In the chunks cat writes a crfs image in (its st_blksize). */
	bufsize = o->bufsize ? o->bufsize : 1 << 20;
	for (size_t done = 0; done < len; ) {
		size_t chunk = len - done < bufsize ? len - done : bufsize;
		ssize_t n = write(fd, src + done, chunk);

		if (n <= 0) {
			int err = n < 0 ? errno : ENOSPC;

			close(fd);
			unlink(path);
			return -err;
		}
		done += n;
	}
	close(fd);
	s->t[BF_SHMW][s->n[BF_SHMW]++] = bench_now() - t0;
	unlink(path);
	return o->floor ? bench_floor(o, s, len) : 0;
}
