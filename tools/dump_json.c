#include "dump_json.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* 2^53: the largest magnitude below which every integer is exact in a double. */
#define JSON_SAFE_INT 9007199254740992ull

typedef struct jw {
    FILE *f;
    bool ascii;
    bool failed;
} jw;

static void put(jw *w, const char *s, size_t n)
{
    if (!w->failed && n && fwrite(s, 1, n, w->f) != n)
        w->failed = true;
}

static void puts_(jw *w, const char *s)
{
    put(w, s, strlen(s));
}

static void putc_(jw *w, char c)
{
    if (!w->failed && fputc((unsigned char)c, w->f) == EOF)
        w->failed = true;
}

static void put_u16_escape(jw *w, unsigned v)
{
    char buf[8];
    snprintf(buf, sizeof buf, "\\u%04x", v & 0xffffu);
    put(w, buf, 6);
}

/* Length of the valid UTF-8 sequence at s (RFC 3629), or 0 if invalid;
 * *consumed is then the maximal invalid subpart (>= 1), which is replaced
 * by one U+FFFD as Unicode recommends. */
static size_t utf8_seq(const unsigned char *s, size_t len, uint32_t *cp, size_t *consumed)
{
    unsigned char c = s[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xbf;
    uint32_t v;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
        v = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        v = c & 0x0fu;
        if (c == 0xe0)
            lo = 0xa0; /* overlong */
        else if (c == 0xed)
            hi = 0x9f; /* surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        v = c & 0x07u;
        if (c == 0xf0)
            lo = 0x90; /* overlong */
        else if (c == 0xf4)
            hi = 0x8f; /* above U+10FFFF */
    } else {
        *consumed = 1;
        return 0;
    }
    size_t i = 1;
    for (; i <= need; i++) {
        if (i >= len)
            break;
        unsigned char b = s[i];
        if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf))
            break;
        v = (v << 6) | (b & 0x3fu);
    }
    if (i <= need) {
        *consumed = i;
        return 0;
    }
    *cp = v;
    *consumed = need + 1;
    return need + 1;
}

static void put_string(jw *w, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    putc_(w, '"');
    size_t run = 0; /* start of the pending stretch of bytes copied as they are */
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            i++;
            continue;
        }
        put(w, str + run, i - run);
        if (c < 0x80) {
            switch (c) {
            case '"': puts_(w, "\\\""); break;
            case '\\': puts_(w, "\\\\"); break;
            case '\n': puts_(w, "\\n"); break;
            case '\r': puts_(w, "\\r"); break;
            case '\t': puts_(w, "\\t"); break;
            case '\b': puts_(w, "\\b"); break;
            case '\f': puts_(w, "\\f"); break;
            default: put_u16_escape(w, c); break; /* other controls and DEL */
            }
            i++;
        } else {
            uint32_t cp = 0;
            size_t consumed;
            size_t n = utf8_seq(s + i, len - i, &cp, &consumed);
            if (n == 0) {
                if (w->ascii)
                    put_u16_escape(w, 0xfffd);
                else
                    puts_(w, "\xef\xbf\xbd");
            } else if (cp < 0xa0) {
                put_u16_escape(w, cp); /* C1 controls: some terminals obey them */
            } else if (!w->ascii) {
                put(w, str + i, n);
            } else if (cp < 0x10000) {
                put_u16_escape(w, cp);
            } else {
                cp -= 0x10000;
                put_u16_escape(w, 0xd800u + (cp >> 10));
                put_u16_escape(w, 0xdc00u + (cp & 0x3ffu));
            }
            i += consumed;
        }
        run = i;
    }
    put(w, str + run, len - run);
    putc_(w, '"');
}

static void put_base64(jw *w, const uint8_t *d, size_t len)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[4 * 64];
    size_t o = 0;
    putc_(w, '"');
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)d[i + 1] << 8;
        if (i + 2 < len)
            v |= d[i + 2];
        out[o++] = tbl[(v >> 18) & 63];
        out[o++] = tbl[(v >> 12) & 63];
        out[o++] = i + 1 < len ? tbl[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? tbl[v & 63] : '=';
        if (o == sizeof out) {
            put(w, out, o);
            o = 0;
        }
    }
    put(w, out, o);
    putc_(w, '"');
}

static void put_u64(jw *w, uint64_t v)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, v <= JSON_SAFE_INT ? "%" PRIu64 : "\"%" PRIu64 "\"", v);
    put(w, buf, (size_t)n);
}

static void put_i64(jw *w, int64_t v)
{
    char buf[32];
    /* magnitude without overflowing on INT64_MIN */
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    int n = snprintf(buf, sizeof buf, mag <= JSON_SAFE_INT ? "%" PRId64 : "\"%" PRId64 "\"", v);
    put(w, buf, (size_t)n);
}

/* The shortest %g rendering that strtod reads back as the same value. */
static void put_double(jw *w, double v, bool is_float)
{
    if (isnan(v)) {
        puts_(w, "\"NaN\"");
        return;
    }
    if (isinf(v)) {
        puts_(w, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        return;
    }
    char buf[40];
    int n = 0;
    for (int prec = is_float ? 6 : 15; prec <= 17; prec++) {
        n = snprintf(buf, sizeof buf, "%.*g", prec, v);
        double back = strtod(buf, NULL);
        if (is_float ? (float)back == (float)v : back == v)
            break;
    }
    put(w, buf, (size_t)n);
}

static size_t elem_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return sizeof(uint32_t);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return sizeof(uint64_t);
    case PROTOBUF_C_TYPE_FLOAT:
        return sizeof(float);
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_ENUM:
        return sizeof(int);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    }
    return 0;
}

static void put_message(jw *w, const ProtobufCMessage *m, int depth);

/* One value of field fd stored at p. */
static void put_value(jw *w, const ProtobufCFieldDescriptor *fd, const void *p, int depth)
{
    switch (fd->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: {
        int32_t v;
        memcpy(&v, p, sizeof v);
        put_i64(w, v);
        break;
    }
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: {
        uint32_t v;
        memcpy(&v, p, sizeof v);
        put_u64(w, v);
        break;
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: {
        int64_t v;
        memcpy(&v, p, sizeof v);
        put_i64(w, v);
        break;
    }
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        uint64_t v;
        memcpy(&v, p, sizeof v);
        put_u64(w, v);
        break;
    }
    case PROTOBUF_C_TYPE_FLOAT: {
        float v;
        memcpy(&v, p, sizeof v);
        put_double(w, v, true);
        break;
    }
    case PROTOBUF_C_TYPE_DOUBLE: {
        double v;
        memcpy(&v, p, sizeof v);
        put_double(w, v, false);
        break;
    }
    case PROTOBUF_C_TYPE_BOOL: {
        protobuf_c_boolean v;
        memcpy(&v, p, sizeof v);
        puts_(w, v ? "true" : "false");
        break;
    }
    case PROTOBUF_C_TYPE_ENUM: {
        int v;
        memcpy(&v, p, sizeof v);
        const ProtobufCEnumValue *ev =
            fd->descriptor ? protobuf_c_enum_descriptor_get_value(fd->descriptor, v) : NULL;
        if (ev)
            put_string(w, ev->name, strlen(ev->name));
        else
            put_i64(w, v);
        break;
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *s;
        memcpy(&s, p, sizeof s);
        put_string(w, s ? s : "", s ? strlen(s) : 0);
        break;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData b;
        memcpy(&b, p, sizeof b);
        put_base64(w, b.data, b.data ? b.len : 0);
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub;
        memcpy(&sub, p, sizeof sub);
        if (sub && depth < DUMP_JSON_MAX_DEPTH)
            put_message(w, sub, depth + 1);
        else
            puts_(w, "null");
        break;
    }
    }
}

/* Whether a singular field is there to print (see the header for the rules). */
static bool field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd)
{
    const char *base = (const char *)m;
    if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t which;
        memcpy(&which, base + fd->quantifier_offset, sizeof which);
        return which == fd->id;
    }
    if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
        const void *sub;
        memcpy(&sub, base + fd->offset, sizeof sub);
        return sub != NULL;
    }
    if (fd->label == PROTOBUF_C_LABEL_OPTIONAL) {
        /* proto2 optional: strings by pointer, everything else by has_ flag */
        if (fd->type == PROTOBUF_C_TYPE_STRING) {
            const char *s;
            memcpy(&s, base + fd->offset, sizeof s);
            return s != NULL;
        }
        protobuf_c_boolean has;
        memcpy(&has, base + fd->quantifier_offset, sizeof has);
        return has;
    }
    return true;
}

static void put_unknown(jw *w, const ProtobufCMessage *m, bool first)
{
    puts_(w, first ? "\"_unknown_fields\":[" : ",\"_unknown_fields\":[");
    for (unsigned i = 0; i < m->n_unknown_fields; i++) {
        const ProtobufCMessageUnknownField *u = &m->unknown_fields[i];
        char buf[64];
        int n = snprintf(buf, sizeof buf, "%s{\"number\":%" PRIu32 ",\"wire_type\":%d,\"data\":", i ? "," : "",
                         u->tag, (int)u->wire_type);
        put(w, buf, (size_t)n);
        put_base64(w, u->data, u->data ? u->len : 0);
        putc_(w, '}');
    }
    putc_(w, ']');
}

static void put_message(jw *w, const ProtobufCMessage *m, int depth)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    bool first = true;
    putc_(w, '{');
    for (unsigned i = 0; i < d->n_fields && !w->failed; i++) {
        const ProtobufCFieldDescriptor *fd = &d->fields[i];
        if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n;
            const char *arr;
            memcpy(&n, base + fd->quantifier_offset, sizeof n);
            memcpy(&arr, base + fd->offset, sizeof arr);
            if (!first)
                putc_(w, ',');
            first = false;
            put_string(w, fd->name, strlen(fd->name));
            puts_(w, ":[");
            size_t es = elem_size(fd->type);
            for (size_t k = 0; arr && k < n && !w->failed; k++) {
                if (k)
                    putc_(w, ',');
                put_value(w, fd, arr + k * es, depth);
            }
            putc_(w, ']');
            continue;
        }
        if (!field_present(m, fd))
            continue;
        if (!first)
            putc_(w, ',');
        first = false;
        put_string(w, fd->name, strlen(fd->name));
        putc_(w, ':');
        put_value(w, fd, base + fd->offset, depth);
    }
    if (m->n_unknown_fields)
        put_unknown(w, m, first);
    putc_(w, '}');
}

int dump_json_message(FILE *f, const ProtobufCMessage *msg, const dump_json_opts *opts)
{
    jw w = {f, opts && opts->ascii, false};
    put_message(&w, msg, 0);
    return w.failed ? -1 : 0;
}

int dump_json_string(FILE *f, const char *s, size_t len, bool ascii)
{
    jw w = {f, ascii, false};
    put_string(&w, s, len);
    return w.failed ? -1 : 0;
}

int dump_json_base64(FILE *f, const uint8_t *data, size_t len)
{
    jw w = {f, false, false};
    put_base64(&w, data, len);
    return w.failed ? -1 : 0;
}
