// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-regs: user registers held across a checkpoint.
 *
 * An asm loop loads known values into rbx, rsi, rdi, r8-r15, the vector
 * registers (xmm0-15; ymm0-15 with AVX; zmm0-31 and k1-k7 with AVX-512),
 * the x87 stack and control word, and MXCSR, sets the direction flag
 * (rflags), rax holding the vector width, then spins without touching
 * them until SIGTERM or a round of iterations is over; then it stores
 * them all and C compares.  The checkpoint, which comes while the loop
 * spins, must give them all back.
 */
#include <cpuid.h>
#include <stddef.h>

#include "zdtm.h"

#define NR_GPR	11		/* rbx rsi rdi r8 r9 r10 r11 r12 r13 r14 r15 */

struct regs_set {
	uint64_t	gpr[NR_GPR];
	uint8_t		vec[32][64];	/* zmm0-31 (low parts: ymm, xmm) */
	uint64_t	k[8];		/* k0 unused */
	uint8_t		st[8][16];	/* x87 80-bit values, st(0) first */
	uint32_t	mxcsr;
	uint16_t	fcw;
} __attribute__((aligned(64)));

/* Referenced by name from the asm below. */
struct regs_set regs_want, regs_got;
volatile int regs_stop;
/* rflags and rax as the loop ended (rax: the vector width it was given). */
volatile unsigned long long regs_flags_got, regs_rax_got;
uint64_t regs_iters = 1UL << 26;
uint32_t regs_mxcsr_default = 0x1f80;

/* SIGTERM: stop the loop at once (and the main loop after it). */
static void regs_on_term(int sig)
{
	(void)sig;
	regs_stop = 1;
	zdtm_stop = 1;
}

/* Vector width in use: 16 (SSE), 32 (AVX) or 64 (AVX-512). */
static int regs_width;

#define S(x)	#x
#define LD_GPR(i, r)	"mov regs_want+" S(i) "*8(%%rip), %%" r "\n\t"
#define ST_GPR(i, r)	"mov %%" r ", regs_got+" S(i) "*8(%%rip)\n\t"
#define VEC		"(regs_want+8*11)"
#define VECG		"(regs_got+8*11)"
#define LD_X(i)	"movdqu " VEC "+" S(i) "*64(%%rip), %%xmm" S(i) "\n\t"
#define ST_X(i)	"movdqu %%xmm" S(i) ", " VECG "+" S(i) "*64(%%rip)\n\t"
#define LD_Y(i)	"vmovdqu " VEC "+" S(i) "*64(%%rip), %%ymm" S(i) "\n\t"
#define ST_Y(i)	"vmovdqu %%ymm" S(i) ", " VECG "+" S(i) "*64(%%rip)\n\t"
#define LD_Z(i)	"vmovdqu64 " VEC "+" S(i) "*64(%%rip), %%zmm" S(i) "\n\t"
#define ST_Z(i)	"vmovdqu64 %%zmm" S(i) ", " VECG "+" S(i) "*64(%%rip)\n\t"
#define K	"(regs_want+8*11+32*64)"
#define KG	"(regs_got+8*11+32*64)"
#define LD_K(i)	"kmovq " K "+" S(i) "*8(%%rip), %%k" S(i) "\n\t"
#define ST_K(i)	"kmovq %%k" S(i) ", " KG "+" S(i) "*8(%%rip)\n\t"
#define ST	"(regs_want+8*11+32*64+64)"
#define STG	"(regs_got+8*11+32*64+64)"
#define MX	"(regs_want+8*11+32*64+64+128)"
#define MXG	"(regs_got+8*11+32*64+64+128)"
#define CW	"(regs_want+8*11+32*64+64+128+4)"
#define CWG	"(regs_got+8*11+32*64+64+128+4)"

#define X8(m, a)	m(a##0) m(a##1) m(a##2) m(a##3) m(a##4) m(a##5) m(a##6) m(a##7)
#define EACH16(m)	m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7) \
			m(8) m(9) m(10) m(11) m(12) m(13) m(14) m(15)
#define EACH16_HI(m)	m(16) m(17) m(18) m(19) m(20) m(21) m(22) m(23) \
			m(24) m(25) m(26) m(27) m(28) m(29) m(30) m(31)

_Static_assert(offsetof(struct regs_set, vec) == 8 * 11, "vec offset");
_Static_assert(offsetof(struct regs_set, k) == 8 * 11 + 32 * 64, "k offset");
_Static_assert(offsetof(struct regs_set, st) == 8 * 11 + 32 * 64 + 64,
	       "st offset");
_Static_assert(offsetof(struct regs_set, mxcsr) ==
	       8 * 11 + 32 * 64 + 64 + 128, "mxcsr offset");
_Static_assert(offsetof(struct regs_set, fcw) ==
	       8 * 11 + 32 * 64 + 64 + 128 + 4, "fcw offset");

/* Load everything, spin, store everything.  Width: 16, 32 or 64. */
static void regs_spin(int width)
{
	asm volatile(
		"fninit\n\t"
		"fldcw " CW "(%%rip)\n\t"
		"fldt " ST "+7*16(%%rip)\n\t"
		"fldt " ST "+6*16(%%rip)\n\t"
		"fldt " ST "+5*16(%%rip)\n\t"
		"fldt " ST "+4*16(%%rip)\n\t"
		"fldt " ST "+3*16(%%rip)\n\t"
		"fldt " ST "+2*16(%%rip)\n\t"
		"fldt " ST "+1*16(%%rip)\n\t"
		"fldt " ST "+0*16(%%rip)\n\t"
		"ldmxcsr " MX "(%%rip)\n\t"
		"cmp $16, %0\n\t"
		"je 1f\n\t"
		"cmp $32, %0\n\t"
		"je 2f\n\t"
		EACH16(LD_Z) EACH16_HI(LD_Z)
		"kmovq " K "+1*8(%%rip), %%k1\n\t"
		"kmovq " K "+2*8(%%rip), %%k2\n\t"
		"kmovq " K "+3*8(%%rip), %%k3\n\t"
		"kmovq " K "+4*8(%%rip), %%k4\n\t"
		"kmovq " K "+5*8(%%rip), %%k5\n\t"
		"kmovq " K "+6*8(%%rip), %%k6\n\t"
		"kmovq " K "+7*8(%%rip), %%k7\n\t"
		"jmp 3f\n"
		"2:\n\t"
		EACH16(LD_Y)
		"jmp 3f\n"
		"1:\n\t"
		EACH16(LD_X)
		"3:\n\t"
		LD_GPR(0, "rbx") LD_GPR(1, "rsi") LD_GPR(2, "rdi")
		LD_GPR(3, "r8") LD_GPR(4, "r9") LD_GPR(5, "r10")
		LD_GPR(6, "r11") LD_GPR(7, "r12") LD_GPR(8, "r13")
		LD_GPR(9, "r14") LD_GPR(10, "r15")
		"std\n\t"
		"mov regs_iters(%%rip), %%rcx\n"
		"4:\n\t"
		"cmpl $0, regs_stop(%%rip)\n\t"
		"jne 5f\n\t"
		"dec %%rcx\n\t"
		"jnz 4b\n"
		"5:\n\t"
		/* below the red zone: this function's locals may be there */
		"lea -128(%%rsp), %%rsp\n\t"
		"pushfq\n\t"
		"popq %%rcx\n\t"
		"lea 128(%%rsp), %%rsp\n\t"
		"cld\n\t"
		"mov %%rcx, regs_flags_got(%%rip)\n\t"
		"mov %%rax, regs_rax_got(%%rip)\n\t"
		ST_GPR(0, "rbx") ST_GPR(1, "rsi") ST_GPR(2, "rdi")
		ST_GPR(3, "r8") ST_GPR(4, "r9") ST_GPR(5, "r10")
		ST_GPR(6, "r11") ST_GPR(7, "r12") ST_GPR(8, "r13")
		ST_GPR(9, "r14") ST_GPR(10, "r15")
		"stmxcsr " MXG "(%%rip)\n\t"
		"fnstcw " CWG "(%%rip)\n\t"
		"fstpt " STG "+0*16(%%rip)\n\t"
		"fstpt " STG "+1*16(%%rip)\n\t"
		"fstpt " STG "+2*16(%%rip)\n\t"
		"fstpt " STG "+3*16(%%rip)\n\t"
		"fstpt " STG "+4*16(%%rip)\n\t"
		"fstpt " STG "+5*16(%%rip)\n\t"
		"fstpt " STG "+6*16(%%rip)\n\t"
		"fstpt " STG "+7*16(%%rip)\n\t"
		"ldmxcsr regs_mxcsr_default(%%rip)\n\t"
		"fninit\n\t"
		"cmp $16, %0\n\t"
		"je 6f\n\t"
		"cmp $32, %0\n\t"
		"je 7f\n\t"
		EACH16(ST_Z) EACH16_HI(ST_Z)
		"kmovq %%k1, " KG "+1*8(%%rip)\n\t"
		"kmovq %%k2, " KG "+2*8(%%rip)\n\t"
		"kmovq %%k3, " KG "+3*8(%%rip)\n\t"
		"kmovq %%k4, " KG "+4*8(%%rip)\n\t"
		"kmovq %%k5, " KG "+5*8(%%rip)\n\t"
		"kmovq %%k6, " KG "+6*8(%%rip)\n\t"
		"kmovq %%k7, " KG "+7*8(%%rip)\n\t"
		"vzeroupper\n\t"
		"jmp 8f\n"
		"7:\n\t"
		EACH16(ST_Y)
		"vzeroupper\n\t"
		"jmp 8f\n"
		"6:\n\t"
		EACH16(ST_X)
		"8:\n\t"
		:
		: "a" (width)
		: "rbx", "rcx", "rsi", "rdi", "r8", "r9", "r10", "r11",
		  "r12", "r13", "r14", "r15", "memory", "cc",
		  "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
		  "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",
		  "xmm14", "xmm15",
		  "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)",
		  "st(7)");
}

/* Does the OS save the AVX / AVX-512 state (XCR0) and does the CPU have it? */
static int regs_pick_width(void)
{
	unsigned int a, b, c, d;
	uint32_t xcr0_lo, xcr0_hi;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) ||
	    !(c & bit_AVX))
		return 16;
	asm volatile("xgetbv" : "=a" (xcr0_lo), "=d" (xcr0_hi) : "c" (0));
	if ((xcr0_lo & 0x6) != 0x6)
		return 16;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_AVX512F) &&
	    (xcr0_lo & 0xe6) == 0xe6)
		return 64;
	return 32;
}

static void regs_init_want(void)
{
	static const long double st[8] = {
		1.5L, -2.75L, 3.14159265358979323846L, 1e-300L,
		-6.02214076e23L, 0.0L, 12345678901234567.0L, -0.125L,
	};
	int i;

	for (i = 0; i < NR_GPR; i++)
		regs_want.gpr[i] = 0x1122334455667700ULL + i * 0x0101010101010101ULL;
	zdtm_fill(regs_want.vec, sizeof(regs_want.vec), 4242);
	for (i = 1; i < 8; i++)
		regs_want.k[i] = 0xa5a5000000000000ULL | (i * 0x1111ULL);
	for (i = 0; i < 8; i++)
		memcpy(regs_want.st[i], &st[i], 10);
	regs_want.mxcsr = 0x7f80;	/* round toward zero, exceptions masked */
	regs_want.fcw = 0x0f7f;		/* x87: round toward zero */
}

/* Compare what the loop stored with what it loaded; fail naming the register. */
static void regs_compare(const char *when)
{
	static const char *gpr[NR_GPR] = {
		"rbx", "rsi", "rdi", "r8", "r9", "r10", "r11",
		"r12", "r13", "r14", "r15",
	};
	int i, nvec = regs_width == 64 ? 32 : 16;

	for (i = 0; i < NR_GPR; i++)
		if (regs_got.gpr[i] != regs_want.gpr[i])
			zdtm_fail("%s: %s is %#llx, want %#llx", when, gpr[i],
				  (unsigned long long)regs_got.gpr[i],
				  (unsigned long long)regs_want.gpr[i]);
	for (i = 0; i < nvec; i++)
		if (memcmp(regs_got.vec[i], regs_want.vec[i], regs_width))
			zdtm_fail("%s: %s%d differs", when,
				  regs_width == 16 ? "xmm" :
				  regs_width == 32 ? "ymm" : "zmm", i);
	if (regs_width == 64)
		for (i = 1; i < 8; i++)
			if (regs_got.k[i] != regs_want.k[i])
				zdtm_fail("%s: k%d is %#llx, want %#llx", when, i,
					  (unsigned long long)regs_got.k[i],
					  (unsigned long long)regs_want.k[i]);
	for (i = 0; i < 8; i++)
		if (memcmp(regs_got.st[i], regs_want.st[i], 10))
			zdtm_fail("%s: x87 st(%d) differs", when, i);
	if (regs_got.mxcsr != regs_want.mxcsr)
		zdtm_fail("%s: mxcsr is %#x, want %#x", when, regs_got.mxcsr,
			  regs_want.mxcsr);
	if (!(regs_flags_got & 0x400))	/* X86_EFLAGS_DF */
		zdtm_fail("%s: rflags %#llx lost the direction flag", when,
			  regs_flags_got);
	if (regs_rax_got != (unsigned long long)regs_width)
		zdtm_fail("%s: rax is %#llx, want %d", when, regs_rax_got,
			  regs_width);
	if (regs_got.fcw != regs_want.fcw)
		zdtm_fail("%s: x87 control word is %#x, want %#x", when,
			  regs_got.fcw, regs_want.fcw);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t mask;

	zdtm_init(argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = regs_on_term;
	sigemptyset(&sa.sa_mask);
	zdtm_check(sigaction(SIGTERM, &sa, NULL), "sigaction SIGTERM");
	regs_width = regs_pick_width();
	regs_init_want();
	/* The loop must see SIGTERM: let it in for good. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);

	regs_spin(regs_width);
	regs_compare("before checkpoint");
	zdtm_ready();
	while (!zdtm_stop) {
		memset(&regs_got, 0, sizeof(regs_got));
		regs_spin(regs_width);
		regs_compare("while spinning");
	}
	zdtm_pass();
}
