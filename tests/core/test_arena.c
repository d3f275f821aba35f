/* The snapshot arena (growth, mark/rewind, chunk pool) and the id map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../support/test_support.h"
#include "util/arena.h"
#include "util/idmap.h"

static psc__alloc test_alloc(psc_test_alloc *t)
{
    psc_test_alloc_init(t);
    psc__alloc a;
    psc__alloc_init(&a, &t->iface);
    return a;
}

static void test_growth_and_alignment(void **state)
{
    (void)state;
    psc_test_alloc t;
    psc__alloc a = test_alloc(&t);
    psc__arena ar;
    assert_int_equal(psc__arena_init(&ar, &a, NULL, 0), PSC_OK);
    assert_int_equal(t.calls, 1);
    /* 100k small records: chunks grow geometrically, so only a few allocations */
    for (int i = 0; i < 100000; i++) {
        uint64_t *p = psc__arena_alloc(&ar, sizeof *p);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 8, 0);
        *p = (uint64_t)i;
        char *s = psc__arena_bytes(&ar, 3); /* unaligned bytes in between */
        assert_non_null(s);
        memcpy(s, "abc", 3);
    }
    assert_true(t.calls < 12);
    assert_true(psc__arena_used(&ar) >= 100000 * 11);
    /* one allocation bigger than any chunk so far gets a chunk of its own */
    uint8_t *big = psc__arena_zalloc(&ar, 8u << 20);
    assert_non_null(big);
    assert_int_equal(big[0] | big[(8u << 20) - 1], 0);
    psc__arena_free(&ar);
    assert_int_equal(t.live, 0);
}

static void test_mark_rewind(void **state)
{
    (void)state;
    psc_test_alloc t;
    psc__alloc a = test_alloc(&t);
    psc__arena ar;
    assert_int_equal(psc__arena_init(&ar, &a, NULL, 4096), PSC_OK);
    char *keep = psc__arena_bytes(&ar, 100);
    memset(keep, 'k', 100);
    size_t used = psc__arena_used(&ar);
    psc__arena_mark m = psc__arena_mark_get(&ar);
    /* spill over several chunks, then forget all of it */
    for (int i = 0; i < 1000; i++)
        assert_non_null(psc__arena_alloc(&ar, 100));
    uint64_t calls = t.calls;
    assert_true(calls > 1);
    psc__arena_rewind(&ar, m);
    assert_int_equal(psc__arena_used(&ar), used);
    /* the same again reuses the chunks kept after the mark */
    for (int i = 0; i < 1000; i++)
        assert_non_null(psc__arena_alloc(&ar, 100));
    assert_int_equal(t.calls, calls);
    for (int i = 0; i < 100; i++)
        assert_int_equal(keep[i], 'k');
    /* trimming frees the spare chunks past the current one */
    psc__arena_rewind(&ar, m);
    uint64_t live = t.live;
    psc__arena_trim(&ar);
    assert_true(t.live < live);
    psc__arena_free(&ar);
    assert_int_equal(t.live, 0);
}

static void test_alloc_failure(void **state)
{
    (void)state;
    psc_test_alloc t;
    psc__alloc a = test_alloc(&t);
    t.fail_at = 1;
    psc__arena ar;
    assert_int_equal(psc__arena_init(&ar, &a, NULL, 4096), PSC_ERR_NOMEM);
    t.fail_at = t.calls + 2; /* the second chunk */
    assert_int_equal(psc__arena_init(&ar, &a, NULL, 4096), PSC_OK);
    void *p = NULL;
    int n = 0;
    while ((p = psc__arena_alloc(&ar, 512)) != NULL)
        n++;
    assert_int_equal(n, 8); /* the first chunk held 8, then the allocation failed */
    assert_null(psc__arena_alloc(&ar, SIZE_MAX));
    /* it keeps working once memory is back */
    t.fail_at = 0;
    assert_non_null(psc__arena_alloc(&ar, 512));
    psc__arena_free(&ar);
    assert_int_equal(t.live, 0);
}

static void test_pool(void **state)
{
    (void)state;
    psc_test_alloc t;
    psc__alloc a = test_alloc(&t);
    psc__chunk_pool *pool = NULL;
    assert_int_equal(psc__pool_new(&a, &pool), PSC_OK);

    psc__arena a1, a2;
    assert_int_equal(psc__arena_init(&a1, &a, pool, 64 * 1024), PSC_OK);
    for (int i = 0; i < 100; i++)
        assert_non_null(psc__arena_alloc(&a1, 1000)); /* grows into a second chunk */
    psc__arena_free(&a1); /* its largest chunk waits in the pool */
    uint64_t calls = t.calls;
    assert_int_equal(psc__arena_init(&a2, &a, pool, 64 * 1024), PSC_OK);
    assert_int_equal(t.calls, calls); /* taken from the pool */
    psc__arena_free(&a2);

    /* a spare smaller than asked for is not used */
    psc__arena a3;
    assert_int_equal(psc__arena_init(&a3, &a, pool, 16u << 20), PSC_OK);
    assert_int_equal(t.calls, calls + 1);

    /* nor is one far bigger than needed */
    psc__arena_free(&a3); /* a 16 MiB spare now */
    calls = t.calls;
    assert_int_equal(psc__arena_init(&a3, &a, pool, 64 * 1024), PSC_OK);
    assert_int_equal(t.calls, calls + 1);
    psc__arena_free(&a3); /* 64 KiB spare */
    assert_int_equal(psc__arena_init(&a3, &a, pool, 40 * 1024), PSC_OK);
    assert_int_equal(t.calls, calls + 1); /* within a factor of two: reused */

    /* the pool outlives its creator's reference while an arena holds one */
    psc__pool_unref(pool);
    assert_non_null(psc__arena_alloc(&a3, 10));
    psc__arena_free(&a3);
    assert_int_equal(t.live, 0);
    psc__pool_unref(NULL);

    t.fail_at = t.calls + 1;
    assert_int_equal(psc__pool_new(&a, &pool), PSC_ERR_NOMEM);
}

static void test_idmap(void **state)
{
    (void)state;
    psc_test_alloc t;
    psc__alloc a = test_alloc(&t);
    psc__idmap m = {0};
    assert_null(psc__idmap_get(&m, (const uint8_t *)"x", 1));
    static uint8_t keys[5000][4];
    for (int i = 0; i < 5000; i++) {
        memcpy(keys[i], &i, 4);
        assert_int_equal(psc__idmap_put(&a, &m, keys[i], 4, &keys[i]), PSC_OK);
    }
    assert_int_equal(m.n, 5000);
    for (int i = 0; i < 5000; i++)
        assert_ptr_equal(psc__idmap_get(&m, keys[i], 4), &keys[i]);
    /* a shorter key with the same prefix is another key */
    assert_null(psc__idmap_get(&m, keys[7], 3));
    uint8_t copy[4];
    memcpy(copy, keys[42], 4);
    assert_int_equal(psc__idmap_put(&a, &m, copy, 4, NULL), PSC_ERR_EXISTS);
    assert_ptr_equal(psc__idmap_get(&m, copy, 4), &keys[42]);

    size_t cap = m.cap;
    psc__idmap_reset(&m);
    assert_int_equal(m.cap, cap); /* the table is kept */
    assert_null(psc__idmap_get(&m, keys[42], 4));
    assert_int_equal(psc__idmap_put(&a, &m, keys[42], 4, copy), PSC_OK);
    assert_ptr_equal(psc__idmap_get(&m, keys[42], 4), copy);

    /* the generation wrapping around must not revive old entries */
    m.gen = UINT32_MAX;
    for (size_t i = 0; i < m.cap; i++)
        if (m.slots[i].gen)
            m.slots[i].gen = UINT32_MAX;
    psc__idmap_reset(&m);
    assert_int_equal(m.gen, 1);
    assert_null(psc__idmap_get(&m, keys[42], 4));
    assert_int_equal(psc__idmap_put(&a, &m, keys[1], 4, copy), PSC_OK);
    assert_int_equal(m.n, 1);

    /* growth failure leaves the map as it was */
    psc__idmap small = {0};
    t.fail_at = t.calls + 1;
    assert_int_equal(psc__idmap_put(&a, &small, keys[0], 4, copy), PSC_ERR_NOMEM);
    assert_int_equal(small.n, 0);
    t.fail_at = 0;
    for (int i = 0; i < 32; i++)
        assert_int_equal(psc__idmap_put(&a, &small, keys[i], 4, copy), PSC_OK);
    t.fail_at = t.calls + 1; /* the 33rd needs a bigger table */
    assert_int_equal(psc__idmap_put(&a, &small, keys[32], 4, copy), PSC_ERR_NOMEM);
    for (int i = 0; i < 32; i++)
        assert_ptr_equal(psc__idmap_get(&small, keys[i], 4), copy);
    psc__idmap_free(&a, &small);
    psc__idmap_free(&a, &m);
    assert_int_equal(t.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_growth_and_alignment),
        cmocka_unit_test(test_mark_rewind),
        cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_pool),
        cmocka_unit_test(test_idmap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
