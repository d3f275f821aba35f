/*
 * The Node-API addon's objects. Every JS object wraps one of these; a child
 * (event type, endpoint, table, connection, stream) keeps a strong
 * reference to its parent's JS object, so a parent is never finalized
 * before its children, and is marked dead when its parent is closed, after
 * which its methods throw PSC_ERR_CLOSED instead of touching freed memory.
 */
#ifndef PSC_NODE_ADDON_H
#define PSC_NODE_ADDON_H

#include "js.h"

typedef struct jtable jtable;
typedef struct jendpoint jendpoint;

typedef struct jintro {
    psc_introspector *intro;      /* NULL once closed */
    napi_threadsafe_function log; /* the onLog callback, called on the JS thread; NULL: none */
    jtable *tables;               /* open tables, freed before the introspector */
    jendpoint *endpoints;
} jintro;

struct jendpoint {
    psc_endpoint *ep;             /* NULL once closed */
    jintro *owner;
    napi_ref owner_ref;
    jendpoint *next;
};

struct jtable {
    psc_table *t;                 /* NULL once freed */
    jintro *owner;
    napi_ref owner_ref;
    jtable *next;
};

typedef struct jconn {
    psc_table_conn *h;
    jtable *tab;
    napi_ref tab_ref;
    bool closed;
} jconn;

typedef struct jstream {
    psc_table_stream *h;
    jconn *conn;
    napi_ref conn_ref;
    bool closed;
} jstream;

typedef struct jevtype {
    const psc_event_type *type;
    jintro *owner;
    napi_ref owner_ref;
} jevtype;

/* Classes (constructors kept for js_new_instance). */
extern napi_ref js_class_table, js_class_conn, js_class_stream, js_class_endpoint, js_class_event_type;

/* table.c */
bool js_table_init(napi_env env, napi_value exports);
/* Make a Table for an open introspector (intro.table(opts)). */
napi_value js_table_new(napi_env env, napi_value owner_obj, jintro *owner, napi_value opts);
/* Free a table and mark it dead (intro.close(), table.close()). */
void js_table_free(jtable *t);

#endif
