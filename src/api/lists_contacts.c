/*
 * lists_contacts: the members of one list.
 *
 *   DELETE /v3/marketing/lists/{id}/contacts?contact_ids=a,b  202: a job removing them
 *                                                             from the list
 *   GET    /v3/marketing/lists/{id}/contacts/count            contact_count, billable_count
 */
#include "api/api.h"
#include "jobs/kinds.h"

#define REMOVE_MAX_IDS 500 /* in the request line: see contacts.c */

void api_list_contact_count(http_request *req)
{
    list_info l;
    if (!api_list_load(req, &l))
        return;
    http_reply_json(req, 200,
                    json_pack("{s:I, s:I}", "contact_count", (json_int_t)l.contact_count,
                              "billable_count", (json_int_t)l.contact_count));
}

void api_list_remove_contacts(http_request *req)
{
    http_errors_flat(req); /* the document's 400 is a flat Error */
    if (api_backlog_full(req))
        return;
    const char *arg = http_query(req, "contact_ids");
    if (!arg || !*arg) {
        http_reply_error(req, 400, "contact_ids", "contact_ids must list at least one contact id");
        return;
    }
    const char **ids;
    size_t n;
    if (api_parse_id_list(req, "contact_ids", arg, REMOVE_MAX_IDS, &ids, &n) != 0)
        return;
    list_info l;
    if (!api_list_load(req, &l))
        return;
    size_t len;
    char *payload = list_remove_payload(l.id, ids, n, &len);
    if (!payload) {
        http_reply_error(req, 500, NULL, "internal error: cannot encode the job");
        return;
    }
    job_submit sub = {
        .account = http_account(req),
        .kind = JOB_LIST_REMOVE,
        .requested = (int64_t)n,
        .payload = payload,
        .payload_len = len,
    };
    api_submit_job(req, &sub);
}
