/*
 * The recorder's own thread: a state every interval, and the event ring
 * drained in between whenever events arrive (at most every
 * PSC__REC_DRAIN_GAP_MS), so a busy host does not lap the recorder's
 * cursor between two states.
 *
 * Wake-ups come through a pipe: the event listener writes one byte from
 * inside psc_emit (non-blocking, at most once per drain since the listener
 * disarms itself), free writes one to stop the thread; the thread polls it
 * with the time left until its next tick.
 */
#include "recorder/recorder.h"
#include "core/core.h"


#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The listener: runs inside psc_emit, on the host's thread. */
static void wake(void *user)
{
    psc_recorder *r = user;
    char b = 1;
    /* Non-blocking: a full pipe already holds a wake-up. */
    ssize_t n = write(r->wake_fd[1], &b, 1);
    (void)n;
}

static void empty_pipe(psc_recorder *r)
{
    char buf[64];
    while (read(r->wake_fd[0], buf, sizeof buf) > 0)
        ;
}

static void *thread_main(void *arg)
{
    psc_recorder *r = arg;
    uint64_t next = mono_ms(); /* a state right away: the recording has one from the start */
    uint64_t drained = 0;
    while (!atomic_load(&r->stop)) {
        uint64_t now = mono_ms();
        if (now >= next) {
            pthread_mutex_lock(&r->sample_lock);
            (void)psc__rec_sample_locked(r); /* failures are counted in the stats */
            pthread_mutex_unlock(&r->sample_lock);
            /* Keep the cadence, but do not try to catch up on missed ticks. */
            next += r->interval_ms;
            if (next <= now)
                next = now + r->interval_ms;
            continue;
        }
        uint64_t until = next;
        if (now >= drained + PSC__REC_DRAIN_GAP_MS) {
            /* Armed before draining: an event emitted meanwhile wakes us again. */
            psc__listener_arm(r->listener);
            pthread_mutex_lock(&r->sample_lock);
            (void)psc__rec_drain(r); /* out of memory: the rest waits for the next drain */
            pthread_mutex_unlock(&r->sample_lock);
            drained = now;
        } else if (drained + PSC__REC_DRAIN_GAP_MS < until) {
            until = drained + PSC__REC_DRAIN_GAP_MS;
        }
        uint64_t left = until - now;
        struct pollfd p = {.fd = r->wake_fd[0], .events = POLLIN};
        if (poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left) > 0)
            empty_pipe(r);
    }
    return NULL;
}

static bool set_flags(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    int fd_fl = fcntl(fd, F_GETFD);
    return fl >= 0 && fd_fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0 &&
           fcntl(fd, F_SETFD, fd_fl | FD_CLOEXEC) == 0;
}

static void close_pipe(psc_recorder *r)
{
    for (int i = 0; i < 2; i++)
        if (r->wake_fd[i] >= 0)
            close(r->wake_fd[i]);
    r->wake_fd[0] = r->wake_fd[1] = -1;
}

psc_err psc__rec_thread_start(psc_recorder *r)
{
    if (pipe(r->wake_fd) != 0) {
        r->wake_fd[0] = r->wake_fd[1] = -1;
        return PSC_ERR_IO;
    }
    if (!set_flags(r->wake_fd[0]) || !set_flags(r->wake_fd[1])) {
        close_pipe(r);
        return PSC_ERR_IO;
    }
    psc_err e = psc__events_listen(psc__intro_events(r->intro), wake, r, &r->listener);
    if (e != PSC_OK) {
        close_pipe(r);
        return e;
    }
    atomic_store(&r->stop, false);
    if (pthread_create(&r->thread, NULL, thread_main, r) != 0) {
        psc__events_unlisten(psc__intro_events(r->intro), r->listener);
        r->listener = NULL;
        close_pipe(r);
        return PSC_ERR_IO;
    }
    r->thread_started = true;
    return PSC_OK;
}

void psc__rec_thread_stop(psc_recorder *r)
{
    if (!r->thread_started)
        return;
    atomic_store(&r->stop, true);
    char b = 1;
    ssize_t n = write(r->wake_fd[1], &b, 1);
    (void)n;
    pthread_join(r->thread, NULL);
    r->thread_started = false;
    /* No emit calls wake once unlisten returns: the pipe may close. */
    psc__events_unlisten(psc__intro_events(r->intro), r->listener);
    r->listener = NULL;
    close_pipe(r);
}
