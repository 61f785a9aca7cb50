/*
 * export: writes the files of POST /v3/marketing/contacts/exports.
 *
 * An export is a job like any other, so it runs in acceptance order within its account:
 * it sees every contact written by a job accepted before it and none written by a later
 * one, however long it takes, and on PostgreSQL any node may run it. It walks the
 * account's contacts in creation order one slice at a time (store_tx_contact_scan), keeps
 * those in at least one of the requested lists (all of them when none is given), and
 * stores what it wrote as one chunk per slice. A slice reads a page sized by bytes
 * (core/paging.h) and ends early once it has written JOB_SLICE_BYTES or run JOB_SLICE_MS
 * (job_slice_over), so 2 MB contacts hold the writer for one contact or so a slice, not
 * 250. The last chunk records where the scan stands ("<created_at>/<id>" of the last contact read), so a restarted export resumes
 * after it and no contact is written twice.
 *
 * Files: CSV with a header row (reserved fields in SendGrid's upper-case export names,
 * then custom fields by name), or JSON lines (one object per line, keyed contact_id, with
 * the fields that are set: contact_export_json). The
 * custom fields are those defined when the export was requested, recorded in its payload,
 * so every row of every file matches the header even when a field is created, renamed or
 * deleted while a long export runs (or resumes after a restart, on another node). A file
 * that would grow past max_file_size MB is closed and the next one begun (each CSV file
 * with its own header); a file always holds at least one contact.
 *
 * Counts: requested_count is 1 (the export), created_count the contacts written. A
 * requested list that no longer exists when the export starts fails it (errored 1,
 * with the reason as its one job error), which GET /exports/{id} shows as "failure".
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/contact_json.h"
#include "core/csv.h"
#include "core/paging.h"
#include "core/timeutil.h"
#include "jobs/kind.h"
#include "jobs/kinds.h"

typedef struct export_job {
    arena arena; /* the request's strings and the field catalog */
    export_request req;
    csv_buf header;   /* CSV header line; empty for JSON */
    size_t page_rows; /* the next scan page's size (core/paging.h); 0 before the first */
} export_job;

/* ---- payload ------------------------------------------------------------------------ */

char *export_payload(const export_request *r, size_t *len)
{
    json_t *fields = json_array();
    for (size_t i = 0; i < r->fields.count; i++)
        json_array_append_new(fields,
                              json_pack("[s, s, i]", r->fields.defs[i].id, r->fields.defs[i].name,
                                        (int)r->fields.defs[i].type));
    json_t *o =
        json_pack("{s:s, s:o, s:I, s:s, s:I, s:b, s:o}", "file_type", r->json ? "json" : "csv",
                  "list_ids", id_list_to_json(r->list_ids, r->list_count), "max_file_size",
                  (json_int_t)r->max_file_size_mb, "token", r->token, "expires_at",
                  (json_int_t)r->expires_at, "notify_email", r->notify_email, "fields", fields);
    if (r->segment_count)
        json_object_set_new(o, "segment_ids", id_list_to_json(r->segment_ids, r->segment_count));
    return job_payload_dump(o, len);
}

/* The strings of a JSON array as an arena copy. */
static const char *const *strings_of(const json_t *arr, arena *a, size_t *count)
{
    size_t n = json_array_size(arr);
    const char **ids = arena_calloc(a, n ? n : 1, sizeof *ids);
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        ids[(*count)++] = arena_strdup(a, s ? s : "");
    }
    return ids;
}

int export_payload_parse(const char *payload, size_t len, arena *a, export_request *out)
{
    memset(out, 0, sizeof *out);
    json_t *o = json_loadb(payload, len, 0, NULL);
    const char *type = json_string_value(json_object_get(o, "file_type"));
    const char *token = json_string_value(json_object_get(o, "token"));
    json_t *lists = json_object_get(o, "list_ids");
    if (!type || !token || !json_is_array(lists)) {
        json_decref(o);
        return -1;
    }
    out->json = strcmp(type, "json") == 0;
    out->token = arena_strdup(a, token);
    out->max_file_size_mb = json_integer_value(json_object_get(o, "max_file_size"));
    out->expires_at = json_integer_value(json_object_get(o, "expires_at"));
    out->notify_email = json_is_true(json_object_get(o, "notify_email"));
    out->list_ids = strings_of(lists, a, &out->list_count);
    out->segment_ids = strings_of(json_object_get(o, "segment_ids"), a, &out->segment_count);
    json_t *fields = json_object_get(o, "fields");
    size_t nf = json_array_size(fields);
    out->fields.defs = arena_calloc(a, nf ? nf : 1, sizeof *out->fields.defs);
    for (size_t i = 0; i < nf; i++) {
        json_t *f = json_array_get(fields, i);
        const char *id = json_string_value(json_array_get(f, 0));
        const char *name = json_string_value(json_array_get(f, 1));
        if (!id || !name)
            continue;
        field_def *d = &out->fields.defs[out->fields.count++];
        d->id = arena_strdup(a, id);
        d->name = arena_strdup(a, name);
        d->type = (field_type)json_integer_value(json_array_get(f, 2));
    }
    json_decref(o);
    return 0;
}

/* ---- rendering ------------------------------------------------------------------------ */

static void header_name(csv_buf *b, const char *name)
{
    char up[64];
    size_t n = strlen(name);
    if (n >= sizeof up)
        n = sizeof up - 1;
    for (size_t i = 0; i < n; i++)
        up[i] = (char)toupper((unsigned char)name[i]);
    csv_buf_field(b, up, n);
    csv_buf_raw(b, ",", 1);
}

static void build_header(export_job *e)
{
    csv_buf *b = &e->header;
    header_name(b, "contact_id");
    for (int i = 0; i < CF_COUNT; i++)
        header_name(b, contact_fields[i].name);
    header_name(b, "alternate_emails");
    header_name(b, "list_ids");
    header_name(b, "created_at");
    header_name(b, "updated_at");
    for (size_t i = 0; i < e->req.fields.count; i++) {
        csv_buf_field(b, e->req.fields.defs[i].name, strlen(e->req.fields.defs[i].name));
        csv_buf_raw(b, ",", 1);
    }
    b->data[b->len - 1] = '\n'; /* the last separator ends the line */
}

/* The strings of a JSON array text joined by commas, as one CSV field. */
static void joined_field(csv_buf *b, const char *array_text)
{
    json_t *arr = array_text ? json_loads(array_text, 0, NULL) : NULL;
    csv_buf joined = {0};
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (!s)
            continue;
        if (joined.len)
            csv_buf_raw(&joined, ",", 1);
        csv_buf_raw(&joined, s, strlen(s));
    }
    csv_buf_field(b, joined.data ? joined.data : "", joined.len);
    csv_buf_free(&joined);
    json_decref(arr);
}

static void csv_line(const export_job *e, const contact *c, csv_buf *b)
{
    csv_buf_field(b, c->id, strlen(c->id));
    for (int i = 0; i < CF_COUNT; i++) {
        csv_buf_raw(b, ",", 1);
        if (c->field[i])
            csv_buf_field(b, c->field[i], strlen(c->field[i]));
    }
    csv_buf_raw(b, ",", 1);
    joined_field(b, c->alternate_emails);
    csv_buf_raw(b, ",", 1);
    joined_field(b, c->list_ids);
    char ts[ISO8601_LEN + 1];
    time_iso8601(c->created_at, ts);
    csv_buf_raw(b, ",", 1);
    csv_buf_raw(b, ts, strlen(ts));
    time_iso8601(c->updated_at, ts);
    csv_buf_raw(b, ",", 1);
    csv_buf_raw(b, ts, strlen(ts));
    json_t *values =
        c->custom_fields && e->req.fields.count ? json_loads(c->custom_fields, 0, NULL) : NULL;
    for (size_t i = 0; i < e->req.fields.count; i++) {
        csv_buf_raw(b, ",", 1);
        json_t *v = json_object_get(values, e->req.fields.defs[i].id);
        if (json_is_string(v)) {
            csv_buf_field(b, json_string_value(v), json_string_length(v));
        } else if (json_is_number(v)) {
            char *text = json_dumps(v, JSON_ENCODE_ANY);
            if (text)
                csv_buf_raw(b, text, strlen(text));
            free(text);
        }
    }
    json_decref(values);
    csv_buf_raw(b, "\n", 1);
}

static void json_line(const export_job *e, const contact *c, const char *const *segs, size_t nsegs,
                      csv_buf *b)
{
    json_t *o = contact_export_json(c, &e->req.fields);
    if (nsegs) /* as every other field of a line: present only when set */
        json_object_set_new(o, "segment_ids", id_list_to_json(segs, nsegs));
    char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    if (text) {
        csv_buf_raw(b, text, strlen(text));
        free(text);
    }
    csv_buf_raw(b, "\n", 1);
}

/* True when c belongs to one of the requested lists or segments (or none was
 * requested); segs are the segments c belongs to. */
static bool selected(const export_job *e, const contact *c, const char *const *segs, size_t nsegs)
{
    if (e->req.list_count == 0 && e->req.segment_count == 0)
        return true;
    for (size_t i = 0; i < e->req.segment_count; i++)
        for (size_t k = 0; k < nsegs; k++)
            if (strcmp(e->req.segment_ids[i], segs[k]) == 0)
                return true;
    if (!c->list_ids)
        return false;
    for (size_t i = 0; i < e->req.list_count; i++) {
        char quoted[UUID_STR_LEN + 8];
        snprintf(quoted, sizeof quoted, "\"%s\"", e->req.list_ids[i]);
        if (strstr(c->list_ids, quoted))
            return true;
    }
    return false;
}

/* ---- the job ------------------------------------------------------------------------ */

/* A chunk's last_id: the scan cursor as text, and back. */
static void cursor_text(const scan_cursor *c, char *out, size_t size)
{
    snprintf(out, size, "%lld/%s", (long long)c->created_at, c->id);
}

static bool cursor_parse(const char *text, scan_cursor *out)
{
    char *end;
    long long at = strtoll(text, &end, 10);
    if (end == text || *end != '/' || strlen(end + 1) != UUID_STR_LEN)
        return false;
    out->created_at = at;
    memcpy(out->id, end + 1, UUID_STR_LEN + 1);
    return true;
}

static void free_fn(void *decoded)
{
    export_job *e = decoded;
    if (!e)
        return;
    csv_buf_free(&e->header);
    arena_release(&e->arena);
    free(e);
}

static void *decode_fn(store_tx *tx, int64_t account, const char *payload, size_t len)
{
    export_job *e = calloc(1, sizeof *e);
    if (!e)
        abort();
    (void)tx;
    (void)account;
    if (export_payload_parse(payload, len, &e->arena, &e->req) != 0) {
        free_fn(e);
        return NULL;
    }
    if (e->req.max_file_size_mb <= 0)
        e->req.max_file_size_mb = 5000;
    if (!e->req.json)
        build_header(e);
    return e;
}

static long fail(store_tx *tx, const job_row *job, job_counts *counts, bool *finished,
                 const char *message)
{
    counts->requested = 1;
    counts->errored = 0; /* job_record_error counts the one failure */
    *finished = true;
    return job_record_error(tx, job, counts, 0, json_object(), message) == STORE_OK ? 1
                                                                                    : STORE_ERROR;
}

/* Store buf as the next chunk of file file_no; at, when given, is where the scan stands
 * after it. */
static int put_chunk(store_tx *tx, const job_row *job, const export_job *e, export_tail *t,
                     int64_t file_no, const scan_cursor *at, csv_buf *buf)
{
    char text[32 + UUID_STR_LEN];
    if (at)
        cursor_text(at, text, sizeof text);
    t->chunk_no++;
    int rc = store_tx_export_chunk_add(tx, job->seq, file_no, t->chunk_no, at ? text : NULL,
                                       buf->data ? buf->data : "", buf->len, e->req.expires_at);
    buf->len = 0;
    return rc;
}

static long apply_fn(store_tx *tx, const job_row *job, void *decoded, size_t budget,
                     job_counts *counts, bool *finished)
{
    export_job *e = decoded;
    arena a = ARENA_INIT;
    export_tail t;
    long result = STORE_ERROR;
    csv_buf buf = {0}, line = {0};
    if (store_tx_export_tail(tx, job->seq, &a, &t) != STORE_OK)
        goto out;
    bool first = t.file_no == 0;
    if (first) {
        for (size_t i = 0; i < e->req.list_count; i++) {
            list_info l;
            int rc = store_tx_list_get(tx, job->account, e->req.list_ids[i], &a, &l);
            if (rc == STORE_NOT_FOUND) {
                char msg[160];
                snprintf(msg, sizeof msg, "list %.40s was deleted before the export ran",
                         e->req.list_ids[i]);
                result = fail(tx, job, counts, finished, msg);
                goto out;
            }
            if (rc != STORE_OK)
                goto out;
        }
        t.file_no = 1;
        csv_buf_raw(&buf, e->header.data ? e->header.data : "", e->header.len);
    }
    counts->requested = 1;

    scan_cursor from, *at = NULL;
    if (t.last_id) {
        if (!cursor_parse(t.last_id, &from)) {
            result = fail(tx, job, counts, finished, "the export's progress record is damaged");
            goto out;
        }
        at = &from;
    }
    double started = time_mono_ms();
    size_t want = e->page_rows ? e->page_rows : scan_page_rows(0, 0);
    want = want < budget ? want : budget;
    size_t before = a.total;
    contact *rows;
    size_t n;
    if (store_tx_contact_scan(tx, job->account, at, (int64_t)want, true, &a, &rows, &n) != STORE_OK)
        goto out;
    e->page_rows = scan_page_rows(want, a.total - before);
    int64_t max_bytes = e->req.max_file_size_mb * 1024 * 1024;
    int64_t file_bytes = first ? 0 : t.file_bytes;
    /* Segment ids are read per contact, and only when they are shown or chosen by, and
     * the account has segments at all (one read per slice spares one per contact). */
    bool need_segments = e->req.json || e->req.segment_count;
    if (need_segments) {
        segment_row *segments;
        size_t nsegments;
        if (store_tx_segment_list(tx, job->account, &a, &segments, &nsegments) != STORE_OK)
            goto out;
        need_segments = nsegments > 0;
    }
    size_t used = 0; /* rows read by this slice: the page, or less when the slice is over */
    while (used < n && !(used > 0 && job_slice_over(started, buf.len))) {
        size_t i = used++;
        const char **segs = NULL;
        size_t nsegs = 0;
        if (need_segments && store_tx_contact_segment_ids(tx, job->account, rows[i].id, &a, &segs,
                                                          &nsegs) != STORE_OK)
            goto out;
        if (!selected(e, &rows[i], segs, nsegs))
            continue;
        line.len = 0;
        if (e->req.json)
            json_line(e, &rows[i], segs, nsegs, &line);
        else
            csv_line(e, &rows[i], &line);
        int64_t size = file_bytes + (int64_t)buf.len;
        if (size > (int64_t)e->header.len && size + (int64_t)line.len > max_bytes) {
            /* this file is full: close it and begin the next with its own header (the
             * slice's last chunk records the cursor) */
            if (put_chunk(tx, job, e, &t, t.file_no, NULL, &buf) != STORE_OK)
                goto out;
            t.file_no++;
            file_bytes = 0;
            csv_buf_raw(&buf, e->header.data ? e->header.data : "", e->header.len);
        }
        csv_buf_raw(&buf, line.data, line.len);
        counts->created++;
    }
    /* Always written, even empty: it records how far the export has read. */
    scan_cursor last;
    if (used)
        scan_cursor_of(&rows[used - 1], &last);
    if (put_chunk(tx, job, e, &t, t.file_no, used ? &last : at, &buf) != STORE_OK)
        goto out;
    *finished = used == n && n < want;
    result = used > 0 ? (long)used : 1;
out:
    csv_buf_free(&buf);
    csv_buf_free(&line);
    arena_release(&a);
    return result;
}

const job_kind_ops job_export_ops = {
    .decode = decode_fn,
    .free = free_fn,
    .apply = apply_fn,
};
