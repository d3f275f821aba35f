/* Resource manager rule: a scope's most used limited resource, as a percentage of its limit. */
#include <stdio.h>

#include "analyze/analyze.h"

typedef struct walk {
    psc_analyzer *an;
    psc__rule *r;
    uint64_t now;
    psc_err err;
} walk;

static const char *scope_kind_name(psc_scope_kind k)
{
    switch (k) {
    case PSC_SCOPE_SYSTEM: return "system";
    case PSC_SCOPE_TRANSIENT: return "transient";
    case PSC_SCOPE_SERVICE: return "service";
    case PSC_SCOPE_PROTOCOL: return "protocol";
    case PSC_SCOPE_PEER: return "peer";
    case PSC_SCOPE_CONNECTION: return "connection";
    case PSC_SCOPE_STREAM: return "stream";
    default: return "scope";
    }
}

static void pct(double *worst, uint64_t used, uint64_t limit)
{
    if (limit) {
        double p = 100.0 * (double)used / (double)limit;
        if (p > *worst)
            *worst = p;
    }
}

static void on_scope(void *user, psc_scope_kind kind, const char *name, const psc_resources *u,
                     const psc_resources *l)
{
    walk *w = user;
    if (w->err != PSC_OK)
        return;
    double worst = -1;
    pct(&worst, u->conns_in, l->conns_in);
    pct(&worst, u->conns_out, l->conns_out);
    pct(&worst, u->streams_in, l->streams_in);
    pct(&worst, u->streams_out, l->streams_out);
    pct(&worst, u->memory, l->memory);
    pct(&worst, u->fds, l->fds);
    if (worst < 0)
        return; /* nothing limited */
    char subject[300];
    if (name && *name)
        snprintf(subject, sizeof subject, "%s:%s", scope_kind_name(kind), name);
    else
        snprintf(subject, sizeof subject, "%s", scope_kind_name(kind));
    w->err = psc__observe(w->an, w->r, subject, "scope", worst, NULL, w->now);
}

psc_err psc__eval_rcmgr(psc_analyzer *an, psc__rule *r, const psc__facts *f)
{
    walk w = {an, r, f->now, PSC_OK};
    psc__view_walk vw = {.user = &w, .scope = on_scope};
    psc__view_walk_state(f->view, &vw);
    return w.err;
}
