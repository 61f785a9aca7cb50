/*
 * sgql_lex: the tokens of an SGQL query. sgql_lex reads the token at p->pos into p->tok
 * (whitespace skipped; an unterminated string or a stray character is T_BAD, which the
 * parser reports); string and number tokens are decoded on demand. Syntax errors name the
 * byte position (from 1) and the token found, cut to valid UTF-8 (SHOW). The first error
 * wins: sgql_fail records it and marks the parse failed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/sgql_internal.h"

/* ---- numbers ----------------------------------------------------------------------- */

/* -?digits(.digits)? as the query language writes numbers; s need not be terminated. */
bool sgql_parse_number(const char *s, size_t n, double *out)
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

void sgql_fail(parser *p, const char *fmt, ...)
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

static bool is_ident_char(char ch)
{
    return is_ident_start(ch) || (ch >= '0' && ch <= '9');
}

/* Lex the token at p->pos into p->tok. */
void sgql_lex(parser *p)
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
    } else if (ch == '`') {
        /* a quoted identifier: always a field name, never a keyword */
        const char *close = memchr(s + i + 1, '`', p->len - i - 1);
        if (close) {
            t.type = T_QIDENT;
            t.start = i + 1;
            t.end = (size_t)(close - s);
            p->tok = t;
            p->pos = t.end + 1;
            return;
        }
        i++;
        t.type = T_BAD;
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
        case '=':
            t.type = T_EQ;
            i += nx == '=';
            break;
        case '+': t.type = T_PLUS; break;
        case '-': t.type = T_MINUS; break;
        case '*': t.type = T_STAR; break;
        case '/': t.type = T_SLASH; break;
        case '%': t.type = T_PERCENT; break;
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

bool sgql_next_word(const char *text, size_t len, size_t *pos, size_t *start, size_t *end)
{
    parser p = {.text = text, .len = len, .pos = *pos};
    do
        sgql_lex(&p);
    while (p.tok.type != T_EOF && p.tok.type != T_IDENT);
    *pos = p.pos;
    *start = p.tok.start;
    *end = p.tok.end;
    return p.tok.type == T_IDENT;
}

/* The type of the token after the current one, without consuming anything. */
tok_type sgql_peek_next(parser *p)
{
    token saved = p->tok;
    size_t pos = p->pos;
    sgql_lex(p);
    tok_type t = p->tok.type;
    p->tok = saved;
    p->pos = pos;
    return t;
}

bool sgql_is_kw(const parser *p, const char *kw)
{
    size_t n = p->tok.end - p->tok.start;
    return p->tok.type == T_IDENT && strlen(kw) == n &&
           strncasecmp(p->text + p->tok.start, kw, n) == 0;
}

/* A syntax error at the current token. */
void sgql_fail_at(parser *p, const char *expected)
{
    if (p->tok.type == T_EOF) {
        sgql_fail(p, "syntax error at position %zu: expected %s, found the end of the query",
                  p->tok.start + 1, expected);
    } else if (p->tok.type == T_BAD &&
               (p->text[p->tok.start] == '\'' || p->text[p->tok.start] == '"')) {
        sgql_fail(p, "syntax error at position %zu: unterminated string", p->tok.start + 1);
    } else {
        sgql_fail(p, "syntax error at position %zu: expected %s, found '%.*s%s'", p->tok.start + 1,
                  expected, SHOW(p->text + p->tok.start, p->tok.end - p->tok.start));
    }
}

bool sgql_expect(parser *p, tok_type type, const char *what)
{
    if (p->tok.type != type) {
        sgql_fail_at(p, what);
        return false;
    }
    sgql_lex(p);
    return true;
}

/* The current string token's value with its quoting undone: '' (or "") is one quote,
 * \' \" and \\ are the escaped character. Any other backslash is kept with the character
 * after it, so LIKE patterns can escape % and _. */
const char *sgql_string_value(parser *p, size_t *n_out)
{
    const char *s = p->text + p->tok.start;
    size_t n = p->tok.end - p->tok.start;
    char quote = s[0];
    char *out = arena_alloc(&p->q->mem, n);
    size_t o = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        if (s[i] == '\\' && i + 2 < n && (s[i + 1] == '\\' || s[i + 1] == '\'' || s[i + 1] == '"')) {
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
