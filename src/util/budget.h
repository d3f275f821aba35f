/*
 * A byte budget over an allocator: counts what the library holds through
 * it and refuses allocations past a limit (PSC_ERR_NOMEM for the caller,
 * which every path already handles by dropping or degrading, never by
 * failing the host).
 *
 * free carries no size, so each block gets a 16-byte header with its size
 * (16 keeps max_align_t alignment). The budget is reference-counted by its
 * owner and by every live block: messages may be freed after the
 * introspector, and the budget goes away with the last of them.
 */
#ifndef PSC_UTIL_BUDGET_H
#define PSC_UTIL_BUDGET_H

#include <stdint.h>

#include "util/alloc.h"

typedef struct psc__budget psc__budget;

/*
 * A budget of limit bytes (0: none) over inner. *out_alloc allocates from
 * it up to limit minus a reserve (1/16 of it, at most
 * PSC__BUDGET_RESERVE_MAX); *out_reserve may also use the reserve: for
 * the small messages that say what was lost (notices), which must get
 * through when a stalled reader holds everything else.
 */
#define PSC__BUDGET_RESERVE_MAX (256u * 1024u)
psc_err psc__budget_new(const psc__alloc *inner, size_t limit, psc__budget **out, psc__alloc *out_alloc,
                        psc__alloc *out_reserve);
/* The owner's reference; the budget lives on until every block is freed. */
void psc__budget_release(psc__budget *b);

typedef struct psc__budget_stats {
    size_t held, peak, limit;
    uint64_t refused;
} psc__budget_stats;

void psc__budget_get(const psc__budget *b, psc__budget_stats *out);

#endif
