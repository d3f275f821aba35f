#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hub_test.h"

static unsigned long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000u + (unsigned long long)ts.tv_nsec / 1000000u;
}

static void nap(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------ processes */

static const char *env_or_fail(const char *name)
{
    const char *p = getenv(name);
    if (!p)
        fail_msg("%s is not set (run the test through meson)", name);
    return p;
}

const char *ht_hub_exe(void)
{
    return env_or_fail("PSC_HUB_EXE");
}

const char *ht_demo_exe(void)
{
    return env_or_fail("PSC_DEMO_EXE");
}

static char dir[256];

void ht_cleanup(void)
{
    if (!dir[0])
        return;
    DIR *d = opendir(dir);
    if (d) {
        for (struct dirent *e; (e = readdir(d));) {
            if (e->d_name[0] == '.')
                continue;
            char path[600];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
    dir[0] = 0;
}

static const char *log_dir(void)
{
    if (!dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/psc-hub-test-XXXXXX", t && *t ? t : P_tmpdir);
        assert_non_null(mkdtemp(dir));
    }
    return dir;
}

/* What ht_start started and ht_stop has not reaped yet. */
#define HT_MAX_LIVE 64
static pid_t live[HT_MAX_LIVE];

int ht_kill_all(void **state)
{
    (void)state;
    for (int i = 0; i < HT_MAX_LIVE; i++)
        if (live[i] > 0) {
            kill(live[i], SIGKILL);
            waitpid(live[i], NULL, 0);
            live[i] = 0;
        }
    return 0;
}

static void live_set(pid_t old, pid_t now)
{
    for (int i = 0; i < HT_MAX_LIVE; i++)
        if (live[i] == old) {
            live[i] = now;
            return;
        }
}

void ht_start(ht_proc *p, const char *exe, const char *tag, const char *const *args)
{
    static unsigned serial;
    memset(p, 0, sizeof *p);
    snprintf(p->log, sizeof p->log, "%s/%s-%u.log", log_dir(), tag, ++serial);
    const char *argv[48];
    size_t n = 0;
    argv[n++] = exe;
    for (size_t i = 0; args[i] && n < 47; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    p->pid = fork();
    assert_true(p->pid >= 0);
    if (p->pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fd);
    live_set(0, p->pid);
}

static char *read_log(const ht_proc *p)
{
    FILE *f = fopen(p->log, "r");
    if (!f)
        return NULL;
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            assert_non_null(buf);
        }
    }
    fclose(f);
    buf[len] = 0;
    return buf;
}

bool ht_output_has(ht_proc *p, const char *text)
{
    char *s = read_log(p);
    bool has = s && strstr(s, text);
    free(s);
    return has;
}

bool ht_wait_value(ht_proc *p, const char *label, char *buf, size_t cap, int timeout_ms)
{
    unsigned long long until = now_ms() + (unsigned long long)timeout_ms;
    do {
        char *s = read_log(p);
        const char *at = s ? strstr(s, label) : NULL;
        if (at) {
            at += strlen(label);
            while (*at == ' ')
                at++;
            size_t n = strcspn(at, " \r\n");
            if (at[n] == '\n' || at[n] == ' ') {
                snprintf(buf, cap, "%.*s", (int)n, at);
                free(s);
                return true;
            }
        }
        free(s);
        nap(20);
    } while (now_ms() < until);
    return false;
}

int ht_stop(ht_proc *p, int sig)
{
    if (p->pid <= 0)
        return -1;
    kill(p->pid, sig);
    int status = 0;
    unsigned long long until = now_ms() + HT_WAIT_MS;
    for (;;) {
        pid_t r = waitpid(p->pid, &status, WNOHANG);
        if (r == p->pid)
            break;
        if (now_ms() > until) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &status, 0);
            live_set(p->pid, 0);
            fail_msg("pid %d did not exit within %d ms of signal %d", (int)p->pid, HT_WAIT_MS, sig);
        }
        nap(10);
    }
    live_set(p->pid, 0);
    p->pid = 0;
    return status;
}

bool ht_demo_can_push(void)
{
    static int cached = -1;
    if (cached < 0) {
        ht_proc p;
        const char *args[] = {"--help", NULL};
        ht_start(&p, ht_demo_exe(), "demo-help", args);
        int st = ht_stop(&p, 0);
        (void)st;
        cached = ht_output_has(&p, "--hub") ? 1 : 0;
    }
    return cached == 1;
}

unsigned ht_url_port(const char *url)
{
    const char *hostp = strstr(url, "://");
    if (!hostp)
        return 0;
    hostp += 3;
    const char *colon = strchr(hostp, ']');
    colon = strchr(colon ? colon : hostp, ':');
    return colon ? (unsigned)strtoul(colon + 1, NULL, 10) : 0;
}

/* ------------------------------------------------------------ relay */

#define RELAY_MAX 16

struct ht_relay {
    int lfd;
    unsigned target;
    pthread_t thread;
    atomic_bool stop, cut;
    int a[RELAY_MAX], b[RELAY_MAX]; /* pairs, -1 free (relay thread only) */
};

static int dial(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        close(fd);
        return -1;
    }
    return fd;
}

static void pair_close(ht_relay *r, int i)
{
    close(r->a[i]);
    close(r->b[i]);
    r->a[i] = r->b[i] = -1;
}

static void *relay_main(void *arg)
{
    ht_relay *r = arg;
    while (!atomic_load(&r->stop)) {
        if (atomic_exchange(&r->cut, false))
            for (int i = 0; i < RELAY_MAX; i++)
                if (r->a[i] >= 0)
                    pair_close(r, i);
        struct pollfd fds[1 + 2 * RELAY_MAX];
        int idx[1 + 2 * RELAY_MAX];
        int n = 0;
        fds[n] = (struct pollfd){r->lfd, POLLIN, 0};
        idx[n++] = -1;
        for (int i = 0; i < RELAY_MAX; i++)
            if (r->a[i] >= 0) {
                fds[n] = (struct pollfd){r->a[i], POLLIN, 0};
                idx[n++] = i;
                fds[n] = (struct pollfd){r->b[i], POLLIN, 0};
                idx[n++] = i + RELAY_MAX;
            }
        if (poll(fds, (nfds_t)n, 50) <= 0)
            continue;
        if (fds[0].revents & POLLIN) {
            int c = accept4(r->lfd, NULL, NULL, SOCK_CLOEXEC);
            int t = c >= 0 ? dial(r->target) : -1;
            int slot = -1;
            for (int i = 0; i < RELAY_MAX && slot < 0; i++)
                if (r->a[i] < 0)
                    slot = i;
            if (c >= 0 && t >= 0 && slot >= 0) {
                r->a[slot] = c;
                r->b[slot] = t;
            } else {
                if (c >= 0)
                    close(c);
                if (t >= 0)
                    close(t);
            }
        }
        for (int k = 1; k < n; k++) {
            if (!fds[k].revents)
                continue;
            int i = idx[k] % RELAY_MAX;
            if (r->a[i] < 0)
                continue;
            int from = idx[k] < RELAY_MAX ? r->a[i] : r->b[i];
            int to = idx[k] < RELAY_MAX ? r->b[i] : r->a[i];
            char buf[65536];
            ssize_t got = read(from, buf, sizeof buf);
            bool ok = got > 0;
            for (ssize_t off = 0; ok && off < got;) {
                ssize_t w = write(to, buf + off, (size_t)(got - off));
                if (w <= 0)
                    ok = false;
                else
                    off += w;
            }
            if (!ok)
                pair_close(r, i);
        }
    }
    for (int i = 0; i < RELAY_MAX; i++)
        if (r->a[i] >= 0)
            pair_close(r, i);
    return NULL;
}

ht_relay *ht_relay_start(unsigned target_port, unsigned *port)
{
    ht_relay *r = calloc(1, sizeof *r);
    assert_non_null(r);
    for (int i = 0; i < RELAY_MAX; i++)
        r->a[i] = r->b[i] = -1;
    r->target = target_port;
    r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(r->lfd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(r->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(r->lfd, 8), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(r->lfd, (struct sockaddr *)&sa, &sl), 0);
    *port = ntohs(sa.sin_port);
    atomic_init(&r->stop, false);
    atomic_init(&r->cut, false);
    assert_int_equal(pthread_create(&r->thread, NULL, relay_main, r), 0);
    return r;
}

void ht_relay_cut(ht_relay *r)
{
    atomic_store(&r->cut, true);
}

void ht_relay_stop(ht_relay *r)
{
    atomic_store(&r->stop, true);
    pthread_join(r->thread, NULL);
    close(r->lfd);
    free(r);
}

/* ------------------------------------------------------------ viewer */

static void v_open(void *user, psc_client *c)
{
    (void)c;
    ((ht_viewer *)user)->open = true;
}

static void v_close(void *user, psc_client *c, psc_err err, int code, const char *reason)
{
    (void)c;
    (void)code;
    (void)reason;
    ht_viewer *v = user;
    v->closed = true;
    v->close_err = err;
}

static void v_message(void *user, psc_client *c, const Peerscope__ServerMessage *m, const uint8_t *payload,
                      size_t len)
{
    (void)c;
    (void)payload;
    (void)len;
    ht_viewer *v = user;
    if (m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME) {
        v->runtime = true;
        snprintf(v->runtime_impl, sizeof v->runtime_impl, "%s", m->runtime->implementation);
        snprintf(v->runtime_peer, sizeof v->runtime_peer, "%s", m->runtime->peer_id);
    } else if (m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE) {
        v->states++;
    } else if (m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_FLEET) {
        v->tables++;
        v->n_rows = 0;
        for (size_t i = 0; i < m->fleet->n_nodes && i < HT_MAX_ROWS; i++) {
            const Peerscope__Fleet__Node *n = m->fleet->nodes[i];
            ht_row *r = &v->rows[v->n_rows++];
            snprintf(r->name, sizeof r->name, "%s", n->name);
            snprintf(r->peer_id, sizeof r->peer_id, "%s", n->peer_id);
            snprintf(r->path, sizeof r->path, "%s", n->path);
            r->up = n->up;
            r->start_ts = n->start_ts;
            r->reconnects = n->reconnects;
            r->events = n->events;
            r->last_seq = n->last_seq;
        }
    } else if (m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT && v->n_events < HT_MAX_EVENTS) {
        ht_event *e = &v->events[v->n_events++];
        snprintf(e->node, sizeof e->node, "%s", m->event->node);
        e->seq = m->event->seq;
    }
}

void ht_viewer_open(ht_viewer *v, unsigned port, const char *token)
{
    ht_viewer_open_path(v, port, "/introspect", token);
}

void ht_viewer_open_path(ht_viewer *v, unsigned port, const char *path, const char *token)
{
    memset(v, 0, sizeof *v);
    v->events = calloc(HT_MAX_EVENTS, sizeof *v->events);
    assert_non_null(v->events);
    static psc_client_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.struct_size = sizeof cb;
    cb.on_open = v_open;
    cb.on_close = v_close;
    cb.on_message = v_message;
    char url[256];
    snprintf(url, sizeof url, "ws://127.0.0.1:%u%s", port, path);
    psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
    cfg.url = url;
    cfg.token = token;
    cfg.callbacks = &cb;
    cfg.user = v;
    assert_int_equal(psc_client_new(&cfg, &v->c), PSC_OK);
    assert_int_equal(psc_client_hello(v->c, NULL, NULL), PSC_OK);
    assert_int_equal(psc_client_request(v->c, PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME, NULL), PSC_OK);
    assert_int_equal(psc_client_push_enable(v->c, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, NULL), PSC_OK);
    assert_int_equal(psc_client_push_enable(v->c, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, NULL), PSC_OK);
}

bool ht_viewer_until(ht_viewer *v, bool (*done)(ht_viewer *, const void *), const void *arg, int timeout_ms)
{
    unsigned long long until = now_ms() + (unsigned long long)timeout_ms;
    while (!done(v, arg)) {
        if (now_ms() > until)
            return false;
        psc_client_poll(v->c, 50);
    }
    return true;
}

void ht_viewer_close(ht_viewer *v)
{
    psc_client_free(v->c);
    v->c = NULL;
    free(v->events);
    v->events = NULL;
}

const ht_row *ht_viewer_row(const ht_viewer *v, const char *name)
{
    for (size_t i = 0; i < v->n_rows; i++)
        if (!strcmp(v->rows[i].name, name))
            return &v->rows[i];
    return NULL;
}

/* ------------------------------------------------------------ HTTP */

int ht_http_get(unsigned port, const char *path, const char *token, char **body)
{
    *body = NULL;
    int fd = dial(port);
    assert_true(fd >= 0);
    char req[512];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n%s%s%sConnection: close\r\n\r\n",
                     path, port, token ? "Authorization: Bearer " : "", token ? token : "", token ? "\r\n" : "");
    assert_int_equal(write(fd, req, (size_t)n), n);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    unsigned long long until = now_ms() + HT_WAIT_MS;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) {
            if (now_ms() > until)
                break;
            continue;
        }
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            assert_non_null(buf);
        }
        ssize_t got = read(fd, buf + len, cap - len);
        if (got <= 0)
            break;
        len += (size_t)got;
        buf[len] = 0;
        /* done once the whole Content-Length arrived (keep-alive servers may not close) */
        char *hdr_end = strstr(buf, "\r\n\r\n");
        char *cl = strcasestr(buf, "content-length:");
        if (hdr_end && cl && cl < hdr_end && len >= (size_t)(hdr_end + 4 - buf) + strtoul(cl + 15, NULL, 10))
            break;
    }
    close(fd);
    buf[len] = 0;
    int status = 0;
    sscanf(buf, "HTTP/1.%*d %d", &status);
    char *hdr_end = strstr(buf, "\r\n\r\n");
    if (hdr_end)
        memmove(buf, hdr_end + 4, strlen(hdr_end + 4) + 1);
    *body = buf;
    return status;
}
