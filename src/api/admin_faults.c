/*
 * admin_faults: /_contactd/faults of the admin API — injected failures of this node's
 * /v3/ requests (http/faults.h). Faults live in this process's memory: on several nodes,
 * add them to each node that should fail.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"

static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "*", NULL};

static bool method_valid(const char *m)
{
    for (const char *const *p = methods; *p; p++)
        if (strcmp(*p, m) == 0)
            return true;
    return false;
}

/* Optional integer member in [min, max]; returns fallback when absent. */
static json_int_t int_member(const json_t *root, const char *key, json_int_t min, json_int_t max,
                             json_int_t fallback, errlist *errs)
{
    const json_t *v = json_object_get(root, key);
    if (!v)
        return fallback;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        errlist_add(errs, key, "%s must be an integer from %lld to %lld", key, (long long)min,
                    (long long)max);
        return fallback;
    }
    return json_integer_value(v);
}

/* The fault the body describes, or -1 once answered 400. */
static int fault_parse(http_request *req, const json_t *root, fault_spec *f)
{
    errlist errs;
    errlist_init(&errs, http_arena(req));
    static const char *const allowed[] = {"method",      "path",     "status",  "times",
                                          "probability", "delay_ms", "account", NULL};
    api_reject_unknown_keys(root, allowed, &errs);
    const char *method = json_string_value(json_object_get(root, "method"));
    const char *path = json_string_value(json_object_get(root, "path"));
    if (!method || !method_valid(method))
        errlist_add(&errs, "method", "method must be GET, POST, PUT, PATCH, DELETE or *");
    else
        snprintf(f->method, sizeof f->method, "%s", method);
    if (!path || strncmp(path, "/v3/", 4) != 0 || strlen(path) >= sizeof f->path)
        errlist_add(&errs, "path", "path must start with /v3/ (a trailing * matches a prefix)");
    else
        snprintf(f->path, sizeof f->path, "%s", path);
    f->status = (unsigned)int_member(root, "status", 400, 599, 0, &errs);
    f->times = int_member(root, "times", 1, 1000000000, 0, &errs);
    f->delay_ms = (unsigned)int_member(root, "delay_ms", 0, 60000, 0, &errs);
    const json_t *p = json_object_get(root, "probability");
    f->probability = 1.0;
    if (p && (!json_is_number(p) || json_number_value(p) <= 0 || json_number_value(p) > 1))
        errlist_add(&errs, "probability", "probability must be a number in (0, 1]");
    else if (p)
        f->probability = json_number_value(p);
    if (!f->status && !f->delay_ms && !errs.count)
        errlist_add(&errs, "status", "a fault needs a status, a delay_ms, or both");
    if (errs.count) {
        http_reply_errlist(req, 400, &errs);
        return -1;
    }
    const json_t *acct = json_object_get(root, "account");
    if (acct && !json_is_null(acct)) {
        store_account a;
        if (!json_is_string(acct)) {
            http_reply_error(req, 400, "account", "account must be an account name");
            return -1;
        }
        if (api_admin_account(req, json_string_value(acct), &a) != STORE_OK)
            return -1;
        f->account = a.id;
        f->account_name = a.name;
    }
    return 0;
}

void api_admin_faults_create(http_request *req)
{
    api_ctx *app = http_app(req);
    json_t *root = api_body_object(req);
    if (!root)
        return;
    fault_spec f;
    memset(&f, 0, sizeof f);
    int rc = fault_parse(req, root, &f);
    json_decref(root);
    if (rc != 0)
        return;
    char id[FAULT_ID_LEN + 1];
    if (faults_add(app->faults, &f, id) != 0) {
        http_reply_error(req, 400, NULL, "at most %d faults can be set", FAULTS_MAX);
        return;
    }
    http_reply_json(req, 201, json_pack("{s:s}", "id", id));
}

void api_admin_faults_all(http_request *req)
{
    api_ctx *app = http_app(req);
    http_reply_json(req, 200, json_pack("{s:o}", "result", faults_list(app->faults)));
}

void api_admin_faults_clear(http_request *req)
{
    api_ctx *app = http_app(req);
    faults_clear(app->faults);
    http_reply_json(req, 204, NULL);
}

void api_admin_fault_delete(http_request *req)
{
    api_ctx *app = http_app(req);
    if (faults_remove(app->faults, http_param(req, 0)) != 0)
        http_reply_error(req, 404, "id", "fault not found");
    else
        http_reply_json(req, 204, NULL);
}
