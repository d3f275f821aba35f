/*
 * The generic endpoint through its public transport API, with a fake
 * in-process transport driven from the test's thread and an injected clock:
 * lifecycle, the vtable contract, the shared snapshot, wake-ups, limits,
 * and allocation failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <stdlib.h>

#include "../core/delta_world.h"
#include "../core/state_canon.h"
#include "../support/test_support.h"
#include "wire/state_apply.h"
#include "peerscope/pb.h"
#include "peerscope/peerscope.h"

/* ------------------------------------------------------------------ fake transport */

typedef struct fake {
    int inits, starts, closes, finis, wakes, ready;
    bool fail_start;
    const char *config_seen;
    psc_endpoint_session *open[8];
    size_t n_open;
} fake;

static psc_err f_init(psc_endpoint *ep, void *state, const void *config, void *user)
{
    fake *f = user;
    f->inits++;
    f->config_seen = config;
    assert_ptr_equal(psc_endpoint_state(ep), state);
    return PSC_OK;
}

static psc_err f_start(psc_endpoint *ep, void *state, void *user)
{
    (void)ep;
    (void)state;
    fake *f = user;
    f->starts++;
    return f->fail_start ? PSC_ERR_IO : PSC_OK;
}

static void f_close(psc_endpoint *ep, void *state, void *user)
{
    (void)ep;
    (void)state;
    fake *f = user;
    f->closes++;
    /* a transport closes its sessions */
    for (size_t i = 0; i < f->n_open; i++)
        psc_endpoint_session_close(f->open[i]);
    f->n_open = 0;
}

static void f_fini(void *state, void *user)
{
    (void)state;
    fake *f = user;
    f->finis++;
}

static void f_wake(void *state, void *user)
{
    (void)state;
    fake *f = user;
    __atomic_add_fetch(&f->wakes, 1, __ATOMIC_RELAXED);
}

static void f_ready(void *state, psc_endpoint_session *s, void *user)
{
    (void)state;
    (void)s;
    fake *f = user;
    f->ready++;
}

static psc_err f_addr(void *state, size_t i, char *buf, size_t len, void *user)
{
    (void)state;
    (void)user;
    if (i)
        return PSC_ERR_NOT_FOUND;
    if (len < 12)
        return PSC_ERR_TOO_BIG;
    memcpy(buf, "fake://here", 12);
    return PSC_OK;
}

static const psc_endpoint_vtable fake_vt = {
    .struct_size = sizeof(psc_endpoint_vtable),
    .name = "fake",
    .state_size = 64,
    .init = f_init,
    .start = f_start,
    .close = f_close,
    .fini = f_fini,
    .wake = f_wake,
    .listen_addr = f_addr,
    .session_ready = f_ready,
};

/* ------------------------------------------------------------------ clock, provider */

static uint64_t now_ns = 5000000000ull;

static uint64_t fake_mono(void *user)
{
    (void)user;
    return now_ns;
}

static uint64_t fake_wall(void *user)
{
    (void)user;
    return 1700000000000ull + now_ns / 1000000u;
}

static int collects;

static psc_err count_collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)user;
    (void)ctx;
    (void)b;
    collects++;
    return PSC_OK;
}

static const psc_swarm_provider counting = {sizeof(psc_swarm_provider), "counting", count_collect, NULL};

static psc_introspector *new_intro(const psc_allocator *a)
{
    static const psc_clock clk = {fake_wall, fake_mono, NULL};
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.clock = &clk;
    cfg.allocator = a;
    psc_introspector *intro = NULL;
    if (psc_introspector_new(&cfg, &intro))
        return NULL;
    return intro;
}

/* ------------------------------------------------------------------ helpers */

static psc_err cmd_cfg(psc_endpoint_session *s, int command, int source, uint64_t id,
                       const Peerscope__Configuration *cfg)
{
    Peerscope__ClientCommand c = PEERSCOPE__CLIENT_COMMAND__INIT;
    c.command = command;
    c.source = source;
    c.id = id;
    c.config = (Peerscope__Configuration *)cfg;
    uint8_t buf[64];
    size_t n = peerscope__client_command__pack(&c, buf);
    return psc_endpoint_session_recv(s, buf, n);
}

static psc_err cmd(psc_endpoint_session *s, int command, int source, uint64_t id)
{
    Peerscope__ClientCommand c = PEERSCOPE__CLIENT_COMMAND__INIT;
    c.command = command;
    c.source = source;
    c.id = id;
    uint8_t buf[32];
    size_t n = peerscope__client_command__pack(&c, buf);
    return psc_endpoint_session_recv(s, buf, n);
}

static Peerscope__ServerMessage *decode(psc_msg *m)
{
    size_t len = 0;
    const uint8_t *p = psc_msg_payload(m, &len);
    Peerscope__ServerMessage *sm = peerscope__server_message__unpack(NULL, len, p);
    assert_non_null(sm);
    return sm;
}

static void expect_ok(psc_endpoint_session *s, uint64_t id)
{
    psc_msg *m = NULL;
    assert_int_equal(psc_endpoint_session_pull(s, &m), PSC_OK);
    Peerscope__ServerMessage *sm = decode(m);
    assert_int_equal(sm->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE);
    assert_int_equal(sm->response->id, id);
    assert_int_equal(sm->response->result, PEERSCOPE__COMMAND_RESPONSE__RESULT__OK);
    peerscope__server_message__free_unpacked(sm, NULL);
    psc_msg_unref(m);
}

/* ------------------------------------------------------------------ tests */

static void lifecycle(void **state)
{
    (void)state;
    fake f = {0};
    psc_introspector *intro = new_intro(NULL);
    psc_endpoint *ep = NULL;
    psc_endpoint_vtable small = fake_vt;
    small.struct_size = 8;
    assert_int_equal(psc_endpoint_new(intro, &small, NULL, NULL, &f, &ep), PSC_ERR_INVALID);
    psc_endpoint_vtable no_start = fake_vt;
    no_start.start = NULL;
    assert_int_equal(psc_endpoint_new(intro, &no_start, NULL, NULL, &f, &ep), PSC_ERR_INVALID);
    assert_null(ep);

    assert_int_equal(psc_endpoint_new(intro, &fake_vt, "cfg", NULL, &f, &ep), PSC_OK);
    assert_int_equal(f.inits, 1);
    assert_string_equal(f.config_seen, "cfg");
    assert_string_equal(psc_endpoint_name(ep), "fake");
    assert_ptr_equal(psc_endpoint_introspector(ep), intro);
    char buf[32];
    assert_int_equal(psc_endpoint_listen_addr(ep, 0, buf, sizeof buf), PSC_OK);
    assert_string_equal(buf, "fake://here");

    f.fail_start = true;
    assert_int_equal(psc_endpoint_start(ep), PSC_ERR_IO);
    f.fail_start = false;
    assert_int_equal(psc_endpoint_start(ep), PSC_OK);
    assert_int_equal(psc_endpoint_start(ep), PSC_ERR_STATE);
    psc_endpoint_close(ep);
    psc_endpoint_close(ep);
    assert_int_equal(f.closes, 1);
    assert_int_equal(psc_endpoint_start(ep), PSC_ERR_STATE);
    psc_endpoint_free(ep);
    assert_int_equal(f.finis, 1);
    psc_endpoint_free(NULL);

    /* closed before start: close never reaches the transport */
    fake g = {0};
    assert_int_equal(psc_endpoint_new(intro, &fake_vt, NULL, NULL, &g, &ep), PSC_OK);
    psc_endpoint_free(ep);
    assert_int_equal(g.closes, 0);
    assert_int_equal(g.finis, 1);
    psc_introspector_free(intro);
}

static void introspector_free_closes_endpoints(void **state)
{
    (void)state;
    fake f = {0};
    psc_introspector *intro = new_intro(NULL);
    psc_endpoint *ep = NULL;
    assert_int_equal(psc_endpoint_new(intro, &fake_vt, NULL, NULL, &f, &ep), PSC_OK);
    assert_int_equal(psc_endpoint_start(ep), PSC_OK);
    psc_endpoint_session *s = NULL;
    assert_int_equal(psc_endpoint_session_open(ep, "peer", &s), PSC_OK);
    assert_int_equal(cmd(s, PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO, 0, 1), PSC_OK);
    assert_int_equal(cmd(s, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, 2),
                     PSC_OK);
    /* this transport forgets its session: the endpoint closes it itself */
    psc_introspector_free(intro);
    assert_int_equal(f.closes, 1);
    psc_endpoint_free(ep); /* after the introspector: must not touch it */
    assert_int_equal(f.finis, 1);
}

static void one_snapshot_per_pass(void **state)
{
    (void)state;
    fake f = {0};
    psc_introspector *intro = new_intro(NULL);
    psc_provider *prov = NULL;
    assert_int_equal(psc_register_swarm(intro, &counting, NULL, &prov), PSC_OK);
    psc_endpoint *ep = NULL;
    assert_int_equal(psc_endpoint_new(intro, &fake_vt, NULL, NULL, &f, &ep), PSC_OK);
    assert_int_equal(psc_endpoint_start(ep), PSC_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(psc_endpoint_session_open(ep, "peer", &f.open[i]), PSC_OK);
        f.n_open++;
        assert_int_equal(cmd(f.open[i], PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO, 0, 1), PSC_OK);
        expect_ok(f.open[i], 1);
        assert_int_equal(
            cmd(f.open[i], PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, 2),
            PSC_OK);
        expect_ok(f.open[i], 2);
    }
    assert_int_equal(psc_endpoint_session_count(ep), 3);
    uint64_t next = 0;
    assert_int_equal(psc_endpoint_service(ep, &next), PSC_OK);
    assert_int_equal(next, 1000);
    int before = collects;
    now_ns += 1000 * 1000000ull;
    int ready_before = f.ready;
    assert_int_equal(psc_endpoint_service(ep, &next), PSC_OK);
    assert_int_equal(collects - before, 1);
    assert_int_equal(f.ready - ready_before, 3);
    psc_msg *m[3];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(psc_endpoint_session_pull(f.open[i], &m[i]), PSC_OK);
        assert_int_equal(psc_msg_get_kind(m[i]), PSC_MSG_STATE);
    }
    /* encode once, send many: the very same message */
    assert_ptr_equal(m[0], m[1]);
    assert_ptr_equal(m[1], m[2]);
    for (int i = 0; i < 3; i++)
        psc_msg_unref(m[i]);
    assert_int_equal(psc_endpoint_session_pull(f.open[0], &m[0]), PSC_ERR_AGAIN);

    /* a REQUEST STATE is a fresh snapshot */
    assert_int_equal(cmd(f.open[0], PEERSCOPE__CLIENT_COMMAND__COMMAND__REQUEST, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, 3),
                     PSC_OK);
    assert_int_equal(collects - before, 2);

    psc_session_info info[4];
    for (int i = 0; i < 4; i++)
        info[i] = (psc_session_info){.struct_size = sizeof info[i]};
    size_t n = 0, total = 0;
    assert_int_equal(psc_endpoint_sessions(ep, info, 4, &n, &total), PSC_OK);
    assert_int_equal(n, 3);
    assert_int_equal(total, 3);
    for (int i = 0; i < 3; i++) {
        assert_true(info[i].push_state);
        assert_string_equal(info[i].remote, "peer");
        assert_true(info[i].id >= 1 && info[i].id <= 3);
    }
    psc_endpoint_free(ep);
    psc_introspector_free(intro);
}

/*
 * Delta sessions in step share one delta per pass (encode once, send many
 * still holds), and what they rebuild is the full state a 2020 session got
 * in the same pass.
 */
static void deltas_shared_and_rebuilt(void **state)
{
    (void)state;
    fake f = {0};
    psc_introspector *intro = new_intro(NULL);
    world w;
    world_init(&w, 77);
    assert_int_equal(world_register(&w, intro), PSC_OK);
    psc_endpoint *ep = NULL;
    assert_int_equal(psc_endpoint_new(intro, &fake_vt, NULL, NULL, &f, &ep), PSC_OK);
    assert_int_equal(psc_endpoint_start(ep), PSC_OK);
    Peerscope__Configuration delta_cfg = PEERSCOPE__CONFIGURATION__INIT;
    delta_cfg.delta_states = true;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(psc_endpoint_session_open(ep, "peer", &f.open[i]), PSC_OK);
        f.n_open++;
        /* sessions 0 and 1 ask for deltas, 2 is a 2020 client */
        assert_int_equal(cmd_cfg(f.open[i], PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO, 0, 1, i < 2 ? &delta_cfg : NULL),
                         PSC_OK);
        expect_ok(f.open[i], 1);
        assert_int_equal(
            cmd(f.open[i], PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, 2),
            PSC_OK);
        expect_ok(f.open[i], 2);
    }
    uint64_t next;
    Peerscope__ServerMessage *have = NULL; /* what the delta clients rebuilt last */
    size_t deltas = 0;
    for (int pass = 0; pass < 12; pass++) {
        world_step(&w);
        now_ns += 1000 * 1000000ull;
        assert_int_equal(psc_endpoint_service(ep, &next), PSC_OK);
        psc_msg *m[3];
        for (int i = 0; i < 3; i++)
            assert_int_equal(psc_endpoint_session_pull(f.open[i], &m[i]), PSC_OK);
        assert_ptr_equal(m[0], m[1]);
        Peerscope__ServerMessage *full = decode(m[2]), *got = decode(m[0]);
        assert_null(full->state->delta);
        assert_int_equal(got->state->seq, full->state->seq);
        if (got->state->delta) {
            deltas++;
            assert_non_null(have);
            assert_int_equal(got->state->delta->base_seq, have->state->seq);
            uint8_t *bytes = NULL;
            size_t len = 0;
            assert_int_equal(psc__state_apply(&psc__default_alloc, have->state, got->state, &bytes, &len), PSC_OK);
            peerscope__server_message__free_unpacked(got, NULL);
            got = peerscope__server_message__unpack(NULL, len, bytes);
            free(bytes);
            assert_non_null(got);
        } else {
            assert_ptr_equal(m[0], m[2]); /* a full state is the shared snapshot itself */
        }
        canon_assert_equal(full->state, got->state);
        peerscope__server_message__free_unpacked(have, NULL);
        have = got;
        peerscope__server_message__free_unpacked(full, NULL);
        for (int i = 0; i < 3; i++)
            psc_msg_unref(m[i]);
    }
    assert_true(deltas >= 10);
    peerscope__server_message__free_unpacked(have, NULL);
    psc_endpoint_free(ep);
    psc_introspector_free(intro);
}

static void emit_wakes_the_transport(void **state)
{
    (void)state;
    fake f = {0};
    psc_introspector *intro = new_intro(NULL);
    const psc_event_type *t = NULL;
    assert_int_equal(psc_event_declare(intro, &PSC_EVENT_SYNC_STARTED, &t), PSC_OK);
    psc_endpoint *ep = NULL;
    assert_int_equal(psc_endpoint_new(intro, &fake_vt, NULL, NULL, &f, &ep), PSC_OK);
    assert_int_equal(psc_endpoint_start(ep), PSC_OK);
    assert_int_equal(psc_endpoint_session_open(ep, "peer", &f.open[0]), PSC_OK);
    f.n_open = 1;
    psc_endpoint_session *s = f.open[0];
    assert_int_equal(cmd(s, PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO, 0, 1), PSC_OK);
    expect_ok(s, 1);
    assert_int_equal(cmd(s, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, 2),
                     PSC_OK);
    expect_ok(s, 2);
    uint64_t next;
    assert_int_equal(psc_endpoint_service(ep, &next), PSC_OK); /* arms the listener */
    assert_int_equal(next, UINT64_MAX);
    int wakes = f.wakes;
    psc_value v[2] = {PSC_V_STR("tip"), PSC_V_NUM(100)};
    assert_int_equal(psc_event_type_prop_count(t), 2);
    assert_int_equal(psc_emit(intro, t, v, 2), PSC_OK);
    assert_int_equal(psc_emit(intro, t, v, 2), PSC_OK);
    assert_int_equal(f.wakes - wakes, 1); /* at most one per drain */
    assert_false(psc_endpoint_session_wants_write(s));
    assert_int_equal(psc_endpoint_service(ep, &next), PSC_OK);
    assert_true(psc_endpoint_session_wants_write(s));
    psc_msg *m = NULL;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(psc_endpoint_session_pull(s, &m), PSC_OK);
        assert_int_equal(psc_msg_get_kind(m), PSC_MSG_EVENT);
        psc_msg_unref(m);
    }
    psc_endpoint_free(ep);
    psc_introspector_free(intro);
}

static void session_limits(void **state)
{
    (void)state;
    fake f = {0};
    psc_introspector *intro = new_intro(NULL);
    psc_endpoint_options o = PSC_ENDPOINT_OPTIONS_INIT;
    o.max_sessions = 2;
    psc_endpoint *ep = NULL;
    o.struct_size = 3;
    assert_int_equal(psc_endpoint_new(intro, &fake_vt, NULL, &o, &f, &ep), PSC_ERR_INVALID);
    o.struct_size = sizeof o;
    assert_int_equal(psc_endpoint_new(intro, &fake_vt, NULL, &o, &f, &ep), PSC_OK);
    assert_int_equal(psc_endpoint_start(ep), PSC_OK);
    psc_endpoint_session *a, *b, *c = NULL;
    assert_int_equal(psc_endpoint_session_open(ep, NULL, &a), PSC_OK);
    assert_int_equal(psc_endpoint_session_open(ep, NULL, &b), PSC_OK);
    assert_int_equal(psc_endpoint_session_open(ep, NULL, &c), PSC_ERR_TOO_BIG);
    assert_null(c);
    psc_endpoint_session_close(a);
    assert_int_equal(psc_endpoint_session_open(ep, NULL, &c), PSC_OK);
    psc_endpoint_session_set_user(c, &f);
    assert_ptr_equal(psc_endpoint_session_user(c), &f);
    f.open[0] = b;
    f.open[1] = c;
    f.n_open = 2;
    psc_endpoint_close(ep);
    assert_int_equal(psc_endpoint_session_open(ep, NULL, &a), PSC_ERR_CLOSED);
    psc_endpoint_free(ep);
    psc_introspector_free(intro);
}

static psc_err fault_body(void *arg, psc_test_alloc *t)
{
    fake f = {0};
    psc_introspector *intro = new_intro(&t->iface);
    if (!intro)
        return PSC_ERR_NOMEM;
    world w;
    world_init(&w, 5);
    if (arg && world_register(&w, intro)) {
        psc_introspector_free(intro);
        return PSC_ERR_NOMEM;
    }
    psc_endpoint *ep = NULL;
    psc_err err = psc_endpoint_new(intro, &fake_vt, NULL, NULL, &f, &ep);
    if (!err)
        err = psc_endpoint_start(ep);
    if (!err)
        err = psc_endpoint_session_open(ep, "x", &f.open[0]);
    if (!err) {
        f.n_open = 1;
        psc_endpoint_session *s = f.open[0];
        Peerscope__Configuration delta_cfg = PEERSCOPE__CONFIGURATION__INIT;
        delta_cfg.delta_states = true;
        cmd_cfg(s, PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO, 0, 1, arg ? &delta_cfg : NULL);
        cmd(s, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, 2);
        cmd(s, PEERSCOPE__CLIENT_COMMAND__COMMAND__REQUEST, PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME, 3);
        /* with deltas: a second pass makes one from the first pass's state */
        for (int pass = 0; pass < (arg ? 2 : 1); pass++) {
            now_ns += 1000 * 1000000ull;
            uint64_t next;
            psc_endpoint_service(ep, &next);
            psc_msg *m;
            while (psc_endpoint_session_pull(s, &m) == PSC_OK)
                psc_msg_unref(m);
        }
    }
    psc_endpoint_free(ep);
    psc_introspector_free(intro);
    return t->failures ? PSC_ERR_NOMEM : err;
}

static void each_allocation_may_fail(void **state)
{
    (void)state;
    assert_true(psc_test_each_alloc_fails(fault_body, NULL, 5000) > 5);
    /* and a delta session over a host with every section */
    static int with_deltas = 1;
    assert_true(psc_test_each_alloc_fails(fault_body, &with_deltas, 5000) > 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lifecycle),
        cmocka_unit_test(introspector_free_closes_endpoints),
        cmocka_unit_test(one_snapshot_per_pass),
        cmocka_unit_test(deltas_shared_and_rebuilt),
        cmocka_unit_test(emit_wakes_the_transport),
        cmocka_unit_test(session_limits),
        cmocka_unit_test(each_allocation_may_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
