/*
 * A provider whose collect hangs, seen from a real client over the real
 * endpoint: events keep arriving, states keep arriving without that
 * provider's section and with a ProviderError "timeout", and once the
 * collect returns the provider is back. Without the deadline the
 * endpoint's service thread would sit in the collect and nothing would
 * arrive at all (the waits below would fail).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_util.h"
#include "test_host.h"

#define T_WAIT 20000

typedef struct state_wait {
    rec *r;
    size_t from;   /* look at states recorded from here on */
    bool timeout;  /* want the "hangs" timeout error; else a state without errors */
} state_wait;

static bool cond_state(void *arg)
{
    state_wait *w = arg;
    for (size_t i = w->from; i < w->r->n; i++) {
        const rec_item *it = &w->r->items[i];
        if (it->kind != 'S')
            continue;
        if (w->timeout && it->result >= 1 && strncmp(it->text, "hangs: timeout", 14) == 0)
            return true;
        if (!w->timeout && it->result == 0)
            return true;
    }
    return false;
}

static void test_events_flow_while_a_collect_hangs(void **state)
{
    test_host_opts o = {.n_conns = 3, .collect_timeout_ms = 200, .hang_provider = true};
    test_host *h = host_fixture(state, &o);
    host_hang(h, true);

    psc_client_loop *loop = NULL;
    assert_int_equal(psc_client_loop_new(NULL, &loop), PSC_OK);
    rec *r = calloc(1, sizeof *r);
    assert_non_null(r);
    rec_init(r);
    psc_client *c = watch_host(h, loop, r, 100, false);

    state_wait sw = {r, 0, true};
    assert_true(wait_loop(loop, cond_state, &sw, T_WAIT));
    /* emitted while the collect still hangs: every one arrives */
    host_emit(h, 40, 0);
    assert_true(wait_counter(loop, &r->events, 40, T_WAIT));
    sw.from = r->n;
    assert_true(wait_loop(loop, cond_state, &sw, T_WAIT)); /* still skipped, states still come */
    host_emit(h, 40, 0);
    assert_true(wait_counter(loop, &r->events, 80, T_WAIT));
    assert_int_equal(r->events_out_of_order, 0);

    host_hang(h, false);
    state_wait back = {r, r->n, false};
    assert_true(wait_loop(loop, cond_state, &back, T_WAIT));

    psc_client_free(c);
    psc_client_loop_free(loop);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_events_flow_while_a_collect_hangs, host_teardown),
    };
    return RUN_TESTS(tests);
}
