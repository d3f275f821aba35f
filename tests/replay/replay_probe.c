/*
 * A C client of peerscope-replay for the shell tests (tests/replay), over
 * include/peerscope/client.h:
 *
 *   replay_probe URL runtime        REQUEST RUNTIME; prints Runtime.recording as
 *                                   "recording start=S end=E speed=X loop=0|1 states=N events=M node=NAME"
 *   replay_probe URL at TS...       REQUEST STATE with at_ts TS, one after another; prints per answer
 *                                   "at TS ok instant_ts=T seq=Q" or "at TS err REASON"
 *   replay_probe URL state          plain REQUEST STATE; prints "state instant_ts=T"
 *
 * Options before URL: --token T. Exit 0 when every answer came (whatever
 * it said), 3 when the connection failed or closed first, 4 when the
 * token was refused, 2 for usage. Stops after 20 s without an answer.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerscope/client.h"
#include "peerscope/peerscope.pb-c.h"

typedef struct probe {
    const char *mode;
    char **ts;
    int n_ts, next_ts;
    uint64_t waiting_id;  /* the command whose answer is awaited; 0: none */
    bool done, failed, auth;
} probe;

static void ask_next(probe *p, psc_client *c)
{
    psc_err e = PSC_OK;
    if (strcmp(p->mode, "runtime") == 0) {
        if (p->next_ts++)
            p->done = true;
        else
            e = psc_client_request(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME, &p->waiting_id);
    } else if (strcmp(p->mode, "state") == 0) {
        if (p->next_ts++)
            p->done = true;
        else
            e = psc_client_request(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, &p->waiting_id);
    } else if (p->next_ts == p->n_ts) {
        p->done = true;
    } else {
        uint64_t at = strtoull(p->ts[p->next_ts++], NULL, 10);
        e = psc_client_request_state_at(c, at, &p->waiting_id);
    }
    if (e != PSC_OK) {
        fprintf(stderr, "replay_probe: cannot send: %s\n", psc_strerror(e));
        p->failed = true;
    }
}

static void on_open(void *user, psc_client *c)
{
    probe *p = user;
    if (psc_client_hello(c, NULL, NULL) != PSC_OK)
        p->failed = true;
    ask_next(p, c);
}

static void on_runtime(void *user, psc_client *c, const Peerscope__Runtime *rt)
{
    probe *p = user;
    if (strcmp(p->mode, "runtime") != 0)
        return;
    const Peerscope__Recording *r = rt->recording;
    if (!r)
        printf("recording none\n");
    else
        printf("recording start=%" PRIu64 " end=%" PRIu64 " speed=%g loop=%d states=%" PRIu64 " events=%" PRIu64
               " node=%s\n",
               r->start_ts, r->end_ts, r->speed, r->loop ? 1 : 0, r->state_count, r->event_count,
               r->node && r->node[0] ? r->node : "-");
    ask_next(p, c);
}

static void on_state(void *user, psc_client *c, const Peerscope__State *st)
{
    probe *p = user;
    if (strcmp(p->mode, "state") != 0)
        return;
    printf("state instant_ts=%" PRIu64 "\n", st->instant_ts);
    ask_next(p, c);
}

static void on_response(void *user, psc_client *c, const Peerscope__CommandResponse *r)
{
    probe *p = user;
    if (strcmp(p->mode, "at") != 0 || r->id != p->waiting_id)
        return;
    const char *at = p->ts[p->next_ts - 1];
    if (r->result == PEERSCOPE__COMMAND_RESPONSE__RESULT__OK && r->state)
        printf("at %s ok instant_ts=%" PRIu64 " seq=%" PRIu64 "\n", at, r->state->instant_ts, r->state->seq);
    else if (r->result == PEERSCOPE__COMMAND_RESPONSE__RESULT__OK)
        printf("at %s ok-without-state\n", at);
    else
        printf("at %s err %s\n", at, r->error ? r->error : "");
    ask_next(p, c);
}

static void on_close(void *user, psc_client *c, psc_err err, int code, const char *reason)
{
    (void)c;
    probe *p = user;
    if (!p->done) {
        fprintf(stderr, "replay_probe: closed: %s (%d %s)\n", psc_strerror(err), code, reason ? reason : "");
        p->failed = true;
        p->auth = err == PSC_ERR_AUTH;
    }
}

int main(int argc, char **argv)
{
    const char *token = NULL;
    int i = 1;
    if (i + 1 < argc && strcmp(argv[i], "--token") == 0) {
        token = argv[i + 1];
        i += 2;
    }
    if (argc - i < 2) {
        fprintf(stderr, "usage: replay_probe [--token T] URL runtime|state|at TS...\n");
        return 2;
    }
    probe p = {.mode = argv[i + 1], .ts = argv + i + 2, .n_ts = argc - i - 2};
    if (strcmp(p.mode, "at") == 0 && p.n_ts == 0)
        return 2;
    psc_client_callbacks cb = {.struct_size = sizeof cb, .on_open = on_open, .on_runtime = on_runtime,
                               .on_state = on_state, .on_response = on_response, .on_close = on_close};
    psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
    cfg.url = argv[i];
    cfg.token = token;
    cfg.callbacks = &cb;
    cfg.user = &p;
    psc_client *c = NULL;
    psc_err e = psc_client_new(&cfg, &c);
    if (e != PSC_OK) {
        fprintf(stderr, "replay_probe: %s\n", psc_strerror(e));
        return 2;
    }
    /* Bounded by the number of polls, not by a clock: 200 polls of at most 100 ms each. */
    for (int n = 0; n < 200 && !p.done && !p.failed; n++) {
        size_t before = (size_t)p.next_ts;
        psc_client_poll(c, 100);
        if ((size_t)p.next_ts != before)
            n = 0; /* an answer came: the bound is per answer */
    }
    fflush(stdout);
    psc_client_free(c);
    if (p.auth)
        return 4;
    return p.done ? 0 : 3;
}
