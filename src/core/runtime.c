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

    /* the analyzer's fields (milestones), taken before info_lock (lock order) */
    uint8_t *extra = NULL;
    size_t extra_len = 0;
    pthread_mutex_lock(&intro->analysis_lock);
    if (intro->has_analysis && intro->analysis.runtime_fields &&
        intro->analysis.runtime_fields(intro->analysis.user, &extra, &extra_len) != PSC_OK) {
        extra = NULL;
        extra_len = 0;
    }
    pthread_mutex_unlock(&intro->analysis_lock);

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
    body += extra_len;

    psc_msg *msg;
    uint8_t *p;
    psc_err e = psc__wire_sm_new(&intro->alloc, PSC_MSG_RUNTIME, body, &msg, &p);
    if (e != PSC_OK) {
        pthread_mutex_unlock(&intro->info_lock);
        psc__free(&intro->alloc, extra);
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
    if (extra_len) {
        memcpy(p, extra, extra_len);
        p += extra_len;
    }
    pthread_mutex_unlock(&intro->info_lock);
    psc__free(&intro->alloc, extra);
    if ((e = psc__wire_sm_seal(msg, p)) != PSC_OK) {
        psc__log(intro, PSC_LOG_ERROR, "runtime not sent: %s", psc__wire_last_error());
        return e;
    }
    *out = msg;
    return PSC_OK;
}
