/* Unit tests of core/job: final status from counts, allowed transitions, names. */
#include "check.h"
#include "core/job.h"

static job_status final_of(int64_t requested, int64_t errored)
{
    job_counts c = {.requested = requested, .errored = errored};
    return job_status_final(&c);
}

static void test_status_final(void)
{
    CHECK_INT(final_of(1, 0), JOB_COMPLETED);
    CHECK_INT(final_of(30000, 0), JOB_COMPLETED);
    CHECK_INT(final_of(1, 1), JOB_FAILED);
    CHECK_INT(final_of(2, 2), JOB_FAILED);
    CHECK_INT(final_of(2, 1), JOB_ERRORED);
    CHECK_INT(final_of(10, 9), JOB_ERRORED);
    CHECK_INT(final_of(10, 1), JOB_ERRORED);
    /* nothing requested: failed when anything errored (see job.c), completed otherwise */
    CHECK_INT(final_of(0, 1), JOB_FAILED);
    CHECK_INT(final_of(0, 0), JOB_COMPLETED);
    /* created/updated/deleted do not change the outcome */
    job_counts c = {.requested = 3, .created = 1, .updated = 1, .deleted = 0, .errored = 1};
    CHECK_INT(job_status_final(&c), JOB_ERRORED);
    c = (job_counts){.requested = 3, .created = 2, .updated = 1};
    CHECK_INT(job_status_final(&c), JOB_COMPLETED);
    c = (job_counts){.requested = 1, .deleted = 1};
    CHECK_INT(job_status_final(&c), JOB_COMPLETED);
    /* the final status is always terminal */
    for (int r = 0; r <= 4; r++)
        for (int e = 0; e <= r; e++)
            CHECK(job_status_terminal(final_of(r, e)));
}

static void test_transitions(void)
{
    static const job_status all[] = {JOB_PENDING, JOB_COMPLETED, JOB_ERRORED, JOB_FAILED};
    for (int i = 0; i < 4; i++) {
        for (int k = 0; k < 4; k++) {
            bool expected = all[i] == JOB_PENDING && all[k] != JOB_PENDING;
            if (!CHECK_INT(job_status_transition_allowed(all[i], all[k]), expected))
                fprintf(stderr, "    from %s to %s\n", job_status_name(all[i]),
                        job_status_name(all[k]));
        }
    }
    CHECK(!job_status_terminal(JOB_PENDING));
    CHECK(job_status_terminal(JOB_COMPLETED));
    CHECK(job_status_terminal(JOB_ERRORED));
    CHECK(job_status_terminal(JOB_FAILED));
}

static void test_names(void)
{
    CHECK_STR(job_status_name(JOB_PENDING), "pending");
    CHECK_STR(job_status_name(JOB_COMPLETED), "completed");
    CHECK_STR(job_status_name(JOB_ERRORED), "errored");
    CHECK_STR(job_status_name(JOB_FAILED), "failed");
    CHECK_STR(job_kind_type_name(JOB_UPSERT), "upsert");
    CHECK_STR(job_kind_type_name(JOB_DELETE_IDENTIFIER), "delete");
    CHECK_STR(job_kind_type_name(JOB_DELETE_CONTACTS), "delete");
    CHECK(job_kind_valid(JOB_UPSERT));
    CHECK(job_kind_valid(JOB_DELETE_IDENTIFIER));
    CHECK(job_kind_valid(JOB_DELETE_CONTACTS));
    CHECK(job_kind_valid(JOB_LIST_REMOVE));
    CHECK(!job_kind_valid(0));
    CHECK(job_kind_valid(JOB_IMPORT));
    CHECK(job_kind_valid(JOB_EXPORT));
    CHECK_STR(job_kind_type_name(JOB_IMPORT), "upsert");
    CHECK(job_kind_valid(JOB_SEGMENT_EVAL));
    CHECK_STR(job_kind_type_name(JOB_SEGMENT_EVAL), "segment");
    CHECK(!job_kind_valid(JOB_SEGMENT_EVAL + 1));
    CHECK(!job_kind_valid(-1));
}

int main(void)
{
    RUN(test_status_final);
    RUN(test_transitions);
    RUN(test_names);
    return check_summary("test_job");
}
