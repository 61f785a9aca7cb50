/*
 * sgql_match: a compiled query against one contact, in SQL's three-valued logic. The
 * contact's JSON columns are parsed lazily, at most once per match, in a context on the
 * caller's stack, so the query is never written and may be matched from several threads.
 * lower()/upper() do not copy: a string value carries the case mapping to apply, and
 * comparisons map code points as they go.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/sgql_internal.h"
#include "core/timeutil.h"
#include "core/utf8.h"

/* Lower case for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic: the scripts of
 * nearly every contact name. Only 1:1 pairs, so cp_upper is its exact inverse. */
static int32_t cp_lower(int32_t c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return c + 32;
    if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
        return c | 1;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
        return c & 1 ? c + 1 : c;
    if (c == 0x178)
        return 0xFF;
    if ((c >= 0x391 && c <= 0x3A1) || (c >= 0x3A3 && c <= 0x3AB))
        return c + 32;
    if (c == 0x386)
        return 0x3AC;
    if (c >= 0x388 && c <= 0x38A)
        return c + 37;
    if (c == 0x38C)
        return 0x3CC;
    if (c == 0x38E || c == 0x38F)
        return c + 63;
    if (c >= 0x410 && c <= 0x42F)
        return c + 32;
    if (c >= 0x400 && c <= 0x40F)
        return c + 80;
    return c;
}

static int32_t cp_upper(int32_t c)
{
    if (c < 0x80)
        return c >= 'a' && c <= 'z' ? c - 32 : c;
    if (c >= 0xE0 && c <= 0xFE && c != 0xF7)
        return c - 32;
    if (c == 0xFF)
        return 0x178;
    if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
        return c & ~1;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
        return c & 1 ? c : c - 1;
    if ((c >= 0x3B1 && c <= 0x3C1) || (c >= 0x3C3 && c <= 0x3CB))
        return c - 32;
    if (c == 0x3AC)
        return 0x386;
    if (c >= 0x3AD && c <= 0x3AF)
        return c - 37;
    if (c == 0x3CC)
        return 0x38C;
    if (c == 0x3CD || c == 0x3CE)
        return c - 63;
    if (c >= 0x430 && c <= 0x44F)
        return c - 32;
    if (c >= 0x450 && c <= 0x45F)
        return c - 80;
    return c;
}

static int32_t cp_fold(int32_t c, int fold)
{
    return fold == FOLD_LOWER ? cp_lower(c) : fold == FOLD_UPPER ? cp_upper(c) : c;
}

/* ---- matching ---------------------------------------------------------------------- */

enum { F = 0, T = 1, U = 2 }; /* false, true, unknown */

/* One contact being matched: its JSON columns, parsed on first use. */
typedef struct ctx {
    const sgql_query *q;
    const contact *c;
    json_t *custom, *lists, *alts;
    bool custom_read, lists_read, alts_read;
    arena mem; /* joined strings (N_CONCAT), released when the match ends */
} ctx;

static json_t *ctx_json(const char *text, json_t **slot, bool *read)
{
    if (!*read) {
        *read = true;
        *slot = text ? json_loads(text, 0, NULL) : NULL;
    }
    return *slot;
}

typedef struct val {
    int kind; /* K_NULL when unset */
    int fold;
    const char *s;
    size_t n;
    double num;
    int64_t t;
} val;

static val eval_value(ctx *x, int i);
static val eval_arith(ctx *x, const node *n);
static val eval_concat(ctx *x, const node *n);

static val eval_field(ctx *x, const node *n)
{
    val v = {.kind = K_NULL};
    const contact *c = x->c;
    switch ((source)n->sub) {
    case S_RESERVED: {
        /* An empty reserved field is unset: the API shows unset fields as "" and "" clears. */
        const char *s = c->field[n->index];
        if (s && s[0]) {
            v.kind = K_STR;
            v.s = s;
            v.n = strlen(s);
        }
        return v;
    }
    case S_ID:
        if (c->id[0]) {
            v.kind = K_STR;
            v.s = c->id;
            v.n = strnlen(c->id, sizeof c->id);
        }
        return v;
    case S_CREATED:
    case S_UPDATED:
        v.kind = K_TIME;
        v.t = n->sub == S_CREATED ? c->created_at : c->updated_at;
        return v;
    case S_CUSTOM: {
        json_t *obj = ctx_json(c->custom_fields, &x->custom, &x->custom_read);
        json_t *j = json_is_object(obj) ? json_object_get(obj, n->s) : NULL;
        if (n->kind == K_STR && json_is_string(j)) {
            v.kind = K_STR;
            v.s = json_string_value(j);
            v.n = json_string_length(j);
        } else if (n->kind == K_NUM && json_is_number(j)) {
            v.kind = K_NUM;
            v.num = json_number_value(j);
        } else if (n->kind == K_NUM && json_is_string(j)) {
            if (sgql_parse_number(json_string_value(j), json_string_length(j), &v.num))
                v.kind = K_NUM;
        } else if (n->kind == K_TIME && json_is_string(j)) {
            if (time_parse(json_string_value(j), json_string_length(j), &v.t))
                v.kind = K_TIME;
        }
        return v;
    }
    case S_NONE:
    case S_LISTS:
    case S_ALTS:
    case S_DOMAINS: break;
    }
    return v;
}

static val eval_arith(ctx *x, const node *n)
{
    val v = {.kind = K_NULL};
    val a = eval_value(x, n->a);
    if (a.kind != K_NUM)
        return v;
    if (n->sub == 'n') {
        a.num = -a.num;
        return a;
    }
    val b = eval_value(x, n->b);
    if (b.kind != K_NUM || ((n->sub == '/' || n->sub == '%') && b.num == 0))
        return v; /* unknown, as SQL's NULL: also for a division by zero */
    a.num = sgql_arith_apply((char)n->sub, a.num, b.num);
    return a;
}

/* The UTF-8 of code point cp (utf8_next's stand-ins for bad bytes back to the byte). */
static size_t utf8_put(int32_t cp, char *out)
{
    if (cp >= 0x110000) {
        out[0] = (char)(cp - 0x110000);
        return 1;
    }
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Append s under its case mapping to out (which has room: a mapping keeps the length of
 * every character it changes in UTF-8, so 4 bytes of slack cover the rest). */
static size_t put_folded(const val *s, char *out)
{
    if (s->fold == FOLD_NONE) {
        memcpy(out, s->s, s->n);
        return s->n;
    }
    size_t o = 0, i = 0;
    while (i < s->n)
        o += utf8_put(cp_fold(utf8_next(s->s, s->n, &i), s->fold), out + o);
    return o;
}

/* The joined text lives in the match's arena (x->mem), released when the match ends. */
static val eval_concat(ctx *x, const node *n)
{
    val v = {.kind = K_NULL};
    val a = eval_value(x, n->a), b = eval_value(x, n->b);
    if (a.kind != K_STR || b.kind != K_STR)
        return v;
    char *out = arena_alloc(&x->mem, a.n + b.n + 8);
    size_t len = put_folded(&a, out);
    len += put_folded(&b, out + len);
    v.kind = K_STR;
    v.s = out;
    v.n = len;
    return v;
}

static val eval_value(ctx *x, int i)
{
    const node *n = &x->q->nodes[i];
    val v = {.kind = K_NULL};
    switch ((node_op)n->op) {
    case N_LIT:
        v.kind = n->kind;
        v.s = n->s;
        v.n = n->n;
        v.num = n->num;
        v.t = n->t;
        return v;
    case N_FIELD: return eval_field(x, n);
    case N_FOLD:
        v = eval_value(x, n->a);
        v.fold = n->sub;
        return v;
    case N_INTERVAL:
        v = eval_value(x, n->a);
        if (v.kind == K_TIME && !time_add(v.t, n->months, n->t, &v.t))
            v.kind = K_NULL;
        return v;
    case N_ARITH: return eval_arith(x, n);
    case N_CONCAT: return eval_concat(x, n);
    case N_LENGTH: {
        val s = eval_value(x, n->a);
        if (s.kind == K_STR) {
            size_t at = 0, count = 0;
            while (at < s.n) {
                (void)utf8_next(s.s, s.n, &at);
                count++;
            }
            v.kind = K_NUM;
            v.num = (double)count;
        }
        return v;
    }
    default: return v;
    }
}

/* Compare two strings code point by code point, each under its case mapping. */
static int str_cmp(const val *a, const val *b)
{
    if (a->fold == FOLD_NONE && b->fold == FOLD_NONE) {
        /* Byte order is code point order for UTF-8. */
        size_t n = a->n < b->n ? a->n : b->n;
        int r = n ? memcmp(a->s, b->s, n) : 0;
        if (r)
            return r < 0 ? -1 : 1;
        return a->n < b->n ? -1 : a->n > b->n;
    }
    size_t i = 0, j = 0;
    while (i < a->n && j < b->n) {
        int32_t ca = cp_fold(utf8_next(a->s, a->n, &i), a->fold);
        int32_t cb = cp_fold(utf8_next(b->s, b->n, &j), b->fold);
        if (ca != cb)
            return ca < cb ? -1 : 1;
    }
    return i < a->n ? 1 : j < b->n ? -1 : 0;
}

/* -1, 0, 1, or 2 when either side is unset. Compile time made both sides one type. */
static int val_cmp(const val *a, const val *b)
{
    if (a->kind == K_NULL || b->kind == K_NULL || a->kind != b->kind)
        return 2;
    switch (a->kind) {
    case K_STR: return str_cmp(a, b);
    case K_NUM: return a->num < b->num ? -1 : a->num > b->num;
    case K_TIME: return a->t < b->t ? -1 : a->t > b->t;
    case K_BOOL: return a->num < b->num ? -1 : a->num > b->num;
    default: return 2;
    }
}

static int cmp_result(int r, int op)
{
    if (r == 2)
        return U;
    switch (op) {
    case CMP_EQ: return r == 0;
    case CMP_NE: return r != 0;
    case CMP_LT: return r < 0;
    case CMP_LE: return r <= 0;
    case CMP_GT: return r > 0;
    case CMP_GE: return r >= 0;
    }
    return U;
}

/* LIKE by the classic wildcard walk: on a mismatch, go back to just after the last '%'
 * and let it swallow one more character. No recursion; O(len * pattern) at worst. */
static bool like_match(const val *v, const int32_t *pat, size_t m)
{
    size_t si = 0, pi = 0, star_s = 0;
    size_t star_p = (size_t)-1;
    while (si < v->n) {
        if (pi < m && pat[pi] == PAT_ANY_SEQ) {
            star_p = ++pi;
            star_s = si;
            continue;
        }
        if (pi < m) {
            size_t next = si;
            int32_t cp = cp_fold(utf8_next(v->s, v->n, &next), v->fold);
            if (pat[pi] == PAT_ANY_ONE || pat[pi] == cp) {
                si = next;
                pi++;
                continue;
            }
        }
        if (star_p == (size_t)-1)
            return false;
        (void)utf8_next(v->s, v->n, &star_s);
        si = star_s;
        pi = star_p;
    }
    while (pi < m && pat[pi] == PAT_ANY_SEQ)
        pi++;
    return pi == m;
}

static const char *email_domain(const char *email, size_t n, size_t *len)
{
    const char *at = NULL;
    for (size_t i = 0; i < n; i++)
        if (email[i] == '@')
            at = email + i;
    if (!at)
        return NULL;
    *len = n - (size_t)(at + 1 - email);
    return at + 1;
}

static bool json_array_has(json_t *arr, const char *s, size_t n, bool domains)
{
    size_t i;
    json_t *e;
    json_array_foreach (arr, i, e) {
        if (!json_is_string(e))
            continue;
        const char *es = json_string_value(e);
        size_t en = json_string_length(e);
        if (domains && !(es = email_domain(es, en, &en)))
            continue;
        if (en == n && (domains ? strncasecmp(es, s, n) == 0 : memcmp(es, s, n) == 0))
            return true;
    }
    return false;
}

static json_t *array_of(ctx *x, int src)
{
    if (src == S_LISTS)
        return ctx_json(x->c->list_ids, &x->lists, &x->lists_read);
    return ctx_json(x->c->alternate_emails, &x->alts, &x->alts_read);
}

/* CONTAINS: an exact element of list_ids or alternate_emails; for email_domains, the part
 * after the last '@' of the email or an alternate email, ignoring ASCII case as domains do. */
static int eval_contains(ctx *x, const node *f, const node *lit)
{
    if (lit->kind == K_NULL)
        return U;
    if (f->sub == S_DOMAINS) {
        const char *email = x->c->field[CF_EMAIL];
        size_t dn;
        const char *d = email ? email_domain(email, strlen(email), &dn) : NULL;
        if (d && dn == lit->n && strncasecmp(d, lit->s, dn) == 0)
            return T;
    }
    json_t *arr = array_of(x, f->sub);
    return json_is_array(arr) && json_array_has(arr, lit->s, lit->n, f->sub == S_DOMAINS);
}

static bool array_empty(ctx *x, const node *f)
{
    if (f->sub == S_DOMAINS) {
        const char *email = x->c->field[CF_EMAIL];
        size_t dn;
        if (email && email_domain(email, strlen(email), &dn))
            return false;
    }
    json_t *arr = array_of(x, f->sub == S_DOMAINS ? S_ALTS : f->sub);
    if (!json_is_array(arr))
        return true;
    if (f->sub != S_DOMAINS)
        return json_array_size(arr) == 0;
    size_t i, dn;
    json_t *e;
    json_array_foreach (arr, i, e) {
        if (json_is_string(e) && email_domain(json_string_value(e), json_string_length(e), &dn))
            return false;
    }
    return true;
}

static int negate(int r, bool neg)
{
    return !neg || r == U ? r : !r;
}

static int eval_cond(ctx *x, int i)
{
    const node *n = &x->q->nodes[i];
    switch ((node_op)n->op) {
    case N_AND:
    case N_OR: {
        /* Kleene logic: AND is false as soon as one is false, OR true as soon as one is true. */
        int stop = n->op == N_AND ? F : T, result = n->op == N_AND ? T : F;
        for (int k = n->a; k >= 0; k = x->q->nodes[k].next) {
            int r = eval_cond(x, k);
            if (r == stop)
                return stop;
            if (r == U)
                result = U;
        }
        return result;
    }
    case N_NOT: return negate(eval_cond(x, n->a), true);
    case N_CMP: {
        val a = eval_value(x, n->a), b = eval_value(x, n->b);
        return cmp_result(val_cmp(&a, &b), n->sub);
    }
    case N_LIKE: {
        val a = eval_value(x, n->a);
        if (a.kind != K_STR)
            return U;
        return negate(like_match(&a, n->pat, n->patn), n->neg);
    }
    case N_IN: {
        val a = eval_value(x, n->a);
        int result = a.kind == K_NULL ? U : F;
        for (int k = n->b; k >= 0 && result != T; k = x->q->nodes[k].next) {
            val b = eval_value(x, k);
            int r = cmp_result(val_cmp(&a, &b), CMP_EQ);
            if (r == T || r == U)
                result = r == T ? T : U;
        }
        return negate(result, n->neg);
    }
    case N_ISNULL: {
        const node *f = &x->q->nodes[n->a];
        bool null;
        if (f->kind == K_ARRAY)
            null = array_empty(x, f);
        else
            null = eval_value(x, n->a).kind == K_NULL;
        return null != n->neg;
    }
    case N_BETWEEN: {
        val a = eval_value(x, n->a), lo = eval_value(x, n->b), hi = eval_value(x, n->c);
        int r1 = cmp_result(val_cmp(&a, &lo), CMP_GE), r2 = cmp_result(val_cmp(&a, &hi), CMP_LE);
        int r = r1 == F || r2 == F ? F : r1 == U || r2 == U ? U : T;
        return negate(r, n->neg);
    }
    case N_CONTAINS: return eval_contains(x, &x->q->nodes[n->a], &x->q->nodes[n->b]);
    case N_LIT: /* a bare TRUE or FALSE */ return n->kind == K_BOOL ? (n->num ? T : F) : U;
    default: return U;
    }
}

bool sgql_match(const sgql_query *q, const contact *c)
{
    if (!q || !c || q->root < 0)
        return false;
    ctx x = {.q = q, .c = c, .mem = ARENA_INIT};
    int r = eval_cond(&x, q->root);
    arena_release(&x.mem);
    json_decref(x.custom);
    json_decref(x.lists);
    json_decref(x.alts);
    return r == T;
}
