/* psc_introspector_runtime: ServerMessage{version, runtime} with every declared event type. */
#include <assert.h>

#include "core/introspector.h"
#include "events/events.h"
#include "wire/msg.h"
#include "wire/pbwrite.h"
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
    size_t body = str_size(1, intro->implementation) + str_size(2, intro->version) + str_size(3, intro->platform) +
                  str_size(4, intro->peer_id) + str_size(16, lib_version) + psc__pb_uint_size_opt(17, intro->start_ts);
    for (size_t i = 0; i < n_types; i++)
        body += psc__pb_len_size(7, psc__event_type_pb_size(psc__events_type_at(ev, i), true));
    for (const char *const *c = capabilities; *c; c++)
        body += psc__pb_len_size(18, strlen(*c));
    size_t total = 4 + psc__pb_len_size(3, body); /* Version{1} takes 4 bytes */

    psc_msg *msg;
    psc_err e = psc__msg_new(&intro->alloc, PSC_MSG_RUNTIME, total, &msg);
    if (e != PSC_OK) {
        pthread_mutex_unlock(&intro->info_lock);
        return e;
    }
    uint8_t *start = psc__msg_payload_mut(msg);
    uint8_t *p = start;
    p = psc__pb_put_len_prefix(p, 1, 2);
    p = psc__pb_put_uint(p, 1, 1);
    p = psc__pb_put_len_prefix(p, 3, body);
    p = str_put(p, 1, intro->implementation);
    p = str_put(p, 2, intro->version);
    p = str_put(p, 3, intro->platform);
    p = str_put(p, 4, intro->peer_id);
    for (size_t i = 0; i < n_types; i++) {
        const psc_event_type *t = psc__events_type_at(ev, i);
        p = psc__pb_put_len_prefix(p, 7, psc__event_type_pb_size(t, true));
        p = psc__event_type_pb_write(p, t, true);
    }
    p = str_put(p, 16, lib_version);
    p = psc__pb_put_uint_opt(p, 17, intro->start_ts);
    for (const char *const *c = capabilities; *c; c++)
        p = psc__pb_put_bytes(p, 18, *c, strlen(*c));
    pthread_mutex_unlock(&intro->info_lock);
    assert((size_t)(p - start) == total);
    (void)start;
    psc__msg_seal(msg);
    *out = msg;
    return PSC_OK;
}
