/* Built without libpq: --store postgres://... says so. */
#include <stdio.h>

#include "store.h"

rec_status rec_pg_open(const char *conninfo, const rec_store_opts *o, rec_store **out, char *err, size_t errlen)
{
    (void)conninfo;
    (void)o;
    *out = NULL;
    snprintf(err, errlen, "this peerscope-record was built without PostgreSQL support (libpq was not found)");
    return REC_UNSUPPORTED;
}
