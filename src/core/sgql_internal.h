/*
 * sgql_internal: what the parts of the SGQL compiler and matcher share; not for use
 * outside src/core/sgql_*.c (the public interface is core/sgql.h).
 *
 *   sgql_lex.c      tokens, keywords, quoted strings, numbers, syntax error messages
 *   sgql_parse.c    the grammar (sgql.h): values and conditions into nodes
 *   sgql_compile.c  sgql_compile: node building, field binding and type checking
 *   sgql_match.c    sgql_match: evaluation of the nodes against one contact
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
 * parenthesis, NOT, function call, unary minus, arithmetic operator, CONCAT argument and
 * INTERVAL step counts one level, and AND/OR chains
 * and IN lists are stored as sibling lists walked by loops, not as deep trees.
 */
#ifndef CONTACTD_CORE_SGQL_INTERNAL_H
#define CONTACTD_CORE_SGQL_INTERNAL_H

#include "core/arena.h"
#include "core/sgql.h"

/* ---- nodes ------------------------------------------------------------------------- */

typedef enum node_op {
    /* conditions */
    N_AND, /* children: a, then ->next */
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
    N_ARITH,    /* a sub b for sub in + - * / %, or -a for sub 'n' (Numbers) */
    N_CONCAT,   /* a then b (Text): String + String, CONCAT() */
    N_LENGTH,   /* the code points of a */
} node_op;

typedef enum kind { K_NULL, K_BOOL, K_NUM, K_STR, K_TIME, K_ARRAY } kind;

typedef enum source {
    S_NONE,     /* a field SendGrid has but we never fill (last_opened, ...): always unset */
    S_RESERVED, /* c->field[index] */
    S_ID,
    S_CREATED,
    S_UPDATED,
    S_CUSTOM, /* custom_fields[s] */
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
    bool neg;      /* NOT LIKE, NOT IN, IS NOT NULL, NOT BETWEEN */
    bool literal;  /* a quoted string or a number as written: may take the other side's type */
    int a, b, c;   /* operands (node indexes, -1 for none) */
    int next;      /* the next sibling in an AND/OR or IN list, or -1 */
    int index;     /* S_RESERVED: the contact_field */
    const char *s; /* string literal, a number's text, a custom field id */
    size_t n;
    const char *name; /* a field's name as the query wrote it, for messages */
    double num;
    int64_t t;          /* a time literal; N_INTERVAL: milliseconds to add */
    int32_t months;     /* N_INTERVAL */
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

/* ---- the parser's state ------------------------------------------------------------ */

typedef enum tok_type {
    T_EOF,
    T_IDENT,
    T_NUM,
    T_STR,
    T_LP,
    T_RP,
    T_COMMA,
    T_EQ,
    T_NE,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_PLUS,
    T_MINUS,
    T_STAR,
    T_SLASH,
    T_PERCENT,
    T_QIDENT, /* `a field name`: the span is the name, without the backticks */
    T_BAD,
} tok_type;

typedef struct token {
    tok_type type;
    size_t start, end; /* byte span in the text */
} token;

typedef struct parser {
    const char *text;
    size_t len;
    token tok;  /* the current token */
    size_t pos; /* where the next token starts */
    int depth;
    int64_t now_ms;
    const field_catalog *fields;
    sgql_query *q;
    char *err;
    size_t err_size;
    bool failed;
} parser;

static inline node *nd(parser *p, int i)
{
    return &p->q->nodes[i];
}

/* ---- sgql_lex.c -------------------------------------------------------------------- */

/* -?digits(.digits)? as the query language writes numbers; s need not be terminated. */
bool sgql_parse_number(const char *s, size_t n, double *out);
/* Record a compile error (the first one wins) and mark the parse failed. */
void sgql_fail(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Lex the token at p->pos into p->tok. */
void sgql_lex(parser *p);
/* The type of the token after the current one, without consuming anything. */
tok_type sgql_peek_next(parser *p);
/* True when the current token is the keyword kw (ignoring case). */
bool sgql_is_kw(const parser *p, const char *kw);
/* A syntax error at the current token. */
void sgql_fail_at(parser *p, const char *expected);
/* Consume a token of type, or fail naming what was expected. */
bool sgql_expect(parser *p, tok_type type, const char *what);
/* The current string token's value with its quoting undone: '' (or "") is one quote,
 * \' \" and \\ are the escaped character. Any other backslash is kept with the character
 * after it, so LIKE patterns can escape % and _. */
const char *sgql_string_value(parser *p, size_t *n_out);

/* How many bytes of s (n bytes long) a message shows: at most 40, never cutting a UTF-8
 * character, so messages stay valid UTF-8 for the JSON that carries them. Used with
 * "%.*s%s" through SHOW(). */
#define SHOW_MAX 40
static inline int sgql_show_len(const char *s, size_t n)
{
    size_t k = n > SHOW_MAX ? SHOW_MAX : n;
    while (k > 0 && k < n && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return (int)k;
}
#define SHOW(s, n) sgql_show_len((s), (n)), (s), ((n) > SHOW_MAX ? "..." : "")

/* ---- sgql_compile.c ---------------------------------------------------------------- */

/* Append a node; its index, or -1 (failed) past SGQL_MAX_NODES. */
int sgql_node_new(parser *p, node_op op, kind k);
/* Enter one nesting level; false (failed) past SGQL_MAX_DEPTH. */
bool sgql_depth_push(parser *p);
/* How a message names a value: a field by its name, a literal as written. */
void sgql_describe(parser *p, int i, char *out, size_t size);
/* Make a and b comparable: convert a literal side to the other side's type, or fail. */
bool sgql_unify(parser *p, int a, int b);
/* Give literal node i the type k of what it is compared with (node other), or fail. */
bool sgql_coerce(parser *p, int i, int k, int other);
/* Bind the identifier at the current token to a field node. */
int sgql_field_node(parser *p);

/* ---- sgql_parse.c ------------------------------------------------------------------ */

/* The whole condition at the current token (the grammar's expr); its node, or -1. */
int sgql_parse_or(parser *p);
/* a op b for op in + - * / % (b is not 0 for / and %): constants folded when parsing,
 * the rest when matching. */
double sgql_arith_apply(char op, double a, double b);

#endif
