/* contacts_batch: POST /v3/marketing/contacts/batch, up to 100 contacts by id. Ids that
 * match nothing in the key's account are left out of the result. */
#include <string.h>

#include "api/api.h"

#define BATCH_MAX_IDS 100

void api_contacts_batch(http_request *req)
{
    api_ctx *app = http_app(req);
    errlist errs;
    json_t *root = api_body_begin(req, &errs);
    if (!root)
        return;
    arena *a = http_arena(req);
    size_t n = 0;
    const char **ids = api_string_array(root, "ids", BATCH_MAX_IDS, "id", NULL, NULL, a, &errs, &n);
    json_decref(root);
    if (errs.count || !ids) {
        http_reply_errlist(req, 400, &errs);
        return;
    }
    json_t *result = json_array();
    contact_renderer r = {.req = req};
    for (size_t i = 0; i < n; i++) {
        const char *id = ids[i];
        bool seen = false;
        for (size_t k = 0; k < i; k++)
            if (strcmp(ids[k], id) == 0)
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
            api_reply_store_error(req);
            return;
        }
    }
    http_reply_json(req, 200, json_pack("{s:o}", "result", result));
}
