/*
 * contacts_upsert: PUT /v3/marketing/contacts.
 *
 * The whole request is validated before it is accepted: any problem in any record
 * rejects it with 400 and one error per problem. A valid request becomes an upsert job
 * (committed before the 202); its records are matched and applied by jobs/upsert.c.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/contact_decode.h"

void api_contacts_upsert(http_request *req)
{
    json_t *root = api_body_object(req);
    if (!root)
        return;
    api_ctx *app = http_app(req);
    arena *a = http_arena(req);
    field_catalog fields;
    if (store_fields_list(app->store, http_account(req), a, &fields) != STORE_OK) {
        json_decref(root);
        api_reply_store_error(req);
        return;
    }
    errlist errs;
    errlist_init(&errs, a);
    upsert_batch *b = upsert_decode_fields(root, &fields, &errs);
    json_decref(root);
    if (b->unknown_custom_field_count)
        errlist_add(&errs, "custom_fields", "invalid custom field ids supplied - %.400s",
                    api_join(a, b->unknown_custom_fields, b->unknown_custom_field_count));
    /* Lists must exist when the request is accepted; one deleted before the job runs is
     * skipped then (jobs/upsert.c). */
    const char **missing;
    size_t nmissing;
    if (api_missing_lists(req, b->list_ids, b->list_count, &missing, &nmissing) != STORE_OK) {
        upsert_batch_free(b);
        api_reply_store_error(req);
        return;
    }
    if (nmissing)
        errlist_add(&errs, "list_ids", "unknown list ids: %.400s", api_join(a, missing, nmissing));
    if (errs.count) {
        upsert_batch_free(b);
        http_reply_errlist(req, 400, &errs);
        return;
    }
    size_t len;
    const char *body = http_body(req, &len);
    char *payload = malloc(len);
    if (!payload)
        abort();
    memcpy(payload, body, len);
    job_submit sub = {
        .account = http_account(req),
        .kind = JOB_UPSERT,
        .requested = (int64_t)b->count,
        .payload = payload,
        .payload_len = len,
        .decoded = b,
        .decoded_size = b->arena.total + sizeof *b,
    };
    api_submit_job(req, &sub);
}
