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
 * slice ends early once it has read JOB_SLICE_BYTES of the file or run JOB_SLICE_MS
 * (job_slice_over), so rows of megabytes do not hold the writer for a slice of 250.
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

static long apply_fn(store_tx *tx, const job_row *job, void *decoded, size_t budget,
                     job_counts *counts, bool *finished)
{
    import_job *j = decoded;
    if (j->next_row != job->cursor && seek_row(j, job->cursor) != 0)
        return STORE_ERROR;
    arena keep = ARENA_INIT, row_arena = ARENA_INIT, scratch = ARENA_INIT;
    upsert_live live;
    long applied = 0;
    if (upsert_live_load(tx, job->account, (const char *const *)j->lists.ids, j->lists.count, &keep,
                         &live) != STORE_OK) {
        applied = STORE_ERROR;
        goto out;
    }
    *finished = false;
    double started = time_mono_ms();
    const char *from = j->reader.p;
    while ((size_t)applied < budget &&
           !(applied > 0 && job_slice_over(started, (size_t)(j->reader.p - from)))) {
        const char **cells;
        size_t n;
        const char *why;
        int64_t line = j->reader.line;
        int64_t index = j->next_row;
        int rc = csv_next(&j->reader, &row_arena, &cells, &n, &why);
        if (rc <= 0) {
            /* The end (the file was checked at upload, so never a parse error). */
            *finished = true;
            break;
        }
        j->next_row++;
        applied++;
        char msg[600];
        if (n != j->columns) {
            snprintf(msg, sizeof msg, "line %lld: the row has %zu fields; the header has %zu",
                     (long long)line, n, j->columns);
            if (job_record_error(tx, job, counts, index, row_identifiers(j, cells, n), msg) !=
                STORE_OK) {
                applied = STORE_ERROR;
                goto out;
            }
            continue;
        }
        json_t *body = row_body(j, cells, n);
        arena ea = ARENA_INIT;
        errlist errs;
        errlist_init(&errs, &ea);
        upsert_batch *b = upsert_decode_fields(body, &live.fields, &errs);
        json_decref(body);
        int out_rc;
        if (errs.count || b->unknown_custom_field_count) {
            if (errs.count)
                snprintf(msg, sizeof msg, "line %lld: %s", (long long)line, errs.items[0].message);
            else
                snprintf(msg, sizeof msg, "line %lld: custom field %.100s was deleted",
                         (long long)line, b->unknown_custom_fields[0]);
            out_rc = job_record_error(tx, job, counts, index, row_identifiers(j, cells, n), msg);
        } else {
            out_rc = upsert_apply_record(tx, job, &b->contacts[0], index, &live, &scratch, counts);
        }
        upsert_batch_free(b);
        arena_release(&ea);
        if (out_rc < 0) {
            applied = STORE_ERROR;
            goto out;
        }
        if (scratch.total > (4u << 20))
            arena_release(&scratch);
        if (row_arena.total > (4u << 20))
            arena_release(&row_arena);
    }
    if (!*finished && j->reader.p >= j->reader.end)
        *finished = true;
out:
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
