/*
 * Running one provider's collect into the snapshot being built: its
 * contributions go to builder-local lists first and join the snapshot only
 * when collect succeeds; on failure the arena is rewound to where it was
 * and a ProviderError is recorded instead.
 */
#include <stdarg.h>
#include <stdio.h>

#include "core/collect.h"
#include "core/collector.h"

uint64_t psc_collect_now_ms(const psc_collect *ctx)
{
    return ctx ? ctx->now_ms : 0;
}

psc_err psc_collect_fail(psc_collect *ctx, const char *fmt, ...)
{
    if (!ctx || !fmt)
        return PSC_ERR_PROVIDER;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(ctx->reason, sizeof ctx->reason, fmt, ap);
    va_end(ap);
    ctx->has_reason = n >= 0;
    if (n < 0)
        ctx->reason[0] = '\0';
    /* the reason goes on the wire as a string: a cut through a character,
     * or bytes from the provider that are not UTF-8, must not spoil it */
    psc__text_sanitize(ctx->reason, strlen(ctx->reason));
    return PSC_ERR_PROVIDER;
}

const char *psc__kind_name(psc__kind kind)
{
    switch (kind) {
    case PSC__KIND_SWARM: return "swarm";
    case PSC__KIND_DHT: return "dht";
    case PSC__KIND_PUBSUB: return "pubsub";
    case PSC__KIND_PEERSTORE: return "peerstore";
    case PSC__KIND_RCMGR: return "resource_manager";
    case PSC__KIND_CUSTOM: return "custom";
    }
    return "unknown";
}

static const char *display_name(const psc_provider *p)
{
    return p->name ? p->name : psc__kind_name(p->kind);
}

static psc_err record_error(psc__build *bld, const psc_provider *p, const psc_collect *ctx, psc_err code)
{
    const char *reason = ctx->has_reason ? ctx->reason : psc_strerror(code);
    psc__log(bld->intro, PSC_LOG_WARN, "provider %s (%s) failed: %s (%d)", display_name(p),
             psc__kind_name(p->kind), reason, (int)code);
    psc__arena *ar = bld->arena;
    psc__error_rec *r = psc__arena_zalloc(ar, sizeof *r);
    if (!r)
        return PSC_ERR_NOMEM;
    psc_err e;
    if ((e = psc__copy_str(ar, display_name(p), &r->provider)) != PSC_OK ||
        (e = psc__copy_str(ar, psc__kind_name(p->kind), &r->subsystem)) != PSC_OK ||
        (e = psc__copy_str(ar, reason, &r->reason)) != PSC_OK)
        return e;
    r->code = code;
    psc__list_push(&bld->snap->errors, &r->node);
    return PSC_OK;
}

/* The section stays, cut at the cap: say so, as an error with TOO_BIG. */
static psc_err record_truncated(psc__build *bld, const psc_provider *p, size_t cap, size_t refused)
{
    psc_collect ctx = {0};
    psc_collect_fail(&ctx, "too many entities: %zu over the cap of %zu per collect were left out", refused, cap);
    return record_error(bld, p, &ctx, PSC_ERR_TOO_BIG);
}

static void sum_traffic(psc_traffic *t, const psc_traffic *add)
{
    t->in.bytes += add->in.bytes;
    t->in.packets += add->in.packets;
    t->in.rate += add->in.rate;
    t->out.bytes += add->out.bytes;
    t->out.packets += add->out.packets;
    t->out.rate += add->out.rate;
}

/* Counter sections of several swarm providers add up (one host, several swarms). */
static void merge_swarm(psc__snap *s, const psc_swarm_builder *sb)
{
    psc__list_splice(&s->conns, &sb->conns);
    psc__list_splice(&s->transports, &sb->transports);
    psc__list_splice(&s->dials, &sb->dials);
    psc__list_splice(&s->ping_peers, &sb->ping_peers);
    if (sb->has_dialer) {
        s->has_dialer = true;
        s->dialer.in_flight += sb->dialer.in_flight;
        s->dialer.success += sb->dialer.success;
        s->dialer.error += sb->dialer.error;
        s->dialer.timeout += sb->dialer.timeout;
        s->dialer.canceled += sb->dialer.canceled;
        s->dialer.backoff += sb->dialer.backoff;
    }
    if (sb->has_identify) {
        s->has_identify = true;
        s->identify.requests_in += sb->identify.requests_in;
        s->identify.requests_out += sb->identify.requests_out;
        s->identify.pushes_in += sb->identify.pushes_in;
        s->identify.pushes_out += sb->identify.pushes_out;
        s->identify.errors += sb->identify.errors;
    }
    if (sb->has_relay) {
        s->has_relay = true;
        s->relay.reservations_active += sb->relay.reservations_active;
        s->relay.circuits_active += sb->relay.circuits_active;
        s->relay.reservations_total += sb->relay.reservations_total;
        s->relay.circuits_total += sb->relay.circuits_total;
        s->relay.hole_punch_attempts += sb->relay.hole_punch_attempts;
        s->relay.hole_punch_successes += sb->relay.hole_punch_successes;
        s->relay.hole_punch_failures += sb->relay.hole_punch_failures;
    }
    if (sb->has_ping) {
        s->has_ping = true;
        s->pings_sent += sb->pings_sent;
        s->ping_failures += sb->ping_failures;
    }
    if (sb->has_traffic) {
        s->has_traffic = true;
        sum_traffic(&s->traffic, &sb->traffic);
    }
}

/* Builders write to the call's copy of the build (same arena): after a
 * missed deadline the collect may still use them, with this thread gone. */
static psc_err setup_call(psc__build *bld, psc__call *c)
{
    psc__build *cb = &c->bld;
    switch (c->p->kind) {
    case PSC__KIND_SWARM:
        c->b.swarm.bld = cb;
        c->b.swarm.epoch = bld->epoch;
        c->b.swarm.conn_map = &c->conn_map;
        break;
    case PSC__KIND_DHT:
        c->b.dht.bld = cb;
        c->b.dht.dht = psc__arena_zalloc(bld->arena, sizeof *c->b.dht.dht);
        if (!c->b.dht.dht)
            return PSC_ERR_NOMEM;
        break;
    case PSC__KIND_PUBSUB:
        c->b.pubsub.bld = cb;
        c->b.pubsub.epoch = bld->epoch;
        break;
    case PSC__KIND_PEERSTORE: c->b.peerstore.bld = cb; break;
    case PSC__KIND_RCMGR: c->b.rcmgr.bld = cb; break;
    case PSC__KIND_CUSTOM: c->b.custom.bld = cb; break;
    }
    return PSC_OK;
}

static psc_err finish_swarm(psc__build *bld, psc__call *c, const psc__baseline *old, psc__baseline *fresh)
{
    psc_swarm_builder *sb = &c->b.swarm;
    psc_err e = psc__retain(bld, sb, old);
    if (e != PSC_OK) {
        c->ctx.has_reason = false;
        return e;
    }
    fresh->serial = c->p->serial;
    fresh->view = bld->view;
    fresh->first = sb->conns.head;
    fresh->n = sb->conns.n;
    merge_swarm(bld->snap, sb);
    return PSC_OK;
}

static psc_err finish_dht(psc__build *bld, psc__call *c)
{
    psc_dht_builder *db = &c->b.dht;
    if (!db->dht->name.p && c->p->name) {
        /* several DHTs need telling apart: fall back to the provider's name */
        psc_err e = psc__copy_str(bld->arena, c->p->name, &db->dht->name);
        if (e != PSC_OK) {
            c->ctx.has_reason = false;
            return e;
        }
    }
    psc__snap *s = bld->snap;
    if (!s->dht_slot_used)
        s->dht = db->dht;
    else
        psc__list_push(&s->extra_dhts, &db->dht->node);
    return PSC_OK;
}

static void finish_pubsub(psc__build *bld, psc__call *c)
{
    psc_pubsub_builder *pb = &c->b.pubsub;
    psc__snap *s = bld->snap;
    s->has_pubsub = true;
    if (pb->router_set && !s->router_set) {
        s->router_set = true;
        s->router = pb->router;
        s->router_protocol = pb->protocol;
    }
    psc__list_splice(&s->topics, &pb->topics);
}

static psc_err finish_custom(psc__build *bld, psc__call *c)
{
    psc__custom_rec *r = psc__arena_zalloc(bld->arena, sizeof *r);
    if (!r || psc__copy_str(bld->arena, c->p->name, &r->name) != PSC_OK) {
        c->ctx.has_reason = false;
        return PSC_ERR_NOMEM;
    }
    r->values = c->b.custom.values;
    psc__list_push(&bld->snap->customs, &r->node);
    return PSC_OK;
}

/* What a successful collect reported joins the snapshot. */
static psc_err finish_call(psc__build *bld, psc__call *c, const psc__baseline *old, psc__baseline *fresh)
{
    psc__snap *s = bld->snap;
    switch (c->p->kind) {
    case PSC__KIND_SWARM: return finish_swarm(bld, c, old, fresh);
    case PSC__KIND_DHT: return finish_dht(bld, c);
    case PSC__KIND_PUBSUB: finish_pubsub(bld, c); return PSC_OK;
    case PSC__KIND_PEERSTORE:
        s->has_peerstore = true;
        psc__list_splice(&s->peers, &c->b.peerstore.peers);
        return PSC_OK;
    case PSC__KIND_RCMGR:
        s->has_rcmgr = true;
        psc__list_splice(&s->scopes, &c->b.rcmgr.scopes);
        return PSC_OK;
    case PSC__KIND_CUSTOM: return finish_custom(bld, c);
    }
    return PSC_ERR_INVALID;
}

psc_err psc__run_provider(psc__build *bld, psc_provider *p, const psc__baseline *old, psc__baseline *fresh,
                          bool *ok)
{
    *ok = false;
    psc__arena_mark mark = psc__arena_mark_get(bld->arena);
    bld->epoch++;
    psc__call *c = psc__collector_prepare(bld->intro, bld, p);
    if (!c)
        return PSC_ERR_NOMEM;
    psc_err e = setup_call(bld, c);
    if (e == PSC_OK) {
        if (psc__collector_run(bld->intro, c) == PSC_ERR_TIMEOUT)
            return PSC_ERR_TIMEOUT; /* c and the arena are the late collect's now */
        e = c->result;
        if (e == PSC_OK)
            e = finish_call(bld, c, old, fresh);
    }
    /* no builder handle of this call may be used any more */
    bld->epoch++;
    if (p->kind == PSC__KIND_DHT)
        bld->snap->dht_slot_used = true; /* the first DHT keeps its slot even when it fails */
    *ok = e == PSC_OK;
    if (e == PSC_OK)
        return c->bld.refused ? record_truncated(bld, p, c->bld.max_entities, c->bld.refused) : PSC_OK;
    psc__arena_rewind(bld->arena, mark);
    return record_error(bld, p, &c->ctx, e);
}

psc_err psc__skip_hung(psc__build *bld, psc_provider *p, uint64_t hung_since_ms)
{
    psc_collect ctx = {0};
    uint64_t late = bld->now_ms > hung_since_ms ? bld->now_ms - hung_since_ms : 0;
    psc_collect_fail(&ctx, "timeout: collect did not return within %u ms (%llu ms ago); skipped until it does",
                     (unsigned)bld->intro->collect_timeout_ms, (unsigned long long)late);
    return record_error(bld, p, &ctx, PSC_ERR_TIMEOUT);
}
