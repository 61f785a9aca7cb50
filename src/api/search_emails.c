/*
 * search_emails: POST /v3/marketing/contacts/search/emails, up to 100 addresses matched
 * case-insensitively against primary and alternate emails. 200 with a result per address
 * when any matches, 404 when none does, 400 when any address is invalid.
 */
#include <string.h>

#include "api/api.h"

#define SEARCH_MAX_EMAILS 100

static int normalize(void *ctx, const char *s, size_t len, arena *a, const char **out,
                     const char **why)
{
    (void)ctx;
    if (identifier_normalize(ID_EMAIL, s, len, a, out, why) != 0) {
        *why = "is not valid";
        return -1;
    }
    return 0;
}

void api_search_emails(http_request *req)
{
    api_ctx *app = http_app(req);
    json_t *root = api_body_object(req);
    if (!root)
        return;
    arena *a = http_arena(req);
    errlist errs;
    errlist_init(&errs, a);
    static const char *const allowed[] = {"emails", NULL};
    api_reject_unknown_keys(root, allowed, &errs);
    size_t n = 0;
    const char **values = api_string_array(root, "emails", SEARCH_MAX_EMAILS, "email", normalize,
                                           NULL, a, &errs, &n);
    json_decref(root);
    if (errs.count || !values) {
        http_reply_errlist(req, 400, &errs);
        return;
    }
    json_t *result = json_object();
    contact_renderer r = {.req = req};
    size_t found = 0;
    for (size_t i = 0; i < n; i++) {
        if (json_object_get(result, values[i]))
            continue;
        contact c;
        int rc = store_contact_find_email(app->store, http_account(req), values[i], a, &c);
        json_t *body = rc == STORE_OK ? contact_render(&r, &c) : NULL;
        if (body) {
            json_object_set_new(result, values[i], json_pack("{s:o}", "contact", body));
            found++;
        } else if (rc == STORE_NOT_FOUND) {
            json_object_set_new(result, values[i], json_pack("{s:s}", "error", "contact not found"));
        } else {
            json_decref(result);
            api_reply_store_error(req);
            return;
        }
    }
    if (found == 0) {
        json_decref(result);
        http_reply_error(req, 404, "emails", "no contact matches the given emails");
        return;
    }
    http_reply_json(req, 200, json_pack("{s:o}", "result", result));
}
