/*
 * The public event API: each call finds the introspector's store and
 * hands over to the psc__events_* functions (src/events), which hold all
 * the logic. It lives in the core because only the core knows where an
 * introspector keeps its store.
 */
#include "core/core.h"
#include "events/events.h"

static psc__events *store_of(const psc_introspector *intro)
{
    return intro ? psc__intro_events(intro) : NULL;
}

psc_err psc_event_declare(psc_introspector *intro, const psc_event_def *def, const psc_event_type **out)
{
    return psc__events_declare(store_of(intro), def, out);
}

psc_err psc_event_lookup(psc_introspector *intro, const char *name, const psc_event_type **out)
{
    return psc__events_lookup(store_of(intro), name, out);
}

psc_err psc_event_declare_well_known(psc_introspector *intro)
{
    psc__events *ev = store_of(intro);
    return ev ? psc__events_declare_well_known(ev) : PSC_ERR_INVALID;
}

psc_err psc_emit(psc_introspector *intro, const psc_event_type *type, const psc_value *values, size_t n_values)
{
    return psc__events_emit_now(store_of(intro), type, values, n_values);
}

psc_err psc_emit_at(psc_introspector *intro, const psc_event_type *type, uint64_t ts_ms, const psc_value *values,
                    size_t n_values)
{
    return psc__events_emit(store_of(intro), type, ts_ms, values, n_values);
}

psc_err psc_event_reader_new(psc_introspector *intro, bool from_oldest, psc_event_reader **out)
{
    return psc__events_reader_new(store_of(intro), from_oldest, out);
}

uint64_t psc_events_emitted(const psc_introspector *intro)
{
    psc__events *ev = store_of(intro);
    return ev ? psc__events_emitted(ev) : 0;
}
