/*
 * sha256.c - SHA-256 as FIPS 180-4 defines it: a portable version, and
 * on x86-64 processors with the SHA extensions (most since 2017) one with
 * their instructions, chosen at run time. Every byte uploaded is hashed
 * for x-amz-content-sha256, so this is on the hot path: the portable
 * code does about 200 MB/s, the SHA-NI one well over 1 GB/s.
 */
#include "sha256.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_SHANI 1
#endif

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^
			      (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^
			      (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5],
		 g = h[6], hh = h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t s1 = ror(e, 6) ^ ror(e, 11) ^ ror(e, 25);
		uint32_t ch = (e & f) ^ (~e & g);
		uint32_t t1 = hh + s1 + ch + K[i] + w[i];
		uint32_t s0 = ror(a, 2) ^ ror(a, 13) ^ ror(a, 22);
		uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
		uint32_t t2 = s0 + maj;
		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
}

#ifdef HAVE_SHANI
/* n blocks with the SHA extensions: state kept as ABEF and CDGH, the
 * message schedule four words at a time (sha256msg1/msg2), two rounds
 * per sha256rnds2. */
__attribute__((target("sha,sse4.1,ssse3"))) static void
blocks_shani(uint32_t h[8], const unsigned char *p, size_t n)
{
	const __m128i bswap =
		_mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i tmp = _mm_loadu_si128((const __m128i *)&h[0]);
	__m128i st1 = _mm_loadu_si128((const __m128i *)&h[4]);
	tmp = _mm_shuffle_epi32(tmp, 0xB1);	    /* CDAB */
	st1 = _mm_shuffle_epi32(st1, 0x1B);	    /* EFGH */
	__m128i st0 = _mm_alignr_epi8(tmp, st1, 8); /* ABEF */
	st1 = _mm_blend_epi16(st1, tmp, 0xF0);	    /* CDGH */
	for (; n; n--, p += 64) {
		__m128i abef = st0, cdgh = st1, m[4];
		for (int i = 0; i < 16; i++) {
			__m128i w;
			if (i < 4) {
				w = _mm_shuffle_epi8(
					_mm_loadu_si128(
						(const __m128i *)(p + 16 * i)),
					bswap);
			} else {
				__m128i a = _mm_sha256msg1_epu32(
					m[i & 3], m[(i + 1) & 3]);
				a = _mm_add_epi32(
					a, _mm_alignr_epi8(m[(i + 3) & 3],
							   m[(i + 2) & 3], 4));
				w = _mm_sha256msg2_epu32(a, m[(i + 3) & 3]);
			}
			m[i & 3] = w;
			__m128i k = _mm_add_epi32(
				w, _mm_loadu_si128((const __m128i *)&K[4 * i]));
			st1 = _mm_sha256rnds2_epu32(st1, st0, k);
			k = _mm_shuffle_epi32(k, 0x0E);
			st0 = _mm_sha256rnds2_epu32(st0, st1, k);
		}
		st0 = _mm_add_epi32(st0, abef);
		st1 = _mm_add_epi32(st1, cdgh);
	}
	tmp = _mm_shuffle_epi32(st0, 0x1B);    /* FEBA */
	st1 = _mm_shuffle_epi32(st1, 0xB1);    /* DCHG */
	st0 = _mm_blend_epi16(tmp, st1, 0xF0); /* DCBA */
	st1 = _mm_alignr_epi8(st1, tmp, 8);    /* HGFE */
	_mm_storeu_si128((__m128i *)&h[0], st0);
	_mm_storeu_si128((__m128i *)&h[4], st1);
}

/* CPUID: leaf 7 EBX bit 29 (SHA), leaf 1 ECX bits 19 (SSE4.1) and 9
 * (SSSE3). */
static int shani(void)
{
	static int known, yes;
	if (!known) {
		unsigned a, b, c, d;
		int sse = __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 19)) &&
			  (c & (1u << 9));
		int sha = __get_cpuid_count(7, 0, &a, &b, &c, &d) &&
			  (b & (1u << 29));
		yes = sse && sha;
		known = 1;
	}
	return yes;
}
#endif

static void blocks(uint32_t h[8], const unsigned char *p, size_t n)
{
#ifdef HAVE_SHANI
	if (s3s_sha256_portable_only == 0 && shani()) {
		blocks_shani(h, p, n);
		return;
	}
#endif
	for (; n; n--, p += 64)
		block(h, p);
}

int s3s_sha256_portable_only;

void s3s_sha256_init(struct s3s_sha256 *c)
{
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
				       0xa54ff53a, 0x510e527f, 0x9b05688c,
				       0x1f83d9ab, 0x5be0cd19};
	memcpy(c->h, iv, sizeof(iv));
	c->bytes = 0;
	c->fill = 0;
}

void s3s_sha256_update(struct s3s_sha256 *c, const void *data, size_t n)
{
	const unsigned char *p = data;
	c->bytes += n;
	if (c->fill) {
		size_t take = 64 - c->fill < n ? 64 - c->fill : n;
		memcpy(c->block + c->fill, p, take);
		c->fill += take;
		p += take;
		n -= take;
		if (c->fill < 64)
			return;
		blocks(c->h, c->block, 1);
		c->fill = 0;
	}
	if (n >= 64) {
		blocks(c->h, p, n / 64);
		p += n / 64 * 64;
		n %= 64;
	}
	if (n) {
		memcpy(c->block, p, n);
		c->fill = n;
	}
}

void s3s_sha256_final(struct s3s_sha256 *c, unsigned char out[32])
{
	uint64_t bits = c->bytes * 8;
	unsigned char pad = 0x80;
	s3s_sha256_update(c, &pad, 1);
	unsigned char zero = 0;
	while (c->fill != 56)
		s3s_sha256_update(c, &zero, 1);
	unsigned char len[8];
	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)(bits >> (56 - 8 * i));
	s3s_sha256_update(c, len, 8);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(c->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)c->h[i];
	}
}

void s3s_sha256_hex(const void *p, size_t n, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	struct s3s_sha256 c;
	unsigned char d[32];
	s3s_sha256_init(&c);
	s3s_sha256_update(&c, p, n);
	s3s_sha256_final(&c, d);
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}
