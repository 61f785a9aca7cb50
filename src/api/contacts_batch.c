/* contacts_batch: POST /v3/marketing/contacts/batch, up to 100 contacts by id. Ids that
 * match nothing in the key's account are left out of the result. */
#include <string.h>

#include "api/api.h"

#define BATCH_MAX_IDS 100

void api_contacts_batch(http_request *req)
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
        if (strcmp(key, "ids") != 0)
            errlist_add(&errs, key, "unknown field '%.60s'", key);
    }
    json_t *ids = json_object_get(root, "ids");
    size_t n = json_array_size(ids);
    if (!json_is_array(ids))
        errlist_add(&errs, "ids", "ids must be an array of contact ids");
    else if (n == 0)
        errlist_add(&errs, "ids", "ids must contain at least one id");
    else if (n > BATCH_MAX_IDS)
        errlist_add(&errs, "ids", "at most %d ids can be given, got %zu", BATCH_MAX_IDS, n);
    for (size_t i = 0; !errs.count && i < n; i++)
        if (!json_is_string(json_array_get(ids, i))) {
            char field[32];
            snprintf(field, sizeof field, "ids[%zu]", i);
            errlist_add(&errs, field, "ids must be strings");
        }
    if (errs.count) {
        json_decref(root);
        http_reply_errlist(req, 400, &errs);
        return;
    }
    json_t *result = json_array();
    contact_renderer r = {.req = req};
    for (size_t i = 0; i < n; i++) {
        const char *id = json_string_value(json_array_get(ids, i));
        bool seen = false;
        for (size_t k = 0; k < i; k++)
            if (strcmp(json_string_value(json_array_get(ids, k)), id) == 0)
                seen = true;
        if (seen || !uuid_valid(id))
            continue;
        contact c;
        int rc = store_contact_get(app->store, http_account(req), id, a, &c);
        json_t *body = rc == STORE_OK ? contact_render(&r, &c) : NULL;
        if (body) {
            json_array_append_new(result, body);
        } else if (rc != STORE_NOT_FOUND) {
            json_decref(result);
            json_decref(root);
            api_reply_store_error(req);
            return;
        }
    }
    json_decref(root);
    http_reply_json(req, 200, json_pack("{s:o}", "result", result));
}
