/* body: request decoding and the replies every handler shares (see api.h). */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/contact_decode.h"

json_t *api_body_object(http_request *req)
{
    size_t len;
    const char *body = http_body(req, &len);
    json_error_t jerr;
    json_t *root = body ? json_loadb(body, len, CONTACTD_JSON_FLAGS, &jerr) : NULL;
    if (!root) {
        http_reply_error(req, 400, NULL, "invalid JSON");
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        http_reply_error(req, 400, NULL, "the request body must be a JSON object");
        return NULL;
    }
    return root;
}

void api_reply_store_error(http_request *req)
{
    http_reply_error(req, 503, NULL, "the database is unavailable; try again");
}

static void job_accepted(void *ctx, int rc, const char *job_id)
{
    http_request *req = ctx;
    if (rc == 0)
        http_resume_json(req, 202, json_pack("{s:s}", "job_id", job_id));
    else
        http_resume_json(req, 503, http_error_body(NULL, "the job could not be stored; try again"));
}

void api_submit_job(http_request *req, const job_submit *sub)
{
    api_ctx *app = http_app(req);
    /* Suspend first: the writer may resume the request before jobs_submit returns. */
    http_suspend(req);
    if (jobs_submit(app->jobs, sub, job_accepted, req) != 0)
        http_resume_json(req, 503, http_error_body(NULL, "the server is shutting down; try again"));
}
