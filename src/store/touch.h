/*
 * touch: what a query file notes in the open write transaction, kept in store.c with it:
 * what its writes changed, for segment sync (store.h, store_tx_touched_take), and which
 * jobs it claimed (jobs.c). The change log follows the transaction's savepoints; its notes
 * are copied (row included), so the caller keeps its memory.
 */
#ifndef CONTACTD_STORE_TOUCH_H
#define CONTACTD_STORE_TOUCH_H

#include "store/store.h"

/* A contact inserted, updated (row: what was written), deleted or moved between lists. */
void store_tx_touch_contact(store_tx *tx, int64_t account, const char *id, store_touch what,
                            const contact *row);
/* An account whose custom fields were renamed or deleted. */
void store_tx_touch_account(store_tx *tx, int64_t account);

/* What the transaction's job claims took so far (zero when it begins). Jobs it finished
 * keep their index entries on PostgreSQL until it commits, so the next claim would step
 * over all of them again (quadratic in jobs per transaction): claims look past the
 * highest seq claimed, and an account's next job past the last one taken of it. */
typedef struct job_claims {
    int64_t max_seq;
    int64_t last_account, last_seq;
} job_claims;
job_claims *store_tx_job_claims(store_tx *tx);

#endif
