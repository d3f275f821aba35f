/*
 * peerscope-replay: one node of a peerscope-record SQLite store (the
 * schema of tools/record/schema.c). States are stored as the serialized
 * ServerMessages the recorder received (full or delta, which the replay
 * rebuilds); events as their type name and JSON properties, which are put
 * back into Event messages (the first of each type with the property
 * metadata of event_types); the Runtime from the node's latest run.
 */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../record/schema.h"
#include "json_scan.h"
#include "peerscope/event.h"
#include "peerscope/pb.h"
#include "peerscope/version.h"
#include "replay_tool.h"

typedef struct store {
    const rep_opts *o;
    sqlite3 *db;
    int64_t node_id;
    char node[512];            /* what Recording.node says */
    char peer_id[256];
    char impl[256];
} store;

static int fail(store *s, int status, const char *what)
{
    rep_errorf("%s: %s%s%s", s->o->input, what, s->db ? ": " : "", s->db ? sqlite3_errmsg(s->db) : "");
    return status;
}

static int64_t one_int(store *s, const char *sql, bool *ok)
{
    sqlite3_stmt *st = NULL;
    int64_t v = 0;
    *ok = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW;
    if (*ok)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static const char *text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? (const char *)t : "";
}

/* Check it is a store this tool can read. */
static int check_schema(store *s)
{
    bool ok;
    int64_t app = one_int(s, "PRAGMA application_id", &ok);
    if (!ok)
        return fail(s, REP_EXIT_INPUT, "not a readable SQLite database");
    if (app != REC_SQLITE_APP_ID) {
        rep_errorf("%s: an SQLite database, but not a peerscope-record store (application_id %#" PRIx64 ")",
                   s->o->input, (uint64_t)app);
        return REP_EXIT_INPUT;
    }
    int64_t version = one_int(s, "PRAGMA user_version", &ok);
    if (!ok)
        return fail(s, REP_EXIT_INPUT, "cannot read the schema version");
    if (version > REC_SCHEMA_VERSION) {
        rep_errorf("%s: written by a newer peerscope-record (schema version %" PRId64
                   "; this peerscope-replay reads up to %d): use the replay tool of that version",
                   s->o->input, version, REC_SCHEMA_VERSION);
        return REP_EXIT_INPUT;
    }
    if (version < 1) {
        rep_errorf("%s: a peerscope-record store without its tables (schema version %" PRId64 ")", s->o->input,
                   version);
        return REP_EXIT_INPUT;
    }
    return REP_EXIT_OK;
}

/* The node to serve: --node (peer id or implementation), else the only one. */
static int pick_node(store *s)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT id, peer_id, implementation FROM nodes ORDER BY id", -1, &st, NULL) !=
        SQLITE_OK)
        return fail(s, REP_EXIT_INPUT, "cannot read the nodes");
    char list[2048] = "";
    size_t n = 0, matches = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *peer = text(st, 1), *impl = text(st, 2);
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "\n  %s (%s)", peer, impl);
        n++;
        bool match = !s->o->node || strcmp(s->o->node, peer) == 0 || strcmp(s->o->node, impl) == 0;
        if (match) {
            matches++;
            s->node_id = sqlite3_column_int64(st, 0);
            snprintf(s->peer_id, sizeof s->peer_id, "%s", peer);
            snprintf(s->impl, sizeof s->impl, "%s", impl);
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(s, REP_EXIT_INPUT, "cannot read the nodes");
    if (n == 0) {
        rep_errorf("%s: the store holds no node (nothing was recorded)", s->o->input);
        return REP_EXIT_INPUT;
    }
    if (matches == 1) {
        snprintf(s->node, sizeof s->node, "%s", s->peer_id[0] ? s->peer_id : s->impl);
        return REP_EXIT_OK;
    }
    if (!s->o->node)
        rep_errorf("%s: the store holds %zu nodes; choose one with --node PEERID (or its implementation name):%s",
                   s->o->input, n, list);
    else if (!matches)
        rep_errorf("%s: no node is '%s'; the store holds:%s", s->o->input, s->o->node, list);
    else
        rep_errorf("%s: %zu nodes match '%s'; give the peer id:%s", s->o->input, matches, s->o->node, list);
    return REP_EXIT_USAGE;
}

/* ------------------------------------------------------------ events */

typedef struct etype {
    char *name;
    Peerscope__EventType__EventProperty *props;
    Peerscope__EventType__EventProperty **ptrs;
    size_t n;
    char **names;
    psc_prop_def *defs;  /* the same properties, as psc_replay_add_event takes them */
} etype;

typedef struct etypes {
    etype *t;
    size_t n, cap;
} etypes;

static void etypes_free(etypes *ts)
{
    for (size_t i = 0; i < ts->n; i++) {
        for (size_t k = 0; k < ts->t[i].n; k++)
            free(ts->t[i].names[k]);
        free(ts->t[i].names);
        free(ts->t[i].defs);
        free(ts->t[i].props);
        free(ts->t[i].ptrs);
        free(ts->t[i].name);
    }
    free(ts->t);
}

static etype *etype_find(etypes *ts, const char *name)
{
    for (size_t i = 0; i < ts->n; i++)
        if (strcmp(ts->t[i].name, name) == 0)
            return &ts->t[i];
    return NULL;
}

/* One type from event_types: properties as [{"name":..,"type":"NUMBER","multiple":false},...]. */
static bool etype_add(etypes *ts, const char *name, const char *json)
{
    if (etype_find(ts, name))
        return true; /* the latest run's comes first */
    if (ts->n == ts->cap) {
        size_t cap = ts->cap ? ts->cap * 2 : 16;
        etype *t = realloc(ts->t, cap * sizeof *t);
        if (!t)
            return false;
        ts->t = t;
        ts->cap = cap;
    }
    etype *t = &ts->t[ts->n];
    memset(t, 0, sizeof *t);
    if (!(t->name = strdup(name)))
        return false;
    ts->n++;
    js_val v, el, key, val;
    js_iter it, members;
    if (!js_parse(json, strlen(json), &v) || !js_enter(&v, &it))
        return true; /* no metadata: events still replay */
    size_t cap = 0;
    while (js_next_element(&it, &el)) {
        if (t->n == cap) {
            cap = cap ? cap * 2 : 8;
            Peerscope__EventType__EventProperty *p = realloc(t->props, cap * sizeof *p);
            if (!p)
                return false;
            t->props = p;
            char **nm = realloc(t->names, cap * sizeof *nm);
            if (!nm)
                return false;
            t->names = nm;
        }
        Peerscope__EventType__EventProperty *p = &t->props[t->n];
        peerscope__event_type__event_property__init(p);
        t->names[t->n] = NULL;
        if (!js_enter(&el, &members))
            continue;
        char buf[256];
        while (js_next_member(&members, &key, &val)) {
            if (js_string_eq(&key, "name") && val.kind == JS_STRING) {
                js_text(&val, buf, sizeof buf);
                free(t->names[t->n]);
                t->names[t->n] = strdup(buf);
            } else if (js_string_eq(&key, "type") && val.kind == JS_STRING) {
                js_text(&val, buf, sizeof buf);
                const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(
                    &peerscope__event_type__event_property__property_type__descriptor, buf);
                if (ev)
                    p->type = (Peerscope__EventType__EventProperty__PropertyType)ev->value;
            } else if (js_string_eq(&key, "multiple")) {
                p->has_multiple = val.kind == JS_TRUE;
            }
        }
        if (!t->names[t->n])
            continue; /* a property without a name is no property */
        p->name = t->names[t->n];
        t->n++;
    }
    if (t->n && (!(t->ptrs = malloc(t->n * sizeof *t->ptrs)) || !(t->defs = malloc(t->n * sizeof *t->defs))))
        return false;
    for (size_t k = 0; k < t->n; k++) {
        t->props[k].name = t->names[k];
        t->ptrs[k] = &t->props[k];
        t->defs[k] = (psc_prop_def){t->names[k], (psc_prop_type)t->props[k].type, t->props[k].has_multiple};
    }
    return true;
}

/* ------------------------------------------------------------ loading */

typedef struct loader {
    store *s;
    psc_replay *r;
    etypes types;
    uint8_t *buf;
    size_t cap;
    uint64_t bad;
} loader;

static int add_packed(loader *l, const Peerscope__ServerMessage *m, uint64_t ts)
{
    size_t n = peerscope__server_message__get_packed_size(m);
    if (n > l->cap) {
        uint8_t *b = realloc(l->buf, n);
        if (!b)
            return REP_EXIT_FAILURE;
        l->buf = b;
        l->cap = n;
    }
    peerscope__server_message__pack(m, l->buf);
    char why[160];
    psc_err e = psc_replay_add_message(l->r, l->buf, n, ts, why, sizeof why);
    if (e == PSC_ERR_NOMEM)
        return REP_EXIT_FAILURE;
    if (e != PSC_OK) {
        l->bad++;
        if (!l->s->o->quiet)
            rep_warnf("%s: a message could not be replayed: %s", l->s->o->input, why);
        if (l->s->o->strict)
            return REP_EXIT_INPUT;
    }
    return REP_EXIT_OK;
}

static int load_runtime(loader *l)
{
    store *s = l->s;
    sqlite3_stmt *st = NULL;
    const char *sql = "SELECT r.id, r.start_ts, r.version, r.platform, r.peerscope_version FROM runs r "
                      "WHERE r.node_id = ?1 ORDER BY r.start_ts DESC, r.id DESC LIMIT 1";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(s, REP_EXIT_INPUT, "cannot read the runs");
    sqlite3_bind_int64(st, 1, s->node_id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? REP_EXIT_OK : fail(s, REP_EXIT_INPUT, "cannot read the runs");
    }
    Peerscope__Runtime rt = PEERSCOPE__RUNTIME__INIT;
    char version[256], platform[256], pv[64];
    snprintf(version, sizeof version, "%s", text(st, 2));
    snprintf(platform, sizeof platform, "%s", text(st, 3));
    snprintf(pv, sizeof pv, "%s", text(st, 4));
    rt.implementation = s->impl;
    rt.peer_id = s->peer_id;
    rt.version = version;
    rt.platform = platform;
    rt.peerscope_version = pv;
    rt.start_ts = (uint64_t)sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);

    /* event types of every run of the node, the latest first */
    sql = "SELECT t.name, t.properties FROM event_types t JOIN runs r ON r.id = t.run_id WHERE r.node_id = ?1 "
          "ORDER BY r.start_ts DESC, r.id DESC";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(s, REP_EXIT_INPUT, "cannot read the event types");
    sqlite3_bind_int64(st, 1, s->node_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (!etype_add(&l->types, text(st, 0), text(st, 1))) {
            sqlite3_finalize(st);
            return REP_EXIT_FAILURE;
        }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(s, REP_EXIT_INPUT, "cannot read the event types");

    Peerscope__EventType *tv = l->types.n ? calloc(l->types.n, sizeof *tv) : NULL;
    Peerscope__EventType **tp = l->types.n ? calloc(l->types.n, sizeof *tp) : NULL;
    if (l->types.n && (!tv || !tp)) {
        free(tv);
        free(tp);
        return REP_EXIT_FAILURE;
    }
    for (size_t i = 0; i < l->types.n; i++) {
        peerscope__event_type__init(&tv[i]);
        tv[i].name = l->types.t[i].name;
        tv[i].n_property_types = l->types.t[i].n;
        tv[i].property_types = l->types.t[i].ptrs;
        tp[i] = &tv[i];
    }
    rt.n_event_types = l->types.n;
    rt.event_types = tp;
    Peerscope__Version v = PEERSCOPE__VERSION__INIT;
    v.version = PSC_PROTOCOL_VERSION;
    Peerscope__ServerMessage m = PEERSCOPE__SERVER_MESSAGE__INIT;
    m.version = &v;
    m.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME;
    m.runtime = &rt;
    int status = add_packed(l, &m, 0);
    free(tv);
    free(tp);
    return status;
}

static int add_event(loader *l, sqlite3_stmt *st)
{
    const char *type = text(st, 4);
    const etype *t = etype_find(&l->types, type);
    psc_event_def def = {type, t ? t->defs : NULL, t ? t->n : 0};
    char why[160];
    psc_err e = psc_replay_add_event(l->r, &def, (uint64_t)sqlite3_column_int64(st, 1),
                                     (uint64_t)sqlite3_column_int64(st, 6), text(st, 5), why, sizeof why);
    if (e == PSC_ERR_NOMEM)
        return REP_EXIT_FAILURE;
    if (e != PSC_OK) {
        l->bad++;
        if (!l->s->o->quiet)
            rep_warnf("%s: event %lld cannot be replayed: %s", l->s->o->input, (long long)sqlite3_column_int64(st, 2),
                      why);
        if (l->s->o->strict)
            return REP_EXIT_INPUT;
    }
    return REP_EXIT_OK;
}

static int load_history(loader *l)
{
    store *s = l->s;
    /* States and events merged by time; a state before the events of its
     * millisecond, and each kind in the order it was stored. */
    const char *sql = "SELECT 0 AS k, ts, id, blob, NULL, NULL, NULL FROM states WHERE node_id = ?1 "
                      "UNION ALL SELECT 1, ts, id, NULL, type, props, seq FROM events WHERE node_id = ?1 "
                      "ORDER BY 2, 1, 3";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(s, REP_EXIT_INPUT, "cannot read the states and events");
    sqlite3_bind_int64(st, 1, s->node_id);
    int rc, status = REP_EXIT_OK;
    while (status == REP_EXIT_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_int(st, 0) == 0) {
            const void *blob = sqlite3_column_blob(st, 3);
            int n = sqlite3_column_bytes(st, 3);
            char why[160];
            psc_err e = psc_replay_add_message(l->r, blob, (size_t)n, (uint64_t)sqlite3_column_int64(st, 1), why,
                                               sizeof why);
            if (e == PSC_ERR_NOMEM) {
                status = REP_EXIT_FAILURE;
            } else if (e != PSC_OK) {
                l->bad++;
                if (!s->o->quiet)
                    rep_warnf("%s: state %lld cannot be replayed: %s", s->o->input,
                              (long long)sqlite3_column_int64(st, 2), why);
                if (s->o->strict)
                    status = REP_EXIT_INPUT;
            }
        } else {
            status = add_event(l, st);
        }
    }
    if (status == REP_EXIT_OK && rc != SQLITE_DONE)
        status = fail(s, REP_EXIT_INPUT, "cannot read the states and events");
    sqlite3_finalize(st);
    return status;
}

int rep_load_store(const rep_opts *o, const psc_replay_options *ro, psc_replay **out)
{
    store s = {.o = o};
    int rc = sqlite3_open_v2(o->input, &s.db, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK) {
        int st = fail(&s, REP_EXIT_INPUT, "cannot open the store");
        sqlite3_close(s.db);
        return st;
    }
    sqlite3_busy_timeout(s.db, 5000);
    int status = check_schema(&s);
    if (!status)
        status = pick_node(&s);
    loader l = {.s = &s};
    if (!status) {
        psc_replay_options opt = *ro;
        opt.node = s.node;
        psc_err e = psc_replay_new(&opt, &l.r);
        if (e != PSC_OK) {
            rep_errorf("cannot make a replay: %s", psc_strerror(e));
            status = REP_EXIT_FAILURE;
        }
    }
    if (!status)
        status = load_runtime(&l);
    if (!status)
        status = load_history(&l);
    etypes_free(&l.types);
    free(l.buf);
    sqlite3_close(s.db);
    if (status) {
        psc_replay_free(l.r);
        return status;
    }
    *out = l.r;
    return REP_EXIT_OK;
}
