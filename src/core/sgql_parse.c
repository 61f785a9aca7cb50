/*
 * sgql_parse: SGQL's grammar (sgql.h), by recursive descent. Each function parses one
 * rule at the current token and returns the index of its node, or -1 after sgql_fail.
 * Constant date arithmetic is folded here and LIKE patterns become code point arrays.
 * Recursion is bounded by SGQL_MAX_DEPTH (sgql_depth_push); AND/OR chains and IN lists are
 * sibling lists, not deep trees.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/sgql_internal.h"
#include "core/timeutil.h"
#include "core/utf8.h"

/* ---- values ------------------------------------------------------------------------ */

static int parse_value(parser *p);
static int parse_group_value(parser *p);
static int parse_negation(parser *p);
static int parse_length(parser *p);
static int parse_concat(parser *p);

/* A new node over operands a and b (-1 for none), with sub; its index, or -1 (failed). */
static int node_over(parser *p, node_op op, kind k, int sub, int a, int b)
{
    int i = sgql_node_new(p, op, k);
    if (i >= 0) {
        node *n = nd(p, i);
        n->sub = (unsigned char)sub;
        n->a = a;
        n->b = b;
    }
    return i;
}

/* rule at the current token, one nesting level deeper (SGQL_MAX_DEPTH); its node or -1. */
static int nested(parser *p, int (*rule)(parser *))
{
    if (!sgql_depth_push(p))
        return -1;
    int v = rule(p);
    p->depth--;
    return v;
}

static int time_literal(parser *p, int64_t t)
{
    int i = sgql_node_new(p, N_LIT, K_TIME);
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
        {"second", 1000, 0},     {"minute", 60000, 0},         {"hour", 3600000, 0},
        {"day", TIME_DAY_MS, 0}, {"week", 7 * TIME_DAY_MS, 0}, {"month", 0, 1},
        {"year", 0, 12},
    };
    const char *num;
    size_t numlen;
    bool neg = false;
    const char *unit = NULL;
    size_t unitlen = 0;
    if (p->tok.type == T_MINUS) {
        neg = true;
        sgql_lex(p);
    }
    if (p->tok.type == T_NUM) {
        num = p->text + p->tok.start;
        numlen = p->tok.end - p->tok.start;
    } else if (p->tok.type == T_STR && !neg) {
        /* '7', '-7' or '7 days' */
        num = sgql_string_value(p, &numlen);
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
        sgql_fail_at(p, "a number after INTERVAL");
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
        sgql_fail(p,
                  "syntax error at position %zu: an INTERVAL takes a whole number from 0 to 100000",
                  p->tok.start + 1);
        return false;
    }
    sgql_lex(p);
    if (!unit) {
        if (p->tok.type != T_IDENT) {
            sgql_fail_at(p, "a unit (SECOND, MINUTE, HOUR, DAY, WEEK, MONTH or YEAR)");
            return false;
        }
        unit = p->text + p->tok.start;
        unitlen = p->tok.end - p->tok.start;
        sgql_lex(p);
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
    sgql_fail(p,
              "unknown INTERVAL unit '%.*s%s' (use SECOND, MINUTE, HOUR, DAY, WEEK, MONTH or YEAR)",
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
        if (!time_parse(n->s, n->n, &n->t)) {
            sgql_fail(p, "'%.*s%s' is not a date, so INTERVAL cannot be added to it",
                      SHOW(n->s, n->n));
            return -1;
        }
        n->kind = K_TIME;
        n->literal = false;
    }
    if (n->kind == K_NULL)
        return v;
    if (n->kind != K_TIME) {
        char what[160];
        sgql_describe(p, v, what, sizeof what);
        sgql_fail(p, "INTERVAL can only be added to a date, not to %s", what);
        return -1;
    }
    if (n->op == N_LIT) {
        if (!time_add(n->t, months, ms, &n->t)) {
            sgql_fail(p, "date out of range at position %zu", at + 1);
            return -1;
        }
        return v;
    }
    if (!sgql_depth_push(p))
        return -1;
    int i = node_over(p, N_INTERVAL, K_TIME, 0, v, -1);
    if (i >= 0) {
        nd(p, i)->months = months;
        nd(p, i)->t = ms;
    }
    return i;
}

/* fname '(' value ')' for a function of one Text value (lower, upper, length), from its
 * name: the value (a number written in the query counts as its text, NULL stays NULL). */
static int text_argument(parser *p, const char *fname)
{
    sgql_lex(p); /* the name */
    sgql_lex(p); /* '(' */
    int v = nested(p, parse_value);
    if (v < 0 || !sgql_expect(p, T_RP, "')'"))
        return -1;
    node *n = nd(p, v);
    if (n->kind == K_NUM && n->literal)
        n->kind = K_STR;
    if (n->kind != K_STR && n->kind != K_NULL) {
        char what[160];
        sgql_describe(p, v, what, sizeof what);
        sgql_fail(p, "%s() takes a Text value, not %s", fname, what);
        return -1;
    }
    return v;
}

static int parse_fold(parser *p, int fold)
{
    int v = text_argument(p, fold == FOLD_LOWER ? "lower" : "upper");
    if (v < 0 || nd(p, v)->kind == K_NULL)
        return v;
    return node_over(p, N_FOLD, K_STR, fold, v, -1);
}

/* unary := - unary | atom (the grammar's two rules in one: a value without arithmetic). */
static int parse_unary(parser *p)
{
    int i;
    size_t at = p->tok.start;
    switch (p->tok.type) {
    case T_LP: return parse_group_value(p);
    case T_QIDENT: return sgql_field_node(p);
    case T_MINUS:
        if (sgql_peek_next(p) != T_NUM || p->text[at + 1] < '0' || p->text[at + 1] > '9')
            return parse_negation(p);
        sgql_lex(p);
        /* -5 written together is a negative number literal */
        __attribute__((fallthrough));
    case T_NUM: {
        size_t n = p->tok.end - at;
        if (n > 60) {
            sgql_fail(p, "syntax error at position %zu: number too long", at + 1);
            return -1;
        }
        if ((i = sgql_node_new(p, N_LIT, K_NUM)) < 0)
            return -1;
        node *lit = nd(p, i);
        lit->literal = true;
        lit->s = arena_strndup(&p->q->mem, p->text + at, n);
        lit->n = n;
        if (!sgql_parse_number(lit->s, n, &lit->num)) {
            sgql_fail(p, "syntax error at position %zu: bad number", at + 1);
            return -1;
        }
        sgql_lex(p);
        return i;
    }
    case T_STR: {
        if ((i = sgql_node_new(p, N_LIT, K_STR)) < 0)
            return -1;
        size_t n;
        const char *s = sgql_string_value(p, &n);
        node *lit = nd(p, i);
        lit->literal = true;
        lit->s = s;
        lit->n = n;
        sgql_lex(p);
        return i;
    }
    case T_IDENT: break;
    default: sgql_fail_at(p, "a field or a value"); return -1;
    }
    tok_type after = sgql_peek_next(p);
    if (sgql_is_kw(p, "NULL") || sgql_is_kw(p, "TRUE") || sgql_is_kw(p, "FALSE")) {
        bool null = sgql_is_kw(p, "NULL"), truth = sgql_is_kw(p, "TRUE");
        if ((i = sgql_node_new(p, N_LIT, null ? K_NULL : K_BOOL)) < 0)
            return -1;
        nd(p, i)->num = truth;
        sgql_lex(p);
        return i;
    }
    bool today = sgql_is_kw(p, "CURRENT_DATE");
    if (today || sgql_is_kw(p, "CURRENT_TIMESTAMP") || (sgql_is_kw(p, "NOW") && after == T_LP)) {
        sgql_lex(p);
        if (p->tok.type == T_LP) { /* CURRENT_DATE() and NOW() */
            sgql_lex(p);
            if (!sgql_expect(p, T_RP, "')'"))
                return -1;
        }
        if (p->now_ms > TIME_LIMIT || p->now_ms < -TIME_LIMIT) {
            sgql_fail(p, "the current time is out of range");
            return -1;
        }
        return time_literal(p, today ? time_day_start(p->now_ms) : p->now_ms);
    }
    bool date = sgql_is_kw(p, "DATE");
    if ((date || sgql_is_kw(p, "TIMESTAMP")) && after == T_STR) {
        sgql_lex(p);
        size_t n;
        const char *s = sgql_string_value(p, &n);
        int64_t t;
        if (!time_parse(s, n, &t)) {
            sgql_fail(p, "'%.*s%s' is not a date (use 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM:SSZ')",
                      SHOW(s, n));
            return -1;
        }
        sgql_lex(p);
        return time_literal(p, date ? time_day_start(t) : t);
    }
    if (after == T_LP) {
        if (sgql_is_kw(p, "LOWER"))
            return parse_fold(p, FOLD_LOWER);
        if (sgql_is_kw(p, "UPPER"))
            return parse_fold(p, FOLD_UPPER);
        if (sgql_is_kw(p, "LENGTH"))
            return parse_length(p);
        if (sgql_is_kw(p, "CONCAT"))
            return parse_concat(p);
        size_t n = p->tok.end - p->tok.start;
        sgql_fail(p, "unknown function '%.*s%s'", SHOW(p->text + p->tok.start, n));
        return -1;
    }
    return sgql_field_node(p);
}

/* a op b for op in + - * / % (b is not 0 for / and %): at compile time for constants,
 * when matching for the rest. */
double sgql_arith_apply(char op, double a, double b)
{
    switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return a / b;
    default: return fmod(a, b);
    }
}

/* Numbers: +, -, *, / and %, and unary minus (SendGrid's reference). Operands of the
 * wrong type are compile errors; two constants are folded. */
static int arith(parser *p, char op, int a, int b, size_t at)
{
    const node *x = nd(p, a), *y = nd(p, b);
    if (x->kind == K_NULL)
        return a; /* NULL op anything is NULL */
    if (y->kind == K_NULL)
        return b;
    if (x->kind == K_TIME || y->kind == K_TIME) {
        sgql_fail(p,
                  "syntax error at position %zu: expected INTERVAL (only intervals can be added to "
                  "or subtracted from a date)",
                  at + 1);
        return -1;
    }
    /* a quoted number next to a Number value is that number ('5' * 2) */
    if (x->kind == K_STR && x->literal && y->kind == K_NUM && !sgql_coerce(p, a, K_NUM, b))
        return -1;
    if (y->kind == K_STR && y->literal && nd(p, a)->kind == K_NUM && !sgql_coerce(p, b, K_NUM, a))
        return -1;
    x = nd(p, a);
    y = nd(p, b);
    if (x->kind != K_NUM || y->kind != K_NUM) {
        char what[160];
        sgql_describe(p, x->kind != K_NUM ? a : b, what, sizeof what);
        sgql_fail(p, "'%c' needs numbers, not %s", op, what);
        return -1;
    }
    if (x->op == N_LIT && y->op == N_LIT) {
        double r = x->num, d = y->num;
        if ((op == '/' || op == '%') && d == 0) {
            sgql_fail(p, "division by zero at position %zu", at + 1);
            return -1;
        }
        node *lit = nd(p, a);
        lit->num = sgql_arith_apply(op, r, d);
        lit->literal = false;
        return a;
    }
    return node_over(p, N_ARITH, K_NUM, op, a, b);
}

/* Text a then Text b; a number written in the query counts as its text. */
static int concat(parser *p, int a, int b)
{
    for (int k = 0; k < 2; k++) {
        node *n = nd(p, k ? b : a);
        if (n->kind == K_NUM && n->literal)
            n->kind = K_STR;
        if (n->kind == K_NULL)
            return k ? b : a;
        if (n->kind != K_STR) {
            char what[160];
            sgql_describe(p, k ? b : a, what, sizeof what);
            sgql_fail(p, "only Text can be joined, not %s", what);
            return -1;
        }
    }
    node *x = nd(p, a), *y = nd(p, b);
    if (x->op == N_LIT && y->op == N_LIT) {
        char *s = arena_alloc(&p->q->mem, x->n + y->n + 1);
        memcpy(s, x->s, x->n);
        memcpy(s + x->n, y->s, y->n);
        s[x->n + y->n] = '\0';
        x->s = s;
        x->n += y->n;
        return a;
    }
    return node_over(p, N_CONCAT, K_STR, 0, a, b);
}

/* a + b: numbers add, and Text joins Text (String + String, SendGrid's reference). */
static int plus(parser *p, int a, int b, size_t at)
{
    const node *x = nd(p, a), *y = nd(p, b);
    bool text = (x->kind == K_STR && !(x->literal && y->kind == K_NUM && !y->literal)) ||
                (y->kind == K_STR && !(y->literal && x->kind == K_NUM && !x->literal));
    return text ? concat(p, a, b) : arith(p, '+', a, b, at);
}

/* The operand after a binary operator; the operator node counts a nesting level (see
 * SGQL_MAX_DEPTH), so a long chain cannot recurse deeply when matched. */
static int next_operand(parser *p, int (*next)(parser *), int *pushed)
{
    if (!sgql_depth_push(p))
        return -1;
    (*pushed)++;
    return next(p);
}

/* term := unary ((* | / | %) unary)* */
static int parse_term(parser *p)
{
    int v = parse_unary(p), pushed = 0;
    while (v >= 0 && (p->tok.type == T_STAR || p->tok.type == T_SLASH || p->tok.type == T_PERCENT)) {
        char op = p->text[p->tok.start];
        size_t at = p->tok.start;
        sgql_lex(p);
        int w = next_operand(p, parse_unary, &pushed);
        v = w < 0 ? -1 : arith(p, op, v, w, at);
    }
    p->depth -= pushed;
    return v;
}

/* value := term ((+ | -) (INTERVAL ... | term))* */
static int parse_value(parser *p)
{
    int v = parse_term(p), pushed = 0;
    while (v >= 0 && (p->tok.type == T_PLUS || p->tok.type == T_MINUS)) {
        bool minus = p->tok.type == T_MINUS;
        size_t at = p->tok.start;
        sgql_lex(p);
        if (sgql_is_kw(p, "INTERVAL")) {
            sgql_lex(p);
            int depth = p->depth;
            v = apply_interval(p, v, minus);
            pushed += p->depth - depth;
            continue;
        }
        int w = next_operand(p, parse_term, &pushed);
        v = w < 0 ? -1 : minus ? arith(p, '-', v, w, at) : plus(p, v, w, at);
    }
    p->depth -= pushed;
    return v;
}

/* '(' value ')' where a value is expected: created_at >= (NOW() - INTERVAL 10 DAY). */
static int parse_group_value(parser *p)
{
    sgql_lex(p);
    int v = nested(p, parse_value);
    if (v < 0 || !sgql_expect(p, T_RP, "')'"))
        return -1;
    return v;
}

/* - value, for a value that is not a number written right after the '-'. */
static int parse_negation(parser *p)
{
    size_t at = p->tok.start;
    sgql_lex(p);
    int v = nested(p, parse_unary);
    if (v < 0)
        return -1;
    node *n = nd(p, v);
    if (n->kind == K_STR && n->literal && !sgql_coerce(p, v, K_NUM, v))
        return -1;
    n = nd(p, v);
    if (n->kind == K_NULL)
        return v;
    if (n->kind != K_NUM) {
        char what[160];
        sgql_describe(p, v, what, sizeof what);
        sgql_fail(p, "syntax error at position %zu: '-' needs a number, not %s", at + 1, what);
        return -1;
    }
    if (n->op == N_LIT) {
        n->num = -n->num;
        n->literal = false;
        return v;
    }
    return node_over(p, N_ARITH, K_NUM, 'n', v, -1);
}

/* LENGTH(text): its number of characters. */
static int parse_length(parser *p)
{
    int v = text_argument(p, "length");
    if (v < 0 || nd(p, v)->kind == K_NULL)
        return v;
    return node_over(p, N_LENGTH, K_NUM, 0, v, -1);
}

/* CONCAT(text, text, ...): the values joined. */
static int parse_concat(parser *p)
{
    sgql_lex(p); /* the name */
    sgql_lex(p); /* '(' */
    int pushed = 0;
    int v = next_operand(p, parse_value, &pushed);
    while (v >= 0 && p->tok.type == T_COMMA) {
        sgql_lex(p);
        int w = next_operand(p, parse_value, &pushed);
        v = w < 0 ? -1 : concat(p, v, w);
    }
    if (v < 0 || !sgql_expect(p, T_RP, "',' or ')'"))
        return -1;
    p->depth -= pushed;
    return v;
}

/* ---- conditions -------------------------------------------------------------------- */

static int parse_like(parser *p, int v, bool neg)
{
    node *n = nd(p, v);
    if (n->kind == K_NUM && n->literal)
        n->kind = K_STR;
    if (n->kind != K_STR && n->kind != K_NULL) {
        char what[160];
        sgql_describe(p, v, what, sizeof what);
        sgql_fail(p, "LIKE needs a Text value, not %s", what);
        return -1;
    }
    if (p->tok.type != T_STR) {
        sgql_fail_at(p, "a quoted pattern after LIKE");
        return -1;
    }
    size_t len;
    const char *s = sgql_string_value(p, &len);
    int32_t *pat = arena_alloc(&p->q->mem, (len + 1) * sizeof(int32_t));
    size_t m = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] == '%' && i + 1 < len && s[i + 1] == '%') {
            i += 2;
            pat[m++] = '%'; /* %% is a literal percent sign (SendGrid's reference) */
        } else if (s[i] == '%') {
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
    sgql_lex(p);
    int i = node_over(p, N_LIKE, K_BOOL, 0, v, -1);
    if (i >= 0) {
        nd(p, i)->neg = neg;
        nd(p, i)->pat = pat;
        nd(p, i)->patn = m;
    }
    return i;
}

static int parse_in(parser *p, int v, bool neg)
{
    if (!sgql_expect(p, T_LP, "'(' after IN"))
        return -1;
    int i = node_over(p, N_IN, K_BOOL, 0, v, -1);
    if (i < 0)
        return -1;
    nd(p, i)->neg = neg;
    int last = -1;
    for (;;) {
        size_t at = p->tok.start;
        int item = parse_value(p);
        if (item < 0)
            return -1;
        if (nd(p, item)->op != N_LIT) {
            sgql_fail(p, "syntax error at position %zu: IN takes a list of values, not fields",
                      at + 1);
            return -1;
        }
        if (!sgql_unify(p, v, item))
            return -1;
        if (last < 0)
            nd(p, i)->b = item;
        else
            nd(p, last)->next = item;
        last = item;
        if (p->tok.type == T_COMMA) {
            sgql_lex(p);
            continue;
        }
        if (!sgql_expect(p, T_RP, "',' or ')'"))
            return -1;
        return i;
    }
}

static int parse_contains(parser *p)
{
    sgql_lex(p); /* the name */
    sgql_lex(p); /* '(' */
    if (p->tok.type != T_IDENT && p->tok.type != T_QIDENT) {
        sgql_fail_at(p, "a list field (list_ids, alternate_emails or email_domains)");
        return -1;
    }
    int f = sgql_field_node(p);
    if (f < 0)
        return -1;
    if (nd(p, f)->kind != K_ARRAY) {
        sgql_fail(p,
                  "CONTAINS needs a list field (list_ids, alternate_emails or email_domains), "
                  "and %s is not one",
                  nd(p, f)->name);
        return -1;
    }
    if (!sgql_expect(p, T_COMMA, "','"))
        return -1;
    size_t at = p->tok.start;
    int v = parse_value(p);
    if (v < 0)
        return -1;
    node *lit = nd(p, v);
    if (lit->op != N_LIT || (lit->kind != K_STR && lit->kind != K_NUM && lit->kind != K_NULL)) {
        sgql_fail(p, "syntax error at position %zu: CONTAINS takes a quoted value", at + 1);
        return -1;
    }
    lit->kind = lit->kind == K_NULL ? K_NULL : K_STR;
    if (!sgql_expect(p, T_RP, "')'"))
        return -1;
    return node_over(p, N_CONTAINS, K_BOOL, 0, f, v);
}

static int parse_predicate(parser *p)
{
    if ((sgql_is_kw(p, "CONTAINS") || sgql_is_kw(p, "ARRAY_CONTAINS")) && sgql_peek_next(p) == T_LP)
        return parse_contains(p);
    int v = parse_value(p);
    if (v < 0)
        return -1;
    static const tok_type cmp_tok[] = {T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE};
    for (int c = 0; c < 6; c++) {
        if (p->tok.type != cmp_tok[c])
            continue;
        sgql_lex(p);
        int w = parse_value(p);
        if (w < 0 || !sgql_unify(p, v, w))
            return -1;
        return node_over(p, N_CMP, K_BOOL, c, v, w);
    }
    bool neg = false;
    if (sgql_is_kw(p, "NOT")) {
        neg = true;
        sgql_lex(p);
        if (!sgql_is_kw(p, "LIKE") && !sgql_is_kw(p, "IN") && !sgql_is_kw(p, "BETWEEN")) {
            sgql_fail_at(p, "LIKE, IN or BETWEEN after NOT");
            return -1;
        }
    }
    if (sgql_is_kw(p, "LIKE")) {
        sgql_lex(p);
        return parse_like(p, v, neg);
    }
    if (sgql_is_kw(p, "IN")) {
        sgql_lex(p);
        return parse_in(p, v, neg);
    }
    if (sgql_is_kw(p, "BETWEEN")) {
        sgql_lex(p);
        int lo = parse_value(p);
        if (lo < 0 || !sgql_unify(p, v, lo))
            return -1;
        if (!sgql_is_kw(p, "AND")) {
            sgql_fail_at(p, "AND");
            return -1;
        }
        sgql_lex(p);
        int hi = parse_value(p);
        if (hi < 0 || !sgql_unify(p, v, hi))
            return -1;
        int i = node_over(p, N_BETWEEN, K_BOOL, 0, v, lo);
        if (i >= 0) {
            nd(p, i)->c = hi;
            nd(p, i)->neg = neg;
        }
        return i;
    }
    if (sgql_is_kw(p, "IS")) {
        sgql_lex(p);
        if (sgql_is_kw(p, "NOT")) {
            neg = true;
            sgql_lex(p);
        }
        if (!sgql_is_kw(p, "NULL")) {
            sgql_fail_at(p, "NULL");
            return -1;
        }
        sgql_lex(p);
        int i = node_over(p, N_ISNULL, K_BOOL, 0, v, -1);
        if (i >= 0)
            nd(p, i)->neg = neg;
        return i;
    }
    if (nd(p, v)->kind == K_ARRAY) {
        sgql_fail(p, "%s is a list: use CONTAINS(%s, value)", nd(p, v)->name, nd(p, v)->name);
        return -1;
    }
    if (nd(p, v)->kind == K_BOOL && nd(p, v)->op == N_LIT)
        return v; /* a bare TRUE or FALSE is a condition of its own (... AND TRUE) */
    sgql_fail_at(p, "a comparison (=, !=, <, <=, >, >=, LIKE, IN, BETWEEN or IS)");
    return -1;
}

/* Whether the parenthesised group at the current '(' is a value — (NOW() - INTERVAL 10
 * DAY) — rather than a condition: it holds no comparison, no condition keyword and no
 * CONTAINS, at any depth (a value cannot contain a condition). An unclosed group counts as
 * a condition, whose parse reports it as before. Reads ahead without consuming. */
static bool group_is_value(parser *p)
{
    static const char *const cond_kw[] = {"AND", "OR",      "NOT",      "LIKE",          "IN",
                                          "IS",  "BETWEEN", "CONTAINS", "ARRAY_CONTAINS"};
    token saved = p->tok;
    size_t pos = p->pos;
    int level = 0;
    bool value = false;
    for (sgql_lex(p);; sgql_lex(p)) {
        tok_type t = p->tok.type;
        if (t == T_EOF || t == T_BAD || (t >= T_EQ && t <= T_GE))
            break;
        if (t == T_LP) {
            level++;
        } else if (t == T_RP && level-- == 0) {
            value = true;
            break;
        }
        bool kw = false;
        for (size_t k = 0; k < sizeof cond_kw / sizeof cond_kw[0] && !kw; k++)
            kw = sgql_is_kw(p, cond_kw[k]);
        if (kw)
            break;
    }
    p->tok = saved;
    p->pos = pos;
    return value;
}

static int parse_not(parser *p)
{
    if (sgql_is_kw(p, "NOT")) {
        sgql_lex(p);
        int a = nested(p, parse_not);
        return a < 0 ? -1 : node_over(p, N_NOT, K_BOOL, 0, a, -1);
    }
    if (p->tok.type == T_LP && !group_is_value(p)) {
        sgql_lex(p);
        int e = nested(p, sgql_parse_or);
        if (e < 0 || !sgql_expect(p, T_RP, "')'"))
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
    if (first < 0 || !sgql_is_kw(p, kw))
        return first;
    int i = node_over(p, op, K_BOOL, 0, first, -1);
    if (i < 0)
        return -1;
    int last = first;
    while (sgql_is_kw(p, kw)) {
        sgql_lex(p);
        int next = operand(p);
        if (next < 0)
            return -1;
        nd(p, last)->next = next;
        last = next;
    }
    return i;
}

static int parse_and(parser *p)
{
    return parse_chain(p, N_AND, "AND", parse_not);
}

int sgql_parse_or(parser *p)
{
    return parse_chain(p, N_OR, "OR", parse_and);
}
