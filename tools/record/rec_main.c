/*
 * peerscope-record: record introspection endpoints into SQLite or
 * PostgreSQL (see --help and the README's "Recording" section).
 *
 * Two threads: this one runs the clients (rec_net.c) and the writer
 * thread writes what they received (rec_writer.c) into the stores.
 */
#include <stdio.h>

#include "rec_writer.h"
#include "record.h"
#include "tool_util.h"

/* One line that a benchmark or a script can read. */
static void summary(const rec_opts *o, const rec_net_stats *ns, const rec_writer_stats *ws)
{
    double secs = (double)ns->elapsed_ms / 1000.0;
    fprintf(stderr,
            "peerscope-record: summary: %zu endpoints, %.1f s: received %llu events (%.0f/s), %llu states; "
            "stored %llu events, %llu states, %llu sessions, %llu duplicates skipped; dropped by nodes %llu "
            "(DISCARDING_EVENTS), seq gaps %llu, messages lost %llu; %llu commits, longest %llu ms; pruned %llu "
            "rows\n",
            o->n_urls, secs, (unsigned long long)ns->events, secs > 0 ? (double)ns->events / secs : 0.0,
            (unsigned long long)ns->states, (unsigned long long)ws->events, (unsigned long long)ws->states,
            (unsigned long long)ws->sessions, (unsigned long long)ws->duplicates, (unsigned long long)ns->dropped,
            (unsigned long long)ns->gaps, (unsigned long long)ns->lost, (unsigned long long)ws->commits,
            (unsigned long long)ws->max_commit_ms, (unsigned long long)ws->pruned);
}

int main(int argc, char **argv)
{
    rec_opts o;
    cli_status cs = rec_opts_parse(argc, argv, &o, stdout, stderr);
    if (cs != CLI_RUN)
        return cs == CLI_DONE ? REC_EXIT_OK : REC_EXIT_USAGE;
    if (!tool_catch_signals()) {
        rec_errorf("cannot install signal handlers");
        return REC_EXIT_FAILURE;
    }

    rec_store *stores[REC_MAX_STORES] = {0};
    rec_store_opts so = {o.sync_full, o.max_db_bytes};
    int status = REC_EXIT_OK;
    size_t n = 0;
    for (; n < o.n_stores; n++) {
        char err[1024];
        rec_status st = rec_store_open(o.stores[n].spec, o.stores[n].is_db, &so, &stores[n], err, sizeof err);
        if (st) {
            rec_errorf("%s", err);
            status = st == REC_NOMEM ? REC_EXIT_FAILURE : REC_EXIT_STORE_OPEN;
            goto out;
        }
    }

    rec_retention ret = {o.keep_ms, o.max_db_bytes};
    rec_writer *w;
    char err[1100];
    if (!rec_writer_start(stores, n, o.n_urls, &ret, o.verbose, &w, err, sizeof err)) {
        rec_errorf("%s", err);
        status = REC_EXIT_FAILURE;
        goto out;
    }
    rec_net_stats ns;
    status = rec_net_run(&o, w, &ns);
    int wstatus;
    rec_writer_stats ws;
    if (!rec_writer_finish(w, &ws, &wstatus, err, sizeof err)) {
        rec_errorf("%s", err);
        status = wstatus;
    }
    if (o.verbose)
        summary(&o, &ns, &ws);
    if (ns.wrapped)
        rec_warnf("%llu event contents were not valid JSON; they are stored as JSON strings",
                  (unsigned long long)ns.wrapped);
out:
    for (size_t i = 0; i < n; i++)
        stores[i]->vt->close(stores[i]);
    return status;
}
