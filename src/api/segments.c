/*
 * segments: /v3/marketing/segments/2.0 (Segments 2.0).
 *
 *   POST   /segments/2.0              create (201); {name, query_dsl, parent_list_ids?}
 *   GET    /segments/2.0              {"results": [...]}; filters ids, parent_list_ids,
 *                                     no_parent_list_id as SendGrid's table defines them
 *   GET    /segments/2.0/{id}         one segment; contacts_sample (default true): up to
 *                                     SEGMENT_SAMPLE members
 *   PATCH  /segments/2.0/{id}         name and/or query_dsl (200)
 *   DELETE /segments/2.0/{id}         204
 *   (POST /segments/2.0/refresh/{id} is in segments_refresh.c)
 *
 * Writes run on the job writer (jobs_submit_op). Creating a segment or changing its query
 * queues its evaluation over the account's contacts (jobs/segment_eval.c) in the same
 * commit; until that job has run, status.query_validation is PENDING and the count is
 * what has been evaluated so far. Afterwards membership is live (jobs/segment_sync.c):
 * every read answers from the stored member rows, exact as of the last completed job.
 * A segment's contacts_sample is rendered once and kept (a small cache per process) while
 * the segment's members_version stays the same: the writer raises it whenever members, or
 * what they show, may have changed, so a cached sample is never stale, on any node. Only a
 * small sample is kept: one whose contacts were all kept in memory by api_sample_refs
 * (under API_KEEP_CONTACT_BYTES, about 1 MiB of rows) and whose text is under
 * SAMPLE_CACHE_TEXT_MAX; a bigger one is streamed a contact at a time (or, between the two
 * bounds, written whole) and rendered again on every read, so the cache holds at most
 * 64 texts of under 1 MiB.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/segment_query.h"
#include "core/timeutil.h"
#include "jobs/segments.h"

#define SEGMENT_SAMPLE 50
#define FILTER_MAX_IDS 50
/* A query that reads the clock is evaluated again this often (jobs/segment_eval.c). */
#define CLOCK_REFRESH_MS (60 * 1000)

/* An op's answer when the account has its maximum of segments. */
#define SEGMENT_TOO_MANY (-100)

static json_t *segment_json(const char *base_url, const segment_row *s, json_t *sample)
{
    int64_t now = time_now_ms();
    segment_query sq;
    bool clock = segment_query_parse(s->query_dsl, &sq, NULL, 0) == 0 && sq.clock;
    segment_query_free(&sq);
    /* Membership is kept current by every write, so a sample is taken when it is read;
     * only a clock-dependent query waits for its next evaluation. */
    int64_t sampled = clock && s->evaluated_at ? s->evaluated_at : now;
    int64_t next = clock && s->evaluated_at ? s->evaluated_at + CLOCK_REFRESH_MS : now;
    if (next < now)
        next = now;
    json_t *status = json_pack("{s:s}", "query_validation",
                               s->error          ? "INVALID"
                               : s->evaluated_at ? "VALID"
                                                 : "PENDING");
    if (s->error)
        json_object_set_new(status, "error_message", json_string(s->error));
    json_t *parents = json_array();
    if (s->parent_list_id)
        json_array_append_new(parents, json_string(s->parent_list_id));
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:s, s:o}", "id", s->id,
                          "name", s->name, "query_dsl", s->query_dsl, "contacts_count",
                          (json_int_t)s->contacts_count, "created_at", api_time_json(s->created_at),
                          "updated_at", api_time_json(s->updated_at), "sample_updated_at",
                          api_time_json(sampled), "next_sample_update", api_time_json(next),
                          "parent_list_ids", parents, "query_version", "2", "status", status);
    if (sample)
        json_object_set_new(o, "contacts_sample", sample);
    json_object_set_new(o, "_metadata",
                        json_pack("{s:o}", "self",
                                  json_sprintf("%s/v3/marketing/segments/2.0/%s", base_url, s->id)));
    return o;
}

/* ---- the sample cache ------------------------------------------------------------------ */

#define SAMPLE_CACHE_SLOTS 64
#define BASE_URL_MAX 256
/* A sample's text is cached only below this, so the cache holds at most 64 MiB. */
#define SAMPLE_CACHE_TEXT_MAX (1u << 20)

/* One slot per hash of the segment id; a newer sample replaces whatever was there. A
 * sample is kept as its JSON text, which a reply splices in without rendering or dumping
 * fifty contacts again (that is most of the work of a GET). */
static struct sample_slot {
    int64_t account, version;
    char id[UUID_STR_LEN + 1];
    char base_url[BASE_URL_MAX];
    char *text;
    size_t len;
} sample_cache[SAMPLE_CACHE_SLOTS];
static pthread_mutex_t sample_lock = PTHREAD_MUTEX_INITIALIZER;

static struct sample_slot *sample_slot(const char *id)
{
    unsigned h = 2166136261u;
    for (const char *p = id; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return &sample_cache[h % SAMPLE_CACHE_SLOTS];
}

/* A copy (in a) of the cached sample text of s, or NULL. */
static const char *sample_cached(const segment_row *s, const char *base_url, arena *a)
{
    struct sample_slot *slot = sample_slot(s->id);
    char *out = NULL;
    pthread_mutex_lock(&sample_lock);
    if (slot->text && slot->account == s->account && slot->version == s->members_version &&
        strcmp(slot->id, s->id) == 0 && strcmp(slot->base_url, base_url) == 0) {
        out = arena_alloc(a, slot->len + 1);
        memcpy(out, slot->text, slot->len + 1);
    }
    pthread_mutex_unlock(&sample_lock);
    return out;
}

static void sample_keep(const segment_row *s, const char *base_url, const char *text, size_t len)
{
    char *copy =
        strlen(base_url) < BASE_URL_MAX && len < SAMPLE_CACHE_TEXT_MAX ? strdup(text) : NULL;
    if (!copy)
        return;
    struct sample_slot *slot = sample_slot(s->id);
    pthread_mutex_lock(&sample_lock);
    free(slot->text);
    slot->account = s->account;
    slot->version = s->members_version;
    snprintf(slot->id, sizeof slot->id, "%s", s->id);
    snprintf(slot->base_url, sizeof slot->base_url, "%s", base_url);
    slot->text = copy;
    slot->len = len;
    pthread_mutex_unlock(&sample_lock);
}

/* ---- create and edit ------------------------------------------------------------------ */

typedef struct segment_write {
    http_request *req;
    store *store;
    const char *base_url;
    int64_t account;
    bool create;
    segment_row seg; /* create: every field; edit: id and what changes */
    bool set_name, set_query;
} segment_write;

/* Find segment id among the account's (in a). */
static int tx_segment_find(store_tx *tx, int64_t account, const char *id, arena *a,
                           segment_row *out, size_t *total)
{
    segment_row *rows;
    size_t n;
    int rc = store_tx_segment_list(tx, account, a, &rows, &n);
    if (rc != STORE_OK)
        return rc;
    if (total)
        *total = n;
    for (size_t i = 0; id && i < n; i++)
        if (strcmp(rows[i].id, id) == 0) {
            *out = rows[i];
            return STORE_OK;
        }
    return STORE_NOT_FOUND;
}

static int segment_write_op(store_tx *tx, void *arg)
{
    segment_write *w = arg;
    arena a = ARENA_INIT;
    int64_t now = time_now_ms();
    segment_row row;
    size_t total = 0;
    int rc = tx_segment_find(tx, w->account, w->create ? NULL : w->seg.id, &a, &row, &total);
    bool requery = true;
    if (w->create) {
        list_info l;
        if (rc == STORE_NOT_FOUND)
            rc = total >= SEGMENTS_MAX_PER_ACCOUNT ? SEGMENT_TOO_MANY : STORE_OK;
        if (rc == STORE_OK && w->seg.parent_list_id)
            rc = store_tx_list_get(tx, w->account, w->seg.parent_list_id, &a, &l);
        row = w->seg;
        row.created_at = now;
    } else if (rc == STORE_OK) {
        requery = w->set_query && strcmp(row.query_dsl, w->seg.query_dsl) != 0;
        if (w->set_name)
            row.name = w->seg.name;
        if (w->set_query)
            row.query_dsl = w->seg.query_dsl;
    }
    if (rc == STORE_OK) {
        row.updated_at = now;
        if (requery) {
            row.evaluated_at = 0;
            row.error = NULL;
        }
        rc = store_tx_segment_put(tx, w->account, &row);
    }
    if (rc == STORE_OK && requery)
        rc = segment_eval_submit(tx, w->account, &row, w->create, NULL);
    arena_release(&a);
    return rc;
}

static void segment_write_done(void *ctx, int rc)
{
    segment_write *w = ctx;
    http_request *req = w->req;
    arena a = ARENA_INIT;
    segment_row row;
    if (rc == STORE_OK)
        rc = store_segment_get(w->store, w->account, w->seg.id, &a, &row);
    if (rc == STORE_OK)
        http_resume_json(req, w->create ? 201 : 200, segment_json(w->base_url, &row, json_array()));
    else if (rc == STORE_CONFLICT)
        http_resume_json(req, 400,
                         http_error_body("name", "a segment with this name already exists"));
    else if (rc == SEGMENT_TOO_MANY)
        http_resume_json(req, 400,
                         http_error_body(NULL, "an account can have at most 200 segments"));
    else if (rc == STORE_NOT_FOUND && w->create)
        http_resume_json(req, 404, http_error_body("parent_list_ids", "parent list not found"));
    else if (rc == STORE_NOT_FOUND)
        http_resume_json(req, 404, http_error_body("segment_id", "segment not found"));
    else
        api_resume_store_error(req);
    arena_release(&a);
}

/* The message names the limit as text; it must stay the limit. */
_Static_assert(SEGMENT_QUERY_MAX == 65536u, "api_segment_query_problem names 65536 bytes");

const char *api_segment_query_problem(const json_t *query_dsl)
{
    if (!json_is_string(query_dsl))
        return "query_dsl must be a string";
    if (json_string_length(query_dsl) > SEGMENT_QUERY_MAX)
        return "query_dsl is longer than 65536 bytes";
    return NULL;
}

/* Validate name and query_dsl of a create (both required) or an edit (either). */
static bool read_body(http_request *req, segment_write *w)
{
    errlist errs;
    json_t *root = api_body_begin(req, &errs);
    if (!root)
        return false;
    arena *a = http_arena(req);
    /* Unknown keys are ignored, as on every SendGrid endpoint (README); the parent list is
     * known but fixed at creation, so a PATCH naming it is refused rather than ignored. */
    if (!w->create && json_object_get(root, "parent_list_ids"))
        errlist_add(&errs, "parent_list_ids", "parent_list_ids cannot be changed by PATCH");
    json_t *jn = json_object_get(root, "name");
    json_t *jq = json_object_get(root, "query_dsl");
    const char *why = jn ? api_name_problem(jn) : NULL;
    if (w->create && !jn)
        errlist_add(&errs, "name", "name is required");
    else if (why)
        errlist_add(&errs, "name", "%s", why);
    else if (jn)
        w->seg.name = arena_strdup(a, json_string_value(jn));
    w->set_name = w->seg.name != NULL;
    const char *qwhy = jq ? api_segment_query_problem(jq) : NULL;
    if (w->create && !jq)
        errlist_add(&errs, "query_dsl", "query_dsl is required");
    else if (qwhy)
        errlist_add(&errs, "query_dsl", "%s", qwhy);
    else if (jq)
        w->seg.query_dsl = arena_strdup(a, json_string_value(jq));
    w->set_query = w->seg.query_dsl != NULL;
    if (!w->create && !jn && !jq && !errs.count)
        errlist_add(&errs, NULL, "give name, query_dsl or both");
    size_t nparents = 0;
    const char **parents = w->create ? api_optional_strings(root, "parent_list_ids", 1,
                                                            "parent list id", a, &errs, &nparents)
                                     : NULL;
    if (nparents)
        w->seg.parent_list_id = parents[0];
    json_decref(root);
    if (errs.count) {
        http_reply_errlist(req, 400, &errs);
        return false;
    }
    return true;
}

/* A 400 naming the position when the query does not compile; false after replying. */
static bool query_ok(http_request *req, const char *query_dsl)
{
    api_ctx *app = http_app(req);
    field_catalog fields;
    if (store_fields_list(app->store, http_account(req), http_arena(req), &fields) != STORE_OK) {
        api_reply_store_error(req);
        return false;
    }
    char why[320];
    if (segment_query_check(query_dsl, &fields, why, sizeof why) != 0) {
        http_reply_error(req, 400, "query_dsl", "%s", why);
        return false;
    }
    return true;
}

static segment_write *write_new(http_request *req, bool create)
{
    segment_write *w = arena_calloc(http_arena(req), 1, sizeof *w);
    w->req = req;
    w->store = ((api_ctx *)http_app(req))->store;
    w->base_url = arena_strdup(http_arena(req), http_base_url(req));
    w->account = http_account(req);
    w->create = create;
    return w;
}

void api_segments_create(http_request *req)
{
    segment_write *w = write_new(req, true);
    if (!read_body(req, w) || !query_ok(req, w->seg.query_dsl))
        return;
    if (w->seg.parent_list_id && !uuid_valid(w->seg.parent_list_id)) {
        http_reply_error(req, 404, "parent_list_ids", "parent list not found");
        return;
    }
    if (uuid_generate(w->seg.id) != 0) {
        http_reply_error(req, 500, NULL, "internal error: no randomness");
        return;
    }
    api_submit_op(req, segment_write_op, w, segment_write_done);
}

void api_segment_update(http_request *req)
{
    const char *id = http_param(req, 0);
    segment_write *w = write_new(req, false);
    if (!read_body(req, w) || (w->set_query && !query_ok(req, w->seg.query_dsl)))
        return;
    if (!uuid_valid(id)) {
        http_reply_error(req, 404, "segment_id", "segment not found");
        return;
    }
    snprintf(w->seg.id, sizeof w->seg.id, "%s", id);
    api_submit_op(req, segment_write_op, w, segment_write_done);
}

/* ---- delete ------------------------------------------------------------------------------ */

typedef struct segment_delete {
    http_request *req;
    int64_t account;
    char id[UUID_STR_LEN + 1];
} segment_delete;

static int segment_delete_op(store_tx *tx, void *arg)
{
    segment_delete *d = arg;
    return store_tx_segment_delete(tx, d->account, d->id);
}

static void segment_delete_done(void *ctx, int rc)
{
    segment_delete *d = ctx;
    if (rc == STORE_OK)
        http_resume_json(d->req, 204, NULL);
    else if (rc == STORE_NOT_FOUND)
        http_resume_json(d->req, 404, http_error_body("segment_id", "segment not found"));
    else
        api_resume_store_error(d->req);
}

void api_segment_delete(http_request *req)
{
    const char *id = http_param(req, 0);
    if (!uuid_valid(id)) {
        http_reply_error(req, 404, "segment_id", "segment not found");
        return;
    }
    segment_delete *d = arena_calloc(http_arena(req), 1, sizeof *d);
    d->req = req;
    d->account = http_account(req);
    snprintf(d->id, sizeof d->id, "%s", id);
    api_submit_op(req, segment_delete_op, d, segment_delete_done);
}

/* ---- reads ---------------------------------------------------------------------------- */

static bool id_in(const char *id, const char *const *ids, size_t n)
{
    for (size_t i = 0; id && i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return true;
    return false;
}

void api_segments_all(http_request *req)
{
    api_ctx *app = http_app(req);
    const char *ids_arg = http_query(req, "ids");
    const char *parents_arg = http_query(req, "parent_list_ids");
    bool no_parent;
    if (api_query_bool(req, "no_parent_list_id", false, &no_parent) != 0)
        return;
    const char **ids = NULL, **parents = NULL;
    size_t nids = 0, nparents = 0;
    if (ids_arg && *ids_arg &&
        api_parse_id_list(req, "ids", ids_arg, SEGMENTS_MAX_PER_ACCOUNT, &ids, &nids) != 0)
        return;
    if (parents_arg && *parents_arg &&
        api_parse_id_list(req, "parent_list_ids", parents_arg, FILTER_MAX_IDS, &parents,
                          &nparents) != 0)
        return;
    segment_row *rows;
    size_t n;
    if (store_segment_list(app->store, http_account(req), http_arena(req), &rows, &n) != STORE_OK) {
        api_reply_store_error(req);
        return;
    }
    json_t *results = json_array();
    for (size_t i = 0; i < n; i++) {
        const segment_row *s = &rows[i];
        bool keep;
        if (nids) /* ids win over the other filters */
            keep = id_in(s->id, ids, nids);
        else if (nparents || no_parent)
            keep = id_in(s->parent_list_id, parents, nparents) || (no_parent && !s->parent_list_id);
        else
            keep = true;
        if (!keep)
            continue;
        json_t *o = segment_json(http_base_url(req), s, NULL);
        json_object_del(o, "query_dsl"); /* AllSegments200 leaves it out */
        json_array_append_new(results, o);
    }
    json_t *meta = json_pack("{s:o, s:I}", "self",
                             json_sprintf("%s/v3/marketing/segments/2.0", http_base_url(req)),
                             "count", (json_int_t)json_array_size(results));
    http_reply_json(req, 200, json_pack("{s:o, s:o}", "results", results, "_metadata", meta));
}

void api_segment_get(http_request *req)
{
    api_ctx *app = http_app(req);
    bool want;
    if (api_query_bool(req, "contacts_sample", true, &want) != 0)
        return;
    const char *id = http_param(req, 0);
    arena *a = http_arena(req);
    segment_row s;
    if (!api_found(req,
                   API_GET_IF_UUID(id, store_segment_get(app->store, http_account(req), id, a, &s)),
                   "segment_id", "segment"))
        return;
    if (!want) {
        http_reply_json(req, 200, segment_json(http_base_url(req), &s, NULL));
        return;
    }
    const char *head, *tail;
    api_sample_frame(req, segment_json(http_base_url(req), &s, NULL), "contacts_sample", NULL,
                     &head, &tail);
    const char *cached = sample_cached(&s, http_base_url(req), a);
    if (cached) {
        http_reply_text(req, 200, "application/json", arena_printf(a, "%s%s%s", head, cached, tail));
        return;
    }
    const char **ids;
    size_t n;
    api_contact_ref *refs;
    bool whole;
    if (store_segment_sample(app->store, http_account(req), s.id, SEGMENT_SAMPLE, a, &ids, &n) !=
            STORE_OK ||
        api_sample_refs(req, ids, n, &refs, &whole) != STORE_OK) {
        api_reply_store_error(req);
        return;
    }
    if (!whole) { /* too big to cache: streamed a contact at a time */
        api_reply_contacts(req, head, refs, n, tail);
        return;
    }
    json_writer w = JSON_WRITER_INIT;
    if (api_write_contacts(req, refs, n, &w)) {
        const char *text = w.buf ? w.buf : "";
        sample_keep(&s, http_base_url(req), text, w.len);
        http_reply_text(req, 200, "application/json", arena_printf(a, "%s%s%s", head, text, tail));
    } else {
        api_reply_store_error(req);
    }
    json_writer_free(&w);
}
