/*
 * upsert_known: the contacts one slice of upsert records may match, looked up set at a
 * time (issues 15 and 17). Before a slice is applied, upsert_prefetch asks the store once
 * for every value of every identifier type the slice's records carry (one statement,
 * where one lookup per identifier per record cost a round trip each on PostgreSQL);
 * upsert_apply_record then answers its lookups from this map.
 *
 * The map is (identifier type, value) -> contact*, plus (contact id) -> the same
 * contact*, so that a contact found by several identifiers is one object. It stays exact
 * while the slice's records are applied in order: every contact written is adopted again
 * (upsert_known_adopt), which replaces the one object every key points at and adds keys
 * for identifiers it gained; upserts never remove or change an identifier, so no key ever
 * has to go. A value the map has no word on (never prefetched: not UTF-8, see
 * store_tx_contact_find_many) is looked up in the store as before, and the answer
 * adopted.
 *
 * New contacts wait in the map (upsert_known_insert_later) and are inserted together
 * (upsert_known_flush: one statement on PostgreSQL), before an update of one of them and
 * when the slice ends: their ids are made here, so the slice's later records match them
 * from the map whether or not the store has them yet; nothing else the slice writes
 * depends on their rows (list and alternate-email rows name a contact id, no key).
 *
 * Memory: everything lives in the slice's keep arena; strings are copied in, since
 * records' and scratch memory may go before the slice ends (imports free each row).
 */
#include <string.h>

#include "core/utf8.h"
#include "jobs/kinds.h"

/* The contact id's pseudo identifier type. */
#define KNOWN_BY_ID ID_TYPE_COUNT

typedef struct known_entry {
    const char *value; /* NULL: an empty slot */
    contact *c;        /* NULL: known to match no contact */
    int type;          /* an id_type, or KNOWN_BY_ID */
    bool waiting;      /* KNOWN_BY_ID: c is new and not yet sent to the store */
} known_entry;

struct upsert_known {
    arena *keep;
    known_entry *slots;
    size_t cap, used;  /* cap: a power of two */
    contact **waiting; /* new contacts to insert at the next upsert_known_flush, in order */
    size_t nwaiting, waiting_cap;
};

static size_t known_hash(int type, const char *v)
{
    /* FNV-1a over the type and the value. */
    uint64_t h = 1469598103934665603u ^ (uint64_t)type;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        h = (h ^ *p) * 1099511628211u;
    return (size_t)h;
}

/* The slot of (type, v): its entry, or the empty slot where it would go. */
static known_entry *known_slot(const upsert_known *k, int type, const char *v)
{
    size_t m = k->cap - 1;
    for (size_t i = known_hash(type, v) & m;; i = (i + 1) & m) {
        known_entry *e = &k->slots[i];
        if (!e->value || (e->type == type && strcmp(e->value, v) == 0))
            return e;
    }
}

/* Double the table once it is half full (the old slots stay in the arena). */
static void known_grow(upsert_known *k)
{
    known_entry *old = k->slots;
    size_t old_cap = k->cap;
    k->cap = old_cap ? old_cap * 2 : 256;
    k->slots = arena_calloc(k->keep, k->cap, sizeof *k->slots);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].value)
            *known_slot(k, old[i].type, old[i].value) = old[i];
}

/* Point (type, v) at c (NULL: no contact); v is copied when the key is new. */
static void known_put(upsert_known *k, int type, const char *v, contact *c)
{
    if (2 * (k->used + 1) > k->cap)
        known_grow(k);
    known_entry *e = known_slot(k, type, v);
    if (!e->value) {
        e->value = arena_strdup(k->keep, v);
        e->type = type;
        k->used++;
    }
    e->c = c;
}

upsert_known *upsert_known_new(arena *keep)
{
    upsert_known *k = arena_calloc(keep, 1, sizeof *k);
    k->keep = keep;
    known_grow(k);
    return k;
}

bool upsert_known_get(const upsert_known *k, id_type type, const char *value, contact **c)
{
    const known_entry *e = known_slot(k, (int)type, value);
    *c = e->c;
    return e->value != NULL;
}

static const char *keep_str(arena *keep, const char *s)
{
    return s ? arena_strdup(keep, s) : NULL;
}

contact *upsert_known_adopt(upsert_known *k, const contact *row)
{
    known_entry *e = known_slot(k, KNOWN_BY_ID, row->id);
    contact *c = e->value ? e->c : NULL;
    if (!c) {
        c = arena_alloc(k->keep, sizeof *c);
        known_put(k, KNOWN_BY_ID, row->id, c);
    }
    *c = *row;
    for (int i = 0; i < CF_COUNT; i++)
        c->field[i] = keep_str(k->keep, row->field[i]);
    c->alternate_emails = keep_str(k->keep, row->alternate_emails);
    c->custom_fields = keep_str(k->keep, row->custom_fields);
    c->list_ids = c->segment_ids = NULL;
    /* Empty identifiers are stored as NULL: they match nothing. */
    for (int t = 0; t < ID_TYPE_COUNT; t++)
        if (c->field[t] && c->field[t][0])
            known_put(k, t, c->field[t], c);
    return c;
}

/* The distinct values of type t the groups' records carry that the map has no word on yet,
 * each then marked as matching nothing until the store says otherwise. */
static const char **unknown_values(upsert_known *k, id_type t, const upsert_records *groups,
                                   size_t ngroups, arena *a, size_t *count)
{
    size_t n = 0;
    for (size_t g = 0; g < ngroups; g++)
        n += groups[g].n;
    const char **values = arena_alloc(a, (n ? n : 1) * sizeof *values);
    *count = 0;
    for (size_t g = 0; g < ngroups; g++) {
        for (size_t i = 0; i < groups[g].n; i++) {
            const char *v = groups[g].records[i].field[t];
            contact *c;
            /* Not UTF-8: left out of the set lookup, so left to store_tx_contact_find. */
            if (!v || upsert_known_get(k, t, v, &c) || !utf8_valid(v))
                continue;
            known_put(k, t, v, NULL);
            values[(*count)++] = v;
        }
    }
    return values;
}

int upsert_prefetch_groups(store_tx *tx, int64_t account, const upsert_records *groups,
                           size_t ngroups, upsert_known *k)
{
    arena a = ARENA_INIT; /* the rows as read; adopted into keep */
    id_lookup l;
    size_t total = 0;
    for (int t = 0; t < ID_TYPE_COUNT; t++) {
        l.values[t] = unknown_values(k, (id_type)t, groups, ngroups, &a, &l.n[t]);
        total += l.n[t];
    }
    int rc = STORE_OK;
    if (total) {
        contact *rows;
        size_t nrows;
        rc = store_tx_contact_find_many(tx, account, &l, &a, &rows, &nrows);
        for (size_t i = 0; rc == STORE_OK && i < nrows; i++)
            upsert_known_adopt(k, &rows[i]);
    }
    arena_release(&a);
    return rc;
}

int upsert_prefetch(store_tx *tx, int64_t account, const contact_input *records, size_t n,
                    upsert_known *k)
{
    upsert_records one = {records, n};
    return upsert_prefetch_groups(tx, account, &one, 1, k);
}

void upsert_known_insert_later(upsert_known *k, contact *c)
{
    known_slot(k, KNOWN_BY_ID, c->id)->waiting = true;
    k->waiting = arena_grow(k->keep, k->waiting, k->nwaiting, &k->waiting_cap, sizeof *k->waiting);
    k->waiting[k->nwaiting++] = c;
}

int upsert_known_flush(store_tx *tx, int64_t account, upsert_known *k)
{
    if (!k->nwaiting)
        return STORE_OK;
    int rc = store_tx_contact_insert_new_many(tx, account, (const contact *const *)k->waiting,
                                              k->nwaiting);
    for (size_t i = 0; i < k->nwaiting; i++)
        known_slot(k, KNOWN_BY_ID, k->waiting[i]->id)->waiting = false;
    k->nwaiting = 0;
    return rc;
}

int upsert_known_before_update(store_tx *tx, int64_t account, upsert_known *k, const char *id)
{
    const known_entry *e = known_slot(k, KNOWN_BY_ID, id);
    return e->value && e->waiting ? upsert_known_flush(tx, account, k) : STORE_OK;
}
