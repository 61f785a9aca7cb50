/*
 * metrics: GET /metrics, the Prometheus text exposition (format 0.0.4) of core/metrics.h
 * plus the gauges read at scrape time (the job queue, each account's disk use). Off the /v3/ API keys: open, or
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
    metrics_gauges g = {.queue_depth = -1,
                        .download_bytes = app->downloads ? membudget_used(app->downloads) : 0};
    int64_t oldest = 0, records = 0;
    if (store_job_pending_stats(app->store, &g.queue_depth, &oldest, &records) != STORE_OK)
        g.queue_depth = -1;
    else if (oldest > 0)
        g.oldest_pending_s = (double)(time_now_ms() - oldest) / 1000.0;
    if (g.oldest_pending_s < 0)
        g.oldest_pending_s = 0;
    store_usage *rows;
    size_t n;
    if (store_usage_list(app->store, 0, time_now_ms(), http_arena(req), &rows, &n) == STORE_OK) {
        metrics_account_usage *u = arena_calloc(http_arena(req), n ? n : 1, sizeof *u);
        for (size_t i = 0; i < n; i++)
            u[i] =
                (metrics_account_usage){rows[i].name, rows[i].export_bytes, rows[i].payload_bytes};
        g.usage = u;
        g.nusage = n;
    }
    char *text = metrics_render(&g);
    if (!text) {
        http_reply_error(req, 500, NULL, "internal error: out of memory");
        return;
    }
    http_reply_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", text);
    free(text);
}
