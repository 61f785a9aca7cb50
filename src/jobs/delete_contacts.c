/*
 * delete_contacts: applies DELETE /v3/marketing/contacts (by ids, or all contacts) and the
 * contact deletion that DELETE /v3/marketing/lists/{id}?delete_contacts=true starts.
 *
 * By ids: each id is one record; a contact that does not exist (any more) is an errored
 * record. All: the account's contacts at the moment the job runs are deleted in slices;
 * since jobs run in acceptance order, that is every contact written by a job accepted
 * before this one and none written by a later one. requested_count then grows with each
 * slice to the number deleted. Deleting a contact also removes its list memberships.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/kind.h"
#include "jobs/kinds.h"

typedef struct delete_contacts_req {
    bool all;
    id_list ids;
} delete_contacts_req;

char *delete_contacts_payload(const char *const *ids, size_t n, bool all, size_t *len)
{
    json_t *o = json_object();
    if (all) {
        json_object_set_new(o, "all", json_true());
    } else {
        json_object_set_new(o, "ids", id_list_to_json(ids, n));
    }
    return job_payload_dump(o, len);
}

static void free_fn(void *decoded)
{
    delete_contacts_req *r = decoded;
    if (!r)
        return;
    id_list_free(&r->ids);
    free(r);
}

static void *decode_fn(store_tx *tx, int64_t account, const char *payload, size_t len)
{
    (void)tx;
    (void)account;
    json_t *o = json_loadb(payload, len, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return NULL;
    }
    delete_contacts_req *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->all = json_is_true(json_object_get(o, "all"));
    bool ok = r->all || id_list_from_json(json_object_get(o, "ids"), &r->ids) == 0;
    json_decref(o);
    if (!ok) {
        free_fn(r);
        return NULL;
    }
    return r;
}

static long delete_some(store_tx *tx, const job_row *job, size_t budget, job_counts *counts,
                        bool *finished)
{
    arena a = ARENA_INIT;
    const char **ids;
    size_t n;
    long applied = 0;
    if (store_tx_contact_ids(tx, job->account, (int64_t)budget, &a, &ids, &n) != STORE_OK) {
        applied = STORE_ERROR;
    } else {
        for (size_t i = 0; i < n; i++) {
            if (store_tx_contact_delete(tx, job->account, ids[i]) != STORE_OK) {
                applied = STORE_ERROR;
                break;
            }
            applied++;
        }
    }
    arena_release(&a);
    if (applied >= 0) {
        counts->requested += applied;
        counts->deleted += applied;
        *finished = (size_t)applied < budget;
    }
    return applied;
}

static long apply_fn(store_tx *tx, const job_row *job, void *decoded, size_t budget,
                     job_counts *counts, bool *finished)
{
    delete_contacts_req *r = decoded;
    if (r->all)
        return delete_some(tx, job, budget, counts, finished);
    size_t from = (size_t)job->cursor;
    size_t to = from + budget < r->ids.count ? from + budget : r->ids.count;
    long applied = 0;
    for (size_t i = from; i < to; i++) {
        int rc = store_tx_contact_delete(tx, job->account, r->ids.ids[i]);
        if (rc == STORE_OK) {
            counts->deleted++;
        } else if (rc == STORE_NOT_FOUND) {
            char msg[120];
            snprintf(msg, sizeof msg, "contact %.40s does not exist", r->ids.ids[i]);
            if (job_record_error(tx, job, counts, (int64_t)i,
                                 json_pack("{s:s}", "contact_id", r->ids.ids[i]), msg) != STORE_OK)
                return STORE_ERROR;
        } else {
            return STORE_ERROR;
        }
        applied++;
    }
    *finished = to >= r->ids.count;
    return applied;
}

const job_kind_ops job_delete_contacts_ops = {
    .decode = decode_fn,
    .free = free_fn,
    .apply = apply_fn,
};
