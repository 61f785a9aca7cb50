/* state: see state.h. */
#include "api/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/contact_decode.h"
#include "core/contact_json.h"
#include "core/fields.h"
#include "core/paging.h"
#include "core/segment_query.h"
#include "core/timeutil.h"
#include "jobs/segments.h"

#define STATE_MAX_LISTS 1000

typedef struct state_list {
    const char *id, *name;
} state_list;

typedef struct state_contact {
    char id[UUID_STR_LEN + 1];
    const char **list_ids;
    size_t list_count;
    int64_t created_at, updated_at;
} state_contact;

struct state_doc {
    state_list *lists;
    size_t list_count;
    field_catalog fields;
    int64_t *field_seq;
    upsert_batch *batch; /* the contacts' fields, decoded as an upsert */
    state_contact *contacts;
    size_t contact_count;
    segment_row *segments; /* id, name, query_dsl and parent_list_id */
    size_t segment_count;
};

/* ---- parsing ------------------------------------------------------------------------- */

/* The errors of from, their field names prefixed (from's fields are all set). */
static void add_prefixed(errlist *to, const errlist *from, const char *prefix, arena *a)
{
    for (size_t i = 0; i < from->count; i++)
        errlist_add(to, arena_printf(a, "%s%s", prefix, from->items[i].field), "%s",
                    from->items[i].message);
}

/* A member that must be an array (absent: empty). NULL after an error. */
static const json_t *array_member(const json_t *root, const char *key, const char *prefix,
                                  errlist *errs)
{
    const json_t *v = json_object_get(root, key);
    if (v && !json_is_array(v)) {
        errlist_add(errs, key, "%s%s must be an array", prefix, key);
        return NULL;
    }
    return v;
}

static void parse_lists(state_doc *d, const json_t *arr, const char *prefix, arena *a, errlist *errs)
{
    d->list_count = json_array_size(arr);
    if (d->list_count > STATE_MAX_LISTS)
        errlist_add(errs, "lists", "%slists: at most %d lists", prefix, STATE_MAX_LISTS);
    d->lists = arena_calloc(a, d->list_count + 1, sizeof *d->lists);
    for (size_t i = 0; i < d->list_count && i < STATE_MAX_LISTS; i++) {
        const json_t *l = json_array_get(arr, i);
        const char *id = json_string_value(json_object_get(l, "id"));
        const json_t *jn = json_object_get(l, "name");
        const char *why = api_name_problem(jn);
        const char *name = why ? NULL : json_string_value(jn);
        char f[48];
        snprintf(f, sizeof f, "%slists[%zu]", prefix, i);
        if (!id || !uuid_valid(id))
            errlist_add(errs, arena_printf(a, "%s.id", f), "list id must be a UUID");
        if (why)
            errlist_add(errs, arena_printf(a, "%s.name", f), "list %s", why);
        for (size_t j = 0; j < i; j++) {
            if (id && d->lists[j].id && strcmp(id, d->lists[j].id) == 0)
                errlist_add(errs, arena_printf(a, "%s.id", f), "list id '%s' appears twice", id);
            if (name && d->lists[j].name && strcmp(name, d->lists[j].name) == 0)
                errlist_add(errs, arena_printf(a, "%s.name", f), "list name appears twice");
        }
        d->lists[i].id = id ? arena_strdup(a, id) : NULL;
        d->lists[i].name = name ? arena_strdup(a, name) : NULL;
    }
}

/* The list of the document with this id, or NULL. */
static const state_list *find_list(const state_doc *d, const char *id)
{
    for (size_t m = 0; id && m < d->list_count; m++)
        if (d->lists[m].id && strcmp(d->lists[m].id, id) == 0)
            return &d->lists[m];
    return NULL;
}

/* "e<N>_<letter>": N (> 0, no leading zero) when the letter is type's, else 0. */
static int64_t field_id_seq(const char *id, field_type type)
{
    if (!id || id[0] != 'e' || id[1] < '1' || id[1] > '9')
        return 0;
    char *end;
    long long n = strtoll(id + 1, &end, 10);
    if (end[0] != '_' || end[1] != field_type_letter(type) || end[2] || n > 1000000000LL)
        return 0;
    return n;
}

static void parse_fields(state_doc *d, const json_t *arr, const char *prefix, arena *a,
                         errlist *errs)
{
    size_t n = json_array_size(arr);
    if (n > FIELD_MAX_PER_ACCOUNT)
        errlist_add(errs, "custom_fields", "%scustom_fields: at most %d fields", prefix,
                    FIELD_MAX_PER_ACCOUNT);
    d->fields.defs = arena_calloc(a, n + 1, sizeof *d->fields.defs);
    d->field_seq = arena_calloc(a, n + 1, sizeof *d->field_seq);
    for (size_t i = 0; i < n && i < FIELD_MAX_PER_ACCOUNT; i++) {
        const json_t *f = json_array_get(arr, i);
        const char *id = json_string_value(json_object_get(f, "id"));
        const char *name = json_string_value(json_object_get(f, "name"));
        const char *type = json_string_value(json_object_get(f, "field_type"));
        char at[56];
        snprintf(at, sizeof at, "%scustom_fields[%zu]", prefix, i);
        field_def *def = &d->fields.defs[d->fields.count];
        const char *why = NULL;
        if (!type || field_type_parse(type, &def->type) != 0) {
            errlist_add(errs, arena_printf(a, "%s.field_type", at),
                        "field_type must be one of Text, Number, Date");
            continue;
        }
        int64_t seq = field_id_seq(id, def->type);
        if (!seq)
            errlist_add(errs, arena_printf(a, "%s.id", at),
                        "a custom field id is e<N>_%c for a %s field", field_type_letter(def->type),
                        type);
        if (!name || field_name_check(name, &why) != 0)
            errlist_add(errs, arena_printf(a, "%s.name", at), "%s",
                        why ? why : "name must be a string");
        if (id && field_catalog_find_id(&d->fields, id))
            errlist_add(errs, arena_printf(a, "%s.id", at), "custom field id '%s' appears twice",
                        id);
        if (name && field_catalog_find(&d->fields, name))
            errlist_add(errs, arena_printf(a, "%s.name", at), "custom field name appears twice");
        if (!seq || !name || why)
            continue;
        def->id = arena_strdup(a, id);
        def->name = arena_strdup(a, name);
        d->field_seq[d->fields.count++] = seq;
    }
}

/* The query of segment i checked as POST /segments/2.0 checks it, against the document's
 * custom fields; NULL after an error. */
static const char *parse_segment_query(const json_t *jq, const state_doc *d, const char *at,
                                       arena *a, errlist *errs)
{
    char why[320];
    const char *field = arena_printf(a, "%s.query_dsl", at);
    const char *problem = api_segment_query_problem(jq);
    if (problem)
        errlist_add(errs, field, "%s", problem);
    else if (segment_query_check(json_string_value(jq), &d->fields, why, sizeof why) != 0)
        errlist_add(errs, field, "%s", why);
    else
        return arena_strdup(a, json_string_value(jq));
    return NULL;
}

/* Segment i: a UUID, a name (the API's rules, unique), a query and at most one parent
 * list, which must be a list of the document. */
static void parse_segment(state_doc *d, size_t i, const json_t *g, const char *at, arena *a,
                          errlist *errs)
{
    static const char *const keys[] = {"id", "name", "query_dsl", "parent_list_ids", NULL};
    segment_row *row = &d->segments[i];
    const char *dot = arena_printf(a, "%s.", at);
    errlist inner;
    errlist_init(&inner, a);
    api_reject_unknown_keys(g, keys, &inner);
    add_prefixed(errs, &inner, dot, a);
    const char *id = json_string_value(json_object_get(g, "id"));
    if (!id || !uuid_valid(id))
        errlist_add(errs, arena_printf(a, "%s.id", at), "segment id must be a UUID");
    else
        snprintf(row->id, sizeof row->id, "%s", id);
    const json_t *jn = json_object_get(g, "name");
    const char *why = api_name_problem(jn);
    if (why)
        errlist_add(errs, arena_printf(a, "%s.name", at), "%s", why);
    else
        row->name = arena_strdup(a, json_string_value(jn));
    for (size_t j = 0; j < i; j++) {
        if (id && strcmp(d->segments[j].id, row->id) == 0)
            errlist_add(errs, arena_printf(a, "%s.id", at), "segment id '%s' appears twice", id);
        if (row->name && d->segments[j].name && strcmp(d->segments[j].name, row->name) == 0)
            errlist_add(errs, arena_printf(a, "%s.name", at),
                        "a segment with this name already exists");
    }
    row->query_dsl = parse_segment_query(json_object_get(g, "query_dsl"), d, at, a, errs);
    size_t np = 0;
    errlist_init(&inner, a);
    const char **parents =
        api_optional_strings(g, "parent_list_ids", 1, "parent list id", a, &inner, &np);
    add_prefixed(errs, &inner, dot, a);
    if (np && !inner.count && !find_list(d, parents[0]))
        errlist_add(errs, arena_printf(a, "%s.parent_list_ids[0]", at),
                    "no list of the state has this id");
    else if (np && !inner.count)
        row->parent_list_id = parents[0];
}

static void parse_segments(state_doc *d, const json_t *arr, const char *prefix, arena *a,
                           errlist *errs)
{
    d->segment_count = json_array_size(arr);
    if (d->segment_count > SEGMENTS_MAX_PER_ACCOUNT)
        errlist_add(errs, "segments", "%ssegments: at most %d segments", prefix,
                    SEGMENTS_MAX_PER_ACCOUNT);
    d->segments = arena_calloc(a, d->segment_count + 1, sizeof *d->segments);
    for (size_t i = 0; i < d->segment_count && i < SEGMENTS_MAX_PER_ACCOUNT; i++) {
        const json_t *g = json_array_get(arr, i);
        const char *at = arena_printf(a, "%ssegments[%zu]", prefix, i);
        if (!json_is_object(g))
            errlist_add(errs, at, "a segment must be an object");
        else
            parse_segment(d, i, g, at, a, errs);
    }
}

/* An ISO 8601 time ("2021-03-02T15:25:47.123Z", as state_export writes it) into ms; -1
 * when it is not one (core/timeutil's parser: a day that does not exist is refused). */
static int64_t parse_time(const json_t *v)
{
    int64_t ms;
    if (!json_is_string(v) || !time_parse(json_string_value(v), json_string_length(v), &ms))
        return -1;
    return ms;
}

/* What a state contact has beyond an upsert record; removed before decoding. */
static const char *const own_keys[] = {"id",         "list_ids",  "segment_ids", "created_at",
                                       "updated_at", "_metadata", NULL};

static void parse_contact_own(state_doc *d, size_t i, const json_t *c, const char *prefix, arena *a,
                              errlist *errs)
{
    state_contact *sc = &d->contacts[i];
    const char *at = arena_printf(a, "%scontacts[%zu]", prefix, i);
    const char *id = json_string_value(json_object_get(c, "id"));
    if (!id || !uuid_valid(id))
        errlist_add(errs, arena_printf(a, "%s.id", at), "contact id must be a UUID");
    else
        snprintf(sc->id, sizeof sc->id, "%s", id);
    for (size_t j = 0; id && j < i; j++)
        if (strcmp(d->contacts[j].id, sc->id) == 0)
            errlist_add(errs, arena_printf(a, "%s.id", at), "contact id '%s' appears twice", id);
    const json_t *lists = json_object_get(c, "list_ids");
    if (lists && !json_is_array(lists))
        errlist_add(errs, arena_printf(a, "%s.list_ids", at), "list_ids must be an array");
    sc->list_ids = arena_calloc(a, json_array_size(lists) + 1, sizeof *sc->list_ids);
    for (size_t k = 0; k < json_array_size(lists); k++) {
        const char *l = json_string_value(json_array_get(lists, k));
        if (!find_list(d, l))
            errlist_add(errs, arena_printf(a, "%s.list_ids[%zu]", at, k),
                        "no list of the state has this id");
        else
            sc->list_ids[sc->list_count++] = arena_strdup(a, l);
    }
    int64_t now = time_now_ms();
    const json_t *ca = json_object_get(c, "created_at"), *ua = json_object_get(c, "updated_at");
    sc->created_at = ca ? parse_time(ca) : now;
    sc->updated_at = ua ? parse_time(ua) : sc->created_at;
    if (sc->created_at < 0)
        errlist_add(errs, arena_printf(a, "%s.created_at", at),
                    "created_at must be an ISO 8601 UTC time");
    if (sc->updated_at < 0)
        errlist_add(errs, arena_printf(a, "%s.updated_at", at),
                    "updated_at must be an ISO 8601 UTC time");
}

/* The contacts as the body of an upsert, for the upsert's own decoder. */
static void parse_contacts(state_doc *d, const json_t *arr, const char *prefix, arena *a,
                           errlist *errs)
{
    d->contact_count = json_array_size(arr);
    d->contacts = arena_calloc(a, d->contact_count + 1, sizeof *d->contacts);
    json_t *stripped = json_array();
    for (size_t i = 0; i < d->contact_count; i++) {
        const json_t *c = json_array_get(arr, i);
        if (!json_is_object(c)) {
            errlist_add(errs, arena_printf(a, "%scontacts[%zu]", prefix, i),
                        "a contact must be an object");
            continue;
        }
        parse_contact_own(d, i, c, prefix, a, errs);
        json_t *copy = json_copy((json_t *)c);
        for (const char *const *k = own_keys; *k; k++)
            json_object_del(copy, *k);
        /* ContactDetails3 shows an unset field as "": unset it is */
        for (int f = 0; f < CF_COUNT; f++) {
            const json_t *v = json_object_get(copy, contact_fields[f].name);
            if (json_is_string(v) && json_string_length(v) == 0)
                json_object_del(copy, contact_fields[f].name);
        }
        json_array_append_new(stripped, copy);
    }
    if (d->contact_count == 0 || errs->count) {
        json_decref(stripped);
        return;
    }
    json_t *body = json_pack("{s:o}", "contacts", stripped);
    errlist inner;
    errlist_init(&inner, a);
    d->batch = upsert_decode_fields(body, &d->fields, &inner);
    json_decref(body);
    for (size_t i = 0; i < inner.count; i++)
        errlist_add(errs,
                    arena_printf(a, "%s%s", prefix,
                                 inner.items[i].field ? inner.items[i].field : "contacts"),
                    "%s", inner.items[i].message);
    for (size_t i = 0; i < d->batch->unknown_custom_field_count; i++)
        errlist_add(errs, arena_printf(a, "%scontacts", prefix),
                    "custom field '%s' is not in custom_fields", d->batch->unknown_custom_fields[i]);
}

void state_free(state_doc *d)
{
    if (d && d->batch)
        upsert_batch_free(d->batch);
    if (d)
        d->batch = NULL;
}

state_doc *state_parse(const json_t *root, const char *prefix, arena *a, errlist *errs)
{
    size_t before = errs->count;
    if (!json_is_object(root)) {
        errlist_add(errs, NULL, "%sa state must be a JSON object", prefix);
        return NULL;
    }
    static const char *const allowed[] = {"lists", "custom_fields", "contacts", "segments", NULL};
    errlist unknown;
    errlist_init(&unknown, a);
    api_reject_unknown_keys(root, allowed, &unknown);
    add_prefixed(errs, &unknown, prefix, a);
    state_doc *d = arena_calloc(a, 1, sizeof *d);
    const json_t *lists = array_member(root, "lists", prefix, errs);
    const json_t *fields = array_member(root, "custom_fields", prefix, errs);
    const json_t *contacts = array_member(root, "contacts", prefix, errs);
    const json_t *segments = array_member(root, "segments", prefix, errs);
    parse_lists(d, lists, prefix, a, errs);
    parse_fields(d, fields, prefix, a, errs);
    /* once lists and fields are sound: a segment names its parent list and reads the
     * fields, and a bad field should not be reported again as a bad query */
    if (errs->count == before)
        parse_segments(d, segments, prefix, a, errs);
    if (errs->count == before)
        parse_contacts(d, contacts, prefix, a, errs);
    if (errs->count > before) {
        state_free(d);
        return NULL;
    }
    return d;
}

/* ---- applying ------------------------------------------------------------------------- */

static int apply_contact(store_tx *tx, int64_t account, const state_doc *d, size_t i)
{
    const state_contact *sc = &d->contacts[i];
    contact c;
    memset(&c, 0, sizeof c);
    contact_merge(&c, &d->batch->contacts[i]);
    memcpy(c.id, sc->id, sizeof c.id);
    c.custom_fields = d->batch->contacts[i].custom_fields;
    c.created_at = sc->created_at;
    c.updated_at = sc->updated_at;
    int rc = store_tx_contact_insert(tx, account, &c);
    if (rc == STORE_OK && c.alternate_emails)
        rc = store_tx_contact_set_alternates(tx, account, c.id, c.alternate_emails);
    for (size_t k = 0; rc == STORE_OK && k < sc->list_count; k++)
        rc = store_tx_list_add(tx, account, sc->list_ids[k], c.id);
    return rc;
}

/* Create the segment with its id; its evaluation job, queued in the same transaction,
 * makes its membership exact over the contacts of the state (segments.c does the same for
 * a POST). The writer's own sync before the commit adds the contacts inserted here too:
 * the two agree, as setting a member twice changes nothing. */
static int apply_segment(store_tx *tx, int64_t account, const segment_row *seg)
{
    segment_row row = *seg;
    row.created_at = row.updated_at = time_now_ms();
    int rc = store_tx_segment_put(tx, account, &row);
    return rc == STORE_OK ? segment_eval_submit(tx, account, &row, true, NULL) : rc;
}

int state_apply(store_tx *tx, int64_t account, const state_doc *d, size_t *bad)
{
    int rc = store_tx_account_purge(tx, account, false);
    for (size_t i = 0; rc == STORE_OK && i < d->fields.count; i++) {
        const field_def *f = &d->fields.defs[i];
        rc = store_tx_field_insert(tx, account, f->id, d->field_seq[i], f->name, f->type);
    }
    for (size_t i = 0; rc == STORE_OK && i < d->list_count; i++)
        rc = store_tx_list_create(tx, account, d->lists[i].id, d->lists[i].name);
    for (size_t i = 0; rc == STORE_OK && i < d->segment_count; i++)
        rc = apply_segment(tx, account, &d->segments[i]);
    for (size_t i = 0; rc == STORE_OK && i < d->contact_count; i++) {
        rc = apply_contact(tx, account, d, i);
        if (rc == STORE_CONFLICT)
            *bad = i;
    }
    return rc;
}

/* ---- exporting ------------------------------------------------------------------------ */

/* An ISO 8601 UTC time with milliseconds: a state keeps the order of contacts created
 * within one second (exports and scans walk them in creation order). */
static json_t *time_ms_json(int64_t ms)
{
    char ts[ISO8601_LEN + 1];
    time_iso8601(ms, ts);
    return json_sprintf("%.19s.%03dZ", ts, (int)(ms % 1000));
}

/* The contact with its custom fields keyed by id (only the fields that exist). */
static json_t *contact_export(const contact *c, const field_catalog *fields)
{
    json_t *o = contact_to_json(c, fields, NULL);
    json_object_set_new(o, "created_at", time_ms_json(c->created_at));
    json_object_set_new(o, "updated_at", time_ms_json(c->updated_at));
    json_t *stored = c->custom_fields ? json_loads(c->custom_fields, 0, NULL) : NULL;
    json_t *byid = json_object();
    const char *key;
    json_t *v;
    json_object_foreach (stored, key, v) {
        if (field_catalog_find_id(fields, key))
            json_object_set(byid, key, v);
    }
    json_decref(stored);
    json_object_set_new(o, "custom_fields", byid);
    return o;
}

static int list_cmp(const void *x, const void *y)
{
    return strcmp(((const list_info *)x)->id, ((const list_info *)y)->id);
}

static int segment_cmp(const void *x, const void *y)
{
    return strcmp(((const segment_row *)x)->id, ((const segment_row *)y)->id);
}

/* The account's segments by id (as lists, for an exact round trip); NULL on a store error. */
static json_t *segments_export(store *s, int64_t account, arena *a)
{
    segment_row *rows;
    size_t n;
    if (store_segment_list(s, account, a, &rows, &n) != STORE_OK)
        return NULL;
    if (n > 1) /* rows is NULL with none */
        qsort(rows, n, sizeof *rows, segment_cmp);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *parents = json_array();
        if (rows[i].parent_list_id)
            json_array_append_new(parents, json_string(rows[i].parent_list_id));
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:o}", "id", rows[i].id, "name",
                                             rows[i].name, "query_dsl", rows[i].query_dsl,
                                             "parent_list_ids", parents));
    }
    return out;
}

/* The document up to its contacts: {"lists": [...], "custom_fields": [...], "contacts": []}
 * (the array filled by contacts_page), with the account's field catalog in *fields; NULL
 * on a store error. */
static json_t *state_head(store *s, int64_t account, arena *a, field_catalog *fields)
{
    list_info *lists;
    size_t nl;
    int64_t total;
    if (store_list_page(s, account, 0, STATE_MAX_LISTS, a, &lists, &nl, &total) != STORE_OK ||
        store_fields_list(s, account, a, fields) != STORE_OK)
        return NULL;
    /* Lists by id: their creation times are not part of a state, so their creation order
     * would not survive a round trip. */
    if (nl > 1) /* lists is NULL with none */
        qsort(lists, nl, sizeof *lists, list_cmp);
    json_t *out = json_pack("{s:[], s:[], s:[]}", "lists", "custom_fields", "contacts");
    for (size_t i = 0; i < nl; i++)
        json_array_append_new(json_object_get(out, "lists"),
                              json_pack("{s:s, s:s}", "id", lists[i].id, "name", lists[i].name));
    for (size_t i = 0; i < fields->count; i++)
        json_array_append_new(json_object_get(out, "custom_fields"),
                              json_pack("{s:s, s:s, s:s}", "id", fields->defs[i].id, "name",
                                        fields->defs[i].name, "field_type",
                                        field_type_name(fields->defs[i].type)));
    return out;
}

/* Where a walk of the account's contacts stands, a page at a time in creation order. */
typedef struct contact_walk {
    scan_cursor after;
    bool begun, done;
    size_t rows; /* the next page's size (core/paging.h); 0 before the first */
} contact_walk;

/* Append the next page of contacts to arr (page's memory in a); STORE_OK, with w->done at
 * the end. */
static int contacts_page(store *s, int64_t account, const field_catalog *fields, contact_walk *w,
                         arena *a, json_t *arr)
{
    w->rows = w->rows ? w->rows : scan_page_rows(0, 0);
    size_t before = a->total;
    contact *rows;
    size_t n;
    if (store_contact_scan(s, account, w->begun ? &w->after : NULL, (int64_t)w->rows, true, a,
                           &rows, &n) != STORE_OK)
        return STORE_ERROR;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, contact_export(&rows[i], fields));
    w->done = n < w->rows;
    if (n)
        scan_cursor_of(&rows[n - 1], &w->after);
    w->begun = true;
    w->rows = scan_page_rows(w->rows, a->total - before);
    return STORE_OK;
}

json_t *state_export(store *s, int64_t account, arena *a)
{
    field_catalog fields;
    json_t *out = state_head(s, account, a, &fields);
    json_t *segments = out ? segments_export(s, account, a) : NULL;
    if (!segments) {
        json_decref(out);
        return NULL;
    }
    json_object_set_new(out, "segments", segments);
    contact_walk w = {0};
    while (!w.done)
        if (contacts_page(s, account, &fields, &w, a, json_object_get(out, "contacts")) != STORE_OK) {
            json_decref(out);
            return NULL;
        }
    return out;
}

/* ---- streamed (GET /_contactd/accounts/{name}/state) ---------------------------------- */

struct state_stream {
    store *store;
    int64_t account;
    arena arena; /* the head's: lists and the field catalog */
    field_catalog fields;
    contact_walk walk;
    size_t written; /* contacts */
    bool begun;
};

state_stream *state_stream_new(store *s, int64_t account)
{
    state_stream *st = calloc(1, sizeof *st);
    if (!st)
        abort();
    st->store = s;
    st->account = account;
    return st;
}

void state_stream_free(void *ctx)
{
    state_stream *st = ctx;
    arena_release(&st->arena);
    free(st);
}

/* The head's text without its closing "]}" (the contacts array stays open). */
static int stream_head(state_stream *st, csv_buf *out)
{
    json_t *head = state_head(st->store, st->account, &st->arena, &st->fields);
    if (!head)
        return -1;
    api_page_json(out, head, false);
    out->len -= 2;
    return 1;
}

/* The end: the contacts array closed, the segments, the document closed. */
static int stream_tail(state_stream *st, csv_buf *out)
{
    arena a = ARENA_INIT;
    json_t *segments = segments_export(st->store, st->account, &a);
    arena_release(&a);
    if (!segments)
        return -1;
    csv_buf_raw(out, "],\"segments\":", 13);
    api_page_json(out, segments, false);
    csv_buf_raw(out, "}", 1);
    return 0;
}

int state_stream_page(void *ctx, csv_buf *out)
{
    state_stream *st = ctx;
    if (!st->begun) {
        st->begun = true;
        return stream_head(st, out);
    }
    if (st->walk.done)
        return stream_tail(st, out);
    arena a = ARENA_INIT;
    json_t *arr = json_array();
    int rc = contacts_page(st->store, st->account, &st->fields, &st->walk, &a, arr);
    for (size_t i = 0; rc == STORE_OK && i < json_array_size(arr); i++)
        if (api_page_json(out, json_incref(json_array_get(arr, i)), st->written > 0))
            st->written++;
    json_decref(arr);
    arena_release(&a);
    return rc == STORE_OK ? 1 : -1;
}
