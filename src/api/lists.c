/*
 * lists: /v3/marketing/lists and one list (its members: lists_contacts.c).
 *
 *   POST   /lists                          create (201); names unique per account
 *   GET    /lists?page_size&page_token     all lists, paged, in creation order
 *   GET    /lists/{id}?contact_sample=true one list; the sample is its 50 newest members
 *   PATCH  /lists/{id}                     rename
 *   DELETE /lists/{id}[?delete_contacts=true]   204, or 200 {job_id} of the deletion of
 *                                          its contacts
 *
 * Creating, renaming and deleting are synchronous writes run by the job writer
 * (jobs_submit_op), so their answers, like a 202, follow a commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/timeutil.h"
#include "jobs/kinds.h"

#define LISTS_MAX_PER_ACCOUNT 1000
#define PAGE_SIZE_DEFAULT 100
#define PAGE_SIZE_MAX 1000
#define SAMPLE_SIZE 50

static json_t *list_json(http_request *req, const char *id, const char *name, int64_t count)
{
    return json_pack("{s:s, s:s, s:I, s:{s:o}}", "id", id, "name", name, "contact_count",
                     (json_int_t)count, "_metadata", "self",
                     json_sprintf("%s/v3/marketing/lists/%s", http_base_url(req), id));
}

/* The "name" of a create or rename body, or NULL after replying 400. */
static const char *body_name(http_request *req)
{
    errlist errs;
    json_t *root = api_body_begin(req, &errs);
    if (!root)
        return NULL;
    arena *a = http_arena(req);
    json_t *jn = json_object_get(root, "name");
    const char *name = NULL;
    const char *why = jn ? api_name_problem(jn) : NULL;
    if (!jn)
        errlist_add(&errs, "name", "name is required");
    else if (why)
        errlist_add(&errs, "name", "%s", why);
    else
        name = arena_strdup(a, json_string_value(jn));
    json_decref(root);
    if (errs.count) {
        http_reply_errlist(req, 400, &errs);
        return NULL;
    }
    return name;
}

bool api_list_load(http_request *req, list_info *out)
{
    api_ctx *app = http_app(req);
    const char *id = http_param(req, 0);
    int rc =
        API_GET_IF_UUID(id, store_list_get(app->store, http_account(req), id, http_arena(req), out));
    return api_found(req, rc, "id", "list");
}

/* ---- create and rename ------------------------------------------------------------ */

typedef struct list_write {
    http_request *req;
    int64_t account;
    char id[UUID_STR_LEN + 1];
    const char *name;
    bool create;
    int64_t contact_count;
} list_write;

static int list_write_op(store_tx *tx, void *arg)
{
    list_write *w = arg;
    arena a = ARENA_INIT;
    list_info l;
    int rc;
    if (w->create) {
        rc = store_tx_list_create(tx, w->account, w->id, w->name);
        w->contact_count = 0;
    } else {
        rc = store_tx_list_rename(tx, w->account, w->id, w->name);
        if (rc == STORE_OK && store_tx_list_get(tx, w->account, w->id, &a, &l) == STORE_OK)
            w->contact_count = l.contact_count;
    }
    arena_release(&a);
    return rc;
}

static void list_write_done(void *ctx, int rc)
{
    list_write *w = ctx;
    http_request *req = w->req;
    if (rc == STORE_OK)
        http_resume_json(req, w->create ? 201 : 200,
                         list_json(req, w->id, w->name, w->contact_count));
    else if (rc == STORE_CONFLICT)
        http_resume_json(req, 400, http_error_body("name", "a list with this name already exists"));
    else if (rc == STORE_NOT_FOUND)
        http_resume_json(req, 404, http_error_body("id", "list not found"));
    else
        api_resume_store_error(req);
}

void api_lists_create(http_request *req)
{
    api_ctx *app = http_app(req);
    const char *name = body_name(req);
    if (!name)
        return;
    int64_t total;
    list_info *rows;
    size_t n;
    if (store_list_page(app->store, http_account(req), 0, 0, http_arena(req), &rows, &n, &total) !=
        STORE_OK) {
        api_reply_store_error(req);
        return;
    }
    if (total >= LISTS_MAX_PER_ACCOUNT) {
        http_reply_error(req, 400, NULL, "an account can have at most %d lists",
                         LISTS_MAX_PER_ACCOUNT);
        return;
    }
    list_write *w = arena_calloc(http_arena(req), 1, sizeof *w);
    w->req = req;
    w->account = http_account(req);
    w->name = name;
    w->create = true;
    if (uuid_generate(w->id) != 0) {
        http_reply_error(req, 500, NULL, "internal error: no randomness");
        return;
    }
    api_submit_op(req, list_write_op, w, list_write_done);
}

void api_list_update(http_request *req)
{
    const char *id = http_param(req, 0);
    const char *name = body_name(req);
    if (!name)
        return;
    if (!uuid_valid(id)) {
        http_reply_error(req, 404, "id", "list not found");
        return;
    }
    list_write *w = arena_calloc(http_arena(req), 1, sizeof *w);
    w->req = req;
    w->account = http_account(req);
    w->name = name;
    snprintf(w->id, sizeof w->id, "%s", id);
    api_submit_op(req, list_write_op, w, list_write_done);
}

/* ---- reads ------------------------------------------------------------------------- */

void api_lists_all(http_request *req)
{
    api_ctx *app = http_app(req);
    long long size = PAGE_SIZE_DEFAULT, offset = 0;
    const char *ps = http_query(req, "page_size");
    const char *pt = http_query(req, "page_token");
    char *end;
    if (ps) {
        size = strtoll(ps, &end, 10);
        if (!*ps || *end || size < 1 || size > PAGE_SIZE_MAX) {
            http_reply_error(req, 400, "page_size", "page_size must be a number from 1 to %d",
                             PAGE_SIZE_MAX);
            return;
        }
    }
    if (pt && *pt) {
        offset = strtoll(pt, &end, 10);
        if (*end || offset < 0) {
            http_reply_error(req, 400, "page_token", "page_token is not one this server gave out");
            return;
        }
    }
    list_info *rows;
    size_t n;
    int64_t total;
    if (store_list_page(app->store, http_account(req), offset, size, http_arena(req), &rows, &n,
                        &total) != STORE_OK) {
        api_reply_store_error(req);
        return;
    }
    json_t *result = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(result,
                              list_json(req, rows[i].id, rows[i].name, rows[i].contact_count));
    const char *base = http_base_url(req);
    json_t *meta = json_pack(
        "{s:o, s:I}", "self",
        json_sprintf("%s/v3/marketing/lists?page_size=%lld&page_token=%lld", base, size, offset),
        "count", (json_int_t)total);
    if (offset + (long long)n < total)
        json_object_set_new(meta, "next",
                            json_sprintf("%s/v3/marketing/lists?page_size=%lld&page_token=%lld",
                                         base, size, offset + (long long)n));
    if (offset > 0)
        json_object_set_new(meta, "prev",
                            json_sprintf("%s/v3/marketing/lists?page_size=%lld&page_token=%lld",
                                         base, size, offset > size ? offset - size : 0));
    http_reply_json(req, 200, json_pack("{s:o, s:o}", "result", result, "_metadata", meta));
}

void api_list_get(http_request *req)
{
    api_ctx *app = http_app(req);
    bool sample;
    if (api_query_bool(req, "contact_sample", false, &sample) != 0)
        return;
    list_info l;
    if (!api_list_load(req, &l))
        return;
    json_t *o = list_json(req, l.id, l.name, l.contact_count);
    if (!sample) {
        http_reply_json(req, 200, o);
        return;
    }
    const char **ids;
    size_t n;
    if (store_list_sample(app->store, http_account(req), l.id, SAMPLE_SIZE, http_arena(req), &ids,
                          &n) != STORE_OK) {
        json_decref(o);
        api_reply_store_error(req);
        return;
    }
    api_reply_sample(req, o, "contact_sample", ids, n, NULL);
}

/* ---- delete ------------------------------------------------------------------------ */

typedef struct list_delete {
    http_request *req;
    int64_t account;
    char id[UUID_STR_LEN + 1];
    bool with_contacts;
    char job_id[UUID_STR_LEN + 1];
} list_delete;

/* Delete the list; with its contacts, also accept a job deleting them (in the same
 * transaction, so the list never disappears without its contacts' deletion queued). */
static int list_delete_op(store_tx *tx, void *arg)
{
    list_delete *d = arg;
    arena a = ARENA_INIT;
    const char **ids = NULL;
    size_t n = 0;
    int rc = STORE_OK;
    if (d->with_contacts)
        rc = store_tx_list_member_ids(tx, d->account, d->id, &a, &ids, &n);
    if (rc == STORE_OK)
        rc = store_tx_list_delete(tx, d->account, d->id);
    if (rc == STORE_OK && d->with_contacts) {
        job_submit sub = {
            .account = d->account,
            .kind = JOB_DELETE_CONTACTS,
            .requested = (int64_t)n,
        };
        sub.payload = delete_contacts_payload(ids, n, false, &sub.payload_len);
        d->job_id[0] = '\0'; /* a new id on every run: a retried commit runs this again */
        rc = sub.payload ? jobs_tx_insert(tx, &sub, d->job_id) : STORE_ERROR;
        free(sub.payload);
    }
    arena_release(&a);
    return rc;
}

static void list_delete_done(void *ctx, int rc)
{
    list_delete *d = ctx;
    if (rc == STORE_OK && d->with_contacts)
        http_resume_json(d->req, 200, json_pack("{s:s}", "job_id", d->job_id));
    else if (rc == STORE_OK)
        http_resume_json(d->req, 204, NULL);
    else if (rc == STORE_NOT_FOUND)
        http_resume_json(d->req, 404, http_error_body("id", "list not found"));
    else
        api_resume_store_error(d->req);
}

void api_list_delete(http_request *req)
{
    bool with_contacts;
    if (api_query_bool(req, "delete_contacts", false, &with_contacts) != 0)
        return;
    if (with_contacts && api_backlog_full(req)) /* only then is a job submitted */
        return;
    const char *id = http_param(req, 0);
    if (!uuid_valid(id)) {
        http_reply_error(req, 404, "id", "list not found");
        return;
    }
    list_delete *d = arena_calloc(http_arena(req), 1, sizeof *d);
    d->req = req;
    d->account = http_account(req);
    d->with_contacts = with_contacts;
    snprintf(d->id, sizeof d->id, "%s", id);
    api_submit_op(req, list_delete_op, d, list_delete_done);
}
