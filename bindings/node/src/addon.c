/*
 * The Node-API addon: Introspector (runtime info, events, snapshots, the
 * WebSocket endpoint) and the module's entry point. The push table is in
 * table.c. Every method runs on the JS thread; the library's own threads
 * (an endpoint's service thread) never call into JS except through the
 * onLog thread-safe function.
 */
#include "addon.h"

#include <stdlib.h>
#include <string.h>

napi_ref js_class_table, js_class_conn, js_class_stream, js_class_endpoint, js_class_event_type;
static napi_ref class_intro;

/* ------------------------------------------------------------ logging */

typedef struct log_line {
    psc_log_level level;
    char text[];
} log_line;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

/* Any thread: queue the line for the JS thread; never blocks (a full queue drops it). */
static void on_log(void *user, psc_log_level level, const char *msg)
{
    jintro *ji = user;
    size_t n = strlen(msg);
    log_line *l = malloc(sizeof *l + n + 1);
    if (!l)
        return;
    l->level = level;
    memcpy(l->text, msg, n + 1);
    if (napi_call_threadsafe_function(ji->log, l, napi_tsfn_nonblocking) != napi_ok)
        free(l);
}

static void log_to_js(napi_env env, napi_value fn, void *context, void *data)
{
    (void)context;
    log_line *l = data;
    if (env && fn) {
        napi_value argv[2], undef;
        unsigned lv = (unsigned)l->level < 4 ? (unsigned)l->level : 3;
        argv[0] = js_string(env, level_names[lv]);
        argv[1] = js_string(env, l->text);
        napi_get_undefined(env, &undef);
        napi_call_function(env, undef, fn, 2, argv, NULL);
    }
    free(l);
}

/* ------------------------------------------------------------ lifecycle */

static void intro_close(jintro *ji)
{
    if (!ji->intro)
        return;
    for (jtable *t = ji->tables; t; t = t->next)
        js_table_free(t);
    ji->tables = NULL;
    for (jendpoint *e = ji->endpoints; e; e = e->next) {
        psc_endpoint_free(e->ep);
        e->ep = NULL;
    }
    ji->endpoints = NULL;
    psc_introspector_free(ji->intro);
    ji->intro = NULL;
    /* after the free: the endpoints' threads, which log, are gone */
    if (ji->log) {
        napi_release_threadsafe_function(ji->log, napi_tsfn_abort);
        ji->log = NULL;
    }
}

static void intro_finalize(napi_env env, void *data, void *hint)
{
    (void)env;
    (void)hint;
    intro_close(data);
    free(data);
}

static jintro *live_intro(napi_env env, napi_value self)
{
    jintro *ji = js_native(env, self);
    if (!ji || !ji->intro) {
        js_throw(env, PSC_ERR_CLOSED, "introspector");
        return NULL;
    }
    return ji;
}

/* new Introspector({implementation, version, platform, peerId, eventRing, maxEventSize, logLevel, onLog}) */
static napi_value intro_ctor(napi_env env, napi_callback_info info)
{
    napi_value argv[1], self;
    if (!js_args(env, info, 1, argv, &self, NULL))
        return NULL;
    js_scratch s = {0};
    psc_config cfg = PSC_CONFIG_INIT;
    uint64_t ring = 0, max_size = 0;
    int level = PSC_LOG_WARN;
    napi_value on_log_fn = js_prop(env, argv[0], "onLog");
    bool ok = js_get_str(env, &s, argv[0], "implementation", &cfg.runtime.implementation) &&
              js_get_str(env, &s, argv[0], "version", &cfg.runtime.version) &&
              js_get_str(env, &s, argv[0], "platform", &cfg.runtime.platform) &&
              js_get_str(env, &s, argv[0], "peerId", &cfg.runtime.peer_id) &&
              js_get_u64(env, argv[0], "eventRing", &ring) && js_get_u64(env, argv[0], "maxEventSize", &max_size) &&
              js_get_enum(env, argv[0], "logLevel", level_names, 4, &level);
    if (ok && !js_absent(env, on_log_fn) && !js_is(env, on_log_fn, napi_function)) {
        js_type_error(env, "onLog must be a function");
        ok = false;
    }
    jintro *ji = ok ? calloc(1, sizeof *ji) : NULL;
    if (ok && !ji)
        js_throw(env, PSC_ERR_NOMEM, "Introspector");
    if (ji && !js_absent(env, on_log_fn)) {
        napi_value name = js_string(env, "peerscope log");
        if (napi_create_threadsafe_function(env, on_log_fn, NULL, name, 1024, 1, NULL, NULL, NULL, log_to_js,
                                            &ji->log) != napi_ok) {
            js_throw(env, PSC_ERR_NOMEM, "onLog");
            free(ji);
            ji = NULL;
        } else {
            napi_unref_threadsafe_function(env, ji->log); /* a log callback does not keep Node alive */
            cfg.log = on_log;
            cfg.log_user = ji;
        }
    }
    if (ji) {
        cfg.event_ring_capacity = (size_t)ring;
        cfg.max_event_size = (size_t)max_size;
        cfg.log_level = (psc_log_level)level;
        psc_err e = psc_introspector_new(&cfg, &ji->intro);
        if (e != PSC_OK) {
            if (ji->log)
                napi_release_threadsafe_function(ji->log, napi_tsfn_abort);
            free(ji);
            ji = NULL;
            js_throw(env, e, "Introspector");
        } else if (napi_wrap(env, self, ji, intro_finalize, NULL, NULL) != napi_ok) {
            intro_close(ji);
            free(ji);
            ji = NULL;
            js_throw(env, PSC_ERR_NOMEM, "Introspector");
        }
    }
    js_scratch_free(&s);
    return ji ? self : NULL;
}

static napi_value intro_close_js(napi_env env, napi_callback_info info)
{
    napi_value self;
    if (!js_args(env, info, 0, NULL, &self, NULL))
        return NULL;
    jintro *ji = js_native(env, self);
    if (ji)
        intro_close(ji);
    return js_undefined(env);
}

static napi_value intro_set_peer_id(napi_env env, napi_callback_info info)
{
    napi_value argv[1], self;
    if (!js_args(env, info, 1, argv, &self, NULL))
        return NULL;
    jintro *ji = live_intro(env, self);
    if (!ji)
        return NULL;
    js_scratch s = {0};
    const char *id = NULL;
    napi_value r = NULL;
    if (js_str(env, &s, argv[0], "peerId", &id)) {
        psc_err e = id ? psc_introspector_set_peer_id(ji->intro, id) : PSC_ERR_INVALID;
        r = e ? js_throw(env, e, "setPeerId") : js_undefined(env);
    }
    js_scratch_free(&s);
    return r;
}

static napi_value intro_now(napi_env env, napi_callback_info info)
{
    napi_value self;
    if (!js_args(env, info, 0, NULL, &self, NULL))
        return NULL;
    jintro *ji = live_intro(env, self);
    return ji ? js_number(env, (double)psc_introspector_now_ms(ji->intro)) : NULL;
}

static napi_value msg_bytes(napi_env env, psc_err e, psc_msg *m, const char *what)
{
    if (e != PSC_OK)
        return js_throw(env, e, what);
    size_t len;
    const uint8_t *p = psc_msg_payload(m, &len);
    napi_value r = js_copy_bytes(env, p, len);
    psc_msg_unref(m);
    return r;
}

/* snapshot(): the serialized ServerMessage{state}, as any client receives it (without the 12-byte header). */
static napi_value intro_snapshot(napi_env env, napi_callback_info info)
{
    napi_value self;
    if (!js_args(env, info, 0, NULL, &self, NULL))
        return NULL;
    jintro *ji = live_intro(env, self);
    if (!ji)
        return NULL;
    psc_msg *m = NULL;
    psc_err e = psc_introspector_snapshot(ji->intro, &m);
    return msg_bytes(env, e, m, "snapshot");
}

static napi_value intro_runtime(napi_env env, napi_callback_info info)
{
    napi_value self;
    if (!js_args(env, info, 0, NULL, &self, NULL))
        return NULL;
    jintro *ji = live_intro(env, self);
    if (!ji)
        return NULL;
    psc_msg *m = NULL;
    psc_err e = psc_introspector_runtime(ji->intro, &m);
    return msg_bytes(env, e, m, "runtime");
}

/* ------------------------------------------------------------ events */

static const char *const prop_type_names[] = {"string", "number", "time", "peerid", "multiaddr", "json"};
static const psc_prop_type prop_types[] = {PSC_PROP_STRING, PSC_PROP_NUMBER, PSC_PROP_TIME,
                                           PSC_PROP_PEERID, PSC_PROP_MULTIADDR, PSC_PROP_JSON};

static void evtype_finalize(napi_env env, void *data, void *hint)
{
    (void)hint;
    jevtype *t = data;
    napi_delete_reference(env, t->owner_ref);
    free(t);
}

static napi_value wrap_event_type(napi_env env, napi_value owner_obj, jintro *ji, const psc_event_type *type)
{
    jevtype *t = calloc(1, sizeof *t);
    if (!t)
        return js_throw(env, PSC_ERR_NOMEM, "event type");
    t->type = type;
    t->owner = ji;
    napi_value obj = js_child(env, owner_obj, &t->owner_ref, js_class_event_type, t, evtype_finalize);
    if (!obj) {
        free(t);
        return js_throw(env, PSC_ERR_NOMEM, "event type");
    }
    napi_set_named_property(env, obj, "name", js_string(env, psc_event_type_name(type)));
    return obj;
}

/* declareEvent(name, [{name, type, multiple}]) -> EventType */
static napi_value intro_declare_event(napi_env env, napi_callback_info info)
{
    napi_value argv[2], self;
    if (!js_args(env, info, 2, argv, &self, NULL))
        return NULL;
    jintro *ji = live_intro(env, self);
    if (!ji)
        return NULL;
    js_scratch s = {0};
    psc_event_def def = {0};
    uint32_t n = 0;
    bool is_array = false;
    napi_value r = NULL;
    if (!js_str(env, &s, argv[0], "name", &def.name) || !def.name) {
        js_type_error(env, "an event type needs a name");
        goto out;
    }
    if (!js_absent(env, argv[1]) && (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array)) {
        js_type_error(env, "properties must be an array");
        goto out;
    }
    if (is_array)
        napi_get_array_length(env, argv[1], &n);
    psc_prop_def *props = js_alloc(&s, (n ? n : 1) * sizeof *props);
    if (!props) {
        js_throw(env, PSC_ERR_NOMEM, "declareEvent");
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        napi_value p;
        int type = 0;
        props[i] = (psc_prop_def){0};
        napi_get_element(env, argv[1], i, &p);
        if (!js_get_str(env, &s, p, "name", &props[i].name) || !props[i].name ||
            !js_get_enum(env, p, "type", prop_type_names, 6, &type) ||
            !js_get_bool(env, p, "multiple", &props[i].multiple)) {
            js_type_error(env, "property %u needs a name and a type", (unsigned)i);
            goto out;
        }
        props[i].type = prop_types[type];
    }
    def.props = props;
    def.n_props = n;
    const psc_event_type *type;
    psc_err e = psc_event_declare(ji->intro, &def, &type);
    r = e ? js_throw(env, e, "declareEvent") : wrap_event_type(env, self, ji, type);
out:
    js_scratch_free(&s);
    return r;
}

/* declareWellKnown(): the library's well-known types (PeerConnected, ...), then lookupEvent(name). */
static napi_value intro_declare_well_known(napi_env env, napi_callback_info info)
{
    napi_value self;
    if (!js_args(env, info, 0, NULL, &self, NULL))
        return NULL;
    jintro *ji = live_intro(env, self);
    if (!ji)
        return NULL;
    psc_err e = psc_event_declare_well_known(ji->intro);
    return e ? js_throw(env, e, "declareWellKnown") : js_undefined(env);
}

static napi_value intro_lookup_event(napi_env env, napi_callback_info info)
{
    napi_value argv[1], self;
    if (!js_args(env, info, 1, argv, &self, NULL))
        return NULL;
    jintro *ji = live_intro(env, self);
    if (!ji)
        return NULL;
    js_scratch s = {0};
    const char *name = NULL;
    napi_value r = NULL;
    if (js_str(env, &s, argv[0], "name", &name) && name) {
        const psc_event_type *type;
        r = psc_event_lookup(ji->intro, name, &type) == PSC_OK ? wrap_event_type(env, self, ji, type)
                                                               : js_undefined(env);
    } else if (!js_pending(env)) {
        js_type_error(env, "name must be a string");
    }
    js_scratch_free(&s);
    return r;
}

/* JSON.stringify(v) into scratch. */
static bool json_of(napi_env env, js_scratch *s, napi_value v, const char **out)
{
    napi_value global, json, stringify, str;
    if (napi_get_global(env, &global) != napi_ok || napi_get_named_property(env, global, "JSON", &json) != napi_ok ||
        napi_get_named_property(env, json, "stringify", &stringify) != napi_ok ||
        napi_call_function(env, json, stringify, 1, &v, &str) != napi_ok)
        return false;
    return js_str(env, s, str, "JSON value", out);
}

/* One property's JS value as a psc_value of its declared type. */
static bool event_value(napi_env env, js_scratch *s, const psc_prop_def *d, napi_value v, psc_value *out)
{
    *out = (psc_value){.absent = true};
    if (js_absent(env, v))
        return true;
    bool is_array = false;
    napi_is_array(env, v, &is_array);
    if (d->multiple) {
        uint32_t n = 0;
        if (!is_array || napi_get_array_length(env, v, &n) != napi_ok) {
            js_type_error(env, "%s takes an array", d->name);
            return false;
        }
        out->absent = false;
        out->count = n;
        if (d->type == PSC_PROP_NUMBER || d->type == PSC_PROP_TIME) {
            double *nums = js_alloc(s, (n ? n : 1) * sizeof *nums);
            uint64_t *times = js_alloc(s, (n ? n : 1) * sizeof *times);
            if (!nums || !times)
                return false;
            for (uint32_t i = 0; i < n; i++) {
                napi_value e;
                napi_get_element(env, v, i, &e);
                nums[i] = 0;
                if (!js_f64(env, e, d->name, &nums[i]))
                    return false;
                times[i] = nums[i] > 0 ? (uint64_t)nums[i] : 0;
            }
            if (d->type == PSC_PROP_NUMBER)
                out->u.nums = nums;
            else
                out->u.times = times;
            return true;
        }
        const char **strs = js_alloc(s, (n ? n : 1) * sizeof *strs);
        if (!strs)
            return false;
        for (uint32_t i = 0; i < n; i++) {
            napi_value e;
            napi_get_element(env, v, i, &e);
            strs[i] = NULL;
            bool ok = d->type == PSC_PROP_JSON && !js_is(env, e, napi_string) ? json_of(env, s, e, &strs[i])
                                                                             : js_str(env, s, e, d->name, &strs[i]);
            if (!ok)
                return false;
        }
        out->u.strs = strs;
        return true;
    }
    out->absent = false;
    switch (d->type) {
    case PSC_PROP_NUMBER: return js_f64(env, v, d->name, &out->u.num);
    case PSC_PROP_TIME: return js_u64(env, v, d->name, &out->u.time);
    case PSC_PROP_JSON:
        if (!js_is(env, v, napi_string))
            return json_of(env, s, v, &out->u.str);
        return js_str(env, s, v, d->name, &out->u.str);
    default: return js_str(env, s, v, d->name, &out->u.str);
    }
}

/* emit(type, {prop: value, ...}[, tsMs]): properties by name; absent ones are left out. */
static napi_value intro_emit(napi_env env, napi_callback_info info)
{
    napi_value argv[3], self;
    if (!js_args(env, info, 3, argv, &self, NULL))
        return NULL;
    jintro *ji = live_intro(env, self);
    if (!ji)
        return NULL;
    jevtype *t = js_native(env, argv[0]);
    if (!t || t->owner != ji)
        return js_type_error(env, "emit needs an event type of this introspector");
    size_t n = psc_event_type_prop_count(t->type);
    js_scratch s = {0};
    napi_value r = NULL;
    psc_value *vals = js_alloc(&s, (n ? n : 1) * sizeof *vals);
    bool ok = vals != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        const psc_prop_def *d = psc_event_type_prop(t->type, i);
        ok = event_value(env, &s, d, js_prop(env, argv[1], d->name), &vals[i]);
    }
    uint64_t ts = 0;
    if (ok)
        ok = js_u64(env, argv[2], "ts", &ts);
    if (ok) {
        psc_err e = ts ? psc_emit_at(ji->intro, t->type, ts, vals, n) : psc_emit(ji->intro, t->type, vals, n);
        r = e ? js_throw(env, e, "emit") : js_undefined(env);
    } else if (!js_pending(env)) {
        js_throw(env, PSC_ERR_NOMEM, "emit");
    }
    js_scratch_free(&s);
    return r;
}

/* ------------------------------------------------------------ endpoint */

static void endpoint_finalize(napi_env env, void *data, void *hint)
{
    (void)hint;
    jendpoint *e = data;
    /* still listed by an open introspector: it frees the endpoint at close */
    if (e->ep && e->owner->intro) {
        jendpoint **pp = &e->owner->endpoints;
        while (*pp && *pp != e)
            pp = &(*pp)->next;
        if (*pp)
            *pp = e->next;
        psc_endpoint_free(e->ep);
    }
    napi_delete_reference(env, e->owner_ref);
    free(e);
}

static napi_value endpoint_close(napi_env env, napi_callback_info info)
{
    napi_value self;
    if (!js_args(env, info, 0, NULL, &self, NULL))
        return NULL;
    jendpoint *e = js_native(env, self);
    if (e && e->ep) {
        jendpoint **pp = &e->owner->endpoints;
        while (*pp && *pp != e)
            pp = &(*pp)->next;
        if (*pp)
            *pp = e->next;
        psc_endpoint_free(e->ep);
        e->ep = NULL;
    }
    return js_undefined(env);
}

static napi_value endpoint_sessions(napi_env env, napi_callback_info info)
{
    napi_value self;
    if (!js_args(env, info, 0, NULL, &self, NULL))
        return NULL;
    jendpoint *e = js_native(env, self);
    if (!e || !e->ep)
        return js_throw(env, PSC_ERR_CLOSED, "endpoint");
    return js_number(env, (double)psc_endpoint_session_count(e->ep));
}

/*
 * listen({bind, port, path, token, allowedOrigins, tlsCert, tlsKey,
 *         insecureAllowUnauthenticatedRemote, maxMessageSize, fragmentSize,
 *         assetsDir, maxSessions}) -> Endpoint {port, url, close(), sessions()}
 */
static napi_value intro_listen(napi_env env, napi_callback_info info)
{
    napi_value argv[1], self;
    if (!js_args(env, info, 1, argv, &self, NULL))
        return NULL;
    jintro *ji = live_intro(env, self);
    if (!ji)
        return NULL;
    js_scratch s = {0};
    psc_ws_config c = PSC_WS_CONFIG_INIT;
    psc_endpoint_options o = PSC_ENDPOINT_OPTIONS_INIT;
    uint32_t port = 0;
    uint64_t max_msg = 0, frag = 0, max_sessions = 0;
    napi_value r = NULL;
    bool ok = js_get_str(env, &s, argv[0], "bind", &c.bind_address) && js_get_u32(env, argv[0], "port", &port) &&
              js_get_str(env, &s, argv[0], "path", &c.path) &&
              js_get_str(env, &s, argv[0], "token", &c.access_token) &&
              js_get_strv(env, &s, argv[0], "allowedOrigins", &c.allowed_origins, &c.n_allowed_origins) &&
              js_get_str(env, &s, argv[0], "tlsCert", &c.tls_cert_path) &&
              js_get_str(env, &s, argv[0], "tlsKey", &c.tls_key_path) &&
              js_get_bool(env, argv[0], "insecureAllowUnauthenticatedRemote",
                          &c.insecure_allow_unauthenticated_remote) &&
              js_get_u64(env, argv[0], "maxMessageSize", &max_msg) &&
              js_get_u64(env, argv[0], "fragmentSize", &frag) &&
              js_get_str(env, &s, argv[0], "assetsDir", &c.assets_dir) &&
              js_get_u64(env, argv[0], "maxSessions", &max_sessions);
    if (ok && port > 65535) {
        js_type_error(env, "port must be below 65536");
        ok = false;
    }
    jendpoint *je = NULL;
    if (ok) {
        c.port = (uint16_t)port;
        c.max_message_size = (size_t)max_msg;
        c.fragment_size = (size_t)frag;
        o.max_sessions = (size_t)max_sessions;
        c.options = &o;
        je = calloc(1, sizeof *je);
        psc_err e = je ? psc_ws_endpoint_new(ji->intro, &c, &je->ep) : PSC_ERR_NOMEM;
        if (e == PSC_OK && (e = psc_endpoint_start(je->ep)) != PSC_OK)
            psc_endpoint_free(je->ep);
        if (e != PSC_OK) {
            free(je);
            je = NULL;
            js_throw(env, e, "listen");
        }
    }
    if (je) {
        je->owner = ji;
        uint16_t bound = 0;
        char url[512] = "";
        psc_ws_port(je->ep, &bound);
        psc_endpoint_listen_addr(je->ep, 0, url, sizeof url);
        if (!(r = js_child(env, self, &je->owner_ref, js_class_endpoint, je, endpoint_finalize))) {
            psc_endpoint_free(je->ep);
            free(je);
            r = js_throw(env, PSC_ERR_NOMEM, "listen");
        } else {
            je->next = ji->endpoints;
            ji->endpoints = je;
            napi_set_named_property(env, r, "port", js_number(env, bound));
            napi_set_named_property(env, r, "url", js_string(env, url));
        }
    }
    js_scratch_free(&s);
    return r;
}

/* table({name, maxPending}) -> Table */
static napi_value intro_table(napi_env env, napi_callback_info info)
{
    napi_value argv[1], self;
    if (!js_args(env, info, 1, argv, &self, NULL))
        return NULL;
    jintro *ji = live_intro(env, self);
    return ji ? js_table_new(env, self, ji, argv[0]) : NULL;
}

/* ------------------------------------------------------------ module */

static napi_value version(napi_env env, napi_callback_info info)
{
    (void)info;
    return js_string(env, psc_version_string());
}

#define METHOD(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_default, NULL}

static napi_value init(napi_env env, napi_value exports)
{
    static const napi_property_descriptor intro_methods[] = {
        METHOD("close", intro_close_js),
        METHOD("setPeerId", intro_set_peer_id),
        METHOD("now", intro_now),
        METHOD("snapshot", intro_snapshot),
        METHOD("runtime", intro_runtime),
        METHOD("declareEvent", intro_declare_event),
        METHOD("declareWellKnown", intro_declare_well_known),
        METHOD("lookupEvent", intro_lookup_event),
        METHOD("emit", intro_emit),
        METHOD("listen", intro_listen),
        METHOD("table", intro_table),
    };
    static const napi_property_descriptor endpoint_methods[] = {
        METHOD("close", endpoint_close),
        METHOD("sessions", endpoint_sessions),
    };
    napi_value v;
    if (!js_define_class(env, exports, "Introspector", intro_ctor, intro_methods,
                         sizeof intro_methods / sizeof intro_methods[0], &class_intro) ||
        !js_define_class(env, exports, "Endpoint", NULL, endpoint_methods,
                         sizeof endpoint_methods / sizeof endpoint_methods[0], &js_class_endpoint) ||
        !js_define_class(env, exports, "EventType", NULL, NULL, 0, &js_class_event_type) ||
        !js_table_init(env, exports) || napi_create_function(env, "version", NAPI_AUTO_LENGTH, version, NULL, &v) ||
        napi_set_named_property(env, exports, "version", v) != napi_ok)
        return NULL;
    return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
