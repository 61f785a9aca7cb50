/* Unit tests of the store against a real SQLite file in a temporary directory; the tests
 * of accounts and keys, deferred writes, scans, job listings, export files, import uploads, settings and
 * segments run on PostgreSQL too when CONTACTD_TEST_PG gives the URL of a test cluster
 * (scripts/pg-test-cluster). The others assume SQLite's statement-level errors (a refused
 * statement leaves the transaction usable without a savepoint). */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "core/ids.h"
#include "core/timeutil.h"
#include "store/contact_row.h"
#include "store/store.h"

static char tmpdir[256];
static char dbpath[300];
/* What open_store opens: dbpath, or a PostgreSQL conninfo for the cases run there. */
static const char *store_path = dbpath;

static store *open_store(void)
{
    char err[512] = "";
    store *s = store_open(store_path, err, sizeof err);
    if (!s)
        fprintf(stderr, "store_open(%s): %s\n", store_path, err);
    REQUIRE(s != NULL);
    return s;
}

static store_tx *begin(store *s)
{
    store_tx *tx = NULL;
    REQUIRE(store_tx_begin(s, &tx) == STORE_OK);
    REQUIRE(tx != NULL);
    return tx;
}

static void commit(store_tx *tx)
{
    REQUIRE(store_tx_commit(tx) == STORE_OK);
}

/* ---- the query layer --------------------------------------------------------------- */

/* The contact column list the query files select (store/contact_row.h) names
 * contact_fields[] in order: the SQL and the model agree about which fields exist. */
static void test_contact_columns(void)
{
    CHECK(contact_row_columns_ok());
}

/* ---- migrations ------------------------------------------------------------------- */

static void test_migrations(void)
{
    store *s = open_store();
    int64_t n = -1;
    CHECK_INT(store_account_count(s, &n), STORE_OK);
    CHECK_INT(n, 0);
    store_close(s);

    /* The schema is in the file: look at it with SQLite directly. */
    sqlite3 *db = NULL;
    REQUIRE(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    sqlite3_stmt *st = NULL;
    REQUIRE(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK);
    CHECK_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK(sqlite3_column_int(st, 0) >= 1);
    sqlite3_finalize(st);
    static const char *const tables[] = {"accounts",       "api_keys",   "contacts",
                                         "jobs",           "job_errors", "export_chunks",
                                         "import_uploads", "segments",   "segment_members"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        REQUIRE(sqlite3_prepare_v2(
                    db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?", -1, &st,
                    NULL) == SQLITE_OK);
        sqlite3_bind_text(st, 1, tables[i], -1, SQLITE_STATIC);
        CHECK_INT(sqlite3_step(st), SQLITE_ROW);
        if (!CHECK_INT(sqlite3_column_int(st, 0), 1))
            fprintf(stderr, "    table %s missing\n", tables[i]);
        sqlite3_finalize(st);
    }
    REQUIRE(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK);
    CHECK_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);

    /* Opening again does not re-run the migrations (they would fail on existing tables). */
    s = open_store();
    CHECK_INT(store_account_count(s, &n), STORE_OK);
    CHECK_INT(n, 0);
    store_close(s);
}

static void test_open_failure(void)
{
    char err[512] = "";
    char bad[400];
    snprintf(bad, sizeof bad, "%s/no/such/dir/db.sqlite", tmpdir);
    store *s = store_open(bad, err, sizeof err);
    CHECK_NULL(s);
    CHECK(err[0] != '\0');
    store_close(s);
    store_close(NULL);
}

/* ---- accounts and keys ------------------------------------------------------------- */

typedef struct key_seen {
    char key_id[80], account[80], scopes[80];
    int64_t created_at, revoked_at;
} key_seen;

typedef struct key_list {
    key_seen rows[16];
    int n;
} key_list;

static void collect_key(void *ctx, const store_key_row *row)
{
    key_list *l = ctx;
    if (l->n >= 16)
        return;
    key_seen *k = &l->rows[l->n++];
    snprintf(k->key_id, sizeof k->key_id, "%s", row->key_id ? row->key_id : "(null)");
    snprintf(k->account, sizeof k->account, "%s", row->account ? row->account : "(null)");
    snprintf(k->scopes, sizeof k->scopes, "%s", row->scopes ? row->scopes : "(null)");
    k->created_at = row->created_at;
    k->revoked_at = row->revoked_at;
}

static const key_seen *key_in(const key_list *l, const char *id)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->rows[i].key_id, id) == 0)
            return &l->rows[i];
    return NULL;
}

static void test_accounts_and_keys(void)
{
    store *s = open_store();
    store_tx *tx = begin(s);
    int64_t a1 = 0, a1again = 0, a2 = 0;
    CHECK_INT(store_tx_account_ensure(tx, "alpha", &a1), STORE_OK);
    CHECK_INT(store_tx_account_ensure(tx, "alpha", &a1again), STORE_OK);
    CHECK_INT(store_tx_account_ensure(tx, "beta", &a2), STORE_OK);
    CHECK(a1 > 0);
    CHECK_INT(a1again, a1);
    CHECK(a2 > 0 && a2 != a1);

    uint8_t h1[APIKEY_HASH_LEN], h2[APIKEY_HASH_LEN];
    apikey_hash("secret-1", h1);
    apikey_hash("secret-2", h2);
    CHECK_INT(store_tx_key_add(tx, a1, "key1", h1, "read,write"), STORE_OK);
    CHECK_INT(store_tx_key_add(tx, a2, "key2", h2, "read"), STORE_OK);
    /* the same key id again, even for another account */
    CHECK_INT(store_tx_key_add(tx, a2, "key1", h2, "read"), STORE_CONFLICT);
    /* the transaction is still usable after a conflict */
    CHECK_INT(store_tx_key_add(tx, a1, "key3", h2, "read"), STORE_OK);
    commit(tx);

    /* ensure in a later transaction still finds the same account */
    tx = begin(s);
    CHECK_INT(store_tx_account_ensure(tx, "alpha", &a1again), STORE_OK);
    CHECK_INT(a1again, a1);
    commit(tx);

    int64_t n = 0;
    CHECK_INT(store_account_count(s, &n), STORE_OK);
    CHECK_INT(n, 2);

    store_key k;
    memset(&k, 0, sizeof k);
    CHECK_INT(store_key_find(s, "key1", &k), STORE_OK);
    CHECK_INT(k.account_id, a1);
    CHECK(apikey_hash_equal(k.secret_hash, h1));
    CHECK(!k.revoked);
    CHECK_STR(k.scopes, "read,write");
    CHECK_INT(store_key_find(s, "key2", &k), STORE_OK);
    CHECK_INT(k.account_id, a2);
    CHECK(apikey_hash_equal(k.secret_hash, h2));
    CHECK_STR(k.scopes, "read");
    CHECK_INT(store_key_find(s, "nope", &k), STORE_NOT_FOUND);
    CHECK_INT(store_key_find(s, "KEY1", &k), STORE_NOT_FOUND);

    key_list l;
    memset(&l, 0, sizeof l);
    CHECK_INT(store_key_list(s, collect_key, &l), STORE_OK);
    CHECK_INT(l.n, 3);
    const key_seen *r = key_in(&l, "key1");
    if (CHECK(r != NULL)) {
        CHECK_STR(r->account, "alpha");
        CHECK_STR(r->scopes, "read,write");
        CHECK(r->created_at > 0);
        CHECK_INT(r->revoked_at, 0);
    }
    r = key_in(&l, "key2");
    if (CHECK(r != NULL))
        CHECK_STR(r->account, "beta");
    CHECK(key_in(&l, "key3") != NULL);

    /* revoke */
    tx = begin(s);
    CHECK_INT(store_tx_key_revoke(tx, "key1"), STORE_OK);
    CHECK_INT(store_tx_key_revoke(tx, "key1"), STORE_NOT_FOUND); /* already revoked */
    CHECK_INT(store_tx_key_revoke(tx, "missing"), STORE_NOT_FOUND);
    commit(tx);
    CHECK_INT(store_key_find(s, "key1", &k), STORE_OK);
    CHECK(k.revoked);
    CHECK_INT(store_key_find(s, "key2", &k), STORE_OK);
    CHECK(!k.revoked);
    memset(&l, 0, sizeof l);
    CHECK_INT(store_key_list(s, collect_key, &l), STORE_OK);
    r = key_in(&l, "key1");
    if (CHECK(r != NULL))
        CHECK(r->revoked_at > 0);
    r = key_in(&l, "key2");
    if (CHECK(r != NULL))
        CHECK_INT(r->revoked_at, 0);

    /* a rolled-back transaction leaves nothing behind */
    tx = begin(s);
    int64_t a3 = 0;
    CHECK_INT(store_tx_account_ensure(tx, "gamma", &a3), STORE_OK);
    CHECK_INT(store_tx_key_add(tx, a3, "key9", h1, "read"), STORE_OK);
    store_tx_rollback(tx);
    CHECK_INT(store_key_find(s, "key9", &k), STORE_NOT_FOUND);
    CHECK_INT(store_account_count(s, &n), STORE_OK);
    CHECK_INT(n, 2);

    store_close(s);
}

/* ---- contacts ---------------------------------------------------------------------- */

static void new_contact(contact *c, const char *email, const char *phone, const char *ext,
                        const char *anon)
{
    memset(c, 0, sizeof *c);
    REQUIRE(uuid_generate(c->id) == 0);
    c->field[CF_EMAIL] = email;
    c->field[CF_PHONE_NUMBER_ID] = phone;
    c->field[CF_EXTERNAL_ID] = ext;
    c->field[CF_ANONYMOUS_ID] = anon;
    c->created_at = 1600000000000;
    c->updated_at = 1600000000001;
}

static void test_contacts(void)
{
    store *s = open_store();
    store_tx *tx = begin(s);
    int64_t a1 = 0, a2 = 0;
    CHECK_INT(store_tx_account_ensure(tx, "c-one", &a1), STORE_OK);
    CHECK_INT(store_tx_account_ensure(tx, "c-two", &a2), STORE_OK);

    contact c;
    new_contact(&c, "ann@example.com", "+14155552671", "ext-ann", "anon-ann");
    c.field[CF_FIRST_NAME] = "Ann";
    c.field[CF_CITY] = "P\xc3\xa4ris";
    c.alternate_emails = "[\"ann@work.example\"]";
    c.custom_fields = "{\"e1_T\":\"x\"}";
    CHECK_INT(store_tx_contact_insert(tx, a1, &c), STORE_OK);

    /* visible inside the transaction */
    arena a = ARENA_INIT;
    contact got;
    CHECK_INT(store_tx_contact_get(tx, a1, c.id, &a, &got), STORE_OK);
    CHECK_STR(got.id, c.id);
    CHECK_INT(store_tx_contact_find(tx, a1, ID_EMAIL, "ann@example.com", &a, &got), STORE_OK);
    CHECK_STR(got.id, c.id);
    CHECK_INT(store_tx_contact_find(tx, a2, ID_EMAIL, "ann@example.com", &a, &got), STORE_NOT_FOUND);

    /* same identifiers in another account are fine */
    contact other;
    new_contact(&other, "ann@example.com", "+14155552671", "ext-ann", "anon-ann");
    CHECK_INT(store_tx_contact_insert(tx, a2, &other), STORE_OK);
    commit(tx);

    /* read back everything */
    memset(&got, 0, sizeof got);
    CHECK_INT(store_contact_get(s, a1, c.id, &a, &got), STORE_OK);
    CHECK_STR(got.id, c.id);
    CHECK_STR(got.field[CF_EMAIL], "ann@example.com");
    CHECK_STR(got.field[CF_PHONE_NUMBER_ID], "+14155552671");
    CHECK_STR(got.field[CF_EXTERNAL_ID], "ext-ann");
    CHECK_STR(got.field[CF_ANONYMOUS_ID], "anon-ann");
    CHECK_STR(got.field[CF_FIRST_NAME], "Ann");
    CHECK_STR(got.field[CF_CITY], "P\xc3\xa4ris");
    CHECK_NULL(got.field[CF_LAST_NAME]);
    CHECK_NULL(got.field[CF_FACEBOOK]);
    CHECK_STR(got.alternate_emails, "[\"ann@work.example\"]");
    CHECK_STR(got.custom_fields, "{\"e1_T\":\"x\"}");
    CHECK_INT(got.created_at, 1600000000000);
    CHECK_INT(got.updated_at, 1600000000001);
    CHECK_INT(contact_identifier_count(&got), 4);

    /* find by each identifier type */
    static const char *const values[ID_TYPE_COUNT] = {"ann@example.com", "+14155552671", "ext-ann",
                                                      "anon-ann"};
    for (int t = 0; t < ID_TYPE_COUNT; t++) {
        memset(&got, 0, sizeof got);
        if (!CHECK_INT(store_contact_find(s, a1, (id_type)t, values[t], &a, &got), STORE_OK))
            fprintf(stderr, "    by %s\n", id_type_field((id_type)t));
        CHECK_STR(got.id, c.id);
        memset(&got, 0, sizeof got);
        CHECK_INT(store_contact_find(s, a2, (id_type)t, values[t], &a, &got), STORE_OK);
        CHECK_STR(got.id, other.id);
    }
    /* a value is only found under its own type */
    CHECK_INT(store_contact_find(s, a1, ID_EXTERNAL_ID, "ann@example.com", &a, &got),
              STORE_NOT_FOUND);
    CHECK_INT(store_contact_find(s, a1, ID_EMAIL, "ANN@example.com", &a, &got), STORE_NOT_FOUND);
    CHECK_INT(store_contact_find(s, a1, ID_EMAIL, "nobody@example.com", &a, &got), STORE_NOT_FOUND);

    /* account scoping */
    CHECK_INT(store_contact_get(s, a2, c.id, &a, &got), STORE_NOT_FOUND);
    CHECK_INT(store_contact_get(s, a1, other.id, &a, &got), STORE_NOT_FOUND);
    CHECK_INT(store_contact_get(s, 999, c.id, &a, &got), STORE_NOT_FOUND);
    CHECK_INT(store_contact_get(s, a1, "00000000-0000-4000-8000-000000000000", &a, &got),
              STORE_NOT_FOUND);

    /* uniqueness within an account, per identifier type */
    tx = begin(s);
    contact dup;
    new_contact(&dup, "ann@example.com", NULL, NULL, NULL);
    CHECK_INT(store_tx_contact_insert(tx, a1, &dup), STORE_CONFLICT);
    new_contact(&dup, NULL, "+14155552671", NULL, NULL);
    CHECK_INT(store_tx_contact_insert(tx, a1, &dup), STORE_CONFLICT);
    new_contact(&dup, NULL, NULL, "ext-ann", NULL);
    CHECK_INT(store_tx_contact_insert(tx, a1, &dup), STORE_CONFLICT);
    new_contact(&dup, NULL, NULL, NULL, "anon-ann");
    CHECK_INT(store_tx_contact_insert(tx, a1, &dup), STORE_CONFLICT);
    /* the same value under a different type is not a conflict */
    new_contact(&dup, NULL, NULL, "ann@example.com", NULL);
    CHECK_INT(store_tx_contact_insert(tx, a1, &dup), STORE_OK);
    /* empty identifiers are stored as absent: no conflict between two of them */
    contact e1, e2;
    new_contact(&e1, "e1@example.com", "", "", NULL);
    new_contact(&e2, "e2@example.com", "", "", NULL);
    CHECK_INT(store_tx_contact_insert(tx, a1, &e1), STORE_OK);
    CHECK_INT(store_tx_contact_insert(tx, a1, &e2), STORE_OK);
    commit(tx);
    CHECK_INT(store_contact_get(s, a1, e2.id, &a, &got), STORE_OK);
    CHECK_NULL(got.field[CF_EXTERNAL_ID]);
    CHECK_NULL(got.field[CF_PHONE_NUMBER_ID]);
    CHECK_INT(contact_identifier_count(&got), 1);
    /* the conflicting inserts left nothing behind */
    CHECK_INT(store_contact_find(s, a1, ID_EXTERNAL_ID, "ann@example.com", &a, &got), STORE_OK);
    CHECK_STR(got.id, dup.id);

    /* update */
    tx = begin(s);
    contact upd;
    CHECK_INT(store_tx_contact_get(tx, a1, c.id, &a, &upd), STORE_OK);
    upd.field[CF_FIRST_NAME] = "Anne";
    upd.field[CF_LAST_NAME] = "Lee";
    upd.field[CF_ANONYMOUS_ID] = NULL; /* drop an identifier */
    upd.field[CF_EMAIL] = "anne@example.com";
    upd.custom_fields = NULL;
    upd.updated_at = 1700000000000;
    CHECK_INT(store_tx_contact_update(tx, a1, &upd, 1u << ID_ANONYMOUS_ID | 1u << ID_EMAIL),
              STORE_OK);
    /* updating into another contact's identifier conflicts */
    contact upd2;
    CHECK_INT(store_tx_contact_get(tx, a1, e1.id, &a, &upd2), STORE_OK);
    upd2.field[CF_EMAIL] = "e2@example.com";
    CHECK_INT(store_tx_contact_update(tx, a1, &upd2, 1u << ID_EMAIL), STORE_CONFLICT);
    /* a contact that does not exist in this account */
    CHECK_INT(store_tx_contact_update(tx, a2, &upd, 0), STORE_NOT_FOUND);
    contact ghost;
    new_contact(&ghost, "ghost@example.com", NULL, NULL, NULL);
    CHECK_INT(store_tx_contact_update(tx, a1, &ghost, 0), STORE_NOT_FOUND);
    commit(tx);

    memset(&got, 0, sizeof got);
    CHECK_INT(store_contact_get(s, a1, c.id, &a, &got), STORE_OK);
    CHECK_STR(got.field[CF_FIRST_NAME], "Anne");
    CHECK_STR(got.field[CF_LAST_NAME], "Lee");
    CHECK_STR(got.field[CF_EMAIL], "anne@example.com");
    CHECK_NULL(got.field[CF_ANONYMOUS_ID]);
    CHECK_STR(got.field[CF_EXTERNAL_ID], "ext-ann");
    CHECK_NULL(got.custom_fields);
    CHECK_STR(got.alternate_emails, "[\"ann@work.example\"]");
    CHECK_INT(got.created_at, 1600000000000);
    CHECK_INT(got.updated_at, 1700000000000);
    CHECK_INT(store_contact_find(s, a1, ID_EMAIL, "ann@example.com", &a, &got), STORE_NOT_FOUND);
    CHECK_INT(store_contact_find(s, a1, ID_ANONYMOUS_ID, "anon-ann", &a, &got), STORE_NOT_FOUND);
    CHECK_INT(store_contact_find(s, a1, ID_EMAIL, "anne@example.com", &a, &got), STORE_OK);
    CHECK_STR(got.id, c.id);
    CHECK_INT(store_contact_exists(s, a1, c.id), STORE_OK);
    CHECK_INT(store_contact_exists(s, a2, c.id), STORE_NOT_FOUND);
    CHECK_INT(store_contact_exists(s, a1, ghost.id), STORE_NOT_FOUND);
    /* the released identifier can be taken by another contact now */
    tx = begin(s);
    contact taker;
    new_contact(&taker, "ann@example.com", NULL, NULL, "anon-ann");
    CHECK_INT(store_tx_contact_insert(tx, a1, &taker), STORE_OK);
    commit(tx);
    /* the other account's contact was not touched */
    CHECK_INT(store_contact_get(s, a2, other.id, &a, &got), STORE_OK);
    CHECK_STR(got.field[CF_EMAIL], "ann@example.com");
    CHECK_NULL(got.field[CF_FIRST_NAME]);

    arena_release(&a);
    store_close(s);
}

/* store.h: "Insert a new contact or rewrite an existing one (matched by account and
 * c->id)". */
/* Insert never overwrites: a second insert with the same id is a conflict and the first
 * row stays; rewriting is store_tx_contact_update's job. */
static void test_contact_insert_conflict_keeps_row(void)
{
    store *s = open_store();
    store_tx *tx = begin(s);
    int64_t acc = 0;
    CHECK_INT(store_tx_account_ensure(tx, "rewrite", &acc), STORE_OK);
    contact c;
    new_contact(&c, "first@example.com", NULL, NULL, NULL);
    CHECK_INT(store_tx_contact_insert(tx, acc, &c), STORE_OK);
    c.field[CF_EMAIL] = "second@example.com";
    c.field[CF_FIRST_NAME] = "Second";
    CHECK_INT(store_tx_contact_insert(tx, acc, &c), STORE_CONFLICT);
    commit(tx);
    arena a = ARENA_INIT;
    contact got;
    memset(&got, 0, sizeof got);
    CHECK_INT(store_contact_get(s, acc, c.id, &a, &got), STORE_OK);
    CHECK_STR(got.field[CF_EMAIL], "first@example.com");
    CHECK_NULL(got.field[CF_FIRST_NAME]);
    arena_release(&a);
    store_close(s);
}

/* Which of want[] (NULL-terminated ids) rows[0..n) holds: each exactly once, nothing else. */
static void check_found_ids(const contact *rows, size_t n, const char *const *want)
{
    size_t w = 0;
    for (; want[w]; w++) {
        size_t hits = 0;
        for (size_t i = 0; i < n; i++)
            hits += strcmp(rows[i].id, want[w]) == 0;
        if (!CHECK_INT(hits, 1))
            fprintf(stderr, "  contact %s\n", want[w]);
    }
    CHECK_INT(n, w);
}

/* store_tx_contact_find_many for values of one type, each contact once (it comes once
 * for each value that found it). */
static int find_many_of(store_tx *tx, int64_t account, id_type type, const char *const *values,
                        size_t nv, arena *a, contact **rows, size_t *n)
{
    id_lookup l;
    memset(&l, 0, sizeof l);
    l.values[type] = values;
    l.n[type] = nv;
    int rc = store_tx_contact_find_many(tx, account, &l, a, rows, n);
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++) {
        bool seen = false;
        for (size_t k = 0; k < kept; k++)
            seen = seen || strcmp((*rows)[k].id, (*rows)[i].id) == 0;
        if (!seen)
            (*rows)[kept++] = (*rows)[i];
    }
    *n = kept;
    return rc;
}

/* store_tx_contact_find_many: many values of every type, one statement. Values
 * travel as one JSON array, so quotes, backslashes, controls and non-ASCII must come back
 * as they were stored; a value that is not UTF-8 is left out without voiding the others
 * (PostgreSQL refuses such text outright); no values, no rows. */
static void test_contact_find_many(void)
{
    store *s = open_store();
    store_tx *tx = begin(s);
    int64_t acc = 0, other = 0;
    CHECK_INT(store_tx_account_ensure(tx, "find-many", &acc), STORE_OK);
    CHECK_INT(store_tx_account_ensure(tx, "find-many-other", &other), STORE_OK);
    static const char *const emails[] = {
        "plain@example.com",       "o'quote\"d@example.com",
        "back\\slash@example.com", "j\xc3\xbcrgen@\xc3\xa9xample.com",
        "tab\tnl\n@example.com",   "\xf0\x9f\x98\x80@example.com"};
    static const char *const ext_of[] = {NULL, "ext-1", NULL, "ext-3", NULL, "ext-5"};
    enum { N = sizeof emails / sizeof emails[0] };
    contact c[N], elsewhere;
    for (int i = 0; i < N; i++) {
        new_contact(&c[i], emails[i], NULL, ext_of[i], NULL);
        c[i].custom_fields = "{\"e1_T\":\"x\"}";
        REQUIRE(store_tx_contact_insert(tx, acc, &c[i]) == STORE_OK);
    }
    new_contact(&elsewhere, "plain@example.com", NULL, NULL, NULL);
    REQUIRE(store_tx_contact_insert(tx, other, &elsewhere) == STORE_OK);

    arena a = ARENA_INIT;
    contact *rows;
    size_t n;
    /* every email, a duplicate, an absent one, one that is not UTF-8 */
    const char *values[N + 3];
    for (int i = 0; i < N; i++)
        values[i] = emails[i];
    values[N] = "plain@example.com";
    values[N + 1] = "nobody@example.com";
    values[N + 2] = "bad\xff@example.com";
    CHECK_INT(find_many_of(tx, acc, ID_EMAIL, values, N + 3, &a, &rows, &n), STORE_OK);
    const char *all[N + 1];
    for (int i = 0; i < N; i++)
        all[i] = c[i].id;
    all[N] = NULL;
    check_found_ids(rows, n, all);
    /* the rows as store_tx_contact_find reads them */
    for (size_t i = 0; i < n; i++) {
        contact one;
        CHECK_INT(store_tx_contact_find(tx, acc, ID_EMAIL, rows[i].field[CF_EMAIL], &a, &one),
                  STORE_OK);
        CHECK_STR(rows[i].id, one.id);
        CHECK_STR(rows[i].custom_fields, "{\"e1_T\":\"x\"}");
        CHECK_INT(rows[i].created_at, one.created_at);
        CHECK_NULL(rows[i].list_ids);
    }

    /* another type and the other account */
    const char *exts[] = {"ext-1", "ext-2", "ext-3", "ext-5"};
    CHECK_INT(find_many_of(tx, acc, ID_EXTERNAL_ID, exts, 4, &a, &rows, &n), STORE_OK);
    check_found_ids(rows, n, (const char *const[]){c[1].id, c[3].id, c[5].id, NULL});
    CHECK_INT(find_many_of(tx, other, ID_EMAIL, values, N + 3, &a, &rows, &n), STORE_OK);
    check_found_ids(rows, n, (const char *const[]){elsewhere.id, NULL});

    /* two types at once: a contact found by both comes twice */
    id_lookup both;
    memset(&both, 0, sizeof both);
    both.values[ID_EMAIL] = (const char *const[]){emails[0], emails[1]};
    both.n[ID_EMAIL] = 2;
    both.values[ID_EXTERNAL_ID] = (const char *const[]){"ext-1", "ext-3"};
    both.n[ID_EXTERNAL_ID] = 2;
    CHECK_INT(store_tx_contact_find_many(tx, acc, &both, &a, &rows, &n), STORE_OK);
    CHECK_INT(n, 4);
    size_t c1_hits = 0, c3_hits = 0;
    for (size_t i = 0; i < n; i++) {
        c1_hits += strcmp(rows[i].id, c[1].id) == 0;
        c3_hits += strcmp(rows[i].id, c[3].id) == 0;
    }
    CHECK_INT(c1_hits, 2);
    CHECK_INT(c3_hits, 1);

    /* nothing to look for, or nothing that can be looked for */
    CHECK_INT(find_many_of(tx, acc, ID_EMAIL, NULL, 0, &a, &rows, &n), STORE_OK);
    CHECK_INT(n, 0);
    CHECK_INT(find_many_of(tx, acc, ID_EMAIL, values + N + 1, 2, &a, &rows, &n), STORE_OK);
    CHECK_INT(n, 0);
    commit(tx);
    arena_release(&a);
    store_close(s);
}

/* Deferred writes (store_tx_sync): several sent, one sync, and then visible. A deferred
 * write a unique index refuses fails the sync with STORE_CONFLICT (SQLite, which runs it at
 * once, says so at the call); on PostgreSQL every later call answers the same until the
 * savepoint's rollback, which leaves the transaction usable with what came before it. */
static void test_deferred_writes(void)
{
    store *s = open_store();
    store_tx *tx = begin(s);
    int64_t acc = 0;
    CHECK_INT(store_tx_account_ensure(tx, "deferred", &acc), STORE_OK);
    char list_id[UUID_STR_LEN + 1];
    REQUIRE(uuid_generate(list_id) == 0);
    CHECK_INT(store_tx_list_create(tx, acc, list_id, "deferred-list"), STORE_OK);
    static const char *const emails[] = {"d0@example.com", "d1@example.com", "d2@example.com"};
    enum { N = sizeof emails / sizeof emails[0] };
    contact c[N];
    for (int i = 0; i < N; i++) {
        new_contact(&c[i], emails[i], NULL, NULL, NULL);
        CHECK_INT(store_tx_contact_insert_new(tx, acc, &c[i]), STORE_OK);
        CHECK_INT(store_tx_list_add(tx, acc, list_id, c[i].id), STORE_OK);
    }
    c[0].field[CF_FIRST_NAME] = "Dee";
    c[0].field[CF_EXTERNAL_ID] = "ext-d0";
    CHECK_INT(store_tx_contact_update_known(tx, acc, &c[0], 1u << ID_EXTERNAL_ID), STORE_OK);
    CHECK_INT(store_tx_contact_set_alternates(tx, acc, c[0].id, "[\"alt-d0@example.com\"]"),
              STORE_OK);
    CHECK_INT(store_tx_sync(tx), STORE_OK);
    CHECK_INT(store_tx_sync(tx), STORE_OK); /* nothing left to wait for */
    arena a = ARENA_INIT;
    contact got;
    CHECK_INT(store_tx_contact_find(tx, acc, ID_EXTERNAL_ID, "ext-d0", &a, &got), STORE_OK);
    CHECK_STR(got.id, c[0].id);
    commit(tx);
    list_info l;
    CHECK_INT(store_list_get(s, acc, list_id, &a, &l), STORE_OK);
    CHECK_INT(l.contact_count, N);
    CHECK_INT(store_contact_find_email(s, acc, "alt-d0@example.com", &a, &got), STORE_OK);
    CHECK_STR(got.field[CF_FIRST_NAME], "Dee");

    tx = begin(s);
    contact before, fresh, dup, after;
    new_contact(&before, "before@example.com", NULL, NULL, NULL);
    new_contact(&fresh, "fresh@example.com", NULL, NULL, NULL);
    new_contact(&dup, "d1@example.com", NULL, NULL, NULL); /* c[1]'s email */
    new_contact(&after, "after@example.com", NULL, NULL, NULL);
    CHECK_INT(store_tx_contact_insert_new(tx, acc, &before), STORE_OK);
    CHECK_INT(store_tx_savepoint(tx), STORE_OK);
    CHECK_INT(store_tx_contact_insert_new(tx, acc, &fresh), STORE_OK);
    int rc = store_tx_contact_insert_new(tx, acc, &dup);
    if (rc == STORE_OK) { /* sent: the sync says */
        CHECK(store_is_shared(s));
        CHECK_INT(store_tx_list_add(tx, acc, list_id, fresh.id), STORE_OK);
        rc = store_tx_sync(tx);
        CHECK_INT(store_tx_sync(tx), STORE_CONFLICT);
        CHECK_INT(store_tx_contact_find(tx, acc, ID_EMAIL, "d0@example.com", &a, &got),
                  STORE_CONFLICT);
        CHECK_INT(store_tx_contact_insert_new(tx, acc, &after), STORE_CONFLICT);
    }
    CHECK_INT(rc, STORE_CONFLICT);
    store_tx_savepoint_rollback(tx);
    /* usable again: a lookup, and a deferred update that breaks a unique index */
    CHECK_INT(store_tx_contact_find(tx, acc, ID_EMAIL, "d1@example.com", &a, &got), STORE_OK);
    CHECK_INT(store_tx_savepoint(tx), STORE_OK);
    got.field[CF_EMAIL] = "d2@example.com";
    rc = store_tx_contact_update_known(tx, acc, &got, 1u << ID_EMAIL);
    CHECK_INT(rc == STORE_OK ? store_tx_sync(tx) : rc, STORE_CONFLICT);
    store_tx_savepoint_rollback(tx);
    CHECK_INT(store_tx_contact_insert_new(tx, acc, &after), STORE_OK);
    CHECK_INT(store_tx_sync(tx), STORE_OK);
    commit(tx);
    /* before and after stay; what the savepoints held went with them */
    CHECK_INT(store_contact_get(s, acc, before.id, &a, &got), STORE_OK);
    CHECK_INT(store_contact_get(s, acc, after.id, &a, &got), STORE_OK);
    CHECK_INT(store_contact_get(s, acc, fresh.id, &a, &got), STORE_NOT_FOUND);
    CHECK_INT(store_contact_find(s, acc, ID_EMAIL, "d1@example.com", &a, &got), STORE_OK);
    CHECK_STR(got.id, c[1].id);
    CHECK_INT(store_contact_find(s, acc, ID_EMAIL, "d2@example.com", &a, &got), STORE_OK);
    CHECK_STR(got.id, c[2].id);
    CHECK_INT(store_list_get(s, acc, list_id, &a, &l), STORE_OK);
    CHECK_INT(l.contact_count, N);
    arena_release(&a);
    store_close(s);
}

/* Several new contacts in one call (one statement on PostgreSQL): every column as one
 * insert each would have written it (an empty identifier as NULL, a quote and non-ASCII
 * text as they are), and a row a unique index refuses fails the sync. */
static void test_insert_new_many(void)
{
    store *s = open_store();
    store_tx *tx = begin(s);
    int64_t acc = 0;
    CHECK_INT(store_tx_account_ensure(tx, "many", &acc), STORE_OK);
    contact c[3];
    new_contact(&c[0], "m0@example.com", "", "ext-m0", NULL);
    new_contact(&c[1], "m1@example.com", NULL, NULL, "anon-m1");
    new_contact(&c[2], "m2@example.com", NULL, NULL, NULL);
    c[0].field[CF_FIRST_NAME] = "Zo\"é\\";
    c[0].field[CF_CITY] = "";
    c[0].alternate_emails = "[\"alt-m0@example.com\"]";
    c[0].custom_fields = "{\"e1_N\":5}";
    c[2].created_at = 1700000000000;
    const contact *all[] = {&c[0], &c[1], &c[2]};
    CHECK_INT(store_tx_contact_insert_new_many(tx, acc, all, 3), STORE_OK);
    CHECK_INT(store_tx_sync(tx), STORE_OK);
    commit(tx);
    arena a = ARENA_INIT;
    contact got;
    CHECK_INT(store_contact_get(s, acc, c[0].id, &a, &got), STORE_OK);
    CHECK_STR(got.field[CF_FIRST_NAME], "Zo\"é\\");
    CHECK_STR(got.field[CF_CITY], "");
    CHECK(got.field[CF_PHONE_NUMBER_ID] == NULL || !got.field[CF_PHONE_NUMBER_ID][0]);
    CHECK(got.field[CF_LAST_NAME] == NULL);
    CHECK_STR(got.alternate_emails, "[\"alt-m0@example.com\"]");
    CHECK_STR(got.custom_fields, "{\"e1_N\":5}");
    CHECK_INT(got.updated_at, 1600000000001);
    CHECK_INT(store_contact_find(s, acc, ID_ANONYMOUS_ID, "anon-m1", &a, &got), STORE_OK);
    CHECK_STR(got.id, c[1].id);
    CHECK_INT(store_contact_get(s, acc, c[2].id, &a, &got), STORE_OK);
    CHECK_INT(got.created_at, 1700000000000);

    tx = begin(s);
    contact fresh, dup;
    new_contact(&fresh, "m3@example.com", NULL, NULL, NULL);
    new_contact(&dup, "m1@example.com", NULL, NULL, NULL); /* c[1]'s email */
    const contact *two[] = {&fresh, &dup};
    int rc = store_tx_contact_insert_new_many(tx, acc, two, 2);
    CHECK_INT(rc == STORE_OK ? store_tx_sync(tx) : rc, STORE_CONFLICT);
    store_tx_rollback(tx);
    CHECK_INT(store_contact_get(s, acc, fresh.id, &a, &got), STORE_NOT_FOUND);
    arena_release(&a);
    store_close(s);
}

/* ---- jobs -------------------------------------------------------------------------- */

static void make_job(job_new *j, int64_t account, job_kind kind, const char *payload,
                     int64_t requested)
{
    memset(j, 0, sizeof *j);
    j->account = account;
    j->kind = kind;
    REQUIRE(uuid_generate(j->id) == 0);
    j->payload = payload;
    j->payload_len = strlen(payload);
    j->requested = requested;
    j->accepted_at = 1650000000000;
}

static void test_jobs(void)
{
    store *s = open_store();
    /* The backlog (pending jobs, records still to apply) before this test's jobs. */
    int64_t pending0 = -1, oldest = 0, records0 = -1;
    CHECK_INT(store_job_pending_stats(s, &pending0, &oldest, &records0), STORE_OK);
    store_tx *tx = begin(s);
    int64_t a1 = 0, a2 = 0;
    CHECK_INT(store_tx_account_ensure(tx, "j-one", &a1), STORE_OK);
    CHECK_INT(store_tx_account_ensure(tx, "j-two", &a2), STORE_OK);
    job_row row;
    CHECK_INT(store_tx_job_next(tx, &row), STORE_NOT_FOUND);

    job_new j1, j2;
    const char *p1 =
        "{\"contacts\":[{\"email\":\"a@b.co\"},{\"email\":\"c@d.co\"},{\"email\":\"e@f.co\"}]}";
    make_job(&j1, a1, JOB_UPSERT, p1, 3);
    make_job(&j2, a2, JOB_DELETE_IDENTIFIER, "{\"x\":1}", 1);
    int64_t seq1 = 0, seq2 = 0;
    CHECK_INT(store_tx_job_insert(tx, &j1, &seq1), STORE_OK);
    CHECK_INT(store_tx_job_insert(tx, &j2, &seq2), STORE_OK);
    CHECK(seq1 > 0);
    CHECK(seq2 > seq1);
    /* the same job id twice */
    job_new j1dup = j1;
    int64_t seqdup = 0;
    CHECK_INT(store_tx_job_insert(tx, &j1dup, &seqdup), STORE_CONFLICT);

    /* the oldest pending job comes first */
    memset(&row, 0, sizeof row);
    CHECK_INT(store_tx_job_next(tx, &row), STORE_OK);
    CHECK_INT(row.seq, seq1);
    CHECK_INT(row.account, a1);
    CHECK_STR(row.info.id, j1.id);
    CHECK_INT(row.info.kind, JOB_UPSERT);
    CHECK_INT(row.info.status, JOB_PENDING);
    CHECK_INT(row.cursor, 0);
    CHECK_INT(row.info.counts.requested, 3);
    CHECK_INT(row.info.counts.created, 0);
    CHECK_INT(row.info.counts.errored, 0);
    CHECK_INT(row.info.accepted_at, 1650000000000);

    arena a = ARENA_INIT;
    const char *payload = NULL;
    size_t len = 0;
    CHECK_INT(store_tx_job_payload(tx, seq1, &a, &payload, &len), STORE_OK);
    CHECK_INT(len, strlen(p1));
    CHECK_STR(payload, p1);
    CHECK_INT(store_tx_job_payload(tx, seq2 + 100, &a, &payload, &len), STORE_NOT_FOUND);

    /* progress: still pending, with cursor and counts recorded */
    job_counts c = {.requested = 3, .created = 1, .updated = 0, .deleted = 0, .errored = 1};
    CHECK_INT(store_tx_job_progress(tx, seq1, 2, &c), STORE_OK);
    CHECK_INT(store_tx_job_error_add(tx, seq1, 1, "{\"email\":\"c@d.co\"}", "second record failed"),
              STORE_OK);
    memset(&row, 0, sizeof row);
    CHECK_INT(store_tx_job_next(tx, &row), STORE_OK);
    CHECK_INT(row.seq, seq1);
    CHECK_INT(row.cursor, 2);
    CHECK_INT(row.info.counts.created, 1);
    CHECK_INT(row.info.counts.errored, 1);
    commit(tx);
    /* j1 has 3 - 2 records left, j2 its 1: the backlog grew by 2 jobs and 2 records. */
    int64_t pending = -1, records = -1;
    CHECK_INT(store_job_pending_stats(s, &pending, &oldest, &records), STORE_OK);
    CHECK_INT(pending, pending0 + 2);
    CHECK_INT(records, records0 + 2);
    if (pending0 == 0)
        CHECK_INT(oldest, 1650000000000);

    job_info info;
    memset(&info, 0, sizeof info);
    CHECK_INT(store_job_get(s, a1, j1.id, &info), STORE_OK);
    CHECK_STR(info.id, j1.id);
    CHECK_INT(info.kind, JOB_UPSERT);
    CHECK_INT(info.status, JOB_PENDING);
    CHECK_INT(info.counts.requested, 3);
    CHECK_INT(info.counts.created, 1);
    CHECK_INT(info.counts.errored, 1);
    CHECK_INT(info.accepted_at, 1650000000000);
    CHECK_INT(info.finished_at, 0);

    /* finish */
    tx = begin(s);
    c = (job_counts){.requested = 3, .created = 1, .updated = 1, .errored = 1};
    CHECK_INT(store_tx_job_error_add(tx, seq1, 0, "{\"email\":\"a@b.co\"}", "first record failed"),
              STORE_OK);
    c.errored = 2;
    c.updated = 0;
    CHECK_INT(store_tx_job_finish(tx, seq1, JOB_ERRORED, &c, 1650000009999), STORE_OK);
    /* a finished job is no longer next: the delete job is */
    memset(&row, 0, sizeof row);
    CHECK_INT(store_tx_job_next(tx, &row), STORE_OK);
    CHECK_INT(row.seq, seq2);
    CHECK_INT(row.account, a2);
    CHECK_INT(row.info.kind, JOB_DELETE_IDENTIFIER);
    /* a terminal job stays as it was: finishing it again changes nothing */
    job_counts c2 = {.requested = 3, .errored = 3};
    store_tx_job_finish(tx, seq1, JOB_FAILED, &c2, 1650000099999);
    job_counts c3 = {.requested = 1, .deleted = 1};
    CHECK_INT(store_tx_job_finish(tx, seq2, JOB_COMPLETED, &c3, 1650000010000), STORE_OK);
    CHECK_INT(store_tx_job_next(tx, &row), STORE_NOT_FOUND);
    commit(tx);

    memset(&info, 0, sizeof info);
    CHECK_INT(store_job_get(s, a1, j1.id, &info), STORE_OK);
    CHECK_INT(info.status, JOB_ERRORED);
    CHECK_INT(info.counts.requested, 3);
    CHECK_INT(info.counts.created, 1);
    CHECK_INT(info.counts.updated, 0);
    CHECK_INT(info.counts.errored, 2);
    CHECK_INT(info.finished_at, 1650000009999);
    memset(&info, 0, sizeof info);
    CHECK_INT(store_job_get(s, a2, j2.id, &info), STORE_OK);
    CHECK_INT(info.status, JOB_COMPLETED);
    CHECK_INT(info.kind, JOB_DELETE_IDENTIFIER);
    CHECK_INT(info.counts.deleted, 1);
    CHECK_INT(info.finished_at, 1650000010000);

    /* scoping: another account cannot see the job */
    CHECK_INT(store_job_get(s, a2, j1.id, &info), STORE_NOT_FOUND);
    CHECK_INT(store_job_get(s, a1, j2.id, &info), STORE_NOT_FOUND);
    CHECK_INT(store_job_get(s, a1, "00000000-0000-4000-8000-000000000000", &info), STORE_NOT_FOUND);

    /* errors, in record order */
    job_error_row *rows = NULL;
    size_t n = 99;
    CHECK_INT(store_job_errors(s, a1, j1.id, -1, 100, &a, &rows, &n), STORE_OK);
    if (CHECK_INT(n, 2)) {
        CHECK_INT(rows[0].index, 0);
        CHECK_STR(rows[0].identifiers, "{\"email\":\"a@b.co\"}");
        CHECK_STR(rows[0].message, "first record failed");
        CHECK_INT(rows[1].index, 1);
        CHECK_STR(rows[1].identifiers, "{\"email\":\"c@d.co\"}");
        CHECK_STR(rows[1].message, "second record failed");
    }
    n = 99;
    CHECK_INT(store_job_errors(s, a2, j1.id, -1, 100, &a, &rows, &n), STORE_OK);
    CHECK_INT(n, 0);
    n = 99;
    CHECK_INT(store_job_errors(s, a2, j2.id, -1, 100, &a, &rows, &n), STORE_OK);
    CHECK_INT(n, 0);

    /* many errors: more than one growth of the row array */
    tx = begin(s);
    job_new j3;
    make_job(&j3, a1, JOB_UPSERT, "{}", 40);
    int64_t seq3 = 0;
    CHECK_INT(store_tx_job_insert(tx, &j3, &seq3), STORE_OK);
    for (int i = 39; i >= 0; i--) {
        char msg[32];
        snprintf(msg, sizeof msg, "m%d", i);
        CHECK_INT(store_tx_job_error_add(tx, seq3, i, "{}", msg), STORE_OK);
    }
    job_counts c4 = {.requested = 40, .errored = 40};
    CHECK_INT(store_tx_job_finish(tx, seq3, JOB_FAILED, &c4, 1650000020000), STORE_OK);
    commit(tx);
    CHECK_INT(store_job_errors(s, a1, j3.id, -1, 100, &a, &rows, &n), STORE_OK);
    if (CHECK_INT(n, 40)) {
        bool ordered = true;
        for (size_t i = 0; i < n; i++) {
            char msg[32];
            snprintf(msg, sizeof msg, "m%zu", i);
            if (rows[i].index != (int64_t)i || strcmp(rows[i].message, msg) != 0)
                ordered = false;
        }
        CHECK(ordered);
    }
    /* pages: after an index, at most limit rows, and nothing past the last */
    CHECK_INT(store_job_errors(s, a1, j3.id, 9, 5, &a, &rows, &n), STORE_OK);
    if (CHECK_INT(n, 5)) {
        CHECK_INT(rows[0].index, 10);
        CHECK_INT(rows[4].index, 14);
    }
    CHECK_INT(store_job_errors(s, a1, j3.id, 37, 5, &a, &rows, &n), STORE_OK);
    CHECK_INT(n, 2);
    CHECK_INT(store_job_errors(s, a1, j3.id, 39, 5, &a, &rows, &n), STORE_OK);
    CHECK_INT(n, 0);
    CHECK_INT(store_job_get(s, a1, j3.id, &info), STORE_OK);
    CHECK_INT(info.status, JOB_FAILED);

    arena_release(&a);
    store_close(s);
}

/* ---- scans, jobs by kind, export files, import uploads ------------------------------
 * These run on SQLite and, when CONTACTD_TEST_PG names a PostgreSQL cluster, again on
 * a fresh database there (see main), so the two backends are held to the same answers. */

/* Creation order: created_at, then id (bytes). */
static int cmp_created(const void *x, const void *y)
{
    const contact *a = *(const contact *const *)x, *b = *(const contact *const *)y;
    if (a->created_at != b->created_at)
        return a->created_at < b->created_at ? -1 : 1;
    return strcmp(a->id, b->id);
}

/* billable_count: the contacts of this month, deleted ones included; each job's errors
 * token is random and read back with the job. */
/* A transaction's claims: an account's jobs in seq order, each until it is finished
 * (a claim reads several ahead; accounts take turns between claims), and
 * jobs inserted deferred (no seq asked for) with their payloads. */
static void test_job_claim_ahead(void)
{
    store *s = open_store();
    store_tx *tx = begin(s);
    int64_t a = 0, b = 0;
    CHECK_INT(store_tx_account_ensure(tx, "claim-a", &a), STORE_OK);
    CHECK_INT(store_tx_account_ensure(tx, "claim-b", &b), STORE_OK);
    job_new j[4];
    const char *payloads[4] = {"{\"a\":1}", "{\"a\":2}", "{\"b\":1}", "{\"a\":3}"};
    int64_t accounts[4] = {a, a, b, a};
    for (int i = 0; i < 4; i++) {
        make_job(&j[i], accounts[i], JOB_DELETE_IDENTIFIER, payloads[i], 1);
        CHECK_INT(store_tx_job_insert(tx, &j[i], NULL), STORE_OK);
    }
    bool seen[4] = {false};
    int64_t last_seq[2] = {0, 0};
    arena mem = ARENA_INIT;
    /* A transaction's claims look past the highest seq it claimed (touch.h), so a job
     * another account's look-ahead stepped over is the next transaction's. */
    int taken = 0;
    for (int txs = 0; txs < 3 && taken < 4; txs++) {
        if (txs > 0)
            tx = begin(s);
        job_row row;
        int rc;
        while ((rc = store_tx_job_next(tx, &row)) == STORE_OK) {
            int k = -1;
            for (int i = 0; i < 4; i++)
                if (strcmp(row.info.id, j[i].id) == 0)
                    k = i;
            REQUIRE(k >= 0);
            CHECK(!seen[k]);
            seen[k] = true;
            taken++;
            /* an account's jobs never overtake each other */
            int who = row.account == a ? 0 : 1;
            CHECK(row.seq > last_seq[who]);
            last_seq[who] = row.seq;
            const char *payload = NULL;
            size_t len = 0;
            CHECK_INT(store_tx_job_payload(tx, row.seq, &mem, &payload, &len), STORE_OK);
            CHECK_STR(payload, payloads[k]);
            /* progress keeps it the next job, with its cursor */
            job_counts c = {.requested = 1};
            CHECK_INT(store_tx_job_progress(tx, row.seq, 0, &c), STORE_OK);
            job_row again;
            CHECK_INT(store_tx_job_next(tx, &again), STORE_OK);
            CHECK_INT(again.seq, row.seq);
            c.created = 1;
            CHECK_INT(store_tx_job_finish(tx, row.seq, JOB_COMPLETED, &c, 1650000000001), STORE_OK);
        }
        CHECK_INT(rc, STORE_NOT_FOUND);
        CHECK_INT(store_tx_sync(tx), STORE_OK);
        commit(tx);
    }
    CHECK_INT(taken, 4);
    job_info info;
    for (int i = 0; i < 4; i++) {
        CHECK_INT(store_job_get(s, accounts[i], j[i].id, &info), STORE_OK);
        CHECK_INT(info.status, JOB_COMPLETED);
        CHECK_INT(info.counts.created, 1);
    }
    arena_release(&mem);
    store_close(s);
}

/* The writer reads an account's custom fields once a transaction; every change to them,
 * and a rollback to a savepoint, shows in the next read. */
static void test_fields_in_tx(void)
{
    store *s = open_store();
    arena a = ARENA_INIT;
    store_tx *tx = begin(s);
    int64_t acct = 0;
    CHECK_INT(store_tx_account_ensure(tx, "fields-memo", &acct), STORE_OK);
    field_catalog fc;
    char f1[FIELD_ID_MAX], f2[FIELD_ID_MAX];
    CHECK_INT(store_tx_fields_list(tx, acct, &a, &fc), STORE_OK);
    CHECK_INT(fc.count, 0);
    CHECK_INT(store_tx_field_create(tx, acct, "one", FIELD_TEXT, f1), STORE_OK);
    CHECK_INT(store_tx_fields_list(tx, acct, &a, &fc), STORE_OK);
    CHECK_INT(fc.count, 1);
    CHECK_STR(fc.defs[0].name, "one");
    CHECK_INT(store_tx_savepoint(tx), STORE_OK);
    CHECK_INT(store_tx_field_create(tx, acct, "two", FIELD_NUMBER, f2), STORE_OK);
    CHECK_INT(store_tx_fields_list(tx, acct, &a, &fc), STORE_OK);
    CHECK_INT(fc.count, 2);
    store_tx_savepoint_rollback(tx);
    CHECK_INT(store_tx_fields_list(tx, acct, &a, &fc), STORE_OK);
    CHECK_INT(fc.count, 1);
    CHECK_INT(store_tx_field_rename(tx, acct, f1, "uno"), STORE_OK);
    CHECK_INT(store_tx_fields_list(tx, acct, &a, &fc), STORE_OK);
    CHECK_STR(fc.defs[0].name, "uno");
    CHECK_INT(store_tx_field_insert(tx, acct, "e9_N", 9, "nine", FIELD_NUMBER), STORE_OK);
    CHECK_INT(store_tx_fields_list(tx, acct, &a, &fc), STORE_OK);
    CHECK_INT(fc.count, 2);
    CHECK_INT(store_tx_field_delete(tx, acct, f1), STORE_OK);
    CHECK_INT(store_tx_fields_list(tx, acct, &a, &fc), STORE_OK);
    CHECK_INT(fc.count, 1);
    CHECK_STR(fc.defs[0].id, "e9_N");
    CHECK_INT(store_tx_account_purge(tx, acct, false), STORE_OK);
    CHECK_INT(store_tx_fields_list(tx, acct, &a, &fc), STORE_OK);
    CHECK_INT(fc.count, 0);
    commit(tx);
    arena_release(&a);
    store_close(s);
}

/* Lists page in creation order even when they were created within one millisecond (their
 * ids are random): 20 in one transaction. */
static void test_list_creation_order(void)
{
    store *s = open_store();
    store_tx *tx = begin(s);
    int64_t acc = 0;
    CHECK_INT(store_tx_account_ensure(tx, "list-order", &acc), STORE_OK);
    enum { N = 20 };
    char ids[N][UUID_STR_LEN + 1];
    for (int i = 0; i < N; i++) {
        char name[16];
        snprintf(name, sizeof name, "order-%02d", i);
        REQUIRE(uuid_generate(ids[i]) == 0);
        CHECK_INT(store_tx_list_create(tx, acc, ids[i], name), STORE_OK);
    }
    commit(tx);
    arena a = ARENA_INIT;
    list_info *rows;
    size_t n;
    int64_t total;
    CHECK_INT(store_list_page(s, acc, 0, N, &a, &rows, &n, &total), STORE_OK);
    CHECK_INT(n, N);
    for (size_t i = 0; i < n && i < N; i++)
        CHECK_STR(rows[i].id, ids[i]);
    arena_release(&a);
    store_close(s);
}

static void test_billable_and_tokens(void)
{
    store *s = open_store();
    store_tx *tx = begin(s);
    int64_t acc = 0, other = 0;
    CHECK_INT(store_tx_account_ensure(tx, "bill-one", &acc), STORE_OK);
    CHECK_INT(store_tx_account_ensure(tx, "bill-two", &other), STORE_OK);
    contact cs[3];
    const char *emails[] = {"b0@example.com", "b1@example.com", "b2@example.com"};
    for (int i = 0; i < 3; i++) {
        new_contact(&cs[i], emails[i], NULL, NULL, NULL);
        CHECK_INT(store_tx_contact_insert(tx, acc, &cs[i]), STORE_OK);
    }
    commit(tx);
    int64_t n = -1, billable = -1;
    CHECK_INT(store_billable_count(s, acc, &billable), STORE_OK);
    CHECK_INT(billable, 3);
    tx = begin(s);
    CHECK_INT(store_tx_contact_delete(tx, acc, cs[0].id), STORE_OK);
    CHECK_INT(store_tx_contact_delete(tx, acc, cs[1].id), STORE_OK);
    CHECK_INT(store_tx_contact_delete(tx, acc, cs[1].id), STORE_NOT_FOUND); /* counted once */
    job_new j1, j2;
    make_job(&j1, acc, JOB_UPSERT, "{}", 1);
    make_job(&j2, acc, JOB_UPSERT, "{}", 1);
    int64_t seq = 0;
    CHECK_INT(store_tx_job_insert(tx, &j1, &seq), STORE_OK);
    CHECK_INT(store_tx_job_insert(tx, &j2, &seq), STORE_OK);
    commit(tx);
    CHECK_INT(store_contact_count(s, acc, &n), STORE_OK);
    CHECK_INT(n, 1);
    CHECK_INT(store_billable_count(s, acc, &billable), STORE_OK);
    CHECK_INT(billable, 3);
    CHECK_INT(store_billable_count(s, other, &billable), STORE_OK);
    CHECK_INT(billable, 0);
    job_info i1, i2;
    CHECK_INT(store_job_get(s, acc, j1.id, &i1), STORE_OK);
    CHECK_INT(store_job_get(s, acc, j2.id, &i2), STORE_OK);
    CHECK_INT(strlen(i1.errors_token), JOB_TOKEN_LEN);
    CHECK(strcmp(i1.errors_token, i2.errors_token) != 0);
    store_close(s);
}

static void test_contact_scan(void)
{
    store *s = open_store();
    store_tx *tx = begin(s);
    int64_t acc = 0, other = 0;
    CHECK_INT(store_tx_account_ensure(tx, "scan-one", &acc), STORE_OK);
    CHECK_INT(store_tx_account_ensure(tx, "scan-two", &other), STORE_OK);
    enum { N = 6 };
    contact cs[N];
    char emails[N][40];
    const contact *sorted[N];
    for (int i = 0; i < N; i++) {
        snprintf(emails[i], sizeof emails[i], "scan%d@example.com", i);
        new_contact(&cs[i], emails[i], NULL, NULL, NULL);
        /* three instants, two contacts each (ties order by id), inserted out of order */
        cs[i].created_at = 1600000000000 + (N - 1 - i) / 2;
        sorted[i] = &cs[i];
    }
    /* the extremes of the id space, in one tie, so the tie-break is tested at its ends */
    snprintf(cs[4].id, sizeof cs[4].id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
    snprintf(cs[5].id, sizeof cs[5].id, "00000000-0000-4000-8000-000000000001");
    for (int i = 0; i < N; i++)
        CHECK_INT(store_tx_contact_insert(tx, acc, &cs[i]), STORE_OK);
    qsort(sorted, N, sizeof sorted[0], cmp_created);
    contact foreign;
    new_contact(&foreign, "scan-foreign@example.com", NULL, NULL, NULL);
    CHECK_INT(store_tx_contact_insert(tx, other, &foreign), STORE_OK);
    /* one contact in one list: its row carries the list id when lists are asked for */
    char list_id[UUID_STR_LEN + 1];
    REQUIRE(uuid_generate(list_id) == 0);
    CHECK_INT(store_tx_list_create(tx, acc, list_id, "scanned"), STORE_OK);
    CHECK_INT(store_tx_list_add(tx, acc, list_id, cs[2].id), STORE_OK);
    char want_lists[UUID_STR_LEN + 8];
    snprintf(want_lists, sizeof want_lists, "[\"%s\"]", list_id);
    commit(tx);

    /* pages of 4 from the last contact returned: every contact once, in creation order */
    arena a = ARENA_INIT;
    scan_cursor cur, *after = NULL;
    int seen = 0, pages = 0;
    bool in_order = true, lists_ok = true;
    for (;;) {
        contact *rows = NULL;
        size_t n = 99;
        if (!CHECK_INT(store_contact_scan(s, acc, after, 4, true, &a, &rows, &n), STORE_OK))
            break;
        if (n == 0)
            break;
        CHECK(n <= 4);
        pages++;
        for (size_t i = 0; i < n && seen < N; i++, seen++) {
            if (strcmp(rows[i].id, sorted[seen]->id) != 0 ||
                rows[i].created_at != sorted[seen]->created_at)
                in_order = false;
            const char *want = strcmp(rows[i].id, cs[2].id) == 0 ? want_lists : "[]";
            if (!rows[i].list_ids || strcmp(rows[i].list_ids, want) != 0) {
                lists_ok = false;
                fprintf(stderr, "    %s: list_ids %s, want %s\n", rows[i].id,
                        rows[i].list_ids ? rows[i].list_ids : "(null)", want);
            }
            if (strcmp(rows[i].id, cs[2].id) == 0)
                CHECK_STR(rows[i].field[CF_EMAIL], "scan2@example.com");
        }
        scan_cursor_of(&rows[n - 1], &cur);
        after = &cur;
        if (pages > N)
            break;
    }
    CHECK_INT(seen, N);
    CHECK_INT(pages, 2);
    CHECK(in_order);
    CHECK(lists_ok);

    /* lookups and scans in turn on the readers: each answers rightly (on PostgreSQL a
     * reader's plan mode switches with each, and lookups keep their plans after five) */
    contact *rows = NULL;
    size_t n = 0;
    for (int round = 0; round < 12; round++) {
        contact got;
        const contact *want = &cs[round % N];
        if (!CHECK_INT(store_contact_get(s, acc, want->id, &a, &got), STORE_OK))
            break;
        CHECK_STR(got.field[CF_EMAIL], want->field[CF_EMAIL]);
        CHECK_STR(got.list_ids, want == &cs[2] ? want_lists : "[]");
        CHECK_STR(got.segment_ids, "[]");
        CHECK_INT(store_contact_get(s, other, want->id, &a, &got), STORE_NOT_FOUND);
        CHECK_INT(store_contact_scan(s, acc, NULL, 100, false, &a, &rows, &n), STORE_OK);
        CHECK_INT(n, N);
    }

    /* without lists: the same rows, list_ids NULL */
    CHECK_INT(store_contact_scan(s, acc, NULL, 100, false, &a, &rows, &n), STORE_OK);
    if (CHECK_INT(n, N)) {
        for (int i = 0; i < N; i++) {
            CHECK_STR(rows[i].id, sorted[i]->id);
            CHECK_NULL(rows[i].list_ids);
        }
    }
    /* a cursor between stored contacts: the next one above it */
    scan_cursor mid = {.created_at = sorted[0]->created_at};
    snprintf(mid.id, sizeof mid.id, "00000000-0000-4000-8000-000000000000");
    CHECK_INT(store_contact_scan(s, acc, &mid, 1, false, &a, &rows, &n), STORE_OK);
    if (CHECK_INT(n, 1))
        CHECK_STR(rows[0].id, "00000000-0000-4000-8000-000000000001");
    scan_cursor end;
    scan_cursor_of(sorted[N - 1], &end);
    CHECK_INT(store_contact_scan(s, acc, &end, 10, true, &a, &rows, &n), STORE_OK);
    CHECK_INT(n, 0);
    /* the other account sees its own contact only */
    CHECK_INT(store_contact_scan(s, other, NULL, 10, true, &a, &rows, &n), STORE_OK);
    if (CHECK_INT(n, 1)) {
        CHECK_STR(rows[0].id, foreign.id);
        CHECK_STR(rows[0].list_ids, "[]");
    }
    CHECK_INT(store_contact_scan(s, 987654, NULL, 10, true, &a, &rows, &n), STORE_OK);
    CHECK_INT(n, 0);

    /* inside the transaction, its own writes are scanned; a reader does not see them yet */
    tx = begin(s);
    contact late;
    new_contact(&late, "scan-late@example.com", NULL, NULL, NULL);
    late.created_at = sorted[N - 1]->created_at + 1;
    CHECK_INT(store_tx_contact_insert(tx, acc, &late), STORE_OK);
    CHECK_INT(store_tx_contact_scan(tx, acc, &end, 10, true, &a, &rows, &n), STORE_OK);
    if (CHECK_INT(n, 1)) {
        CHECK_STR(rows[0].id, late.id);
        CHECK_STR(rows[0].list_ids, "[]");
    }
    CHECK_INT(store_tx_contact_scan(tx, acc, NULL, 100, false, &a, &rows, &n), STORE_OK);
    CHECK_INT(n, N + 1);
    if (n == N + 1) {
        CHECK_STR(rows[0].id, sorted[0]->id);
        CHECK_STR(rows[N].id, late.id);
    }
    CHECK_INT(store_contact_scan(s, acc, &end, 10, true, &a, &rows, &n), STORE_OK);
    CHECK_INT(n, 0);
    store_tx_rollback(tx);

    arena_release(&a);
    store_close(s);
}

static void test_job_list_and_payloads(void)
{
    store *s = open_store();
    store_tx *tx = begin(s);
    int64_t acc = 0, other = 0;
    CHECK_INT(store_tx_account_ensure(tx, "jl-one", &acc), STORE_OK);
    CHECK_INT(store_tx_account_ensure(tx, "jl-two", &other), STORE_OK);
    job_new e1, u1, e2, ex;
    make_job(&e1, acc, JOB_EXPORT, "{\"file_type\":\"csv\"}", 0);
    make_job(&u1, acc, JOB_UPSERT, "{\"contacts\":[{\"email\":\"u@x.co\"}]}", 1);
    /* a payload is bytes, not a C string: NULs and high bytes come back as they went */
    static const char bin[] = {'a', 'b', '\0', 'c', (char)0xff, '\0', 'd'};
    make_job(&e2, acc, JOB_EXPORT, "", 0);
    e2.payload = bin;
    e2.payload_len = sizeof bin;
    make_job(&ex, other, JOB_EXPORT, "{\"other\":true}", 0);
    int64_t seq_e1 = 0, seq_u1 = 0, seq_e2 = 0, seq_ex = 0;
    CHECK_INT(store_tx_job_insert(tx, &e1, &seq_e1), STORE_OK);
    CHECK_INT(store_tx_job_insert(tx, &u1, &seq_u1), STORE_OK);
    CHECK_INT(store_tx_job_insert(tx, &e2, &seq_e2), STORE_OK);
    CHECK_INT(store_tx_job_insert(tx, &ex, &seq_ex), STORE_OK);
    commit(tx);

    arena a = ARENA_INIT;
    job_listing *rows = NULL;
    size_t n = 0;
    /* newest first, one kind, with payloads */
    CHECK_INT(store_job_list(s, acc, JOB_EXPORT, 10, &a, &rows, &n), STORE_OK);
    if (CHECK_INT(n, 2)) {
        CHECK_STR(rows[0].info.id, e2.id);
        CHECK_INT(rows[0].info.kind, JOB_EXPORT);
        CHECK_INT(rows[0].info.status, JOB_PENDING);
        CHECK_INT(rows[0].info.accepted_at, 1650000000000);
        CHECK_INT(rows[0].info.finished_at, 0);
        if (CHECK_INT(rows[0].payload_len, sizeof bin))
            CHECK(memcmp(rows[0].payload, bin, sizeof bin) == 0);
        CHECK_INT(rows[0].payload[rows[0].payload_len], '\0');
        CHECK_STR(rows[1].info.id, e1.id);
        CHECK_STR(rows[1].payload, "{\"file_type\":\"csv\"}");
        CHECK_INT(rows[1].payload_len, strlen("{\"file_type\":\"csv\"}"));
    }
    CHECK_INT(store_job_list(s, acc, JOB_EXPORT, 1, &a, &rows, &n), STORE_OK);
    if (CHECK_INT(n, 1))
        CHECK_STR(rows[0].info.id, e2.id);
    CHECK_INT(store_job_list(s, acc, JOB_UPSERT, 10, &a, &rows, &n), STORE_OK);
    if (CHECK_INT(n, 1)) {
        CHECK_STR(rows[0].info.id, u1.id);
        CHECK_INT(rows[0].info.counts.requested, 1);
        CHECK_STR(rows[0].payload, u1.payload);
    }
    CHECK_INT(store_job_list(s, acc, JOB_DELETE_CONTACTS, 10, &a, &rows, &n), STORE_OK);
    CHECK_INT(n, 0);
    CHECK_INT(store_job_list(s, other, JOB_EXPORT, 10, &a, &rows, &n), STORE_OK);
    if (CHECK_INT(n, 1))
        CHECK_STR(rows[0].info.id, ex.id);

    /* payloads while pending, by id and account */
    const char *payload = NULL;
    size_t len = 0;
    CHECK_INT(store_job_payload_get(s, acc, e2.id, &a, &payload, &len), STORE_OK);
    if (CHECK_INT(len, sizeof bin))
        CHECK(memcmp(payload, bin, sizeof bin) == 0);
    CHECK_INT(store_job_payload_get(s, acc, u1.id, &a, &payload, &len), STORE_OK);
    CHECK_STR(payload, u1.payload);
    CHECK_INT(store_job_payload_get(s, other, e1.id, &a, &payload, &len), STORE_NOT_FOUND);
    CHECK_INT(
        store_job_payload_get(s, acc, "00000000-0000-4000-8000-000000000000", &a, &payload, &len),
        STORE_NOT_FOUND);

    /* finishing keeps an export's payload and drops an upsert's */
    tx = begin(s);
    job_counts done_counts = {.requested = 1, .created = 1};
    CHECK_INT(store_tx_job_finish(tx, seq_e1, JOB_COMPLETED, &done_counts, 1650000001000), STORE_OK);
    CHECK_INT(store_tx_job_finish(tx, seq_u1, JOB_COMPLETED, &done_counts, 1650000002000), STORE_OK);
    commit(tx);
    CHECK_INT(store_job_payload_get(s, acc, e1.id, &a, &payload, &len), STORE_OK);
    CHECK_STR(payload, "{\"file_type\":\"csv\"}");
    CHECK_INT(len, strlen("{\"file_type\":\"csv\"}"));
    CHECK_INT(store_job_payload_get(s, acc, u1.id, &a, &payload, &len), STORE_NOT_FOUND);
    CHECK_INT(store_job_list(s, acc, JOB_EXPORT, 10, &a, &rows, &n), STORE_OK);
    if (CHECK_INT(n, 2)) {
        CHECK_STR(rows[1].info.id, e1.id);
        CHECK_INT(rows[1].info.status, JOB_COMPLETED);
        CHECK_INT(rows[1].info.finished_at, 1650000001000);
        CHECK_INT(rows[1].info.counts.created, 1);
        CHECK_STR(rows[1].payload, "{\"file_type\":\"csv\"}");
    }
    /* a finished upsert is still listed, with an empty payload */
    CHECK_INT(store_job_list(s, acc, JOB_UPSERT, 10, &a, &rows, &n), STORE_OK);
    if (CHECK_INT(n, 1)) {
        CHECK_INT(rows[0].info.status, JOB_COMPLETED);
        CHECK_INT(rows[0].info.finished_at, 1650000002000);
        CHECK_INT(rows[0].payload_len, 0);
        CHECK_STR(rows[0].payload, "");
    }

    /* the account of a job, by id alone */
    int64_t owner = 0;
    CHECK_INT(store_job_account(s, e1.id, &owner), STORE_OK);
    CHECK_INT(owner, acc);
    CHECK_INT(store_job_account(s, ex.id, &owner), STORE_OK);
    CHECK_INT(owner, other);
    CHECK_INT(store_job_account(s, "00000000-0000-4000-8000-000000000000", &owner), STORE_NOT_FOUND);
    /* an id that is not UTF-8 names no job (PostgreSQL would refuse it as text) */
    CHECK_INT(store_job_account(s, "\xff\xfe", &owner), STORE_NOT_FOUND);

    arena_release(&a);
    store_close(s);
}

static void test_export_chunks(void)
{
    store *s = open_store();
    store_tx *tx = begin(s);
    int64_t acc = 0, other = 0;
    CHECK_INT(store_tx_account_ensure(tx, "ex-one", &acc), STORE_OK);
    CHECK_INT(store_tx_account_ensure(tx, "ex-two", &other), STORE_OK);
    job_new j;
    make_job(&j, acc, JOB_EXPORT, "{\"file_type\":\"csv\"}", 0);
    int64_t seq = 0;
    CHECK_INT(store_tx_job_insert(tx, &j, &seq), STORE_OK);

    arena a = ARENA_INIT;
    export_tail t;
    memset(&t, 0xAB, sizeof t);
    CHECK_INT(store_tx_export_tail(tx, seq, &a, &t), STORE_OK);
    CHECK_INT(t.file_no, 0);
    CHECK_INT(t.chunk_no, 0);
    CHECK_INT(t.file_bytes, 0);
    CHECK_NULL(t.last_id);

    static const char d1[] = {'e', 'm', 'a', 'i', 'l', '\n', '\0', (char)0x80, 'x', '\n'};
    static const char d2[] = "a@b.co\n";
    static const char d3[] = "c@d.co\n";
    CHECK_INT(store_tx_export_chunk_add(tx, seq, 1, 1, "id-1", d1, sizeof d1, 5000), STORE_OK);
    CHECK_INT(store_tx_export_chunk_add(tx, seq, 1, 2, "id-2", d2, strlen(d2), 5000), STORE_OK);
    CHECK_INT(store_tx_export_tail(tx, seq, &a, &t), STORE_OK);
    CHECK_INT(t.file_no, 1);
    CHECK_INT(t.chunk_no, 2);
    CHECK_INT(t.file_bytes, (int64_t)(sizeof d1 + strlen(d2)));
    CHECK_STR(t.last_id, "id-2");
    /* a chunk number taken: a conflict, and the transaction goes on */
    CHECK_INT(store_tx_export_chunk_add(tx, seq, 1, 2, "id-x", "zz", 2, 5000), STORE_CONFLICT);
    CHECK_INT(store_tx_export_chunk_add(tx, seq, 2, 3, "id-3", d3, strlen(d3), 9000), STORE_OK);
    CHECK_INT(store_tx_export_tail(tx, seq, &a, &t), STORE_OK);
    CHECK_INT(t.file_no, 2);
    CHECK_INT(t.chunk_no, 3);
    CHECK_INT(t.file_bytes, (int64_t)strlen(d3));
    CHECK_STR(t.last_id, "id-3");
    commit(tx);

    int64_t files = -1;
    CHECK_INT(store_export_file_count(s, acc, j.id, &files), STORE_OK);
    CHECK_INT(files, 2);
    files = -1;
    CHECK_INT(store_export_file_count(s, other, j.id, &files), STORE_OK);
    CHECK_INT(files, 0);
    files = -1;
    CHECK_INT(store_export_file_count(s, acc, "00000000-0000-4000-8000-000000000000", &files),
              STORE_OK);
    CHECK_INT(files, 0);

    /* file 1 chunk by chunk, then file 2 */
    int64_t chunk = 0;
    const char *data = NULL;
    size_t len = 0;
    CHECK_INT(store_export_chunk_next(s, acc, j.id, 1, 0, 1, &a, &chunk, &data, &len), STORE_OK);
    CHECK_INT(chunk, 1);
    if (CHECK_INT(len, sizeof d1))
        CHECK(memcmp(data, d1, sizeof d1) == 0);
    CHECK_INT(data[len], '\0');
    CHECK_INT(store_export_chunk_next(s, acc, j.id, 1, chunk, 1, &a, &chunk, &data, &len), STORE_OK);
    CHECK_INT(chunk, 2);
    CHECK_INT(len, strlen(d2));
    CHECK_STR(data, d2);
    CHECK_INT(store_export_chunk_next(s, acc, j.id, 1, chunk, 1, &a, &chunk, &data, &len),
              STORE_NOT_FOUND);
    CHECK_INT(store_export_chunk_next(s, acc, j.id, 2, 0, 1, &a, &chunk, &data, &len), STORE_OK);
    CHECK_INT(chunk, 3);
    CHECK_STR(data, d3);
    CHECK_INT(store_export_chunk_next(s, other, j.id, 1, 0, 1, &a, &chunk, &data, &len),
              STORE_NOT_FOUND);
    CHECK_INT(store_export_chunk_next(s, acc, j.id, 3, 0, 1, &a, &chunk, &data, &len),
              STORE_NOT_FOUND);
    /* several chunks in one read: file 1 whole, in order, and nothing of file 2 */
    CHECK_INT(store_export_chunk_next(s, acc, j.id, 1, 0, 32, &a, &chunk, &data, &len), STORE_OK);
    CHECK_INT(chunk, 2);
    if (CHECK_INT(len, sizeof d1 + strlen(d2))) {
        CHECK(memcmp(data, d1, sizeof d1) == 0);
        CHECK(memcmp(data + sizeof d1, d2, strlen(d2)) == 0);
    }
    CHECK_INT(data[len], '\0');

    /* disk use: the files that have not expired at now, and the pending job's body */
    store_usage *u;
    size_t nu;
    CHECK_INT(store_usage_list(s, acc, 0, &a, &u, &nu), STORE_OK);
    if (CHECK_INT(nu, 1)) {
        CHECK_INT(u[0].account, acc);
        CHECK_STR(u[0].name, "ex-one");
        CHECK_INT(u[0].export_bytes, (int64_t)(sizeof d1 + strlen(d2) + strlen(d3)));
        CHECK_INT(u[0].payload_bytes, (int64_t)strlen("{\"file_type\":\"csv\"}"));
    }
    CHECK_INT(store_usage_list(s, acc, 5000, &a, &u, &nu), STORE_OK);
    if (CHECK_INT(nu, 1))
        CHECK_INT(u[0].export_bytes, (int64_t)strlen(d3));
    CHECK_INT(store_usage_list(s, other, 0, &a, &u, &nu), STORE_OK);
    if (CHECK_INT(nu, 1)) /* one row for the account asked about, zeros included */
        CHECK(u[0].account == other && u[0].export_bytes == 0 && u[0].payload_bytes == 0);
    CHECK_INT(store_usage_list(s, 0, 0, &a, &u, &nu), STORE_OK);
    bool seen_acc = false, seen_other = false;
    for (size_t i = 0; i < nu; i++) {
        seen_acc |= u[i].account == acc;
        seen_other |= u[i].account == other; /* keeps nothing: not listed */
    }
    CHECK(seen_acc && !seen_other);

    /* a read stops at the chunk that brings it to STORE_EXPORT_READ_BYTES: three chunks of
     * 0.6 of it come as two reads, 2 + 1 */
    size_t big = STORE_EXPORT_READ_BYTES * 6 / 10;
    char *blob = malloc(big);
    REQUIRE(blob != NULL);
    memset(blob, 'b', big);
    job_new j2;
    make_job(&j2, other, JOB_EXPORT, "{}", 0);
    int64_t seq2 = 0;
    tx = begin(s);
    CHECK_INT(store_tx_job_insert(tx, &j2, &seq2), STORE_OK);
    for (int k = 1; k <= 3; k++)
        CHECK_INT(store_tx_export_chunk_add(tx, seq2, 1, k, "z", blob, big, 9000), STORE_OK);
    commit(tx);
    free(blob);
    CHECK_INT(store_export_chunk_next(s, other, j2.id, 1, 0, 32, &a, &chunk, &data, &len), STORE_OK);
    CHECK_INT(chunk, 2);
    CHECK_INT(len, 2 * big);
    CHECK_INT(store_export_chunk_next(s, other, j2.id, 1, 2, 32, &a, &chunk, &data, &len), STORE_OK);
    CHECK_INT(chunk, 3);
    CHECK_INT(len, big);
    CHECK_INT(store_export_chunk_next(s, other, j2.id, 1, 3, 32, &a, &chunk, &data, &len),
              STORE_NOT_FOUND);

    /* purge: only what expired before now */
    tx = begin(s);
    int64_t deleted = -1;
    CHECK_INT(store_tx_export_purge(tx, 5000, &deleted), STORE_OK);
    CHECK_INT(deleted, 0);
    CHECK_INT(store_tx_export_purge(tx, 6000, &deleted), STORE_OK);
    CHECK_INT(deleted, 2);
    commit(tx);
    CHECK_INT(store_export_chunk_next(s, acc, j.id, 1, 0, 1, &a, &chunk, &data, &len),
              STORE_NOT_FOUND);
    CHECK_INT(store_export_file_count(s, acc, j.id, &files), STORE_OK);
    CHECK_INT(files, 2);
    tx = begin(s);
    CHECK_INT(store_tx_export_purge(tx, 9001, NULL), STORE_OK);
    CHECK_INT(store_tx_export_tail(tx, seq, &a, &t), STORE_OK);
    CHECK_INT(t.file_no, 0);
    CHECK_NULL(t.last_id);
    commit(tx);
    CHECK_INT(store_export_file_count(s, acc, j.id, &files), STORE_OK);
    CHECK_INT(files, 0);

    arena_release(&a);
    store_close(s);
}

static void test_uploads(void)
{
    store *s = open_store();
    store_tx *tx = begin(s);
    int64_t acc = 0, other = 0;
    CHECK_INT(store_tx_account_ensure(tx, "up-one", &acc), STORE_OK);
    CHECK_INT(store_tx_account_ensure(tx, "up-two", &other), STORE_OK);
    char id1[UUID_STR_LEN + 1], id2[UUID_STR_LEN + 1];
    REQUIRE(uuid_generate(id1) == 0);
    REQUIRE(uuid_generate(id2) == 0);
    const char *spec = "{\"field_mappings\":[\"_rf1_T\",null],\"list_ids\":[]}";
    CHECK_INT(store_tx_upload_create(tx, acc, id1, "token-1", spec, 1650000000123), STORE_OK);
    /* the same job id again, even for another account: refused, the first one stays,
     * and the transaction goes on */
    CHECK_INT(store_tx_upload_create(tx, other, id1, "token-x", "{}", 1), STORE_CONFLICT);
    CHECK_INT(store_tx_upload_create(tx, other, id2, "token-2", "{}", 1650000000456), STORE_OK);
    commit(tx);

    arena a = ARENA_INIT;
    import_upload u;
    memset(&u, 0, sizeof u);
    CHECK_INT(store_upload_get(s, id1, &a, &u), STORE_OK);
    CHECK_INT(u.account, acc);
    CHECK_STR(u.token, "token-1");
    CHECK_STR(u.spec, spec);
    CHECK_INT(u.created_at, 1650000000123);
    CHECK_INT(store_upload_get(s, id2, &a, &u), STORE_OK);
    CHECK_INT(u.account, other);
    CHECK_STR(u.token, "token-2");
    CHECK_STR(u.spec, "{}");
    CHECK_INT(store_upload_get(s, "00000000-0000-4000-8000-000000000000", &a, &u), STORE_NOT_FOUND);
    CHECK_INT(store_upload_get(s, "\xc3\x28", &a, &u), STORE_NOT_FOUND);

    /* a rolled-back reservation leaves nothing */
    char id3[UUID_STR_LEN + 1];
    REQUIRE(uuid_generate(id3) == 0);
    tx = begin(s);
    CHECK_INT(store_tx_upload_create(tx, acc, id3, "token-3", "{}", 1), STORE_OK);
    store_tx_rollback(tx);
    CHECK_INT(store_upload_get(s, id3, &a, &u), STORE_NOT_FOUND);

    /* purge: only the reservations made before the cut-off */
    tx = begin(s);
    CHECK_INT(store_tx_upload_purge(tx, 1650000000123), STORE_OK);
    commit(tx);
    CHECK_INT(store_upload_get(s, id1, &a, &u), STORE_OK);
    CHECK_INT(store_upload_get(s, id2, &a, &u), STORE_OK);
    tx = begin(s);
    CHECK_INT(store_tx_upload_purge(tx, 1650000000124), STORE_OK);
    commit(tx);
    CHECK_INT(store_upload_get(s, id1, &a, &u), STORE_NOT_FOUND);
    CHECK_INT(store_upload_get(s, id2, &a, &u), STORE_OK);

    arena_release(&a);
    store_close(s);
}

/* ---- durability -------------------------------------------------------------------- */

static char saved_contact_id[UUID_STR_LEN + 1];
static char saved_job_id[UUID_STR_LEN + 1];
static int64_t saved_account;


/* ---- administration (issue 12) ------------------------------------------------------ */

static int64_t account_named(store *s, const char *name, arena *a, int64_t parent)
{
    store_tx *tx = begin(s);
    int64_t id = 0;
    CHECK_INT(store_tx_account_create(tx, name, parent, &id), STORE_OK);
    commit(tx);
    store_account acc;
    CHECK_INT(store_account_find(s, name, a, &acc), STORE_OK);
    CHECK_INT(acc.id, id);
    return id;
}

static void test_admin_accounts(void)
{
    store *s = open_store();
    arena a = ARENA_INIT;
    int64_t parent = account_named(s, "adm-parent", &a, 0);
    int64_t child = account_named(s, "adm-child", &a, parent);
    store_tx *tx = begin(s);
    int64_t dup = 0;
    CHECK_INT(store_tx_account_create(tx, "adm-parent", 0, &dup), STORE_CONFLICT);
    commit(tx);

    store_account acc;
    CHECK_INT(store_account_find(s, "adm-child", &a, &acc), STORE_OK);
    CHECK_INT(acc.parent_id, parent);
    CHECK_STR(acc.parent, "adm-parent");
    CHECK(acc.created_at > 0);
    CHECK_INT(store_account_find(s, "adm-none", &a, &acc), STORE_NOT_FOUND);
    store_account *rows;
    size_t n;
    CHECK_INT(store_account_list(s, 0, &a, &rows, &n), STORE_OK);
    bool seen = false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].name, "adm-parent") == 0)
            seen = rows[i].parent == NULL && rows[i].parent_id == 0;
    CHECK(seen);
    /* the subusers of one parent alone */
    CHECK_INT(store_account_list(s, parent, &a, &rows, &n), STORE_OK);
    REQUIRE(n == 1);
    CHECK_STR(rows[0].name, "adm-child");
    CHECK_INT(store_account_list(s, child, &a, &rows, &n), STORE_OK);
    CHECK_INT(n, 0);

    /* data in both accounts; a purge of one leaves the other, and keeps its keys */
    uint8_t h[APIKEY_HASH_LEN];
    apikey_hash("s", h);
    tx = begin(s);
    CHECK_INT(store_tx_key_add(tx, child, "adm-key", h, "full"), STORE_OK);
    char fid[FIELD_ID_MAX];
    for (int64_t acct = parent; acct; acct = acct == parent ? child : 0) {
        contact c;
        memset(&c, 0, sizeof c);
        REQUIRE(uuid_generate(c.id) == 0);
        c.field[CF_EMAIL] = "adm@example.com";
        c.created_at = c.updated_at = 1;
        CHECK_INT(store_tx_contact_insert(tx, acct, &c), STORE_OK);
        char lid[UUID_STR_LEN + 1];
        REQUIRE(uuid_generate(lid) == 0);
        CHECK_INT(store_tx_list_create(tx, acct, lid, "L"), STORE_OK);
        CHECK_INT(store_tx_list_add(tx, acct, lid, c.id), STORE_OK);
        CHECK_INT(store_tx_field_create(tx, acct, "f", FIELD_TEXT, fid), STORE_OK);
        job_new j;
        make_job(&j, acct, JOB_UPSERT, "{}", 1);
        int64_t seq;
        CHECK_INT(store_tx_job_insert(tx, &j, &seq), STORE_OK);
    }
    CHECK_INT(store_tx_account_purge(tx, child, false), STORE_OK);
    commit(tx);
    int64_t count = -1;
    CHECK_INT(store_contact_count(s, child, &count), STORE_OK);
    CHECK_INT(count, 0);
    CHECK_INT(store_contact_count(s, parent, &count), STORE_OK);
    CHECK_INT(count, 1);
    field_catalog fc;
    CHECK_INT(store_fields_list(s, child, &a, &fc), STORE_OK);
    CHECK_INT(fc.count, 0);
    job_info *jobs;
    CHECK_INT(store_job_list_all(s, child, -1, 10, &a, &jobs, &n), STORE_OK);
    CHECK_INT(n, 0);
    CHECK_INT(store_job_list_all(s, parent, -1, 10, &a, &jobs, &n), STORE_OK);
    CHECK_INT(n, 1);
    CHECK_INT(store_job_list_all(s, parent, JOB_COMPLETED, 10, &a, &jobs, &n), STORE_OK);
    CHECK_INT(n, 0);
    store_key k;
    CHECK_INT(store_key_find(s, "adm-key", &k), STORE_OK);

    /* field ids start again after a purge */
    tx = begin(s);
    CHECK_INT(store_tx_field_create(tx, child, "g", FIELD_TEXT, fid), STORE_OK);
    CHECK_STR(fid, "e1_T");
    /* keys are deleted only through their own account */
    CHECK_INT(store_tx_key_delete(tx, parent, "adm-key"), STORE_NOT_FOUND);
    CHECK_INT(store_tx_key_delete(tx, child, "adm-key"), STORE_OK);
    CHECK_INT(store_tx_key_delete(tx, child, "adm-key"), STORE_NOT_FOUND);
    /* deleting the parent frees its subuser */
    CHECK_INT(store_tx_account_purge(tx, parent, true), STORE_OK);
    commit(tx);
    CHECK_INT(store_account_find(s, "adm-parent", &a, &acc), STORE_NOT_FOUND);
    CHECK_INT(store_account_find(s, "adm-child", &a, &acc), STORE_OK);
    CHECK_INT(acc.parent_id, 0);
    CHECK_NULL(acc.parent);
    tx = begin(s);
    CHECK_INT(store_tx_account_purge_all(tx), STORE_OK);
    commit(tx);
    CHECK_INT(store_fields_list(s, child, &a, &fc), STORE_OK);
    CHECK_INT(fc.count, 0);
    arena_release(&a);
    store_close(s);
}

static void test_job_delay(void)
{
    store *s = open_store();
    arena a = ARENA_INIT;
    int64_t slow = account_named(s, "delay-slow", &a, 0);
    int64_t fast = account_named(s, "delay-fast", &a, 0);
    int64_t ms = 0;
    CHECK_INT(store_setting_job_delay(s, slow, &ms), STORE_OK);
    CHECK_INT(ms, -1);
    store_tx *tx = begin(s);
    CHECK_INT(store_tx_setting_job_delay(tx, 0, 1), STORE_OK);          /* global */
    CHECK_INT(store_tx_setting_job_delay(tx, slow, 3600000), STORE_OK); /* an hour */
    CHECK_INT(store_tx_setting_job_delay(tx, fast, 0), STORE_OK);
    commit(tx);
    CHECK_INT(store_setting_job_delay(s, slow, &ms), STORE_OK);
    CHECK_INT(ms, 3600000);
    CHECK_INT(store_setting_job_delay(s, 0, &ms), STORE_OK);
    CHECK_INT(ms, 1);

    int64_t now = time_now_ms();
    job_new js, jf;
    make_job(&js, slow, JOB_UPSERT, "{}", 1);
    make_job(&jf, fast, JOB_UPSERT, "{}", 1);
    js.accepted_at = jf.accepted_at = now;
    int64_t seq_s, seq_f;
    tx = begin(s);
    CHECK_INT(store_tx_job_insert(tx, &js, &seq_s), STORE_OK);
    CHECK_INT(store_tx_job_insert(tx, &jf, &seq_f), STORE_OK);
    /* the delayed job is older, but the other account's job runs first */
    job_row row;
    CHECK_INT(store_tx_job_next(tx, &row), STORE_OK);
    CHECK_INT(row.seq, seq_f);
    job_counts c = {.requested = 1, .created = 1};
    CHECK_INT(store_tx_job_finish(tx, seq_f, JOB_COMPLETED, &c, now), STORE_OK);
    CHECK_INT(store_tx_job_next(tx, &row), STORE_NOT_FOUND);
    int64_t at = 0;
    CHECK_INT(store_tx_job_next_due(tx, now, &at), STORE_OK);
    CHECK_INT(at, now + 3600000);
    /* a later job of the slow account waits behind its first one, even without a delay */
    CHECK_INT(store_tx_setting_job_delay(tx, slow, -1), STORE_OK);
    CHECK_INT(store_tx_setting_job_delay(tx, 0, 0), STORE_OK);
    job_new js2;
    make_job(&js2, slow, JOB_UPSERT, "{}", 1);
    js2.accepted_at = now;
    int64_t seq_s2;
    CHECK_INT(store_tx_job_insert(tx, &js2, &seq_s2), STORE_OK);
    CHECK_INT(store_tx_job_next(tx, &row), STORE_NOT_FOUND);
    commit(tx);
    /* removing the setting makes the account follow the global one again */
    CHECK_INT(store_setting_job_delay(s, slow, &ms), STORE_OK);
    CHECK_INT(ms, -1);
    tx = begin(s);
    CHECK_INT(store_tx_account_purge(tx, slow, false), STORE_OK);
    CHECK_INT(store_tx_job_next(tx, &row), STORE_NOT_FOUND);
    CHECK_INT(store_tx_job_next_due(tx, now, &at), STORE_NOT_FOUND);
    commit(tx);
    arena_release(&a);
    store_close(s);
}

static void test_reopen_write(void)
{
    store *s = open_store();
    store_tx *tx = begin(s);
    CHECK_INT(store_tx_account_ensure(tx, "durable", &saved_account), STORE_OK);
    uint8_t h[APIKEY_HASH_LEN];
    apikey_hash("durable-secret", h);
    CHECK_INT(store_tx_key_add(tx, saved_account, "durable-key", h, "read"), STORE_OK);
    contact c;
    new_contact(&c, "kept@example.com", NULL, "kept-ext", NULL);
    c.field[CF_LAST_NAME] = "Kept";
    CHECK_INT(store_tx_contact_insert(tx, saved_account, &c), STORE_OK);
    memcpy(saved_contact_id, c.id, sizeof saved_contact_id);
    job_new j;
    make_job(&j, saved_account, JOB_UPSERT, "{\"contacts\":[]}", 7);
    int64_t seq = 0;
    CHECK_INT(store_tx_job_insert(tx, &j, &seq), STORE_OK);
    job_counts pc = {.requested = 7, .created = 2};
    CHECK_INT(store_tx_job_progress(tx, seq, 2, &pc), STORE_OK);
    memcpy(saved_job_id, j.id, sizeof saved_job_id);
    commit(tx);
    store_close(s);
}

static void test_reopen_read(void)
{
    store *s = open_store();
    store_key k;
    CHECK_INT(store_key_find(s, "durable-key", &k), STORE_OK);
    CHECK_INT(k.account_id, saved_account);
    uint8_t h[APIKEY_HASH_LEN];
    apikey_hash("durable-secret", h);
    CHECK(apikey_hash_equal(k.secret_hash, h));

    arena a = ARENA_INIT;
    contact got;
    memset(&got, 0, sizeof got);
    CHECK_INT(store_contact_get(s, saved_account, saved_contact_id, &a, &got), STORE_OK);
    CHECK_STR(got.field[CF_EMAIL], "kept@example.com");
    CHECK_STR(got.field[CF_EXTERNAL_ID], "kept-ext");
    CHECK_STR(got.field[CF_LAST_NAME], "Kept");
    CHECK_INT(store_contact_find(s, saved_account, ID_EXTERNAL_ID, "kept-ext", &a, &got), STORE_OK);
    CHECK_STR(got.id, saved_contact_id);

    job_info info;
    CHECK_INT(store_job_get(s, saved_account, saved_job_id, &info), STORE_OK);
    CHECK_INT(info.status, JOB_PENDING);
    CHECK_INT(info.counts.requested, 7);
    CHECK_INT(info.counts.created, 2);

    /* the pending job is still the next one, with its cursor */
    store_tx *tx = begin(s);
    job_row row;
    bool found = false;
    /* earlier tests may have left pending jobs in this file: look for ours */
    if (CHECK_INT(store_tx_job_next(tx, &row), STORE_OK)) {
        found = strcmp(row.info.id, saved_job_id) == 0;
        if (found)
            CHECK_INT(row.cursor, 2);
    }
    CHECK(found);
    const char *payload = NULL;
    size_t len = 0;
    if (found) {
        CHECK_INT(store_tx_job_payload(tx, row.seq, &a, &payload, &len), STORE_OK);
        CHECK_STR(payload, "{\"contacts\":[]}");
    }
    store_tx_rollback(tx);

    int64_t n = 0;
    CHECK_INT(store_account_count(s, &n), STORE_OK);
    CHECK(n >= 1);
    arena_release(&a);
    store_close(s);
}

/* ---- concurrency: reads beside the writer ------------------------------------------ */

static void test_read_during_tx(void)
{
    store *s = open_store();
    store_tx *tx = begin(s);
    int64_t acc = 0;
    CHECK_INT(store_tx_account_ensure(tx, "rdtx", &acc), STORE_OK);
    commit(tx);

    tx = begin(s);
    contact c;
    new_contact(&c, "uncommitted@example.com", NULL, NULL, NULL);
    CHECK_INT(store_tx_contact_insert(tx, acc, &c), STORE_OK);
    /* a reader does not see uncommitted writes and is not blocked by the writer */
    arena a = ARENA_INIT;
    contact got;
    CHECK_INT(store_contact_get(s, acc, c.id, &a, &got), STORE_NOT_FOUND);
    commit(tx);
    CHECK_INT(store_contact_get(s, acc, c.id, &a, &got), STORE_OK);
    arena_release(&a);
    store_close(s);
}

/* ---- PostgreSQL ---------------------------------------------------------------------- */

/* Append keyword='value' to a conninfo string, quoted as libpq wants. */
static void conninfo_add(char *out, size_t size, const char *key, const char *val)
{
    size_t n = strlen(out);
    n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%s%s='", n ? " " : "", key);
    for (const char *c = val; *c && n + 3 < size; c++) {
        if (*c == '\'' || *c == '\\')
            out[n++] = '\\';
        out[n++] = *c;
    }
    if (n + 2 < size) {
        out[n++] = '\'';
        out[n] = '\0';
    }
}

/* Create an empty database on the cluster at url (as the API tests do, so each run
 * starts from nothing) and write a conninfo for it, dbname first (store_open knows it by
 * that prefix). False when the cluster cannot be reached. */
static bool pg_create_database(const char *url, char *name, size_t name_size, char *conninfo,
                               size_t size)
{
    char id[UUID_STR_LEN + 1];
    REQUIRE(uuid_generate(id) == 0);
    size_t k = (size_t)snprintf(name, name_size, "contactd_test_store_");
    for (const char *c = id; *c && k + 1 < name_size; c++)
        if (*c != '-')
            name[k++] = *c;
    name[k] = '\0';

    PGconn *pg = PQconnectdb(url);
    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "CONTACTD_TEST_PG: %s", PQerrorMessage(pg));
        PQfinish(pg);
        return false;
    }
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    PGresult *r = PQexec(pg, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "CONTACTD_TEST_PG: %s", PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(pg);
    if (!ok)
        return false;

    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &msg);
    if (!opts) {
        fprintf(stderr, "CONTACTD_TEST_PG: %s\n", msg ? msg : "cannot parse");
        PQfreemem(msg);
        return false;
    }
    conninfo[0] = '\0';
    conninfo_add(conninfo, size, "dbname", name);
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (o->val && *o->val && strcmp(o->keyword, "dbname") != 0)
            conninfo_add(conninfo, size, o->keyword, o->val);
    PQconninfoFree(opts);
    return true;
}

static void pg_drop_database(const char *url, const char *name)
{
    PGconn *pg = PQconnectdb(url);
    if (PQstatus(pg) == CONNECTION_OK) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
        PQclear(PQexec(pg, sql));
    }
    PQfinish(pg);
}

/* ---- the SQLite file: WAL size, identity, pages ----------------------------------- */

static void remove_db_files(void);

static long long file_size(const char *suffix)
{
    char p[400];
    snprintf(p, sizeof p, "%s%s", dbpath, suffix);
    struct stat st;
    return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

/* A burst that grows the WAL past journal_size_limit (64 MiB) leaves it cut back to the
 * limit once a checkpoint caught up and the writer started the WAL over. */
/* In tx: an account named name (*acc) with an export job, whose seq is the answer; the
 * WAL tests write its chunks (new pages every time). */
static int64_t export_job(store_tx *tx, const char *name, int64_t *acc)
{
    int64_t seq = 0;
    CHECK_INT(store_tx_account_ensure(tx, name, acc), STORE_OK);
    job_new j;
    make_job(&j, *acc, JOB_EXPORT, "{}", 0);
    CHECK_INT(store_tx_job_insert(tx, &j, &seq), STORE_OK);
    return seq;
}

static void test_wal_bounded(void)
{
    store *s = open_store();
    store_tx *tx = begin(s);
    int64_t acc = 0, seq = export_job(tx, "wal", &acc);
    size_t len = 4u << 20;
    char *blob = malloc(len);
    REQUIRE(blob != NULL);
    for (size_t i = 0; i < len; i++)
        blob[i] = (char)(i * 2654435761u >> 24); /* no page repeats: a real 80 MB */
    for (int c = 1; c <= 20; c++)
        CHECK_INT(store_tx_export_chunk_add(tx, seq, 1, c, "x", blob, len, 1), STORE_OK);
    commit(tx);
    free(blob);
    CHECK(file_size("-wal") > 80LL << 20);
    /* The checkpointer runs every 100 ms; the first write (one that writes a page) after
     * it caught up starts the WAL over. Bounded: 200 rounds of 50 ms. */
    for (int round = 0; round < 200 && file_size("-wal") > 64LL << 20; round++) {
        usleep(50 * 1000);
        char name[32];
        snprintf(name, sizeof name, "wal-%d", round);
        tx = begin(s);
        CHECK_INT(store_tx_account_ensure(tx, name, &acc), STORE_OK);
        commit(tx);
    }
    CHECK(file_size("-wal") <= 64LL << 20);
    store_close(s);
}

/* A writer always inside a transaction, as the job writer is under load, never leaves the
 * checkpointer a quiet moment to catch up in: it must make one (a RESTART under the
 * store's write lock, which the next transaction waits for) so that the WAL starts over
 * instead of growing by all that was written. 160 MiB written at about 125 MiB/s (2 ms
 * inside each transaction, which leaves the checkpointer the CPU); the WAL never passes
 * 128 MiB (without the RESTART it reaches about all of it). */
static void test_wal_bounded_under_writes(void)
{
    remove_db_files();
    store *s = open_store();
    store_tx *tx = begin(s);
    int64_t acc = 0, seq = export_job(tx, "busy", &acc);
    commit(tx);
    size_t len = 256u << 10;
    char *blob = malloc(len);
    REQUIRE(blob != NULL);
    long long most = 0;
    for (int c = 1; c <= 640; c++) {
        for (size_t i = 0; i < len; i++)
            blob[i] = (char)((i + (size_t)c * 7919u) * 2654435761u >> 24);
        tx = begin(s);
        CHECK_INT(store_tx_export_chunk_add(tx, seq, 1, c, "x", blob, len, 1), STORE_OK);
        usleep(2000);
        commit(tx);
        long long now = file_size("-wal");
        most = now > most ? now : most;
    }
    free(blob);
    CHECK(most <= 128LL << 20);
    store_close(s);
}

/* The database file unlinked, or replaced, under an open store: every commit fails from
 * then on and store_write_problem says why; a sound file passes store_check. */
static void test_file_lost(void)
{
    char err[600] = "";
    for (int replace = 0; replace <= 1; replace++) {
        remove_db_files();
        store *s = open_store();
        CHECK_NULL(store_write_problem(s));
        CHECK_INT(store_check(s, err, sizeof err), STORE_OK);
        int64_t acc = 0;
        store_tx *tx = begin(s);
        CHECK_INT(store_tx_account_ensure(tx, "before", &acc), STORE_OK);
        commit(tx);
        if (replace) {
            char other[400];
            snprintf(other, sizeof other, "%s/other.db", tmpdir);
            FILE *f = fopen(other, "w");
            REQUIRE(f != NULL);
            fclose(f);
            REQUIRE(rename(other, dbpath) == 0);
        } else {
            REQUIRE(unlink(dbpath) == 0);
        }
        CHECK(store_write_problem(s) != NULL);
        tx = begin(s);
        CHECK_INT(store_tx_account_ensure(tx, "after", &acc), STORE_OK);
        CHECK_INT(store_tx_commit(tx), STORE_ERROR);
        tx = begin(s); /* still refused, and the writer is free again */
        CHECK_INT(store_tx_commit(tx), STORE_ERROR);
        store_close(s);
    }
    remove_db_files();
}

static void remove_db_files(void)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        char p[400];
        snprintf(p, sizeof p, "%s%s", dbpath, suffix[i]);
        unlink(p);
    }
}

/* ---- segments -------------------------------------------------------------------------
 * Segment rows (insert, rewrite, unique names, delete), member rows (set both ways,
 * per-contact ids, samples, counts), what deleting a contact takes with it, what a write
 * transaction notes for the segment writer, and account isolation. Both backends. */

static segment_row seg_row(const char *name, const char *query, const char *parent)
{
    segment_row r;
    memset(&r, 0, sizeof r);
    REQUIRE(uuid_generate(r.id) == 0);
    r.name = name;
    r.query_dsl = query;
    r.parent_list_id = parent;
    r.created_at = 1600000000000;
    r.updated_at = 1600000000000;
    return r;
}

static void test_segments(void)
{
    store *s = open_store();
    store_tx *tx = begin(s);
    int64_t acc = 0, other = 0;
    CHECK_INT(store_tx_account_ensure(tx, "seg-one", &acc), STORE_OK);
    CHECK_INT(store_tx_account_ensure(tx, "seg-two", &other), STORE_OK);
    char list_id[UUID_STR_LEN + 1];
    REQUIRE(uuid_generate(list_id) == 0);
    CHECK_INT(store_tx_list_create(tx, acc, list_id, "seg-list"), STORE_OK);
    segment_row a = seg_row("a", "SELECT contact_id, updated_at FROM contact_data", NULL);
    segment_row b = seg_row("b", "SELECT contact_id, updated_at FROM contact_data", list_id);
    b.created_at++; /* listed after a */
    CHECK_INT(store_tx_segment_put(tx, acc, &a), STORE_OK);
    CHECK_INT(store_tx_segment_put(tx, acc, &b), STORE_OK);
    commit(tx);

    /* a second segment named "a" conflicts; the same name in another account does not */
    tx = begin(s);
    segment_row dup = seg_row("a", "q", NULL);
    CHECK_INT(store_tx_savepoint(tx), STORE_OK);
    CHECK_INT(store_tx_segment_put(tx, acc, &dup), STORE_CONFLICT);
    store_tx_savepoint_rollback(tx);
    /* so does renaming b to it */
    segment_row b_as_a = b;
    b_as_a.name = "a";
    CHECK_INT(store_tx_savepoint(tx), STORE_OK);
    CHECK_INT(store_tx_segment_put(tx, acc, &b_as_a), STORE_CONFLICT);
    store_tx_savepoint_rollback(tx);
    CHECK_INT(store_tx_segment_put(tx, other, &dup), STORE_OK);
    /* rewriting keeps created_at */
    a.name = "a2";
    a.evaluated_at = 1600000000500;
    a.error = "why";
    a.created_at = 1;
    CHECK_INT(store_tx_segment_put(tx, acc, &a), STORE_OK);
    /* members, and what the transaction noted */
    contact c1, c2;
    new_contact(&c1, "seg1@example.com", NULL, NULL, NULL);
    new_contact(&c2, "seg2@example.com", NULL, NULL, NULL);
    CHECK_INT(store_tx_contact_insert(tx, acc, &c1), STORE_OK);
    CHECK_INT(store_tx_contact_insert(tx, acc, &c2), STORE_OK);
    CHECK_INT(store_tx_list_add(tx, acc, list_id, c1.id), STORE_OK);
    store_touched *notes;
    size_t nnotes, naccounts;
    int64_t *accounts;
    store_tx_touched_take(tx, &notes, &nnotes, &accounts, &naccounts);
    CHECK_INT(nnotes, 3);
    CHECK_INT(naccounts, 0);
    if (nnotes == 3) {
        CHECK_INT(notes[0].what, TOUCH_INSERT);
        CHECK_STR(notes[0].id, c1.id);
        CHECK(notes[0].row != NULL && strcmp(notes[0].row->field[CF_EMAIL], "seg1@example.com") == 0);
        CHECK_INT(notes[2].what, TOUCH_LISTS);
        CHECK(notes[2].row == NULL);
    }
    arena ta = ARENA_INIT;
    const char *lists_json = NULL;
    CHECK_INT(store_tx_contact_list_json(tx, acc, c1.id, &ta, &lists_json), STORE_OK);
    char want[UUID_STR_LEN + 8];
    snprintf(want, sizeof want, "[\"%s\"]", list_id);
    CHECK_STR(lists_json, want);
    CHECK_INT(store_tx_contact_list_json(tx, acc, c2.id, &ta, &lists_json), STORE_OK);
    CHECK_STR(lists_json, "[]");
    CHECK_INT(store_tx_segment_member_set(tx, acc, a.id, c1.id, true), 1);
    CHECK_INT(store_tx_segment_member_set(tx, acc, a.id, c1.id, true), 0); /* idempotent */
    CHECK_INT(store_tx_segment_member_set(tx, acc, a.id, c2.id, true), 1);
    CHECK_INT(store_tx_segment_member_set(tx, acc, b.id, c1.id, true), 1);
    CHECK_INT(store_tx_segment_member_set(tx, acc, b.id, c2.id, false), 0); /* absent: fine */
    CHECK_INT(store_tx_segment_count_add(tx, acc, a.id, 2), STORE_OK);
    CHECK_INT(store_tx_segment_count_add(tx, acc, b.id, 1), STORE_OK);
    const char **ids;
    size_t n;
    CHECK_INT(store_tx_contact_segment_ids(tx, acc, c1.id, &ta, &ids, &n), STORE_OK);
    CHECK_INT(n, 2);
    segment_row *all;
    CHECK_INT(store_tx_segment_all(tx, &ta, &all, &n), STORE_OK);
    CHECK(n >= 3);
    CHECK_INT(store_tx_segment_list(tx, acc, &ta, &all, &n), STORE_OK); /* with counts */
    CHECK_INT(n, 2);
    if (n == 2)
        CHECK_INT(all[0].contacts_count, 2);
    store_tx_field_delete(tx, acc, "e1_T"); /* not found: nothing noted */
    store_tx_touched_take(tx, &notes, &nnotes, &accounts, &naccounts);
    CHECK_INT(nnotes, 0);
    arena_release(&ta);
    commit(tx);

    arena ra = ARENA_INIT;
    segment_row got;
    CHECK_INT(store_segment_get(s, acc, a.id, &ra, &got), STORE_OK);
    CHECK_STR(got.name, "a2");
    CHECK_INT(got.created_at, 1600000000000);
    CHECK_INT(got.evaluated_at, 1600000000500);
    CHECK_STR(got.error, "why");
    CHECK_INT(got.contacts_count, 2);
    CHECK_INT(got.members_version, 1); /* the rewrite */
    CHECK_INT(got.account, acc);
    CHECK(got.parent_list_id == NULL);
    CHECK_INT(store_segment_get(s, other, a.id, &ra, &got), STORE_NOT_FOUND);
    segment_row *rows;
    CHECK_INT(store_segment_list(s, acc, &ra, &rows, &n), STORE_OK);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(rows[1].parent_list_id, list_id);
        CHECK_INT(rows[1].contacts_count, 1);
    }
    const char **sample;
    CHECK_INT(store_segment_sample(s, acc, a.id, 1, &ra, &sample, &n), STORE_OK);
    CHECK_INT(n, 1);
    CHECK_INT(store_segment_sample(s, acc, b.id, 50, &ra, &sample, &n), STORE_OK);
    CHECK_INT(n, 1);
    if (n == 1)
        CHECK_STR(sample[0], c1.id);
    CHECK_INT(store_contact_segment_ids(s, acc, c2.id, &ra, &ids, &n), STORE_OK);
    CHECK_INT(n, 1);
    CHECK_INT(store_contact_segment_ids(s, other, c2.id, &ra, &ids, &n), STORE_OK);
    CHECK_INT(n, 0);
    /* a contact read by id brings its segment ids (sorted) with the row */
    contact with;
    char want_segs[2 * UUID_STR_LEN + 16];
    snprintf(want_segs, sizeof want_segs, "[\"%s\"]", a.id);
    CHECK_INT(store_contact_get(s, acc, c2.id, &ra, &with), STORE_OK);
    CHECK_STR(with.segment_ids, want_segs);
    CHECK_INT(store_contact_get(s, acc, c1.id, &ra, &with), STORE_OK);
    const char *first = strcmp(a.id, b.id) < 0 ? a.id : b.id;
    const char *second = first == a.id ? b.id : a.id;
    CHECK(with.segment_ids && strstr(with.segment_ids, first) &&
          strstr(with.segment_ids, second) > strstr(with.segment_ids, first));

    /* deleting a contact deletes its member rows; deleting a segment, its own */
    tx = begin(s);
    CHECK_INT(store_tx_contact_delete(tx, acc, c2.id), STORE_OK);
    CHECK_INT(store_tx_segment_delete(tx, acc, b.id), STORE_OK);
    CHECK_INT(store_tx_segment_delete(tx, acc, b.id), STORE_NOT_FOUND);
    CHECK_INT(store_tx_segment_delete(tx, other, a.id), STORE_NOT_FOUND);
    commit(tx);
    CHECK_INT(store_segment_get(s, acc, a.id, &ra, &got), STORE_OK);
    CHECK_INT(got.contacts_count, 1);
    CHECK_INT(store_contact_segment_ids(s, acc, c1.id, &ra, &ids, &n), STORE_OK);
    CHECK_INT(n, 1);
    CHECK_INT(store_contact_segment_ids(s, acc, c2.id, &ra, &ids, &n), STORE_OK);
    CHECK_INT(n, 0);
    CHECK_INT(store_segment_get(s, acc, b.id, &ra, &got), STORE_NOT_FOUND);
    arena_release(&ra);
    store_close(s);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/contactd-test-store-XXXXXX", base && *base ? base : "/tmp");
    REQUIRE(mkdtemp(tmpdir) != NULL);
    snprintf(dbpath, sizeof dbpath, "%s/contactd.db", tmpdir);

    RUN(test_contact_columns);
    RUN(test_migrations);
    RUN(test_open_failure);
    RUN(test_accounts_and_keys);
    RUN(test_contacts);
    RUN(test_contact_insert_conflict_keeps_row);
    RUN(test_contact_find_many);
    RUN(test_deferred_writes);
    RUN(test_read_during_tx);
    /* The job tests share the file; the reopen tests start from a fresh one. */
    RUN(test_jobs);
    RUN(test_job_claim_ahead);
    RUN(test_fields_in_tx);
    RUN(test_list_creation_order);
    RUN(test_billable_and_tokens);
    RUN(test_contact_scan);
    RUN(test_job_list_and_payloads);
    RUN(test_export_chunks);
    RUN(test_uploads);
    RUN(test_admin_accounts);
    RUN(test_job_delay);
    RUN(test_segments);
    remove_db_files();
    RUN(test_reopen_write);
    RUN(test_reopen_read);
    remove_db_files();
    RUN(test_wal_bounded);
    RUN(test_wal_bounded_under_writes);
    RUN(test_file_lost);

    remove_db_files();
    rmdir(tmpdir);

    const char *pg_url = getenv("CONTACTD_TEST_PG");
    if (pg_url && *pg_url) {
        static char pg_conninfo[1024];
        char pg_name[80];
        REQUIRE(pg_create_database(pg_url, pg_name, sizeof pg_name, pg_conninfo, sizeof pg_conninfo));
        store_path = pg_conninfo;
        printf("test_store: PostgreSQL database %s\n", pg_name);
        RUN(test_accounts_and_keys);
        RUN(test_contact_insert_conflict_keeps_row);
        RUN(test_contact_find_many);
        RUN(test_deferred_writes);
        RUN(test_job_claim_ahead);
        RUN(test_fields_in_tx);
        RUN(test_insert_new_many);
        RUN(test_list_creation_order);
        RUN(test_billable_and_tokens);
        RUN(test_contact_scan);
        RUN(test_job_list_and_payloads);
        RUN(test_export_chunks);
        RUN(test_uploads);
        RUN(test_admin_accounts);
        RUN(test_job_delay);
        RUN(test_segments);
        pg_drop_database(pg_url, pg_name);
    }
    return check_summary("test_store");
}
