/*
 * Delta states end to end: psc_client asks for them and rebuilds full
 * states (against a scripted server, including deltas it cannot apply),
 * and against the real WebSocket endpoint the states it rebuilds are the
 * full states a 2020 client gets at the same time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/delta_world.h"
#include "../core/state_canon.h"
#include "client_util.h"
#include "fake_server.h"
#include "peerscope/client.h"
#include "peerscope/pb.h"

#define T_WAIT 15000 /* generous: sanitizers slow everything down */
#define MAX_SEQ 64

/* ------------------------------------------------------------ recorder */

typedef struct seen_states {
    rec r;
    size_t states;                 /* on_state calls */
    size_t with_delta;             /* states that still had State.delta (must stay 0 with apply_deltas) */
    size_t bad_payloads;           /* on_message payloads that are not the full state */
    uint8_t *canon[MAX_SEQ];       /* canonical bytes by seq (seq < MAX_SEQ) */
    size_t canon_len[MAX_SEQ];
    uint64_t last_seq;
    size_t last_conns;
    uint64_t last_latency[4];      /* of the last state's first connections, in id order */
    size_t errors_state;           /* on_error with PSC_ERR_STATE */
} seen_states;

static void s_message(void *user, psc_client *c, const Peerscope__ServerMessage *m, const uint8_t *p, size_t len)
{
    seen_states *s = user;
    rec_callbacks.on_message(&s->r, c, m, p, len);
    if (m->payload_case != PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE)
        return;
    Peerscope__ServerMessage *again = peerscope__server_message__unpack(NULL, len, p);
    if (!again || again->payload_case != PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE || again->state->delta ||
        again->state->seq != m->state->seq)
        s->bad_payloads++;
    if (again)
        peerscope__server_message__free_unpacked(again, NULL);
}

static void s_state(void *user, psc_client *c, const Peerscope__State *st)
{
    seen_states *s = user;
    (void)c;
    s->states++;
    if (st->delta)
        s->with_delta++;
    s->last_seq = st->seq;
    s->last_conns = st->subsystems ? st->subsystems->n_connections : 0;
    /* sorting needs a tree of our own: decode a packed copy */
    Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE;
    sm.state = (Peerscope__State *)st;
    size_t n = peerscope__server_message__get_packed_size(&sm);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return;
    peerscope__server_message__pack(&sm, buf);
    Peerscope__ServerMessage *own = peerscope__server_message__unpack(NULL, n, buf);
    free(buf);
    if (!own)
        return;
    canon_sort(own->state);
    const Peerscope__Subsystems *sub = own->state->subsystems;
    for (size_t i = 0; i < 4; i++)
        s->last_latency[i] = sub && i < sub->n_connections ? sub->connections[i]->latency_ns : 0;
    if (st->seq < MAX_SEQ && !s->canon[st->seq]) {
        size_t len = 0;
        s->canon[st->seq] = canon_pack(own->state, &len);
        s->canon_len[st->seq] = len;
    }
    peerscope__server_message__free_unpacked(own, NULL);
}

static void s_error(void *user, psc_client *c, psc_err err, const char *reason)
{
    seen_states *s = user;
    rec_callbacks.on_error(&s->r, c, err, reason);
    if (err == PSC_ERR_STATE)
        s->errors_state++;
}

static void s_close(void *user, psc_client *c, psc_err err, int code, const char *reason)
{
    seen_states *s = user;
    rec_callbacks.on_close(&s->r, c, err, code, reason);
}

static void s_open(void *user, psc_client *c)
{
    seen_states *s = user;
    rec_callbacks.on_open(&s->r, c);
}

static const psc_client_callbacks seen_cb = {
    .struct_size = sizeof(psc_client_callbacks),
    .on_open = s_open,
    .on_message = s_message,
    .on_state = s_state,
    .on_error = s_error,
    .on_close = s_close,
};

static seen_states *seen_new(void)
{
    seen_states *s = calloc(1, sizeof *s);
    assert_non_null(s);
    rec_init(&s->r);
    return s;
}

static void seen_free(seen_states *s)
{
    for (size_t i = 0; i < MAX_SEQ; i++)
        free(s->canon[i]);
    free(s);
}

static bool cond_states(void *arg)
{
    const seen_states *s = ((seen_states **)arg)[0];
    size_t want = (size_t)(uintptr_t)((seen_states **)arg)[1];
    return s->states >= want;
}

static bool wait_states(psc_client_loop *loop, seen_states *s, size_t n, int ms)
{
    void *arg[2] = {s, (void *)(uintptr_t)n};
    return wait_loop(loop, cond_states, arg, ms);
}

/* ------------------------------------------------------------ scripted server */

typedef struct conn_spec {
    uint8_t id;
    uint64_t latency;
} conn_spec;

/* A framed State: seq, connections, and a delta based on base_seq when not 0. */
static uint8_t *state_frame(uint64_t seq, const conn_spec *conns, size_t n, uint64_t base_seq,
                            const uint8_t *removed, size_t n_removed, size_t *len)
{
    Peerscope__ServerMessage m = PEERSCOPE__SERVER_MESSAGE__INIT;
    Peerscope__Version v = PEERSCOPE__VERSION__INIT;
    Peerscope__State st = PEERSCOPE__STATE__INIT;
    Peerscope__Subsystems sub = PEERSCOPE__SUBSYSTEMS__INIT;
    Peerscope__StateDelta d = PEERSCOPE__STATE_DELTA__INIT;
    Peerscope__Connection c[4], *pc[4];
    ProtobufCBinaryData gone[4];
    assert_true(n <= 4 && n_removed <= 4);
    for (size_t i = 0; i < n; i++) {
        peerscope__connection__init(&c[i]);
        c[i].id.data = (uint8_t *)&conns[i].id;
        c[i].id.len = 1;
        c[i].latency_ns = conns[i].latency;
        pc[i] = &c[i];
    }
    for (size_t i = 0; i < n_removed; i++) {
        gone[i].data = (uint8_t *)&removed[i];
        gone[i].len = 1;
    }
    sub.n_connections = n;
    sub.connections = pc;
    st.subsystems = &sub;
    st.seq = seq;
    if (base_seq) {
        d.base_seq = base_seq;
        d.n_removed_connections = n_removed;
        d.removed_connections = gone;
        st.delta = &d;
    }
    v.version = 1;
    m.version = &v;
    m.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE;
    m.state = &st;
    return frame_msg(&m, len);
}

typedef struct fs_wait {
    fake_server *fs;
    size_t n;
} fs_wait;

static bool cond_server_msgs(void *arg)
{
    fs_wait *w = arg;
    fake_seen seen;
    fake_server_seen(w->fs, &seen);
    return seen.n_msgs >= w->n;
}

static Peerscope__ClientCommand *server_cmd(fake_server *fs, size_t i)
{
    size_t len = 0;
    uint8_t *b = fake_server_msg(fs, i, &len);
    assert_non_null(b);
    Peerscope__ClientCommand *cmd = peerscope__client_command__unpack(NULL, len, b);
    free(b);
    assert_non_null(cmd);
    return cmd;
}

static void test_scripted_rebuild_and_resync(void **state)
{
    (void)state;
    static const conn_spec s1[] = {{1, 1}, {2, 2}};
    static const conn_spec d12[] = {{1, 10}, {3, 3}};
    static const uint8_t d12_gone[] = {2};
    static const conn_spec s3[] = {{9, 9}};
    size_t len[6];
    uint8_t *f[6];
    f[0] = state_frame(8, NULL, 0, 7, NULL, 0, &len[0]);          /* a delta before any full state */
    f[1] = state_frame(1, s1, 2, 0, NULL, 0, &len[1]);            /* full: {1, 2} */
    f[2] = state_frame(2, d12, 2, 1, d12_gone, 1, &len[2]);       /* 1 changes, 2 goes, 3 comes */
    f[3] = state_frame(6, NULL, 0, 5, NULL, 0, &len[3]);          /* based on a state never seen */
    f[4] = state_frame(3, s3, 1, 0, NULL, 0, &len[4]);            /* full again */
    f[5] = state_frame(4, NULL, 0, 3, NULL, 0, &len[5]);          /* nothing changed */
    fake_msg script[6];
    for (int i = 0; i < 6; i++)
        script[i] = (fake_msg){f[i], len[i], false, i == 1 ? 7 : 0}; /* one sent in fragments */
    fake_server_opts o = {0};
    o.script = script;
    o.n_script = 6;
    o.wait_for_command = true;
    fake_server *fs = fake_server_start(&o);
    assert_non_null(fs);

    seen_states *s = seen_new();
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%u/introspect", (unsigned)fake_server_port(fs));
    psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
    cfg.url = url;
    cfg.callbacks = &seen_cb;
    cfg.user = s;
    cfg.delta_states = true;
    cfg.full_state_every = 7;
    cfg.apply_deltas = true;
    psc_client *c = NULL;
    assert_int_equal(psc_client_new(&cfg, &c), PSC_OK);
    psc_client_settings hello = {60000, 1000};
    assert_int_equal(psc_client_hello(c, &hello, NULL), PSC_OK);
    psc_client_loop *loop = psc_client_get_loop(c);
    assert_true(wait_states(loop, s, 4, T_WAIT));
    fs_wait w = {fs, 3};
    assert_true(wait_loop(loop, cond_server_msgs, &w, T_WAIT));

    /* S1, rebuilt S2 = {1 (latency 10), 3}, S3, rebuilt S4 = S3 */
    assert_int_equal(s->states, 4);
    assert_int_equal(s->with_delta, 0);
    assert_int_equal(s->bad_payloads, 0);
    assert_int_equal(s->last_seq, 4);
    assert_int_equal(s->last_conns, 1);
    assert_int_equal(s->last_latency[0], 9);
    assert_non_null(s->canon[2]);
    Peerscope__ServerMessage *s2 = peerscope__server_message__unpack(NULL, s->canon_len[2], s->canon[2]);
    assert_non_null(s2);
    assert_int_equal(s2->state->subsystems->n_connections, 2);
    assert_int_equal(s2->state->subsystems->connections[0]->id.data[0], 1);
    assert_int_equal(s2->state->subsystems->connections[0]->latency_ns, 10);
    assert_int_equal(s2->state->subsystems->connections[1]->id.data[0], 3);
    peerscope__server_message__free_unpacked(s2, NULL);
    /* the two deltas it could not apply: reported, and a full state asked for each */
    assert_int_equal(s->errors_state, 2);
    psc_client_info info = PSC_CLIENT_INFO_INIT;
    assert_int_equal(psc_client_get_info(c, &info), PSC_OK);
    assert_int_equal(info.deltas_applied, 2);
    assert_int_equal(info.resyncs, 2);

    /* HELLO asked for deltas; then two REQUEST STATE */
    Peerscope__ClientCommand *cmd = server_cmd(fs, 0);
    assert_int_equal(cmd->command, PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO);
    assert_non_null(cmd->config);
    assert_true(cmd->config->delta_states);
    assert_int_equal(cmd->config->full_state_every, 7);
    assert_int_equal(cmd->config->state_snapshot_interval_ms, 1000);
    peerscope__client_command__free_unpacked(cmd, NULL);
    for (size_t i = 1; i <= 2; i++) {
        cmd = server_cmd(fs, i);
        assert_int_equal(cmd->command, PEERSCOPE__CLIENT_COMMAND__COMMAND__REQUEST);
        assert_int_equal(cmd->source, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE);
        peerscope__client_command__free_unpacked(cmd, NULL);
    }
    psc_client_free(c);
    fake_server_stop(fs);
    seen_free(s);
    for (int i = 0; i < 6; i++)
        free(f[i]);
}

/* Without apply_deltas the client hands deltas over as they are. */
static void test_raw_deltas(void **state)
{
    (void)state;
    static const conn_spec s1[] = {{1, 1}};
    size_t len[2];
    uint8_t *f[2];
    f[0] = state_frame(1, s1, 1, 0, NULL, 0, &len[0]);
    f[1] = state_frame(2, NULL, 0, 1, NULL, 0, &len[1]);
    fake_msg script[2] = {{f[0], len[0], false, 0}, {f[1], len[1], false, 0}};
    fake_server_opts o = {0};
    o.script = script;
    o.n_script = 2;
    fake_server *fs = fake_server_start(&o);
    assert_non_null(fs);
    seen_states *s = seen_new();
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%u/introspect", (unsigned)fake_server_port(fs));
    psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
    cfg.url = url;
    cfg.callbacks = &seen_cb;
    cfg.user = s;
    cfg.delta_states = true;
    psc_client *c = NULL;
    assert_int_equal(psc_client_new(&cfg, &c), PSC_OK);
    assert_true(wait_states(psc_client_get_loop(c), s, 2, T_WAIT));
    assert_int_equal(s->with_delta, 1);
    assert_int_equal(s->errors_state, 0);
    psc_client_free(c);
    fake_server_stop(fs);
    seen_free(s);
    for (int i = 0; i < 2; i++)
        free(f[i]);
}

/* ------------------------------------------------------------ real endpoint */

/* Runs first in every snapshot, on the snapshotting thread: moves the world. */
static psc_err step_collect(void *user, psc_collect *ctx, psc_custom_builder *b)
{
    (void)ctx;
    (void)b;
    world *w = user;
    static unsigned n;
    if (++n % 3 == 0)
        world_step(w);
    else
        world_touch(w, 10);
    return PSC_OK;
}

static psc_client *client_for(const char *url, seen_states *s, psc_client_loop *loop, bool deltas)
{
    psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
    cfg.url = url;
    cfg.callbacks = &seen_cb;
    cfg.user = s;
    cfg.loop = loop;
    cfg.delta_states = deltas;
    cfg.apply_deltas = deltas;
    psc_client *c = NULL;
    assert_int_equal(psc_client_new(&cfg, &c), PSC_OK);
    psc_client_settings st = {60000, 500};
    assert_int_equal(psc_client_hello(c, &st, NULL), PSC_OK);
    assert_int_equal(psc_client_push_enable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, NULL), PSC_OK);
    return c;
}

static void test_real_endpoint(void **state)
{
    (void)state;
    world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    world_init(w, 2024);
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(NULL, &intro), PSC_OK);
    static const psc_custom_provider stepper = {sizeof stepper, "stepper", step_collect, NULL};
    assert_int_equal(psc_register_custom(intro, &stepper, w, NULL), PSC_OK);
    assert_int_equal(world_register(w, intro), PSC_OK);
    psc_endpoint *ep = NULL;
    assert_int_equal(psc_ws_endpoint_new(intro, NULL, &ep), PSC_OK);
    assert_int_equal(psc_endpoint_start(ep), PSC_OK);
    uint16_t port = 0;
    assert_int_equal(psc_ws_port(ep, &port), PSC_OK);
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%u/introspect", (unsigned)port);

    psc_client_loop *loop = NULL;
    assert_int_equal(psc_client_loop_new(NULL, &loop), PSC_OK);
    seen_states *sd = seen_new(), *sf = seen_new();
    psc_client *cd = client_for(url, sd, loop, true);
    psc_client *cf = client_for(url, sf, loop, false);
    assert_true(wait_states(loop, sd, 5, T_WAIT));
    /* a full state on request in the middle: the next deltas build on it */
    assert_int_equal(psc_client_request(cd, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, NULL), PSC_OK);
    assert_true(wait_states(loop, sd, 10, T_WAIT));
    assert_true(wait_states(loop, sf, 9, T_WAIT));

    assert_int_equal(sd->with_delta, 0);
    assert_int_equal(sd->bad_payloads, 0);
    assert_int_equal(sd->errors_state, 0);
    assert_int_equal(sd->r.errors, 0);
    psc_client_info info = PSC_CLIENT_INFO_INIT;
    assert_int_equal(psc_client_get_info(cd, &info), PSC_OK);
    assert_true(info.deltas_applied >= 5);
    assert_int_equal(info.resyncs, 0);
    /* every state both saw (same snapshot: same seq) is the same state */
    size_t common = 0;
    for (size_t seq = 0; seq < MAX_SEQ; seq++) {
        if (!sd->canon[seq] || !sf->canon[seq])
            continue;
        common++;
        assert_int_equal(sd->canon_len[seq], sf->canon_len[seq]);
        assert_memory_equal(sd->canon[seq], sf->canon[seq], sd->canon_len[seq]);
    }
    assert_true(common >= 5);

    psc_client_free(cd);
    psc_client_free(cf);
    psc_client_loop_free(loop);
    psc_endpoint_free(ep);
    psc_introspector_free(intro);
    seen_free(sd);
    seen_free(sf);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scripted_rebuild_and_resync),
        cmocka_unit_test(test_raw_deltas),
        cmocka_unit_test(test_real_endpoint),
    };
    return RUN_TESTS(tests);
}
