/*
 * Session protocol with delta states: which pushes are deltas and which are
 * full, and that every delta a client receives is based on the state it
 * received last (replacement, REQUEST STATE, pause and retention included).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "session_fixture.h"

static void cmd_ok(fx *f, int command, int source, uint64_t id)
{
    assert_int_equal(fx_cmd(f, f->s, command, source, id, NULL), PSC_OK);
    fx_free_msg(fx_expect_response(f, f->s, id, true));
}

static void tick(fx *f)
{
    f->now += 1000;
    bool more = false;
    assert_int_equal(psc__session_poll(f->s, f->now, &more), PSC_OK);
}

/* The client: the seq of the state it has (0: none). */
static uint64_t client_seq;

/* "S<seq>" for a full state, "D<base>><seq>" for a delta, "R<id>" for a
 * response; "" when nothing is queued. Deltas are checked against the
 * client's state as they arrive. */
static const char *next(fx *f, char *buf, size_t len)
{
    Peerscope__ServerMessage *m = fx_pull(f, f->s);
    if (!m)
        return "";
    switch (m->payload_case) {
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE: {
        const Peerscope__State *st = m->state;
        if (st->delta) {
            if (st->delta->base_seq != client_seq)
                fail_msg("delta to %llu based on %llu, but the client has %llu", (unsigned long long)st->seq,
                         (unsigned long long)st->delta->base_seq, (unsigned long long)client_seq);
            snprintf(buf, len, "D%llu>%llu", (unsigned long long)st->delta->base_seq, (unsigned long long)st->seq);
        } else {
            snprintf(buf, len, "S%llu", (unsigned long long)st->seq);
        }
        client_seq = st->seq;
        break;
    }
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE:
        snprintf(buf, len, "R%llu", (unsigned long long)m->response->id);
        break;
    default:
        snprintf(buf, len, "?%d", (int)m->payload_case);
    }
    fx_free_msg(m);
    return buf;
}

static void expect_seq(fx *f, const char *want)
{
    char got[1024] = "", item[48];
    const char *it;
    while (*(it = next(f, item, sizeof item))) {
        if (*got)
            strcat(got, " ");
        strcat(got, it);
    }
    assert_string_equal(got, want);
}

static void start(fx *f, uint32_t full_every)
{
    client_seq = 0;
    fx_init(f, 0, NULL);
    fx_hello_delta(f, f->s, full_every);
    cmd_ok(f, CMD_ENABLE, SRC_STATE, 2);
}

/* ------------------------------------------------------------ tests */

static void pushes_are_deltas_from_the_last_state(void **state)
{
    (void)state;
    fx f;
    start(&f, 0);
    tick(&f);
    expect_seq(&f, "S1");
    for (int i = 0; i < 3; i++)
        tick(&f);
    /* read in between or not, each is based on what the client has */
    expect_seq(&f, "D1>4");
    tick(&f);
    expect_seq(&f, "D4>5");
    tick(&f);
    expect_seq(&f, "D5>6");
    fx_fini(&f);
}

static void full_state_every_nth(void **state)
{
    (void)state;
    fx f;
    start(&f, 3);
    for (int i = 0; i < 7; i++) {
        tick(&f);
        char item[48];
        next(&f, item, sizeof item);
        static const char *const want[] = {"S1", "D1>2", "D2>3", "S4", "D4>5", "D5>6", "S7"};
        assert_string_equal(item, want[i]);
    }
    fx_fini(&f);
}

static void full_every_one_means_no_deltas(void **state)
{
    (void)state;
    fx f;
    start(&f, 1);
    tick(&f);
    tick(&f);
    expect_seq(&f, "S2");
    tick(&f);
    expect_seq(&f, "S3");
    assert_int_equal(f.delta_calls, 0);
    fx_fini(&f);
}

static void replaced_delta_keeps_its_base(void **state)
{
    (void)state;
    fx f;
    start(&f, 0);
    tick(&f);
    expect_seq(&f, "S1");
    tick(&f);      /* D1>2 queued, unread */
    tick(&f);      /* replaced: the client still has 1 */
    expect_seq(&f, "D1>3");
    /* an unread first (full) state is replaced by a full one */
    fx f2;
    start(&f2, 0);
    tick(&f2);
    tick(&f2);
    expect_seq(&f2, "S2");
    fx_fini(&f2);
    fx_fini(&f);
}

static void request_state_is_full_and_becomes_the_base(void **state)
{
    (void)state;
    fx f;
    start(&f, 0);
    tick(&f);
    expect_seq(&f, "S1");
    assert_int_equal(fx_cmd(&f, f.s, CMD_REQUEST, SRC_STATE, 3, NULL), PSC_OK);
    expect_seq(&f, "S2");
    tick(&f);
    expect_seq(&f, "D2>3");
    /* a REQUEST behind an unread pushed delta: that delta is no longer
     * replaced in place (the reply would overtake the newer state) */
    tick(&f);                                            /* D3>4 queued */
    assert_int_equal(fx_cmd(&f, f.s, CMD_REQUEST, SRC_STATE, 4, NULL), PSC_OK); /* S5 */
    tick(&f);                                            /* D5>6 */
    tick(&f);                                            /* replaces D5>6 by D5>7 */
    expect_seq(&f, "D3>4 S5 D5>7");
    fx_fini(&f);
}

/* Found by fuzzing: a REQUEST answered while deltas were still off left
 * the queued pushed state replaceable in place, so the next push overtook
 * the reply; with deltas switched on in between, that push was a delta on
 * the reply's state while the client ended up holding an older one. */
static void request_before_deltas_are_switched_on(void **state)
{
    (void)state;
    client_seq = 0;
    fx f;
    fx_init(&f, 0, NULL);
    fx_hello(&f, f.s);
    cmd_ok(&f, CMD_ENABLE, SRC_STATE, 2);
    tick(&f); /* S1 queued, unread */
    assert_int_equal(fx_cmd(&f, f.s, CMD_REQUEST, SRC_STATE, 3, NULL), PSC_OK); /* S2 */
    Peerscope__Configuration cfg = PEERSCOPE__CONFIGURATION__INIT;
    cfg.delta_states = true;
    assert_int_equal(fx_cmd(&f, f.s, CMD_UPDATE, SRC_STATE, 4, &cfg), PSC_OK);
    tick(&f); /* after the reply, not in S1's place; full: no base yet */
    expect_seq(&f, "S1 S2 R4 S3");
    tick(&f);
    expect_seq(&f, "D3>4");
    fx_fini(&f);
}

static void held_states_are_full(void **state)
{
    (void)state;
    fx f;
    start(&f, 0);
    tick(&f);
    expect_seq(&f, "S1");
    cmd_ok(&f, CMD_PAUSE, SRC_STATE, 3);
    tick(&f);
    tick(&f);
    expect_seq(&f, "");
    cmd_ok(&f, CMD_RESUME, SRC_STATE, 4);
    expect_seq(&f, "S2 S3");
    tick(&f);
    expect_seq(&f, "D3>4");
    fx_fini(&f);
}

static void request_while_states_are_held(void **state)
{
    (void)state;
    fx f;
    start(&f, 0);
    tick(&f);
    expect_seq(&f, "S1");
    cmd_ok(&f, CMD_PAUSE, SRC_STATE, 3);
    tick(&f); /* S2 held */
    /* the reply goes out now; the held S2 follows after resume and is what the client keeps */
    assert_int_equal(fx_cmd(&f, f.s, CMD_REQUEST, SRC_STATE, 4, NULL), PSC_OK);
    expect_seq(&f, "S3");
    cmd_ok(&f, CMD_RESUME, SRC_STATE, 5);
    expect_seq(&f, "S2");
    tick(&f);
    expect_seq(&f, "D2>4");
    fx_fini(&f);
}

static void dropped_held_state_forces_a_full_one(void **state)
{
    (void)state;
    fx f;
    start(&f, 0);
    tick(&f);
    expect_seq(&f, "S1");
    Peerscope__Configuration cfg = PEERSCOPE__CONFIGURATION__INIT;
    cfg.retention_period_ms = 1500;
    assert_int_equal(fx_cmd(&f, f.s, CMD_UPDATE, SRC_STATE, 3, &cfg), PSC_OK);
    fx_free_msg(fx_expect_response(&f, f.s, 3, true));
    cmd_ok(&f, CMD_PAUSE, SRC_STATE, 4);
    for (int i = 0; i < 4; i++)
        tick(&f); /* S2..S5 held; retention drops the oldest */
    cmd_ok(&f, CMD_RESUME, SRC_STATE, 5);
    expect_seq(&f, "S4 S5");
    tick(&f);
    expect_seq(&f, "D5>6");
    /* every held state dropped: the client still has 6, not the 7 it was
     * about to get, so the next push must be full */
    cmd_ok(&f, CMD_PAUSE, SRC_STATE, 6);
    tick(&f); /* S7 held */
    cmd_ok(&f, CMD_DISABLE, SRC_STATE, 7);
    f.now += 10000;
    bool more;
    assert_int_equal(psc__session_poll(f.s, f.now, &more), PSC_OK);
    cmd_ok(&f, CMD_RESUME, SRC_STATE, 8);
    expect_seq(&f, "");
    cmd_ok(&f, CMD_ENABLE, SRC_STATE, 9);
    tick(&f);
    expect_seq(&f, "S8");
    tick(&f);
    expect_seq(&f, "D8>9");
    fx_fini(&f);
}

static void no_delta_possible_sends_full(void **state)
{
    (void)state;
    fx f;
    start(&f, 0);
    f.fail_delta = true;
    tick(&f);
    tick(&f);
    expect_seq(&f, "S2");
    tick(&f);
    expect_seq(&f, "S3");
    assert_true(f.delta_calls > 0);
    f.fail_delta = false;
    tick(&f);
    expect_seq(&f, "D3>4");
    fx_fini(&f);
}

static void clients_that_do_not_ask_get_2020_states(void **state)
{
    (void)state;
    fx f;
    client_seq = 0;
    fx_init(&f, 0, NULL);
    assert_int_equal(fx_cmd(&f, f.s, CMD_HELLO, 0, 1, NULL), PSC_OK);
    Peerscope__ServerMessage *m = fx_expect_response(&f, f.s, 1, true);
    /* the reply is the 2020 one: no peerscope fields */
    assert_false(m->response->effective_config->delta_states);
    assert_int_equal(m->response->effective_config->full_state_every, 0);
    fx_free_msg(m);
    cmd_ok(&f, CMD_ENABLE, SRC_STATE, 2);
    for (int i = 0; i < 3; i++)
        tick(&f);
    expect_seq(&f, "S3");
    tick(&f);
    expect_seq(&f, "S4");
    assert_int_equal(f.delta_calls, 0);

    /* UPDATE_CONFIG opts in; false later keeps it (proto3 cannot say "unset") */
    Peerscope__Configuration cfg = PEERSCOPE__CONFIGURATION__INIT;
    cfg.delta_states = true;
    cfg.full_state_every = 100000; /* clamped */
    assert_int_equal(fx_cmd(&f, f.s, CMD_UPDATE, SRC_STATE, 3, &cfg), PSC_OK);
    m = fx_expect_response(&f, f.s, 3, true);
    assert_true(m->response->effective_config->delta_states);
    assert_int_equal(m->response->effective_config->full_state_every, PSC__SESSION_FULL_EVERY_MAX);
    fx_free_msg(m);
    tick(&f);
    expect_seq(&f, "S5"); /* nothing to base a delta on yet */
    tick(&f);
    expect_seq(&f, "D5>6");
    cfg.delta_states = false;
    cfg.full_state_every = 0;
    assert_int_equal(fx_cmd(&f, f.s, CMD_UPDATE, SRC_STATE, 4, &cfg), PSC_OK);
    fx_free_msg(fx_expect_response(&f, f.s, 4, true));
    tick(&f);
    expect_seq(&f, "D6>7");
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pushes_are_deltas_from_the_last_state),
        cmocka_unit_test(full_state_every_nth),
        cmocka_unit_test(full_every_one_means_no_deltas),
        cmocka_unit_test(replaced_delta_keeps_its_base),
        cmocka_unit_test(request_state_is_full_and_becomes_the_base),
        cmocka_unit_test(request_before_deltas_are_switched_on),
        cmocka_unit_test(held_states_are_full),
        cmocka_unit_test(request_while_states_are_held),
        cmocka_unit_test(dropped_held_state_forces_a_full_one),
        cmocka_unit_test(no_delta_possible_sends_full),
        cmocka_unit_test(clients_that_do_not_ask_get_2020_states),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
