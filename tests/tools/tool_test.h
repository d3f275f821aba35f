/* Helpers of the tools' unit tests that need no terminal: output into
 * memory, and command lines from word lists. */
#ifndef PSC_TOOLS_TEST_H
#define PSC_TOOLS_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* The caller owns the struct: the stream writes into it until memout_free. */
typedef struct memout {
    char *buf;
    size_t len;
    FILE *f;
} memout;

/* Start an empty stream (a failure fails the test). */
FILE *memout_open(memout *m);
/* Everything written so far, NUL-terminated; valid until the next write or memout_free. */
const char *memout_text(memout *m);
/* Close the stream and free the text. */
void memout_free(memout *m);

/*
 * argv = {prog, the words of ap up to a NULL}; returns argc. The words are
 * not copied: getopt moves the pointers, never the strings. At most cap
 * entries (a longer list fails the test).
 */
int test_argv(char **argv, int cap, const char *prog, va_list ap);

#endif
