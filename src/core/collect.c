/*
 * Running one provider's collect into the snapshot being built: its
 * contributions go to builder-local lists first and join the snapshot only
 * when collect succeeds; on failure the arena is rewound to where it was
 * and a ProviderError is recorded instead.
 */
#include <stdarg.h>
#include <stdio.h>

#include "core/collect.h"

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

static psc_err run_swarm(psc__build *bld, psc_provider *p, psc_collect *ctx, const psc__baseline *old,
                         psc__baseline *fresh)
{
    psc_introspector *intro = bld->intro;
    psc_swarm_builder sb = {0};
    sb.bld = bld;
    sb.epoch = bld->epoch;
    sb.conn_map = &intro->conn_map;
    psc__idmap_reset(sb.conn_map);
    psc_err e = p->collect.swarm(p->user, ctx, &sb);
    if (e != PSC_OK)
        return e;
    if ((e = psc__retain(bld, &sb, old)) != PSC_OK) {
        ctx->has_reason = false;
        return e;
    }
    fresh->serial = p->serial;
    fresh->view = bld->view;
    fresh->first = sb.conns.head;
    fresh->n = sb.conns.n;
    merge_swarm(bld->snap, &sb);
    return PSC_OK;
}

static psc_err run_dht(psc__build *bld, psc_provider *p, psc_collect *ctx)
{
    psc_dht_builder db = {0};
    db.bld = bld;
    db.dht = psc__arena_zalloc(bld->arena, sizeof *db.dht);
    if (!db.dht)
        return PSC_ERR_NOMEM;
    psc_err e = p->collect.dht(p->user, ctx, &db);
    if (e != PSC_OK)
        return e;
    if (!db.dht->name.p && p->name) {
        /* several DHTs need telling apart: fall back to the provider's name */
        if ((e = psc__copy_str(bld->arena, p->name, &db.dht->name)) != PSC_OK) {
            ctx->has_reason = false;
            return e;
        }
    }
    psc__snap *s = bld->snap;
    if (!s->dht_slot_used)
        s->dht = db.dht;
    else
        psc__list_push(&s->extra_dhts, &db.dht->node);
    return PSC_OK;
}

static psc_err run_pubsub(psc__build *bld, psc_provider *p, psc_collect *ctx)
{
    psc_pubsub_builder pb = {0};
    pb.bld = bld;
    pb.epoch = bld->epoch;
    psc_err e = p->collect.pubsub(p->user, ctx, &pb);
    if (e != PSC_OK)
        return e;
    psc__snap *s = bld->snap;
    s->has_pubsub = true;
    if (pb.router_set && !s->router_set) {
        s->router_set = true;
        s->router = pb.router;
        s->router_protocol = pb.protocol;
    }
    psc__list_splice(&s->topics, &pb.topics);
    return PSC_OK;
}

static psc_err run_peerstore(psc__build *bld, psc_provider *p, psc_collect *ctx)
{
    psc_peerstore_builder b = {0};
    b.bld = bld;
    psc_err e = p->collect.peerstore(p->user, ctx, &b);
    if (e != PSC_OK)
        return e;
    bld->snap->has_peerstore = true;
    psc__list_splice(&bld->snap->peers, &b.peers);
    return PSC_OK;
}

static psc_err run_rcmgr(psc__build *bld, psc_provider *p, psc_collect *ctx)
{
    psc_rcmgr_builder b = {0};
    b.bld = bld;
    psc_err e = p->collect.rcmgr(p->user, ctx, &b);
    if (e != PSC_OK)
        return e;
    bld->snap->has_rcmgr = true;
    psc__list_splice(&bld->snap->scopes, &b.scopes);
    return PSC_OK;
}

static psc_err run_custom(psc__build *bld, psc_provider *p, psc_collect *ctx)
{
    psc_custom_builder b = {0};
    b.bld = bld;
    psc_err e = p->collect.custom(p->user, ctx, &b);
    if (e != PSC_OK)
        return e;
    psc__custom_rec *c = psc__arena_zalloc(bld->arena, sizeof *c);
    if (!c || psc__copy_str(bld->arena, p->name, &c->name) != PSC_OK) {
        ctx->has_reason = false;
        return PSC_ERR_NOMEM;
    }
    c->values = b.values;
    psc__list_push(&bld->snap->customs, &c->node);
    return PSC_OK;
}

psc_err psc__run_provider(psc__build *bld, psc_provider *p, const psc__baseline *old, psc__baseline *fresh,
                          bool *ok)
{
    psc__arena_mark mark = psc__arena_mark_get(bld->arena);
    psc_collect ctx = {0};
    ctx.now_ms = bld->now_ms;
    bld->epoch++;
    psc_err e = PSC_ERR_INVALID;
    switch (p->kind) {
    case PSC__KIND_SWARM: e = run_swarm(bld, p, &ctx, old, fresh); break;
    case PSC__KIND_DHT: e = run_dht(bld, p, &ctx); break;
    case PSC__KIND_PUBSUB: e = run_pubsub(bld, p, &ctx); break;
    case PSC__KIND_PEERSTORE: e = run_peerstore(bld, p, &ctx); break;
    case PSC__KIND_RCMGR: e = run_rcmgr(bld, p, &ctx); break;
    case PSC__KIND_CUSTOM: e = run_custom(bld, p, &ctx); break;
    }
    /* no builder handle of this call may be used any more */
    bld->epoch++;
    if (p->kind == PSC__KIND_DHT)
        bld->snap->dht_slot_used = true; /* the first DHT keeps its slot even when it fails */
    *ok = e == PSC_OK;
    if (e == PSC_OK)
        return PSC_OK;
    psc__arena_rewind(bld->arena, mark);
    return record_error(bld, p, &ctx, e);
}
