// SPDX-License-Identifier: GPL-2.0
/*
 * crfs-bench: the machine's limits.  What the same bytes cost without any
 * engine: memcpy into freshly mapped memory, process_vm_writev into the
 * fresh memory of another process (how a restore fills), writing a new
 * file in SHMDIR (how a checkpoint's image lands), and (with -F) reading
 * a FUSE file whose daemon answers from memory; and the recycling of
 * pages that puts every measured step, limit or engine, on the same kind
 * of pages.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
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
 * @o: the options (nothing is done with -R)
 * @len: the bytes the step moves; a little more is touched
 *
 * This VM reports the memory it frees to the host (virtio-balloon free
 * page reporting, about 2 s after the free); a page handed out after
 * that costs the host a fault and a zeroing of its own, two to three
 * times the guest's cost.  Whether a step gets such pages or pages freed
 * a moment ago is an accident of the order of the steps.  So before each
 * measured step, unless -R, the same amount is touched and freed: every
 * step, limits and engines alike, starts from the same kind of pages.
 */
void bench_recycle(const struct bench_opts *o, size_t len)
{
	size_t n = len + len / 8 + (16 << 20);
	void *p;

	if (o->no_recycle)
		return;
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_POPULATE, -1, 0);
	if (p != MAP_FAILED)
		munmap(p, n);
}

/* Add one time to limit @l of @s. */
static void bench_lim_add(struct bench_size *s, int l, double secs)
{
	s->lim[l].t[s->lim[l].n++] = secs;
}

/*
 * The FUSE read floor: read @len bytes of fuse-floor's file (-F) into the
 * reused buffer, in the chunks cat reads crfs's image in.  Its daemon
 * replies to each read from one static buffer: this is what the kernel
 * and libfuse cost a checkpoint's read side, with no engine.
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
		n = bench_read(fd, len, o->chunk);
		err = n < 0 ? (int)n : (size_t)n < len ? -ENODATA : 0;
		if (close(fd) < 0 && !err)
			err = -errno;
	}
	if (err < 0) {
		fprintf(stderr, "crfs-bench: %s: %s\n", o->floor,
			err == -ENODATA ? "shorter than the size" : strerror(-err));
		return -EIO;
	}
	bench_lim_add(s, BL_FUSE, bench_now() - t0);
	return 0;
}

/*
 * The restore's fill: a child maps @len bytes it never touches and tells
 * us where; we process_vm_writev() into them in chunks from the reused
 * buffer (BENCH_RING bytes, as crfs-fuse's ring), as crfs's engine writes
 * the pages of a restore into the new process.  Each page faulted in,
 * zeroed and copied into, in another mm: what a restore cannot avoid.
 */
static int bench_fill(struct bench_opts *o, struct bench_size *s, size_t len)
{
	int addr_pipe[2], done_pipe[2], ret = 0;
	char *ring = bench_buf();
	void *where = NULL;
	double t0;
	pid_t pid;

	if (pipe2(addr_pipe, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(done_pipe, O_CLOEXEC) < 0) {
		ret = -errno;
		goto out_addr;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto out_done;
	}
	if (!pid) {
		char c;
		void *p = bench_map(len);

		if (write(addr_pipe[1], &p, sizeof(p)) != sizeof(p))
			_exit(1);
		close(done_pipe[1]);
		while (read(done_pipe[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	bench_track(pid, true);
	close(addr_pipe[1]);
	addr_pipe[1] = -1;
	close(done_pipe[0]);
	done_pipe[0] = -1;
	if (read(addr_pipe[0], &where, sizeof(where)) != sizeof(where) || !where) {
		fprintf(stderr, "crfs-bench: fill: the child mapped nothing\n");
		ret = -EIO;
		goto out_child;
	}
	bench_recycle(o, len);
	t0 = bench_now();
	for (size_t done = 0; done < len; ) {
		size_t chunk = len - done < o->chunk ? len - done : o->chunk;
		struct iovec l = { ring + done % BENCH_RING, chunk };
		struct iovec r = { (char *)where + done, chunk };
		ssize_t n = process_vm_writev(pid, &l, 1, &r, 1, 0);

		if (n <= 0) {
			fprintf(stderr, "crfs-bench: process_vm_writev into pid %d: %s\n",
				(int)pid, n < 0 ? strerror(errno) : "no progress");
			ret = -EIO;
			goto out_child;
		}
		done += n;
	}
	bench_lim_add(s, BL_FILL, bench_now() - t0);
out_child:
	close(done_pipe[1]);
	done_pipe[1] = -1;
	if (ret)
		kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	bench_track(pid, false);
out_done:
	if (done_pipe[0] >= 0)
		close(done_pipe[0]);
	if (done_pipe[1] >= 0)
		close(done_pipe[1]);
out_addr:
	close(addr_pipe[0]);
	if (addr_pipe[1] >= 0)
		close(addr_pipe[1]);
	return ret;
}

/* A new file of @len bytes of @src in SHMDIR, in chunks as cat writes. */
static int bench_shm_write(struct bench_opts *o, struct bench_size *s,
			   const char *src, size_t len)
{
	char path[4200];
	double t0;
	int fd;

	snprintf(path, sizeof(path), "%s/limit", o->imgdir);
	unlink(path);
	bench_recycle(o, len);
	t0 = bench_now();
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	for (size_t done = 0; done < len; ) {
		size_t chunk = len - done < o->chunk ? len - done : o->chunk;
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
	bench_lim_add(s, BL_SHMW, bench_now() - t0);
	unlink(path);
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
	double t0;
	char *dst;
	int err;

	dst = bench_map(len);
	if (!dst)
		return -errno;
	bench_recycle(o, len);
	t0 = bench_now();
	memcpy(dst, src, len);
	bench_lim_add(s, BL_MEMCPY, bench_now() - t0);
	munmap(dst, len);

	err = bench_fill(o, s, len);
	if (!err)
		err = bench_shm_write(o, s, src, len);
	if (!err && o->floor)
		err = bench_floor(o, s, len);
	return err;
}
