/*
 * sgql: see sgql.h.
 *
 * The query is compiled into a flat array of nodes (conditions and values alike) that
 * refer to each other by index, so a query is one allocation plus an arena of strings and
 * matching walks it without allocating. Three design choices follow from how the matcher
 * is used (a scan over up to millions of contacts, on several threads at once):
 *
 * - Everything that can be decided once is decided at compile time: field names are bound
 *   to where the value lives (a reserved slot, a custom field id, a timestamp), literals
 *   are converted to the type of what they are compared with (so '42' against a Number
 *   field is the number 42 and '2021-03-02' against a Date field an instant), constant
 *   date arithmetic is folded, and LIKE patterns are turned into code point arrays. Type
 *   mistakes are therefore compile errors, not silent non-matches.
 * - The JSON columns of a contact (custom fields, list ids, alternate emails) are parsed
 *   lazily, at most once per match, and only when a node that needs them is reached; the
 *   parse lives in a context on the caller's stack, so the query itself is never written.
 * - lower() and upper() do not copy: a string value carries the case mapping to apply and
 *   comparisons map code points as they go. The mappings are 1:1 pairs, so the outermost
 *   function decides (lower(upper(x)) is lower(x)) and no buffer is needed.
 *
 * Logic is SQL's three-valued logic: a comparison with an unset value is unknown, NOT of
 * unknown is unknown, and a contact matches only when the whole query is true.
 *
 * Recursion, in the parser and in the matcher, is bounded by SGQL_MAX_DEPTH: every
 * parenthesis, NOT, function call and INTERVAL step counts one level, and AND/OR chains
 * and IN lists are stored as sibling lists walked by loops, not as deep trees.
 */
#include "core/sgql.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"

/* ---- nodes ------------------------------------------------------------------------- */

typedef enum node_op {
    /* conditions */
    N_AND,      /* children: a, then ->next */
    N_OR,
    N_NOT,      /* a */
    N_CMP,      /* a sub b */
    N_LIKE,     /* a LIKE pat */
    N_IN,       /* a IN (list at b, ->next) */
    N_ISNULL,   /* a IS NULL */
    N_BETWEEN,  /* a BETWEEN b AND c */
    N_CONTAINS, /* CONTAINS(field a, literal b) */
    /* values */
    N_LIT,      /* a constant */
    N_FIELD,    /* a contact field; sub: source */
    N_FOLD,     /* lower()/upper() of a; sub: FOLD_* */
    N_INTERVAL, /* a + months + t milliseconds */
} node_op;

typedef enum kind { K_NULL, K_BOOL, K_NUM, K_STR, K_TIME, K_ARRAY } kind;

typedef enum source {
    S_NONE,     /* a field SendGrid has but we never fill (last_opened, ...): always unset */
    S_RESERVED, /* c->field[index] */
    S_ID,
    S_CREATED,
    S_UPDATED,
    S_CUSTOM,   /* custom_fields[s] */
    S_LISTS,
    S_ALTS,
    S_DOMAINS,
} source;

enum { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE };
enum { FOLD_NONE, FOLD_LOWER, FOLD_UPPER };

/* LIKE pattern elements other than code points. */
#define PAT_ANY_SEQ (-1)
#define PAT_ANY_ONE (-2)

typedef struct node {
    unsigned char op, kind, sub;
    bool neg;        /* NOT LIKE, NOT IN, IS NOT NULL, NOT BETWEEN */
    bool literal;    /* a quoted string or a number as written: may take the other side's type */
    int a, b, c;     /* operands (node indexes, -1 for none) */
    int next;        /* the next sibling in an AND/OR or IN list, or -1 */
    int index;       /* S_RESERVED: the contact_field */
    const char *s;   /* string literal, a number's text, a custom field id */
    size_t n;
    const char *name; /* a field's name as the query wrote it, for messages */
    double num;
    int64_t t;       /* a time literal; N_INTERVAL: milliseconds to add */
    int32_t months;  /* N_INTERVAL */
    const int32_t *pat; /* N_LIKE: code points and PAT_* */
    size_t patn;
} node;

struct sgql_query {
    arena mem;
    node *nodes;
    size_t count, cap;
    int root;
    bool uses_lists;
};

/* ---- UTF-8 and case mapping -------------------------------------------------------- */

/* The code point at s[*i], advancing *i. A byte that does not start a well-formed
 * sequence stands for itself above the Unicode range, so invalid text still compares
 * consistently and never reads past n. */
static int32_t utf8_next(const char *s, size_t n, size_t *i)
{
    const unsigned char *u = (const unsigned char *)s + *i;
    size_t left = n - *i;
    int32_t cp;
    size_t len;
    if (u[0] < 0x80) {
        *i += 1;
        return u[0];
    } else if (u[0] >= 0xC2 && u[0] < 0xE0) {
        cp = u[0] & 0x1F;
        len = 2;
    } else if (u[0] >= 0xE0 && u[0] < 0xF0) {
        cp = u[0] & 0x0F;
        len = 3;
    } else if (u[0] >= 0xF0 && u[0] < 0xF5) {
        cp = u[0] & 0x07;
        len = 4;
    } else {
        *i += 1;
        return 0x110000 + u[0];
    }
    if (left < len) {
        *i += 1;
        return 0x110000 + u[0];
    }
    for (size_t k = 1; k < len; k++) {
        if ((u[k] & 0xC0) != 0x80) {
            *i += 1;
            return 0x110000 + u[0];
        }
        cp = (cp << 6) | (u[k] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
        *i += 1;
        return 0x110000 + u[0];
    }
    *i += len;
    return cp;
}

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

/* ---- time -------------------------------------------------------------------------- */

#define DAY_MS INT64_C(86400000)
/* Instants beyond about 250,000 years either way are treated as unset: far past any real
 * date, and far enough from INT64 limits that date arithmetic cannot overflow. */
#define TIME_LIMIT INT64_C(8000000000000000)

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool leap_year(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int month_days(int64_t y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return days[m - 1] + (m == 2 && leap_year(y));
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Read exactly n digits at s (within len). */
static bool read_digits(const char *s, size_t len, size_t at, int n, int *out)
{
    int v = 0;
    if (at + (size_t)n > len)
        return false;
    for (int i = 0; i < n; i++) {
        char ch = s[at + (size_t)i];
        if (ch < '0' || ch > '9')
            return false;
        v = v * 10 + (ch - '0');
    }
    *out = v;
    return true;
}

/*
 * A date or date-time as SGQL literals and stored Date values write it:
 *   YYYY-MM-DD | MM/DD/YYYY, optionally followed by (T or space) HH:MM[:SS[.fraction]]
 *   and then Z or an offset ±HH:MM / ±HHMM. No zone means UTC.
 */
static bool parse_time(const char *s, size_t len, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, se = 0, ms = 0;
    size_t i;
    if (len >= 10 && s[2] == '/' && s[5] == '/') {
        if (!read_digits(s, len, 0, 2, &mo) || !read_digits(s, len, 3, 2, &d) ||
            !read_digits(s, len, 6, 4, &y))
            return false;
    } else if (len >= 10 && s[4] == '-' && s[7] == '-') {
        if (!read_digits(s, len, 0, 4, &y) || !read_digits(s, len, 5, 2, &mo) ||
            !read_digits(s, len, 8, 2, &d))
            return false;
    } else {
        return false;
    }
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo))
        return false;
    i = 10;
    int64_t offset_min = 0;
    if (i < len && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
        if (!read_digits(s, len, i + 1, 2, &h) || i + 3 >= len || s[i + 3] != ':' ||
            !read_digits(s, len, i + 4, 2, &mi))
            return false;
        i += 6;
        if (i < len && s[i] == ':') {
            if (!read_digits(s, len, i + 1, 2, &se))
                return false;
            i += 3;
            if (i < len && s[i] == '.') {
                i++;
                size_t start = i;
                int scale = 100;
                while (i < len && s[i] >= '0' && s[i] <= '9') {
                    ms += (s[i] - '0') * scale;
                    scale /= 10;
                    i++;
                }
                if (i == start)
                    return false;
            }
        }
        if (h > 23 || mi > 59 || se > 59)
            return false;
        if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
            i++;
        } else if (i < len && (s[i] == '+' || s[i] == '-')) {
            int oh, om;
            bool colon = i + 3 < len && s[i + 3] == ':';
            if (!read_digits(s, len, i + 1, 2, &oh) ||
                !read_digits(s, len, i + (colon ? 4 : 3), 2, &om) || oh > 23 || om > 59)
                return false;
            offset_min = (s[i] == '-' ? -1 : 1) * (oh * 60 + om);
            i += colon ? 6 : 5;
        }
    }
    if (i != len)
        return false;
    *out = days_from_civil(y, mo, d) * DAY_MS + ((int64_t)h * 3600 + mi * 60 + se) * 1000 + ms -
           offset_min * 60000;
    return true;
}

/* t plus months (calendar months, the day clamped to the month's length) plus ms; false
 * when either the operand or the result is out of range. */
static bool time_add(int64_t t, int32_t months, int64_t ms, int64_t *out)
{
    if (t > TIME_LIMIT || t < -TIME_LIMIT)
        return false;
    if (months) {
        int64_t days = floor_div(t, DAY_MS), y;
        int64_t in_day = t - days * DAY_MS;
        int m, d;
        civil_from_days(days, &y, &m, &d);
        int64_t total = y * 12 + (m - 1) + months;
        int64_t y2 = floor_div(total, 12);
        int m2 = (int)(total - y2 * 12) + 1;
        if (d > month_days(y2, m2))
            d = month_days(y2, m2);
        t = days_from_civil(y2, m2, d) * DAY_MS + in_day;
    }
    t += ms;
    if (t > TIME_LIMIT || t < -TIME_LIMIT)
        return false;
    *out = t;
    return true;
}

/* ---- numbers ----------------------------------------------------------------------- */

/* -?digits(.digits)? as the query language writes numbers; s need not be terminated. */
static bool parse_number(const char *s, size_t n, double *out)
{
    char buf[64];
    size_t i = 0;
    if (n == 0 || n >= sizeof buf)
        return false;
    if (s[i] == '-')
        i++;
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == start)
        return false;
    if (i < n && s[i] == '.') {
        i++;
        size_t frac = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == frac)
            return false;
    }
    if (i != n)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    *out = strtod(buf, NULL);
    return true;
}

/* ---- the lexer --------------------------------------------------------------------- */

typedef enum tok_type {
    T_EOF, T_IDENT, T_NUM, T_STR, T_LP, T_RP, T_COMMA,
    T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_PLUS, T_MINUS, T_BAD,
} tok_type;

typedef struct token {
    tok_type type;
    size_t start, end; /* byte span in the text */
} token;

typedef struct parser {
    const char *text;
    size_t len;
    token tok;       /* the current token */
    size_t pos;      /* where the next token starts */
    int depth;
    int64_t now_ms;
    const field_catalog *fields;
    sgql_query *q;
    char *err;
    size_t err_size;
    bool failed;
} parser;

static void fail(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(parser *p, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    if (p->err && p->err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err, p->err_size, fmt, ap);
        va_end(ap);
    }
}

static bool is_ident_start(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_';
}

static bool is_ident_char(char ch) { return is_ident_start(ch) || (ch >= '0' && ch <= '9'); }

/* Lex the token at p->pos into p->tok. */
static void lex(parser *p)
{
    const char *s = p->text;
    size_t i = p->pos;
    while (i < p->len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    token t = {T_EOF, i, i};
    if (i >= p->len) {
        p->tok = t;
        p->pos = i;
        return;
    }
    char ch = s[i];
    char nx = i + 1 < p->len ? s[i + 1] : '\0';
    if (is_ident_start(ch)) {
        while (i < p->len && is_ident_char(s[i]))
            i++;
        t.type = T_IDENT;
    } else if (ch >= '0' && ch <= '9') {
        while (i < p->len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i + 1 < p->len && s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9') {
            i++;
            while (i < p->len && s[i] >= '0' && s[i] <= '9')
                i++;
        }
        t.type = T_NUM;
    } else if (ch == '\'' || ch == '"') {
        i++;
        t.type = T_BAD;
        while (i < p->len) {
            if (s[i] == '\\' && i + 1 < p->len) {
                i += 2;
            } else if (s[i] == ch) {
                if (i + 1 < p->len && s[i + 1] == ch) {
                    i += 2;
                } else {
                    i++;
                    t.type = T_STR;
                    break;
                }
            } else {
                i++;
            }
        }
    } else {
        i++;
        switch (ch) {
        case '(': t.type = T_LP; break;
        case ')': t.type = T_RP; break;
        case ',': t.type = T_COMMA; break;
        case '=': t.type = T_EQ; i += nx == '='; break;
        case '+': t.type = T_PLUS; break;
        case '-': t.type = T_MINUS; break;
        case '!':
            t.type = nx == '=' ? T_NE : T_BAD;
            i += nx == '=';
            break;
        case '<':
            t.type = nx == '=' ? T_LE : nx == '>' ? T_NE : T_LT;
            i += nx == '=' || nx == '>';
            break;
        case '>':
            t.type = nx == '=' ? T_GE : T_GT;
            i += nx == '=';
            break;
        default:
            t.type = T_BAD;
            while (i < p->len && ((unsigned char)s[i] & 0xC0) == 0x80)
                i++; /* the rest of a UTF-8 character, so messages quote it whole */
            break;
        }
    }
    t.end = i;
    p->tok = t;
    p->pos = i;
}

/* The type of the token after the current one, without consuming anything. */
static tok_type peek_next(parser *p)
{
    token saved = p->tok;
    size_t pos = p->pos;
    lex(p);
    tok_type t = p->tok.type;
    p->tok = saved;
    p->pos = pos;
    return t;
}

static bool is_kw(const parser *p, const char *kw)
{
    size_t n = p->tok.end - p->tok.start;
    return p->tok.type == T_IDENT && strlen(kw) == n &&
           strncasecmp(p->text + p->tok.start, kw, n) == 0;
}

/* How many bytes of s (n bytes long) a message shows: at most 40, never cutting a UTF-8
 * character, so messages stay valid UTF-8 for the JSON that carries them. Used with
 * "%.*s%s" through SHOW(). */
#define SHOW_MAX 40
static int show_len(const char *s, size_t n)
{
    size_t k = n > SHOW_MAX ? SHOW_MAX : n;
    while (k > 0 && k < n && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return (int)k;
}
#define SHOW(s, n) show_len((s), (n)), (s), ((n) > SHOW_MAX ? "..." : "")

/* A syntax error at the current token. */
static void fail_at(parser *p, const char *expected)
{
    if (p->tok.type == T_EOF) {
        fail(p, "syntax error at position %zu: expected %s, found the end of the query",
             p->tok.start + 1, expected);
    } else if (p->tok.type == T_BAD && (p->text[p->tok.start] == '\'' ||
                                         p->text[p->tok.start] == '"')) {
        fail(p, "syntax error at position %zu: unterminated string", p->tok.start + 1);
    } else {
        fail(p, "syntax error at position %zu: expected %s, found '%.*s%s'", p->tok.start + 1,
             expected, SHOW(p->text + p->tok.start, p->tok.end - p->tok.start));
    }
}

static bool expect(parser *p, tok_type type, const char *what)
{
    if (p->tok.type != type) {
        fail_at(p, what);
        return false;
    }
    lex(p);
    return true;
}

/* The current string token's value with its quoting undone: '' (or "") is one quote,
 * \' \" and \\ are the escaped character. Any other backslash is kept with the character
 * after it, so LIKE patterns can escape % and _. */
static const char *string_value(parser *p, size_t *n_out)
{
    const char *s = p->text + p->tok.start;
    size_t n = p->tok.end - p->tok.start;
    char quote = s[0];
    char *out = arena_alloc(&p->q->mem, n);
    size_t o = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        if (s[i] == '\\' && i + 2 < n &&
            (s[i + 1] == '\\' || s[i + 1] == '\'' || s[i + 1] == '"')) {
            out[o++] = s[++i];
        } else if (s[i] == '\\' && i + 2 < n) {
            out[o++] = s[i++];
            out[o++] = s[i];
        } else if (s[i] == quote) {
            out[o++] = s[i++]; /* the first of a doubled quote */
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    *n_out = o;
    return out;
}

/* ---- building nodes ---------------------------------------------------------------- */

static node *nd(parser *p, int i) { return &p->q->nodes[i]; }

static int node_new(parser *p, node_op op, kind k)
{
    sgql_query *q = p->q;
    if (q->count >= SGQL_MAX_NODES) {
        fail(p, "query is too complex: more than %d terms", SGQL_MAX_NODES);
        return -1;
    }
    q->nodes = arena_grow(&q->mem, q->nodes, q->count, &q->cap, sizeof(node));
    node *n = &q->nodes[q->count];
    memset(n, 0, sizeof *n);
    n->op = (unsigned char)op;
    n->kind = (unsigned char)k;
    n->a = n->b = n->c = n->next = -1;
    return (int)q->count++;
}

static bool depth_push(parser *p)
{
    if (++p->depth > SGQL_MAX_DEPTH) {
        fail(p, "query nests deeper than %d levels", SGQL_MAX_DEPTH);
        return false;
    }
    return true;
}

static const char *kind_name(int k)
{
    switch (k) {
    case K_NULL: return "NULL";
    case K_BOOL: return "Boolean";
    case K_NUM: return "Number";
    case K_STR: return "Text";
    case K_TIME: return "Date";
    case K_ARRAY: return "list";
    }
    return "?";
}

/* How a message names a value: a field by its name, a literal as written. */
static void describe(parser *p, int i, char *out, size_t size)
{
    const node *n = nd(p, i);
    if (n->op == N_FIELD)
        snprintf(out, size, "%s (a %s field)", n->name, kind_name(n->kind));
    else if (n->op == N_LIT && n->literal)
        snprintf(out, size, "%s'%.*s%s'", n->kind == K_NUM ? "the number " : "",
                 SHOW(n->s, n->n));
    else
        snprintf(out, size, "a %s value", kind_name(n->kind));
}

/* Give literal node i the type k of what it is compared with; other is that node. */
static bool coerce(parser *p, int i, int k, int other)
{
    node *n = nd(p, i);
    char what[160];
    describe(p, other, what, sizeof what);
    if (n->kind == K_STR && k == K_NUM) {
        if (!parse_number(n->s, n->n, &n->num)) {
            fail(p, "'%.*s%s' is not a number, so it cannot be compared with %s", SHOW(n->s, n->n),
                 what);
            return false;
        }
    } else if (n->kind == K_STR && k == K_TIME) {
        if (!parse_time(n->s, n->n, &n->t)) {
            fail(p, "'%.*s%s' is not a date (use 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM:SSZ'), so it "
                    "cannot be compared with %s", SHOW(n->s, n->n), what);
            return false;
        }
    } else if (n->kind == K_NUM && k == K_STR) {
        /* a number against a Text value: compare its text, as written */
    } else {
        fail(p, "cannot compare %s with %s", kind_name(n->kind), what);
        return false;
    }
    n->kind = (unsigned char)k;
    n->literal = false;
    return true;
}

/* Make a and b comparable: convert a literal side to the other side's type, or fail. */
static bool unify(parser *p, int a, int b)
{
    const node *x = nd(p, a), *y = nd(p, b);
    if (x->kind == K_ARRAY || y->kind == K_ARRAY) {
        const node *arr = x->kind == K_ARRAY ? x : y;
        fail(p, "%s is a list: use CONTAINS(%s, value)", arr->name, arr->name);
        return false;
    }
    if (x->kind == K_NULL || y->kind == K_NULL || x->kind == y->kind)
        return true;
    if (x->literal && !y->literal)
        return coerce(p, a, y->kind, b);
    if (y->literal && !x->literal)
        return coerce(p, b, x->kind, a);
    if (x->literal && y->literal) /* a string and a number, both written: compare as numbers */
        return x->kind == K_STR ? coerce(p, a, K_NUM, b) : coerce(p, b, K_NUM, a);
    char wa[160], wb[160];
    describe(p, a, wa, sizeof wa);
    describe(p, b, wb, sizeof wb);
    fail(p, "cannot compare %s with %s", wa, wb);
    return false;
}

/* ---- fields ------------------------------------------------------------------------ */

/* Fields SendGrid defines that this server never fills: they are always unset. */
static const struct {
    const char *name;
    kind k;
} unset_fields[] = {
    {"last_clicked", K_TIME}, {"last_opened", K_TIME},  {"last_emailed", K_TIME},
    {"singlesend_id", K_STR}, {"automation_id", K_STR},
};

/* Where the field called name lives and its type; false when there is no such field. */
static bool bind_field(const char *name, const field_catalog *fields, source *src, kind *k,
                       int *index, const char **id)
{
    static const struct {
        const char *name;
        source src;
        kind k;
    } special[] = {
        {"contact_id", S_ID, K_STR},       {"created_at", S_CREATED, K_TIME},
        {"updated_at", S_UPDATED, K_TIME}, {"list_ids", S_LISTS, K_ARRAY},
        {"alternate_emails", S_ALTS, K_ARRAY}, {"email_domains", S_DOMAINS, K_ARRAY},
    };
    *src = S_NONE;
    *k = K_STR;
    *index = 0;
    *id = NULL;
    for (int i = 0; i < CF_COUNT; i++) {
        if (strcasecmp(contact_fields[i].name, name) == 0) {
            *src = S_RESERVED;
            *index = i;
            return true;
        }
    }
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
        if (strcasecmp(special[i].name, name) == 0) {
            *src = special[i].src;
            *k = special[i].k;
            return true;
        }
    }
    for (size_t i = 0; i < sizeof unset_fields / sizeof unset_fields[0]; i++) {
        if (strcasecmp(unset_fields[i].name, name) == 0) {
            *k = unset_fields[i].k;
            return true;
        }
    }
    const field_def *d = field_catalog_find(fields, name);
    if (!d)
        return false;
    *src = S_CUSTOM;
    *id = d->id;
    *k = d->type == FIELD_NUMBER ? K_NUM : d->type == FIELD_DATE ? K_TIME : K_STR;
    return true;
}

/* Bind the identifier at the current token to a field node. */
static int field_node(parser *p)
{
    size_t n = p->tok.end - p->tok.start;
    char name[FIELD_NAME_MAX + 1];
    if (n > FIELD_NAME_MAX) {
        fail(p, "unknown field '%.*s%s'", SHOW(p->text + p->tok.start, n));
        return -1;
    }
    memcpy(name, p->text + p->tok.start, n);
    name[n] = '\0';
    source src;
    kind k;
    int index;
    const char *id;
    if (!bind_field(name, p->fields, &src, &k, &index, &id)) {
        fail(p, "unknown field '%s'", name);
        return -1;
    }
    int i = node_new(p, N_FIELD, k);
    if (i < 0)
        return -1;
    node *f = nd(p, i);
    f->sub = (unsigned char)src;
    f->index = index;
    f->name = arena_strdup(&p->q->mem, name);
    if (id) {
        f->s = arena_strdup(&p->q->mem, id);
        f->n = strlen(id);
    }
    if (src == S_LISTS)
        p->q->uses_lists = true;
    lex(p);
    return i;
}

/* ---- values ------------------------------------------------------------------------ */

static int parse_value(parser *p);

static int time_literal(parser *p, int64_t t)
{
    int i = node_new(p, N_LIT, K_TIME);
    if (i >= 0)
        nd(p, i)->t = t;
    return i;
}

/* INTERVAL (n | 'n' | 'n unit') [unit], after the keyword; sets months and ms. */
static bool parse_interval(parser *p, bool minus, int32_t *months, int64_t *ms)
{
    static const struct {
        const char *name;
        int64_t ms;
        int32_t months;
    } units[] = {
        {"second", 1000, 0},     {"minute", 60000, 0}, {"hour", 3600000, 0},
        {"day", DAY_MS, 0},      {"week", 7 * DAY_MS, 0}, {"month", 0, 1},
        {"year", 0, 12},
    };
    const char *num;
    size_t numlen;
    bool neg = false;
    const char *unit = NULL;
    size_t unitlen = 0;
    if (p->tok.type == T_MINUS) {
        neg = true;
        lex(p);
    }
    if (p->tok.type == T_NUM) {
        num = p->text + p->tok.start;
        numlen = p->tok.end - p->tok.start;
    } else if (p->tok.type == T_STR && !neg) {
        /* '7', '-7' or '7 days' */
        num = string_value(p, &numlen);
        size_t k = 0;
        while (k < numlen && num[k] != ' ')
            k++;
        if (k < numlen) {
            unit = num + k;
            unitlen = numlen - k;
            while (unitlen && *unit == ' ') {
                unit++;
                unitlen--;
            }
            numlen = k;
        }
        if (numlen && num[0] == '-') {
            neg = true;
            num++;
            numlen--;
        }
    } else {
        fail_at(p, "a number after INTERVAL");
        return false;
    }
    int64_t count = 0;
    for (size_t k = 0; k < numlen; k++) {
        if (num[k] < '0' || num[k] > '9' || count > 100000) {
            count = -1;
            break;
        }
        count = count * 10 + (num[k] - '0');
    }
    if (numlen == 0 || count < 0 || count > 100000) {
        fail(p, "syntax error at position %zu: an INTERVAL takes a whole number from 0 to 100000",
             p->tok.start + 1);
        return false;
    }
    lex(p);
    if (!unit) {
        if (p->tok.type != T_IDENT) {
            fail_at(p, "a unit (SECOND, MINUTE, HOUR, DAY, WEEK, MONTH or YEAR)");
            return false;
        }
        unit = p->text + p->tok.start;
        unitlen = p->tok.end - p->tok.start;
        lex(p);
    }
    if (unitlen > 1 && (unit[unitlen - 1] == 's' || unit[unitlen - 1] == 'S'))
        unitlen--;
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        if (strlen(units[u].name) == unitlen && strncasecmp(units[u].name, unit, unitlen) == 0) {
            int64_t sign = (neg != minus) ? -1 : 1;
            *months = (int32_t)(sign * count * units[u].months);
            *ms = sign * count * units[u].ms;
            return true;
        }
    }
    fail(p, "unknown INTERVAL unit '%.*s%s' (use SECOND, MINUTE, HOUR, DAY, WEEK, MONTH or YEAR)",
         SHOW(unit, unitlen));
    return false;
}

/* value (+|-) INTERVAL ...: folded when value is a constant. */
static int apply_interval(parser *p, int v, bool minus)
{
    int32_t months;
    int64_t ms;
    size_t at = p->tok.start;
    if (!parse_interval(p, minus, &months, &ms))
        return -1;
    node *n = nd(p, v);
    if (n->kind == K_STR && n->literal && n->op == N_LIT) {
        if (!parse_time(n->s, n->n, &n->t)) {
            fail(p, "'%.*s%s' is not a date, so INTERVAL cannot be added to it", SHOW(n->s, n->n));
            return -1;
        }
        n->kind = K_TIME;
        n->literal = false;
    }
    if (n->kind == K_NULL)
        return v;
    if (n->kind != K_TIME) {
        char what[160];
        describe(p, v, what, sizeof what);
        fail(p, "INTERVAL can only be added to a date, not to %s", what);
        return -1;
    }
    if (n->op == N_LIT) {
        if (!time_add(n->t, months, ms, &n->t)) {
            fail(p, "date out of range at position %zu", at + 1);
            return -1;
        }
        return v;
    }
    if (!depth_push(p))
        return -1;
    int i = node_new(p, N_INTERVAL, K_TIME);
    if (i < 0)
        return -1;
    nd(p, i)->a = v;
    nd(p, i)->months = months;
    nd(p, i)->t = ms;
    return i;
}

static int parse_fold(parser *p, int fold)
{
    lex(p); /* the name */
    lex(p); /* '(' */
    if (!depth_push(p))
        return -1;
    int v = parse_value(p);
    if (v < 0)
        return -1;
    p->depth--;
    if (!expect(p, T_RP, "')'"))
        return -1;
    node *n = nd(p, v);
    if (n->kind == K_NUM && n->literal)
        n->kind = K_STR;
    if (n->kind == K_NULL)
        return v;
    if (n->kind != K_STR) {
        char what[160];
        describe(p, v, what, sizeof what);
        fail(p, "%s() takes a Text value, not %s", fold == FOLD_LOWER ? "lower" : "upper", what);
        return -1;
    }
    int i = node_new(p, N_FOLD, K_STR);
    if (i < 0)
        return -1;
    nd(p, i)->a = v;
    nd(p, i)->sub = (unsigned char)fold;
    return i;
}

/* A value without trailing INTERVAL arithmetic. */
static int parse_value_primary(parser *p)
{
    int i;
    size_t at = p->tok.start;
    switch (p->tok.type) {
    case T_NUM:
    case T_MINUS: {
        if (p->tok.type == T_MINUS) {
            lex(p);
            if (p->tok.type != T_NUM || p->tok.start != at + 1) {
                fail_at(p, "a number after '-'");
                return -1;
            }
        }
        size_t n = p->tok.end - at;
        if (n > 60) {
            fail(p, "syntax error at position %zu: number too long", at + 1);
            return -1;
        }
        if ((i = node_new(p, N_LIT, K_NUM)) < 0)
            return -1;
        node *lit = nd(p, i);
        lit->literal = true;
        lit->s = arena_strndup(&p->q->mem, p->text + at, n);
        lit->n = n;
        if (!parse_number(lit->s, n, &lit->num)) {
            fail(p, "syntax error at position %zu: bad number", at + 1);
            return -1;
        }
        lex(p);
        return i;
    }
    case T_STR: {
        if ((i = node_new(p, N_LIT, K_STR)) < 0)
            return -1;
        size_t n;
        const char *s = string_value(p, &n);
        node *lit = nd(p, i);
        lit->literal = true;
        lit->s = s;
        lit->n = n;
        lex(p);
        return i;
    }
    case T_IDENT:
        break;
    default:
        fail_at(p, "a field or a value");
        return -1;
    }
    tok_type after = peek_next(p);
    if (is_kw(p, "NULL") || is_kw(p, "TRUE") || is_kw(p, "FALSE")) {
        bool null = is_kw(p, "NULL"), truth = is_kw(p, "TRUE");
        if ((i = node_new(p, N_LIT, null ? K_NULL : K_BOOL)) < 0)
            return -1;
        nd(p, i)->num = truth;
        lex(p);
        return i;
    }
    bool today = is_kw(p, "CURRENT_DATE");
    if (today || is_kw(p, "CURRENT_TIMESTAMP") || (is_kw(p, "NOW") && after == T_LP)) {
        lex(p);
        if (p->tok.type == T_LP) { /* CURRENT_DATE() and NOW() */
            lex(p);
            if (!expect(p, T_RP, "')'"))
                return -1;
        }
        if (p->now_ms > TIME_LIMIT || p->now_ms < -TIME_LIMIT) {
            fail(p, "the current time is out of range");
            return -1;
        }
        return time_literal(p, today ? floor_div(p->now_ms, DAY_MS) * DAY_MS : p->now_ms);
    }
    bool date = is_kw(p, "DATE");
    if ((date || is_kw(p, "TIMESTAMP")) && after == T_STR) {
        lex(p);
        size_t n;
        const char *s = string_value(p, &n);
        int64_t t;
        if (!parse_time(s, n, &t)) {
            fail(p, "'%.*s%s' is not a date (use 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM:SSZ')",
                 SHOW(s, n));
            return -1;
        }
        lex(p);
        return time_literal(p, date ? floor_div(t, DAY_MS) * DAY_MS : t);
    }
    if (after == T_LP) {
        if (is_kw(p, "LOWER"))
            return parse_fold(p, FOLD_LOWER);
        if (is_kw(p, "UPPER"))
            return parse_fold(p, FOLD_UPPER);
        size_t n = p->tok.end - p->tok.start;
        fail(p, "unknown function '%.*s%s'", SHOW(p->text + p->tok.start, n));
        return -1;
    }
    return field_node(p);
}

static int parse_value(parser *p)
{
    int v = parse_value_primary(p);
    int pushed = 0;
    while (v >= 0 && (p->tok.type == T_PLUS || p->tok.type == T_MINUS)) {
        bool minus = p->tok.type == T_MINUS;
        lex(p);
        if (!is_kw(p, "INTERVAL")) {
            fail_at(p, "INTERVAL (only intervals can be added to or subtracted from a value)");
            return -1;
        }
        lex(p);
        int depth = p->depth;
        v = apply_interval(p, v, minus);
        pushed += p->depth - depth;
    }
    p->depth -= pushed;
    return v;
}

/* ---- conditions -------------------------------------------------------------------- */

static int parse_or(parser *p);

static int parse_like(parser *p, int v, bool neg)
{
    node *n = nd(p, v);
    if (n->kind == K_NUM && n->literal)
        n->kind = K_STR;
    if (n->kind != K_STR && n->kind != K_NULL) {
        char what[160];
        describe(p, v, what, sizeof what);
        fail(p, "LIKE needs a Text value, not %s", what);
        return -1;
    }
    if (p->tok.type != T_STR) {
        fail_at(p, "a quoted pattern after LIKE");
        return -1;
    }
    size_t len;
    const char *s = string_value(p, &len);
    int32_t *pat = arena_alloc(&p->q->mem, (len + 1) * sizeof(int32_t));
    size_t m = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] == '%') {
            i++;
            if (m == 0 || pat[m - 1] != PAT_ANY_SEQ)
                pat[m++] = PAT_ANY_SEQ;
        } else if (s[i] == '_') {
            i++;
            pat[m++] = PAT_ANY_ONE;
        } else {
            if (s[i] == '\\' && i + 1 < len)
                i++;
            pat[m++] = utf8_next(s, len, &i);
        }
    }
    lex(p);
    int i = node_new(p, N_LIKE, K_BOOL);
    if (i < 0)
        return -1;
    node *like = nd(p, i);
    like->a = v;
    like->neg = neg;
    like->pat = pat;
    like->patn = m;
    return i;
}

static int parse_in(parser *p, int v, bool neg)
{
    if (!expect(p, T_LP, "'(' after IN"))
        return -1;
    int i = node_new(p, N_IN, K_BOOL);
    if (i < 0)
        return -1;
    nd(p, i)->a = v;
    nd(p, i)->neg = neg;
    int last = -1;
    for (;;) {
        size_t at = p->tok.start;
        int item = parse_value(p);
        if (item < 0)
            return -1;
        if (nd(p, item)->op != N_LIT) {
            fail(p, "syntax error at position %zu: IN takes a list of values, not fields", at + 1);
            return -1;
        }
        if (!unify(p, v, item))
            return -1;
        if (last < 0)
            nd(p, i)->b = item;
        else
            nd(p, last)->next = item;
        last = item;
        if (p->tok.type == T_COMMA) {
            lex(p);
            continue;
        }
        if (!expect(p, T_RP, "',' or ')'"))
            return -1;
        return i;
    }
}

static int parse_contains(parser *p)
{
    lex(p); /* the name */
    lex(p); /* '(' */
    if (p->tok.type != T_IDENT) {
        fail_at(p, "a list field (list_ids, alternate_emails or email_domains)");
        return -1;
    }
    int f = field_node(p);
    if (f < 0)
        return -1;
    if (nd(p, f)->kind != K_ARRAY) {
        fail(p, "CONTAINS needs a list field (list_ids, alternate_emails or email_domains), "
                "and %s is not one", nd(p, f)->name);
        return -1;
    }
    if (!expect(p, T_COMMA, "','"))
        return -1;
    size_t at = p->tok.start;
    int v = parse_value(p);
    if (v < 0)
        return -1;
    node *lit = nd(p, v);
    if (lit->op != N_LIT || (lit->kind != K_STR && lit->kind != K_NUM && lit->kind != K_NULL)) {
        fail(p, "syntax error at position %zu: CONTAINS takes a quoted value", at + 1);
        return -1;
    }
    lit->kind = lit->kind == K_NULL ? K_NULL : K_STR;
    if (!expect(p, T_RP, "')'"))
        return -1;
    int i = node_new(p, N_CONTAINS, K_BOOL);
    if (i < 0)
        return -1;
    nd(p, i)->a = f;
    nd(p, i)->b = v;
    return i;
}

static int parse_predicate(parser *p)
{
    if ((is_kw(p, "CONTAINS") || is_kw(p, "ARRAY_CONTAINS")) && peek_next(p) == T_LP)
        return parse_contains(p);
    int v = parse_value(p);
    if (v < 0)
        return -1;
    static const tok_type cmp_tok[] = {T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE};
    for (int c = 0; c < 6; c++) {
        if (p->tok.type != cmp_tok[c])
            continue;
        lex(p);
        int w = parse_value(p);
        if (w < 0 || !unify(p, v, w))
            return -1;
        int i = node_new(p, N_CMP, K_BOOL);
        if (i < 0)
            return -1;
        nd(p, i)->a = v;
        nd(p, i)->b = w;
        nd(p, i)->sub = (unsigned char)c;
        return i;
    }
    bool neg = false;
    if (is_kw(p, "NOT")) {
        neg = true;
        lex(p);
        if (!is_kw(p, "LIKE") && !is_kw(p, "IN") && !is_kw(p, "BETWEEN")) {
            fail_at(p, "LIKE, IN or BETWEEN after NOT");
            return -1;
        }
    }
    if (is_kw(p, "LIKE")) {
        lex(p);
        return parse_like(p, v, neg);
    }
    if (is_kw(p, "IN")) {
        lex(p);
        return parse_in(p, v, neg);
    }
    if (is_kw(p, "BETWEEN")) {
        lex(p);
        int lo = parse_value(p);
        if (lo < 0 || !unify(p, v, lo))
            return -1;
        if (!is_kw(p, "AND")) {
            fail_at(p, "AND");
            return -1;
        }
        lex(p);
        int hi = parse_value(p);
        if (hi < 0 || !unify(p, v, hi))
            return -1;
        int i = node_new(p, N_BETWEEN, K_BOOL);
        if (i < 0)
            return -1;
        nd(p, i)->a = v;
        nd(p, i)->b = lo;
        nd(p, i)->c = hi;
        nd(p, i)->neg = neg;
        return i;
    }
    if (is_kw(p, "IS")) {
        lex(p);
        if (is_kw(p, "NOT")) {
            neg = true;
            lex(p);
        }
        if (!is_kw(p, "NULL")) {
            fail_at(p, "NULL");
            return -1;
        }
        lex(p);
        int i = node_new(p, N_ISNULL, K_BOOL);
        if (i < 0)
            return -1;
        nd(p, i)->a = v;
        nd(p, i)->neg = neg;
        return i;
    }
    if (nd(p, v)->kind == K_ARRAY) {
        fail(p, "%s is a list: use CONTAINS(%s, value)", nd(p, v)->name, nd(p, v)->name);
        return -1;
    }
    fail_at(p, "a comparison (=, !=, <, <=, >, >=, LIKE, IN, BETWEEN or IS)");
    return -1;
}

static int parse_not(parser *p)
{
    if (is_kw(p, "NOT")) {
        lex(p);
        if (!depth_push(p))
            return -1;
        int a = parse_not(p);
        if (a < 0)
            return -1;
        p->depth--;
        int i = node_new(p, N_NOT, K_BOOL);
        if (i >= 0)
            nd(p, i)->a = a;
        return i;
    }
    if (p->tok.type == T_LP) {
        lex(p);
        if (!depth_push(p))
            return -1;
        int e = parse_or(p);
        if (e < 0)
            return -1;
        p->depth--;
        if (!expect(p, T_RP, "')'"))
            return -1;
        return e;
    }
    return parse_predicate(p);
}

/* A chain of one operator: first operand, then more while the keyword repeats. Kept as
 * one node with a sibling list so long chains cost no recursion. */
static int parse_chain(parser *p, node_op op, const char *kw, int (*operand)(parser *))
{
    int first = operand(p);
    if (first < 0 || !is_kw(p, kw))
        return first;
    int i = node_new(p, op, K_BOOL);
    if (i < 0)
        return -1;
    nd(p, i)->a = first;
    int last = first;
    while (is_kw(p, kw)) {
        lex(p);
        int next = operand(p);
        if (next < 0)
            return -1;
        nd(p, last)->next = next;
        last = next;
    }
    return i;
}

static int parse_and(parser *p) { return parse_chain(p, N_AND, "AND", parse_not); }

static int parse_or(parser *p) { return parse_chain(p, N_OR, "OR", parse_and); }

sgql_query *sgql_compile(const char *text, const field_catalog *fields, int64_t now_ms,
                         char *err, size_t err_size)
{
    if (err && err_size)
        err[0] = '\0';
    size_t len = text ? strnlen(text, SGQL_MAX_QUERY + 1) : 0;
    if (len > SGQL_MAX_QUERY) {
        if (err && err_size)
            snprintf(err, err_size, "query is longer than %u bytes", SGQL_MAX_QUERY);
        return NULL;
    }
    sgql_query *q = calloc(1, sizeof *q);
    if (!q)
        abort();
    parser p = {.text = text ? text : "", .len = len, .now_ms = now_ms, .fields = fields,
                .q = q, .err = err, .err_size = err_size};
    lex(&p);
    if (p.tok.type == T_EOF) {
        fail(&p, "query is empty");
    } else {
        q->root = parse_or(&p);
        if (!p.failed && p.tok.type != T_EOF)
            fail_at(&p, "AND, OR or the end of the query");
    }
    if (p.failed) {
        sgql_free(q);
        return NULL;
    }
    return q;
}

void sgql_free(sgql_query *q)
{
    if (!q)
        return;
    arena_release(&q->mem);
    free(q);
}

bool sgql_uses_lists(const sgql_query *q) { return q && q->uses_lists; }

/* ---- matching ---------------------------------------------------------------------- */

enum { F = 0, T = 1, U = 2 }; /* false, true, unknown */

/* One contact being matched: its JSON columns, parsed on first use. */
typedef struct ctx {
    const sgql_query *q;
    const contact *c;
    json_t *custom, *lists, *alts;
    bool custom_read, lists_read, alts_read;
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
    int kind;      /* K_NULL when unset */
    int fold;
    const char *s;
    size_t n;
    double num;
    int64_t t;
} val;

static val eval_value(ctx *x, int i);

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
            if (parse_number(json_string_value(j), json_string_length(j), &v.num))
                v.kind = K_NUM;
        } else if (n->kind == K_TIME && json_is_string(j)) {
            if (parse_time(json_string_value(j), json_string_length(j), &v.t))
                v.kind = K_TIME;
        }
        return v;
    }
    case S_NONE:
    case S_LISTS:
    case S_ALTS:
    case S_DOMAINS:
        break;
    }
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
    case N_FIELD:
        return eval_field(x, n);
    case N_FOLD:
        v = eval_value(x, n->a);
        v.fold = n->sub;
        return v;
    case N_INTERVAL:
        v = eval_value(x, n->a);
        if (v.kind == K_TIME && !time_add(v.t, n->months, n->t, &v.t))
            v.kind = K_NULL;
        return v;
    default:
        return v;
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
    json_array_foreach(arr, i, e) {
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
    json_array_foreach(arr, i, e) {
        if (json_is_string(e) && email_domain(json_string_value(e), json_string_length(e), &dn))
            return false;
    }
    return true;
}

static int negate(int r, bool neg) { return !neg || r == U ? r : !r; }

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
    case N_NOT:
        return negate(eval_cond(x, n->a), true);
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
    case N_CONTAINS:
        return eval_contains(x, &x->q->nodes[n->a], &x->q->nodes[n->b]);
    default:
        return U;
    }
}

bool sgql_match(const sgql_query *q, const contact *c)
{
    if (!q || !c || q->root < 0)
        return false;
    ctx x = {.q = q, .c = c};
    int r = eval_cond(&x, q->root);
    json_decref(x.custom);
    json_decref(x.lists);
    json_decref(x.alts);
    return r == T;
}
