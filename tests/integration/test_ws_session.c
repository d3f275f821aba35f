/*
 * The 2020 visualizer's command sequence against the real WebSocket
 * endpoint, every frame checked byte by byte, plus the protocol's error
 * answers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "client_util.h"
#include "test_host.h"

#define T_WAIT 8000 /* generous: sanitizers slow everything down */

/* Frames as received, so one can be compared with the library's own encoding. */
typedef struct frames {
    rec r;
    uint8_t *runtime_frame;
    size_t runtime_len;
    uint8_t *last;
    size_t last_len;
} frames;

static void f_frame(void *user, psc_client *c, const uint8_t *frame, size_t len)
{
    frames *f = user;
    rec_callbacks.on_frame(&f->r, c, frame, len);
    free(f->last);
    f->last = malloc(len ? len : 1);
    assert_non_null(f->last); /* main thread: polls run here */
    memcpy(f->last, frame, len);
    f->last_len = len;
}

static void f_message(void *user, psc_client *c, const Peerscope__ServerMessage *m, const uint8_t *p, size_t len)
{
    frames *f = user;
    rec_callbacks.on_message(&f->r, c, m, p, len);
    if (m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME && !f->runtime_frame) {
        f->runtime_frame = f->last;
        f->runtime_len = f->last_len;
        f->last = NULL;
    }
}

static void f_close(void *user, psc_client *c, psc_err err, int code, const char *reason)
{
    frames *f = user;
    rec_callbacks.on_close(&f->r, c, err, code, reason);
}

static const psc_client_callbacks frames_cb = {
    sizeof(psc_client_callbacks), NULL, f_frame, f_message, NULL, NULL, NULL, NULL, NULL, NULL, f_close,
};

static psc_client *open_client(test_host *h, const psc_client_callbacks *cb, void *user, bool legacy)
{
    psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
    cfg.url = h->url;
    cfg.callbacks = cb;
    cfg.user = user;
    cfg.omit_version = legacy;
    cfg.first_command_id = legacy ? 1000 : 0; /* the visualizer's ids do not restart at 1 */
    psc_client *c = NULL;
    assert_int_equal(psc_client_new(&cfg, &c), PSC_OK);
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

static void expect_err(psc_client_loop *loop, rec *r, uint64_t id)
{
    const rec_item *it = wait_response(loop, r, id, T_WAIT);
    if (!it)
        fail_msg("no response to command %llu", (unsigned long long)id);
    assert_int_equal(it->result, PEERSCOPE__COMMAND_RESPONSE__RESULT__ERR);
    assert_true(it->text[0] != 0); /* an ERR says why */
}

typedef struct paused_wait {
    test_host *h;
    size_t n;
} paused_wait;

static bool cond_paused_queued(void *arg)
{
    paused_wait *w = arg;
    psc_session_info info[4];
    size_t n = host_sessions(w->h, info, 4);
    return n == 1 && info[0].paused && info[0].paused_queued >= w->n;
}

static void test_visualizer_sequence(void **state)
{
    test_host_opts o = {.n_conns = 3};
    test_host *hp = host_fixture(state, &o);

    frames *f = calloc(1, sizeof *f);
    assert_non_null(f);
    rec *r = &f->r;
    r->check_frames = true;
    psc_client *c = open_client(hp, &frames_cb, f, true);
    psc_client_loop *loop = psc_client_get_loop(c);
    uint64_t id;

    /* HELLO with the visualizer's config, nothing else until its answer */
    psc_client_settings hello = {120000, 2000};
    assert_int_equal(psc_client_hello(c, &hello, &id), PSC_OK);
    assert_int_equal(id, 1000);
    expect_ok(loop, r, 1000);
    const rec_item *it = rec_response(r, 1000);
    assert_true(it->has_config);
    assert_int_equal(it->retention, 120000);
    assert_int_equal(it->interval, 2000);
    assert_int_equal(r->n, 1); /* the server sends nothing on its own before */

    /* REQUEST RUNTIME: the answer is the Runtime itself */
    assert_int_equal(psc_client_request(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME, &id), PSC_OK);
    assert_true(wait_kind(loop, r, 'T', 1, T_WAIT));
    it = &r->items[rec_find(r, 'T', 0)];
    assert_string_equal(it->text, "peerscope-test-host");
    assert_true(it->count >= 13); /* the well-known types and TestPing */
    assert_null(rec_response(r, id));
    /* byte for byte what the library encodes for the same Runtime */
    psc_msg *rt = NULL;
    assert_int_equal(psc_introspector_runtime(hp->intro, &rt), PSC_OK);
    size_t rlen = 0;
    const uint8_t *rbytes = psc_msg_framed(rt, &rlen);
    assert_int_equal(f->runtime_len, rlen);
    assert_memory_equal(f->runtime_frame, rbytes, rlen);
    static const uint8_t v1[4] = {1, 0, 0, 0};
    assert_memory_equal(f->runtime_frame, v1, 4);
    psc_msg_unref(rt);

    /* PUSH_ENABLE EVENTS: events flow, metadata only with the first of each type */
    assert_int_equal(psc_client_push_enable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, &id), PSC_OK);
    expect_ok(loop, r, id);
    host_emit(hp, 10, 8);
    assert_true(wait_kind(loop, r, 'E', 10, T_WAIT));
    bool seen_ping = false, seen_peer = false;
    for (size_t i = 0; i < r->n; i++) {
        if (r->items[i].kind != 'E')
            continue;
        bool ping = strcmp(r->items[i].text, "TestPing") == 0;
        bool *seen = ping ? &seen_ping : &seen_peer;
        assert_int_equal(r->items[i].count, *seen ? 0 : (ping ? 2 : 4));
        *seen = true;
    }
    assert_true(seen_ping && seen_peer);
    assert_int_equal(r->events_out_of_order, 0);

    /* PUSH_ENABLE STATE: the server pushes states by itself */
    assert_int_equal(psc_client_push_enable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, &id), PSC_OK);
    expect_ok(loop, r, id);
    assert_true(wait_kind(loop, r, 'S', 1, T_WAIT));
    it = &r->items[rec_find(r, 'S', 0)];
    assert_int_equal(it->count, 3);
    assert_true(it->id >= 1);

    /* PUSH_PAUSE: nothing arrives; PUSH_RESUME: the OK, then the queue in order */
    assert_int_equal(psc_client_pause(c, &id), PSC_OK);
    expect_ok(loop, r, id);
    size_t after_pause = r->n;
    host_emit(hp, 20, 8);
    host_emit_wait(hp);
    paused_wait pw = {hp, 20};
    assert_true(wait_loop(loop, cond_paused_queued, &pw, T_WAIT));
    for (int i = 0; i < 5; i++)
        assert_int_equal(psc_client_loop_poll(loop, 10), PSC_OK);
    assert_int_equal(r->n, after_pause);
    uint64_t resume_id;
    assert_int_equal(psc_client_resume(c, &resume_id), PSC_OK);
    assert_true(wait_kind(loop, r, 'E', 30, T_WAIT));
    assert_int_equal(r->items[after_pause].kind, 'R');
    assert_int_equal(r->items[after_pause].id, resume_id);
    uint64_t prev = 0;
    size_t held_events = 0;
    for (size_t i = after_pause + 1; i < r->n; i++) {
        if (r->items[i].kind != 'E')
            continue;
        if (held_events++ && r->items[i].id != prev + 1)
            fail_msg("held event %llu after %llu", (unsigned long long)r->items[i].id, (unsigned long long)prev);
        prev = r->items[i].id;
    }
    assert_int_equal(held_events, 20);
    assert_int_equal(r->events_out_of_order, 0);

    /* UPDATE_CONFIG: clamped, and the new interval applies */
    psc_client_settings upd = {999999999, 10};
    assert_int_equal(psc_client_update_config(c, &upd, &id), PSC_OK);
    expect_ok(loop, r, id);
    it = rec_response(r, id);
    assert_true(it->has_config);
    assert_int_equal(it->retention, 120000);
    assert_int_equal(it->interval, 500);
    size_t states = rec_count(r, 'S');
    assert_true(wait_kind(loop, r, 'S', states + 2, T_WAIT));

    /* REQUEST STATE answers with a State */
    assert_int_equal(psc_client_push_disable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, &id), PSC_OK);
    expect_ok(loop, r, id);
    states = rec_count(r, 'S');
    assert_int_equal(psc_client_request(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, &id), PSC_OK);
    assert_true(wait_kind(loop, r, 'S', states + 1, T_WAIT));

    /* what the protocol refuses, each with ERR and a reason */
    assert_int_equal(psc_client_hello(c, NULL, &id), PSC_OK);
    expect_err(loop, r, id);
    assert_int_equal(psc_client_request(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, &id), PSC_OK);
    expect_err(loop, r, id);
    assert_int_equal(psc_client_push_enable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME, &id), PSC_OK);
    expect_err(loop, r, id);
    Peerscope__ClientCommand raw = PEERSCOPE__CLIENT_COMMAND__INIT;
    raw.id = 77777;
    raw.command = PEERSCOPE__CLIENT_COMMAND__COMMAND__UPDATE_CONFIG; /* no config */
    assert_int_equal(psc_client_send_command(c, &raw), PSC_OK);
    expect_err(loop, r, 77777);
    raw.id = 77778;
    raw.command = (Peerscope__ClientCommand__Command)6; /* never used by 2020 */
    assert_int_equal(psc_client_send_command(c, &raw), PSC_OK);
    expect_err(loop, r, 77778);

    /* every frame passed the independent header check */
    assert_int_equal(r->bad_frames, 0);
    assert_int_equal(r->errors, 0);
    assert_int_equal(r->frames, r->messages);

    assert_int_equal(psc_client_close(c), PSC_OK);
    assert_true(wait_loop(loop, cond_closed, r, T_WAIT));
    assert_int_equal(r->last_close_err, PSC_OK);
    psc_client_free(c);
    free(f->runtime_frame);
    free(f->last);
    free(f);
}

static void test_before_hello(void **state)
{
    test_host_opts o = {0};
    test_host *hp = host_fixture(state, &o);
    rec *r = calloc(1, sizeof *r);
    assert_non_null(r);
    psc_client *c = open_client(hp, &rec_callbacks, r, false);
    psc_client_loop *loop = psc_client_get_loop(c);
    uint64_t id1, id2, id3;
    assert_int_equal(psc_client_request(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME, &id1), PSC_OK);
    assert_int_equal(psc_client_push_enable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, &id2), PSC_OK);
    assert_int_equal(psc_client_hello(c, NULL, &id3), PSC_OK);
    expect_err(loop, r, id1);
    expect_err(loop, r, id2);
    expect_ok(loop, r, id3);
    const rec_item *it = rec_response(r, id3);
    assert_true(it->has_config);
    assert_int_equal(it->retention, 120000);
    assert_int_equal(it->interval, 1000);
    assert_int_equal(rec_count(r, 'T'), 0);
    psc_client_free(c);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_visualizer_sequence, host_teardown),
        cmocka_unit_test_teardown(test_before_hello, host_teardown),
    };
    return RUN_TESTS(tests);
}
