/*
 * upsert: applies the records of a PUT /v3/marketing/contacts job.
 *
 * Matching, per record, against the contacts of the job's account:
 *  - every identifier the record carries is looked up; the contacts found are M;
 *  - M empty: a new contact with a new UUID (created_count);
 *  - M holds two or more contacts: the record errors, nothing is merged;
 *  - M holds one contact C: C's existing identifiers must all be present in the record
 *    with the same values (SendGrid: "to update a contact, all of its existing
 *    identifiers must be present"); otherwise the record errors. If they are, provided
 *    fields overwrite, omitted fields stay, new identifiers are added (updated_count).
 * Records are applied in request order, so when one contact appears twice the later
 * record's values win.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/contact_decode.h"
#include "core/timeutil.h"
#include "jobs/kinds.h"

static void *upsert_decode_fn(const char *payload, size_t len)
{
    return upsert_decode_payload(payload, len);
}

static void upsert_free_fn(void *decoded)
{
    upsert_batch_free(decoded);
}

static json_t *record_identifiers(const contact_input *in)
{
    json_t *o = json_object();
    for (int t = 0; t < ID_TYPE_COUNT; t++)
        if (in->field[t])
            json_object_set_new(o, id_type_field((id_type)t), json_string(in->field[t]));
    return o;
}

/* Outcome of one record: 0 created/updated (counted), 1 record error written, or
 * STORE_ERROR. */
static int apply_record(store_tx *tx, const job_row *job, const contact_input *in, int64_t index,
                        arena *scratch, job_counts *counts)
{
    contact found[ID_TYPE_COUNT];
    int owner = -1;             /* index into found[] of the first match */
    for (int t = 0; t < ID_TYPE_COUNT; t++) {
        if (!in->field[t])
            continue;
        int rc = store_tx_contact_find(tx, job->account, (id_type)t, in->field[t], scratch, &found[t]);
        if (rc == STORE_NOT_FOUND)
            continue;
        if (rc != STORE_OK)
            return rc;
        if (owner < 0) {
            owner = t;
        } else if (strcmp(found[owner].id, found[t].id) != 0) {
            char msg[1200];
            snprintf(msg, sizeof msg,
                     "the record's identifiers belong to different contacts (%s and %s); "
                     "contacts are never merged",
                     found[owner].id, found[t].id);
            counts->errored++;
            return job_record_error(tx, job, index, record_identifiers(in), msg) == STORE_OK ? 1 : STORE_ERROR;
        }
    }
    int64_t now = time_now_ms();
    if (owner < 0) {
        contact c;
        memset(&c, 0, sizeof c);
        if (uuid_generate(c.id) != 0)
            return STORE_ERROR;
        contact_merge(&c, in);
        c.created_at = c.updated_at = now;
        int rc = store_tx_contact_insert(tx, job->account, &c);
        if (rc != STORE_OK)
            return rc;
        counts->created++;
        return 0;
    }
    contact *c = &found[owner];
    for (int t = 0; t < ID_TYPE_COUNT; t++) {
        const char *have = c->field[t];
        if (!have || !have[0])
            continue;
        if (!in->field[t] || strcmp(in->field[t], have) != 0) {
            char msg[700];
            snprintf(msg, sizeof msg,
                     "contact %s has %s '%s', which this record does not carry; to update a "
                     "contact, all of its existing identifiers must be present",
                     c->id, id_type_field((id_type)t), have);
            counts->errored++;
            return job_record_error(tx, job, index, record_identifiers(in), msg) == STORE_OK ? 1 : STORE_ERROR;
        }
    }
    contact_merge(c, in);
    c->updated_at = now;
    int rc = store_tx_contact_update(tx, job->account, c);
    if (rc != STORE_OK)
        return rc == STORE_NOT_FOUND ? STORE_ERROR : rc;
    counts->updated++;
    return 0;
}

static long upsert_apply(store_tx *tx, const job_row *job, void *decoded, size_t budget,
                         job_counts *counts)
{
    const upsert_batch *b = decoded;
    size_t from = (size_t)job->cursor;
    size_t to = from + budget < b->count ? from + budget : b->count;
    arena scratch = ARENA_INIT;
    long applied = 0;
    for (size_t i = from; i < to; i++) {
        int rc = apply_record(tx, job, &b->contacts[i], (int64_t)i, &scratch, counts);
        if (rc < 0) {
            arena_release(&scratch);
            return STORE_ERROR;
        }
        applied++;
        /* Keep the scratch arena small on long slices. */
        if (scratch.total > (4u << 20))
            arena_release(&scratch);
    }
    arena_release(&scratch);
    return applied;
}

const job_kind_ops job_upsert_ops = {
    .decode = upsert_decode_fn,
    .free = upsert_free_fn,
    .apply = upsert_apply,
};
