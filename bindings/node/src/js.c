/* Helpers of the Node-API addon (js.h). */
#include "js.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const js_status_names[5] = {"active", "closed", "opening", "closing", "error"};
const char *const js_role_names[2] = {"outbound", "inbound"};

/* ------------------------------------------------------------ scratch */

void *js_alloc(js_scratch *s, size_t n)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        void **v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            s->failed = true;
            return NULL;
        }
        s->v = v;
        s->cap = cap;
    }
    void *p = malloc(n ? n : 1);
    if (!p) {
        s->failed = true;
        return NULL;
    }
    s->v[s->n++] = p;
    return p;
}

void js_scratch_free(js_scratch *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

/* ------------------------------------------------------------ errors */

static const char *err_code(psc_err e)
{
    switch (e) {
    case PSC_OK: return "PSC_OK";
    case PSC_ERR_INVALID: return "PSC_ERR_INVALID";
    case PSC_ERR_NOMEM: return "PSC_ERR_NOMEM";
    case PSC_ERR_NOT_FOUND: return "PSC_ERR_NOT_FOUND";
    case PSC_ERR_EXISTS: return "PSC_ERR_EXISTS";
    case PSC_ERR_TOO_BIG: return "PSC_ERR_TOO_BIG";
    case PSC_ERR_STATE: return "PSC_ERR_STATE";
    case PSC_ERR_PROVIDER: return "PSC_ERR_PROVIDER";
    case PSC_ERR_IO: return "PSC_ERR_IO";
    case PSC_ERR_PROTOCOL: return "PSC_ERR_PROTOCOL";
    case PSC_ERR_CORRUPT: return "PSC_ERR_CORRUPT";
    case PSC_ERR_AUTH: return "PSC_ERR_AUTH";
    case PSC_ERR_UNSUPPORTED: return "PSC_ERR_UNSUPPORTED";
    case PSC_ERR_CLOSED: return "PSC_ERR_CLOSED";
    case PSC_ERR_TIMEOUT: return "PSC_ERR_TIMEOUT";
    case PSC_ERR_AGAIN: return "PSC_ERR_AGAIN";
    case PSC_ERR_INTERNAL: return "PSC_ERR_INTERNAL";
    }
    return "PSC_ERR_UNKNOWN";
}

napi_value js_throw(napi_env env, psc_err e, const char *what)
{
    char msg[256];
    snprintf(msg, sizeof msg, "%s: %s", what, psc_strerror(e));
    if (!js_pending(env))
        napi_throw_error(env, err_code(e), msg);
    return NULL;
}

napi_value js_type_error(napi_env env, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!js_pending(env))
        napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return NULL;
}

bool js_pending(napi_env env)
{
    bool p = false;
    napi_is_exception_pending(env, &p);
    return p;
}

/* ------------------------------------------------------------ reading */

bool js_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv, napi_value *self, void **data)
{
    size_t argc = n;
    if (napi_get_cb_info(env, info, &argc, argv, self, data) != napi_ok)
        return false;
    return true;
}

bool js_is(napi_env env, napi_value v, napi_valuetype t)
{
    napi_valuetype got;
    return v && napi_typeof(env, v, &got) == napi_ok && got == t;
}

bool js_absent(napi_env env, napi_value v)
{
    napi_valuetype t;
    return !v || napi_typeof(env, v, &t) != napi_ok || t == napi_undefined || t == napi_null;
}

napi_value js_prop(napi_env env, napi_value obj, const char *name)
{
    napi_value v = NULL;
    if (js_is(env, obj, napi_object))
        napi_get_named_property(env, obj, name, &v);
    return v;
}

bool js_str(napi_env env, js_scratch *s, napi_value v, const char *name, const char **out)
{
    if (js_absent(env, v))
        return true;
    size_t len;
    if (!js_is(env, v, napi_string) || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
        js_type_error(env, "%s must be a string", name);
        return false;
    }
    char *buf = js_alloc(s, len + 1);
    if (!buf) {
        js_throw(env, PSC_ERR_NOMEM, name);
        return false;
    }
    napi_get_value_string_utf8(env, v, buf, len + 1, &len);
    *out = buf;
    return true;
}

bool js_bytes(napi_env env, js_scratch *s, napi_value v, const char *name, const uint8_t **out, size_t *len)
{
    if (js_absent(env, v))
        return true;
    if (js_is(env, v, napi_string)) {
        const char *str = NULL;
        if (!js_str(env, s, v, name, &str))
            return false;
        *out = (const uint8_t *)str;
        *len = strlen(str);
        return true;
    }
    bool is_ta = false;
    if (napi_is_typedarray(env, v, &is_ta) == napi_ok && is_ta) {
        napi_typedarray_type type;
        size_t n;
        void *data;
        napi_value ab;
        size_t off;
        if (napi_get_typedarray_info(env, v, &type, &n, &data, &ab, &off) == napi_ok &&
            (type == napi_uint8_array || type == napi_int8_array || type == napi_uint8_clamped_array)) {
            /* copied: the library copies too, but the JS side may change it meanwhile */
            uint8_t *buf = js_alloc(s, n);
            if (!buf) {
                js_throw(env, PSC_ERR_NOMEM, name);
                return false;
            }
            if (n)
                memcpy(buf, data, n);
            *out = buf;
            *len = n;
            return true;
        }
    }
    js_type_error(env, "%s must be a string or a Uint8Array", name);
    return false;
}

bool js_strv(napi_env env, js_scratch *s, napi_value v, const char *name, const char *const **out, size_t *n)
{
    if (js_absent(env, v))
        return true;
    bool is_array = false;
    uint32_t len = 0;
    if (napi_is_array(env, v, &is_array) != napi_ok || !is_array || napi_get_array_length(env, v, &len) != napi_ok) {
        js_type_error(env, "%s must be an array of strings", name);
        return false;
    }
    const char **arr = js_alloc(s, (len ? len : 1) * sizeof *arr);
    if (!arr) {
        js_throw(env, PSC_ERR_NOMEM, name);
        return false;
    }
    for (uint32_t i = 0; i < len; i++) {
        napi_value e;
        arr[i] = NULL;
        if (napi_get_element(env, v, i, &e) != napi_ok || js_absent(env, e) || !js_str(env, s, e, name, &arr[i])) {
            js_type_error(env, "%s must be an array of strings", name);
            return false;
        }
    }
    *out = arr;
    *n = len;
    return true;
}

bool js_f64(napi_env env, napi_value v, const char *name, double *out)
{
    if (js_absent(env, v))
        return true;
    if (js_is(env, v, napi_bigint)) {
        uint64_t u;
        bool lossless;
        napi_get_value_bigint_uint64(env, v, &u, &lossless);
        *out = (double)u;
        return true;
    }
    if (!js_is(env, v, napi_number) || napi_get_value_double(env, v, out) != napi_ok) {
        js_type_error(env, "%s must be a number", name);
        return false;
    }
    return true;
}

bool js_u64(napi_env env, napi_value v, const char *name, uint64_t *out)
{
    if (js_absent(env, v))
        return true;
    if (js_is(env, v, napi_bigint)) {
        bool lossless;
        if (napi_get_value_bigint_uint64(env, v, out, &lossless) != napi_ok || !lossless) {
            js_type_error(env, "%s must fit an unsigned 64-bit integer", name);
            return false;
        }
        return true;
    }
    double d;
    if (!js_is(env, v, napi_number) || napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0) ||
        d >= 18446744073709551616.0) {
        js_type_error(env, "%s must be a number >= 0", name);
        return false;
    }
    *out = (uint64_t)d;
    return true;
}

bool js_u32(napi_env env, napi_value v, const char *name, uint32_t *out)
{
    uint64_t u = *out;
    if (!js_u64(env, v, name, &u))
        return false;
    if (u > UINT32_MAX) {
        js_type_error(env, "%s must be below 2^32", name);
        return false;
    }
    *out = (uint32_t)u;
    return true;
}

bool js_bool(napi_env env, napi_value v, const char *name, bool *out)
{
    if (js_absent(env, v))
        return true;
    if (!js_is(env, v, napi_boolean) || napi_get_value_bool(env, v, out) != napi_ok) {
        js_type_error(env, "%s must be a boolean", name);
        return false;
    }
    return true;
}

bool js_enum(napi_env env, napi_value v, const char *name, const char *const *names, size_t n, int *out)
{
    if (js_absent(env, v))
        return true;
    char buf[32];
    size_t len;
    if (js_is(env, v, napi_string) && napi_get_value_string_utf8(env, v, buf, sizeof buf, &len) == napi_ok) {
        for (size_t i = 0; i < n; i++) {
            if (!strcmp(buf, names[i])) {
                *out = (int)i;
                return true;
            }
        }
    }
    char list[160] = "";
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s'%s'", i ? ", " : "", names[i]);
    }
    js_type_error(env, "%s must be one of %s", name, list);
    return false;
}

bool js_get_str(napi_env env, js_scratch *s, napi_value obj, const char *name, const char **out)
{
    return js_str(env, s, js_prop(env, obj, name), name, out);
}

bool js_get_bytes(napi_env env, js_scratch *s, napi_value obj, const char *name, const uint8_t **out, size_t *len)
{
    return js_bytes(env, s, js_prop(env, obj, name), name, out, len);
}

bool js_get_strv(napi_env env, js_scratch *s, napi_value obj, const char *name, const char *const **out, size_t *n)
{
    return js_strv(env, s, js_prop(env, obj, name), name, out, n);
}

bool js_get_u64(napi_env env, napi_value obj, const char *name, uint64_t *out)
{
    return js_u64(env, js_prop(env, obj, name), name, out);
}

bool js_get_u32(napi_env env, napi_value obj, const char *name, uint32_t *out)
{
    return js_u32(env, js_prop(env, obj, name), name, out);
}

bool js_get_f64(napi_env env, napi_value obj, const char *name, double *out)
{
    return js_f64(env, js_prop(env, obj, name), name, out);
}

bool js_get_bool(napi_env env, napi_value obj, const char *name, bool *out)
{
    return js_bool(env, js_prop(env, obj, name), name, out);
}

bool js_get_enum(napi_env env, napi_value obj, const char *name, const char *const *names, size_t n, int *out)
{
    return js_enum(env, js_prop(env, obj, name), name, names, n, out);
}

/* ------------------------------------------------------------ results */

napi_value js_undefined(napi_env env)
{
    napi_value v;
    napi_get_undefined(env, &v);
    return v;
}

napi_value js_number(napi_env env, double d)
{
    napi_value v;
    napi_create_double(env, d, &v);
    return v;
}

napi_value js_string(napi_env env, const char *s)
{
    napi_value v;
    napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
    return v;
}

napi_value js_boolean(napi_env env, bool b)
{
    napi_value v;
    napi_get_boolean(env, b, &v);
    return v;
}

napi_value js_copy_bytes(napi_env env, const uint8_t *data, size_t len)
{
    void *dst;
    napi_value ab, arr;
    if (napi_create_arraybuffer(env, len, &dst, &ab) != napi_ok)
        return js_throw(env, PSC_ERR_NOMEM, "result");
    if (len)
        memcpy(dst, data, len);
    napi_create_typedarray(env, napi_uint8_array, len, ab, 0, &arr);
    return arr;
}

/* ------------------------------------------------------------ classes */

/* What js_new_instance hands the private constructor, through an external. */
typedef struct js_birth {
    void *native;
    napi_finalize fin;
} js_birth;

static napi_value private_ctor(napi_env env, napi_callback_info info)
{
    napi_value argv[1], self;
    if (!js_args(env, info, 1, argv, &self, NULL))
        return NULL;
    js_birth *b = NULL;
    if (!js_is(env, argv[0], napi_external) || napi_get_value_external(env, argv[0], (void **)&b) != napi_ok || !b)
        return js_type_error(env, "this object is made by the library, not with new");
    if (napi_wrap(env, self, b->native, b->fin, NULL, NULL) != napi_ok)
        return js_throw(env, PSC_ERR_NOMEM, "wrap");
    return self;
}

bool js_define_class(napi_env env, napi_value exports, const char *name, napi_callback ctor,
                     const napi_property_descriptor *methods, size_t n, napi_ref *ctor_ref)
{
    napi_value cls;
    if (napi_define_class(env, name, NAPI_AUTO_LENGTH, ctor ? ctor : private_ctor, NULL, n, methods, &cls) !=
            napi_ok ||
        napi_set_named_property(env, exports, name, cls) != napi_ok)
        return false;
    return !ctor_ref || napi_create_reference(env, cls, 1, ctor_ref) == napi_ok;
}

napi_value js_new_instance(napi_env env, napi_ref ctor_ref, void *native, napi_finalize fin)
{
    napi_value cls, ext, obj;
    js_birth b = {native, fin};
    if (napi_get_reference_value(env, ctor_ref, &cls) != napi_ok ||
        napi_create_external(env, &b, NULL, NULL, &ext) != napi_ok ||
        napi_new_instance(env, cls, 1, &ext, &obj) != napi_ok)
        return NULL;
    return obj;
}

napi_value js_child(napi_env env, napi_value parent, napi_ref *parent_ref, napi_ref ctor_ref, void *native,
                    napi_finalize fin)
{
    if (napi_create_reference(env, parent, 1, parent_ref) != napi_ok) {
        *parent_ref = NULL;
        return NULL;
    }
    napi_value obj = js_new_instance(env, ctor_ref, native, fin);
    if (!obj) {
        napi_delete_reference(env, *parent_ref);
        *parent_ref = NULL;
    }
    return obj;
}

void *js_native(napi_env env, napi_value obj)
{
    void *p = NULL;
    if (!js_is(env, obj, napi_object) || napi_unwrap(env, obj, &p) != napi_ok)
        return NULL;
    return p;
}
