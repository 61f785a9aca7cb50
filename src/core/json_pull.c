/*
 * json_pull: see json_pull.h. Each rule below mirrors a rule of jansson 2.14's decoder
 * (load.c), because the verdict on any text must be jansson's: the API answered with
 * jansson's verdict before this tokenizer existed and clients rely on it.
 */
#include "core/json_pull.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KEYSET_LINEAR 8

static int fail(json_pull *jp)
{
    jp->failed = true;
    jp->p = jp->end;
    return -1;
}

void jp_init(json_pull *jp, const char *text, size_t len, arena *scratch)
{
    static const char empty[1] = "";
    if (!text) { /* no body: an empty text, refused as JSON */
        text = empty;
        len = 0;
    }
    *jp = (json_pull){.p = text, .end = text + len, .scratch = scratch};
}

static void skip_ws(json_pull *jp)
{
    while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r'))
        jp->p++;
}

jp_type jp_peek(json_pull *jp)
{
    skip_ws(jp);
    if (jp->failed || jp->p == jp->end || jp->depth + 1 > JSON_PULL_MAX_DEPTH)
        return JP_NONE;
    switch (*jp->p) {
    case '{': return JP_OBJECT;
    case '[': return JP_ARRAY;
    case '"': return JP_STRING;
    case 't': return JP_TRUE;
    case 'f': return JP_FALSE;
    case 'n': return JP_NULL;
    default: return (*jp->p == '-' || (*jp->p >= '0' && *jp->p <= '9')) ? JP_NUMBER : JP_NONE;
    }
}

/* ---- strings ----------------------------------------------------------------------- */

/* Length of the UTF-8 sequence at s (at most n bytes), or 0 when jansson would refuse it:
 * overlong forms, surrogates, code points past U+10FFFF, bad continuation bytes. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t v;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        v = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) || v > 0x10FFFF ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    return len;
}

static int hex4(const char *p, const char *end, uint32_t *out)
{
    if (end - p < 4)
        return -1;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static char *put_utf8(char *o, uint32_t v)
{
    if (v < 0x80) {
        *o++ = (char)v;
    } else if (v < 0x800) {
        *o++ = (char)(0xC0 | (v >> 6));
        *o++ = (char)(0x80 | (v & 0x3F));
    } else if (v < 0x10000) {
        *o++ = (char)(0xE0 | (v >> 12));
        *o++ = (char)(0x80 | ((v >> 6) & 0x3F));
        *o++ = (char)(0x80 | (v & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (v >> 18));
        *o++ = (char)(0x80 | ((v >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((v >> 6) & 0x3F));
        *o++ = (char)(0x80 | (v & 0x3F));
    }
    return o;
}

/* One escape after its backslash at *pp, written to *op. jansson: \u0000 is refused (no
 * JSON_ALLOW_NUL), a high surrogate needs a low one right after, a lone low one is bad. */
static int unescape_one(const char **pp, const char *end, char **op)
{
    const char *p = *pp;
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *k = memchr(from, *p, sizeof from - 1);
    if (k) {
        *(*op)++ = to[k - from];
        *pp = p + 1;
        return 0;
    }
    uint32_t v, lo;
    if (*p != 'u' || hex4(p + 1, end, &v) != 0 || v == 0 || (v >= 0xDC00 && v <= 0xDFFF))
        return -1;
    p += 5;
    if (v >= 0xD800 && v <= 0xDBFF) {
        if (end - p < 2 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, end, &lo) != 0 ||
            lo < 0xDC00 || lo > 0xDFFF)
            return -1;
        v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
        p += 6;
    }
    *op = put_utf8(*op, v);
    *pp = p;
    return 0;
}

/* The string whose opening quote is at jp->p; escapes are decoded into the scratch arena
 * (the decoded text is never longer than the escaped one). */
static int read_string(json_pull *jp, const char **s, size_t *len)
{
    const unsigned char *p = (const unsigned char *)jp->p + 1, *end = (const unsigned char *)jp->end;
    const unsigned char *start = p;
    bool escaped = false;
    for (;;) {
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        if (p == end || *p < 0x20)
            return fail(jp);
        if (*p == '"')
            break;
        if (*p == '\\') {
            if (end - p < 2)
                return fail(jp);
            escaped = true;
            p += 2; /* the escape is checked when decoded below */
            continue;
        }
        size_t n = utf8_seq(p, (size_t)(end - p));
        if (!n)
            return fail(jp);
        p += n;
    }
    jp->p = (const char *)p + 1;
    if (!escaped) {
        *s = (const char *)start;
        *len = (size_t)(p - start);
        return 0;
    }
    char *out = arena_alloc(jp->scratch, (size_t)(p - start) + 1), *o = out;
    const char *q = (const char *)start, *qend = (const char *)p;
    while (q < qend) {
        if (*q != '\\') {
            *o++ = *q++;
            continue;
        }
        q++;
        if (q >= qend || unescape_one(&q, qend, &o) != 0)
            return fail(jp);
    }
    *o = '\0';
    *s = out;
    *len = (size_t)(o - out);
    return 0;
}

int jp_string(json_pull *jp, const char **s, size_t *len)
{
    if (jp_peek(jp) != JP_STRING)
        return fail(jp);
    return read_string(jp, s, len);
}

/* ---- numbers and literals ---------------------------------------------------------- */

static const char *digits(const char *p, const char *end)
{
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return p;
}

/* jansson reads one byte past a number or a literal and puts it back; a NUL byte put back
 * is lost (its buffer takes NUL for "empty"), so "[0\0]" parses. Its verdict rules. */
static void swallow_lookahead_nul(json_pull *jp)
{
    if (jp->p < jp->end && *jp->p == '\0')
        jp->p++;
}

int jp_number(json_pull *jp, bool *is_real, json_int_t *i, double *d)
{
    if (jp_peek(jp) != JP_NUMBER)
        return fail(jp);
    const char *start = jp->p, *p = start, *end = jp->end;
    if (*p == '-')
        p++;
    if (p < end && *p == '0')
        p++;
    else if (p < end && *p >= '1' && *p <= '9')
        p = digits(p, end);
    else
        return fail(jp);
    *is_real = false;
    if (p < end && *p == '.') {
        const char *f = digits(p + 1, end);
        if (f == p + 1)
            return fail(jp);
        p = f;
        *is_real = true;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        const char *x = digits(p, end);
        if (x == p)
            return fail(jp);
        p = x;
        *is_real = true;
    }
    size_t n = (size_t)(p - start);
    char small[64];
    char *text = n < sizeof small ? small : arena_alloc(jp->scratch, n + 1);
    memcpy(text, start, n);
    text[n] = '\0';
    errno = 0;
    if (*is_real) {
        *d = strtod(text, NULL);
        if ((*d == HUGE_VAL || *d == -HUGE_VAL) && errno == ERANGE)
            return fail(jp);
    } else {
        *i = strtoll(text, NULL, 10);
        if (errno == ERANGE)
            return fail(jp);
    }
    jp->p = p;
    swallow_lookahead_nul(jp);
    return 0;
}

int jp_literal(json_pull *jp)
{
    static const char *const words[] = {[JP_TRUE] = "true", [JP_FALSE] = "false", [JP_NULL] = "null"};
    jp_type t = jp_peek(jp);
    if (t != JP_TRUE && t != JP_FALSE && t != JP_NULL)
        return fail(jp);
    size_t n = strlen(words[t]);
    if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, words[t], n) != 0)
        return fail(jp);
    jp->p += n;
    swallow_lookahead_nul(jp);
    return 0;
}

/* ---- containers -------------------------------------------------------------------- */

static size_t key_hash(const char *s, size_t len)
{
    size_t h = 1469598103934665603u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return h;
}

void keyset_reset(keyset *k)
{
    k->count = 0;
    if (k->slots)
        memset(k->slots, 0, k->nslots * sizeof *k->slots);
}

void keyset_free(keyset *k)
{
    free(k->keys);
    free(k->slots);
    *k = (keyset){0};
}

static bool same_key(const jp_key *a, const char *s, size_t len, size_t h)
{
    return a->hash == h && a->len == len && memcmp(a->s, s, len) == 0;
}

static void slots_insert(keyset *k, size_t idx)
{
    size_t m = k->nslots - 1, at = k->keys[idx].hash & m;
    while (k->slots[at])
        at = (at + 1) & m;
    k->slots[at] = idx + 1;
}

static void slots_rebuild(keyset *k)
{
    size_t want = 64;
    while (want < 2 * k->cap)
        want *= 2;
    free(k->slots);
    k->slots = calloc(want, sizeof *k->slots);
    if (!k->slots)
        abort();
    k->nslots = want;
    for (size_t i = 0; i < k->count; i++)
        slots_insert(k, i);
}

/* Add a key; false when it was already there. */
static bool keyset_add(keyset *k, const char *s, size_t len)
{
    size_t h = key_hash(s, len);
    if (k->count < KEYSET_LINEAR) {
        for (size_t i = 0; i < k->count; i++)
            if (same_key(&k->keys[i], s, len, h))
                return false;
    } else {
        if (!k->slots || k->nslots < 2 * (k->count + 1))
            slots_rebuild(k);
        size_t m = k->nslots - 1;
        for (size_t at = h & m; k->slots[at]; at = (at + 1) & m)
            if (same_key(&k->keys[k->slots[at] - 1], s, len, h))
                return false;
    }
    if (k->count == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 16;
        k->keys = realloc(k->keys, k->cap * sizeof *k->keys);
        if (!k->keys)
            abort();
    }
    k->keys[k->count] = (jp_key){s, len, h};
    if (k->count++ >= KEYSET_LINEAR)
        slots_insert(k, k->count - 1);
    return true;
}

static int open_container(json_pull *jp, jp_type t)
{
    if (jp_peek(jp) != t)
        return fail(jp);
    jp->p++;
    jp->depth++;
    jp->opened = true;
    return 0;
}

/* Before an element: ',' (another follows: 1) or the closing byte (0); the first element
 * of a container just opened needs no comma. */
static int next_element(json_pull *jp, char close)
{
    bool first = jp->opened;
    jp->opened = false;
    skip_ws(jp);
    if (jp->failed || jp->p == jp->end)
        return fail(jp);
    if (*jp->p == close) {
        jp->p++;
        jp->depth--;
        return 0;
    }
    if (first)
        return 1;
    if (*jp->p != ',')
        return fail(jp);
    jp->p++;
    return 1;
}

int jp_object_begin(json_pull *jp)
{
    return open_container(jp, JP_OBJECT);
}

int jp_array_begin(json_pull *jp)
{
    return open_container(jp, JP_ARRAY);
}

int jp_array_next(json_pull *jp)
{
    return next_element(jp, ']');
}

int jp_object_key(json_pull *jp, keyset *seen, const char **key, size_t *len)
{
    int r = next_element(jp, '}');
    if (r != 1)
        return r;
    skip_ws(jp);
    if (jp->p == jp->end || *jp->p != '"' || read_string(jp, key, len) != 0)
        return fail(jp);
    skip_ws(jp);
    if (jp->p == jp->end || *jp->p != ':' || !keyset_add(seen, *key, *len))
        return fail(jp);
    jp->p++;
    return 1;
}

static int skip_object(json_pull *jp)
{
    keyset seen = {0};
    const char *k;
    size_t n;
    int r = jp_object_begin(jp);
    while (r == 0 && (r = jp_object_key(jp, &seen, &k, &n)) == 1)
        r = jp_skip(jp);
    keyset_free(&seen);
    return r;
}

static int skip_array(json_pull *jp)
{
    int r = jp_array_begin(jp);
    while (r == 0 && (r = jp_array_next(jp)) == 1)
        r = jp_skip(jp);
    return r;
}

int jp_skip(json_pull *jp)
{
    const char *s;
    size_t n;
    bool real;
    json_int_t i;
    double d;
    switch (jp_peek(jp)) {
    case JP_OBJECT: return skip_object(jp);
    case JP_ARRAY: return skip_array(jp);
    case JP_STRING: return jp_string(jp, &s, &n);
    case JP_NUMBER: return jp_number(jp, &real, &i, &d);
    case JP_TRUE:
    case JP_FALSE:
    case JP_NULL: return jp_literal(jp);
    case JP_NONE: break;
    }
    return fail(jp);
}

/* Containers are rare where a tree is wanted (a custom field value of the wrong type):
 * they are checked here and handed to jansson whole. */
static json_t *container_value(json_pull *jp)
{
    skip_ws(jp);
    const char *start = jp->p;
    if (jp_skip(jp) != 0)
        return NULL;
    json_t *v =
        json_loadb(start, (size_t)(jp->p - start), JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
    if (!v)
        fail(jp);
    return v;
}

json_t *jp_value(json_pull *jp)
{
    const char *s;
    size_t n;
    bool real;
    json_int_t i;
    double d;
    jp_type t = jp_peek(jp);
    switch (t) {
    case JP_OBJECT:
    case JP_ARRAY: return container_value(jp);
    case JP_STRING: return jp_string(jp, &s, &n) == 0 ? json_stringn_nocheck(s, n) : NULL;
    case JP_NUMBER:
        if (jp_number(jp, &real, &i, &d) != 0)
            return NULL;
        return real ? json_real(d) : json_integer(i);
    case JP_TRUE:
    case JP_FALSE:
    case JP_NULL:
        if (jp_literal(jp) != 0)
            return NULL;
        return t == JP_TRUE ? json_true() : t == JP_FALSE ? json_false() : json_null();
    case JP_NONE: break;
    }
    fail(jp);
    return NULL;
}

int jp_finish(json_pull *jp)
{
    skip_ws(jp);
    return (!jp->failed && jp->p == jp->end) ? 0 : -1;
}
