/*
 * Reading back what a recorder wrote, with the library's own recording
 * reader, and the rules every recording must keep: Runtime first, states
 * whole, events in order, each type's metadata on its first event only,
 * everything in time order. Include after cmocka's prerequisites.
 */
#ifndef PSC_TEST_REC_CHECK_H
#define PSC_TEST_REC_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peerscope/pb.h"

typedef struct rec_read {
    Peerscope__ServerMessage **msgs; /* every record, decoded (protobuf-c's default allocator) */
    size_t n;
    size_t runtimes, states, events;
    Peerscope__State **state;        /* the states, in order (pointing into msgs) */
    Peerscope__Event **event;        /* the events, in order */
} rec_read;

/*
 * Read a recording from memory and check the rules above (asserts).
 * by_time: every record's time is at least the one before it (events
 * emitted from several threads on a real clock may take their times in
 * another order than their sequence numbers).
 */
void rec_read_buffer(const uint8_t *buf, size_t len, bool by_time, rec_read *out);
/* The same from a file. */
void rec_read_path(const char *path, bool by_time, rec_read *out);
void rec_read_free(rec_read *r);

#endif
