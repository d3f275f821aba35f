/* peerscope-hub: the pulled nodes, C clients on one loop with reconnect backoff (the pull thread). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub.h"

/* A link that stayed up this long earns the shortest backoff again. */
#define PULL_STABLE_MS 10000u

typedef struct pull_node {
    hub *h;
    hub_node *node;
    psc_client *client;
    uint64_t gen;               /* of the link up now (0: none) */
    uint64_t next_id;
    uint64_t up_at_ms;
    uint32_t backoff_ms;
    uint64_t retry_at_ms;       /* 0: not waiting to reconnect */
} pull_node;

typedef struct hub_pull {
    hub *h;
    psc_client_loop *loop;
    pull_node *nodes;
    size_t n;
    pthread_t thread;
} hub_pull;

static psc_err pull_send(void *link, const Peerscope__ClientCommand *cmd)
{
    pull_node *p = link;
    return psc_client_send_command(p->client, cmd);
}

static void on_open(void *user, psc_client *c)
{
    (void)c;
    pull_node *p = user;
    p->gen = hub_link_up(p->h, p->node, NULL);
    p->up_at_ms = hub_mono_ms();
    if (hub_link_greet(pull_send, p, &p->next_id))
        psc_client_close(p->client);
}

static void on_message(void *user, psc_client *c, const Peerscope__ServerMessage *msg, const uint8_t *payload,
                       size_t len)
{
    (void)c;
    pull_node *p = user;
    bool resume = false;
    uint64_t after = 0;
    if (!p->gen || !hub_link_message(p->h, p->node, p->gen, msg, payload, len, &resume, &after))
        return;
    if (resume && hub_link_subscribe(pull_send, p, &p->next_id, after))
        psc_client_close(p->client);
}

static void on_close(void *user, psc_client *c, psc_err err, int code, const char *reason)
{
    (void)c;
    (void)code;
    pull_node *p = user;
    char why[128];
    if (err == PSC_ERR_AUTH)
        snprintf(why, sizeof why, "token refused (%s)", reason ? reason : "");
    else
        snprintf(why, sizeof why, "%s", reason && *reason ? reason : psc_strerror(err));
    uint64_t now = hub_mono_ms();
    if (p->gen) {
        hub_link_down(p->h, p->node, p->gen, why);
        if (now - p->up_at_ms >= PULL_STABLE_MS)
            p->backoff_ms = HUB_BACKOFF_MIN_MS;
    } else {
        /* never came up: keep the row's reason current */
        pthread_mutex_lock(&p->h->lock);
        if (!p->node->up)
            snprintf(p->node->error, sizeof p->node->error, "%s", why);
        pthread_mutex_unlock(&p->h->lock);
    }
    p->gen = 0;
    /* jitter: nodes that went down together do not all come back at once */
    uint32_t jitter = (uint32_t)(rand() % (int)(p->backoff_ms / 4 + 1));
    p->retry_at_ms = now + p->backoff_ms + jitter;
    p->backoff_ms = p->backoff_ms * 2 > HUB_BACKOFF_MAX_MS ? HUB_BACKOFF_MAX_MS : p->backoff_ms * 2;
}

static void *pull_main(void *arg)
{
    hub_pull *pl = arg;
    while (!atomic_load(&pl->h->stop)) {
        uint64_t now = hub_mono_ms();
        int wait = 250;
        for (size_t i = 0; i < pl->n; i++) {
            pull_node *p = &pl->nodes[i];
            if (!p->retry_at_ms)
                continue;
            if (p->retry_at_ms <= now) {
                p->retry_at_ms = 0;
                if (psc_client_reconnect(p->client))
                    p->retry_at_ms = now + p->backoff_ms;
            } else if (p->retry_at_ms - now < (uint64_t)wait) {
                wait = (int)(p->retry_at_ms - now);
            }
        }
        if (psc_client_loop_poll(pl->loop, wait) == PSC_ERR_IO) {
            hub_log(pl->h, false, "client loop failed");
            break;
        }
    }
    return NULL;
}

static void pull_free(hub_pull *pl)
{
    for (size_t i = 0; i < pl->n; i++)
        psc_client_free(pl->nodes[i].client);
    psc_client_loop_free(pl->loop);
    free(pl->nodes);
    free(pl);
}

psc_err hub_pull_start(hub *h)
{
    hub_pull *pl = calloc(1, sizeof *pl);
    if (!pl)
        return PSC_ERR_NOMEM;
    pl->h = h;
    size_t count = 0;
    for (size_t i = 0; i < h->n_nodes; i++)
        count += !h->nodes[i]->push;
    pl->nodes = calloc(count ? count : 1, sizeof *pl->nodes);
    psc_err err = pl->nodes ? psc_client_loop_new(NULL, &pl->loop) : PSC_ERR_NOMEM;
    psc_client_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.struct_size = sizeof cb;
    cb.on_open = on_open;
    cb.on_message = on_message;
    cb.on_close = on_close;
    for (size_t i = 0; !err && i < h->n_nodes; i++) {
        hub_node *n = h->nodes[i];
        if (n->push)
            continue;
        pull_node *p = &pl->nodes[pl->n];
        p->h = h;
        p->node = n;
        p->next_id = 1;
        p->backoff_ms = HUB_BACKOFF_MIN_MS;
        psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
        cfg.url = n->url;
        cfg.token = n->token;
        cfg.loop = pl->loop;
        cfg.callbacks = &cb;
        cfg.user = p;
        /* the client's own ids stay clear of the ones the link sets itself */
        cfg.first_command_id = 1u << 30;
        err = psc_client_new(&cfg, &p->client);
        if (err)
            hub_log(h, false, "node %s: cannot dial %s: %s", n->name, n->url, psc_strerror(err));
        else
            pl->n++;
    }
    if (!err && pthread_create(&pl->thread, NULL, pull_main, pl))
        err = PSC_ERR_NOMEM;
    if (err) {
        pull_free(pl);
        return err;
    }
    h->pull = pl;
    return PSC_OK;
}

void hub_pull_stop(hub *h)
{
    hub_pull *pl = h->pull;
    if (!pl)
        return;
    psc_client_loop_wake(pl->loop);
    pthread_join(pl->thread, NULL);
    pull_free(pl);
    h->pull = NULL;
}
