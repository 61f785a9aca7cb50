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
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (strcmp(key, "identifiers") != 0)
            errlist_add(&errs, key, "unknown field '%.60s'", key);
    }
    json_t *ids = json_object_get(root, "identifiers");
    size_t n = json_array_size(ids);
    if (!json_is_array(ids))
        errlist_add(&errs, "identifiers", "identifiers must be an array of strings");
    else if (n == 0)
        errlist_add(&errs, "identifiers", "identifiers must contain at least one value");
    else if (n > SEARCH_MAX_IDENTIFIERS)
        errlist_add(&errs, "identifiers", "at most %d identifiers can be searched at once, got %zu",
                    SEARCH_MAX_IDENTIFIERS, n);
    const char **values = errs.count ? NULL : arena_calloc(a, n, sizeof *values);
    for (size_t i = 0; values && i < n; i++) {
        json_t *e = json_array_get(ids, i);
        char field[48];
        snprintf(field, sizeof field, "identifiers[%zu]", i);
        const char *why;
        if (!json_is_string(e))
            errlist_add(&errs, field, "identifiers must be strings");
        else if (identifier_normalize(type, json_string_value(e), json_string_length(e), a,
                                      &values[i], &why) != 0)
            errlist_add(&errs, field, "%s '%.100s' %s", id_type_field(type), json_string_value(e), why);
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
