/* contacts_get: GET /v3/marketing/contacts/{id}, one contact of the key's account. */
#include "api/api.h"

void api_contact_get(http_request *req)
{
    api_ctx *app = http_app(req);
    const char *id = http_param(req, 0);
    contact c;
    int rc = uuid_valid(id) ? store_contact_get(app->store, http_account(req), id, http_arena(req), &c)
                            : STORE_NOT_FOUND;
    if (rc == STORE_NOT_FOUND) {
        http_reply_error(req, 404, "id", "contact not found");
        return;
    }
    if (rc != STORE_OK) {
        api_reply_store_error(req);
        return;
    }
    contact_renderer r = {.req = req};
    json_t *body = contact_render(&r, &c);
    if (!body) {
        api_reply_store_error(req);
        return;
    }
    http_reply_json(req, 200, body);
}
