/*
 * Running the peerscope-demo program from a test: spawn it with pipes on
 * stdout and stderr, collect what it prints, wait for its exit (killing it
 * after a generous deadline), and read values from its banner.
 */
#ifndef DEMO_PROC_H
#define DEMO_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define DEMO_PROC_OUT_MAX 65536
#define DEMO_PROC_TIMEOUT_MS 30000

typedef struct demo_proc {
    pid_t pid;
    int out_fd, err_fd;
    char out[DEMO_PROC_OUT_MAX], err[DEMO_PROC_OUT_MAX];
    size_t out_len, err_len;
    int status; /* exit status, after demo_proc_finish */
} demo_proc;

/* The program, from PSC_DEMO_EXE (set by meson). */
const char *demo_proc_exe(void);

/* Start the program with args (NULL-terminated, without argv[0]). */
void demo_proc_spawn(demo_proc *p, const char *const *args);

/* Read what is available, waiting at most wait_ms; false once both pipes are at EOF. */
bool demo_proc_pump(demo_proc *p, int wait_ms);

/* Read until needle appears on stdout or timeout_ms pass; true if it did. */
bool demo_proc_wait_for(demo_proc *p, const char *needle, int timeout_ms);

/* Read to the end and reap; fails the test if it does not exit normally in time. */
void demo_proc_finish(demo_proc *p);

/* Spawn and finish. */
void demo_proc_run(demo_proc *p, const char *const *args);

/* The value after label on a banner line (up to a space or newline). */
bool demo_proc_banner(const char *out, const char *label, char *buf, size_t len);

/* Monotonic milliseconds. */
unsigned long long demo_proc_now_ms(void);

#endif
