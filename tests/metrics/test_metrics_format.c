/*
 * The exposition text of constructed States (src/metrics): families and
 * values, escaping, name sanitising, stable ordering, 0.0.4 against
 * OpenMetrics, the top-K cap, the node label, Accept negotiation and
 * allocation failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics.h"
#include "metrics/metrics_int.h"
#include "../support/test_support.h"

/* ------------------------------------------------------------ a State */

#define MAX_CONNS 128

typedef struct fixture {
    Peerscope__State st;
    Peerscope__Subsystems sub;
    Peerscope__Connection conns[MAX_CONNS];
    Peerscope__Connection *conn_ptrs[MAX_CONNS];
    Peerscope__Traffic traffic[MAX_CONNS];
    Peerscope__DataGauge in[MAX_CONNS], out[MAX_CONNS];
    char peer_ids[MAX_CONNS][40];
    Peerscope__StreamList slist;
    Peerscope__Stream streams[3];
    Peerscope__Stream *stream_ptrs[3];
    Peerscope__Traffic stream_traffic;
    Peerscope__DataGauge s_in, s_out;
    Peerscope__Dialer dialer;
    Peerscope__Dialer__Outcomes outcomes;
    Peerscope__DHT dht;
    Peerscope__DHT__Bucket buckets[2], *bucket_ptrs[2];
    Peerscope__DHT__PeerInDHT dht_peers[3], *dht_peer_ptrs[3];
    Peerscope__DHT__QueryGauge qin, qout;
    Peerscope__PubSub ps;
    Peerscope__PubSub__Topic topic, *topic_ptr;
    Peerscope__PubSub__MeshPeer mesh[2], *mesh_ptrs[2];
    Peerscope__PubSubCounters msgs, bytes;
    Peerscope__ResourceManager rm;
    Peerscope__ResourceManager__Scope scopes[3], *scope_ptrs[3];
    Peerscope__ResourceManager__Resources usage[3], limit;
    Peerscope__Traffic total;
    Peerscope__DataGauge t_in, t_out;
    Peerscope__CustomSection custom, *custom_ptr;
    Peerscope__CustomSection__Value cvals[3], *cval_ptrs[3];
    Peerscope__Alert alerts[3], *alert_ptrs[3];
    Peerscope__Milestone ms[2], *ms_ptrs[2];
} fixture;

static void make_state(fixture *f, size_t n_conns)
{
    memset(f, 0, sizeof *f);
    f->st = (Peerscope__State)PEERSCOPE__STATE__INIT;
    f->sub = (Peerscope__Subsystems)PEERSCOPE__SUBSYSTEMS__INIT;
    f->st.subsystems = &f->sub;
    f->st.seq = 42;
    f->st.instant_ts = 1700000000123u;
    for (size_t i = 0; i < n_conns; i++) {
        Peerscope__Connection *c = &f->conns[i];
        peerscope__connection__init(c);
        snprintf(f->peer_ids[i], sizeof f->peer_ids[i], "12D3KooPeer%03zu", i);
        c->peer_id = f->peer_ids[i];
        c->transport_name = i % 3 == 0 ? "quic-v1" : "tcp";
        c->role = i % 2 ? PEERSCOPE__ROLE__RESPONDER : PEERSCOPE__ROLE__INITIATOR;
        c->status = i == 1 ? PEERSCOPE__STATUS__CLOSED : PEERSCOPE__STATUS__ACTIVE;
        f->in[i] = (Peerscope__DataGauge)PEERSCOPE__DATA_GAUGE__INIT;
        f->out[i] = (Peerscope__DataGauge)PEERSCOPE__DATA_GAUGE__INIT;
        f->in[i].cum_bytes = 1000 + i;
        f->out[i].cum_bytes = 10 * i;
        f->traffic[i] = (Peerscope__Traffic)PEERSCOPE__TRAFFIC__INIT;
        f->traffic[i].traffic_in = &f->in[i];
        f->traffic[i].traffic_out = &f->out[i];
        c->traffic = &f->traffic[i];
        f->conn_ptrs[i] = c;
    }
    f->sub.connections = f->conn_ptrs;
    f->sub.n_connections = n_conns;
    /* three streams on the first connection */
    f->slist = (Peerscope__StreamList)PEERSCOPE__STREAM_LIST__INIT;
    f->stream_traffic = (Peerscope__Traffic)PEERSCOPE__TRAFFIC__INIT;
    f->s_in = (Peerscope__DataGauge)PEERSCOPE__DATA_GAUGE__INIT;
    f->s_out = (Peerscope__DataGauge)PEERSCOPE__DATA_GAUGE__INIT;
    f->s_in.cum_bytes = 7;
    f->s_out.cum_bytes = 3;
    f->stream_traffic.traffic_in = &f->s_in;
    f->stream_traffic.traffic_out = &f->s_out;
    for (int i = 0; i < 3; i++) {
        f->streams[i] = (Peerscope__Stream)PEERSCOPE__STREAM__INIT;
        f->streams[i].protocol = i < 2 ? "/meshsub/1.1.0" : "";
        f->streams[i].role = PEERSCOPE__ROLE__INITIATOR;
        f->streams[i].traffic = &f->stream_traffic;
        f->stream_ptrs[i] = &f->streams[i];
    }
    f->slist.streams = f->stream_ptrs;
    f->slist.n_streams = 3;
    if (n_conns)
        f->conns[0].streams = &f->slist;

    f->dialer = (Peerscope__Dialer)PEERSCOPE__DIALER__INIT;
    f->outcomes = (Peerscope__Dialer__Outcomes)PEERSCOPE__DIALER__OUTCOMES__INIT;
    f->outcomes.success = 5;
    f->outcomes.timeout = 2;
    f->dialer.outcomes = &f->outcomes;
    f->dialer.in_flight = 1;
    f->sub.dialer = &f->dialer;

    f->dht = (Peerscope__DHT)PEERSCOPE__DHT__INIT;
    for (int i = 0; i < 3; i++) {
        f->dht_peers[i] = (Peerscope__DHT__PeerInDHT)PEERSCOPE__DHT__PEER_IN_DHT__INIT;
        f->dht_peer_ptrs[i] = &f->dht_peers[i];
    }
    for (int i = 0; i < 2; i++) {
        f->buckets[i] = (Peerscope__DHT__Bucket)PEERSCOPE__DHT__BUCKET__INIT;
        f->bucket_ptrs[i] = &f->buckets[i];
    }
    f->buckets[0].cpl = 0;
    f->buckets[0].peers = f->dht_peer_ptrs;
    f->buckets[0].n_peers = 2;
    f->buckets[1].cpl = 12;
    f->buckets[1].peers = f->dht_peer_ptrs + 2;
    f->buckets[1].n_peers = 1;
    f->dht.buckets = f->bucket_ptrs;
    f->dht.n_buckets = 2;
    f->qin = (Peerscope__DHT__QueryGauge)PEERSCOPE__DHT__QUERY_GAUGE__INIT;
    f->qout = (Peerscope__DHT__QueryGauge)PEERSCOPE__DHT__QUERY_GAUGE__INIT;
    f->qin.success = 9;
    f->qout.error = 4;
    f->dht.incoming_queries = &f->qin;
    f->dht.outgoing_queries = &f->qout;
    f->sub.dht = &f->dht;

    f->ps = (Peerscope__PubSub)PEERSCOPE__PUB_SUB__INIT;
    f->topic = (Peerscope__PubSub__Topic)PEERSCOPE__PUB_SUB__TOPIC__INIT;
    f->topic.name = "blocks";
    f->topic.peer_count = 6;
    for (int i = 0; i < 2; i++) {
        f->mesh[i] = (Peerscope__PubSub__MeshPeer)PEERSCOPE__PUB_SUB__MESH_PEER__INIT;
        f->mesh_ptrs[i] = &f->mesh[i];
    }
    f->topic.mesh_peers = f->mesh_ptrs;
    f->topic.n_mesh_peers = 2;
    f->msgs = (Peerscope__PubSubCounters)PEERSCOPE__PUB_SUB_COUNTERS__INIT;
    f->msgs.received = 11;
    f->topic.messages = &f->msgs;
    f->topic_ptr = &f->topic;
    f->ps.topics = &f->topic_ptr;
    f->ps.n_topics = 1;
    f->sub.pubsub = &f->ps;

    f->rm = (Peerscope__ResourceManager)PEERSCOPE__RESOURCE_MANAGER__INIT;
    for (int i = 0; i < 3; i++) {
        f->scopes[i] = (Peerscope__ResourceManager__Scope)PEERSCOPE__RESOURCE_MANAGER__SCOPE__INIT;
        f->usage[i] = (Peerscope__ResourceManager__Resources)PEERSCOPE__RESOURCE_MANAGER__RESOURCES__INIT;
        f->usage[i].memory = 100u * (unsigned)(i + 1);
        f->scopes[i].usage = &f->usage[i];
        f->scope_ptrs[i] = &f->scopes[i];
    }
    f->limit = (Peerscope__ResourceManager__Resources)PEERSCOPE__RESOURCE_MANAGER__RESOURCES__INIT;
    f->limit.memory = 4096;
    f->scopes[0].kind = PEERSCOPE__RESOURCE_MANAGER__SCOPE_KIND__SYSTEM;
    f->scopes[0].limit = &f->limit;
    f->scopes[1].kind = PEERSCOPE__RESOURCE_MANAGER__SCOPE_KIND__PEER;
    f->scopes[1].name = "12D3KooPeer000";
    f->scopes[2].kind = PEERSCOPE__RESOURCE_MANAGER__SCOPE_KIND__PEER;
    f->scopes[2].name = "12D3KooPeer001";
    f->rm.scopes = f->scope_ptrs;
    f->rm.n_scopes = 3;
    f->sub.resource_manager = &f->rm;

    f->total = (Peerscope__Traffic)PEERSCOPE__TRAFFIC__INIT;
    f->t_in = (Peerscope__DataGauge)PEERSCOPE__DATA_GAUGE__INIT;
    f->t_out = (Peerscope__DataGauge)PEERSCOPE__DATA_GAUGE__INIT;
    f->t_in.cum_bytes = 123456789;
    f->t_in.inst_bw = 2048;
    f->t_out.cum_bytes = 987654321;
    f->total.traffic_in = &f->t_in;
    f->total.traffic_out = &f->t_out;
    f->st.traffic = &f->total;

    f->custom = (Peerscope__CustomSection)PEERSCOPE__CUSTOM_SECTION__INIT;
    f->custom.name = "chain";
    for (int i = 0; i < 3; i++) {
        peerscope__custom_section__value__init(&f->cvals[i]);
        f->cval_ptrs[i] = &f->cvals[i];
    }
    f->cvals[0].name = "height";
    f->cvals[0].value_case = PEERSCOPE__CUSTOM_SECTION__VALUE__VALUE_INTEGER;
    f->cvals[0].integer = -12;
    f->cvals[1].name = "ratio";
    f->cvals[1].value_case = PEERSCOPE__CUSTOM_SECTION__VALUE__VALUE_NUMBER;
    f->cvals[1].number = 0.5;
    f->cvals[2].name = "head";
    f->cvals[2].value_case = PEERSCOPE__CUSTOM_SECTION__VALUE__VALUE_TEXT;
    f->cvals[2].text = "0xabc";
    f->custom.values = f->cval_ptrs;
    f->custom.n_values = 3;
    f->custom_ptr = &f->custom;
    f->sub.custom = &f->custom_ptr;
    f->sub.n_custom = 1;

    const char *rules[3] = {"mesh_low", "mesh_low", "expected_peers"};
    Peerscope__Alert__Severity sev[3] = {PEERSCOPE__ALERT__SEVERITY__WARNING, PEERSCOPE__ALERT__SEVERITY__WARNING,
                                         PEERSCOPE__ALERT__SEVERITY__CRITICAL};
    for (int i = 0; i < 3; i++) {
        f->alerts[i] = (Peerscope__Alert)PEERSCOPE__ALERT__INIT;
        f->alerts[i].rule = (char *)rules[i];
        f->alerts[i].severity = sev[i];
        f->alert_ptrs[i] = &f->alerts[i];
    }
    f->st.alerts = f->alert_ptrs;
    f->st.n_alerts = 3;
    const char *names[2] = {"first_peer", "sync_completed"};
    for (int i = 0; i < 2; i++) {
        f->ms[i] = (Peerscope__Milestone)PEERSCOPE__MILESTONE__INIT;
        f->ms[i].name = (char *)names[i];
        f->ms_ptrs[i] = &f->ms[i];
    }
    f->ms[0].duration_ms = 1250;
    f->ms[1].duration_ms = 42000;
    f->st.milestones = f->ms_ptrs;
    f->st.n_milestones = 2;
}

/* The exposition of st as a NUL-terminated string (free it). */
static char *render(const Peerscope__State *st, const char *node, size_t top, psc__metrics_format fmt,
                    const psc__metrics_extra *x)
{
    psc__metrics *m = NULL;
    assert_int_equal(psc__metrics_new(&psc__default_alloc, top, &m), PSC_OK);
    assert_int_equal(psc__metrics_add(m, node, st, x), PSC_OK);
    uint8_t *out = NULL;
    size_t len = 0;
    assert_int_equal(psc__metrics_write(m, fmt, &out, &len), PSC_OK);
    psc__metrics_free(m);
    char *s = malloc(len + 1);
    assert_non_null(s);
    memcpy(s, out, len);
    s[len] = 0;
    free(out);
    return s;
}

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return true;
    return false;
}

#define assert_line(text, line)                                              \
    do {                                                                     \
        if (!has_line((text), (line)))                                       \
            fail_msg("missing line: %s\n--- in ---\n%s", (line), (text));    \
    } while (0)

/* ------------------------------------------------------------ tests */

static void families_and_values(void **state)
{
    (void)state;
    static fixture f;
    make_state(&f, 4);
    psc__metrics_event_count types[2] = {{"PeerConnected", 17}, {"Weird\"Type", 1}};
    psc__metrics_extra x = {.has_events = true,
                            .events_dropped = 2,
                            .event_types = types,
                            .n_event_types = 2,
                            .has_snapshot = true,
                            .snapshot_collect_ns = 1500000,
                            .snapshot_bytes = 999};
    char *t = render(&f.st, NULL, 0, PSC__METRICS_PROMETHEUS, &x);
    /* 4 connections: 0 quic outbound, 1 tcp inbound closed, 2 tcp outbound, 3 quic inbound */
    assert_line(t, "peerscope_connections{transport=\"quic-v1\",direction=\"outbound\",status=\"active\"} 1");
    assert_line(t, "peerscope_connections{transport=\"tcp\",direction=\"inbound\",status=\"closed\"} 1");
    assert_line(t, "peerscope_connection_bytes{transport=\"tcp\",direction=\"in\"} 2003");
    assert_line(t, "peerscope_connection_bytes{transport=\"quic-v1\",direction=\"out\"} 30");
    assert_line(t, "peerscope_streams{protocol=\"/meshsub/1.1.0\",direction=\"outbound\",status=\"active\"} 2");
    assert_line(t, "peerscope_streams{protocol=\"unknown\",direction=\"outbound\",status=\"active\"} 1");
    assert_line(t, "peerscope_stream_bytes{protocol=\"/meshsub/1.1.0\",direction=\"in\"} 14");
    assert_line(t, "# TYPE peerscope_traffic_bytes_total counter");
    assert_line(t, "peerscope_traffic_bytes_total{direction=\"out\"} 987654321");
    assert_line(t, "peerscope_traffic_rate_bytes_per_second{direction=\"in\"} 2048");
    assert_line(t, "peerscope_dials_total{outcome=\"success\"} 5");
    assert_line(t, "peerscope_dials_total{outcome=\"timeout\"} 2");
    assert_line(t, "peerscope_dials_in_flight 1");
    assert_line(t, "peerscope_dht_bucket_peers{dht=\"dht\",bucket=\"0\"} 2");
    assert_line(t, "peerscope_dht_bucket_peers{dht=\"dht\",bucket=\"12\"} 1");
    assert_line(t, "peerscope_dht_queries_total{dht=\"dht\",direction=\"incoming\",outcome=\"success\"} 9");
    assert_line(t, "peerscope_dht_queries_total{dht=\"dht\",direction=\"outgoing\",outcome=\"error\"} 4");
    assert_line(t, "peerscope_pubsub_mesh_peers{topic=\"blocks\"} 2");
    assert_line(t, "peerscope_pubsub_topic_peers{topic=\"blocks\"} 6");
    assert_line(t, "peerscope_pubsub_messages_total{topic=\"blocks\",kind=\"received\"} 11");
    /* per-peer scopes are summed, no peer id in a label */
    assert_line(t, "peerscope_resource_usage{scope_kind=\"peer\",scope=\"\",resource=\"memory\"} 500");
    assert_line(t, "peerscope_resource_usage{scope_kind=\"system\",scope=\"\",resource=\"memory\"} 100");
    assert_line(t, "peerscope_resource_limit{scope_kind=\"system\",scope=\"\",resource=\"memory\"} 4096");
    assert_line(t, "peerscope_resource_limit{scope_kind=\"system\",scope=\"\",resource=\"fds\"} +Inf");
    assert_null(strstr(t, "12D3KooPeer"));
    assert_line(t, "peerscope_alerts_active{rule=\"mesh_low\",severity=\"warning\"} 2");
    assert_line(t, "peerscope_alerts_active{rule=\"expected_peers\",severity=\"critical\"} 1");
    assert_line(t, "peerscope_custom_value{section=\"chain\",name=\"height\"} -12");
    assert_line(t, "peerscope_custom_value{section=\"chain\",name=\"ratio\"} 0.5");
    assert_null(strstr(t, "name=\"head\""));
    assert_line(t, "peerscope_milestone_duration_seconds{name=\"first_peer\"} 1.25");
    assert_line(t, "peerscope_milestone_duration_seconds{name=\"sync_completed\"} 42");
    assert_line(t, "peerscope_events_total{type=\"PeerConnected\"} 17");
    assert_line(t, "peerscope_events_total{type=\"Weird\\\"Type\"} 1");
    assert_line(t, "peerscope_events_dropped_total 2");
    assert_line(t, "peerscope_snapshots_total 42");
    assert_line(t, "peerscope_snapshot_timestamp_seconds 1700000000.123");
    assert_line(t, "peerscope_snapshot_collect_seconds 0.0015");
    assert_line(t, "peerscope_snapshot_bytes 999");
    /* every family has HELP and TYPE, also without samples; no top-K family by default */
    for (size_t i = 0; i < PSC__FAM_COUNT; i++) {
        char want[128];
        snprintf(want, sizeof want, "# TYPE %s%s %s", psc__fams[i].name, psc__fams[i].counter ? "_total" : "",
                 psc__fams[i].counter ? "counter" : "gauge");
        if (i == PSC__FAM_PEER_BYTES)
            assert_null(strstr(t, want));
        else
            assert_line(t, want);
    }
    assert_null(strstr(t, "# EOF"));
    assert_null(strstr(t, "# UNIT"));
    free(t);
}

static void help_texts_are_plain(void **state)
{
    (void)state;
    for (size_t i = 0; i < PSC__FAM_COUNT; i++) {
        const psc__fam_def *d = &psc__fams[i];
        assert_non_null(d->name);
        assert_null(strpbrk(d->help, "\\\"\n"));
        char clean[128];
        psc__metrics_sanitize_name(clean, sizeof clean, d->name, false);
        assert_string_equal(clean, d->name);
        /* OpenMetrics: a unit is the name's suffix; a counter's name has no _total of its own */
        if (d->unit) {
            size_t n = strlen(d->name), u = strlen(d->unit);
            assert_true(n > u + 1 && !strcmp(d->name + n - u, d->unit) && d->name[n - u - 1] == '_');
        }
        assert_null(strstr(d->name, "_total"));
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(psc__fams[j].name, d->name);
    }
}

static void escaping(void **state)
{
    (void)state;
    char buf[64];
    size_t n = psc__metrics_escape_label(buf, sizeof buf, "a\\b\"c\nd");
    assert_int_equal(n, 10);
    assert_memory_equal(buf, "a\\\\b\\\"c\\nd", n);
    /* what it needs is returned also when it does not fit, and nothing past cap is written */
    memset(buf, 'x', sizeof buf);
    assert_int_equal(psc__metrics_escape_label(buf, 3, "\"\"\""), 6);
    assert_int_equal(buf[3], 'x');
    n = psc__metrics_escape_help(buf, sizeof buf, "q\"\\\n");
    assert_int_equal(n, 6);
    assert_memory_equal(buf, "q\"\\\\\\n", n);
    /* ill-formed UTF-8 becomes '?', well-formed passes */
    n = psc__metrics_escape_label(buf, sizeof buf, "\xc3\xa9-\xff-\xe2\x82");
    assert_int_equal(n, 6);
    assert_memory_equal(buf, "\xc3\xa9-?-?", n);

    /* through the renderer: a topic with every special character */
    static fixture f;
    make_state(&f, 1);
    f.topic.name = "we\"ird\\top\nic";
    char *t = render(&f.st, NULL, 0, PSC__METRICS_PROMETHEUS, NULL);
    assert_line(t, "peerscope_pubsub_mesh_peers{topic=\"we\\\"ird\\\\top\\nic\"} 2");
    free(t);
}

static void names(void **state)
{
    (void)state;
    char buf[32];
    psc__metrics_sanitize_name(buf, sizeof buf, "9lives-and:more.x", false);
    assert_string_equal(buf, "_9lives_and:more_x");
    psc__metrics_sanitize_name(buf, sizeof buf, "a:b", true);
    assert_string_equal(buf, "a_b");
    psc__metrics_sanitize_name(buf, sizeof buf, "", true);
    assert_string_equal(buf, "_");
    psc__metrics_sanitize_name(buf, 4, "abcdef", false);
    assert_string_equal(buf, "abc");
}

static void numbers(void **state)
{
    (void)state;
    char buf[40];
    struct {
        double v;
        const char *want;
    } cases[] = {{0, "0"},         {42, "42"},     {1.25, "1.25"},   {0.1, "0.1"},   {-3, "-3"},
                 {INFINITY, "+Inf"}, {-INFINITY, "-Inf"}, {NAN, "NaN"}, {1e300, "1e+300"}, {0.30000000000000004, "0.30000000000000004"},
                 {18446744073709551615.0, "1.8446744073709552e+19"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = psc__metrics_number(buf, sizeof buf, cases[i].v);
        buf[n] = 0;
        assert_string_equal(buf, cases[i].want);
    }
}

static void stable_order(void **state)
{
    (void)state;
    static fixture a, b;
    make_state(&a, 40);
    make_state(&b, 40);
    /* the same connections in reverse order */
    for (size_t i = 0; i < 40; i++)
        b.conn_ptrs[i] = &b.conns[39 - i];
    /* (the streams hang on conns[0] in both) */
    char *ta = render(&a.st, NULL, 5, PSC__METRICS_PROMETHEUS, NULL);
    char *tb = render(&b.st, NULL, 5, PSC__METRICS_PROMETHEUS, NULL);
    assert_string_equal(ta, tb);
    char *ta2 = render(&a.st, NULL, 5, PSC__METRICS_PROMETHEUS, NULL);
    assert_string_equal(ta, ta2);
    /* series of a family come sorted by their labels */
    const char *p1 = strstr(ta, "peerscope_connections{transport=\"quic-v1\"");
    const char *p2 = strstr(ta, "peerscope_connections{transport=\"tcp\"");
    assert_non_null(p1);
    assert_non_null(p2);
    assert_true(p1 < p2);
    free(ta);
    free(tb);
    free(ta2);
}

static void openmetrics(void **state)
{
    (void)state;
    static fixture f;
    make_state(&f, 2);
    psc__metrics_extra x = {.has_snapshot = true, .snapshot_collect_ns = 1000, .snapshot_bytes = 10};
    char *t = render(&f.st, NULL, 0, PSC__METRICS_OPENMETRICS, &x);
    /* a counter's family is named without _total, its samples with it */
    assert_line(t, "# TYPE peerscope_traffic_bytes counter");
    assert_line(t, "# UNIT peerscope_traffic_bytes bytes");
    assert_line(t, "# HELP peerscope_traffic_bytes Bytes the node moved since it started, by direction (in, out).");
    assert_line(t, "peerscope_traffic_bytes_total{direction=\"in\"} 123456789");
    assert_line(t, "# UNIT peerscope_milestone_duration_seconds seconds");
    assert_line(t, "# TYPE peerscope_connections gauge");
    assert_null(strstr(t, "# TYPE peerscope_traffic_bytes_total"));
    /* ends with # EOF and nothing after it */
    size_t n = strlen(t);
    assert_true(n > 6 && !strcmp(t + n - 6, "# EOF\n"));
    assert_ptr_equal(strstr(t, "# EOF"), t + n - 6);
    free(t);

    assert_string_equal(psc__metrics_content_type(PSC__METRICS_PROMETHEUS), "text/plain; version=0.0.4; charset=utf-8");
    assert_string_equal(psc__metrics_content_type(PSC__METRICS_OPENMETRICS),
                        "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

static void negotiation(void **state)
{
    (void)state;
    assert_int_equal(psc__metrics_negotiate(NULL), PSC__METRICS_PROMETHEUS);
    assert_int_equal(psc__metrics_negotiate(""), PSC__METRICS_PROMETHEUS);
    assert_int_equal(psc__metrics_negotiate("*/*"), PSC__METRICS_PROMETHEUS);
    assert_int_equal(psc__metrics_negotiate("text/plain;version=0.0.4"), PSC__METRICS_PROMETHEUS);
    /* what Prometheus 2.x sends */
    assert_int_equal(psc__metrics_negotiate("application/openmetrics-text;version=1.0.0,application/"
                                            "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,"
                                            "*/*;q=0.1"),
                     PSC__METRICS_OPENMETRICS);
    assert_int_equal(psc__metrics_negotiate("application/openmetrics-text"), PSC__METRICS_OPENMETRICS);
    assert_int_equal(psc__metrics_negotiate("Application/OpenMetrics-Text; version=1.0.0"), PSC__METRICS_OPENMETRICS);
    assert_int_equal(psc__metrics_negotiate("text/plain, application/openmetrics-text;q=0.5"),
                     PSC__METRICS_PROMETHEUS);
    assert_int_equal(psc__metrics_negotiate("application/openmetrics-text;q=0"), PSC__METRICS_PROMETHEUS);
    assert_int_equal(psc__metrics_negotiate("application/openmetrics-text;q=bogus"), PSC__METRICS_PROMETHEUS);
    assert_int_equal(psc__metrics_negotiate("application/json"), PSC__METRICS_PROMETHEUS);
}

static size_t count_lines(const char *t, const char *prefix)
{
    size_t n = 0, pl = strlen(prefix);
    for (const char *p = t; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, prefix, pl))
            n++;
    return n;
}

static void top_peers(void **state)
{
    (void)state;
    static fixture f;
    make_state(&f, MAX_CONNS);
    /* two connections to one peer add up */
    f.conns[5].peer_id = f.peer_ids[6];
    char *t = render(&f.st, NULL, 3, PSC__METRICS_PROMETHEUS, NULL);
    assert_int_equal(count_lines(t, "peerscope_peer_bytes{"), 6);
    /* the most bytes: 127 (1127 + 1270), 126, 125 */
    assert_line(t, "peerscope_peer_bytes{peer=\"12D3KooPeer127\",direction=\"in\"} 1127");
    assert_line(t, "peerscope_peer_bytes{peer=\"12D3KooPeer127\",direction=\"out\"} 1270");
    assert_line(t, "peerscope_peer_bytes{peer=\"12D3KooPeer125\",direction=\"out\"} 1250");
    assert_null(strstr(t, "12D3KooPeer124"));
    free(t);

    /* a K above the cap is the cap */
    t = render(&f.st, NULL, 100000, PSC__METRICS_PROMETHEUS, NULL);
    assert_int_equal(count_lines(t, "peerscope_peer_bytes{"), 2 * PSC__METRICS_TOP_PEERS_MAX);
    assert_line(t, "# TYPE peerscope_peer_bytes gauge");
    free(t);

    /* ties are cut by peer id: the same K peers every time */
    for (size_t i = 0; i < MAX_CONNS; i++) {
        f.in[i].cum_bytes = 1;
        f.out[i].cum_bytes = 1;
    }
    f.conns[5].peer_id = f.peer_ids[5];
    t = render(&f.st, NULL, 2, PSC__METRICS_PROMETHEUS, NULL);
    assert_line(t, "peerscope_peer_bytes{peer=\"12D3KooPeer000\",direction=\"in\"} 1");
    assert_line(t, "peerscope_peer_bytes{peer=\"12D3KooPeer001\",direction=\"in\"} 1");
    assert_int_equal(count_lines(t, "peerscope_peer_bytes{"), 4);
    free(t);
}

static void fleet_nodes(void **state)
{
    (void)state;
    static fixture f;
    make_state(&f, 2);
    psc__metrics *m = NULL;
    assert_int_equal(psc__metrics_new(&psc__default_alloc, 0, &m), PSC_OK);
    assert_int_equal(psc__metrics_add(m, "node-b", &f.st, NULL), PSC_OK);
    f.st.seq = 7;
    assert_int_equal(psc__metrics_add(m, "node \"a\"", &f.st, NULL), PSC_OK);
    uint8_t *out;
    size_t len;
    assert_int_equal(psc__metrics_write(m, PSC__METRICS_PROMETHEUS, &out, &len), PSC_OK);
    char *t = strndup((const char *)out, len);
    free(out);
    psc__metrics_free(m);
    /* one HELP/TYPE per family, node first, nodes sorted */
    assert_int_equal(count_lines(t, "# TYPE peerscope_snapshots_total"), 1);
    const char *a = strstr(t, "peerscope_snapshots_total{node=\"node \\\"a\\\"\"} 7\n");
    const char *b = strstr(t, "peerscope_snapshots_total{node=\"node-b\"} 42\n");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a < b);
    assert_line(t, "peerscope_connections{node=\"node-b\",transport=\"quic-v1\",direction=\"outbound\",status=\"active\"} 1");
    free(t);
}

/* An encoded State (walked in place, the rest unpacked) gives the same text as its tree. */
static void from_payload(void **state)
{
    (void)state;
    static fixture f;
    make_state(&f, 6);
    /* a connection known by its transport's id only, and a peerstore */
    Peerscope__Transport tr = PEERSCOPE__TRANSPORT__INIT, *trp = &tr;
    static const uint8_t tid[2] = {7, 9};
    tr.id.data = (uint8_t *)tid;
    tr.id.len = 2;
    tr.name = "webtransport";
    f.sub.transports = &trp;
    f.sub.n_transports = 1;
    f.conns[4].transport_name = "";
    f.conns[4].transport_id = tr.id;
    Peerscope__Peerstore pst = PEERSCOPE__PEERSTORE__INIT;
    Peerscope__Peerstore__Peer peer[3], *peer_ptrs[3];
    for (int i = 0; i < 3; i++) {
        peer[i] = (Peerscope__Peerstore__Peer)PEERSCOPE__PEERSTORE__PEER__INIT;
        peer[i].peer_id = f.peer_ids[i];
        peer_ptrs[i] = &peer[i];
    }
    pst.peers = peer_ptrs;
    pst.n_peers = 3;
    f.sub.peerstore = &pst;
    Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE;
    sm.state = &f.st;
    size_t n = peerscope__server_message__get_packed_size(&sm);
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    peerscope__server_message__pack(&sm, buf);
    uint8_t *out = NULL;
    size_t len = 0;
    assert_int_equal(psc__metrics_render_state(&psc__default_alloc, buf, n, NULL, 4, PSC__METRICS_PROMETHEUS, &out,
                                               &len),
                     PSC_OK);
    char *direct = render(&f.st, NULL, 4, PSC__METRICS_PROMETHEUS, NULL);
    assert_int_equal(len, strlen(direct));
    assert_memory_equal(out, direct, len);
    assert_line(direct, "peerscope_connections{transport=\"webtransport\",direction=\"outbound\",status=\"active\"} 1");
    assert_line(direct, "peerscope_peerstore_peers 3");
    assert_line(direct, "peerscope_stream_bytes{protocol=\"/meshsub/1.1.0\",direction=\"out\"} 6");
    free(out);
    free(direct);

    /* two State fields: the plain way, read as protobuf-c reads it (a oneof member: the last one) */
    Peerscope__State a = f.st, b = PEERSCOPE__STATE__INIT;
    a.alerts = NULL;
    a.n_alerts = 0;
    b.alerts = f.st.alerts;
    b.n_alerts = f.st.n_alerts;
    Peerscope__ServerMessage sa = sm, sb = sm;
    sa.state = &a;
    sb.state = &b;
    size_t na = peerscope__server_message__get_packed_size(&sa), nb = peerscope__server_message__get_packed_size(&sb);
    uint8_t *two = malloc(na + nb);
    assert_non_null(two);
    peerscope__server_message__pack(&sa, two);
    peerscope__server_message__pack(&sb, two + na);
    assert_int_equal(psc__metrics_render_state(&psc__default_alloc, two, na + nb, NULL, 4, PSC__METRICS_PROMETHEUS,
                                               &out, &len),
                     PSC_OK);
    direct = render(&b, NULL, 4, PSC__METRICS_PROMETHEUS, NULL);
    assert_int_equal(len, strlen(direct));
    assert_memory_equal(out, direct, len);
    assert_line(direct, "peerscope_alerts_active{rule=\"mesh_low\",severity=\"warning\"} 2");
    free(out);
    free(direct);
    free(two);

    /* not a state, not protobuf */
    Peerscope__ServerMessage rt = PEERSCOPE__SERVER_MESSAGE__INIT;
    Peerscope__Runtime r = PEERSCOPE__RUNTIME__INIT;
    rt.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME;
    rt.runtime = &r;
    uint8_t rb[64];
    size_t rn = peerscope__server_message__pack(&rt, rb);
    assert_int_equal(psc__metrics_render_state(&psc__default_alloc, rb, rn, NULL, 0, PSC__METRICS_PROMETHEUS, &out,
                                               &len),
                     PSC_ERR_INVALID);
    const uint8_t junk[] = {0x12, 0x7f, 0x01};
    assert_int_equal(psc__metrics_render_state(&psc__default_alloc, junk, sizeof junk, NULL, 0,
                                               PSC__METRICS_PROMETHEUS, &out, &len),
                     PSC_ERR_PROTOCOL);
    free(buf);
}

typedef struct fault_arg {
    uint8_t *payload;
    size_t len;
} fault_arg;

static psc_err fault_body(void *arg, psc_test_alloc *ta)
{
    fault_arg *fa = arg;
    psc__alloc a;
    psc__alloc_init(&a, &ta->iface);
    psc__metrics_event_count types[1] = {{"PeerConnected", 3}};
    psc__metrics_extra x = {.has_events = true, .event_types = types, .n_event_types = 1};
    uint8_t *out = NULL;
    size_t len = 0;
    psc_err e = psc__metrics_render_state(&a, fa->payload, fa->len, &x, 5, PSC__METRICS_OPENMETRICS, &out, &len);
    if (e == PSC_OK)
        psc__free(&a, out);
    return e;
}

/* The tree way (the hub's): two nodes, the top-K family, both formats. */
static psc_err fault_tree_body(void *arg, psc_test_alloc *ta)
{
    const Peerscope__State *st = arg;
    psc__alloc a;
    psc__alloc_init(&a, &ta->iface);
    psc__metrics *m = NULL;
    psc_err e = psc__metrics_new(&a, 3, &m);
    if (e == PSC_OK)
        e = psc__metrics_add(m, "node-1", st, NULL);
    if (e == PSC_OK)
        e = psc__metrics_add(m, "node-2", st, NULL);
    for (int f = 0; f < 2 && e == PSC_OK; f++) {
        uint8_t *out = NULL;
        size_t len = 0;
        e = psc__metrics_write(m, (psc__metrics_format)f, &out, &len);
        psc__free(&a, out);
    }
    psc__metrics_free(m);
    return e;
}

static void allocation_failures(void **state)
{
    (void)state;
    static fixture f;
    make_state(&f, 30);
    Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE;
    sm.state = &f.st;
    fault_arg fa;
    fa.len = peerscope__server_message__get_packed_size(&sm);
    fa.payload = malloc(fa.len);
    peerscope__server_message__pack(&sm, fa.payload);
    uint64_t runs = psc_test_each_alloc_fails(fault_body, &fa, 10000);
    assert_true(runs > 5);
    runs = psc_test_each_alloc_fails(fault_tree_body, &f.st, 10000);
    assert_true(runs > 5);
    free(fa.payload);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(families_and_values), cmocka_unit_test(help_texts_are_plain), cmocka_unit_test(escaping),
        cmocka_unit_test(names),               cmocka_unit_test(numbers),              cmocka_unit_test(stable_order),
        cmocka_unit_test(openmetrics),         cmocka_unit_test(negotiation),          cmocka_unit_test(top_peers),
        cmocka_unit_test(fleet_nodes),         cmocka_unit_test(from_payload),  cmocka_unit_test(allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
