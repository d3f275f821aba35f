/*
 * psc_ws_config.assets_dir: a host's own directory served at / over real
 * sockets (routes, MIME types, ETag/304, keep-alive), every way out of the
 * directory refused (traversal, encodings, symbolic links), FIFOs and
 * directories, the size caps, clients that vanish mid-body, and allocation
 * failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transport/ws/ws.h"
#include "peerscope/peerscope.h"
#include "../support/test_support.h"

#define IO_TIMEOUT_MS 10000
#define FILE_MAX (32u * 1024u * 1024u)
#define SECRET "TOP-SECRET-OUTSIDE-THE-TREE"
#define INDEX_HTML "<!doctype html><title>host page</title>"
#define MID_SIZE (8u * 1024u * 1024u)

static char g_base[256]; /* temp dir; the served tree is g_base/root */
static char g_root[300];

/* ------------------------------------------------------------ tree */

static void write_file(const char *rel, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_base, rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

/* A sparse file of size bytes whose last 8 bytes are "TAILMARK". */
static void sparse_file(const char *rel, size_t size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_base, rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)size), 0);
    assert_int_equal(pwrite(fd, "TAILMARK", 8, (off_t)size - 8), 8);
    close(fd);
}

static void make_dir(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_base, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

static void make_link(const char *target, const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_base, rel);
    assert_int_equal(symlink(target, path), 0);
}

static int setup_tree(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(g_base, sizeof g_base, "%s/psc-assets-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(g_base))
        return -1;
    snprintf(g_root, sizeof g_root, "%s/root", g_base);
    write_file("secret.txt", SECRET, strlen(SECRET));
    make_dir("root");
    write_file("root/index.html", INDEX_HTML, strlen(INDEX_HTML));
    write_file("root/app.js", "console.log('hi');\n", 19);
    write_file("root/style.CSS", "body{}", 6);
    write_file("root/mod.wasm", "\0asm\1\0\0\0", 8);
    write_file("root/noext", "raw", 3);
    write_file("root/empty.txt", "", 0);
    write_file("root/.hidden", "hidden", 6);
    make_dir("root/js");
    write_file("root/js/nested.mjs", "export const x = 1;\n", 20);
    make_dir("root/sub");
    write_file("root/sub/index.html", "<p>sub</p>", 10);
    make_dir("root/noindex");
    make_dir("root/.git");
    write_file("root/.git/config", "[core]", 6);
    make_link("../secret.txt", "root/link-out");
    make_link("index.html", "root/link-in");
    make_link("..", "root/linkdir");
    char fifo[512];
    snprintf(fifo, sizeof fifo, "%s/root/fifo", g_base);
    if (mkfifo(fifo, 0644))
        return -1;
    sparse_file("root/big.bin", FILE_MAX + 1);
    sparse_file("root/max.bin", FILE_MAX);
    sparse_file("root/mid.bin", MID_SIZE);
    return 0;
}

/* rm -r without following links (the tree holds a link to its parent). */
static int rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st))
        return -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int rc = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char sub[1024];
        snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
        rc |= rm_tree(sub);
    }
    closedir(d);
    return rc | rmdir(path);
}

static int teardown_tree(void **state)
{
    (void)state;
    return rm_tree(g_base);
}

/* ------------------------------------------------------------ endpoint */

typedef struct env {
    psc_test_alloc alloc;
    psc_introspector *intro;
    psc_endpoint *ep;
    uint16_t port;
} env;

static void start_with(env *e, const psc_ws_config *cfg)
{
    memset(e, 0, sizeof *e);
    psc_test_alloc_init(&e->alloc);
    psc_config c = PSC_CONFIG_INIT;
    c.allocator = &e->alloc.iface;
    assert_int_equal(psc_introspector_new(&c, &e->intro), PSC_OK);
    assert_int_equal(psc_ws_endpoint_new(e->intro, cfg, &e->ep), PSC_OK);
    assert_int_equal(psc_endpoint_start(e->ep), PSC_OK);
    assert_int_equal(psc_ws_port(e->ep, &e->port), PSC_OK);
}

static void start(env *e)
{
    psc_ws_config cfg = PSC_WS_CONFIG_INIT;
    cfg.assets_dir = g_root;
    start_with(e, &cfg);
}

/* Everything, file bodies of vanished clients included, is gone afterwards. */
static void stop(env *e)
{
    psc_endpoint_free(e->ep);
    psc_introspector_free(e->intro);
    assert_int_equal(e->alloc.live, 0);
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* ------------------------------------------------------------ a raw HTTP client */

typedef struct resp {
    int status;
    char head[4096];
    uint8_t *body;      /* malloc'd, NUL-terminated */
    size_t body_len;
} resp;

static int dial(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void send_str(int fd, const char *s)
{
    size_t len = strlen(s);
    while (len) {
        ssize_t n = send(fd, s, len, MSG_NOSIGNAL);
        assert_true(n > 0);
        s += n;
        len -= (size_t)n;
    }
}

/* recv with a bound on the wait (only to fail instead of hanging). */
static ssize_t recv_some(int fd, void *buf, size_t cap)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, IO_TIMEOUT_MS) <= 0)
        return -1;
    return recv(fd, buf, cap, 0);
}

/* Read the response head byte by byte (so no body byte is consumed).
 * status 0: the connection closed before any answer (lws refused the
 * request line itself). */
static void read_head(int fd, resp *r)
{
    size_t n = 0;
    memset(r, 0, sizeof *r);
    while (n < sizeof r->head - 1) {
        ssize_t k = recv_some(fd, r->head + n, 1);
        if (k == 0 && n == 0)
            return;
        assert_int_equal(k, 1);
        n++;
        if (n >= 4 && !memcmp(r->head + n - 4, "\r\n\r\n", 4))
            break;
    }
    r->head[n] = 0;
    assert_int_equal(sscanf(r->head, "HTTP/1.%*d %d", &r->status), 1);
}

/* A header's value (trimmed) into out; false if absent. */
static bool header(const resp *r, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    for (const char *p = r->head; (p = strstr(p, "\r\n")); p += 2) {
        if (strncasecmp(p + 2, name, n) || p[2 + n] != ':')
            continue;
        const char *v = p + 3 + n;
        while (*v == ' ')
            v++;
        const char *end = strstr(v, "\r\n");
        size_t len = (size_t)(end - v);
        if (len >= cap)
            len = cap - 1;
        memcpy(out, v, len);
        out[len] = 0;
        return true;
    }
    return false;
}

static long content_length(const resp *r)
{
    char v[32];
    return header(r, "content-length", v, sizeof v) ? strtol(v, NULL, 10) : -1;
}

static void read_body(int fd, resp *r)
{
    long len = r->status == 304 || r->status == 0 ? 0 : content_length(r);
    assert_true(len >= 0);
    r->body = malloc((size_t)len + 1);
    assert_non_null(r->body);
    size_t got = 0;
    while (got < (size_t)len) {
        ssize_t n = recv_some(fd, r->body + got, (size_t)len - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    r->body[got] = 0;
    r->body_len = got;
}

/* One request on its own connection: "GET <target>" plus extra header lines. */
static void get_full(uint16_t port, const char *method, const char *target, const char *extra, resp *r)
{
    int fd = dial(port);
    char req[1024];
    snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n%sConnection: close\r\n\r\n", method, target,
             (unsigned)port, extra ? extra : "");
    send_str(fd, req);
    read_head(fd, r);
    read_body(fd, r);
    close(fd);
}

static void get(uint16_t port, const char *target, const char *extra, resp *r)
{
    get_full(port, "GET", target, extra, r);
}

static void resp_free(resp *r)
{
    free(r->body);
    r->body = NULL;
}

static void expect_file(uint16_t port, const char *target, const char *body, const char *mime)
{
    resp r;
    get(port, target, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, strlen(body));
    assert_memory_equal(r.body, body, r.body_len);
    char v[128];
    assert_true(header(&r, "content-type", v, sizeof v));
    assert_string_equal(v, mime);
    assert_true(header(&r, "cache-control", v, sizeof v));
    assert_string_equal(v, "no-cache");
    assert_true(header(&r, "etag", v, sizeof v));
    assert_true(v[0] == '"' && v[strlen(v) - 1] == '"');
    resp_free(&r);
}

static int status_of(uint16_t port, const char *target)
{
    resp r;
    get(port, target, NULL, &r);
    int s = r.status;
    /* Whatever the refusal, nothing from outside the tree comes back. */
    assert_null(strstr((const char *)r.body, SECRET));
    resp_free(&r);
    return s;
}

/* ------------------------------------------------------------ pure helpers */

static void path_mapping(void **state)
{
    (void)state;
    char rel[64];
    static const struct {
        const char *uri, *rel;
    } ok[] = {
        {"/", "index.html"},
        {"/index.html", "index.html"},
        {"/js/app.js", "js/app.js"},
        {"/sub/", "sub/index.html"},
        {"/a.b/c..d", "a.b/c..d"},
        {"/caf\xc3\xa9.txt", "caf\xc3\xa9.txt"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_true(psc__ws_dir_path(ok[i].uri, rel, sizeof rel));
        assert_string_equal(rel, ok[i].rel);
    }
    static const char *const refused[] = {
        "", "index.html", "//", "//etc/passwd", "/a//b", "/..", "/../x", "/a/../../x", "/a/..", "/.", "/./x",
        "/a/./b", "/.git/config", "/.hidden", "/a/.b/c", "/%2e%2e/x", "/a%2fb", "/a\\..\\b", "/a\x01", "/a\x7f",
        "/tab\there",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (psc__ws_dir_path(refused[i], rel, sizeof rel))
            fail_msg("accepted %s", refused[i]);
    /* Too long for the buffer once "index.html" is added. */
    char longdir[64];
    memset(longdir, 'a', sizeof longdir);
    longdir[0] = '/';
    longdir[sizeof longdir - 2] = '/';
    longdir[sizeof longdir - 1] = 0;
    assert_false(psc__ws_dir_path(longdir, rel, sizeof rel));
}

static void mime_types(void **state)
{
    (void)state;
    assert_string_equal(psc__ws_mime_of("index.html"), "text/html; charset=utf-8");
    assert_string_equal(psc__ws_mime_of("js/a.mjs"), "text/javascript; charset=utf-8");
    assert_string_equal(psc__ws_mime_of("a.JS"), "text/javascript; charset=utf-8");
    assert_string_equal(psc__ws_mime_of("x.wasm"), "application/wasm");
    assert_string_equal(psc__ws_mime_of("peerscope.proto"), "text/plain; charset=utf-8");
    assert_string_equal(psc__ws_mime_of("i.svg"), "image/svg+xml");
    assert_string_equal(psc__ws_mime_of("noext"), "application/octet-stream");
    assert_string_equal(psc__ws_mime_of("dir.js/noext"), "application/octet-stream");
    assert_string_equal(psc__ws_mime_of("a.tar.gz"), "application/octet-stream");
}

static void etag_matching(void **state)
{
    (void)state;
    assert_true(psc__ws_etag_matches("\"abc\"", "\"abc\""));
    assert_true(psc__ws_etag_matches("W/\"abc\"", "\"abc\""));
    assert_true(psc__ws_etag_matches("\"x\", \"abc\"", "\"abc\""));
    assert_true(psc__ws_etag_matches("*", "\"abc\""));
    assert_true(psc__ws_etag_matches("\"a,b\",\"abc\"", "\"abc\""));
    assert_false(psc__ws_etag_matches("\"abcd\"", "\"abc\""));
    assert_false(psc__ws_etag_matches("\"ab\"", "\"abc\""));
    assert_false(psc__ws_etag_matches("abc", "\"abc\""));
    assert_false(psc__ws_etag_matches("\"abc", "\"abc\""));
    assert_false(psc__ws_etag_matches("", "\"abc\""));
}

/* ------------------------------------------------------------ configuration */

static void config_errors(void **state)
{
    (void)state;
    int fds = count_fds();
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(NULL, &intro), PSC_OK);
    psc_endpoint *ep = NULL;
    psc_ws_config cfg = PSC_WS_CONFIG_INIT;
    char path[512];
    snprintf(path, sizeof path, "%s/does-not-exist", g_base);
    cfg.assets_dir = path;
    assert_int_equal(psc_ws_endpoint_new(intro, &cfg, &ep), PSC_ERR_IO);
    snprintf(path, sizeof path, "%s/secret.txt", g_base); /* a file, not a directory */
    assert_int_equal(psc_ws_endpoint_new(intro, &cfg, &ep), PSC_ERR_IO);
    cfg.assets_dir = "";
    assert_int_equal(psc_ws_endpoint_new(intro, &cfg, &ep), PSC_ERR_INVALID);
    assert_null(ep);
    /* Opened and closed without ever starting: no descriptor left behind. */
    cfg.assets_dir = g_root;
    assert_int_equal(psc_ws_endpoint_new(intro, &cfg, &ep), PSC_OK);
    psc_endpoint_free(ep);
    psc_introspector_free(intro);
    assert_int_equal(count_fds(), fds);
}

/* A caller built before the field existed: its struct ends at n_assets. */
static void older_struct_ignores_field(void **state)
{
    (void)state;
    struct {
        psc_ws_config cfg;
    } wrap;
    memset(&wrap, 0, sizeof wrap);
    wrap.cfg.struct_size = offsetof(psc_ws_config, assets_dir);
    wrap.cfg.assets_dir = "/nonexistent-but-never-read"; /* past its struct_size */
    env e;
    start_with(&e, &wrap.cfg);
    resp r;
    get(e.port, "/", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_null(strstr((const char *)r.body, INDEX_HTML)); /* the embedded page, not ours */
    resp_free(&r);
    stop(&e);
}

/* ------------------------------------------------------------ serving */

static void serves_the_directory(void **state)
{
    (void)state;
    int fds = count_fds();
    env e;
    start(&e);
    expect_file(e.port, "/", INDEX_HTML, "text/html; charset=utf-8");
    expect_file(e.port, "/index.html", INDEX_HTML, "text/html; charset=utf-8");
    expect_file(e.port, "/index.html?token=abc&x=1", INDEX_HTML, "text/html; charset=utf-8");
    expect_file(e.port, "/app.js", "console.log('hi');\n", "text/javascript; charset=utf-8");
    expect_file(e.port, "/style.CSS", "body{}", "text/css; charset=utf-8");
    expect_file(e.port, "/js/nested.mjs", "export const x = 1;\n", "text/javascript; charset=utf-8");
    expect_file(e.port, "/sub/", "<p>sub</p>", "text/html; charset=utf-8");
    expect_file(e.port, "/noext", "raw", "application/octet-stream");
    expect_file(e.port, "/empty.txt", "", "text/plain; charset=utf-8");
    resp r;
    get(e.port, "/mod.wasm", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 8);
    assert_memory_equal(r.body, "\0asm\1\0\0\0", 8);
    resp_free(&r);

    /* The other routes still answer; the embedded visualizer does not. */
    get(e.port, "/healthz", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr((const char *)r.body, "\"visualizer\":true"));
    resp_free(&r);
    get(e.port, "/introspect", NULL, &r);
    assert_int_equal(r.status, 426);
    resp_free(&r);
    assert_int_equal(status_of(e.port, "/peerscope.proto"), 404);

    /* Missing, a directory, a FIFO (which must not stall the server), no index. */
    assert_int_equal(status_of(e.port, "/missing.html"), 404);
    assert_int_equal(status_of(e.port, "/js/missing.js"), 404);
    assert_int_equal(status_of(e.port, "/index.html/x"), 404);
    assert_int_equal(status_of(e.port, "/sub"), 404);
    assert_int_equal(status_of(e.port, "/noindex/"), 404);
    assert_int_equal(status_of(e.port, "/fifo"), 404);
    expect_file(e.port, "/app.js", "console.log('hi');\n", "text/javascript; charset=utf-8");

    /* GET only. */
    get_full(e.port, "POST", "/index.html", "Content-Length: 0\r\n", &r);
    assert_int_equal(r.status, 405);
    resp_free(&r);
    stop(&e);
    assert_int_equal(count_fds(), fds);
}

static void revalidates_by_etag(void **state)
{
    (void)state;
    env e;
    start(&e);
    resp r;
    get(e.port, "/js/nested.mjs", NULL, &r);
    char etag[128], inm[200];
    assert_true(header(&r, "etag", etag, sizeof etag));
    resp_free(&r);

    snprintf(inm, sizeof inm, "If-None-Match: %s\r\n", etag);
    get(e.port, "/js/nested.mjs", inm, &r);
    assert_int_equal(r.status, 304);
    char v[128];
    assert_true(header(&r, "etag", v, sizeof v));
    assert_string_equal(v, etag);
    resp_free(&r);
    snprintf(inm, sizeof inm, "If-None-Match: \"other\", W/%s\r\n", etag);
    get(e.port, "/js/nested.mjs", inm, &r);
    assert_int_equal(r.status, 304);
    resp_free(&r);
    get(e.port, "/js/nested.mjs", "If-None-Match: \"other\"\r\n", &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    /* Another file's tag does not match. */
    snprintf(inm, sizeof inm, "If-None-Match: %s\r\n", etag);
    get(e.port, "/app.js", inm, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);

    /* A 304 completes its transaction: the keep-alive connection serves on. */
    int fd = dial(e.port);
    char req[512];
    snprintf(req, sizeof req, "GET /js/nested.mjs HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n%s\r\n", (unsigned)e.port, inm);
    send_str(fd, req);
    read_head(fd, &r);
    assert_int_equal(r.status, 304);
    read_body(fd, &r);
    resp_free(&r);
    snprintf(req, sizeof req, "GET /empty.txt HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", (unsigned)e.port);
    send_str(fd, req);
    read_head(fd, &r);
    assert_int_equal(r.status, 200);
    read_body(fd, &r);
    assert_int_equal(r.body_len, 0);
    resp_free(&r);
    snprintf(req, sizeof req, "GET /app.js HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", (unsigned)e.port);
    send_str(fd, req);
    read_head(fd, &r);
    assert_int_equal(r.status, 200);
    read_body(fd, &r);
    assert_string_equal((const char *)r.body, "console.log('hi');\n");
    resp_free(&r);
    close(fd);

    /* An edit shows at the next load: the old tag no longer matches. */
    write_file("root/js/nested.mjs", "export const x = 22;\n", 21);
    get(e.port, "/js/nested.mjs", inm, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal((const char *)r.body, "export const x = 22;\n");
    assert_true(header(&r, "etag", v, sizeof v));
    assert_string_not_equal(v, etag);
    resp_free(&r);
    write_file("root/js/nested.mjs", "export const x = 1;\n", 20);
    stop(&e);
}

static void nothing_outside_the_tree(void **state)
{
    (void)state;
    env e;
    start(&e);
    static const char *const attempts[] = {
        "/../secret.txt", "/..%2fsecret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/sub/../../secret.txt",
        "/sub/%2e%2e/%2e%2e/secret.txt", "//etc/passwd", "/%2fetc/passwd", "/..\\secret.txt", "/sub\\..\\..\\secret.txt",
        "/%252e%252e/secret.txt", "/index.html%00.js", "/.hidden", "/.git/config",
        "/link-out", "/link-in", "/linkdir/secret.txt", "/linkdir/root/index.html", "/%5c..%5csecret.txt",
    };
    for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
        int s = status_of(e.port, attempts[i]);
        if (s != 403 && s != 404 && s != 400 && s != 0)
            fail_msg("%s answered %d", attempts[i], s);
    }
    /* lws drops a %00 escape: what is left is the index, inside the tree. */
    resp r;
    get(e.port, "/%00", NULL, &r);
    assert_true(r.status != 200 || !strcmp((const char *)r.body, INDEX_HTML));
    resp_free(&r);
    /* The refusals that are ours to decide say so with 403. */
    assert_int_equal(status_of(e.port, "/.hidden"), 403);
    assert_int_equal(status_of(e.port, "/.git/config"), 403);
    assert_int_equal(status_of(e.port, "/link-out"), 403);
    assert_int_equal(status_of(e.port, "/link-in"), 403); /* no link is followed, even one that stays inside */
    assert_int_equal(status_of(e.port, "/linkdir/secret.txt"), 403); /* a linked directory */
    assert_int_equal(status_of(e.port, "/linkdir/root/index.html"), 403);
    /* A control character, raw on the request line. */
    int s = status_of(e.port, "/a\x01.html");
    assert_true(s == 400 || s == 403);
    stop(&e);
}

static void size_caps(void **state)
{
    (void)state;
    env e;
    start(&e);
    assert_int_equal(status_of(e.port, "/big.bin"), 413);

    /* Exactly the cap is served, whole. */
    int fd = dial(e.port);
    char req[256];
    snprintf(req, sizeof req, "GET /max.bin HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n\r\n",
             (unsigned)e.port);
    send_str(fd, req);
    resp r;
    read_head(fd, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(content_length(&r), FILE_MAX);
    char v[64];
    assert_true(header(&r, "content-type", v, sizeof v));
    assert_string_equal(v, "application/octet-stream");
    static uint8_t buf[65536];
    size_t got = 0;
    uint8_t tail[8] = {0};
    while (got < FILE_MAX) {
        ssize_t n = recv_some(fd, buf, sizeof buf);
        assert_true(n > 0);
        for (ssize_t i = 0; i < n; i++) {
            size_t at = got + (size_t)i;
            if (at >= FILE_MAX - 8)
                tail[at - (FILE_MAX - 8)] = buf[i];
            else if (buf[i])
                fail_msg("byte %zu is %u", at, buf[i]);
        }
        got += (size_t)n;
    }
    assert_memory_equal(tail, "TAILMARK", 8);
    close(fd);
    stop(&e);
}

/* Open a download and take only its head: the body waits in the server. */
static int hold_download(uint16_t port, const char *target)
{
    int fd = dial(port);
    char req[256];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n\r\n", target,
             (unsigned)port);
    send_str(fd, req);
    resp r;
    read_head(fd, &r);
    assert_int_equal(r.status, 200);
    return fd;
}

static void drain(int fd, size_t expect)
{
    static uint8_t buf[65536];
    size_t got = 0;
    for (;;) {
        ssize_t n = recv_some(fd, buf, sizeof buf);
        assert_true(n >= 0);
        if (n == 0)
            break;
        got += (size_t)n;
    }
    assert_int_equal(got, expect);
    close(fd);
}

static void bodies_in_flight_are_capped(void **state)
{
    (void)state;
    env e;
    start(&e);
    /* Two whole-cap bodies held by slow clients fill what may be in flight
     * (the kernel's socket buffers take far less than 32 MiB each). */
    resp r;
    get(e.port, "/", NULL, &r);
    char etag[128], inm[200];
    assert_true(header(&r, "etag", etag, sizeof etag));
    snprintf(inm, sizeof inm, "If-None-Match: %s\r\n", etag);
    resp_free(&r);
    int a = hold_download(e.port, "/max.bin");
    int b = hold_download(e.port, "/max.bin");
    assert_int_equal(status_of(e.port, "/index.html"), 503);
    /* A 304 has no body to hold: still answered. */
    get(e.port, "/", inm, &r);
    assert_int_equal(r.status, 304);
    resp_free(&r);
    /* A finished download gives its memory back at once. */
    drain(a, FILE_MAX);
    expect_file(e.port, "/app.js", "console.log('hi');\n", "text/javascript; charset=utf-8");
    drain(b, FILE_MAX);
    stop(&e);
}

/* Reset the connection (RST): the client is gone with the body unsent. */
static void vanish(int fd)
{
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
}

static void client_vanishes_mid_body(void **state)
{
    (void)state;
    env e;
    start(&e);
    uint64_t baseline = __atomic_load_n(&e.alloc.live, __ATOMIC_RELAXED);
    for (int i = 0; i < 3; i++) {
        int fd = hold_download(e.port, "/mid.bin");
        uint8_t buf[4096];
        assert_true(recv_some(fd, buf, sizeof buf) > 0);
        if (i == 2)
            close(fd); /* an orderly close with unread data (also a reset) */
        else
            vanish(fd);
    }
    /* And one that asks and leaves before any answer. */
    int fd = dial(e.port);
    char req[256];
    snprintf(req, sizeof req, "GET /mid.bin HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", (unsigned)e.port);
    send_str(fd, req);
    vanish(fd);
    /* Each abandoned body is released as soon as its connection closes,
     * not at endpoint teardown (else abandoned downloads fill the cap). */
    int waited_ms = 0;
    while (__atomic_load_n(&e.alloc.live, __ATOMIC_RELAXED) > baseline && waited_ms < 10000) {
        usleep(10000);
        waited_ms += 10;
    }
    assert_int_equal(__atomic_load_n(&e.alloc.live, __ATOMIC_RELAXED), baseline);
    /* The server serves on; stop() then checks that nothing is left. */
    expect_file(e.port, "/", INDEX_HTML, "text/html; charset=utf-8");
    fd = hold_download(e.port, "/mid.bin");
    drain(fd, MID_SIZE);
    stop(&e);
}

/* Memory in assets as well: an exact match there wins, the directory has the rest. */
static void memory_assets_take_precedence(void **state)
{
    (void)state;
    static const uint8_t page[] = "<p>from memory</p>";
    psc_ws_asset assets[] = {{"/index.html", "text/html; charset=utf-8", page, sizeof page - 1}};
    psc_ws_config cfg = PSC_WS_CONFIG_INIT;
    cfg.assets = assets;
    cfg.n_assets = 1;
    cfg.assets_dir = g_root;
    env e;
    start_with(&e, &cfg);
    resp r;
    get(e.port, "/index.html", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal((const char *)r.body, "<p>from memory</p>");
    resp_free(&r);
    expect_file(e.port, "/", INDEX_HTML, "text/html; charset=utf-8"); /* "/" is not an exact match in assets */
    expect_file(e.port, "/app.js", "console.log('hi');\n", "text/javascript; charset=utf-8");
    stop(&e);
}

/* ------------------------------------------------------------ allocation failure */

static psc_err serve_once(void *arg, psc_test_alloc *alloc)
{
    int *unavailable = arg;
    psc_config c = PSC_CONFIG_INIT;
    c.allocator = &alloc->iface;
    psc_introspector *intro = NULL;
    psc_err err = psc_introspector_new(&c, &intro);
    if (err)
        return err;
    psc_ws_config cfg = PSC_WS_CONFIG_INIT;
    cfg.assets_dir = g_root;
    psc_endpoint *ep = NULL;
    err = psc_ws_endpoint_new(intro, &cfg, &ep);
    if (!err)
        err = psc_endpoint_start(ep);
    uint16_t port = 0;
    if (!err)
        err = psc_ws_port(ep, &port);
    if (!err) {
        resp r;
        get(port, "/app.js", NULL, &r);
        /* The body's allocation failed: a clean 503, and the server lives on. */
        if (r.status == 503) {
            err = PSC_ERR_NOMEM;
            (*unavailable)++;
        }
        else if (r.status != 200 || strcmp((const char *)r.body, "console.log('hi');\n"))
            fail_msg("status %d", r.status);
        resp_free(&r);
        get(port, "/healthz", NULL, &r);
        if (r.status != 200)
            fail_msg("healthz after a failure: %d", r.status);
        resp_free(&r);
    }
    psc_endpoint_free(ep);
    psc_introspector_free(intro);
    return err;
}

static void allocation_failures(void **state)
{
    (void)state;
    int fds = count_fds();
    int unavailable = 0;
    uint64_t runs = psc_test_each_alloc_fails(serve_once, &unavailable, 500);
    assert_true(runs > 1);
    assert_int_equal(unavailable, 1); /* the run that failed the file body's allocation */
    printf("# %llu runs, each failing one more allocation\n", (unsigned long long)runs);
    assert_int_equal(count_fds(), fds);
}

int main(void)
{
    psc_ws_lws_log(PSC_LOG_ERROR, NULL, NULL); /* keep libwebsockets quiet */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(path_mapping),
        cmocka_unit_test(mime_types),
        cmocka_unit_test(etag_matching),
        cmocka_unit_test(config_errors),
        cmocka_unit_test(older_struct_ignores_field),
        cmocka_unit_test(serves_the_directory),
        cmocka_unit_test(revalidates_by_etag),
        cmocka_unit_test(nothing_outside_the_tree),
        cmocka_unit_test(size_caps),
        cmocka_unit_test(bodies_in_flight_are_capped),
        cmocka_unit_test(client_vanishes_mid_body),
        cmocka_unit_test(memory_assets_take_precedence),
        cmocka_unit_test(allocation_failures),
    };
    return cmocka_run_group_tests(tests, setup_tree, teardown_tree);
}
