/*
 * contacts_exports: /v3/marketing/contacts/exports.
 *
 *   POST /exports                      202 {id, _metadata}: an export job (jobs/export.c)
 *   GET  /exports                      {result: [...]}: the account's exports that have
 *                                      not expired, oldest first (clients take the
 *                                      last entry as the export they just asked for)
 *   GET  /exports/{id}                 ContactExport: pending | ready (with urls) | failure
 *   GET  /exports/{id}/files/{n}.{csv|json}.gz?token=...
 *                                      one file of a ready export, gzip-compressed as the
 *                                      live service's are, streamed; without ".gz" the
 *                                      same file plain (contactd's extension)
 *
 * Download URLs work without an API key, as SendGrid's pre-signed URLs do: each carries
 * the export's own random token (compared in constant time), so whoever holds the URL
 * can fetch the file until the export expires (CONTACTD_EXPORT_TTL, 72 hours by default).
 * Files are served by contactd itself from the database, so any node can serve any
 * export. POST takes no body, an empty one or null as {} (every property is optional,
 * and the Python and Ruby clients send none). contactd sends no e-mail:
 * notifications.email is accepted and recorded only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "api/api.h"
#include "core/metrics.h"
#include "core/timeutil.h"
#include "jobs/kinds.h"

#define EXPORT_MAX_LISTS 100
#define EXPORT_MAX_FILE_MB 5000
#define EXPORT_LIST_MAX 100 /* GET /exports shows at most this many */
/* ...read from this many of the newest exports, expired ones included. Exports expire in
 * the order they were made (unless --export-ttl was lowered since), so the newest are
 * the live ones; a payload holds the field snapshot (up to 500 fields), hence a bound. */
#define EXPORT_LIST_SCAN 200

/* An export that has not expired: its job and its request. */
typedef struct live_export {
    job_info job;
    export_request r;
} live_export;

/* The account's exports that have not expired, newest first (in the request's arena). */
static int live_exports(http_request *req, live_export **out, size_t *count)
{
    api_ctx *app = http_app(req);
    arena *a = http_arena(req);
    job_listing *rows;
    size_t n;
    int rc =
        store_job_list(app->store, http_account(req), JOB_EXPORT, EXPORT_LIST_SCAN, a, &rows, &n);
    if (rc != STORE_OK)
        return rc;
    int64_t now = time_now_ms();
    live_export *live = arena_calloc(a, n ? n : 1, sizeof *live);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        live[k].job = rows[i].info;
        if (export_payload_parse(rows[i].payload, rows[i].payload_len, a, &live[k].r) == 0 &&
            live[k].r.expires_at > now)
            k++;
    }
    *out = live;
    *count = k;
    return STORE_OK;
}

/* ---- quotas ------------------------------------------------------------------------
 * Per account: at most max_exports exports that may still hold files (pending or ready,
 * not expired; a failed one holds none), and no new export while those already keep
 * max_export_bytes or more. Checked when an export is requested, so one export may pass
 * the byte quota by its own size, and two requests at the same moment may both pass the
 * count. Past a quota: 429 as the rate limiter answers, with X-RateLimit-Reset at the
 * moment the oldest live export expires (when retrying can succeed). */

/* false after answering 429 (or 503) when a new export would pass a quota. */
static bool within_quota(http_request *req)
{
    api_ctx *app = http_app(req);
    if (!app->max_exports && !app->max_export_bytes)
        return true;
    live_export *live;
    size_t n;
    store_usage *usage;
    size_t nu;
    if (live_exports(req, &live, &n) != STORE_OK ||
        store_usage_list(app->store, http_account(req), time_now_ms(), http_arena(req), &usage,
                         &nu) != STORE_OK) {
        api_reply_store_error(req);
        return false;
    }
    int64_t holding = 0, first_expiry = INT64_MAX;
    for (size_t i = 0; i < n; i++) {
        if (live[i].job.status != JOB_PENDING && live[i].job.status != JOB_COMPLETED)
            continue;
        holding++;
        if (live[i].r.expires_at < first_expiry)
            first_expiry = live[i].r.expires_at;
    }
    int64_t bytes = nu ? usage[0].export_bytes : 0;
    int64_t reset = holding ? first_expiry / 1000 + 1 : time_now_ms() / 1000 + 1;
    if (app->max_exports && holding >= app->max_exports) {
        http_reply_too_many(req, (unsigned)app->max_exports, reset, NULL,
                            "too many exports: this account has %lld that have not expired, the "
                            "most it may have; request another once one expires",
                            (long long)holding);
        return false;
    }
    if (app->max_export_bytes && bytes >= app->max_export_bytes) {
        /* X-RateLimit-Limit: the exports the quota lets it keep now, those it holds. */
        unsigned limit =
            app->max_exports ? (unsigned)app->max_exports : (unsigned)(holding > 0 ? holding : 1);
        http_reply_too_many(req, limit, reset, NULL,
                            "export storage quota reached: this account's exports keep %lld bytes "
                            "of the %lld it may keep; request another once one expires",
                            (long long)bytes, (long long)app->max_export_bytes);
        return false;
    }
    return true;
}

/* ---- POST ------------------------------------------------------------------------ */

static json_t *export_accepted(http_request *req, const char *job_id)
{
    return json_pack("{s:s, s:{s:o}}", "id", job_id, "_metadata", "self",
                     json_sprintf("%s/v3/marketing/contacts/exports/%s", http_base_url(req), job_id));
}

void api_export_create(http_request *req)
{
    if (api_backlog_full(req))
        return;
    json_t *root = api_body_object_optional(req);
    if (!root)
        return;
    api_ctx *app = http_app(req);
    arena *a = http_arena(req);
    errlist errs;
    errlist_init(&errs, a);

    export_request r = {.max_file_size_mb = EXPORT_MAX_FILE_MB};
    json_t *ft = json_object_get(root, "file_type");
    if (ft && !(json_is_string(ft) && (strcmp(json_string_value(ft), "csv") == 0 ||
                                       strcmp(json_string_value(ft), "json") == 0)))
        errlist_add(&errs, "file_type", "file_type must be \"csv\" or \"json\"");
    else
        r.json = ft && strcmp(json_string_value(ft), "json") == 0;
    json_t *mfs = json_object_get(root, "max_file_size");
    if (mfs && !(json_is_integer(mfs) && json_integer_value(mfs) >= 1 &&
                 json_integer_value(mfs) <= EXPORT_MAX_FILE_MB))
        errlist_add(&errs, "max_file_size",
                    "max_file_size must be a whole number of MB from 1 to %d", EXPORT_MAX_FILE_MB);
    else if (mfs)
        r.max_file_size_mb = json_integer_value(mfs);
    json_t *notif = json_object_get(root, "notifications");
    if (notif) {
        json_t *email = json_object_get(notif, "email");
        if (!json_is_object(notif) || (email && !json_is_boolean(email)))
            errlist_add(&errs, "notifications", "notifications must be {\"email\": true|false}");
        else
            r.notify_email = json_is_true(email);
    }
    /* No list_ids (or []) exports every contact. */
    size_t nlists, nsegs;
    const char **lists =
        api_optional_strings(root, "list_ids", EXPORT_MAX_LISTS, "list id", a, &errs, &nlists);
    const char **segs =
        api_optional_strings(root, "segment_ids", EXPORT_MAX_LISTS, "segment id", a, &errs, &nsegs);
    json_decref(root);
    if (errs.count) {
        http_reply_errlist(req, 400, &errs);
        return;
    }
    for (size_t i = 0; i < nsegs; i++) {
        segment_row seg;
        int rc = uuid_valid(segs[i])
                     ? store_segment_get(app->store, http_account(req), segs[i], a, &seg)
                     : STORE_NOT_FOUND;
        if (rc == STORE_NOT_FOUND) {
            http_reply_error(req, 404, "segment_ids", "unknown segment id: %.40s", segs[i]);
            return;
        }
        if (rc != STORE_OK) {
            api_reply_store_error(req);
            return;
        }
    }
    r.segment_ids = segs;
    r.segment_count = nsegs;
    /* Every list must exist now (one deleted before the export runs fails it, see
     * jobs/export.c); a list named twice counts once. */
    const char **missing;
    size_t nmissing;
    if (api_missing_lists(req, lists, nlists, &missing, &nmissing) != STORE_OK) {
        api_reply_store_error(req);
        return;
    }
    if (nmissing) {
        http_reply_error(req, 404, "list_ids", "unknown list ids: %.400s",
                         api_join(a, missing, nmissing));
        return;
    }
    const char **uniq = arena_calloc(a, nlists ? nlists : 1, sizeof *uniq);
    for (size_t i = 0; i < nlists; i++) {
        bool dup = false;
        for (size_t k = 0; k < r.list_count && !dup; k++)
            dup = strcmp(uniq[k], lists[i]) == 0;
        if (!dup)
            uniq[r.list_count++] = lists[i];
    }
    r.list_ids = uniq;
    if (!within_quota(req))
        return;
    char token[64];
    if (random_base64url(token, sizeof token, 24) != 0) {
        http_reply_error(req, 500, NULL, "internal error: no randomness");
        return;
    }
    r.token = token;
    r.expires_at = time_now_ms() + app->export_ttl_ms;
    if (store_fields_list(app->store, http_account(req), a, &r.fields) != STORE_OK) {
        api_reply_store_error(req);
        return;
    }
    size_t len;
    char *payload = export_payload(&r, &len);
    if (!payload) {
        http_reply_error(req, 500, NULL, "internal error: the export could not be encoded");
        return;
    }
    job_submit sub = {
        .account = http_account(req),
        .kind = JOB_EXPORT,
        .requested = 1,
        .payload = payload,
        .payload_len = len,
    };
    api_submit_job_with(req, &sub, export_accepted);
}

/* ---- status -------------------------------------------------------------------------- */

/* A ContactExport for one export job; NULL after replying when the store fails. */
static json_t *export_json(http_request *req, const job_info *job, const export_request *r)
{
    api_ctx *app = http_app(req);
    int64_t account = http_account(req);
    const char *base = http_base_url(req);
    const char *status = job->status == JOB_PENDING     ? "pending"
                         : job->status == JOB_COMPLETED ? "ready"
                                                        : "failure";
    json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:s, s:I}", "id", job->id, "status", status,
                          "created_at", api_time_json(job->accepted_at), "updated_at",
                          api_time_json(job->finished_at ? job->finished_at : job->accepted_at),
                          "expires_at", api_time_json(r->expires_at), "export_type",
                          r->segment_count ? "segment_export"
                          : r->list_count  ? "list_export"
                                           : "contacts_export",
                          "contact_count", (json_int_t)job->counts.created);
    json_object_set_new(o, "file_type", json_string(r->json ? "json" : "csv"));
    /* Lists as SendGrid names them here ({"ID", "Name"}); a list deleted since has no
     * name any more. */
    json_t *lists = json_array();
    for (size_t i = 0; i < r->list_count; i++) {
        json_t *l = json_pack("{s:s}", "ID", r->list_ids[i]);
        list_info li;
        if (store_list_get(app->store, account, r->list_ids[i], http_arena(req), &li) == STORE_OK)
            json_object_set_new(l, "Name", json_string(li.name));
        json_array_append_new(lists, l);
    }
    json_object_set_new(o, "lists", lists);
    json_t *segments = json_array();
    for (size_t i = 0; i < r->segment_count; i++) {
        json_t *s = json_pack("{s:s}", "ID", r->segment_ids[i]);
        segment_row seg;
        if (store_segment_get(app->store, account, r->segment_ids[i], http_arena(req), &seg) ==
            STORE_OK)
            json_object_set_new(s, "Name", json_string(seg.name));
        json_array_append_new(segments, s);
    }
    json_object_set_new(o, "segments", segments);
    json_t *urls = json_array();
    if (job->finished_at) /* a string in the document: left out while pending */
        json_object_set_new(o, "completed_at", api_time_json(job->finished_at));
    if (job->status == JOB_COMPLETED) {
        int64_t files = 0;
        if (store_export_file_count(app->store, account, job->id, &files) != STORE_OK) {
            json_decref(o);
            json_decref(urls);
            api_reply_store_error(req);
            return NULL;
        }
        for (int64_t f = 1; f <= files; f++)
            json_array_append_new(
                urls, json_sprintf("%s/v3/marketing/contacts/exports/%s/files/%lld.%s.gz?token=%s",
                                   base, job->id, (long long)f, r->json ? "json" : "csv", r->token));
    } else if (job->status != JOB_PENDING) {
        job_error_row *rows;
        size_t n;
        if (store_job_errors(app->store, account, job->id, -1, 1, http_arena(req), &rows, &n) ==
                STORE_OK &&
            n)
            json_object_set_new(o, "message", json_string(rows[0].message));
        else
            json_object_set_new(o, "message", json_string("the export failed"));
    }
    json_object_set_new(o, "urls", urls);
    json_object_set_new(
        o, "_metadata",
        json_pack("{s:o}", "self",
                  json_sprintf("%s/v3/marketing/contacts/exports/%s", base, job->id)));
    return o;
}

/* The path's export of the account: job and request. STORE_NOT_FOUND also for a job
 * that is no export and for an expired export (gone, as on SendGrid). */
static int find_export(http_request *req, int64_t account, job_info *job, export_request *r)
{
    api_ctx *app = http_app(req);
    const char *id = http_param(req, 0);
    int rc = API_GET_IF_UUID(id, store_job_get(app->store, account, id, job));
    const char *payload = NULL;
    size_t len = 0;
    if (rc == STORE_OK && job->kind != JOB_EXPORT)
        rc = STORE_NOT_FOUND;
    if (rc == STORE_OK)
        rc = store_job_payload_get(app->store, account, id, http_arena(req), &payload, &len);
    if (rc == STORE_OK && export_payload_parse(payload, len, http_arena(req), r) != 0)
        rc = STORE_ERROR;
    if (rc == STORE_OK && r->expires_at <= time_now_ms())
        rc = STORE_NOT_FOUND;
    return rc;
}

/* find_export, replying 404/503 and returning false when there is none. */
static bool load_export(http_request *req, int64_t account, job_info *job, export_request *r)
{
    int rc = find_export(req, account, job, r);
    if (rc == STORE_NOT_FOUND) {
        http_reply_error(req, 404, "id", "export not found (or expired)");
        return false;
    }
    if (rc != STORE_OK) {
        api_reply_store_error(req);
        return false;
    }
    return true;
}

void api_export_get(http_request *req)
{
    job_info job;
    export_request r;
    if (!load_export(req, http_account(req), &job, &r))
        return;
    json_t *o = export_json(req, &job, &r);
    if (o)
        http_reply_json(req, 200, o);
}

void api_exports_all(http_request *req)
{
    live_export *rows;
    size_t n;
    if (live_exports(req, &rows, &n) != STORE_OK) {
        api_reply_store_error(req);
        return;
    }
    json_t *result = json_array();
    for (size_t i = 0; i < n && json_array_size(result) < EXPORT_LIST_MAX; i++) {
        json_t *o = export_json(req, &rows[i].job, &rows[i].r);
        if (!o) {
            json_decref(result);
            return;
        }
        json_array_insert_new(result, 0, o); /* read newest first, listed oldest first */
    }
    json_t *meta = json_pack("{s:o}", "self",
                             json_sprintf("%s/v3/marketing/contacts/exports", http_base_url(req)));
    http_reply_json(req, 200, json_pack("{s:o, s:o}", "result", result, "_metadata", meta));
}

/* ---- download -------------------------------------------------------------------------- */

/* Chunks read per query while streaming a file: one chunk holds a slice of the scan (250
 * contacts, or far fewer for a list export), and a query per chunk made PostgreSQL
 * downloads crawl. The store also stops at STORE_EXPORT_READ_BYTES: counting chunks alone,
 * 32 slices of 2 MB contacts made one read of ~1 GB.
 *
 * Memory: a download holds one piece (STORE_EXPORT_READ_BYTES, or one chunk when a chunk
 * is larger), MHD's 64 KiB response buffer, and for .gz names zlib's deflate state (level
 * 1, 15-bit window, memLevel 8: about 268 KiB). MHD asks for more only as the client's
 * socket drains, so a slow reader holds its piece and no more: that is the back-pressure.
 * Every download in progress accounts for what it holds in app->downloads
 * (--download-memory-mb); a new one that does not fit is answered 503 with Retry-After,
 * and a piece larger than its reservation is charged past the budget for as long as it is
 * held, which holds new downloads back meanwhile. */
#define DOWNLOAD_CHUNKS 32
#define DOWNLOAD_BASE_BYTES ((int64_t)STORE_EXPORT_READ_BYTES + 64 * 1024)
#define DOWNLOAD_GZIP_BYTES ((int64_t)268 * 1024)
#define DOWNLOAD_RETRY_AFTER_S "1"

typedef struct download {
    store *store;
    int64_t account;
    char id[UUID_STR_LEN + 1];
    int64_t file_no, chunk_no;
    int64_t expires_at; /* the export's: see next_chunk */
    arena arena;
    const char *data; /* the current chunk, in arena */
    size_t len, off;
    bool gzip; /* served compressed (the .gz names) */
    bool at_end, z_done;
    z_stream z;
    membudget *budget; /* NULL: not accounted */
    int64_t reserved;  /* taken from budget when the download began */
    int64_t charged;   /* more, for a piece larger than STORE_EXPORT_READ_BYTES */
} download;

/* Account for the piece now held (len: the bytes holding it): what it needs beyond the
 * reservation is charged. */
static void piece_held(download *d, size_t len)
{
    if (!d->budget)
        return;
    int64_t extra =
        (int64_t)len > STORE_EXPORT_READ_BYTES ? (int64_t)len - STORE_EXPORT_READ_BYTES : 0;
    if (extra > d->charged)
        membudget_charge(d->budget, extra - d->charged);
    else
        membudget_give(d->budget, d->charged - extra);
    d->charged = extra;
}

/* Read the file's next chunk into d->data: 1, 0 at the end of the file, -1 on failure. */
static int next_chunk(download *d)
{
    arena_release(&d->arena);
    d->off = d->len = 0;
    int rc = store_export_chunk_next(d->store, d->account, d->id, d->file_no, d->chunk_no,
                                     DOWNLOAD_CHUNKS, &d->arena, &d->chunk_no, &d->data, &d->len);
    /* What the arena holds, not the piece's length: the read's buffer grows by doubling
     * and keeps its earlier blocks until the next read. */
    piece_held(d, rc == STORE_OK ? d->arena.total : 0);
    /* No chunk left: the end of the file, unless the export expired meanwhile and its
     * chunks are being deleted; then the file may be cut, and a clean end would let the
     * client take it for whole. */
    if (rc == STORE_NOT_FOUND)
        return time_now_ms() < d->expires_at ? 0 : -1;
    return rc == STORE_OK ? 1 : -1;
}

static long plain_read(download *d, char *buf, size_t max)
{
    while (d->off == d->len) {
        int rc = next_chunk(d);
        if (rc <= 0)
            return rc;
    }
    size_t n = d->len - d->off < max ? d->len - d->off : max;
    memcpy(buf, d->data + d->off, n);
    d->off += n;
    return (long)n;
}

/* The file through one gzip stream, compressed as it is sent (chunks are stored plain, so
 * the same export serves both names). */
static long gzip_read(download *d, char *buf, size_t max)
{
    d->z.next_out = (Bytef *)buf;
    d->z.avail_out = (uInt)(max < UINT32_MAX ? max : UINT32_MAX);
    uInt room = d->z.avail_out;
    while (d->z.avail_out == room && !d->z_done) {
        if (d->z.avail_in == 0 && !d->at_end) {
            int rc = next_chunk(d);
            if (rc < 0)
                return -1;
            d->at_end = rc == 0;
            d->z.next_in = (Bytef *)d->data;
            d->z.avail_in = (uInt)d->len;
        }
        int rc = deflate(&d->z, d->at_end ? Z_FINISH : Z_NO_FLUSH);
        if (rc == Z_STREAM_END)
            d->z_done = true;
        else if (rc != Z_OK && rc != Z_BUF_ERROR)
            return -1;
    }
    return (long)(room - d->z.avail_out);
}

static long download_read(void *ctx, char *buf, size_t max)
{
    download *d = ctx;
    return d->gzip ? gzip_read(d, buf, max) : plain_read(d, buf, max);
}

static void download_free(void *ctx)
{
    download *d = ctx;
    if (d->gzip)
        deflateEnd(&d->z);
    arena_release(&d->arena);
    if (d->budget)
        membudget_give(d->budget, d->reserved + d->charged);
    free(d);
}

/* Reserve a new download's memory; false after answering 503 when it does not fit. */
static bool download_admit(http_request *req, bool gzip, int64_t *reserved)
{
    api_ctx *app = http_app(req);
    *reserved = DOWNLOAD_BASE_BYTES + (gzip ? DOWNLOAD_GZIP_BYTES : 0);
    if (!app->downloads || membudget_take(app->downloads, *reserved))
        return true;
    metrics_download_refused();
    http_add_header(req, "Retry-After", DOWNLOAD_RETRY_AFTER_S);
    http_reply_error(req, 503, NULL,
                     "too many export downloads in progress on this server; try again in a "
                     "second");
    return false;
}

/* name is "<n>.<type>.gz" or "<n>.<type>" (plain, contactd's extension): the file number,
 * or 0 for any other name (only the names an export issues, no leading zero). */
static long long file_number(const char *name, const char *ext, bool *gzip)
{
    size_t digits = strspn(name, "0123456789");
    const char *rest = name + digits;
    size_t ext_len = strlen(ext);
    if (digits == 0 || digits > 9 || name[0] == '0' || strncmp(rest, ext, ext_len) != 0)
        return 0;
    *gzip = strcmp(rest + ext_len, ".gz") == 0;
    if (!*gzip && rest[ext_len])
        return 0;
    long long n = 0;
    for (size_t i = 0; i < digits; i++)
        n = n * 10 + (name[i] - '0');
    return n;
}

void api_export_download(http_request *req)
{
    api_ctx *app = http_app(req);
    const char *id = http_param(req, 0);
    const char *name = http_param(req, 1);
    const char *token = http_query(req, "token");
    int64_t account = 0;
    job_info job;
    export_request r;
    int rc = API_GET_IF_UUID(id, store_job_account(app->store, id, &account));
    if (rc == STORE_OK)
        rc = find_export(req, account, &job, &r);
    if (rc != STORE_OK && rc != STORE_NOT_FOUND) {
        api_reply_store_error(req);
        return;
    }
    /* One answer for every way of not having the file, so that the URL's parts cannot be
     * probed one at a time. */
    if (rc == STORE_NOT_FOUND || !api_token_equal(token, r.token) || job.status != JOB_COMPLETED)
        goto not_found;
    const char *ext = r.json ? ".json" : ".csv";
    bool gzip = false;
    long long file_no = file_number(name, ext, &gzip);
    int64_t files = 0;
    if (file_no == 0)
        goto not_found;
    if (store_export_file_count(app->store, account, id, &files) != STORE_OK) {
        api_reply_store_error(req);
        return;
    }
    if (file_no > files)
        goto not_found;
    int64_t reserved;
    if (!download_admit(req, gzip, &reserved))
        return;
    download *d = calloc(1, sizeof *d);
    if (!d)
        abort();
    d->budget = app->downloads;
    d->reserved = reserved;
    d->store = app->store;
    d->account = account;
    snprintf(d->id, sizeof d->id, "%s", id);
    d->file_no = file_no;
    d->expires_at = r.expires_at;
    d->gzip = gzip;
    /* level 1: the download is compressed as it streams, so speed over size; 15 + 16 is
     * zlib's way of asking for a gzip wrapper */
    if (gzip && deflateInit2(&d->z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    char disposition[96];
    snprintf(disposition, sizeof disposition, "attachment; filename=\"contacts-%lld%s%s\"", file_no,
             ext, gzip ? ".gz" : "");
    const char *type = gzip     ? "application/gzip"
                       : r.json ? "application/x-ndjson"
                                : "text/csv; charset=utf-8";
    http_reply_stream(req, 200, type, disposition, download_read, d, download_free);
    return;
not_found:
    http_reply_error(req, 404, NULL, "export file not found (or expired)");
}
