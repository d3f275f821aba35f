/* peerscope-top against peerscope-hub's fleet socket: Fleet tables and
 * fleet events in the model, the fleet view's frame (a column per
 * milestone, blank where a node has none), sorting with the usual keys,
 * and Enter opening a node as a tab at the hub's /node/NAME/introspect. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "top.h"
#include "top_test_util.h"
#include "top_views.h"

#define N_NODES 20
#define WALL 1600000000000ull

/* A serialized ServerMessage{fleet} of N_NODES rows (node-01..node-20; the last down). */
static uint8_t *fleet_message(size_t *len)
{
    static Peerscope__Fleet__Node nodes[N_NODES];
    static Peerscope__Fleet__Node *ptrs[N_NODES];
    static Peerscope__Milestone ms[N_NODES][2];
    static Peerscope__Milestone *msp[N_NODES][2];
    static char names[N_NODES][16], paths[N_NODES][40], peers[N_NODES][64];
    for (int i = 0; i < N_NODES; i++) {
        Peerscope__Fleet__Node *n = &nodes[i];
        peerscope__fleet__node__init(n);
        snprintf(names[i], sizeof names[i], "node-%02d", i + 1);
        snprintf(paths[i], sizeof paths[i], "/node/node-%02d/introspect", i + 1);
        snprintf(peers[i], sizeof peers[i], "12D3KooWTestPeer%02dxxxxxxxxxxxxxxxxxxxxxxxxxxxxx%02d", i + 1, i + 1);
        n->name = names[i];
        n->path = paths[i];
        n->peer_id = peers[i];
        n->implementation = "demo";
        n->version = "1.0";
        n->up = i != N_NODES - 1;
        n->error = n->up ? "" : "connection refused";
        n->since_ts = WALL - 60000;
        n->peers = (uint32_t)(i % 5);      /* ties: the sort must keep the hub's order */
        n->connections = (uint32_t)(i % 5);
        n->streams = (uint32_t)(2 * i);
        n->rate_in = (uint64_t)(1000 * (i + 1));
        n->alerts_critical = i == 6 ? 1 : 0;
        n->alerts_warning = (uint32_t)(i % 3);
        n->last_seq = (uint64_t)(100 + i);
        n->dropped = i == 4 ? 3 : 0;
        n->reconnects = (uint32_t)(i % 4);
        /* first_peer on every node, peers_8 on odd ones */
        peerscope__milestone__init(&ms[i][0]);
        ms[i][0].name = "first_peer";
        ms[i][0].duration_ms = (uint64_t)(100 + 10 * i);
        msp[i][0] = &ms[i][0];
        n->milestones = msp[i];
        n->n_milestones = 1;
        if (i % 2) {
            peerscope__milestone__init(&ms[i][1]);
            ms[i][1].name = "peers_8";
            ms[i][1].duration_ms = (uint64_t)(2000 + 100 * i);
            msp[i][1] = &ms[i][1];
            n->n_milestones = 2;
        }
        ptrs[i] = n;
    }
    Peerscope__Fleet f = PEERSCOPE__FLEET__INIT;
    f.nodes = ptrs;
    f.n_nodes = N_NODES;
    f.ts = WALL;
    f.hub_version = "0.1.0";
    Peerscope__ServerMessage m = PEERSCOPE__SERVER_MESSAGE__INIT;
    m.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_FLEET;
    m.fleet = &f;
    return pack_message(&m, len);
}

static uint8_t *runtime_message(size_t *len)
{
    Peerscope__Runtime rt = PEERSCOPE__RUNTIME__INIT;
    rt.implementation = "peerscope-hub";
    rt.version = "0.1.0";
    rt.start_ts = WALL - 5000;
    Peerscope__ServerMessage m = PEERSCOPE__SERVER_MESSAGE__INIT;
    m.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME;
    m.runtime = &rt;
    return pack_message(&m, len);
}

static uint8_t *event_message(const char *node, uint64_t seq, size_t *len)
{
    Peerscope__EventType et = PEERSCOPE__EVENT_TYPE__INIT;
    et.name = "PeerConnected";
    Peerscope__Event ev = PEERSCOPE__EVENT__INIT;
    ev.type = &et;
    ev.ts = WALL;
    ev.seq = seq;
    ev.content = "{\"peer\":\"x\"}";
    ev.node = (char *)node;
    Peerscope__ServerMessage m = PEERSCOPE__SERVER_MESSAGE__INIT;
    m.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT;
    m.event = &ev;
    return pack_message(&m, len);
}

static void apply(top_model *m, uint8_t *buf, size_t len)
{
    assert_int_equal(top_model_apply(m, buf, len, 1), PSC_OK);
    free(buf);
}

typedef struct fixture {
    top_app app;
    top_node nodes[4];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    top_app *app = &f->app;
    test_app_init(app, f->nodes, 4, "ws://127.0.0.1:1/introspect");
    assert_int_equal(psc_client_loop_new(NULL, &app->loop), PSC_OK);
    top_node *hub = &f->nodes[0];
    size_t len;
    uint8_t *b = runtime_message(&len);
    apply(&hub->model, b, len);
    b = fleet_message(&len);
    apply(&hub->model, b, len);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    top_model_free(&f->nodes[0].model);
    for (size_t i = 1; i < f->app.n_nodes; i++)
        top_node_free(&f->nodes[i]);
    psc_client_loop_free(f->app.loop);
    table_free(&f->app.table);
    scr_free(&f->app.scr);
    free(f);
    return 0;
}

static const char *render(fixture *f, int w, int h)
{
    return frame_text(&f->app, w, h, 1000, WALL);
}

/* Line y of the last render (0-based). */
static const char *line(const char *text, int y, char *out, size_t cap)
{
    for (int i = 0; i < y && text; i++) {
        text = strchr(text, '\n');
        if (text)
            text++;
    }
    assert_non_null(text);
    size_t n = strcspn(text, "\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, text, n);
    out[n] = 0;
    return out;
}

/* The word after the first occurrence of word in text (static buffer). */
static const char *after(const char *text, const char *word)
{
    static char w[64];
    const char *p = strstr(text, word);
    assert_non_null(p);
    p += strlen(word);
    p += strspn(p, " ");
    size_t n = strcspn(p, " ");
    if (n >= sizeof w)
        n = sizeof w - 1;
    memcpy(w, p, n);
    w[n] = 0;
    return w;
}

/* The node names of the rows drawn, top to bottom, as "01 02 ...". */
static void row_order(const char *text, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = 0;
    for (const char *p = strstr(text, "\nnode-"); p; p = strstr(p + 1, "\nnode-"))
        if (o + 4 < cap)
            o += (size_t)snprintf(out + o, cap - o, "%s%.2s", o ? " " : "", p + 6);
}

static const char *render(fixture *f, int w, int h);
static const char *after(const char *text, const char *word);

static void test_model_keeps_fleet_and_fleet_events(void **state)
{
    fixture *f = *state;
    top_model *m = &f->nodes[0].model;
    const Peerscope__Fleet *fl = top_model_fleet(m);
    assert_non_null(fl);
    assert_int_equal(fl->n_nodes, N_NODES);
    assert_int_equal(m->fleets_total, 1);
    assert_null(top_model_state(m));
    assert_non_null(top_fleet_node(m, "node-05"));
    assert_null(top_fleet_node(m, "node-99"));
    /* two nodes' events interleaved: each numbers its own, nothing is lost */
    size_t len;
    uint8_t *b;
    for (uint64_t s = 1; s <= 3; s++) {
        b = event_message("node-01", s, &len);
        apply(m, b, len);
        b = event_message("node-02", s + 40, &len);
        apply(m, b, len);
    }
    assert_int_equal(m->events_total, 6);
    assert_int_equal(m->events_lost, 0);
    assert_string_equal(top_model_event(m, 0)->node, "node-01");
    assert_string_equal(top_model_event(m, 1)->node, "node-02");
    /* the events view says whose event each is; Enter still finds the type */
    fixture *g = f;
    g->app.view = VIEW_EVENTS;
    const char *t = render(g, 160, 24);
    assert_non_null(strstr(t, "NODE"));
    assert_string_equal(after(t, " node-02 "), "PeerConnected");
    top_key(&g->app, '\n');
    assert_int_equal(g->app.event_focus, top_model_find_type(m, "PeerConnected"));
    /* a second table replaces the first */
    b = fleet_message(&len);
    apply(m, b, len);
    assert_int_equal(m->fleets_total, 2);
}

static void test_frame_fleet_view(void **state)
{
    fixture *f = *state;
    top_select_node(&f->app, 0); /* a fleet: its table first */
    assert_int_equal(f->app.view, VIEW_FLEET);
    const char *t = render(f, 200, 30);
    char l[1024];
    assert_non_null(strstr(line(t, 1, l, sizeof l), "hub"));
    assert_non_null(strstr(line(t, 2, l, sizeof l), "nodes 20  up 19  down 1"));
    const char *head = line(t, 4, l, sizeof l);
    assert_non_null(strstr(head, "NODE"));
    /* the durations side by side, between the alerts and the counters */
    const char *titles[] = {"ALERTS", "FIRST PEER", "8 PEERS", "LAST SEQ"};
    const char *at = head;
    for (size_t k = 0; k < 4; k++) {
        const char *c = strstr(at, titles[k]);
        assert_non_null(c);
        /* only blanks between one title and the next */
        for (const char *q = at; k && q < c; q++)
            assert_int_equal(*q, ' ');
        at = c + strlen(titles[k]);
    }
    char order[256];
    row_order(t, order, sizeof order);
    assert_string_equal(order, "01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20");
    /* node-01 has no peers_8: blank; node-02 has it */
    const char *r1 = strstr(t, "\nnode-01");
    const char *r2 = strstr(t, "\nnode-02");
    assert_string_equal(after(line(r1 + 1, 0, l, sizeof l), "100ms"), "100");   /* blank, then LAST SEQ */
    assert_string_equal(after(line(r2 + 1, 0, l, sizeof l), "110ms"), "2.10s");
    assert_non_null(strstr(t, "connection refused"));
    assert_non_null(strstr(t, "9Fleet"));
    /* 80 columns: fewer columns, nothing past the edge */
    const char *small = render(f, 80, 24);
    assert_non_null(strstr(small, "NODE"));
    assert_non_null(strstr(small, "node-01 "));
    assert_lines_fit(small, 80);
}

static void test_keys_sort_fleet_stably(void **state)
{
    fixture *f = *state;
    top_app *app = &f->app;
    top_select_node(app, 0);
    char order[256];
    render(f, 200, 30);
    top_key(app, 'r'); /* NODE descending */
    row_order(render(f, 200, 30), order, sizeof order);
    assert_string_equal(order, "20 19 18 17 16 15 14 13 12 11 10 09 08 07 06 05 04 03 02 01");
    /* s s s s s: STATE SINCE PEER IMPL PEERS; numbers sort largest first, ties in the hub's order */
    for (int i = 0; i < 5; i++)
        top_key(app, 's');
    const char *t = render(f, 200, 30);
    assert_non_null(strstr(t, "sort PEERS desc"));
    row_order(t, order, sizeof order);
    assert_string_equal(order, "05 10 15 20 04 09 14 19 03 08 13 18 02 07 12 17 01 06 11 16");
    top_key(app, 'r');
    row_order(render(f, 200, 30), order, sizeof order);
    assert_string_equal(order, "01 06 11 16 02 07 12 17 03 08 13 18 04 09 14 19 05 10 15 20");
    /* STATE: up before down, the up ones in the hub's order */
    for (int i = 0; i < 4; i++)
        top_key(app, '<');
    t = render(f, 200, 30);
    assert_non_null(strstr(t, "sort STATE asc"));
    row_order(t, order, sizeof order);
    assert_string_equal(order, "01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20");
    /* the filter finds a node by its full peer id */
    top_key(app, '/');
    for (const char *k = "peer07"; *k; k++)
        top_key(app, *k);
    top_key(app, '\n');
    row_order(render(f, 200, 30), order, sizeof order);
    assert_string_equal(order, "07");
}

static void test_enter_opens_node_tab_at_hub_path(void **state)
{
    fixture *f = *state;
    top_app *app = &f->app;
    top_select_node(app, 0);
    render(f, 200, 30);
    top_key(app, KEY_DOWN);
    top_key(app, KEY_DOWN);
    top_key(app, '\n');
    assert_int_equal(app->n_nodes, 2);
    assert_int_equal(app->cur, 1);
    assert_string_equal(app->nodes[1].url, "ws://127.0.0.1:1/node/node-03/introspect");
    assert_int_not_equal(app->view, VIEW_FLEET); /* a node: its own views */
    assert_non_null(strstr(render(f, 200, 30), "node 2/2"));
    /* Tab back to the hub shows its fleet again; Enter on the same row does not open it twice */
    top_key(app, '\t');
    assert_int_equal(app->cur, 0);
    assert_int_equal(app->view, VIEW_FLEET);
    render(f, 200, 30);
    top_key(app, '\n');
    assert_int_equal(app->n_nodes, 2);
    assert_int_equal(app->cur, 1);
    /* another node, then no room left beyond cap_nodes */
    top_key(app, '\t');
    render(f, 200, 30);
    top_key(app, KEY_DOWN);
    top_key(app, '\n');
    assert_int_equal(app->n_nodes, 3);
    assert_string_equal(app->nodes[2].url, "ws://127.0.0.1:1/node/node-04/introspect");
    app->cap_nodes = 3;
    top_select_node(app, 0);
    render(f, 200, 30);
    top_key(app, KEY_DOWN);
    top_key(app, '\n');
    assert_int_equal(app->n_nodes, 3);
    assert_non_null(strstr(app->message, "3 tabs at most"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_model_keeps_fleet_and_fleet_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frame_fleet_view, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys_sort_fleet_stably, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enter_opens_node_tab_at_hub_path, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
