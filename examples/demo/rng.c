#include "rng.h"

#include <string.h>

uint64_t sim_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

void sim_rng_seed(sim_rng *r, uint64_t seed, const char *stream)
{
    /* FNV-1a of the label keeps streams apart without a table of constants */
    uint64_t h = 0xcbf29ce484222325u;
    for (const char *p = stream ? stream : ""; *p; p++)
        h = (h ^ (uint8_t)*p) * 0x100000001b3u;
    uint64_t x = seed ^ h;
    for (int i = 0; i < 4; i++) {
        x = sim_mix64(x);
        r->s[i] = x;
    }
    /* xoshiro's one forbidden state */
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
        r->s[0] = 1;
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_next(sim_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t sim_rng_below(sim_rng *r, uint64_t n)
{
    if (n == 0)
        return 0;
    /* rejection of the short top slice keeps it unbiased */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = sim_rng_next(r);
    while (x >= limit);
    return x % n;
}

uint64_t sim_rng_range(sim_rng *r, uint64_t lo, uint64_t hi)
{
    if (lo >= hi)
        return lo;
    if (hi - lo == UINT64_MAX)
        return sim_rng_next(r);
    return lo + sim_rng_below(r, hi - lo + 1);
}

double sim_rng_unit(sim_rng *r)
{
    return (double)(sim_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

bool sim_rng_chance(sim_rng *r, double p)
{
    return sim_rng_unit(r) < p;
}

void sim_rng_bytes(sim_rng *r, uint8_t *out, size_t n)
{
    while (n) {
        uint64_t x = sim_rng_next(r);
        size_t k = n < 8 ? n : 8;
        memcpy(out, &x, k);
        out += k;
        n -= k;
    }
}
