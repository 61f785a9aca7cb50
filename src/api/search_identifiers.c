/*
 * search_identifiers: POST /v3/marketing/contacts/search/identifiers/{identifier_type}.
 *
 * Up to 100 values of one identifier type. 200 with a result per searched value when any
 * matches, 404 when none does, 400 when the type or any value is invalid. Emails are
 * normalised before the search, and the result is keyed by the normalised address.
 */
#include <string.h>

#include "api/api.h"

#define SEARCH_MAX_IDENTIFIERS 100

static int normalize(void *ctx, const char *s, size_t len, arena *a, const char **out,
                     const char **why)
{
    return identifier_normalize(*(id_type *)ctx, s, len, a, out, why);
}

void api_search_identifiers(http_request *req)
{
    api_ctx *app = http_app(req);
    id_type type;
    if (id_type_from_field(http_param(req, 0), &type) != 0) {
        http_reply_error(req, 400, "identifier_type",
                         "identifier_type must be one of email, phone_number_id, external_id, "
                         "anonymous_id");
        return;
    }
    json_t *root = api_body_object(req);
    if (!root)
        return;
    arena *a = http_arena(req);
    errlist errs;
    errlist_init(&errs, a);
    static const char *const allowed[] = {"identifiers", NULL};
    api_reject_unknown_keys(root, allowed, &errs);
    size_t n = 0;
    const char **values = api_string_array(root, "identifiers", SEARCH_MAX_IDENTIFIERS,
                                           id_type_field(type), normalize, &type, a, &errs, &n);
    json_decref(root);
    if (errs.count || !values) {
        http_reply_errlist(req, 400, &errs);
        return;
    }
    json_t *result = json_object();
    contact_renderer r = {.req = req};
    size_t found = 0;
    for (size_t i = 0; i < n; i++) {
        contact c;
        int rc = store_contact_find(app->store, http_account(req), type, values[i], a, &c);
        json_t *body = rc == STORE_OK ? contact_render(&r, &c) : NULL;
        if (body) {
            json_object_set_new(result, values[i], json_pack("{s:o}", "contact", body));
            found++;
        } else if (rc == STORE_NOT_FOUND) {
            if (!json_object_get(result, values[i]))
                json_object_set_new(result, values[i], json_pack("{s:s}", "error", "contact not found"));
        } else {
            json_decref(result);
            api_reply_store_error(req);
            return;
        }
    }
    if (found == 0) {
        json_decref(result);
        http_reply_error(req, 404, "identifiers", "no contact matches the given identifiers");
        return;
    }
    http_reply_json(req, 200, json_pack("{s:o}", "result", result));
}
