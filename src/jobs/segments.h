/*
 * segments: keeping Segments 2.0 membership exact, on the job writer.
 *
 *  - segment_sync (segment_sync.c), called by the writer before every commit, re-matches
 *    each contact the transaction touched (store_tx_touched_take) against its account's
 *    segments and writes the membership rows that changed; an account whose custom
 *    fields were renamed or deleted has all its segments evaluated afresh. So membership
 *    commits with the write that changed it.
 *  - the segment_eval job kind (segment_eval.c) evaluates one segment over every contact
 *    of its account, a slice at a time: after a create, an edit, a refresh, and every
 *    minute for queries that read the clock.
 *
 * A segment set (segset) is an account's segments compiled for matching; it owns its
 * memory (segset_free).
 */
#ifndef CONTACTD_JOBS_SEGMENTS_H
#define CONTACTD_JOBS_SEGMENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/sgql.h"
#include "store/store.h"

typedef struct segcompiled {
    segment_row row;
    sgql_query *q;     /* NULL with match_all or for a segment matching nothing */
    bool match_all;    /* no WHERE: every contact (of the parent list) */
    bool clock;        /* the query reads the clock */
    const char *error; /* why it matches nothing: an invalid query, or NULL */
} segcompiled;

typedef struct segset {
    arena mem;
    segcompiled *items;
    size_t count;
    bool need_lists; /* some segment reads list ids or has a parent list */
} segset;

/* Load and compile the account's segments (only the one with id only_id when not NULL),
 * against its custom fields as they are now. */
int segset_load(store_tx *tx, int64_t account, const char *only_id, segset *out);
void segset_free(segset *s);
/* c->list_ids must be read when set->need_lists. */
bool segcompiled_match(const segcompiled *seg, const contact *c);
/* Compile a query_dsl for the API's validation: 0, or -1 with the reason in err. */
int segment_query_check(const char *query_dsl, const field_catalog *fields, char *err,
                        size_t err_size);

/* Bring the segments of every account that tx touched up to date (see above). */
int segment_sync(store_tx *tx);
/* Insert a segment_eval job for the segment (inside an op or the writer's turn).
 * fresh: the segment has no members yet (nothing to delete); job_id may be NULL. */
int segment_eval_submit(store_tx *tx, int64_t account, const segment_row *seg, bool fresh,
                        char job_id[UUID_STR_LEN + 1]);
/* What this node's sweeps queued, so that a segment whose evaluation has not finished yet
 * is not queued again (an evaluation longer than the period would otherwise pile up). */
typedef struct segment_sweep {
    struct swept {
        int64_t account;
        char id[UUID_STR_LEN + 1];
        int64_t queued_at;
    } * items;
    size_t count, cap;
} segment_sweep;

#define SEGMENT_CLOCK_PERIOD_MS (60 * 1000)

/* Once a minute (the writer calls it): queue an evaluation of every segment whose query
 * reads the clock and was last evaluated a period ago or more. */
int segment_clock_sweep(store_tx *tx, segment_sweep *st);
void segment_sweep_free(segment_sweep *st);

#endif
