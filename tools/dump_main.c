/*
 * peerscope-dump: print the ServerMessages of a live endpoint or of a
 * recording as JSON lines (see --help for the mapping and exit statuses).
 */
#include "dump.h"
#include "tool_util.h"

int main(int argc, char **argv)
{
    dump_opts o;
    cli_status st = dump_opts_parse(argc, argv, &o, stdout, stderr);
    if (st != CLI_RUN)
        return st == CLI_DONE ? TOOL_EXIT_OK : TOOL_EXIT_USAGE;
    if (!tool_catch_signals()) {
        dump_errorf("cannot install signal handlers");
        return TOOL_EXIT_FAILURE;
    }
    dump_sink sink;
    int status = dump_sink_open(&sink, &o, o.url != NULL);
    if (status != TOOL_EXIT_OK)
        return status;
    status = o.url ? dump_run_live(&o, &sink) : dump_run_file(&o, &sink);
    return dump_sink_close(&sink, status);
}
