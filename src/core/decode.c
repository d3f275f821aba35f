/* psc_msg_decode (peerscope/pb.h): protobuf-c's unpack of a message's payload. */
#include "peerscope/pb.h"

psc_err psc_msg_decode(const psc_msg *msg, Peerscope__ServerMessage **out)
{
    if (!msg || !out)
        return PSC_ERR_INVALID;
    size_t len;
    const uint8_t *data = psc_msg_payload(msg, &len);
    /* unpack gives no reason; our own messages only fail it when memory runs out */
    Peerscope__ServerMessage *m = peerscope__server_message__unpack(NULL, len, data);
    if (!m)
        return PSC_ERR_PROTOCOL;
    *out = m;
    return PSC_OK;
}
