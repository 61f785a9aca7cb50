/*
 * contacts: the contacts collection and one contact.
 *
 *   PUT    /v3/marketing/contacts         upsert: an upsert job (202)
 *   GET    /v3/marketing/contacts         up to 50 most recently created or updated,
 *                                         sorted by email, with contact_count
 *   DELETE /v3/marketing/contacts?ids=a,b | ?delete_all_contacts=true   a delete job
 *   GET    /v3/marketing/contacts/{id}    one contact of the key's account
 *
 * An upsert is validated whole before it is accepted: any problem in any record rejects
 * it with 400 and one error per problem. A valid request becomes an upsert job (committed
 * before the 202); its records are matched and applied by jobs/upsert.c.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/contact_decode.h"
#include "jobs/kinds.h"

/* ---- upsert ----------------------------------------------------------------------- */

/* Decode the body against the account's custom fields, read only when it may name one:
 * most upserts name none, and on PostgreSQL the catalog is a round trip. A body without
 * the text "custom_fields" is decoded against no field first. Nothing of the result but
 * the keys it finds unknown depends on the catalog, so if it found one after all (a key
 * written with \u escapes) it is decoded again against the account's. NULL with *status
 * as upsert_decode_text's, or with *store_failed set. */
static upsert_batch *decode_upsert(http_request *req, const char *body, size_t len, errlist *errs,
                                   upsert_text_status *status, bool *store_failed)
{
    static const char key[] = "custom_fields";
    static const field_catalog none = {NULL, 0};
    api_ctx *app = http_app(req);
    arena *a = http_arena(req);
    *store_failed = false;
    /* body is NULL when empty */
    if (len == 0 || !memmem(body, len, key, sizeof key - 1)) {
        errlist_init(errs, a);
        upsert_batch *b = upsert_decode_text(body, len, &none, errs, status);
        if (!b || !b->unknown_custom_field_count)
            return b;
        upsert_batch_free(b);
    }
    field_catalog fields;
    if (store_fields_list(app->store, http_account(req), a, &fields) != STORE_OK) {
        *store_failed = true;
        return NULL;
    }
    errlist_init(errs, a);
    return upsert_decode_text(body, len, &fields, errs, status);
}

void api_contacts_upsert(http_request *req)
{
    if (api_backlog_full(req))
        return;
    arena *a = http_arena(req);
    size_t len;
    const char *body = http_body(req, &len);
    errlist errs;
    upsert_text_status status;
    bool store_failed;
    upsert_batch *b = decode_upsert(req, body, len, &errs, &status, &store_failed);
    if (store_failed) {
        api_reply_store_error(req);
        return;
    }
    if (!b) {
        api_reply_body_status(req, status == UPSERT_TEXT_NOT_OBJECT);
        return;
    }
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

/* ---- sample and delete ------------------------------------------------------------ */

#define SAMPLE_SIZE 50
/* The ids travel in the request line, which must fit the 32 KiB request head: 500 UUIDs
 * take 18.5 KB. */
#define DELETE_MAX_IDS 500

void api_contacts_sample(http_request *req)
{
    api_ctx *app = http_app(req);
    int64_t total;
    const char **ids;
    size_t n;
    if (store_contact_count(app->store, http_account(req), &total) != STORE_OK ||
        store_contact_recent(app->store, http_account(req), SAMPLE_SIZE, http_arena(req), &ids,
                             &n) != STORE_OK) {
        api_reply_store_error(req);
        return;
    }
    json_t *meta =
        json_pack("{s:o}", "self", json_sprintf("%s/v3/marketing/contacts", http_base_url(req)));
    api_reply_sample(req, NULL, "result", ids, n,
                     json_pack("{s:o, s:I}", "_metadata", meta, "contact_count", (json_int_t)total));
}

void api_contacts_delete(http_request *req)
{
    if (api_backlog_full(req))
        return;
    const char *ids_arg = http_query(req, "ids");
    bool all;
    if (api_query_bool(req, "delete_all_contacts", false, &all) != 0)
        return;
    if (ids_arg && all) {
        http_reply_error(req, 400, NULL, "give either ids or delete_all_contacts, not both");
        return;
    }
    if (!ids_arg && !all) {
        http_reply_error(req, 400, NULL, "either ids or delete_all_contacts=true is required");
        return;
    }
    size_t len = 0;
    char *payload;
    int64_t requested;
    if (all) {
        payload = delete_contacts_payload(NULL, 0, true, &len);
        requested = 0; /* grows to the number deleted as the job runs */
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

/* ---- one contact ------------------------------------------------------------------ */

void api_contact_get(http_request *req)
{
    api_ctx *app = http_app(req);
    const char *id = http_param(req, 0);
    contact c;
    int rc = API_GET_IF_UUID(
        id, store_contact_get(app->store, http_account(req), id, http_arena(req), &c));
    if (!api_found(req, rc, "id", "contact"))
        return;
    contact_renderer r = {.req = req};
    json_writer *w = json_writer_thread();
    if (!contact_render_write(&r, w, &c)) {
        api_reply_store_error(req);
        return;
    }
    http_reply_json_text(req, 200, w->buf, w->len);
}
