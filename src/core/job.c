/* job: see job.h. */
#include "core/job.h"

const char *job_status_name(job_status s)
{
    switch (s) {
    case JOB_PENDING: return "pending";
    case JOB_COMPLETED: return "completed";
    case JOB_ERRORED: return "errored";
    case JOB_FAILED: return "failed";
    }
    return "unknown";
}

const char *job_kind_type_name(job_kind k)
{
    return k == JOB_UPSERT || k == JOB_IMPORT ? "upsert"
           : k == JOB_EXPORT                  ? "export"
           : k == JOB_SEGMENT_EVAL            ? "segment"
                                              : "delete";
}

const char *job_kind_name(job_kind k)
{
    switch (k) {
    case JOB_UPSERT: return "upsert";
    case JOB_DELETE_IDENTIFIER: return "delete_identifier";
    case JOB_DELETE_CONTACTS: return "delete_contacts";
    case JOB_LIST_REMOVE: return "list_remove";
    case JOB_IMPORT: return "import";
    case JOB_EXPORT: return "export";
    case JOB_SEGMENT_EVAL: return "segment_eval";
    }
    return "unknown";
}

bool job_kind_valid(int k)
{
    return k >= JOB_UPSERT && k <= JOB_KIND_MAX;
}

bool job_status_terminal(job_status s)
{
    return s == JOB_COMPLETED || s == JOB_ERRORED || s == JOB_FAILED;
}

bool job_status_transition_allowed(job_status from, job_status to)
{
    return from == JOB_PENDING && job_status_terminal(to);
}

job_status job_status_final(const job_counts *c)
{
    if (c->errored == 0)
        return JOB_COMPLETED;
    /* A job with nothing requested cannot be accepted; treat it as failed if it ever is. */
    if (c->errored >= c->requested)
        return JOB_FAILED;
    return JOB_ERRORED;
}
