/*
 * segments_refresh: POST /v3/marketing/segments/2.0/refresh/{segment_id} {"user_time_zone"}.
 *
 * Membership here is always current (jobs/segment_sync.c), so a refresh only queues one
 * more evaluation of the segment over its account's contacts (the segment_eval job) and
 * answers 202 {"job_id"} once it is on disk. user_time_zone must name a zone of the IANA
 * database: SendGrid resets its refresh allowance at the user's midnight, which contactd
 * does not limit, but a zone SendGrid would refuse is refused here too. Zones are checked
 * against the system's tz database (/usr/share/zoneinfo, Debian's tzdata package).
 * A missing segment is a 404 in the document's SegmentError shape {"error": "..."}.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "api/api.h"
#include "jobs/segments.h"

#define ZONEINFO "/usr/share/zoneinfo/"
#define ZONE_MAX 64

/* An IANA name ("America/Chicago", "UTC", "Etc/GMT+5"): letters, digits, '_', '-', '+'
 * in '/'-separated parts, none starting with '.', naming a zone file. */
static bool zone_valid(const char *z)
{
    size_t n = strlen(z);
    if (n == 0 || n > ZONE_MAX || z[0] == '/' || z[n - 1] == '/')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = z[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '+' || c == '/';
        if (!ok || (c == '/' && z[i + 1] == '/'))
            return false;
    }
    /* "posix/" and "right/" are copies of the database, not zone names. */
    if (strncmp(z, "posix/", 6) == 0 || strncmp(z, "right/", 6) == 0)
        return false;
    char path[sizeof ZONEINFO + ZONE_MAX];
    snprintf(path, sizeof path, ZONEINFO "%s", z);
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

typedef struct segment_refresh {
    http_request *req;
    int64_t account;
    char id[UUID_STR_LEN + 1];
    char job_id[UUID_STR_LEN + 1];
} segment_refresh;

static int refresh_op(store_tx *tx, void *arg)
{
    segment_refresh *r = arg;
    arena a = ARENA_INIT;
    segment_row *rows;
    size_t n;
    int rc = store_tx_segment_list(tx, r->account, &a, &rows, &n);
    const segment_row *seg = NULL;
    for (size_t i = 0; rc == STORE_OK && i < n && !seg; i++)
        if (strcmp(rows[i].id, r->id) == 0)
            seg = &rows[i];
    if (rc == STORE_OK)
        rc = seg ? segment_eval_submit(tx, r->account, seg, false, r->job_id) : STORE_NOT_FOUND;
    arena_release(&a);
    return rc;
}

static void refresh_done(void *ctx, int rc)
{
    segment_refresh *r = ctx;
    if (rc == STORE_OK)
        http_resume_json(r->req, 202, json_pack("{s:s}", "job_id", r->job_id));
    else if (rc == STORE_NOT_FOUND)
        http_resume_json(r->req, 404, json_pack("{s:s}", "error", "Segment does not exist."));
    else
        api_resume_store_error(r->req); /* 503 in the usual shape, as README says */
}

void api_segment_refresh(http_request *req)
{
    errlist errs;
    json_t *root = api_body_begin(req, &errs);
    if (!root)
        return;
    json_t *tz = json_object_get(root, "user_time_zone");
    if (!tz)
        errlist_add(&errs, "user_time_zone", "user_time_zone is required");
    else if (!json_is_string(tz))
        errlist_add(&errs, "user_time_zone", "user_time_zone must be a string");
    else if (!zone_valid(json_string_value(tz)))
        errlist_add(&errs, "user_time_zone",
                    "'%.64s' is not an IANA time zone (such as America/Chicago)",
                    json_string_value(tz));
    json_decref(root);
    if (errs.count) {
        http_reply_errlist(req, 400, &errs);
        return;
    }
    const char *id = http_param(req, 0);
    if (!uuid_valid(id)) {
        http_reply_json(req, 404, json_pack("{s:s}", "error", "Segment does not exist."));
        return;
    }
    segment_refresh *r = arena_calloc(http_arena(req), 1, sizeof *r);
    r->req = req;
    r->account = http_account(req);
    snprintf(r->id, sizeof r->id, "%s", id);
    api_submit_op(req, refresh_op, r, refresh_done);
}
