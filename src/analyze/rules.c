/* Rules from C: validation, copies, adding and removing. */
#include <math.h>
#include <string.h>

#include "analyze/analyze.h"

#define DEFAULT_WINDOW_MS 60000u
#define DEFAULT_MAX_CPL 3u

static bool opt_text_ok(const char *s)
{
    return !s || psc__text_ok(s);
}

static psc_err check(const psc_rule *r)
{
    if (!r->name || !*r->name || !psc__text_ok(r->name))
        return PSC_ERR_INVALID;
    if ((unsigned)r->kind >= PSC_RULE_KIND_COUNT_ || (unsigned)r->severity > PSC_SEVERITY_CRITICAL)
        return PSC_ERR_INVALID;
    if (isnan(r->hysteresis) || r->hysteresis < 0 || isinf(r->threshold))
        return PSC_ERR_INVALID;
    if (!opt_text_ok(r->subject) || !opt_text_ok(r->set) || !opt_text_ok(r->event_type) ||
        !opt_text_ok(r->property))
        return PSC_ERR_INVALID;
    if (r->kind == PSC_RULE_EXPECTED_EVENTS &&
        (!r->event_type || !*r->event_type || !r->property || !*r->property || !r->window_ms))
        return PSC_ERR_INVALID;
    if (r->kind == PSC_RULE_CUSTOM && !r->custom)
        return PSC_ERR_INVALID;
    if (r->max_cpl > 256)
        return PSC_ERR_INVALID;
    return PSC_OK;
}

static bool dup_opt(psc_analyzer *an, const char *s, char **out)
{
    *out = NULL;
    if (!s)
        return true;
    return (*out = psc__an_strdup(an, s)) != NULL;
}

psc_err psc__rule_new(psc_analyzer *an, const psc_rule *in, psc__rule **out)
{
    if (!in || in->struct_size < sizeof(size_t))
        return PSC_ERR_INVALID;
    psc_rule cfg = PSC_RULE_INIT;
    size_t n = in->struct_size < sizeof cfg ? in->struct_size : sizeof cfg;
    memcpy(&cfg, in, n);
    cfg.struct_size = sizeof cfg;
    psc_err e = check(&cfg);
    if (e != PSC_OK)
        return e;
    psc__rule *r = psc__calloc(&an->alloc, 1, sizeof *r);
    if (!r)
        return PSC_ERR_NOMEM;
    if (!dup_opt(an, cfg.name, &r->name) || !dup_opt(an, cfg.subject, &r->subject) ||
        !dup_opt(an, cfg.set ? cfg.set : "", &r->set) || !dup_opt(an, cfg.event_type, &r->event_type) ||
        !dup_opt(an, cfg.property, &r->property)) {
        psc__rule_free(an, r, false, 0);
        return PSC_ERR_NOMEM;
    }
    cfg.name = r->name;
    cfg.subject = r->subject;
    cfg.set = r->set;
    cfg.event_type = r->event_type;
    cfg.property = r->property;
    if (!cfg.window_ms)
        cfg.window_ms = DEFAULT_WINDOW_MS;
    if (!cfg.max_cpl)
        cfg.max_cpl = DEFAULT_MAX_CPL;
    r->cfg = cfg;
    r->op = psc__kind_op(cfg.kind);
    if (cfg.kind == PSC_RULE_EXPECTED_EVENTS)
        r->threshold = (double)cfg.window_ms; /* the window is the threshold */
    else if (cfg.kind == PSC_RULE_EXPECTED_PEERS)
        r->threshold = 0;
    else
        r->threshold = isnan(cfg.threshold) ? psc__kind_default(cfg.kind) : cfg.threshold;
    *out = r;
    return PSC_OK;
}

psc__rule *psc__rule_find(psc_analyzer *an, const char *name)
{
    for (size_t i = 0; i < an->n_rules; i++)
        if (!an->rules[i]->removed && strcmp(an->rules[i]->name, name) == 0)
            return an->rules[i];
    return NULL;
}

psc_err psc_analyzer_add_rule(psc_analyzer *an, const psc_rule *rule)
{
    if (!an || !rule)
        return PSC_ERR_INVALID;
    psc__rule *r = NULL;
    pthread_mutex_lock(&an->lock);
    psc_err e = psc__rule_new(an, rule, &r);
    if (e == PSC_OK && psc__rule_find(an, r->name))
        e = PSC_ERR_EXISTS;
    else if (e == PSC_OK && !psc__an_grow(an, (void **)&an->rules, &an->cap_rules, an->n_rules + 1,
                                          sizeof *an->rules))
        e = PSC_ERR_NOMEM;
    if (e == PSC_OK)
        an->rules[an->n_rules++] = r;
    else
        psc__rule_free(an, r, false, 0);
    pthread_mutex_unlock(&an->lock);
    return e;
}

psc_err psc_analyzer_remove_rule(psc_analyzer *an, const char *name)
{
    if (!an || !name)
        return PSC_ERR_INVALID;
    pthread_mutex_lock(&an->lock);
    psc__rule *r = psc__rule_find(an, name);
    /* resolved at the next evaluation, with that state's time */
    if (r)
        r->removed = true;
    pthread_mutex_unlock(&an->lock);
    return r ? PSC_OK : PSC_ERR_NOT_FOUND;
}
