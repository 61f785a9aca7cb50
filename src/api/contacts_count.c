/* contacts_count: GET /v3/marketing/contacts/count, contact_count and billable_count of
 * the key's account (billable: the contacts of this calendar month, deleted ones
 * included; see store_billable_count). */
#include "api/api.h"

/* A parent account's count shows each subuser's billable contacts, keyed by the subuser's
 * account name (contactd's id for an account), and their sum. */
static int billable_breakdown(http_request *req, json_t *reply)
{
    api_ctx *app = http_app(req);
    store_account *rows;
    size_t n;
    int rc = store_account_list(app->store, http_account(req), http_arena(req), &rows, &n);
    json_t *breakdown = NULL;
    json_int_t sum = 0;
    for (size_t i = 0; rc == STORE_OK && i < n; i++) {
        int64_t count;
        rc = store_billable_count(app->store, rows[i].id, &count);
        if (rc != STORE_OK)
            break; /* count is unset */
        if (!breakdown)
            breakdown = json_object();
        json_object_set_new(breakdown, rows[i].name, json_integer(count));
        sum += count;
    }
    if (breakdown)
        json_object_set_new(reply, "billable_breakdown",
                            json_pack("{s:I, s:o}", "total", sum, "breakdown", breakdown));
    return rc;
}

void api_contacts_count(http_request *req)
{
    api_ctx *app = http_app(req);
    int64_t total, billable;
    if (store_contact_count(app->store, http_account(req), &total) != STORE_OK ||
        store_billable_count(app->store, http_account(req), &billable) != STORE_OK) {
        api_reply_store_error(req);
        return;
    }
    json_t *reply = json_pack("{s:I, s:I}", "contact_count", (json_int_t)total, "billable_count",
                              (json_int_t)billable);
    if (billable_breakdown(req, reply) != STORE_OK) {
        json_decref(reply);
        api_reply_store_error(req);
        return;
    }
    http_reply_json(req, 200, reply);
}
