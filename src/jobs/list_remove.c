/*
 * list_remove: applies DELETE /v3/marketing/lists/{id}/contacts?contact_ids=... Each
 * contact id is one record: removed from the list (deleted_count), or errored when it was
 * not in the list, or when the list is gone by then. Contacts themselves stay.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/kind.h"
#include "jobs/kinds.h"

typedef struct list_remove_req {
    char list_id[UUID_STR_LEN + 1];
    id_list ids;
} list_remove_req;

char *list_remove_payload(const char *list_id, const char *const *contact_ids, size_t n, size_t *len)
{
    json_t *o =
        json_pack("{s:s, s:o}", "list_id", list_id, "contact_ids", id_list_to_json(contact_ids, n));
    return job_payload_dump(o, len);
}

static void free_fn(void *decoded)
{
    list_remove_req *r = decoded;
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
    const char *list_id = json_string_value(json_object_get(o, "list_id"));
    json_t *ids = json_object_get(o, "contact_ids");
    if (!list_id || strlen(list_id) > UUID_STR_LEN || !json_is_array(ids)) {
        json_decref(o);
        return NULL;
    }
    list_remove_req *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    snprintf(r->list_id, sizeof r->list_id, "%s", list_id);
    bool ok = id_list_from_json(ids, &r->ids) == 0;
    json_decref(o);
    if (!ok) {
        free_fn(r);
        return NULL;
    }
    return r;
}

static long apply_fn(store_tx *tx, const job_row *job, void *decoded, size_t budget,
                     job_counts *counts, bool *finished)
{
    list_remove_req *r = decoded;
    size_t from = (size_t)job->cursor;
    size_t to = from + budget < r->ids.count ? from + budget : r->ids.count;
    arena a = ARENA_INIT;
    list_info list;
    int lrc = store_tx_list_get(tx, job->account, r->list_id, &a, &list);
    arena_release(&a);
    if (lrc != STORE_OK && lrc != STORE_NOT_FOUND)
        return STORE_ERROR;
    long applied = 0;
    for (size_t i = from; i < to; i++) {
        int rc = lrc == STORE_OK ? store_tx_list_remove(tx, job->account, r->list_id, r->ids.ids[i])
                                 : STORE_NOT_FOUND;
        if (rc == STORE_OK) {
            counts->deleted++;
        } else if (rc == STORE_NOT_FOUND) {
            char msg[160];
            if (lrc == STORE_NOT_FOUND)
                snprintf(msg, sizeof msg, "list %s does not exist", r->list_id);
            else
                snprintf(msg, sizeof msg, "contact %.40s is not in list %s", r->ids.ids[i],
                         r->list_id);
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

const job_kind_ops job_list_remove_ops = {
    .decode = decode_fn,
    .free = free_fn,
    .apply = apply_fn,
};
