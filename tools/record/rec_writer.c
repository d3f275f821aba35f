#include "rec_writer.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record.h"
#include "tool_util.h"

#define PRUNE_EVERY_MS 1000u
#define PRUNE_ROWS 20000u

/* What the writer knows of a node's current session, in one store. */
typedef struct node_slot {
    bool open;
    bool touched;          /* written to in this hand-over: its progress row is due */
    rec_ids ids;
    uint64_t last_seq;     /* highest event seq the store holds for the run */
    uint64_t last_seen;
    uint64_t dropped;
} node_slot;

typedef struct store_ctx {
    rec_store *store;
    node_slot *slots;
    node_slot *saved;      /* the slots before a hand-over, restored when it is rolled back */
    bool done;             /* has the current hand-over */
    uint64_t next_prune;   /* monotonic ms */
} store_ctx;

struct rec_writer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake;   /* work for the writer */
    pthread_cond_t room;   /* room for the network thread */
    rec_batch *head, *tail;
    size_t queued_bytes;
    size_t inflight_bytes;
    bool finishing;

    /* the writer thread's own */
    store_ctx *ctx;
    size_t n_stores, n_nodes;
    rec_retention ret;
    bool verbose;

    /* under mu */
    bool failed;
    int fail_status;
    char fail_msg[1024];
    rec_writer_stats stats;
};

static void say(rec_writer *w, const char *fmt, ...) PSC_PRINTF(2, 3);

static void say(rec_writer *w, const char *fmt, ...)
{
    if (!w->verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    tool_vreport(stderr, "peerscope-record", NULL, fmt, ap);
    va_end(ap);
}

static void set_failed(rec_writer *w, rec_status st, const rec_store *s, const char *what)
{
    pthread_mutex_lock(&w->mu);
    if (!w->failed) {
        w->failed = true;
        w->fail_status = st == REC_NOMEM ? REC_EXIT_FAILURE : REC_EXIT_STORE_WRITE;
        snprintf(w->fail_msg, sizeof w->fail_msg, "%s: %s (%s)", s->where, what, s->err[0] ? s->err : rec_status_str(st));
    }
    pthread_cond_broadcast(&w->room);
    pthread_mutex_unlock(&w->mu);
}

/* ---------------------------------------------------------- one store */

/* The items of one batch into one store (inside its transaction). */
static rec_status write_batch(rec_writer *w, store_ctx *c, const rec_batch *b, rec_writer_stats *st)
{
    rec_store *s = c->store;
    for (size_t i = 0; i < b->n; i++) {
        const rec_item *it = &b->items[i];
        if (it->node >= w->n_nodes)
            continue;
        node_slot *n = &c->slots[it->node];
        rec_status r = REC_OK;
        switch (it->kind) {
        case REC_ITEM_OPEN:
            memset(n, 0, sizeof *n);
            r = s->vt->session_open(s, &it->u.open.rt, it->u.open.types, it->u.open.n_types, it->u.open.url,
                                    it->wall_ms, &n->ids, &n->last_seq);
            if (!r) {
                n->open = true;
                st->sessions++;
            }
            break;
        case REC_ITEM_EVENT_TYPE:
            if (n->open)
                r = s->vt->event_type(s, &n->ids, it->u.etype.name, it->u.etype.props);
            break;
        case REC_ITEM_STATE:
            if (n->open) {
                rec_state_row row = *it->u.state;
                row.ids = n->ids;
                r = s->vt->state(s, &row);
                st->states++;
            }
            break;
        case REC_ITEM_EVENT:
            if (!n->open)
                break;
            /* after a reconnect to the same run, what the store already holds is skipped */
            if (it->u.event.seq && it->u.event.seq <= n->last_seq) {
                st->duplicates++;
                break;
            }
            {
                rec_event_row ev = {n->ids, it->u.event.ts, it->u.event.seq, it->u.event.type, it->u.event.props};
                r = s->vt->event(s, &ev);
            }
            if (it->u.event.seq > n->last_seq)
                n->last_seq = it->u.event.seq;
            st->events++;
            break;
        case REC_ITEM_NOTICE:
            n->dropped += it->u.dropped;
            break;
        case REC_ITEM_CLOSE:
            if (n->open) {
                rec_progress p = {n->ids, it->wall_ms > n->last_seen ? it->wall_ms : n->last_seen, n->last_seq,
                                  n->dropped, true, it->u.close_reason};
                r = s->vt->progress(s, &p);
                n->open = false;
                n->touched = false;
            }
            continue;
        }
        if (r)
            return r;
        if (n->open) {
            n->touched = true;
            if (it->wall_ms > n->last_seen)
                n->last_seen = it->wall_ms;
        }
    }
    return REC_OK;
}

/* A whole hand-over into one store: one transaction, rolled back whole on failure. */
static rec_status write_all(rec_writer *w, store_ctx *c, const rec_batch *list, rec_writer_stats *st)
{
    rec_store *s = c->store;
    memcpy(c->saved, c->slots, w->n_nodes * sizeof *c->slots);
    rec_status r = s->vt->begin(s);
    for (const rec_batch *b = list; !r && b; b = b->next)
        r = write_batch(w, c, b, st);
    for (size_t i = 0; !r && i < w->n_nodes; i++) {
        node_slot *n = &c->slots[i];
        if (n->open && n->touched) {
            rec_progress p = {n->ids, n->last_seen, n->last_seq, n->dropped, false, NULL};
            r = s->vt->progress(s, &p);
        }
    }
    if (!r)
        r = s->vt->commit(s);
    if (r) {
        s->vt->rollback(s);
        memcpy(c->slots, c->saved, w->n_nodes * sizeof *c->slots);
        return r;
    }
    for (size_t i = 0; i < w->n_nodes; i++)
        c->slots[i].touched = false;
    return REC_OK;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000u, (long)(ms % 1000u) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/*
 * Write a hand-over into every store that does not have it yet. Busy
 * stores are retried (with the same batches: their transactions were
 * rolled back) until REC_BUSY_GIVE_UP_MS pass. false: the writer failed.
 */
static bool write_everywhere(rec_writer *w, const rec_batch *list)
{
    for (size_t i = 0; i < w->n_stores; i++)
        w->ctx[i].done = false;
    uint64_t start = tool_now_ms();
    unsigned backoff = 100;
    for (;;) {
        bool busy = false;
        for (size_t i = 0; i < w->n_stores; i++) {
            store_ctx *c = &w->ctx[i];
            if (c->done)
                continue;
            rec_writer_stats st = {0};
            uint64_t t0 = tool_now_ms();
            rec_status r = write_all(w, c, list, &st);
            uint64_t took = tool_now_ms() - t0;
            if (r == REC_BUSY) {
                busy = true;
                continue;
            }
            if (r) {
                set_failed(w, r, c->store, "cannot store what was recorded");
                return false;
            }
            c->done = true;
            pthread_mutex_lock(&w->mu);
            if (i == 0) {
                w->stats.events += st.events;
                w->stats.states += st.states;
                w->stats.sessions += st.sessions;
                w->stats.duplicates += st.duplicates;
                w->stats.commits++;
            }
            if (took > w->stats.max_commit_ms)
                w->stats.max_commit_ms = took;
            pthread_mutex_unlock(&w->mu);
        }
        if (!busy)
            return true;
        uint64_t waited = tool_now_ms() - start;
        pthread_mutex_lock(&w->mu);
        w->stats.busy_retries++;
        pthread_mutex_unlock(&w->mu);
        if (waited >= REC_BUSY_GIVE_UP_MS) {
            for (size_t i = 0; i < w->n_stores; i++)
                if (!w->ctx[i].done) {
                    set_failed(w, REC_BUSY, w->ctx[i].store, "still busy after 60 s: giving up");
                    break;
                }
            return false;
        }
        for (size_t i = 0; i < w->n_stores; i++)
            if (!w->ctx[i].done)
                say(w, "%s is busy (%s); trying again", w->ctx[i].store->where, w->ctx[i].store->err);
        sleep_ms(backoff);
        if (backoff < 2000)
            backoff *= 2;
    }
}

/*
 * Retention, when due: every PRUNE_EVERY_MS, at once while a prune left
 * rows to do, after every write when the size is bounded (so the file
 * never grows more than one hand-over past it), and at the end (force).
 * false: the writer failed.
 */
static bool prune_all(rec_writer *w, bool force, bool wrote)
{
    if (!w->ret.keep_ms && !w->ret.max_bytes)
        return true;
    uint64_t now = tool_now_ms();
    for (size_t i = 0; i < w->n_stores; i++) {
        store_ctx *c = &w->ctx[i];
        if (!force && now < c->next_prune && !(wrote && w->ret.max_bytes))
            continue;
        rec_prune_result res;
        rec_status r;
        uint64_t rows = 0;
        /* the last prune goes on until nothing is left: no later one will
         * take what one step of PRUNE_ROWS left behind */
        unsigned busy = 0;
        do {
            r = c->store->vt->prune(c->store, &w->ret, tool_wall_ms(), PRUNE_ROWS, &res);
            rows += r ? 0 : res.rows;
            /* at the end a store busy with its checkpoint is waited for
             * (bounded: 2 s), or the last prune would simply not happen */
            if (force && r == REC_BUSY && busy++ < 100)
                nanosleep(&(struct timespec){.tv_nsec = 20 * 1000000L}, NULL);
            else if (r == REC_BUSY)
                break;
        } while (force && (r == REC_BUSY || (!r && res.more)));
        res.rows = rows;
        if (r == REC_BUSY) {
            c->next_prune = now + PRUNE_EVERY_MS;
            continue;
        }
        if (r) {
            set_failed(w, r, c->store, "cannot prune old rows");
            return false;
        }
        c->next_prune = res.more ? now : now + PRUNE_EVERY_MS;
        if (res.rows)
            say(w, "%s: pruned %llu rows, %.1f MB in use", c->store->where, (unsigned long long)res.rows,
                (double)res.size_bytes / 1e6);
        pthread_mutex_lock(&w->mu);
        w->stats.pruned += res.rows;
        if (i == 0)
            w->stats.size_bytes = res.size_bytes;
        pthread_mutex_unlock(&w->mu);
    }
    return true;
}

static void free_list(rec_batch *b)
{
    while (b) {
        rec_batch *next = b->next;
        rec_batch_free(b);
        b = next;
    }
}

static void *writer_main(void *arg)
{
    rec_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->head && !w->finishing) {
            /* wake for retention at least every PRUNE_EVERY_MS */
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += (long)PRUNE_EVERY_MS * 1000000L;
            until.tv_sec += until.tv_nsec / 1000000000L;
            until.tv_nsec %= 1000000000L;
            if (pthread_cond_timedwait(&w->wake, &w->mu, &until) == ETIMEDOUT)
                break;
        }
        rec_batch *list = w->head;
        w->head = w->tail = NULL;
        w->inflight_bytes = w->queued_bytes;
        w->queued_bytes = 0;
        bool failed = w->failed;
        bool last = w->finishing && !list;
        pthread_mutex_unlock(&w->mu);

        if (list && !failed)
            failed = !write_everywhere(w, list);
        free_list(list);
        if (!failed)
            prune_all(w, last, list != NULL);

        pthread_mutex_lock(&w->mu);
        w->inflight_bytes = 0;
        pthread_cond_broadcast(&w->room);
        if (last)
            break;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ------------------------------------------------------------- public */

bool rec_writer_start(rec_store *const *stores, size_t n_stores, size_t n_nodes, const rec_retention *ret,
                      bool verbose, rec_writer **out, char *err, size_t errlen)
{
    rec_writer *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    w->n_stores = n_stores;
    w->n_nodes = n_nodes;
    w->ret = *ret;
    w->verbose = verbose;
    w->ctx = calloc(n_stores, sizeof *w->ctx);
    bool ok = w->ctx != NULL;
    for (size_t i = 0; ok && i < n_stores; i++) {
        w->ctx[i].store = stores[i];
        w->ctx[i].slots = calloc(n_nodes ? n_nodes : 1, sizeof(node_slot));
        w->ctx[i].saved = calloc(n_nodes ? n_nodes : 1, sizeof(node_slot));
        ok = w->ctx[i].slots && w->ctx[i].saved;
    }
    if (!ok) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->room, NULL);

    /* the signals that stop the recorder are for the network thread */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = pthread_create(&w->thread, NULL, writer_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the writer thread: %s", strerror(rc));
        pthread_cond_destroy(&w->room);
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->mu);
        goto fail;
    }
    *out = w;
    return true;
fail:
    for (size_t i = 0; w->ctx && i < n_stores; i++) {
        free(w->ctx[i].slots);
        free(w->ctx[i].saved);
    }
    free(w->ctx);
    free(w);
    return false;
}

void rec_writer_push(rec_writer *w, rec_batch *b)
{
    b->next = NULL;
    size_t bytes = rec_batch_bytes(b);
    pthread_mutex_lock(&w->mu);
    if (w->failed) {
        pthread_mutex_unlock(&w->mu);
        rec_batch_free(b);
        return;
    }
    if (w->tail)
        w->tail->next = b;
    else
        w->head = b;
    w->tail = b;
    w->queued_bytes += bytes;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
}

bool rec_writer_wait_room(rec_writer *w, int timeout_ms)
{
    pthread_mutex_lock(&w->mu);
    bool room = w->failed || w->queued_bytes + w->inflight_bytes < REC_MAX_QUEUED_BYTES;
    if (!room && timeout_ms > 0) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)timeout_ms * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&w->room, &w->mu, &until);
        room = w->failed || w->queued_bytes + w->inflight_bytes < REC_MAX_QUEUED_BYTES;
    }
    pthread_mutex_unlock(&w->mu);
    return room;
}

bool rec_writer_failed(rec_writer *w, int *status, char *msg, size_t len)
{
    pthread_mutex_lock(&w->mu);
    bool failed = w->failed;
    if (failed) {
        *status = w->fail_status;
        snprintf(msg, len, "%s", w->fail_msg);
    }
    pthread_mutex_unlock(&w->mu);
    return failed;
}

void rec_writer_get_stats(rec_writer *w, rec_writer_stats *out)
{
    pthread_mutex_lock(&w->mu);
    *out = w->stats;
    pthread_mutex_unlock(&w->mu);
}

bool rec_writer_finish(rec_writer *w, rec_writer_stats *final, int *status, char *msg, size_t len)
{
    pthread_mutex_lock(&w->mu);
    w->finishing = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    bool failed = rec_writer_failed(w, status, msg, len);
    rec_writer_get_stats(w, final);
    free_list(w->head);
    for (size_t i = 0; i < w->n_stores; i++) {
        free(w->ctx[i].slots);
        free(w->ctx[i].saved);
    }
    free(w->ctx);
    pthread_cond_destroy(&w->room);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->mu);
    free(w);
    return !failed;
}
