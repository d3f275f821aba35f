#include "cli_opts.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "peerscope/version.h"
#include "tool_util.h"

#define MAX_INTERVAL_MS 3600000u

enum {
    OPT_TOKEN = 256,
    OPT_CA_FILE,
    OPT_INSECURE,
    OPT_INTERVAL,
    OPT_HELP,
    OPT_VERSION,
};

static const struct option common_opts[] = {
    {"token", required_argument, NULL, OPT_TOKEN},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
};
#define N_COMMON (sizeof common_opts / sizeof common_opts[0])

struct cli_parser {
    const cli_spec *spec;
    FILE *err;
    char name[64]; /* "--width" */
    const char *arg;
};

static void report(const cli_spec *spec, FILE *err, const char *fmt, ...) PSC_PRINTF(3, 4);

static void report(const cli_spec *spec, FILE *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tool_vreport(err, spec->prog, NULL, fmt, ap);
    va_end(ap);
}

const char *cli_option_name(const cli_parser *p)
{
    return p->name;
}

bool cli_bad(cli_parser *p, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->arg)
        report(p->spec, p->err, "%s %s (got '%s')", p->name, msg, p->arg);
    else
        report(p->spec, p->err, "%s %s", p->name, msg);
    return false;
}

bool cli_u64(cli_parser *p, const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
    char range[64];
    if (max == UINT64_MAX)
        snprintf(range, sizeof range, "at least %llu", (unsigned long long)min);
    else
        snprintf(range, sizeof range, "from %llu to %llu", (unsigned long long)min, (unsigned long long)max);
    /* strtoull alone would take leading blanks and a minus sign */
    if (!arg || *arg < '0' || *arg > '9')
        return cli_bad(p, "wants a whole number, %s", range);
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(arg, &end, 10);
    if (*end)
        return cli_bad(p, "wants a whole number, %s", range);
    if (errno == ERANGE || v < min || v > max)
        return cli_bad(p, "must be %s", range);
    *out = v;
    return true;
}

bool cli_seconds(cli_parser *p, const char *arg, uint64_t min_ms, uint64_t max_ms, uint64_t *out_ms)
{
    char range[96];
    if (min_ms)
        snprintf(range, sizeof range, "more than 0 and at most %.15g seconds", (double)max_ms / 1000.0);
    else
        snprintf(range, sizeof range, "at most %.15g seconds", (double)max_ms / 1000.0);
    if (!arg || ((*arg < '0' || *arg > '9') && *arg != '.'))
        return cli_bad(p, "wants a number of seconds, %s", range);
    errno = 0;
    char *end = NULL;
    double v = strtod(arg, &end);
    if (end == arg || *end || !isfinite(v))
        return cli_bad(p, "wants a number of seconds, %s", range);
    double ms = v * 1000.0;
    if (ms > (double)max_ms || llround(ms) < (long long)min_ms)
        return cli_bad(p, "must be %s", range);
    *out_ms = (uint64_t)llround(ms);
    return true;
}

cli_status cli_usage_error(const cli_spec *spec, FILE *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tool_vreport(err, spec->prog, NULL, fmt, ap);
    va_end(ap);
    fprintf(err, "Try '%s --help'.\n", spec->prog);
    return CLI_USAGE;
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* The common options; false after a message. */
static bool common_option(cli_parser *p, int id, const char *arg, cli_conn *conn, FILE *out, bool *done)
{
    switch (id) {
    case OPT_TOKEN:
        if (has_control(arg))
            return cli_bad(p, "must not contain control characters");
        conn->token = arg;
        break;
    case OPT_CA_FILE: conn->ca_file = arg; break;
    case OPT_INSECURE: conn->insecure = true; break;
    case OPT_INTERVAL:
        if (!cli_u64(p, arg, 1, MAX_INTERVAL_MS, &conn->interval_ms))
            return false;
        break;
    case OPT_HELP:
        p->spec->usage(out);
        *done = true;
        return true;
    case OPT_VERSION:
        fprintf(out, "%s %s\n", p->spec->prog, PSC_VERSION_STRING);
        *done = true;
        return true;
    }
    static const char *const flags[] = {"--token", "--ca-file", "--insecure", "--interval"};
    if (!conn->given)
        conn->given = flags[id - OPT_TOKEN];
    return true;
}

cli_status cli_parse(const cli_spec *spec, int argc, char **argv, cli_conn *conn, int *first_operand, FILE *out,
                     FILE *err)
{
    memset(conn, 0, sizeof *conn);
    struct option all[N_COMMON + CLI_MAX_OWN + 1];
    size_t n = 0;
    for (size_t i = 0; i < N_COMMON; i++)
        all[n++] = common_opts[i];
    for (const struct option *o = spec->options; o && o->name; o++) {
        if (n == N_COMMON + CLI_MAX_OWN)
            return cli_usage_error(spec, err, "internal error: too many options (CLI_MAX_OWN)");
        all[n++] = *o;
    }
    memset(&all[n], 0, sizeof all[n]);

    cli_parser p = {spec, err, "", NULL};
    opterr = 0;
    optind = 0; /* 0, not 1: glibc then also forgets the previous argv (tests parse many) */
    int c, idx;
    /* the leading ':' tells a missing value (':') from an unknown option ('?') */
    while ((idx = -1, c = getopt_long(argc, argv, ":", all, &idx)) != -1) {
        if (c == '?' || c == ':' || idx < 0) {
            /* a long option is the argument just passed (up to any '='); a short one is optopt */
            const char *arg = argv[optind - 1];
            int len = (int)strcspn(arg, "=");
            char shortopt[3] = {'-', (char)optopt, 0};
            if (strncmp(arg, "--", 2) != 0)
                arg = shortopt, len = 2;
            if (c == ':')
                return cli_usage_error(spec, err, "%.*s needs a value", len, arg);
            return cli_usage_error(spec, err, "unknown option: %.*s", len, arg);
        }
        snprintf(p.name, sizeof p.name, "--%s", all[idx].name);
        p.arg = optarg;
        bool ok, done = false;
        if (c < CLI_OPT_OWN)
            ok = common_option(&p, c, optarg, conn, out, &done);
        else
            ok = spec->option(&p, c, optarg, spec->user);
        if (!ok)
            return CLI_USAGE;
        if (done)
            return CLI_DONE;
    }
    if (!conn->token) {
        const char *env = getenv("PEERSCOPE_TOKEN");
        if (env && *env) {
            if (has_control(env))
                return cli_usage_error(spec, err, "$PEERSCOPE_TOKEN must not contain control characters");
            conn->token = env;
        }
    }
    *first_operand = optind;
    return CLI_RUN;
}

bool cli_is_ws_url(const char *s)
{
    return strncasecmp(s, "ws://", 5) == 0 || strncasecmp(s, "wss://", 6) == 0;
}

bool cli_check_url(const cli_spec *spec, FILE *err, const char *url)
{
    psc_client_url u;
    if (cli_is_ws_url(url)) {
        psc_err e = psc_client_parse_url(url, &u);
        if (e == PSC_OK)
            return true;
        report(spec, err, "malformed URL '%s'%s (expected ws://HOST[:PORT][/PATH] or wss://...)", url,
               e == PSC_ERR_TOO_BIG ? ": host or path too long" : "");
        return false;
    }
    /* a web address of the endpoint: say how its WebSocket is spelled */
    const char *rest = NULL, *scheme = NULL;
    if (strncasecmp(url, "http://", 7) == 0)
        rest = url + 7, scheme = "ws://";
    else if (strncasecmp(url, "https://", 8) == 0)
        rest = url + 8, scheme = "wss://";
    if (rest)
        report(spec, err, "not a ws:// or wss:// URL: '%s' (did you mean %s%s?)", url, scheme, rest);
    else
        report(spec, err, "not a ws:// or wss:// URL: '%s' (expected ws://HOST[:PORT][/PATH] or wss://...)", url);
    return false;
}

void cli_conn_apply(const cli_conn *conn, const char *url, psc_client_config *cfg)
{
    cfg->url = url;
    cfg->token = conn->token;
    cfg->ca_file = conn->ca_file;
    cfg->allow_insecure = conn->insecure;
}
