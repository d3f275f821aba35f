/*
 * The host of the soak test (tests/soak/soak.sh): an introspector whose
 * connections and streams come from a push table (with churn), and its
 * WebSocket endpoint (token, 32 sessions at most),
 * emitting RATE events/s from its own thread while abuse comes in. Every
 * allocation of the library goes through a counting allocator, so what the
 * library holds is read exactly.
 *
 *   soak-host --token T [--rate N] [--status-ms MS] [--max-sessions N]
 *
 * Prints "port P" once listening, then a status line every MS (default
 * 10,000): elapsed time, bytes the library holds, open descriptors,
 * resident memory, events emitted and failed, the emit latency's median
 * and p99 over the interval, and open sessions. Runs until stdin closes
 * or SIGTERM; exits 0 after a clean shutdown.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <peerscope/peerscope.h>

/* ------------------------------------------------------ counting allocator */

typedef struct {
    size_t size;
    size_t pad; /* keeps the user block 16-byte aligned */
} hdr;

static _Atomic size_t held_bytes;

static void *count_alloc(void *user, size_t size)
{
    (void)user;
    hdr *h = malloc(sizeof *h + size);
    if (!h)
        return NULL;
    h->size = size;
    atomic_fetch_add(&held_bytes, size);
    return h + 1;
}

static void count_free(void *user, void *ptr)
{
    (void)user;
    if (!ptr)
        return;
    hdr *h = (hdr *)ptr - 1;
    atomic_fetch_sub(&held_bytes, h->size);
    free(h);
}

/* -------------------------------------------------------------- the host */

#define CONNS 64
#define STREAMS 4

static char peer[64];
static const psc_prop_def props[] = {
    {"peer", PSC_PROP_PEERID, false},
    {"topic", PSC_PROP_STRING, false},
    {"seqno", PSC_PROP_NUMBER, false},
};
static const psc_event_def msg_def = {"MessageReceived", props, sizeof props / sizeof props[0]};

/* The node's connections, pushed through a table: the emitter thread bumps
 * their counters with each event and replaces one connection every 1,000
 * events, so states keep changing and closing under the abuse too. */
typedef struct swarm {
    psc_table *table;
    psc_table_conn *conns[CONNS];
    uint64_t opened;
} swarm;

static psc_err open_conn(swarm *sw, int slot)
{
    static const char *const protos[STREAMS] = {"/meshsub/1.1.0", "/ipfs/kad/1.0.0", "/ipfs/id/1.0.0",
                                                "/ipfs/ping/1.0.0"};
    uint64_t n = sw->opened++;
    uint8_t cid[8];
    for (int i = 0; i < 8; i++)
        cid[i] = (uint8_t)(n >> (8 * i));
    char addr[64];
    snprintf(addr, sizeof addr, "/ip4/198.51.100.%d/tcp/%u", slot + 1, (unsigned)(4001 + n % 1000));
    psc_connection c = PSC_CONNECTION_INIT;
    c.id = cid;
    c.id_len = sizeof cid;
    c.peer_id = peer;
    c.transport_name = n % 3 ? "tcp" : "quic";
    c.remote_addr = addr;
    c.role = n % 2 ? PSC_ROLE_RESPONDER : PSC_ROLE_INITIATOR;
    psc_err e = psc_table_conn_open(sw->table, &c, &sw->conns[slot]);
    for (int j = 0; !e && j < STREAMS; j++) {
        uint8_t sid[1] = {(uint8_t)j};
        psc_stream st = PSC_STREAM_INIT;
        st.id = sid;
        st.id_len = sizeof sid;
        st.protocol = protos[j];
        psc_table_stream *hs;
        e = psc_table_stream_open(sw->conns[slot], &st, &hs);
    }
    return e;
}

/* One event's worth of traffic; every 1,000th call replaces a connection. */
static void swarm_tick(swarm *sw, uint64_t i, uint64_t now_ms)
{
    psc_counter *in, *out;
    psc_table_conn_counters(sw->conns[i % CONNS], &in, &out);
    psc_counter_add(in, 512);
    psc_counter_add(out, 64);
    if (i % 1000 == 999) {
        int slot = (int)(i / 1000 % CONNS);
        psc_table_conn_close(sw->conns[slot], PSC_STATUS_CLOSED, "churn", now_ms);
        open_conn(sw, slot);
    }
}

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* Emit latencies of one status interval: 64 ns buckets to 64 us, then one. */
#define LAT_BUCKETS 1025
typedef struct lat {
    uint64_t n[LAT_BUCKETS];
    uint64_t total;
} lat;

static uint64_t lat_quantile(const lat *l, double q)
{
    uint64_t want = (uint64_t)((double)l->total * q), seen = 0;
    for (size_t i = 0; i < LAT_BUCKETS; i++) {
        seen += l->n[i];
        if (seen > want)
            return (uint64_t)(i + 1) * 64;
    }
    return 0;
}

typedef struct emitter {
    psc_introspector *intro;
    const psc_event_type *type;
    swarm *sw;
    double rate;
    pthread_mutex_t mu; /* guards cur */
    lat cur;
    _Atomic uint64_t emitted, failed;
} emitter;

static void *emit_loop(void *arg)
{
    emitter *em = arg;
    static const char *const topics[] = {"blocks", "txs", "attestations"};
    uint64_t start = psc_counter_now_ns(), done = 0;
    while (!stop) {
        uint64_t due = (uint64_t)((double)(psc_counter_now_ns() - start) / 1e9 * em->rate);
        for (; done < due && !stop; done++) {
            psc_value v[] = {PSC_V_STR(peer), PSC_V_STR(topics[done % 3]), PSC_V_NUM(done)};
            uint64_t t0 = psc_counter_now_ns();
            psc_err e = psc_emit(em->intro, em->type, v, 3);
            uint64_t dt = psc_counter_now_ns() - t0;
            atomic_fetch_add(e == PSC_OK ? &em->emitted : &em->failed, 1);
            swarm_tick(em->sw, done, psc_introspector_now_ms(em->intro));
            size_t b = dt / 64 < LAT_BUCKETS - 1 ? dt / 64 : LAT_BUCKETS - 1;
            pthread_mutex_lock(&em->mu);
            em->cur.n[b]++;
            em->cur.total++;
            pthread_mutex_unlock(&em->mu);
        }
        struct timespec ts = {0, 1000000}; /* 1 ms: the next batch is due by the clock, not by this */
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static long count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own */
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

static void *stdin_watch(void *arg)
{
    (void)arg;
    char buf[64];
    while (read(0, buf, sizeof buf) > 0)
        ;
    stop = 1;
    return NULL;
}

int main(int argc, char **argv)
{
    const char *token = NULL;
    double rate = 10000;
    long status_ms = 10000;
    size_t max_sessions = 32;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--token") && v)
            token = argv[++i];
        else if (!strcmp(argv[i], "--rate") && v)
            rate = strtod(argv[++i], NULL);
        else if (!strcmp(argv[i], "--status-ms") && v)
            status_ms = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--max-sessions") && v)
            max_sessions = (size_t)strtoul(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: soak-host --token T [--rate N] [--status-ms MS] [--max-sessions N]\n");
            return 2;
        }
    }
    if (!token || rate <= 0 || rate > 1e6 || status_ms < 100 || max_sessions < 1) {
        fprintf(stderr, "soak-host: --token is required; --rate 1-1000000, --status-ms >= 100\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    psc_ws_lws_log(PSC_LOG_ERROR, NULL, NULL);

    uint8_t seed[32] = {0x50, 0xa4}, pk[32], sk[64];
    if (psc_ed25519_keypair_from_seed(seed, pk, sk) || psc_peerid_from_ed25519(pk, peer, sizeof peer))
        return 1;

    psc_allocator alloc = {.alloc = count_alloc, .free = count_free};
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.allocator = &alloc;
    cfg.runtime.implementation = "peerscope-soak-host";
    cfg.runtime.version = "1";
    cfg.runtime.peer_id = peer;
    cfg.log_level = PSC_LOG_ERROR;
    emitter em = {.rate = rate};
    pthread_mutex_init(&em.mu, NULL);
    psc_endpoint *ep = NULL;
    psc_endpoint_options opts = PSC_ENDPOINT_OPTIONS_INIT;
    opts.max_sessions = max_sessions;
    psc_ws_config ws = PSC_WS_CONFIG_INIT;
    ws.access_token = token;
    ws.options = &opts;
    swarm sw = {0};
    em.sw = &sw;
    bool up = !psc_introspector_new(&cfg, &em.intro) && !psc_event_declare(em.intro, &msg_def, &em.type) &&
              !psc_table_new(em.intro, NULL, &sw.table);
    for (int i = 0; up && i < CONNS; i++)
        up = !open_conn(&sw, i);
    if (!up || psc_ws_endpoint_new(em.intro, &ws, &ep) || psc_endpoint_start(ep)) {
        fprintf(stderr, "soak-host: cannot start the endpoint\n");
        return 1;
    }
    uint16_t port = 0;
    psc_ws_port(ep, &port);
    printf("port %u\n", (unsigned)port);
    fflush(stdout);

    pthread_t emitter_thread, watch_thread;
    if (pthread_create(&emitter_thread, NULL, emit_loop, &em) || pthread_create(&watch_thread, NULL, stdin_watch, NULL))
        return 1;
    pthread_detach(watch_thread);
    uint64_t start = psc_counter_now_ns(), next = start + (uint64_t)status_ms * 1000000u, next_snap = start;
    while (!stop) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
        if (psc_counter_now_ns() >= next_snap) {
            /* a snapshot a second of the host's own (as a recorder would take):
             * the table's changes are applied even while no client is connected */
            psc_msg *m = NULL;
            if (psc_introspector_snapshot(em.intro, &m) == PSC_OK)
                psc_msg_unref(m);
            next_snap += 1000000000u;
        }
        if (psc_counter_now_ns() < next)
            continue;
        next += (uint64_t)status_ms * 1000000u;
        pthread_mutex_lock(&em.mu);
        lat l = em.cur;
        memset(&em.cur, 0, sizeof em.cur);
        pthread_mutex_unlock(&em.mu);
        printf("status t_s=%.1f held_bytes=%zu fds=%ld rss_kb=%ld emitted=%llu failed=%llu emit_p50_ns=%llu "
               "emit_p99_ns=%llu sessions=%zu\n",
               (double)(psc_counter_now_ns() - start) / 1e9, atomic_load(&held_bytes), count_fds(), rss_kb(),
               (unsigned long long)atomic_load(&em.emitted), (unsigned long long)atomic_load(&em.failed),
               (unsigned long long)lat_quantile(&l, 0.5), (unsigned long long)lat_quantile(&l, 0.99),
               psc_endpoint_session_count(ep));
        fflush(stdout);
    }
    pthread_join(emitter_thread, NULL);
    psc_endpoint_free(ep);
    psc_table_free(sw.table);
    psc_introspector_free(em.intro);
    size_t left = atomic_load(&held_bytes);
    printf("stopped held_bytes=%zu\n", left);
    return left == 0 ? 0 : 1; /* everything the library took, it gave back */
}
