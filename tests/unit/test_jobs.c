/* End-to-end tests of the job queue in-process: jobs_start on a real SQLite file, jobs
 * submitted as the API submits them, results read back through the store. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "core/contact_decode.h"
#include "core/ids.h"
#include "jobs/jobs.h"
#include "jobs/kinds.h"
#include "store/store.h"

static char tmpdir[256];
static char dbpath[300];
static store *S;
static jobs *J;
static int64_t ACC, ACC2;

/* ---- waiting for the done callback ------------------------------------------------ */

typedef struct waiter {
    pthread_mutex_t m;
    pthread_cond_t c;
    bool done;
    int calls;
    int rc;
    char job_id[UUID_STR_LEN + 1];
} waiter;

static void waiter_init(waiter *w)
{
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->m, NULL);
    pthread_cond_init(&w->c, NULL);
    w->rc = 12345;
}

static void waiter_destroy(waiter *w)
{
    pthread_mutex_destroy(&w->m);
    pthread_cond_destroy(&w->c);
}

static void on_done(void *ctx, int rc, const char *job_id)
{
    waiter *w = ctx;
    pthread_mutex_lock(&w->m);
    w->rc = rc;
    w->calls++;
    if (job_id)
        snprintf(w->job_id, sizeof w->job_id, "%s", job_id);
    w->done = true;
    pthread_cond_broadcast(&w->c);
    pthread_mutex_unlock(&w->m);
}

/* Wait (at most 120 s) for the callback; stop the test if it never comes. */
static void wait_done(waiter *w)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 120;
    pthread_mutex_lock(&w->m);
    int err = 0;
    while (!w->done && err != ETIMEDOUT)
        err = pthread_cond_timedwait(&w->c, &w->m, &until);
    bool done = w->done;
    pthread_mutex_unlock(&w->m);
    REQUIRE(done);
    CHECK_INT(w->calls, 1);
    CHECK_INT(w->rc, 0);
    CHECK(uuid_valid(w->job_id));
}

/* ---- submitting -------------------------------------------------------------------- */

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

/* Submit an upsert of body for account. With predecode the decoded batch travels with
 * the job; otherwise the runner decodes the payload itself. */
static void submit_upsert(int64_t account, const char *body, bool predecode, waiter *w)
{
    /* As the handler does: decode against the account's custom fields. */
    arena fa = ARENA_INIT;
    field_catalog cat = {0};
    REQUIRE(store_fields_list(S, account, &fa, &cat) == STORE_OK);
    upsert_batch *b = upsert_decode_payload(body, strlen(body), &cat);
    arena_release(&fa);
    REQUIRE(b != NULL);
    CHECK_INT(b->unknown_custom_field_count, 0);
    job_submit sub = {
        .account = account,
        .kind = JOB_UPSERT,
        .requested = (int64_t)b->count,
        .payload = xstrdup(body),
        .payload_len = strlen(body),
    };
    if (predecode) {
        sub.decoded = b;
        sub.decoded_size = b->arena.total + sizeof *b;
    } else {
        upsert_batch_free(b);
    }
    waiter_init(w);
    REQUIRE(jobs_submit(J, &sub, on_done, w) == 0);
}

static void submit_delete(int64_t account, const char *contact_id, id_type type, const char *value,
                          waiter *w)
{
    size_t len = 0;
    char *payload = delete_identifier_payload(contact_id, type, value, &len);
    REQUIRE(payload != NULL && len == strlen(payload));
    job_submit sub = {
        .account = account,
        .kind = JOB_DELETE_IDENTIFIER,
        .requested = 1,
        .payload = payload,
        .payload_len = len,
    };
    waiter_init(w);
    REQUIRE(jobs_submit(J, &sub, on_done, w) == 0);
}

/* Submit, wait for the job to be accepted and for the queue to be idle; the job's id is
 * in w->job_id. */
static void run_upsert(int64_t account, const char *body, bool predecode, waiter *w)
{
    submit_upsert(account, body, predecode, w);
    wait_done(w);
    jobs_wait_idle(J);
}

static void run_delete(int64_t account, const char *contact_id, id_type type, const char *value,
                       waiter *w)
{
    submit_delete(account, contact_id, type, value, w);
    wait_done(w);
    jobs_wait_idle(J);
}

/* ---- checking ---------------------------------------------------------------------- */

static void check_job(int64_t account, const char *id, job_kind kind, job_status status,
                      int64_t requested, int64_t created, int64_t updated, int64_t deleted,
                      int64_t errored, const char *file, int line)
{
    job_info info;
    memset(&info, 0, sizeof info);
    int rc = store_job_get(S, account, id, &info);
    bool ok = rc == STORE_OK && info.kind == kind && info.status == status &&
              info.counts.requested == requested && info.counts.created == created &&
              info.counts.updated == updated && info.counts.deleted == deleted &&
              info.counts.errored == errored && strcmp(info.id, id) == 0 && info.accepted_at > 0 &&
              (status == JOB_PENDING ? info.finished_at == 0 : info.finished_at >= info.accepted_at);
    check_total_count++;
    if (!ok) {
        check_failed_count++;
        fprintf(stderr,
                "%s:%d: FAILED (in %s)\n    job %s\n"
                "    actual:   rc=%d kind=%d status=%s requested=%lld created=%lld updated=%lld "
                "deleted=%lld errored=%lld accepted_at=%lld finished_at=%lld\n"
                "    expected: rc=0 kind=%d status=%s requested=%lld created=%lld updated=%lld "
                "deleted=%lld errored=%lld\n",
                file, line, check_case_name, id, rc, (int)info.kind, job_status_name(info.status),
                (long long)info.counts.requested, (long long)info.counts.created,
                (long long)info.counts.updated, (long long)info.counts.deleted,
                (long long)info.counts.errored, (long long)info.accepted_at,
                (long long)info.finished_at, (int)kind, job_status_name(status),
                (long long)requested, (long long)created, (long long)updated, (long long)deleted,
                (long long)errored);
    }
}
#define CHECK_JOB(acc, id, kind, st, req, cr, up, del, err) \
    check_job((acc), (id), (kind), (st), (req), (cr), (up), (del), (err), __FILE__, __LINE__)

/* The contact with this identifier, or a failed check. Strings live in a. */
static bool find(int64_t account, id_type t, const char *value, arena *a, contact *out)
{
    memset(out, 0, sizeof *out);
    int rc = store_contact_find(S, account, t, value, a, out);
    if (rc != STORE_OK)
        fprintf(stderr, "    (no contact with %s '%s' in account %lld: rc %d)\n", id_type_field(t),
                value, (long long)account, rc);
    return rc == STORE_OK;
}

static int count_errors(int64_t account, const char *job_id, arena *a, job_error_row **rows)
{
    size_t n = 0;
    *rows = NULL;
    if (store_job_errors(S, account, job_id, -1, 1000000, a, rows, &n) != STORE_OK)
        return -1;
    return (int)n;
}

/* ---- setup --------------------------------------------------------------------------- */

static void open_all(void)
{
    char err[512] = "";
    S = store_open(dbpath, err, sizeof err);
    if (!S)
        fprintf(stderr, "store_open: %s\n", err);
    REQUIRE(S != NULL);
    J = jobs_start(S);
    REQUIRE(J != NULL);
}

static void close_all(void)
{
    jobs_stop(J);
    J = NULL;
    store_close(S);
    S = NULL;
}

static char NICK_ID[FIELD_ID_MAX];

static void make_accounts(void)
{
    store_tx *tx;
    REQUIRE(store_tx_begin(S, &tx) == STORE_OK);
    REQUIRE(store_tx_account_ensure(tx, "acct-1", &ACC) == STORE_OK);
    REQUIRE(store_tx_account_ensure(tx, "acct-2", &ACC2) == STORE_OK);
    /* one custom field in account 1 */
    REQUIRE(store_tx_field_create(tx, ACC, "nickname", FIELD_TEXT, NICK_ID) == STORE_OK);
    REQUIRE(store_tx_commit(tx) == STORE_OK);
}

/* ---- cases ------------------------------------------------------------------------- */

static void test_upsert_basic(void)
{
    arena a = ARENA_INIT;
    contact c;
    waiter w;

    /* decoded batch handed over with the job */
    run_upsert(
        ACC,
        "{\"contacts\": [{\"email\": \" Basic1@Example.com \", \"first_name\": \"B1\","
        " \"custom_fields\": {\"nickname\": \"v\"}, \"alternate_emails\": [\"ALT1@example.com\"]},"
        " {\"phone_number_id\": \"+14155550001\", \"city\": \"Oslo\"}]}",
        true, &w);
    CHECK_JOB(ACC, w.job_id, JOB_UPSERT, JOB_COMPLETED, 2, 2, 0, 0, 0);
    if (CHECK(find(ACC, ID_EMAIL, "basic1@example.com", &a, &c))) {
        CHECK(uuid_valid(c.id));
        CHECK_STR(c.field[CF_FIRST_NAME], "B1");
        char expected[96];
        snprintf(expected, sizeof expected, "{\"%s\":\"v\"}", NICK_ID);
        CHECK_STR(c.custom_fields, expected);
        CHECK_STR(c.alternate_emails, "[\"alt1@example.com\"]");
        CHECK(c.created_at > 0);
        CHECK_INT(c.updated_at, c.created_at);
    }
    if (CHECK(find(ACC, ID_PHONE_NUMBER_ID, "+14155550001", &a, &c)))
        CHECK_STR(c.field[CF_CITY], "Oslo");
    job_error_row *rows;
    CHECK_INT(count_errors(ACC, w.job_id, &a, &rows), 0);
    /* the job belongs to its account only */
    job_info info;
    CHECK_INT(store_job_get(S, ACC2, w.job_id, &info), STORE_NOT_FOUND);
    /* the contact too */
    CHECK_INT(store_contact_find(S, ACC2, ID_EMAIL, "basic1@example.com", &a, &c), STORE_NOT_FOUND);
    waiter_destroy(&w);

    /* payload decoded by the runner */
    run_upsert(ACC, "{\"contacts\": [{\"external_id\": \"basic-ext-2\", \"last_name\": \"L2\"}]}",
               false, &w);
    CHECK_JOB(ACC, w.job_id, JOB_UPSERT, JOB_COMPLETED, 1, 1, 0, 0, 0);
    if (CHECK(find(ACC, ID_EXTERNAL_ID, "basic-ext-2", &a, &c)))
        CHECK_STR(c.field[CF_LAST_NAME], "L2");
    waiter_destroy(&w);

    /* an update: provided fields overwrite, omitted fields stay */
    run_upsert(ACC,
               "{\"contacts\": [{\"email\": \"basic1@example.com\", \"last_name\": \"Last\","
               " \"first_name\": \"\"}]}",
               true, &w);
    CHECK_JOB(ACC, w.job_id, JOB_UPSERT, JOB_COMPLETED, 1, 0, 1, 0, 0);
    if (CHECK(find(ACC, ID_EMAIL, "basic1@example.com", &a, &c))) {
        CHECK_STR(c.field[CF_LAST_NAME], "Last");
        CHECK_STR(c.field[CF_FIRST_NAME], "");
        char expected[96];
        snprintf(expected, sizeof expected, "{\"%s\":\"v\"}", NICK_ID);
        CHECK_STR(c.custom_fields, expected);
        CHECK(c.updated_at >= c.created_at);
    }
    waiter_destroy(&w);

    /* the same email in another account is another contact */
    run_upsert(ACC2,
               "{\"contacts\": [{\"email\": \"basic1@example.com\", \"first_name\": \"Other\"}]}",
               false, &w);
    CHECK_JOB(ACC2, w.job_id, JOB_UPSERT, JOB_COMPLETED, 1, 1, 0, 0, 0);
    contact c1, c2;
    if (CHECK(find(ACC, ID_EMAIL, "basic1@example.com", &a, &c1)) &&
        CHECK(find(ACC2, ID_EMAIL, "basic1@example.com", &a, &c2))) {
        CHECK(strcmp(c1.id, c2.id) != 0);
        CHECK_STR(c2.field[CF_FIRST_NAME], "Other");
        CHECK_STR(c1.field[CF_FIRST_NAME], "");
    }
    waiter_destroy(&w);
    arena_release(&a);
}

static void test_matching_rules(void)
{
    arena a = ARENA_INIT;
    contact c;
    waiter w;
    job_error_row *rows;

    /* A contact with two identifiers. */
    run_upsert(ACC,
               "{\"contacts\": [{\"email\": \"m1@example.com\", \"external_id\": \"m1-ext\","
               " \"first_name\": \"Orig\"}]}",
               true, &w);
    CHECK_JOB(ACC, w.job_id, JOB_UPSERT, JOB_COMPLETED, 1, 1, 0, 0, 0);
    waiter_destroy(&w);

    /* A record that omits one of its identifiers errors; the contact is untouched. */
    run_upsert(ACC, "{\"contacts\": [{\"email\": \"m1@example.com\", \"first_name\": \"Changed\"}]}",
               false, &w);
    CHECK_JOB(ACC, w.job_id, JOB_UPSERT, JOB_FAILED, 1, 0, 0, 0, 1);
    if (CHECK_INT(count_errors(ACC, w.job_id, &a, &rows), 1)) {
        CHECK_INT(rows[0].index, 0);
        CHECK_STR(rows[0].identifiers, "{\"email\":\"m1@example.com\"}");
        CHECK_CONTAINS(rows[0].message, "external_id");
    }
    if (CHECK(find(ACC, ID_EMAIL, "m1@example.com", &a, &c)))
        CHECK_STR(c.field[CF_FIRST_NAME], "Orig");
    waiter_destroy(&w);

    /* A different value for an existing identifier is also an omission. */
    run_upsert(ACC,
               "{\"contacts\": [{\"email\": \"m1@example.com\", \"external_id\": \"m1-other\"}]}",
               true, &w);
    CHECK_JOB(ACC, w.job_id, JOB_UPSERT, JOB_FAILED, 1, 0, 0, 0, 1);
    CHECK_INT(store_contact_find(S, ACC, ID_EXTERNAL_ID, "m1-other", &a, &c), STORE_NOT_FOUND);
    waiter_destroy(&w);

    /* Within one job: record 0 creates, record 1 omits external_id (error), record 2
     * carries both (update), record 3 adds a new identifier (update). */
    run_upsert(
        ACC,
        "{\"contacts\": ["
        " {\"email\": \"m2@example.com\", \"external_id\": \"m2-ext\"},"
        " {\"email\": \"m2@example.com\", \"first_name\": \"Bad\"},"
        " {\"email\": \"m2@example.com\", \"external_id\": \"m2-ext\", \"first_name\": \"Good\"},"
        " {\"external_id\": \"m2-ext\", \"email\": \"m2@example.com\", \"phone_number_id\": \"+14155550002\"}"
        "]}",
        true, &w);
    CHECK_JOB(ACC, w.job_id, JOB_UPSERT, JOB_ERRORED, 4, 1, 2, 0, 1);
    if (CHECK_INT(count_errors(ACC, w.job_id, &a, &rows), 1))
        CHECK_INT(rows[0].index, 1);
    if (CHECK(find(ACC, ID_PHONE_NUMBER_ID, "+14155550002", &a, &c))) {
        CHECK_STR(c.field[CF_EMAIL], "m2@example.com");
        CHECK_STR(c.field[CF_EXTERNAL_ID], "m2-ext");
        CHECK_STR(c.field[CF_FIRST_NAME], "Good");
    }
    waiter_destroy(&w);

    /* Identifiers of two different contacts: an error, nothing merged. */
    run_upsert(ACC,
               "{\"contacts\": [{\"email\": \"p@example.com\"}, {\"anonymous_id\": \"q-anon\"}]}",
               false, &w);
    CHECK_JOB(ACC, w.job_id, JOB_UPSERT, JOB_COMPLETED, 2, 2, 0, 0, 0);
    waiter_destroy(&w);
    contact cp, cq;
    REQUIRE(find(ACC, ID_EMAIL, "p@example.com", &a, &cp));
    REQUIRE(find(ACC, ID_ANONYMOUS_ID, "q-anon", &a, &cq));
    run_upsert(
        ACC,
        "{\"contacts\": ["
        " {\"email\": \"fresh@example.com\"},"
        " {\"email\": \"p@example.com\", \"anonymous_id\": \"q-anon\", \"first_name\": \"Merged\"}"
        "]}",
        true, &w);
    CHECK_JOB(ACC, w.job_id, JOB_UPSERT, JOB_ERRORED, 2, 1, 0, 0, 1);
    if (CHECK_INT(count_errors(ACC, w.job_id, &a, &rows), 1)) {
        CHECK_INT(rows[0].index, 1);
        CHECK_CONTAINS(rows[0].message, "different contacts");
        CHECK_CONTAINS(rows[0].message, cp.id);
        CHECK_CONTAINS(rows[0].message, cq.id);
        CHECK_STR(rows[0].identifiers, "{\"anonymous_id\":\"q-anon\",\"email\":\"p@example.com\"}");
    }
    if (CHECK(find(ACC, ID_EMAIL, "p@example.com", &a, &c))) {
        CHECK_STR(c.id, cp.id);
        CHECK_NULL(c.field[CF_ANONYMOUS_ID]);
        CHECK_NULL(c.field[CF_FIRST_NAME]);
    }
    if (CHECK(find(ACC, ID_ANONYMOUS_ID, "q-anon", &a, &c))) {
        CHECK_STR(c.id, cq.id);
        CHECK_NULL(c.field[CF_EMAIL]);
    }
    waiter_destroy(&w);

    /* The same contact twice in one job: the later record wins. */
    run_upsert(ACC,
               "{\"contacts\": ["
               " {\"email\": \"twice@example.com\", \"first_name\": \"One\", \"city\": \"Rome\"},"
               " {\"email\": \"TWICE@example.com\", \"first_name\": \"Two\", \"last_name\": \"L\"}"
               "]}",
               false, &w);
    CHECK_JOB(ACC, w.job_id, JOB_UPSERT, JOB_COMPLETED, 2, 1, 1, 0, 0);
    if (CHECK(find(ACC, ID_EMAIL, "twice@example.com", &a, &c))) {
        CHECK_STR(c.field[CF_FIRST_NAME], "Two");
        CHECK_STR(c.field[CF_LAST_NAME], "L");
        CHECK_STR(c.field[CF_CITY], "Rome");
    }
    waiter_destroy(&w);

    /* Every record errors: failed. */
    run_upsert(ACC,
               "{\"contacts\": [{\"email\": \"m1@example.com\"}, {\"external_id\": \"m1-ext\"}]}",
               true, &w);
    CHECK_JOB(ACC, w.job_id, JOB_UPSERT, JOB_FAILED, 2, 0, 0, 0, 2);
    if (CHECK_INT(count_errors(ACC, w.job_id, &a, &rows), 2)) {
        CHECK_INT(rows[0].index, 0);
        CHECK_INT(rows[1].index, 1);
    }
    waiter_destroy(&w);
    arena_release(&a);
}

static void test_delete_identifier(void)
{
    arena a = ARENA_INIT;
    contact c;
    waiter w;
    job_error_row *rows;

    run_upsert(ACC,
               "{\"contacts\": [{\"email\": \"d1@example.com\", \"external_id\": \"d1-ext\"},"
               " {\"email\": \"d2@example.com\", \"phone_number_id\": \"+14155550003\"}]}",
               true, &w);
    CHECK_JOB(ACC, w.job_id, JOB_UPSERT, JOB_COMPLETED, 2, 2, 0, 0, 0);
    waiter_destroy(&w);
    contact d1, d2;
    REQUIRE(find(ACC, ID_EMAIL, "d1@example.com", &a, &d1));
    REQUIRE(find(ACC, ID_EMAIL, "d2@example.com", &a, &d2));

    /* removes the identifier */
    run_delete(ACC, d1.id, ID_EMAIL, "d1@example.com", &w);
    CHECK_JOB(ACC, w.job_id, JOB_DELETE_IDENTIFIER, JOB_COMPLETED, 1, 0, 0, 1, 0);
    CHECK_INT(count_errors(ACC, w.job_id, &a, &rows), 0);
    memset(&c, 0, sizeof c);
    if (CHECK_INT(store_contact_get(S, ACC, d1.id, &a, &c), STORE_OK)) {
        CHECK_NULL(c.field[CF_EMAIL]);
        CHECK_STR(c.field[CF_EXTERNAL_ID], "d1-ext");
        CHECK(c.updated_at >= d1.updated_at);
    }
    CHECK_INT(store_contact_find(S, ACC, ID_EMAIL, "d1@example.com", &a, &c), STORE_NOT_FOUND);
    waiter_destroy(&w);

    /* the last identifier stays */
    run_delete(ACC, d1.id, ID_EXTERNAL_ID, "d1-ext", &w);
    CHECK_JOB(ACC, w.job_id, JOB_DELETE_IDENTIFIER, JOB_FAILED, 1, 0, 0, 0, 1);
    if (CHECK_INT(count_errors(ACC, w.job_id, &a, &rows), 1)) {
        CHECK_INT(rows[0].index, 0);
        CHECK_CONTAINS(rows[0].message, "last identifier");
    }
    if (CHECK_INT(store_contact_get(S, ACC, d1.id, &a, &c), STORE_OK))
        CHECK_STR(c.field[CF_EXTERNAL_ID], "d1-ext");
    waiter_destroy(&w);

    /* a value the contact does not carry */
    run_delete(ACC, d2.id, ID_EMAIL, "not-d2@example.com", &w);
    CHECK_JOB(ACC, w.job_id, JOB_DELETE_IDENTIFIER, JOB_FAILED, 1, 0, 0, 0, 1);
    CHECK_INT(count_errors(ACC, w.job_id, &a, &rows), 1);
    if (CHECK_INT(store_contact_get(S, ACC, d2.id, &a, &c), STORE_OK)) {
        CHECK_STR(c.field[CF_EMAIL], "d2@example.com");
        CHECK_STR(c.field[CF_PHONE_NUMBER_ID], "+14155550003");
    }
    waiter_destroy(&w);

    /* a type the contact does not carry at all */
    run_delete(ACC, d2.id, ID_ANONYMOUS_ID, "anything", &w);
    CHECK_JOB(ACC, w.job_id, JOB_DELETE_IDENTIFIER, JOB_FAILED, 1, 0, 0, 0, 1);
    waiter_destroy(&w);

    /* another account's contact is not found */
    run_delete(ACC2, d2.id, ID_EMAIL, "d2@example.com", &w);
    CHECK_JOB(ACC2, w.job_id, JOB_DELETE_IDENTIFIER, JOB_FAILED, 1, 0, 0, 0, 1);
    if (CHECK_INT(store_contact_get(S, ACC, d2.id, &a, &c), STORE_OK))
        CHECK_STR(c.field[CF_EMAIL], "d2@example.com");
    waiter_destroy(&w);

    /* a contact that does not exist */
    run_delete(ACC, "00000000-0000-4000-8000-000000000000", ID_EMAIL, "d2@example.com", &w);
    CHECK_JOB(ACC, w.job_id, JOB_DELETE_IDENTIFIER, JOB_FAILED, 1, 0, 0, 0, 1);
    waiter_destroy(&w);

    /* the phone number of d2 can go; the freed value can be reused by a new contact */
    run_delete(ACC, d2.id, ID_PHONE_NUMBER_ID, "+14155550003", &w);
    CHECK_JOB(ACC, w.job_id, JOB_DELETE_IDENTIFIER, JOB_COMPLETED, 1, 0, 0, 1, 0);
    waiter_destroy(&w);
    run_upsert(ACC, "{\"contacts\": [{\"phone_number_id\": \"+14155550003\"}]}", true, &w);
    CHECK_JOB(ACC, w.job_id, JOB_UPSERT, JOB_COMPLETED, 1, 1, 0, 0, 0);
    if (CHECK(find(ACC, ID_PHONE_NUMBER_ID, "+14155550003", &a, &c)))
        CHECK(strcmp(c.id, d2.id) != 0);
    waiter_destroy(&w);

    /* the payload encoder */
    size_t len = 0;
    char *payload = delete_identifier_payload(d2.id, ID_PHONE_NUMBER_ID, "+1415", &len);
    REQUIRE(payload != NULL);
    CHECK_INT(len, strlen(payload));
    CHECK_CONTAINS(payload, "\"PHONENUMBERID\"");
    CHECK_CONTAINS(payload, d2.id);
    CHECK_CONTAINS(payload, "\"+1415\"");
    free(payload);
    arena_release(&a);
}

/* {"contacts": [{"email": "<prefix><i>@example.com"}, ...]} of n records, malloc'd. */
static char *big_body(const char *prefix, int n)
{
    size_t cap = 64 + (size_t)n * (48 + strlen(prefix));
    char *s = malloc(cap);
    if (!s)
        abort();
    size_t o = (size_t)snprintf(s, cap, "{\"contacts\": [");
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(s + o, cap - o, "%s{\"email\": \"%s%d@example.com\"}", i ? "," : "",
                              prefix, i);
    snprintf(s + o, cap - o, "]}");
    return s;
}

static void test_large_upsert(void)
{
    arena a = ARENA_INIT;
    contact c;
    for (int pre = 0; pre <= 1; pre++) {
        const char *prefix = pre ? "bigpre" : "big";
        char *body = big_body(prefix, 2500);
        waiter w;
        run_upsert(ACC, body, pre != 0, &w);
        CHECK_JOB(ACC, w.job_id, JOB_UPSERT, JOB_COMPLETED, 2500, 2500, 0, 0, 0);
        char email[64];
        static const int probes[] = {0, 999, 1000, 1999, 2000, 2499};
        for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
            snprintf(email, sizeof email, "%s%d@example.com", prefix, probes[i]);
            CHECK(find(ACC, ID_EMAIL, email, &a, &c));
        }
        snprintf(email, sizeof email, "%s2500@example.com", prefix);
        CHECK_INT(store_contact_find(S, ACC, ID_EMAIL, email, &a, &c), STORE_NOT_FOUND);
        waiter_destroy(&w);
        free(body);
        arena_release(&a);
    }

    /* The same 2,500 again: all updates. */
    char *body = big_body("big", 2500);
    waiter w;
    run_upsert(ACC, body, false, &w);
    CHECK_JOB(ACC, w.job_id, JOB_UPSERT, JOB_COMPLETED, 2500, 0, 2500, 0, 0);
    waiter_destroy(&w);
    free(body);
}

static void test_many_submissions(void)
{
    /* Several jobs in flight at once are all answered and applied in order. */
    enum { N = 20 };
    waiter w[N];
    for (int i = 0; i < N; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"contacts\": [{\"email\": \"seq@example.com\", \"first_name\": \"v%d\"}]}", i);
        submit_upsert(ACC, body, i % 2 == 0, &w[i]);
    }
    for (int i = 0; i < N; i++)
        wait_done(&w[i]);
    jobs_wait_idle(J);
    CHECK_JOB(ACC, w[0].job_id, JOB_UPSERT, JOB_COMPLETED, 1, 1, 0, 0, 0);
    for (int i = 1; i < N; i++)
        CHECK_JOB(ACC, w[i].job_id, JOB_UPSERT, JOB_COMPLETED, 1, 0, 1, 0, 0);
    for (int i = 0; i < N; i++)
        for (int k = 0; k < i; k++)
            CHECK(strcmp(w[i].job_id, w[k].job_id) != 0);
    arena a = ARENA_INIT;
    contact c;
    if (CHECK(find(ACC, ID_EMAIL, "seq@example.com", &a, &c)))
        CHECK_STR(c.field[CF_FIRST_NAME], "v19");
    arena_release(&a);
    for (int i = 0; i < N; i++)
        waiter_destroy(&w[i]);
}

/* ---- durability -------------------------------------------------------------------- */

/* Insert a job directly, as if accepted by an earlier run that then stopped. */
static void insert_pending(int64_t account, job_kind kind, const char *payload, int64_t requested,
                           int64_t cursor, const job_counts *progress, char id_out[UUID_STR_LEN + 1])
{
    store_tx *tx;
    REQUIRE(store_tx_begin(S, &tx) == STORE_OK);
    job_new jn = {
        .account = account,
        .kind = kind,
        .payload = payload,
        .payload_len = strlen(payload),
        .requested = requested,
        .accepted_at = 1650000000000,
    };
    REQUIRE(uuid_generate(jn.id) == 0);
    int64_t seq = 0;
    REQUIRE(store_tx_job_insert(tx, &jn, &seq) == STORE_OK);
    if (progress)
        REQUIRE(store_tx_job_progress(tx, seq, cursor, progress) == STORE_OK);
    REQUIRE(store_tx_commit(tx) == STORE_OK);
    memcpy(id_out, jn.id, UUID_STR_LEN + 1);
}

static void test_durability(void)
{
    arena a = ARENA_INIT;
    contact c;

    /* 1. Submit, then stop at once: every submission is answered before jobs_stop
     * returns, and whatever was left pending runs after a restart. */
    char *body = big_body("dur", 2500);
    waiter wbig, wsmall, wdel;
    submit_upsert(ACC, body, true, &wbig);
    submit_upsert(
        ACC, "{\"contacts\": [{\"email\": \"dur-small@example.com\", \"external_id\": \"dur-x\"}]}",
        false, &wsmall);
    REQUIRE(find(ACC, ID_PHONE_NUMBER_ID, "+14155550002", &a, &c)); /* m2: three identifiers */
    submit_delete(ACC, c.id, ID_PHONE_NUMBER_ID, "+14155550002", &wdel);
    jobs_stop(J);
    J = NULL;
    CHECK(wbig.done);
    CHECK(wsmall.done);
    CHECK(wdel.done);
    CHECK_INT(wbig.rc, 0);
    CHECK_INT(wsmall.rc, 0);
    CHECK_INT(wdel.rc, 0);
    job_info info;
    CHECK_INT(store_job_get(S, ACC, wbig.job_id, &info), STORE_OK);
    CHECK_INT(store_job_get(S, ACC, wsmall.job_id, &info), STORE_OK);
    CHECK_INT(store_job_get(S, ACC, wdel.job_id, &info), STORE_OK);
    store_close(S);
    S = NULL;

    /* 2. While stopped, jobs as an earlier run would have left them: one untouched, one
     * half-applied (cursor 1 of 3: record 0 counts as created but must not be re-run),
     * one whose payload no longer decodes, then a normal one behind it. */
    char err[512] = "";
    S = store_open(dbpath, err, sizeof err);
    REQUIRE(S != NULL);
    char id_fresh[UUID_STR_LEN + 1], id_half[UUID_STR_LEN + 1], id_bad[UUID_STR_LEN + 1],
        id_after[UUID_STR_LEN + 1];
    insert_pending(ACC, JOB_UPSERT, "{\"contacts\": [{\"email\": \"pend1@example.com\"}]}", 1, 0,
                   NULL, id_fresh);
    job_counts half = {.requested = 3, .created = 1};
    insert_pending(
        ACC, JOB_UPSERT,
        "{\"contacts\": [{\"email\": \"half0@example.com\"}, {\"email\": \"half1@example.com\"},"
        " {\"email\": \"half2@example.com\"}]}",
        3, 1, &half, id_half);
    insert_pending(ACC, JOB_UPSERT, "{\"contacts\": not json", 1, 0, NULL, id_bad);
    insert_pending(ACC2, JOB_UPSERT, "{\"contacts\": [{\"email\": \"after-bad@example.com\"}]}", 1,
                   0, NULL, id_after);
    CHECK_JOB(ACC, id_fresh, JOB_UPSERT, JOB_PENDING, 1, 0, 0, 0, 0);
    store_close(S);

    /* 3. Restart: everything pending runs. */
    open_all();
    jobs_wait_idle(J);
    CHECK_JOB(ACC, wbig.job_id, JOB_UPSERT, JOB_COMPLETED, 2500, 2500, 0, 0, 0);
    CHECK_JOB(ACC, wsmall.job_id, JOB_UPSERT, JOB_COMPLETED, 1, 1, 0, 0, 0);
    CHECK_JOB(ACC, wdel.job_id, JOB_DELETE_IDENTIFIER, JOB_COMPLETED, 1, 0, 0, 1, 0);
    CHECK(find(ACC, ID_EMAIL, "dur0@example.com", &a, &c));
    CHECK(find(ACC, ID_EMAIL, "dur2499@example.com", &a, &c));
    CHECK(find(ACC, ID_EXTERNAL_ID, "dur-x", &a, &c));
    CHECK_INT(store_contact_find(S, ACC, ID_PHONE_NUMBER_ID, "+14155550002", &a, &c),
              STORE_NOT_FOUND);
    if (CHECK(find(ACC, ID_EMAIL, "m2@example.com", &a, &c)))
        CHECK_STR(c.field[CF_EXTERNAL_ID], "m2-ext");

    CHECK_JOB(ACC, id_fresh, JOB_UPSERT, JOB_COMPLETED, 1, 1, 0, 0, 0);
    CHECK(find(ACC, ID_EMAIL, "pend1@example.com", &a, &c));
    CHECK_JOB(ACC, id_half, JOB_UPSERT, JOB_COMPLETED, 3, 3, 0, 0, 0);
    CHECK_INT(store_contact_find(S, ACC, ID_EMAIL, "half0@example.com", &a, &c), STORE_NOT_FOUND);
    CHECK(find(ACC, ID_EMAIL, "half1@example.com", &a, &c));
    CHECK(find(ACC, ID_EMAIL, "half2@example.com", &a, &c));
    CHECK_JOB(ACC, id_bad, JOB_UPSERT, JOB_FAILED, 1, 0, 0, 0, 1);
    job_error_row *rows;
    CHECK_INT(count_errors(ACC, id_bad, &a, &rows), 1);
    CHECK_JOB(ACC2, id_after, JOB_UPSERT, JOB_COMPLETED, 1, 1, 0, 0, 0);
    CHECK(find(ACC2, ID_EMAIL, "after-bad@example.com", &a, &c));

    waiter_destroy(&wbig);
    waiter_destroy(&wsmall);
    waiter_destroy(&wdel);
    free(body);
    arena_release(&a);
}

static void test_idle_when_empty(void)
{
    /* nothing pending: jobs_wait_idle returns, repeatedly */
    jobs_wait_idle(J);
    jobs_wait_idle(J);
    CHECK(true);
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

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/contactd-test-jobs-XXXXXX", base && *base ? base : "/tmp");
    REQUIRE(mkdtemp(tmpdir) != NULL);
    snprintf(dbpath, sizeof dbpath, "%s/contactd.db", tmpdir);

    open_all();
    make_accounts();
    RUN(test_idle_when_empty);
    RUN(test_upsert_basic);
    RUN(test_matching_rules);
    RUN(test_delete_identifier);
    RUN(test_large_upsert);
    RUN(test_many_submissions);
    RUN(test_durability);
    close_all();

    remove_db_files();
    rmdir(tmpdir);
    return check_summary("test_jobs");
}
