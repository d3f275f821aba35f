/*
 * Fuzz target for the analyzer's rules file loader (and the event
 * property reader, which takes the same bytes as event content). Besides
 * "no crash, no sanitizer report, no leak", for every input:
 *  - loading is all or nothing: a refused file leaves the rule count as it was;
 *  - a refused file gets an error that starts "fuzz:LINE: ";
 *  - a file that loaded loads again only if it had no rule (names are in use);
 *  - the rules that loaded evaluate on a snapshot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerscope/peerscope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t rule_count(psc_analyzer *an)
{
    psc_analyzer_stats st;
    if (psc_analyzer_get_stats(an, &st) != PSC_OK)
        abort();
    return st.rules;
}

static void check_prop(const char *content)
{
    static const char *const props[] = {"validator", "a", "", "peerId", "\"", "\\"};
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++) {
        char buf[32];
        memset(buf, 'x', sizeof buf);
        psc_err e = psc_event_prop_text(content, props[i], buf, sizeof buf);
        if (e == PSC_OK && memchr(buf, '\0', sizeof buf) == NULL)
            abort();
        if (e != PSC_OK && e != PSC_ERR_NOT_FOUND && e != PSC_ERR_TOO_BIG)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    check_prop(text);

    psc_introspector *intro;
    psc_analyzer *an;
    if (psc_introspector_new(NULL, &intro) != PSC_OK)
        abort();
    if (psc_analyzer_new(intro, NULL, &an) != PSC_OK)
        abort();
    char err[256] = "";
    psc_err e = psc_analyzer_load_rules_string(an, text, size, "fuzz", err, sizeof err);
    size_t n = rule_count(an);
    if (e == PSC_OK) {
        char err2[256];
        psc_err again = psc_analyzer_load_rules_string(an, text, size, "fuzz", err2, sizeof err2);
        if ((n == 0 && again != PSC_OK) || (n > 0 && again != PSC_ERR_EXISTS) || rule_count(an) != n)
            abort();
        psc_msg *m;
        if (psc_introspector_snapshot(intro, &m) != PSC_OK)
            abort();
        psc_msg_unref(m);
        psc_analyzer_alerts(an, NULL, NULL);
    } else if (e == PSC_ERR_INVALID) {
        unsigned long line;
        char rest;
        if (n != 0 || sscanf(err, "fuzz:%lu%c", &line, &rest) != 2 || rest != ':' || line == 0)
            abort();
    } else if (e != PSC_ERR_NOMEM) {
        abort();
    }
    psc_analyzer_free(an);
    psc_introspector_free(intro);
    free(text);
    return 0;
}
