/*
 * contacts_list: the account-wide contact endpoints.
 *   GET    /v3/marketing/contacts         up to 50 most recently created or updated,
 *                                         sorted by email, with contact_count
 *   GET    /v3/marketing/contacts/count   contact_count and billable_count
 *   DELETE /v3/marketing/contacts?ids=a,b | ?delete_all_contacts=true   a delete job
 */
#include <string.h>

#include "api/api.h"
#include "jobs/kinds.h"

#define SAMPLE_SIZE 50
/* The ids travel in the request line, which must fit the 32 KiB request head: 500 UUIDs
 * take 18.5 KB. */
#define DELETE_MAX_IDS 500

void api_contacts_sample(http_request *req)
{
    api_ctx *app = http_app(req);
    int64_t total;
    contact *rows;
    size_t n;
    if (store_contact_count(app->store, http_account(req), &total) != STORE_OK ||
        store_contact_recent(app->store, http_account(req), SAMPLE_SIZE, http_arena(req), &rows,
                             &n) != STORE_OK) {
        api_reply_store_error(req);
        return;
    }
    json_t *result = json_array();
    contact_renderer r = {.req = req};
    for (size_t i = 0; i < n; i++) {
        json_t *body = contact_render(&r, &rows[i]);
        if (!body) {
            json_decref(result);
            api_reply_store_error(req);
            return;
        }
        json_array_append_new(result, body);
    }
    json_t *meta = json_pack("{s:o}", "self",
                             json_sprintf("%s/v3/marketing/contacts", http_base_url(req)));
    http_reply_json(req, 200, json_pack("{s:o, s:o, s:I}", "result", result, "_metadata", meta,
                                        "contact_count", (json_int_t)total));
}

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

void api_contacts_delete(http_request *req)
{
    const char *ids_arg = http_query(req, "ids");
    const char *all_arg = http_query(req, "delete_all_contacts");
    if (ids_arg && all_arg) {
        http_reply_error(req, 400, NULL, "give either ids or delete_all_contacts, not both");
        return;
    }
    if (!ids_arg && !all_arg) {
        http_reply_error(req, 400, NULL, "either ids or delete_all_contacts=true is required");
        return;
    }
    size_t len = 0;
    char *payload;
    int64_t requested;
    if (all_arg) {
        if (strcmp(all_arg, "true") != 0) {
            http_reply_error(req, 400, "delete_all_contacts", "delete_all_contacts must be \"true\"");
            return;
        }
        payload = delete_contacts_payload(NULL, 0, true, &len);
        requested = 0;      /* grows to the number deleted as the job runs */
    } else {
        const char **ids;
        size_t n;
        if (!*ids_arg) {
            http_reply_error(req, 400, "ids", "ids must list at least one contact id");
            return;
        }
        if (api_parse_id_list(req, "ids", ids_arg, DELETE_MAX_IDS, &ids, &n) != 0)
            return;
        payload = delete_contacts_payload(ids, n, false, &len);
        requested = (int64_t)n;
    }
    if (!payload) {
        http_reply_error(req, 500, NULL, "internal error: cannot encode the job");
        return;
    }
    job_submit sub = {
        .account = http_account(req),
        .kind = JOB_DELETE_CONTACTS,
        .requested = requested,
        .payload = payload,
        .payload_len = len,
    };
    api_submit_job(req, &sub);
}
