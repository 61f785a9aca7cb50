/*
 * admin_settings: /_contactd/settings of the admin API, and the same for one account
 * (admin_accounts.c): the job delay. Settings live in the database, so every node of a
 * PostgreSQL deployment honours them; the job insert itself reads them (store.h).
 */
#include "api/api.h"

/* A day: longer would only ever be a mistake in a test. */
#define JOB_DELAY_MAX_MS (24LL * 3600 * 1000)

void api_admin_settings_get(http_request *req, int64_t account)
{
    api_ctx *app = http_app(req);
    int64_t ms;
    if (store_setting_job_delay(app->store, account, &ms) != STORE_OK) {
        api_reply_store_error(req);
        return;
    }
    /* The global delay is 0 when unset; an account's is null (it follows the global). */
    json_t *v = ms >= 0 ? json_integer(ms) : account ? json_null() : json_integer(0);
    http_reply_json(req, 200, json_pack("{s:o}", "job_delay_ms", v));
}

static int settings_op(store_tx *tx, void *arg)
{
    admin_write *w = arg;
    return store_tx_setting_job_delay(tx, w->account, w->value);
}

void api_admin_settings_put(http_request *req, int64_t account)
{
    errlist errs;
    json_t *root = api_body_begin(req, &errs);
    if (!root)
        return;
    static const char *const allowed[] = {"job_delay_ms", NULL};
    api_reject_unknown_keys(root, allowed, &errs);
    const json_t *v = json_object_get(root, "job_delay_ms");
    json_int_t ms = json_integer_value(v);
    if (!v)
        errlist_add(&errs, "job_delay_ms", "job_delay_ms is required");
    else if (json_is_null(v) && account)
        ms = -1;
    else if (!json_is_integer(v) || ms < 0 || ms > JOB_DELAY_MAX_MS)
        errlist_add(&errs, "job_delay_ms", "job_delay_ms must be an integer from 0 to %lld%s",
                    JOB_DELAY_MAX_MS, account ? ", or null" : "");
    json_decref(root);
    if (errs.count) {
        http_reply_errlist(req, 400, &errs);
        return;
    }
    admin_write *w = api_admin_write_new(
        req, 200, json_pack("{s:o}", "job_delay_ms", ms >= 0 ? json_integer(ms) : json_null()));
    w->account = account;
    w->value = ms;
    api_admin_write(w, settings_op);
}

void api_admin_settings_global_get(http_request *req)
{
    api_admin_settings_get(req, 0);
}
void api_admin_settings_global_put(http_request *req)
{
    api_admin_settings_put(req, 0);
}
