// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The in-memory stream of cr-ring.h: a memfd mapped twice in a row, so a
 * span that runs off the end of the first mapping goes on in the second,
 * where the same pages begin again.
 *
 * @head and @tail count bytes since the start of the stream; their
 * difference is what the ring holds, and a position is its count modulo
 * @size.  Stream offsets and ring offsets are therefore equal modulo the
 * page size: page data that is page-aligned in the stream is page-aligned
 * in the ring.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>

#include "cr-ring.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL		0x0008U		/* Linux 6.3 */
#endif

struct cr_ring {
	char		*base;		/* 2 * @size bytes of address space */
	size_t		size;

	pthread_mutex_t	lock;		/* below */
	pthread_cond_t	room;		/* the writer waits here */
	pthread_cond_t	data;		/* the reader waits here */
	uint64_t	head;		/* bytes committed */
	uint64_t	tail;		/* bytes consumed */
	int		err;		/* the writer's cr_ring_close() error */
	int		closed;		/* the writer is done */
	int		shut;		/* the reader is gone */
	size_t		want;		/* the reader waits for this much */
	pthread_cond_t	idle;		/* cr_ring_wait_starved() waits here */
	int		abort;		/* cr_ring_aborted(); read unlocked */
};

/* Map @fd's @size bytes twice, back to back; NULL with errno on failure. */
static char *ring_map(int fd, size_t size)
{
	char *base;

	base = mmap(NULL, 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		    MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	/* Populated: the pages are there before the first byte moves. */
	if (mmap(base, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED |
		 MAP_POPULATE, fd, 0) == MAP_FAILED ||
	    mmap(base + size, size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd, 0) == MAP_FAILED) {
		int err = errno;

		munmap(base, 2 * size);
		errno = err;
		return NULL;
	}
	/* A process the engine forks (a restore) must not share it. */
	madvise(base, 2 * size, MADV_DONTFORK);
	return base;
}

struct cr_ring *cr_ring_new(size_t size)
{
	long psz = sysconf(_SC_PAGESIZE);
	pthread_condattr_t ca;
	struct cr_ring *r;
	int fd, err;

	if (!size) {
		errno = EINVAL;
		return NULL;
	}
	size = (size + psz - 1) / psz * psz;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	/* Never executable; kernels before 6.3 do not know the flag. */
	fd = memfd_create("crfs-ring", MFD_CLOEXEC | MFD_NOEXEC_SEAL);
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create("crfs-ring", MFD_CLOEXEC);
	if (fd < 0)
		goto fail;
	if (ftruncate(fd, size)) {
		err = errno;
		close(fd);
		errno = err;
		goto fail;
	}
	r->base = ring_map(fd, size);
	err = errno;
	close(fd);	/* the mappings keep the pages */
	if (!r->base) {
		errno = err;
		goto fail;
	}
	r->size = size;
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);	/* timed waits */
	pthread_cond_init(&r->room, &ca);
	pthread_cond_init(&r->data, &ca);
	pthread_cond_init(&r->idle, &ca);
	pthread_condattr_destroy(&ca);
	return r;

fail:
	err = errno;
	free(r);
	errno = err;
	return NULL;
}

void cr_ring_free(struct cr_ring *r)
{
	if (!r)
		return;
	munmap(r->base, 2 * r->size);
	pthread_cond_destroy(&r->idle);
	pthread_cond_destroy(&r->data);
	pthread_cond_destroy(&r->room);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void cr_ring_reset(struct cr_ring *r)
{
	pthread_mutex_lock(&r->lock);
	r->head = r->tail = 0;
	r->err = r->closed = r->shut = 0;
	r->want = 0;
	__atomic_store_n(&r->abort, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&r->lock);
}

size_t cr_ring_size(const struct cr_ring *r)
{
	return r->size;
}

/* An absolute CLOCK_MONOTONIC deadline @ms from now in @ts. */
static void ring_deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Wait on @cond until @ts (NULL: for ever); false once @ts has passed. */
static bool ring_wait(struct cr_ring *r, pthread_cond_t *cond,
		      const struct timespec *ts)
{
	if (!ts)
		return !pthread_cond_wait(cond, &r->lock);
	return pthread_cond_timedwait(cond, &r->lock, ts) != ETIMEDOUT;
}

void *cr_ring_reserve_wait(struct cr_ring *r, size_t len, int timeout_ms)
{
	struct timespec ts, *tsp = NULL;
	void *p = NULL;
	int err = EPIPE;

	if (len > r->size) {
		errno = EMSGSIZE;
		return NULL;
	}
	if (timeout_ms >= 0) {
		ring_deadline(&ts, timeout_ms);
		tsp = &ts;
	}
	pthread_mutex_lock(&r->lock);
	while (!r->shut && !r->closed && r->size - (r->head - r->tail) < len)
		if (!ring_wait(r, &r->room, tsp))
			break;
	if (!r->shut && !r->closed) {
		if (r->size - (r->head - r->tail) >= len)
			p = r->base + r->head % r->size;
		else
			err = ETIMEDOUT;
	}
	pthread_mutex_unlock(&r->lock);
	if (!p)
		errno = err;
	return p;
}

void *cr_ring_reserve(struct cr_ring *r, size_t len)
{
	return cr_ring_reserve_wait(r, len, -1);
}

void cr_ring_commit(struct cr_ring *r, size_t len)
{
	if (!len)
		return;
	pthread_mutex_lock(&r->lock);
	r->head += len;
	pthread_cond_signal(&r->data);
	pthread_mutex_unlock(&r->lock);
}

void cr_ring_close(struct cr_ring *r, int err)
{
	pthread_mutex_lock(&r->lock);
	r->closed = 1;
	/* The first error wins: a kill's is not undone by the end's 0. */
	if (!r->err)
		r->err = err;
	if (r->err && !__atomic_load_n(&r->abort, __ATOMIC_RELAXED))
		__atomic_store_n(&r->abort, r->err, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&r->room);
	pthread_cond_broadcast(&r->data);
	pthread_cond_broadcast(&r->idle);
	pthread_mutex_unlock(&r->lock);
}

ssize_t cr_ring_peek_wait(struct cr_ring *r, size_t min, void **p,
			  int timeout_ms)
{
	struct timespec ts, *tsp = NULL;
	uint64_t avail;
	bool open;

	if (min > r->size)
		return -EMSGSIZE;
	if (timeout_ms >= 0) {
		ring_deadline(&ts, timeout_ms);
		tsp = &ts;
	}
	pthread_mutex_lock(&r->lock);
	while (!r->closed && !r->shut && r->head - r->tail < min) {
		r->want = min;
		pthread_cond_broadcast(&r->idle);
		if (!ring_wait(r, &r->data, tsp))
			break;
	}
	r->want = 0;
	avail = r->head - r->tail;
	*p = r->base + r->tail % r->size;
	open = !r->closed && !r->shut;
	pthread_mutex_unlock(&r->lock);
	if (avail < min && open)
		return -ETIMEDOUT;
	return avail;
}

ssize_t cr_ring_peek(struct cr_ring *r, size_t min, void **p)
{
	return cr_ring_peek_wait(r, min, p, -1);
}

void cr_ring_consume(struct cr_ring *r, size_t len)
{
	if (!len)
		return;
	pthread_mutex_lock(&r->lock);
	r->tail += len;
	pthread_cond_signal(&r->room);
	pthread_mutex_unlock(&r->lock);
}

void cr_ring_shutdown(struct cr_ring *r)
{
	pthread_mutex_lock(&r->lock);
	r->shut = 1;
	__atomic_store_n(&r->abort, EPIPE, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&r->room);
	pthread_cond_broadcast(&r->data);
	pthread_cond_broadcast(&r->idle);
	pthread_mutex_unlock(&r->lock);
}

int cr_ring_error(struct cr_ring *r)
{
	int err;

	pthread_mutex_lock(&r->lock);
	err = r->closed ? r->err : 0;
	pthread_mutex_unlock(&r->lock);
	return err;
}

size_t cr_ring_avail(struct cr_ring *r)
{
	uint64_t avail;

	pthread_mutex_lock(&r->lock);
	avail = r->head - r->tail;
	pthread_mutex_unlock(&r->lock);
	return avail;
}

int cr_ring_aborted(const struct cr_ring *r)
{
	return __atomic_load_n(&r->abort, __ATOMIC_ACQUIRE);
}

int cr_ring_wait_starved(struct cr_ring *r, int timeout_ms)
{
	struct timespec ts, *tsp = NULL;
	int ret;

	if (timeout_ms >= 0) {
		ring_deadline(&ts, timeout_ms);
		tsp = &ts;
	}
	pthread_mutex_lock(&r->lock);
	while (!r->closed && !r->shut &&
	       !(r->want && r->head - r->tail < r->want))
		if (!ring_wait(r, &r->idle, tsp))
			break;
	if (r->shut)
		ret = -EPIPE;
	else if (r->closed)
		ret = -(r->err ? r->err : EPIPE);
	else
		ret = r->want && r->head - r->tail < r->want ? 0 : -ETIMEDOUT;
	pthread_mutex_unlock(&r->lock);
	return ret;
}
