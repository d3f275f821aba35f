/*
 * Allocation failure in the recording reader. The reader allocates with
 * malloc (it has no allocator parameter), so this test is linked with
 * -Wl,--wrap=calloc,--wrap=realloc to make chosen calls fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerscope/wire.h"

void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

static int fail_callocs;   /* fail this many calloc calls from now on */
static int fail_reallocs;
static int reallocs_seen;

void *__wrap_calloc(size_t n, size_t size)
{
    if (fail_callocs > 0) {
        fail_callocs--;
        return NULL;
    }
    return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    reallocs_seen++;
    if (fail_reallocs > 0) {
        fail_reallocs--;
        return NULL;
    }
    return __real_realloc(p, size);
}

static FILE *file_with(const size_t *lens, size_t n)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(psc_recording_write_header(f), PSC_OK);
    for (size_t i = 0; i < n; i++) {
        uint8_t *b = malloc(lens[i]);
        assert_non_null(b);
        memset(b, (int)(i + 1), lens[i]);
        assert_int_equal(psc_recording_write(f, b, lens[i]), PSC_OK);
        free(b);
    }
    assert_int_equal(fflush(f), 0);
    rewind(f);
    return f;
}

static void test_open_nomem(void **state)
{
    (void)state;
    size_t lens[] = {10};
    FILE *f = file_with(lens, 1);
    psc_recording *r = NULL;
    fail_callocs = 1;
    assert_int_equal(psc_recording_open(f, &r), PSC_ERR_NOMEM);
    assert_null(r);
    fail_callocs = 0;
    fclose(f);
}

/* A failed buffer growth loses nothing: the same record comes on retry. */
static void test_next_nomem_retries_same_record(void **state)
{
    (void)state;
    size_t lens[] = {10, 50000, 20};
    FILE *f = file_with(lens, 3);
    psc_recording *r;
    assert_int_equal(psc_recording_open(f, &r), PSC_OK);

    const uint8_t *p;
    size_t len;
    for (size_t i = 0; i < 3; i++) {
        int before = reallocs_seen;
        fail_reallocs = 2;
        psc_err e = psc_recording_next(r, &p, &len);
        if (reallocs_seen == before) {
            /* the buffer was already big enough: nothing to fail */
            fail_reallocs = 0;
            assert_int_equal(e, PSC_OK);
        } else {
            assert_int_equal(e, PSC_ERR_NOMEM);
            assert_int_equal(psc_recording_next(r, &p, &len), PSC_ERR_NOMEM);
            assert_int_equal(fail_reallocs, 0);
            assert_int_equal(psc_recording_next(r, &p, &len), PSC_OK);
        }
        assert_int_equal(len, lens[i]);
        assert_int_equal(psc_recording_index(r), i);
        for (size_t k = 0; k < len; k++)
            assert_int_equal(p[k], i + 1);
    }
    assert_int_equal(psc_recording_next(r, &p, &len), PSC_ERR_CLOSED);
    psc_recording_close(r);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_nomem),
        cmocka_unit_test(test_next_nomem_retries_same_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
