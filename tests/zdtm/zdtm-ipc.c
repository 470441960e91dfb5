// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-ipc: SysV IPC of the container's own IPC namespace (crctl run
 * makes one) across a checkpoint.
 *
 *  - shm A: 16 pages, key 0x1c0ffee, attached read-write and written
 *    (pages 0-5 and 10; the rest a hole), split by mprotect() into three
 *    mappings (the middle one read-only), and attached a second time
 *    read-only (SHM_RDONLY) elsewhere: the same segment, the same id,
 *    key, size, owner 1234:5678 and mode 0640 after, the contents the
 *    same through both attachments, a write through one seen through the
 *    other, and the read-only one still refusing PROT_WRITE;
 *  - shm B: not attached, its contents and id (65536: sequence 2, index
 *    0, above C's) kept; made by uid 4321 (its creator, cuid, comes back);
 *  - shm C: attached, then IPC_RMID: still attached after, key 0, still
 *    marked for deletion, gone once detached;
 *  - a semaphore set of 5 with values (0, 1, 7, 32767, 42), operated on
 *    (sem_otime not 0, as programs that wait for it read it);
 *  - a message queue with 6 messages of types 3, 1, 2, 3, 7, 1 and
 *    different sizes (one empty), msg_qbytes 20000: received after in
 *    order, by type;
 *  - the namespace's kernel.msgmax (4000) and shmmni (1000).
 *
 * With $ZDTM_IPC_SYSCTLS set: no object, only the sysctls (msgmax 4000,
 * shmmni 1000, sem "250 32000 32 128", shmmax 1 GiB).
 */
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "zdtm.h"

#define PAGE		4096UL
#define A_PAGES		16
#define B_SIZE		(3 * PAGE + 100)
#define C_PAGES		2
#define KEY_A		0x1c0ffee
#define KEY_B		0x2c0ffee
#define KEY_C		0x3c0ffee
#define KEY_SEM		0x4c0ffee
#define KEY_MSQ		0x5c0ffee
#define NSEMS		5

static const unsigned short sem_vals[NSEMS] = { 0, 1, 7, 32767, 42 };
static const struct { long type; size_t len; } msgs[] = {
	{ 3, 10 }, { 1, 0 }, { 2, 1000 }, { 3, 17 }, { 7, 3000 }, { 1, 8 },
};
#define NR_MSGS		(sizeof(msgs) / sizeof(msgs[0]))

static int shm_a, shm_b, shm_c, sem_id, msq_id;
static char *a, *a_ro, *c;

/* Write @v into /proc/sys/kernel/@name of this IPC namespace. */
static void sysctl_set(const char *name, const char *v)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	zdtm_check(fd < 0 || write(fd, v, strlen(v)) != (ssize_t)strlen(v),
		   "write sysctl");
	close(fd);
}

/* The value of /proc/sys/kernel/@name. */
static long sysctl_get(const char *name)
{
	char path[128], buf[64] = "";
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	zdtm_check(fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0,
		   "read sysctl");
	close(fd);
	return atol(buf);
}

/* Message @i's byte @k. */
static char msg_byte(size_t i, size_t k)
{
	return (char)(i * 37 + k * 3 + 1);
}

static void ipc_build(void)
{
	struct shmid_ds ds;
	struct msqid_ds mq;
	struct sembuf op = { 0, 0, IPC_NOWAIT };	/* sem 0 is 0 */
	struct { long type; char text[4000]; } m;

	sysctl_set("msgmax", "4000");
	sysctl_set("shmmni", "1000");
	sysctl_set("msgmnb", "20000");	/* qbytes above it: CAP_SYS_RESOURCE */
	/* Ids not from 0: the restore must give these back. */
	sysctl_set("shm_next_id", "77");
	shm_a = shmget(KEY_A, A_PAGES * PAGE, IPC_CREAT | IPC_EXCL | 0600);
	zdtm_check(shm_a < 0, "shmget A");
	a = shmat(shm_a, NULL, 0);
	zdtm_check(a == (void *)-1, "shmat A");
	zdtm_fill(a, 6 * PAGE, 1);
	zdtm_fill(a + 10 * PAGE, PAGE, 2);
	zdtm_check(mprotect(a + 4 * PAGE, 4 * PAGE, PROT_READ), "mprotect A");
	a_ro = shmat(shm_a, NULL, SHM_RDONLY);
	zdtm_check(a_ro == (void *)-1, "shmat A read-only");
	zdtm_check(shmctl(shm_a, IPC_STAT, &ds), "IPC_STAT A");
	ds.shm_perm.uid = 1234;
	ds.shm_perm.gid = 5678;
	ds.shm_perm.mode = 0640;
	zdtm_check(shmctl(shm_a, IPC_SET, &ds), "IPC_SET A");

	/*
	 * B, made by another user, filled through a passing attachment; its
	 * id 65536 (index 0, sequence 2) is above C's, made after it at a
	 * higher index.
	 */
	sysctl_set("shm_next_id", "65536");
	zdtm_check(setresgid(-1, 8765, -1) || setresuid(-1, 4321, -1),
		   "become 4321");
	shm_b = shmget(KEY_B, B_SIZE, IPC_CREAT | IPC_EXCL | 0666);
	zdtm_check(seteuid(0) || setegid(0), "become root again");
	zdtm_check(shm_b < 0, "shmget B");
	{
		char *b = shmat(shm_b, NULL, 0);

		zdtm_check(b == (void *)-1, "shmat B");
		zdtm_fill(b, B_SIZE, 3);
		zdtm_check(shmdt(b), "shmdt B");
	}

	shm_c = shmget(KEY_C, C_PAGES * PAGE, IPC_CREAT | IPC_EXCL | 0600);
	zdtm_check(shm_c < 0, "shmget C");
	c = shmat(shm_c, NULL, 0);
	zdtm_check(c == (void *)-1, "shmat C");
	zdtm_fill(c, C_PAGES * PAGE, 4);
	zdtm_check(shmctl(shm_c, IPC_RMID, NULL), "IPC_RMID C");

	sysctl_set("sem_next_id", "5");
	sem_id = semget(KEY_SEM, NSEMS, IPC_CREAT | IPC_EXCL | 0600);
	zdtm_check(sem_id < 0, "semget");
	zdtm_check(semctl(sem_id, 0, SETALL, sem_vals), "SETALL");
	zdtm_check(semop(sem_id, &op, 1), "semop");

	msq_id = msgget(KEY_MSQ, IPC_CREAT | IPC_EXCL | 0600);
	zdtm_check(msq_id < 0, "msgget");
	zdtm_check(msgctl(msq_id, IPC_STAT, &mq), "IPC_STAT msq");
	mq.msg_qbytes = 20000;
	zdtm_check(msgctl(msq_id, IPC_SET, &mq), "IPC_SET msq");
	for (size_t i = 0; i < NR_MSGS; i++) {
		m.type = msgs[i].type;
		for (size_t k = 0; k < msgs[i].len; k++)
			m.text[k] = msg_byte(i, k);
		zdtm_check(msgsnd(msq_id, &m, msgs[i].len, IPC_NOWAIT),
			   "msgsnd");
	}
}

static void check_shm(void)
{
	struct shmid_ds ds;
	long off;
	char *b;

	if (shmget(KEY_A, 0, 0) != shm_a || shm_a != 77)
		zdtm_fail("shm A: key 0x%x names id %d, not %d (77)", KEY_A,
			  shmget(KEY_A, 0, 0), shm_a);
	zdtm_check(shmctl(shm_a, IPC_STAT, &ds), "IPC_STAT A after");
	if (ds.shm_segsz != A_PAGES * PAGE || ds.shm_perm.uid != 1234 ||
	    ds.shm_perm.gid != 5678 || (ds.shm_perm.mode & 0777) != 0640 ||
	    ds.shm_perm.__key != KEY_A)
		zdtm_fail("shm A: size %zu owner %u:%u mode %o key %#x",
			  ds.shm_segsz, ds.shm_perm.uid, ds.shm_perm.gid,
			  ds.shm_perm.mode, ds.shm_perm.__key);
	/* Three pieces of the first attachment, the read-only one. */
	if (ds.shm_nattch != 4)
		zdtm_fail("shm A: %lu attachments, not 4",
			  (unsigned long)ds.shm_nattch);
	off = zdtm_cmp(a, 6 * PAGE, 1);
	if (off >= 0 || zdtm_cmp(a + 10 * PAGE, PAGE, 2) >= 0)
		zdtm_fail("shm A differs (byte %ld)", off);
	for (size_t k = 6 * PAGE; k < 10 * PAGE; k++)
		if (a[k])
			zdtm_fail("shm A: byte %zu of the hole is not 0", k);
	if (memcmp(a, a_ro, A_PAGES * PAGE))
		zdtm_fail("shm A: its two attachments differ");
	a[3] ^= 0x55;
	if (a_ro[3] != a[3])
		zdtm_fail("shm A: a write is not seen by the other attachment");
	if (mprotect(a_ro, PAGE, PROT_READ | PROT_WRITE) == 0 ||
	    errno != EACCES)
		zdtm_fail("shm A: the read-only attachment can be made "
			  "writable (%m)");
	if (mprotect(a + 4 * PAGE, 4 * PAGE, PROT_READ | PROT_WRITE))
		zdtm_fail("shm A: the read-only piece cannot be made writable");

	if (shmget(KEY_B, 0, 0) != shm_b || shm_b != 65536)
		zdtm_fail("shm B: its key names id %d, not %d (65536)",
			  shmget(KEY_B, 0, 0), shm_b);
	zdtm_check(shmctl(shm_b, IPC_STAT, &ds), "IPC_STAT B");
	if (ds.shm_segsz != B_SIZE || ds.shm_perm.cuid != 4321 ||
	    ds.shm_perm.cgid != 8765 || ds.shm_nattch)
		zdtm_fail("shm B: size %zu creator %u:%u attached %lu",
			  ds.shm_segsz, ds.shm_perm.cuid, ds.shm_perm.cgid,
			  (unsigned long)ds.shm_nattch);
	b = shmat(shm_b, NULL, SHM_RDONLY);
	zdtm_check(b == (void *)-1, "shmat B after");
	if (zdtm_cmp(b, B_SIZE, 3) >= 0)
		zdtm_fail("shm B: contents differ");
	shmdt(b);

	if (zdtm_cmp(c, C_PAGES * PAGE, 4) >= 0)
		zdtm_fail("shm C: contents differ");
	if (shmctl(shm_c, IPC_STAT, &ds))
		zdtm_fail("shm C: gone while attached (%m)");
	if (!(ds.shm_perm.mode & SHM_DEST) || ds.shm_perm.__key)
		zdtm_fail("shm C: not removed (mode %o key %#x)",
			  ds.shm_perm.mode, ds.shm_perm.__key);
	if (shmget(KEY_C, 0, 0) >= 0)
		zdtm_fail("shm C: its key names a segment again");
	zdtm_check(shmdt(c), "shmdt C");
	if (shmctl(shm_c, IPC_STAT, &ds) == 0)
		zdtm_fail("shm C: still there once detached");
}

static void check_sem_msg(void)
{
	unsigned short v[NSEMS];
	struct semid_ds sd;
	struct msqid_ds mq;
	struct { long type; char text[4000]; } m;
	static const int order[] = { 1, 5, 2, 0, 3, 4 };	/* by type */

	if (semget(KEY_SEM, 0, 0) != sem_id || sem_id != 5)
		zdtm_fail("sem: key names id %d, not %d (5)",
			  semget(KEY_SEM, 0, 0), sem_id);
	zdtm_check(semctl(sem_id, 0, GETALL, v), "GETALL");
	for (int i = 0; i < NSEMS; i++)
		if (v[i] != sem_vals[i])
			zdtm_fail("sem %d: %u, not %u", i, v[i], sem_vals[i]);
	zdtm_check(semctl(sem_id, 0, IPC_STAT, &sd), "IPC_STAT sem");
	if (!sd.sem_otime || sd.sem_nsems != NSEMS)
		zdtm_fail("sem: otime %ld nsems %lu", (long)sd.sem_otime,
			  (unsigned long)sd.sem_nsems);

	if (msgget(KEY_MSQ, 0) != msq_id)
		zdtm_fail("msq: its key names another id");
	zdtm_check(msgctl(msq_id, IPC_STAT, &mq), "IPC_STAT msq");
	if (mq.msg_qnum != NR_MSGS || mq.msg_qbytes != 20000)
		zdtm_fail("msq: %lu messages, qbytes %lu",
			  (unsigned long)mq.msg_qnum,
			  (unsigned long)mq.msg_qbytes);
	/* Lowest type first: the queue's order within a type. */
	for (size_t n = 0; n < NR_MSGS; n++) {
		int i = order[n];
		ssize_t got = msgrcv(msq_id, &m, sizeof(m.text), -7,
				     IPC_NOWAIT);

		if (got != (ssize_t)msgs[i].len || m.type != msgs[i].type)
			zdtm_fail("msq: message %zu: type %ld size %zd, not "
				  "%ld %zu", n, m.type, got, msgs[i].type,
				  msgs[i].len);
		for (size_t k = 0; k < msgs[i].len; k++)
			if (m.text[k] != msg_byte(i, k))
				zdtm_fail("msq: message %d byte %zu differs",
					  i, k);
	}
	if (sysctl_get("msgmax") != 4000 || sysctl_get("shmmni") != 1000)
		zdtm_fail("sysctls: msgmax %ld shmmni %ld",
			  sysctl_get("msgmax"), sysctl_get("shmmni"));
}

/* The sysctls alone, set before and checked after. */
static void __attribute__((noreturn)) sysctls_only(void)
{
	char sem[64] = "";
	int fd;

	sysctl_set("msgmax", "4000");
	sysctl_set("shmmni", "1000");
	sysctl_set("sem", "250 32000 32 128");
	sysctl_set("shmmax", "1073741824");
	zdtm_ready();
	zdtm_wait();
	fd = open("/proc/sys/kernel/sem", O_RDONLY | O_CLOEXEC);
	zdtm_check(fd < 0 || read(fd, sem, sizeof(sem) - 1) <= 0, "read sem");
	close(fd);
	if (sysctl_get("msgmax") != 4000 || sysctl_get("shmmni") != 1000 ||
	    sysctl_get("shmmax") != 1073741824 ||
	    sysctl_get("msgmnb") != 16384 ||
	    strcmp(sem, "250\t32000\t32\t128\n"))
		zdtm_fail("sysctls: msgmax %ld shmmni %ld shmmax %ld msgmnb "
			  "%ld sem %s", sysctl_get("msgmax"),
			  sysctl_get("shmmni"), sysctl_get("shmmax"),
			  sysctl_get("msgmnb"), sem);
	if (shmget(KEY_A, 0, 0) >= 0)
		zdtm_fail("a segment where there was none");
	zdtm_pass();
}

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	if (getenv("ZDTM_IPC_SYSCTLS"))
		sysctls_only();
	ipc_build();
	zdtm_ready();
	zdtm_wait();
	check_shm();
	check_sem_msg();
	zdtm_pass();
}
