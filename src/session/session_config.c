#include "session/session.h"

psc_err psc__session_limits_from(const psc_endpoint_options *o, psc__session_limits *lim)
{
    psc__session_limits l = {
        .max_queued = 512,
        .max_paused = 1024,
        .max_paused_bytes = 64u * 1024u * 1024u,
        .max_commands_per_sec = 50,
        .max_malformed_in_row = 10,
    };
    if (o) {
        /* Older callers pass a shorter struct: read only what they have. */
        if (o->struct_size < offsetof(psc_endpoint_options, max_malformed_in_row) + sizeof(uint32_t))
            return PSC_ERR_INVALID;
        if (o->max_queued_messages)
            l.max_queued = o->max_queued_messages < 64 ? 64 : o->max_queued_messages;
        if (o->max_paused_messages)
            l.max_paused = o->max_paused_messages;
        if (o->max_paused_bytes)
            l.max_paused_bytes = o->max_paused_bytes;
        if (o->max_commands_per_sec)
            l.max_commands_per_sec = o->max_commands_per_sec;
        if (o->max_malformed_in_row)
            l.max_malformed_in_row = o->max_malformed_in_row;
        if (l.max_queued > SIZE_MAX / 64 || l.max_paused > SIZE_MAX / 64)
            return PSC_ERR_INVALID;
    }
    *lim = l;
    return PSC_OK;
}

/*
 * proto3 cannot tell an absent field from 0, so 0 keeps the current value
 * (the default right after connect). Values are clamped rather than
 * refused, as the 2020 server did, and the reply says what was applied.
 */
void psc__session_config_apply(psc__session *s, uint64_t retention_ms, uint64_t interval_ms)
{
    if (retention_ms)
        s->retention_ms = retention_ms > PSC_SESSION_RETENTION_MAX_MS ? PSC_SESSION_RETENTION_MAX_MS : retention_ms;
    if (interval_ms) {
        if (interval_ms < PSC_SESSION_INTERVAL_MIN_MS)
            interval_ms = PSC_SESSION_INTERVAL_MIN_MS;
        if (interval_ms > PSC_SESSION_INTERVAL_MAX_MS)
            interval_ms = PSC_SESSION_INTERVAL_MAX_MS;
        s->interval_ms = interval_ms;
    }
}

void psc__session_delta_apply(psc__session *s, bool delta, uint32_t full_every)
{
    if (delta)
        s->delta = true;
    if (full_every)
        s->full_every = full_every > PSC__SESSION_FULL_EVERY_MAX ? PSC__SESSION_FULL_EVERY_MAX : full_every;
}

/* Token bucket: refills at the sustained rate, holds a burst of twice that. */
bool psc__session_rate_take(psc__session *s, uint64_t now_ms)
{
    uint64_t cap = (uint64_t)s->lim.max_commands_per_sec * 2000u;
    if (now_ms > s->tokens_t) {
        uint64_t elapsed = now_ms - s->tokens_t;
        if (elapsed > 10000) /* the bucket is full long before; avoids overflow */
            elapsed = 10000;
        uint64_t add = elapsed * s->lim.max_commands_per_sec;
        s->tokens = (cap - s->tokens < add) ? cap : s->tokens + add;
    }
    s->tokens_t = now_ms > s->tokens_t ? now_ms : s->tokens_t;
    if (s->tokens < 1000)
        return false;
    s->tokens -= 1000;
    return true;
}
