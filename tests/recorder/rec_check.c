#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec_check.h"
#include "peerscope/wire.h"

/* Room for n entries, growing by doubling (a power of two is reallocated to twice itself). */
static void *grow(void *p, size_t n, size_t size)
{
    if (p && (n & (n - 1)))
        return p;
    void *q = realloc(p, (n ? 2 * n : 1) * size);
    assert_non_null(q);
    return q;
}

static void check_rules(rec_read *r, bool by_time)
{
    assert_true(r->n >= 1);
    assert_int_equal(r->msgs[0]->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME);
    uint64_t last_t = 0, last_seq = 0, last_state_seq = 0;
    /* names whose metadata was seen */
    char **named = NULL;
    size_t n_named = 0;
    for (size_t i = 0; i < r->n; i++) {
        Peerscope__ServerMessage *m = r->msgs[i];
        assert_non_null(m->version);
        assert_int_equal(m->version->version, 1);
        if (m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME) {
            assert_int_equal(i, 0);
            r->runtimes++;
        } else if (m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE) {
            Peerscope__State *st = m->state;
            assert_null(st->delta); /* 2020 tools know no deltas */
            assert_true(st->seq > last_state_seq);
            last_state_seq = st->seq;
            assert_true(!by_time || st->instant_ts >= last_t);
            last_t = st->instant_ts;
            r->state = grow(r->state, r->states + 1, sizeof *r->state);
            r->state[r->states++] = st;
        } else if (m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT) {
            Peerscope__Event *ev = m->event;
            assert_non_null(ev->type);
            assert_true(ev->seq > last_seq);
            last_seq = ev->seq;
            assert_true(!by_time || ev->ts >= last_t);
            last_t = ev->ts;
            bool first = true;
            for (size_t k = 0; k < n_named; k++)
                first = first && strcmp(named[k], ev->type->name) != 0;
            if (first) {
                named = grow(named, n_named + 1, sizeof *named);
                named[n_named++] = ev->type->name;
            } else {
                /* the metadata went with the type's first event */
                assert_int_equal(ev->type->n_property_types, 0);
            }
            r->event = grow(r->event, r->events + 1, sizeof *r->event);
            r->event[r->events++] = ev;
        } else {
            fail_msg("record %zu: unexpected payload %d", i, (int)m->payload_case);
        }
    }
    free(named);
}

static void read_file(FILE *f, bool by_time, rec_read *out)
{
    memset(out, 0, sizeof *out);
    psc_recording *rd = NULL;
    assert_int_equal(psc_recording_open(f, &rd), PSC_OK);
    for (;;) {
        const uint8_t *p;
        size_t len;
        psc_err e = psc_recording_next(rd, &p, &len);
        if (e == PSC_ERR_CLOSED)
            break;
        assert_int_equal(e, PSC_OK);
        Peerscope__ServerMessage *m = peerscope__server_message__unpack(NULL, len, p);
        assert_non_null(m);
        out->msgs = grow(out->msgs, out->n + 1, sizeof *out->msgs);
        out->msgs[out->n++] = m;
    }
    psc_recording_close(rd);
    check_rules(out, by_time);
}

void rec_read_buffer(const uint8_t *buf, size_t len, bool by_time, rec_read *out)
{
    FILE *f = fmemopen((void *)buf, len, "rb");
    assert_non_null(f);
    read_file(f, by_time, out);
    fclose(f);
}

void rec_read_path(const char *path, bool by_time, rec_read *out)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    read_file(f, by_time, out);
    fclose(f);
}

void rec_read_free(rec_read *r)
{
    for (size_t i = 0; i < r->n; i++)
        peerscope__server_message__free_unpacked(r->msgs[i], NULL);
    free(r->msgs);
    free(r->state);
    free(r->event);
    memset(r, 0, sizeof *r);
}
