/*
 * admin_accounts: /_contactd/accounts... of the admin API — accounts (with an optional
 * parent: SendGrid's subusers), their keys, a reset of their data, their jobs and their
 * job delay. Every write runs in the job writer's transaction (admin.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/state.h"
#include "core/apikey.h"
#include "core/timeutil.h"
#include "http/auth.h"

#define ACCOUNT_NAME_MAX 64
#define JOBS_LIMIT_DEFAULT 100
#define JOBS_LIMIT_MAX 1000

/* Account names go in URL paths and On-Behalf-Of headers: a safe alphabet only. */
static bool name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > ACCOUNT_NAME_MAX)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr("_.@+-", *s)))
            return false;
    return true;
}

void api_admin_accounts_all(http_request *req)
{
    api_ctx *app = http_app(req);
    store_account *rows;
    size_t n;
    if (store_account_list(app->store, 0, http_arena(req), &rows, &n) != STORE_OK) {
        api_reply_store_error(req);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s?, s:o}", "name", rows[i].name, "parent",
                                             rows[i].parent, "created_at",
                                             api_time_json(rows[i].created_at)));
    http_reply_json(req, 200, json_pack("{s:o}", "result", arr));
}

/* A new key for w->account (w->key_id, w->hash, w->scopes). */
static int key_add_op(store_tx *tx, void *arg)
{
    admin_write *w = arg;
    return store_tx_key_add(tx, w->account, w->key_id, w->hash, w->scopes);
}

static int account_create_op(store_tx *tx, void *arg)
{
    admin_write *w = arg;
    int rc = store_tx_account_create(tx, w->name, w->parent, &w->account);
    return rc == STORE_OK ? key_add_op(tx, w) : rc;
}

/* A new key into w, and its text into the reply under "key". -1 once answered. */
static int new_key(http_request *req, admin_write *w, const char *scopes)
{
    apikey k;
    if (apikey_generate(&k) != 0) {
        http_reply_error(req, 500, NULL, "internal error: no randomness");
        return -1;
    }
    char text[APIKEY_TEXT_MAX + 1];
    apikey_format(&k, text);
    apikey_hash(k.secret, w->hash);
    w->key_id = arena_strdup(http_arena(req), k.id);
    w->scopes = scopes;
    json_object_set_new(w->reply, "key", json_string(text));
    return 0;
}

/* The parent named in a create request: its id, 0 for none, -1 once answered. */
static int64_t parent_of(http_request *req, const json_t *parent)
{
    if (!parent || json_is_null(parent))
        return 0;
    if (!json_is_string(parent)) {
        http_reply_error(req, 400, "parent", "parent must be an account name or null");
        return -1;
    }
    store_account p;
    api_ctx *app = http_app(req);
    int rc = store_account_find(app->store, json_string_value(parent), http_arena(req), &p);
    if (rc == STORE_ERROR) {
        api_reply_store_error(req);
        return -1;
    }
    if (rc != STORE_OK) {
        http_reply_error(req, 400, "parent", "account '%.100s' not found",
                         json_string_value(parent));
        return -1;
    }
    if (p.parent_id) {
        http_reply_error(req, 400, "parent", "a subuser cannot have subusers");
        return -1;
    }
    return p.id;
}

void api_admin_account_create(http_request *req)
{
    errlist errs;
    json_t *root = api_body_begin(req, &errs);
    if (!root)
        return;
    static const char *const allowed[] = {"name", "parent", NULL};
    api_reject_unknown_keys(root, allowed, &errs);
    const char *name = json_string_value(json_object_get(root, "name"));
    if (!name || !name_valid(name))
        errlist_add(&errs, "name", "name must be 1 to %d letters, digits or _.@+-",
                    ACCOUNT_NAME_MAX);
    if (errs.count) {
        http_reply_errlist(req, 400, &errs);
        json_decref(root);
        return;
    }
    int64_t parent = parent_of(req, json_object_get(root, "parent"));
    if (parent < 0) {
        json_decref(root);
        return;
    }
    admin_write *w = api_admin_write_new(req, 201, json_pack("{s:s}", "name", name));
    w->name = arena_strdup(http_arena(req), name);
    w->parent = parent;
    w->field = "name";
    w->conflict = "an account of that name exists already";
    json_decref(root);
    if (new_key(req, w, SCOPE_FULL) != 0) {
        json_decref(w->reply);
        return;
    }
    api_admin_write(w, account_create_op);
}

static int account_delete_op(store_tx *tx, void *arg)
{
    admin_write *w = arg;
    return store_tx_account_purge(tx, w->account, true);
}

static int account_reset_op(store_tx *tx, void *arg)
{
    admin_write *w = arg;
    return store_tx_account_purge(tx, w->account, false);
}

/* Run fn on the account of the path's first segment, answering 204. */
static void account_write(http_request *req, jobs_op_fn fn)
{
    store_account a;
    if (api_admin_account(req, http_param(req, 0), &a) != STORE_OK)
        return;
    admin_write *w = api_admin_write_new(req, 204, NULL);
    w->account = a.id;
    w->field = "name";
    api_admin_write(w, fn);
}

void api_admin_account_delete(http_request *req)
{
    account_write(req, account_delete_op);
}
void api_admin_account_reset(http_request *req)
{
    account_write(req, account_reset_op);
}

void api_admin_key_create(http_request *req)
{
    store_account a;
    if (api_admin_account(req, http_param(req, 0), &a) != STORE_OK)
        return;
    const char *scopes = SCOPE_FULL;
    size_t len;
    if (http_body(req, &len) && len) {
        errlist errs;
        json_t *root = api_body_begin(req, &errs);
        if (!root)
            return;
        const json_t *v = json_object_get(root, "scopes");
        static const char *const allowed[] = {"scopes", NULL};
        api_reject_unknown_keys(root, allowed, &errs);
        if (v && !(json_is_string(v) && auth_scopes_valid(json_string_value(v))))
            errlist_add(&errs, "scopes", "scopes must be \"full\" or \"read\"");
        else if (v)
            scopes = strcmp(json_string_value(v), SCOPE_READ) == 0 ? SCOPE_READ : SCOPE_FULL;
        json_decref(root);
        if (errs.count) {
            http_reply_errlist(req, 400, &errs);
            return;
        }
    }
    admin_write *w = api_admin_write_new(req, 201, json_object());
    w->account = a.id;
    if (new_key(req, w, scopes) != 0) {
        json_decref(w->reply);
        return;
    }
    json_object_set_new(w->reply, "id", json_string(w->key_id));
    api_admin_write(w, key_add_op);
}

static int key_delete_op(store_tx *tx, void *arg)
{
    admin_write *w = arg;
    return store_tx_key_delete(tx, w->account, w->key_id);
}

void api_admin_key_delete(http_request *req)
{
    store_account a;
    if (api_admin_account(req, http_param(req, 0), &a) != STORE_OK)
        return;
    admin_write *w = api_admin_write_new(req, 204, NULL);
    w->account = a.id;
    w->key_id = http_param(req, 1);
    w->field = "key_id";
    api_admin_write(w, key_delete_op);
}

/* ?status=: -1 (any) or a job_status; -2 once answered 400. */
static int status_filter(http_request *req)
{
    const char *v = http_query(req, "status");
    if (!v)
        return -1;
    for (int st = JOB_PENDING; st <= JOB_FAILED; st++)
        if (strcmp(v, job_status_name((job_status)st)) == 0)
            return st;
    http_reply_error(req, 400, "status", "status must be pending, completed, errored or failed");
    return -2;
}

void api_admin_account_jobs(http_request *req)
{
    api_ctx *app = http_app(req);
    store_account a;
    int64_t limit;
    int status = status_filter(req);
    if (status < -1 || api_admin_limit(req, JOBS_LIMIT_DEFAULT, JOBS_LIMIT_MAX, &limit) != 0 ||
        api_admin_account(req, http_param(req, 0), &a) != STORE_OK)
        return;
    job_info *rows;
    size_t n;
    if (store_job_list_all(app->store, a.id, status, limit, http_arena(req), &rows, &n) != STORE_OK) {
        api_reply_store_error(req);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const job_info *j = &rows[i];
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:o}", "id", j->id, "kind",
                      job_kind_name(j->kind), "status", job_status_name(j->status),
                      "requested_count", (json_int_t)j->counts.requested, "created_count",
                      (json_int_t)j->counts.created, "updated_count", (json_int_t)j->counts.updated,
                      "deleted_count", (json_int_t)j->counts.deleted, "errored_count",
                      (json_int_t)j->counts.errored, "accepted_at", api_time_json(j->accepted_at));
        if (j->finished_at)
            json_object_set_new(o, "finished_at", api_time_json(j->finished_at));
        json_array_append_new(arr, o);
    }
    http_reply_json(req, 200, json_pack("{s:o}", "result", arr));
}

void api_admin_account_settings_get(http_request *req)
{
    store_account a;
    if (api_admin_account(req, http_param(req, 0), &a) == STORE_OK)
        api_admin_settings_get(req, a.id);
}

void api_admin_account_settings_put(http_request *req)
{
    store_account a;
    if (api_admin_account(req, http_param(req, 0), &a) == STORE_OK)
        api_admin_settings_put(req, a.id);
}

void api_admin_account_state_get(http_request *req)
{
    api_ctx *app = http_app(req);
    store_account a;
    if (api_admin_account(req, http_param(req, 0), &a) != STORE_OK)
        return;
    api_reply_pages(req, 200, state_stream_page, state_stream_new(app->store, a.id),
                    state_stream_free);
}

/* A state PUT in flight: malloc'd with an arena of its own (a state may be large), so it
 * outlives the request when the queue refuses it; freed by whoever ends it. */
typedef struct state_write {
    http_request *req;
    int64_t account;
    arena arena;
    state_doc *doc;
    size_t bad; /* the contact that broke a uniqueness rule */
} state_write;

static void state_write_free(state_write *w)
{
    state_free(w->doc);
    arena_release(&w->arena);
    free(w);
}

static int state_op(store_tx *tx, void *arg)
{
    state_write *w = arg;
    return state_apply(tx, w->account, w->doc, &w->bad);
}

static void state_done(void *ctx, int rc)
{
    state_write *w = ctx;
    http_request *req = w->req;
    size_t bad = w->bad;
    state_write_free(w);
    if (rc == STORE_OK) {
        http_resume_json(req, 204, NULL);
    } else if (rc == STORE_CONFLICT) {
        char field[48];
        snprintf(field, sizeof field, "contacts[%zu]", bad);
        http_resume_json(
            req, 400,
            http_error_body(
                field, "an identifier of this contact belongs to an earlier contact of the state"));
    } else {
        api_resume_store_error(req);
    }
}

void api_admin_account_state_put(http_request *req)
{
    store_account a;
    if (api_admin_account(req, http_param(req, 0), &a) != STORE_OK)
        return;
    json_t *root = api_body_object(req);
    if (!root)
        return;
    state_write *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    w->req = req;
    w->account = a.id;
    errlist errs;
    errlist_init(&errs, http_arena(req));
    w->doc = state_parse(root, "", &w->arena, &errs);
    json_decref(root);
    if (!w->doc) {
        http_reply_errlist(req, 400, &errs); /* its field names live in w's arena */
        state_write_free(w);
        return;
    }
    if (api_submit_op(req, state_op, w, state_done) != 0)
        state_write_free(w);
}
