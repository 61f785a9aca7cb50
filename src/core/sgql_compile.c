/*
 * sgql_compile: sgql_compile and what it decides once: nodes are appended to the query
 * (at most SGQL_MAX_NODES, nesting at most SGQL_MAX_DEPTH), field names are bound to
 * where their value lives, and literals take the type of what they are compared with, so
 * type mistakes are compile errors (sgql.h). The returned query owns everything it needs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/sgql_internal.h"
#include "core/timeutil.h"

/* ---- building nodes ---------------------------------------------------------------- */

int sgql_node_new(parser *p, node_op op, kind k)
{
    sgql_query *q = p->q;
    if (q->count >= SGQL_MAX_NODES) {
        sgql_fail(p, "query is too complex: more than %d terms", SGQL_MAX_NODES);
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

bool sgql_depth_push(parser *p)
{
    if (++p->depth > SGQL_MAX_DEPTH) {
        sgql_fail(p, "query nests deeper than %d levels", SGQL_MAX_DEPTH);
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
void sgql_describe(parser *p, int i, char *out, size_t size)
{
    const node *n = nd(p, i);
    if (n->op == N_FIELD)
        snprintf(out, size, "%s (a %s field)", n->name, kind_name(n->kind));
    else if (n->op == N_LIT && n->literal)
        snprintf(out, size, "%s'%.*s%s'", n->kind == K_NUM ? "the number " : "", SHOW(n->s, n->n));
    else
        snprintf(out, size, "a %s value", kind_name(n->kind));
}

/* Give literal node i the type k of what it is compared with; other is that node. */
bool sgql_coerce(parser *p, int i, int k, int other)
{
    node *n = nd(p, i);
    char what[160];
    sgql_describe(p, other, what, sizeof what);
    if (n->kind == K_STR && k == K_NUM) {
        if (!sgql_parse_number(n->s, n->n, &n->num)) {
            sgql_fail(p, "'%.*s%s' is not a number, so it cannot be compared with %s",
                      SHOW(n->s, n->n), what);
            return false;
        }
    } else if (n->kind == K_STR && k == K_TIME) {
        if (!time_parse(n->s, n->n, &n->t)) {
            sgql_fail(p,
                      "'%.*s%s' is not a date (use 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM:SSZ'), so it "
                      "cannot be compared with %s",
                      SHOW(n->s, n->n), what);
            return false;
        }
    } else if (n->kind == K_NUM && k == K_STR) {
        /* a number against a Text value: compare its text, as written */
    } else {
        sgql_fail(p, "cannot compare %s with %s", kind_name(n->kind), what);
        return false;
    }
    n->kind = (unsigned char)k;
    n->literal = false;
    return true;
}

/* Make a and b comparable: convert a literal side to the other side's type, or fail. */
bool sgql_unify(parser *p, int a, int b)
{
    const node *x = nd(p, a), *y = nd(p, b);
    if (x->kind == K_ARRAY || y->kind == K_ARRAY) {
        const node *arr = x->kind == K_ARRAY ? x : y;
        sgql_fail(p, "%s is a list: use CONTAINS(%s, value)", arr->name, arr->name);
        return false;
    }
    if (x->kind == K_NULL || y->kind == K_NULL || x->kind == y->kind)
        return true;
    if (x->literal && !y->literal)
        return sgql_coerce(p, a, y->kind, b);
    if (y->literal && !x->literal)
        return sgql_coerce(p, b, x->kind, a);
    if (x->literal && y->literal) /* a string and a number, both written: compare as numbers */
        return x->kind == K_STR ? sgql_coerce(p, a, K_NUM, b) : sgql_coerce(p, b, K_NUM, a);
    char wa[160], wb[160];
    sgql_describe(p, a, wa, sizeof wa);
    sgql_describe(p, b, wb, sizeof wb);
    sgql_fail(p, "cannot compare %s with %s", wa, wb);
    return false;
}

/* ---- fields ------------------------------------------------------------------------ */

/* Fields SendGrid defines that this server never fills: they are always unset. */
static const struct {
    const char *name;
    kind k;
} unset_fields[] = {
    {"last_clicked", K_TIME},
    {"last_opened", K_TIME},
    {"last_emailed", K_TIME},
    {"singlesend_id", K_STR},
    {"automation_id", K_STR},
    /* the engagement fields of SendGrid's reference: contactd records no events */
    {"event_source", K_STR},
    {"event_type", K_STR},
    {"event_timestamp", K_TIME},
    {"event_data", K_STR},
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
        {"contact_id", S_ID, K_STR},           {"created_at", S_CREATED, K_TIME},
        {"updated_at", S_UPDATED, K_TIME},     {"list_ids", S_LISTS, K_ARRAY},
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
int sgql_field_node(parser *p)
{
    size_t n = p->tok.end - p->tok.start;
    char name[FIELD_NAME_MAX + 1];
    if (n > FIELD_NAME_MAX) {
        sgql_fail(p, "unknown field '%.*s%s'", SHOW(p->text + p->tok.start, n));
        return -1;
    }
    memcpy(name, p->text + p->tok.start, n);
    name[n] = '\0';
    source src;
    kind k;
    int index;
    const char *id;
    if (!bind_field(name, p->fields, &src, &k, &index, &id)) {
        sgql_fail(p, "unknown field '%s'", name);
        return -1;
    }
    int i = sgql_node_new(p, N_FIELD, k);
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
    sgql_lex(p);
    return i;
}

sgql_query *sgql_compile(const char *text, const field_catalog *fields, int64_t now_ms, char *err,
                         size_t err_size)
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
    parser p = {.text = text ? text : "",
                .len = len,
                .now_ms = now_ms,
                .fields = fields,
                .q = q,
                .err = err,
                .err_size = err_size};
    sgql_lex(&p);
    if (p.tok.type == T_EOF) {
        sgql_fail(&p, "query is empty");
    } else {
        q->root = sgql_parse_or(&p);
        if (!p.failed && p.tok.type != T_EOF)
            sgql_fail_at(&p, "AND, OR or the end of the query");
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

bool sgql_uses_lists(const sgql_query *q)
{
    return q && q->uses_lists;
}
