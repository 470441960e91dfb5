/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A bounded byte stream in memory between two threads, one writing and
 * one reading, without a copy on either side.
 *
 * The ring's pages are mapped twice, back to back, so that any @len up
 * to its size is contiguous wherever it starts: a writer reserves room
 * and fills it in place (process_vm_readv straight into it, say), a
 * reader peeks at whole records and uses them where they lie.  The
 * stream is strictly in order, like a pipe, and as bounded: the writer
 * waits while the ring is full, the reader while it is empty.
 *
 * A writer reserving @len while the reader waits for @min bytes can only
 * both go on if @len + @min <= the ring's size: size the ring for the
 * largest reservation plus the largest peek of its two users.
 */
#ifndef CR_RING_H
#define CR_RING_H

#include <stddef.h>
#include <sys/types.h>

struct cr_ring;

/**
 * cr_ring_new() - a ring of @size bytes (rounded up to pages)
 * Return: the ring, or NULL with errno set.
 */
struct cr_ring *cr_ring_new(size_t size);

/**
 * cr_ring_free() - unmap @r and free it
 * @r: a ring, or NULL; neither side may be using it any more
 */
void cr_ring_free(struct cr_ring *r);

/**
 * cr_ring_reset() - make @r an empty, open stream again, to be reused
 * (its pages stay in place: no mapping, no page fault the second time).
 * Neither side may be using it.
 */
void cr_ring_reset(struct cr_ring *r);

/**
 * cr_ring_size() - the size of @r
 * Return: the most a reservation or a peek can cover, in bytes.
 */
size_t cr_ring_size(const struct cr_ring *r);

/**
 * cr_ring_reserve() - room for @len bytes at the end of the stream
 *
 * Waits while the ring is too full.  The room is the writer's until
 * cr_ring_commit(); nothing is visible to the reader before that.
 *
 * Return: the room, or NULL with errno EPIPE (the reader is gone, or the
 * stream was closed: a writer that calls a transfer off closes it with an
 * error while another thread of its side may still reserve) or EMSGSIZE
 * (@len exceeds the ring).
 */
void *cr_ring_reserve(struct cr_ring *r, size_t len);

/**
 * cr_ring_reserve_wait() - cr_ring_reserve() for at most @timeout_ms
 * (-1: for ever)
 * Return: as cr_ring_reserve(), or NULL with errno ETIMEDOUT.
 */
void *cr_ring_reserve_wait(struct cr_ring *r, size_t len, int timeout_ms);

/**
 * cr_ring_commit() - hand written bytes to the reader
 * @len: how many bytes of the last reservation, from its start, are now
 *       part of the stream (at most what was reserved)
 */
void cr_ring_commit(struct cr_ring *r, size_t len);

/**
 * cr_ring_close() - the writer is done: the reader sees the end
 * @err: 0 for a complete stream, else a positive errno the reader gets
 *       from cr_ring_error()
 *
 * It may be called again (a transfer ended, then called off): a later
 * call can add an error to a stream closed complete, never replace one.
 */
void cr_ring_close(struct cr_ring *r, int err);

/**
 * cr_ring_peek() - wait for @min bytes and look at them
 * @p: receives the start of the unread bytes, contiguous
 *
 * Return: the number of unread bytes (all of them, which may be more than
 * @min); fewer than @min only when the writer closed the stream or the
 * reader shut it down.  -EMSGSIZE if @min exceeds the ring.
 */
ssize_t cr_ring_peek(struct cr_ring *r, size_t min, void **p);

/**
 * cr_ring_peek_wait() - cr_ring_peek() for at most @timeout_ms (-1: for ever)
 * Return: as cr_ring_peek(), or -ETIMEDOUT when @min bytes did not come
 * in time (and the stream is still open).
 */
ssize_t cr_ring_peek_wait(struct cr_ring *r, size_t min, void **p,
			  int timeout_ms);

/**
 * cr_ring_consume() - the reader is done with bytes it peeked at
 * @len: how many, from the start of the last peek; their room is free
 */
void cr_ring_consume(struct cr_ring *r, size_t len);

/**
 * cr_ring_shutdown() - the reader is gone
 *
 * Reservations, present and future, fail with EPIPE; a reader's own
 * peeks no longer wait.
 */
void cr_ring_shutdown(struct cr_ring *r);

/**
 * cr_ring_error() - why the writer closed the stream
 * Return: the errno given to cr_ring_close(), or 0 (still open, or
 * closed complete).
 */
int cr_ring_error(struct cr_ring *r);

/**
 * cr_ring_avail() - how many committed bytes the reader has not consumed
 */
size_t cr_ring_avail(struct cr_ring *r);

/**
 * cr_ring_aborted() - has the transfer been called off?
 *
 * Cheap enough for the inner loops of the engine (one atomic load): the
 * engine polls it in every step that does not wait on the ring itself,
 * so that a kill, a writer or reader gone, or an unmount ends the
 * transfer at once instead of after a long step.
 *
 * Return: 0 while the transfer may go on; EPIPE once the reader shut the
 * ring down, or the errno the writer gave cr_ring_close() (not 0).
 */
int cr_ring_aborted(const struct cr_ring *r);

/**
 * cr_ring_wait_starved() - wait until the reader has used up what it can
 *
 * For a writer that must know the reader's verdict on what it wrote:
 * waits until the reader waits for bytes that are not there, or the
 * stream ended.
 *
 * @timeout_ms: how long at most, -1 for ever
 *
 * Return: 0 (the reader wants more), -EPIPE (the reader shut the ring
 * down: it is done), -errno the writer closed the stream with, or
 * -ETIMEDOUT.
 */
int cr_ring_wait_starved(struct cr_ring *r, int timeout_ms);

#endif /* CR_RING_H */
