// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the rules of an image about a process's descriptors of
 * each kind (img-check-*.c, res-unix-check.c): event descriptors
 * (eventfd, signalfd, timerfd, epoll, inotify), inet sockets, pipes and
 * FIFOs, terminals and unix sockets.  Each kind is added to the valid
 * process of fixture.h, which must pass, then broken once per rule; both
 * readers (check.h) must refuse each forgery with the same reason, which
 * names the rule.  The rules of the process itself are test-check.c's.
 * TAP.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "check.h"

/*
 * Event descriptors added to the valid process: an eventfd at fd 10, a
 * signalfd at 11, a timerfd at 12, an epoll instance at 13 watching fd 10
 * (EPOLLIN | EPOLLET, data 0xdada) and fd 11; their FILEs are the last
 * four (EV_EFD ... EV_EP from the end).
 */
enum { EV_EFD, EV_SFD, EV_TFD, EV_EP, EV_IN, NR_EV };

/* Inotify @f's watches: @n of them, wd @wd0 and up, at @paths. */
static void ev_watches(struct cr_file *f, int n, int wd0, const char *const *paths)
{
	const char *why = NULL;
	size_t len = 0, off = 0;

	for (int i = 0; i < n; i++)
		len += sizeof(struct crfs_inotify_wd) +
		       cr_pad8(strlen(paths[i]) + 1);
	free(f->wbuf);
	f->wbuf = calloc(1, len ? len : 1);
	f->wlen = len;
	for (int i = 0; i < n; i++) {
		struct crfs_inotify_wd *w = (void *)((char *)f->wbuf + off);

		w->wd = wd0 + i;
		w->mask = IN_CREATE | IN_ONESHOT;
		w->dev = 0x803;
		w->ino = 2000 + i;
		w->path_len = strlen(paths[i]) + 1;
		memcpy(w + 1, paths[i], w->path_len);
		off += sizeof(*w) + cr_pad8(w->path_len);
	}
	cr_inotify_index(f, &why);
}

static void ev_add(struct cr_model *m)
{
	static const struct { uint32_t kind; const char *path; } k[NR_EV] = {
		{ CRFS_FILE_EVENTFD, "anon_inode:[eventfd]" },
		{ CRFS_FILE_SIGNALFD, "anon_inode:[signalfd]" },
		{ CRFS_FILE_TIMERFD, "anon_inode:[timerfd]" },
		{ CRFS_FILE_EPOLL, "anon_inode:[eventpoll]" },
		{ CRFS_FILE_INOTIFY, "anon_inode:inotify" },
	};
	uint32_t base = m->nr_files;
	struct cr_file *ep;
	int err;

	for (int i = 0; i < NR_EV; i++) {
		struct cr_file *f = cr_model_new_file(m, &err);
		struct cr_fd *fd = cr_model_new_fd(&m->fdts[0], &err);

		memset(f, 0, sizeof(*f));
		f->f = (struct crfs_file){ .id = base + i + 1, .kind = k[i].kind,
			.flags = O_RDWR, .mode = S_IRUSR | S_IWUSR, .dev = 0xe,
			.ino = 1038 };
		f->path = strdup(k[i].path);
		memset(fd, 0, sizeof(*fd));
		fd->d = (struct crfs_fd){ .fd = 10 + i, .file_id = base + i + 1 };
	}
	m->files[base + EV_EFD].ev.efd.count = 1ULL << 40;
	m->files[base + EV_EFD].ev.efd.semaphore = 1;
	m->files[base + EV_EFD].f.flags |= O_NONBLOCK;
	m->files[base + EV_SFD].ev.sfd.sigmask = 1ULL << (SIGUSR1 - 1);
	m->files[base + EV_TFD].ev.tfd = (struct crfs_file_timerfd){
		.clock = CLOCK_MONOTONIC, .ticks = 3, .value_ns = 5000,
		.interval_ns = 1000000 };
	ep = &m->files[base + EV_EP];
	ep->tfds = calloc(2, sizeof(*ep->tfds));
	ep->nr_tfds = 2;
	ep->tfds[0] = (struct crfs_epoll_tfd){ .fd = 10, .events = 0x80000001,
					       .data = 0xdada,
					       .target_id = base + 1 };
	ep->tfds[1] = (struct crfs_epoll_tfd){ .fd = 11, .events = 1,
					       .target_id = base + 2 };
	m->files[base + EV_IN].f.flags = O_RDONLY | O_NONBLOCK;
	ev_watches(&m->files[base + EV_IN], 2, 3,
		   (const char *const[]){ "/tmp/dir", "/tmp/data" });
	fx_resolve(m);
}

/*
 * The epoll instance of ev_add(), @after files added since, watching the
 * file at fd 20 for @events in place of fd 11.
 */
static void ev_epoll_watch(struct cr_model *m, uint32_t after, uint32_t events)
{
	struct cr_file *ep = &m->files[m->nr_files - after - NR_EV + EV_EP];
	uint32_t target = 0;

	for (uint32_t i = 0; i < m->fdts[0].nr_fds; i++)
		if (m->fdts[0].fds[i].d.fd == 20)
			target = m->fdts[0].fds[i].d.file_id;
	ep->tfds[1] = (struct crfs_epoll_tfd){ .fd = 20, .events = events,
					       .target_id = target };
}

/*
 * Sockets added to the valid process: an IPv4 TCP listener with options
 * at fd 20, an IPv6 UDP socket bound and connected at fd 21.
 */
enum { IN_TCP, IN_UDP, NR_IN };

static void in_opt(struct crfs_sockopt *o, int level, int name,
		   const void *val, uint32_t len)
{
	*o = (struct crfs_sockopt){ .level = level, .name = name, .len = len };
	memcpy(o->val, val, len);
}

static void in_add(struct cr_model *m)
{
	static const uint8_t lo6[16] = { [15] = 1 }, lo4[4] = { 127, 0, 0, 1 };
	uint32_t base = m->nr_files;
	struct crfs_sockopt *o;
	int err, one = 1, buf = 100000;

	for (int i = 0; i < NR_IN; i++) {
		struct cr_file *f = cr_model_new_file(m, &err);
		struct cr_fd *fd = cr_model_new_fd(&m->fdts[0], &err);
		char path[32];

		memset(f, 0, sizeof(*f));
		f->f = (struct crfs_file){ .id = base + i + 1,
			.kind = CRFS_FILE_INET, .flags = O_RDWR,
			.mode = S_IFSOCK | 0777, .dev = 0x9, .ino = 4000 + i };
		snprintf(path, sizeof(path), "socket:[%d]", 4000 + i);
		f->path = strdup(path);
		f->inet = calloc(1, sizeof(*f->inet) +
				 4 * sizeof(struct crfs_sockopt));
		memset(fd, 0, sizeof(*fd));
		fd->d = (struct crfs_fd){ .fd = 20 + i, .file_id = base + i + 1 };
	}
	*m->files[base + IN_TCP].inet = (struct crfs_file_inet){
		.family = AF_INET, .type = SOCK_STREAM, .protocol = IPPROTO_TCP,
		.state = 10, .flags = CRFS_INET_F_BOUND, .backlog = 17,
		.sport = 8080, .nr_opts = 4 };
	memcpy(m->files[base + IN_TCP].inet->src, lo4, 4);
	o = (struct crfs_sockopt *)(m->files[base + IN_TCP].inet + 1);
	in_opt(&o[0], SOL_SOCKET, SO_REUSEADDR, &one, 4);
	in_opt(&o[1], SOL_SOCKET, SO_RCVBUF, &buf, 4);
	in_opt(&o[2], IPPROTO_TCP, TCP_NODELAY, &one, 4);
	in_opt(&o[3], IPPROTO_TCP, TCP_CONGESTION, "reno", 5);
	*m->files[base + IN_UDP].inet = (struct crfs_file_inet){
		.family = AF_INET6, .type = SOCK_DGRAM, .protocol = IPPROTO_UDP,
		.state = 1, .flags = CRFS_INET_F_BOUND, .sport = 5000,
		.dport = 5001, .nr_opts = 1 };
	memcpy(m->files[base + IN_UDP].inet->src, lo6, 16);
	memcpy(m->files[base + IN_UDP].inet->dst, lo6, 16);
	o = (struct crfs_sockopt *)(m->files[base + IN_UDP].inet + 1);
	in_opt(&o[0], IPPROTO_IPV6, IPV6_V6ONLY, &one, 4);
	m->files[base + IN_UDP].f.flags |= O_NONBLOCK;
	fx_resolve(m);
}

/* The sockets added, then made wrong by @body. */
#define FS(name, body) \
	static void forge_##name(struct cr_model *m) \
	{ in_add(m); \
	  struct cr_file *in = &m->files[m->nr_files - NR_IN]; \
	  struct crfs_file_inet *s = in[IN_TCP].inet, *u = in[IN_UDP].inet; \
	  struct crfs_sockopt *o = (struct crfs_sockopt *)(s + 1); \
	  (void)s; (void)u; (void)o; body; }
FS(in_family, s->family = AF_UNIX)
FS(in_proto, s->protocol = IPPROTO_UDP)
FS(in_state, u->state = 10)
FS(in_unbound, s->flags = 0; s->sport = 0; memset(s->src, 0, 16))
FS(in_backlog, u->backlog = 5)
FS(in_v4len, s->src[5] = 1)
FS(in_peer, s->dport = 80)
FS(in_flags, s->flags |= 4)
FS(in_path, free(in[IN_TCP].path); in[IN_TCP].path = strdup("/tmp/sock"))
FS(in_mode, in[IN_TCP].f.mode = S_IFREG | 0644)
FS(in_opt_unknown, o[0].name = SO_ATTACH_FILTER)
FS(in_opt_family, in_opt(&o[2], IPPROTO_IPV6, IPV6_V6ONLY, "\1\0\0\0", 4))
FS(in_opt_order, struct crfs_sockopt t = o[0]; o[0] = o[2]; o[2] = t)
FS(in_opt_len, o[2].len = 8)
FS(in_opt_str, o[3].val[4] = 'x')
FS(in_opt_buf, o[1].val[0] ^= 1)
FS(in_conn_udp, u->mss = 1460)
FS(in_conn_unbound, s->state = 1; s->flags = 0; s->sport = 0; memset(s->src, 0, 16); s->backlog = 0)
FS(in_conn_wscale, s->state = 1; s->backlog = 0; s->dport = 9; s->mss = 1460; s->tcp_opts = 4; s->snd_wscale = 15)
FS(in_conn_mss, s->state = 1; s->backlog = 0; s->dport = 9; s->mss = 20)
FS(in_conn_opts, s->state = 1; s->backlog = 0; s->dport = 9; s->mss = 1460; s->tcp_opts = 8)
FS(in_gone_bound, s->state = 7; s->backlog = 0; s->dport = 9;
   s->flags = CRFS_INET_F_BOUND | CRFS_INET_F_PEER_GONE)
FS(in_gone_udp, u->state = 7; u->flags = CRFS_INET_F_PEER_GONE; u->sport = 0;
   memset(u->src, 0, 16))
FS(in_gone_nopeer, s->state = 7; s->backlog = 0; s->flags = CRFS_INET_F_PEER_GONE;
   s->sport = 0; memset(s->src, 0, 16))
FS(in_gone_conn, s->state = 1; s->backlog = 0; s->dport = 9; s->mss = 1460;
   s->flags |= CRFS_INET_F_PEER_GONE)
FS(in_lock_listen, s->lock_id = 0x1234abcd)
FS(in_lock_udp, u->lock_id = 1)

/*
 * F_DATA a deleted file carrying its data, the first inotify watch of
 * the event descriptors watching it (its inode, @dino added).
 */
static void in_via_data(struct cr_model *m, uint64_t dino)
{
	struct cr_file *f = &m->files[F_DATA];
	struct crfs_inotify_wd *w = m->files[m->nr_files - NR_EV + EV_IN].wbuf;

	fx_memfd(f, 100, 0);
	f->f.kind = CRFS_FILE_UNLINKED;
	free(f->path);
	f->path = strdup("/tmp/d");
	w->via = f->f.id;
	w->dev = f->f.dev;
	w->ino = f->f.ino + dino;
}

/* The event descriptors added, then made wrong by @body. */
#define FE(name, body) \
	static void forge_##name(struct cr_model *m) \
	{ ev_add(m); \
	  struct cr_file *ev = &m->files[m->nr_files - NR_EV]; \
	  struct crfs_epoll_tfd *tf = ev[EV_EP].tfds; \
	  (void)tf; body; }
FE(ev_count, ev[EV_EFD].ev.efd.count = UINT64_MAX)
FE(ev_sem, ev[EV_EFD].ev.efd.semaphore = 2)
FE(ev_path, free(ev[EV_EFD].path); ev[EV_EFD].path = strdup("/tmp/x"))
FE(ev_mode, ev[EV_EFD].f.mode = S_IFREG | 0600)
FE(ev_flags, ev[EV_EFD].f.flags |= O_APPEND)
FE(ev_wronly, ev[EV_SFD].f.flags = O_WRONLY)
FE(ev_pos, ev[EV_EFD].f.pos = 8)
FE(ev_sigkill, ev[EV_SFD].ev.sfd.sigmask |= 1ULL << (SIGKILL - 1))
FE(ev_clock, ev[EV_TFD].ev.tfd.clock = CLOCK_MONOTONIC_RAW)
FE(ev_tflags, ev[EV_TFD].ev.tfd.settime_flags = 4)
FE(ev_cancel, ev[EV_TFD].ev.tfd.settime_flags = 3)
FE(ev_tvalue, ev[EV_TFD].ev.tfd.value_ns = 1ULL << 63)
FE(ev_order, tf[1].fd = 10)
FE(ev_events, tf[0].events |= 1U << 20)
FE(ev_excl, tf[0].events = EPOLLEXCLUSIVE | EPOLLPRI)
FE(ev_self, tf[1].target_id = ev[EV_EP].f.id)
FE(ev_kind, tf[1].target_id = F_LOG + 1)
FE(ev_none, tf[1].target_id = 999)
FE(ev_closed, tf[1].fd = 12)
FE(ev_via_open, tf[0].via = 1 + 11)
FE(ev_via_file, tf[1].fd = 40; tf[1].via = 1 + 10)
FE(ev_via_order, tf[0].fd = 40; tf[0].via = 1 + 11;
   tf[1].fd = 40; tf[1].via = 1 + 10)
FE(in_rdwr, ev[EV_IN].f.flags = O_RDWR)
FE(in_order, ev_watches(&ev[EV_IN], 2, 0, (const char *const[]){ "/a", "/b" }))
FE(in_rel, ev_watches(&ev[EV_IN], 1, 1, (const char *const[]){ "a" }))
FE(in_mask, ((struct crfs_inotify_wd *)ev[EV_IN].wbuf)->mask = IN_ONESHOT)
FE(in_mask2, ((struct crfs_inotify_wd *)ev[EV_IN].wbuf)->mask |= IN_MASK_ADD)
FE(in_via, ((struct crfs_inotify_wd *)ev[EV_IN].wbuf)->via = 1)
FE(in_via_ino, in_via_data(m, 1))
FE(in_via_memfd, in_via_data(m, 0); m->files[F_DATA].f.kind = CRFS_FILE_MEMFD;
	 free(m->files[F_DATA].path); m->files[F_DATA].path = strdup("memfd:x"))
FE(in_via_open, in_via_data(m, 0);
	((struct crfs_inotify_wd *)ev[EV_IN].wbuf)->mask |= IN_OPEN)


/*
 * Pipes added to the valid process: a pipe's read end at fd 20 carrying
 * its 5 bytes of data, its write end at fd 21 (O_NONBLOCK), a FIFO open
 * O_RDWR at fd 22 with 3 bytes, the pipe's read end opened again O_RDWR
 * through /proc at fd 23; their FILEs are the last four (PP_RD ... PP_RE
 * from the end).
 */
enum { PP_RD, PP_WR, PP_FIFO, PP_RE, NR_PP };

static void pp_add(struct cr_model *m)
{
	static const struct { uint32_t kind, flags; const char *path; } k[NR_PP] = {
		{ CRFS_FILE_PIPE, O_RDONLY, "pipe:[4242]" },
		{ CRFS_FILE_PIPE, O_WRONLY | O_NONBLOCK, "pipe:[4242]" },
		{ CRFS_FILE_FIFO, O_RDWR | 0100000, "/tmp/fifo" },
		{ CRFS_FILE_PIPE, O_RDWR | 0100000, "pipe:[4242]" },
	};
	uint32_t base = m->nr_files;
	struct cr_file *p;
	int err;

	for (int i = 0; i < NR_PP; i++) {
		struct cr_file *f = cr_model_new_file(m, &err);
		struct cr_fd *fd = cr_model_new_fd(&m->fdts[0], &err);

		memset(f, 0, sizeof(*f));
		f->f = (struct crfs_file){ .id = base + i + 1, .kind = k[i].kind,
			.flags = k[i].flags, .mode = S_IFIFO | 0600, .dev = 0xd,
			.ino = k[i].kind == CRFS_FILE_FIFO ? 77 : 4242 };
		f->path = strdup(k[i].path);
		f->ev.pipe.size = 65536;
		memset(fd, 0, sizeof(*fd));
		fd->d = (struct crfs_fd){ .fd = 20 + i, .file_id = base + i + 1 };
	}
	p = &m->files[base];
	p[PP_RD].ev.pipe.peer_id = base + PP_WR + 1;
	p[PP_WR].ev.pipe.peer_id = base + PP_RD + 1;
	p[PP_RD].ev.pipe.data_len = 5;
	p[PP_RD].pdata = (uint8_t *)strdup("hello");
	p[PP_FIFO].ev.pipe.data_len = 3;
	p[PP_FIFO].pdata = (uint8_t *)strdup("abc");
	p[PP_RE].ev.pipe.pflags = CRFS_PIPE_F_REOPEN;
	fx_resolve(m);
}

/* The pipes added, then made wrong by @body. */
#define FP(name, body) \
	static void forge_##name(struct cr_model *m) \
	{ pp_add(m); \
	  struct cr_file *pp = &m->files[m->nr_files - NR_PP]; \
	  body; }
FP(pp_path, free(pp[PP_RD].path); pp[PP_RD].path = strdup("pipe:[4243]"))
FP(pp_mode, pp[PP_WR].f.mode = S_IFREG | 0600)
FP(pp_rdwr, pp[PP_WR].f.flags = O_RDWR)
FP(pp_flags, pp[PP_RD].f.flags |= O_APPEND)
FP(pp_pos, pp[PP_RD].f.pos = 3)
FP(pp_size0, pp[PP_RD].ev.pipe.size = 0)
FP(pp_size3, pp[PP_RD].ev.pipe.size = 3 * 4096;
	     pp[PP_WR].ev.pipe.size = 3 * 4096)
FP(pp_size_big, pp[PP_RD].ev.pipe.size = 1U << 31;
	        pp[PP_WR].ev.pipe.size = 1U << 31)
FP(pp_data, pp[PP_FIFO].ev.pipe.size = 4096; pp[PP_FIFO].ev.pipe.data_len = 5000;
	    free(pp[PP_FIFO].pdata); pp[PP_FIFO].pdata = calloc(1, 5000))
FP(pp_data_max, pp[PP_RD].ev.pipe.size = 1U << 21; pp[PP_WR].ev.pipe.size = 1U << 21;
	        pp[PP_RD].ev.pipe.data_len = CRFS_PIPE_DATA_MAX + 8;
	        free(pp[PP_RD].pdata); pp[PP_RD].pdata = calloc(1, CRFS_PIPE_DATA_MAX + 8))
FP(pp_packet, pp[PP_WR].f.flags |= O_DIRECT; pp[PP_RD].f.flags |= O_DIRECT)
FP(pp_peer_none, pp[PP_RD].ev.pipe.peer_id = 999)
FP(pp_peer_self, pp[PP_RD].ev.pipe.peer_id = pp[PP_RD].f.id)
FP(pp_peer_back, pp[PP_WR].ev.pipe.peer_id = 0)
FP(pp_peer_ino, pp[PP_WR].f.ino = 4243; free(pp[PP_WR].path);
		pp[PP_WR].path = strdup("pipe:[4243]"))
FP(pp_peer_size, pp[PP_WR].ev.pipe.size = 8192)
FP(pp_peer_same, pp[PP_WR].f.flags = O_RDONLY)
FP(pp_data_high, pp[PP_WR].ev.pipe.data_len = 2;
		 pp[PP_WR].pdata = (uint8_t *)strdup("xy"))
FP(pp_fifo_rel, free(pp[PP_FIFO].path); pp[PP_FIFO].path = strdup("fifo"))
FP(pp_fifo_peer, pp[PP_FIFO].ev.pipe.peer_id = pp[PP_RD].f.id)
FP(pp_fifo_reopen, pp[PP_FIFO].ev.pipe.pflags = CRFS_PIPE_F_REOPEN)
FP(pp_pflags, pp[PP_RD].ev.pipe.pflags = 2)
FP(pp_reopen_data, pp[PP_RE].ev.pipe.data_len = 1;
		   pp[PP_RE].pdata = (uint8_t *)strdup("z"))
FP(pp_reopen_peer, pp[PP_RE].ev.pipe.peer_id = pp[PP_WR].f.id)

/* The pipes and the event descriptors, the epoll watching the read end
 * once (EPOLLONESHOT) and fired. */
static void forge_pp_oneshot(struct cr_model *m)
{
	ev_add(m);
	pp_add(m);
	ev_epoll_watch(m, NR_PP, EPOLLONESHOT);
	fx_resolve(m);
}
enum { TY_M, TY_S, TY_DEV, NR_TY };

/*
 * A pseudo-terminal pair of index 5 (master fd 20, slave fd 21), the
 * process's session's controlling terminal with its group in front, and
 * /dev/tty at fd 22.
 */
static void tty_add(struct cr_model *m)
{
	uint32_t base = m->nr_files;
	int err;

	for (int i = 0; i < NR_TY; i++) {
		struct cr_file *f = cr_model_new_file(m, &err);
		struct cr_fd *fd = cr_model_new_fd(&m->fdts[0], &err);
		struct crfs_file_tty *t = &f->ev.tty;

		memset(f, 0, sizeof(*f));
		f->f = (struct crfs_file){ .id = base + i + 1,
			.kind = i == TY_DEV ? CRFS_FILE_CHR : CRFS_FILE_TTY,
			.flags = O_RDWR | 0100000, .mode = S_IFCHR | 0620,
			.dev = 0x18, .ino = 8 + i,
			.rdev = i == TY_M ? makedev(5, 2) : i == TY_S ?
				makedev(136, 5) : makedev(5, 0),
			.ext_len = i == TY_DEV ? 0 : sizeof(*t) };
		f->path = strdup(i == TY_M ? "/dev/ptmx" : i == TY_S ?
				 "/dev/pts/5" : "/dev/tty");
		if (i != TY_DEV) {
			t->type = i == TY_M ? CRFS_TTY_MASTER : CRFS_TTY_SLAVE;
			t->index = 5;
			t->lflag = 0x8a3b;
			t->cflag = 0xbf;
			t->cc[0] = 3;
			t->rows = 24;
			t->cols = 80;
			t->pkt = i == TY_M;
			t->sid = FX_PID;
			t->pgrp = FX_PID;
		}
		memset(fd, 0, sizeof(*fd));
		fd->d = (struct crfs_fd){ .fd = 20 + i, .file_id = base + i + 1 };
	}
	fx_resolve(m);
}

/* The pair added, then made wrong by @body. */
#define FY(name, body) \
	static void forge_##name(struct cr_model *m) \
	{ tty_add(m); \
	  struct cr_file *ty = &m->files[m->nr_files - NR_TY]; \
	  struct crfs_file_tty *ym = &ty[TY_M].ev.tty, *ys = &ty[TY_S].ev.tty; \
	  (void)ym; (void)ys; body; }
FY(ty_type, ym->type = 4)
FY(ty_index, ym->index = ys->index = CRFS_TTY_MAX)
FY(ty_path, free(ty[TY_S].path); ty[TY_S].path = strdup("/dev/pts/6"))
FY(ty_mpath, free(ty[TY_M].path); ty[TY_M].path = strdup("/dev/tty"))
FY(ty_rdev, ty[TY_S].f.rdev = makedev(136, 6))
FY(ty_mode, ty[TY_M].f.mode = S_IFREG | 0600)
FY(ty_flags, ty[TY_S].f.flags |= O_ASYNC)
FY(ty_pos, ty[TY_M].f.pos = 3)
FY(ty_line, ym->line = 2)
FY(ty_pkt, ys->pkt = 1)
FY(ty_excl, ym->excl = 2)
FY(ty_pgrp_nosid, ym->sid = ys->sid = 0)
FY(ty_sid, ym->sid = ys->sid = 4712)
FY(ty_pgrp, ym->pgrp = ys->pgrp = 4712)
FY(ty_winsize, ys->rows = 25)
FY(ty_lock, ym->locked = 1)
/* A second slave description of the pair, at fd 23, made wrong by @body. */
static void tty_second(struct cr_model *m, void (*body)(struct crfs_file_tty *))
{
	uint32_t s = m->nr_files - NR_TY + TY_S, id = m->nr_files + 1;
	struct cr_file *f;
	struct cr_fd *fd;
	int err;

	f = cr_model_new_file(m, &err);
	*f = m->files[s];
	f->f.id = id;
	f->path = strdup(m->files[s].path);
	body(&f->ev.tty);
	fd = cr_model_new_fd(&m->fdts[0], &err);
	memset(fd, 0, sizeof(*fd));
	fd->d = (struct crfs_fd){ .fd = 23, .file_id = id };
	fx_resolve(m);
}
static void ty_raw(struct crfs_file_tty *t) { t->lflag = 0; }
static void ty_master(struct crfs_file_tty *t) { t->type = CRFS_TTY_MASTER; }
FY(ty_termios, tty_second(m, ty_raw))
FY(ty_master2, free(ty[TY_M].path); ty[TY_M].path = NULL;
   ty[TY_M].path = strdup("/dev/ptmx"); tty_second(m, ty_master);
   free(m->files[m->nr_files - 1].path);
   m->files[m->nr_files - 1].path = strdup("/dev/ptmx");
   m->files[m->nr_files - 1].f.rdev = makedev(5, 2);
   m->files[m->nr_files - 1].ev.tty.pkt = 1)
FY(ty_nomaster, ty[TY_M].f.kind = CRFS_FILE_CHR; ty[TY_M].f.ext_len = 0;
   free(ty[TY_M].path); ty[TY_M].path = strdup("/dev/null");
   ty[TY_M].f.rdev = makedev(1, 3); ty[TY_M].f.flags = O_RDWR)
FY(ty_noslave, ty[TY_S].f.kind = CRFS_FILE_CHR; ty[TY_S].f.ext_len = 0;
   free(ty[TY_S].path); ty[TY_S].path = strdup("/dev/null");
   ty[TY_S].f.rdev = makedev(1, 3); ty[TY_S].f.flags = O_RDWR;
   ym->sid = ym->pgrp = 0)
FY(ty_devtty, ym->sid = ys->sid = ym->pgrp = ys->pgrp = 0)
/* An epoll watching the master one-shot, fired. */
static void forge_ty_epoll(struct cr_model *m)
{
	tty_add(m);
	ev_add(m);
	ev_epoll_watch(m, 0, EPOLLONESHOT);
}
/* @f with a queue of @in and @out bytes ('q'), its flags @flags. */
static void tty_queue(struct cr_file *f, uint32_t in, uint32_t out,
		      uint32_t flags)
{
	struct crfs_file_tty_queue q = { in, out, flags, 0 };
	size_t len = sizeof(q) + cr_pad8((uint64_t)in + out);

	f->pdata = calloc(1, len);
	memcpy(f->pdata, &q, sizeof(q));
	memset(f->pdata + sizeof(q), 'q', in + out);
	f->f.ext_len = sizeof(f->ev.tty) + len;
}
FY(ty_q_slave, tty_queue(&ty[TY_S], 3, 0, 0))
FY(ty_q_pkt, tty_queue(&ty[TY_M], 3, 2, 0))
FY(ty_q_big, ym->pkt = 0; tty_queue(&ty[TY_M], CRFS_TTY_QUEUE_MAX + 1, 0, 0))
FY(ty_q_flags, ym->pkt = 0; tty_queue(&ty[TY_M], 3, 2, 1))
FY(ty_q_empty, ym->pkt = 0; tty_queue(&ty[TY_M], 0, 0, 0))
FY(ty_q_noslave, ty[TY_S].f.kind = CRFS_FILE_CHR; ty[TY_S].f.ext_len = 0;
   free(ty[TY_S].path); ty[TY_S].path = strdup("/dev/null");
   ty[TY_S].f.rdev = makedev(1, 3); ty[TY_S].f.flags = O_RDWR;
   ym->pkt = 0; tty_queue(&ty[TY_M], 3, 0, 0);
   ty[TY_DEV].f.kind = CRFS_FILE_CHR; ty[TY_DEV].f.rdev = makedev(1, 3);
   free(ty[TY_DEV].path); ty[TY_DEV].path = strdup("/dev/null"))
FY(ty_shell_state, ym->sid = ys->sid = ym->pgrp = ys->pgrp = 0;
   ty[TY_M].f.kind = CRFS_FILE_CHR; ty[TY_M].f.ext_len = 0;
   free(ty[TY_M].path); ty[TY_M].path = strdup("/dev/null");
   ty[TY_M].f.rdev = makedev(1, 3); ty[TY_M].f.flags = O_RDWR;
   ys->type = CRFS_TTY_SHELL; ys->pkt = 0)
FY(ty_shell_pair, ys->type = CRFS_TTY_SHELL;
   memset(ys, 0, sizeof(*ys)); ys->type = CRFS_TTY_SHELL; ys->index = 5)

/*
 * Unix sockets added to the valid process: a datagram pair at fds 20 and
 * 21, 21 with two datagrams queued (3 and 9 bytes), and a stream socket
 * listening on the abstract name "crfs" at 22; their FILEs are the last
 * three.
 */
enum { UX_A, UX_B, UX_U, NR_UX };

/* Unix socket @f renamed @name (@len bytes, with its NUL for a path). */
static void ux_name(struct cr_file *f, const char *name, uint32_t len)
{
	struct crfs_file_unix u = *(struct crfs_file_unix *)f->ubuf;

	free(f->ubuf);
	f->ulen = sizeof(u) + cr_pad8(len);
	f->ubuf = calloc(1, f->ulen);
	u.name_len = len;
	u.nr_msgs = 0;
	u.queued = 0;
	memcpy(f->ubuf, &u, sizeof(u));
	memcpy((char *)f->ubuf + sizeof(u), name, len);
}

/* Unix socket @f: its state @u, then @n messages of the lengths @lens. */
static void ux_state(struct cr_file *f, const struct crfs_file_unix *u,
		     int n, const uint32_t *lens)
{
	struct crfs_file_unix *nu, copy = *u;
	size_t len = sizeof(*u) + cr_pad8(u->name_len), off;
	char name[CRFS_UNIX_NAME_MAX] = "";

	/* The name stays (when @u is @f's own state, from its buffer). */
	if (u->name_len && f->ubuf && f->ulen >= sizeof(*u) + u->name_len)
		memcpy(name, (char *)f->ubuf + sizeof(*u), u->name_len);
	for (int i = 0; i < n; i++)
		len += sizeof(struct crfs_unix_msg) + cr_pad8(lens[i]);
	free(f->ubuf);
	f->ubuf = calloc(1, len);
	f->ulen = len;
	nu = f->ubuf;
	*nu = copy;
	nu->nr_msgs = n;
	nu->queued = 0;
	/* @u may be the buffer freed above: its copy from here on. */
	memcpy(nu + 1, name, copy.name_len);
	off = sizeof(copy) + cr_pad8(copy.name_len);
	for (int i = 0; i < n; i++) {
		struct crfs_unix_msg *m = (void *)((char *)f->ubuf + off);

		m->len = lens[i];
		memset(m + 1, 'a' + i, lens[i]);
		nu->queued += lens[i];
		off += sizeof(*m) + cr_pad8(lens[i]);
	}
}

static void ux_add(struct cr_model *m)
{
	uint32_t base = m->nr_files;
	int err;

	for (int i = 0; i < NR_UX; i++) {
		struct cr_file *f = cr_model_new_file(m, &err);
		struct cr_fd *fd = cr_model_new_fd(&m->fdts[0], &err);
		char path[32];

		memset(f, 0, sizeof(*f));
		f->f = (struct crfs_file){ .id = base + i + 1,
			.kind = CRFS_FILE_UNIX, .flags = O_RDWR,
			.mode = S_IFSOCK | 0777, .dev = 0x8, .ino = 500 + i };
		snprintf(path, sizeof(path), "socket:[%d]", 500 + i);
		f->path = strdup(path);
		memset(fd, 0, sizeof(*fd));
		fd->d = (struct crfs_fd){ .fd = 20 + i, .file_id = base + i + 1 };
	}
	ux_state(&m->files[base + UX_A], &(struct crfs_file_unix){
		.type = SOCK_DGRAM, .state = CRFS_UNIX_CONNECTED, .ino = 500,
		.peer_ino = 501, .peer_id = base + UX_B + 1, .sndbuf = 212992,
		.rcvbuf = 212992, .peek_off = -1, .cred_pid = FX_PID }, 0, NULL);
	ux_state(&m->files[base + UX_B], &(struct crfs_file_unix){
		.type = SOCK_DGRAM, .state = CRFS_UNIX_CONNECTED, .ino = 501,
		.peer_ino = 500, .peer_id = base + UX_A + 1, .sndbuf = 212992,
		.rcvbuf = 212992, .peek_off = 3, .cred_pid = FX_PID, .shutdown = CRFS_UNIX_SHUT_RD,
		.rcvtimeo_ns = 1500000000 }, 2, (const uint32_t[]){ 3, 9 });
	ux_state(&m->files[base + UX_U], &(struct crfs_file_unix){
		.type = SOCK_STREAM, .state = CRFS_UNIX_LISTEN, .ino = 502,
		.sndbuf = 4608, .rcvbuf = 4608, .peek_off = -1, .cred_pid = FX_PID,
		.opts = CRFS_UNIX_O_PASSCRED, .backlog = 16 }, 0, NULL);
	ux_name(&m->files[base + UX_U], "\0crfs", 5);
	m->files[base + UX_U].f.flags |= O_NONBLOCK;
	fx_resolve(m);
}

/*
 * Connections of the listener UX_U added after ux_add(): an accepted
 * stream socket (its name "\0crfs", fd 23) connected to a socket without
 * a name (fd 24), with 5 bytes queued for it, and one waiting at place 1
 * of the backlog (fd 25); their FILEs are the last three.
 */
enum { UX_ACC, UX_CLI, UX_WAIT, NR_UXC };

/* Unix socket @f given its listener @l at @seq (a crfs_unix_conn). */
static void ux_conn(struct cr_file *f, const struct cr_file *l, uint32_t seq)
{
	struct crfs_unix_conn c = { .listen_ino = cr_unix_of(l)->ino,
				    .listen_id = l->f.id, .seq = seq };
	char *b = realloc(f->ubuf, f->ulen + sizeof(c));

	if (!b)
		abort();
	memcpy(b + f->ulen, &c, sizeof(c));
	f->ubuf = b;
	f->ulen += sizeof(c);
}

static void ux_conn_add(struct cr_model *m)
{
	uint32_t base, lid;
	struct cr_file *l;
	int err;

	ux_add(m);
	base = m->nr_files;
	lid = base - NR_UX + UX_U + 1;
	for (int i = 0; i < NR_UXC; i++) {
		struct cr_file *f = cr_model_new_file(m, &err);
		struct cr_fd *fd = cr_model_new_fd(&m->fdts[0], &err);
		char path[32];

		memset(f, 0, sizeof(*f));
		f->f = (struct crfs_file){ .id = base + i + 1,
			.kind = CRFS_FILE_UNIX, .flags = O_RDWR,
			.mode = S_IFSOCK | 0777, .dev = 0x8, .ino = 600 + i,
			.uid = 1000, .gid = 100 };	/* made as the process */
		snprintf(path, sizeof(path), "socket:[%d]", 600 + i);
		f->path = strdup(path);
		memset(fd, 0, sizeof(*fd));
		fd->d = (struct crfs_fd){ .fd = 23 + i, .file_id = base + i + 1 };
	}
	l = cr_model_file(m, lid);
	ux_state(&m->files[base + UX_ACC], &(struct crfs_file_unix){
		.type = SOCK_STREAM, .state = CRFS_UNIX_CONNECTED, .ino = 600,
		.peer_ino = 601, .peer_id = base + UX_CLI + 1, .sndbuf = 4608,
		.rcvbuf = 4608, .peek_off = -1, .cred_pid = FX_PID, .name_len = 5,
		.flags = CRFS_UNIX_F_ACCEPTED }, 1, (const uint32_t[]){ 5 });
	memcpy((char *)m->files[base + UX_ACC].ubuf +
	       sizeof(struct crfs_file_unix), "\0crfs", 5);
	ux_conn(&m->files[base + UX_ACC], l, 0);
	ux_state(&m->files[base + UX_CLI], &(struct crfs_file_unix){
		.type = SOCK_STREAM, .state = CRFS_UNIX_CONNECTED, .ino = 601,
		.peer_ino = 600, .peer_id = base + UX_ACC + 1, .sndbuf = 4608,
		.rcvbuf = 4608, .peek_off = -1, .cred_pid = FX_PID }, 0, NULL);
	ux_state(&m->files[base + UX_WAIT], &(struct crfs_file_unix){
		.type = SOCK_STREAM, .state = CRFS_UNIX_CONNECTED, .ino = 602,
		.sndbuf = 4608, .rcvbuf = 4608, .peek_off = -1, .cred_pid = FX_PID,
		.flags = CRFS_UNIX_F_WAITING }, 0, NULL);
	ux_conn(&m->files[base + UX_WAIT], l, 1);
	fx_resolve(m);
}

/* The connections added, then made wrong by @body. */
#define FC(name, body) \
	static void forge_##name(struct cr_model *m) \
	{ ux_conn_add(m); \
	  struct cr_file *uc = &m->files[m->nr_files - NR_UXC]; \
	  struct crfs_file_unix *acc = uc[UX_ACC].ubuf, \
				*w = uc[UX_WAIT].ubuf; \
	  struct crfs_unix_conn *ca = cr_unix_conn_of(&uc[UX_ACC]), \
				*cw = cr_unix_conn_of(&uc[UX_WAIT]); \
	  (void)acc; (void)w; (void)ca; (void)cw; body; }
FC(uc_both, acc->flags |= CRFS_UNIX_F_WAITING)
FC(uc_name, ((char *)(acc + 1))[2] = 'X')
FC(uc_nolisten, ca->listen_id = uc[UX_CLI].f.id)
FC(uc_lino, cw->listen_ino = 9)
FC(uc_seq0, cw->seq = 0)
FC(uc_seqbig, cw->seq = 18)
FC(uc_acc_seq, ca->seq = 2)
FC(uc_wait_named, w->name_len = 0; w->peer_ino = 5)
FC(uc_wait_shut, w->shutdown = CRFS_UNIX_SHUT_WR)
FC(uc_dup, cw->listen_id = ca->listen_id; ux_state(&uc[UX_CLI], \
   &(struct crfs_file_unix){ .type = SOCK_STREAM, .ino = 601, \
   .state = CRFS_UNIX_CONNECTED, .peek_off = -1, \
   .flags = CRFS_UNIX_F_WAITING }, 0, NULL); \
   ux_conn(&uc[UX_CLI], cr_model_file(m, cw->listen_id), 1); \
   acc->flags = CRFS_UNIX_F_ACCEPTED | CRFS_UNIX_F_PEER_CLOSED; \
   acc->peer_ino = 0; acc->peer_id = 0; acc->shutdown = 3)
FC(uc_dgram, acc->type = SOCK_DGRAM;
   ((struct crfs_file_unix *)uc[UX_CLI].ubuf)->type = SOCK_DGRAM)
FC(uc_cred_cli, ((struct crfs_file_unix *)uc[UX_CLI].ubuf)->cred_uid = 1000)
FC(uc_cred_wait, w->cred_gid = 1000)
FC(uc_cred_acc, acc->cred_pid = FX_PID + 1)
FC(uc_wait_ids, uc[UX_WAIT].f.uid = 0)
FC(uc_notrailer, uc[UX_WAIT].ulen -= sizeof(struct crfs_unix_conn))
FC(uc_peer_named, ux_name(&uc[UX_CLI], "\0y", 2))

/* The unix sockets added, then made wrong by @body. */
#define FU(name, body) \
	static void forge_##name(struct cr_model *m) \
	{ ux_add(m); \
	  struct cr_file *ux = &m->files[m->nr_files - NR_UX]; \
	  struct crfs_file_unix *a = ux[UX_A].ubuf, *b = ux[UX_B].ubuf, \
				*u = ux[UX_U].ubuf; \
	  (void)a; (void)b; (void)u; body; }
FU(ux_path, free(ux[UX_A].path); ux[UX_A].path = strdup("socket:[7]"))
FU(ux_mode, ux[UX_A].f.mode = S_IFREG | 0600)
FU(ux_flags, ux[UX_A].f.flags |= O_APPEND)
FU(ux_pos, ux[UX_A].f.pos = 1)
FU(ux_type, a->type = b->type = SOCK_RAW)
FU(ux_listen, u->type = SOCK_DGRAM)
FU(ux_listen_noname, ux_name(&ux[UX_U], "", 0))
FU(ux_backlog, u->state = CRFS_UNIX_UNCONN)
FU(ux_rel, ux_name(&ux[UX_U], "rel", 4))
FU(ux_nonul, ux_name(&ux[UX_U], "/abc", 4))
FU(ux_nofile, ux_name(&ux[UX_U], "/abc", 5))
FU(ux_file_abstract, u->name_ino = 7)
FU(ux_conn_named, ux_name(&ux[UX_A], "\0x", 2))
FU(ux_state, u->state = 9)
FU(ux_shut, u->shutdown = 4)
FU(ux_uflags, u->flags = 64)
FU(ux_reset_alone, a->flags = CRFS_UNIX_F_RESET)
FU(ux_outside_alone, a->flags = CRFS_UNIX_F_PEER_OUTSIDE)
FU(ux_again_listen, u->flags = CRFS_UNIX_F_RECONNECT)
FU(ux_again_queue, u->type = SOCK_DGRAM; u->state = CRFS_UNIX_UNCONN;
   u->backlog = 0; u->opts = 0; u->flags = CRFS_UNIX_F_RECONNECT;
   ux_state(&ux[UX_U], u, 1, (const uint32_t[]){ 4 }))
FU(ux_again_file, u->type = SOCK_DGRAM; u->state = CRFS_UNIX_UNCONN;
   u->backlog = 0; u->flags = CRFS_UNIX_F_RECONNECT; u->name_ino = 7)
FU(ux_outside_unconn, u->flags = CRFS_UNIX_F_PEER_CLOSED |
   CRFS_UNIX_F_PEER_OUTSIDE)
FU(ux_outside_peer, a->type = b->type = SOCK_STREAM; b->nr_msgs = 0;
   ux[UX_B].ulen = sizeof(*b); b->queued = 0; a->shutdown = 3;
   a->flags = CRFS_UNIX_F_PEER_CLOSED | CRFS_UNIX_F_PEER_OUTSIDE)
FU(ux_closed_unconn, u->flags = CRFS_UNIX_F_PEER_CLOSED)
FU(ux_closed_dgram, a->flags = CRFS_UNIX_F_PEER_CLOSED; a->peer_ino = 0;
   a->peer_id = 0; a->shutdown = 3)
FU(ux_closed_shut, a->type = b->type = SOCK_STREAM; b->nr_msgs = 0;
   ux[UX_B].ulen = sizeof(*b); b->queued = 0;
   a->flags = CRFS_UNIX_F_PEER_CLOSED; a->peer_ino = 0; a->peer_id = 0;
   b->peer_id = 0; b->peer_ino = 0; b->flags = CRFS_UNIX_F_PEER_CLOSED;
   b->shutdown = 3)
FU(ux_unconn_msg, ux_state(&ux[UX_U], u, 1, (const uint32_t[]){ 4 }))
FU(ux_peek, a->peek_off = -2)
FU(ux_timeo, b->rcvtimeo_ns = 1ULL << 63)
FU(ux_unconn_peer, u->peer_id = ux[UX_A].f.id)
FU(ux_nopeer, a->peer_id = 999)
FU(ux_selfpeer, a->peer_id = ux[UX_A].f.id)
FU(ux_peer_ino, a->peer_ino = 777)
FU(ux_peer_type, b->type = SOCK_STREAM; b->nr_msgs = 0;
   ux[UX_B].ulen = sizeof(*b); b->queued = 0)
FU(ux_queued, b->queued = 11)
FU(ux_short, ux[UX_B].ulen -= 8)
FU(ux_noext, free(ux[UX_U].ubuf); ux[UX_U].ubuf = NULL; ux[UX_U].ulen = 0)
FU(ux_creds, b->opts = CRFS_UNIX_O_PASSCRED)
FU(ux_big, b->queued = CRFS_UNIX_QUEUE_MAX + 1)
FU(ux_empty_msg, ux_state(&ux[UX_B], b, 2, (const uint32_t[]){ 3, 0 }))
FU(ux_msg_pad, ((struct crfs_unix_msg *)(b + 1))->__pad = 1)
FU(ux_owner_other, ux[UX_U].f.flags |= O_ASYNC;
   ux[UX_U].f.owner_type = CRFS_OWNER_PID; ux[UX_U].f.owner_pid = 4712)
FU(ux_owner_signo, ux[UX_U].f.signo = 65)
FU(ux_cred_pair, b->cred_uid = 1000)
FU(ux_cred_none, a->cred_pid = b->cred_pid = 0)
FU(ux_cred_ids, a->cred_pid = b->cred_pid = 0; a->cred_uid = b->cred_uid = 7)
FU(ux_cred_neg, a->cred_pid = b->cred_pid = -1)
FU(ux_cred_m1, a->cred_gid = b->cred_gid = UINT32_MAX)
FU(ux_cred_other, u->cred_pid = FX_PID + 1)
FU(ux_cred_unconn, u->type = SOCK_DGRAM; u->state = CRFS_UNIX_UNCONN;
   u->backlog = 0; u->opts = 0)

/* The event descriptors and the unix sockets, the epoll watching one
 * once (EPOLLONESHOT) and fired. */
static void forge_ux_oneshot(struct cr_model *m)
{
	ev_add(m);
	ux_add(m);
	ev_epoll_watch(m, NR_UX, EPOLLONESHOT);
	fx_resolve(m);
}

/* An epoll watching the TCP listener one-shot, fired. */
static void forge_in_oneshot(struct cr_model *m)
{
	ev_add(m);
	in_add(m);
	ev_epoll_watch(m, NR_IN, EPOLLONESHOT);
	fx_resolve(m);
}

static const struct forgery forgeries[] = {
	{ "a socket of family AF_UNIX as INET", forge_in_family, "neither AF_INET nor AF_INET6" },
	{ "a TCP socket of protocol UDP", forge_in_proto, "neither a TCP stream nor a UDP" },
	{ "a listening UDP socket",	forge_in_state,	"a state the restore does not make" },
	{ "a listener not bound",	forge_in_unbound, "a listening socket that is not bound" },
	{ "a backlog without listening", forge_in_backlog, "a backlog listen() does not take" },
	{ "an IPv4 address of 6 bytes",	forge_in_v4len,	"an IPv4 address longer than 4 bytes" },
	{ "a peer on a listener",	forge_in_peer,	"a peer address on a socket that is not connected" },
	{ "socket flags bit 2",		forge_in_flags,	"unknown flags" },
	{ "a socket with a path",	forge_in_path,	"not the name of a socket inode" },
	{ "a socket of a regular mode",	forge_in_mode,	"its mode is not a socket's" },
	{ "a socket filter as an option", forge_in_opt_unknown, "an option the restore does not set" },
	{ "IPV6_V6ONLY on an IPv4 socket", forge_in_opt_family, "an option the restore does not set" },
	{ "socket options out of order", forge_in_opt_order, "out of the table's order" },
	{ "TCP_NODELAY of 8 bytes",	forge_in_opt_len, "whose length is not its own" },
	{ "a congestion name without its NUL", forge_in_opt_str, "not one NUL-terminated string" },
	{ "an odd receive buffer",	forge_in_opt_buf, "a buffer size that is not" },
	{ "the state of a connection on a UDP socket", forge_in_conn_udp, "the state of a connection on a socket that is no TCP connection" },
	{ "a TCP connection not bound",	forge_in_conn_unbound, "a TCP connection that is not bound" },
	{ "a window scale of 15",	forge_in_conn_wscale, "a window scale TCP_REPAIR_OPTIONS does not take" },
	{ "an MSS of 20",		forge_in_conn_mss, "an MSS TCP_REPAIR_OPTIONS does not take" },
	{ "TCP options bit 3",		forge_in_conn_opts, "unknown TCP options" },
	{ "a peer gone on a bound socket", forge_in_gone_bound, "a connection whose peer is gone that is not a closed, unbound TCP socket" },
	{ "a peer gone on a UDP socket", forge_in_gone_udp, "a connection whose peer is gone that is not a closed, unbound TCP socket" },
	{ "a peer gone not named",	forge_in_gone_nopeer, "a connection whose peer is gone that is not a closed, unbound TCP socket" },
	{ "a peer gone on a connection", forge_in_gone_conn, "a connection whose peer is gone that is not a closed, unbound TCP socket" },
	{ "a network lock on a listener", forge_in_lock_listen, "a network lock on a socket that is no TCP connection" },
	{ "a network lock on a UDP socket", forge_in_lock_udp, "a network lock on a socket that is no TCP connection" },
	{ "a pipe named after another inode", forge_pp_path, "not pipe:[INO] of its inode" },
	{ "a pipe of a regular mode",	forge_pp_mode,	"mode is not a FIFO's" },
	{ "a pipe end open O_RDWR",	forge_pp_rdwr,	"a pipe end open for reading and writing" },
	{ "a pipe with O_APPEND",	forge_pp_flags,	"status flags it is not made with" },
	{ "a pipe with a position",	forge_pp_pos,	"a position, contents" },
	{ "a pipe of size 0",		forge_pp_size0,	"a pipe size F_SETPIPE_SZ does not give" },
	{ "a pipe of 3 pages",		forge_pp_size3,	"a pipe size F_SETPIPE_SZ does not give" },
	{ "a pipe of 2 GiB",		forge_pp_size_big, "a pipe size F_SETPIPE_SZ does not give" },
	{ "a FIFO with more data than its size", forge_pp_data, "more data than the pipe's size" },
	{ "a pipe with more than 1 MiB of data", forge_pp_data_max, "data_len beyond ext_len or CRFS_PIPE_DATA_MAX" },
	{ "data in a pipe in packet mode", forge_pp_packet, "packet mode" },
	{ "a pipe whose peer is not in the image", forge_pp_peer_none, "names no other pipe" },
	{ "a pipe that is its own peer", forge_pp_peer_self, "names no other pipe" },
	{ "a pipe whose peer names no peer", forge_pp_peer_back, "names another file as its peer" },
	{ "two ends of two pipes",	forge_pp_peer_ino, "disagree on the pipe" },
	{ "two ends of two sizes",	forge_pp_peer_size, "disagree on the pipe" },
	{ "two read ends paired",	forge_pp_peer_same, "the same end" },
	{ "data on both ends of a pipe", forge_pp_data_high, "data on the end of higher id" },
	{ "a FIFO at a relative path",	forge_pp_fifo_rel, "path is not absolute" },
	{ "a FIFO with a peer",		forge_pp_fifo_peer, "a peer_id on a FIFO" },
	{ "a FIFO opened again through /proc", forge_pp_fifo_reopen, "unknown pflags, or a FIFO opened again" },
	{ "a pipe with pflags 2",	forge_pp_pflags, "unknown pflags" },
	{ "data on a description opened again", forge_pp_reopen_data, "a peer_id or data on a description opened again" },
	{ "a description opened again as an end's peer", forge_pp_reopen_peer, "a peer_id or data on a description opened again" },
	{ "a one-shot epoll target on a pipe, fired", forge_pp_oneshot, "a one-shot pipe or FIFO target that fired" },
	{ "a unix socket named another inode", forge_ux_path, "not the name of its socket inode" },
	{ "a unix socket of a regular mode", forge_ux_mode, "mode is not a socket's" },
	{ "a unix socket with O_APPEND", forge_ux_flags, "status flags it is not made with" },
	{ "a unix socket with a position", forge_ux_pos, "a position, data" },
	{ "a unix socket owned by a process of no task", forge_ux_owner_other, "owner 4712 (type 2) is neither the process nor one holding the description" },
	{ "a unix socket with signal 65", forge_ux_owner_signo, "an owner type, owner or signal" },
	{ "a pair whose ends name other ids", forge_ux_cred_pair, "the two ends of a pair name different SO_PEERCRED" },
	{ "a connected pair without SO_PEERCRED", forge_ux_cred_none, "a listening or connected socket without SO_PEERCRED" },
	{ "SO_PEERCRED ids without a pid", forge_ux_cred_ids, "or its ids without a pid" },
	{ "SO_PEERCRED of pid -1", forge_ux_cred_neg, "or a negative pid" },
	{ "SO_PEERCRED of gid -1", forge_ux_cred_m1, "SO_PEERCRED ids of -1" },
	{ "a listener naming another process", forge_ux_cred_other, "SO_PEERCRED names a process other than the one that makes it again" },
	{ "an unconnected socket with SO_PEERCRED", forge_ux_cred_unconn, "SO_PEERCRED on a socket neither listening nor connected" },
	{ "a client not naming its listener's", forge_uc_cred_cli, "is not its listening socket's" },
	{ "a waiting client not naming its listener's", forge_uc_cred_wait, "is not its listening socket's" },
	{ "a waiting client made under other ids than its process's", forge_uc_wait_ids, "whose socket was made under other ids than the euid and egid" },
	{ "an accepted socket naming another process", forge_uc_cred_acc, "SO_PEERCRED names a process other than the one that makes it again" },
	{ "a one-shot epoll target on a unix socket, fired", forge_ux_oneshot, "a one-shot unix socket target that fired" },
	{ "a one-shot epoll target on a TCP socket, fired", forge_in_oneshot, "a one-shot TCP or UDP socket target that fired" },
	{ "a SOCK_RAW unix pair",	forge_ux_type,	"a type socketpair() does not make" },
	{ "a listening datagram socket", forge_ux_listen, "a listening datagram socket" },
	{ "a listening socket without a name", forge_ux_listen_noname, "a listening socket without a name" },
	{ "a backlog of a bound socket", forge_ux_backlog, "a backlog of a socket that is not listening" },
	{ "a unix socket bound to a relative path", forge_ux_rel, "not absolute and NUL-terminated" },
	{ "a unix path name without its NUL", forge_ux_nonul, "not absolute and NUL-terminated" },
	{ "a unix path name without its socket file", forge_ux_nofile, "a path name without its socket file" },
	{ "an abstract name with a socket file", forge_ux_file_abstract, "a socket file without a path name" },
	{ "a connected unix socket with a name", forge_ux_conn_named, "a name of a connected socket" },
	{ "a unix socket in state 9",	forge_ux_state,	"an unknown state" },
	{ "a unix socket shut down with bit 4", forge_ux_shut, "unknown shutdown or option bits" },
	{ "unix flags bit 6",		forge_ux_uflags, "unknown flags, padding" },
	{ "a reset without a closed peer", forge_ux_reset_alone, "unknown flags, padding" },
	{ "a peer outside without a closed peer", forge_ux_outside_alone, "unknown flags, padding" },
	{ "a reconnection of a listening socket", forge_ux_again_listen, "a name to connect to again on a socket that is not an unconnected datagram socket" },
	{ "a reconnection with a queue", forge_ux_again_queue, "a name to connect to again on a socket that is not an unconnected datagram socket without a queue" },
	{ "a reconnection with a socket file", forge_ux_again_file, "a socket file without a path name" },
	{ "a peer outside of a listening socket", forge_ux_outside_unconn, "a closed peer of a socket that is not connected" },
	{ "a peer outside that is still a peer", forge_ux_outside_peer, "a closed peer of a datagram socket, or with a peer" },
	{ "a closed peer of a listening socket", forge_ux_closed_unconn, "a closed peer of a socket that is not connected" },
	{ "a closed peer of a datagram socket", forge_ux_closed_dgram, "a closed peer of a datagram socket" },
	{ "a closed peer, not shut down both ways", forge_ux_closed_shut, "not shut down both ways" },
	{ "data queued on an unconnected unix socket", forge_ux_unconn_msg, "messages queued on a socket that is neither connected nor a bound datagram socket" },
	{ "a unix peek offset -2",	forge_ux_peek,	"a peek offset or buffer size" },
	{ "a unix timeout of 2^63 ns",	forge_ux_timeo,	"a timeout beyond a struct timeval" },
	{ "an unconnected unix socket with a peer", forge_ux_unconn_peer, "a peer of an unconnected socket" },
	{ "a unix peer not in the image", forge_ux_nopeer, "names no other unix socket" },
	{ "a unix socket its own peer",	forge_ux_selfpeer, "names no other unix socket" },
	{ "a unix peer of another inode", forge_ux_peer_ino, "not connected to it, or of another type" },
	{ "a unix pair of two types",	forge_ux_peer_type, "not connected to it, or of another type" },
	{ "unix queued bytes not the messages'", forge_ux_queued, "not queued bytes long" },
	{ "a unix message beyond ext_len", forge_ux_short, "beyond ext_len" },
	{ "a unix socket without its state", forge_ux_noext, "shorter than a unix socket's state" },
	{ "a unix socket both accepted and waiting", forge_uc_both, "both accepted and waiting" },
	{ "an accepted unix socket not of its listener's name", forge_uc_name, "without its listener's name" },
	{ "an accepted unix socket whose listener is not listening", forge_uc_nolisten, "names no listening unix socket" },
	{ "a waiting unix socket of another listener inode", forge_uc_lino, "names no listening unix socket" },
	{ "a waiting unix socket at place 0", forge_uc_seq0, "without a place in the backlog" },
	{ "a waiting unix socket beyond its backlog", forge_uc_seqbig, "without a place in the backlog" },
	{ "an accepted unix socket with a place in the backlog", forge_uc_acc_seq, "with a place in its backlog" },
	{ "a waiting unix socket with a peer", forge_uc_wait_named, "with a name, a peer" },
	{ "a waiting unix socket shut down", forge_uc_wait_shut, "with a name, a peer, a queue or a shutdown" },
	{ "two waiting unix sockets at one place", forge_uc_dup, "two waiting connections at one place" },
	{ "an accepted datagram socket", forge_uc_dgram, "not a connected stream or seqpacket socket" },
	{ "a waiting unix socket without its listener", forge_uc_notrailer, "not ext_len bytes" },
	{ "an accepted unix socket whose peer has a name", forge_uc_peer_named, "whose peer has a name or flags" },
	{ "a unix queue with SO_PASSCRED", forge_ux_creds, "with SO_PASSCRED or SO_PASSSEC on" },
	{ "a unix queue beyond CRFS_UNIX_QUEUE_MAX", forge_ux_big, "not queued bytes long" },
	{ "an empty queued datagram",	forge_ux_empty_msg, "an empty queued message" },
	{ "a queued message with padding", forge_ux_msg_pad, "an empty queued message, or padding" },
	{ "an eventfd counter of 2^64 - 1", forge_ev_count, "counter of 2^64 - 1" },
	{ "an eventfd semaphore 2",	forge_ev_sem,	"semaphore neither 0 nor 1" },
	{ "an eventfd with a path",	forge_ev_path,	"not the name of its anonymous inode" },
	{ "an eventfd of a regular mode", forge_ev_mode, "mode is not the anonymous inode's" },
	{ "an eventfd with O_APPEND",	forge_ev_flags,	"status flags it is not made with" },
	{ "a signalfd open O_WRONLY",	forge_ev_wronly, "status flags it is not made with" },
	{ "an eventfd with a position",	forge_ev_pos,	"a position, data" },
	{ "a signalfd for SIGKILL",	forge_ev_sigkill, "SIGKILL or SIGSTOP" },
	{ "a timerfd on CLOCK_MONOTONIC_RAW", forge_ev_clock, "a clock timerfd_create() does not take" },
	{ "a timerfd with settime flags 4", forge_ev_tflags, "unknown settime flags" },
	{ "a monotonic timerfd cancelled on a clock set", forge_ev_cancel, "TFD_TIMER_CANCEL_ON_SET without" },
	{ "a timerfd 2^63 ns ahead",	forge_ev_tvalue, "a time timerfd_settime() does not take" },
	{ "epoll targets not ascending", forge_ev_order, "not ascending" },
	{ "epoll events bit 20",	forge_ev_events, "events epoll_ctl() does not take" },
	{ "EPOLLEXCLUSIVE with EPOLLPRI", forge_ev_excl, "events epoll_ctl() does not take" },
	{ "an epoll instance watching itself", forge_ev_self, "no other file" },
	{ "an epoll watching a regular file", forge_ev_kind, "a kind epoll does not watch" },
	{ "an epoll target not in the image", forge_ev_none, "no other file" },
	{ "an epoll target at another descriptor", forge_ev_closed, "fd 13: epoll target fd 12 is not a descriptor of file 10" },
	{ "an epoll target reached through another fd, its own open", forge_ev_via_open, "fd 13: epoll target fd 10 reached through fd 11, but the process has fd 10" },
	{ "an epoll target closed, reached through another file's fd", forge_ev_via_file, "fd 13: epoll target fd 10 is not a descriptor of file 10 in" },
	{ "epoll targets of one number not ascending by via", forge_ev_via_order, "not ascending" },
	{ "an inotify instance open O_RDWR", forge_in_rdwr, "status flags it is not made with" },
	{ "an inotify wd 0",		forge_in_order,	"not ascending from 1" },
	{ "an inotify watch at a relative path", forge_in_rel, "path is not absolute" },
	{ "an inotify watch without events", forge_in_mask, "a watch mask inotify_add_watch() does not take" },
	{ "an inotify watch with IN_MASK_ADD", forge_in_mask2, "a watch mask inotify_add_watch() does not take" },
	{ "an inotify watch of a FILE that is no deleted file", forge_in_via, "a watch of a FILE that is no deleted file" },
	{ "an inotify watch of a deleted file of another inode", forge_in_via_ino, "a watch of a FILE that is no deleted file" },
	{ "an inotify watch of a memfd by its FILE", forge_in_via_memfd, "a watch of a FILE that is no deleted file" },
	{ "an inotify watch of a deleted file for IN_OPEN", forge_in_via_open, "for IN_OPEN, IN_ACCESS or IN_CLOSE_NOWRITE" },
	{ "a terminal of type 4",	forge_ty_type,	"neither master, slave nor the shell's" },
	{ "a pseudo-terminal index of CRFS_TTY_MAX", forge_ty_index, "index of CRFS_TTY_MAX" },
	{ "a slave at another /dev/pts/N", forge_ty_path, "not /dev/ptmx (a master) or /dev/pts/INDEX" },
	{ "a master at /dev/tty",	forge_ty_mpath,	"not /dev/ptmx (a master) or /dev/pts/INDEX" },
	{ "a slave of another device",	forge_ty_rdev,	"not the character device of its side" },
	{ "a master of a regular mode", forge_ty_mode, "not the character device of its side" },
	{ "a slave with O_ASYNC",	forge_ty_flags,	"status flags a restore cannot open it with" },
	{ "a master with a position",	forge_ty_pos,	"a position, data, seals or flags of a terminal" },
	{ "a master in line discipline 2", forge_ty_line, "line discipline other than N_TTY" },
	{ "a slave in packet mode",	forge_ty_pkt,	"packet mode on a slave" },
	{ "a master exclusive 2",	forge_ty_excl,	"not 0 or 1" },
	{ "a foreground group without a session", forge_ty_pgrp_nosid, "a foreground group without a session" },
	{ "a terminal of a session not led in the image", forge_ty_sid, "its session has no leader among the processes" },
	{ "a foreground group not of its session", forge_ty_pgrp, "no process group of its session" },
	{ "a pair of two window sizes",	forge_ty_winsize, "a window size, lock, session or foreground group other" },
	{ "a pair locked on one side only", forge_ty_lock, "a window size, lock, session or foreground group other" },
	{ "a slave whose termios is not its side's", forge_ty_termios, "termios or exclusive mode other" },
	{ "a slave without its master",	forge_ty_nomaster, "a slave without its master" },
	{ "two masters of one index",	forge_ty_master2, "a second master of its index" },
	{ "a master without its slave",	forge_ty_noslave, "a master without its slave" },
	{ "/dev/tty of a session without a terminal", forge_ty_devtty, "fd 22: /dev/tty, but its session 4711 has no controlling terminal" },
	{ "an epoll with a fired one-shot terminal target", forge_ty_epoll, "a one-shot terminal target that fired" },
	{ "a queue in a slave's file",	forge_ty_q_slave, "data queued in a terminal file other than its master" },
	{ "a queue in a pair in packet mode", forge_ty_q_pkt, "data queued in a pair in packet mode" },
	{ "a queue beyond CRFS_TTY_QUEUE_MAX", forge_ty_q_big, "beyond CRFS_TTY_QUEUE_MAX" },
	{ "a queue with flags",		forge_ty_q_flags, "flags or reserved not 0" },
	{ "an empty queue",		forge_ty_q_empty, "lengths are 0" },
	{ "input queued without a slave", forge_ty_q_noslave, "input queued in a pair without its slave" },
	{ "a shell's terminal with termios", forge_ty_shell_state, "state in a terminal outside the container" },
	{ "a shell's terminal and a pair of one index", forge_ty_shell_pair, "both outside the container (a shell job) and a pair" },
};

/* Event descriptors, each kind. */
static void ok_events(struct cr_model *m)
{
	ev_add(m);
}

/* The first inotify watch of a deleted file: F_DATA. */
static void ok_inotify_deleted(struct cr_model *m)
{
	ev_add(m);
	in_via_data(m, 0);
}

/* The second epoll target's descriptor closed: fd 40, reached by fd 11. */
static void ok_epoll_closed(struct cr_model *m)
{
	ev_add(m);
	m->files[m->nr_files - NR_EV + EV_EP].tfds[1].fd = 40;
	m->files[m->nr_files - NR_EV + EV_EP].tfds[1].via = 1 + 11;
}

/* A TCP listener and a connected UDP socket. */
static void ok_sockets(struct cr_model *m)
{
	in_add(m);
}

/* Pipes, a FIFO and an epoll watching a pipe. */
static void ok_pipes(struct cr_model *m)
{
	ev_add(m);
	pp_add(m);
	ev_epoll_watch(m, NR_PP, EPOLLIN | EPOLLONESHOT);
	fx_resolve(m);
}

/* A pseudo-terminal pair as the process's terminal. */
static void ok_tty(struct cr_model *m)
{
	tty_add(m);
}

/* Data queued both ways, in the master's file. */
static void ok_tty_queue(struct cr_model *m)
{
	tty_add(m);
	m->files[m->nr_files - NR_TY + TY_M].ev.tty.pkt = 0;
	tty_queue(&m->files[m->nr_files - NR_TY + TY_M], 5, 3, 0);
}

/* Its slave closed (no /dev/tty either): still its terminal. */
static void ok_tty_master(struct cr_model *m)
{
	tty_add(m);
	m->fdts[0].nr_fds -= 2;
	m->nr_files -= 2;
	free(m->files[m->nr_files].path);
	free(m->files[m->nr_files + 1].path);
	fx_resolve(m);
}

/* Unix sockets: a pair with a queue, and one alone. */
static void ok_unix(struct cr_model *m)
{
	ux_add(m);
}

/* O_ASYNC and an owner on the listener, epoll watching the pair. */
static void ok_unix_owner(struct cr_model *m)
{
	struct cr_file *ux;

	ev_add(m);
	ux_add(m);
	ux = &m->files[m->nr_files - NR_UX];
	ux[UX_U].f.flags |= O_ASYNC;
	ux[UX_U].f.owner_type = CRFS_OWNER_PID;
	ux[UX_U].f.owner_pid = FX_PID;
	ux[UX_U].f.signo = SIGIO;
	ev_epoll_watch(m, NR_UX, EPOLLIN | EPOLLONESHOT);
	fx_resolve(m);
}

/* A valid variant of the process: what it adds, as its checks say it. */
static const struct {
	const char	*what;
	void		(*add)(struct cr_model *m);
	bool		image_only;	/* not cr_img_check_model() first */
} variants[] = {
	{ "a process with an eventfd, a signalfd, a timerfd, an epoll "
	  "instance and an inotify instance", ok_events },
	{ "an inotify watch of a deleted file, by the FILE carrying it,",
	  ok_inotify_deleted },
	{ "an epoll target whose descriptor was closed, reached through "
	  "another descriptor of its description,", ok_epoll_closed },
	{ "a process with a TCP listener and a connected UDP socket",
	  ok_sockets },
	{ "a process with a pipe and its data, a FIFO and its data, a pipe "
	  "opened again and an epoll watching a pipe", ok_pipes },
	{ "a process with a datagram pair, two datagrams queued, and a "
	  "socket listening on an abstract name", ok_unix },
	{ "with O_ASYNC, an owner and a signal on the listener and an epoll "
	  "watching the pair, it", ok_unix_owner },
	{ "a process with a listener, a connection it accepted and one "
	  "waiting", ux_conn_add },
	{ "with a pseudo-terminal pair as its controlling terminal and "
	  "/dev/tty, it", ok_tty, true },
	{ "with data queued both ways in its pair, it", ok_tty_queue, true },
	{ "with a master alone whose pair is its session's terminal, it",
	  ok_tty_master, true },
};
#define NR_VARIANTS	(sizeof(variants) / sizeof(variants[0]))

/*
 * Each variant passes cr_img_check_model() ("WHAT passes ...") and its
 * image both readers ("its image passes ..."), or (image_only) its image
 * both readers ("WHAT passes ...").
 */
static void test_variants(const struct crfs_image_hdr *h)
{
	for (size_t i = 0; i < NR_VARIANTS; i++) {
		struct cr_err e = { 0 };
		struct cr_model m;
		int ret;

		fx_model(&m, h);
		variants[i].add(&m);
		if (variants[i].image_only) {
			image_passes(h, &m, variants[i].what);
			cr_model_free(&m);
			continue;
		}
		ret = cr_img_check_model(h, &m, &e);
		ok(!ret, "%s passes cr_img_check_model()%s%s", variants[i].what,
		   ret ? ": " : "", e.msg);
		image_passes(h, &m, "its image");
		cr_model_free(&m);
	}
}

/* A rule's reason @why (NULL: none) says @want, and @cond: the check @what. */
static void why_says(bool cond, const char *why, const char *want,
		     const char *what)
{
	ok(cond && why && strstr(why, want), "%s: %s", what,
	   why ? why : "(none)");
}

/* No rule gave a reason @why, and @cond: the check @what. */
static void why_none(bool cond, const char *why, const char *what)
{
	ok(cond && !why, "%s%s%s", what, why ? ": " : "", why ? why : "");
}

/*
 * A second process, pid @pid, alive, holding the @n files @f at fds 3 on,
 * in a table of its own (@fdt, @fds: not written); the first process's
 * descriptors of @f become @to's.  Return: the second process.
 */
static struct cr_task *ux_second(struct cr_model *m, uint32_t pid,
				 struct cr_fdtable *fdt, struct cr_fd *fds,
				 uint32_t n, struct cr_file *const *f,
				 const struct cr_file *to)
{
	struct cr_fdtable *first = m->tasks[0].fdt;
	struct cr_task *t2;
	int err;

	t2 = cr_model_new_task(m, &err);
	memset(t2, 0, sizeof(*t2));
	t2->t.state = CRFS_TASK_ALIVE;
	t2->t.pid = pid;
	t2->fdt = fdt;
	fdt->fds = fds;
	fdt->nr_fds = n;
	for (uint32_t k = 0; k < n; k++)
		fds[k] = (struct cr_fd){ .d = { .fd = 3 + k,
						.file_id = f[k]->f.id },
					 .file = f[k] };
	for (uint32_t i = 0; i < first->nr_fds; i++)
		for (uint32_t k = 0; k < n; k++)
			if (first->fds[i].d.file_id == f[k]->f.id) {
				first->fds[i].d.file_id = to->f.id;
				break;
			}
	return t2;
}

/*
 * A datagram pair moved to a second process alone (with a table of its
 * own, not written): SO_PEERCRED naming the first (before it) makes the
 * first its maker, naming the second the second, naming no process of
 * the image the second, and the rule refuses that.
 */
static void test_unix_cred_maker(const struct crfs_image_hdr *h)
{
	struct cr_model m;
	struct cr_fdtable fdt = { 0 };
	struct cr_fd fds[2];
	struct cr_file *a, *b, *l;
	const char *why;
	uint32_t dup;

	fx_model(&m, h);
	ux_add(&m);
	a = &m.files[m.nr_files - NR_UX + UX_A];
	b = &m.files[m.nr_files - NR_UX + UX_B];
	l = &m.files[m.nr_files - NR_UX + UX_U];
	/* The first process's descriptors of the pair: the listener's. */
	ux_second(&m, FX_PID + 1, &fdt, fds, 2, (struct cr_file *[]){ a, b }, l);
	cr_model_index(&m, CR_K_TASK, &dup);
	why = cr_unix_cred_why(&m, a);
	why_none(cr_unix_maker(&m, a) == 0 && cr_unix_maker(&m, b) == 0, why,
		 "a pair the first process made, the second holds alone: made "
		 "by the first");
	((struct crfs_file_unix *)a->ubuf)->cred_pid = FX_PID + 1;
	((struct crfs_file_unix *)b->ubuf)->cred_pid = FX_PID + 1;
	why = cr_unix_cred_why(&m, a);
	why_none(cr_unix_maker(&m, a) == 1, why, "naming the second: made by it");
	((struct crfs_file_unix *)a->ubuf)->cred_pid = FX_PID + 9;
	((struct crfs_file_unix *)b->ubuf)->cred_pid = FX_PID + 9;
	why = cr_unix_cred_why(&m, a);
	why_says(cr_unix_maker(&m, a) == 1, why,
		 "names a process other than the one that makes it",
		 "naming no process of the image: refused");
	m.nr_tasks--;
	cr_model_free(&m);
}

/*
 * A listener and its waiting connection split between two processes (the
 * second with a table of its own, not written): the listener in the
 * second, the connection in the first cannot be made (the second comes
 * after); the other way round it is refused too (the process that
 * connect()ed it is not known), an accepted one's client not.
 */
static void test_unix_maker(const struct crfs_image_hdr *h)
{
	struct cr_model m;
	struct cr_fdtable fdt = { 0 };
	struct cr_fd fds[1];
	struct cr_file *w, *l;
	const char *why;

	fx_model(&m, h);
	ux_conn_add(&m);
	w = &m.files[m.nr_files - NR_UXC + UX_WAIT];
	l = cr_model_file(&m, cr_unix_conn_of(w)->listen_id);
	/* The first process's descriptor of the listener: the waiting one. */
	ux_second(&m, 0, &fdt, fds, 1, (struct cr_file *[]){ l }, w);
	why = cr_unix_maker_why(&m, w);
	why_says(true, why, "held by a process before the first one holding "
		 "its listening socket", "a connection waiting for a listener "
		 "of a later process is refused");
	/* The listener back in the first, the waiting one in the second. */
	for (uint32_t i = 0, n = 0; i < m.tasks[0].fdt->nr_fds; i++)
		if (m.tasks[0].fdt->fds[i].d.file_id == w->f.id)
			m.tasks[0].fdt->fds[i].d.file_id = n++ ? w[-1].f.id :
							   l->f.id;
	fds[0].d.file_id = w->f.id;
	why = cr_unix_maker_why(&m, w);
	why_says(true, why, "a connection waiting in its backlog held by "
		 "another process than the first one holding the listener",
		 "held by a process after the listener's first, a waiting one "
		 "is refused (its connect()er unknown)");
	/* The accepted one's client there too: made by the first, passed. */
	fds[0].d.file_id = w[-1].f.id;
	why = cr_unix_maker_why(&m, &w[-1]);
	why_none(true, why, "held by a process after the listener's first, an "
		 "accepted connection's client is made by that one and passed");
	m.nr_tasks--;
	cr_model_free(&m);
}

/*
 * A connection the first process accepted from the second's connect()
 * (SO_PEERCRED of the accepted end names the second, which holds the
 * client alone, with a table of its own, not written): made again by a
 * connect() in the second, accept()ed by the first (cr_unix_xconn(),
 * cr_unix_maker()); refused while the listener has a connection waiting,
 * or a second such connection and a backlog of 0, the client was closed,
 * the first holds the client too, the second shares the first's table,
 * or the second is a zombie.
 */
static void test_unix_xconn(const struct crfs_image_hdr *h)
{
	struct cr_model m;
	struct cr_fdtable fdt = { 0 };
	struct cr_fd fds[1];
	struct cr_file *a, *c, *l;
	struct crfs_file_unix *au, *wu;
	struct crfs_unix_conn *cw;
	struct cr_task *t2;
	const char *why;
	uint32_t dup, j = 0;

	fx_model(&m, h);
	ux_conn_add(&m);
	a = &m.files[m.nr_files - NR_UXC + UX_ACC];
	c = &m.files[m.nr_files - NR_UXC + UX_CLI];
	au = a->ubuf;
	cw = cr_unix_conn_of(&m.files[m.nr_files - NR_UXC + UX_WAIT]);
	l = cr_model_file(&m, cw->listen_id);
	/* The first process's descriptor of the client (j): the listener's. */
	for (uint32_t i = 0; i < m.tasks[0].fdt->nr_fds; i++)
		if (m.tasks[0].fdt->fds[i].d.file_id == c->f.id)
			j = i;
	t2 = ux_second(&m, FX_PID + 1, &fdt, fds, 1, (struct cr_file *[]){ c }, l);
	cr_model_index(&m, CR_K_TASK, &dup);
	au->cred_pid = FX_PID + 1;
	au->cred_uid = 4242;
	au->cred_gid = 4343;
	why = cr_unix_maker_why(&m, a);
	why_says(true, why, "which has connections waiting in its backlog",
		 "accepted from the second's connect(), its listener with a "
		 "connection waiting: refused");
	cw->listen_id = 0;	/* no longer the listener's */
	why = cr_unix_maker_why(&m, a) ?: cr_unix_cred_why(&m, a) ?:
	      cr_unix_cred_why(&m, c);
	why_none(cr_unix_xconn(&m, a) == 1 && cr_unix_maker(&m, a) == 1 &&
		 cr_unix_maker(&m, c) == 0, why, "accepted from the second's "
		 "connect(): the second connect()s again, the first accept()s");
	/* A second one on the listener, whose backlog takes one at once. */
	cw->listen_id = l->f.id;
	wu = m.files[m.nr_files - NR_UXC + UX_WAIT].ubuf;
	wu->flags = CRFS_UNIX_F_ACCEPTED;
	wu->cred_pid = FX_PID + 1;
	((struct crfs_file_unix *)l->ubuf)->backlog = 0;
	why = cr_unix_maker_why(&m, a);
	why_says(true, why, "than its backlog holds at once", "two accepted "
		 "from the second's connect()s, a backlog of 0: refused");
	cw->listen_id = 0;
	au->flags |= CRFS_UNIX_F_PEER_CLOSED;
	why = cr_unix_maker_why(&m, a);
	why_says(true, why, "its client closed since",
		 "its client closed: refused");
	au->flags &= ~CRFS_UNIX_F_PEER_CLOSED;
	m.tasks[0].fdt->fds[j].d.file_id = c->f.id;
	why = cr_unix_maker_why(&m, a);
	why_says(true, why, "its client is held first by another process than "
		 "the one that connect()ed it",
		 "its client held by the first too: refused");
	/* One table for both, the client in it. */
	t2->fdt = m.tasks[0].fdt;
	why = cr_unix_maker_why(&m, a);
	why_says(true, why, "shares its descriptor table",
		 "the second sharing the first's table: refused");
	t2->fdt = &fdt;
	m.tasks[0].fdt->fds[j].d.file_id = l->f.id;
	t2->t.state = CRFS_TASK_ZOMBIE;
	why = cr_unix_cred_why(&m, a);
	why_says(cr_unix_xconn(&m, a) < 0, why,
		 "names a process other than the one that makes it",
		 "the second a zombie: refused");
	m.nr_tasks--;
	cr_model_free(&m);
}

#define NR_FORGERIES	(sizeof(forgeries) / sizeof(forgeries[0]))

/* The checks: the variants' (two each, one an image_only one), the
 * makers of unix sockets 3 + 7 + 3, the forgeries. */
static int tap_plan(void)
{
	int n = 3 + 7 + 3 + NR_FORGERIES;

	for (size_t i = 0; i < NR_VARIANTS; i++)
		n += variants[i].image_only ? 1 : 2;
	return n;
}

int main(void)
{
	struct crfs_image_hdr h;
	int plan = tap_plan();

	signal(SIGPIPE, SIG_IGN);
	cr_img_fill_hdr(&h);
	h.nr_tasks = 1;
	printf("1..%d\n", plan);
	test_variants(&h);
	test_unix_maker(&h);
	test_unix_xconn(&h);
	test_unix_cred_maker(&h);
	run_forgeries(&h, forgeries, NR_FORGERIES);
	if (tap_nr != plan)
		ok(0, "planned %d tests, ran %d", plan, tap_nr);
	return tap_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
