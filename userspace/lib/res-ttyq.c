// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The data queued in a pseudo-terminal pair (crfs.h, struct
 * crfs_file_tty_queue): input written to the master that the slave has
 * not read, output of the slave that the master has not read.
 *
 * A terminal's queue cannot be read without consuming it (no MSG_PEEK,
 * no tee()), so the checkpoint, which holds copies of both ends
 * (pidfd_getfd()), reads each queue out and puts it straight back into
 * the same line discipline (TIOCSTI, synchronous: no flip buffer in
 * between), with the slave's input processing, signals, flow control and
 * echo off from before the first read (what flows in from the flip buffer
 * as reading frees room is not processed) until the put-back is done;
 * at most CR_TTYQ_LDISC bytes go back so, more through the master, where
 * they came from, once the termios found is back (cr_ttyq_input()); the
 * slave is exclusive meanwhile and its times are set back.  Then it
 * sets the termios it found: a container thawed
 * instead of killed reads the same bytes, once.  In canonical mode each
 * read() gives one line, so the line ends are known; the line not ended
 * yet (which TIOCINQ does not count) is read with ICANON off, which only
 * moves where reading starts (the buffer is empty by then).  A line end
 * typed literally (after ^V) is put back escaped, as are VSTART and VSTOP
 * when IXON is kept (packet mode); one ended by VEOF is put
 * back with it.  The restore puts the image's queue into the new pair the
 * same way.
 *
 * Refused (what cannot be put back exactly): packet mode with data (a
 * read would take the status byte), EXTPROC with data, more than
 * CR_TTYQ_FULL bytes in a direction (the line discipline may be full,
 * with more waiting outside it), output stopped (^S, tcflow()) or a
 * writer blocked on a full queue, a line ended by VEOF or holding a line
 * end typed literally, input to a slave that no process of the container
 * holds (read through a peer opened for the purpose: none to put it in).
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <asm/termbits.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "dump.h"
#include "rec.h"
#include "restore.h"

/* Bytes in one direction above which the line discipline may be full. */
#define CR_TTYQ_FULL	3584
/* What a line discipline holds (N_TTY_BUF_SIZE - 1): TIOCSTI drops more. */
#define CR_TTYQ_LDISC	4095
/* What one side can hold: its line discipline and its flip buffers. */
#define CR_TTYQ_BUF	(72 * 1024)

/* What a side's queue is put back with: the escapes of canonical mode. */
struct cr_ttyq_mode {
	struct termios2	t;		/* as found (checkpoint), as saved */
	bool		canon;		/* ICANON without EXTPROC */
	bool		flow;		/* IXON kept in the put-back (packet
					 * mode): VSTART, VSTOP escaped */
	uint8_t		lnext, eof;	/* the put-back's VLNEXT, VEOF */
};

/* Does @c end a line in canonical mode @m? */
static bool cr_ttyq_term(const struct cr_ttyq_mode *m, uint8_t c)
{
	const uint8_t *cc = m->t.c_cc;

	return c == '\n' || (cc[VEOL] && c == cc[VEOL]) ||
	       ((m->t.c_lflag & IEXTEN) && cc[VEOL2] && c == cc[VEOL2]);
}

/* Is @c special to the put-back in @m (so it is escaped as a literal)? */
static bool cr_ttyq_special(const struct cr_ttyq_mode *m, uint8_t c)
{
	const uint8_t *cc = m->t.c_cc;

	return m->canon && (cr_ttyq_term(m, c) || c == m->eof ||
			    c == m->lnext ||
			    (m->flow && ((cc[VSTART] && c == cc[VSTART]) ||
					 (cc[VSTOP] && c == cc[VSTOP]))));
}

/* A byte for the put-back that is no line end and not @other. */
static uint8_t cr_ttyq_pick(const struct cr_ttyq_mode *m, uint8_t want,
			    uint8_t other)
{
	for (unsigned int c = want; c < want + 256U; c++)
		if ((c & 0xff) && !cr_ttyq_term(m, c & 0xff) &&
		    (c & 0xff) != other && (c & 0xff) != m->t.c_cc[VEOF])
			return c & 0xff;
	return want;
}

/* @m for termios @t: its canonical mode and its put-back's escapes. */
static void cr_ttyq_mode(struct cr_ttyq_mode *m, const struct termios2 *t)
{
	m->t = *t;
	m->canon = (t->c_lflag & ICANON) && !(t->c_lflag & EXTPROC);
	m->flow = false;
	m->eof = t->c_cc[VEOF] ?: cr_ttyq_pick(m, 004, 026);
	m->lnext = cr_ttyq_pick(m, 026, m->eof);
}

/*
 * The termios the queue is put back with: no input processing, no
 * signals, no echo, no flow control (kept in packet mode, where changing
 * it tells the master), the escapes of @m; ICANON as it is.
 */
static struct termios2 cr_ttyq_neutral(const struct cr_ttyq_mode *m, bool pkt)
{
	struct termios2 n = m->t;

	n.c_iflag &= ~(ISTRIP | INLCR | IGNCR | ICRNL | IUCLC | IMAXBEL |
		       PARMRK | (pkt ? 0 : IXON | IXOFF | IXANY));
	n.c_lflag &= ~(ISIG | ECHO | ECHOE | ECHOK | ECHONL | ECHOCTL |
		       ECHOPRT | ECHOKE | XCASE);
	n.c_cc[VERASE] = n.c_cc[VKILL] = n.c_cc[VWERASE] = 0;
	n.c_cc[VREPRINT] = 0;
	if (m->canon) {
		n.c_cc[VEOL2] = (m->t.c_lflag & IEXTEN) ? m->t.c_cc[VEOL2] : 0;
		n.c_lflag |= IEXTEN;
		n.c_cc[VLNEXT] = m->lnext;
		n.c_cc[VEOF] = m->eof;
	}
	n.c_cc[VMIN] = 1;
	n.c_cc[VTIME] = 0;
	return n;
}

/* Put @n bytes at @p into @fd's line discipline, @esc ones after VLNEXT. */
static int cr_ttyq_inject(int fd, const uint8_t *p, size_t n, const bool *esc,
			  uint8_t lnext)
{
	for (size_t i = 0; i < n; i++) {
		if (esc && esc[i] && ioctl(fd, TIOCSTI, &lnext))
			return -errno;
		if (ioctl(fd, TIOCSTI, &p[i]))
			return -errno;
	}
	return 0;
}

/* The bytes TIOCINQ counts of @n at @p put back in @m: whole lines only. */
static size_t cr_ttyq_counted(const struct cr_ttyq_mode *m, const uint8_t *p,
			      size_t n)
{
	if (!m->canon)
		return n;
	while (n && !cr_ttyq_term(m, p[n - 1]))
		n--;
	return n;
}

/* poll() @fd for @ev without waiting: it moves a flip buffer in too. */
static short cr_ttyq_poll(int fd, short ev)
{
	struct pollfd p = { .fd = fd, .events = ev };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

/* A side being read: what it gave, and how to put it back. */
struct cr_ttyq_side {
	uint8_t		*img;		/* the bytes for the image */
	size_t		len;
	uint8_t		*wb;		/* the put-back: bytes, escaped ones
					 * (a VEOF more a line: twice img) */
	bool		*esc;
	bool		*hid;		/* a put-back byte not in img */
	size_t		nwb;
	size_t		counted;	/* TIOCINQ once put back */
	const char	*why;		/* kept out of the image: why */
};

/* Append @c to @s, for the image too if @img, escaped if @esc. */
static void cr_ttyq_add(struct cr_ttyq_side *s, uint8_t c, bool img, bool esc)
{
	if (s->nwb >= 2 * CR_TTYQ_BUF)
		return;
	if (img && s->len < CR_TTYQ_BUF)
		s->img[s->len++] = c;
	s->esc[s->nwb] = esc;
	s->hid[s->nwb] = !img;
	s->wb[s->nwb++] = c;
}

/* Read what @fd has in a non-canonical mode, after a poll() moved it in. */
static int cr_ttyq_read_raw(int fd, const struct cr_ttyq_mode *m,
			    struct cr_ttyq_side *s, uint8_t *buf)
{
	while (cr_ttyq_poll(fd, POLLIN) & POLLIN) {
		int n = 0;
		ssize_t r;

		if (ioctl(fd, TIOCINQ, &n))
			return -errno;
		if (n <= 0)
			break;
		if (s->nwb >= 2 * CR_TTYQ_BUF)
			return -EIO;
		r = read(fd, buf, n > CR_TTYQ_BUF ? CR_TTYQ_BUF : n);
		if (r < 0)
			return -errno;
		for (ssize_t i = 0; i < r; i++) {
			bool lit = cr_ttyq_special(m, buf[i]);

			if (m->canon && cr_ttyq_term(m, buf[i]))
				s->why = "a line not ended yet holding a line "
					 "end typed literally (^V)";
			cr_ttyq_add(s, buf[i], true, lit);
		}
		if (!r)
			break;
	}
	return 0;
}

/* Read the whole lines of canonical @fd, one a read(), with their ends. */
static int cr_ttyq_read_lines(int fd, const struct cr_ttyq_mode *m,
			      struct cr_ttyq_side *s, uint8_t *buf)
{
	/* A line a byte at most: a side that reads on is not a queue. */
	for (int lines = 0; cr_ttyq_poll(fd, POLLIN) & POLLIN; lines++) {
		ssize_t r = read(fd, buf, 4096), body;
		bool ended = r > 0 && cr_ttyq_term(m, buf[r - 1]);

		if (r < 0)
			return -errno;
		if (lines > CR_TTYQ_BUF)
			return -EIO;
		body = ended ? r - 1 : r;
		for (ssize_t i = 0; i < body; i++) {
			if (cr_ttyq_term(m, buf[i]))
				s->why = "a line holding a line end typed "
					 "literally (^V)";
			cr_ttyq_add(s, buf[i], true, cr_ttyq_special(m, buf[i]));
		}
		if (ended) {
			cr_ttyq_add(s, buf[r - 1], true, false);
		} else {
			s->why = "a line ended by VEOF (^D)";
			cr_ttyq_add(s, m->eof, false, false);
		}
		s->counted = s->len;
	}
	return 0;
}

/* termios2 of @t, a side's state in the image. */
static struct termios2 cr_ttyq_termios(const struct crfs_file_tty *t)
{
	struct termios2 tio = {
		.c_iflag = t->iflag, .c_oflag = t->oflag,
		.c_cflag = t->cflag, .c_lflag = t->lflag,
		.c_line = t->line,
		.c_ispeed = t->ispeed, .c_ospeed = t->ospeed,
	};

	memcpy(tio.c_cc, t->cc, sizeof(tio.c_cc));
	return tio;
}

/*
 * Put @n bytes at @p (@esc escaped) back into slave @fd of mode @m, with
 * the neutral termios, then @m's; @counted bytes then counted by TIOCINQ.
 */
static int cr_ttyq_put_input(int fd, const struct cr_ttyq_mode *m, bool pkt,
			     const uint8_t *p, size_t n, const bool *esc,
			     size_t counted)
{
	struct termios2 neutral = cr_ttyq_neutral(m, pkt), now;
	int ret = 0, inq = 0;

	if (ioctl(fd, TCSETS2, &neutral))
		return -errno;
	ret = cr_ttyq_inject(fd, p, n, esc, m->lnext);
	if (ioctl(fd, TCSETS2, &m->t) && !ret)
		ret = -errno;
	if (!ret && (ioctl(fd, TCGETS2, &now) || ioctl(fd, TIOCINQ, &inq)))
		ret = -errno;
	if (!ret && ((size_t)inq != counted ||
		     memcmp(&now, &m->t, sizeof(now))))
		ret = -EIO;
	return ret;
}

/* What the checkpoint found in a pair, before reading it. */
struct cr_ttyq_look {
	int	in, out;		/* TIOCINQ of the slave, the master */
	short	sev, mev;		/* poll() of the slave, the master */
};

static const char cr_ttyq_full[] =
	"more than 3584 bytes queued in one direction (its line discipline "
	"may be full, with more waiting outside it) is not supported: "
	"checkpoint once they are read";

/* Why pair @mc, @sc (-1: none) cannot be read and put back, or NULL. */
static const char *cr_ttyq_refuse(int mc, int sc, bool pkt,
				  const struct cr_ttyq_mode *m,
				  struct cr_ttyq_look *l)
{
	l->sev = sc >= 0 ? cr_ttyq_poll(sc, POLLIN | POLLOUT) : POLLOUT;
	l->mev = cr_ttyq_poll(mc, POLLIN | POLLOUT | POLLPRI);
	if ((sc >= 0 && ioctl(sc, TIOCINQ, &l->in)) ||
	    ioctl(mc, TIOCINQ, &l->out))
		return "cannot count its queues (TIOCINQ)";
	if (!(l->sev & POLLOUT) || !(l->mev & POLLOUT))
		return "a pair whose output is stopped (^S, tcflow()) or full, "
		       "with a writer blocked on it, is not supported";
	if (l->in > CR_TTYQ_FULL || l->out > CR_TTYQ_FULL)
		return cr_ttyq_full;
	if (pkt && (l->in || l->out || (l->mev & POLLPRI)))
		return "a pair in packet mode (TIOCPKT) with data or a status "
		       "change not read yet is not supported (reading it "
		       "would take the status byte): checkpoint once it is "
		       "read";
	if ((m->t.c_lflag & EXTPROC) && l->in)
		return "a pair in external processing mode (EXTPROC) with "
		       "input not read yet is not supported";
	return NULL;
}

/*
 * The first @k put-back bytes of @s that fit a line discipline, and what
 * TIOCINQ then counts of them (the image's bytes up to the last line end).
 */
static size_t cr_ttyq_fit(const struct cr_ttyq_mode *m,
			  const struct cr_ttyq_side *s, size_t *counted)
{
	size_t k = s->nwb < CR_TTYQ_LDISC ? s->nwb : CR_TTYQ_LDISC, n = 0;

	*counted = s->counted;
	if (k == s->nwb)
		return k;
	*counted = 0;
	for (size_t i = 0; i < k; i++) {
		n += !s->hid[i];
		if (!m->canon || s->hid[i] || (!s->esc[i] &&
					       cr_ttyq_term(m, s->wb[i])))
			*counted = n;
	}
	return k;
}

/* Write @n bytes at @p to master @mc, all of them, or -errno / -EIO. */
static int cr_ttyq_write_all(int mc, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(mc, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= w;
	}
	return 0;
}

/*
 * Read slave @sc's input into @s and put it back.  The neutral termios
 * first, so nothing coming in from the flip buffer while lines are read
 * (room freed) is echoed or raises a signal; what the line discipline
 * cannot hold again goes back through master @mc, where it came from,
 * once the termios found is back (it is processed by it, as it would).
 */
static int cr_ttyq_input(int mc, int sc, const struct cr_ttyq_mode *m,
			 bool pkt, struct cr_ttyq_side *s, uint8_t *buf)
{
	struct termios2 r = cr_ttyq_neutral(m, pkt);
	size_t k, counted;
	int ret = 0, put;

	if (ioctl(sc, TCSETS2, &r))
		return -errno;
	if (m->canon)
		ret = cr_ttyq_read_lines(sc, m, s, buf);
	r.c_lflag &= ~ICANON;
	if (!ret && ioctl(sc, TCSETS2, &r))
		ret = -errno;
	if (!ret)
		ret = cr_ttyq_read_raw(sc, m, s, buf);
	if (!m->canon)
		s->counted = s->len;
	/* Put back what was read, even after a failure. */
	k = cr_ttyq_fit(m, s, &counted);
	put = cr_ttyq_put_input(sc, m, pkt, s->wb, k, s->esc, counted);
	if (k < s->nwb) {
		/* Its bytes as read: no escapes, no VEOF added. */
		size_t n = 0;

		for (size_t i = k; i < s->nwb && n < CR_TTYQ_BUF; i++)
			if (!s->hid[i])
				buf[n++] = s->wb[i];
		put = cr_ttyq_write_all(mc, buf, n) ?: put;
	}
	return ret ?: put;
}

/* Read master @mc's queue into @s and put it back (its termios is raw). */
static int cr_ttyq_output(int mc, struct cr_ttyq_side *s, uint8_t *buf)
{
	struct cr_ttyq_mode raw = { .canon = false };
	int ret = cr_ttyq_read_raw(mc, &raw, s, buf), inq = 0;
	int put = cr_ttyq_inject(mc, s->wb, s->nwb, NULL, 0);

	ret = ret ?: put;
	if (!ret && ioctl(mc, TIOCINQ, &inq))
		ret = -errno;
	if (!ret && (size_t)inq != s->nwb)
		ret = -EIO;
	return ret;
}

/* Side @s's buffers, or -ENOMEM. */
static int cr_ttyq_alloc(struct cr_ttyq_side *s)
{
	s->img = malloc(CR_TTYQ_BUF);
	s->wb = malloc(2 * CR_TTYQ_BUF);
	s->esc = malloc(2 * CR_TTYQ_BUF);
	s->hid = malloc(2 * CR_TTYQ_BUF);
	return s->img && s->wb && s->esc && s->hid ? 0 : -ENOMEM;
}

/* Free side @s's buffers. */
static void cr_ttyq_free(struct cr_ttyq_side *s)
{
	free(s->img);
	free(s->wb);
	free(s->esc);
	free(s->hid);
}

/* The queue of @in and @out as the image has it, into master @mf. */
static int cr_ttyq_keep(struct cr_file *mf, const struct cr_ttyq_side *in,
			const struct cr_ttyq_side *out)
{
	struct crfs_file_tty_queue q = { in->len, out->len, 0, 0 };
	size_t dlen = in->len + out->len;
	uint8_t *p;

	if (!dlen)
		return 0;
	p = calloc(1, sizeof(q) + cr_pad8(dlen));
	if (!p)
		return -ENOMEM;
	memcpy(p, &q, sizeof(q));
	memcpy(p + sizeof(q), in->img, in->len);
	memcpy(p + sizeof(q) + in->len, out->img, out->len);
	free(mf->pdata);
	mf->pdata = p;
	mf->f.ext_len = sizeof(mf->ev.tty) + cr_tty_queue_len(mf);
	return 0;
}

int cr_ttyq_save(struct cr_file *mf, int mc, int sc, bool peer,
		 const char *who, struct cr_err *e)
{
	struct cr_ttyq_side in = { 0 }, out = { 0 };
	bool pkt = mf->ev.tty.pkt;
	struct cr_ttyq_look look = { 0 };
	struct cr_ttyq_mode m;
	struct termios2 t;
	const char *why;
	struct stat st = { 0 };
	int ret, excl = 1;
	uint8_t *buf;

	if (ioctl(sc >= 0 ? sc : mc, TCGETS2, &t))
		return cr_fail(e, errno, "%s: cannot read its termios: %m",
			       who);
	cr_ttyq_mode(&m, &t);
	m.flow = pkt && (t.c_iflag & IXON);
	why = cr_ttyq_refuse(mc, sc, pkt, &m, &look);
	if (why)
		return cr_fail(e, EOPNOTSUPP, "%s: pseudo-terminal %u: %s", who,
			       mf->ev.tty.index, why);
	/* Packet mode: nothing queued (above); a line not ended is read. */
	if ((pkt && !m.canon) || (sc < 0 && !look.out))
		return 0;
	buf = malloc(CR_TTYQ_BUF);
	ret = buf ? cr_ttyq_alloc(&in) ?: cr_ttyq_alloc(&out) : -ENOMEM;
	/*
	 * No one opens the slave meanwhile (but root) to write between the
	 * bytes read and put back; its times kept (`w`: idle time).
	 */
	if (!ret && sc >= 0 && (fstat(sc, &st) || ioctl(sc, TIOCGEXCL, &excl) ||
				(!excl && ioctl(sc, TIOCEXCL))))
		ret = -errno;
	if (!ret && sc >= 0 && !(m.t.c_lflag & EXTPROC))
		ret = cr_ttyq_input(mc, sc, &m, pkt, &in, buf);
	if (!ret && !pkt)
		ret = cr_ttyq_output(mc, &out, buf);
	if (sc >= 0 && !excl)
		ioctl(sc, TIOCNXCL);
	if (sc >= 0 && st.st_ino) {
		struct timespec ts[2] = { st.st_atim, st.st_mtim };

		futimens(sc, ts);
	}
	why = in.why ?: out.why;
	if (!ret && !why && (in.len > CR_TTYQ_FULL || out.len > CR_TTYQ_FULL))
		why = cr_ttyq_full;
	if (!ret && !why && peer && in.len)
		why = "input to a slave no process of the container has open "
		      "(the pair is a session's terminal only: a restore has "
		      "no slave to put it into)";
	if (!ret && !why && pkt && in.len)
		why = "a pair in packet mode (TIOCPKT) with a line not ended "
		      "yet";
	if (!ret && !why)
		ret = cr_ttyq_keep(mf, &in, &out);
	free(buf);
	cr_ttyq_free(&in);
	cr_ttyq_free(&out);
	if (ret == -ENOMEM)
		return cr_fail(e, ENOMEM, "out of memory");
	if (ret)
		return cr_fail(e, -ret, "%s: pseudo-terminal %u: cannot read its "
			       "queued data and put it back%s: %s", who,
			       mf->ev.tty.index, ret == -EIO ? " exactly" : "",
			       strerror(-ret));
	if (why == cr_ttyq_full)
		return cr_fail(e, EOPNOTSUPP, "%s: pseudo-terminal %u: %s", who,
			       mf->ev.tty.index, why);
	if (why)
		return cr_fail(e, EOPNOTSUPP, "%s: pseudo-terminal %u: data "
			       "queued with %s is not supported: checkpoint once "
			       "it is read", who, mf->ev.tty.index, why);
	return 0;
}

int cr_ttyq_restore(const struct cr_file *mf, int mfd,
		    const struct crfs_file_tty *st, int sfd, struct cr_err *e)
{
	const struct crfs_file_tty_queue *q = (const void *)mf->pdata;
	const uint8_t *d = (const uint8_t *)(q + 1);
	struct termios2 t;
	struct cr_ttyq_mode m;
	bool *esc = NULL;
	int ret = 0, inq = 0;

	if (!q)
		return 0;
	if (q->in_len) {
		t = cr_ttyq_termios(st);
		cr_ttyq_mode(&m, &t);
		esc = malloc(q->in_len);
		if (!esc)
			return cr_fail(e, ENOMEM, "out of memory");
		for (uint32_t i = 0; i < q->in_len; i++)
			esc[i] = cr_ttyq_special(&m, d[i]) &&
				 !cr_ttyq_term(&m, d[i]);
		ret = sfd < 0 ? -EBADF : cr_ttyq_put_input(sfd, &m, false, d,
				q->in_len, esc, cr_ttyq_counted(&m, d, q->in_len));
		free(esc);
		if (ret)
			return cr_fail(e, -ret, "/dev/pts/%u: cannot put its %u "
				       "bytes of input back%s: %s", st->index,
				       q->in_len, ret == -EIO ? " exactly" : "",
				       strerror(-ret));
	}
	ret = cr_ttyq_inject(mfd, d + q->in_len, q->out_len, NULL, 0);
	if (!ret && ioctl(mfd, TIOCINQ, &inq))
		ret = -errno;
	if (!ret && (uint32_t)inq != q->out_len)
		ret = -EIO;
	if (ret)
		return cr_fail(e, -ret, "/dev/pts/%u: cannot put its %u bytes of "
			       "output back%s: %s", st->index, q->out_len,
			       ret == -EIO ? " exactly" : "", strerror(-ret));
	return 0;
}
