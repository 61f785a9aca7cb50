/*
 * metrics: process-wide counters for GET /metrics (Prometheus text format 0.0.4).
 *
 * Every layer bumps its own counters here (http: requests, connections, 429s; jobs: job
 * outcomes, records applied, group commits; store: database errors) with lock-free C11
 * atomics, so counting costs a few relaxed atomic adds per request. metrics_render
 * reads them without stopping anyone: a scrape may see one counter a request ahead of
 * another, never a torn value.
 *
 * Routes are registered once at startup by index (the server's route table); requests
 * that match no route count under the route label "unmatched".
 */
#ifndef CONTACTD_CORE_METRICS_H
#define CONTACTD_CORE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/job.h"

#define METRICS_MAX_ROUTES 96

/* Name route idx (0 <= idx < METRICS_MAX_ROUTES) before serving; strings must outlive
 * the process (the route table's literals). */
void metrics_route_register(unsigned idx, const char *method, const char *pattern);
/* A finished request: route index or -1 when none matched, its status, its duration. */
void metrics_request(int route, unsigned status, double ms);
void metrics_connection_opened(void);
void metrics_connection_closed(void);
void metrics_rate_limited(void);
/* A request joined (+1) or left (-1) the slow pool's waiting room (http/fair_queue.h). */
void metrics_slow_waiting(int delta);
/* A 429 because the account's slow queue was full; counted in rate_limited too. */
void metrics_slow_refused(void);
/* The job backlog as the writer last measured it (jobs/jobs.h), and a write refused
 * with 429 because of it (counted in rate_limited too). */
void metrics_backlog(int64_t jobs, int64_t records);
void metrics_backlog_refused(void);
/* An export download refused because downloads in progress hold the memory budget. */
void metrics_download_refused(void);
void metrics_db_error(void);

void metrics_job_accepted(job_kind k);
void metrics_job_finished(job_kind k, job_status s);
void metrics_records_applied(uint64_t n);
/* A group commit of the job writer that carried `size` submissions (0: job work only). */
void metrics_group_commit(uint64_t size);

/* What one account keeps on disk beyond its contacts (read from the store at scrape time). */
typedef struct metrics_account_usage {
    const char *account; /* the account's name: the label */
    int64_t export_bytes, payload_bytes;
} metrics_account_usage;

/* Values read at scrape time by the caller (the store's queue and disk use, the process). */
typedef struct metrics_gauges {
    int64_t queue_depth;                /* pending jobs; -1 when the store could not say */
    double oldest_pending_s;            /* age of the oldest pending job, 0 when none */
    const metrics_account_usage *usage; /* the accounts that keep any; NULL: unknown */
    size_t nusage;
    int64_t download_bytes; /* held by export downloads in progress (their budget) */
} metrics_gauges;

/* The whole exposition, malloc'd (the caller frees it); NULL when out of memory. */
char *metrics_render(const metrics_gauges *g);

#endif
