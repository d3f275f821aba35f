/* The exposition formats' small rules: escaping, names, numbers, Accept and Content-Type. */
#include "metrics/metrics_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "util/json.h"

const char *psc__metrics_content_type(psc__metrics_format f)
{
    return f == PSC__METRICS_OPENMETRICS ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                         : "text/plain; version=0.0.4; charset=utf-8";
}

/* Escape v; quote: '"' is escaped too. Ill-formed UTF-8 becomes '?' per
 * maximal subpart: scrapers refuse the whole exposition over one bad byte. */
static size_t escape(char *dst, size_t cap, const char *v, size_t len, bool quote)
{
    size_t n = 0;
    const unsigned char *s = (const unsigned char *)v;
    for (size_t i = 0; i < len;) {
        unsigned char ch = s[i];
        char esc = 0;
        if (ch == '\\')
            esc = '\\';
        else if (ch == '\n')
            esc = 'n';
        else if (quote && ch == '"')
            esc = '"';
        if (esc) {
            if (n + 2 <= cap) {
                dst[n] = '\\';
                dst[n + 1] = esc;
            }
            n += 2;
            i++;
            continue;
        }
        size_t run = 1;
        bool valid = true;
        if (ch >= 0x80)
            run = psc__utf8_scan(s + i, len - i, &valid);
        if (!valid) {
            if (n + 1 <= cap)
                dst[n] = '?';
            n++;
        } else {
            if (n + run <= cap)
                memcpy(dst + n, s + i, run);
            n += run;
        }
        i += run;
    }
    return n;
}

size_t psc__metrics_escape_label(char *dst, size_t cap, const char *v)
{
    return escape(dst, cap, v, strlen(v), true);
}

size_t psc__metrics_escape_labeln(char *dst, size_t cap, const char *v, size_t len)
{
    return escape(dst, cap, v, len, true);
}

size_t psc__metrics_escape_help(char *dst, size_t cap, const char *v)
{
    /* 0.0.4 escapes only these two in HELP; OpenMetrics also the quote,
     * which our help texts never hold (the tests check that). */
    return escape(dst, cap, v, strlen(v), false);
}

void psc__metrics_sanitize_name(char *dst, size_t cap, const char *s, bool label)
{
    if (!cap)
        return;
    size_t n = 0;
    if (s[0] >= '0' && s[0] <= '9' && n + 1 < cap)
        dst[n++] = '_';
    for (const char *p = s; *p && n + 1 < cap; p++) {
        char ch = *p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                  (!label && ch == ':');
        dst[n++] = ok ? ch : '_';
    }
    if (!n && cap > 1)
        dst[n++] = '_';
    dst[n] = 0;
}

size_t psc__metrics_number(char *buf, size_t cap, double v)
{
    if (isnan(v))
        return (size_t)snprintf(buf, cap, "NaN");
    if (isinf(v))
        return (size_t)snprintf(buf, cap, v > 0 ? "+Inf" : "-Inf");
    /* Integers (every count) exactly and without an exponent up to 2^53. */
    /* (by a cast, not floor(): the library does not link libm) */
    if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(int64_t)v)
        return (size_t)snprintf(buf, cap, "%.0f", v);
    /* The shortest of these that reads back as the same double. */
    int n = snprintf(buf, cap, "%.15g", v);
    if (strtod(buf, NULL) != v)
        n = snprintf(buf, cap, "%.17g", v);
    return (size_t)n;
}

/* The q of one Accept entry's parameters (";q=0.5;version=..."): 1 by default. */
static double entry_q(const char *params, size_t n)
{
    double q = 1.0;
    for (size_t i = 0; i < n; i++) {
        if (params[i] != ';')
            continue;
        size_t j = i + 1;
        while (j < n && (params[j] == ' ' || params[j] == '\t'))
            j++;
        if (j + 1 < n && (params[j] == 'q' || params[j] == 'Q') && params[j + 1] == '=') {
            char num[16];
            size_t k = 0;
            for (j += 2; j < n && k + 1 < sizeof num && params[j] != ';' && params[j] != ' '; j++)
                num[k++] = params[j];
            num[k] = 0;
            char *end;
            double v = strtod(num, &end);
            q = end != num && v >= 0 && v <= 1 ? v : 0;
        }
    }
    return q;
}

psc__metrics_format psc__metrics_negotiate(const char *accept)
{
    if (!accept)
        return PSC__METRICS_PROMETHEUS;
    double q_om = -1, q_text = -1;
    const char *p = accept;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        size_t len = (size_t)(p - start);
        if (!len)
            continue;
        size_t type_len = 0;
        while (type_len < len && start[type_len] != ';' && start[type_len] != ' ')
            type_len++;
        double q = entry_q(start + type_len, len - type_len);
        static const char om[] = "application/openmetrics-text";
        if (type_len == sizeof om - 1 && !strncasecmp(start, om, type_len)) {
            if (q > q_om)
                q_om = q;
        } else if ((type_len == 10 && !strncasecmp(start, "text/plain", 10)) ||
                   (type_len == 6 && !strncasecmp(start, "text/*", 6)) ||
                   (type_len == 3 && !strncmp(start, "*/*", 3))) {
            if (q > q_text)
                q_text = q;
        }
    }
    return q_om > 0 && q_om >= q_text ? PSC__METRICS_OPENMETRICS : PSC__METRICS_PROMETHEUS;
}
