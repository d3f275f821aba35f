/*
 * The smallest peerscope embedding: one introspector, one swarm provider
 * reporting two connections, one event (read back), one snapshot.
 *
 *   minimal [--seed HEX] [--out FILE]
 *
 * --seed HEX  64 hex digits: derive the host's Ed25519 key from this seed
 *             (default: a random key)
 * --out FILE  also write the Runtime and the State, each as one live frame
 *             of the 2020 protocol ([u32 version][u32 fnv1a][u32 len][msg]),
 *             e.g. for tests/node/decode.mjs --live FILE
 *
 * Uses the public API only (peerscope/peerscope.h), so it also builds on
 * its own against an installed library (README: "A short tour of the API"
 * shows the rpath a non-system prefix needs):
 *
 *   cc -std=c11 -o minimal minimal.c $(pkg-config --cflags --libs peerscope)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerscope/peerscope.h"

/* ---------------------------------------------------------- the "host" */

/* What a real host already tracks for its connections, plus one
 * psc_counter per direction that its I/O path bumps. */
typedef struct stream {
    uint8_t id[4];
    const char *protocol;
    psc_role role;
    psc_counter in, out;
} stream;

typedef struct conn {
    uint8_t id[4];
    char peer_id[PSC_PEERID_STR_MAX];
    const char *local_addr, *remote_addr;
    psc_role role;
    uint64_t open_ts;
    psc_counter in, out;
    stream streams[3];
    size_t n_streams;
} conn;

typedef struct host {
    conn conns[2];
    size_t n_conns;
} host;

/* Remote peers get deterministic ids so runs are comparable. */
static int make_remote_peer_id(uint8_t tag, char *out)
{
    uint8_t seed[PSC_ED25519_SEED_LEN], pk[PSC_ED25519_PUBKEY_LEN], sk[PSC_ED25519_SECKEY_LEN];
    memset(seed, tag, sizeof seed);
    if (psc_ed25519_keypair_from_seed(seed, pk, sk) != PSC_OK)
        return -1;
    return psc_peerid_from_ed25519(pk, out, PSC_PEERID_STR_MAX) == PSC_OK ? 0 : -1;
}

static int host_init(host *h, uint64_t now_ms)
{
    static const char *const protocols[] = {"/ipfs/kad/1.0.0", "/ipfs/id/1.0.0", "/meshsub/1.1.0"};
    memset(h, 0, sizeof *h);
    h->n_conns = 2;
    for (size_t i = 0; i < h->n_conns; i++) {
        conn *c = &h->conns[i];
        c->id[0] = (uint8_t)(i + 1);
        if (make_remote_peer_id((uint8_t)(0xA0 + i), c->peer_id) != 0)
            return -1;
        c->local_addr = i == 0 ? "/ip4/10.0.0.1/tcp/4001" : "/ip4/10.0.0.1/udp/4001/quic-v1";
        c->remote_addr = i == 0 ? "/ip4/192.0.2.7/tcp/4001" : "/ip4/198.51.100.3/udp/4001/quic-v1";
        c->role = i == 0 ? PSC_ROLE_INITIATOR : PSC_ROLE_RESPONDER;
        c->open_ts = now_ms - 5000 * (i + 1);
        c->n_streams = i == 0 ? 3 : 2;
        for (size_t j = 0; j < c->n_streams; j++) {
            stream *s = &c->streams[j];
            s->id[0] = (uint8_t)(j + 1);
            s->protocol = protocols[j];
            s->role = j % 2 ? PSC_ROLE_RESPONDER : PSC_ROLE_INITIATOR;
        }
    }
    return 0;
}

/* Stand-in for real traffic: what the host's read/write paths would count. */
static void host_move_bytes(host *h)
{
    for (size_t i = 0; i < h->n_conns; i++) {
        conn *c = &h->conns[i];
        for (size_t j = 0; j < c->n_streams; j++) {
            stream *s = &c->streams[j];
            uint64_t in = 1000 * (j + 1), out = 400 * (i + 1);
            psc_counter_add(&s->in, in);
            psc_counter_add(&s->out, out);
            psc_counter_add(&c->in, in);
            psc_counter_add(&c->out, out);
        }
    }
}

/* ------------------------------------------------------ the provider */

static psc_err swarm_collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)ctx;
    host *h = user;
    uint64_t now_ns = psc_counter_now_ns();
    for (size_t i = 0; i < h->n_conns; i++) {
        conn *c = &h->conns[i];
        psc_connection pc = PSC_CONNECTION_INIT;
        pc.id = c->id;
        pc.id_len = sizeof c->id;
        pc.peer_id = c->peer_id;
        pc.status = PSC_STATUS_ACTIVE;
        pc.role = c->role;
        pc.transport_name = i == 0 ? "tcp" : "quic-v1";
        pc.local_addr = c->local_addr;
        pc.remote_addr = c->remote_addr;
        pc.open_ts = c->open_ts;
        pc.multiplexer = i == 0 ? "/yamux/1.0.0" : NULL;
        pc.encryption = i == 0 ? "/noise" : "/tls/1.0.0";
        psc_counter_read(&c->in, now_ns, &pc.traffic.in);
        psc_counter_read(&c->out, now_ns, &pc.traffic.out);

        psc_conn_builder *cb;
        psc_err e = psc_swarm_add_connection(b, &pc, &cb);
        if (e != PSC_OK)
            return e;
        for (size_t j = 0; j < c->n_streams; j++) {
            stream *s = &c->streams[j];
            psc_stream ps = PSC_STREAM_INIT;
            ps.id = s->id;
            ps.id_len = sizeof s->id;
            ps.protocol = s->protocol;
            ps.role = s->role;
            ps.status = PSC_STATUS_ACTIVE;
            ps.open_ts = c->open_ts;
            psc_counter_read(&s->in, now_ns, &ps.traffic.in);
            psc_counter_read(&s->out, now_ns, &ps.traffic.out);
            if ((e = psc_conn_add_stream(cb, &ps)) != PSC_OK)
                return e;
        }
    }
    return PSC_OK;
}

static const psc_swarm_provider swarm_vt = {
    .struct_size = sizeof(psc_swarm_provider),
    .name = "minimal-swarm",
    .collect = swarm_collect,
};

/* ------------------------------------------------------------- output */

static void print_summary(const char *peer_id, const psc_msg *state, const psc_msg *runtime)
{
    psc_state_summary sum = PSC_STATE_SUMMARY_INIT;
    if (psc_state_summary_get(state, &sum) != PSC_OK) {
        fprintf(stderr, "minimal: not a state message\n");
        return;
    }
    size_t payload_len, framed_len, runtime_len;
    psc_msg_payload(state, &payload_len);
    psc_msg_framed(state, &framed_len);
    psc_msg_payload(runtime, &runtime_len);

    printf("peer id:     %s\n", peer_id);
    printf("snapshot:    #%" PRIu64 " at %" PRIu64 " ms, %zu connections, %zu streams\n", sum.seq, sum.instant_ts,
           sum.connections, sum.streams);
    printf("traffic:     in %" PRIu64 " bytes / %" PRIu64 " packets, out %" PRIu64 " bytes / %" PRIu64 " packets\n",
           sum.traffic.in.bytes, sum.traffic.in.packets, sum.traffic.out.bytes, sum.traffic.out.packets);
    printf("encoded:     state %zu bytes (%zu framed), runtime %zu bytes\n", payload_len, framed_len, runtime_len);

    size_t n = psc_state_connection_count(state);
    for (size_t i = 0; i < n; i++) {
        psc_connection c = PSC_CONNECTION_INIT;
        if (psc_state_connection(state, i, &c) != PSC_OK)
            continue;
        printf("  conn %zu  %s  %s -> %s  in %" PRIu64 " B, out %" PRIu64 " B\n", i, c.peer_id ? c.peer_id : "?",
               c.local_addr ? c.local_addr : "?", c.remote_addr ? c.remote_addr : "?", c.traffic.in.bytes,
               c.traffic.out.bytes);
        size_t ns = psc_state_stream_count(state, i);
        for (size_t j = 0; j < ns; j++) {
            psc_stream s = PSC_STREAM_INIT;
            if (psc_state_stream(state, i, j, &s) == PSC_OK)
                printf("    stream %zu  %-18s in %" PRIu64 " B, out %" PRIu64 " B\n", j,
                       s.protocol ? s.protocol : "?", s.traffic.in.bytes, s.traffic.out.bytes);
        }
    }
}

static int write_frames(const char *path, const psc_msg *const *msgs, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t len;
        const uint8_t *frame = psc_msg_framed(msgs[i], &len);
        if (fwrite(frame, 1, len, f) != len)
            rc = -1;
    }
    if (fclose(f) != 0)
        rc = -1;
    if (rc != 0)
        fprintf(stderr, "minimal: cannot write %s\n", path);
    return rc;
}

/* ------------------------------------------------------------- main */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int parse_seed(const char *hex, uint8_t seed[PSC_ED25519_SEED_LEN])
{
    if (strlen(hex) != 2 * PSC_ED25519_SEED_LEN)
        return -1;
    for (size_t i = 0; i < PSC_ED25519_SEED_LEN; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        seed[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

#define CHECK(call)                                                                                   \
    do {                                                                                              \
        psc_err e_ = (call);                                                                          \
        if (e_ != PSC_OK) {                                                                           \
            fprintf(stderr, "minimal: %s: %s\n", #call, psc_strerror(e_));                            \
            goto out;                                                                                 \
        }                                                                                             \
    } while (0)

int main(int argc, char **argv)
{
    const char *out_path = NULL, *seed_hex = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out_path = argv[++i];
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed_hex = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--seed HEX64] [--out FILE]\n", argv[0]);
            return 2;
        }
    }

    int rc = 1;
    psc_introspector *intro = NULL;
    psc_msg *state = NULL, *runtime = NULL;
    static host h;

    /* 1. The host's identity (a real host keeps sk for its transport handshakes). */
    uint8_t pk[PSC_ED25519_PUBKEY_LEN], sk[PSC_ED25519_SECKEY_LEN];
    if (seed_hex) {
        uint8_t seed[PSC_ED25519_SEED_LEN];
        if (parse_seed(seed_hex, seed) != 0) {
            fprintf(stderr, "minimal: --seed wants %u hex digits\n", 2 * PSC_ED25519_SEED_LEN);
            return 2;
        }
        CHECK(psc_ed25519_keypair_from_seed(seed, pk, sk));
    } else {
        CHECK(psc_ed25519_keypair_random(pk, sk));
    }
    char peer_id[PSC_PEERID_STR_MAX];
    CHECK(psc_peerid_from_ed25519(pk, peer_id, sizeof peer_id));

    /* 2. The introspector, with what Runtime tells clients about us. */
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.runtime.implementation = "peerscope-minimal";
    cfg.runtime.version = psc_version_string();
    cfg.runtime.peer_id = peer_id;
    CHECK(psc_introspector_new(&cfg, &intro));

    /* 3. One provider for the swarm. */
    if (host_init(&h, psc_introspector_now_ms(intro)) != 0) {
        fprintf(stderr, "minimal: cannot derive remote peer ids\n");
        goto out;
    }
    CHECK(psc_register_swarm(intro, &swarm_vt, &h, NULL));

    /* 4. One event type clients know by name, and one event. */
    const psc_event_type *connected;
    CHECK(psc_event_declare(intro, &PSC_EVENT_PEER_CONNECTED, &connected));
    psc_value v[] = {PSC_V_STR(h.conns[0].peer_id), PSC_V_STR("tcp"), PSC_V_STR("outbound"),
                     PSC_V_STR(h.conns[0].remote_addr)};
    CHECK(psc_emit(intro, connected, v, sizeof v / sizeof v[0]));

    /* 5. Some traffic, then one snapshot. */
    host_move_bytes(&h);
    CHECK(psc_introspector_snapshot(intro, &state));
    CHECK(psc_introspector_runtime(intro, &runtime));

    print_summary(peer_id, state, runtime);

    /* Events reach clients through per-reader cursors; read ours back. */
    psc_event_reader *reader;
    CHECK(psc_event_reader_new(intro, true, &reader));
    psc_event_record ev;
    while (psc_event_reader_next(reader, &ev, NULL) == PSC_OK)
        printf("event:       #%" PRIu64 " %s %s\n", ev.seq, psc_event_type_name(ev.type), ev.content);
    psc_event_reader_free(reader);
    printf("events:      %" PRIu64 " emitted\n", psc_events_emitted(intro));

    if (out_path) {
        const psc_msg *msgs[] = {runtime, state};
        if (write_frames(out_path, msgs, 2) != 0)
            goto out;
    }
    rc = 0;

out:
    psc_msg_unref(state);
    psc_msg_unref(runtime);
    psc_introspector_free(intro);
    return rc;
}
