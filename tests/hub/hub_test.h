/*
 * Helpers of the peerscope-hub tests: real processes (the hub, the demo
 * host) with their output in files, a TCP relay whose connections a test
 * can cut, a viewer of the hub's fleet socket over the C client, and a
 * plain HTTP GET. Every wait is bounded (HT_WAIT_MS).
 */
#ifndef HUB_TEST_H
#define HUB_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <peerscope/client.h>

#define HT_WAIT_MS 30000

typedef struct ht_proc {
    pid_t pid;
    char log[384]; /* stdout and stderr */
} ht_proc;

/* Start exe with args (NULL-terminated, without argv[0]); its output goes to a file named after tag. */
void ht_start(ht_proc *p, const char *exe, const char *tag, const char *const *args);
/* Wait until the output holds label, and copy what follows it up to a space or newline into buf. */
bool ht_wait_value(ht_proc *p, const char *label, char *buf, size_t cap, int timeout_ms);
/* Whether the output holds text. */
bool ht_output_has(ht_proc *p, const char *text);
/* Send sig and reap it (SIGKILL after the bound). Returns its wait status. */
int ht_stop(ht_proc *p, int sig);
/* Kill (SIGKILL) and reap every process ht_start started that is still running:
 * a test that failed half-way leaves none behind (a cmocka teardown). */
int ht_kill_all(void **state);
/* Remove the output files and their folder (after a run that passed; kept otherwise, to read). */
void ht_cleanup(void);
/* The programs (set by meson). */
const char *ht_hub_exe(void);
const char *ht_demo_exe(void);
/* Whether the demo takes --hub (the push link). */
bool ht_demo_can_push(void);
/* The port of a ws://host:port/... or http://... URL. */
unsigned ht_url_port(const char *url);

/* A TCP relay on 127.0.0.1 to target_port, on its own thread. */
typedef struct ht_relay ht_relay;
ht_relay *ht_relay_start(unsigned target_port, unsigned *port);
/* Close every connection it carries now (new ones are still relayed). */
void ht_relay_cut(ht_relay *r);
void ht_relay_stop(ht_relay *r);

/* One row of the newest Fleet table a viewer got. */
typedef struct ht_row {
    char name[64];
    char peer_id[128];
    char path[128];
    bool up;
    uint64_t start_ts;
    uint32_t reconnects;
    uint64_t events, last_seq;
} ht_row;

typedef struct ht_event {
    char node[64];
    uint64_t seq;
} ht_event;

#define HT_MAX_ROWS 16
#define HT_MAX_EVENTS 20000

typedef struct ht_viewer {
    psc_client *c;
    bool open, closed;
    psc_err close_err;
    bool runtime;
    char runtime_impl[64];
    char runtime_peer[128];
    size_t states;
    ht_row rows[HT_MAX_ROWS];
    size_t n_rows;
    size_t tables;
    ht_event *events;
    size_t n_events;
} ht_viewer;

/* Connect to ws://127.0.0.1:port/introspect with token (may be NULL) and subscribe to everything. */
void ht_viewer_open(ht_viewer *v, unsigned port, const char *token);
/* The same on another path of the hub (/node/NAME/introspect). */
void ht_viewer_open_path(ht_viewer *v, unsigned port, const char *path, const char *token);
/* Poll until done(v, arg) holds or timeout_ms pass. */
bool ht_viewer_until(ht_viewer *v, bool (*done)(ht_viewer *, const void *), const void *arg, int timeout_ms);
void ht_viewer_close(ht_viewer *v);
const ht_row *ht_viewer_row(const ht_viewer *v, const char *name);

/* GET path over HTTP/1.1 on 127.0.0.1:port; the status, and the body (malloc'd) in *body. */
int ht_http_get(unsigned port, const char *path, const char *token, char **body);

#endif
