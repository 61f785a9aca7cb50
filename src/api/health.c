/*
 * health: GET/HEAD /healthz and /readyz, for orchestrators and load balancers. No key.
 *
 *   /healthz  liveness: the process answers HTTP. Never touches the database, so a slow
 *             database does not get a healthy process restarted.
 *   /readyz   readiness: a real round trip to the database, a database that can take
 *             writes (on SQLite: its file was not removed or replaced under us), and a
 *             job writer that runs and commits; 503 {"status":"unavailable","reason":...}
 *             otherwise.
 */
#include "api/api.h"

void api_health(http_request *req)
{
    http_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

void api_ready(http_request *req)
{
    api_ctx *app = http_app(req);
    int64_t accounts;
    const char *why = store_write_problem(app->store);
    if (!why && store_account_count(app->store, &accounts) != STORE_OK)
        why = "the database cannot be reached";
    else if (!why)
        why = jobs_health(app->jobs);
    if (why)
        http_reply_json(req, 503, json_pack("{s:s, s:s}", "status", "unavailable", "reason", why));
    else
        http_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}
