/*
 * contacts: the contacts of store.h (lookups, insert, update, delete, counts, recent,
 * alternate emails, scans), written once over driver.h for both engines. Every write is
 * noted for segment sync (touch.h). The writer's lookups (store_tx_contact_*) leave out
 * the list ids: jobs never need them, and on PostgreSQL the subquery was most of the
 * planning time of every lookup an upsert makes. A reader's lookup brings the list and
 * segment ids with the row, so that showing a contact costs one statement (on PostgreSQL
 * one round trip, with a kept plan: DB_SQL2_LOOKUP).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/json_writer.h"
#include "core/timeutil.h"
#include "store/contact_row.h"
#include "store/touch.h"

/* ---- lookups ------------------------------------------------------------------------ */

/* A contact by one column (?1 account, ?2 value): with its list and segment ids (both
 * dialects) for readers, without for the writer. */
#define BY(col, ids) \
    "SELECT " CONTACT_COLUMNS("") "," ids " FROM contacts WHERE account_id=?1 AND " col "=?2"
#define READ_BY(col)                                                                          \
    DB_SQL2_LOOKUP(BY(col, LITE_LIST_IDS_OF("contacts") "," LITE_SEGMENT_IDS_OF("contacts")), \
                   BY(col, PG_LIST_IDS_OF("contacts") "," PG_SEGMENT_IDS_OF("contacts")))
#define WRITE_BY(col) DB_SQL(BY(col, "NULL"))

static db_query read_by_id = READ_BY("id"), write_by_id = WRITE_BY("id");
/* In id_type order. */
static db_query read_by_identifier[ID_TYPE_COUNT] = {
    READ_BY("email"), READ_BY("phone_number_id"), READ_BY("external_id"), READ_BY("anonymous_id")};
static db_query write_by_identifier[ID_TYPE_COUNT] = {WRITE_BY("email"), WRITE_BY("phone_number_id"),
                                                      WRITE_BY("external_id"),
                                                      WRITE_BY("anonymous_id")};

/* Run a lookup q bound to (account, value) on c (with_segments: q reads the segment ids
 * too, as a reader's do). */
static int contact_query(db_conn *c, db_query *q, bool with_segments, int64_t account,
                         const char *value, arena *a, contact *out)
{
    db_stmt *st = db_prepare(c, q);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    db_bind_text(st, 2, value);
    int rc = db_step_one(st);
    if (rc == DB_ROW) {
        contact_row_read(st, with_segments, a, out);
        rc = STORE_OK;
    }
    db_done(st);
    return rc;
}

/* contact_query on a pooled reader. */
static int read_query(store *s, db_query *q, int64_t account, const char *value, arena *a,
                      contact *out)
{
    db_conn *c = db_read(s);
    if (!c)
        return STORE_ERROR;
    int rc = contact_query(c, q, true, account, value, a, out);
    db_read_done(s, c);
    return rc;
}

int store_contact_get(store *s, int64_t account, const char *id, arena *a, contact *out)
{
    return read_query(s, &read_by_id, account, id, a, out);
}

int store_contact_exists(store *s, int64_t account, const char *id)
{
    /* The id index alone answers it: no row, no list or segment ids. */
    static db_query q = DB_SQL_LOOKUP("SELECT 1 FROM contacts WHERE account_id=?1 AND id=?2");
    int64_t one;
    return db_read_ints(s, &q, DB_ARGS(DB_INT(account), DB_TEXT(id)), &one, 1);
}

int store_contact_find(store *s, int64_t account, id_type type, const char *value, arena *a,
                       contact *out)
{
    return read_query(s, &read_by_identifier[type], account, value, a, out);
}

int store_tx_contact_get(store_tx *tx, int64_t account, const char *id, arena *a, contact *out)
{
    return contact_query(db_tx(tx), &write_by_id, false, account, id, a, out);
}

int store_tx_contact_find(store_tx *tx, int64_t account, id_type type, const char *value, arena *a,
                          contact *out)
{
    return contact_query(db_tx(tx), &write_by_identifier[type], false, account, value, a, out);
}

/* The writer's contacts of ?1 whose column col is among the JSON array of strings ?p:
 * each value is a probe of the column's unique index on both engines. SQLite: a loop over
 * json_each's values, kept outermost by CROSS JOIN (an IN list would build a temporary
 * index per type and statement, and its page cache cost more than the probes);
 * PostgreSQL: = ANY of an array, not a join that may hash the whole account. */
#define WRITE_BY_ANY_LITE(col, p)                                                          \
    "SELECT " CONTACT_COLUMNS("c.") ",NULL FROM json_each(?" p ") v CROSS JOIN contacts c" \
                                    " WHERE c.account_id=?1 AND c." col "=v.value"
#define WRITE_BY_ANY_PG(col, p)                                                      \
    "SELECT " CONTACT_COLUMNS("") ",NULL FROM contacts WHERE account_id=$1 AND " col \
                                  " = ANY(ARRAY(SELECT json_array_elements_text($" p "::json)))"
/* Every identifier type in one statement, ?2 .. ?5 in id_type order. */
#define WRITE_BY_ANY(by)                                                        \
    by("email", "2") " UNION ALL " by("phone_number_id", "3") " UNION ALL " by( \
        "external_id", "4") " UNION ALL " by("anonymous_id", "5")
_Static_assert(ID_EMAIL == 0 && ID_PHONE_NUMBER_ID == 1 && ID_EXTERNAL_ID == 2 &&
                   ID_ANONYMOUS_ID == 3 && ID_TYPE_COUNT == 4,
               "WRITE_BY_ANY binds the types in id_type order");

/* values as one JSON array of strings into w: one parameter whatever their number, so
 * one prepared statement. A value that is not UTF-8 cannot be written (nor be stored,
 * nor, on PostgreSQL, be bound at all without voiding the whole statement): it is left
 * out. */
static void values_json(json_writer *w, const char *const *values, size_t n)
{
    json_writer_char(w, '[');
    for (size_t i = 0; i < n; i++) {
        size_t before = json_writer_next(w, 1);
        if (!json_writer_cstr(w, values[i]))
            json_writer_truncate(w, before);
    }
    json_writer_char(w, ']');
}

int store_tx_contact_find_many(store_tx *tx, int64_t account, const id_lookup *l, arena *a,
                               contact **rows, size_t *count)
{
    static db_query q = DB_SQL2(WRITE_BY_ANY(WRITE_BY_ANY_LITE), WRITE_BY_ANY(WRITE_BY_ANY_PG));
    *rows = NULL;
    *count = 0;
    json_writer w[ID_TYPE_COUNT];
    for (int t = 0; t < ID_TYPE_COUNT; t++) {
        w[t] = (json_writer)JSON_WRITER_INIT;
        values_json(&w[t], l->values[t], l->n[t]);
    }
    int rc = STORE_ERROR;
    db_stmt *st = db_prepare(db_tx(tx), &q);
    if (st) {
        db_bind_int(st, 1, account);
        for (int t = 0; t < ID_TYPE_COUNT; t++)
            db_bind_text(st, 2 + t, w[t].buf);
        rc = contact_rows_collect(st, false, a, rows, count);
    }
    for (int t = 0; t < ID_TYPE_COUNT; t++)
        json_writer_free(&w[t]);
    return rc;
}

int store_contact_find_email(store *s, int64_t account, const char *email, arena *a, contact *out)
{
    static db_query alt = DB_SQL("SELECT contact_id FROM contact_alternate_emails"
                                 " WHERE account_id=?1 AND email=?2 ORDER BY contact_id LIMIT 1");
    db_conn *c = db_read(s);
    if (!c)
        return STORE_ERROR;
    int rc = contact_query(c, &read_by_identifier[ID_EMAIL], true, account, email, a, out);
    if (rc == STORE_NOT_FOUND) {
        const char **ids;
        size_t n;
        rc = db_collect_account_text(c, &alt, account, email, a, &ids, &n);
        if (rc == STORE_OK)
            rc = n ? contact_query(c, &read_by_id, true, account, ids[0], a, out) : STORE_NOT_FOUND;
    }
    db_read_done(s, c);
    return rc;
}

/* ---- writes ------------------------------------------------------------------------- */

/* Bind the contact columns after id in CONTACT_COLUMNS order, from parameter first on;
 * returns the next parameter. Identifiers that are empty are stored as NULL so that the
 * unique indexes ignore them. */
static int bind_contact(db_stmt *st, int first, const contact *c)
{
    int p = first;
    for (int i = 0; i < CF_COUNT; i++) {
        const char *v = c->field[i];
        if (i < ID_TYPE_COUNT && v && !v[0])
            v = NULL;
        db_bind_text(st, p++, v);
    }
    db_bind_text(st, p++, c->alternate_emails);
    db_bind_text(st, p++, c->custom_fields);
    db_bind_int(st, p++, c->created_at);
    db_bind_int(st, p++, c->updated_at);
    return p;
}

/* ?1 account, ?2 id, then CONTACT_COLUMNS after id (CONTACT_COLUMN_COUNT - 1). */
#define CONTACT_INSERT                                  \
    "INSERT INTO contacts(account_id," CONTACT_COLUMNS( \
        "") ") VALUES(?1,?2,?3,?4,?5,?6,?7,?8,"         \
            "?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23)"

/* q (CONTACT_INSERT) prepared on the writer with c bound, or NULL. */
static db_stmt *insert_bound(store_tx *tx, db_query *q, int64_t account, const contact *c)
{
    db_stmt *st = db_prepare(db_tx(tx), q);
    if (st) {
        db_bind_int(st, 1, account);
        db_bind_text(st, 2, c->id);
        bind_contact(st, 3, c);
    }
    return st;
}

/* After c was inserted (or sent to be). */
static void inserted(store_tx *tx, int64_t account, const contact *c)
{
    db_note_inserted(db_tx(tx), 1);
    store_tx_touch_contact(tx, account, c->id, TOUCH_INSERT, c);
}

/* Insert c with q, run by run (db_exec_found, or db_exec_deferred), and note it. */
static int insert_run(store_tx *tx, db_query *q, int64_t account, const contact *c,
                      int (*run)(db_stmt *))
{
    db_stmt *st = insert_bound(tx, q, account, c);
    int rc = st ? run(st) : STORE_ERROR;
    if (rc == STORE_OK)
        inserted(tx, account, c);
    return rc;
}

int store_tx_contact_insert(store_tx *tx, int64_t account, const contact *c)
{
    /* DO NOTHING: a refused insert must not abort a PostgreSQL transaction. */
    static db_query q = DB_SQL(CONTACT_INSERT " ON CONFLICT DO NOTHING");
    int rc = insert_run(tx, &q, account, c, db_exec_found);
    return rc == STORE_NOT_FOUND ? STORE_CONFLICT : rc;
}

int store_tx_contact_insert_new(store_tx *tx, int64_t account, const contact *c)
{
    /* Plain: a refusal, unexpected here, is an error that fails the sync. */
    static db_query q = DB_SQL(CONTACT_INSERT);
    return insert_run(tx, &q, account, c, db_exec_deferred);
}

/* c as a JSON object of its columns (as bind_contact binds them: NULL columns and empty
 * identifiers left out, so NULL), account_id included: false when a text is not UTF-8. */
static bool contact_json(json_writer *w, int64_t account, const contact *c)
{
    json_writer_cstr_raw(w, "{\"account_id\":");
    json_writer_int(w, account);
    json_writer_cstr_raw(w, ",\"id\":");
    if (!json_writer_cstr(w, c->id))
        return false;
    for (int i = 0; i < CF_COUNT + 2; i++) {
        const char *v = i < CF_COUNT    ? c->field[i]
                        : i == CF_COUNT ? c->alternate_emails
                                        : c->custom_fields;
        if (!v || (i < ID_TYPE_COUNT && !v[0]))
            continue;
        const char *key = i < CF_COUNT    ? contact_fields[i].name
                          : i == CF_COUNT ? "alternate_emails"
                                          : "custom_fields";
        json_writer_char(w, ',');
        if (!json_writer_key(w, key) || !json_writer_cstr(w, v))
            return false;
    }
    json_writer_cstr_raw(w, ",\"created_at\":");
    json_writer_int(w, c->created_at);
    json_writer_cstr_raw(w, ",\"updated_at\":");
    json_writer_int(w, c->updated_at);
    json_writer_char(w, '}');
    return true;
}

int store_tx_contact_insert_new_many(store_tx *tx, int64_t account, const contact *const *cs,
                                     size_t n)
{
    /* Every row as one JSON array, one parameter whatever n is: one statement to parse,
     * plan and start instead of n (each row still probes every unique index). */
    static db_query q = DB_PG_ONLY(
        "INSERT INTO contacts SELECT * FROM json_populate_recordset(NULL::contacts, $1::json)");
    int rc = STORE_OK;
    if (!db_defers(db_tx(tx)) || n < 2) {
        for (size_t i = 0; rc == STORE_OK && i < n; i++)
            rc = store_tx_contact_insert_new(tx, account, cs[i]);
        return rc;
    }
    json_writer w = JSON_WRITER_INIT;
    json_writer_char(&w, '[');
    bool *batched = calloc(n, sizeof *batched);
    if (!batched)
        abort();
    size_t rows = 0;
    for (size_t i = 0; i < n; i++) {
        size_t before = json_writer_next(&w, 1);
        if (contact_json(&w, account, cs[i])) {
            batched[i] = true;
            rows++;
            continue;
        }
        /* Not UTF-8: the statement of one, whose driver knows what to do with it. */
        json_writer_truncate(&w, before);
        if ((rc = store_tx_contact_insert_new(tx, account, cs[i])) != STORE_OK)
            break;
    }
    json_writer_char(&w, ']');
    if (rc == STORE_OK && rows) {
        db_stmt *st = db_prepare(db_tx(tx), &q);
        if (st) {
            db_bind_text(st, 1, w.buf);
            rc = db_exec_deferred(st);
        } else {
            rc = STORE_ERROR;
        }
        for (size_t i = 0; rc == STORE_OK && i < n; i++)
            if (batched[i])
                inserted(tx, account, cs[i]);
    }
    free(batched);
    json_writer_free(&w);
    return rc;
}

/* The update statements, one for each set of identifier columns it rewrites (bit 1 << t
 * for id_type t), built once. Parameters as bind_contact numbers them from 1 (the
 * CONTACT_COLUMNS after id), then ?22 account and ?23 id. SQLite rewrites the entries of
 * every index on a column that the SET names, whether its value changed or not, and each
 * is a B-tree seek and, across a large store, a page of its own in the WAL: so its SET
 * names only the identifiers that may change and never created_at (no update changes it).
 * Removing an identifier then rewrites two of the six indexes, an upsert's update one.
 * PostgreSQL decides by the values (an update that changes an indexed column, as
 * updated_at always is, inserts into every index) and needs every parameter used: one
 * statement that names them all (update_bound's, told apart by db_defers as DB_PG_ONLY
 * ones are). */
#define UPDATE_ID_SETS (1u << ID_TYPE_COUNT)
static db_query update_lite[UPDATE_ID_SETS];
static char update_lite_text[UPDATE_ID_SETS][640];

static void update_queries_build(void)
{
    for (unsigned m = 0; m < UPDATE_ID_SETS; m++) {
        char *out = update_lite_text[m];
        size_t cap = sizeof update_lite_text[m];
        int n = snprintf(out, cap, "UPDATE contacts SET ");
        for (int i = 0; i < CF_COUNT; i++)
            if (i >= ID_TYPE_COUNT || (m & (1u << i)))
                n += snprintf(out + n, cap - (size_t)n, "%s=?%d,", contact_fields[i].name, i + 1);
        n += snprintf(out + n, cap - (size_t)n,
                      "alternate_emails=?18,custom_fields=?19,updated_at=?21"
                      " WHERE account_id=?22 AND id=?23");
        if ((size_t)n >= cap) /* a column added or renamed past the buffer */
            abort();
        update_lite[m] = (db_query)DB_SQLITE_ONLY(out);
    }
}
_Static_assert(CF_COUNT == 17, "update_queries_build numbers the parameters as bind_contact");

/* The update statement for the identifiers id_sets names, prepared on the writer with c
 * bound, or NULL. */
static db_stmt *update_bound(store_tx *tx, int64_t account, const contact *c, unsigned id_sets)
{
    static db_query every = DB_PG_ONLY(
        "UPDATE contacts SET email=?1,phone_number_id=?2,external_id=?3,anonymous_id=?4,"
        "first_name=?5,last_name=?6,unique_name=?7,address_line_1=?8,address_line_2=?9,city=?10,"
        "state_province_region=?11,country=?12,postal_code=?13,phone_number=?14,whatsapp=?15,"
        "line=?16,facebook=?17,alternate_emails=?18,custom_fields=?19,created_at=?20,"
        "updated_at=?21 WHERE account_id=?22 AND id=?23");
    static pthread_once_t built = PTHREAD_ONCE_INIT;
    pthread_once(&built, update_queries_build);
    db_conn *w = db_tx(tx);
    db_stmt *st =
        db_prepare(w, db_defers(w) ? &every : &update_lite[id_sets & (UPDATE_ID_SETS - 1)]);
    if (st) {
        int p = bind_contact(st, 1, c);
        db_bind_int(st, p++, account);
        db_bind_text(st, p, c->id);
    }
    return st;
}

/* Rewrite c, run by run (db_exec_found, or db_exec_deferred for a contact known to be
 * there), and note the update. */
static int update_run(store_tx *tx, int64_t account, const contact *c, unsigned id_sets,
                      int (*run)(db_stmt *))
{
    db_stmt *st = update_bound(tx, account, c, id_sets);
    int rc = st ? run(st) : STORE_ERROR;
    if (rc == STORE_OK)
        store_tx_touch_contact(tx, account, c->id, TOUCH_UPDATE, c);
    return rc;
}

int store_tx_contact_update(store_tx *tx, int64_t account, const contact *c, unsigned id_sets)
{
    return update_run(tx, account, c, id_sets, db_exec_found);
}

int store_tx_contact_update_known(store_tx *tx, int64_t account, const contact *c, unsigned id_sets)
{
    return update_run(tx, account, c, id_sets, db_exec_deferred);
}

static db_query alt_clear =
    DB_SQL("DELETE FROM contact_alternate_emails WHERE account_id=?1 AND contact_id=?2");

/* The contact's rows besides its own, once it is gone: list memberships, segment rows and
 * counts, alternate emails. */
static int contact_remnants_delete(db_conn *c, int64_t account, const char *id)
{
    static db_query members =
        DB_SQL("DELETE FROM list_members WHERE account_id=?1 AND contact_id=?2");
    /* It leaves its segments: their counts, then its rows (one statement on PostgreSQL). */
    static db_query segment_counts =
        DB_SQL2("UPDATE segments SET contacts_count=contacts_count-1 WHERE account_id=?1 AND id IN"
                " (SELECT segment_id FROM segment_members WHERE account_id=?1 AND contact_id=?2)",
                "WITH gone AS (DELETE FROM segment_members WHERE account_id=$1 AND contact_id=$2"
                " RETURNING segment_id) UPDATE segments SET contacts_count=contacts_count-1"
                " WHERE account_id=$1 AND id IN (SELECT segment_id FROM gone)");
    static db_query segment_rows =
        DB_SQLITE_ONLY("DELETE FROM segment_members WHERE account_id=?1 AND contact_id=?2");
    db_query *steps[] = {&members, &segment_counts, &segment_rows, &alt_clear};
    int rc = STORE_OK;
    for (size_t i = 0; rc == STORE_OK && i < sizeof steps / sizeof steps[0]; i++) {
        rc = db_exec_account_text(c, steps[i], account, id);
        if (rc == STORE_NOT_FOUND) /* nothing of that kind to delete */
            rc = STORE_OK;
    }
    return rc;
}

int store_tx_contact_delete(store_tx *tx, int64_t account, const char *id)
{
    static db_query del = DB_SQL("DELETE FROM contacts WHERE account_id=?1 AND id=?2");
    /* Deletions count towards this month's billable_count (store_billable_count). */
    static db_query billing =
        DB_SQL("INSERT INTO billing_deletions(account_id, month, deleted) VALUES(?1,?2,1)"
               " ON CONFLICT(account_id, month) DO UPDATE SET deleted=billing_deletions.deleted+1");
    db_conn *c = db_tx(tx);
    db_stmt *st = db_prepare(c, &del);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    db_bind_text(st, 2, id);
    int rc = db_exec_found(st);
    if (rc != STORE_OK)
        return rc;
    if (!(st = db_prepare(c, &billing)))
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    db_bind_int(st, 2, time_month_utc(time_now_ms()));
    rc = db_exec(st);
    if (rc == STORE_OK)
        rc = contact_remnants_delete(c, account, id);
    if (rc == STORE_OK)
        store_tx_touch_contact(tx, account, id, TOUCH_DELETE, NULL);
    return rc;
}

int store_tx_contact_set_alternates(store_tx *tx, int64_t account, const char *contact_id,
                                    const char *emails_json)
{
    static db_query set =
        DB_SQL2("INSERT OR IGNORE INTO contact_alternate_emails(account_id, email, contact_id)"
                " SELECT ?1, value, ?2 FROM json_each(?3)",
                "INSERT INTO contact_alternate_emails(account_id, email, contact_id)"
                " SELECT $1::bigint, e, $2::text FROM json_array_elements_text($3::json) AS e"
                " ON CONFLICT DO NOTHING");
    db_conn *c = db_tx(tx);
    /* Both deferred: an empty index to clear is no failure, and nothing else can fail. */
    db_stmt *st = db_prepare(c, &alt_clear);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    db_bind_text(st, 2, contact_id);
    int rc = db_exec_deferred(st);
    if (rc != STORE_OK || !emails_json)
        return rc;
    if (!(st = db_prepare(c, &set)))
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    db_bind_text(st, 2, contact_id);
    db_bind_text(st, 3, emails_json);
    return db_exec_deferred(st);
}

/* ---- counts and listings ------------------------------------------------------------ */

int store_contact_count(store *s, int64_t account, int64_t *out)
{
    static db_query q = DB_SQL("SELECT count(*) FROM contacts WHERE account_id=?1");
    int rc = db_read_ints(s, &q, DB_ARGS(DB_INT(account)), out, 1);
    return rc == STORE_NOT_FOUND ? STORE_ERROR : rc;
}

int store_billable_count(store *s, int64_t account, int64_t *out)
{
    static db_query q = DB_SQL(
        "SELECT (SELECT count(*) FROM contacts WHERE account_id=?1)"
        " + COALESCE((SELECT deleted FROM billing_deletions WHERE account_id=?1 AND month=?2),0)");
    int rc = db_read_ints(s, &q, DB_ARGS(DB_INT(account), DB_INT(time_month_utc(time_now_ms()))),
                          out, 1);
    return rc == STORE_NOT_FOUND ? STORE_ERROR : rc;
}

int store_contact_recent(store *s, int64_t account, int64_t limit, arena *a, const char ***ids,
                         size_t *count)
{
    static db_query q = DB_SQL(
        "SELECT r.id FROM (SELECT id, email FROM contacts WHERE account_id=?1"
        " ORDER BY updated_at DESC, id LIMIT ?2) AS r ORDER BY r.email IS NULL, r.email, r.id");
    *ids = NULL;
    *count = 0;
    db_conn *c;
    db_stmt *st = db_read_prepare(s, &q, &c);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    db_bind_int(st, 2, limit);
    int rc = db_collect_strings(st, a, ids, count);
    db_read_done(s, c);
    return rc;
}

int store_contact_list_ids(store *s, int64_t account, const char *contact_id, arena *a,
                           const char ***ids, size_t *count)
{
    static db_query q = DB_SQL("SELECT list_id FROM list_members WHERE account_id=?1"
                               " AND contact_id=?2 ORDER BY list_id");
    *ids = NULL;
    *count = 0;
    db_conn *c = db_read(s);
    if (!c)
        return STORE_ERROR;
    int rc = db_collect_account_text(c, &q, account, contact_id, a, ids, count);
    db_read_done(s, c);
    return rc;
}

int store_tx_contact_ids(store_tx *tx, int64_t account, int64_t limit, arena *a, const char ***ids,
                         size_t *count)
{
    static db_query q = DB_SQL("SELECT id FROM contacts WHERE account_id=?1 LIMIT ?2");
    *ids = NULL;
    *count = 0;
    db_stmt *st = db_prepare(db_tx(tx), &q);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    db_bind_int(st, 2, limit);
    return db_collect_strings(st, a, ids, count);
}

/* ---- scans -------------------------------------------------------------------------- */

/* Creation order walks contacts_by_created, whose order is close to the rows' order on
 * disk; id order (random UUIDs) made every row a random read. On PostgreSQL contacts.id
 * is COLLATE "C": ties order by bytes, as on SQLite. */
#define SCAN(list_ids)                                                              \
    "SELECT " CONTACT_COLUMNS("") "," list_ids " FROM contacts WHERE account_id=?1" \
                                  " AND (created_at,id)>(?2,?3) ORDER BY created_at, id LIMIT ?4"

static int contact_scan(db_conn *c, int64_t account, const scan_cursor *after, int64_t limit,
                        bool with_lists, arena *a, contact **rows, size_t *count)
{
    static db_query plain = DB_SQL(SCAN("NULL"));
    static db_query lists =
        DB_SQL2(SCAN(LITE_LIST_IDS_OF("contacts")), SCAN(PG_LIST_IDS_OF("contacts")));
    *rows = NULL;
    *count = 0;
    db_stmt *st = db_prepare(c, with_lists ? &lists : &plain);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    /* (INT64_MIN, "") sorts before every contact: from the first */
    db_bind_int(st, 2, after ? after->created_at : INT64_MIN);
    db_bind_text(st, 3, after ? after->id : "");
    db_bind_int(st, 4, limit);
    return contact_rows_collect(st, false, a, rows, count);
}

int store_contact_scan(store *s, int64_t account, const scan_cursor *after, int64_t limit,
                       bool with_lists, arena *a, contact **rows, size_t *count)
{
    db_conn *c = db_read(s);
    if (!c) {
        *rows = NULL;
        *count = 0;
        return STORE_ERROR;
    }
    int rc = contact_scan(c, account, after, limit, with_lists, a, rows, count);
    db_read_done(s, c);
    return rc;
}

int store_tx_contact_scan(store_tx *tx, int64_t account, const scan_cursor *after, int64_t limit,
                          bool with_lists, arena *a, contact **rows, size_t *count)
{
    return contact_scan(db_tx(tx), account, after, limit, with_lists, a, rows, count);
}
