/*
 * Helpers of the Node-API addon: reading JS values into C (with a scratch
 * list that frees what a call allocated), errors thrown as JS exceptions,
 * and class definitions. Every function here runs on the JS thread.
 */
#ifndef PSC_NODE_JS_H
#define PSC_NODE_JS_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peerscope/peerscope.h"

/* Memory a call allocated for the C structs it passes on (the library copies them). */
typedef struct js_scratch {
    void **v;
    size_t n, cap;
    bool failed;            /* an allocation failed: the call throws */
} js_scratch;

void *js_alloc(js_scratch *s, size_t n);
void js_scratch_free(js_scratch *s);

/* Throw a JS Error for a psc_err (code "PSC_ERR_...", message "what: reason"); returns NULL. */
napi_value js_throw(napi_env env, psc_err e, const char *what);
/* Throw a TypeError; returns NULL. */
napi_value js_type_error(napi_env env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* True when a JS exception is pending (a conversion threw). */
bool js_pending(napi_env env);

/* The call's this and up to n arguments (missing ones are undefined). */
bool js_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv, napi_value *self, void **data);

bool js_is(napi_env env, napi_value v, napi_valuetype t);
/* v absent: undefined or null. */
bool js_absent(napi_env env, napi_value v);
/* A property of an object (undefined when obj is not an object). */
napi_value js_prop(napi_env env, napi_value obj, const char *name);

/*
 * Conversions. Each returns false after throwing a TypeError that names
 * the property; an absent value leaves *out as it is (so callers preset
 * defaults) and returns true.
 */
bool js_str(napi_env env, js_scratch *s, napi_value v, const char *name, const char **out);
bool js_bytes(napi_env env, js_scratch *s, napi_value v, const char *name, const uint8_t **out, size_t *len);
bool js_strv(napi_env env, js_scratch *s, napi_value v, const char *name, const char *const **out, size_t *n);
bool js_u64(napi_env env, napi_value v, const char *name, uint64_t *out);
bool js_u32(napi_env env, napi_value v, const char *name, uint32_t *out);
bool js_f64(napi_env env, napi_value v, const char *name, double *out);
bool js_bool(napi_env env, napi_value v, const char *name, bool *out);
/* A string that must be one of names[0..n): *out its index. */
bool js_enum(napi_env env, napi_value v, const char *name, const char *const *names, size_t n, int *out);

/* The same, reading obj[name]. */
bool js_get_str(napi_env env, js_scratch *s, napi_value obj, const char *name, const char **out);
bool js_get_bytes(napi_env env, js_scratch *s, napi_value obj, const char *name, const uint8_t **out, size_t *len);
bool js_get_strv(napi_env env, js_scratch *s, napi_value obj, const char *name, const char *const **out, size_t *n);
bool js_get_u64(napi_env env, napi_value obj, const char *name, uint64_t *out);
bool js_get_u32(napi_env env, napi_value obj, const char *name, uint32_t *out);
bool js_get_f64(napi_env env, napi_value obj, const char *name, double *out);
bool js_get_bool(napi_env env, napi_value obj, const char *name, bool *out);
bool js_get_enum(napi_env env, napi_value obj, const char *name, const char *const *names, size_t n, int *out);

/* The wire names of the model's enums, in value order. */
extern const char *const js_status_names[5];   /* "active", "closed", "opening", "closing", "error" */
extern const char *const js_role_names[2];     /* "outbound" (initiator), "inbound" (responder) */

/* Results. */
napi_value js_undefined(napi_env env);
napi_value js_number(napi_env env, double v);
napi_value js_string(napi_env env, const char *s);
napi_value js_boolean(napi_env env, bool b);
/* A new Uint8Array holding a copy of data. */
napi_value js_copy_bytes(napi_env env, const uint8_t *data, size_t len);

/* Define a class (constructor cb, methods) and store it on exports under name. */
bool js_define_class(napi_env env, napi_value exports, const char *name, napi_callback ctor,
                     const napi_property_descriptor *methods, size_t n, napi_ref *ctor_ref);
/* A new instance of a class defined with a private-constructor token: only the addon makes these. */
napi_value js_new_instance(napi_env env, napi_ref ctor_ref, void *native, napi_finalize fin);
/*
 * A new instance for native that keeps parent (a JS object) alive through
 * *parent_ref until its finalizer deletes the reference. NULL, with
 * nothing kept, on failure.
 */
napi_value js_child(napi_env env, napi_value parent, napi_ref *parent_ref, napi_ref ctor_ref, void *native,
                    napi_finalize fin);
/* The native pointer of an instance made by js_new_instance or wrapped by a constructor. */
void *js_native(napi_env env, napi_value obj);


#endif
