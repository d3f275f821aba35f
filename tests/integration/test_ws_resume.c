/*
 * Event resume end to end: the C client's psc_client_push_events_after
 * against the real endpoint, over a real socket (ClientCommand
 * resume_events / after_seq, as peerscope-hub uses them after a reconnect).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "client_util.h"
#include "test_host.h"

#define T_WAIT 20000 /* generous: sanitizers slow everything down */

static psc_client *open_client(test_host *h, rec *r)
{
    psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
    cfg.url = h->url;
    cfg.callbacks = &rec_callbacks;
    cfg.user = r;
    psc_client *c = NULL;
    assert_int_equal(psc_client_new(&cfg, &c), PSC_OK);
    assert_int_equal(psc_client_hello(c, NULL, NULL), PSC_OK);
    return c;
}

static void expect_ok(psc_client_loop *loop, rec *r, uint64_t id)
{
    const rec_item *it = wait_response(loop, r, id, T_WAIT);
    if (!it)
        fail_msg("no response to command %llu", (unsigned long long)id);
    if (it->result != PEERSCOPE__COMMAND_RESPONSE__RESULT__OK)
        fail_msg("command %llu answered ERR: %s", (unsigned long long)id, it->text);
}

/* The events recorded, in order, must be exactly the seqs first..last. */
static void expect_seqs(const rec *r, uint64_t first, uint64_t last)
{
    uint64_t want = first;
    for (size_t i = 0; i < r->n; i++) {
        if (r->items[i].kind != 'E')
            continue;
        if (r->items[i].id != want)
            fail_msg("event %zu has seq %llu, expected %llu", i, (unsigned long long)r->items[i].id,
                     (unsigned long long)want);
        want++;
    }
    assert_int_equal(want, last + 1);
    assert_int_equal(r->events_out_of_order, 0);
}

static void test_resume_within_ring(void **state)
{
    test_host_opts o = {.event_ring = 64};
    test_host *h = host_fixture(state, &o);
    host_emit(h, 30, 0);
    host_emit_wait(h);

    rec *r = calloc(1, sizeof *r);
    assert_non_null(r);
    rec_init(r);
    psc_client *c = open_client(h, r);
    psc_client_loop *loop = psc_client_get_loop(c);
    uint64_t id = 0;
    assert_int_equal(psc_client_push_events_after(c, 10, &id), PSC_OK);
    expect_ok(loop, r, id);
    assert_true(wait_counter(loop, &r->events, 20, T_WAIT));
    /* then live */
    host_emit(h, 10, 0);
    host_emit_wait(h);
    assert_true(wait_counter(loop, &r->events, 30, T_WAIT));
    expect_seqs(r, 11, 40);
    assert_int_equal(r->notices, 0);
    /* the first event of each type carried its metadata, as for any session */
    long first = rec_find(r, 'E', 0);
    assert_true(first >= 0 && r->items[first].count > 0);
    psc_client_free(c);
    free(r);
}

static void test_resume_past_ring(void **state)
{
    test_host_opts o = {.event_ring = 64};
    test_host *h = host_fixture(state, &o);
    host_emit(h, 140, 0); /* the ring holds 77..140 */
    host_emit_wait(h);

    rec *r = calloc(1, sizeof *r);
    assert_non_null(r);
    rec_init(r);
    psc_client *c = open_client(h, r);
    psc_client_loop *loop = psc_client_get_loop(c);
    uint64_t id = 0;
    assert_int_equal(psc_client_push_events_after(c, 5, &id), PSC_OK);
    expect_ok(loop, r, id);
    assert_true(wait_counter(loop, &r->events, 64, T_WAIT));
    assert_int_equal(r->notices, 1);
    long n = rec_find(r, 'N', 0);
    assert_int_equal(r->items[n].id, 71); /* 6..76 */
    assert_true(n < rec_find(r, 'E', 0)); /* before the events */
    expect_seqs(r, 77, 140);
    psc_client_free(c);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_resume_within_ring, host_teardown),
        cmocka_unit_test_teardown(test_resume_past_ring, host_teardown),
    };
    return RUN_TESTS(tests);
}
