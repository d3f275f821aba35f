/* Running providers into a snapshot (collect.c) and finishing it (finalize.c). */
#ifndef PSC_CORE_COLLECT_H
#define PSC_CORE_COLLECT_H

#include "core/records.h"

/*
 * Call p's collect and merge what it reported into bld->snap, or roll it
 * back and record a ProviderError. For a swarm provider, old is its
 * baseline (or NULL) and *fresh receives the new one when *ok.
 * Returns PSC_OK unless the snapshot itself cannot go on (out of memory
 * while recording the error).
 */
psc_err psc__run_provider(psc__build *bld, psc_provider *p, const psc__baseline *old, psc__baseline *fresh,
                          bool *ok);

/* Totals, State.traffic and the view's indexes, once every provider ran. */
psc_err psc__finalize(psc__build *bld);

#endif
