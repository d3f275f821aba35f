/*
 * A provider whose collect hangs: the snapshot goes out on time without
 * its section and with a ProviderError "timeout", the provider is skipped
 * until its collect returns, and unregister and free still wait for it.
 * The hang is a latch the test opens, so nothing depends on how long the
 * machine takes: only the deadline itself is real time (50 ms here), and
 * a collect that never returns on its own cannot meet it.
 * Assertions only on the main thread (cmocka is not thread-safe).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "core_fixture.h"

typedef struct latch {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool open;      /* the test let the collect return */
    bool returned;  /* the collect returned */
    int entered;    /* collects begun */
    bool released;  /* the provider's release ran */
    bool released_after_return;
    pthread_t thread; /* where the last collect ran */
} latch;

static void latch_init(latch *l)
{
    memset(l, 0, sizeof *l);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
}

static void latch_fini(latch *l)
{
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
}

static void latch_open(latch *l)
{
    pthread_mutex_lock(&l->mu);
    l->open = true;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

static int latch_entered(latch *l)
{
    pthread_mutex_lock(&l->mu);
    int n = l->entered;
    pthread_mutex_unlock(&l->mu);
    return n;
}

static bool latch_get(latch *l, bool *field)
{
    pthread_mutex_lock(&l->mu);
    bool v = *field;
    pthread_mutex_unlock(&l->mu);
    return v;
}

/* Wait for the late collect to have returned (no deadline of our own:
 * meson's test timeout bounds a collect that never does). */
static void latch_wait_returned(latch *l)
{
    pthread_mutex_lock(&l->mu);
    while (!l->returned)
        pthread_cond_wait(&l->cv, &l->mu);
    pthread_mutex_unlock(&l->mu);
}

static psc_err hanging_collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)ctx;
    latch *l = user;
    pthread_mutex_lock(&l->mu);
    l->entered++;
    l->thread = pthread_self();
    l->returned = false;
    while (!l->open)
        pthread_cond_wait(&l->cv, &l->mu);
    pthread_mutex_unlock(&l->mu);
    /* still writes after the deadline: into the arena the snapshot gave up */
    psc_connection c = {.struct_size = sizeof c, .id = (const uint8_t *)"late", .id_len = 4};
    psc_err e = psc_swarm_add_connection(b, &c, NULL);
    pthread_mutex_lock(&l->mu);
    l->returned = true;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    return e;
}

static void hanging_release(void *user)
{
    latch *l = user;
    pthread_mutex_lock(&l->mu);
    l->released = true;
    l->released_after_return = l->returned;
    pthread_mutex_unlock(&l->mu);
}

static psc_err steady_collect(void *user, psc_collect *ctx, psc_custom_builder *b)
{
    (void)ctx;
    return psc_custom_add_integer(b, "n", (int64_t)(intptr_t)user);
}

static psc_introspector *intro_with_deadline(fake_clock *fc, uint32_t timeout_ms)
{
    psc_clock clk = fake_clock_iface(fc);
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.clock = &clk;
    cfg.log_level = PSC_LOG_ERROR;
    cfg.collect_timeout_ms = timeout_ms;
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(&cfg, &intro), PSC_OK);
    return intro;
}

static psc_provider *add_hanging(psc_introspector *intro, latch *l)
{
    psc_swarm_provider vt = {.struct_size = sizeof vt, .name = "hangs", .collect = hanging_collect,
                             .release = hanging_release};
    psc_provider *p = NULL;
    assert_int_equal(psc_register_swarm(intro, &vt, l, &p), PSC_OK);
    return p;
}

static void add_steady(psc_introspector *intro, const char *name, intptr_t n)
{
    psc_custom_provider vt = {.struct_size = sizeof vt, .name = name, .collect = steady_collect};
    assert_int_equal(psc_register_custom(intro, &vt, (void *)n, NULL), PSC_OK);
}

/* A 50 ms deadline and three providers, the middle one hanging on l. */
static psc_introspector *hung_world(fake_clock *fc, latch *l, psc_provider **hanging)
{
    psc_introspector *intro = intro_with_deadline(fc, 50);
    latch_init(l);
    add_steady(intro, "before", 1);
    psc_provider *p = add_hanging(intro, l);
    add_steady(intro, "after", 2);
    if (hanging)
        *hanging = p;
    return intro;
}

/* The snapshot has both steady sections, no connection, and one timeout error for "hangs". */
static void expect_without_hung(psc_introspector *intro)
{
    psc_msg *m = NULL;
    Peerscope__ServerMessage *sm = fixture_snapshot(intro, &m);
    Peerscope__State *st = fixture_state(sm);
    assert_int_equal(st->subsystems->n_custom, 2);
    assert_int_equal(st->subsystems->n_connections, 0);
    assert_int_equal(st->n_provider_errors, 1);
    Peerscope__ProviderError *pe = st->provider_errors[0];
    assert_string_equal(pe->provider, "hangs");
    assert_string_equal(pe->subsystem, "swarm");
    assert_int_equal(pe->code, PSC_ERR_TIMEOUT);
    assert_true(strncmp(pe->error, "timeout", 7) == 0);
    peerscope__server_message__free_unpacked(sm, NULL);
    psc_msg_unref(m);
}

static void test_snapshot_goes_on_without_hung_provider(void **state)
{
    (void)state;
    fake_clock fc = {1000000, 1};
    latch l;
    psc_introspector *intro = hung_world(&fc, &l, NULL);

    expect_without_hung(intro);
    /* skipped, not entered again, while its collect has not returned */
    fc.wall_ms += 1000;
    expect_without_hung(intro);
    assert_int_equal(latch_entered(&l), 1);

    latch_open(&l);
    latch_wait_returned(&l);
    /* the late collect's thread frees what it held and then clears the mark */
    for (;;) {
        psc_msg *m = NULL;
        Peerscope__ServerMessage *sm = fixture_snapshot(intro, &m);
        Peerscope__State *st = fixture_state(sm);
        size_t errs = st->n_provider_errors, conns = st->subsystems->n_connections;
        peerscope__server_message__free_unpacked(sm, NULL);
        psc_msg_unref(m);
        if (errs == 0) {
            assert_int_equal(conns, 1); /* collected again, on time now */
            break;
        }
        sched_yield();
    }
    assert_int_equal(latch_entered(&l), 2);
    psc_introspector_free(intro);
    latch_fini(&l);
}

typedef struct unreg_arg {
    psc_provider *p;
    latch *l;
    psc_err result;
    bool saw_open; /* the latch was open when unregister returned */
} unreg_arg;

static void *unreg_main(void *arg)
{
    unreg_arg *u = arg;
    u->result = psc_provider_unregister(u->p);
    u->saw_open = latch_get(u->l, &u->l->open);
    return NULL;
}

static void test_unregister_waits_for_late_collect(void **state)
{
    (void)state;
    fake_clock fc = {1000000, 1};
    latch l;
    psc_provider *p = NULL;
    psc_introspector *intro = hung_world(&fc, &l, &p);
    expect_without_hung(intro);

    unreg_arg u = {p, &l, PSC_ERR_INTERNAL, false};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, unreg_main, &u), 0);
    latch_open(&l);
    pthread_join(t, NULL);
    assert_int_equal(u.result, PSC_OK);
    assert_true(u.saw_open);
    assert_true(l.released && l.released_after_return);

    psc_msg *m = NULL;
    Peerscope__ServerMessage *sm = fixture_snapshot(intro, &m);
    assert_int_equal(fixture_state(sm)->n_provider_errors, 0);
    peerscope__server_message__free_unpacked(sm, NULL);
    psc_msg_unref(m);
    psc_introspector_free(intro);
    latch_fini(&l);
}

typedef struct free_arg {
    psc_introspector *intro;
    latch *l;
    bool saw_open;
} free_arg;

static void *free_main(void *arg)
{
    free_arg *f = arg;
    psc_introspector_free(f->intro);
    f->saw_open = latch_get(f->l, &f->l->open);
    return NULL;
}

static void test_free_waits_for_late_collect(void **state)
{
    (void)state;
    fake_clock fc = {1000000, 1};
    latch l;
    psc_introspector *intro = hung_world(&fc, &l, NULL);
    expect_without_hung(intro);

    free_arg f = {intro, &l, false};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, free_main, &f), 0);
    latch_open(&l);
    pthread_join(t, NULL);
    assert_true(f.saw_open);
    assert_true(l.released && l.released_after_return);
    latch_fini(&l);
}

static void test_where_collects_run(void **state)
{
    (void)state;
    fake_clock fc = {1000000, 1};
    static const uint32_t modes[] = {0, PSC_COLLECT_INLINE};
    for (size_t i = 0; i < 2; i++) {
        psc_introspector *intro = intro_with_deadline(&fc, modes[i]);
        latch l;
        latch_init(&l);
        latch_open(&l);
        add_hanging(intro, &l);
        psc_msg *m = NULL;
        Peerscope__ServerMessage *sm = fixture_snapshot(intro, &m);
        assert_int_equal(fixture_state(sm)->subsystems->n_connections, 1);
        peerscope__server_message__free_unpacked(sm, NULL);
        psc_msg_unref(m);
        /* the default deadline runs collects on the library's thread; inline on the caller's */
        assert_int_equal(pthread_equal(l.thread, pthread_self()) != 0, modes[i] == PSC_COLLECT_INLINE);
        psc_introspector_free(intro);
        latch_fini(&l);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_goes_on_without_hung_provider),
        cmocka_unit_test(test_unregister_waits_for_late_collect),
        cmocka_unit_test(test_free_waits_for_late_collect),
        cmocka_unit_test(test_where_collects_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
