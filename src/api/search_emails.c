/*
 * search_emails: POST /v3/marketing/contacts/search/emails, up to 100 addresses matched
 * case-insensitively against primary and alternate emails. 200 with a result per address
 * when any matches, 404 when none does, 400 when any address is invalid.
 */
#include <string.h>

#include "api/api.h"

#define SEARCH_MAX_EMAILS 100

void api_search_emails(http_request *req)
{
    api_ctx *app = http_app(req);
    json_t *root = api_body_object(req);
    if (!root)
        return;
    arena *a = http_arena(req);
    errlist errs;
    errlist_init(&errs, a);
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (strcmp(key, "emails") != 0)
            errlist_add(&errs, key, "unknown field '%.60s'", key);
    }
    json_t *emails = json_object_get(root, "emails");
    size_t n = json_array_size(emails);
    if (!json_is_array(emails))
        errlist_add(&errs, "emails", "emails must be an array of strings");
    else if (n == 0)
        errlist_add(&errs, "emails", "emails must contain at least one address");
    else if (n > SEARCH_MAX_EMAILS)
        errlist_add(&errs, "emails", "at most %d emails can be searched at once, got %zu",
                    SEARCH_MAX_EMAILS, n);
    const char **values = errs.count ? NULL : arena_calloc(a, n, sizeof *values);
    for (size_t i = 0; values && i < n; i++) {
        json_t *e = json_array_get(emails, i);
        char field[32];
        snprintf(field, sizeof field, "emails[%zu]", i);
        const char *why;
        if (!json_is_string(e))
            errlist_add(&errs, field, "emails must be strings");
        else if (identifier_normalize(ID_EMAIL, json_string_value(e), json_string_length(e), a,
                                      &values[i], &why) != 0)
            errlist_add(&errs, field, "email '%.100s' is not valid", json_string_value(e));
    }
    json_decref(root);
    if (errs.count) {
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
