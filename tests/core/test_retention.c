/*
 * Closed-entity retention: a connection or stream that disappears is
 * reported once more as CLOSED (close_ts = snapshot time unless it had
 * one, last known data), then forgotten; provider failures close nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core_fixture.h"

#define MAX_CONNS 4
#define MAX_STREAMS 24

typedef struct conn_spec {
    const char *id;
    psc_status status;
    uint64_t close_ts;
    int n_streams;
    char streams[MAX_STREAMS][24];
    psc_status stream_status[MAX_STREAMS];
} conn_spec;

/* What a fake swarm reports; the test edits it between snapshots. */
typedef struct world {
    int n;
    conn_spec conns[MAX_CONNS];
    bool fail;
} world;

static psc_err world_collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    world *w = user;
    for (int i = 0; i < w->n; i++) {
        const conn_spec *s = &w->conns[i];
        psc_connection c = {.struct_size = sizeof c};
        c.id = (const uint8_t *)s->id;
        c.id_len = strlen(s->id);
        c.peer_id = s->id; /* "last known data" is checked through it */
        c.status = s->status;
        c.close_ts = s->close_ts;
        c.open_ts = 100;
        c.traffic.in.bytes = 1000 + (uint64_t)i;
        c.multiplexer = "/mplex/6.7.0";
        psc_conn_builder *cb;
        psc_err e = psc_swarm_add_connection(b, &c, &cb);
        if (e != PSC_OK)
            return e;
        for (int j = 0; j < s->n_streams; j++) {
            psc_stream st = {.struct_size = sizeof st};
            st.id = (const uint8_t *)s->streams[j];
            st.id_len = strlen(s->streams[j]);
            st.protocol = s->streams[j];
            st.status = s->stream_status[j];
            st.open_ts = 200;
            st.traffic.out.bytes = 77;
            if ((e = psc_conn_add_stream(cb, &st)) != PSC_OK)
                return e;
        }
        if (w->fail)
            return psc_collect_fail(ctx, "broke after %d", i + 1);
    }
    return PSC_OK;
}

static void set_conn(world *w, int i, const char *id, psc_status status, int n_streams)
{
    conn_spec *s = &w->conns[i];
    memset(s, 0, sizeof *s);
    s->id = id;
    s->status = status;
    s->n_streams = n_streams;
    for (int j = 0; j < n_streams; j++) {
        snprintf(s->streams[j], sizeof s->streams[j], "%s-%d", id, j);
        s->stream_status[j] = PSC_STATUS_ACTIVE;
    }
}

static const Peerscope__Connection *find_conn(const Peerscope__State *st, const char *id)
{
    const Peerscope__Connection *found = NULL;
    for (size_t i = 0; i < st->subsystems->n_connections; i++) {
        const Peerscope__Connection *c = st->subsystems->connections[i];
        if (fixture_bytes_eq(c->id, id, strlen(id))) {
            assert_null(found); /* reported once */
            found = c;
        }
    }
    return found;
}

static const Peerscope__Stream *find_stream(const Peerscope__Connection *c, const char *id)
{
    const Peerscope__Stream *found = NULL;
    for (size_t i = 0; i < c->streams->n_streams; i++) {
        const Peerscope__Stream *s = c->streams->streams[i];
        if (fixture_bytes_eq(s->id, id, strlen(id))) {
            assert_null(found);
            found = s;
        }
    }
    return found;
}

typedef struct fixture {
    fake_clock fc;
    world w;
    psc_introspector *intro;
    psc_msg *msg;
    Peerscope__ServerMessage *m;
} fixture;

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    f.fc.wall_ms = 1000;
    f.fc.mono_ns = 1;
    f.intro = fixture_intro(&f.fc, NULL);
    static const psc_swarm_provider vt = {sizeof vt, "world", world_collect, NULL};
    assert_int_equal(psc_register_swarm(f.intro, &vt, &f.w, NULL), PSC_OK);
    *state = &f;
    return 0;
}

static void drop(fixture *f)
{
    if (f->m)
        peerscope__server_message__free_unpacked(f->m, NULL);
    psc_msg_unref(f->msg);
    f->m = NULL;
    f->msg = NULL;
}

static int teardown(void **state)
{
    fixture *f = *state;
    drop(f);
    psc_introspector_free(f->intro);
    return 0;
}

static const Peerscope__State *take(fixture *f, uint64_t wall)
{
    drop(f);
    f->fc.wall_ms = wall;
    f->m = fixture_snapshot(f->intro, &f->msg);
    return fixture_state(f->m);
}

static size_t closed_count(fixture *f)
{
    psc_state_summary sum = {.struct_size = sizeof sum};
    assert_int_equal(psc_state_summary_get(f->msg, &sum), PSC_OK);
    return sum.connections_closed;
}

static void test_connection_vanishes(void **state)
{
    fixture *f = *state;
    world *w = &f->w;
    w->n = 2;
    set_conn(w, 0, "A", PSC_STATUS_ACTIVE, 2);
    set_conn(w, 1, "B", PSC_STATUS_ACTIVE, 1);
    const Peerscope__State *st = take(f, 1000);
    assert_int_equal(st->subsystems->n_connections, 2);
    assert_int_equal(closed_count(f), 0);

    /* B goes, and A loses its second stream */
    w->n = 1;
    w->conns[0].n_streams = 1;
    st = take(f, 2000);
    assert_int_equal(st->subsystems->n_connections, 2);
    assert_int_equal(closed_count(f), 1);
    const Peerscope__Connection *a = find_conn(st, "A");
    assert_non_null(a);
    assert_int_equal(a->status, PEERSCOPE__STATUS__ACTIVE);
    assert_int_equal(a->streams->n_streams, 2);
    assert_int_equal(a->stream_count, 1); /* the retained stream is not open */
    const Peerscope__Stream *s = find_stream(a, "A-0");
    assert_non_null(s);
    assert_int_equal(s->status, PEERSCOPE__STATUS__ACTIVE);
    s = find_stream(a, "A-1");
    assert_non_null(s);
    assert_int_equal(s->status, PEERSCOPE__STATUS__CLOSED);
    assert_int_equal(s->timeline->close_ts, 2000);
    assert_int_equal(s->timeline->open_ts, 200);
    assert_string_equal(s->protocol, "A-1");
    assert_int_equal(s->traffic->traffic_out->cum_bytes, 77);
    assert_true(fixture_bytes_eq(s->conn->conn_id, "A", 1));

    const Peerscope__Connection *b = find_conn(st, "B");
    assert_non_null(b);
    assert_int_equal(b->status, PEERSCOPE__STATUS__CLOSED);
    assert_int_equal(b->timeline->close_ts, 2000);
    assert_int_equal(b->timeline->open_ts, 100);
    assert_string_equal(b->peer_id, "B");
    assert_string_equal(b->attribs->multiplexer, "/mplex/6.7.0");
    assert_int_equal(b->traffic->traffic_in->cum_bytes, 1001);
    assert_int_equal(b->stream_count, 0);
    assert_int_equal(b->streams->n_streams, 1);
    s = find_stream(b, "B-0");
    assert_non_null(s);
    assert_int_equal(s->status, PEERSCOPE__STATUS__CLOSED);
    assert_int_equal(s->timeline->close_ts, 2000);
    assert_true(fixture_bytes_eq(s->conn->conn_id, "B", 1));
    /* the sum of traffic still counts the closed connection's last data */
    assert_int_equal(st->traffic->traffic_in->cum_bytes, 1000 + 1001);

    /* reported once: then gone */
    st = take(f, 3000);
    assert_int_equal(st->subsystems->n_connections, 1);
    assert_null(find_conn(st, "B"));
    a = find_conn(st, "A");
    assert_int_equal(a->streams->n_streams, 1);
    assert_null(find_stream(a, "A-1"));
    assert_int_equal(closed_count(f), 0);

    /* and A itself, later */
    w->n = 0;
    st = take(f, 4000);
    a = find_conn(st, "A");
    assert_non_null(a);
    assert_int_equal(a->status, PEERSCOPE__STATUS__CLOSED);
    assert_int_equal(a->timeline->close_ts, 4000);
    assert_int_equal(a->streams->n_streams, 1);
    assert_int_equal(a->streams->streams[0]->status, PEERSCOPE__STATUS__CLOSED);
    st = take(f, 5000);
    assert_int_equal(st->subsystems->n_connections, 0);
}

static void test_known_close_ts_kept(void **state)
{
    fixture *f = *state;
    world *w = &f->w;
    w->n = 1;
    set_conn(w, 0, "C", PSC_STATUS_CLOSING, 1);
    w->conns[0].close_ts = 1500;
    take(f, 1000);
    w->n = 0;
    const Peerscope__State *st = take(f, 2000);
    const Peerscope__Connection *c = find_conn(st, "C");
    assert_non_null(c);
    assert_int_equal(c->status, PEERSCOPE__STATUS__CLOSED);
    assert_int_equal(c->timeline->close_ts, 1500); /* it had one */
    assert_int_equal(c->streams->streams[0]->timeline->close_ts, 2000);
}

static void test_provider_closed_not_repeated(void **state)
{
    fixture *f = *state;
    world *w = &f->w;
    w->n = 1;
    set_conn(w, 0, "D", PSC_STATUS_CLOSED, 2);
    w->conns[0].close_ts = 900;
    w->conns[0].stream_status[0] = PSC_STATUS_CLOSED;
    const Peerscope__State *st = take(f, 1000);
    const Peerscope__Connection *d = find_conn(st, "D");
    assert_non_null(d);
    assert_int_equal(d->status, PEERSCOPE__STATUS__CLOSED);
    assert_int_equal(d->timeline->close_ts, 900);
    assert_int_equal(closed_count(f), 1);

    w->n = 0;
    st = take(f, 2000);
    assert_int_equal(st->subsystems->n_connections, 0);

    /* a stream the provider reported CLOSED is not repeated either */
    w->n = 1;
    set_conn(w, 0, "E", PSC_STATUS_ACTIVE, 2);
    w->conns[0].stream_status[1] = PSC_STATUS_CLOSED;
    take(f, 3000);
    w->conns[0].n_streams = 0;
    st = take(f, 4000);
    const Peerscope__Connection *e = find_conn(st, "E");
    assert_int_equal(e->streams->n_streams, 1);
    assert_non_null(find_stream(e, "E-0"));
    assert_int_equal(find_stream(e, "E-0")->status, PEERSCOPE__STATUS__CLOSED);
    assert_null(find_stream(e, "E-1"));

    /* a vanishing connection carries only the streams not already CLOSED */
    set_conn(w, 0, "E", PSC_STATUS_ACTIVE, 3);
    w->conns[0].stream_status[0] = PSC_STATUS_CLOSED;
    w->conns[0].stream_status[1] = PSC_STATUS_ACTIVE;
    w->conns[0].stream_status[2] = PSC_STATUS_ERROR;
    st = take(f, 5000);
    assert_int_equal(st->n_provider_errors, 0);
    w->n = 0;
    st = take(f, 6000);
    e = find_conn(st, "E");
    assert_int_equal(e->streams->n_streams, 2);
    assert_null(find_stream(e, "E-0"));
    assert_int_equal(find_stream(e, "E-1")->status, PEERSCOPE__STATUS__CLOSED);
    assert_int_equal(find_stream(e, "E-2")->status, PEERSCOPE__STATUS__CLOSED);
}

static void test_failure_closes_nothing(void **state)
{
    fixture *f = *state;
    world *w = &f->w;
    w->n = 2;
    set_conn(w, 0, "A", PSC_STATUS_ACTIVE, 1);
    set_conn(w, 1, "B", PSC_STATUS_ACTIVE, 1);
    take(f, 1000);

    w->fail = true; /* reports A, then fails */
    const Peerscope__State *st = take(f, 2000);
    assert_int_equal(st->subsystems->n_connections, 0);
    assert_int_equal(st->n_provider_errors, 1);
    assert_string_equal(st->provider_errors[0]->error, "broke after 1");

    w->fail = true;
    st = take(f, 2500);
    assert_int_equal(st->subsystems->n_connections, 0);

    /* the baseline is still the last successful collect: B vanished since */
    w->fail = false;
    w->n = 1;
    st = take(f, 3000);
    assert_int_equal(st->n_provider_errors, 0);
    assert_int_equal(st->subsystems->n_connections, 2);
    assert_int_equal(find_conn(st, "A")->status, PEERSCOPE__STATUS__ACTIVE);
    const Peerscope__Connection *b = find_conn(st, "B");
    assert_non_null(b);
    assert_int_equal(b->status, PEERSCOPE__STATUS__CLOSED);
    assert_int_equal(b->timeline->close_ts, 3000);
}

/* Past a handful of streams the lookup goes through a hash map. */
static void test_many_streams(void **state)
{
    fixture *f = *state;
    world *w = &f->w;
    w->n = 2;
    set_conn(w, 0, "big", PSC_STATUS_ACTIVE, 20);
    set_conn(w, 1, "big2", PSC_STATUS_ACTIVE, 12);
    take(f, 1000);
    /* drop streams 3 and 17 of big (keep order of the rest), and 11 of big2 */
    conn_spec *s = &w->conns[0];
    memmove(s->streams[17], s->streams[18], 2 * sizeof s->streams[0]);
    memmove(s->streams[3], s->streams[4], 15 * sizeof s->streams[0]);
    s->n_streams = 18;
    w->conns[1].n_streams = 11;
    const Peerscope__State *st = take(f, 2000);
    const Peerscope__Connection *c = find_conn(st, "big");
    assert_int_equal(c->streams->n_streams, 20);
    assert_int_equal(c->stream_count, 18);
    for (int j = 0; j < 20; j++) {
        char id[8];
        snprintf(id, sizeof id, "big-%d", j);
        const Peerscope__Stream *x = find_stream(c, id);
        assert_non_null(x);
        bool gone = j == 3 || j == 17;
        assert_int_equal(x->status, gone ? PEERSCOPE__STATUS__CLOSED : PEERSCOPE__STATUS__ACTIVE);
    }
    c = find_conn(st, "big2");
    assert_int_equal(c->streams->n_streams, 12);
    assert_int_equal(find_stream(c, "big2-11")->status, PEERSCOPE__STATUS__CLOSED);
}

/* Ids are per provider: the same id vanishing from one swarm only. */
static world other;

static void test_per_provider(void **state)
{
    fixture *f = *state;
    memset(&other, 0, sizeof other);
    static const psc_swarm_provider vt = {sizeof vt, "other", world_collect, NULL};
    psc_provider *p = NULL;
    assert_int_equal(psc_register_swarm(f->intro, &vt, &other, &p), PSC_OK);
    f->w.n = 1;
    set_conn(&f->w, 0, "X", PSC_STATUS_ACTIVE, 0);
    other.n = 1;
    set_conn(&other, 0, "X", PSC_STATUS_ACTIVE, 0);
    const Peerscope__State *st = take(f, 1000);
    assert_int_equal(st->subsystems->n_connections, 2);

    f->w.n = 0;
    st = take(f, 2000);
    assert_int_equal(st->subsystems->n_connections, 2);
    assert_int_equal(st->subsystems->connections[0]->status, PEERSCOPE__STATUS__CLOSED);
    assert_int_equal(st->subsystems->connections[1]->status, PEERSCOPE__STATUS__ACTIVE);

    /* an unregistered provider's baseline is dropped with it */
    assert_int_equal(psc_provider_unregister(p), PSC_OK);
    st = take(f, 3000);
    assert_int_equal(st->subsystems->n_connections, 0);
    st = take(f, 4000);
    assert_int_equal(st->subsystems->n_connections, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_connection_vanishes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_known_close_ts_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_provider_closed_not_repeated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_closes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_streams, setup, teardown),
        cmocka_unit_test_setup_teardown(test_per_provider, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
