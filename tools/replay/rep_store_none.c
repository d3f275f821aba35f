/* peerscope-replay built without SQLite: a store is recognised and refused. */

#include "replay_tool.h"

int rep_load_store(const rep_opts *o, const psc_replay_options *ro, psc_replay **out)
{
    (void)ro;
    (void)out;
    rep_errorf("%s: an SQLite store, but this peerscope-replay was built without SQLite", o->input);
    return REP_EXIT_INPUT;
}
