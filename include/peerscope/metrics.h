/*
 * peerscope ADVANCED header: Prometheus text of States for programs that
 * serve many nodes at once (peerscope-hub). The endpoint's own GET
 * /metrics needs none of this.
 *
 * A set gathers the samples of any number of nodes' States and writes
 * them as one exposition: every family once, with HELP and TYPE, each
 * node's series labelled node="NAME" (first), samples sorted, so the same
 * input gives byte-identical text. The families are those of the
 * endpoint's /metrics (README, "Prometheus metrics").
 *
 * Thread-safety: a set belongs to one thread at a time; different sets
 * may be used on different threads. Memory: malloc/free.
 */
#ifndef PEERSCOPE_METRICS_H
#define PEERSCOPE_METRICS_H

#include "peerscope/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A set of series of one or more nodes. */
typedef struct psc_metrics psc_metrics;

/**
 * A new empty set. Errors: PSC_ERR_INVALID for a NULL out; PSC_ERR_NOMEM.
 * Ownership: *out is the caller's, freed with psc_metrics_free.
 */
PSC_API psc_err psc_metrics_new(psc_metrics **out);

/** Free a set (NULL: no-op). */
PSC_API void psc_metrics_free(psc_metrics *m);

/**
 * Add one node's samples from an encoded ServerMessage holding a State
 * (the payload of a frame, as a client's on_message receives it). node is
 * the label value (any UTF-8, escaped on output); NULL gives series
 * without a node label (a set of one node). A node added twice has its
 * values summed.
 * Errors: PSC_ERR_INVALID (NULL m or payload, or not a State),
 * PSC_ERR_PROTOCOL (undecodable), PSC_ERR_NOMEM (the set then holds part
 * of the node: free it). Ownership: nothing is kept by pointer.
 */
PSC_API psc_err psc_metrics_add_state(psc_metrics *m, const char *node, const uint8_t *payload, size_t len);

/**
 * The exposition of everything added, Prometheus text format 0.0.4, in a
 * new buffer of *len bytes (not NUL-terminated) freed with
 * psc_metrics_text_free. Errors: PSC_ERR_INVALID (NULL argument),
 * PSC_ERR_NOMEM.
 */
PSC_API psc_err psc_metrics_write(const psc_metrics *m, uint8_t **out, size_t *len);

/** Free a text of psc_metrics_write (NULL: no-op). */
PSC_API void psc_metrics_text_free(uint8_t *text);

/** The Content-Type of psc_metrics_write's text. Static; thread-safe. */
PSC_API const char *psc_metrics_content_type(void);

/**
 * Write v as a label value (backslash, double quote and newline escaped)
 * into dst, NUL-terminated. Returns the length it needs without the NUL;
 * nothing past cap is written, and for a result of cap or more (it did
 * not fit) dst is left empty. dst NULL or cap 0: only the length. v NULL:
 * "". Thread-safe.
 */
PSC_API size_t psc_metrics_escape_label(char *dst, size_t cap, const char *v);

#ifdef __cplusplus
}
#endif

#endif
