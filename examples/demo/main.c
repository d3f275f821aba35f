/*
 * peerscope-demo: a simulated P2P host that embeds peerscope the way a
 * real one would. See --help, and README.md next to this file.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"

#define STATUS_EVERY_MS 5000u

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void print_banner(const demo_app *a)
{
    printf("peerscope-demo %s: a simulated P2P node (seed %llu, %u peers, %u connections)\n", PSC_VERSION_STRING,
           (unsigned long long)a->opt.seed, a->opt.peers, a->opt.conns);
    printf("  local peer id:  %s\n", a->node->local_id);
    printf("  visualizer:     %s\n", a->http_url);
    printf("  websocket:      %s\n", a->ws_url);
    if (a->token_generated)
        printf("  access token:   %s  (generated: binding %s needs one)\n", a->token, a->opt.bind);
    if (a->opt.duration > 0)
        printf("  stopping after %.1f s\n", a->opt.duration);
    else
        printf("  press Ctrl-C to stop\n");
    /* tests and scripts read the URLs from a pipe */
    fflush(stdout);
}

int main(int argc, char **argv)
{
    demo_options opt;
    char err[512];
    switch (demo_options_parse(argc, argv, &opt, err, sizeof err)) {
    case DEMO_PARSE_HELP:
        demo_options_usage(stdout);
        return 0;
    case DEMO_PARSE_ERROR:
        fprintf(stderr, "peerscope-demo: %s\nTry 'peerscope-demo --help'.\n", err);
        return 2;
    default:
        break;
    }

    /* Signals are taken synchronously with sigtimedwait: blocked here, before
     * any thread exists, so every thread (ours and the library's) inherits
     * the mask and the handler-free wait below is the only receiver. */
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGTERM);
    /* A SIGINT ignored from the start (background job of a non-interactive
     * shell, nohup) stays ignored, as shells expect; SIGTERM always stops. */
    struct sigaction old_int;
    if (sigaction(SIGINT, NULL, &old_int) != 0 || old_int.sa_handler != SIG_IGN)
        sigaddset(&stop_set, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, &stop_set, NULL) != 0) {
        fprintf(stderr, "peerscope-demo: cannot block signals\n");
        return 1;
    }

    demo_app app;
    if (demo_app_start(&app, &opt, err, sizeof err) != PSC_OK) {
        fprintf(stderr, "peerscope-demo: %s\n", err);
        return 1;
    }
    print_banner(&app);

    uint64_t start = mono_ms();
    uint64_t deadline = opt.duration > 0 ? start + (uint64_t)(opt.duration * 1000.0) : UINT64_MAX;
    uint64_t next_status = start + STATUS_EVERY_MS;
    int sig = 0;
    for (;;) {
        uint64_t now = mono_ms();
        if (now >= deadline)
            break;
        if (!opt.quiet && now >= next_status) {
            demo_app_status(&app, stderr);
            next_status += STATUS_EVERY_MS;
        }
        uint64_t wait = deadline - now;
        if (!opt.quiet && next_status - now < wait)
            wait = next_status - now;
        if (wait > 1000)
            wait = 1000;
        struct timespec ts = {(time_t)(wait / 1000u), (long)(wait % 1000u) * 1000000L};
        sig = sigtimedwait(&stop_set, NULL, &ts);
        if (sig > 0)
            break;
        if (sig < 0 && errno != EAGAIN && errno != EINTR) {
            fprintf(stderr, "peerscope-demo: sigtimedwait: %s\n", strerror(errno));
            break;
        }
        sig = 0;
    }
    if (!opt.quiet) {
        demo_app_status(&app, stderr);
        fprintf(stderr, "peerscope-demo: stopping (%s)\n", sig == SIGINT    ? "interrupted"
                                                            : sig == SIGTERM ? "terminated"
                                                                             : "duration reached");
    }
    demo_app_stop(&app);
    return 0;
}
