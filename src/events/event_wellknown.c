/*
 * Event types that clients know by name. Where the 2020 visualizer and its
 * recordings define a type, its 2020 properties come first, in the 2020
 * order and with the 2020 types, so that a Runtime listing them looks the
 * same to old clients; properties the 2020 content carried without
 * declaring them follow.
 */
#include "events/event_store.h"

#define DEF(sym, nm, arr) const psc_event_def sym = {nm, arr, sizeof arr / sizeof arr[0]}

static const psc_prop_def peer_connected[] = {
    {"peerId", PSC_PROP_PEERID, false},
    {"transport", PSC_PROP_STRING, false},
    {"direction", PSC_PROP_STRING, false},
    {"addr", PSC_PROP_MULTIADDR, false},
};
DEF(PSC_EVENT_PEER_CONNECTED, "PeerConnected", peer_connected);

static const psc_prop_def peer_disconnected[] = {
    {"peerId", PSC_PROP_PEERID, false},
    {"transport", PSC_PROP_STRING, false},
    {"timeOpen", PSC_PROP_TIME, false},
    {"age", PSC_PROP_NUMBER, false},
    {"reason", PSC_PROP_STRING, false},
};
DEF(PSC_EVENT_PEER_DISCONNECTED, "PeerDisconnected", peer_disconnected);

static const psc_prop_def peer_connecting[] = {
    {"peerId", PSC_PROP_PEERID, false},
    {"transport", PSC_PROP_STRING, false},
    {"role", PSC_PROP_STRING, false},
};
DEF(PSC_EVENT_PEER_CONNECTING, "PeerConnecting", peer_connecting);

static const psc_prop_def peer_disconnecting[] = {
    {"peerId", PSC_PROP_PEERID, false},
    {"timeOpen", PSC_PROP_TIME, false},
    {"age", PSC_PROP_NUMBER, false},
    {"transport", PSC_PROP_STRING, false},
};
DEF(PSC_EVENT_PEER_DISCONNECTING, "PeerDisconnecting", peer_disconnecting);

/* Both directions carry the same properties (the 2020 ones first, in
 * their 2020 order, then what the 2020 generator put in the content). */
static const psc_prop_def dht_query[] = {
    {"result", PSC_PROP_STRING, false},
    {"totalTimeMs", PSC_PROP_NUMBER, false},
    {"totalSteps", PSC_PROP_NUMBER, false},
    {"peerIds", PSC_PROP_PEERID, true},
    {"queryId", PSC_PROP_STRING, false},
    {"targetPeerId", PSC_PROP_PEERID, false},
    {"trigger", PSC_PROP_STRING, false},
    {"type", PSC_PROP_STRING, false},
    {"direction", PSC_PROP_STRING, false},
};
DEF(PSC_EVENT_INBOUND_DHT_QUERY, "InboundDHTQuery", dht_query);
DEF(PSC_EVENT_OUTBOUND_DHT_QUERY, "OutboundDHTQuery", dht_query);

static const psc_prop_def identity_known[] = {
    {"peerId", PSC_PROP_PEERID, false},
    {"addrs", PSC_PROP_MULTIADDR, true},
};
DEF(PSC_EVENT_IDENTITY_KNOWN, "IdentityKnown", identity_known);

static const psc_prop_def first_peer_connected[] = {
    {"peerId", PSC_PROP_PEERID, false},
    {"sinceStartMs", PSC_PROP_NUMBER, false},
};
DEF(PSC_EVENT_FIRST_PEER_CONNECTED, "FirstPeerConnected", first_peer_connected);

static const psc_prop_def sync_started[] = {
    {"target", PSC_PROP_NUMBER, false},
    {"height", PSC_PROP_NUMBER, false},
};
DEF(PSC_EVENT_SYNC_STARTED, "SyncStarted", sync_started);

static const psc_prop_def sync_completed[] = {
    {"height", PSC_PROP_NUMBER, false},
    {"durationMs", PSC_PROP_NUMBER, false},
};
DEF(PSC_EVENT_SYNC_COMPLETED, "SyncCompleted", sync_completed);

static const psc_prop_def new_block[] = {
    {"height", PSC_PROP_NUMBER, false},
    {"hash", PSC_PROP_STRING, false},
    {"from", PSC_PROP_PEERID, false},
    {"size", PSC_PROP_NUMBER, false},
};
DEF(PSC_EVENT_NEW_BLOCK, "NewBlock", new_block);

static const psc_prop_def message_received[] = {
    {"topic", PSC_PROP_STRING, false},
    {"from", PSC_PROP_PEERID, false},
    {"size", PSC_PROP_NUMBER, false},
    {"msgId", PSC_PROP_STRING, false},
};
DEF(PSC_EVENT_MESSAGE_RECEIVED, "MessageReceived", message_received);

psc_err psc__events_declare_well_known(psc__events *ev)
{
    static const psc_event_def *const all[] = {
        &PSC_EVENT_PEER_CONNECTED,      &PSC_EVENT_PEER_DISCONNECTED,    &PSC_EVENT_PEER_CONNECTING,
        &PSC_EVENT_PEER_DISCONNECTING,  &PSC_EVENT_INBOUND_DHT_QUERY,    &PSC_EVENT_OUTBOUND_DHT_QUERY,
        &PSC_EVENT_IDENTITY_KNOWN,      &PSC_EVENT_FIRST_PEER_CONNECTED, &PSC_EVENT_SYNC_STARTED,
        &PSC_EVENT_SYNC_COMPLETED,      &PSC_EVENT_NEW_BLOCK,            &PSC_EVENT_MESSAGE_RECEIVED,
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const psc_event_type *t;
        psc_err e = psc__events_declare(ev, all[i], &t);
        if (e != PSC_OK)
            return e;
    }
    return PSC_OK;
}
