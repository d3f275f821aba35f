#include "peerscope/common.h"
#include "peerscope/version.h"

const char *psc_strerror(psc_err err)
{
    switch (err) {
    case PSC_OK: return "success";
    case PSC_ERR_INVALID: return "invalid argument";
    case PSC_ERR_NOMEM: return "out of memory";
    case PSC_ERR_NOT_FOUND: return "not found";
    case PSC_ERR_EXISTS: return "already exists";
    case PSC_ERR_TOO_BIG: return "too big";
    case PSC_ERR_STATE: return "not valid in the current state";
    case PSC_ERR_PROVIDER: return "provider failed";
    case PSC_ERR_IO: return "input/output error";
    case PSC_ERR_PROTOCOL: return "protocol violation";
    case PSC_ERR_CORRUPT: return "corrupted data (checksum or length mismatch)";
    case PSC_ERR_AUTH: return "authentication refused";
    case PSC_ERR_UNSUPPORTED: return "not supported by this build";
    case PSC_ERR_CLOSED: return "closed";
    case PSC_ERR_TIMEOUT: return "timed out";
    case PSC_ERR_AGAIN: return "nothing available yet";
    case PSC_ERR_INTERNAL: return "internal error (a bug in peerscope)";
    }
    return "unknown error";
}

const char *psc_version_string(void)
{
    return PSC_VERSION_STRING;
}

unsigned psc_version_number(void)
{
    return PSC_VERSION_NUMBER;
}
