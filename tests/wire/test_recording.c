/* The 2020 recording file format: round trip, damage, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peerscope/wire.h"

/* Record i of the test files: deterministic content of a chosen size. */
static size_t record_len(size_t i)
{
    /* 0 and sizes around and far over the reader's first buffer */
    static const size_t lens[] = {5, 0, 1, 4095, 4096, 4097, 100000, 17, 300000, 3};
    return lens[i % (sizeof lens / sizeof lens[0])];
}

static void fill_record(size_t i, uint8_t *buf, size_t len)
{
    for (size_t k = 0; k < len; k++)
        buf[k] = (uint8_t)(i * 31 + k * 7 + (k >> 8));
}

static FILE *write_file(size_t n_records)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(psc_recording_write_header(f), PSC_OK);
    for (size_t i = 0; i < n_records; i++) {
        size_t len = record_len(i);
        uint8_t *buf = malloc(len ? len : 1);
        assert_non_null(buf);
        fill_record(i, buf, len);
        assert_int_equal(psc_recording_write(f, len ? buf : NULL, len), PSC_OK);
        free(buf);
    }
    assert_int_equal(fflush(f), 0);
    rewind(f);
    return f;
}

static void expect_record(psc_recording *r, size_t i)
{
    const uint8_t *p = NULL;
    size_t len = 999999;
    assert_int_equal(psc_recording_next(r, &p, &len), PSC_OK);
    assert_int_equal(psc_recording_index(r), i);
    assert_int_equal(len, record_len(i));
    assert_non_null(p);
    uint8_t *want = malloc(len ? len : 1);
    assert_non_null(want);
    fill_record(i, want, len);
    if (len)
        assert_memory_equal(p, want, len);
    free(want);
}

static void expect_error(psc_recording *r, psc_err want)
{
    const uint8_t *p = (const uint8_t *)"untouched";
    size_t len = 4242;
    assert_int_equal(psc_recording_next(r, &p, &len), want);
    assert_string_equal((const char *)p, "untouched");
    assert_int_equal(len, 4242);
}

static void test_round_trip(void **state)
{
    (void)state;
    const size_t n = 23;
    FILE *f = write_file(n);

    /* the file is exactly header + records */
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    long want = 4;
    for (size_t i = 0; i < n; i++)
        want += 8 + (long)record_len(i);
    assert_int_equal(size, want);
    rewind(f);

    psc_recording *r = NULL;
    assert_int_equal(psc_recording_open(f, &r), PSC_OK);
    assert_non_null(r);
    for (size_t i = 0; i < n; i++)
        expect_record(r, i);
    expect_error(r, PSC_ERR_CLOSED);
    expect_error(r, PSC_ERR_CLOSED);
    assert_int_equal(psc_recording_index(r), n - 1);
    psc_recording_close(r);
    fclose(f);
}

static void test_header_bytes(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(psc_recording_write_header(f), PSC_OK);
    assert_int_equal(psc_recording_write(f, (const uint8_t *)"foobar", 6), PSC_OK);
    rewind(f);
    uint8_t b[32];
    assert_int_equal(fread(b, 1, sizeof b, f), 4 + 8 + 6);
    static const uint8_t want[18] = {1, 0, 0, 0, 0x68, 0xf9, 0x9c, 0xbf, 6, 0, 0, 0, 'f', 'o', 'o', 'b', 'a', 'r'};
    assert_memory_equal(b, want, sizeof want);
    fclose(f);
}

/* Overwrite bytes at an absolute offset of the file. */
static void patch(FILE *f, long off, const void *bytes, size_t n)
{
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    assert_int_equal(fflush(f), 0);
    rewind(f);
}

static long record_offset(size_t i)
{
    long off = 4;
    for (size_t k = 0; k < i; k++)
        off += 8 + (long)record_len(k);
    return off;
}

static void test_corrupt_record_is_skipped(void **state)
{
    (void)state;
    FILE *f = write_file(8);
    /* damage record 3's payload and record 6's checksum */
    uint8_t x = 0x5a;
    patch(f, record_offset(3) + 8 + 100, &x, 1);
    patch(f, record_offset(6) + 1, &x, 1);

    psc_recording *r;
    assert_int_equal(psc_recording_open(f, &r), PSC_OK);
    expect_record(r, 0);
    expect_record(r, 1);
    expect_record(r, 2);
    expect_error(r, PSC_ERR_CORRUPT);
    assert_int_equal(psc_recording_index(r), 3);
    expect_record(r, 4);
    expect_record(r, 5);
    expect_error(r, PSC_ERR_CORRUPT);
    assert_int_equal(psc_recording_index(r), 6);
    expect_record(r, 7);
    expect_error(r, PSC_ERR_CLOSED);
    psc_recording_close(r);
    fclose(f);
}

/* Copy the first `keep` bytes of f into a new temporary file. */
static FILE *truncated_copy(FILE *f, long keep)
{
    FILE *g = tmpfile();
    assert_non_null(g);
    uint8_t *buf = malloc((size_t)keep + 1);
    assert_non_null(buf);
    rewind(f);
    assert_int_equal(fread(buf, 1, (size_t)keep, f), (size_t)keep);
    assert_int_equal(fwrite(buf, 1, (size_t)keep, g), (size_t)keep);
    free(buf);
    assert_int_equal(fflush(g), 0);
    rewind(g);
    return g;
}

static void test_truncated(void **state)
{
    (void)state;
    FILE *f = write_file(4);
    long cuts[] = {
        record_offset(2) + 3,          /* inside record 2's header */
        record_offset(2) + 8,          /* header complete, no payload */
        record_offset(3) + 8 + 1,      /* first byte of record 3's payload (4095 bytes) */
        record_offset(3) + 8 + 4000,   /* record 3 nearly complete */
    };
    size_t complete[] = {2, 2, 3, 3};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        FILE *g = truncated_copy(f, cuts[c]);
        psc_recording *r;
        assert_int_equal(psc_recording_open(g, &r), PSC_OK);
        for (size_t i = 0; i < complete[c]; i++)
            expect_record(r, i);
        expect_error(r, PSC_ERR_PROTOCOL);
        /* the stream is out of step: it stays unreadable */
        expect_error(r, PSC_ERR_PROTOCOL);
        psc_recording_close(r);
        fclose(g);
    }
    /* cut exactly between records: a clean end */
    FILE *g = truncated_copy(f, record_offset(2));
    psc_recording *r;
    assert_int_equal(psc_recording_open(g, &r), PSC_OK);
    expect_record(r, 0);
    expect_record(r, 1);
    expect_error(r, PSC_ERR_CLOSED);
    psc_recording_close(r);
    fclose(g);
    fclose(f);
}

static void test_bad_version_and_empty(void **state)
{
    (void)state;
    const uint8_t headers[][4] = {{2, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 1}, {1, 0, 0, 0x80}};
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        FILE *f = tmpfile();
        assert_non_null(f);
        assert_int_equal(fwrite(headers[i], 1, 4, f), 4);
        assert_int_equal(psc_recording_write(f, (const uint8_t *)"x", 1), PSC_OK);
        rewind(f);
        psc_recording *r = (psc_recording *)(uintptr_t)0x1234;
        assert_int_equal(psc_recording_open(f, &r), PSC_ERR_PROTOCOL);
        assert_ptr_equal(r, (psc_recording *)(uintptr_t)0x1234);
        fclose(f);
    }
    /* empty file, and a file shorter than its version word */
    for (size_t n = 0; n < 4; n++) {
        FILE *f = tmpfile();
        assert_non_null(f);
        if (n)
            assert_int_equal(fwrite("\1\0\0", 1, n, f), n);
        rewind(f);
        psc_recording *r = NULL;
        assert_int_equal(psc_recording_open(f, &r), PSC_ERR_PROTOCOL);
        assert_null(r);
        fclose(f);
    }
    /* header only: a valid, empty recording */
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(psc_recording_write_header(f), PSC_OK);
    rewind(f);
    psc_recording *r;
    assert_int_equal(psc_recording_open(f, &r), PSC_OK);
    expect_error(r, PSC_ERR_CLOSED);
    psc_recording_close(r);
    fclose(f);
}

static void test_oversize_length(void **state)
{
    (void)state;
    FILE *f = write_file(2);
    uint8_t len[4];
    uint32_t big = PSC_RECORDING_MAX_RECORD + 1;
    len[0] = (uint8_t)big;
    len[1] = (uint8_t)(big >> 8);
    len[2] = (uint8_t)(big >> 16);
    len[3] = (uint8_t)(big >> 24);
    patch(f, record_offset(1) + 4, len, 4);
    psc_recording *r;
    assert_int_equal(psc_recording_open(f, &r), PSC_OK);
    expect_record(r, 0);
    expect_error(r, PSC_ERR_PROTOCOL);
    expect_error(r, PSC_ERR_PROTOCOL);
    psc_recording_close(r);

    /* the largest u32 too */
    rewind(f);
    memset(len, 0xff, 4);
    patch(f, record_offset(1) + 4, len, 4);
    assert_int_equal(psc_recording_open(f, &r), PSC_OK);
    expect_record(r, 0);
    expect_error(r, PSC_ERR_PROTOCOL);
    psc_recording_close(r);
    fclose(f);

    /* the writer refuses what the reader would refuse, before reading
     * the payload (so a dummy pointer is fine) */
    f = tmpfile();
    assert_non_null(f);
    static const uint8_t dummy[1];
    assert_int_equal(psc_recording_write(f, dummy, (size_t)PSC_RECORDING_MAX_RECORD + 1), PSC_ERR_TOO_BIG);
    assert_int_equal(ftell(f), 0);
    fclose(f);
}

/* A reader at the end picks up records appended later (following a file
 * that is still being written). */
static void test_follow_appended(void **state)
{
    (void)state;
    FILE *f = write_file(2);
    psc_recording *r;
    assert_int_equal(psc_recording_open(f, &r), PSC_OK);
    expect_record(r, 0);
    expect_record(r, 1);
    expect_error(r, PSC_ERR_CLOSED);

    long pos = ftell(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    uint8_t buf[4095];
    fill_record(3, buf, sizeof buf);
    /* record 2 is 1 byte, record 3 4095 bytes (record_len) */
    uint8_t one[1];
    fill_record(2, one, 1);
    assert_int_equal(psc_recording_write(f, one, 1), PSC_OK);
    assert_int_equal(psc_recording_write(f, buf, sizeof buf), PSC_OK);
    assert_int_equal(fflush(f), 0);
    assert_int_equal(fseek(f, pos, SEEK_SET), 0);

    expect_record(r, 2);
    expect_record(r, 3);
    expect_error(r, PSC_ERR_CLOSED);
    psc_recording_close(r);
    fclose(f);
}

static void test_null_arguments(void **state)
{
    (void)state;
    psc_recording *r = NULL;
    assert_int_equal(psc_recording_open(NULL, &r), PSC_ERR_INVALID);
    FILE *f = write_file(1);
    assert_int_equal(psc_recording_open(f, NULL), PSC_ERR_INVALID);
    assert_int_equal(psc_recording_open(f, &r), PSC_OK);
    const uint8_t *p;
    size_t len;
    assert_int_equal(psc_recording_next(NULL, &p, &len), PSC_ERR_INVALID);
    assert_int_equal(psc_recording_next(r, NULL, &len), PSC_ERR_INVALID);
    assert_int_equal(psc_recording_next(r, &p, NULL), PSC_ERR_INVALID);
    /* the failed calls consumed nothing */
    expect_record(r, 0);
    psc_recording_close(r);
    psc_recording_close(NULL);
    assert_int_equal(psc_recording_index(NULL), 0);
    assert_int_equal(psc_recording_write_header(NULL), PSC_ERR_INVALID);
    assert_int_equal(psc_recording_write(NULL, p, 1), PSC_ERR_INVALID);
    assert_int_equal(psc_recording_write(f, NULL, 1), PSC_ERR_INVALID);
    fclose(f);
}

/* A read error (a stream opened write-only) is reported as such. */
static void test_read_error(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(psc_recording_write_header(f), PSC_OK);
    assert_int_equal(fflush(f), 0);
    rewind(f);
    int fd = dup(fileno(f));
    assert_true(fd >= 0);
    FILE *w = fdopen(fd, "w");
    assert_non_null(w);
    psc_recording *r = NULL;
    assert_int_equal(psc_recording_open(w, &r), PSC_ERR_IO);
    assert_null(r);
    fclose(w);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_header_bytes),
        cmocka_unit_test(test_corrupt_record_is_skipped),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bad_version_and_empty),
        cmocka_unit_test(test_oversize_length),
        cmocka_unit_test(test_follow_appended),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_read_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
