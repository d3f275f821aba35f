#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

/* header in front of each block so free can find the owner's counters */
typedef struct hdr {
    psc_test_alloc *owner;
    size_t size;
    _Alignas(16) unsigned char data[];
} hdr;

static void *t_alloc(void *user, size_t size)
{
    psc_test_alloc *t = user;
    uint64_t n = __atomic_add_fetch(&t->calls, 1, __ATOMIC_RELAXED);
    uint64_t fail_at = __atomic_load_n(&t->fail_at, __ATOMIC_RELAXED);
    if (fail_at && (n == fail_at || (t->fail_all_after && n > fail_at))) {
        __atomic_add_fetch(&t->failures, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    hdr *h = malloc(sizeof(hdr) + size);
    if (!h)
        return NULL;
    h->owner = t;
    h->size = size;
    __atomic_add_fetch(&t->live, 1, __ATOMIC_RELAXED);
    return h->data;
}

static void t_free(void *user, void *ptr)
{
    if (!ptr)
        return;
    hdr *h = (hdr *)((unsigned char *)ptr - offsetof(hdr, data));
    assert_ptr_equal(h->owner, user);
    __atomic_sub_fetch(&h->owner->live, 1, __ATOMIC_RELAXED);
    free(h);
}

void psc_test_alloc_init(psc_test_alloc *t)
{
    memset(t, 0, sizeof *t);
    t->iface.alloc = t_alloc;
    t->iface.free = t_free;
    t->iface.user = t;
}

uint64_t psc_test_each_alloc_fails(psc_test_fault_body body, void *arg, uint64_t max_runs)
{
    for (uint64_t n = 1; n <= max_runs; n++) {
        psc_test_alloc t;
        psc_test_alloc_init(&t);
        t.fail_at = n;
        psc_err e = body(arg, &t);
        if (t.live != 0)
            fail_msg("allocation %llu failing left %llu blocks live (body returned %d)",
                     (unsigned long long)n, (unsigned long long)t.live, (int)e);
        if (t.failures == 0) {
            assert_int_equal(e, PSC_OK);
            return n;
        }
        if (e == PSC_OK) {
            /* a failure may be absorbed legitimately (e.g. an optional
             * cache); the body's own checks decide. Keep going. */
        }
    }
    fail_msg("body still allocating after %llu runs", (unsigned long long)max_runs);
    return 0;
}

uint8_t *psc_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return NULL;
    }
    long n = ftell(f);
    rewind(f);
    uint8_t *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        *len = (size_t)n;
    }
    return buf;
}

const char *psc_test_vector_path(const char *name)
{
    static char path[4096];
    const char *dir = getenv("PSC_VECTORS_DIR");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/data/observer-toolkit", name);
    return path;
}

