/*
 * contacts_identifiers: DELETE /v3/marketing/contacts/{contact_id}/identifiers.
 *
 * Checks the body (400) and that the contact exists (404), then accepts a delete job
 * (202). Whether the identifier can go is decided when the job runs, against the contact
 * as it is then (jobs/delete_identifier.c): the job fails when the identifier is the
 * contact's last one, when the contact does not carry that value, or when it is gone.
 */
#include <string.h>

#include "api/api.h"
#include "jobs/kinds.h"

void api_identifier_delete(http_request *req)
{
    if (api_backlog_full(req))
        return;
    api_ctx *app = http_app(req);
    errlist errs;
    json_t *root = api_body_begin(req, &errs);
    if (!root)
        return;
    arena *a = http_arena(req);
    json_t *jt = json_object_get(root, "identifier_type");
    json_t *jv = json_object_get(root, "identifier_value");
    id_type type = ID_EMAIL;
    bool type_ok = false;
    if (!jt)
        errlist_add(&errs, "identifier_type", "identifier_type is required");
    else if (!json_is_string(jt) || id_type_from_upper(json_string_value(jt), &type) != 0)
        errlist_add(&errs, "identifier_type",
                    "identifier_type must be one of EMAIL, PHONENUMBERID, EXTERNALID, ANONYMOUSID");
    else
        type_ok = true;
    const char *value = NULL;
    if (!jv)
        errlist_add(&errs, "identifier_value", "identifier_value is required");
    else if (!json_is_string(jv))
        errlist_add(&errs, "identifier_value", "identifier_value must be a string");
    else if (json_string_length(jv) == 0)
        errlist_add(&errs, "identifier_value", "identifier_value must not be empty");
    else if (type_ok) {
        const char *why;
        if (identifier_normalize(type, json_string_value(jv), json_string_length(jv), a, &value,
                                 &why) != 0)
            errlist_add(&errs, "identifier_value", "%s '%.100s' %s", id_type_field(type),
                        json_string_value(jv), why);
    }
    json_decref(root);
    if (errs.count) {
        http_reply_errlist(req, 400, &errs);
        return;
    }
    const char *id = http_param(req, 0);
    /* Only whether it exists: what it carries is checked by the job, against the contact
     * as it is when the job runs. */
    int rc = API_GET_IF_UUID(id, store_contact_exists(app->store, http_account(req), id));
    if (!api_found(req, rc, "contact_id", "contact"))
        return;
    size_t len;
    char *payload = delete_identifier_payload(id, type, value, &len);
    if (!payload) {
        http_reply_error(req, 500, NULL, "internal error: cannot encode the job");
        return;
    }
    job_submit sub = {
        .account = http_account(req),
        .kind = JOB_DELETE_IDENTIFIER,
        .requested = 1,
        .payload = payload,
        .payload_len = len,
    };
    sub.decoded = delete_identifier_decoded(id, type, value, &sub.decoded_size);
    api_submit_job(req, &sub);
}
