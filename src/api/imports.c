/*
 * imports: GET /v3/marketing/contacts/imports/{id} (a job's status, SendGrid's
 * ContactImport) and GET .../imports/{id}/errors, the document behind errors_url: one
 * entry per failed record with its index in the request, its identifiers and the reason.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/timeutil.h"

/* Find the job or reply; true when found. An import whose file has not arrived yet is
 * shown as a pending upsert with nothing requested. Exports have their own endpoint. */
static bool load_job(http_request *req, job_info *job)
{
    api_ctx *app = http_app(req);
    const char *id = http_param(req, 0);
    int rc = uuid_valid(id) ? store_job_get(app->store, http_account(req), id, job) : STORE_NOT_FOUND;
    if (rc == STORE_OK && job->kind == JOB_EXPORT)
        rc = STORE_NOT_FOUND;
    if (rc == STORE_NOT_FOUND && uuid_valid(id)) {
        import_upload up;
        rc = store_upload_get(app->store, id, http_arena(req), &up);
        if (rc == STORE_OK && (up.account != http_account(req) ||
                               up.created_at + IMPORT_UPLOAD_TTL_MS <= time_now_ms()))
            rc = STORE_NOT_FOUND;
        if (rc == STORE_OK) {
            memset(job, 0, sizeof *job);
            snprintf(job->id, sizeof job->id, "%s", id);
            job->kind = JOB_IMPORT;
            job->status = JOB_PENDING;
            job->accepted_at = up.created_at;
        }
    }
    if (rc == STORE_NOT_FOUND) {
        http_reply_error(req, 404, "id", "job not found");
        return false;
    }
    if (rc != STORE_OK) {
        api_reply_store_error(req);
        return false;
    }
    return true;
}

void api_import_get(http_request *req)
{
    job_info job;
    if (!load_job(req, &job))
        return;
    json_t *results = json_pack("{s:I, s:I, s:I, s:I, s:I}",
                                "requested_count", (json_int_t)job.counts.requested,
                                "created_count", (json_int_t)job.counts.created,
                                "updated_count", (json_int_t)job.counts.updated,
                                "deleted_count", (json_int_t)job.counts.deleted,
                                "errored_count", (json_int_t)job.counts.errored);
    if (job.counts.errored > 0)
        json_object_set_new(results, "errors_url",
                            json_sprintf("%s/v3/marketing/contacts/imports/%s/errors",
                                         http_base_url(req), job.id));
    json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}",
                          "id", job.id,
                          "status", job_status_name(job.status),
                          "job_type", job_kind_type_name(job.kind),
                          "results", results,
                          "started_at", api_time_json(job.accepted_at),
                          "finished_at", api_time_json(job.finished_at));
    http_reply_json(req, 200, o);
}

void api_import_errors(http_request *req)
{
    job_info job;
    if (!load_job(req, &job))
        return;
    api_ctx *app = http_app(req);
    job_error_row *rows;
    size_t n;
    if (store_job_errors(app->store, http_account(req), job.id, http_arena(req), &rows, &n) != STORE_OK) {
        api_reply_store_error(req);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *ids = json_loads(rows[i].identifiers, 0, NULL);
        json_array_append_new(arr, json_pack("{s:I, s:o, s:s}", "index", (json_int_t)rows[i].index,
                                             "identifiers", ids ? ids : json_object(),
                                             "message", rows[i].message));
    }
    http_reply_json(req, 200, json_pack("{s:s, s:o}", "job_id", job.id, "errors", arr));
}
