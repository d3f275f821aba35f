/*
 * peerscope-dump: print the ServerMessages of a live endpoint or of a
 * recording as JSON lines (see --help for the mapping and exit statuses).
 */
#include "dump.h"
#include "tool_util.h"

int main(int argc, char **argv)
{
    dump_opts o;
    switch (dump_opts_parse(argc, argv, &o, stdout, stderr)) {
    case DUMP_PARSE_EXIT_OK:
        return DUMP_EXIT_OK;
    case DUMP_PARSE_ERROR:
        return DUMP_EXIT_USAGE;
    case DUMP_PARSE_RUN:
        break;
    }
    if (!tool_catch_signals()) {
        dump_errorf("cannot install signal handlers");
        return DUMP_EXIT_FAILURE;
    }
    dump_sink sink;
    int status = dump_sink_open(&sink, &o, o.url != NULL);
    if (status != DUMP_EXIT_OK)
        return status;
    status = o.url ? dump_run_live(&o, &sink) : dump_run_file(&o, &sink);
    return dump_sink_close(&sink, status);
}
