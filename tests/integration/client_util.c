#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "client_util.h"
#include "test_host.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "peerscope/wire.h"

uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void quiet_lws(void)
{
    const char *v = getenv("PSC_TEST_LWS_LOG");
    lws_set_log_level(v ? atoi(v) : 0, NULL);
}

test_host *host_fixture(void **state, const test_host_opts *o)
{
    test_host *h = host_new(o);
    assert_non_null(h);
    *state = h;
    return h;
}

int host_teardown(void **state)
{
    host_free(*state);
    return 0;
}

psc_client *watch_host(test_host *h, psc_client_loop *loop, rec *r, uint64_t interval_ms, bool omit_version)
{
    psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
    cfg.url = h->url;
    cfg.loop = loop;
    cfg.callbacks = &rec_callbacks;
    cfg.user = r;
    cfg.omit_version = omit_version;
    psc_client *c = NULL;
    assert_int_equal(psc_client_new(&cfg, &c), PSC_OK);
    psc_client_settings s = {120000, interval_ms};
    assert_int_equal(psc_client_hello(c, &s, NULL), PSC_OK);
    assert_int_equal(psc_client_push_enable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, NULL), PSC_OK);
    if (interval_ms)
        assert_int_equal(psc_client_push_enable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, NULL), PSC_OK);
    return c;
}

typedef struct sessions_wait {
    test_host *h;
    size_t n;
} sessions_wait;

static bool cond_sessions(void *arg)
{
    sessions_wait *w = arg;
    return psc_endpoint_session_count(w->h->ep) == w->n;
}

bool wait_sessions(psc_client_loop *loop, test_host *h, size_t n, int timeout_ms)
{
    sessions_wait w = {h, n};
    return wait_loop(loop, cond_sessions, &w, timeout_ms);
}

int psc_it_run_tests(const char *group, const struct CMUnitTest *tests, size_t n)
{
    quiet_lws();
    if (getenv("PSC_TEST_FILTER"))
        cmocka_set_test_filter(getenv("PSC_TEST_FILTER"));
    return _cmocka_run_group_tests(group, tests, n, NULL, NULL);
}

void rec_init(rec *r)
{
    memset(r, 0, sizeof *r);
}

static rec_item *push(rec *r, char kind)
{
    static rec_item overflow;
    if (r->n >= REC_MAX) {
        memset(&overflow, 0, sizeof overflow);
        return &overflow;
    }
    rec_item *it = &r->items[r->n++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    return it;
}

static void on_open(void *user, psc_client *c)
{
    rec *r = user;
    (void)c;
    r->opens++;
    push(r, 'o');
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool frame_ok(const uint8_t *f, size_t len)
{
    if (len < 12 || le32(f) != 1 || le32(f + 8) != len - 12)
        return false;
    uint32_t h = 2166136261u;
    for (size_t i = 12; i < len; i++) {
        h ^= f[i];
        h *= 16777619u;
    }
    return h == le32(f + 4);
}

static void on_frame(void *user, psc_client *c, const uint8_t *frame, size_t len)
{
    rec *r = user;
    (void)c;
    r->frames++;
    r->frame_bytes += len;
    if (r->check_frames && !frame_ok(frame, len))
        r->bad_frames++;
}

static void on_message(void *user, psc_client *c, const Peerscope__ServerMessage *m, const uint8_t *payload,
                       size_t len)
{
    rec *r = user;
    (void)payload;
    (void)len;
    r->messages++;
    char kind = '?';
    rec_item *it;
    switch (m->payload_case) {
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE:
        kind = 'R';
        it = push(r, kind);
        it->id = m->response->id;
        it->result = (int)m->response->result;
        snprintf(it->text, sizeof it->text, "%s", m->response->error ? m->response->error : "");
        if (m->response->effective_config) {
            it->has_config = true;
            it->retention = m->response->effective_config->retention_period_ms;
            it->interval = m->response->effective_config->state_snapshot_interval_ms;
        }
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE:
        it = push(r, 'S');
        it->id = m->state->seq;
        it->count = m->state->subsystems ? m->state->subsystems->n_connections : 0;
        it->result = (int)m->state->n_provider_errors;
        if (m->state->n_provider_errors)
            snprintf(it->text, sizeof it->text, "%s: %s", m->state->provider_errors[0]->provider,
                     m->state->provider_errors[0]->error);
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME:
        it = push(r, 'T');
        snprintf(it->text, sizeof it->text, "%s", m->runtime->implementation ? m->runtime->implementation : "");
        it->count = m->runtime->n_event_types;
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT:
        it = push(r, 'E');
        it->id = m->event->seq;
        snprintf(it->text, sizeof it->text, "%s",
                 m->event->type && m->event->type->name ? m->event->type->name : "");
        it->count = m->event->type ? m->event->type->n_property_types : 0;
        if (m->event->seq && m->event->seq <= r->last_event_seq)
            r->events_out_of_order++;
        if (m->event->seq)
            r->last_event_seq = m->event->seq;
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE:
        it = push(r, 'N');
        it->id = m->notice->dropped;
        r->notice_dropped += m->notice->dropped;
        break;
    default:
        push(r, '?');
        break;
    }
    if (r->free_on_message && r->self) {
        psc_client_free(r->self);
        r->self = NULL;
    }
}

static void on_response(void *user, psc_client *c, const Peerscope__CommandResponse *resp)
{
    rec *r = user;
    (void)c;
    (void)resp;
    r->responses++;
}

static void on_state(void *user, psc_client *c, const Peerscope__State *s)
{
    rec *r = user;
    (void)c;
    (void)s;
    r->states++;
}

static void on_runtime(void *user, psc_client *c, const Peerscope__Runtime *rt)
{
    rec *r = user;
    (void)c;
    (void)rt;
    r->runtimes++;
}

static void on_event(void *user, psc_client *c, const Peerscope__Event *e)
{
    rec *r = user;
    (void)c;
    (void)e;
    r->events++;
}

static void on_notice(void *user, psc_client *c, const Peerscope__ServerNotice *n)
{
    rec *r = user;
    (void)c;
    (void)n;
    r->notices++;
}

static void on_error(void *user, psc_client *c, psc_err err, const char *reason)
{
    rec *r = user;
    (void)c;
    r->errors++;
    rec_item *it = push(r, 'x');
    it->err = err;
    snprintf(it->text, sizeof it->text, "%s", reason);
}

static void on_close(void *user, psc_client *c, psc_err err, int code, const char *reason)
{
    rec *r = user;
    (void)c;
    r->closes++;
    r->last_close_err = err;
    r->last_close_code = code;
    snprintf(r->last_close_reason, sizeof r->last_close_reason, "%s", reason);
    rec_item *it = push(r, 'c');
    it->err = err;
    it->code = code;
    snprintf(it->text, sizeof it->text, "%s", reason);
}

const psc_client_callbacks rec_callbacks = {
    sizeof(psc_client_callbacks), on_open, on_frame, on_message, on_response, on_state,
    on_runtime, on_event, on_notice, on_error, on_close,
};

size_t rec_count(const rec *r, char kind)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->items[i].kind == kind)
            n++;
    return n;
}

long rec_find(const rec *r, char kind, size_t from)
{
    for (size_t i = from; i < r->n; i++)
        if (r->items[i].kind == kind)
            return (long)i;
    return -1;
}

const rec_item *rec_response(const rec *r, uint64_t id)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->items[i].kind == 'R' && r->items[i].id == id)
            return &r->items[i];
    return NULL;
}

bool wait_loop(psc_client_loop *loop, wait_cond cond, void *arg, int timeout_ms)
{
    uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
    while (!cond(arg)) {
        uint64_t now = now_ms();
        if (now >= deadline)
            return false;
        uint64_t left = deadline - now;
        if (psc_client_loop_poll(loop, left > 50 ? 50 : (int)left) != PSC_OK)
            return cond(arg);
    }
    return true;
}

bool cond_closed(void *rec_)
{
    return ((rec *)rec_)->closes > 0;
}

bool cond_open(void *rec_)
{
    rec *r = rec_;
    return r->opens > 0 || r->closes > 0;
}

uint8_t *frame_msg(const Peerscope__ServerMessage *m, size_t *len)
{
    size_t n = peerscope__server_message__get_packed_size(m);
    uint8_t *f = malloc(12 + n);
    if (!f)
        return NULL;
    peerscope__server_message__pack(m, f + 12);
    psc_frame_header(f, f + 12, n);
    *len = 12 + n;
    return f;
}

typedef struct kind_wait {
    rec *r;
    char kind;
    size_t n;
    uint64_t id;
} kind_wait;

static bool cond_kind(void *arg)
{
    kind_wait *w = arg;
    return rec_count(w->r, w->kind) >= w->n;
}

bool wait_kind(psc_client_loop *loop, rec *r, char kind, size_t n, int timeout_ms)
{
    kind_wait w = {r, kind, n, 0};
    return wait_loop(loop, cond_kind, &w, timeout_ms);
}

static bool cond_resp(void *arg)
{
    kind_wait *w = arg;
    return rec_response(w->r, w->id) != NULL;
}

const rec_item *wait_response(psc_client_loop *loop, rec *r, uint64_t id, int timeout_ms)
{
    kind_wait w = {r, 'R', 0, id};
    wait_loop(loop, cond_resp, &w, timeout_ms);
    return rec_response(r, id);
}

typedef struct counter_wait {
    const size_t *counter;
    size_t n;
} counter_wait;

static bool cond_counter(void *arg)
{
    counter_wait *w = arg;
    return *w->counter >= w->n;
}

bool wait_counter(psc_client_loop *loop, const size_t *counter, size_t n, int timeout_ms)
{
    counter_wait w = {counter, n};
    return wait_loop(loop, cond_counter, &w, timeout_ms);
}
