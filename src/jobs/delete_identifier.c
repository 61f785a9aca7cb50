/*
 * delete_identifier: applies a DELETE /v3/marketing/contacts/{id}/identifiers job.
 *
 * The identifier is removed when the contact still exists, still carries that value,
 * and carries at least one other identifier (a contact always keeps one). Otherwise the
 * job fails with the reason in its errors, and the contact is left as it was.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "jobs/kind.h"
#include "jobs/kinds.h"

typedef struct delete_identifier_req {
    char contact_id[UUID_STR_LEN + 1];
    id_type type;
    char *value; /* normalised; owned by the struct */
} delete_identifier_req;

char *delete_identifier_payload(const char *contact_id, id_type type, const char *value, size_t *len)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "contact_id", contact_id, "identifier_type",
                          id_type_upper(type), "identifier_value", value);
    return job_payload_dump(o, len);
}

/* A request of its parts (value copied), or NULL when type_upper names no type. */
static delete_identifier_req *req_new(const char *contact_id, const char *type_upper,
                                      const char *value)
{
    id_type type;
    if (strlen(contact_id) > UUID_STR_LEN || id_type_from_upper(type_upper, &type) != 0)
        return NULL;
    delete_identifier_req *r = calloc(1, sizeof *r);
    if (!r || !(r->value = strdup(value)))
        abort();
    snprintf(r->contact_id, sizeof r->contact_id, "%s", contact_id);
    r->type = type;
    return r;
}

void *delete_identifier_decoded(const char *contact_id, id_type type, const char *value,
                                size_t *size)
{
    delete_identifier_req *r = req_new(contact_id, id_type_upper(type), value);
    *size = r ? sizeof *r + strlen(value) + 1 : 0;
    return r;
}

static void *decode_fn(store_tx *tx, int64_t account, const char *payload, size_t len)
{
    (void)tx;
    (void)account;
    json_t *o = json_loadb(payload, len, 0, NULL);
    const char *cid = NULL, *type = NULL, *value = NULL;
    delete_identifier_req *r = NULL;
    if (o && json_unpack(o, "{s:s, s:s, s:s}", "contact_id", &cid, "identifier_type", &type,
                         "identifier_value", &value) == 0)
        r = req_new(cid, type, value);
    json_decref(o);
    return r;
}

static void free_fn(void *decoded)
{
    delete_identifier_req *r = decoded;
    if (r)
        free(r->value);
    free(r);
}

static long apply_fn(store_tx *tx, const job_row *job, void *decoded, size_t budget,
                     job_counts *counts, bool *finished)
{
    const delete_identifier_req *r = decoded;
    *finished = true;
    if (job->cursor >= 1 || budget == 0)
        return 0;
    arena scratch = ARENA_INIT;
    contact c;
    char msg[600];
    msg[0] = '\0';
    int rc = store_tx_contact_get(tx, job->account, r->contact_id, &scratch, &c);
    if (rc == STORE_NOT_FOUND) {
        snprintf(msg, sizeof msg, "contact %s does not exist", r->contact_id);
    } else if (rc != STORE_OK) {
        arena_release(&scratch);
        return STORE_ERROR;
    } else if (!c.field[r->type] || strcmp(c.field[r->type], r->value) != 0) {
        snprintf(msg, sizeof msg, "contact %s does not have %s '%s'", r->contact_id,
                 id_type_field(r->type), r->value);
    } else if (contact_identifier_count(&c) <= 1) {
        snprintf(msg, sizeof msg,
                 "%s '%s' is the last identifier of contact %s; a contact must keep at least "
                 "one identifier",
                 id_type_field(r->type), r->value, r->contact_id);
    } else {
        c.field[r->type] = NULL;
        c.updated_at = time_now_ms();
        rc = store_tx_contact_update(tx, job->account, &c, 1u << r->type);
        arena_release(&scratch);
        if (rc != STORE_OK)
            return STORE_ERROR;
        counts->deleted++;
        return 1;
    }
    arena_release(&scratch);
    json_t *ids =
        json_pack("{s:s, s:s}", "contact_id", r->contact_id, id_type_field(r->type), r->value);
    return job_record_error(tx, job, counts, 0, ids, msg) == STORE_OK ? 1 : STORE_ERROR;
}

const job_kind_ops job_delete_identifier_ops = {
    .decode = decode_fn,
    .free = free_fn,
    .apply = apply_fn,
};
