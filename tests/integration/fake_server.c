#include "fake_server.h"

#include <libwebsockets.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define MAX_MSGS 256

struct fake_server {
    fake_server_opts o;
    struct lws_context *ctx;
    pthread_t thread;
    pthread_mutex_t lock;
    bool stop;              /* under lock */
    uint16_t port;
    fake_seen seen;         /* under lock */
    uint8_t *msgs[MAX_MSGS];/* under lock */
    size_t msg_len[MAX_MSGS];
};

typedef struct pss {
    size_t idx, off;
    bool go;
    uint8_t *rx;
    size_t rx_len;
} pss;

static void copy_hdr(struct lws *wsi, enum lws_token_indexes tok, char *out, size_t cap)
{
    out[0] = 0;
    if (lws_hdr_total_length(wsi, tok) > 0)
        lws_hdr_copy(wsi, out, (int)cap, tok);
}

static int send_next(fake_server *fs, struct lws *wsi, pss *p)
{
    if (p->idx >= fs->o.n_script) {
        if (fs->o.close_code) {
            const char *r = fs->o.close_reason ? fs->o.close_reason : "";
            lws_close_reason(wsi, (enum lws_close_status)fs->o.close_code, (unsigned char *)r, strlen(r));
            return -1;
        }
        if (fs->o.drop_after_script) {
            shutdown(lws_get_socket_fd(wsi), SHUT_RDWR);
            return -1;
        }
        return 0;
    }
    const fake_msg *m = &fs->o.script[p->idx];
    size_t chunk = m->frag ? m->frag : m->len;
    if (chunk > m->len - p->off)
        chunk = m->len - p->off;
    /* lws writes the frame header into the LWS_PRE bytes in front */
    uint8_t *buf = malloc(LWS_PRE + chunk + 1);
    if (!buf)
        return -1;
    if (chunk)
        memcpy(buf + LWS_PRE, m->data + p->off, chunk);
    bool first = p->off == 0;
    bool last = p->off + chunk == m->len;
    int flags = lws_write_ws_flags(m->text ? LWS_WRITE_TEXT : LWS_WRITE_BINARY, first, last);
    int n = lws_write(wsi, buf + LWS_PRE, chunk, (enum lws_write_protocol)flags);
    free(buf);
    if (n < (int)chunk)
        return -1;
    p->off += chunk;
    if (last) {
        p->idx++;
        p->off = 0;
    }
    lws_callback_on_writable(wsi);
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    fake_server *fs = wsi ? lws_context_user(lws_get_context(wsi)) : NULL;
    pss *p = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
        char uri[128], args[120];
        pthread_mutex_lock(&fs->lock);
        fs->seen.connections++;
        copy_hdr(wsi, WSI_TOKEN_GET_URI, uri, sizeof uri);
        copy_hdr(wsi, WSI_TOKEN_HTTP_URI_ARGS, args, sizeof args);
        snprintf(fs->seen.path, sizeof fs->seen.path, "%s%s%s", uri, args[0] ? "?" : "", args);
        copy_hdr(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, fs->seen.authorization, sizeof fs->seen.authorization);
        copy_hdr(wsi, WSI_TOKEN_ORIGIN, fs->seen.origin, sizeof fs->seen.origin);
        copy_hdr(wsi, WSI_TOKEN_PROTOCOL, fs->seen.protocol, sizeof fs->seen.protocol);
        pthread_mutex_unlock(&fs->lock);
        if (fs->o.reject_status >= 300 && fs->o.reject_status < 400) {
            /* a redirect to another path of this server: following it would show as a second upgrade */
            char loc[64];
            int n = snprintf(loc, sizeof loc, "ws://127.0.0.1:%u/moved", (unsigned)fs->port);
            uint8_t buf[LWS_PRE + 512], *w = buf + LWS_PRE;
            if (lws_http_redirect(wsi, fs->o.reject_status, (unsigned char *)loc, n, &w, buf + sizeof buf) < 0)
                return -1;
            return 1;
        }
        if (fs->o.reject_status) {
            lws_return_http_status(wsi, (unsigned)fs->o.reject_status, NULL);
            return 1;
        }
        return 0;
    }
    case LWS_CALLBACK_ESTABLISHED:
        memset(p, 0, sizeof *p);
        p->go = !fs->o.wait_for_command;
        pthread_mutex_lock(&fs->lock);
        fs->seen.established++;
        pthread_mutex_unlock(&fs->lock);
        if (p->go)
            lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_RECEIVE: {
        uint8_t *nb = realloc(p->rx, p->rx_len + len + 1);
        if (!nb)
            return -1;
        p->rx = nb;
        memcpy(p->rx + p->rx_len, in, len);
        p->rx_len += len;
        if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
            return 0;
        pthread_mutex_lock(&fs->lock);
        if (fs->seen.n_msgs < MAX_MSGS) {
            fs->msgs[fs->seen.n_msgs] = p->rx;
            fs->msg_len[fs->seen.n_msgs] = p->rx_len;
            fs->seen.n_msgs++;
            p->rx = NULL;
        }
        pthread_mutex_unlock(&fs->lock);
        free(p->rx);
        p->rx = NULL;
        p->rx_len = 0;
        if (!p->go) {
            p->go = true;
            lws_callback_on_writable(wsi);
        }
        return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (!p->go)
            return 0;
        return send_next(fs, wsi, p);
    case LWS_CALLBACK_CLOSED:
        free(p->rx);
        p->rx = NULL;
        pthread_mutex_lock(&fs->lock);
        fs->seen.closed++;
        pthread_mutex_unlock(&fs->lock);
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {"fake", callback, sizeof(pss), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void *run(void *arg)
{
    fake_server *fs = arg;
    for (;;) {
        pthread_mutex_lock(&fs->lock);
        bool stop = fs->stop;
        pthread_mutex_unlock(&fs->lock);
        if (stop)
            break;
        lws_service(fs->ctx, 0);
    }
    return NULL;
}

fake_server *fake_server_start(const fake_server_opts *o)
{
    fake_server *fs = calloc(1, sizeof *fs);
    if (!fs)
        return NULL;
    fs->o = *o;
    pthread_mutex_init(&fs->lock, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = 0;
    info.iface = "127.0.0.1";
    info.protocols = protocols;
    info.gid = -1;
    info.uid = -1;
    info.user = fs;
    info.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
    if (o->tls_cert) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = o->tls_cert;
        info.ssl_private_key_filepath = o->tls_key;
    }
    fs->ctx = lws_create_context(&info);
    if (!fs->ctx) {
        pthread_mutex_destroy(&fs->lock);
        free(fs);
        return NULL;
    }
    fs->port = (uint16_t)lws_get_vhost_listen_port(lws_get_vhost_by_name(fs->ctx, "default"));
    if (pthread_create(&fs->thread, NULL, run, fs) != 0) {
        lws_context_destroy(fs->ctx);
        pthread_mutex_destroy(&fs->lock);
        free(fs);
        return NULL;
    }
    return fs;
}

void fake_server_stop(fake_server *fs)
{
    if (!fs)
        return;
    /* The service thread checks stop between services; the lock keeps the
     * cancel from racing the context's destruction (there is none until
     * the join, but TSan should see the ordering). */
    pthread_mutex_lock(&fs->lock);
    fs->stop = true;
    lws_cancel_service(fs->ctx);
    pthread_mutex_unlock(&fs->lock);
    pthread_join(fs->thread, NULL);
    lws_context_destroy(fs->ctx);
    for (size_t i = 0; i < fs->seen.n_msgs; i++)
        free(fs->msgs[i]);
    pthread_mutex_destroy(&fs->lock);
    free(fs);
}

uint16_t fake_server_port(const fake_server *fs)
{
    return fs->port;
}

void fake_server_seen(fake_server *fs, fake_seen *out)
{
    pthread_mutex_lock(&fs->lock);
    *out = fs->seen;
    pthread_mutex_unlock(&fs->lock);
}

uint8_t *fake_server_msg(fake_server *fs, size_t i, size_t *len)
{
    uint8_t *copy = NULL;
    pthread_mutex_lock(&fs->lock);
    if (i < fs->seen.n_msgs) {
        copy = malloc(fs->msg_len[i] + 1);
        if (copy) {
            memcpy(copy, fs->msgs[i], fs->msg_len[i]);
            *len = fs->msg_len[i];
        }
    }
    pthread_mutex_unlock(&fs->lock);
    return copy;
}
