/*
 * A small host for clients written in other languages (tests/node): it
 * starts the WebSocket endpoint on an ephemeral port, prints one JSON line
 * {"port":N,"url":"ws://..."} on stdout, emits a few events every 100 ms,
 * and serves until its stdin closes or --timeout-ms passes.
 *
 *   psc-test-host [--token T] [--timeout-ms N] [--conns N]
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client_util.h"
#include "test_host.h"

int main(int argc, char **argv)
{
    test_host_opts o = {.n_conns = 3};
    long timeout_ms = 60000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--token") && i + 1 < argc) {
            o.token = argv[++i];
        } else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc) {
            timeout_ms = strtol(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--conns") && i + 1 < argc) {
            o.n_conns = (size_t)strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: %s [--token T] [--timeout-ms N] [--conns N]\n", argv[0]);
            return 2;
        }
    }
    quiet_lws();
    test_host *h = host_new(&o);
    if (!h) {
        fprintf(stderr, "psc-test-host: cannot start the endpoint\n");
        return 1;
    }
    printf("{\"port\":%u,\"url\":\"%s\"}\n", (unsigned)h->port, h->url);
    fflush(stdout);

    uint64_t deadline = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    int status = 0;
    for (;;) {
        if (now_ms() >= deadline) {
            fprintf(stderr, "psc-test-host: timed out\n");
            status = 1;
            break;
        }
        struct pollfd p = {STDIN_FILENO, POLLIN, 0};
        int n = poll(&p, 1, 100);
        if (n > 0) {
            char buf[256];
            ssize_t r = read(STDIN_FILENO, buf, sizeof buf);
            if (r <= 0)
                break; /* the driver is done */
        }
        host_emit(h, 5, 16);
    }
    host_free(h);
    return status;
}
