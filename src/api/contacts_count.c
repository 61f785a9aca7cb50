/* contacts_count: GET /v3/marketing/contacts/count, contact_count and billable_count of
 * the key's account. */
#include "api/api.h"

void api_contacts_count(http_request *req)
{
    api_ctx *app = http_app(req);
    int64_t total;
    if (store_contact_count(app->store, http_account(req), &total) != STORE_OK) {
        api_reply_store_error(req);
        return;
    }
    /* Every stored contact counts as billable: contactd keeps no billing period. */
    http_reply_json(req, 200, json_pack("{s:I, s:I}", "contact_count", (json_int_t)total,
                                        "billable_count", (json_int_t)total));
}
