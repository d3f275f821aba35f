/*
 * peerscope-hub: the fleet socket (/introspect). The hub is the server
 * here: its own Runtime, ServerMessage.fleet every second after
 * PUSH_ENABLE STATE (and on REQUEST STATE), and the events of every node
 * with Event.node set after PUSH_ENABLE EVENTS (the server thread).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_server.h"

static bool send_message(hub_conn *c, const Peerscope__ServerMessage *sm)
{
    size_t len = 0;
    uint8_t *f = hub_frame_message(sm, &len);
    return hub_conn_send_owned(c, f, len);
}

static void respond(hub_conn *c, uint64_t id, const char *error)
{
    Peerscope__CommandResponse r = PEERSCOPE__COMMAND_RESPONSE__INIT;
    r.id = id;
    r.result = error ? PEERSCOPE__COMMAND_RESPONSE__RESULT__ERR : PEERSCOPE__COMMAND_RESPONSE__RESULT__OK;
    if (error)
        r.error = (char *)error;
    Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE;
    sm.response = &r;
    send_message(c, &sm);
}

static void notice_dropped(hub_conn *c, uint64_t dropped)
{
    Peerscope__ServerNotice n = PEERSCOPE__SERVER_NOTICE__INIT;
    n.kind = PEERSCOPE__SERVER_NOTICE__KIND__DISCARDING_EVENTS;
    n.dropped = dropped;
    Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE;
    sm.notice = &n;
    send_message(c, &sm);
}

void hub_fleet_open(hub_server *s, hub_conn *c)
{
    (void)s;
    c->push_state = c->push_events = false;
}

static void send_fleet(hub_server *s, hub_conn *c)
{
    size_t len = 0;
    uint8_t *f = hub_fleet_frame(s->h, &len);
    if (!hub_conn_send_owned(c, f, len))
        hub_conn_close(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "hub out of memory");
}

static void enable_events(hub_server *s, hub_conn *c, const Peerscope__ClientCommand *cmd)
{
    hub *h = s->h;
    pthread_mutex_lock(&h->lock);
    uint64_t oldest = h->ring_next > HUB_RING_EVENTS ? h->ring_next - HUB_RING_EVENTS : 0;
    /* resume: every event still in the ring (the fleet's seqs are per node, so after_seq does not apply) */
    c->ring_pos = cmd->resume_events ? oldest : h->ring_next;
    pthread_mutex_unlock(&h->lock);
    c->push_events = true;
}

void hub_fleet_command(hub_server *s, hub_conn *c, const uint8_t *data, size_t len)
{
    Peerscope__ClientCommand *cmd = peerscope__client_command__unpack(NULL, len, data);
    if (!cmd) {
        hub_conn_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "not a ClientCommand");
        return;
    }
    bool state = cmd->source == PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE;
    bool events = cmd->source == PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS;
    bool runtime = cmd->source == PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME;
    switch (cmd->command) {
    case PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO:
    case PEERSCOPE__CLIENT_COMMAND__COMMAND__UPDATE_CONFIG:
        respond(c, cmd->id, NULL);
        break;
    case PEERSCOPE__CLIENT_COMMAND__COMMAND__REQUEST:
        /* as the 2020 protocol does: the payload itself answers a REQUEST */
        if (runtime) {
            size_t n = 0;
            uint8_t *f = hub_runtime_frame(s->h, &n);
            hub_conn_send_owned(c, f, n);
        } else if (state) {
            send_fleet(s, c);
        } else {
            respond(c, cmd->id, "REQUEST EVENTS is not supported: use PUSH_ENABLE EVENTS");
        }
        break;
    case PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE:
        if (state) {
            c->push_state = true;
            respond(c, cmd->id, NULL);
            send_fleet(s, c);
        } else if (events) {
            enable_events(s, c, cmd);
            respond(c, cmd->id, NULL);
        } else {
            respond(c, cmd->id, "RUNTIME cannot be pushed: use REQUEST RUNTIME");
        }
        break;
    case PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_DISABLE:
        if (state)
            c->push_state = false;
        if (events)
            c->push_events = false;
        respond(c, cmd->id, NULL);
        break;
    default:
        respond(c, cmd->id, "not supported by the fleet socket");
        break;
    }
    peerscope__client_command__free_unpacked(cmd, NULL);
}

bool hub_fleet_next_event(hub_server *s, hub_conn *c)
{
    if (!c->push_events)
        return false;
    hub *h = s->h;
    uint64_t skipped = 0;
    uint8_t *f = NULL;
    size_t len = 0;
    pthread_mutex_lock(&h->lock);
    if (h->ring_next - c->ring_pos > HUB_RING_EVENTS) {
        /* this viewer fell behind the ring: say how much it lost, then go on */
        skipped = h->ring_next - HUB_RING_EVENTS - c->ring_pos;
        c->ring_pos = h->ring_next - HUB_RING_EVENTS;
    }
    if (!skipped && c->ring_pos < h->ring_next) {
        f = hub_ring_copy_locked(h, c->ring_pos, &len);
        c->ring_pos++;
    }
    pthread_mutex_unlock(&h->lock);
    if (skipped) {
        notice_dropped(c, skipped);
        return true;
    }
    return f && hub_conn_send_owned(c, f, len);
}

void hub_fleet_tick(hub_server *s)
{
    size_t len = 0;
    uint8_t *f = NULL;
    for (hub_conn *c = s->conns; c; c = c->next) {
        if (c->kind != HUB_CONN_FLEET || !c->push_state || c->close_code)
            continue;
        if (c->tx_count >= HUB_VIEWER_QUEUE_MAX)
            continue; /* a slow viewer gets the next table instead */
        if (!f && !(f = hub_fleet_frame(s->h, &len)))
            return;
        hub_conn_send(c, f, len);
    }
    free(f);
}

void hub_fleet_events_ready(hub_server *s)
{
    hub *h = s->h;
    pthread_mutex_lock(&h->lock);
    uint64_t next = h->ring_next;
    pthread_mutex_unlock(&h->lock);
    for (hub_conn *c = s->conns; c; c = c->next)
        if (c->kind == HUB_CONN_FLEET && c->push_events && c->ring_pos < next)
            lws_callback_on_writable(c->wsi);
}
