#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "demo_proc.h"

unsigned long long demo_proc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000u + (unsigned long long)ts.tv_nsec / 1000000u;
}

const char *demo_proc_exe(void)
{
    const char *p = getenv("PSC_DEMO_EXE");
    if (!p)
        fail_msg("PSC_DEMO_EXE is not set (run the test through meson)");
    return p;
}

void demo_proc_spawn(demo_proc *p, const char *const *args)
{
    memset(p, 0, sizeof *p);
    const char *argv[40];
    size_t n = 0;
    argv[n++] = demo_proc_exe();
    while (args[n - 1] && n < 39) {
        argv[n] = args[n - 1];
        n++;
    }
    argv[n] = NULL;
    int po[2], pe[2];
    assert_int_equal(pipe(po), 0);
    assert_int_equal(pipe(pe), 0);
    p->pid = fork();
    assert_true(p->pid >= 0);
    if (p->pid == 0) {
        /* as when started from a terminal, whatever the test runner ignores */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]);
        close(po[1]);
        close(pe[0]);
        close(pe[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    p->out_fd = po[0];
    p->err_fd = pe[0];
}

bool demo_proc_pump(demo_proc *p, int wait_ms)
{
    struct pollfd use[2];
    int nfds = 0;
    if (p->out_fd >= 0)
        use[nfds++] = (struct pollfd){p->out_fd, POLLIN, 0};
    if (p->err_fd >= 0)
        use[nfds++] = (struct pollfd){p->err_fd, POLLIN, 0};
    if (!nfds)
        return false;
    if (poll(use, (nfds_t)nfds, wait_ms) <= 0)
        return true;
    for (int i = 0; i < nfds; i++) {
        if (!(use[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        bool is_out = use[i].fd == p->out_fd;
        char *buf = is_out ? p->out : p->err;
        size_t *len = is_out ? &p->out_len : &p->err_len;
        ssize_t k = read(use[i].fd, buf + *len, DEMO_PROC_OUT_MAX - 1 - *len);
        if (k <= 0) {
            close(use[i].fd);
            if (is_out)
                p->out_fd = -1;
            else
                p->err_fd = -1;
        } else {
            *len += (size_t)k;
            buf[*len] = 0;
        }
    }
    return true;
}

bool demo_proc_wait_for(demo_proc *p, const char *needle, int timeout_ms)
{
    unsigned long long deadline = demo_proc_now_ms() + (unsigned long long)timeout_ms;
    while (!strstr(p->out, needle) && demo_proc_now_ms() < deadline && demo_proc_pump(p, 50)) {
    }
    return strstr(p->out, needle) != NULL;
}

void demo_proc_finish(demo_proc *p)
{
    unsigned long long deadline = demo_proc_now_ms() + DEMO_PROC_TIMEOUT_MS;
    while (demo_proc_pump(p, 100) && demo_proc_now_ms() < deadline) {
    }
    int st = 0;
    pid_t w;
    while ((w = waitpid(p->pid, &st, WNOHANG)) == 0 && demo_proc_now_ms() < deadline)
        usleep(10000);
    if (w == 0) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &st, 0);
        fail_msg("peerscope-demo did not exit in time; stderr: %s", p->err);
    }
    if (p->out_fd >= 0)
        close(p->out_fd);
    if (p->err_fd >= 0)
        close(p->err_fd);
    p->out_fd = p->err_fd = -1;
    if (!WIFEXITED(st))
        fail_msg("peerscope-demo died (signal %d); stderr: %s", WIFSIGNALED(st) ? WTERMSIG(st) : 0, p->err);
    p->status = WEXITSTATUS(st);
}

void demo_proc_run(demo_proc *p, const char *const *args)
{
    demo_proc_spawn(p, args);
    demo_proc_finish(p);
}

bool demo_proc_banner(const char *out, const char *label, char *buf, size_t len)
{
    const char *q = strstr(out, label);
    if (!q)
        return false;
    q += strlen(label);
    while (*q == ' ')
        q++;
    size_t k = strcspn(q, " \n");
    if (k == 0 || k >= len)
        return false;
    memcpy(buf, q, k);
    buf[k] = 0;
    return true;
}
