/*
 * import: applies a CSV file uploaded for PUT /v3/marketing/contacts/imports.
 *
 * Payload: the upload's spec as one line of JSON, {"field_mappings": [...], "list_ids":
 * [...]}, then the CSV file as uploaded (gzip already undone; its structure was checked
 * at upload). field_mappings[i] says what column i holds: a reserved field id ("_rf2_T"
 * is email, see reserved_fields in core/fields.c), a custom field id or name, or null
 * (the column is skipped). The first record is the file's header row and is skipped.
 *
 * Each data row becomes one upsert record with the same rules as PUT /contacts
 * (upsert.c): the row's non-empty cells are decoded by the upsert decoder, so a value is
 * valid in a file exactly when it is valid in a JSON body. alternate_emails cells hold
 * comma-separated addresses. A row that does not decode, or whose number of cells is not
 * the header's, is an errored record (index: the row's position among the data rows,
 * from 0; the message names its line in the file); the other rows are applied.
 *
 * The decoded form keeps the payload and a reader positioned at the next row, so a job
 * applied in many slices reads the file once; a retry or a restart repositions it. A
 * slice reads and decodes its rows first, looks all their identifiers up together
 * (upsert_prefetch: a few statements, not a few per row), then applies them in order.
 * Reading stops once it has read JOB_SLICE_BYTES of the file or run JOB_SLICE_MS
 * (job_slice_over), so rows of megabytes do not hold the writer for a slice of 250, and
 * applying stops after JOB_SLICE_MS of its own, the rows left read again by the next slice.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/contact_decode.h"
#include "core/csv.h"
#include "core/timeutil.h"
#include "jobs/kind.h"
#include "jobs/kinds.h"

typedef struct import_job {
    char *payload; /* owned copy */
    size_t len;
    const char *csv; /* the file, inside payload */
    size_t csv_len;
    char **mappings; /* per column: a field key for the row object, or NULL */
    size_t columns;
    id_list lists;
    csv_reader reader;
    int64_t next_row; /* the data row the reader returns next */
} import_job;

char *import_payload(arena *a, const char *spec, const char *csv, size_t csv_len, size_t *len)
{
    size_t slen = strlen(spec);
    char *p = arena_alloc(a, slen + 1 + csv_len + 1);
    memcpy(p, spec, slen);
    p[slen] = '\n';
    memcpy(p + slen + 1, csv, csv_len);
    p[slen + 1 + csv_len] = '\0';
    *len = slen + 1 + csv_len;
    return p;
}

static void free_fn(void *decoded)
{
    import_job *j = decoded;
    if (!j)
        return;
    for (size_t i = 0; i < j->columns; i++)
        free(j->mappings[i]);
    free(j->mappings);
    id_list_free(&j->lists);
    free(j->payload);
    free(j);
}

/* The key a mapped column fills in the row object: the reserved field's name (or
 * "alternate_emails"), or the custom field's id/name as given. */
static char *mapping_key(const char *m)
{
    const reserved_field *rf = reserved_field_by_id(m);
    return strdup(rf ? rf->name : m);
}

/* Position the reader at data row `row` (after the header). */
static int seek_row(import_job *j, int64_t row)
{
    arena a = ARENA_INIT;
    const char **cells;
    size_t n;
    const char *why;
    csv_reader_init(&j->reader, j->csv, j->csv_len);
    int rc = csv_next(&j->reader, &a, &cells, &n, &why); /* the header */
    for (int64_t i = 0; rc == 1 && i < row; i++) {
        rc = csv_next(&j->reader, &a, &cells, &n, &why);
        if (a.total > (1u << 20))
            arena_release(&a);
    }
    arena_release(&a);
    j->next_row = row;
    return rc < 0 ? -1 : 0;
}

static void *decode_fn(store_tx *tx, int64_t account, const char *payload, size_t len)
{
    (void)tx;
    (void)account;
    const char *nl = memchr(payload, '\n', len);
    if (!nl)
        return NULL;
    json_t *spec = json_loadb(payload, (size_t)(nl - payload), 0, NULL);
    json_t *maps = json_object_get(spec, "field_mappings");
    import_job *j = calloc(1, sizeof *j);
    if (!j)
        abort();
    bool ok = json_is_array(maps) && json_array_size(maps) > 0;
    if (ok) {
        j->columns = json_array_size(maps);
        j->mappings = calloc(j->columns, sizeof *j->mappings);
        if (!j->mappings)
            abort();
        for (size_t i = 0; i < j->columns; i++) {
            const char *m = json_string_value(json_array_get(maps, i));
            j->mappings[i] = m ? mapping_key(m) : NULL;
        }
    }
    json_t *lists = json_object_get(spec, "list_ids");
    if (ok && lists)
        ok = id_list_from_json(lists, &j->lists) == 0;
    json_decref(spec);
    if (!ok) {
        free_fn(j);
        return NULL;
    }
    j->payload = malloc(len + 1);
    if (!j->payload)
        abort();
    memcpy(j->payload, payload, len);
    j->payload[len] = '\0';
    j->len = len;
    j->csv = j->payload + (nl - payload) + 1;
    j->csv_len = len - (size_t)(nl - payload) - 1;
    if (seek_row(j, 0) != 0) {
        free_fn(j);
        return NULL;
    }
    return j;
}

/* {"contacts": [ {cells as fields} ]} for one row: what the upsert decoder reads. */
static json_t *row_body(const import_job *j, const char *const *cells, size_t n)
{
    json_t *c = json_object();
    json_t *custom = json_object();
    for (size_t i = 0; i < n && i < j->columns; i++) {
        const char *key = j->mappings[i];
        if (!key || !cells[i][0])
            continue;
        if (strcmp(key, "alternate_emails") == 0) {
            json_t *arr = json_array();
            const char *p = cells[i];
            while (*p) {
                const char *comma = strchr(p, ',');
                size_t l = comma ? (size_t)(comma - p) : strlen(p);
                while (l && (*p == ' ')) {
                    p++;
                    l--;
                }
                while (l && p[l - 1] == ' ')
                    l--;
                if (l)
                    json_array_append_new(arr, json_stringn(p, l));
                p += l;
                while (*p == ' ')
                    p++;
                if (*p == ',')
                    p++;
            }
            json_object_set_new(c, key, arr);
        } else if (contact_field_lookup(key) >= 0) {
            json_object_set_new(c, key, json_string(cells[i]));
        } else {
            json_object_set_new(custom, key, json_string(cells[i]));
        }
    }
    if (json_object_size(custom))
        json_object_set_new(c, "custom_fields", custom);
    else
        json_decref(custom);
    return json_pack("{s:[o]}", "contacts", c);
}

/* The identifiers a bad row carries, for its error entry. */
static json_t *row_identifiers(const import_job *j, const char *const *cells, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n && i < j->columns; i++) {
        const char *key = j->mappings[i];
        int f = key ? contact_field_lookup(key) : -1;
        if (f >= 0 && f < ID_TYPE_COUNT && cells[i][0])
            json_object_set_new(o, key, json_string(cells[i]));
    }
    return o;
}

/* One data row of a slice, read before any is applied so that the slice's identifiers
 * are looked up together (upsert_prefetch). */
typedef struct import_row {
    csv_reader at; /* the reader before the row: where the next slice starts if this one
                    * stops here */
    int64_t index; /* the row's position among the data rows */
    const char **cells;
    size_t n;
    upsert_batch *b;   /* the row as one upsert record; NULL when error is set */
    const char *error; /* the record's error, or NULL */
} import_row;

/* Read and decode the next row into r: 1, or 0 at the end of the file. */
static int read_row(import_job *j, const upsert_live *live, arena *a, import_row *r)
{
    memset(r, 0, sizeof *r);
    r->at = j->reader;
    r->index = j->next_row;
    int64_t line = j->reader.line;
    const char *why;
    /* The file was checked at upload, so never a parse error: < 0 ends it as well. */
    if (csv_next(&j->reader, a, &r->cells, &r->n, &why) <= 0)
        return 0;
    j->next_row++;
    char msg[600];
    if (r->n != j->columns) {
        snprintf(msg, sizeof msg, "line %lld: the row has %zu fields; the header has %zu",
                 (long long)line, r->n, j->columns);
        r->error = arena_strdup(a, msg);
        return 1;
    }
    json_t *body = row_body(j, r->cells, r->n);
    arena ea = ARENA_INIT;
    errlist errs;
    errlist_init(&errs, &ea);
    r->b = upsert_decode_fields(body, &live->fields, &errs);
    json_decref(body);
    if (errs.count || r->b->unknown_custom_field_count) {
        if (errs.count)
            snprintf(msg, sizeof msg, "line %lld: %s", (long long)line, errs.items[0].message);
        else
            snprintf(msg, sizeof msg, "line %lld: custom field %.100s was deleted", (long long)line,
                     r->b->unknown_custom_fields[0]);
        r->error = arena_strdup(a, msg);
        upsert_batch_free(r->b);
        r->b = NULL;
    }
    arena_release(&ea);
    return 1;
}

/* Apply one row read by read_row: < 0 on a store error. */
static int apply_row(store_tx *tx, const job_row *job, const import_job *j, const import_row *r,
                     const upsert_live *live, arena *scratch, job_counts *counts)
{
    if (r->error)
        return job_record_error(tx, job, counts, r->index, row_identifiers(j, r->cells, r->n),
                                r->error);
    return upsert_apply_record(tx, job, &r->b->contacts[0], r->index, live, scratch, counts);
}

/* The slice's identifiers, looked up together into live->known (in keep). */
static int prefetch_rows(store_tx *tx, int64_t account, const import_row *rows, size_t count,
                         arena *a, arena *keep, upsert_live *live)
{
    contact_input *in = arena_alloc(a, (count ? count : 1) * sizeof *in);
    size_t m = 0;
    for (size_t i = 0; i < count; i++)
        if (rows[i].b)
            in[m++] = rows[i].b->contacts[0];
    live->known = upsert_known_new(keep);
    return upsert_prefetch(tx, account, in, m, live->known);
}

/* Read up to budget rows, until JOB_SLICE_BYTES or JOB_SLICE_MS (job_slice_over): *finished
 * when the file ended. */
static size_t read_rows(import_job *j, const upsert_live *live, size_t budget, arena *a,
                        import_row **rows, bool *finished)
{
    double started = time_mono_ms();
    const char *from = j->reader.p;
    size_t count = 0, cap = 0;
    *rows = NULL;
    while (count < budget && !(count > 0 && job_slice_over(started, (size_t)(j->reader.p - from)))) {
        *rows = arena_grow(a, *rows, count, &cap, sizeof **rows);
        if (!read_row(j, live, a, &(*rows)[count])) {
            *finished = true;
            break;
        }
        count++;
    }
    return count;
}

static long apply_fn(store_tx *tx, const job_row *job, void *decoded, size_t budget,
                     job_counts *counts, bool *finished)
{
    import_job *j = decoded;
    if (j->next_row != job->cursor && seek_row(j, job->cursor) != 0)
        return STORE_ERROR;
    arena keep = ARENA_INIT, row_arena = ARENA_INIT, scratch = ARENA_INIT;
    upsert_live live;
    import_row *rows = NULL;
    size_t count = 0;
    long applied = 0;
    *finished = false;
    if (upsert_live_load(tx, job->account, (const char *const *)j->lists.ids, j->lists.count, &keep,
                         &live) != STORE_OK) {
        applied = STORE_ERROR;
        goto out;
    }
    count = read_rows(j, &live, budget, &row_arena, &rows, finished);
    if (prefetch_rows(tx, job->account, rows, count, &row_arena, &keep, &live) != STORE_OK) {
        applied = STORE_ERROR;
        goto out;
    }
    /* Applying has JOB_SLICE_MS of its own: reading took some, and a slice that stopped
     * after a row every time it read a slow batch would crawl. */
    double started = time_mono_ms();
    for (size_t i = 0; i < count; i++) {
        if (i > 0 && job_slice_over(started, (size_t)(rows[i].at.p - rows[0].at.p))) {
            /* The rest is read again by the next slice. */
            j->reader = rows[i].at;
            j->next_row = rows[i].index;
            *finished = false;
            break;
        }
        if (apply_row(tx, job, j, &rows[i], &live, &scratch, counts) < 0) {
            applied = STORE_ERROR;
            goto out;
        }
        applied++;
        if (scratch.total > (4u << 20))
            arena_release(&scratch);
    }
    if (!*finished && j->reader.p >= j->reader.end)
        *finished = true;
    if (upsert_slice_done(tx, job, &live) != STORE_OK)
        applied = STORE_ERROR;
out:
    for (size_t i = 0; i < count; i++)
        upsert_batch_free(rows[i].b);
    arena_release(&scratch);
    arena_release(&row_arena);
    arena_release(&keep);
    if (applied < 0)
        j->next_row = -1; /* rolled back: reposition on the next call */
    return applied;
}

const job_kind_ops job_import_ops = {
    .decode = decode_fn,
    .free = free_fn,
    .apply = apply_fn,
};
