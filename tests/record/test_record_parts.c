/* Parts of peerscope-record without a network: text cleaning and JSON
 * properties, the command line, rows derived from a State, --raw files,
 * and the SQLite store (schema, runs, retention, refusals). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "peerscope/wire.h"
#include "rec_derive.h"
#include "rec_raw.h"
#include "rec_text.h"
#include "record.h"
#include "schema.h"
#include "store.h"
#include "tool_test.h"

static char tmpdir[256];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "%s/psc-record-parts.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_in(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
    unlink(buf);
}

/* ------------------------------------------------------------------ text */

static void test_text(void **state)
{
    (void)state;
    rec_arena a = {0};
    assert_true(rec_utf8_valid("abc \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 15));
    assert_false(rec_utf8_valid("\xc0\xaf", 2));         /* overlong */
    assert_false(rec_utf8_valid("\xed\xa0\x80", 3));     /* a surrogate */
    assert_false(rec_utf8_valid("\xe2\x82", 2));         /* cut short */
    assert_string_equal(rec_text(&a, "a\xffz"), "a\xef\xbf\xbdz");
    assert_string_equal(rec_text(&a, NULL), "");
    const uint8_t id[] = {0x00, 0xab, 0x10};
    assert_string_equal(rec_hex(&a, id, 3), "00ab10");

    bool wrapped;
    assert_string_equal(rec_json_props(&a, "{\"peer\":\"x\",\"n\":[1,2]}", &wrapped), "{\"peer\":\"x\",\"n\":[1,2]}");
    assert_false(wrapped);
    /* what PostgreSQL's jsonb refuses, or is not JSON, is kept as a JSON string */
    assert_string_equal(rec_json_props(&a, "{\"a\":\"\\u0000\"}", &wrapped), "\"{\\\"a\\\":\\\"\\\\u0000\\\"}\"");
    assert_true(wrapped);
    rec_json_props(&a, "[\"\\ud800\"]", &wrapped);
    assert_true(wrapped);
    assert_string_equal(rec_json_props(&a, "[\"\\ud83d\\ude00\"]", &wrapped), "[\"\\ud83d\\ude00\"]");
    assert_false(wrapped);
    assert_string_equal(rec_json_props(&a, "not json\n", &wrapped), "\"not json\\n\"");
    assert_true(wrapped);
    /* an escaped backslash before a u is not an escape */
    rec_json_props(&a, "[\"\\\\u0000\"]", &wrapped);
    assert_false(wrapped);
    rec_arena_free(&a);
}

/* ---------------------------------------------------------- command line */

typedef struct run {
    memout out, err;
    rec_opts o;
    cli_status st;
} run;

static cli_status parse(run *r, ...)
{
    char *argv[32];
    va_list ap;
    va_start(ap, r);
    int argc = test_argv(argv, 32, "peerscope-record", ap);
    va_end(ap);
    FILE *out = memout_open(&r->out), *err = memout_open(&r->err);
    r->st = rec_opts_parse(argc, argv, &r->o, out, err);
    return r->st;
}

static void run_free(run *r)
{
    memout_free(&r->out);
    memout_free(&r->err);
}

static void test_opts(void **state)
{
    (void)state;
    run r;
    assert_int_equal(parse(&r, "--db", "a.db", "ws://127.0.0.1:1", NULL), CLI_RUN);
    assert_int_equal(r.o.n_stores, 1);
    assert_true(r.o.stores[0].is_db);
    assert_int_equal(r.o.interval_ms, 1000);
    assert_int_equal(r.o.full_every, 60);
    assert_int_equal(r.o.keep_ms, 0);
    run_free(&r);

    assert_int_equal(parse(&r, "--store", "postgres://x@h/db", "--db", "b.db", "--keep", "1.5h", "--max-db-mb", "7",
                           "--interval", "500", "--full-every", "1", "--sync", "full", "ws://h:1", "wss://h:2", NULL),
                     CLI_RUN);
    assert_int_equal(r.o.n_stores, 2);
    assert_false(r.o.stores[0].is_db);
    assert_string_equal(r.o.stores[1].spec, "b.db");
    assert_int_equal(r.o.keep_ms, 5400000);
    assert_int_equal(r.o.max_db_bytes, 7000000);
    assert_int_equal(r.o.interval_ms, 500);
    assert_int_equal(r.o.full_every, 1);
    assert_true(r.o.sync_full);
    assert_int_equal(r.o.n_urls, 2);
    run_free(&r);

    static const struct {
        const char *keep;
        uint64_t ms;
    } keeps[] = {{"90", 90000}, {"90s", 90000}, {"30m", 1800000}, {"7d", 604800000}, {".5m", 30000}};
    for (size_t i = 0; i < sizeof keeps / sizeof keeps[0]; i++) {
        assert_int_equal(parse(&r, "--db", "a", "--keep", keeps[i].keep, "ws://h:1", NULL), CLI_RUN);
        assert_int_equal(r.o.keep_ms, keeps[i].ms);
        run_free(&r);
    }
    const char *bad_keeps[] = {"", "s", "3w", "1ms", "-5s", "0.2s", "4000d", "1 s"};
    for (size_t i = 0; i < sizeof bad_keeps / sizeof bad_keeps[0]; i++) {
        assert_int_equal(parse(&r, "--db", "a", "--keep", bad_keeps[i], "ws://h:1", NULL), CLI_USAGE);
        assert_non_null(strstr(memout_text(&r.err), "--keep"));
        run_free(&r);
    }

    assert_int_equal(parse(&r, "--db", "a", "--raw", "x.rec", "ws://h:1", "ws://h:2", NULL), CLI_USAGE);
    assert_non_null(strstr(memout_text(&r.err), "%n"));
    run_free(&r);
    assert_int_equal(parse(&r, "--db", "a", "--raw", "x-%n.rec", "ws://h:1", "ws://h:2", NULL), CLI_RUN);
    run_free(&r);
    assert_int_equal(parse(&r, "--db", "a", "--verbose", "--quiet", "ws://h:1", NULL), CLI_USAGE);
    run_free(&r);
    assert_int_equal(parse(&r, "--db", "", "ws://h:1", NULL), CLI_USAGE);
    run_free(&r);
    assert_int_equal(parse(&r, "--db", "a", "file.rec", NULL), CLI_USAGE);
    run_free(&r);
    assert_int_equal(parse(&r, "--version", NULL), CLI_DONE);
    assert_non_null(strstr(memout_text(&r.out), "peerscope-record"));
    run_free(&r);

    char buf[64];
    assert_true(rec_raw_path("node-%n.rec", 0, buf, sizeof buf));
    assert_string_equal(buf, "node-1.rec");
    assert_true(rec_raw_path("%n/%n%%", 11, buf, sizeof buf));
    assert_string_equal(buf, "12/12%%");
    assert_false(rec_raw_path("0123456789%n", 0, buf, 11));
}

/* ------------------------------------------------------------ derivation */

/* A state with two connections (3 streams, two protocols) and a DHT of two buckets. */
typedef struct fake_state {
    Peerscope__State st;
    Peerscope__Subsystems ss;
    Peerscope__Connection c[2], *cp[2];
    Peerscope__StreamList sl[2];
    Peerscope__Stream s[3], *sp0[2], *sp1[1];
    Peerscope__Traffic t[3];
    Peerscope__DataGauge in[3], out[3];
    uint8_t cid[2][2], sid[3][1];
    Peerscope__DHT dht, *dhts[1];
    Peerscope__DHT__Bucket b[2], *bp[2];
    Peerscope__DHT__PeerInDHT p[3], *pp0[2], *pp1[1];
} fake_state;

static void fake_init(fake_state *f, uint64_t bytes)
{
    memset(f, 0, sizeof *f);
    peerscope__state__init(&f->st);
    peerscope__subsystems__init(&f->ss);
    f->st.subsystems = &f->ss;
    f->st.seq = 7;
    f->st.instant_ts = 1000;
    static const char *const protos[3] = {"/meshsub/1.1.0", "/ipfs/kad/1.0.0", "/meshsub/1.1.0"};
    for (int i = 0; i < 3; i++) {
        peerscope__stream__init(&f->s[i]);
        peerscope__traffic__init(&f->t[i]);
        peerscope__data_gauge__init(&f->in[i]);
        peerscope__data_gauge__init(&f->out[i]);
        f->in[i].cum_bytes = bytes * (uint64_t)(i + 1);
        f->out[i].cum_bytes = 10u * (uint64_t)(i + 1);
        f->t[i].traffic_in = &f->in[i];
        f->t[i].traffic_out = &f->out[i];
        f->s[i].traffic = &f->t[i];
        f->s[i].protocol = (char *)protos[i];
        f->sid[i][0] = (uint8_t)i;
        f->s[i].id.data = f->sid[i];
        f->s[i].id.len = 1;
    }
    f->sp0[0] = &f->s[0];
    f->sp0[1] = &f->s[1];
    f->sp1[0] = &f->s[2];
    static const char *const peers[2] = {"12D3KooWpeerA", "12D3KooWpeerA"};
    for (int i = 0; i < 2; i++) {
        peerscope__connection__init(&f->c[i]);
        peerscope__stream_list__init(&f->sl[i]);
        f->cid[i][0] = 0xc0;
        f->cid[i][1] = (uint8_t)i;
        f->c[i].id.data = f->cid[i];
        f->c[i].id.len = 2;
        f->c[i].peer_id = (char *)peers[i];
        f->c[i].transport_name = "tcp";
        f->c[i].streams = &f->sl[i];
        f->cp[i] = &f->c[i];
    }
    f->c[1].role = PEERSCOPE__ROLE__RESPONDER;
    f->c[1].status = PEERSCOPE__STATUS__CLOSED;
    f->sl[0].streams = f->sp0;
    f->sl[0].n_streams = 2;
    f->sl[1].streams = f->sp1;
    f->sl[1].n_streams = 1;
    f->ss.connections = f->cp;
    f->ss.n_connections = 2;

    peerscope__dht__init(&f->dht);
    f->dht.protocol = "/ipfs/kad/1.0.0";
    f->dht.name = "";
    for (int i = 0; i < 3; i++)
        peerscope__dht__peer_in_dht__init(&f->p[i]);
    f->p[1].status = PEERSCOPE__DHT__PEER_IN_DHT__STATUS__MISSING;
    f->pp0[0] = &f->p[0];
    f->pp0[1] = &f->p[1];
    f->pp1[0] = &f->p[2];
    for (int i = 0; i < 2; i++) {
        peerscope__dht__bucket__init(&f->b[i]);
        f->b[i].cpl = (uint32_t)i + 3;
        f->bp[i] = &f->b[i];
    }
    f->b[0].peers = f->pp0;
    f->b[0].n_peers = 2;
    f->b[1].peers = f->pp1;
    f->b[1].n_peers = 1;
    f->dht.buckets = f->bp;
    f->dht.n_buckets = 2;
    f->ss.dht = &f->dht;
}

static const rec_proto_row *proto(const rec_state_row *r, const char *name)
{
    for (size_t i = 0; i < r->n_protos; i++)
        if (strcmp(r->protos[i].protocol, name) == 0)
            return &r->protos[i];
    fail_msg("no row for %s", name);
    return NULL;
}

static void test_derive(void **state)
{
    (void)state;
    rec_arena a = {0};
    rec_seen seen = {0};
    fake_state f;
    fake_init(&f, 100);
    rec_state_row r = {0};
    assert_true(rec_derive_state(&a, &f.st, &seen, &r));
    assert_int_equal(r.seq, 7);
    assert_int_equal(r.connections, 2);
    assert_int_equal(r.connections_open, 1);
    assert_int_equal(r.peers, 1); /* the same peer twice, once ACTIVE */
    assert_int_equal(r.streams, 3);
    assert_int_equal(r.dht_peers, 3);
    assert_int_equal(r.n_conns, 2);
    assert_string_equal(r.conns[0].conn_id, "c000");
    assert_string_equal(r.conns[0].direction, "out");
    assert_string_equal(r.conns[1].direction, "in");
    assert_string_equal(r.conns[1].status, "CLOSED");
    assert_int_equal(r.n_protos, 2);
    const rec_proto_row *mesh = proto(&r, "/meshsub/1.1.0");
    assert_int_equal(mesh->streams, 2);
    assert_int_equal(mesh->bytes_in, 100 + 300);
    assert_false(mesh->has_delta); /* nothing to compare with yet */
    assert_int_equal(r.n_buckets, 2);
    assert_string_equal(r.buckets[0].dht, "/ipfs/kad/1.0.0"); /* no name: the protocol */
    assert_int_equal(r.buckets[0].cpl, 3);
    assert_int_equal(r.buckets[0].peers, 2);
    assert_int_equal(r.buckets[0].active, 1);

    /* counters grow: the deltas are the growth */
    fake_init(&f, 150);
    memset(&r, 0, sizeof r);
    assert_true(rec_derive_state(&a, &f.st, &seen, &r));
    mesh = proto(&r, "/meshsub/1.1.0");
    assert_true(mesh->has_delta);
    assert_int_equal(mesh->delta_in, 50 + 150);
    assert_int_equal(mesh->delta_out, 0);
    assert_int_equal(proto(&r, "/ipfs/kad/1.0.0")->delta_in, 100);

    /* counters that went down belong to new streams with the same ids: all their bytes count */
    fake_init(&f, 20);
    memset(&r, 0, sizeof r);
    assert_true(rec_derive_state(&a, &f.st, &seen, &r));
    assert_int_equal(proto(&r, "/meshsub/1.1.0")->delta_in, 20 + 60);

    /* a restart: no deltas again */
    rec_seen_reset(&seen);
    memset(&r, 0, sizeof r);
    assert_true(rec_derive_state(&a, &f.st, &seen, &r));
    assert_false(proto(&r, "/meshsub/1.1.0")->has_delta);

    /* a state without subsystems is valid: zero rows */
    Peerscope__State empty;
    peerscope__state__init(&empty);
    memset(&r, 0, sizeof r);
    assert_true(rec_derive_state(&a, &empty, &seen, &r));
    assert_int_equal(r.n_conns + r.n_protos + r.n_buckets, 0);

    Peerscope__EventType t;
    Peerscope__EventType__EventProperty p1, *pp[1] = {&p1};
    peerscope__event_type__init(&t);
    peerscope__event_type__event_property__init(&p1);
    p1.name = "peer\"s";
    p1.type = PEERSCOPE__EVENT_TYPE__EVENT_PROPERTY__PROPERTY_TYPE__PEERID;
    p1.has_multiple = 1;
    t.property_types = pp;
    t.n_property_types = 1;
    assert_string_equal(rec_event_props_json(&a, &t), "[{\"name\":\"peer\\\"s\",\"type\":\"PEERID\",\"multiple\":true}]");
    rec_seen_free(&seen);
    rec_arena_free(&a);
}

/* -------------------------------------------------------------- --raw */

static void test_raw(void **state)
{
    (void)state;
    char path[300], err[600];
    path_in(path, sizeof path, "a.rec");
    rec_raw r;
    uint64_t cut;
    assert_true(rec_raw_open(&r, path, &cut, err, sizeof err));
    assert_true(rec_raw_write(&r, (const uint8_t *)"one", 3, err, sizeof err));
    assert_true(rec_raw_flush(&r, err, sizeof err));
    assert_true(rec_raw_close(&r, err, sizeof err));

    /* a record cut short at the end: removed before appending */
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    assert_int_equal(fwrite("\x01\x02\x03\x04\x10\x00\x00\x00half", 1, 12, f), 12);
    fclose(f);
    assert_true(rec_raw_open(&r, path, &cut, err, sizeof err));
    assert_int_equal(cut, 12);
    assert_true(rec_raw_write(&r, (const uint8_t *)"two", 3, err, sizeof err));
    assert_true(rec_raw_close(&r, err, sizeof err));

    f = fopen(path, "rb");
    psc_recording *rec;
    assert_int_equal(psc_recording_open(f, &rec), PSC_OK);
    const uint8_t *p;
    size_t n;
    assert_int_equal(psc_recording_next(rec, &p, &n), PSC_OK);
    assert_memory_equal(p, "one", 3);
    assert_int_equal(psc_recording_next(rec, &p, &n), PSC_OK);
    assert_memory_equal(p, "two", 3);
    assert_int_equal(psc_recording_next(rec, &p, &n), PSC_ERR_CLOSED);
    psc_recording_close(rec);
    fclose(f);

    /* not a recording: refused, left alone */
    path_in(path, sizeof path, "b.rec");
    f = fopen(path, "wb");
    fputs("hello", f);
    fclose(f);
    assert_false(rec_raw_open(&r, path, &cut, err, sizeof err));
    assert_non_null(strstr(err, "not a 2020 recording"));
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 5);
}

/* --------------------------------------------------------- the SQLite store */

static rec_store *open_db(const char *path, uint64_t max_bytes)
{
    rec_store_opts o = {false, max_bytes};
    rec_store *s = NULL;
    char err[600];
    rec_status st = rec_store_open(path, true, &o, &s, err, sizeof err);
    if (st)
        fail_msg("cannot open %s: %s", path, err);
    return s;
}

static int64_t query(const char *path, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    int64_t v = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

static void add_rows(rec_store *s, const rec_ids *ids, uint64_t from_ts, int n)
{
    assert_int_equal(s->vt->begin(s), REC_OK);
    uint8_t blob[2000];
    memset(blob, 0xab, sizeof blob);
    rec_conn_row c = {"c0", "peer", "tcp", "out", "ACTIVE", "/ip4/1.2.3.4/tcp/1", 1, 1, 2, 3, 4, 5, 0, 0};
    for (int i = 0; i < n; i++) {
        rec_state_row st = {0};
        st.ids = *ids;
        st.seq = from_ts + (uint64_t)i;
        st.ts = from_ts + (uint64_t)i * 1000;
        st.blob = blob;
        st.blob_len = sizeof blob;
        st.conns = &c;
        st.n_conns = 1;
        assert_int_equal(s->vt->state(s, &st), REC_OK);
        for (int k = 0; k < 10; k++) {
            rec_event_row ev = {*ids, st.ts, st.seq * 10 + (uint64_t)k, "Tick", "{\"n\":1}"};
            assert_int_equal(s->vt->event(s, &ev), REC_OK);
        }
    }
    assert_int_equal(s->vt->commit(s), REC_OK);
}

static void test_sqlite_store(void **state)
{
    (void)state;
    char path[300];
    path_in(path, sizeof path, "s.db");
    rec_store *s = open_db(path, 0);
    assert_int_equal(query(path, "PRAGMA user_version"), REC_SCHEMA_VERSION);
    assert_int_equal(query(path, "PRAGMA application_id"), REC_SQLITE_APP_ID);

    /* a second writer is refused while the first holds it */
    rec_store_opts o = {0};
    rec_store *other = NULL;
    char err[600];
    assert_int_equal(rec_store_open(path, true, &o, &other, err, sizeof err), REC_LOCKED);
    assert_null(other);

    rec_runtime rt = {"12D3KooWnode", "impl", "1.0", "linux", "0.1.0", 5000};
    rec_event_type types[] = {{"Tick", "[{\"name\":\"n\",\"type\":\"NUMBER\",\"multiple\":false}]"}};
    rec_ids a, b, c;
    uint64_t last;
    assert_int_equal(s->vt->begin(s), REC_OK);
    assert_int_equal(s->vt->session_open(s, &rt, types, 1, "ws://x", 1, &a, &last), REC_OK);
    assert_int_equal(last, 0);
    rec_progress p = {a, 10, 42, 3, false, NULL};
    assert_int_equal(s->vt->progress(s, &p), REC_OK);
    assert_int_equal(s->vt->commit(s), REC_OK);

    /* the same start time: the same run, and what it holds */
    assert_int_equal(s->vt->begin(s), REC_OK);
    assert_int_equal(s->vt->session_open(s, &rt, NULL, 0, "ws://x", 2, &b, &last), REC_OK);
    assert_int_equal(b.node, a.node);
    assert_int_equal(b.run, a.run);
    assert_true(b.session != a.session);
    assert_int_equal(last, 42);
    /* no start time (a 2020 server): every session is a run */
    rt.start_ts = 0;
    assert_int_equal(s->vt->session_open(s, &rt, NULL, 0, "ws://x", 3, &c, &last), REC_OK);
    assert_int_equal(c.node, a.node);
    assert_true(c.run != a.run);
    /* a rolled back batch leaves nothing */
    s->vt->rollback(s);
    assert_int_equal(query(path, "SELECT count(*) FROM sessions"), 1);
    assert_int_equal(query(path, "SELECT count(*) FROM event_types WHERE properties LIKE '%NUMBER%'"), 1);

    /* retention by age: 20 states of a second each, keep 5 s from the newest */
    add_rows(s, &a, 100000, 20);
    rec_retention keep = {5000, 0};
    rec_prune_result res;
    assert_int_equal(s->vt->prune(s, &keep, 100000 + 19 * 1000, 100000, &res), REC_OK);
    assert_int_equal(query(path, "SELECT min(ts) FROM states"), 100000 + 14 * 1000);
    assert_int_equal(query(path, "SELECT min(ts) FROM events"), 100000 + 14 * 1000);
    assert_int_equal(query(path, "SELECT count(*) FROM connections"), 6);
    assert_int_equal(res.rows, 14 + 14 + 140);
    assert_int_equal(query(path, "SELECT count(*) FROM nodes"), 1);
    s->vt->close(s);

    /* retention by size: a bound far below what is there */
    s = open_db(path, 0);
    add_rows(s, &a, 200000, 300);
    int64_t pages = query(path, "PRAGMA page_count");
    rec_retention size = {0, (uint64_t)pages * 4096 / 4};
    for (int i = 0; i < 100; i++) {
        assert_int_equal(s->vt->prune(s, &size, 0, 20000, &res), REC_OK);
        if (!res.more)
            break;
    }
    assert_true(res.size_bytes <= size.max_bytes);
    assert_true(query(path, "SELECT count(*) FROM states") > 0);
    assert_int_equal(query(path, "SELECT max(ts) FROM states"), 200000 + 299 * 1000);
    s->vt->close(s);

    /* newer schema: refused, untouched */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 2", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(rec_store_open(path, true, &o, &other, err, sizeof err), REC_SCHEMA);
    assert_non_null(strstr(err, "newer peerscope-record"));
    assert_int_equal(query(path, "PRAGMA user_version"), 2);

    /* another program's database */
    path_in(path, sizeof path, "other.db");
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(rec_store_open(path, true, &o, &other, err, sizeof err), REC_SCHEMA);
    assert_non_null(strstr(err, "another program"));

    /* not a database at all */
    path_in(path, sizeof path, "text.db");
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 100; i++)
        fputs("not a database. ", f);
    fclose(f);
    assert_int_equal(rec_store_open(path, true, &o, &other, err, sizeof err), REC_CORRUPT);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 1600);

    /* a store this build does not know: sqlite: prefix and empty paths */
    assert_int_equal(rec_store_open("sqlite:", false, &o, &other, err, sizeof err), REC_IO);
    assert_true(rec_store_is_pg("postgresql://h/db"));
    assert_false(rec_store_is_pg("sqlite:postgres://x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_opts),
        cmocka_unit_test(test_derive),
        cmocka_unit_test(test_raw),
        cmocka_unit_test(test_sqlite_store),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
