/*
 * Public structs that begin with struct_size, as callers hand them in:
 * an older caller's struct is shorter, a newer one's longer (util/struct_in.c).
 */
#ifndef PSC_UTIL_STRUCT_IN_H
#define PSC_UTIL_STRUCT_IN_H

#include <stddef.h>

#include "peerscope/common.h"

/* Bytes of a public struct up to and including field: the least struct_size a caller may pass. */
#define PSC__END_OF(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

/*
 * Copy a caller's struct that begins with struct_size into dst (zeroed
 * first, so fields the caller's version lacks read as 0), reading at most
 * dst_size bytes. PSC_ERR_INVALID when src is NULL or its struct_size is
 * below min_size (it lacks fields we need). Thread-safe.
 */
psc_err psc__copy_in(void *dst, size_t dst_size, const void *src, size_t min_size);

#endif
