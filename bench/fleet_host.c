/*
 * peerscope-fleet-host: many introspectors in one process, each behind its
 * own WebSocket endpoint on a loopback port, each emitting events at a
 * fixed rate and reporting a small swarm. It stands for a fleet of nodes
 * in the recorder's throughput benchmark (bench/record_throughput.sh).
 *
 *   peerscope-fleet-host [--nodes N] [--rate EVENTS_PER_S] [--urls FILE] [--status FILE] [--duration S]
 *                        [--hub URL --hub-token T]
 *
 * Writes one ws:// URL per node (to FILE, else stdout), then emits until
 * SIGINT/SIGTERM or --duration, then prints one line: events emitted and
 * the events its endpoints' sessions dropped (readers too slow). --status
 * FILE holds the events emitted so far, rewritten every 100 ms, for a
 * script that measures a window of the run. --hub makes every node also
 * push to a peerscope-hub at URL (psc_ws_config.hub_url), named node-I
 * from 1 (bench/hub_scale.sh --push).
 * Public headers only, as a host would.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <peerscope/peerscope.h>

#define CONNS 4
#define STREAMS 2

typedef struct node {
    psc_introspector *intro;
    psc_endpoint *ep;
    const psc_event_type *type;
    char peer[64];
    char remote[CONNS][64];
    uint64_t bytes;      /* grows at every snapshot: streams that move data */
    uint64_t emitted;
} node;

static volatile sig_atomic_t stop;
static const char *hub_url, *hub_token;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static psc_err collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)ctx;
    node *n = user;
    static const char *const protos[STREAMS] = {"/meshsub/1.1.0", "/ipfs/kad/1.0.0"};
    n->bytes += 4096;
    for (int i = 0; i < CONNS; i++) {
        uint8_t cid[2] = {0xc0, (uint8_t)i};
        psc_connection c = PSC_CONNECTION_INIT;
        c.id = cid;
        c.id_len = sizeof cid;
        c.peer_id = n->peer;
        c.transport_name = "tcp";
        c.remote_addr = n->remote[i];
        c.role = i % 2 ? PSC_ROLE_RESPONDER : PSC_ROLE_INITIATOR;
        c.traffic.in.bytes = n->bytes * STREAMS;
        c.traffic.out.bytes = n->bytes;
        psc_conn_builder *cb;
        psc_err e = psc_swarm_add_connection(b, &c, &cb);
        if (e)
            return e;
        for (int j = 0; j < STREAMS; j++) {
            uint8_t sid[1] = {(uint8_t)j};
            psc_stream s = PSC_STREAM_INIT;
            s.id = sid;
            s.id_len = sizeof sid;
            s.protocol = protos[j];
            s.traffic.in.bytes = n->bytes;
            s.traffic.out.bytes = n->bytes / 2;
            if ((e = psc_conn_add_stream(cb, &s)))
                return e;
        }
    }
    return PSC_OK;
}

static const psc_prop_def props[] = {
    {"peer", PSC_PROP_PEERID, false},
    {"topic", PSC_PROP_STRING, false},
    {"size", PSC_PROP_NUMBER, false},
    {"seqno", PSC_PROP_NUMBER, false},
};
static const psc_event_def msg_def = {"MessageReceived", props, sizeof props / sizeof props[0]};
static const psc_swarm_provider swarm_vt = {.struct_size = sizeof swarm_vt, .name = "swarm", .collect = collect};

static int start_node(node *n, size_t i)
{
    uint8_t seed[32] = {0}, pk[32], sk[64];
    seed[0] = (uint8_t)(i & 0xff);
    seed[1] = (uint8_t)(i >> 8);
    seed[2] = 0xf1;
    if (psc_ed25519_keypair_from_seed(seed, pk, sk) || psc_peerid_from_ed25519(pk, n->peer, sizeof n->peer))
        return -1;
    for (int c = 0; c < CONNS; c++)
        snprintf(n->remote[c], sizeof n->remote[c], "/ip4/198.51.100.%d/tcp/%d", c + 1, 4000 + (int)i);
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.runtime.implementation = "peerscope-fleet-host";
    cfg.runtime.version = "1";
    cfg.runtime.peer_id = n->peer;
    if (psc_introspector_new(&cfg, &n->intro) || psc_event_declare(n->intro, &msg_def, &n->type) ||
        psc_register_swarm(n->intro, &swarm_vt, n, NULL))
        return -1;
    psc_ws_config ws = PSC_WS_CONFIG_INIT;
    char name[32];
    snprintf(name, sizeof name, "node-%zu", i + 1);
    ws.hub_url = hub_url;
    ws.hub_token = hub_token;
    ws.hub_node = hub_url ? name : NULL;
    if (psc_ws_endpoint_new(n->intro, &ws, &n->ep) || psc_endpoint_start(n->ep))
        return -1;
    return 0;
}

/* The events emitted so far, replaced whole (rename) so that a reader never sees half of it. */
static void write_status(const char *path, const node *nodes, size_t n)
{
    uint64_t emitted = 0;
    for (size_t i = 0; i < n; i++)
        emitted += nodes[i].emitted;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    fprintf(f, "%llu\n", (unsigned long long)emitted);
    if (fclose(f) == 0)
        rename(tmp, path);
}

int main(int argc, char **argv)
{
    size_t n_nodes = 100;
    double rate = 1000, duration = 0;
    const char *urls_path = NULL, *status_path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--nodes") == 0 && v)
            n_nodes = (size_t)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--rate") == 0 && v)
            rate = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--duration") == 0 && v)
            duration = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--urls") == 0 && v)
            urls_path = argv[++i];
        else if (strcmp(argv[i], "--status") == 0 && v)
            status_path = argv[++i];
        else if (strcmp(argv[i], "--hub") == 0 && v)
            hub_url = argv[++i];
        else if (strcmp(argv[i], "--hub-token") == 0 && v)
            hub_token = argv[++i];
        else {
            fprintf(stderr, "usage: peerscope-fleet-host [--nodes N] [--rate EVENTS_PER_S] [--urls FILE] "
                            "[--status FILE] [--duration S] [--hub URL --hub-token T]\n");
            return 2;
        }
    }
    if (n_nodes < 1 || n_nodes > 1000 || rate <= 0 || rate > 100000) {
        fprintf(stderr, "peerscope-fleet-host: --nodes 1-1000, --rate up to 100000\n");
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    psc_ws_lws_log(PSC_LOG_ERROR, NULL, NULL);

    node *nodes = calloc(n_nodes, sizeof *nodes);
    if (!nodes)
        return 1;
    int status = 0;
    FILE *urls = urls_path ? fopen(urls_path, "w") : stdout;
    if (!urls) {
        fprintf(stderr, "peerscope-fleet-host: cannot write %s: %s\n", urls_path, strerror(errno));
        free(nodes);
        return 1;
    }
    size_t started = 0;
    for (; started < n_nodes; started++) {
        if (start_node(&nodes[started], started)) {
            fprintf(stderr, "peerscope-fleet-host: node %zu does not start\n", started);
            status = 1;
            break;
        }
        uint16_t port = 0;
        psc_ws_port(nodes[started].ep, &port);
        fprintf(urls, "ws://127.0.0.1:%u/introspect\n", (unsigned)port);
    }
    if (urls != stdout)
        fclose(urls);
    else
        fflush(stdout);

    /* one emitter thread (this one): every millisecond, what each node owes by the clock (a late
     * wake-up catches up), so the rate holds on a busy machine */
    static const char *const topics[] = {"blocks", "txs", "attestations"};
    uint64_t start = mono_ns(), tick = 1000000, next = start, rounds = 0, next_status = start;
    uint64_t seqno = 0;
    while (!status && !stop && (duration <= 0 || mono_ns() - start < (uint64_t)(duration * 1e9))) {
        uint64_t due = (uint64_t)((double)(mono_ns() - start) / 1e9 * rate);
        for (; rounds < due; rounds++) {
            for (size_t i = 0; i < n_nodes; i++) {
                seqno++;
                psc_value v[] = {PSC_V_STR(nodes[(i + 1) % n_nodes].peer), PSC_V_STR(topics[seqno % 3]),
                                 PSC_V_NUM(512 + seqno % 1024), PSC_V_NUM(seqno)};
                if (psc_emit(nodes[i].intro, nodes[i].type, v, 4) == PSC_OK)
                    nodes[i].emitted++;
            }
        }
        if (status_path && mono_ns() >= next_status) {
            write_status(status_path, nodes, n_nodes);
            next_status += 100000000u;
        }
        next += tick;
        struct timespec ts = {(time_t)(next / 1000000000u), (long)(next % 1000000000u)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop) {
        }
    }

    uint64_t emitted = 0, dropped = 0;
    for (size_t i = 0; i < started; i++) {
        emitted += nodes[i].emitted;
        psc_session_info info[4];
        for (size_t k = 0; k < 4; k++)
            info[k] = (psc_session_info){.struct_size = sizeof info[k]};
        size_t n = 0;
        if (psc_endpoint_sessions(nodes[i].ep, info, 4, &n, NULL) == PSC_OK)
            for (size_t k = 0; k < n && k < 4; k++)
                dropped += info[k].events_dropped;
    }
    double secs = (double)(mono_ns() - start) / 1e9;
    printf("fleet-host: %zu nodes, %.1f s: emitted %llu events (%.0f/s), sessions dropped %llu\n", started, secs,
           (unsigned long long)emitted, emitted / secs, (unsigned long long)dropped);
    for (size_t i = 0; i < started; i++) {
        psc_endpoint_free(nodes[i].ep);
        psc_introspector_free(nodes[i].intro);
    }
    free(nodes);
    return status;
}
