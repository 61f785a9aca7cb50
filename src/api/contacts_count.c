/* contacts_count: GET /v3/marketing/contacts/count, contact_count and billable_count of
 * the key's account (billable: the contacts of this calendar month, deleted ones
 * included; see store_billable_count). */
#include "api/api.h"

/* A parent account's count shows each subuser's billable contacts, keyed by the subuser's
 * account name (contactd's id for an account), and their sum:
 * ,"billable_breakdown":{"total":N,"breakdown":{"<name>":N,...}} when it has subusers. */
static int write_breakdown(http_request *req, json_writer *w)
{
    api_ctx *app = http_app(req);
    store_account *rows;
    size_t n;
    int rc = store_account_list(app->store, http_account(req), http_arena(req), &rows, &n);
    if (rc != STORE_OK || n == 0)
        return rc;
    int64_t *counts = arena_calloc(http_arena(req), n, sizeof *counts);
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        rc = store_billable_count(app->store, rows[i].id, &counts[i]);
        if (rc != STORE_OK)
            return rc;
        sum += counts[i];
    }
    json_writer_cstr_raw(w, ",\"billable_breakdown\":{\"total\":");
    json_writer_int(w, sum);
    json_writer_cstr_raw(w, ",\"breakdown\":{");
    size_t empty = w->len;
    for (size_t i = 0; i < n; i++) {
        size_t mark = json_writer_next(w, empty);
        if (json_writer_key(w, rows[i].name)) /* a name jansson refuses is left out */
            json_writer_int(w, counts[i]);
        else
            json_writer_truncate(w, mark);
    }
    json_writer_cstr_raw(w, "}}");
    return STORE_OK;
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
    json_writer *w = json_writer_thread();
    json_writer_cstr_raw(w, "{\"contact_count\":");
    json_writer_int(w, total);
    json_writer_cstr_raw(w, ",\"billable_count\":");
    json_writer_int(w, billable);
    if (write_breakdown(req, w) != STORE_OK) {
        api_reply_store_error(req);
        return;
    }
    json_writer_char(w, '}');
    http_reply_json_text(req, 200, w->buf, w->len);
}
