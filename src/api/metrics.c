/*
 * metrics: GET /metrics, the Prometheus text exposition (format 0.0.4) of core/metrics.h
 * plus the gauges read at scrape time (the job queue). Off the /v3/ API keys: open, or
 * with --metrics-token, "Authorization: Bearer <token>" (compared in constant time).
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/metrics.h"
#include "core/timeutil.h"

static bool token_ok(http_request *req, const char *token)
{
    const char *authz = http_header(req, "Authorization");
    return authz && strncmp(authz, "Bearer ", 7) == 0 && api_token_equal(authz + 7, token);
}

void api_metrics(http_request *req)
{
    api_ctx *app = http_app(req);
    if (app->metrics_token && !token_ok(req, app->metrics_token)) {
        http_reply_error(req, 401, NULL, "authorization required: Bearer <metrics token>");
        return;
    }
    metrics_gauges g = {.queue_depth = -1};
    int64_t oldest = 0, records = 0;
    if (store_job_pending_stats(app->store, &g.queue_depth, &oldest, &records) != STORE_OK)
        g.queue_depth = -1;
    else if (oldest > 0)
        g.oldest_pending_s = (double)(time_now_ms() - oldest) / 1000.0;
    if (g.oldest_pending_s < 0)
        g.oldest_pending_s = 0;
    char *text = metrics_render(&g);
    if (!text) {
        http_reply_error(req, 500, NULL, "internal error: out of memory");
        return;
    }
    http_reply_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", text);
    free(text);
}
