/*
 * Deterministic pseudo-random numbers for the simulation (xoshiro256**
 * seeded through splitmix64). Every decision the simulation takes draws
 * from one of these, never from the wall clock, so a seed replays the same
 * node. Not thread-safe: one generator per user.
 */
#ifndef DEMO_RNG_H
#define DEMO_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sim_rng {
    uint64_t s[4];
} sim_rng;

/* Seed from a 64-bit seed and a stream label, so that subsystems draw from
 * independent streams: changing how often one subsystem draws does not
 * shift what another one sees. */
void sim_rng_seed(sim_rng *r, uint64_t seed, const char *stream);

uint64_t sim_rng_next(sim_rng *r);
/* Uniform in [0, n); n == 0 gives 0. Unbiased. */
uint64_t sim_rng_below(sim_rng *r, uint64_t n);
/* Uniform in [lo, hi] (inclusive); lo > hi gives lo. */
uint64_t sim_rng_range(sim_rng *r, uint64_t lo, uint64_t hi);
/* Uniform double in [0, 1). */
double sim_rng_unit(sim_rng *r);
/* True with probability p (p <= 0: never, p >= 1: always, still one draw). */
bool sim_rng_chance(sim_rng *r, double p);
void sim_rng_bytes(sim_rng *r, uint8_t *out, size_t n);

/* A stateless 64-bit mix, for properties derived from indices (e.g. which
 * topics a peer is on) that must not consume a generator. */
uint64_t sim_mix64(uint64_t x);

#endif
