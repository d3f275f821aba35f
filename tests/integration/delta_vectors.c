/*
 * Writes delta-state test vectors for the JavaScript decoder
 * (tests/node/delta.test.mjs): a recording file holding, for a host whose
 * every section moves at random (tests/core/delta_world.c), the full state
 * of each snapshot followed by the delta from the previous one, made by the
 * library itself. With --chain, only the first full state and then each
 * delta, as a client that asked for deltas receives them (a seed of the
 * client's fuzz target, .ci/fuzz).
 *
 *   delta-vectors [--chain] OUT_FILE [STEPS]
 */
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../core/delta_world.h"
#include "session/session.h"
#include "peerscope/wire.h"

static int write_msg(FILE *f, const psc_msg *m)
{
    size_t len = 0;
    const uint8_t *p = psc_msg_payload(m, &len);
    return psc_recording_write(f, p, len) == PSC_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
    bool chain = argc > 1 && !strcmp(argv[1], "--chain");
    if (chain) {
        argv++;
        argc--;
    }
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: delta-vectors [--chain] OUT_FILE [STEPS]\n");
        return 2;
    }
    int steps = argc == 3 ? atoi(argv[2]) : 40;
    FILE *f = fopen(argv[1], "wb");
    if (!f || psc_recording_write_header(f) != PSC_OK) {
        perror(argv[1]);
        return 1;
    }
    static world w;
    world_init(&w, 4242);
    psc_introspector *intro = NULL;
    psc_msg *prev = NULL, *cur = NULL, *d = NULL;
    int rc = 1;
    if (psc_introspector_new(NULL, &intro) || world_register(&w, intro) || psc_introspector_snapshot(intro, &prev) ||
        write_msg(f, prev))
        goto out;
    for (int i = 0; i < steps; i++) {
        if (i % 4 == 3)
            world_touch(&w, 20);
        else
            world_step(&w);
        if (psc_introspector_snapshot(intro, &cur) || psc_introspector_state_delta(intro, prev, cur, &d) || (!chain && write_msg(f, cur)) ||
            write_msg(f, d))
            goto out;
        psc_msg_unref(d);
        d = NULL;
        psc_msg_unref(prev);
        prev = cur;
        cur = NULL;
    }
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "delta-vectors: failed\n");
    psc_msg_unref(d);
    psc_msg_unref(cur);
    psc_msg_unref(prev);
    psc_introspector_free(intro);
    if (fclose(f) != 0)
        rc = 1;
    return rc;
}
