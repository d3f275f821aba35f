/* The transport-facing session calls (service thread only). */
#include "endpoint/endpoint.h"
#include "core/core.h"

#include <stdio.h>

void psc__endpoint_publish(psc_endpoint_session *s)
{
    psc_session_info info = {.struct_size = sizeof(info), .id = s->id, .opened_ms = s->opened_ms};
    memcpy(info.remote, s->remote, sizeof(info.remote));
    psc__session_fill_info(s->core, &info);
    pthread_mutex_lock(&s->ep->lock);
    s->pub = info;
    pthread_mutex_unlock(&s->ep->lock);
}

void psc__endpoint_notify(psc_endpoint_session *s)
{
    if (s->ep->vt.session_ready && psc__session_has_output(s->core))
        s->ep->vt.session_ready(s->ep->state, s, s->ep->user);
}

/* Sessions that take a slot of max_sessions (under ep->lock). */
static size_t counted(const psc_endpoint *ep)
{
    return ep->n_sessions - ep->n_exempt;
}

size_t psc__endpoint_sessions_counted(psc_endpoint *ep)
{
    pthread_mutex_lock(&ep->lock);
    size_t n = counted(ep);
    pthread_mutex_unlock(&ep->lock);
    return n;
}

psc_err psc_endpoint_session_open(psc_endpoint *ep, const char *remote, psc_endpoint_session **out)
{
    return psc__endpoint_session_open(ep, remote, false, out);
}

psc_err psc__endpoint_session_open(psc_endpoint *ep, const char *remote, bool exempt, psc_endpoint_session **out)
{
    if (!ep || !out)
        return PSC_ERR_INVALID;
    pthread_mutex_lock(&ep->lock);
    bool full = !exempt && counted(ep) >= ep->max_sessions;
    psc_err err = ep->closing ? PSC_ERR_CLOSED : full ? PSC_ERR_TOO_BIG : PSC_OK;
    pthread_mutex_unlock(&ep->lock);
    if (err)
        return err;

    psc_endpoint_session *s = psc__calloc(&ep->alloc, 1, sizeof(*s));
    if (!s)
        return PSC_ERR_NOMEM;
    psc__session_env env;
    psc__endpoint_env(ep, &env);
    err = psc__session_new(&ep->alloc, &env, &ep->lim, psc__endpoint_now_ms(ep), &s->core);
    if (err == PSC_OK)
        psc__session_use_reserve(s->core, &ep->reserve_alloc);
    if (err) {
        psc__free(&ep->alloc, s);
        return err;
    }
    s->ep = ep;
    snprintf(s->remote, sizeof s->remote, "%s", remote ? remote : "");
    s->opened_ms = psc_introspector_now_ms(ep->intro);

    pthread_mutex_lock(&ep->lock);
    full = !exempt && counted(ep) >= ep->max_sessions;
    if (ep->closing || full) {
        err = ep->closing ? PSC_ERR_CLOSED : PSC_ERR_TOO_BIG;
        pthread_mutex_unlock(&ep->lock);
        psc__session_free(s->core);
        psc__free(&ep->alloc, s);
        return err;
    }
    s->id = ep->next_id++;
    s->next = ep->sessions;
    if (ep->sessions)
        ep->sessions->prev = s;
    ep->sessions = s;
    ep->n_sessions++;
    s->exempt = exempt;
    if (exempt)
        ep->n_exempt++;
    pthread_mutex_unlock(&ep->lock);

    psc__endpoint_publish(s);
    psc__log(ep->intro, PSC_LOG_DEBUG, "session %llu opened (%s)", (unsigned long long)s->id, s->remote);
    *out = s;
    return PSC_OK;
}

void psc_endpoint_session_close(psc_endpoint_session *s)
{
    if (!s)
        return;
    psc_endpoint *ep = s->ep;
    pthread_mutex_lock(&ep->lock);
    if (s->prev)
        s->prev->next = s->next;
    else
        ep->sessions = s->next;
    if (s->next)
        s->next->prev = s->prev;
    ep->n_sessions--;
    if (s->exempt)
        ep->n_exempt--;
    pthread_mutex_unlock(&ep->lock);
    const char *why = psc__session_close_reason(s->core);
    psc__log(ep->intro, PSC_LOG_DEBUG, "session %llu closed%s%s", (unsigned long long)s->id, why ? ": " : "",
             why ? why : "");
    psc__session_free(s->core);
    psc__free(&ep->alloc, s);
}

psc_err psc_endpoint_session_recv(psc_endpoint_session *s, const uint8_t *data, size_t len)
{
    if (!s || (!data && len))
        return PSC_ERR_INVALID;
    psc_endpoint *ep = s->ep;
    /* A REQUEST STATE gets a fresh snapshot, not one from an earlier pass. */
    psc__endpoint_pass_begin(ep);
    psc_err err = psc__session_input(s->core, data, len, psc__endpoint_now_ms(ep));
    psc__endpoint_pass_end(ep);
    psc__endpoint_publish(s);
    psc__endpoint_notify(s);
    return err;
}

psc_err psc_endpoint_session_pull(psc_endpoint_session *s, psc_msg **out)
{
    if (!s || !out)
        return PSC_ERR_INVALID;
    psc_err err = psc__session_pull(s->core, out, psc__endpoint_now_ms(s->ep));
    if (err != PSC_ERR_AGAIN)
        psc__endpoint_publish(s);
    return err;
}

bool psc__endpoint_session_hello_done(const psc_endpoint_session *s)
{
    return psc__session_hello_done(s->core);
}

bool psc_endpoint_session_wants_write(const psc_endpoint_session *s)
{
    return s && psc__session_has_output(s->core);
}

const char *psc_endpoint_session_close_reason(const psc_endpoint_session *s)
{
    return s ? psc__session_close_reason(s->core) : NULL;
}

void psc_endpoint_session_set_user(psc_endpoint_session *s, void *user)
{
    if (s)
        s->user = user;
}

void *psc_endpoint_session_user(const psc_endpoint_session *s)
{
    return s ? s->user : NULL;
}
