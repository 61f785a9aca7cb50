/*
 * contacts_imports: CSV imports, in SendGrid's two steps, and their status.
 *
 *   PUT /v3/marketing/contacts/imports            200 {job_id, upload_uri, upload_headers}
 *   PUT /v3/marketing/contacts/imports/{id}/upload?token=...   (the upload_uri)
 *                                                 200 {job_id}: the file is stored and
 *                                                 its job queued
 *   GET /v3/marketing/contacts/imports/{id}       a job's status, SendGrid's ContactImport
 *   GET /v3/marketing/contacts/imports/{id}/errors?token=...   the document behind
 *                                                 errors_url: one entry per failed record
 *                                                 with its index in the request, its
 *                                                 identifiers and the reason
 *
 * The first call checks the field mappings (reserved field ids such as "_rf2_T" or "_rf2" for
 * email, custom field ids, or custom field names as a contactd extension; null skips a
 * column; read-only fields and unknown ids are refused; at least one identifier column is
 * required) and the lists, then reserves a job id and an upload URL. The URL needs no
 * API key (SendGrid's is a pre-signed S3 URL, and clients upload with plain curl): it
 * carries a random token of its own, compared in constant time, and expires after
 * IMPORT_UPLOAD_TTL_MS (24 hours). Until the file arrives, GET /imports/{id} shows the job
 * as pending; a reservation that expired unused is gone (404).
 *
 * The upload is the file itself, plain or gzip-compressed (detected by its magic bytes,
 * whatever the headers say). Its structure is checked before anything is stored, and a
 * file that cannot be read is answered 400 with the line and the reason (the upload URL
 * stays valid for a corrected file): bad gzip, not UTF-8, malformed quoting, a header
 * whose column count differs from field_mappings, no data row, too many rows. Problems
 * of single rows (an invalid email, a row with too few cells) do not stop the import:
 * they are the job's per-record errors (jobs/import.c). The job is inserted by the job
 * writer with the reserved id, in a savepoint, so a second upload of the same import is
 * refused without disturbing any other write.
 *
 * errors_url needs no API key, like the export download URLs (clients fetch it with plain
 * HTTP): it carries the job's own random token (store_tx_job_insert), compared in
 * constant time, and it works until the export TTL (--export-ttl, 72 hours by default)
 * has passed since the job finished. Every way of not matching answers the same 404.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "api/api.h"
#include "core/csv.h"
#include "core/timeutil.h"
#include "jobs/kinds.h"

#define IMPORT_MAX_ROWS 1000000
#define IMPORT_MAX_LISTS 100

/* ---- PUT /imports ------------------------------------------------------------------ */

typedef struct import_reserve {
    http_request *req;
    int64_t account;
    char job_id[UUID_STR_LEN + 1];
    char token[64];
    char *spec; /* in the request arena */
} import_reserve;

static int reserve_op(store_tx *tx, void *arg)
{
    import_reserve *r = arg;
    return store_tx_upload_create(tx, r->account, r->job_id, r->token, r->spec, time_now_ms());
}

static void reserve_done(void *ctx, int rc)
{
    import_reserve *r = ctx;
    http_request *req = r->req;
    if (rc != STORE_OK) {
        api_resume_store_error(req);
        return;
    }
    json_t *uri = json_sprintf("%s/v3/marketing/contacts/imports/%s/upload?token=%s",
                               http_base_url(req), r->job_id, r->token);
    json_t *headers = json_pack("[{s:s, s:s}]", "header", "Content-Type", "value", "text/csv");
    http_resume_json(req, 200,
                     json_pack("{s:s, s:o, s:o}", "job_id", r->job_id, "upload_uri", uri,
                               "upload_headers", headers));
}

/* Check field_mappings; returns the normalised array (custom names become ids) or NULL
 * after adding errors. */
static json_t *check_mappings(const json_t *maps, const field_catalog *fields, arena *a,
                              errlist *errs)
{
    if (!maps) {
        errlist_add(errs, "field_mappings", "field_mappings is required");
        return NULL;
    }
    if (!json_is_array(maps) || json_array_size(maps) == 0 ||
        json_array_size(maps) > CSV_MAX_FIELDS) {
        errlist_add(errs, "field_mappings",
                    "field_mappings must be an array of 1 to %d field ids or nulls", CSV_MAX_FIELDS);
        return NULL;
    }
    json_t *out = json_array();
    size_t before = errs->count;
    bool has_identifier = false;
    const char **unknown = NULL;
    size_t nunknown = 0, unknown_cap = 0;
    for (size_t i = 0; i < json_array_size(maps); i++) {
        const json_t *m = json_array_get(maps, i);
        char path[48];
        snprintf(path, sizeof path, "field_mappings[%zu]", i);
        if (json_is_null(m)) {
            json_array_append_new(out, json_null());
            continue;
        }
        if (!json_is_string(m)) {
            errlist_add(errs, path, "a field mapping must be a field id or null");
            continue;
        }
        const char *key = json_string_value(m);
        const char *id = NULL;
        const reserved_field *rf = reserved_field_by_id(key);
        if (rf) {
            if (rf->read_only) {
                errlist_add(errs, path, "%s (%s) is read-only and cannot be imported", rf->id,
                            rf->name);
                continue;
            }
            int f = contact_field_lookup(rf->name);
            if (f >= 0 && f < ID_TYPE_COUNT)
                has_identifier = true;
            id = rf->id;
        } else {
            const field_def *d = field_catalog_find(fields, key);
            if (!d) {
                unknown = arena_grow(a, (void *)unknown, nunknown, &unknown_cap, sizeof *unknown);
                unknown[nunknown++] = key;
                continue;
            }
            id = d->id;
        }
        for (size_t k = 0; k < json_array_size(out); k++) {
            const char *prev = json_string_value(json_array_get(out, k));
            if (prev && strcmp(prev, id) == 0) {
                errlist_add(errs, path, "field %.60s is mapped to more than one column", key);
                break;
            }
        }
        json_array_append_new(out, json_string(id));
    }
    if (nunknown)
        errlist_add(errs, "field_mappings", "invalid custom field ids supplied - %.400s",
                    api_join(a, unknown, nunknown));
    if (errs->count == before && !has_identifier)
        errlist_add(errs, "field_mappings",
                    "field_mappings must map a column to at least one identifier: email (_rf2_T), "
                    "phone_number_id (_rf24_T), external_id (_rf25_T) or anonymous_id (_rf26_T)");
    if (errs->count != before) {
        json_decref(out);
        return NULL;
    }
    return out;
}

void api_import_create(http_request *req)
{
    if (api_backlog_full(req))
        return;
    errlist errs;
    json_t *root = api_body_begin(req, &errs);
    if (!root)
        return;
    api_ctx *app = http_app(req);
    arena *a = http_arena(req);
    int64_t account = http_account(req);
    json_t *ft = json_object_get(root, "file_type");
    if (!ft)
        errlist_add(&errs, "file_type", "file_type is required");
    else if (!json_is_string(ft) || strcmp(json_string_value(ft), "csv") != 0)
        errlist_add(&errs, "file_type", "file_type must be \"csv\"");
    field_catalog fields;
    if (store_fields_list(app->store, account, a, &fields) != STORE_OK) {
        json_decref(root);
        api_reply_store_error(req);
        return;
    }
    json_t *maps = check_mappings(json_object_get(root, "field_mappings"), &fields, a, &errs);
    size_t nlists;
    const char **lists =
        api_optional_strings(root, "list_ids", IMPORT_MAX_LISTS, "list id", a, &errs, &nlists);
    json_decref(root);
    if (errs.count) {
        json_decref(maps);
        http_reply_errlist(req, 400, &errs);
        return;
    }
    const char **missing;
    size_t nmissing;
    int rc = api_missing_lists(req, lists, nlists, &missing, &nmissing);
    if (rc != STORE_OK || nmissing) {
        json_decref(maps);
        if (rc != STORE_OK)
            api_reply_store_error(req);
        else
            http_reply_error(req, 404, "list_ids", "unknown list ids: %.400s",
                             api_join(a, missing, nmissing));
        return;
    }
    json_t *list_arr = json_array();
    for (size_t i = 0; i < nlists; i++)
        json_array_append_new(list_arr, json_string(lists[i]));
    json_t *spec = json_pack("{s:o, s:o}", "field_mappings", maps, "list_ids", list_arr);
    char *text = json_dumps(spec, JSON_COMPACT);
    json_decref(spec);
    import_reserve *r = arena_calloc(a, 1, sizeof *r);
    r->req = req;
    r->account = account;
    r->spec = text ? arena_strdup(a, text) : NULL;
    free(text);
    if (!r->spec || uuid_generate(r->job_id) != 0 ||
        random_base64url(r->token, sizeof r->token, 24) != 0) {
        http_reply_error(req, 500, NULL, "internal error: no randomness");
        return;
    }
    http_base_url(req); /* cached before the writer thread answers */
    api_submit_op(req, reserve_op, r, reserve_done);
}

/* ---- the upload --------------------------------------------------------------------- */

/* Inflate a gzip body into a malloc'd buffer of at most max bytes. 0, or -1 with *why. */
static int gunzip(const char *in, size_t len, size_t max, char **out, size_t *out_len,
                  const char **why)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        *why = "the gzip stream cannot be read";
        return -1;
    }
    size_t cap = len * 4 < max ? len * 4 + 4096 : max;
    char *buf = malloc(cap);
    if (!buf)
        abort();
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    size_t used = 0;
    int rc;
    do {
        if (used == cap) {
            if (cap >= max) {
                *why = "the file is larger than the import limit once decompressed";
                goto fail;
            }
            cap = cap * 2 < max ? cap * 2 : max;
            char *nb = realloc(buf, cap);
            if (!nb)
                abort();
            buf = nb;
        }
        z.next_out = (Bytef *)buf + used;
        z.avail_out = (uInt)(cap - used);
        rc = inflate(&z, Z_NO_FLUSH);
        used = cap - z.avail_out;
        if (rc != Z_OK && rc != Z_STREAM_END && !(rc == Z_BUF_ERROR && z.avail_out == 0)) {
            *why = "the file is not valid gzip";
            goto fail;
        }
        if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
            *why = "the gzip stream is cut short";
            goto fail;
        }
        /* Concatenated gzip files (cat a.gz b.gz) are one file, as gunzip reads them;
         * anything else after a member is refused rather than dropped. */
        if (rc == Z_STREAM_END && z.avail_in > 0) {
            if (z.avail_in < 2 || z.next_in[0] != 0x1f || z.next_in[1] != 0x8b) {
                *why = "the file has data after its gzip stream";
                goto fail;
            }
            inflateReset(&z);
            rc = Z_OK;
        }
    } while (rc != Z_STREAM_END);
    inflateEnd(&z);
    *out = buf;
    *out_len = used;
    return 0;
fail:
    inflateEnd(&z);
    free(buf);
    return -1;
}

typedef struct import_commit {
    http_request *req;
    job_submit job;            /* its payload lives in the request arena */
    char id[UUID_STR_LEN + 1]; /* the reserved id */
} import_commit;

/* The job takes the reserved id, so a second upload that raced past the check in
 * api_import_upload fails here, in its own savepoint, without harming other writes. */
static int commit_op(store_tx *tx, void *arg)
{
    import_commit *c = arg;
    return jobs_tx_insert(tx, &c->job, c->id);
}

static void commit_done(void *ctx, int rc)
{
    import_commit *c = ctx;
    if (rc == STORE_OK)
        http_resume_json(c->req, 200, json_pack("{s:s}", "job_id", c->id));
    else if (rc == STORE_CONFLICT)
        http_resume_json(c->req, 409,
                         http_error_body(NULL, "this import's file was uploaded already"));
    else
        http_resume_json(c->req, 503,
                         http_error_body(NULL, "the file could not be stored; try again"));
}

/* Check the whole file; counts data rows. 0, or -1 after replying 400. */
static int check_file(http_request *req, const char *csv, size_t len, size_t columns, int64_t *rows)
{
    csv_reader r;
    csv_reader_init(&r, csv, len);
    arena a = ARENA_INIT;
    const char **cells;
    size_t n;
    const char *why = NULL;
    int rc = csv_next(&r, &a, &cells, &n, &why);
    if (rc == 0) {
        http_reply_error(req, 400, NULL, "the file is empty");
        arena_release(&a);
        return -1;
    }
    if (rc == 1 && n != columns) {
        http_reply_error(req, 400, "field_mappings",
                         "the file's header row has %zu columns but field_mappings has %zu", n,
                         columns);
        arena_release(&a);
        return -1;
    }
    int64_t count = 0;
    while (rc == 1) {
        int64_t line = r.line;
        rc = csv_next(&r, &a, &cells, &n, &why);
        if (rc == 1 && ++count > IMPORT_MAX_ROWS) {
            http_reply_error(req, 400, NULL, "the file has more than %d contacts", IMPORT_MAX_ROWS);
            arena_release(&a);
            return -1;
        }
        if (rc < 0) {
            http_reply_error(req, 400, NULL, "line %lld: %s", (long long)line, why);
            arena_release(&a);
            return -1;
        }
        if (a.total > (1u << 20))
            arena_release(&a);
    }
    arena_release(&a);
    if (rc < 0) { /* the header row itself */
        http_reply_error(req, 400, NULL, "line %lld: %s", (long long)r.line, why);
        return -1;
    }
    if (count == 0) {
        http_reply_error(req, 400, NULL, "the file has a header row but no contacts");
        return -1;
    }
    *rows = count;
    return 0;
}

/* The upload's reservation, when the URL's token matches; replies 404/409/503 and
 * returns false otherwise. */
static bool load_upload(http_request *req, import_upload *up)
{
    api_ctx *app = http_app(req);
    const char *id = http_param(req, 0);
    const char *token = http_query(req, "token");
    int rc = API_GET_IF_UUID(id, store_upload_get(app->store, id, http_arena(req), up));
    if (rc == STORE_OK && up->created_at + IMPORT_UPLOAD_TTL_MS <= time_now_ms())
        rc = STORE_NOT_FOUND;
    if (rc != STORE_OK && rc != STORE_NOT_FOUND) {
        api_reply_store_error(req);
        return false;
    }
    if (rc == STORE_NOT_FOUND || !api_token_equal(token, up->token)) {
        http_reply_error(req, 404, NULL,
                         "upload not found: use the upload_uri that PUT "
                         "/v3/marketing/contacts/imports returned");
        return false;
    }
    job_info existing;
    rc = store_job_get(app->store, up->account, id, &existing);
    if (rc == STORE_OK) {
        http_reply_error(req, 409, NULL, "this import's file was uploaded already");
        return false;
    }
    if (rc != STORE_NOT_FOUND) {
        api_reply_store_error(req);
        return false;
    }
    return true;
}

void api_import_upload_admit(http_request *req)
{
    import_upload up;
    /* The upload acts for the account that reserved it: the slow pool takes turns by it.
     * Its job is refused here, before the file is read, when the backlog is full. */
    if (load_upload(req, &up) && !api_backlog_full(req))
        http_set_account(req, up.account);
}

void api_import_upload(http_request *req)
{
    arena *a = http_arena(req);
    const char *id = http_param(req, 0);
    import_upload up;
    if (!load_upload(req, &up))
        return;
    json_t *spec = json_loads(up.spec, 0, NULL);
    size_t columns = json_array_size(json_object_get(spec, "field_mappings"));
    json_decref(spec);

    size_t len;
    const char *body = http_body(req, &len);
    char *inflated = NULL;
    const char *csv = body ? body : "";
    if (len >= 2 && (unsigned char)body[0] == 0x1f && (unsigned char)body[1] == 0x8b) {
        const char *why;
        if (gunzip(body, len, IMPORT_MAX_UPLOAD, &inflated, &len, &why) != 0) {
            http_reply_error(req, 400, NULL, "%s", why);
            return;
        }
        csv = inflated;
    }
    int64_t rows;
    if (check_file(req, csv, len, columns, &rows) != 0) {
        free(inflated);
        return;
    }
    import_commit *c = arena_calloc(a, 1, sizeof *c);
    c->req = req;
    size_t plen;
    c->job.payload = import_payload(a, up.spec, csv, len, &plen);
    free(inflated);
    c->job.account = up.account;
    c->job.kind = JOB_IMPORT;
    snprintf(c->id, sizeof c->id, "%s", id);
    c->job.payload_len = plen;
    c->job.requested = rows;
    api_submit_op(req, commit_op, c, commit_done);
}

/* ---- status and errors ------------------------------------------------------------ */

/* Find the job or reply; true when found. An import whose file has not arrived yet is
 * shown as a pending upsert with nothing requested. Exports have their own endpoint. */
static bool load_job(http_request *req, job_info *job)
{
    api_ctx *app = http_app(req);
    const char *id = http_param(req, 0);
    int rc = API_GET_IF_UUID(id, store_job_get(app->store, http_account(req), id, job));
    if (rc == STORE_OK && (job->kind == JOB_EXPORT || job->kind == JOB_SEGMENT_EVAL))
        rc = STORE_NOT_FOUND;
    if (rc == STORE_NOT_FOUND && uuid_valid(id)) {
        import_upload up;
        rc = store_upload_get(app->store, id, http_arena(req), &up);
        if (rc == STORE_OK && (up.account != http_account(req) ||
                               up.created_at + IMPORT_UPLOAD_TTL_MS <= time_now_ms()))
            rc = STORE_NOT_FOUND;
        if (rc == STORE_OK) {
            memset(job, 0, sizeof *job);
            snprintf(job->id, sizeof job->id, "%s", id);
            job->kind = JOB_IMPORT;
            job->status = JOB_PENDING;
            job->accepted_at = up.created_at;
        }
    }
    if (rc == STORE_NOT_FOUND) {
        http_reply_error(req, 404, "id", "job not found");
        return false;
    }
    if (rc != STORE_OK) {
        api_reply_store_error(req);
        return false;
    }
    return true;
}

/* errors_url works this long after its job finished: as long as export files do. */
static bool errors_url_live(http_request *req, const job_info *job)
{
    api_ctx *app = http_app(req);
    return job->errors_token[0] &&
           (!job->finished_at || job->finished_at + app->export_ttl_ms > time_now_ms());
}

void api_import_get(http_request *req)
{
    job_info job;
    if (!load_job(req, &job))
        return;
    json_writer *w = json_writer_thread();
    json_writer_cstr_raw(w, "{\"id\":");
    json_writer_cstr(w, job.id);
    json_writer_cstr_raw(w, ",\"status\":");
    json_writer_cstr(w, job_status_name(job.status));
    json_writer_cstr_raw(w, ",\"job_type\":");
    json_writer_cstr(w, job_kind_type_name(job.kind));
    const char *names[] = {"requested_count", "created_count", "updated_count", "deleted_count",
                           "errored_count"};
    int64_t counts[] = {job.counts.requested, job.counts.created, job.counts.updated,
                        job.counts.deleted, job.counts.errored};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        json_writer_cstr_raw(w, i ? "," : ",\"results\":{");
        json_writer_key(w, names[i]);
        json_writer_int(w, counts[i]);
    }
    if (job.counts.errored > 0 && errors_url_live(req, &job)) {
        size_t mark = w->len;
        json_writer_cstr_raw(w, ",\"errors_url\":");
        if (!api_write_printf(req, w, "%s/v3/marketing/contacts/imports/%s/errors?token=%s",
                              http_base_url(req), job.id, job.errors_token))
            json_writer_truncate(w, mark);
    }
    json_writer_cstr_raw(w, "},\"started_at\":");
    api_write_time(w, job.accepted_at);
    /* a string in SendGrid's document: left out while the job is pending */
    if (job.finished_at) {
        json_writer_cstr_raw(w, ",\"finished_at\":");
        api_write_time(w, job.finished_at);
    }
    json_writer_char(w, '}');
    http_reply_json_text(req, 200, w->buf, w->len);
}

/* The errors document, streamed ERRORS_PAGE errors at a time: {"job_id": ..., "errors":
 * [...], "errors_omitted": n}, n being the errored records past the job's stored errors
 * (jobs/kind.h: JOB_ERRORS_DETAILED). */
#define ERRORS_PAGE 500

typedef struct errors_doc {
    store *store;
    int64_t account;
    char id[UUID_STR_LEN + 1];
    int64_t errored; /* the job's errored_count */
    int64_t after;   /* the index of the last error written; -1 before the first */
    int64_t written;
    bool begun;
} errors_doc;

static int errors_page(void *ctx, csv_buf *out)
{
    errors_doc *d = ctx;
    if (!d->begun) {
        d->begun = true;
        char head[64 + UUID_STR_LEN]; /* a UUID needs no escaping */
        int len = snprintf(head, sizeof head, "{\"job_id\":\"%s\",\"errors\":[", d->id);
        csv_buf_raw(out, head, (size_t)len);
        return 1;
    }
    arena a = ARENA_INIT;
    job_error_row *rows;
    size_t n;
    int rc = store_job_errors(d->store, d->account, d->id, d->after, ERRORS_PAGE, &a, &rows, &n);
    for (size_t i = 0; rc == STORE_OK && i < n; i++) {
        json_t *ids = json_loads(rows[i].identifiers, 0, NULL);
        if (api_page_json(out,
                          json_pack("{s:I, s:o, s:s}", "index", (json_int_t)rows[i].index,
                                    "identifiers", ids ? ids : json_object(), "message",
                                    rows[i].message),
                          d->written > 0))
            d->written++;
        d->after = rows[i].index;
    }
    arena_release(&a);
    if (rc != STORE_OK)
        return -1;
    if (n == ERRORS_PAGE)
        return 1;
    char tail[64];
    int64_t omitted = d->errored > d->written ? d->errored - d->written : 0;
    int len = snprintf(tail, sizeof tail, "],\"errors_omitted\":%lld}", (long long)omitted);
    csv_buf_raw(out, tail, (size_t)len);
    return 0;
}

void api_import_errors(http_request *req)
{
    api_ctx *app = http_app(req);
    const char *id = http_param(req, 0);
    int64_t account = 0;
    job_info job;
    int rc = API_GET_IF_UUID(id, store_job_account(app->store, id, &account));
    if (rc == STORE_OK)
        rc = store_job_get(app->store, account, id, &job);
    if (rc != STORE_OK && rc != STORE_NOT_FOUND) {
        api_reply_store_error(req);
        return;
    }
    /* one answer for every way of not matching, so the URL cannot be probed part by part */
    if (rc == STORE_NOT_FOUND || job.kind == JOB_EXPORT ||
        !api_token_equal(http_query(req, "token"), job.errors_token) || !errors_url_live(req, &job)) {
        http_reply_error(req, 404, NULL, "errors not found (or expired)");
        return;
    }
    errors_doc *d = calloc(1, sizeof *d);
    if (!d)
        abort();
    d->store = app->store;
    d->account = account;
    memcpy(d->id, job.id, sizeof d->id);
    d->errored = job.counts.errored;
    d->after = -1;
    api_reply_pages(req, 200, errors_page, d, free);
}
