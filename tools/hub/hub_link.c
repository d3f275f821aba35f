/* peerscope-hub: what every link to a node says on (re)connect, pulled or pushed alike (docs/hub.md). */
#include "hub.h"
#include "peerscope/version.h"

static psc_err send_cmd(hub_send_fn send, void *link, uint64_t *next_id, Peerscope__ClientCommand__Command command,
                        Peerscope__ClientCommand__Source source, bool resume, uint64_t after_seq)
{
    Peerscope__Version v = PEERSCOPE__VERSION__INIT;
    v.version = PSC_PROTOCOL_VERSION;
    Peerscope__ClientCommand cmd = PEERSCOPE__CLIENT_COMMAND__INIT;
    cmd.version = &v;
    cmd.id = (*next_id)++;
    cmd.command = command;
    cmd.source = source;
    cmd.resume_events = resume;
    cmd.after_seq = after_seq;
    return send(link, &cmd);
}

psc_err hub_link_greet(hub_send_fn send, void *link, uint64_t *next_id)
{
    psc_err err = send_cmd(send, link, next_id, PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO,
                           PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, false, 0);
    if (!err)
        err = send_cmd(send, link, next_id, PEERSCOPE__CLIENT_COMMAND__COMMAND__REQUEST,
                       PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME, false, 0);
    return err;
}

psc_err hub_link_subscribe(hub_send_fn send, void *link, uint64_t *next_id, uint64_t after_seq)
{
    /* Events first: a state pushed meanwhile must not wait behind the resume. */
    psc_err err = send_cmd(send, link, next_id, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE,
                           PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, true, after_seq);
    if (!err)
        err = send_cmd(send, link, next_id, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE,
                       PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, false, 0);
    return err;
}
