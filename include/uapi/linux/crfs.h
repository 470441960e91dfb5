/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * crfs image format, version 2.
 *
 * One definition for the kernel filesystem and for userspace.  An image is
 * a stream: a fixed header, then tagged, length-framed records, then a
 * trailer record.  It is written and read strictly in order.
 *
 * All integers are little-endian.  Every record starts with a
 * struct crfs_rec_hdr; its crc covers the header (with crc set to 0) and
 * the payload, so a flipped byte anywhere is caught.  Records of type
 * CRFS_REC_PAGES carry page data that starts at a stream offset that is a
 * multiple of the image page size, so a reader can read it straight into
 * place.  See Documentation/crfs/image-format.rst.
 */
#ifndef _UAPI_LINUX_CRFS_H
#define _UAPI_LINUX_CRFS_H

#include <linux/types.h>

#define CRFS_IMAGE_MAGIC	"CRFSIMG\0"	/* 8 bytes */
#define CRFS_IMAGE_MAGIC_LEN	8
#define CRFS_IMAGE_VERSION	2

/* Values of crfs_image_hdr.arch: the audit architecture numbers. */
#define CRFS_ARCH_X86_64	0xc000003eU

/* crfs_image_hdr.features: what the writer put into the image. */
#define CRFS_FEAT_XSTATE	(1ULL << 0)	/* CRFS_REC_XSTATE present */
#define CRFS_FEAT_KNOWN		(CRFS_FEAT_XSTATE)

#define CRFS_RELEASE_LEN	65	/* like __NEW_UTS_LEN + 1 */

/* The first bytes of every image, exactly sizeof(struct crfs_image_hdr). */
struct crfs_image_hdr {
	char	magic[CRFS_IMAGE_MAGIC_LEN];
	__u32	version;		/* CRFS_IMAGE_VERSION */
	__u32	hdr_size;		/* sizeof(struct crfs_image_hdr) */
	__u32	arch;			/* CRFS_ARCH_* */
	__u32	page_size;		/* bytes */
	__u64	features;		/* CRFS_FEAT_* */
	__u64	xfeatures;		/* XCR0 of the dumping machine */
	__u32	xstate_size;		/* bytes of CRFS_REC_XSTATE payload */
	__u32	nr_tasks;		/* processes in the image */
	__u64	time_ns;		/* CLOCK_REALTIME at dump (informative) */
	char	release[CRFS_RELEASE_LEN];	/* uname -r of the dumper */
	char	machine[CRFS_RELEASE_LEN];	/* uname -m */
	__u8	__pad[6];
	__u32	__reserved;
	__u32	crc;			/* crc32c of this struct, crc = 0 */
};

/* Every record begins with this. */
struct crfs_rec_hdr {
	__u32	type;			/* CRFS_REC_* */
	__u32	crc;			/* crc32c of header (crc = 0) + payload */
	__u64	len;			/* payload bytes following this header */
};

/*
 * Record types.  Per task, records come in this order:
 * TASK, CREDS, FS, RLIMITS, SIGACTS, SIGSTATE, SIGPENDING*, REGS, XSTATE,
 * MM, VMA*, FD*, PAGES*.  The image ends with one END record.
 */
enum crfs_rec_type {
	CRFS_REC_TASK = 1,
	CRFS_REC_CREDS,
	CRFS_REC_FS,
	CRFS_REC_RLIMITS,
	CRFS_REC_SIGACTS,
	CRFS_REC_SIGSTATE,
	CRFS_REC_SIGPENDING,
	CRFS_REC_REGS,
	CRFS_REC_XSTATE,
	CRFS_REC_MM,
	CRFS_REC_VMA,
	CRFS_REC_FD,
	CRFS_REC_PAGES,
	CRFS_REC_END,
	CRFS_REC_MAX
};

#define CRFS_PATH_MAX	4096
#define CRFS_COMM_LEN	16

/* CRFS_REC_TASK: starts the records of one process. */
struct crfs_task {
	__u32	pid;			/* in the dumper's pid namespace */
	__u32	ppid;			/* 0: the container's init */
	__u32	personality;
	__u32	umask;
	__u32	nr_vmas;
	__u32	nr_fds;
	__u32	nr_pending;
	__u32	dumpable;
	char	comm[CRFS_COMM_LEN];
	__u64	rseq_addr;		/* registered rseq area, 0: none */
	__u32	rseq_len;
	__u32	rseq_sig;
};

/* CRFS_REC_CREDS: fixed part, then ngroups __u32 gids. */
struct crfs_creds {
	__u32	uid, euid, suid, fsuid;
	__u32	gid, egid, sgid, fsgid;
	__u32	ngroups;
	__u32	__pad;
	/* __u32 groups[ngroups]; */
};

/*
 * CRFS_REC_FS: the identity of the two directories, then their
 * NUL-terminated absolute paths (cwd, root).
 */
struct crfs_fs {
	__u32	cwd_len;		/* with the NUL */
	__u32	root_len;		/* with the NUL */
	__u64	cwd_dev, cwd_ino;	/* st_dev, st_ino of the cwd */
	__u64	root_dev, root_ino;	/* and of the root */
	/* char cwd[cwd_len]; char root[root_len]; */
};

#define CRFS_NR_RLIMITS	16
/* CRFS_REC_RLIMITS */
struct crfs_rlimits {
	struct {
		__u64	cur;		/* ~0ULL: infinity */
		__u64	max;
	} rlim[CRFS_NR_RLIMITS];
};

#define CRFS_NSIG	64
/* One signal's disposition, as the kernel's struct sigaction on x86-64. */
struct crfs_sigact {
	__u64	handler;		/* SIG_DFL 0, SIG_IGN 1, or address */
	__u64	flags;			/* SA_* */
	__u64	restorer;
	__u64	mask;
};

/* CRFS_REC_SIGACTS: entry i is signal i + 1. */
struct crfs_sigacts {
	struct crfs_sigact act[CRFS_NSIG];
};

/* CRFS_REC_SIGSTATE */
struct crfs_sigstate {
	__u64	blocked;
	__u64	altstack_sp;
	__u64	altstack_size;
	__u32	altstack_flags;		/* SS_DISABLE, SS_AUTODISARM, ... */
	__u32	__pad;
};

#define CRFS_SIGINFO_SIZE	128
/* CRFS_REC_SIGPENDING: one queued signal. */
struct crfs_sigpending {
	__u32	shared;			/* 1: process-wide queue */
	__u32	signo;
	__u8	siginfo[CRFS_SIGINFO_SIZE];	/* kernel siginfo_t */
};

/* CRFS_REC_REGS: struct user_regs_struct of x86-64, 27 registers. */
#define CRFS_X86_64_NR_REGS	27
struct crfs_regs {
	__u64	r[CRFS_X86_64_NR_REGS];
};

/* CRFS_REC_XSTATE: hdr.xstate_size bytes of XSAVE area (NT_X86_XSTATE). */

/* CRFS_REC_MM: the mm layout fields (PR_SET_MM_MAP) and the executable. */
#define CRFS_AUXV_WORDS	96
struct crfs_mm {
	__u64	start_code, end_code;
	__u64	start_data, end_data;
	__u64	start_brk, brk;
	__u64	start_stack;
	__u64	arg_start, arg_end;
	__u64	env_start, env_end;
	__u32	auxv_words;		/* used words of auxv[] */
	__u32	exe_len;		/* with the NUL */
	__u64	exe_dev, exe_ino;	/* the executable's identity */
	__u64	exe_size;		/* st_size */
	__s64	exe_mtime_ns;		/* st_mtim in ns since the epoch */
	__u64	auxv[CRFS_AUXV_WORDS];
	/* char exe[exe_len]; */
};

/* crfs_vma.kind */
enum crfs_vma_kind {
	CRFS_VMA_ANON = 1,		/* private or shared anonymous */
	CRFS_VMA_FILE,			/* private or shared file mapping */
	CRFS_VMA_HEAP,			/* [heap] */
	CRFS_VMA_STACK,			/* [stack] */
	CRFS_VMA_VDSO,			/* [vdso] */
	CRFS_VMA_VVAR,			/* [vvar], [vvar_vclock] */
	CRFS_VMA_VSYSCALL,		/* [vsyscall]: informative only */
};

/* crfs_vma.prot uses PROT_*; crfs_vma.flags: */
#define CRFS_VMA_F_SHARED	(1U << 0)
#define CRFS_VMA_F_GROWSDOWN	(1U << 1)
#define CRFS_VMA_F_LOCKED	(1U << 2)

/* CRFS_REC_VMA: one mapping; then path_len bytes of NUL-terminated path. */
struct crfs_vma {
	__u64	start, end;
	__u64	pgoff;			/* file offset in bytes */
	__u32	prot;
	__u32	flags;			/* CRFS_VMA_F_* */
	__u32	kind;			/* enum crfs_vma_kind */
	__u32	path_len;		/* 0 for anonymous */
	__u64	ino;			/* file identity check at restore */
	__u64	dev;			/* st_dev of the file */
	__u64	size;			/* file size at dump */
	__s64	mtime_ns;		/* st_mtim in ns since the epoch */
	/* char path[path_len]; */
};

/* crfs_fd.kind */
enum crfs_fd_kind {
	CRFS_FD_REG = 1,		/* regular file */
	CRFS_FD_CHR,			/* /dev/null, /dev/zero, /dev/urandom, ... */
};

/* CRFS_REC_FD: one descriptor; then path_len bytes of path. */
struct crfs_fd {
	__u32	fd;
	__u32	kind;			/* enum crfs_fd_kind */
	__u32	flags;			/* O_* file status and access flags */
	__u32	cloexec;		/* FD_CLOEXEC */
	__u64	pos;
	__u64	ino, dev;
	__u32	mode;			/* st_mode */
	__u32	path_len;
	__u64	size;			/* REG: st_size at dump */
	__s64	mtime_ns;		/* REG: st_mtim in ns since the epoch */
	__u64	rdev;			/* CHR: st_rdev */
	/* char path[path_len]; */
};

/*
 * CRFS_REC_PAGES: nr_pages pages for [vaddr, vaddr + nr_pages * page_size).
 * After this struct come pad bytes (zero), then the page data, which starts
 * at a stream offset that is a multiple of the image page size.  The record
 * len counts the struct, the pad and the data.
 */
struct crfs_pages {
	__u64	vaddr;
	__u64	nr_pages;
	__u32	pad;			/* zero bytes between struct and data */
	__u32	__reserved;
};

/* CRFS_REC_END: the trailer.  A stream without it is truncated. */
struct crfs_end {
	__u64	nr_records;		/* records before this one */
	__u64	bytes;			/* stream bytes before this record */
	__u64	page_bytes;		/* bytes of page data in the image */
};

#endif /* _UAPI_LINUX_CRFS_H */
