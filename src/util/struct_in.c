#include "util/struct_in.h"

#include <string.h>

psc_err psc__copy_in(void *dst, size_t dst_size, const void *src, size_t min_size)
{
    if (!src)
        return PSC_ERR_INVALID;
    size_t given;
    memcpy(&given, src, sizeof given);
    if (given < min_size || given < sizeof(size_t))
        return PSC_ERR_INVALID;
    memset(dst, 0, dst_size);
    memcpy(dst, src, given < dst_size ? given : dst_size);
    return PSC_OK;
}
