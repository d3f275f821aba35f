/*
 * The rules file: YAML read by libyaml into a document, then walked
 * field by field so that every error names its line and its field
 * ("rules.yaml:12: rules[2].threshold: expected a number, got \"lots\"").
 * Loading is all or nothing: rules are validated and built first, added
 * only when the whole file is good.
 *
 *     expected:                 # named sets of peer ids (or other subjects)
 *       validators: [12D3KooA..., 12D3KooB...]
 *     rules:
 *       - name: validator-missing-votes
 *         kind: expected_events
 *         set: validators
 *         event: Vote
 *         property: validator
 *         window: 6s
 *         severity: critical
 *         for: 0s
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "analyze/analyze.h"

typedef struct ctx {
    psc_analyzer *an;
    yaml_document_t *doc;
    const char *origin;
    char *err;
    size_t err_len;
    psc_err code;
} ctx;

static psc_err fail(ctx *c, const yaml_node_t *at, const char *field, const char *fmt, ...) PSC_PRINTF(4, 5);

static psc_err fail(ctx *c, const yaml_node_t *at, const char *field, const char *fmt, ...)
{
    if (c->err && c->err_len) {
        int n = snprintf(c->err, c->err_len, "%s:%lu: %s: ", c->origin,
                         at ? (unsigned long)at->start_mark.line + 1 : 1ul, field);
        if (n >= 0 && (size_t)n < c->err_len) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(c->err + n, c->err_len - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    c->code = PSC_ERR_INVALID;
    return PSC_ERR_INVALID;
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static psc_err get_number(ctx *c, const yaml_node_t *n, const char *field, double *out)
{
    const char *s = scalar(n);
    if (!s)
        return fail(c, n, field, "expected a number");
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v))
        return fail(c, n, field, "expected a number, got \"%s\"", s);
    *out = v;
    return PSC_OK;
}

static psc_err get_uint(ctx *c, const yaml_node_t *n, const char *field, uint64_t max, uint64_t *out)
{
    const char *s = scalar(n);
    if (!s)
        return fail(c, n, field, "expected a whole number");
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || *s == '-' || errno == ERANGE || v > max)
        return fail(c, n, field, "expected a whole number up to %llu, got \"%s\"", (unsigned long long)max, s);
    *out = v;
    return PSC_OK;
}

/* "250ms", "10s", "2m", "1h", or a bare number of milliseconds. */
static psc_err get_duration(ctx *c, const yaml_node_t *n, const char *field, uint64_t *out)
{
    const char *s = scalar(n);
    if (!s)
        return fail(c, n, field, "expected a duration (500ms, 10s, 2m, 1h)");
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    double mult = 0;
    if (end != s && !*end)
        mult = 1;
    else if (end != s && strcmp(end, "ms") == 0)
        mult = 1;
    else if (end != s && strcmp(end, "s") == 0)
        mult = 1000;
    else if (end != s && strcmp(end, "m") == 0)
        mult = 60000;
    else if (end != s && strcmp(end, "h") == 0)
        mult = 3600000;
    if (!mult || errno == ERANGE || !isfinite(v) || v < 0 || v * mult > 1e15)
        return fail(c, n, field, "expected a duration (500ms, 10s, 2m, 1h), got \"%s\"", s);
    *out = (uint64_t)(v * mult + 0.5);
    return PSC_OK;
}

static psc_err get_text(ctx *c, const yaml_node_t *n, const char *field, const char **out)
{
    const char *s = scalar(n);
    if (!s || !*s)
        return fail(c, n, field, "expected a non-empty string");
    if (!psc__text_ok(s))
        return fail(c, n, field, "not valid UTF-8");
    *out = s;
    return PSC_OK;
}

static psc_err get_severity(ctx *c, const yaml_node_t *n, const char *field, psc_severity *out)
{
    const char *s = scalar(n);
    if (s && strcmp(s, "info") == 0)
        *out = PSC_SEVERITY_INFO;
    else if (s && strcmp(s, "warning") == 0)
        *out = PSC_SEVERITY_WARNING;
    else if (s && strcmp(s, "critical") == 0)
        *out = PSC_SEVERITY_CRITICAL;
    else
        return fail(c, n, field, "expected info, warning or critical, got \"%s\"", s ? s : "(not a string)");
    return PSC_OK;
}

static psc_err get_kind(ctx *c, const yaml_node_t *n, const char *field, psc_rule_kind *out)
{
    const char *s = scalar(n);
    if (s && psc_rule_kind_from_name(s, out) == PSC_OK && *out != PSC_RULE_CUSTOM)
        return PSC_OK;
    char kinds[512] = "";
    size_t len = 0;
    for (unsigned k = 0; k < PSC_RULE_CUSTOM; k++) {
        int w = snprintf(kinds + len, sizeof kinds - len, "%s%s", k ? ", " : "", psc_rule_kind_name(k));
        if (w < 0 || (size_t)w >= sizeof kinds - len)
            break;
        len += (size_t)w;
    }
    if (s && strcmp(s, "custom") == 0)
        return fail(c, n, field, "custom rules are added from C (psc_analyzer_add_rule)");
    return fail(c, n, field, "unknown kind \"%s\" (one of %s)", s ? s : "(not a string)", kinds);
}

static bool add_rule(psc__loaded *l, psc_analyzer *an, psc__rule *r)
{
    if (!psc__an_grow(an, (void **)&l->rules, &l->cap_rules, l->n_rules + 1, sizeof *l->rules))
        return false;
    l->rules[l->n_rules++] = r;
    return true;
}

static psc_err parse_rule(ctx *c, const yaml_node_t *node, size_t idx, psc__loaded *l)
{
    char field[96];
    snprintf(field, sizeof field, "rules[%zu]", idx);
    if (node->type != YAML_MAPPING_NODE)
        return fail(c, node, field, "expected a mapping (name, kind, ...)");
    psc_rule r = PSC_RULE_INIT;
    bool has_kind = false;
    const yaml_node_t *kind_node = node;
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        const char *key = scalar(k);
        snprintf(field, sizeof field, "rules[%zu].%s", idx, key ? key : "?");
        psc_err e;
        uint64_t u = 0;
        if (!key)
            e = fail(c, k, field, "a field name must be a string");
        else if (strcmp(key, "name") == 0)
            e = get_text(c, v, field, &r.name);
        else if (strcmp(key, "kind") == 0) {
            e = get_kind(c, v, field, &r.kind);
            has_kind = true;
            kind_node = v;
        } else if (strcmp(key, "severity") == 0)
            e = get_severity(c, v, field, &r.severity);
        else if (strcmp(key, "threshold") == 0)
            e = get_number(c, v, field, &r.threshold);
        else if (strcmp(key, "hysteresis") == 0) {
            e = get_number(c, v, field, &r.hysteresis);
            if (e == PSC_OK && r.hysteresis < 0)
                e = fail(c, v, field, "must not be negative");
        } else if (strcmp(key, "for") == 0)
            e = get_duration(c, v, field, &r.for_ms);
        else if (strcmp(key, "resolve_for") == 0)
            e = get_duration(c, v, field, &r.resolve_ms);
        else if (strcmp(key, "window") == 0)
            e = get_duration(c, v, field, &r.window_ms);
        else if (strcmp(key, "subject") == 0)
            e = get_text(c, v, field, &r.subject);
        else if (strcmp(key, "set") == 0)
            e = get_text(c, v, field, &r.set);
        else if (strcmp(key, "event") == 0)
            e = get_text(c, v, field, &r.event_type);
        else if (strcmp(key, "property") == 0)
            e = get_text(c, v, field, &r.property);
        else if (strcmp(key, "max_cpl") == 0) {
            e = get_uint(c, v, field, 256, &u);
            r.max_cpl = (uint32_t)u;
        } else
            e = fail(c, k, field,
                     "unknown field (name, kind, severity, threshold, hysteresis, for, resolve_for, window, "
                     "subject, set, event, property, max_cpl)");
        if (e != PSC_OK)
            return e;
    }
    snprintf(field, sizeof field, "rules[%zu]", idx);
    if (!r.name)
        return fail(c, node, field, "name: missing");
    if (!has_kind)
        return fail(c, node, field, "kind: missing");
    if (r.kind == PSC_RULE_EXPECTED_EVENTS) {
        const char *missing = !r.event_type ? "event" : !r.property ? "property" : !r.window_ms ? "window" : NULL;
        if (missing) {
            snprintf(field, sizeof field, "rules[%zu].%s", idx, missing);
            return fail(c, kind_node, field, "missing (expected_events needs event, property and window)");
        }
    }
    for (size_t i = 0; i < l->n_rules; i++)
        if (strcmp(l->rules[i]->name, r.name) == 0) {
            snprintf(field, sizeof field, "rules[%zu].name", idx);
            return fail(c, node, field, "\"%s\" is used by rules[%zu] already", r.name, i);
        }
    psc__rule *built;
    psc_err e = psc__rule_new(c->an, &r, &built);
    if (e == PSC_ERR_INVALID)
        return fail(c, node, field, "not a valid rule");
    if (e != PSC_OK)
        return c->code = e;
    if (!add_rule(l, c->an, built)) {
        psc__rule_free(c->an, built, false, 0);
        return c->code = PSC_ERR_NOMEM;
    }
    return PSC_OK;
}

static psc_err parse_sets(ctx *c, const yaml_node_t *node, psc__loaded *l)
{
    if (node->type != YAML_MAPPING_NODE)
        return fail(c, node, "expected", "expected a mapping of set names to lists of ids");
    psc_analyzer *an = c->an;
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        char field[160];
        const char *name = scalar(k);
        if (!name || !psc__text_ok(name))
            return fail(c, k, "expected", "a set name must be a UTF-8 string");
        snprintf(field, sizeof field, "expected.%s", name);
        if (v->type != YAML_SEQUENCE_NODE)
            return fail(c, v, field, "expected a list of ids");
        if (!psc__an_grow(an, (void **)&l->sets, &l->cap_sets, l->n_sets + 1, sizeof *l->sets))
            return c->code = PSC_ERR_NOMEM;
        size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
        psc__loaded_set *set = &l->sets[l->n_sets];
        *set = (psc__loaded_set){0};
        set->ids = n ? psc__calloc(&an->alloc, n, sizeof *set->ids) : NULL;
        set->name = psc__an_strdup(an, name);
        l->n_sets++; /* freed by psc__loaded_free from here on */
        if ((n && !set->ids) || !set->name)
            return c->code = PSC_ERR_NOMEM;
        size_t j = 0;
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++, j++) {
            const yaml_node_t *idn = yaml_document_get_node(c->doc, *it);
            char f2[200];
            snprintf(f2, sizeof f2, "%s[%zu]", field, j);
            const char *id = NULL;
            psc_err e = get_text(c, idn, f2, &id);
            if (e != PSC_OK)
                return e;
            if (!(set->ids[j] = psc__an_strdup(an, id)))
                return c->code = PSC_ERR_NOMEM;
            set->n++;
        }
    }
    return PSC_OK;
}

static psc_err walk(ctx *c, psc__loaded *l)
{
    const yaml_node_t *root = yaml_document_get_root_node(c->doc);
    if (!root)
        return fail(c, NULL, "(file)", "empty: expected a mapping with rules (and expected)");
    if (root->type != YAML_MAPPING_NODE)
        return fail(c, root, "(file)", "expected a mapping with rules (and expected)");
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        const char *key = scalar(k);
        psc_err e;
        if (key && strcmp(key, "rules") == 0) {
            if (v->type != YAML_SEQUENCE_NODE)
                return fail(c, v, "rules", "expected a list of rules");
            size_t i = 0;
            for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++, i++)
                if ((e = parse_rule(c, yaml_document_get_node(c->doc, *it), i, l)) != PSC_OK)
                    return e;
        } else if (key && strcmp(key, "expected") == 0) {
            if ((e = parse_sets(c, v, l)) != PSC_OK)
                return e;
        } else {
            return fail(c, k, key ? key : "?", "unknown field (rules or expected)");
        }
    }
    return PSC_OK;
}

psc_err psc__rules_parse(psc_analyzer *an, const char *text, size_t len, const char *origin, psc__loaded *out,
                         char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    if (err && err_len)
        err[0] = '\0';
    ctx c = {an, NULL, origin, err, err_len, PSC_OK};
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return PSC_ERR_NOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    yaml_document_t doc;
    if (!yaml_parser_load(&parser, &doc)) {
        yaml_node_t at = {0};
        at.start_mark = parser.problem_mark;
        psc_err e = parser.error == YAML_MEMORY_ERROR
                        ? PSC_ERR_NOMEM
                        : fail(&c, &at, "(syntax)", "%s%s%s", parser.problem ? parser.problem : "not YAML",
                               parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return e;
    }
    c.doc = &doc;
    psc_err e = walk(&c, out);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (e != PSC_OK)
        psc__loaded_free(an, out);
    return e;
}

void psc__loaded_free(psc_analyzer *an, psc__loaded *l)
{
    for (size_t i = 0; i < l->n_rules; i++)
        psc__rule_free(an, l->rules[i], false, 0);
    psc__free(&an->alloc, l->rules);
    for (size_t i = 0; i < l->n_sets; i++) {
        for (size_t j = 0; j < l->sets[i].n; j++)
            psc__free(&an->alloc, l->sets[i].ids[j]);
        psc__free(&an->alloc, l->sets[i].ids);
        psc__free(&an->alloc, l->sets[i].name);
    }
    psc__free(&an->alloc, l->sets);
    memset(l, 0, sizeof *l);
}

/* ------------------------------------------------------------ public */

psc_err psc_analyzer_load_rules_string(psc_analyzer *an, const char *text, size_t len, const char *origin,
                                       char *err, size_t err_len)
{
    if (!an || (!text && len))
        return PSC_ERR_INVALID;
    psc__loaded l;
    psc_err e = psc__rules_parse(an, text ? text : "", len, origin ? origin : "rules", &l, err, err_len);
    if (e != PSC_OK)
        return e;
    pthread_mutex_lock(&an->lock);
    for (size_t i = 0; i < l.n_rules && e == PSC_OK; i++)
        if (psc__rule_find(an, l.rules[i]->name)) {
            if (err && err_len)
                snprintf(err, err_len, "%s: rules[%zu].name: \"%s\" is in use in the analyzer",
                         origin ? origin : "rules", i, l.rules[i]->name);
            e = PSC_ERR_EXISTS;
        }
    if (e == PSC_OK &&
        !psc__an_grow(an, (void **)&an->rules, &an->cap_rules, an->n_rules + l.n_rules, sizeof *an->rules))
        e = PSC_ERR_NOMEM;
    pthread_mutex_unlock(&an->lock);
    /* sets first: they can fail on memory, rules then cannot */
    for (size_t i = 0; i < l.n_sets && e == PSC_OK; i++)
        e = psc_analyzer_set_expected(an, l.sets[i].name, (const char *const *)l.sets[i].ids, l.sets[i].n);
    if (e == PSC_OK) {
        pthread_mutex_lock(&an->lock);
        if (!psc__an_grow(an, (void **)&an->rules, &an->cap_rules, an->n_rules + l.n_rules, sizeof *an->rules)) {
            e = PSC_ERR_NOMEM;
        } else {
            for (size_t i = 0; i < l.n_rules; i++)
                an->rules[an->n_rules++] = l.rules[i];
            l.n_rules = 0;
        }
        pthread_mutex_unlock(&an->lock);
    }
    psc__loaded_free(an, &l);
    return e;
}

psc_err psc_analyzer_load_rules(psc_analyzer *an, const char *path, char *err, size_t err_len)
{
    if (!an || !path)
        return PSC_ERR_INVALID;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        if (err && err_len)
            snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
        return PSC_ERR_IO;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    psc_err e = PSC_OK;
    for (;;) {
        if (!psc__an_grow(an, (void **)&buf, &cap, len + 4096, 1)) {
            e = PSC_ERR_NOMEM;
            break;
        }
        size_t n = fread(buf + len, 1, cap - len, fp);
        len += n;
        if (n == 0)
            break;
    }
    if (e == PSC_OK && ferror(fp)) {
        if (err && err_len)
            snprintf(err, err_len, "%s: cannot read: %s", path, strerror(errno));
        e = PSC_ERR_IO;
    }
    fclose(fp);
    if (e == PSC_OK)
        e = psc_analyzer_load_rules_string(an, buf, len, path, err, err_len);
    psc__free(&an->alloc, buf);
    return e;
}
