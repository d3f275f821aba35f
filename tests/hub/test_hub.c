/*
 * peerscope-hub with real processes on loopback: demo nodes pulled
 * (one through a relay whose connections the test cuts) and pushed, the
 * fleet socket read with the C client, /metrics over HTTP, wrong tokens,
 * a node restarted and the hub restarted. Every wait is bounded.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hub_test.h"

#define VIEW_TOKEN "viewer-secret-0123456789"
#define PUSH_TOKEN "push-secret-0123456789"

typedef struct demo {
    ht_proc p;
    unsigned port;
    char id[128];
} demo;

static void demo_start(demo *d, unsigned port, const char *seed, const char *hub_url, const char *name,
                       const char *push_token)
{
    char ports[16];
    snprintf(ports, sizeof ports, "%u", port);
    const char *args[24] = {"--port", ports, "--seed", seed, "--peers", "60", "--conns", "8",
                            "--event-rate", "20", "--quiet"};
    size_t n = 11;
    if (hub_url) {
        args[n++] = "--hub";
        args[n++] = hub_url;
        args[n++] = "--hub-token";
        args[n++] = push_token;
        args[n++] = "--name";
        args[n++] = name;
    }
    args[n] = NULL;
    ht_start(&d->p, ht_demo_exe(), "demo", args);
    char url[256];
    assert_true(ht_wait_value(&d->p, "websocket:", url, sizeof url, HT_WAIT_MS));
    assert_true(ht_wait_value(&d->p, "local peer id:", d->id, sizeof d->id, HT_WAIT_MS));
    d->port = ht_url_port(url);
    assert_true(d->port > 0);
}

static unsigned hub_start(ht_proc *p, unsigned port, const char *const *urls)
{
    char ports[16];
    snprintf(ports, sizeof ports, "%u", port);
    const char *args[24] = {"--port", ports, "--token", VIEW_TOKEN, "--push-token", PUSH_TOKEN};
    size_t n = 6;
    for (size_t i = 0; urls && urls[i]; i++)
        args[n++] = urls[i];
    args[n] = NULL;
    ht_start(p, ht_hub_exe(), "hub", args);
    char url[256];
    assert_true(ht_wait_value(p, "fleet socket:", url, sizeof url, HT_WAIT_MS));
    return ht_url_port(url);
}

/* ------------------------------------------------------------ conditions */

typedef struct want_row {
    const char *name;
    const char *peer_id;  /* NULL: any */
    bool up;
    uint32_t min_reconnects;
    uint64_t not_start_ts; /* 0: any */
} want_row;

static bool rows_are(ht_viewer *v, const void *arg)
{
    for (const want_row *w = arg; w->name; w++) {
        const ht_row *r = ht_viewer_row(v, w->name);
        if (!r || r->up != w->up || r->reconnects < w->min_reconnects)
            return false;
        if (w->up && w->peer_id && strcmp(r->peer_id, w->peer_id))
            return false;
        if (w->not_start_ts && r->start_ts == w->not_start_ts)
            return false;
    }
    return true;
}

typedef struct want_events {
    const char *node;
    size_t count;
} want_events;

static size_t events_of(const ht_viewer *v, const char *node)
{
    size_t n = 0;
    for (size_t i = 0; i < v->n_events; i++)
        n += !strcmp(v->events[i].node, node);
    return n;
}

static bool has_events(ht_viewer *v, const void *arg)
{
    const want_events *w = arg;
    return events_of(v, w->node) >= w->count;
}

static bool got_table(ht_viewer *v, const void *arg)
{
    return v->tables >= *(const size_t *)arg;
}

/* A node viewer got the node's Runtime, a State and a few events. */
static bool node_served(ht_viewer *v, const void *arg)
{
    (void)arg;
    return v->runtime && v->states >= 1 && v->n_events >= 3;
}

static bool closed(ht_viewer *v, const void *arg)
{
    (void)arg;
    return v->closed;
}

/* Seqs of node's events from index from on: strictly increasing; with consecutive, without gaps. */
static void check_seqs(const ht_viewer *v, const char *node, size_t from, size_t to, bool consecutive)
{
    uint64_t prev = 0;
    size_t seen = 0;
    for (size_t i = from; i < to; i++) {
        if (strcmp(v->events[i].node, node))
            continue;
        uint64_t s = v->events[i].seq;
        if (seen && s <= prev)
            fail_msg("node %s: event seq %llu after %llu (duplicate or out of order)", node, (unsigned long long)s,
                     (unsigned long long)prev);
        if (seen && consecutive && s != prev + 1)
            fail_msg("node %s: event seq %llu after %llu: events lost across the reconnect", node,
                     (unsigned long long)s, (unsigned long long)prev);
        prev = s;
        seen++;
    }
    assert_true(seen > 0);
}

static bool promtool_ok(const char *text)
{
    if (system("command -v promtool >/dev/null 2>&1") != 0) {
        print_message("# promtool not installed: /metrics not checked with it\n");
        return true;
    }
    char path[256];
    const char *t = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/psc-hub-metrics-%d.txt", t && *t ? t : P_tmpdir, (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "promtool check metrics < '%s'", path);
    int rc = system(cmd);
    unlink(path);
    return rc == 0;
}

/* ------------------------------------------------------------ tests */

static void test_fleet(void **state)
{
    (void)state;
    bool push = ht_demo_can_push();
    if (!push)
        print_message("# the demo has no --hub: pushed nodes not checked\n");

    demo a, b;
    demo_start(&a, 0, "11", NULL, NULL, NULL);
    demo_start(&b, 0, "12", NULL, NULL, NULL);
    unsigned relay_port = 0;
    ht_relay *relay = ht_relay_start(b.port, &relay_port);
    char url_a[64], url_b[64], name_a[32], name_b[32];
    snprintf(url_a, sizeof url_a, "ws://127.0.0.1:%u/introspect", a.port);
    snprintf(url_b, sizeof url_b, "ws://127.0.0.1:%u/introspect", relay_port);
    snprintf(name_a, sizeof name_a, "127.0.0.1:%u", a.port);
    snprintf(name_b, sizeof name_b, "127.0.0.1:%u", relay_port);
    const char *urls[] = {url_a, url_b, NULL};
    ht_proc hub;
    unsigned hp = hub_start(&hub, 0, urls);

    demo c, d, bad;
    char push_url[96];
    snprintf(push_url, sizeof push_url, "ws://127.0.0.1:%u/push", hp);
    if (push) {
        demo_start(&c, 0, "13", push_url, "pushed-c", PUSH_TOKEN);
        demo_start(&d, 0, "14", push_url, "pushed-d", PUSH_TOKEN);
    }

    ht_viewer v;
    ht_viewer_open(&v, hp, VIEW_TOKEN);
    want_row all_up[] = {{name_a, a.id, true, 0, 0},
                         {name_b, b.id, true, 0, 0},
                         {push ? "pushed-c" : NULL, push ? c.id : NULL, true, 0, 0},
                         {push ? "pushed-d" : NULL, push ? d.id : NULL, true, 0, 0},
                         {NULL, NULL, false, 0, 0}};
    assert_true(ht_viewer_until(&v, rows_are, all_up, HT_WAIT_MS));
    assert_true(v.runtime);
    assert_string_equal(v.runtime_impl, "peerscope-hub");
    char path[96];
    snprintf(path, sizeof path, "/node/%s/introspect", name_a);
    assert_string_equal(ht_viewer_row(&v, name_a)->path, path);

    /* events of every node arrive with Event.node set */
    want_events we_b = {name_b, 10};
    assert_true(ht_viewer_until(&v, has_events, &we_b, HT_WAIT_MS));
    want_events we_a = {name_a, 5};
    assert_true(ht_viewer_until(&v, has_events, &we_a, HT_WAIT_MS));
    if (push) {
        want_events we_c = {"pushed-c", 5};
        assert_true(ht_viewer_until(&v, has_events, &we_c, HT_WAIT_MS));
    }

    /* each node re-served at /node/NAME/introspect, over the whole protocol */
    ht_viewer nv;
    ht_viewer_open_path(&nv, hp, path, VIEW_TOKEN);
    assert_true(ht_viewer_until(&nv, node_served, NULL, HT_WAIT_MS));
    assert_string_equal(nv.runtime_peer, a.id);
    check_seqs(&nv, "", 0, nv.n_events, false);
    ht_viewer_close(&nv);
    ht_viewer_open_path(&nv, hp, "/node/no-such-node/introspect", VIEW_TOKEN);
    assert_true(ht_viewer_until(&nv, closed, NULL, HT_WAIT_MS));
    assert_int_not_equal(nv.close_err, PSC_OK);
    ht_viewer_close(&nv);

    /* B's link drops while B runs on: the row goes down, comes back, and
     * the events resume where they stopped, none twice */
    size_t b_before = events_of(&v, name_b);
    ht_relay_cut(relay);
    want_row b_back[] = {{name_b, b.id, true, 1, 0}, {NULL, NULL, false, 0, 0}};
    assert_true(ht_viewer_until(&v, rows_are, b_back, HT_WAIT_MS));
    want_events we_b2 = {name_b, b_before + 10};
    assert_true(ht_viewer_until(&v, has_events, &we_b2, HT_WAIT_MS));
    check_seqs(&v, name_b, 0, v.n_events, true);
    if (push) {
        check_seqs(&v, "pushed-c", 0, v.n_events, true);
        check_seqs(&v, "pushed-d", 0, v.n_events, true);
    }

    /* A killed: down; restarted on its port: up again, a new run */
    uint64_t a_start = ht_viewer_row(&v, name_a)->start_ts;
    check_seqs(&v, name_a, 0, v.n_events, false);
    ht_stop(&a.p, SIGKILL);
    want_row a_down[] = {{name_a, NULL, false, 0, 0}, {NULL, NULL, false, 0, 0}};
    assert_true(ht_viewer_until(&v, rows_are, a_down, HT_WAIT_MS));
    size_t a_mark = v.n_events;
    unsigned a_port = a.port;
    demo_start(&a, a_port, "15", NULL, NULL, NULL);
    want_row a_back[] = {{name_a, a.id, true, 1, a_start}, {NULL, NULL, false, 0, 0}};
    assert_true(ht_viewer_until(&v, rows_are, a_back, HT_WAIT_MS));
    want_events we_a2 = {name_a, events_of(&v, name_a) + 3};
    assert_true(ht_viewer_until(&v, has_events, &we_a2, HT_WAIT_MS));
    check_seqs(&v, name_a, a_mark, v.n_events, false);

    /* /metrics: every node's families with its label, the hub's own, valid text */
    char *body = NULL;
    assert_int_equal(ht_http_get(hp, "/metrics", VIEW_TOKEN, &body), 200);
    for (size_t i = 0; i < v.n_rows; i++) {
        char label[96];
        snprintf(label, sizeof label, "peerscope_connections_open{node=\"%s\"", v.rows[i].name);
        if (!strstr(body, label))
            snprintf(label, sizeof label, "node=\"%s\"", v.rows[i].name);
        assert_non_null(strstr(body, label));
        snprintf(label, sizeof label, "peerscope_hub_events_total{node=\"%s\"}", v.rows[i].name);
        assert_non_null(strstr(body, label));
    }
    assert_non_null(strstr(body, "peerscope_hub_nodes{state=\"up\"}"));
    assert_true(promtool_ok(body));
    free(body);
    assert_int_equal(ht_http_get(hp, "/metrics", "wrong-token", &body), 401);
    free(body);
    assert_int_equal(ht_http_get(hp, "/healthz", NULL, &body), 200);
    assert_non_null(strstr(body, "\"status\":\"ok\""));
    free(body);

    /* a viewer with a wrong token is refused */
    ht_viewer w;
    ht_viewer_open(&w, hp, "wrong-token");
    assert_true(ht_viewer_until(&w, closed, NULL, HT_WAIT_MS));
    assert_int_equal(w.close_err, PSC_ERR_AUTH);
    ht_viewer_close(&w);

    /* a node pushing with a wrong token is refused and never listed */
    if (push) {
        demo_start(&bad, 0, "16", push_url, "intruder", "not-the-right-token-0123");
        unsigned long long tries = 0;
        char line[64];
        while (!ht_output_has(&hub, "refused a WebSocket on /push") && tries++ < 600)
            usleep(50 * 1000);
        assert_true(ht_output_has(&hub, "refused a WebSocket on /push"));
        (void)line;
        size_t tables = v.tables + 2;
        assert_true(ht_viewer_until(&v, got_table, &tables, HT_WAIT_MS));
        assert_null(ht_viewer_row(&v, "intruder"));
        ht_stop(&bad.p, SIGTERM);
    }

    ht_viewer_close(&v);
    int st = ht_stop(&hub, SIGTERM);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    ht_stop(&a.p, SIGTERM);
    ht_stop(&b.p, SIGTERM);
    if (push) {
        ht_stop(&c.p, SIGTERM);
        ht_stop(&d.p, SIGTERM);
    }
    ht_relay_stop(relay);
}

static void test_hub_restart(void **state)
{
    (void)state;
    bool push = ht_demo_can_push();
    demo a;
    demo_start(&a, 0, "20", NULL, NULL, NULL);
    char url_a[64], name_a[32];
    snprintf(url_a, sizeof url_a, "ws://127.0.0.1:%u/introspect", a.port);
    snprintf(name_a, sizeof name_a, "127.0.0.1:%u", a.port);
    const char *urls[] = {url_a, NULL};
    ht_proc hub;
    unsigned hp = hub_start(&hub, 0, urls);
    char push_url[96];
    snprintf(push_url, sizeof push_url, "ws://127.0.0.1:%u/push", hp);
    demo c, d;
    if (push) {
        demo_start(&c, 0, "21", push_url, "node-c", PUSH_TOKEN);
        demo_start(&d, 0, "22", push_url, "node-d", PUSH_TOKEN);
    }
    want_row up[] = {{name_a, a.id, true, 0, 0},
                     {push ? "node-c" : NULL, push ? c.id : NULL, true, 0, 0},
                     {push ? "node-d" : NULL, push ? d.id : NULL, true, 0, 0},
                     {NULL, NULL, false, 0, 0}};
    ht_viewer v;
    ht_viewer_open(&v, hp, VIEW_TOKEN);
    assert_true(ht_viewer_until(&v, rows_are, up, HT_WAIT_MS));
    ht_viewer_close(&v);

    /* the hub goes and comes back on its port: it dials its nodes again and
     * the pushing ones dial it again; it knows nothing and resumes from 0 */
    int st = ht_stop(&hub, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(hub_start(&hub, hp, urls), hp);
    ht_viewer_open(&v, hp, VIEW_TOKEN);
    assert_true(ht_viewer_until(&v, rows_are, up, HT_WAIT_MS));
    const char *watch = push ? "node-c" : name_a;
    want_events we = {watch, 5};
    assert_true(ht_viewer_until(&v, has_events, &we, HT_WAIT_MS));
    check_seqs(&v, watch, 0, v.n_events, true);
    ht_viewer_close(&v);
    st = ht_stop(&hub, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ht_stop(&a.p, SIGTERM);
    if (push) {
        ht_stop(&c.p, SIGTERM);
        ht_stop(&d.p, SIGTERM);
    }
}

/* A --nodes file: a pulled node with its endpoint's token, a pushing node
 * with a token of its own; without --push-token no other node may push. */
static void test_nodes_file(void **state)
{
    (void)state;
    demo a;
    const char *a_args[] = {"--port", "0", "--seed", "31", "--peers", "40", "--conns", "4", "--quiet",
                            "--token", "node-alpha-token-0123", NULL};
    ht_start(&a.p, ht_demo_exe(), "demo", a_args);
    char url[256];
    assert_true(ht_wait_value(&a.p, "websocket:", url, sizeof url, HT_WAIT_MS));
    assert_true(ht_wait_value(&a.p, "local peer id:", a.id, sizeof a.id, HT_WAIT_MS));
    a.port = ht_url_port(url);

    char path[300];
    const char *t = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/psc-hub-nodes-%d.txt", t && *t ? t : P_tmpdir, (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "# the fleet\nalpha ws://127.0.0.1:%u/introspect node-alpha-token-0123\n\n"
               "edge push edge-only-token-0123456\n",
            a.port);
    fclose(f);
    const char *args[] = {"--port", "0", "--token", VIEW_TOKEN, "--nodes", path, NULL};
    ht_proc hub;
    ht_start(&hub, ht_hub_exe(), "hub", args);
    assert_true(ht_wait_value(&hub, "fleet socket:", url, sizeof url, HT_WAIT_MS));
    unsigned hp = ht_url_port(url);

    bool push = ht_demo_can_push();
    demo e, o;
    char push_url[96];
    snprintf(push_url, sizeof push_url, "ws://127.0.0.1:%u/push", hp);
    if (push) {
        demo_start(&e, 0, "32", push_url, "edge", "edge-only-token-0123456");
        demo_start(&o, 0, "33", push_url, "other", "edge-only-token-0123456");
    }
    ht_viewer v;
    ht_viewer_open(&v, hp, VIEW_TOKEN);
    want_row up[] = {{"alpha", a.id, true, 0, 0}, {push ? "edge" : NULL, push ? e.id : NULL, true, 0, 0},
                     {NULL, NULL, false, 0, 0}};
    assert_true(ht_viewer_until(&v, rows_are, up, HT_WAIT_MS));
    if (push) {
        unsigned tries = 0;
        while (!ht_output_has(&hub, "refused a WebSocket on /push") && tries++ < 600)
            usleep(50 * 1000);
        assert_true(ht_output_has(&hub, "pushing is not enabled for this node"));
        size_t tables = v.tables + 2;
        assert_true(ht_viewer_until(&v, got_table, &tables, HT_WAIT_MS));
        assert_null(ht_viewer_row(&v, "other"));
        ht_stop(&e.p, SIGTERM);
        ht_stop(&o.p, SIGTERM);
    }
    ht_viewer_close(&v);
    int st = ht_stop(&hub, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ht_stop(&a.p, SIGTERM);
    unlink(path);

    /* a malformed nodes file is a usage error */
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("lonely-name\n", f);
    fclose(f);
    const char *bad[] = {"--port", "0", "--nodes", path, NULL};
    ht_start(&hub, ht_hub_exe(), "hub", bad);
    st = ht_stop(&hub, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    assert_true(ht_output_has(&hub, "expected NAME URL [TOKEN]"));
    unlink(path);
}

static void test_cli(void **state)
{
    (void)state;
    ht_proc p;
    const char *help[] = {"--help", NULL};
    ht_start(&p, ht_hub_exe(), "cli", help);
    int st = ht_stop(&p, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_true(ht_output_has(&p, "Exit status"));
    assert_true(ht_output_has(&p, "--push-token"));

    const char *open_bind[] = {"--bind", "0.0.0.0", "--port", "0", NULL};
    ht_start(&p, ht_hub_exe(), "cli", open_bind);
    st = ht_stop(&p, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    assert_true(ht_output_has(&p, "needs --token"));

    const char *bad_url[] = {"--port", "0", "http://127.0.0.1:1/", NULL};
    ht_start(&p, ht_hub_exe(), "cli", bad_url);
    st = ht_stop(&p, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 2);

    const char *unknown[] = {"--frobnicate", NULL};
    ht_start(&p, ht_hub_exe(), "cli", unknown);
    st = ht_stop(&p, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 2);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_cli, ht_kill_all),
        cmocka_unit_test_teardown(test_fleet, ht_kill_all),
        cmocka_unit_test_teardown(test_hub_restart, ht_kill_all),
        cmocka_unit_test_teardown(test_nodes_file, ht_kill_all),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (!failed)
        ht_cleanup();
    return failed;
}
