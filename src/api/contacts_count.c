/* contacts_count: GET /v3/marketing/contacts/count, contact_count and billable_count of
 * the key's account (billable: the contacts of this calendar month, deleted ones
 * included; see store_billable_count). */
#include "api/api.h"

void api_contacts_count(http_request *req)
{
    api_ctx *app = http_app(req);
    int64_t total, billable;
    if (store_contact_count(app->store, http_account(req), &total) != STORE_OK ||
        store_billable_count(app->store, http_account(req), &billable) != STORE_OK) {
        api_reply_store_error(req);
        return;
    }
    http_reply_json(req, 200, json_pack("{s:I, s:I}", "contact_count", (json_int_t)total,
                                        "billable_count", (json_int_t)billable));
}
