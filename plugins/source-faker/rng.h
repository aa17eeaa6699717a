/*
 * rng.h - a counter-based random source. Every event gets its own
 * splitmix64 stream keyed by (sub-seed, sequence number), so event N is
 * computed directly, without generating the N events before it: that is
 * what makes any stored position resumable and duplicates recomputable.
 * splitmix64 passes BigCrush and costs a few cycles per draw.
 */
#ifndef FAKER_RNG_H
#define FAKER_RNG_H

#include <stdint.h>

struct faker_rng {
	uint64_t s;
};

#define FAKER_GOLDEN 0x9e3779b97f4a7c15ULL

/* The splitmix64 finaliser: a bijection, so distinct inputs never
 * collide. */
static inline uint64_t faker_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline struct faker_rng faker_rng_at(uint64_t key, uint64_t counter)
{
	struct faker_rng r = {faker_mix64(key ^ (counter * FAKER_GOLDEN))};
	return r;
}

static inline uint64_t faker_rng_next(struct faker_rng *r)
{
	r->s += FAKER_GOLDEN;
	return faker_mix64(r->s);
}

/* Uniform in [0, n) for n < 2^32 (Lemire's multiply-shift on the high
 * 32 bits; the bias, below 2^-32 * n, is far under anything measurable). */
static inline uint32_t faker_rng_below(struct faker_rng *r, uint32_t n)
{
	return (uint32_t)(((faker_rng_next(r) >> 32) * n) >> 32);
}

/* Uniform in [lo, hi]. */
static inline int64_t faker_rng_range(struct faker_rng *r, int64_t lo,
				      int64_t hi)
{
	return lo + (int64_t)faker_rng_below(r, (uint32_t)(hi - lo + 1));
}

/* Uniform in [0, n) for any n > 0; the modulo bias, n / 2^64, is
 * negligible for the spans used here (durations in microseconds). */
static inline uint64_t faker_rng_below64(struct faker_rng *r, uint64_t n)
{
	return faker_rng_next(r) % n;
}

#endif
