/*
 * The clients of the soak test (tests/soak/soak.sh): for SECONDS, every
 * kind of abuse at once against one endpoint, each from its own loopback
 * address (the endpoint limits wrong tokens per address), while GOOD
 * well-behaved clients take the event stream and check it:
 *
 *   churn       ~200 connection attempts/s that end early: at once, in the
 *               middle of the upgrade request, after the upgrade without a
 *               close frame, in the middle of a frame
 *   half-open   20 connections that never send a byte
 *   slowloris   10 connections sending their headers a byte every 500 ms
 *   frames      oversized messages (1 MiB), a HELLO in 1-byte fragments,
 *               garbage in 2,000 fragments
 *   pings       a ping flood on an open session
 *   burst       40 sessions at once, beyond max_sessions, every 5 s
 *   stalled     sessions that ask for every push and never read
 *   guesses     wrong tokens, 10 a second
 *
 *   soak-abuse --port P --token T --seconds S [--good N]
 *
 * A good client must see every event, or be told of each one it missed by
 * a DISCARDING_EVENTS notice. Prints a line per kind of abuse with its
 * counts and one per good client; exits 0 when every good client got its
 * events and every kind of abuse ran, 1 otherwise, 2 on usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <peerscope/client.h>
#include <peerscope/peerscope.h>

#include "../ws/ws_test_client.h"

static uint16_t port;
static const char *token;
static uint64_t deadline_ns;
static char auth_header[400];

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool running(void)
{
    return mono_ns() < deadline_ns;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void send_raw(int fd, const void *p, size_t n)
{
    (void)!send(fd, p, n, MSG_NOSIGNAL);
}

/* A ClientCommand, packed. */
static size_t command(uint8_t *buf, size_t cap, Peerscope__ClientCommand__Command cmd,
                      Peerscope__ClientCommand__Source src, uint64_t id)
{
    Peerscope__ClientCommand c = PEERSCOPE__CLIENT_COMMAND__INIT;
    Peerscope__Version v = PEERSCOPE__VERSION__INIT;
    v.version = 1;
    c.version = &v;
    c.id = id;
    c.command = cmd;
    c.source = src;
    size_t n = peerscope__client_command__get_packed_size(&c);
    if (n > cap)
        abort();
    return peerscope__client_command__pack(&c, buf);
}

typedef struct kind {
    const char *name;
    const char *source;       /* its loopback address */
    void (*run)(struct kind *k);
    _Atomic uint64_t attempts, refused, closed_by_server, done;
} kind;

/* ---------------------------------------------------------------- churn */

static void run_churn(kind *k)
{
    static const char half_req[] = "GET /introspect HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgr";
    for (uint64_t i = 0; running(); i++) {
        k->attempts++;
        switch (i % 4) {
        case 0: {
            int fd = wsc_dial(port);
            if (fd >= 0)
                close(fd);
            break;
        }
        case 1: {
            int fd = wsc_dial(port);
            if (fd >= 0) {
                send_raw(fd, half_req, sizeof half_req - 1);
                close(fd);
            }
            break;
        }
        default: {
            wsc *c = calloc(1, sizeof *c);
            if (c && wsc_connect(c, port, "/introspect", auth_header) == 0) {
                if (i % 4 == 3) {
                    static const uint8_t half_frame[] = {0x82, 0xfe, 0x10}; /* a 16-bit length cut short */
                    send_raw(c->fd, half_frame, sizeof half_frame);
                }
                close(c->fd); /* no close frame */
                k->done++;
            } else {
                k->refused++;
            }
            free(c);
            break;
        }
        }
        nap_ms(5);
    }
}

/* ------------------------------------------------- half-open, slowloris */

/* Keep n sockets open; each gets `drip` bytes every period_ms (0: never). */
static void hold_sockets(kind *k, int n, const char *drip, long period_ms)
{
    int fds[32];
    size_t off[32] = {0};
    for (int i = 0; i < n; i++)
        fds[i] = -1;
    while (running()) {
        for (int i = 0; i < n; i++) {
            if (fds[i] < 0) {
                fds[i] = wsc_dial(port);
                off[i] = 0;
                k->attempts++;
                continue;
            }
            struct pollfd p = {.fd = fds[i], .events = POLLIN};
            char junk[512];
            if (poll(&p, 1, 0) > 0 && recv(fds[i], junk, sizeof junk, MSG_DONTWAIT) <= 0) {
                k->closed_by_server++; /* the endpoint gave up on it: make another */
                close(fds[i]);
                fds[i] = -1;
                continue;
            }
            if (drip && drip[off[i]])
                send_raw(fds[i], drip + off[i]++, 1);
        }
        nap_ms(period_ms ? period_ms : 200);
    }
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

static void run_half_open(kind *k)
{
    hold_sockets(k, 20, NULL, 0);
}

static void run_slowloris(kind *k)
{
    static const char slow[] = "GET /introspect HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                               "Connection: Upgrade\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                               "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    hold_sockets(k, 10, slow, 500);
}

/* --------------------------------------------------------------- frames */

/* A session of k's (an attempt), or NULL after counting a refusal and pausing. */
static wsc *open_session(kind *k)
{
    wsc *c = calloc(1, sizeof *c);
    k->attempts++;
    if (c && wsc_connect(c, port, "/introspect", auth_header) == 0)
        return c;
    k->refused++;
    free(c);
    nap_ms(100);
    return NULL;
}

static void run_frames(kind *k)
{
    uint8_t *big = calloc(1, 1u << 20);
    if (!big)
        abort();
    for (uint64_t i = 0; running(); i++) {
        wsc *c = open_session(k);
        if (!c)
            continue;
        uint8_t cmd[64];
        size_t n;
        switch (i % 3) {
        case 0: /* over max_message_size: closed with 1009 */
            wsc_send(c, big, 1u << 20, 0);
            if (wsc_wait_closed(c))
                k->closed_by_server++;
            break;
        case 1: { /* a HELLO in 1-byte fragments: answered */
            n = command(cmd, sizeof cmd, PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO,
                        PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, 7);
            wsc_send(c, cmd, n, 1);
            uint8_t *msg = NULL;
            size_t len;
            int frames, code;
            char why[64];
            if (wsc_recv(c, &msg, &len, &frames, &code, why, sizeof why) == 1)
                k->done++;
            free(msg);
            break;
        }
        default: /* garbage in 2,000 fragments: refused as malformed or oversized */
            wsc_send(c, big, 2000 * 40, 40);
            if (wsc_wait_closed(c))
                k->closed_by_server++;
            break;
        }
        wsc_close(c);
        free(c);
        nap_ms(50);
    }
    free(big);
}

/* ---------------------------------------------------------------- pings */

static void run_pings(kind *k)
{
    static const uint8_t ping[] = {0x89, 0x84, 1, 2, 3, 4, 'p' ^ 1, 'i' ^ 2, 'n' ^ 3, 'g' ^ 4};
    while (running()) {
        wsc *c = open_session(k);
        if (!c)
            continue;
        uint64_t until = mono_ns() + 2000000000u;
        char junk[65536];
        while (running() && mono_ns() < until) {
            for (int i = 0; i < 100; i++)
                send_raw(c->fd, ping, sizeof ping);
            k->done += 100;
            /* read the pongs, or the flood becomes a stalled reader too */
            while (recv(c->fd, junk, sizeof junk, MSG_DONTWAIT) > 0)
                ;
            nap_ms(1);
        }
        wsc_close(c);
        free(c);
    }
}

/* ---------------------------------------------------------------- burst */

static void run_burst(kind *k)
{
    enum { BURST = 40 };
    while (running()) {
        wsc *cs = calloc(BURST, sizeof *cs);
        if (!cs)
            abort();
        bool open[BURST];
        for (int i = 0; i < BURST; i++) {
            k->attempts++;
            open[i] = wsc_connect(&cs[i], port, "/introspect", auth_header) == 0;
            if (!open[i])
                k->refused++; /* 503 beyond max_sessions */
            else
                k->done++;
        }
        nap_ms(1000);
        for (int i = 0; i < BURST; i++)
            if (open[i])
                wsc_close(&cs[i]);
        free(cs);
        for (int i = 0; i < 40 && running(); i++)
            nap_ms(100);
    }
}

/* -------------------------------------------------------------- stalled */

static void run_stalled(kind *k)
{
    while (running()) {
        wsc *cs = calloc(4, sizeof *cs);
        if (!cs)
            abort();
        bool open[4];
        for (int i = 0; i < 4; i++) {
            k->attempts++;
            open[i] = wsc_connect(&cs[i], port, "/introspect", auth_header) == 0;
            if (!open[i]) {
                k->refused++;
                continue;
            }
            uint8_t cmd[64];
            size_t n = command(cmd, sizeof cmd, PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO,
                               PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, 1);
            wsc_send(&cs[i], cmd, n, 0);
            n = command(cmd, sizeof cmd, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE,
                        PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, 2);
            wsc_send(&cs[i], cmd, n, 0);
            n = command(cmd, sizeof cmd, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE,
                        PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, 3);
            wsc_send(&cs[i], cmd, n, 0);
            k->done++;
        }
        /* never read; held for 10 s (or until the endpoint drops them) */
        for (int t = 0; t < 100 && running(); t++)
            nap_ms(100);
        for (int i = 0; i < 4; i++)
            if (open[i])
                wsc_close(&cs[i]);
        free(cs);
    }
}

/* -------------------------------------------------------------- guesses */

static void run_guesses(kind *k)
{
    for (uint64_t i = 0; running(); i++) {
        char hdr[128];
        snprintf(hdr, sizeof hdr, "Authorization: Bearer guess-%016llx\r\n", (unsigned long long)(i * 2654435761u));
        wsc *c = calloc(1, sizeof *c);
        k->attempts++;
        if (c && wsc_connect(c, port, "/introspect", hdr) != 0) {
            if (c->status == 429)
                k->refused++; /* locked out */
            else if (c->status == 401)
                k->closed_by_server++;
        } else if (c) {
            fprintf(stderr, "soak-abuse: a wrong token got in\n");
            exit(1);
        }
        free(c);
        nap_ms(100);
    }
}

static void *kind_main(void *arg)
{
    kind *k = arg;
    wsc_set_source(k->source);
    k->run(k);
    return NULL;
}

/* ----------------------------------------------------------- good clients */

typedef struct good {
    psc_client *c;
    uint64_t events, last_seq, gaps, notified, errors;
    bool open, closed;
} good;

static void g_open(void *user, psc_client *c)
{
    good *g = user;
    g->open = true;
    psc_client_hello(c, NULL, NULL);
    psc_client_push_enable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, NULL);
}

static void g_event(void *user, psc_client *c, const Peerscope__Event *e)
{
    (void)c;
    good *g = user;
    g->events++;
    if (g->last_seq && e->seq > g->last_seq + 1)
        g->gaps += e->seq - g->last_seq - 1;
    if (e->seq > g->last_seq)
        g->last_seq = e->seq;
}

static void g_notice(void *user, psc_client *c, const Peerscope__ServerNotice *n)
{
    (void)c;
    good *g = user;
    if (n->kind == PEERSCOPE__SERVER_NOTICE__KIND__DISCARDING_EVENTS)
        g->notified += n->dropped;
}

static void g_error(void *user, psc_client *c, psc_err err, const char *reason)
{
    (void)c;
    (void)err;
    (void)reason;
    ((good *)user)->errors++;
}

static void g_close(void *user, psc_client *c, psc_err err, int code, const char *reason)
{
    (void)c;
    (void)code;
    good *g = user;
    g->closed = true;
    if (err)
        fprintf(stderr, "soak-abuse: a good client was closed: %s\n", reason);
}

static void *good_main(void *arg)
{
    good *g = arg;
    while (running() && !g->closed)
        psc_client_poll(g->c, 100);
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = 0;
    int n_good = 4;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--port") && v)
            port = (uint16_t)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--token") && v)
            token = argv[++i];
        else if (!strcmp(argv[i], "--seconds") && v)
            seconds = strtod(argv[++i], NULL);
        else if (!strcmp(argv[i], "--good") && v)
            n_good = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: soak-abuse --port P --token T --seconds S [--good N]\n");
            return 2;
        }
    }
    if (!port || !token || seconds <= 0 || n_good < 1 || n_good > 16) {
        fprintf(stderr, "soak-abuse: --port, --token and --seconds are required; --good 1-16\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    psc_ws_lws_log(PSC_LOG_ERROR, NULL, NULL);
    snprintf(auth_header, sizeof auth_header, "Authorization: Bearer %s\r\n", token);
    deadline_ns = mono_ns() + (uint64_t)(seconds * 1e9);

    good goods[16];
    memset(goods, 0, sizeof goods);
    pthread_t good_threads[16];
    static const psc_client_callbacks cb = {
        .struct_size = sizeof cb,
        .on_open = g_open, .on_event = g_event, .on_notice = g_notice, .on_error = g_error, .on_close = g_close};
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%u/introspect", (unsigned)port);
    for (int i = 0; i < n_good; i++) {
        psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
        cfg.url = url;
        cfg.token = token;
        cfg.callbacks = &cb;
        cfg.user = &goods[i];
        psc_err e = psc_client_new(&cfg, &goods[i].c);
        if (e || pthread_create(&good_threads[i], NULL, good_main, &goods[i])) {
            fprintf(stderr, "soak-abuse: cannot start a good client: %s\n", psc_strerror(e));
            return 1;
        }
    }

    kind kinds[] = {
        {.name = "churn", .source = "127.0.0.2", .run = run_churn},
        {.name = "half-open", .source = "127.0.0.3", .run = run_half_open},
        {.name = "slowloris", .source = "127.0.0.4", .run = run_slowloris},
        {.name = "frames", .source = "127.0.0.5", .run = run_frames},
        {.name = "pings", .source = "127.0.0.6", .run = run_pings},
        {.name = "burst", .source = "127.0.0.7", .run = run_burst},
        {.name = "stalled", .source = "127.0.0.8", .run = run_stalled},
        {.name = "guesses", .source = "127.0.0.9", .run = run_guesses},
    };
    enum { N_KINDS = sizeof kinds / sizeof kinds[0] };
    pthread_t threads[N_KINDS];
    for (size_t i = 0; i < N_KINDS; i++)
        if (pthread_create(&threads[i], NULL, kind_main, &kinds[i]))
            return 1;
    for (size_t i = 0; i < N_KINDS; i++)
        pthread_join(threads[i], NULL);
    for (int i = 0; i < n_good; i++)
        pthread_join(good_threads[i], NULL);

    int status = 0;
    for (size_t i = 0; i < N_KINDS; i++) {
        kind *k = &kinds[i];
        printf("abuse %s attempts=%llu refused=%llu closed_by_server=%llu done=%llu\n", k->name,
               (unsigned long long)k->attempts, (unsigned long long)k->refused,
               (unsigned long long)k->closed_by_server, (unsigned long long)k->done);
        if (!k->attempts)
            status = 1;
    }
    for (int i = 0; i < n_good; i++) {
        good *g = &goods[i];
        bool ok = g->open && !g->closed && g->events > 0 && g->gaps <= g->notified;
        printf("good %d events=%llu last_seq=%llu gaps=%llu notified=%llu errors=%llu %s\n", i,
               (unsigned long long)g->events, (unsigned long long)g->last_seq, (unsigned long long)g->gaps,
               (unsigned long long)g->notified, (unsigned long long)g->errors, ok ? "ok" : "FAILED");
        if (!ok)
            status = 1;
        psc_client_free(g->c);
    }
    return status;
}
