/* peerscope-dump's descriptor-driven JSON printer and its output sink. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump.h"
#include "dump_json.h"
#include "tool_test.h"
#include "peerscope/wire.h"

/* Run the printer into o (the caller frees it with memout_free). */
static const char *json_in(memout *o, const ProtobufCMessage *m, bool ascii)
{
    dump_json_opts opts = {ascii};
    assert_int_equal(dump_json_message(memout_open(o), m, &opts), 0);
    return memout_text(o);
}

static void check_json(const ProtobufCMessage *m, bool ascii, const char *want)
{
    memout o;
    assert_string_equal(json_in(&o, m, ascii), want);
    memout_free(&o);
}

static void check_string(const char *in, size_t n, bool ascii, const char *want)
{
    memout o;
    assert_int_equal(dump_json_string(memout_open(&o), in, n, ascii), 0);
    assert_string_equal(memout_text(&o), want);
    memout_free(&o);
}

/* --------------------------------------------------------------- scalars */

static void test_defaults_print_and_unset_messages_do_not(void **state)
{
    (void)state;
    Peerscope__ServerMessage m = PEERSCOPE__SERVER_MESSAGE__INIT;
    check_json(&m.base, false, "{}");
    Peerscope__Version v = PEERSCOPE__VERSION__INIT;
    v.version = 1;
    m.version = &v;
    Peerscope__ServerNotice n = PEERSCOPE__SERVER_NOTICE__INIT;
    m.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE;
    m.notice = &n;
    /* the oneof member under its own name; enum 0 by name; uint64 0 printed */
    check_json(&m.base, false, "{\"version\":{\"version\":1},\"notice\":{\"kind\":\"DISCARDING_EVENTS\",\"dropped\":0}}");
}

static void test_integers_exact_up_to_2_53_then_strings(void **state)
{
    (void)state;
    Peerscope__DataGauge g = PEERSCOPE__DATA_GAUGE__INIT;
    g.cum_bytes = 9007199254740992ull;     /* 2^53: still a number */
    g.cum_packets = 9007199254740993ull;   /* 2^53 + 1: a string */
    g.inst_bw = UINT64_MAX;
    check_json(&g.base, false,
                "{\"cum_bytes\":9007199254740992,\"cum_packets\":\"9007199254740993\","
                "\"inst_bw\":\"18446744073709551615\"}");

    Peerscope__Peerstore__Tag t = PEERSCOPE__PEERSTORE__TAG__INIT;
    t.name = "neg";
    t.value = -9007199254740992ll;
    check_json(&t.base, false, "{\"name\":\"neg\",\"value\":-9007199254740992}");
    t.value = INT64_MIN;
    check_json(&t.base, false, "{\"name\":\"neg\",\"value\":\"-9223372036854775808\"}");

    Peerscope__ProviderError pe = PEERSCOPE__PROVIDER_ERROR__INIT;
    pe.code = -7;
    check_json(&pe.base, false, "{\"provider\":\"\",\"subsystem\":\"\",\"error\":\"\",\"code\":-7}");
}

static void test_doubles_round_trip_and_non_finite_as_strings(void **state)
{
    (void)state;
    Peerscope__PubSub__MeshPeer p = PEERSCOPE__PUB_SUB__MESH_PEER__INIT;
    p.peer_id = "x";
    p.score = 0.1;
    check_json(&p.base, false, "{\"peer_id\":\"x\",\"score\":0.1,\"time_in_mesh_ms\":0}");
    p.score = 1.0 / 3.0;
    memout o;
    const char *score = strstr(json_in(&o, &p.base, false), "\"score\":");
    assert_non_null(score);
    double back = strtod(score + 8, NULL);
    assert_true(back == 1.0 / 3.0); /* shortest form that reads back exactly */
    memout_free(&o);
    p.score = -1e300;
    check_json(&p.base, false, "{\"peer_id\":\"x\",\"score\":-1e+300,\"time_in_mesh_ms\":0}");
    p.score = NAN;
    check_json(&p.base, false, "{\"peer_id\":\"x\",\"score\":\"NaN\",\"time_in_mesh_ms\":0}");
    p.score = -INFINITY;
    check_json(&p.base, false, "{\"peer_id\":\"x\",\"score\":\"-Infinity\",\"time_in_mesh_ms\":0}");
}

static void test_enums_by_name_unknown_by_number_bools(void **state)
{
    (void)state;
    Peerscope__Transport t = PEERSCOPE__TRANSPORT__INIT;
    t.listening = 1;
    check_json(&t.base, false,
                "{\"id\":\"\",\"name\":\"\",\"listen_multiaddrs\":[],\"listening\":true,\"dialing\":false}");
    Peerscope__Stream s = PEERSCOPE__STREAM__INIT;
    s.role = PEERSCOPE__ROLE__RESPONDER;
    s.status = (Peerscope__Status)42; /* a newer server's value */
    memout o;
    const char *got = json_in(&o, &s.base, false);
    assert_non_null(strstr(got, "\"role\":\"RESPONDER\""));
    assert_non_null(strstr(got, "\"status\":42"));
    memout_free(&o);
}

/* ------------------------------------------------ bytes, oneofs, repeated */

static void test_bytes_base64_with_padding(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"", "\"\""}, {"f", "\"Zg==\""}, {"fo", "\"Zm8=\""}, {"foo", "\"Zm9v\""}, {"foob", "\"Zm9vYg==\""},
    };
    memout o;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(dump_json_base64(memout_open(&o), (const uint8_t *)cases[i].in, strlen(cases[i].in)), 0);
        assert_string_equal(memout_text(&o), cases[i].out);
        memout_free(&o);
    }
    /* every byte value and a length over the internal chunk */
    uint8_t all[300];
    for (size_t i = 0; i < sizeof all; i++)
        all[i] = (uint8_t)i;
    assert_int_equal(dump_json_base64(memout_open(&o), all, sizeof all), 0);
    const char *got = memout_text(&o);
    assert_int_equal(o.len, 2 + 400);
    assert_memory_equal(got, "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQ", 90);
    memout_free(&o);
}

static void test_oneof_prints_only_the_set_member(void **state)
{
    (void)state;
    Peerscope__CustomSection__Value v = PEERSCOPE__CUSTOM_SECTION__VALUE__INIT;
    v.name = "n";
    check_json(&v.base, false, "{\"name\":\"n\"}");
    v.value_case = PEERSCOPE__CUSTOM_SECTION__VALUE__VALUE_INTEGER;
    v.integer = 5;
    check_json(&v.base, false, "{\"name\":\"n\",\"integer\":5}");
    v.value_case = PEERSCOPE__CUSTOM_SECTION__VALUE__VALUE_TEXT;
    v.text = "hi";
    check_json(&v.base, false, "{\"name\":\"n\",\"text\":\"hi\"}");

    /* a relayed connection nests a whole Connection */
    Peerscope__Connection inner, outer;
    peerscope__connection__init(&inner);
    peerscope__connection__init(&outer);
    inner.peer_id = "relay";
    outer.relayed_over_case = PEERSCOPE__CONNECTION__RELAYED_OVER_CONN;
    outer.conn = &inner;
    memout o;
    const char *got = json_in(&o, &outer.base, false);
    assert_non_null(strstr(got, "\"conn\":{\"id\":\"\",\"peer_id\":\"relay\""));
    assert_null(strstr(got, "\"conn_id\""));
    memout_free(&o);
}

static void test_repeated_fields_and_nesting(void **state)
{
    (void)state;
    Peerscope__EventType__EventProperty p1 = PEERSCOPE__EVENT_TYPE__EVENT_PROPERTY__INIT,
                                        p2 = PEERSCOPE__EVENT_TYPE__EVENT_PROPERTY__INIT;
    p1.name = "peerIds";
    p1.type = PEERSCOPE__EVENT_TYPE__EVENT_PROPERTY__PROPERTY_TYPE__PEERID;
    p1.has_multiple = 1;
    p2.name = "t";
    p2.type = PEERSCOPE__EVENT_TYPE__EVENT_PROPERTY__PROPERTY_TYPE__TIME;
    Peerscope__EventType__EventProperty *props[] = {&p1, &p2};
    Peerscope__EventType et = PEERSCOPE__EVENT_TYPE__INIT;
    et.name = "Q";
    et.n_property_types = 2;
    et.property_types = props;
    check_json(&et.base, false,
                "{\"name\":\"Q\",\"property_types\":[{\"name\":\"peerIds\",\"type\":\"PEERID\",\"has_multiple\":true},"
                "{\"name\":\"t\",\"type\":\"TIME\",\"has_multiple\":false}]}");

    Peerscope__StreamList sl = PEERSCOPE__STREAM_LIST__INIT;
    ProtobufCBinaryData ids[2] = {{2, (uint8_t *)"\x00\xff"}, {0, NULL}};
    sl.n_stream_ids = 2;
    sl.stream_ids = ids;
    check_json(&sl.base, false, "{\"stream_ids\":[\"AP8=\",\"\"],\"streams\":[]}");
}

static void test_depth_limit_prints_null(void **state)
{
    (void)state;
    enum { N = DUMP_JSON_MAX_DEPTH + 5 };
    static Peerscope__Connection c[N];
    for (int i = 0; i < N; i++) {
        peerscope__connection__init(&c[i]);
        if (i + 1 < N) {
            c[i].relayed_over_case = PEERSCOPE__CONNECTION__RELAYED_OVER_CONN;
            c[i].conn = &c[i + 1];
        }
    }
    memout o;
    const char *got = json_in(&o, &c[0].base, false);
    assert_non_null(strstr(got, "\"conn\":null"));
    memout_free(&o);
}

static void test_unknown_fields_are_listed(void **state)
{
    (void)state;
    /* Version{version=1} plus field 99 (varint 150) that this schema lacks */
    static const uint8_t wire[] = {0x08, 0x01, 0x98, 0x06, 0x96, 0x01};
    Peerscope__Version *v = peerscope__version__unpack(NULL, sizeof wire, wire);
    assert_non_null(v);
    check_json(&v->base, false,
                "{\"version\":1,\"_unknown_fields\":[{\"number\":99,\"wire_type\":0,\"data\":\"lgE=\"}]}");
    peerscope__version__free_unpacked(v, NULL);

    static const uint8_t only_unknown[] = {0x98, 0x06, 0x01};
    Peerscope__ServerNotice *n = peerscope__server_notice__unpack(NULL, sizeof only_unknown, only_unknown);
    assert_non_null(n);
    memout o;
    const char *got = json_in(&o, &n->base, false);
    assert_string_equal(got,
                        "{\"kind\":\"DISCARDING_EVENTS\",\"dropped\":0,\"_unknown_fields\":[{\"number\":99,"
                        "\"wire_type\":0,\"data\":\"AQ==\"}]}");
    memout_free(&o);
    peerscope__server_notice__free_unpacked(n, NULL);
}

/* --------------------------------------------------------------- strings */

static void test_string_escapes(void **state)
{
    (void)state;
    check_string("a\"b\\c/d", 7, false, "\"a\\\"b\\\\c/d\"");
    check_string("\n\r\t\b\f", 5, false, "\"\\n\\r\\t\\b\\f\"");
    check_string("\x01\x1f\x7f", 3, false, "\"\\u0001\\u001f\\u007f\"");
    check_string("nul\0in", 6, false, "\"nul\\u0000in\"");
}

static void test_utf8_valid_passes_invalid_becomes_fffd(void **state)
{
    (void)state;
    check_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, false, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    /* a C1 control is valid UTF-8 but escaped: terminals obey some */
    check_string("\xc2\x9b", 2, false, "\"\\u009b\"");
    /* overlong, surrogate, above U+10FFFF, lone continuation, truncated */
    check_string("\xc0\xaf", 2, false, "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    check_string("\xed\xa0\x80", 3, false, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    check_string("\xf4\x90\x80\x80", 4, false, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    check_string("a\x80z", 3, false, "\"a\xef\xbf\xbdz\"");
    check_string("x\xe2\x82", 3, false, "\"x\xef\xbf\xbd\"");     /* one maximal subpart */
    check_string("\xe2\x82x", 3, false, "\"\xef\xbf\xbdx\"");
    check_string("\xff\xfe", 2, false, "\"\xef\xbf\xbd\xef\xbf\xbd\"");
}

static void test_ascii_mode_escapes_everything_non_ascii(void **state)
{
    (void)state;
    check_string("caf\xc3\xa9", 5, true, "\"caf\\u00e9\"");
    check_string("\xe2\x82\xac", 3, true, "\"\\u20ac\"");
    check_string("\xf0\x9f\x98\x80", 4, true, "\"\\ud83d\\ude00\"");
    check_string("\xff", 1, true, "\"\\ufffd\"");
}

static void test_write_errors_are_reported(void **state)
{
    (void)state;
    FILE *f = fopen("/dev/full", "w");
    if (!f)
        skip();
    setvbuf(f, NULL, _IONBF, 0);
    Peerscope__Version v = PEERSCOPE__VERSION__INIT;
    assert_int_equal(dump_json_message(f, &v.base, NULL), -1);
    fclose(f);
}

/* ------------------------------------------------------------------ sink */

static void test_sink_filters_kinds_and_stops_at_count(void **state)
{
    (void)state;
    memout o;
    dump_sink s;
    memset(&s, 0, sizeof s);
    s.json = memout_open(&o);
    s.kinds = DUMP_KIND_STATE | DUMP_KIND_EVENT;
    s.limit = 2;
    Peerscope__ServerMessage rt = PEERSCOPE__SERVER_MESSAGE__INIT, ev = PEERSCOPE__SERVER_MESSAGE__INIT;
    Peerscope__Runtime r = PEERSCOPE__RUNTIME__INIT;
    Peerscope__Event e = PEERSCOPE__EVENT__INIT;
    rt.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME;
    rt.runtime = &r;
    ev.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT;
    ev.event = &e;
    assert_int_equal(dump_sink_put(&s, &rt, NULL, 0), DUMP_PUT_MORE); /* filtered out */
    assert_int_equal(dump_sink_put(&s, &ev, NULL, 0), DUMP_PUT_MORE);
    assert_int_equal(dump_sink_put(&s, &ev, NULL, 0), DUMP_PUT_DONE);
    assert_int_equal(s.written, 2);
    const char *got = memout_text(&o);
    const char *line = "{\"event\":{\"ts\":0,\"content\":\"\",\"seq\":0,\"node\":\"\"}}\n";
    assert_int_equal(o.len, 2 * strlen(line));
    assert_memory_equal(got, line, strlen(line));
    memout_free(&o);
}

static void test_sink_writes_a_readable_recording(void **state)
{
    (void)state;
    char path[4096];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/psc-dump-sink-XXXXXX", dir && *dir ? dir : P_tmpdir);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    dump_opts o;
    memset(&o, 0, sizeof o);
    o.raw = path;
    o.kinds = DUMP_KIND_ALL;
    dump_sink s;
    assert_int_equal(dump_sink_open(&s, &o, false), TOOL_EXIT_OK);
    Peerscope__ServerMessage m = PEERSCOPE__SERVER_MESSAGE__INIT;
    Peerscope__ServerNotice n = PEERSCOPE__SERVER_NOTICE__INIT;
    n.dropped = 7;
    m.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE;
    m.notice = &n;
    uint8_t payload[64];
    size_t plen = peerscope__server_message__pack(&m, payload);
    assert_int_equal(dump_sink_put(&s, &m, payload, plen), DUMP_PUT_MORE);
    assert_int_equal(dump_sink_put(&s, &m, payload, plen), DUMP_PUT_MORE);
    assert_int_equal(dump_sink_close(&s, TOOL_EXIT_OK), TOOL_EXIT_OK);

    FILE *f = fopen(path, "rb");
    psc_recording *r;
    assert_int_equal(psc_recording_open(f, &r), PSC_OK);
    for (int i = 0; i < 2; i++) {
        const uint8_t *p;
        size_t l;
        assert_int_equal(psc_recording_next(r, &p, &l), PSC_OK);
        assert_int_equal(l, plen);
        assert_memory_equal(p, payload, plen);
    }
    const uint8_t *p;
    size_t l;
    assert_int_equal(psc_recording_next(r, &p, &l), PSC_ERR_CLOSED);
    psc_recording_close(r);
    fclose(f);
    unlink(path);
}

/* ------------------------------------------- alerts and milestones (peerscope) */

/* A state with two alerts and a milestone, a runtime with a milestone and an
 * AlertFiring event, written as a recording with the library's encoder. */
static void write_alert_recording(const char *path)
{
    Peerscope__Alert a1 = PEERSCOPE__ALERT__INIT, a2 = PEERSCOPE__ALERT__INIT;
    a1.rule = "expected-peer";
    a1.kind = "expected_peers";
    a1.severity = PEERSCOPE__ALERT__SEVERITY__CRITICAL;
    a1.subject = "12D3KooWPeer";
    a1.subject_kind = "peer";
    a1.value = 0;
    a1.threshold = 1;
    a1.since_ts = 1700000000000ull;
    a1.firing_ts = 1700000030000ull;
    a1.message = "expected peer 12D3KooWPeer is not connected";
    a2.rule = "mesh-low";
    a2.kind = "mesh_low";
    a2.severity = PEERSCOPE__ALERT__SEVERITY__INFO;
    a2.subject = "blocks";
    a2.subject_kind = "topic";
    a2.value = 2.5;
    a2.threshold = 4;
    Peerscope__Alert *alerts[] = {&a1, &a2};
    Peerscope__Milestone m1 = PEERSCOPE__MILESTONE__INIT, m2 = PEERSCOPE__MILESTONE__INIT;
    m1.name = "first_peer";
    m1.reached_ts = 1699999990850ull;
    m1.duration_ms = 850;
    m2.name = "sync_completed";
    m2.reached_ts = 1700000001000ull;
    m2.duration_ms = 8000;
    m2.from = "sync_started";
    Peerscope__Milestone *state_ms[] = {&m1, &m2}, *rt_ms[] = {&m1};

    Peerscope__Version v = PEERSCOPE__VERSION__INIT;
    v.version = 1;
    Peerscope__Runtime rt = PEERSCOPE__RUNTIME__INIT;
    rt.peer_id = "12D3KooWSelf";
    rt.n_milestones = 1;
    rt.milestones = rt_ms;
    Peerscope__State st = PEERSCOPE__STATE__INIT;
    st.instant_ts = 1700000031000ull;
    st.n_alerts = 2;
    st.alerts = alerts;
    st.n_milestones = 2;
    st.milestones = state_ms;
    Peerscope__EventType et = PEERSCOPE__EVENT_TYPE__INIT;
    et.name = "AlertFiring";
    Peerscope__Event ev = PEERSCOPE__EVENT__INIT;
    ev.type = &et;
    ev.ts = 1700000030000ull;
    ev.content = "{\"rule\":\"expected-peer\",\"severity\":\"CRITICAL\",\"subject\":\"12D3KooWPeer\"}";

    Peerscope__ServerMessage msgs[3];
    for (int i = 0; i < 3; i++) {
        peerscope__server_message__init(&msgs[i]);
        msgs[i].version = &v;
    }
    msgs[0].payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME;
    msgs[0].runtime = &rt;
    msgs[1].payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE;
    msgs[1].state = &st;
    msgs[2].payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT;
    msgs[2].event = &ev;

    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(psc_recording_write_header(f), PSC_OK);
    for (int i = 0; i < 3; i++) {
        uint8_t buf[1024];
        size_t n = peerscope__server_message__get_packed_size(&msgs[i]);
        assert_true(n <= sizeof buf);
        peerscope__server_message__pack(&msgs[i], buf);
        assert_int_equal(psc_recording_write(f, buf, n), PSC_OK);
    }
    assert_int_equal(fclose(f), 0);
}

static void test_file_keeps_alerts_and_milestones(void **state)
{
    (void)state;
    char path[4096];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/psc-dump-alerts-XXXXXX", dir && *dir ? dir : P_tmpdir);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_alert_recording(path);

    dump_opts o;
    memset(&o, 0, sizeof o);
    o.file = path;
    o.kinds = DUMP_KIND_ALL;
    dump_sink s;
    assert_int_equal(dump_sink_open(&s, &o, false), TOOL_EXIT_OK);
    memout out;
    s.json = memout_open(&out);
    assert_int_equal(dump_run_file(&o, &s), TOOL_EXIT_OK);
    const char *got = memout_text(&out);

    /* every field of both alerts, the severity by name, in field order */
    assert_non_null(strstr(got,
        "\"alerts\":[{\"rule\":\"expected-peer\",\"kind\":\"expected_peers\",\"severity\":\"CRITICAL\","
        "\"subject\":\"12D3KooWPeer\",\"subject_kind\":\"peer\",\"value\":0,\"threshold\":1,"
        "\"since_ts\":1700000000000,\"firing_ts\":1700000030000,"
        "\"message\":\"expected peer 12D3KooWPeer is not connected\"},"
        "{\"rule\":\"mesh-low\",\"kind\":\"mesh_low\",\"severity\":\"INFO\",\"subject\":\"blocks\","
        "\"subject_kind\":\"topic\",\"value\":2.5,\"threshold\":4,\"since_ts\":0,\"firing_ts\":0,\"message\":\"\"}]"));
    assert_non_null(strstr(got,
        "\"milestones\":[{\"name\":\"first_peer\",\"reached_ts\":1699999990850,\"duration_ms\":850,\"from\":\"\"},"
        "{\"name\":\"sync_completed\",\"reached_ts\":1700000001000,\"duration_ms\":8000,\"from\":\"sync_started\"}]"));
    /* the runtime's own milestones, on the runtime's line */
    const char *rt = strstr(got, "\"runtime\":{");
    const char *nl = rt ? strchr(rt, '\n') : NULL;
    const char *rt_ms = strstr(got, "\"milestones\":[{\"name\":\"first_peer\",\"reached_ts\":1699999990850,\"duration_ms\":850,\"from\":\"\"}]");
    assert_non_null(rt);
    assert_non_null(rt_ms);
    assert_true(rt_ms > rt && rt_ms < nl);
    /* the event as it came, and nothing the schema does not know */
    assert_non_null(strstr(got, "\"type\":{\"name\":\"AlertFiring\""));
    assert_null(strstr(got, "_unknown_fields"));
    memout_free(&out);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_print_and_unset_messages_do_not),
        cmocka_unit_test(test_integers_exact_up_to_2_53_then_strings),
        cmocka_unit_test(test_doubles_round_trip_and_non_finite_as_strings),
        cmocka_unit_test(test_enums_by_name_unknown_by_number_bools),
        cmocka_unit_test(test_bytes_base64_with_padding),
        cmocka_unit_test(test_oneof_prints_only_the_set_member),
        cmocka_unit_test(test_repeated_fields_and_nesting),
        cmocka_unit_test(test_depth_limit_prints_null),
        cmocka_unit_test(test_unknown_fields_are_listed),
        cmocka_unit_test(test_string_escapes),
        cmocka_unit_test(test_utf8_valid_passes_invalid_becomes_fffd),
        cmocka_unit_test(test_ascii_mode_escapes_everything_non_ascii),
        cmocka_unit_test(test_write_errors_are_reported),
        cmocka_unit_test(test_sink_filters_kinds_and_stops_at_count),
        cmocka_unit_test(test_sink_writes_a_readable_recording),
        cmocka_unit_test(test_file_keeps_alerts_and_milestones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
