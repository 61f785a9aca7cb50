/*
 * admin: what the admin API's handlers (admin_*.c) share: the account named in the path,
 * a write run in the job writer's transaction, and the query's limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

int api_admin_account(http_request *req, const char *name, store_account *out)
{
    api_ctx *app = http_app(req);
    int rc = store_account_find(app->store, name, http_arena(req), out);
    if (rc == STORE_NOT_FOUND)
        http_reply_error(req, 404, "name", "account '%.100s' not found", name);
    else if (rc != STORE_OK)
        api_reply_store_error(req);
    return rc;
}

static void admin_write_done(void *ctx, int rc)
{
    admin_write *w = ctx;
    /* w lives in the request's arena, which may be gone once the request is resumed:
     * everything is read from it first. */
    http_request *req = w->req;
    if (rc == STORE_OK) {
        http_resume_json(req, w->status, w->reply);
        return;
    }
    json_decref(w->reply);
    if (rc == STORE_NOT_FOUND)
        http_resume_json(req, 404, http_error_body(w->field, "not found"));
    else if (rc == STORE_CONFLICT)
        http_resume_json(req, 409, http_error_body(w->field, w->conflict));
    else
        api_resume_store_error(req);
}

admin_write *api_admin_write_new(http_request *req, unsigned status, json_t *reply)
{
    admin_write *w = arena_calloc(http_arena(req), 1, sizeof *w);
    w->req = req;
    w->status = status;
    w->reply = reply;
    return w;
}

void api_admin_write(admin_write *w, jobs_op_fn fn)
{
    json_t *reply = w->reply; /* w goes with the request if it is refused */
    if (api_submit_op(w->req, fn, w, admin_write_done) != 0)
        json_decref(reply);
}

int api_admin_limit(http_request *req, int64_t fallback, int64_t max, int64_t *out)
{
    const char *v = http_query(req, "limit");
    *out = fallback;
    if (!v)
        return 0;
    char *end;
    long long n = strtoll(v, &end, 10);
    if (*v == '\0' || *end || n < 1 || n > max) {
        http_reply_error(req, 400, "limit", "limit must be a number from 1 to %lld", (long long)max);
        return -1;
    }
    *out = n;
    return 0;
}
