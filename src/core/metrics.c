/* metrics: lock-free counters and their Prometheus text exposition (see metrics.h). */
#include "core/metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Request duration buckets, in seconds (the last, +Inf, is the count). */
static const double BUCKETS[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                 0.25,  0.5,    1,     2.5,  5,     10};
#define NBUCKETS (sizeof BUCKETS / sizeof BUCKETS[0])
#define NCLASSES 5 /* 1xx .. 5xx */
#define UNMATCHED METRICS_MAX_ROUTES

typedef struct route_metrics {
    const char *method, *pattern;
    atomic_uint_fast64_t by_class[NCLASSES];
    atomic_uint_fast64_t bucket[NBUCKETS]; /* not cumulative: rendering sums them */
    atomic_uint_fast64_t count;
    atomic_uint_fast64_t micros; /* sum of durations, microseconds */
} route_metrics;

static route_metrics g_routes[METRICS_MAX_ROUTES + 1];
static atomic_uint_fast64_t g_connections_open, g_connections_total, g_rate_limited, g_db_errors;
static atomic_uint_fast64_t g_downloads_refused;
static atomic_uint_fast64_t g_jobs_accepted[JOB_KIND_MAX + 1];
static atomic_uint_fast64_t g_jobs_finished[JOB_KIND_MAX + 1][JOB_STATUS_MAX + 1];
static atomic_uint_fast64_t g_records_applied, g_commits, g_commit_jobs;
static atomic_int_fast64_t g_slow_waiting, g_backlog_jobs, g_backlog_records;
static atomic_uint_fast64_t g_slow_refused, g_backlog_refused;

#define INC(x, n) atomic_fetch_add_explicit(&(x), (n), memory_order_relaxed)
#define GET(x) ((unsigned long long)atomic_load_explicit(&(x), memory_order_relaxed))

void metrics_route_register(unsigned idx, const char *method, const char *pattern)
{
    if (idx < METRICS_MAX_ROUTES) {
        g_routes[idx].method = method;
        g_routes[idx].pattern = pattern;
    }
}

void metrics_request(int route, unsigned status, double ms)
{
    route_metrics *r = &g_routes[route >= 0 && route < METRICS_MAX_ROUTES ? route : UNMATCHED];
    if (status >= 100 && status < 600)
        INC(r->by_class[status / 100 - 1], 1);
    double s = ms / 1000.0;
    size_t b = 0;
    while (b < NBUCKETS && s > BUCKETS[b])
        b++;
    if (b < NBUCKETS)
        INC(r->bucket[b], 1);
    INC(r->count, 1);
    INC(r->micros, (uint_fast64_t)(ms > 0 ? ms * 1000.0 : 0));
}

void metrics_connection_opened(void)
{
    INC(g_connections_open, 1);
    INC(g_connections_total, 1);
}
void metrics_connection_closed(void)
{
    atomic_fetch_sub_explicit(&g_connections_open, 1, memory_order_relaxed);
}
void metrics_rate_limited(void)
{
    INC(g_rate_limited, 1);
}
void metrics_slow_waiting(int delta)
{
    INC(g_slow_waiting, delta);
}

void metrics_slow_refused(void)
{
    INC(g_slow_refused, 1);
}

void metrics_backlog(int64_t jobs, int64_t records)
{
    atomic_store_explicit(&g_backlog_jobs, jobs, memory_order_relaxed);
    atomic_store_explicit(&g_backlog_records, records, memory_order_relaxed);
}

void metrics_backlog_refused(void)
{
    INC(g_backlog_refused, 1);
}

void metrics_download_refused(void)
{
    INC(g_downloads_refused, 1);
}
void metrics_db_error(void)
{
    INC(g_db_errors, 1);
}
void metrics_records_applied(uint64_t n)
{
    INC(g_records_applied, n);
}

void metrics_job_accepted(job_kind k)
{
    if (job_kind_valid((int)k))
        INC(g_jobs_accepted[k], 1);
}

void metrics_job_finished(job_kind k, job_status s)
{
    if (job_kind_valid((int)k) && job_status_terminal(s))
        INC(g_jobs_finished[k][s], 1);
}

void metrics_group_commit(uint64_t size)
{
    INC(g_commits, 1);
    INC(g_commit_jobs, size);
}

/* Resident set size in bytes, from /proc (0 where unavailable). */
static unsigned long long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, resident = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%llu %llu", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return resident * (unsigned long long)(page > 0 ? page : 4096);
}

static void route_label(FILE *f, unsigned i)
{
    if (i == UNMATCHED)
        fprintf(f, "method=\"\",route=\"unmatched\"");
    else
        fprintf(f, "method=\"%s\",route=\"%s\"", g_routes[i].method, g_routes[i].pattern);
}

static void render_requests(FILE *f)
{
    fputs("# HELP contactd_http_requests_total HTTP requests answered, by route template and "
          "status class.\n# TYPE contactd_http_requests_total counter\n",
          f);
    for (unsigned i = 0; i <= UNMATCHED; i++) {
        if (i != UNMATCHED && !g_routes[i].pattern)
            continue;
        for (unsigned c = 0; c < NCLASSES; c++) {
            fputs("contactd_http_requests_total{", f);
            route_label(f, i);
            fprintf(f, ",code=\"%uxx\"} %llu\n", c + 1, GET(g_routes[i].by_class[c]));
        }
    }
    fputs("# HELP contactd_http_request_duration_seconds Time from a request's headers to its "
          "answer.\n# TYPE contactd_http_request_duration_seconds histogram\n",
          f);
    for (unsigned i = 0; i <= UNMATCHED; i++) {
        if (i != UNMATCHED && !g_routes[i].pattern)
            continue;
        unsigned long long cumulative = 0;
        for (size_t b = 0; b < NBUCKETS; b++) {
            cumulative += GET(g_routes[i].bucket[b]);
            fputs("contactd_http_request_duration_seconds_bucket{", f);
            route_label(f, i);
            fprintf(f, ",le=\"%g\"} %llu\n", BUCKETS[b], cumulative);
        }
        unsigned long long count = GET(g_routes[i].count);
        /* A request counted in count a moment before its bucket must not make +Inf
         * smaller than the last bucket. */
        fputs("contactd_http_request_duration_seconds_bucket{", f);
        route_label(f, i);
        fprintf(f, ",le=\"+Inf\"} %llu\n", count > cumulative ? count : cumulative);
        fputs("contactd_http_request_duration_seconds_sum{", f);
        route_label(f, i);
        fprintf(f, "} %.6f\n", (double)GET(g_routes[i].micros) / 1e6);
        fputs("contactd_http_request_duration_seconds_count{", f);
        route_label(f, i);
        fprintf(f, "} %llu\n", count > cumulative ? count : cumulative);
    }
}

static void render_jobs(FILE *f)
{
    fputs("# HELP contactd_jobs_accepted_total Jobs committed to the queue (answered 202).\n"
          "# TYPE contactd_jobs_accepted_total counter\n",
          f);
    for (int k = 1; k <= JOB_KIND_MAX; k++)
        fprintf(f, "contactd_jobs_accepted_total{kind=\"%s\"} %llu\n", job_kind_name((job_kind)k),
                GET(g_jobs_accepted[k]));
    fputs("# HELP contactd_jobs_finished_total Jobs that reached a final status.\n"
          "# TYPE contactd_jobs_finished_total counter\n",
          f);
    for (int k = 1; k <= JOB_KIND_MAX; k++)
        for (int s = JOB_COMPLETED; s <= JOB_STATUS_MAX; s++)
            fprintf(f, "contactd_jobs_finished_total{kind=\"%s\",status=\"%s\"} %llu\n",
                    job_kind_name((job_kind)k), job_status_name((job_status)s),
                    GET(g_jobs_finished[k][s]));
}

/* What the server holds back: slow requests waiting their account's turn, the job
 * backlog, and the 429s each caused. */
static void render_pressure(FILE *f)
{
    fprintf(f,
            "# HELP contactd_slow_requests_waiting Slow requests (SGQL searches, import uploads) "
            "waiting for their account's turn.\n"
            "# TYPE contactd_slow_requests_waiting gauge\n"
            "contactd_slow_requests_waiting %lld\n"
            "# HELP contactd_slow_refused_total Slow requests refused with 429: their account's "
            "queue was full.\n"
            "# TYPE contactd_slow_refused_total counter\n"
            "contactd_slow_refused_total %llu\n"
            "# HELP contactd_job_backlog_jobs Pending jobs, as the job writer last counted them.\n"
            "# TYPE contactd_job_backlog_jobs gauge\n"
            "contactd_job_backlog_jobs %lld\n"
            "# HELP contactd_job_backlog_records Records of pending jobs still to apply (at least "
            "one per job), as the job writer last counted them.\n"
            "# TYPE contactd_job_backlog_records gauge\n"
            "contactd_job_backlog_records %lld\n"
            "# HELP contactd_backlog_refused_total Writes refused with 429: the job backlog was "
            "past --max-backlog.\n"
            "# TYPE contactd_backlog_refused_total counter\n"
            "contactd_backlog_refused_total %llu\n",
            (long long)atomic_load_explicit(&g_slow_waiting, memory_order_relaxed),
            GET(g_slow_refused),
            (long long)atomic_load_explicit(&g_backlog_jobs, memory_order_relaxed),
            (long long)atomic_load_explicit(&g_backlog_records, memory_order_relaxed),
            GET(g_backlog_refused));
}

static void render_gauges(FILE *f, const metrics_gauges *g)
{
    fprintf(f,
            "# HELP contactd_job_records_applied_total Records applied by the job runner.\n"
            "# TYPE contactd_job_records_applied_total counter\n"
            "contactd_job_records_applied_total %llu\n"
            "# HELP contactd_group_commit_size Submissions carried by each commit of the job writer.\n"
            "# TYPE contactd_group_commit_size summary\n"
            "contactd_group_commit_size_sum %llu\n"
            "contactd_group_commit_size_count %llu\n"
            "# HELP contactd_db_errors_total Database errors (each is logged with its cause).\n"
            "# TYPE contactd_db_errors_total counter\n"
            "contactd_db_errors_total %llu\n"
            "# HELP contactd_rate_limited_total Requests refused with 429.\n"
            "# TYPE contactd_rate_limited_total counter\n"
            "contactd_rate_limited_total %llu\n"
            "# HELP contactd_http_connections_open Open client connections.\n"
            "# TYPE contactd_http_connections_open gauge\n"
            "contactd_http_connections_open %llu\n"
            "# HELP contactd_http_connections_total Client connections accepted.\n"
            "# TYPE contactd_http_connections_total counter\n"
            "contactd_http_connections_total %llu\n",
            GET(g_records_applied), GET(g_commit_jobs), GET(g_commits), GET(g_db_errors),
            GET(g_rate_limited), GET(g_connections_open), GET(g_connections_total));
    render_pressure(f);
    if (g->queue_depth >= 0)
        fprintf(f,
                "# HELP contactd_job_queue_depth Pending jobs in the database (all nodes).\n"
                "# TYPE contactd_job_queue_depth gauge\n"
                "contactd_job_queue_depth %lld\n"
                "# HELP contactd_job_oldest_pending_seconds Age of the oldest pending job.\n"
                "# TYPE contactd_job_oldest_pending_seconds gauge\n"
                "contactd_job_oldest_pending_seconds %.3f\n",
                (long long)g->queue_depth, g->oldest_pending_s);
    fprintf(f,
            "# HELP contactd_download_memory_bytes Memory held by export downloads in progress "
            "(their budget, --download-memory-mb).\n"
            "# TYPE contactd_download_memory_bytes gauge\n"
            "contactd_download_memory_bytes %lld\n"
            "# HELP contactd_downloads_refused_total Export downloads answered 503 because "
            "downloads in progress held the budget.\n"
            "# TYPE contactd_downloads_refused_total counter\n"
            "contactd_downloads_refused_total %llu\n",
            (long long)g->download_bytes, GET(g_downloads_refused));
    fprintf(f,
            "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
            "# TYPE process_resident_memory_bytes gauge\n"
            "process_resident_memory_bytes %llu\n",
            rss_bytes());
}

/* A label value as the text format wants it: backslash, quote and newline escaped. */
static void label_value(FILE *f, const char *v)
{
    for (; v && *v; v++) {
        if (*v == '\\' || *v == '"')
            fputc('\\', f);
        if (*v == '\n')
            fputs("\\n", f);
        else
            fputc(*v, f);
    }
}

static void render_usage(FILE *f, const metrics_gauges *g)
{
    if (!g->usage)
        return;
    fputs("# HELP contactd_account_export_bytes Bytes of export files an account keeps until "
          "they expire (all nodes).\n# TYPE contactd_account_export_bytes gauge\n",
          f);
    for (size_t i = 0; i < g->nusage; i++) {
        fputs("contactd_account_export_bytes{account=\"", f);
        label_value(f, g->usage[i].account);
        fprintf(f, "\"} %lld\n", (long long)g->usage[i].export_bytes);
    }
    fputs("# HELP contactd_account_job_payload_bytes Bytes of request bodies an account's "
          "pending jobs keep (all nodes).\n# TYPE contactd_account_job_payload_bytes gauge\n",
          f);
    for (size_t i = 0; i < g->nusage; i++) {
        fputs("contactd_account_job_payload_bytes{account=\"", f);
        label_value(f, g->usage[i].account);
        fprintf(f, "\"} %lld\n", (long long)g->usage[i].payload_bytes);
    }
}

char *metrics_render(const metrics_gauges *g)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    render_requests(f);
    render_jobs(f);
    render_gauges(f, g);
    render_usage(f, g);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
