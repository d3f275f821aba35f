/* WebSocket endpoint: the plain HTTP routes (/, assets, a host's asset directory, /healthz, /recording). */
#include "endpoint/endpoint.h"
#include "transport/ws/ws.h"
#include "assets/assets.h"
#include "core/core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "peerscope/wire.h"

#define HTTP_CHUNK 16384u
/* One file, and all file bodies being sent at once: the bodies sit in
 * memory until their client has taken them. */
#define DIR_FILE_MAX (32u * 1024u * 1024u)
#define DIR_INFLIGHT_MAX (64u * 1024u * 1024u)
/* The longest request path we read, plus "index.html". */
#define URI_MAX 256u
#define REL_MAX (URI_MAX + 16u)

struct psc__ws_file {
    psc__ws_file *prev, *next;
    size_t size;                  /* counted in ws->files_bytes */
    uint8_t data[];
};

static psc__ws *ws_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

/* ------------------------------------------------------------ file bodies */

static psc__ws_file *file_new(psc__ws *ws, size_t size)
{
    psc__ws_file *f = psc__malloc(&ws->alloc, sizeof *f + size);
    if (!f)
        return NULL;
    f->size = size;
    f->prev = NULL;
    f->next = ws->files;
    if (ws->files)
        ws->files->prev = f;
    ws->files = f;
    ws->files_bytes += size;
    return f;
}

static void file_free(psc__ws *ws, psc__ws_file *f)
{
    if (f->prev)
        f->prev->next = f->next;
    else
        ws->files = f->next;
    if (f->next)
        f->next->prev = f->prev;
    ws->files_bytes -= f->size;
    psc__free(&ws->alloc, f);
}

static void conn_file_release(psc__ws *ws, psc__ws_conn *c)
{
    if (!c->file)
        return;
    if (c->body == c->file->data)
        c->body = NULL;
    file_free(ws, c->file);
    c->file = NULL;
}

/* The download is over (sent, refused by the client or cut). */
static void conn_rec_release(psc__ws *ws, psc__ws_conn *c)
{
    if (!c->rec)
        return;
    psc__rec_writer_free(ws->rec_writer);
    ws->rec_writer = NULL;
    c->rec = false;
    c->rec_body = NULL;
}

void psc__ws_http_closed(psc__ws *ws, psc__ws_conn *c)
{
    if (ws && c) {
        conn_file_release(ws, c);
        conn_rec_release(ws, c);
    }
}

psc_err psc__ws_http_open_dir(psc__ws *ws, const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return PSC_ERR_IO;
    ws->assets_dir_fd = fd;
    ws->has_assets_dir = true;
    return PSC_OK;
}

void psc__ws_http_fini(psc__ws *ws)
{
    /* a connection that went without its CLOSED_HTTP */
    psc__rec_writer_free(ws->rec_writer);
    ws->rec_writer = NULL;
    while (ws->files)
        file_free(ws, ws->files);
    if (ws->has_assets_dir)
        close(ws->assets_dir_fd);
    ws->has_assets_dir = false;
}

/* ------------------------------------------------------------ pure helpers */

bool psc__ws_dir_path(const char *uri, char *rel, size_t cap)
{
    if (uri[0] != '/')
        return false;
    const char *p = uri + 1;
    const char *seg = p;
    for (const char *q = p;; q++) {
        unsigned char ch = (unsigned char)*q;
        if (ch == '/' || ch == 0) {
            /* An empty segment before a '/' is "//"; one starting with '.'
             * is ".", "..", or a hidden file (.git, .env): none is served. */
            if ((q == seg && ch == '/') || (q > seg && seg[0] == '.'))
                return false;
            if (!ch)
                break;
            seg = q + 1;
            continue;
        }
        /* '%': lws has decoded escapes already, so one left was escaped
         * twice; backslashes and control characters never name a file. */
        if (ch < 0x20 || ch == 0x7f || ch == '\\' || ch == '%')
            return false;
    }
    size_t n = strlen(p);
    const char *index = n == 0 || p[n - 1] == '/' ? "index.html" : "";
    size_t m = strlen(index);
    if (n + m + 1 > cap)
        return false;
    memcpy(rel, p, n);
    memcpy(rel + n, index, m + 1);
    return true;
}

const char *psc__ws_mime_of(const char *name)
{
    static const struct {
        const char *ext, *mime;
    } table[] = {
        {"html", "text/html; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"json", "application/json"},
        {"svg", "image/svg+xml"},
        {"png", "image/png"},
        {"ico", "image/x-icon"},
        {"proto", "text/plain; charset=utf-8"},
        {"wasm", "application/wasm"},
        {"txt", "text/plain; charset=utf-8"},
        {"woff2", "font/woff2"},
    };
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    const char *dot = strrchr(base, '.');
    if (dot && dot != base)
        for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
            if (!strcasecmp(dot + 1, table[i].ext))
                return table[i].mime;
    return "application/octet-stream";
}

bool psc__ws_etag_matches(const char *inm, const char *etag)
{
    size_t elen = strlen(etag);
    const char *p = inm;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            return false;
        if (*p == '*')
            return true;
        /* If-None-Match compares weakly: W/"x" matches "x". */
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        if (*p != '"')
            return false;
        const char *end = strchr(p + 1, '"');
        if (!end)
            return false;
        if ((size_t)(end + 1 - p) == elen && !memcmp(p, etag, elen))
            return true;
        p = end + 1;
    }
}

/* ------------------------------------------------------------ responses */

static int respond_full(psc__ws_conn *c, struct lws *wsi, unsigned status, const char *type, const uint8_t *body,
                        size_t len, const char *cache, const char *etag)
{
    uint8_t buf[LWS_PRE + 1024];
    uint8_t *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
    c->body = body;
    c->body_len = len;
    c->body_sent = 0;
    c->http_pending = true;
    /* With the vhost's security option lws adds CSP, nosniff, frame and
     * referrer headers to every status line it writes, 304 included. */
    if (lws_add_http_common_headers(wsi, status, type, (lws_filepos_t)len, &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:", (const unsigned char *)cache,
                                    (int)strlen(cache), &p, end) ||
        (etag && lws_add_http_header_by_name(wsi, (const unsigned char *)"etag:", (const unsigned char *)etag,
                                             (int)strlen(etag), &p, end)) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return 1;
    if (!len) {
        /* Nothing to follow (a 304, an empty file): the transaction ends
         * now. Left open until a WRITEABLE, a keep-alive client's next
         * request can arrive first, and lws 4.1 then runs this request's
         * callback again with its old headers: the client would get this
         * answer twice and the next request none. */
        c->http_pending = false;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    lws_callback_on_writable(wsi);
    return 0;
}

static int respond(psc__ws_conn *c, struct lws *wsi, unsigned status, const char *type, const uint8_t *body,
                   size_t len)
{
    return respond_full(c, wsi, status, type, body, len, "no-store", NULL);
}

static bool not_modified(struct lws *wsi, const char *etag)
{
    char inm[256];
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH);
    return n > 0 && n < (int)sizeof inm && lws_hdr_copy(wsi, inm, sizeof inm, WSI_TOKEN_HTTP_IF_NONE_MATCH) >= 0 &&
           psc__ws_etag_matches(inm, etag);
}

/* The embedded visualizer: revalidated by ETag rather than refetched. */
static int respond_asset(psc__ws_conn *c, struct lws *wsi, const psc__asset *a)
{
    if (not_modified(wsi, a->etag))
        return respond_full(c, wsi, HTTP_STATUS_NOT_MODIFIED, a->mime, NULL, 0, "no-cache", a->etag);
    return respond_full(c, wsi, HTTP_STATUS_OK, a->mime, a->data, a->len, "no-cache", a->etag);
}

static int respond_text(psc__ws_conn *c, struct lws *wsi, unsigned status, const char *text)
{
    return respond(c, wsi, status, "text/plain; charset=utf-8", (const uint8_t *)text, strlen(text));
}

/* ------------------------------------------------------------ assets_dir */

/*
 * Open rel under dirfd one segment at a time, none of them followed if it
 * is a symbolic link: openat(O_NOFOLLOW) alone guards only the last
 * segment, and a linked directory would lead out of the tree. O_NONBLOCK
 * so that a FIFO cannot stall the service thread in open(). -1 and *err.
 */
static int open_beneath(int dirfd, char *rel, int *err)
{
    int at = dirfd;
    char *seg = rel;
    for (char *slash; (slash = strchr(seg, '/'));) {
        *slash = 0;
        int next = openat(at, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        *err = errno;
        /* Linux says ENOTDIR for a linked directory: call it a link (403). */
        struct stat st;
        if (next < 0 && *err == ENOTDIR && !fstatat(at, seg, &st, AT_SYMLINK_NOFOLLOW) && S_ISLNK(st.st_mode))
            *err = ELOOP;
        *slash = '/';
        if (at != dirfd)
            close(at);
        if (next < 0)
            return -1;
        at = next;
        seg = slash + 1;
    }
    int fd = openat(at, seg, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    *err = errno;
    if (at != dirfd)
        close(at);
    return fd;
}

static int refuse_open(psc__ws_conn *c, struct lws *wsi, int err)
{
    switch (err) {
    case ELOOP: /* a symbolic link */
    case EACCES:
    case EPERM:
        return respond_text(c, wsi, HTTP_STATUS_FORBIDDEN, "forbidden\n");
    case EMFILE:
    case ENFILE:
    case ENOMEM:
        return respond_text(c, wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "server busy, try again\n");
    default: /* ENOENT, ENOTDIR (a file used as a directory, or a linked one), ... */
        return respond_text(c, wsi, HTTP_STATUS_NOT_FOUND, "not found\n");
    }
}

/* Read the whole file: false on a read error; *got short if it shrank meanwhile. */
static bool read_all(int fd, uint8_t *buf, size_t size, size_t *got)
{
    size_t n = 0;
    while (n < size) {
        ssize_t r = pread(fd, buf + n, size - n, (off_t)n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return false;
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *got = n;
    return true;
}

static int serve_dir(psc__ws *ws, psc__ws_conn *c, struct lws *wsi, const char *uri)
{
    char rel[REL_MAX];
    if (!psc__ws_dir_path(uri, rel, sizeof rel))
        return respond_text(c, wsi, HTTP_STATUS_FORBIDDEN, "forbidden path\n");
    int err = 0;
    int fd = open_beneath(ws->assets_dir_fd, rel, &err);
    if (fd < 0)
        return refuse_open(c, wsi, err);
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return respond_text(c, wsi, HTTP_STATUS_NOT_FOUND, "not found\n");
    }
    if (st.st_size < 0 || (uintmax_t)st.st_size > DIR_FILE_MAX) {
        close(fd);
        return respond_text(c, wsi, HTTP_STATUS_REQ_ENTITY_TOO_LARGE, "file too large to serve\n");
    }
    size_t size = (size_t)st.st_size;
    char etag[80];
    snprintf(etag, sizeof etag, "\"%jx-%jx-%lx\"", (uintmax_t)size, (uintmax_t)st.st_mtim.tv_sec,
             (unsigned long)st.st_mtim.tv_nsec);
    const char *mime = psc__ws_mime_of(rel);
    if (not_modified(wsi, etag)) {
        close(fd);
        return respond_full(c, wsi, HTTP_STATUS_NOT_MODIFIED, mime, NULL, 0, "no-cache", etag);
    }
    if (size > DIR_INFLIGHT_MAX - ws->files_bytes) {
        close(fd);
        return respond_text(c, wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "server busy, try again\n");
    }
    psc__ws_file *f = file_new(ws, size);
    if (!f) {
        close(fd);
        return respond_text(c, wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "server out of memory\n");
    }
    size_t got = 0;
    bool ok = read_all(fd, f->data, size, &got);
    close(fd);
    if (!ok) {
        file_free(ws, f);
        return respond_text(c, wsi, HTTP_STATUS_INTERNAL_SERVER_ERROR, "cannot read the file\n");
    }
    c->file = f;
    /* A file cut short while we read it must not be cached under its old tag. */
    if (respond_full(c, wsi, HTTP_STATUS_OK, mime, f->data, got, "no-cache", got == size ? etag : NULL)) {
        conn_file_release(ws, c);
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------ routes */

int psc__ws_respond_copy(psc__ws *ws, psc__ws_conn *c, struct lws *wsi, const char *type, const uint8_t *data,
                         size_t len)
{
    /* a body of its own: the shared original may be replaced while a slow
     * client still takes this one */
    if (len > DIR_INFLIGHT_MAX - ws->files_bytes)
        return respond_text(c, wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "server busy, try again\n");
    psc__ws_file *f = file_new(ws, len);
    if (!f)
        return respond_text(c, wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "server out of memory\n");
    if (len)
        memcpy(f->data, data, len);
    c->file = f;
    if (respond(c, wsi, HTTP_STATUS_OK, type, f->data, len)) {
        conn_file_release(ws, c);
        return 1;
    }
    return 0;
}

int psc__ws_respond_text(psc__ws_conn *c, struct lws *wsi, unsigned status, const char *text)
{
    return respond_text(c, wsi, status, text);
}

static int healthz(psc__ws *ws, psc__ws_conn *c, struct lws *wsi)
{
    /* Probes cannot always carry a token: they get the status, not the details. */
    /* token_required lets the visualizer ask for a token at once instead
     * of after refused upgrades. */
    bool authorized = psc__ws_authorize(ws, wsi, true, NULL) == PSC__WS_AUTH_OK && psc__ws_host_ok(ws, wsi);
    if (!authorized)
        snprintf(c->small_body, sizeof c->small_body,
                 "{\"status\":\"ok\",\"token_required\":%s,\"authorized\":false}\n",
                 ws->token ? "true" : "false");
    else
        snprintf(c->small_body, sizeof c->small_body,
                 "{\"status\":\"ok\",\"token_required\":%s,\"authorized\":true,\"endpoint\":\"ws\","
                 "\"path\":\"%s\",\"sessions\":%zu,\"max_sessions\":%zu,\"visualizer\":true}\n",
                 ws->token ? "true" : "false", ws->path, psc_endpoint_session_count(ws->ep), ws->ep->max_sessions);
    return respond(c, wsi, HTTP_STATUS_OK, "application/json", (const uint8_t *)c->small_body,
                   strlen(c->small_body));
}

/* Refused like a WebSocket upgrade, for the same reasons. */
int psc__ws_refuse(psc__ws *ws, psc__ws_conn *c, struct lws *wsi, const char *route, unsigned status,
                   const char *why)
{
    char peer[64];
    psc__log(psc_endpoint_introspector(ws->ep), PSC_LOG_INFO, "ws: refused GET %s from %s: %s", route,
             lws_get_peer_simple(wsi, peer, sizeof peer), why);
    snprintf(c->small_body, sizeof c->small_body, "%s\n", why);
    return respond(c, wsi, status, "text/plain; charset=utf-8", (const uint8_t *)c->small_body,
                   strlen(c->small_body));
}

/*
 * GET /recording: the recorder's history as a 2020 recording file. Its
 * length is not known before every state is rebuilt, so the response has
 * none and the connection closes after it.
 */
static int recording(psc__ws *ws, psc__ws_conn *c, struct lws *wsi)
{
    if (!psc__ws_host_ok(ws, wsi))
        return psc__ws_refuse(ws, c, wsi, "/recording", HTTP_STATUS_FORBIDDEN,
                              "Host not allowed (DNS rebinding protection)");
    if (!psc__ws_origin_ok(ws, wsi))
        return psc__ws_refuse(ws, c, wsi, "/recording", HTTP_STATUS_FORBIDDEN, "Origin not allowed");
    uint64_t retry_ms = 0;
    unsigned status = 0;
    char why_buf[96];
    const char *why = psc__ws_auth_refusal(psc__ws_authorize(ws, wsi, true, &retry_ms), retry_ms, why_buf, sizeof why_buf,
                                           &status);
    if (why)
        return psc__ws_refuse(ws, c, wsi, "/recording", status, why);
    /* One at a time: each keeps alive what it has yet to send. */
    if (ws->rec_writer)
        return respond_text(c, wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "a recording is being sent already, try again\n");
    psc__rec_writer *w = NULL;
    if (psc__rec_writer_new(ws->recorder, &w) != PSC_OK)
        return respond_text(c, wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "server out of memory\n");

    char disposition[96];
    time_t now = (time_t)(psc__recorder_now_ms(ws->recorder) / 1000u);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(disposition, sizeof disposition, "attachment; filename=\"peerscope-%Y%m%dT%H%M%SZ.rec\"", &tm);
    uint8_t buf[LWS_PRE + 1024];
    uint8_t *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
    if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "application/octet-stream", LWS_ILLEGAL_HTTP_CONTENT_LEN, &p,
                                    end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"content-disposition:",
                                    (const unsigned char *)disposition, (int)strlen(disposition), &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:", (const unsigned char *)"no-store",
                                    8, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end)) {
        psc__rec_writer_free(w);
        return 1;
    }
    ws->rec_writer = w;
    c->rec = true;
    psc__rec_file_header(c->rec_head);
    c->rec_head_len = 4;
    c->rec_body = NULL;
    c->rec_body_len = 0;
    c->rec_off = 0;
    c->http_pending = true;
    lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, PSC__WS_RECORDING_STALL_S);
    lws_callback_on_writable(wsi);
    return 0;
}

/*
 * The next piece of the download: up to HTTP_CHUNK bytes, asking the
 * writer for records as they are used up. Rebuilding a state costs about
 * a snapshot and takes its turn in one callback; other connections are
 * served between callbacks.
 */
static int recording_writeable(psc__ws *ws, psc__ws_conn *c, struct lws *wsi)
{
    uint8_t buf[LWS_PRE + HTTP_CHUNK];
    uint8_t *out = buf + LWS_PRE;
    size_t n = 0;
    bool done = false;
    for (;;) {
        size_t total = c->rec_head_len + c->rec_body_len;
        if (c->rec_off == total) {
            /* asked before the buffer goes out, so that the last piece is known as such */
            const uint8_t *payload = NULL;
            size_t len = 0;
            psc_err e = psc__rec_writer_next(ws->rec_writer, &payload, &len, NULL);
            if (e == PSC_ERR_CLOSED) {
                done = true;
                break;
            }
            if (e != PSC_OK || len > PSC_RECORDING_MAX_RECORD) {
                /* Cut short: the client sees the file end inside a record or early. */
                psc__log(psc_endpoint_introspector(ws->ep), PSC_LOG_WARN, "ws: GET /recording cut short: %s",
                         psc_strerror(e != PSC_OK ? e : PSC_ERR_TOO_BIG));
                conn_rec_release(ws, c);
                c->http_pending = false;
                return -1;
            }
            psc__rec_record_header(c->rec_head, payload, len);
            c->rec_head_len = 8;
            c->rec_body = payload;
            c->rec_body_len = len;
            c->rec_off = 0;
            total = 8 + len;
        }
        if (n == HTTP_CHUNK)
            break;
        size_t take = total - c->rec_off;
        if (take > HTTP_CHUNK - n)
            take = HTTP_CHUNK - n;
        size_t head = c->rec_off < c->rec_head_len ? c->rec_head_len - c->rec_off : 0;
        if (head > take)
            head = take;
        if (head)
            memcpy(out + n, c->rec_head + c->rec_off, head);
        if (take > head)
            memcpy(out + n + head, c->rec_body + (c->rec_off + head - c->rec_head_len), take - head);
        n += take;
        c->rec_off += take;
    }
    if (lws_write(wsi, out, n, done ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n) {
        conn_rec_release(ws, c);
        c->http_pending = false;
        return 1;
    }
    if (!done) {
        /* the client took the last piece: it gets another while it keeps reading */
        lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, PSC__WS_RECORDING_STALL_S);
        lws_callback_on_writable(wsi);
        return 0;
    }
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
    conn_rec_release(ws, c);
    c->http_pending = false;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

int psc__ws_http_request(psc__ws *ws, psc__ws_conn *c, struct lws *wsi)
{
    /* A keep-alive connection's previous body is done with by now. */
    conn_file_release(ws, c);
    conn_rec_release(ws, c);
    memset(c, 0, sizeof *c);
    char uri[URI_MAX];
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI);
    if (n <= 0) {
        /* No body: lws may end a POST's transaction before our WRITEABLE
         * comes, and a HEAD must not have one. */
        return respond(c, wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", NULL, 0);
    }
    if (n >= (int)sizeof uri || lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0)
        return respond_text(c, wsi, HTTP_STATUS_REQ_URI_TOO_LONG, "URI too long\n");
    if (strlen(uri) != (size_t)n)
        return respond_text(c, wsi, HTTP_STATUS_BAD_REQUEST, "NUL in the URI\n");
    if (!strcmp(uri, "/healthz"))
        return healthz(ws, c, wsi);
    if (ws->recorder && !strcmp(uri, "/recording"))
        return recording(ws, c, wsi);
    if (!strcmp(uri, ws->path))
        return respond_text(c, wsi, 426 /* Upgrade Required */,
                            "this is a WebSocket endpoint: connect with a WebSocket client\n");
    if (ws->metrics && !strcmp(uri, "/metrics"))
        return psc__ws_metrics_request(ws, c, wsi);
    /* Host assets in memory first, then its directory; the embedded
     * visualizer only when the host brought neither. */
    for (size_t i = 0; i < ws->n_assets; i++)
        if (!strcmp(uri, ws->assets[i].path))
            return respond(c, wsi, HTTP_STATUS_OK, ws->assets[i].content_type, ws->assets[i].data,
                           ws->assets[i].len);
    if (ws->has_assets_dir)
        return serve_dir(ws, c, wsi, uri);
    if (!ws->n_assets) {
        const psc__asset *a = psc__asset_find(uri);
        if (a)
            return respond_asset(c, wsi, a);
    }
    return respond_text(c, wsi, HTTP_STATUS_NOT_FOUND, "not found\n");
}

int psc__ws_http_writeable(psc__ws_conn *c, struct lws *wsi)
{
    if (!c || !c->http_pending)
        return 0;
    psc__ws *ws = ws_of(wsi);
    if (c->rec)
        return recording_writeable(ws, c, wsi);
    uint8_t buf[LWS_PRE + HTTP_CHUNK];
    size_t chunk = c->body_len - c->body_sent;
    if (chunk > HTTP_CHUNK)
        chunk = HTTP_CHUNK;
    bool last = c->body_sent + chunk == c->body_len;
    if (chunk) {
        memcpy(buf + LWS_PRE, c->body + c->body_sent, chunk);
        if (lws_write(wsi, buf + LWS_PRE, chunk, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)chunk) {
            /* The client is gone: its body goes now, not with the endpoint. */
            conn_file_release(ws, c);
            c->http_pending = false;
            return 1;
        }
    }
    c->body_sent += chunk;
    if (!last) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    c->http_pending = false;
    conn_file_release(ws, c);
    c->body = NULL;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}
