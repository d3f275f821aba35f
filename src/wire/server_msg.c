/* The ServerMessage envelope and the size-pass/write-pass checks (wire/wire.h). */
#include "wire/wire.h"

#include <stdio.h>

/* psc_msg_kind promises to be the payload's field number (message.h). */
PSC__WIRE_SAME(PSC_MSG_STATE, PSC__F_SERVER_MESSAGE__STATE);
PSC__WIRE_SAME(PSC_MSG_RUNTIME, PSC__F_SERVER_MESSAGE__RUNTIME);
PSC__WIRE_SAME(PSC_MSG_EVENT, PSC__F_SERVER_MESSAGE__EVENT);
PSC__WIRE_SAME(PSC_MSG_RESPONSE, PSC__F_SERVER_MESSAGE__RESPONSE);
PSC__WIRE_SAME(PSC_MSG_NOTICE, PSC__F_SERVER_MESSAGE__NOTICE);

/* The first mismatch since this thread's last psc__wire_sm_new. */
static _Thread_local char last_error[160];
static _Thread_local bool body_failed;

static size_t version_body(void)
{
    return psc__pb_uint_size(PSC__F_VERSION__VERSION, PSC_PROTOCOL_VERSION);
}

size_t psc__wire_sm_size(psc_msg_kind kind, size_t body_len)
{
    return psc__pb_len_size(PSC__F_SERVER_MESSAGE__VERSION, version_body()) + psc__pb_len_size((uint32_t)kind, body_len);
}

psc_err psc__wire_sm_new(const psc__alloc *a, psc_msg_kind kind, size_t body_len, psc_msg **out, uint8_t **body)
{
    psc_msg *m;
    psc_err e = psc__msg_new(a, kind, psc__wire_sm_size(kind, body_len), &m);
    if (e != PSC_OK)
        return e;
    uint8_t *p = psc__msg_payload_mut(m);
    p = psc__pb_put_len_prefix(p, PSC__F_SERVER_MESSAGE__VERSION, version_body());
    p = psc__pb_put_uint(p, PSC__F_VERSION__VERSION, PSC_PROTOCOL_VERSION);
    p = psc__pb_put_len_prefix(p, (uint32_t)kind, body_len);
    body_failed = false;
    last_error[0] = '\0';
    *body = p;
    *out = m;
    return PSC_OK;
}

psc_err psc__wire_sm_seal(psc_msg *m, const uint8_t *end)
{
    size_t len;
    const uint8_t *start = psc_msg_payload(m, &len);
    if ((size_t)(end - start) != len && !body_failed)
        snprintf(last_error, sizeof last_error, "ServerMessage: wrote %zu of %zu bytes", (size_t)(end - start), len);
    if ((size_t)(end - start) != len || body_failed) {
        body_failed = false;
        psc_msg_unref(m);
        return PSC_ERR_INTERNAL;
    }
    psc__msg_seal(m);
    return PSC_OK;
}

const char *psc__wire_last_error(void)
{
    return last_error[0] ? last_error : NULL;
}

#ifdef PSC_WIRE_CHECKS
void psc__wire_body_check(const uint8_t *start, const uint8_t *end, size_t size, const char *what, const char *file,
                          int line)
{
    if ((size_t)(end - start) == size || body_failed)
        return;
    body_failed = true;
    const char *base = file;
    for (const char *c = file; *c; c++)
        if (*c == '/')
            base = c + 1;
    snprintf(last_error, sizeof last_error, "%s: wrote %zu of %zu bytes (%s:%d)", what, (size_t)(end - start), size,
             base, line);
}
#endif
