/*
 * Fuzz target for the timeline reader (wire/timeline.c), what
 * peerscope-replay and psc_replay_load run on any file they are given.
 * The input is loaded as a whole recording, as a body behind a valid
 * header, and as one message. Invariants checked beyond "no crash":
 *  - a load ends with PSC_OK (the good prefix), PSC_ERR_PROTOCOL (no
 *    version 1 header) or PSC_ERR_NOMEM; every problem reported has an
 *    offset inside the input, past the header, and a message;
 *  - what was read never counts more records than the input can hold;
 *  - after seal, times never go back, start and end are the first and
 *    last item's, and every item's message decodes as a ServerMessage of
 *    its kind that says version 1, states without a delta field;
 *  - every event can be given its type's metadata, every time has a state
 *    (when there is one), and find() agrees with the times.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/timeline.h"
#include "peerscope/peerscope.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct ctx {
    size_t size;
    uint64_t problems;
} ctx;

static bool on_problem(void *user, const psc__tl_problem *p)
{
    ctx *c = user;
    if (p->offset < 4 || p->offset >= c->size || !p->what[0])
        abort();
    c->problems++;
    return true;
}

static void check_msg(psc_msg *m, int kind)
{
    size_t len;
    const uint8_t *p = psc_msg_payload(m, &len);
    Peerscope__ServerMessage *sm = peerscope__server_message__unpack(NULL, len, p);
    if (!sm)
        abort();
    if (!sm->version || sm->version->version != 1)
        abort();
    if ((int)sm->payload_case != kind)
        abort();
    if (sm->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE && sm->state->delta)
        abort();
    peerscope__server_message__free_unpacked(sm, NULL);
}

static void check(psc__timeline *tl)
{
    psc__timeline_seal(tl);
    size_t n = psc__timeline_count(tl);
    uint64_t prev = 0;
    bool has_state = false;
    for (size_t i = 0; i < n; i++) {
        const psc__tl_item *it = psc__timeline_item(tl, i);
        if (it->ts < prev)
            abort();
        prev = it->ts;
        static const int kinds[] = {PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT,
                                    PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME};
        if (it->kind > PSC__TL_RUNTIME)
            abort();
        check_msg(it->msg, kinds[it->kind]);
        has_state = has_state || it->kind == PSC__TL_STATE;
        if (it->kind == PSC__TL_EVENT) {
            if (it->type >= psc__timeline_type_count(tl))
                abort();
            psc_msg *m = NULL;
            psc_err e = psc__timeline_event_with_meta(tl, i, &m);
            if (e == PSC_OK) {
                check_msg(m, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT);
                psc_msg_unref(m);
            } else if (e != PSC_ERR_NOMEM) {
                abort();
            }
        }
        if (psc__timeline_find(tl, it->ts) > i || psc__timeline_find(tl, it->ts) >= n)
            abort();
        if (has_state && !psc__timeline_state_at(tl, it->ts))
            abort();
    }
    if (n && (psc__timeline_start_ts(tl) != psc__timeline_item(tl, 0)->ts ||
              psc__timeline_end_ts(tl) != psc__timeline_item(tl, n - 1)->ts))
        abort();
    if (psc__timeline_find(tl, UINT64_MAX) != n && !(n && psc__timeline_item(tl, n - 1)->ts == UINT64_MAX))
        abort();
}

static void load(const uint8_t *data, size_t size)
{
    psc__timeline *tl = NULL;
    if (psc__timeline_new(&psc__default_alloc, &tl) != PSC_OK)
        return;
    ctx c = {size, 0};
    psc_err e = psc__timeline_load(tl, data, size, on_problem, &c);
    if (e != PSC_OK && e != PSC_ERR_PROTOCOL && e != PSC_ERR_NOMEM)
        abort();
    psc__tl_counts k;
    psc__timeline_counts(tl, &k);
    /* each record takes at least its 8-byte header */
    if (size >= 4 && k.states + k.events + k.runtimes + k.skipped > (size - 4) / 8)
        abort();
    if (k.problems != c.problems)
        abort();
    check(tl);
    psc__timeline_free(tl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load(data, size);
    uint8_t *file = malloc(size + 4);
    if (!file)
        return 0;
    file[0] = 1;
    file[1] = file[2] = file[3] = 0;
    if (size)
        memcpy(file + 4, data, size);
    load(file, size + 4);
    free(file);

    psc__timeline *tl = NULL;
    if (psc__timeline_new(&psc__default_alloc, &tl) != PSC_OK)
        return 0;
    char why[64];
    psc_err e = psc__timeline_add(tl, data, size, 0, why, sizeof why);
    if (e != PSC_OK && e != PSC_ERR_PROTOCOL && e != PSC_ERR_STATE && e != PSC_ERR_NOMEM)
        abort();
    if (e != PSC_OK && !why[0])
        abort();
    check(tl);
    psc__timeline_free(tl);
    return 0;
}
