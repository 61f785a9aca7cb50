/*
 * test_runner: the runner's slicing rules, driven directly inside a write transaction:
 * a step that is asked to yield still applies at least one slice of records (a steady
 * stream of requests must not outrun the jobs it creates), a step that is not asked to
 * yield goes on to its budget, and a job too big for one step keeps its progress.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/timeutil.h"
#include "jobs/runner.h"
#include "store/store.h"

static bool always(void *ctx)
{
    (void)ctx;
    return true;
}
static bool never(void *ctx)
{
    (void)ctx;
    return false;
}

/* Insert n one-contact upsert jobs (and one of `big` contacts when big > 0). */
static void insert_jobs(store *s, int64_t account, int n, int big, const char *tag)
{
    store_tx *tx;
    REQUIRE(store_tx_begin(s, &tx) == STORE_OK);
    for (int i = 0; i < n + (big > 0); i++) {
        char *body;
        bool is_big = i == n;
        if (is_big) {
            size_t cap = (size_t)big * 48 + 64, len = 0;
            body = malloc(cap);
            REQUIRE(body != NULL);
            len += (size_t)snprintf(body, cap, "{\"contacts\":[");
            for (int k = 0; k < big; k++)
                len += (size_t)snprintf(body + len, cap - len, "%s{\"email\":\"%s-big%d@x.co\"}",
                                        k ? "," : "", tag, k);
            snprintf(body + len, cap - len, "]}");
        } else {
            if (asprintf(&body, "{\"contacts\":[{\"email\":\"%s-%d@x.co\"}]}", tag, i) < 0)
                abort();
        }
        job_new j = {.account = account,
                     .kind = JOB_UPSERT,
                     .payload = body,
                     .payload_len = strlen(body),
                     .requested = is_big ? big : 1,
                     .accepted_at = time_now_ms()};
        REQUIRE(uuid_generate(j.id) == 0);
        int64_t seq;
        CHECK_INT(store_tx_job_insert(tx, &j, &seq), STORE_OK);
        free(body);
    }
    REQUIRE(store_tx_commit(tx) == STORE_OK);
}

/* Insert one upsert job per body (each of one record); ids[i] gets job i's id. */
static void insert_upserts(store *s, int64_t account, const char *const *bodies, int n,
                           char (*ids)[UUID_STR_LEN + 1])
{
    store_tx *tx;
    REQUIRE(store_tx_begin(s, &tx) == STORE_OK);
    for (int i = 0; i < n; i++) {
        job_new j = {.account = account,
                     .kind = JOB_UPSERT,
                     .payload = bodies[i],
                     .payload_len = strlen(bodies[i]),
                     .requested = 1,
                     .accepted_at = time_now_ms()};
        REQUIRE(uuid_generate(j.id) == 0);
        memcpy(ids[i], j.id, sizeof ids[i]);
        CHECK_INT(store_tx_job_insert(tx, &j, NULL), STORE_OK);
    }
    REQUIRE(store_tx_commit(tx) == STORE_OK);
}

/* The contact with email e: its field f, or "" when it has none ("?" when not found). */
static const char *field_of(store *s, int64_t account, const char *e, int f, arena *a)
{
    contact c;
    if (store_contact_find(s, account, ID_EMAIL, e, a, &c) != STORE_OK)
        return "?";
    return c.field[f] ? c.field[f] : "";
}

static int64_t count_contacts(store *s, int64_t account)
{
    int64_t n = -1;
    CHECK_INT(store_contact_count(s, account, &n), STORE_OK);
    return n;
}

/* One step in its own transaction; returns runner_step's result. */
static int step(store *s, size_t budget, runner_yield_fn yield, runner_state *st)
{
    store_tx *tx;
    REQUIRE(store_tx_begin(s, &tx) == STORE_OK);
    int more = runner_step(tx, budget, st, NULL, yield, NULL);
    REQUIRE(more >= 0);
    REQUIRE(store_tx_commit(tx) == STORE_OK);
    return more;
}

int main(void)
{
    char dir[] = "/tmp/contactd-test-runner-XXXXXX";
    REQUIRE(mkdtemp(dir) != NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/db", dir);
    char err[256];
    store *s = store_open(path, err, sizeof err);
    REQUIRE(s != NULL);
    store_tx *tx;
    int64_t account;
    REQUIRE(store_tx_begin(s, &tx) == STORE_OK);
    REQUIRE(store_tx_account_ensure(tx, "runner", &account) == STORE_OK);
    REQUIRE(store_tx_commit(tx) == STORE_OK);
    runner_state st;
    memset(&st, 0, sizeof st);

    /* one slice: RUNNER_SLICE records, or fewer once it has run RUNNER_SLICE_MS (a slow
     * machine may get there first) */
    check_case_name = "a step asked to yield still applies one slice of small jobs";
    insert_jobs(s, account, 600, 0, "y");
    CHECK_INT(step(s, 5000, always, &st), 1);
    int64_t first = count_contacts(s, account);
    CHECK(first >= 1 && first <= RUNNER_SLICE);
    CHECK_INT(step(s, 5000, always, &st), 1);
    int64_t second = count_contacts(s, account);
    CHECK(second > first && second <= first + RUNNER_SLICE);

    check_case_name = "a step not asked to yield goes on until no job is pending";
    CHECK_INT(step(s, 5000, never, &st), 0);
    CHECK_INT(count_contacts(s, account), 600);

    check_case_name = "a job larger than the budget keeps its progress across steps";
    insert_jobs(s, account, 0, 1200, "b");
    CHECK_INT(step(s, 500, never, &st), 1); /* unfinished job: more work */
    CHECK_INT(count_contacts(s, account), 1100);
    CHECK_INT(step(s, 500, never, &st), 1);
    CHECK_INT(count_contacts(s, account), 1600);
    CHECK_INT(step(s, 500, never, &st), 0);
    CHECK_INT(count_contacts(s, account), 1800);

    /* Small jobs claimed together are applied together (apply_group): each later job
     * must match what the earlier ones wrote, exactly as one job at a time would. */
    check_case_name = "small jobs applied together match what the earlier ones wrote";
    static const char *const bodies[] = {
        "{\"contacts\":[{\"email\":\"ga@x.co\",\"external_id\":\"g1\"}]}",
        "{\"contacts\":[{\"email\":\"gb@x.co\",\"external_id\":\"g2\"}]}",
        /* matches ga by email and gb by external_id: an error */
        "{\"contacts\":[{\"email\":\"ga@x.co\",\"external_id\":\"g2\"}]}",
        ("{\"contacts\":[{\"email\":\"ga@x.co\",\"external_id\":\"g1\",\"first_name\":"
         "\"Four\"}]}"),
        "{\"contacts\":[{\"email\":\"gc@x.co\",\"first_name\":\"Five\"}]}",
        /* updates the contact the job before created (still waiting to be inserted) */
        "{\"contacts\":[{\"email\":\"gc@x.co\",\"anonymous_id\":\"gp\"}]}",
        /* ga lacks its external_id: an error */
        "{\"contacts\":[{\"email\":\"ga@x.co\",\"first_name\":\"Seven\"}]}",
    };
    enum { NG = sizeof bodies / sizeof bodies[0] };
    char ids[NG][UUID_STR_LEN + 1];
    int64_t before = count_contacts(s, account);
    insert_upserts(s, account, bodies, NG, ids);
    CHECK_INT(step(s, 5000, never, &st), 0);
    CHECK_INT(count_contacts(s, account), before + 3);
    static const int created[NG] = {1, 1, 0, 0, 1, 0, 0}, updated[NG] = {0, 0, 0, 1, 0, 1, 0};
    for (int i = 0; i < NG; i++) {
        job_info info;
        CHECK_INT(store_job_get(s, account, ids[i], &info), STORE_OK);
        CHECK_INT(info.counts.created, created[i]);
        CHECK_INT(info.counts.updated, updated[i]);
        CHECK_INT(info.counts.errored, i == 2 || i == 6);
        CHECK_INT(info.status, i == 2 || i == 6 ? JOB_FAILED : JOB_COMPLETED);
    }
    arena a = ARENA_INIT;
    CHECK_STR(field_of(s, account, "ga@x.co", CF_FIRST_NAME, &a), "Four");
    CHECK_STR(field_of(s, account, "gc@x.co", CF_FIRST_NAME, &a), "Five");
    CHECK_STR(field_of(s, account, "gc@x.co", CF_ANONYMOUS_ID, &a), "gp");
    CHECK_STR(field_of(s, account, "gb@x.co", CF_EXTERNAL_ID, &a), "g2");
    arena_release(&a);

    runner_state_clear(&st);
    store_close(s);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_summary("test_runner");
}
