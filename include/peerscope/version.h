/* peerscope: version of the library and of the wire format. */
#ifndef PEERSCOPE_VERSION_H
#define PEERSCOPE_VERSION_H

#include "peerscope/common.h"

#define PSC_VERSION_MAJOR 0
#define PSC_VERSION_MINOR 1
#define PSC_VERSION_PATCH 0
#define PSC_VERSION_STRING "0.1.0"
/** Single comparable number: major * 10000 + minor * 100 + patch. */
#define PSC_VERSION_NUMBER (PSC_VERSION_MAJOR * 10000 + PSC_VERSION_MINOR * 100 + PSC_VERSION_PATCH)
/** The introspection protocol version in frame headers and Version messages. */
#define PSC_PROTOCOL_VERSION 1u

#ifdef __cplusplus
extern "C" {
#endif

/** The version string of the library actually linked. Thread-safe, static. */
PSC_API const char *psc_version_string(void);
/** PSC_VERSION_NUMBER of the library actually linked. Thread-safe. */
PSC_API unsigned psc_version_number(void);

#ifdef __cplusplus
}
#endif

#endif
