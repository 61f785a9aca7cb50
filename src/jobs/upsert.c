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
 * record's values win. Every contact created or updated joins the request's list_ids
 * (lists deleted since the request was accepted are skipped). Custom field values are
 * merged value by value against the account's live definitions.
 *
 * A slice's identifiers are looked up together before it is applied (upsert_known.c), and
 * each record's lookups are answered from that map, which every write keeps current.
 * New contacts are inserted together when the slice ends (upsert_known_flush).
 * The writes are deferred (store_tx_sync): each record's matching has already proved them
 * possible in this transaction (its identifiers free, or its contact read), so none can
 * be refused for a reason the record's answer would have to give; on PostgreSQL a
 * slice's writes then travel in one round trip, answered by the next statement that
 * waits (the next slice's lookups) or at the end of the runner's step.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/contact_decode.h"
#include "core/fields.h"
#include "core/timeutil.h"
#include "jobs/kind.h"
#include "jobs/kinds.h"

static void *upsert_decode_fn(store_tx *tx, int64_t account, const char *payload, size_t len)
{
    arena a = ARENA_INIT;
    field_catalog fields = {0};
    upsert_batch *b = NULL;
    if (store_tx_fields_list(tx, account, &a, &fields) == STORE_OK)
        b = upsert_decode_payload(payload, len, &fields);
    arena_release(&a);
    return b;
}

int upsert_live_load(store_tx *tx, int64_t account, const char *const *list_ids, size_t n, arena *a,
                     upsert_live *live)
{
    memset(live, 0, sizeof *live);
    if (store_tx_fields_list(tx, account, a, &live->fields) != STORE_OK)
        return STORE_ERROR;
    live->lists = arena_calloc(a, n ? n : 1, sizeof *live->lists);
    for (size_t i = 0; i < n; i++) {
        list_info l;
        int rc = store_tx_list_get(tx, account, list_ids[i], a, &l);
        if (rc == STORE_OK)
            live->lists[live->list_count++] = list_ids[i];
        else if (rc != STORE_NOT_FOUND)
            return STORE_ERROR;
    }
    return STORE_OK;
}

/* After a contact was written: lists, alternate-email index. */
static int after_write(store_tx *tx, const job_row *job, const contact *c, const contact_input *in,
                       const upsert_live *live)
{
    for (size_t i = 0; i < live->list_count; i++)
        if (store_tx_list_add(tx, job->account, live->lists[i], c->id) != STORE_OK)
            return STORE_ERROR;
    if (in->alternate_emails &&
        store_tx_contact_set_alternates(tx, job->account, c->id, in->alternate_emails) != STORE_OK)
        return STORE_ERROR;
    return STORE_OK;
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

/* The contact with identifier (type, value), into *out: from the slice's map when it
 * knows, else from the store (the answer then joins the map). STORE_OK, STORE_NOT_FOUND
 * or STORE_ERROR. */
static int find_contact(store_tx *tx, int64_t account, const upsert_live *live, id_type type,
                        const char *value, arena *scratch, contact *out)
{
    contact *known;
    if (live->known && upsert_known_get(live->known, type, value, &known)) {
        if (!known)
            return STORE_NOT_FOUND;
        *out = *known;
        return STORE_OK;
    }
    int rc = store_tx_contact_find(tx, account, type, value, scratch, out);
    if (rc == STORE_OK && live->known)
        upsert_known_adopt(live->known, out);
    return rc;
}

/* c as written: the slice's later records match it as it is now. */
static void written(const upsert_live *live, const contact *c)
{
    if (live->known)
        upsert_known_adopt(live->known, c);
}

/* Insert the new contact c, which the slice's later records then match: with a map,
 * later and together with the slice's other new contacts (upsert_known_flush), else now. */
static int insert_new(store_tx *tx, const job_row *job, const upsert_live *live, const contact *c)
{
    if (!live->known)
        return store_tx_contact_insert_new(tx, job->account, c);
    upsert_known_insert_later(live->known, upsert_known_adopt(live->known, c));
    return STORE_OK;
}

int upsert_slice_done(store_tx *tx, const job_row *job, const upsert_live *live)
{
    return live->known ? upsert_known_flush(tx, job->account, live->known) : STORE_OK;
}

int upsert_apply_record(store_tx *tx, const job_row *job, const contact_input *in, int64_t index,
                        const upsert_live *live, arena *scratch, job_counts *counts)
{
    contact found[ID_TYPE_COUNT];
    int owner = -1; /* index into found[] of the first match */
    for (int t = 0; t < ID_TYPE_COUNT; t++) {
        if (!in->field[t])
            continue;
        int rc = find_contact(tx, job->account, live, (id_type)t, in->field[t], scratch, &found[t]);
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
            return job_record_error(tx, job, counts, index, record_identifiers(in), msg) == STORE_OK
                       ? 1
                       : STORE_ERROR;
        }
    }
    int64_t now = time_now_ms();
    if (owner < 0) {
        contact c;
        memset(&c, 0, sizeof c);
        if (uuid_generate(c.id) != 0)
            return STORE_ERROR;
        contact_merge(&c, in);
        if (in->custom_fields)
            c.custom_fields = custom_fields_merge(NULL, in->custom_fields, &live->fields, scratch);
        c.created_at = c.updated_at = now;
        int rc = insert_new(tx, job, live, &c); /* the map has it now */
        if (rc == STORE_OK)
            rc = after_write(tx, job, &c, in, live);
        if (rc != STORE_OK)
            return STORE_ERROR;
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
            return job_record_error(tx, job, counts, index, record_identifiers(in), msg) == STORE_OK
                       ? 1
                       : STORE_ERROR;
        }
    }
    /* The identifiers this record adds (those it shares were checked equal above). */
    unsigned added = 0;
    for (int t = 0; t < ID_TYPE_COUNT; t++)
        if (in->field[t] && in->field[t][0] && !(c->field[t] && c->field[t][0]))
            added |= 1u << t;
    contact_merge(c, in);
    if (in->custom_fields)
        c->custom_fields =
            custom_fields_merge(c->custom_fields, in->custom_fields, &live->fields, scratch);
    c->updated_at = now;
    /* A contact this slice created is in the store before it is updated. */
    int rc =
        live->known ? upsert_known_before_update(tx, job->account, live->known, c->id) : STORE_OK;
    if (rc == STORE_OK)
        rc = store_tx_contact_update_known(tx, job->account, c, added);
    if (rc == STORE_OK)
        rc = after_write(tx, job, c, in, live);
    if (rc != STORE_OK)
        return STORE_ERROR;
    written(live, c);
    counts->updated++;
    return 0;
}

/* Apply records [from, to) of b for job, matching through live: the count applied, or
 * STORE_ERROR. */
static long apply_records(store_tx *tx, const job_row *job, const upsert_batch *b, size_t from,
                          size_t to, const upsert_live *live, arena *scratch, job_counts *counts)
{
    long applied = 0;
    for (size_t i = from; i < to; i++) {
        if (upsert_apply_record(tx, job, &b->contacts[i], (int64_t)i, live, scratch, counts) < 0)
            return STORE_ERROR;
        applied++;
        /* Keep the scratch arena small on long slices. */
        if (scratch->total > (4u << 20))
            arena_release(scratch);
    }
    return applied;
}

static long upsert_apply(store_tx *tx, const job_row *job, void *decoded, size_t budget,
                         job_counts *counts, bool *finished)
{
    const upsert_batch *b = decoded;
    size_t from = (size_t)job->cursor;
    size_t to = from + budget < b->count ? from + budget : b->count;
    arena keep = ARENA_INIT, scratch = ARENA_INIT;
    upsert_live live;
    long applied = STORE_ERROR;
    if (upsert_live_load(tx, job->account, b->list_ids, b->list_count, &keep, &live) == STORE_OK) {
        /* The slice's contacts in one statement, not up to four per record. */
        live.known = upsert_known_new(&keep);
        if (upsert_prefetch(tx, job->account, b->contacts + from, to - from, live.known) == STORE_OK)
            applied = apply_records(tx, job, b, from, to, &live, &scratch, counts);
    }
    if (applied >= 0 && upsert_slice_done(tx, job, &live) != STORE_OK)
        applied = STORE_ERROR;
    arena_release(&scratch);
    arena_release(&keep);
    *finished = to >= b->count;
    return applied;
}

/* Whole small jobs of one account as one slice: one map and one lookup for all of them.
 * The map stays exact from one job to the next as within a job: every write adopts what
 * it wrote, and the group holds upserts only (no job that removes an identifier). */
static long upsert_apply_group(store_tx *tx, const job_row *jobs, void *const *decoded, size_t n,
                               job_counts *counts)
{
    arena keep = ARENA_INIT, scratch = ARENA_INIT;
    upsert_known *known = upsert_known_new(&keep);
    upsert_records *groups = arena_alloc(&keep, n * sizeof *groups);
    for (size_t i = 0; i < n; i++) {
        const upsert_batch *b = decoded[i];
        groups[i] = (upsert_records){b->contacts, b->count};
    }
    long applied =
        upsert_prefetch_groups(tx, jobs[0].account, groups, n, known) == STORE_OK ? 0 : STORE_ERROR;
    upsert_live live = {.known = known};
    for (size_t i = 0; applied >= 0 && i < n; i++) {
        const upsert_batch *b = decoded[i];
        long done = STORE_ERROR;
        if (upsert_live_load(tx, jobs[i].account, b->list_ids, b->list_count, &keep, &live) ==
            STORE_OK) {
            live.known = known;
            done = apply_records(tx, &jobs[i], b, 0, b->count, &live, &scratch, &counts[i]);
        }
        applied = done < 0 ? STORE_ERROR : applied + done;
    }
    if (applied >= 0 && upsert_slice_done(tx, &jobs[0], &live) != STORE_OK)
        applied = STORE_ERROR;
    arena_release(&scratch);
    arena_release(&keep);
    return applied;
}

const job_kind_ops job_upsert_ops = {
    .decode = upsert_decode_fn,
    .free = upsert_free_fn,
    .apply = upsert_apply,
    .apply_group = upsert_apply_group,
};
