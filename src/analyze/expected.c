/*
 * Expected sets (fixed, from a file, or from a host provider) and the two
 * rule kinds over them: expected peers (must be connected) and expected
 * events (each member must be named by an event of a type within every
 * window: the missing-vote rule).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/analyze.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void ids_free(psc_analyzer *an, char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        psc__free(&an->alloc, ids[i]);
    psc__free(&an->alloc, ids);
}

/* Sort and drop duplicates, in place. */
static size_t ids_unique(psc_analyzer *an, char **ids, size_t n)
{
    qsort(ids, n, sizeof *ids, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        if (u && strcmp(ids[u - 1], ids[i]) == 0)
            psc__free(&an->alloc, ids[i]);
        else
            ids[u++] = ids[i];
    }
    return u;
}

psc__set *psc__set_find(psc_analyzer *an, const char *name)
{
    for (size_t i = 0; i < an->n_sets; i++)
        if (strcmp(an->sets[i].name, name) == 0)
            return &an->sets[i];
    return NULL;
}

static psc__set *set_get(psc_analyzer *an, const char *name)
{
    psc__set *s = psc__set_find(an, name);
    if (s)
        return s;
    if (!psc__an_grow(an, (void **)&an->sets, &an->cap_sets, an->n_sets + 1, sizeof *an->sets))
        return NULL;
    char *nm = psc__an_strdup(an, name);
    if (!nm)
        return NULL;
    an->sets[an->n_sets] = (psc__set){.name = nm};
    return &an->sets[an->n_sets++];
}

/* [lock] Give set the ids (taken over, freed on failure). */
static psc_err set_replace(psc_analyzer *an, const char *name, char **ids, size_t n, bool keep_provider)
{
    psc__set *s = set_get(an, name);
    if (!s) {
        ids_free(an, ids, n);
        return PSC_ERR_NOMEM;
    }
    n = ids_unique(an, ids, n);
    ids_free(an, s->ids, s->n);
    s->ids = ids;
    s->n = n;
    if (!keep_provider)
        s->fn = NULL;
    return PSC_OK;
}

psc_err psc_analyzer_set_expected(psc_analyzer *an, const char *set, const char *const *ids, size_t n)
{
    if (!an || (n && !ids) || (set && !psc__text_ok(set)))
        return PSC_ERR_INVALID;
    for (size_t i = 0; i < n; i++)
        if (!ids[i] || !*ids[i] || !psc__text_ok(ids[i]))
            return PSC_ERR_INVALID;
    char **copy = n ? psc__calloc(&an->alloc, n, sizeof *copy) : NULL;
    if (n && !copy)
        return PSC_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        if (!(copy[i] = psc__an_strdup(an, ids[i]))) {
            ids_free(an, copy, i);
            return PSC_ERR_NOMEM;
        }
    pthread_mutex_lock(&an->lock);
    psc_err e = set_replace(an, set ? set : "", copy, n, false);
    pthread_mutex_unlock(&an->lock);
    return e;
}

psc_err psc_analyzer_load_expected(psc_analyzer *an, const char *set, const char *path)
{
    if (!an || !path)
        return PSC_ERR_INVALID;
    FILE *fp = fopen(path, "r");
    if (!fp)
        return PSC_ERR_IO;
    const char **ids = NULL;
    size_t n = 0, cap = 0;
    char line[1024];
    psc_err e = PSC_OK;
    while (e == PSC_OK && fgets(line, sizeof line, fp)) {
        char *p = line, *end = line + strlen(line);
        while (*p == ' ' || *p == '\t')
            p++;
        while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        if (!*p || *p == '#')
            continue;
        char *id = psc__an_strdup(an, p);
        if (!id || !psc__an_grow(an, (void **)&ids, &cap, n + 1, sizeof *ids)) {
            psc__free(&an->alloc, id);
            e = PSC_ERR_NOMEM;
            break;
        }
        ids[n++] = id;
    }
    if (e == PSC_OK && ferror(fp))
        e = PSC_ERR_IO;
    fclose(fp);
    if (e == PSC_OK)
        e = psc_analyzer_set_expected(an, set, ids, n);
    for (size_t i = 0; i < n; i++)
        psc__free(&an->alloc, (char *)ids[i]);
    psc__free(&an->alloc, ids);
    return e;
}

psc_err psc_analyzer_set_expected_provider(psc_analyzer *an, const char *set, psc_expected_fn fn, void *user)
{
    if (!an || (set && !psc__text_ok(set)))
        return PSC_ERR_INVALID;
    pthread_mutex_lock(&an->lock);
    psc__set *s = set_get(an, set ? set : "");
    if (s) {
        s->fn = fn;
        s->user = user;
    }
    pthread_mutex_unlock(&an->lock);
    return s ? PSC_OK : PSC_ERR_NOMEM;
}

psc_err psc_expected_add(psc_expected_sink *sink, const char *id)
{
    if (!sink || !id || !*id || !psc__text_ok(id))
        return PSC_ERR_INVALID;
    psc_analyzer *an = sink->an;
    char *c = psc__an_strdup(an, id);
    if (!c || !psc__an_grow(an, (void **)&sink->ids, &sink->cap, sink->n + 1, sizeof *sink->ids)) {
        psc__free(&an->alloc, c);
        sink->failed = true;
        return PSC_ERR_NOMEM;
    }
    sink->ids[sink->n++] = c;
    return PSC_OK;
}

void psc__sets_refresh(psc_analyzer *an)
{
    for (size_t i = 0; i < an->n_sets; i++) {
        psc__set *s = &an->sets[i];
        if (!s->fn)
            continue;
        psc_expected_sink sink = {.an = an};
        psc_err e = s->fn(s->user, s->name, &sink);
        if (e != PSC_OK || sink.failed) {
            psc__log(an->intro, PSC_LOG_WARN, "expected set %s kept: its provider failed (%s)", s->name,
                     psc_strerror(e != PSC_OK ? e : PSC_ERR_NOMEM));
            ids_free(an, sink.ids, sink.n);
            continue;
        }
        char *name = s->name;
        if (set_replace(an, name, sink.ids, sink.n, true) != PSC_OK)
            psc__log(an->intro, PSC_LOG_WARN, "expected set %s kept: out of memory", name);
    }
}

void psc__sets_free(psc_analyzer *an)
{
    for (size_t i = 0; i < an->n_sets; i++) {
        ids_free(an, an->sets[i].ids, an->sets[i].n);
        psc__free(&an->alloc, an->sets[i].name);
    }
    psc__free(&an->alloc, an->sets);
    an->sets = NULL;
    an->n_sets = an->cap_sets = 0;
}

/* ------------------------------------------------------------- rules */

psc_err psc__eval_expected_peers(psc_analyzer *an, psc__rule *r, const psc__facts *f)
{
    const psc__set *s = psc__set_find(an, r->set);
    if (!s)
        return PSC_OK;
    for (size_t i = 0; i < s->n; i++) {
        double missing = psc__facts_connected(f, s->ids[i]) ? 0 : 1;
        psc_err e = psc__observe(an, r, s->ids[i], "peer", missing, NULL, f->now);
        if (e != PSC_OK)
            return e;
    }
    return PSC_OK;
}

/*
 * Each member's last event time is in the rule's memories (ts); a member
 * new to the set counts from the evaluation that first saw it, so a set
 * that grows does not fire at once.
 */
psc_err psc__eval_expected_events(psc_analyzer *an, psc__rule *r, const psc__facts *f)
{
    const psc__set *s = psc__set_find(an, r->set);
    if (!s)
        return PSC_OK;
    for (size_t i = 0; i < s->n; i++) {
        psc__mem *m = psc__mem_get(an, &r->mems, s->ids[i]);
        if (!m)
            return PSC_ERR_NOMEM;
        if (!m->ts)
            m->ts = f->now;
    }
    char who[256];
    for (size_t k = 0; k < an->n_evs; k++) {
        const psc__ev *ev = &an->evs[k];
        if (strcmp(ev->type, r->event_type) != 0 ||
            psc_event_prop_text(psc__ev_content(an, ev), r->property, who, sizeof who) != PSC_OK)
            continue;
        for (size_t i = 0; i < r->mems.n; i++) {
            psc__mem *m = &r->mems.v[i];
            if (strcmp(m->key, who) == 0) {
                if (ev->ts > m->ts)
                    m->ts = ev->ts;
                break;
            }
        }
    }
    for (size_t i = 0; i < r->mems.n; i++) {
        psc__mem *m = &r->mems.v[i];
        if (!m->seen)
            continue; /* left the set: swept below */
        double gap = f->now > m->ts ? (double)(f->now - m->ts) : 0;
        char msg[512];
        snprintf(msg, sizeof msg, "%s: no %s event naming %s for %.0f ms (window %llu ms)", r->name, r->event_type,
                 m->key, gap, (unsigned long long)r->cfg.window_ms);
        psc_err e = psc__observe(an, r, m->key, "peer", gap, gap > r->threshold ? msg : NULL, f->now);
        if (e != PSC_OK)
            return e;
    }
    psc__mem_sweep(an, &r->mems);
    return PSC_OK;
}
