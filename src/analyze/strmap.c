/*
 * A string-keyed hash index (open addressing, linear probing) over
 * strings someone else owns: which peers are connected, which memory
 * belongs to a key. Rules run on every snapshot over states of tens of
 * thousands of entities, so lookups must not be linear.
 */
#include <string.h>

#include "analyze/analyze.h"

/* Eight bytes at a time: peer ids are 52 characters and there are thousands per state. */
static uint64_t hash(const char *s)
{
    size_t n = strlen(s);
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
    return h ^ (h >> 29);
}

void psc__strmap_clear(psc__strmap *m)
{
    if (m->slots)
        memset(m->slots, 0, m->cap * sizeof *m->slots);
    m->n = 0;
}

void psc__strmap_free(psc_analyzer *an, psc__strmap *m)
{
    psc__free(&an->alloc, m->slots);
    *m = (psc__strmap){0};
}

static bool rehash(psc_analyzer *an, psc__strmap *m, size_t cap)
{
    psc__strmap_slot *old = m->slots;
    size_t old_cap = m->cap;
    psc__strmap_slot *slots = psc__calloc(&an->alloc, cap, sizeof *slots);
    if (!slots)
        return false;
    m->slots = slots;
    m->cap = cap;
    m->n = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key) {
            size_t j = (size_t)(old[i].hash & (cap - 1));
            while (slots[j].key)
                j = (j + 1) & (cap - 1);
            slots[j] = old[i];
            m->n++;
        }
    psc__free(&an->alloc, old);
    return true;
}

bool psc__strmap_reserve(psc_analyzer *an, psc__strmap *m, size_t n)
{
    size_t cap = m->cap ? m->cap : 64;
    while (cap < 2 * n + 2)
        cap *= 2;
    return cap == m->cap || rehash(an, m, cap);
}

bool psc__strmap_put(psc_analyzer *an, psc__strmap *m, const char *key, size_t value, size_t *existing)
{
    if ((m->n + 1) * 2 > m->cap && !rehash(an, m, m->cap ? m->cap * 2 : 64))
        return false;
    uint64_t h = hash(key);
    size_t j = (size_t)(h & (m->cap - 1));
    while (m->slots[j].key) {
        if (m->slots[j].hash == h && strcmp(m->slots[j].key, key) == 0) {
            if (existing)
                *existing = m->slots[j].value;
            return true;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->slots[j] = (psc__strmap_slot){key, h, value};
    m->n++;
    if (existing)
        *existing = value;
    return true;
}

bool psc__strmap_get(const psc__strmap *m, const char *key, size_t *value)
{
    if (!m->n)
        return false;
    uint64_t h = hash(key);
    size_t j = (size_t)(h & (m->cap - 1));
    while (m->slots[j].key) {
        if (m->slots[j].hash == h && strcmp(m->slots[j].key, key) == 0) {
            if (value)
                *value = m->slots[j].value;
            return true;
        }
        j = (j + 1) & (m->cap - 1);
    }
    return false;
}
