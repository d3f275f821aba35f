/* Which store a spelling names, and the words for what went wrong. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store.h"

bool rec_store_is_pg(const char *spec)
{
    return strncasecmp(spec, "postgres://", 11) == 0 || strncasecmp(spec, "postgresql://", 13) == 0;
}

rec_status rec_store_open(const char *spec, bool is_path, const rec_store_opts *o, rec_store **out, char *err,
                          size_t errlen)
{
    if (!is_path && rec_store_is_pg(spec))
        return rec_pg_open(spec, o, out, err, errlen);
    if (!is_path && strncmp(spec, "sqlite:", 7) == 0)
        spec += 7;
    if (!*spec) {
        snprintf(err, errlen, "an empty database path");
        return REC_IO;
    }
    return rec_sqlite_open(spec, o, out, err, errlen);
}

const char *rec_status_str(rec_status st)
{
    switch (st) {
    case REC_OK: return "ok";
    case REC_BUSY: return "busy";
    case REC_FULL: return "disk full";
    case REC_IO: return "I/O error";
    case REC_CORRUPT: return "not a database, or a damaged one";
    case REC_SCHEMA: return "not a peerscope-record store, or a newer schema";
    case REC_LOCKED: return "in use by another peerscope-record";
    case REC_NOMEM: return "out of memory";
    case REC_UNSUPPORTED: return "not supported by this build";
    }
    return "error";
}
