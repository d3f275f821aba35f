#include "fake_msg.h"
#include "wire/msg.h"
#include "peerscope/version.h"

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

psc_err psc_test_fake_state(const psc__alloc *a, uint64_t seq, uint64_t base_seq, uint64_t instant_ts, psc_msg **out)
{
    Peerscope__Version v = PEERSCOPE__VERSION__INIT;
    Peerscope__State st = PEERSCOPE__STATE__INIT;
    Peerscope__StateDelta d = PEERSCOPE__STATE_DELTA__INIT;
    Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;
    v.version = PSC_PROTOCOL_VERSION;
    st.seq = seq;
    st.instant_ts = instant_ts;
    if (base_seq) {
        d.base_seq = base_seq;
        st.delta = &d;
    }
    sm.version = &v;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE;
    sm.state = &st;
    return psc_test_pack(a, PSC_MSG_STATE, &sm, out);
}

psc_err psc_test_fake_runtime(const psc__alloc *a, const char *implementation, psc_msg **out)
{
    Peerscope__Version v = PEERSCOPE__VERSION__INIT;
    Peerscope__Runtime rt = PEERSCOPE__RUNTIME__INIT;
    Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;
    v.version = PSC_PROTOCOL_VERSION;
    rt.implementation = (char *)implementation; /* protobuf-c only reads it */
    sm.version = &v;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME;
    sm.runtime = &rt;
    return psc_test_pack(a, PSC_MSG_RUNTIME, &sm, out);
}

uint64_t psc_test_state_seq(const psc_msg *m, bool *is_delta)
{
    size_t len = 0;
    const uint8_t *p = psc_msg_payload(m, &len);
    Peerscope__ServerMessage *sm = peerscope__server_message__unpack(NULL, len, p);
    uint64_t seq = 0;
    if (sm && sm->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE && sm->state) {
        seq = sm->state->seq;
        if (is_delta)
            *is_delta = sm->state->delta != NULL;
    }
    peerscope__server_message__free_unpacked(sm, NULL);
    return seq;
}
