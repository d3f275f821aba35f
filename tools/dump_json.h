/*
 * A protobuf-c message as one JSON object, driven by the message
 * descriptor alone: every field of the schema, present and future, prints
 * without code of its own.
 *
 * The mapping (proto3 JSON with preserving_proto_field_name, plus two
 * choices of peerscope-dump's own, documented in its --help):
 *   - keys are the field names of the .proto (snake_case), in field
 *     number order; a oneof prints only its set member, under that
 *     member's name; unset sub-messages are left out; scalars, strings,
 *     bytes and repeated fields always print, defaults included (proto3
 *     cannot tell "absent" from 0, and jq filters are simpler this way);
 *   - enums print as their value names ("ACTIVE"); a number the schema
 *     does not know prints as a number;
 *   - 64-bit integers print as numbers when |v| <= 2^53 (exact in a
 *     double, so JavaScript keeps them), else as decimal strings;
 *   - float/double print in the shortest form that reads back exactly;
 *     NaN and the infinities as the strings "NaN", "Infinity", "-Infinity";
 *   - bytes print as standard base64 with padding (RFC 4648, as proto3);
 *   - strings are checked as UTF-8: each invalid sequence becomes U+FFFD;
 *     control characters, DEL and the C1 controls are escaped, so the
 *     output is safe on a terminal; with ascii set every non-ASCII
 *     character is escaped too (\uXXXX, surrogate pairs above U+FFFF);
 *   - fields the schema does not know (a newer server) are listed under
 *     "_unknown_fields" as [{"number","wire_type","data" (base64)}]; a
 *     leading underscore cannot clash with a .proto field name.
 *
 * No allocation. Thread-safe for distinct FILEs.
 */
#ifndef PSC_TOOLS_DUMP_JSON_H
#define PSC_TOOLS_DUMP_JSON_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct dump_json_opts {
    bool ascii; /* escape every non-ASCII character */
} dump_json_opts;

/* Nesting deeper than this prints null (a relayed Connection can nest). */
#define DUMP_JSON_MAX_DEPTH 64

/*
 * Write msg as one JSON object, without a newline. opts may be NULL.
 * Returns 0, or -1 if writing to f failed (see ferror/errno).
 */
int dump_json_message(FILE *f, const ProtobufCMessage *msg, const dump_json_opts *opts);

/* Write s (len bytes) as a JSON string with the escaping above. */
int dump_json_string(FILE *f, const char *s, size_t len, bool ascii);

/* Write len bytes as a base64 JSON string. */
int dump_json_base64(FILE *f, const uint8_t *data, size_t len);

#endif
