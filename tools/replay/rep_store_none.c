/* peerscope-replay built without SQLite: a store is recognised and refused. */
#include <stdio.h>
#include <string.h>

#include "replay_tool.h"

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

int rep_load_store(const rep_opts *o, const psc_replay_options *ro, psc_replay **out)
{
    (void)ro;
    (void)out;
    rep_errorf("%s: an SQLite store, but this peerscope-replay was built without SQLite", o->input);
    return REP_EXIT_INPUT;
}
