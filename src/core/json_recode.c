/*
 * json_recode: see json_recode.h. A recursive-descent parser that follows jansson's
 * lexer and parser rule by rule (jansson 2.14, json_loads with no flags) and prints each
 * value as it goes; tests/unit/test_json_writer.c and fuzz/fuzz_json_writer.c hold it to
 * jansson's verdicts and bytes.
 */
#include "core/json_recode.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

#define RECODE_MAX_DEPTH 2048 /* jansson's JSON_PARSER_MAX_DEPTH */

typedef struct recoder {
    const char *p, *end;
    json_writer *w;
    /* The keys of the objects being parsed, for the duplicate check: records of a size_t
     * length and the key's printed bytes, each object's after its parent's. Also scratch
     * space for a number's digits. */
    json_writer *scratch;
    int depth;
    int status;
} recoder;

static bool fail(recoder *r, int status)
{
    if (r->status == RECODE_OK)
        r->status = status;
    return false;
}

static void skip_ws(recoder *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static bool at(const recoder *r, char c)
{
    return r->p < r->end && *r->p == c;
}

static bool is_digit(const recoder *r)
{
    return r->p < r->end && *r->p >= '0' && *r->p <= '9';
}

static bool hex4(recoder *r, int32_t *out)
{
    int32_t v = 0;
    for (int i = 0; i < 4; i++, r->p++) {
        if (r->p >= r->end)
            return false;
        char c = *r->p;
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return false;
        v = v * 16 + d;
    }
    *out = v;
    return true;
}

/* After "\u": one code point, a surrogate pair taken whole; 0 on an error. */
static int32_t unicode_escape(recoder *r)
{
    int32_t cp, low;
    if (!hex4(r, &cp))
        return 0;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return 0;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u')
            return 0;
        r->p += 2;
        if (!hex4(r, &low) || low < 0xDC00 || low > 0xDFFF)
            return 0;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    return cp; /* 0 for \u0000, refused as jansson does without JSON_ALLOW_NUL */
}

static int32_t simple_escape(char c)
{
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return 0;
    }
}

/* At '"': the string, printed. Unescaped runs are copied as they are. */
static bool string(recoder *r)
{
    json_writer_char(r->w, '"');
    const char *run = ++r->p;
    for (;;) {
        if (r->p >= r->end)
            return fail(r, RECODE_INVALID);
        unsigned char c = (unsigned char)*r->p;
        if (c == '"' || c == '\\') {
            json_writer_raw(r->w, run, (size_t)(r->p - run));
            r->p++;
            if (c == '"') {
                json_writer_char(r->w, '"');
                return true;
            }
            if (r->p >= r->end)
                return fail(r, RECODE_INVALID);
            char e = *r->p++;
            int32_t cp = e == 'u' ? unicode_escape(r) : simple_escape(e);
            if (cp == 0)
                return fail(r, RECODE_INVALID);
            json_writer_code_point(r->w, cp);
            run = r->p;
        } else if (c < 0x20) {
            return fail(r, RECODE_INVALID);
        } else if (c < 0x80) {
            r->p++;
        } else {
            int32_t cp;
            size_t len = utf8_decode(r->p, (size_t)(r->end - r->p), &cp);
            if (len == 0)
                return fail(r, RECODE_INVALID);
            r->p += len;
        }
    }
}

static void digits(recoder *r)
{
    while (is_digit(r))
        r->p++;
}

/* At '-' or a digit: an integer (int64) or a real (double), printed as jansson prints. */
static bool number(recoder *r)
{
    const char *start = r->p;
    bool real = false;
    if (at(r, '-'))
        r->p++;
    if (at(r, '0'))
        r->p++;
    else if (is_digit(r))
        digits(r);
    else
        return fail(r, RECODE_INVALID);
    if (at(r, '.')) {
        r->p++;
        if (!is_digit(r))
            return fail(r, RECODE_INVALID);
        digits(r);
        real = true;
    }
    if (at(r, 'e') || at(r, 'E')) {
        r->p++;
        if (at(r, '+') || at(r, '-'))
            r->p++;
        if (!is_digit(r))
            return fail(r, RECODE_INVALID);
        digits(r);
        real = true;
    }
    /* strtoll/strtod need a terminated copy: text need not be terminated after n. */
    size_t mark = r->scratch->len;
    json_writer_raw(r->scratch, start, (size_t)(r->p - start));
    const char *token = r->scratch->buf + mark;
    errno = 0;
    bool ok = true;
    if (real) {
        double v = strtod(token, NULL);
        ok = !(errno == ERANGE && isinf(v));
        if (ok)
            json_writer_real(r->w, v);
    } else {
        long long v = strtoll(token, NULL, 10);
        ok = errno != ERANGE;
        if (ok)
            json_writer_int(r->w, v);
    }
    json_writer_truncate(r->scratch, mark);
    return ok || fail(r, RECODE_INVALID);
}

static bool literal(recoder *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return fail(r, RECODE_INVALID);
    r->p += n;
    /* jansson reads a whole run of letters as one word: "truex" is no "true" */
    if (r->p < r->end && ((*r->p >= 'a' && *r->p <= 'z') || (*r->p >= 'A' && *r->p <= 'Z')))
        return fail(r, RECODE_INVALID);
    json_writer_raw(r->w, word, n);
    return true;
}

static bool value(recoder *r);

/* The key just printed at w->buf[from..): false (RECODE_DUPLICATE) when this object
 * (whose records start at keys_from in scratch) had it already; else it is recorded. */
static bool key_is_new(recoder *r, size_t keys_from, size_t from)
{
    const char *key = r->w->buf + from;
    size_t n = r->w->len - from;
    json_writer *s = r->scratch;
    for (size_t i = keys_from; i < s->len;) {
        size_t len;
        memcpy(&len, s->buf + i, sizeof len);
        if (len == n && memcmp(s->buf + i + sizeof len, key, n) == 0)
            return fail(r, RECODE_DUPLICATE);
        i += sizeof len + len + 1;
    }
    json_writer_raw(s, (const char *)&n, sizeof n);
    json_writer_raw(s, key, n);
    json_writer_char(s, '\0');
    return true;
}

/* One member's key, printed and checked; then the ':'. */
static bool member_key(recoder *r, size_t keys_from)
{
    skip_ws(r);
    size_t from = r->w->len;
    if (!at(r, '"'))
        return fail(r, RECODE_INVALID);
    if (!string(r) || !key_is_new(r, keys_from, from))
        return false;
    skip_ws(r);
    if (!at(r, ':'))
        return fail(r, RECODE_INVALID);
    r->p++;
    return true;
}

/* At '{' or '[': the members or elements up to the closing bracket. */
static bool container(recoder *r, char close)
{
    size_t keys_from = r->scratch->len;
    json_writer_char(r->w, *r->p++);
    skip_ws(r);
    bool ok = true;
    if (at(r, close)) {
        r->p++;
    } else {
        for (;;) {
            if (close == '}' && !member_key(r, keys_from)) {
                ok = false;
                break;
            }
            if (close == '}')
                json_writer_char(r->w, ':');
            if (!value(r)) {
                ok = false;
                break;
            }
            skip_ws(r);
            if (at(r, ',')) {
                r->p++;
                json_writer_char(r->w, ',');
                continue;
            }
            if (!at(r, close))
                ok = fail(r, RECODE_INVALID);
            else
                r->p++;
            break;
        }
    }
    json_writer_truncate(r->scratch, keys_from);
    if (ok)
        json_writer_char(r->w, close);
    return ok;
}

static bool value(recoder *r)
{
    skip_ws(r);
    if (r->p >= r->end || ++r->depth > RECODE_MAX_DEPTH)
        return fail(r, RECODE_INVALID);
    bool ok;
    switch (*r->p) {
    case '{': ok = container(r, '}'); break;
    case '[': ok = container(r, ']'); break;
    case '"': ok = string(r); break;
    case 't': ok = literal(r, "true"); break;
    case 'f': ok = literal(r, "false"); break;
    case 'n': ok = literal(r, "null"); break;
    default: ok = number(r); break;
    }
    r->depth--;
    return ok;
}

static void recoder_init(recoder *r, json_writer *w, const char *text, size_t n)
{
    *r = (recoder){.p = text, .end = text + n, .w = w, .scratch = json_writer_thread_scratch()};
    skip_ws(r);
}

/* After the top value: only whitespace may follow. */
static bool at_end(recoder *r)
{
    skip_ws(r);
    return r->p == r->end || fail(r, RECODE_INVALID);
}

/* What jansson itself prints for text (the duplicate-key case). */
static bool recode_by_jansson(json_writer *w, const char *text, size_t n)
{
    json_t *v = json_loadb(text, n, 0, NULL);
    char *out = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (!out)
        return false;
    json_writer_cstr_raw(w, out);
    free(out);
    return true;
}

bool json_recode(json_writer *w, const char *text, size_t n)
{
    size_t mark = w->len;
    recoder r;
    recoder_init(&r, w, text, n);
    if ((at(&r, '{') || at(&r, '[')) && value(&r) && at_end(&r))
        return true;
    json_writer_truncate(w, mark);
    return r.status == RECODE_DUPLICATE && recode_by_jansson(w, text, n);
}

/* One member under its new name (or validated and dropped); *first: none written yet. */
static bool renamed_member(recoder *r, json_rename_fn rename, void *ctx, bool *first)
{
    json_writer *w = r->w;
    size_t from = w->len;
    if (!member_key(r, 0))
        return false;
    w->buf[w->len - 1] = '\0'; /* the closing quote: the key, unquoted, for rename */
    const char *name = rename(ctx, w->buf + from + 1);
    json_writer_truncate(w, from);
    if (name) {
        if (!*first)
            json_writer_char(w, ',');
        if (!json_writer_key(w, name)) { /* as jansson's json_object_set: left out */
            json_writer_truncate(w, from);
            name = NULL;
        }
    }
    size_t at_value = w->len;
    if (!value(r))
        return false;
    if (!name)
        json_writer_truncate(w, at_value);
    else
        *first = false;
    return true;
}

int json_recode_members(json_writer *w, const char *text, size_t n, json_rename_fn rename, void *ctx)
{
    size_t mark = w->len;
    recoder r;
    recoder_init(&r, w, text, n);
    bool ok = at(&r, '{');
    if (ok) {
        r.p++;
        r.depth = 1;
        json_writer_char(w, '{');
        skip_ws(&r);
        bool first = true;
        bool more = !at(&r, '}');
        while (ok && more) {
            ok = renamed_member(&r, rename, ctx, &first);
            skip_ws(&r);
            more = ok && at(&r, ',');
            r.p += more;
        }
        ok = ok && (at(&r, '}') || fail(&r, RECODE_INVALID));
        r.p += ok;
        ok = ok && at_end(&r);
    }
    if (ok) {
        json_writer_char(w, '}');
        return RECODE_OK;
    }
    json_writer_truncate(w, mark);
    return r.status == RECODE_DUPLICATE ? RECODE_DUPLICATE : RECODE_INVALID;
}
