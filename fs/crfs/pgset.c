// SPDX-License-Identifier: GPL-2.0
/*
 * The pages of one PAGES record, held while the reader (checkpoint) or
 * the writer (restore) copies them, and their crc32c computed by a
 * worker on another CPU meanwhile.
 *
 * A checkpoint has two sets: while the reader copies the pages of one
 * record straight into its buffer, the worker takes the next record's
 * pages (get_user_pages_remote()) and sums them: the record's header,
 * which carries the crc, comes before its data.  A restore has two too:
 * while the writer copies the data of one record into the process's
 * pages, the worker sums the record before and checks it against its
 * header; a mismatch fails the restore at the next record or at END,
 * before the process is let go.  The crc of the header and of the data
 * are joined with __crc32c_le_shift() (the CRC register is linear).
 *
 * Each set is used by one side at a time: queued to the worker, then
 * waited for (crfs_pgset_wait()) before its owner touches it again.
 */
#include <linux/crc32.h>
#include <linux/crc32c.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "crfs.h"
#include "ckpt.h"

/**
 * crfs_crc32c_join - the crc32c of A then B from A's and B's own
 * @crc: crfs_crc32c() of A
 * @raw: crc32c(0, B) (the raw register from 0, as crfs_pgset_sum gives)
 * @len: B's length
 *
 * Return: crfs_crc32c(@crc, B, @len).
 */
u32 crfs_crc32c_join(u32 crc, u32 raw, size_t len)
{
	return ~(__crc32c_le_shift(~crc, len) ^ raw);
}

/* The worker: take the pages if asked, then sum them. */
static void crfs_pgset_work(struct work_struct *work)
{
	struct crfs_pgset *s = container_of(work, struct crfs_pgset, work);
	unsigned int i;
	long n;

	if (s->mm) {
		mmap_read_lock(s->mm);
		while (s->nr < s->want) {
			n = get_user_pages_remote(s->mm,
						  s->addr + ((unsigned long)s->nr << PAGE_SHIFT),
						  s->want - s->nr, FOLL_FORCE,
						  s->pages + s->nr, NULL);
			if (n <= 0)
				break;
			s->nr += n;
		}
		mmap_read_unlock(s->mm);
		s->mm = NULL;
		if (s->nr < s->want) {
			s->err = -EIO;
			goto out;
		}
	}
	s->raw = 0;
	for (i = 0; i < s->nr; i++) {
		void *kaddr = kmap_local_page(s->pages[i]);

		s->raw = crc32c(s->raw, kaddr, PAGE_SIZE);
		kunmap_local(kaddr);
	}
	if (s->check && crfs_crc32c_join(s->head, s->raw,
					 (size_t)s->nr << PAGE_SHIFT) != s->want_crc)
		s->err = -EBADMSG;
out:
	complete(&s->done);
}

/**
 * crfs_pgset_init - an idle set, its page array allocated
 * @s: the set, zeroed
 *
 * Return: 0 or -ENOMEM.
 */
int crfs_pgset_init(struct crfs_pgset *s)
{
	s->pages = kvmalloc_array(CRFS_PAGES_PER_REC, sizeof(*s->pages),
				  GFP_KERNEL);
	if (!s->pages)
		return -ENOMEM;
	INIT_WORK(&s->work, crfs_pgset_work);
	init_completion(&s->done);
	return 0;
}

/* Hand @s to the worker. */
static void crfs_pgset_queue(struct crfs_pgset *s)
{
	s->err = 0;
	s->busy = true;
	reinit_completion(&s->done);
	queue_work(system_unbound_wq, &s->work);
}

/**
 * crfs_pgset_take - have the worker take @nr pages of @mm at @addr into
 * @s, and sum them
 * @s: an idle set holding no page
 * @mm: the frozen process's address space (a reference held meanwhile)
 * @addr: the first page
 * @nr: at most CRFS_PAGES_PER_REC
 */
void crfs_pgset_take(struct crfs_pgset *s, struct mm_struct *mm,
		     unsigned long addr, unsigned int nr)
{
	s->mm = mm;
	s->addr = addr;
	s->want = nr;
	s->nr = 0;
	s->next = 0;
	s->check = false;
	crfs_pgset_queue(s);
}

/**
 * crfs_pgset_check - have the worker sum the pages @s holds and compare
 * the record's crc with @want_crc
 * @s: an idle set, its pages written, @s->head the crfs_crc32c() of the
 *     record's bytes before its data
 * @want_crc: the crc its header says
 *
 * The result, -EBADMSG for a mismatch, is @s->err once crfs_pgset_wait()
 * returns.
 */
void crfs_pgset_check(struct crfs_pgset *s, u32 want_crc)
{
	s->mm = NULL;
	s->want_crc = want_crc;
	s->check = true;
	crfs_pgset_queue(s);
}

/**
 * crfs_pgset_wait - wait until the worker is done with @s
 * @s: the set
 * @killable: give up on a fatal signal (the worker goes on)
 *
 * Return: 0, -EINTR (@killable only: @s stays the worker's), or the
 * worker's result: -EIO (pages not taken), -EBADMSG (crc mismatch).
 */
int crfs_pgset_wait(struct crfs_pgset *s, bool killable)
{
	if (s->busy) {
		if (killable && wait_for_completion_killable(&s->done))
			return -EINTR;
		if (!killable)
			wait_for_completion(&s->done);
		s->busy = false;
	}
	return s->err;
}

/**
 * crfs_pgset_put - let go of the pages @s still holds
 * @s: an idle set
 */
void crfs_pgset_put(struct crfs_pgset *s)
{
	while (s->next < s->nr)
		put_page(s->pages[s->next++]);
	s->nr = 0;
	s->next = 0;
}

/**
 * crfs_pgset_free - wait for the worker, let go of the pages, free @s
 * @s: the set (crfs_pgset_init() or zeroed)
 */
void crfs_pgset_free(struct crfs_pgset *s)
{
	if (!s->pages)
		return;
	crfs_pgset_wait(s, false);
	crfs_pgset_put(s);
	kvfree(s->pages);
	s->pages = NULL;
}
