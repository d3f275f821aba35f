#include "fake_msg.h"
#include "wire/msg.h"

psc_err psc_test_pack(const psc__alloc *a, psc_msg_kind kind, const Peerscope__ServerMessage *sm, psc_msg **out)
{
    size_t n = peerscope__server_message__get_packed_size(sm);
    psc_msg *m = NULL;
    psc_err err = psc__msg_new(a, kind, n, &m);
    if (err)
        return err;
    peerscope__server_message__pack(sm, psc__msg_payload_mut(m));
    psc__msg_seal(m);
    *out = m;
    return PSC_OK;
}
