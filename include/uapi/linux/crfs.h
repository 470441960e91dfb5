/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * crfs image format, version 4.
 *
 * One definition for the kernel filesystem and for userspace (the kernel
 * build copies this file into its tree).  An image is a stream: a fixed
 * header, then tagged, length-framed records, then a trailer record.  It
 * is written and read strictly in order.
 *
 * Version 3 (and 4, which adds pipes, sockets, terminals and a child's
 * parent thread) describes a container as an inventory of objects with ids and
 * the references between them, as the kernel shares them: file
 * descriptions, fd tables, fs state, signal handler tables, address
 * spaces (mm), shared memory objects, processes, threads.  Objects come
 * before what refers to them; the page data of every address space and
 * memory object comes after all objects, grouped by owner, so that a
 * restorer can build the whole tree before it consumes a page.  See
 * Documentation/crfs/image-format.rst and Documentation/crfs/engine.rst.
 *
 * Rules: all integers little-endian; every record starts with a struct
 * crfs_rec_hdr at a stream offset that is a multiple of 8, and its
 * payload length is a multiple of 8 (strings are padded with NULs); every
 * __pad and __reserved field is zero; every fixed part is a multiple of 8
 * bytes.  The crc of a record covers its header (crc = 0) and payload.
 * Ids are > 0 and unique within their kind; 0 means "none".
 */
#ifndef _UAPI_LINUX_CRFS_H
#define _UAPI_LINUX_CRFS_H

#include <linux/types.h>

#define CRFS_IMAGE_MAGIC	"CRFSIMG\0"	/* 8 bytes */
#define CRFS_IMAGE_MAGIC_LEN	8
#define CRFS_IMAGE_VERSION	5

/* Values of crfs_image_hdr.arch: the audit architecture numbers. */
#define CRFS_ARCH_X86_64	0xc000003eU

/* crfs_image_hdr.features: what the writer put into the image. */
#define CRFS_FEAT_XSTATE	(1ULL << 0)	/* XSAVE areas present */
#define CRFS_FEAT_PIDNS		(1ULL << 1)	/* a pid namespace of its own:
						 * every pid is as it sees it,
						 * the first process is pid 1 */
#define CRFS_FEAT_KNOWN		(CRFS_FEAT_XSTATE | CRFS_FEAT_PIDNS)

#define CRFS_RELEASE_LEN	65	/* like __NEW_UTS_LEN + 1 */
#define CRFS_ID_LEN		16	/* an image id: 128 random bits */

/* The first bytes of every image, exactly sizeof(struct crfs_image_hdr). */
struct crfs_image_hdr {
	char	magic[CRFS_IMAGE_MAGIC_LEN];
	__u32	version;		/* CRFS_IMAGE_VERSION */
	__u32	hdr_size;		/* sizeof(struct crfs_image_hdr) */
	__u32	arch;			/* CRFS_ARCH_* */
	__u32	page_size;		/* bytes */
	__u64	features;		/* CRFS_FEAT_* */
	__u64	xfeatures;		/* XCR0 of the dumping machine */
	__u32	xstate_size;		/* bytes of each XSAVE area */
	__u32	nr_tasks;		/* processes (TASK records) */
	__u64	time_ns;		/* CLOCK_REALTIME at dump (informative) */
	__u8	image_id[CRFS_ID_LEN];	/* this image */
	__u8	parent_id[CRFS_ID_LEN];	/* all zero: none (pre-dump, later) */
	char	release[CRFS_RELEASE_LEN];	/* uname -r of the dumper */
	char	machine[CRFS_RELEASE_LEN];	/* uname -m */
	__u8	__pad[2];
	__u32	crc;			/* crc32c of this struct, crc = 0 */
};

/* Every record begins with this, at a stream offset multiple of 8. */
struct crfs_rec_hdr {
	__u32	type;			/* CRFS_REC_* */
	__u32	crc;			/* crc32c of header (crc = 0) + payload */
	__u64	len;			/* payload bytes, a multiple of 8 */
};

/*
 * Limits every reader enforces (and every writer respects).  A record
 * longer than CRFS_REC_MAX_LEN is refused before it is read.
 */
#define CRFS_PAGES_PER_REC	256
#define CRFS_REC_MAX_LEN	(CRFS_PAGES_PER_REC * 4096 + 2 * 4096)
#define CRFS_PATH_MAX		4096	/* with the NUL */
#define CRFS_COMM_LEN		16
#define CRFS_MAX_TASKS		32768	/* processes in one image */
#define CRFS_MAX_THREADS	65536	/* threads in one image */
#define CRFS_MAX_OBJECTS	(1U << 22)	/* objects of one kind */
#define CRFS_MAX_GROUPS		65536	/* supplementary groups */
#define CRFS_MAX_BPF_INSNS	4096	/* BPF_MAXINSNS */
#define CRFS_MAX_TIMERS		4096	/* POSIX timers of one process */
#define CRFS_MAX_EPOLL_TFDS	4096	/* targets of one epoll instance */
#define CRFS_MAX_INOTIFY_WDS	4096	/* watches of one inotify instance */

/*
 * Record types, in stream order.  Objects come before what refers to
 * them: FILE, SHMEM, MM (then its VMAs), FDTABLE (then its FDs), LOCK
 * (it names a FILE and, for a POSIX lock, its owner's FDTABLE), FS,
 * SIGHAND; then for each process TASK, CREDS, SIGPENDING* (its shared
 * queue), then for each of its threads THREAD, SECCOMP* (its filters),
 * SIGPENDING* (its own queue), its arch records (registers, XSAVE); then
 * the process's TIMERs (a timer may name one of its threads).  Then the
 * data: FILE_DATA* (contents of files kept in the image, by file),
 * PAGES* (by address space, then by memory object).  Last, END.
 *
 * Types from CRFS_REC_ARCH_BASE up are architecture-specific: their
 * layout is the one of crfs_image_hdr.arch.
 */
enum crfs_rec_type {
	CRFS_REC_FILE = 1,
	CRFS_REC_SHMEM,
	CRFS_REC_MM,
	CRFS_REC_VMA,
	CRFS_REC_FDTABLE,
	CRFS_REC_FD,
	CRFS_REC_LOCK,
	CRFS_REC_FS,
	CRFS_REC_SIGHAND,
	CRFS_REC_TASK,
	CRFS_REC_CREDS,
	CRFS_REC_SIGPENDING,
	CRFS_REC_THREAD,
	CRFS_REC_SECCOMP,
	CRFS_REC_TIMER,
	CRFS_REC_FILE_DATA,
	CRFS_REC_PAGES,
	CRFS_REC_END,
	/* after END: their numbers came later (the stream order is rank) */
	CRFS_REC_IPCNS,
	CRFS_REC_IPC,
	CRFS_REC_IPC_DATA,
	CRFS_REC_NR,
	/* architecture-specific */
	CRFS_REC_ARCH_BASE = 0x1000,
	CRFS_REC_X86_REGS = CRFS_REC_ARCH_BASE,	/* struct crfs_x86_regs */
	CRFS_REC_X86_XSTATE,			/* struct crfs_x86_xstate */
	CRFS_REC_ARCH_END,
};

/* ---------------------------------------------------------------- files */

/* crfs_file.kind: what a file description is. */
enum crfs_file_kind {
	CRFS_FILE_REG = 1,	/* a regular file, reopened by path */
	CRFS_FILE_DIR,		/* a directory, reopened by path */
	CRFS_FILE_CHR,		/* /dev/null, zero, full, [u]random */
	CRFS_FILE_MEMFD,	/* a memfd: contents in the image */
	CRFS_FILE_UNLINKED,	/* a deleted or O_TMPFILE regular file:
				 * contents in the image */
	/* Reserved for later object kinds (pipes, sockets). */
	CRFS_FILE_PIPE,
	CRFS_FILE_FIFO,
	CRFS_FILE_UNIX,
	CRFS_FILE_INET,
	/* Event descriptors, made anew: their state after the path. */
	CRFS_FILE_EVENTFD,
	CRFS_FILE_EPOLL,
	CRFS_FILE_SIGNALFD,
	CRFS_FILE_TIMERFD,
	CRFS_FILE_INOTIFY,
	/* Reserved for later (terminals). */
	CRFS_FILE_TTY,
	CRFS_FILE_ANON_SHMEM,	/* the file of shared anonymous memory
				 * ("/dev/zero (deleted)", from map_files),
				 * mapped no more: contents in the image */
	CRFS_FILE_NR
};

/*
 * CRFS_REC_FILE: one open file description (struct file), shared by every
 * descriptor, mapping, cwd or root that refers to its id.  The identity
 * is what a restore checks on the descriptor it opens (fstat): dev, ino,
 * type; size and mtime for REG; rdev for CHR.  MEMFD and UNLINKED carry
 * their contents in FILE_DATA records (data_size bytes in all).  Then
 * path_len bytes of NUL-terminated path (padded to 8): the absolute path
 * for REG, DIR, CHR and UNLINKED (where it was), the memfd's name for
 * MEMFD ("memfd:NAME" as /proc shows it).  flags are the description's
 * (fdinfo), without O_CLOEXEC, which belongs to a descriptor; those of a
 * mapped file are its open mode as /proc/PID/map_files shows it; a cwd
 * or a root, which is no open file, has O_PATH | O_DIRECTORY.
 *
 * A file reopened by path (REG, DIR, CHR) is opened at restore with the
 * process's own credentials, unless CRFS_FILE_F_PRIV says the checkpoint
 * found that the process could not have opened it itself (it had it
 * through privilege: opened as root before it dropped it); only then is
 * it opened as the restorer.
 *
 * MEMFD, UNLINKED and ANON_SHMEM files are made anew by the restorer, one
 * per inode (the descriptions of one inode name the same data_id; only
 * that FILE has data_size and FILE_DATA records), owned by uid and gid,
 * with mode and size, then seals: a memfd by memfd_create() with the name
 * after "memfd:", a deleted file as an O_TMPFILE in the directory of path
 * (its path without " (deleted)") on the filesystem dev, linked nowhere,
 * an ANON_SHMEM (path "/dev/zero") as the file of a shared anonymous
 * mapping, unmapped.  The
 * data of one inode are at most CRFS_FILE_DATA_MAX bytes; size may be
 * larger (holes are not in the image).
 */
#define CRFS_FILE_F_PRIV	(1U << 0)	/* open as the restorer */
#define CRFS_FILE_DATA_MAX	(1ULL << 30)	/* FILE_DATA bytes of a file */
struct crfs_file {
	__u32	id;
	__u32	kind;			/* enum crfs_file_kind */
	__u32	flags;			/* O_* status and access flags */
	__u32	mode;			/* st_mode */
	__u64	pos;			/* file offset */
	__u64	dev, ino, rdev;		/* st_dev, st_ino, st_rdev */
	__u64	size;			/* st_size */
	__s64	mtime_ns;		/* st_mtim in ns since the epoch */
	__u64	data_size;		/* MEMFD, UNLINKED: bytes of FILE_DATA */
	__u32	seals;			/* MEMFD: F_GET_SEALS */
	__u32	path_len;		/* with the NUL, before padding */
	__u32	cflags;			/* CRFS_FILE_F_* */
	__u32	uid, gid;		/* st_uid, st_gid */
	__u32	data_id;		/* MEMFD, UNLINKED: the FILE carrying
					 * the contents of its inode: itself,
					 * or an earlier one; else 0 */
	__u32	owner_type;		/* enum crfs_file_owner (F_SETOWN_EX) */
	__u32	owner_pid;		/* its tid, pid or pgid; NONE: 0 */
	__u32	signo;			/* F_SETSIG, 0: SIGIO */
	__u32	ext_len;		/* bytes of the kind's state after
					 * the path: EVENTFD, SIGNALFD,
					 * TIMERFD, EPOLL, INOTIFY, INET, UNIX,
					 * PIPE, FIFO, TTY; else 0 */
	/* char path[path_len], NUL-padded to a multiple of 8 */
	/* then ext_len bytes: the state of an event descriptor (below) */
};

/*
 * The state of an event descriptor, after the path of its FILE (whose
 * path is the anonymous inode's name, "anon_inode:[eventfd]", and whose
 * mode is the anonymous inode's, 0600 without a type).  The restore makes
 * the object anew, at the number of its first descriptor.
 *
 * EVENTFD: its counter and EFD_SEMAPHORE (flags: O_NONBLOCK, O_RDWR).
 */
struct crfs_file_eventfd {
	__u64	count;			/* below 2^64 - 1 */
	__u32	semaphore;		/* 1: EFD_SEMAPHORE */
	__u32	__pad;
};

/* SIGNALFD: the signals it reads (bit n - 1: signal n). */
struct crfs_file_signalfd {
	__u64	sigmask;		/* never SIGKILL, SIGSTOP */
};

/*
 * TIMERFD: its clock, the flags of its last timerfd_settime()
 * (TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET), the expirations not yet
 * read, and when it fires next: value_ns is the time left, relative to the
 * checkpoint (armed again relative to the restore: the time the container
 * spent frozen does not count), or with TFD_TIMER_ABSTIME the absolute
 * time on its clock (armed again at that time); 0: disarmed.
 */
struct crfs_file_timerfd {
	__s32	clock;			/* CLOCK_REALTIME, MONOTONIC,
					 * BOOTTIME, REALTIME_ALARM,
					 * BOOTTIME_ALARM */
	__u32	settime_flags;		/* TFD_TIMER_* */
	__u64	ticks;			/* expirations not yet read */
	__u64	value_ns;		/* next expiry, 0: disarmed */
	__u64	interval_ns;		/* period, 0: one shot */
};

/*
 * EPOLL: ext_len / sizeof(struct crfs_epoll_tfd) watched targets, by
 * descriptor number then via (ascending), each the descriptor of the
 * process that was added with that number and still has it (via 0), or,
 * when that descriptor was closed since, a number the process does not
 * have and, in via, 1 + a descriptor of the process of the same
 * description (the restore dup()s it to fd for epoll_ctl() and closes
 * fd): target_id is the FILE of that descriptor.  events as
 * /proc/PID/fdinfo shows them (EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE,
 * EPOLLWAKEUP included; a one-shot target that fired has only those
 * flags left).
 */
struct crfs_epoll_tfd {
	__s32	fd;			/* the target's descriptor */
	__u32	events;			/* EPOLL* */
	__u64	data;			/* epoll_data */
	__u32	target_id;		/* its FILE */
	__u32	via;			/* 0, or 1 + the descriptor the
					 * target is reached by: fd closed */
};

/*
 * INOTIFY: its watches, by wd (ascending), each a crfs_inotify_wd then
 * path_len bytes of NUL-terminated absolute path, padded to 8: where the
 * checkpoint found the watched inode (dev, ino: st_dev, st_ino), by its
 * file handle.  A watched inode that has no path any more but whose
 * contents are in the image (a deleted file a process of the container
 * holds: an UNLINKED FILE) is that FILE: via is its id (the FILE carrying
 * the inode's data), path then only tells where it was; 0: by path.
 * mask as fdinfo shows it (IN_ONESHOT, IN_EXCL_UNLINK included).  Events
 * queued and not read are not in the image: the checkpoint refuses an
 * instance that has some.
 */
struct crfs_inotify_wd {
	__s32	wd;			/* 1 and up */
	__u32	mask;			/* IN_* */
	__u64	dev, ino;		/* the watched inode */
	__u32	path_len;		/* with the NUL, before padding */
	__u32	via;			/* 0, or the FILE of the inode */
	/* char path[path_len], NUL-padded to a multiple of 8 */
};

/*
 * INET: a TCP or UDP socket of AF_INET or AF_INET6, made anew by the
 * restore (socket(), its options, bind(), connect() or listen()) in the
 * restorer's network namespace, which must be the process's at the
 * checkpoint.  One crfs_file_inet, then nr_opts crfs_sockopt: the options
 * whose value differed from a new socket's of the same family, type and
 * protocol at the checkpoint, set in that order before bind(); each is
 * read back at restore and must give the value of the image.
 *
 * state is TCP_CLOSE (never connected: bound when CRFS_INET_F_BOUND),
 * TCP_LISTEN (bound, listening with backlog, no connection waiting to be
 * accepted) or TCP_ESTABLISHED: a UDP socket connect()ed to dst, or a TCP
 * connection between src and dst, made again with TCP_REPAIR: its
 * sequence numbers, options and window as the checkpoint read them in
 * repair mode, then after the options snd_len bytes sent and not
 * acknowledged (or not sent) and rcv_len bytes received and not read,
 * padded to 8.  Addresses in network order (an IPv4 address in the first
 * 4 bytes), ports in host order.  TCP sockets in other states, or that
 * were ever connected, and other sockets with data queued are refused at
 * the checkpoint.
 */
#define CRFS_INET_F_BOUND	(1U << 0)	/* bind(src, sport) */
/*
 * A TCP connection whose peer was outside the container, checkpointed
 * with the container's peers file "close": state TCP_CLOSE, not bound, no
 * src, its former peer in dst, dport; nothing of the connection kept.  The
 * restore makes a socket and shuts it down both ways (shutdown() of an
 * unconnected socket): reads give EOF, writes EPIPE (CRIU's --tcp-close).
 */
#define CRFS_INET_F_PEER_GONE	(1U << 1)
#define CRFS_INET_MAX_OPTS	128
#define CRFS_INET_MAX_DATA	(512U << 10)	/* snd_len + rcv_len */
struct crfs_file_inet {
	__u16	family;			/* AF_INET, AF_INET6 */
	__u16	type;			/* SOCK_STREAM, SOCK_DGRAM */
	__u16	protocol;		/* IPPROTO_TCP, IPPROTO_UDP */
	__u16	state;			/* TCP_CLOSE, _LISTEN, _ESTABLISHED */
	__u32	flags;			/* CRFS_INET_F_* */
	__u32	backlog;		/* LISTEN: sk_max_ack_backlog */
	__u8	src[16], dst[16];	/* local, peer address */
	__u16	sport, dport;		/* local, peer port */
	__u32	nr_opts;		/* crfs_sockopt records after this */
	/* A TCP connection (TCP_ESTABLISHED); else all 0 */
	__u32	snd_seq;		/* the first byte of snd_len */
	__u32	rcv_seq;		/* the first byte of rcv_len */
	__u32	snd_len, rcv_len;	/* bytes of each queue, after the
					 * options */
	__u32	mss;			/* mss_clamp (TCP_MAXSEG in repair) */
	__u32	ts_val;			/* TCP_TIMESTAMP */
	__u8	tcp_opts;		/* TCPI_OPT_TIMESTAMPS 1, _SACK 2,
					 * _WSCALE 4 */
	__u8	snd_wscale, rcv_wscale;	/* with TCPI_OPT_WSCALE, 0..14 */
	__u8	__pad[5];
	__u32	snd_wl1, snd_wnd;	/* struct tcp_repair_window */
	__u32	max_window, rcv_wnd, rcv_wup;
	/*
	 * A TCP connection whose peer was outside the container, kept with
	 * the container's peers file "keep": the id of the network lock
	 * (the nftables table crfs_lock_ID, ID in 8 hex digits) that holds
	 * the peer off until the restore removes it; else 0.
	 */
	__u32	lock_id;
};

/* One socket option: setsockopt(fd, level, name, val, len). */
#define CRFS_SOCKOPT_VAL	16
struct crfs_sockopt {
	__s32	level;			/* SOL_SOCKET, IPPROTO_IP, ... */
	__s32	name;			/* SO_REUSEADDR, ... */
	__u32	len;			/* bytes of val, 1..CRFS_SOCKOPT_VAL */
	__u32	__pad;
	__u8	val[CRFS_SOCKOPT_VAL];	/* as getsockopt() gave it */
};

/*
 * UNIX: a unix socket (its FILE's path "socket:[INO]", mode S_IFSOCK),
 * made anew: a crfs_file_unix, then name_len bytes of its bound name
 * (padded to 8) as getsockname() tells it: an abstract name (a 0 byte
 * first) or an absolute path with its NUL, whose socket file the
 * checkpoint found at (name_dev, name_ino) with name_mode: the restore
 * removes that file if it is still that inode, binds as the process and
 * gives the new file name_mode; then nr_msgs
 * messages queued for it to read, in queue order, each a crfs_unix_msg
 * and len bytes (padded to 8): a stream socket's queue is one message
 * (its bytes, no boundaries), a datagram or seqpacket socket's one per
 * datagram, each sent by its peer (CONNECTED), or by a socket without a
 * name (an UNCONN datagram socket with a name).  A CONNECTED socket's peer is the FILE
 * peer_id, a UNIX socket whose peer is this one, made with it by
 * socketpair() by the first process holding either (a pair: the other
 * end passed to the processes that hold it).
 * The queue is written through the peer before anything else runs; the
 * options are set after, shutdown() last.  sndbuf and rcvbuf are what
 * getsockopt() tells (twice what setsockopt() was given).
 */
enum crfs_unix_state {
	CRFS_UNIX_UNCONN = 1,		/* neither bound, connected nor
					 * listening (socket()) */
	CRFS_UNIX_LISTEN,		/* bound and listening */
	CRFS_UNIX_CONNECTED,		/* one end of a pair */
};
#define CRFS_UNIX_SHUT_RD	(1U << 0)	/* RCV_SHUTDOWN */
#define CRFS_UNIX_SHUT_WR	(1U << 1)	/* SEND_SHUTDOWN */
#define CRFS_UNIX_O_PASSCRED	(1U << 0)	/* SO_PASSCRED */
#define CRFS_UNIX_O_PASSSEC	(1U << 1)	/* SO_PASSSEC */
/*
 * A CONNECTED stream or seqpacket socket whose peer was closed (peer_ino
 * and peer_id 0, shut down both ways: the close did it); with RESET, the
 * peer had data unread when it closed (a read past the queue fails once
 * with ECONNRESET).  The restore closes the other end of the pair it
 * makes, after writing a byte into it for RESET.
 */
#define CRFS_UNIX_F_PEER_CLOSED	(1U << 0)
#define CRFS_UNIX_F_RESET	(1U << 1)
/*
 * With PEER_CLOSED: the peer was a socket outside the container (the
 * container's peers file "close" or "keep"); a name the socket had
 * (accepted from a listening socket) is not kept (name_len 0).
 */
#define CRFS_UNIX_F_PEER_OUTSIDE (1U << 2)
/*
 * An UNCONN datagram socket, not bound, that was connected to a socket
 * outside the container bound to a name (a /dev/log client), with the
 * peers file "close" or "keep": name_len and the name are that peer's
 * name (name_dev, name_ino, name_mode, name_uid, name_gid 0), which the
 * restore connect()s the new socket to, as the process; no queue.
 */
#define CRFS_UNIX_F_RECONNECT	(1U << 3)
/*
 * A connection of a listening socket (the FILE listen_id of a
 * crfs_unix_conn after the messages): ACCEPTED, a stream or seqpacket
 * socket accept() gave (its name the listener's, its peer the socket that
 * connected, or closed); WAITING, a socket that connect()ed to it and
 * waits in its backlog at position seq (1: accept() takes it first), no
 * peer, no name, nothing queued either way.  The first process holding
 * the listener makes them after it, by connect() and accept(): the
 * accepted ones first, then the waiting ones in their order.
 */
#define CRFS_UNIX_F_ACCEPTED	(1U << 4)
#define CRFS_UNIX_F_WAITING	(1U << 5)
#define CRFS_UNIX_QUEUE_MAX	(512U << 10)	/* bytes queued, in all */
#define CRFS_UNIX_MSGS_MAX	4096		/* messages queued */
#define CRFS_UNIX_NAME_MAX	108		/* sizeof(sun_path) */
struct crfs_file_unix {
	__u32	type;			/* SOCK_STREAM, _DGRAM, _SEQPACKET */
	__u32	state;			/* enum crfs_unix_state */
	__u64	ino;			/* its socket inode */
	__u64	peer_ino;		/* CONNECTED: its peer's; else 0 */
	__u32	peer_id;		/* CONNECTED: its peer's FILE */
	__u32	shutdown;		/* CRFS_UNIX_SHUT_* */
	__u32	sndbuf, rcvbuf;		/* SO_SNDBUF, SO_RCVBUF */
	__u32	opts;			/* CRFS_UNIX_O_* */
	__s32	peek_off;		/* SO_PEEK_OFF, -1: off */
	__u64	rcvtimeo_ns;		/* SO_RCVTIMEO, 0: none */
	__u64	sndtimeo_ns;		/* SO_SNDTIMEO, 0: none */
	__u32	name_len;		/* up to CRFS_UNIX_NAME_MAX, 0: none */
	__u32	nr_msgs;		/* up to CRFS_UNIX_MSGS_MAX */
	__u64	queued;			/* bytes of the messages, up to
					 * CRFS_UNIX_QUEUE_MAX */
	__u64	name_dev, name_ino;	/* a path's socket file; else 0 */
	__u32	name_mode;		/* its st_mode; else 0 */
	__u32	name_uid, name_gid;	/* its owner: the process's fsuid
					 * and fsgid; else 0 */
	__u32	backlog;		/* LISTEN: listen()'s; else 0 */
	__u32	flags;			/* CRFS_UNIX_F_* */
	/*
	 * SO_PEERCRED: the pid (as the container sees it) and the euid
	 * and egid the socket names as its peer's; 0, 0, 0: none (an
	 * UNCONN socket not listening, or PEER_OUTSIDE / RECONNECT, whose
	 * restored socket names its holder).  img-check-unix.c: the pid of
	 * the process of the image that makes it again (restore-unix.c).
	 */
	__s32	cred_pid;
	__u32	cred_uid, cred_gid;
	/* char name[name_len], NUL-padded to a multiple of 8 */
	/* then nr_msgs x (struct crfs_unix_msg, data padded to 8) */
	/* then, ACCEPTED or WAITING: a struct crfs_unix_conn */
};

/* The listening socket of an ACCEPTED or WAITING unix socket. */
struct crfs_unix_conn {
	__u64	listen_ino;		/* its socket inode */
	__u32	listen_id;		/* its FILE, a LISTEN UNIX socket */
	__u32	seq;			/* WAITING: 1 and up; ACCEPTED: 0 */
};

/* One message queued on a UNIX socket; len bytes of data follow. */
struct crfs_unix_msg {
	__u32	len;			/* 1 and up */
	__u32	__pad;
};

/*
 * PIPE, FIFO: the state after the path of its FILE.  A PIPE's path is
 * "pipe:[INO]" and dev, ino the pipe's inode; its flags tell the end
 * (O_RDONLY: the read end, O_WRONLY: the write end).  The two ends of
 * one pipe name each other (peer_id); peer_id 0: the other end was closed
 * by every process.  A FIFO is reopened by its path (O_RDONLY, O_WRONLY
 * or O_RDWR); it has no peer_id.  size is the pipe's F_GETPIPE_SZ (a
 * power of two times the page size).  The bytes buffered in the pipe
 * (data_len, at most size and CRFS_PIPE_DATA_MAX) follow this struct,
 * padded to 8, in one FILE per pipe: the one of lowest id among its ends
 * (a PIPE), or among the FILEs of its inode (a FIFO); the others have
 * data_len 0.  The restore makes the pipe (pipe2(), F_SETPIPE_SZ) and
 * writes the data into it before any process runs.
 *
 * A PIPE with CRFS_PIPE_F_REOPEN is a description opened again through
 * /proc/PID/fd (any access mode): no peer_id, no data; the first process
 * that holds it holds a PIPE of the same pipe without the flag (one of the
 * two ends), through which it is opened again at restore.
 */
#define CRFS_PIPE_DATA_MAX	(1U << 20)	/* buffered bytes of a pipe */
#define CRFS_PIPE_F_REOPEN	(1U << 0)	/* opened through /proc */
struct crfs_file_pipe {
	__u32	peer_id;		/* PIPE: the other end's FILE, 0: none */
	__u32	size;			/* F_GETPIPE_SZ */
	__u32	data_len;		/* bytes after this struct */
	__u32	pflags;			/* CRFS_PIPE_F_* */
	/* __u8 data[data_len], zero-padded to a multiple of 8 */
};

/*
 * TTY: one side of a pseudo-terminal pair of the container, on the
 * host's devpts (/dev/pts): the master (path "/dev/ptmx" or
 * "/dev/pts/ptmx", rdev 5:2) or the slave ("/dev/pts/N", rdev
 * 136-143:N).  The restorer makes the pair anew with the same index
 * (it opens /dev/ptmx until it gets N: a pts N in use on the machine
 * fails the restore), sets its state and passes the descriptions to the
 * processes.  The state of the pair (window size, lock, session and
 * foreground group) is in every FILE of the index, the same in each; a
 * side's own (termios, packet mode, exclusive mode) in the FILEs of that
 * side.  Data queued in the pair follows the MASTER's crfs_file_tty
 * (struct crfs_file_tty_queue, below); without it ext_len is
 * sizeof(struct crfs_file_tty).
 * sid: the session (its leader's pid) whose controlling terminal the
 * slave is, made so before the leader makes its children (TIOCSCTTY);
 * pgrp: then its foreground process group (TIOCSPGRP); 0: none.
 *
 * SHELL: a slave whose master is outside the container (the terminal of
 * the shell that started the program, "/dev/pts/N"), kept by a checkpoint
 * of a container whose shell_job is 1: its descriptions are restored as
 * descriptions of the restorer's terminal, whatever it is; nothing of its
 * state is in the image (every field but type and index is 0), the
 * terminal is not the restored processes' controlling terminal.
 */
enum crfs_tty_type {
	CRFS_TTY_MASTER = 1,
	CRFS_TTY_SLAVE,
	CRFS_TTY_SHELL,
};
#define CRFS_TTY_NCCS		19	/* termios2 c_cc */
#define CRFS_TTY_MAX		(1U << 20)	/* indexes below this */
struct crfs_file_tty {
	__u32	type;			/* enum crfs_tty_type */
	__u32	index;			/* N of /dev/pts/N */
	/* this side's termios (TCGETS2) */
	__u32	iflag, oflag, cflag, lflag;
	__u32	ispeed, ospeed;
	__u8	line;
	__u8	cc[CRFS_TTY_NCCS];
	/* the pair's window size (TIOCGWINSZ) */
	__u16	rows, cols, xpixel, ypixel;
	__u32	pkt;			/* MASTER: 1, TIOCPKT on; SLAVE: 0 */
	__u32	excl;			/* 1: this side's TIOCEXCL */
	__u32	locked;			/* 1: TIOCSPTLCK (the pair's) */
	__u32	sid;			/* controlling terminal of session */
	__u32	pgrp;			/* its foreground group, 0: none */
};

/*
 * TTY, MASTER only, when ext_len is more than sizeof(struct
 * crfs_file_tty): the data queued in the pair follow it, a
 * crfs_file_tty_queue, then in_len bytes of input the slave has not read
 * (written to the master), then out_len bytes of output the master has
 * not read (written to the slave, after its output processing), zero-
 * padded to 8; in_len + out_len > 0, each at most CRFS_TTY_QUEUE_MAX (what
 * the line discipline holds).  With ICANON (and not EXTPROC) in the
 * slave's termios the input is lines, each ended by '\n', VEOL or (with
 * IEXTEN) VEOL2, then a line not ended yet, as read() would return them
 * one after the other; without, the bytes as read.  The restore puts
 * both back into the line disciplines of the new pair (TIOCSTI) with the
 * slave's input processing and echo off, then sets its termios.  Packet
 * mode (pkt) with data queued is refused by the checkpoint.
 */
#define CRFS_TTY_QUEUE_MAX	4095
struct crfs_file_tty_queue {
	__u32	in_len;			/* bytes the slave has not read */
	__u32	out_len;		/* bytes the master has not read */
	__u32	flags;			/* 0 */
	__u32	reserved;		/* 0 */
};

/*
 * crfs_file.owner_type: who gets the description's SIGIO/SIGURG
 * (F_SETOWN_EX); an owner is always the process itself (its pid, its
 * thread, or the process group it leads).
 */
enum crfs_file_owner {
	CRFS_OWNER_NONE = 0,
	CRFS_OWNER_TID,			/* F_OWNER_TID */
	CRFS_OWNER_PID,			/* F_OWNER_PID */
	CRFS_OWNER_PGRP,		/* F_OWNER_PGRP */
};

/*
 * CRFS_REC_SHMEM: a shared anonymous memory object (MAP_SHARED |
 * MAP_ANONYMOUS, read through /proc/PID/map_files), mapped by every VMA
 * that names it; its pages come in PAGES records of owner SHMEM.
 */
struct crfs_shmem {
	__u32	id;
	__u32	__pad;
	__u64	size;			/* bytes, a multiple of the page size */
};

/* ------------------------------------------------------------ SysV IPC */

/*
 * CRFS_REC_IPCNS: the container's own IPC namespace, at most one per
 * image: a restore makes a new IPC namespace for the container, with
 * these sysctls (/proc/sys/kernel/...) and the IPC objects that follow.
 * An image without it restores into the restorer's IPC namespace (a
 * container that had the dumper's, and no SysV object in it was saved).
 * The *_next_id are as the namespace had them (-1: none pending).
 */
struct crfs_ipcns {
	__u64	shmmax, shmall;
	__u32	shmmni, shm_rmid_forced;
	__u32	msgmax, msgmnb, msgmni;
	__u32	sem[4];			/* semmsl semmns semopm semmni */
	__s32	shm_next_id, msg_next_id, sem_next_id;
};

/* crfs_ipc.kind */
enum crfs_ipc_kind {
	CRFS_IPC_SHM = 1,		/* a shared memory segment */
	CRFS_IPC_SEM,			/* a semaphore set */
	CRFS_IPC_MSQ,			/* a message queue */
};

#define CRFS_IPC_F_DEST		(1U << 0)	/* SHM: IPC_RMID while still
						 * attached (key now 0) */
#define CRFS_IPC_F_LOCKED	(1U << 1)	/* SHM: SHM_LOCK */
#define CRFS_IPC_MAX_NSEMS	32000		/* SEMMSL_MAX */
#define CRFS_IPC_MAX_MSG	(1U << 20)	/* bytes of one message */

/*
 * CRFS_REC_IPC: one SysV object of the IPCNS before it, ids ascending.
 * ipc_id is the kernel's id (shmid, semid, msqid), given back at restore
 * through /proc/sys/kernel/{shm,sem,msg}_next_id.  uid, gid and mode (the
 * 9 permission bits) are set back; cuid and cgid are the creator's, who
 * makes it again at restore.  The times and pids are informative: a
 * restore cannot set them.  After the fixed part:
 *   SEM: nr __u16 semaphore values (nr = nsems), padded to 8;
 *   MSQ: nr messages in queue order, each a struct crfs_ipc_msg and its
 *        size bytes of text, padded to 8; data_size counts them all;
 *   SHM: nothing; size bytes of segment, data_size of which are in
 *        IPC_DATA records (holes are not in the image).
 * size is the segment's bytes (SHM) or the queue's msg_qbytes (MSQ).
 */
struct crfs_ipc {
	__u32	id;
	__u32	kind;			/* enum crfs_ipc_kind */
	__s32	ipc_id;
	__s32	key;
	__u32	uid, gid, cuid, cgid;
	__u32	mode;			/* 0777 bits */
	__u32	flags;			/* CRFS_IPC_F_* */
	__u64	size;
	__u64	nr;			/* SEM: nsems; MSQ: messages */
	__u64	data_size;		/* SHM: IPC_DATA bytes; MSQ: payload */
	__s64	atime, dtime, ctime;	/* informative */
	__s32	cpid, lpid;		/* informative */
};

/* A message of an MSQ record. */
struct crfs_ipc_msg {
	__s64	mtype;			/* > 0 */
	__u64	size;			/* bytes of text that follow */
};

/*
 * CRFS_REC_IPC_DATA: pages of an IPC object of kind SHM at @offset, as
 * FILE_DATA: after the FILE_DATA records, objects by ascending id, each
 * object's records ascending without overlap, summing to its data_size.
 */
struct crfs_ipc_data {
	__u32	ipc_id;			/* the IPC record's id */
	__u32	__pad;
	__u64	offset;			/* bytes, page-aligned */
	__u64	size;			/* bytes: 1 to CRFS_PAGES_PER_REC pages */
};

/* ------------------------------------------------------- address spaces */

/*
 * CRFS_REC_MM: one address space (struct mm_struct), shared by the tasks
 * created with CLONE_VM.  Its VMAs follow.  exe_file_id names a FILE
 * (kind REG) for /proc/PID/exe.
 */
#define CRFS_AUXV_WORDS	96
#define CRFS_MM_F_THP_DISABLE	(1U << 0)	/* PR_SET_THP_DISABLE */
#define CRFS_MM_F_MDWE		(1U << 1)	/* PR_SET_MDWE */
#define CRFS_MM_F_MDWE_NOINHERIT (1U << 2)
#define CRFS_MM_F_THP_EXCEPT_ADVISED (1U << 3)	/* with THP_DISABLE: but
						 * MADV_HUGEPAGE areas */
#define CRFS_MM_F_KSM_ANY	(1U << 4)	/* PR_SET_MEMORY_MERGE */
/* membarrier(MEMBARRIER_CMD_REGISTER_*), as _GET_REGISTRATIONS says */
#define CRFS_MM_F_MEMBARRIER_GLOBAL (1U << 8)	/* _GLOBAL_EXPEDITED */
#define CRFS_MM_F_MEMBARRIER	(1U << 9)	/* _PRIVATE_EXPEDITED */
#define CRFS_MM_F_MEMBARRIER_SYNC_CORE (1U << 10) /* _.._SYNC_CORE */
#define CRFS_MM_F_MEMBARRIER_RSEQ (1U << 11)	/* _.._RSEQ */
#define CRFS_COREDUMP_FILTER_MASK 0x1ffU	/* the kernel's 9 bits */
struct crfs_mm {
	__u32	id;
	__u32	exe_file_id;
	__u32	nr_vmas;		/* VMA records that follow */
	__u32	flags;			/* CRFS_MM_F_* */
	__u64	start_code, end_code;
	__u64	start_data, end_data;
	__u64	start_brk, brk;
	__u64	start_stack;
	__u64	arg_start, arg_end;
	__u64	env_start, env_end;
	__u32	auxv_words;		/* used words of auxv[] */
	__u32	coredump_filter;	/* /proc/PID/coredump_filter */
	__u64	auxv[CRFS_AUXV_WORDS];
};

/* crfs_vma.kind */
enum crfs_vma_kind {
	CRFS_VMA_ANON = 1,		/* private anonymous */
	CRFS_VMA_SHMEM,			/* shared anonymous: a SHMEM object */
	CRFS_VMA_FILE,			/* private or shared file mapping */
	CRFS_VMA_HEAP,			/* [heap] */
	CRFS_VMA_STACK,			/* [stack] */
	CRFS_VMA_VDSO,			/* [vdso] */
	CRFS_VMA_VVAR,			/* [vvar], [vvar_vclock] */
	CRFS_VMA_VSYSCALL,		/* [vsyscall]: informative only */
	CRFS_VMA_SYSV,			/* a SysV shm attachment: IPC of
					 * kind SHM (crfs_vma.ipc_id) */
};

/* crfs_vma.prot uses PROT_*; crfs_vma.flags: */
#define CRFS_VMA_F_SHARED	(1U << 0)	/* MAP_SHARED */
#define CRFS_VMA_F_GROWSDOWN	(1U << 1)	/* MAP_GROWSDOWN */
#define CRFS_VMA_F_LOCKED	(1U << 2)	/* mlock()ed */
#define CRFS_VMA_F_NORESERVE	(1U << 3)	/* MAP_NORESERVE (smaps "nr") */
#define CRFS_VMA_F_ACCOUNT	(1U << 4)	/* charged to the commit limit
						 * ("ac"): private, once
						 * writable, not NORESERVE */
#define CRFS_VMA_F_LOCKONFAULT	(1U << 5)	/* mlock2(MLOCK_ONFAULT) ("lf"),
						 * with LOCKED */
#define CRFS_VMA_F_DROPPABLE	(1U << 6)	/* MAP_DROPPABLE ("dp"): private
						 * anonymous, NORESERVE, and
						 * advised WIPEONFORK DONTDUMP */
#define CRFS_VMA_F_MAYBE_GUARD	(1U << 7)	/* had guard regions ("gu",
						 * Linux 6.18; sticky) */
#define CRFS_VMA_F_SHM_RDONLY	(1U << 8)	/* SYSV: attached SHM_RDONLY
						 * (no VmFlags "mw") */
/* crfs_vma.advice: what madvise() set, as smaps VmFlags shows it. */
#define CRFS_VMA_A_DONTFORK	(1U << 0)	/* dc: MADV_DONTFORK */
#define CRFS_VMA_A_DONTDUMP	(1U << 1)	/* dd: MADV_DONTDUMP */
#define CRFS_VMA_A_WIPEONFORK	(1U << 2)	/* wf: MADV_WIPEONFORK */
#define CRFS_VMA_A_HUGEPAGE	(1U << 3)	/* hg: MADV_HUGEPAGE */
#define CRFS_VMA_A_NOHUGEPAGE	(1U << 4)	/* nh: MADV_NOHUGEPAGE */
#define CRFS_VMA_A_MERGEABLE	(1U << 5)	/* mg: MADV_MERGEABLE */
#define CRFS_VMA_A_SEQ_READ	(1U << 6)	/* sr: MADV_SEQUENTIAL */
#define CRFS_VMA_A_RAND_READ	(1U << 7)	/* rr: MADV_RANDOM */
#define CRFS_VMA_A_DONTEXPAND	(1U << 8)	/* de */

/* CRFS_REC_VMA: one mapping of the MM before it, in address order. */
struct crfs_vma {
	__u32	mm_id;
	__u32	kind;			/* enum crfs_vma_kind */
	__u64	start, end;
	__u64	pgoff;			/* FILE: offset in bytes; SHMEM: too */
	__u32	prot;			/* PROT_* */
	__u32	flags;			/* CRFS_VMA_F_* */
	__u32	advice;			/* CRFS_VMA_A_* */
	__u32	file_id;		/* FILE: the description it maps, whose
					 * open mode it keeps (map_files) */
	__u32	shmem_id;		/* SHMEM */
	__u32	ipc_id;			/* SYSV: the IPC record (kind SHM) */
	__u64	name_len;		/* PR_SET_VMA_ANON_NAME, 0: none */
	/* char name[name_len], NUL-padded to a multiple of 8 */
};

/* ------------------------------------------------ fd tables, fs, sighand */

/* CRFS_REC_FDTABLE: one fd table (struct files_struct); its FDs follow. */
struct crfs_fdtable {
	__u32	id;
	__u32	nr_fds;
};

/* CRFS_REC_FD: descriptor @fd of the FDTABLE before it, in fd order. */
struct crfs_fd {
	__u32	fd;
	__u32	file_id;
	__u32	cloexec;		/* FD_CLOEXEC */
	__u32	__pad;
};

/* crfs_lock.kind */
enum crfs_lock_kind {
	CRFS_LOCK_POSIX = 1,	/* fcntl F_SETLK, owned by an fd table */
	CRFS_LOCK_OFD,		/* fcntl F_OFD_SETLK, owned by the file */
	CRFS_LOCK_FLOCK,	/* flock(), owned by the file */
};

/*
 * CRFS_REC_LOCK: a lock held on a file.  A POSIX lock belongs to an fd
 * table (the kernel's fl_owner is the files_struct), the others to the
 * description they were taken on.  A restore takes each again in the
 * restored process on a descriptor of that description, never waiting
 * (F_SETLK, F_OFD_SETLK, flock(LOCK_NB)).
 */
struct crfs_lock {
	__u32	file_id;		/* the description it was taken on */
	__u32	kind;			/* enum crfs_lock_kind */
	__u32	owner;			/* POSIX: the FDTABLE owning it; else 0 */
	__u32	type;			/* F_RDLCK, F_WRLCK (LOCK_SH, LOCK_EX) */
	__u64	start;			/* bytes; flock: 0 */
	__u64	len;			/* bytes, 0: to the end; flock: 0 */
};

/* CRFS_REC_FS: cwd, root and umask (struct fs_struct); FILEs of kind DIR. */
struct crfs_fs {
	__u32	id;
	__u32	umask;
	__u32	cwd_file_id;
	__u32	root_file_id;
};

#define CRFS_NSIG	64
/* One signal's disposition, as the kernel's struct sigaction on x86-64. */
struct crfs_sigact {
	__u64	handler;		/* SIG_DFL 0, SIG_IGN 1, or address */
	__u64	flags;			/* SA_* */
	__u64	restorer;
	__u64	mask;
};

/* CRFS_REC_SIGHAND: a signal handler table; entry i is signal i + 1. */
struct crfs_sighand {
	__u32	id;
	__u32	__pad;
	struct crfs_sigact act[CRFS_NSIG];
};

/* ------------------------------------------------------------ processes */

/* crfs_task.state */
enum crfs_task_state {
	CRFS_TASK_ALIVE = 1,		/* running or sleeping */
	CRFS_TASK_STOPPED,		/* stopped by a signal (job control) */
	CRFS_TASK_ZOMBIE,		/* exited, not yet waited for */
};

#define CRFS_NR_RLIMITS	16
struct crfs_rlimit {
	__u64	cur;			/* ~0ULL: infinity */
	__u64	max;
};

/*
 * An interval timer (setitimer(), alarm()): the time left to its next
 * expiry and its period, in ns, multiples of 1000 (the microseconds of
 * getitimer()); value 0: disarmed.
 */
struct crfs_itimer {
	__u64	value_ns;
	__u64	interval_ns;
};

/* crfs_task.flags */
#define CRFS_TASK_F_CHILD_SUBREAPER	(1U << 0)	/* PR_SET_CHILD_SUBREAPER */
#define CRFS_TASK_F_NO_NEW_PRIVS	(1U << 1)	/* PR_SET_NO_NEW_PRIVS */
#define CRFS_TASK_F_FUTEX_HASH		(1U << 2)	/* one thread: its private
							 * futex hash is the one
							 * the kernel made for a
							 * second thread (16
							 * slots); the restore
							 * makes a thread that
							 * exits at once */

/*
 * CRFS_REC_TASK: one process (thread group) and what it shares with none
 * or with others by id.  Its CREDS and shared pending signals follow,
 * then its threads, then its TIMERs.  pid and the other ids are numbers in
 * the container's pid namespace (the dumper's for a container without one).
 */
struct crfs_task {
	__u32	pid;			/* = tgid */
	__u32	ppid;			/* 0: the restorer is the parent */
	__u32	pgid, sid;
	__u32	state;			/* enum crfs_task_state */
	__s32	exit_code;		/* ZOMBIE: the wait status */
	__u32	stop_signo;		/* STOPPED: the signal that stopped it
					 * (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU),
					 * else 0 */
	__u32	exit_signal;		/* sent to the parent at exit */
	__u32	mm_id, fdtable_id, fs_id, sighand_id;
	__u32	nr_threads;		/* THREAD records that follow */
	__u32	personality;
	__u32	flags;			/* CRFS_TASK_F_* */
	__u32	dumpable;		/* PR_GET_DUMPABLE */
	__u32	pdeath_signal;		/* PR_SET_PDEATHSIG, 0: none */
	__s32	oom_score_adj;
	__u64	timer_slack_ns;		/* PR_GET_TIMERSLACK */
	char	comm[CRFS_COMM_LEN];	/* of the thread group leader */
	struct crfs_rlimit rlim[CRFS_NR_RLIMITS];
	struct crfs_itimer itimer[3];	/* ITIMER_REAL (alarm), _VIRTUAL, _PROF */
	__u32	parent_tid;		/* the thread of ppid that made it and
					 * is its parent; 0: ppid's leader */
	__u32	__pad;
};

/* CRFS_REC_CREDS: a process's credentials and capabilities, then groups. */
struct crfs_creds {
	__u32	pid;
	__u32	ngroups;
	__u32	uid, euid, suid, fsuid;
	__u32	gid, egid, sgid, fsgid;
	__u32	securebits;
	__u32	__pad;
	__u64	cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	/* __u32 groups[ngroups], padded with a zero to a multiple of 8 */
};

/*
 * CRFS_REC_SECCOMP: one seccomp filter of the THREAD before it, in the
 * order PTRACE_SECCOMP_GET_FILTER numbers them: index 0 the first
 * attached (the outermost, run last), each next record the filter
 * attached after it; a restore attaches them in record order.  After
 * the struct, nr_insns struct sock_filter of 8 bytes.  A thread has at
 * most CRFS_MAX_SECCOMP_INSNS instructions counting 4 more per filter
 * (the kernel's MAX_INSNS_PER_PATH).
 */
struct crfs_seccomp {
	__u32	tid;
	__u32	index;			/* 0: the first attached */
	__u32	flags;			/* SECCOMP_FILTER_FLAG_LOG or 0 */
	__u32	nr_insns;		/* 1 to CRFS_MAX_BPF_INSNS */
	/* __u64 insns[nr_insns] */
};
#define CRFS_MAX_SECCOMP_INSNS	32768

/*
 * CRFS_REC_TIMER: one POSIX timer (timer_create()) of the TASK, after its
 * threads, in ascending timer_id.  clock is the clockid_t it was created
 * with: CLOCK_REALTIME, _MONOTONIC, _BOOTTIME, _TAI, _PROCESS_CPUTIME_ID,
 * _THREAD_CPUTIME_ID, or the encoded CPU clock of the process itself or of
 * one of its threads (clock_getcpuclockid(), pthread_getcpuclockid()).
 * notify is SIGEV_SIGNAL, SIGEV_NONE or SIGEV_THREAD_ID (then notify_tid
 * names the thread); signo and sigval are what the signal carries.
 * value_ns is the time left to the next expiry when it was dumped (0:
 * disarmed), interval_ns its period; overrun is what timer_getoverrun()
 * returned (informative: no system call sets it again).
 */
struct crfs_timer {
	__u32	pid;
	__s32	timer_id;		/* the id the process knows it by */
	__s32	clock;			/* clockid_t */
	__s32	notify;			/* SIGEV_SIGNAL, SIGEV_NONE, _THREAD_ID */
	__s32	signo;
	__u32	notify_tid;		/* SIGEV_THREAD_ID, else 0 */
	__u64	sigval;			/* sigev_value */
	__u64	value_ns;		/* time to expiry, 0: disarmed */
	__u64	interval_ns;
	__u32	overrun;		/* timer_getoverrun() */
	__u32	__pad;
};

/* The CPUs a THREAD's affinity mask can name: 1024, as glibc's cpu_set_t. */
#define CRFS_CPU_WORDS		16

/* crfs_thread.flags */
#define CRFS_THREAD_F_RSEQ	(1U << 0)	/* rseq_* registered */
#define CRFS_THREAD_F_SECCOMP_STRICT (1U << 1)	/* SECCOMP_MODE_STRICT */

/*
 * CRFS_REC_THREAD: one thread of the TASK before it; its SECCOMP filters,
 * its private pending signals, then its arch records (registers, XSAVE)
 * follow.
 */
struct crfs_thread {
	__u32	pid;			/* its process */
	__u32	tid;
	__u64	blocked;		/* signal mask */
	__u64	altstack_sp;
	__u64	altstack_size;
	__u32	altstack_flags;		/* SS_DISABLE, SS_AUTODISARM */
	__u32	flags;			/* CRFS_THREAD_F_* */
	__u64	rseq_addr;
	__u32	rseq_len;
	__u32	rseq_sig;
	__u64	clear_child_tid;	/* set_tid_address() */
	__u64	robust_list;		/* set_robust_list() head, 0: none */
	__u64	robust_list_len;
	__u32	sched_policy;		/* SCHED_* */
	__s32	sched_nice;		/* SCHED_OTHER, SCHED_BATCH, _IDLE */
	__u32	sched_priority;		/* SCHED_FIFO, SCHED_RR */
	__u32	ioprio;			/* ioprio_get(IOPRIO_WHO_PROCESS) */
	__u64	cpus_allowed[CRFS_CPU_WORDS];	/* sched_setaffinity(), CPU n: bit n % 64 of word n / 64 */
	char	comm[CRFS_COMM_LEN];
};

#define CRFS_SIGINFO_SIZE	128
/* CRFS_REC_SIGPENDING: one queued signal of a process or of a thread. */
struct crfs_sigpending {
	__u32	tid;			/* 0: the process-wide queue */
	__u32	signo;
	__u8	siginfo[CRFS_SIGINFO_SIZE];	/* kernel siginfo_t */
};

/* ----------------------------------------------------------------- data */

/*
 * CRFS_REC_FILE_DATA: pages of a FILE kept in the image (MEMFD,
 * UNLINKED, the FILE its data_id names) at @offset; holes are not
 * written, and the last page may reach past the file's size (zeros).
 * The data follow this struct; len counts struct and data.  The records
 * of a file come together and ascend without overlap, files by ascending
 * id; a file's records sum to its data_size.
 */
struct crfs_file_data {
	__u32	file_id;
	__u32	__pad;
	__u64	offset;			/* bytes, page-aligned */
	__u64	size;			/* bytes: 1 to CRFS_PAGES_PER_REC pages */
};

/* crfs_pages.owner: whose memory the pages are. */
enum crfs_pages_owner {
	CRFS_PAGES_MM = 1,	/* an address space: @addr a virtual address */
	CRFS_PAGES_SHMEM,	/* a SHMEM object: @addr an offset in it */
};

/*
 * CRFS_REC_PAGES: nr_pages pages of owner (kind, id) at addr.  After this
 * struct come pad zero bytes, then the page data, which starts at a stream
 * offset that is a multiple of the page size.  len counts the struct, the
 * pad and the data.  Records of one owner ascend and do not overlap.
 */
struct crfs_pages {
	__u32	owner;			/* enum crfs_pages_owner */
	__u32	id;			/* the MM or SHMEM */
	__u64	addr;
	__u32	nr_pages;		/* 1 to CRFS_PAGES_PER_REC */
	__u32	pad;			/* zero bytes between struct and data */
};

/* CRFS_REC_END: the trailer.  A stream without it is truncated. */
struct crfs_end {
	__u64	nr_records;		/* records before this one */
	__u64	bytes;			/* stream bytes before this record */
	__u64	page_bytes;		/* bytes of PAGES data */
};

/* ------------------------------------------------------------- x86-64 */

/* CRFS_REC_X86_REGS: a thread's struct user_regs_struct, 27 registers. */
#define CRFS_X86_64_NR_REGS	27
struct crfs_x86_regs {
	__u32	tid;
	__u32	__pad;
	__u64	r[CRFS_X86_64_NR_REGS];
};

/* CRFS_REC_X86_XSTATE: a thread's XSAVE area, hdr.xstate_size bytes. */
struct crfs_x86_xstate {
	__u32	tid;
	__u32	size;			/* = hdr.xstate_size */
	/* __u8 xsave[size], NUL-padded to a multiple of 8 */
};

#endif /* _UAPI_LINUX_CRFS_H */
