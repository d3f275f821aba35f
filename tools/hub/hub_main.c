/* peerscope-hub: main (see hub.h for the parts and their threads). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hub.h"
#include "peerscope/version.h"
#include "peerscope/ws.h"
#include "tool_util.h"

int main(int argc, char **argv)
{
    hub *h = calloc(1, sizeof *h);
    if (!h) {
        fprintf(stderr, "peerscope-hub: out of memory\n");
        return HUB_EXIT_FAILURE;
    }
    hub_init(h);
    int rc = hub_parse_args(h, argc, argv);
    if (rc >= 0) {
        hub_fini(h);
        free(h);
        return rc;
    }
    if (!tool_catch_signals()) {
        fprintf(stderr, "peerscope-hub: cannot install signal handlers\n");
        hub_fini(h);
        free(h);
        return HUB_EXIT_FAILURE;
    }
    psc_ws_lws_log(PSC_LOG_ERROR, NULL, NULL);
    uint16_t port = 0;
    psc_err err = hub_server_start(h, &port);
    if (err) {
        fprintf(stderr, "peerscope-hub: cannot listen on %s port %u: %s\n", h->opt.bind, (unsigned)h->opt.port,
                psc_strerror(err));
        hub_fini(h);
        free(h);
        return err == PSC_ERR_IO ? HUB_EXIT_LISTEN : HUB_EXIT_FAILURE;
    }
    const char *b = h->opt.bind;
    int v6 = b[0] && b[1] && strchr(b, ':') != NULL;
    printf("peerscope-hub %s: %zu node(s) configured\n", PSC_VERSION_STRING, h->n_nodes);
    printf("  visualizer:     http://%s%s%s:%u/\n", v6 ? "[" : "", b, v6 ? "]" : "", (unsigned)port);
    printf("  fleet socket:   ws://%s%s%s:%u/introspect\n", v6 ? "[" : "", b, v6 ? "]" : "", (unsigned)port);
    printf("  push:           ws://%s%s%s:%u/push?node=NAME\n", v6 ? "[" : "", b, v6 ? "]" : "", (unsigned)port);
    fflush(stdout);
    err = hub_pull_start(h);
    if (err) {
        fprintf(stderr, "peerscope-hub: cannot start the pull thread: %s\n", psc_strerror(err));
        atomic_store(&h->stop, true);
        hub_server_stop(h);
        hub_fini(h);
        free(h);
        return HUB_EXIT_FAILURE;
    }
    while (!tool_stop_signal) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    atomic_store(&h->stop, true);
    /* the pull thread wakes the server's viewers: it goes first */
    hub_pull_stop(h);
    hub_server_stop(h);
    hub_fini(h);
    free(h);
    return HUB_EXIT_OK;
}
