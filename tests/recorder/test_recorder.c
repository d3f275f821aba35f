/*
 * The flight recorder driven by hand (PSC_RECORDER_MANUAL) with an
 * injected clock: deltas rebuilt equal the full states of a twin host,
 * pruning by age and by bytes, events in order with their metadata once
 * per type, missed events counted, writing to paths that fail, and every
 * allocation failing in turn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/core_fixture.h"
#include "../core/delta_world.h"
#include "../core/state_canon.h"
#include "../support/test_support.h"
#include "util/struct_in.h"
#include "rec_check.h"

#define T0 1700000000000ull

static psc_recorder *manual(psc_introspector *intro, uint64_t keep_ms, size_t max_bytes, uint32_t full_every)
{
    psc_recorder_config cfg = PSC_RECORDER_CONFIG_INIT;
    cfg.keep_ms = keep_ms;
    cfg.max_bytes = max_bytes;
    cfg.interval_ms = PSC_RECORDER_MANUAL;
    cfg.full_every = full_every;
    psc_recorder *r = NULL;
    assert_int_equal(psc_recorder_new(intro, &cfg, &r), PSC_OK);
    return r;
}

static void tick(fake_clock *fc, uint64_t ms)
{
    fc->wall_ms += ms;
    fc->mono_ns += ms * 1000000ull;
}

static psc_recorder_stats stats(psc_recorder *r)
{
    psc_recorder_stats s = {.struct_size = sizeof s};
    assert_int_equal(psc_recorder_stats_get(r, &s), PSC_OK);
    return s;
}

static void read_back(psc_recorder *r, rec_read *out)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(psc_recorder_write_buffer(r, &buf, &len), PSC_OK);
    rec_read_buffer(buf, len, true, out);
    psc_recorder_buffer_free(r, buf);
}

/* ------------------------------------------------------------ event types */

static const psc_prop_def a_props[] = {{"n", PSC_PROP_NUMBER, false}};
static const psc_prop_def b_props[] = {{"s", PSC_PROP_STRING, false}, {"peer", PSC_PROP_PEERID, false}};
static const psc_prop_def c_props[] = {{"addrs", PSC_PROP_MULTIADDR, true}};
static const psc_event_def defs[3] = {{"TestA", a_props, 1}, {"TestB", b_props, 2}, {"TestC", c_props, 1}};

typedef struct types {
    const psc_event_type *t[3];
} types;

static psc_err declare(psc_introspector *intro, types *ty)
{
    psc_err e = PSC_OK;
    for (int i = 0; i < 3 && e == PSC_OK; i++)
        e = psc_event_declare(intro, &defs[i], &ty->t[i]);
    return e;
}

/* Event i of a fixed pattern of the three types; its number is i. */
static void emit_one(psc_introspector *intro, const types *ty, int i)
{
    const char *addrs[] = {"/ip4/127.0.0.1/tcp/1", "/ip4/127.0.0.1/tcp/2"};
    int k = (i * 7) % 3;
    psc_value v[2];
    size_t n = 1;
    if (k == 0) {
        v[0] = PSC_V_NUM(i);
    } else if (k == 1) {
        v[0] = PSC_V_STR("hello");
        v[1] = PSC_V_STR("12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN");
        n = 2;
    } else {
        v[0] = PSC_V_STRS(addrs, 2);
    }
    assert_int_equal(psc_emit(intro, ty->t[k], v, n), PSC_OK);
}

/* ------------------------------------------------------------ config */

static void test_config(void **state)
{
    (void)state;
    fake_clock fc = {T0, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    psc_recorder *r = NULL;
    psc_recorder_config cfg = PSC_RECORDER_CONFIG_INIT;
    assert_int_equal(psc_recorder_new(NULL, &cfg, &r), PSC_ERR_INVALID);
    assert_int_equal(psc_recorder_new(intro, &cfg, NULL), PSC_ERR_INVALID);
    cfg.struct_size = sizeof(size_t) + 4;
    assert_int_equal(psc_recorder_new(intro, &cfg, &r), PSC_ERR_INVALID);
    assert_null(r);
    assert_int_equal(psc_recorder_sample(NULL), PSC_ERR_INVALID);
    assert_int_equal(psc_recorder_write(NULL, "x"), PSC_ERR_INVALID);
    assert_int_equal(psc_recorder_write_file(NULL, stdout), PSC_ERR_INVALID);
    psc_recorder_free(NULL);
    psc_recorder_buffer_free(NULL, NULL);

    /* all defaults: a thread, and a state taken at once */
    assert_int_equal(psc_recorder_new(intro, NULL, &r), PSC_OK);
    psc_recorder_stats s = {.struct_size = offsetof(psc_recorder_stats, pruned)};
    assert_int_equal(psc_recorder_stats_get(r, &s), PSC_ERR_INVALID);
    assert_int_equal(psc_recorder_stats_get(r, NULL), PSC_ERR_INVALID);
    /* an older caller's shorter struct: filled as far as it goes */
    s.struct_size = PSC__END_OF(psc_recorder_stats, pruned);
    assert_int_equal(psc_recorder_stats_get(r, &s), PSC_OK);
    assert_true(s.bytes > 0 && s.bytes <= (size_t)64 * 1024 * 1024);
    assert_int_equal(psc_recorder_write_buffer(r, NULL, NULL), PSC_ERR_INVALID);
    psc_recorder_free(r);

    /* below the floor: max_bytes is raised to 64 KiB */
    r = manual(intro, 0, 1, 0);
    assert_int_equal(psc_recorder_sample(r), PSC_OK);
    assert_true(stats(r).bytes <= 64 * 1024);
    psc_recorder_free(r);
    psc_introspector_free(intro);
}

/* ------------------------------------------------------------ deltas rebuilt */

/*
 * Two hosts walking the same random world on the same clock: one records
 * a full state every 6th, the other every state whole. The recording of
 * the first, its deltas rebuilt, must hold the very states of the second.
 */
static void test_rebuilt_equal_full(void **state)
{
    (void)state;
    fake_clock fa = {T0, 1}, fb = {T0, 1};
    psc_introspector *a = fixture_intro(&fa, NULL), *b = fixture_intro(&fb, NULL);
    world wa, wb;
    world_init(&wa, 5);
    world_init(&wb, 5);
    assert_int_equal(world_register(&wa, a), PSC_OK);
    assert_int_equal(world_register(&wb, b), PSC_OK);
    psc_recorder *ra = manual(a, 3600000, 0, 6), *rb = manual(b, 3600000, 0, 1);
    const int steps = 25;
    for (int i = 0; i < steps; i++) {
        world_step(&wa);
        world_step(&wb);
        tick(&fa, 1000);
        tick(&fb, 1000);
        assert_int_equal(psc_recorder_sample(ra), PSC_OK);
        assert_int_equal(psc_recorder_sample(rb), PSC_OK);
    }
    psc_recorder_stats sa = stats(ra), sb = stats(rb);
    assert_int_equal(sa.full_states, (steps + 5) / 6);
    assert_int_equal(sa.delta_states, steps - (steps + 5) / 6);
    assert_int_equal(sb.full_states, steps);
    assert_int_equal(sb.delta_states, 0);
    assert_int_equal(sa.samples, steps);
    assert_true(sa.bytes < sb.bytes);

    rec_read xa, xb;
    read_back(ra, &xa);
    read_back(rb, &xb);
    assert_int_equal(xa.states, steps);
    assert_int_equal(xb.states, steps);
    for (size_t k = 0; k < xa.states; k++) {
        assert_int_equal(xa.state[k]->seq, xb.state[k]->seq);
        canon_assert_equal(xb.state[k], xa.state[k]);
        size_t la, lb;
        uint8_t *pa = canon_pack(xa.state[k], &la), *pb = canon_pack(xb.state[k], &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(pa, pb, la);
        free(pa);
        free(pb);
    }
    rec_read_free(&xa);
    rec_read_free(&xb);
    psc_recorder_free(ra);
    psc_recorder_free(rb);
    psc_introspector_free(a);
    psc_introspector_free(b);
}

/* ------------------------------------------------------------ pruning */

static void test_prune_by_age(void **state)
{
    (void)state;
    fake_clock fc = {T0, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    world w;
    world_init(&w, 11);
    assert_int_equal(world_register(&w, intro), PSC_OK);
    types ty;
    assert_int_equal(declare(intro, &ty), PSC_OK);
    const uint64_t keep = 10000;
    psc_recorder *r = manual(intro, keep, 0, 3);
    int ev = 0;
    for (int i = 1; i <= 40; i++) {
        world_step(&w);
        tick(&fc, 500);
        emit_one(intro, &ty, ev++);
        tick(&fc, 500);
        emit_one(intro, &ty, ev++);
        assert_int_equal(psc_recorder_sample(r), PSC_OK);
        uint64_t now = fc.wall_ms, cutoff = now - keep;

        rec_read x;
        read_back(r, &x);
        assert_true(x.states >= 1);
        for (size_t k = 0; k < x.events; k++)
            assert_true(x.event[k]->ts >= cutoff);
        /* whole segments (3 states) go once the next one began before the window */
        uint64_t first = x.state[0]->instant_ts;
        assert_true(first + 3 * 1000 > cutoff);
        if (i > 13)
            assert_true(first <= cutoff); /* the window opens on a state */
        assert_int_equal(x.state[x.states - 1]->instant_ts, now);
        psc_recorder_stats s = stats(r);
        assert_int_equal(s.events, x.events);
        assert_int_equal(s.full_states + s.delta_states, x.states);
        assert_int_equal(s.newest_ms, now);
        uint64_t oldest = x.events && x.event[0]->ts < first ? x.event[0]->ts : first;
        assert_int_equal(s.oldest_ms, oldest);
        rec_read_free(&x);
    }
    psc_recorder_stats s = stats(r);
    assert_true(s.pruned > 0);
    assert_int_equal(s.samples, 40);
    assert_int_equal(s.events, keep / 500 + 1);

    /* Idle: the events age out; of the states, the one that was current
     * when the window opened stays, and the new one (whole: its segment
     * would have been too old) */
    tick(&fc, 3 * keep);
    assert_int_equal(psc_recorder_sample(r), PSC_OK);
    rec_read x;
    read_back(r, &x);
    assert_int_equal(x.events, 0);
    assert_int_equal(x.states, 2);
    s = stats(r);
    assert_int_equal(s.full_states, 2);
    rec_read_free(&x);
    psc_recorder_free(r);
    psc_introspector_free(intro);
}

static void test_prune_by_bytes(void **state)
{
    (void)state;
    fake_clock fc = {T0, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    world w;
    world_init(&w, 12);
    assert_int_equal(world_register(&w, intro), PSC_OK);
    types ty;
    assert_int_equal(declare(intro, &ty), PSC_OK);
    const size_t max = 256 * 1024;
    psc_recorder *r = manual(intro, 3600000, max, 5);
    int ev = 0;
    size_t peak = 0;
    for (int i = 0; i < 60; i++) {
        world_step(&w);
        for (int k = 0; k < 40; k++) {
            tick(&fc, 25);
            emit_one(intro, &ty, ev++);
        }
        assert_int_equal(psc_recorder_sample(r), PSC_OK);
        psc_recorder_stats s = stats(r);
        assert_true(s.bytes <= max);
        peak = s.bytes > peak ? s.bytes : peak;
        if (i % 10 == 9) {
            rec_read x;
            read_back(r, &x);
            assert_true(x.states >= 1);
            /* the newest events are all there, the oldest went first */
            assert_int_equal(x.event[x.events - 1]->seq, (uint64_t)ev);
            assert_int_equal(x.events, s.events);
            assert_int_equal(x.event[0]->seq, (uint64_t)ev - x.events + 1);
            rec_read_free(&x);
        }
    }
    psc_recorder_stats s = stats(r);
    assert_true(s.pruned > 0);
    assert_true(peak > max / 2); /* it did fill up */
    assert_int_equal(s.sample_errors, 0);
    assert_int_equal(s.samples, 60);
    psc_recorder_free(r);
    psc_introspector_free(intro);
}

/* ------------------------------------------------------------ events */

static void test_events_in_order(void **state)
{
    (void)state;
    fake_clock fc = {T0, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    types ty;
    assert_int_equal(declare(intro, &ty), PSC_OK);
    emit_one(intro, &ty, 999); /* before the recorder: not its */
    psc_recorder *r = manual(intro, 0, 0, 0);
    int n = 0;
    for (int round = 0; round < 4; round++) {
        for (int k = 0; k < 25; k++) {
            tick(&fc, 7);
            emit_one(intro, &ty, n++);
        }
        assert_int_equal(psc_recorder_sample(r), PSC_OK);
    }
    rec_read x;
    read_back(r, &x);
    assert_int_equal(x.runtimes, 1);
    assert_int_equal(x.states, 4);
    assert_int_equal(x.events, (size_t)n);
    /* rec_check saw the order and that later events carry no metadata */
    const char *first_of[3] = {NULL, NULL, NULL};
    for (size_t i = 0; i < x.events; i++) {
        Peerscope__Event *e = x.event[i];
        assert_int_equal(e->seq, i + 2);
        int k = (int)((i * 7) % 3);
        assert_string_equal(e->type->name, defs[k].name);
        if (!first_of[k]) {
            first_of[k] = e->type->name;
            assert_int_equal(e->type->n_property_types, defs[k].n_props);
            assert_string_equal(e->type->property_types[0]->name, defs[k].props[0].name);
        }
        if (k == 0) {
            char want[32];
            snprintf(want, sizeof want, "{\"n\":%zu}", i);
            assert_string_equal(e->content, want);
        }
    }
    /* every type is also in the Runtime, with its metadata */
    Peerscope__Runtime *rt = x.msgs[0]->runtime;
    assert_int_equal(rt->n_event_types, 3);
    assert_string_equal(rt->implementation, "test-host");
    rec_read_free(&x);

    /* A second write starts the metadata over: each file stands alone. */
    read_back(r, &x);
    assert_true(x.event[0]->type->n_property_types > 0);
    rec_read_free(&x);
    psc_recorder_free(r);
    psc_introspector_free(intro);
}

static void test_events_missed(void **state)
{
    (void)state;
    fake_clock fc = {T0, 1};
    psc_clock clk = fake_clock_iface(&fc);
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.clock = &clk;
    cfg.event_ring_capacity = 16;
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(&cfg, &intro), PSC_OK);
    types ty;
    assert_int_equal(declare(intro, &ty), PSC_OK);
    psc_recorder *r = manual(intro, 0, 0, 0);
    for (int i = 0; i < 100; i++)
        emit_one(intro, &ty, i);
    assert_int_equal(psc_recorder_sample(r), PSC_OK);
    psc_recorder_stats s = stats(r);
    assert_int_equal(s.events_missed, 84);
    assert_int_equal(s.events, 16);
    rec_read x;
    read_back(r, &x);
    assert_int_equal(x.events, 16);
    assert_int_equal(x.event[0]->seq, 85);
    assert_int_equal(x.event[15]->seq, 100);
    rec_read_free(&x);
    psc_recorder_free(r);
    psc_introspector_free(intro);
}

/* ------------------------------------------------------------ a provider calling back */

static psc_recorder *g_rec;
static psc_err g_inner_sample, g_inner_write;

static psc_err calling_back(void *user, psc_collect *ctx, psc_custom_builder *b)
{
    (void)user;
    (void)ctx;
    g_inner_sample = psc_recorder_sample(g_rec);
    uint8_t *buf = NULL;
    size_t len = 0;
    g_inner_write = psc_recorder_write_buffer(g_rec, &buf, &len);
    psc_recorder_buffer_free(g_rec, buf);
    return psc_custom_add_integer(b, "x", 1);
}

static void test_reentry(void **state)
{
    (void)state;
    fake_clock fc = {T0, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    static const psc_custom_provider vt = {.struct_size = sizeof vt, .name = "cb", .collect = calling_back};
    assert_int_equal(psc_register_custom(intro, &vt, NULL, NULL), PSC_OK);
    g_rec = manual(intro, 0, 0, 0);
    assert_int_equal(psc_recorder_sample(g_rec), PSC_OK);
    assert_int_equal(g_inner_sample, PSC_ERR_STATE);
    assert_int_equal(g_inner_write, PSC_OK);
    /* an endpoint's snapshot (here: the host's own) calling the recorder: the snapshot refuses */
    psc_msg *m = NULL;
    assert_int_equal(psc_introspector_snapshot(intro, &m), PSC_OK);
    psc_msg_unref(m);
    assert_int_equal(g_inner_sample, PSC_ERR_STATE);
    assert_int_equal(stats(g_rec).samples, 1);
    psc_recorder_free(g_rec);
    psc_introspector_free(intro);
}

/* ------------------------------------------------------------ writing to paths */

static size_t dir_entries(const char *dir, char names[][256], size_t cap)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (n < cap)
            snprintf(names[n], 256, "%s", e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

static void test_write_paths(void **state)
{
    (void)state;
    fake_clock fc = {T0, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    types ty;
    assert_int_equal(declare(intro, &ty), PSC_OK);
    psc_recorder *r = manual(intro, 0, 0, 2);
    emit_one(intro, &ty, 0);
    assert_int_equal(psc_recorder_sample(r), PSC_OK);

    char dir[] = "/tmp/psc-recorder-test.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], names[8][256];
    assert_int_equal(psc_recorder_write(r, ""), PSC_ERR_INVALID);
    assert_int_equal(psc_recorder_write(r, NULL), PSC_ERR_INVALID);

    /* a directory that does not exist: an error, and nothing anywhere */
    snprintf(path, sizeof path, "%s/missing/x.rec", dir);
    assert_int_equal(psc_recorder_write(r, path), PSC_ERR_IO);
    assert_int_equal(dir_entries(dir, names, 8), 0);

    /* written whole, and nothing beside it */
    snprintf(path, sizeof path, "%s/x.rec", dir);
    assert_int_equal(psc_recorder_write(r, path), PSC_OK);
    assert_int_equal(dir_entries(dir, names, 8), 1);
    assert_string_equal(names[0], "x.rec");
    rec_read x;
    rec_read_path(path, true, &x);
    assert_int_equal(x.states, 1);
    assert_int_equal(x.events, 1);
    rec_read_free(&x);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600); /* it may name peers and addresses */

    /* written again: replaced */
    tick(&fc, 1000);
    assert_int_equal(psc_recorder_sample(r), PSC_OK);
    assert_int_equal(psc_recorder_write(r, path), PSC_OK);
    rec_read_path(path, true, &x);
    assert_int_equal(x.states, 2);
    rec_read_free(&x);
    assert_int_equal(dir_entries(dir, names, 8), 1);

    /* a rename that fails (over a directory): the temporary file goes */
    snprintf(path, sizeof path, "%s/sub", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(psc_recorder_write(r, path), PSC_ERR_IO);
    assert_int_equal(dir_entries(dir, names, 8), 2);
    assert_int_equal(dir_entries(path, names, 8), 0);
    rmdir(path);
    snprintf(path, sizeof path, "%s/x.rec", dir);
    unlink(path);
    rmdir(dir);

    /* a full disk */
    FILE *full = fopen("/dev/full", "wb");
    if (full) {
        assert_int_equal(psc_recorder_write_file(r, full), PSC_ERR_IO);
        fclose(full);
    }
    /* an open stream: written, left open */
    FILE *mem = tmpfile();
    assert_non_null(mem);
    assert_int_equal(psc_recorder_write_file(r, mem), PSC_OK);
    rewind(mem);
    psc_recording *rd = NULL;
    assert_int_equal(psc_recording_open(mem, &rd), PSC_OK);
    psc_recording_close(rd);
    fclose(mem);
    psc_recorder_free(r);
    psc_introspector_free(intro);
}

/* ------------------------------------------------------------ allocation failures */

static psc_err retry(psc_err e, psc_err (*again)(psc_recorder *), psc_recorder *r)
{
    /* only one allocation fails: the same call again must get through */
    return e == PSC_ERR_NOMEM ? again(r) : e;
}

static psc_err each_alloc_body(void *arg, psc_test_alloc *ta)
{
    (void)arg;
    fake_clock fc = {T0, 1};
    psc_clock clk = fake_clock_iface(&fc);
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.clock = &clk;
    cfg.allocator = &ta->iface;
    psc_introspector *intro = NULL;
    psc_err e = psc_introspector_new(&cfg, &intro);
    if (e != PSC_OK)
        return e;
    world w;
    world_init(&w, 3);
    types ty;
    psc_recorder *r = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    if ((e = world_register(&w, intro)) != PSC_OK || (e = declare(intro, &ty)) != PSC_OK)
        goto out;
    psc_recorder_config rc = PSC_RECORDER_CONFIG_INIT;
    rc.interval_ms = PSC_RECORDER_MANUAL;
    rc.full_every = 2;
    if ((e = psc_recorder_new(intro, &rc, &r)) != PSC_OK)
        goto out;
    int n = 0;
    for (int round = 0; round < 3; round++) {
        for (int k = 0; k < 4; k++)
            emit_one(intro, &ty, n++);
        world_step(&w);
        tick(&fc, 1000);
        if ((e = retry(psc_recorder_sample(r), psc_recorder_sample, r)) != PSC_OK)
            goto out;
    }
    e = psc_recorder_write_buffer(r, &buf, &len);
    if (e == PSC_ERR_NOMEM)
        e = psc_recorder_write_buffer(r, &buf, &len);
    if (e != PSC_OK)
        goto out;
    /* Nothing lost: every event, every state taken, in order. */
    rec_read x;
    rec_read_buffer(buf, len, true, &x);
    psc_recorder_stats s = stats(r);
    assert_int_equal(x.events, (size_t)n);
    assert_int_equal(s.events_missed, 0);
    assert_int_equal(x.states, s.samples);
    assert_true(s.samples >= 2);
    rec_read_free(&x);
out:
    psc_recorder_buffer_free(r, buf);
    psc_recorder_free(r);
    psc_introspector_free(intro);
    return e;
}

static void test_each_alloc_fails(void **state)
{
    (void)state;
    uint64_t runs = psc_test_each_alloc_fails(each_alloc_body, NULL, 2000);
    assert_true(runs > 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_rebuilt_equal_full),
        cmocka_unit_test(test_prune_by_age),
        cmocka_unit_test(test_prune_by_bytes),
        cmocka_unit_test(test_events_in_order),
        cmocka_unit_test(test_events_missed),
        cmocka_unit_test(test_reentry),
        cmocka_unit_test(test_write_paths),
        cmocka_unit_test(test_each_alloc_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
