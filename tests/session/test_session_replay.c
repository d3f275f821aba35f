/*
 * Sessions of a replaying endpoint (session_replay.c) over a timeline built
 * here (wire/timeline.c), with an injected clock: pacing at speed 1, 2 and
 * as fast as possible, pause, loop, start time, event metadata for a
 * session that starts in the middle, slow clients that hold playback back
 * without losing anything, and REQUEST STATE with at_ts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../support/fake_msg.h"
#include "session_fixture.h"
#include "wire/timeline.h"

#define T0 1600000000000ull

/* ------------------------------------------------------------ a recording */

static void add(psc__timeline *tl, const Peerscope__ServerMessage *sm)
{
    size_t n = peerscope__server_message__get_packed_size(sm);
    uint8_t buf[512];
    assert_true(n <= sizeof buf);
    peerscope__server_message__pack(sm, buf);
    char why[128];
    assert_int_equal(psc__timeline_add(tl, buf, n, 0, why, sizeof why), PSC_OK);
}

static void add_state(psc__timeline *tl, uint64_t seq, uint64_t base_seq, uint64_t ts)
{
    psc_msg *m = NULL;
    assert_int_equal(psc_test_fake_state(&psc__default_alloc, seq, base_seq, ts, &m), PSC_OK);
    size_t n;
    const uint8_t *p = psc_msg_payload(m, &n);
    assert_int_equal(psc__timeline_add(tl, p, n, 0, NULL, 0), PSC_OK);
    psc_msg_unref(m);
}

/* An event of type name, "n" = n, with its metadata when meta. */
static void add_event(psc__timeline *tl, const char *name, int n, uint64_t ts, bool meta)
{
    Peerscope__EventType__EventProperty prop = PEERSCOPE__EVENT_TYPE__EVENT_PROPERTY__INIT;
    prop.name = "n";
    prop.type = PEERSCOPE__EVENT_TYPE__EVENT_PROPERTY__PROPERTY_TYPE__NUMBER;
    Peerscope__EventType__EventProperty *props[] = {&prop};
    Peerscope__EventType type = PEERSCOPE__EVENT_TYPE__INIT;
    type.name = (char *)name;
    if (meta) {
        type.n_property_types = 1;
        type.property_types = props;
    }
    char content[32];
    snprintf(content, sizeof content, "{\"n\":%d}", n);
    Peerscope__Event ev = PEERSCOPE__EVENT__INIT;
    ev.type = &type;
    ev.ts = ts;
    ev.content = content;
    Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;
    Peerscope__Version v = PEERSCOPE__VERSION__INIT;
    v.version = 1;
    sm.version = &v;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT;
    sm.event = &ev;
    add(tl, &sm);
}

/*
 * S1 at T0, A1 (+meta) at T0+100, B1 (+meta) at T0+200, S2 (a delta on S1)
 * at T0+500, A2 (no meta) at T0+1000, S3 at T0+2000.
 */
static psc__timeline *recording(void)
{
    psc__timeline *tl = NULL;
    assert_int_equal(psc__timeline_new(&psc__default_alloc, &tl), PSC_OK);
    add_state(tl, 1, 0, T0);
    add_event(tl, "TypeA", 1, T0 + 100, true);
    add_event(tl, "TypeB", 1, T0 + 200, true);
    add_state(tl, 2, 1, T0 + 500);
    add_event(tl, "TypeA", 2, T0 + 1000, false);
    add_state(tl, 3, 0, T0 + 2000);
    psc__timeline_seal(tl);
    return tl;
}

/* ------------------------------------------------------------ a session playing it */

typedef struct rig {
    fx f;
    psc__timeline *tl;
    psc__replay_source src;
    psc__session *s;
} rig;

static psc_err no_state(void *user, psc_msg **out)
{
    (void)user;
    (void)out;
    fail_msg("a replaying session must not take live snapshots");
    return PSC_ERR_INTERNAL;
}

static psc_err a_runtime(void *user, psc_msg **out)
{
    rig *r = user;
    return psc_test_fake_runtime(&r->f.a, "replay", out);
}

static psc_err no_reader(void *user, psc_event_reader **out)
{
    (void)user;
    (void)out;
    fail_msg("a replaying session must not read the event ring");
    return PSC_ERR_INTERNAL;
}

static void rig_init(rig *r, double speed, uint64_t start_ts, bool loop, const psc__session_limits *lim)
{
    memset(r, 0, sizeof *r);
    fx_init(&r->f, 0, lim);
    r->tl = recording();
    r->src = (psc__replay_source){.tl = r->tl, .speed = speed, .start_ts = start_ts, .loop = loop};
    psc__session_env env = {no_state, a_runtime, no_reader, r, NULL, &r->src, NULL};
    assert_int_equal(psc__session_new(&r->f.a, &env, &r->f.lim, r->f.now, &r->s), PSC_OK);
    fx_hello(&r->f, r->s);
}

static void rig_fini(rig *r)
{
    psc__session_free(r->s);
    psc__timeline_free(r->tl);
    fx_fini(&r->f);
}

static void cmd_ok(rig *r, int command, int source, uint64_t id)
{
    assert_int_equal(fx_cmd(&r->f, r->s, command, source, id, NULL), PSC_OK);
    fx_free_msg(fx_expect_response(&r->f, r->s, id, true));
}

static void play(rig *r)
{
    cmd_ok(r, CMD_ENABLE, SRC_STATE, 2);
    cmd_ok(r, CMD_ENABLE, SRC_EVENTS, 3);
}

static void poll_at(rig *r, uint64_t now)
{
    r->f.now = now;
    bool more;
    assert_int_equal(psc__session_poll(r->s, now, &more), PSC_OK);
}

/* The next message: "S<seq>", "A<n>", "A<n>+" (with metadata), "B<n>", "" when none. */
static const char *next(rig *r, char *buf, size_t len)
{
    Peerscope__ServerMessage *m = fx_pull(&r->f, r->s);
    if (!m)
        return "";
    if (m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE) {
        assert_null(m->state->delta); /* always whole */
        snprintf(buf, len, "S%llu", (unsigned long long)m->state->seq);
    } else if (m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT) {
        int n = 0;
        assert_int_equal(sscanf(m->event->content, "{\"n\":%d}", &n), 1);
        snprintf(buf, len, "%c%d%s", m->event->type->name[4], n, m->event->type->n_property_types ? "+" : "");
    } else {
        snprintf(buf, len, "?%d", (int)m->payload_case);
    }
    fx_free_msg(m);
    return buf;
}

/* Everything queued, space-separated. */
static const char *drain(rig *r, char *out, size_t len)
{
    char one[32];
    out[0] = '\0';
    for (const char *s; *(s = next(r, one, sizeof one));) {
        size_t used = strlen(out);
        snprintf(out + used, len - used, "%s%s", used ? " " : "", s);
    }
    return out;
}

/* ------------------------------------------------------------ tests */

static void test_real_time(void **state)
{
    (void)state;
    rig r;
    char got[256];
    rig_init(&r, 1.0, 0, false, NULL);
    uint64_t t = r.f.now;
    poll_at(&r, t);
    assert_string_equal(drain(&r, got, sizeof got), ""); /* nothing before PUSH_ENABLE */
    play(&r);
    poll_at(&r, t);
    assert_string_equal(drain(&r, got, sizeof got), "S1");
    assert_int_equal(psc__session_next_due(r.s), t + 100);
    poll_at(&r, t + 99);
    assert_string_equal(drain(&r, got, sizeof got), "");
    poll_at(&r, t + 100);
    assert_string_equal(drain(&r, got, sizeof got), "A1+");
    poll_at(&r, t + 600);
    assert_string_equal(drain(&r, got, sizeof got), "B1+ S2");
    assert_int_equal(psc__session_next_due(r.s), t + 1000);
    poll_at(&r, t + 5000);
    assert_string_equal(drain(&r, got, sizeof got), "A2 S3");
    assert_int_equal(psc__session_next_due(r.s), UINT64_MAX); /* over: no loop */
    poll_at(&r, t + 50000);
    assert_string_equal(drain(&r, got, sizeof got), "");
    rig_fini(&r);
}

static void test_speed(void **state)
{
    (void)state;
    rig r;
    char got[256];
    rig_init(&r, 2.0, 0, false, NULL);
    uint64_t t = r.f.now;
    play(&r);
    poll_at(&r, t + 249);
    assert_string_equal(drain(&r, got, sizeof got), "S1 A1+ B1+");
    assert_int_equal(psc__session_next_due(r.s), t + 250);
    poll_at(&r, t + 999);
    assert_string_equal(drain(&r, got, sizeof got), "S2 A2");
    poll_at(&r, t + 1000);
    assert_string_equal(drain(&r, got, sizeof got), "S3");
    rig_fini(&r);

    /* as fast as possible, looping: one poll queues a batch, pass after pass */
    rig_init(&r, 0, 0, true, NULL);
    t = r.f.now;
    play(&r);
    bool more = false;
    assert_int_equal(psc__session_poll(r.s, t, &more), PSC_OK);
    assert_true(more); /* the batch is bounded: call again */
    char all[4096];
    drain(&r, all, sizeof all);
    const char *two = "S1 A1+ B1+ S2 A2 S3 S1 A1+ B1+ S2 A2 S3 S1";
    assert_memory_equal(all, two, strlen(two));
    size_t words = 1;
    for (const char *c = all; *c; c++)
        words += *c == ' ';
    assert_int_equal(words, PSC__SESSION_EVENT_BATCH);
    rig_fini(&r);
}

static void test_pause_holds_playback(void **state)
{
    (void)state;
    rig r;
    char got[256];
    rig_init(&r, 1.0, 0, false, NULL);
    uint64_t t = r.f.now;
    play(&r);
    poll_at(&r, t + 150);
    assert_string_equal(drain(&r, got, sizeof got), "S1 A1+");
    r.f.now = t + 160;
    cmd_ok(&r, CMD_PAUSE, SRC_STATE, 4);
    poll_at(&r, t + 100000);
    assert_string_equal(drain(&r, got, sizeof got), "");
    assert_int_equal(psc__session_next_due(r.s), UINT64_MAX);
    r.f.now = t + 100160;
    cmd_ok(&r, CMD_RESUME, SRC_STATE, 5);
    /* B1 was 40 ms away when paused: still 40 ms away */
    assert_int_equal(psc__session_next_due(r.s), t + 100200);
    poll_at(&r, t + 100199);
    assert_string_equal(drain(&r, got, sizeof got), "");
    poll_at(&r, t + 100200);
    assert_string_equal(drain(&r, got, sizeof got), "B1+");
    rig_fini(&r);
}

static void test_start_and_metadata(void **state)
{
    (void)state;
    rig r;
    char got[256];
    /* from T0+600: A2 is the first TypeA event this client sees: it gets the type's metadata */
    rig_init(&r, 1.0, T0 + 600, true, NULL);
    uint64_t t = r.f.now;
    play(&r);
    poll_at(&r, t + 399);
    assert_string_equal(drain(&r, got, sizeof got), "");
    poll_at(&r, t + 400);
    assert_string_equal(drain(&r, got, sizeof got), "A2+");
    /* the loop goes back to the recording's beginning, right after its end */
    poll_at(&r, t + 1400);
    assert_string_equal(drain(&r, got, sizeof got), "S3 S1");
    poll_at(&r, t + 1499);
    assert_string_equal(drain(&r, got, sizeof got), "");
    poll_at(&r, t + 1500);
    assert_string_equal(drain(&r, got, sizeof got), "A1+");
    rig_fini(&r);
}

static void test_only_what_is_followed(void **state)
{
    (void)state;
    rig r;
    char got[256];
    rig_init(&r, 0, 0, false, NULL);
    cmd_ok(&r, CMD_ENABLE, SRC_STATE, 2);
    poll_at(&r, r.f.now);
    assert_string_equal(drain(&r, got, sizeof got), "S1 S2 S3");
    /* events enabled after playback went by them: the recording's from its start */
    cmd_ok(&r, CMD_ENABLE, SRC_EVENTS, 3);
    poll_at(&r, r.f.now);
    assert_string_equal(drain(&r, got, sizeof got), "A1+ B1+ A2");
    rig_fini(&r);

    /* at speed 1: a kind enabled late catches up at once, then plays in step */
    rig_init(&r, 1.0, 0, false, NULL);
    uint64_t t = r.f.now;
    cmd_ok(&r, CMD_ENABLE, SRC_STATE, 2);
    poll_at(&r, t + 600);
    assert_string_equal(drain(&r, got, sizeof got), "S1 S2");
    cmd_ok(&r, CMD_ENABLE, SRC_EVENTS, 3);
    poll_at(&r, t + 600);
    assert_string_equal(drain(&r, got, sizeof got), "A1+ B1+");
    assert_int_equal(psc__session_next_due(r.s), t + 1000);
    /* disabled and enabled again: from where playback is, as a live node would (A2 at +1000 is missed) */
    cmd_ok(&r, CMD_DISABLE, SRC_EVENTS, 4);
    poll_at(&r, t + 1500);
    assert_string_equal(drain(&r, got, sizeof got), "");
    cmd_ok(&r, CMD_ENABLE, SRC_EVENTS, 5);
    poll_at(&r, t + 2000);
    assert_string_equal(drain(&r, got, sizeof got), "S3");
    rig_fini(&r);
}

static void test_slow_client_loses_nothing(void **state)
{
    (void)state;
    psc__session_limits lim;
    psc__session_limits_from(NULL, &lim);
    lim.max_queued = PSC__SESSION_RESERVE + 2; /* room for two pushes at a time */
    rig r;
    char got[256];
    rig_init(&r, 0, 0, false, &lim);
    play(&r);
    poll_at(&r, r.f.now);
    assert_int_equal(psc__session_next_due(r.s), UINT64_MAX); /* blocked: pull resumes it, no busy timer */
    assert_string_equal(drain(&r, got, sizeof got), "S1 A1+ B1+ S2 A2 S3");
    rig_fini(&r);
}

static void at_ts(rig *r, uint64_t id, uint64_t ts, bool ok, uint64_t want_seq, const char *err_part)
{
    Peerscope__ClientCommand c = PEERSCOPE__CLIENT_COMMAND__INIT;
    c.command = PEERSCOPE__CLIENT_COMMAND__COMMAND__REQUEST;
    c.source = PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE;
    c.id = id;
    c.at_ts = ts;
    uint8_t buf[64];
    size_t n = peerscope__client_command__pack(&c, buf);
    assert_int_equal(psc__session_input(r->s, buf, n, r->f.now), PSC_OK);
    Peerscope__ServerMessage *m = fx_expect_response(&r->f, r->s, id, ok);
    if (ok) {
        assert_non_null(m->response->state);
        assert_null(m->response->state->delta);
        assert_int_equal(m->response->state->seq, want_seq);
    } else {
        assert_null(m->response->state);
        assert_non_null(strstr(m->response->error, err_part));
    }
    fx_free_msg(m);
}

static void test_state_at(void **state)
{
    (void)state;
    rig r;
    char got[64];
    rig_init(&r, 1.0, 0, false, NULL);
    at_ts(&r, 10, T0, true, 1, NULL);
    at_ts(&r, 11, T0 + 499, true, 1, NULL);
    at_ts(&r, 12, T0 + 500, true, 2, NULL); /* recorded as a delta: answered whole */
    at_ts(&r, 13, T0 + 2000, true, 3, NULL);
    at_ts(&r, 14, T0 - 1, false, 0, "outside the recording");
    at_ts(&r, 15, T0 + 2001, false, 0, "outside the recording");
    /* a plain REQUEST STATE: where the session's playback is (not started: the beginning) */
    assert_int_equal(fx_cmd(&r.f, r.s, CMD_REQUEST, SRC_STATE, 16, NULL), PSC_OK);
    assert_string_equal(next(&r, got, sizeof got), "S1");
    play(&r);
    poll_at(&r, r.f.now + 600);
    drain(&r, got, sizeof got);
    assert_int_equal(fx_cmd(&r.f, r.s, CMD_REQUEST, SRC_STATE, 17, NULL), PSC_OK);
    assert_string_equal(next(&r, got, sizeof got), "S2");
    rig_fini(&r);
}

static void test_at_ts_on_a_live_session(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, 0, NULL);
    fx_hello(&f, f.s);
    Peerscope__ClientCommand c = PEERSCOPE__CLIENT_COMMAND__INIT;
    c.command = PEERSCOPE__CLIENT_COMMAND__COMMAND__REQUEST;
    c.source = PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE;
    c.id = 7;
    c.at_ts = T0;
    uint8_t buf[64];
    size_t n = peerscope__client_command__pack(&c, buf);
    assert_int_equal(psc__session_input(f.s, buf, n, f.now), PSC_OK);
    Peerscope__ServerMessage *m = fx_expect_response(&f, f.s, 7, false);
    assert_non_null(strstr(m->response->error, "replays a recording"));
    fx_free_msg(m);
    assert_int_equal(f.state_calls, 0); /* no snapshot for it */
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_time),
        cmocka_unit_test(test_speed),
        cmocka_unit_test(test_pause_holds_playback),
        cmocka_unit_test(test_start_and_metadata),
        cmocka_unit_test(test_only_what_is_followed),
        cmocka_unit_test(test_slow_client_loses_nothing),
        cmocka_unit_test(test_state_at),
        cmocka_unit_test(test_at_ts_on_a_live_session),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
