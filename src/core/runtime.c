/* psc_introspector_runtime: ServerMessage{version, runtime} with every declared event type. */
#include "core/introspector.h"
#include "events/events.h"
#include "wire/wire.h"
#include "peerscope/version.h"

/* Optional protocol features this build serves (Runtime.capabilities); NULL-terminated.
 * delta_states: Configuration.delta_states is honoured (the session layer does it for every endpoint). */
static const char *const capabilities[] = {"delta_states", NULL};

static size_t str_size(uint32_t f, const char *s)
{
    return psc__pb_bytes_size_opt(f, strlen(s));
}

static uint8_t *str_put(uint8_t *p, uint32_t f, const char *s)
{
    return psc__pb_put_bytes_opt(p, f, s, strlen(s));
}

psc_err psc_introspector_runtime(psc_introspector *intro, psc_msg **out)
{
    if (!intro || !out)
        return PSC_ERR_INVALID;
    psc__events *ev = intro->events;
    /* types only get appended: fix the count so both passes agree */
    size_t n_types = psc__events_type_count(ev);
    const char *lib_version = psc_version_string();

    pthread_mutex_lock(&intro->info_lock);
    size_t body = str_size(PSC__F_RUNTIME__IMPLEMENTATION, intro->implementation) +
                  str_size(PSC__F_RUNTIME__VERSION, intro->version) + str_size(PSC__F_RUNTIME__PLATFORM, intro->platform) +
                  str_size(PSC__F_RUNTIME__PEER_ID, intro->peer_id) +
                  str_size(PSC__F_RUNTIME__PEERSCOPE_VERSION, lib_version) +
                  psc__pb_uint_size_opt(PSC__F_RUNTIME__START_TS, intro->start_ts);
    for (size_t i = 0; i < n_types; i++)
        body += psc__pb_len_size(PSC__F_RUNTIME__EVENT_TYPES, psc__event_type_pb_size(psc__events_type_at(ev, i), true));
    for (const char *const *c = capabilities; *c; c++)
        body += psc__pb_len_size(PSC__F_RUNTIME__CAPABILITIES, strlen(*c));

    psc_msg *msg;
    uint8_t *p;
    psc_err e = psc__wire_sm_new(&intro->alloc, PSC_MSG_RUNTIME, body, &msg, &p);
    if (e != PSC_OK) {
        pthread_mutex_unlock(&intro->info_lock);
        return e;
    }
    p = str_put(p, PSC__F_RUNTIME__IMPLEMENTATION, intro->implementation);
    p = str_put(p, PSC__F_RUNTIME__VERSION, intro->version);
    p = str_put(p, PSC__F_RUNTIME__PLATFORM, intro->platform);
    p = str_put(p, PSC__F_RUNTIME__PEER_ID, intro->peer_id);
    for (size_t i = 0; i < n_types; i++) {
        const psc_event_type *t = psc__events_type_at(ev, i);
        size_t tb = psc__event_type_pb_size(t, true);
        p = psc__pb_put_len_prefix(p, PSC__F_RUNTIME__EVENT_TYPES, tb);
        uint8_t *b = p;
        p = psc__event_type_pb_write(p, t, true);
        PSC__PB_BODY_END(b, p, tb, "EventType");
    }
    p = str_put(p, PSC__F_RUNTIME__PEERSCOPE_VERSION, lib_version);
    p = psc__pb_put_uint_opt(p, PSC__F_RUNTIME__START_TS, intro->start_ts);
    for (const char *const *c = capabilities; *c; c++)
        p = psc__pb_put_bytes(p, PSC__F_RUNTIME__CAPABILITIES, *c, strlen(*c));
    pthread_mutex_unlock(&intro->info_lock);
    if ((e = psc__wire_sm_seal(msg, p)) != PSC_OK) {
        psc__log(intro, PSC_LOG_ERROR, "runtime not sent: %s", psc__wire_last_error());
        return e;
    }
    *out = msg;
    return PSC_OK;
}
