/*
 * libwebsockets' own log lines, for a host that never calls psc_ws_lws_log:
 * they reach the introspector's log callback (errors and warnings), and
 * nothing reaches stderr. Its own process: the routing is process-wide.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peerscope/peerscope.h"

typedef struct lines {
    pthread_mutex_t lock;
    char text[8192];
    size_t lws_errors, lws_lines;
} lines;

static void capture(void *user, psc_log_level level, const char *msg)
{
    lines *l = user;
    pthread_mutex_lock(&l->lock);
    if (strncmp(msg, "libwebsockets: ", 15) == 0) {
        l->lws_lines++;
        l->lws_errors += level == PSC_LOG_ERROR;
        size_t n = strlen(l->text);
        snprintf(l->text + n, sizeof l->text - n, "# %s\n", msg);
    }
    pthread_mutex_unlock(&l->lock);
}

/* Run with fd 2 pointed at a temporary file; returns what was written there. */
static long stderr_bytes_during(void (*fn)(void *), void *arg)
{
    char path[] = "/tmp/psc-ws-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fd, 2), 2);
    fn(arg);
    fflush(stderr);
    assert_int_equal(dup2(saved, 2), 2);
    close(saved);
    long n = lseek(fd, 0, SEEK_END);
    close(fd);
    return n;
}

static void busy_port(void *arg)
{
    lines *l = arg;
    psc_introspector *quiet, *host;
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.log = capture;
    cfg.log_user = l;
    assert_int_equal(psc_introspector_new(NULL, &quiet), PSC_OK); /* no log callback: silent */
    assert_int_equal(psc_introspector_new(&cfg, &host), PSC_OK);
    psc_endpoint *a = NULL, *b = NULL;
    assert_int_equal(psc_ws_endpoint_new(quiet, NULL, &a), PSC_OK);
    assert_int_equal(psc_endpoint_start(a), PSC_OK);
    uint16_t port = 0;
    assert_int_equal(psc_ws_port(a, &port), PSC_OK);
    psc_ws_config c = PSC_WS_CONFIG_INIT;
    c.port = port;
    assert_int_equal(psc_ws_endpoint_new(host, &c, &b), PSC_OK);
    /* libwebsockets complains about the bind, in its own words */
    assert_int_equal(psc_endpoint_start(b), PSC_ERR_IO);
    psc_endpoint_free(b);
    psc_endpoint_free(a);
    psc_introspector_free(host);
    psc_introspector_free(quiet);
}

static void routed_to_the_log_callback(void **state)
{
    (void)state;
    lines l = {.lock = PTHREAD_MUTEX_INITIALIZER};
    long on_stderr = stderr_bytes_during(busy_port, &l);
    assert_int_equal(on_stderr, 0);
    print_message("%s", l.text);
    assert_true(l.lws_lines >= 1);
    assert_true(l.lws_errors >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(routed_to_the_log_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
