/*
 * The push table's custom sections: values by name in sections by name,
 * each section a custom provider of its own, registered the first time the
 * host names it. Every section's changes share one pending list: the first
 * section collected in a snapshot applies them all.
 */
#include "table/table.h"

#include <string.h>

/* ------------------------------------------------------------ sections */

static psc_err custom_collect(void *user, psc_collect *ctx, psc_custom_builder *b);

/* Under reg_lock: only its holders add sections. */
static psc__custom_sec *find_section(psc_table *t, const char *name)
{
    for (psc__custom_sec *s = t->customs; s; s = s->next)
        if (!strcmp(s->name, name))
            return s;
    return NULL;
}

psc_err psc__table_custom_section(psc_table *t, const char *name)
{
    psc_err e = PSC_OK;
    pthread_mutex_lock(&t->reg_lock);
    if (!find_section(t, name)) {
        psc__custom_sec *s = psc__calloc(&t->alloc, 1, sizeof *s);
        bool ok = s != NULL;
        if (s)
            s->name = psc__strdup(&t->alloc, name, &ok);
        if (!ok) {
            if (s)
                psc__free(&t->alloc, s);
            e = PSC_ERR_NOMEM;
        } else {
            s->t = t;
            psc_custom_provider vt = {.struct_size = sizeof vt, .name = s->name, .collect = custom_collect};
            e = psc_register_custom(t->intro, &vt, s, &s->provider);
            if (e != PSC_OK) {
                psc__free(&t->alloc, s->name);
                psc__free(&t->alloc, s);
            } else {
                /* published whole: a collect walks from the head it read under the lock */
                pthread_mutex_lock(&t->lock);
                s->next = t->customs;
                t->customs = s;
                pthread_mutex_unlock(&t->lock);
            }
        }
    }
    pthread_mutex_unlock(&t->reg_lock);
    return e;
}

void psc__table_custom_fini(psc_table *t)
{
    /* the providers were unregistered by psc_table_free */
    psc__custom_sec *s = t->customs;
    while (s) {
        psc__custom_sec *next = s->next;
        psc__keyed_fini(t, &s->values);
        psc__free(&t->alloc, s->name);
        psc__free(&t->alloc, s);
        s = next;
    }
    t->customs = NULL;
}

/* ------------------------------------------------------------ host side */

static psc_err put(psc_table *t, psc__op_kind kind, const char *section, const char *name, psc__custom_kind vk,
                   double number, int64_t integer, const char *text)
{
    if (!t)
        return PSC_ERR_INVALID;
    psc__op *op;
    psc_err e = psc__op_custom(t, kind, section, name, vk, number, integer, text, &op);
    if (e != PSC_OK)
        return e;
    if ((e = psc__table_custom_section(t, section)) != PSC_OK) {
        psc__table_op_free(t, op);
        return e;
    }
    return psc__table_push(t, PSC__SEC_CUSTOM, op, kind == PSC__OP_CUSTOM_PUT);
}

psc_err psc_table_custom_number(psc_table *t, const char *section, const char *name, double value)
{
    return put(t, PSC__OP_CUSTOM_PUT, section, name, PSC__CUSTOM_NUMBER, value, 0, NULL);
}

psc_err psc_table_custom_integer(psc_table *t, const char *section, const char *name, int64_t value)
{
    return put(t, PSC__OP_CUSTOM_PUT, section, name, PSC__CUSTOM_INTEGER, 0, value, NULL);
}

psc_err psc_table_custom_text(psc_table *t, const char *section, const char *name, const char *text)
{
    return put(t, PSC__OP_CUSTOM_PUT, section, name, PSC__CUSTOM_TEXT, 0, 0, text);
}

psc_err psc_table_custom_json(psc_table *t, const char *section, const char *name, const char *json)
{
    return put(t, PSC__OP_CUSTOM_PUT, section, name, PSC__CUSTOM_JSON, 0, 0, json);
}

psc_err psc_table_custom_remove(psc_table *t, const char *section, const char *name)
{
    return put(t, PSC__OP_CUSTOM_REMOVE, section, name, PSC__CUSTOM_NUMBER, 0, 0, NULL);
}

/* ------------------------------------------------------------ snapshot side */

/* The sections as a collect sees them (the head read under the lock). */
static psc__custom_sec *sections(psc_table *t)
{
    pthread_mutex_lock(&t->lock);
    psc__custom_sec *head = t->customs;
    pthread_mutex_unlock(&t->lock);
    return head;
}

static psc__custom_sec *section_of(psc__custom_sec *head, const char *name)
{
    for (psc__custom_sec *s = head; s; s = s->next)
        if (!strcmp(s->name, name))
            return s;
    return NULL;
}

static bool apply_custom(psc_table *t, psc__op *op)
{
    psc__custom_sec *s = section_of(t->applying, op->b.custom.section);
    if (!s) { /* cannot happen: the section is made before its first change is queued */
        psc__table_op_free(t, op);
        return true;
    }
    if (op->kind == PSC__OP_CUSTOM_REMOVE) {
        psc__kent *e = psc__keyed_find(&s->values, op->key, op->key_len);
        if (e)
            psc__keyed_remove(t, e);
        psc__table_op_free(t, op);
        return true;
    }
    psc__kent *e = psc__keyed_get(t, &s->values, op->key, op->key_len);
    if (!e)
        return false;
    psc__table_op_free(t, e->rec);
    e->rec = op;
    return true;
}

static psc_err custom_collect(void *user, psc_collect *ctx, psc_custom_builder *b)
{
    (void)ctx;
    psc__custom_sec *self = user;
    psc_table *t = self->t;
    psc__custom_sec *head = sections(t);
    psc_err e = PSC_OK;
    for (psc__custom_sec *s = head; s && e == PSC_OK; s = s->next)
        e = psc__keyed_begin(t, &s->values);
    if (e == PSC_OK) {
        t->applying = head;
        e = psc__table_apply_all(t, PSC__SEC_CUSTOM, apply_custom);
        t->applying = NULL;
    }
    for (psc__custom_sec *s = head; s; s = s->next)
        psc__keyed_end(t, &s->values);
    for (size_t i = 0; e == PSC_OK && i < self->values.n; i++) {
        const psc__op *r = self->values.v[i]->rec;
        switch (r->b.custom.kind) {
        case PSC__CUSTOM_NUMBER: e = psc_custom_add_number(b, r->b.custom.name, r->b.custom.number); break;
        case PSC__CUSTOM_INTEGER: e = psc_custom_add_integer(b, r->b.custom.name, r->b.custom.integer); break;
        case PSC__CUSTOM_TEXT: e = psc_custom_add_text(b, r->b.custom.name, r->b.custom.text); break;
        case PSC__CUSTOM_JSON: e = psc_custom_add_json(b, r->b.custom.name, r->b.custom.text); break;
        }
        if (e != PSC_OK)
            e = psc__table_skip(t, e);
    }
    return e;
}
