/* peerscope-replay: a 2020-format recording file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "replay_tool.h"

typedef struct report_ctx {
    const rep_opts *o;
    const char *name;
    bool failed;      /* --strict and a damaged record */
} report_ctx;

static bool report(void *user, const psc_replay_problem *p)
{
    report_ctx *c = user;
    if (c->o->strict) {
        rep_errorf("%s: record %llu at offset %llu: %s", c->name, (unsigned long long)p->index,
                   (unsigned long long)p->offset, p->what);
        c->failed = true;
        return false;
    }
    if (!c->o->quiet)
        rep_warnf("%s: record %llu at offset %llu: %s%s", c->name, (unsigned long long)p->index,
                  (unsigned long long)p->offset, p->what,
                  p->fatal ? " (serving the records before it; --strict refuses such a file)" : "");
    return true;
}

/* The whole file in memory (the replay keeps every message anyway). */
static int slurp(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        rep_errorf("cannot open %s: %s", path, strerror(errno));
        return REP_EXIT_INPUT;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        rep_errorf("%s: not a regular file", path);
        fclose(f);
        return REP_EXIT_INPUT;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        rep_errorf("%s: out of memory reading %zu bytes", path, cap);
        fclose(f);
        return REP_EXIT_FAILURE;
    }
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) { /* it grew while being read */
            uint8_t *b = cap < SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
            if (!b) {
                free(buf);
                fclose(f);
                rep_errorf("%s: out of memory", path);
                return REP_EXIT_FAILURE;
            }
            buf = b;
            cap *= 2;
        }
    }
    bool err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        rep_errorf("cannot read %s: %s", path, strerror(errno));
        return REP_EXIT_INPUT;
    }
    *data = buf;
    *len = n;
    return REP_EXIT_OK;
}

/* By the header SQLite writes at the start of every database file. */
bool rep_is_sqlite(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char head[16];
    bool yes = fread(head, 1, sizeof head, f) == sizeof head && memcmp(head, "SQLite format 3", 16) == 0;
    fclose(f);
    return yes;
}

int rep_load_file(const rep_opts *o, const psc_replay_options *ro, psc_replay **out)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int st = slurp(o->input, &data, &len);
    if (st)
        return st;
    psc_replay *r = NULL;
    psc_err e = psc_replay_new(ro, &r);
    if (e != PSC_OK) {
        free(data);
        rep_errorf("cannot make a replay: %s", psc_strerror(e));
        return e == PSC_ERR_NOMEM ? REP_EXIT_FAILURE : REP_EXIT_USAGE;
    }
    report_ctx c = {o, o->input, false};
    e = psc_replay_load(r, data, len, report, &c);
    free(data);
    if (e == PSC_OK) {
        *out = r;
        return REP_EXIT_OK;
    }
    psc_replay_free(r);
    if (e == PSC_ERR_PROTOCOL) {
        rep_errorf("%s: not a recording (%s)", o->input,
                   len < 4 ? "shorter than its 4-byte header" : "its header is not version 1 of the 2020 format");
        return REP_EXIT_INPUT;
    }
    if (e == PSC_ERR_CLOSED && c.failed)
        return REP_EXIT_INPUT;
    rep_errorf("%s: %s", o->input, psc_strerror(e));
    return e == PSC_ERR_NOMEM ? REP_EXIT_FAILURE : REP_EXIT_INPUT;
}
