#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "tool_test.h"

FILE *memout_open(memout *m)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    assert_non_null(m->f);
    return m->f;
}

const char *memout_text(memout *m)
{
    assert_int_equal(fflush(m->f), 0);
    return m->buf;
}

void memout_free(memout *m)
{
    fclose(m->f);
    free(m->buf);
    m->f = NULL;
    m->buf = NULL;
}

int test_argv(char **argv, int cap, const char *prog, va_list ap)
{
    int argc = 0;
    argv[argc++] = (char *)prog;
    for (const char *w; (w = va_arg(ap, const char *)) != NULL;) {
        assert_true(argc < cap);
        argv[argc++] = (char *)w;
    }
    return argc;
}
