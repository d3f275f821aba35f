/* The session's own messages: ServerMessage{response} and ServerMessage{notice}. */
#include "session/session.h"
#include "wire/wire.h"

static size_t config_body(const psc__session *s)
{
    size_t n = psc__pb_uint_size_opt(PSC__F_CONFIGURATION__RETENTION_PERIOD_MS, s->retention_ms) +
               psc__pb_uint_size_opt(PSC__F_CONFIGURATION__STATE_SNAPSHOT_INTERVAL_MS, s->interval_ms);
    /* only for clients that asked: 2020 clients see the 2020 reply */
    if (s->delta)
        n += psc__pb_uint_size(PSC__F_CONFIGURATION__DELTA_STATES, 1) +
             psc__pb_uint_size_opt(PSC__F_CONFIGURATION__FULL_STATE_EVERY, s->full_every);
    return n;
}

psc_err psc__session_encode_response(const psc__alloc *a, uint64_t id, bool ok, const char *error,
                                     const psc__session *with_config, psc_msg **out)
{
    int32_t result = ok ? PSC__E_COMMAND_RESPONSE_RESULT__OK : PSC__E_COMMAND_RESPONSE_RESULT__ERR;
    size_t error_len = error ? strlen(error) : 0;
    size_t cfg = with_config ? config_body(with_config) : 0;
    size_t body = psc__pb_uint_size_opt(PSC__F_COMMAND_RESPONSE__ID, id) +
                  psc__pb_enum_size_opt(PSC__F_COMMAND_RESPONSE__RESULT, result) +
                  psc__pb_bytes_size_opt(PSC__F_COMMAND_RESPONSE__ERROR, error_len) +
                  (with_config ? psc__pb_len_size(PSC__F_COMMAND_RESPONSE__EFFECTIVE_CONFIG, cfg) : 0);
    psc_msg *m;
    uint8_t *p;
    psc_err e = psc__wire_sm_new(a, PSC_MSG_RESPONSE, body, &m, &p);
    if (e != PSC_OK)
        return e;
    p = psc__pb_put_uint_opt(p, PSC__F_COMMAND_RESPONSE__ID, id);
    p = psc__pb_put_enum_opt(p, PSC__F_COMMAND_RESPONSE__RESULT, result);
    p = psc__pb_put_bytes_opt(p, PSC__F_COMMAND_RESPONSE__ERROR, error, error_len);
    if (with_config) {
        const psc__session *s = with_config;
        p = psc__pb_put_len_prefix(p, PSC__F_COMMAND_RESPONSE__EFFECTIVE_CONFIG, cfg);
        uint8_t *b = p;
        p = psc__pb_put_uint_opt(p, PSC__F_CONFIGURATION__RETENTION_PERIOD_MS, s->retention_ms);
        p = psc__pb_put_uint_opt(p, PSC__F_CONFIGURATION__STATE_SNAPSHOT_INTERVAL_MS, s->interval_ms);
        if (s->delta) {
            p = psc__pb_put_uint(p, PSC__F_CONFIGURATION__DELTA_STATES, 1);
            p = psc__pb_put_uint_opt(p, PSC__F_CONFIGURATION__FULL_STATE_EVERY, s->full_every);
        }
        PSC__PB_BODY_END(b, p, cfg, "Configuration");
    }
    if ((e = psc__wire_sm_seal(m, p)) != PSC_OK)
        return e;
    *out = m;
    return PSC_OK;
}

psc_err psc__session_encode_notice(const psc__alloc *a, uint64_t dropped, psc_msg **out)
{
    int32_t kind = PSC__E_SERVER_NOTICE_KIND__DISCARDING_EVENTS;
    size_t body = psc__pb_enum_size_opt(PSC__F_SERVER_NOTICE__KIND, kind) +
                  psc__pb_uint_size_opt(PSC__F_SERVER_NOTICE__DROPPED, dropped);
    psc_msg *m;
    uint8_t *p;
    psc_err e = psc__wire_sm_new(a, PSC_MSG_NOTICE, body, &m, &p);
    if (e != PSC_OK)
        return e;
    p = psc__pb_put_enum_opt(p, PSC__F_SERVER_NOTICE__KIND, kind);
    p = psc__pb_put_uint_opt(p, PSC__F_SERVER_NOTICE__DROPPED, dropped);
    if ((e = psc__wire_sm_seal(m, p)) != PSC_OK)
        return e;
    *out = m;
    return PSC_OK;
}
