// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-caps: a process of uid 1000 that kept some capabilities: a bounding
 * set without four of them, inheritable, permitted, effective and ambient
 * sets of its own, securebits (KEEP_CAPS, and ambient raising forbidden
 * and locked), no_new_privs.  After the restore each is the same, read
 * with capget(), PR_CAPBSET_READ, PR_CAP_AMBIENT_IS_SET,
 * PR_GET_SECUREBITS, PR_GET_NO_NEW_PRIVS and getresuid().
 */
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>

#include "zdtm.h"

#define BIT(c)		(1ULL << (c))
#define UID		1000

/* Everything compared. */
struct sec_state {
	uint64_t	inh, prm, eff, bnd, amb;
	long		securebits, nnp;
	uid_t		uid[3];
};

/* capset() of the three sets. */
static int caps_set(uint64_t inh, uint64_t prm, uint64_t eff)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {
		{ eff, prm, inh }, { eff >> 32, prm >> 32, inh >> 32 },
	};

	return syscall(SYS_capset, &h, d);
}

/* Read the whole state. */
static void sec_read(struct sec_state *s)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(s, 0, sizeof(*s));
	zdtm_check(syscall(SYS_capget, &h, d), "capget");
	s->inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	s->prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	s->eff = d[0].effective | (uint64_t)d[1].effective << 32;
	for (int c = 0; c < 64; c++) {
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			s->bnd |= BIT(c);
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) == 1)
			s->amb |= BIT(c);
	}
	s->securebits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	s->nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	zdtm_check(getresuid(&s->uid[0], &s->uid[1], &s->uid[2]), "getresuid");
}

int main(int argc, char **argv)
{
	const int drop[] = { CAP_SYS_BOOT, CAP_MKNOD, CAP_NET_RAW,
			     CAP_AUDIT_WRITE };
	uint64_t inh = BIT(CAP_CHOWN) | BIT(CAP_KILL) |
		       BIT(CAP_NET_BIND_SERVICE);
	uint64_t prm = inh | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_FOWNER) |
		       BIT(CAP_SETPCAP);
	uint64_t eff = BIT(CAP_DAC_OVERRIDE) | BIT(CAP_FOWNER) | BIT(CAP_KILL);
	struct sec_state want, got;

	zdtm_init(argc, argv);
	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		zdtm_check(prctl(PR_CAPBSET_DROP, drop[i], 0, 0, 0),
			   "PR_CAPBSET_DROP");
	zdtm_check(prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS, 0, 0, 0),
		   "PR_SET_SECUREBITS KEEP_CAPS");
	zdtm_check(setresuid(UID, UID, UID), "setresuid");
	zdtm_check(caps_set(inh, prm, prm), "capset");
	zdtm_check(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE,
			 CAP_NET_BIND_SERVICE, 0, 0), "ambient raise");
	zdtm_check(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0),
		   "ambient raise");
	zdtm_check(prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS |
			 SECBIT_NO_CAP_AMBIENT_RAISE |
			 SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED, 0, 0, 0),
		   "PR_SET_SECUREBITS");
	zdtm_check(caps_set(inh, prm, eff), "capset");
	zdtm_check(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs");
	sec_read(&want);
	if (want.amb != (BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL)) ||
	    want.eff != eff || want.nnp != 1)
		zdtm_fail("the state is not built: amb %llx eff %llx",
			  (unsigned long long)want.amb,
			  (unsigned long long)want.eff);
	zdtm_ready();
	zdtm_wait();
	sec_read(&got);
	if (memcmp(&got, &want, sizeof(got)))
		zdtm_fail("inh %llx prm %llx eff %llx bnd %llx amb %llx "
			  "securebits %lx nnp %ld uids %u %u %u; want inh %llx "
			  "prm %llx eff %llx bnd %llx amb %llx securebits %lx "
			  "nnp %ld uids %u %u %u",
			  (unsigned long long)got.inh,
			  (unsigned long long)got.prm,
			  (unsigned long long)got.eff,
			  (unsigned long long)got.bnd,
			  (unsigned long long)got.amb, got.securebits, got.nnp,
			  got.uid[0], got.uid[1], got.uid[2],
			  (unsigned long long)want.inh,
			  (unsigned long long)want.prm,
			  (unsigned long long)want.eff,
			  (unsigned long long)want.bnd,
			  (unsigned long long)want.amb, want.securebits,
			  want.nnp, want.uid[0], want.uid[1], want.uid[2]);
	zdtm_pass();
}
