/*
 * Milestones from lifecycle events and connection history, host-declared
 * ones and pairs, in State.milestones, Runtime.milestones and as
 * MilestoneReached events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "world.h"

static const Peerscope__Milestone *find(Peerscope__Milestone **v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i]->name, name) == 0)
            return v[i];
    return NULL;
}

static void t_derived(void **state)
{
    world w;
    w_init(&w);
    uint64_t start = w.clock.wall_ms;
    assert_int_equal(psc_event_declare_well_known(w.intro), PSC_OK);
    const psc_event_type *identity, *sync_started, *sync_completed;
    assert_int_equal(psc_event_lookup(w.intro, "IdentityKnown", &identity), PSC_OK);
    assert_int_equal(psc_event_lookup(w.intro, "SyncStarted", &sync_started), PSC_OK);
    assert_int_equal(psc_event_lookup(w.intro, "SyncCompleted", &sync_completed), PSC_OK);

    w_advance(&w, 120);
    const char *addrs[] = {"/ip4/127.0.0.1/tcp/4001"};
    psc_emit(w.intro, identity, (psc_value[]){PSC_V_STR("12D3KooWSelf"), PSC_V_STRS(addrs, 1)}, 2);
    w_advance(&w, 200);
    w_connect(&w, "p1");
    w_advance(&w, 100);
    w_snap(&w);
    w_advance(&w, 300);
    psc_emit(w.intro, sync_started, (psc_value[]){PSC_V_NUM(100), PSC_V_NUM(0)}, 2);
    for (int i = 2; i <= 5; i++) {
        char id[8];
        snprintf(id, sizeof id, "p%d", i);
        w_advance(&w, 50);
        w_connect(&w, id);
    }
    w_advance(&w, 1000);
    psc_emit(w.intro, sync_completed, (psc_value[]){PSC_V_NUM(100), PSC_V_NUM(1000)}, 2);
    assert_int_equal(psc_analyzer_milestone_reach(w.an, "db_open", NULL), PSC_OK);
    assert_int_equal(psc_analyzer_milestone_reach(w.an, "serving", "nope"), PSC_ERR_NOT_FOUND);
    w_advance(&w, 40);
    assert_int_equal(psc_analyzer_milestone_reach(w.an, "serving", "db_open"), PSC_OK);
    assert_int_equal(psc_analyzer_milestone_reach(w.an, "serving", NULL), PSC_OK); /* once only */

    Peerscope__ServerMessage *m = fixture_snapshot(w.intro, NULL);
    Peerscope__State *st = fixture_state(m);
    struct {
        const char *name;
        uint64_t duration;
        const char *from;
    } want[] = {
        {"identity", 120, ""},     {"first_listen", 120, ""}, {"first_peer", 320, ""},  {"peers_1", 320, ""},
        {"sync_started", 720, ""}, {"peers_5", 920, ""},      {"sync_completed", 1920, ""},
        {"db_open", 1920, ""},     {"serving", 40, "db_open"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const Peerscope__Milestone *ms = find(st->milestones, st->n_milestones, want[i].name);
        if (!ms)
            fail_msg("no milestone %s", want[i].name);
        assert_int_equal(ms->duration_ms, want[i].duration);
        assert_string_equal(ms->from, want[i].from);
        assert_int_equal(ms->reached_ts, (strcmp(ms->from, "") ? start + 1920 : start) + ms->duration_ms);
    }
    assert_null(find(st->milestones, st->n_milestones, "peers_10"));
    uint64_t reached, dur;
    assert_int_equal(psc_analyzer_milestone(w.an, "peers_5", &reached, &dur), PSC_OK);
    assert_int_equal(dur, 920);
    assert_int_equal(psc_analyzer_milestone(w.an, "peers_10", NULL, NULL), PSC_ERR_NOT_FOUND);
    peerscope__server_message__free_unpacked(m, NULL);

    /* Runtime carries them too */
    psc_msg *rt;
    assert_int_equal(psc_introspector_runtime(w.intro, &rt), PSC_OK);
    Peerscope__ServerMessage *rm;
    assert_int_equal(psc_msg_decode(rt, &rm), PSC_OK);
    assert_int_equal(rm->runtime->n_milestones, sizeof want / sizeof want[0]);
    assert_non_null(find(rm->runtime->milestones, rm->runtime->n_milestones, "serving"));
    peerscope__server_message__free_unpacked(rm, NULL);
    psc_msg_unref(rt);

    w_snap(&w);
    assert_int_equal(w.milestones, sizeof want / sizeof want[0]);
    w_free(&w);
}

/* Without an IdentityKnown event, the first listen address comes from the state's transports. */
static psc_err transports(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    bool *listening = user;
    if (!*listening)
        return PSC_OK;
    const char *addrs[] = {"/ip4/0.0.0.0/tcp/1"};
    psc_transport t = PSC_TRANSPORT_INIT;
    t.id = (const uint8_t *)"tcp";
    t.id_len = 3;
    t.name = "tcp";
    t.listen_addrs = addrs;
    t.n_listen_addrs = 1;
    t.listening = true;
    return psc_swarm_add_transport(b, &t);
}

static void t_listen_from_state(void **state)
{
    world w;
    w_init(&w);
    bool listening = false;
    psc_swarm_provider sp = {sizeof sp, "transports", transports, NULL};
    assert_int_equal(psc_register_swarm(w.intro, &sp, &listening, NULL), PSC_OK);
    w_advance(&w, 10);
    w_snap(&w);
    assert_int_equal(psc_analyzer_milestone(w.an, "first_listen", NULL, NULL), PSC_ERR_NOT_FOUND);
    listening = true;
    w_advance(&w, 10);
    w_snap(&w);
    uint64_t dur;
    assert_int_equal(psc_analyzer_milestone(w.an, "first_listen", NULL, &dur), PSC_OK);
    assert_int_equal(dur, 20);
    w_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(t_derived), cmocka_unit_test(t_listen_from_state)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
