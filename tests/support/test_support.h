/* Helpers shared by the unit tests. Include after cmocka's prerequisites. */
#ifndef PSC_TEST_SUPPORT_H
#define PSC_TEST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peerscope/common.h"

/*
 * An allocator that counts live allocations and can be told to fail.
 * fail_at: the 1-based index of the allocation that fails (0: never);
 * fail_all_after: once failing, keep failing every later allocation.
 * Thread-safe (atomic counters).
 */
typedef struct psc_test_alloc {
    psc_allocator iface;   /* pass &t.iface in a psc_config */
    uint64_t calls;        /* allocations attempted */
    uint64_t live;         /* allocated and not yet freed */
    uint64_t fail_at;
    bool fail_all_after;
    uint64_t failures;     /* allocations refused */
} psc_test_alloc;

void psc_test_alloc_init(psc_test_alloc *t);

/*
 * Run body(arg, alloc) with the n-th allocation failing, for n = 1, 2, ...
 * until body succeeds without any injected failure (returns PSC_OK with
 * failures == 0). After each run, asserts no allocation is left live and
 * that a failed run returned an error. Returns the number of runs.
 * body must free everything it made before returning.
 */
typedef psc_err (*psc_test_fault_body)(void *arg, psc_test_alloc *alloc);
uint64_t psc_test_each_alloc_fails(psc_test_fault_body body, void *arg, uint64_t max_runs);

/* Read a whole file (malloc'd, NUL-terminated); NULL on failure. */
uint8_t *psc_test_read_file(const char *path, size_t *len);

/* Path of a recording in tests/data/observer-toolkit, or in $PSC_VECTORS_DIR (static buffer). */
const char *psc_test_vector_path(const char *name);

#endif
