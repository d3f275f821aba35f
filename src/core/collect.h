/* Running providers into a snapshot (collect.c) and finishing it (finalize.c). */
#ifndef PSC_CORE_COLLECT_H
#define PSC_CORE_COLLECT_H

#include "core/records.h"

/*
 * Call p's collect and merge what it reported into bld->snap, or roll it
 * back and record a ProviderError. For a swarm provider, old is its
 * baseline (or NULL) and *fresh receives the new one when *ok.
 * Returns PSC_OK unless the snapshot itself cannot go on: out of memory
 * while recording the error, or PSC_ERR_TIMEOUT when collect missed its
 * deadline (p is then marked hung, and bld's arena belongs to the late
 * collect: the snapshot must start over in a new one).
 */
psc_err psc__run_provider(psc__build *bld, psc_provider *p, const psc__baseline *old, psc__baseline *fresh,
                          bool *ok);

/* Record a ProviderError "timeout" for p, whose late collect has not
 * returned since hung_since_ms, in place of its section. */
psc_err psc__skip_hung(psc__build *bld, psc_provider *p, uint64_t hung_since_ms);

/* Totals, State.traffic and the view's indexes, once every provider ran. */
psc_err psc__finalize(psc__build *bld);

#endif
