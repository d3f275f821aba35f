/*
 * The web visualizer embedded in the library (web/embed.py ->
 * src/assets/assets.h): lookup rules, a well-formed table, contents that
 * match the sources and the schema module generated at build time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <unistd.h>

#include "assets/assets.h"
#include "../support/test_support.h"

static char root_path[4096];

static const char *source_path(const char *rel)
{
    const char *root = getenv("PSC_SOURCE_ROOT");
    if (!root)
        root = ".";
    snprintf(root_path, sizeof root_path, "%s/%s", root, rel);
    return root_path;
}

static bool contains(const psc__asset *a, const char *needle)
{
    size_t n = strlen(needle);
    if (n > a->len)
        return false;
    for (size_t i = 0; i + n <= a->len; i++)
        if (memcmp(a->data + i, needle, n) == 0)
            return true;
    return false;
}

static void test_root_is_index(void **state)
{
    (void)state;
    const psc__asset *a = psc__asset_find("/");
    assert_non_null(a);
    assert_string_equal(a->path, "/index.html");
    assert_ptr_equal(a, psc__asset_find("/index.html"));
    /* The page is opened as /?token=... or /#token=... */
    assert_ptr_equal(a, psc__asset_find("/?token=abc"));
    assert_ptr_equal(a, psc__asset_find("/index.html?x=1#y"));
    assert_ptr_equal(a, psc__asset_find("/#token=abc"));
    assert_string_equal(a->mime, "text/html; charset=utf-8");
    assert_true(contains(a, "<html"));
}

static void test_unknown_paths(void **state)
{
    (void)state;
    char longpath[1024];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    assert_null(psc__asset_find(NULL));
    assert_null(psc__asset_find(""));
    assert_null(psc__asset_find("index.html"));
    assert_null(psc__asset_find("/nope.js"));
    assert_null(psc__asset_find("/INDEX.HTML"));
    assert_null(psc__asset_find("/../index.html"));
    assert_null(psc__asset_find("//index.html"));
    assert_null(psc__asset_find("/index.html/"));
    assert_null(psc__asset_find(longpath));
    assert_null(psc__asset_at(psc__asset_count()));
}

static void test_table_well_formed(void **state)
{
    (void)state;
    size_t n = psc__asset_count();
    assert_true(n >= 1);
    assert_true(sodium_init() >= 0);
    for (size_t i = 0; i < n; i++) {
        const psc__asset *a = psc__asset_at(i);
        assert_non_null(a);
        assert_int_equal(a->path[0], '/');
        if (i > 0)
            assert_true(strcmp(psc__asset_at(i - 1)->path, a->path) < 0);
        assert_ptr_equal(psc__asset_find(a->path), a);
        assert_true(strlen(a->mime) > 0);
        assert_non_null(a->data);
        /* Strong ETag: the quoted first 128 bits of the SHA-256 of the bytes. */
        unsigned char h[crypto_hash_sha256_BYTES];
        char want[35];
        crypto_hash_sha256(h, a->data, a->len);
        want[0] = '"';
        for (int j = 0; j < 16; j++)
            snprintf(want + 1 + 2 * j, 3, "%02x", h[j]);
        want[33] = '"';
        want[34] = '\0';
        assert_string_equal(a->etag, want);
    }
}

static void test_contents_match_build(void **state)
{
    (void)state;
    const psc__asset *index = psc__asset_find("/");
    const psc__asset *js = psc__asset_find("/js/main.js");
    assert_non_null(js);
    assert_string_equal(js->mime, "text/javascript; charset=utf-8");
    assert_non_null(psc__asset_find("/style.css"));
    assert_string_equal(psc__asset_find("/style.css")->mime, "text/css; charset=utf-8");
    assert_true(contains(index, "src=\"/js/main.js\""));
    assert_false(contains(index, "/vendor/"));
    for (size_t i = 0; i < psc__asset_count(); i++)
        assert_false(strncmp(psc__asset_at(i)->path, "/vendor/", 8) == 0);

    /* The decoder's schema, generated from the .proto by the build. */
    const psc__asset *schema = psc__asset_find("/js/schema.js");
    assert_non_null(schema);
    assert_string_equal(schema->mime, "text/javascript; charset=utf-8");
    assert_true(contains(schema, "export default freeze({"));
    assert_true(contains(schema, "package: \"peerscope\""));
    assert_true(contains(schema, "\"StateDelta.ScopeKey\": {"));
    assert_true(contains(schema, "oneof:\"relayed_over\""));
    assert_non_null(psc__asset_find("/js/codec.js"));
    assert_non_null(psc__asset_find("/js/pbwire.js"));

    /* Third-party clients decode with exactly the schema in the tree. */
    size_t len = 0;
    uint8_t *proto = psc_test_read_file(source_path("proto/peerscope.proto"), &len);
    assert_non_null(proto);
    const psc__asset *p = psc__asset_find("/peerscope.proto");
    assert_non_null(p);
    assert_int_equal(p->len, len);
    assert_memory_equal(p->data, proto, len);
    free(proto);

    /* CSP: no inline script or style anywhere in the HTML. */
    for (size_t i = 0; i < psc__asset_count(); i++) {
        const psc__asset *a = psc__asset_at(i);
        if (strncmp(a->mime, "text/html", 9) != 0)
            continue;
        assert_false(contains(a, "<script>"));
        assert_false(contains(a, "<style"));
        assert_false(contains(a, " style=\""));
        assert_false(contains(a, " onclick="));
        assert_false(contains(a, " onload="));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root_is_index),
        cmocka_unit_test(test_unknown_paths),
        cmocka_unit_test(test_table_well_formed),
        cmocka_unit_test(test_contents_match_build),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
