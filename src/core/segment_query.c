/*
 * segment_query: splits a Segments 2.0 query_dsl into its SELECT wrapper and its SGQL
 * condition (see segment_query.h). A hand-written scanner: the wrapper is a fixed shape,
 * so a grammar would be more code than the shape itself. Where text may hold strings (the
 * select list, the condition), words are found by SGQL's lexer (sgql_next_word).
 */
#include "core/segment_query.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/sgql.h"

typedef struct scan {
    const char *s;
    size_t i, n;
    char *err;
    size_t err_size;
} scan;

static int fail(scan *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(scan *sc, const char *fmt, ...)
{
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (sc->err && sc->err_size)
        snprintf(sc->err, sc->err_size, "syntax error at position %zu: %s", sc->i + 1, what);
    return -1;
}

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static void skip_ws(scan *sc)
{
    while (sc->i < sc->n && isspace((unsigned char)sc->s[sc->i]))
        sc->i++;
}

/* The length of the identifier at i (0 when none). */
static size_t ident_len(const scan *sc, size_t i)
{
    size_t j = i;
    while (j < sc->n && ident_char(sc->s[j]))
        j++;
    return j - i;
}

static bool word_is(const scan *sc, size_t i, size_t len, const char *w)
{
    return len == strlen(w) && strncasecmp(sc->s + i, w, len) == 0;
}

/* Consume keyword w (whole word, any case) after whitespace. */
static bool accept_word(scan *sc, const char *w)
{
    skip_ws(sc);
    size_t len = ident_len(sc, sc->i);
    if (!word_is(sc, sc->i, len, w))
        return false;
    sc->i += len;
    return true;
}

/* [alias.]name, the alias not checked (the FROM clause comes later). */
static int expect_column(scan *sc, const char *name)
{
    skip_ws(sc);
    size_t len = ident_len(sc, sc->i);
    if (len && sc->i + len < sc->n && sc->s[sc->i + len] == '.') {
        sc->i += len + 1;
        len = ident_len(sc, sc->i);
    }
    if (!word_is(sc, sc->i, len, name))
        return fail(sc, "expected the column %s (a segment selects contact_id, updated_at)", name);
    sc->i += len;
    return 0;
}

/* Blank "alias." and "contact_data." before names; note clock words. Words are found by
 * SGQL's own lexer, so strings and `quoted names` are skipped exactly as the compiler
 * skips them. */
static void rewrite_condition(char *c, size_t from, size_t n, const char *alias, size_t alias_len,
                              bool *clock)
{
    static const char *const clock_words[] = {"now", "current_date", "current_timestamp",
                                              "interval"};
    size_t at = from, i, j;
    while (sgql_next_word(c, n, &at, &i, &j)) {
        size_t len = j - i;
        bool qualifier = j + 1 < n && c[j] == '.' && ident_char(c[j + 1]) &&
                         ((alias_len && len == alias_len && strncasecmp(c + i, alias, len) == 0) ||
                          (len == 12 && strncasecmp(c + i, "contact_data", 12) == 0));
        if (qualifier) {
            memset(c + i, ' ', len + 1);
            continue;
        }
        for (size_t k = 0; k < sizeof clock_words / sizeof clock_words[0]; k++)
            if (len == strlen(clock_words[k]) && strncasecmp(c + i, clock_words[k], len) == 0)
                *clock = true;
    }
}

static const char *const not_alias[] = {"where", "join", "inner", "left", "right", "on", NULL};

static bool is_keyword(const scan *sc, size_t i, size_t len)
{
    for (size_t k = 0; not_alias[k]; k++)
        if (word_is(sc, i, len, not_alias[k]))
            return true;
    return false;
}

int segment_query_parse(const char *text, segment_query *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    scan sc = {.s = text, .i = 0, .n = strlen(text), .err = err, .err_size = err_size};
    if (sc.n > SEGMENT_QUERY_MAX)
        return fail(&sc, "the query is longer than %u bytes", SEGMENT_QUERY_MAX);
    if (!accept_word(&sc, "select"))
        return fail(&sc, "expected SELECT"); /* not SQL (check-layers): query_dsl syntax */
    /* Engagement queries may select more (MAX(...) AS ...): find FROM first. */
    size_t select_at = sc.i;
    size_t from_at = sc.n;
    for (size_t at = sc.i, w, wend; sgql_next_word(sc.s, sc.n, &at, &w, &wend);) {
        if (word_is(&sc, w, wend - w, "from")) {
            from_at = w;
            break;
        }
    }
    if (from_at == sc.n)
        return fail(&sc, "expected FROM contact_data");
    sc.i = from_at + 4;
    skip_ws(&sc);
    size_t tlen = ident_len(&sc, sc.i);
    bool events = word_is(&sc, sc.i, tlen, "event_data");
    if (!events && !word_is(&sc, sc.i, tlen, "contact_data"))
        return fail(&sc, "unknown table (expected contact_data or event_data)");
    sc.i += tlen;
    if (events) {
        out->engagement = true;
        return 0;
    }
    size_t after_table = sc.i;
    sc.i = select_at;
    if (expect_column(&sc, "contact_id") != 0)
        return -1;
    skip_ws(&sc);
    if (sc.i >= sc.n || sc.s[sc.i] != ',')
        return fail(&sc, "expected ','");
    sc.i++;
    if (expect_column(&sc, "updated_at") != 0)
        return -1;
    skip_ws(&sc);
    if (sc.i != from_at)
        return fail(&sc, "expected FROM (a segment selects only contact_id, updated_at)");
    sc.i = after_table;
    /* [AS] alias */
    const char *alias = NULL;
    size_t alias_len = 0;
    bool as = accept_word(&sc, "as");
    skip_ws(&sc);
    size_t alen = ident_len(&sc, sc.i);
    if (alen && !is_keyword(&sc, sc.i, alen)) {
        alias = sc.s + sc.i;
        alias_len = alen;
        sc.i += alen;
    } else if (as) {
        return fail(&sc, "expected an alias after AS");
    }
    skip_ws(&sc);
    size_t klen = ident_len(&sc, sc.i);
    if (klen && is_keyword(&sc, sc.i, klen) && !word_is(&sc, sc.i, klen, "where")) {
        out->engagement = true; /* a JOIN with event_data */
        return 0;
    }
    size_t end = sc.n;
    while (end > sc.i && (isspace((unsigned char)sc.s[end - 1]) || sc.s[end - 1] == ';'))
        end--;
    if (sc.i == end)
        return 0; /* no WHERE: every contact */
    if (!accept_word(&sc, "where"))
        return fail(&sc, "expected WHERE or the end of the query");
    skip_ws(&sc);
    if (sc.i >= end)
        return fail(&sc, "expected a condition after WHERE");
    char *c = malloc(end + 1);
    if (!c)
        abort();
    memset(c, ' ', sc.i);
    memcpy(c + sc.i, sc.s + sc.i, end - sc.i);
    c[end] = '\0';
    rewrite_condition(c, sc.i, end, alias, alias_len, &out->clock);
    out->condition = c;
    return 0;
}

void segment_query_free(segment_query *q)
{
    free(q->condition);
    q->condition = NULL;
}
