/*
 * The embedded web visualizer: lookup over a table that web/embed.py
 * generates into a copy of this file (the marker below becomes the data).
 * Everything here is constant data, so every function is thread-safe.
 */
#include <stdlib.h>
#include <string.h>

#include "assets/assets.h"

/* @ASSET_DATA@ */

#define PSC__ASSET_COUNT (sizeof psc__assets / sizeof psc__assets[0])

/* Longest request path looked at; embedded paths are far shorter. */
#define PSC__ASSET_PATH_MAX 256u

static int psc__asset_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const psc__asset *)elem)->path);
}

const psc__asset *psc__asset_find(const char *path)
{
    char buf[PSC__ASSET_PATH_MAX];
    size_t n;

    if (!path || path[0] != '/')
        return NULL;
    /* A request target may carry ?query or #fragment (e.g. "/?token=...");
     * neither selects a different file. */
    n = strcspn(path, "?#");
    if (n >= sizeof buf)
        return NULL;
    memcpy(buf, path, n);
    buf[n] = '\0';
    if (n == 1)
        return psc__asset_find("/index.html");
    return bsearch(buf, psc__assets, PSC__ASSET_COUNT, sizeof psc__assets[0], psc__asset_cmp);
}

size_t psc__asset_count(void)
{
    return PSC__ASSET_COUNT;
}

const psc__asset *psc__asset_at(size_t i)
{
    return i < PSC__ASSET_COUNT ? &psc__assets[i] : NULL;
}
