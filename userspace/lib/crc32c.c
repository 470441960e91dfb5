// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * crc32c (Castagnoli): reflected polynomial 0x82F63B78, initial value and
 * final xor ~0, so crc32c("123456789") == 0xE3069283.
 *
 * With SSE4.2 the crc32 instruction does 8 bytes a step; large buffers
 * run three independent streams to hide its 3-cycle latency, and the
 * three results are joined with "append N zero bytes" operator tables
 * (the CRC register is linear: crc(A||B) = shift(crc(A), |B|) ^ crc0(B)).
 * Without SSE4.2, slicing-by-8 tables.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "cr-image.h"

#define CRC32C_POLY	0x82F63B78U

/* Bytes per stream of the three-way loops. */
#define CRC32C_LONG	8192
#define CRC32C_SHORT	256

static uint32_t crc32c_table[8][256];		/* slicing-by-8 */
static uint32_t crc32c_long[4][256];		/* shift by CRC32C_LONG */
static uint32_t crc32c_short[4][256];		/* shift by CRC32C_SHORT */
static int crc32c_hw;
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;

/* The raw register after @len zero bytes (init only, byte table ready). */
static uint32_t crc32c_zeros_slow(uint32_t crc, size_t len)
{
	while (len--)
		crc = crc32c_table[0][crc & 0xff] ^ (crc >> 8);
	return crc;
}

/* Fill @tab so that crc32c_shift(@tab, crc) appends @len zero bytes. */
static void crc32c_zeros_table(uint32_t tab[4][256], size_t len)
{
	uint32_t basis[32];

	/* Squaring would be faster; 32 * len byte steps at init is enough. */
	for (int i = 0; i < 32; i++)
		basis[i] = crc32c_zeros_slow(1U << i, len);
	for (int k = 0; k < 4; k++) {
		for (int b = 0; b < 256; b++) {
			uint32_t v = 0;

			for (int i = 0; i < 8; i++)
				if (b & (1 << i))
					v ^= basis[8 * k + i];
			tab[k][b] = v;
		}
	}
}

static inline uint32_t crc32c_shift(uint32_t tab[4][256], uint32_t crc)
{
	return tab[0][crc & 0xff] ^ tab[1][(crc >> 8) & 0xff] ^
	       tab[2][(crc >> 16) & 0xff] ^ tab[3][crc >> 24];
}

static void crc32c_init(void)
{
	for (int n = 0; n < 256; n++) {
		uint32_t crc = n;

		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ CRC32C_POLY : crc >> 1;
		crc32c_table[0][n] = crc;
	}
	for (int n = 0; n < 256; n++) {
		uint32_t crc = crc32c_table[0][n];

		for (int k = 1; k < 8; k++) {
			crc = crc32c_table[0][crc & 0xff] ^ (crc >> 8);
			crc32c_table[k][n] = crc;
		}
	}
	__builtin_cpu_init();
	crc32c_hw = __builtin_cpu_supports("sse4.2");
	if (crc32c_hw) {
		crc32c_zeros_table(crc32c_long, CRC32C_LONG);
		crc32c_zeros_table(crc32c_short, CRC32C_SHORT);
	}
}

/**
 * cr_crc32c_sw() - crc32c with tables only (the fallback; tests use it)
 * Return: the updated crc.
 */
uint32_t cr_crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	pthread_once(&crc32c_once, crc32c_init);
	crc = ~crc;
	while (len && ((uintptr_t)p & 7)) {
		crc = crc32c_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
		len--;
	}
	while (len >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		w ^= crc;
		crc = crc32c_table[7][w & 0xff] ^
		      crc32c_table[6][(w >> 8) & 0xff] ^
		      crc32c_table[5][(w >> 16) & 0xff] ^
		      crc32c_table[4][(w >> 24) & 0xff] ^
		      crc32c_table[3][(w >> 32) & 0xff] ^
		      crc32c_table[2][(w >> 40) & 0xff] ^
		      crc32c_table[1][(w >> 48) & 0xff] ^
		      crc32c_table[0][w >> 56];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = crc32c_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* Three streams of @blk bytes each, joined with @tab; returns new @p. */
__attribute__((target("sse4.2")))
static inline const unsigned char *crc32c_hw3(uint64_t *crcp,
					      const unsigned char *p,
					      size_t blk, uint32_t tab[4][256])
{
	const unsigned char *end = p + blk;
	uint64_t c0 = *crcp, c1 = 0, c2 = 0;

	do {
		uint64_t w0, w1, w2;

		memcpy(&w0, p, 8);
		memcpy(&w1, p + blk, 8);
		memcpy(&w2, p + 2 * blk, 8);
		c0 = __builtin_ia32_crc32di(c0, w0);
		c1 = __builtin_ia32_crc32di(c1, w1);
		c2 = __builtin_ia32_crc32di(c2, w2);
		p += 8;
	} while (p < end);
	c0 = crc32c_shift(tab, c0) ^ c1;
	c0 = crc32c_shift(tab, c0) ^ c2;
	*crcp = c0;
	return p + 2 * blk;
}

__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t c = ~crc;

	while (len && ((uintptr_t)p & 7)) {
		c = __builtin_ia32_crc32qi(c, *p++);
		len--;
	}
	while (len >= 3 * CRC32C_LONG) {
		p = crc32c_hw3(&c, p, CRC32C_LONG, crc32c_long);
		len -= 3 * CRC32C_LONG;
	}
	while (len >= 3 * CRC32C_SHORT) {
		p = crc32c_hw3(&c, p, CRC32C_SHORT, crc32c_short);
		len -= 3 * CRC32C_SHORT;
	}
	while (len >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		c = __builtin_ia32_crc32di(c, w);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = __builtin_ia32_crc32qi(c, *p++);
	return ~(uint32_t)c;
}

uint32_t cr_crc32c(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&crc32c_once, crc32c_init);
	if (crc32c_hw)
		return crc32c_sse42(crc, buf, len);
	return cr_crc32c_sw(crc, buf, len);
}
