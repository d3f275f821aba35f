/*
 * Standalone driver for the fuzz targets when libFuzzer is not available
 * (gcc builds): runs LLVMFuzzerTestOneInput on the files given as
 * arguments (every file of a folder, in name order), or on deterministic pseudo-random inputs (PSC_FUZZ_ITERATIONS,
 * default 3000) so that the sanitizer build exercises the targets as an
 * ordinary test. A crash or sanitizer report is the failure.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint8_t next_byte(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint8_t)(rng >> 24);
}

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *b = realloc(buf, cap *= 2);
            if (!b)
                free(buf);
            buf = b;
        }
    }
    fclose(f);
    if (!buf)
        return 1;
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

/* A file, or every regular file of a folder; *count grows by the inputs run. */
static int run_path(const char *path, long *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return run_file(path);
    }
    struct dirent **names;
    int n = scandir(path, &names, NULL, alphasort);
    if (n < 0) {
        perror(path);
        return 1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(path) + strlen(names[i]->d_name) + 2;
        char *full = malloc(len);
        if (!full)
            rc = 1;
        else {
            snprintf(full, len, "%s/%s", path, names[i]->d_name);
            if (names[i]->d_name[0] != '.' && stat(full, &st) == 0 && S_ISREG(st.st_mode) && !rc) {
                (*count)++;
                rc = run_file(full);
            }
            free(full);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        long count = 0;
        for (int i = 1; i < argc; i++)
            if (run_path(argv[i], &count) != 0)
                return 1;
        printf("1..1\nok 1 - %ld inputs\n", count);
        return 0;
    }
    const char *it = getenv("PSC_FUZZ_ITERATIONS");
    long iterations = it ? strtol(it, NULL, 10) : 3000;
    uint8_t buf[512];
    for (long i = 0; i < iterations; i++) {
        /* mostly short inputs, sometimes up to the buffer */
        size_t len = next_byte() % 4 == 0 ? (size_t)next_byte() * 2 : next_byte() % 64;
        for (size_t k = 0; k < len; k++)
            buf[k] = next_byte();
        /* copy to an exact-size block so ASan catches over-reads */
        uint8_t *exact = malloc(len ? len : 1);
        if (!exact)
            return 1;
        for (size_t k = 0; k < len; k++)
            exact[k] = buf[k];
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
    }
    printf("1..1\nok 1 - %ld random inputs\n", iterations);
    return 0;
}
