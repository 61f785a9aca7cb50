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

/* "a,b,c" of up to max names, for error messages. */
static char *join(arena *a, const char **names, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(names[i]) + 1;
    char *out = arena_alloc(a, len);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(out, ",");
        strcat(out, names[i]);
    }
    return out;
}

void api_contacts_upsert(http_request *req)
{
    json_t *root = api_body_object(req);
    if (!root)
        return;
    arena *a = http_arena(req);
    errlist errs;
    errlist_init(&errs, a);
    upsert_batch *b = upsert_decode(root, &errs);
    json_decref(root);
    /* No list and no custom field can exist before their endpoints do, so every id
     * named here is unknown; the checks are kept exact rather than silently ignored. */
    if (b->list_count)
        errlist_add(&errs, "list_ids", "unknown list ids: %.400s", join(a, b->list_ids, b->list_count));
    if (b->custom_field_key_count)
        errlist_add(&errs, NULL, "invalid custom field ids supplied - %.400s",
                    join(a, b->custom_field_keys, b->custom_field_key_count));
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
