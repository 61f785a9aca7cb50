/*
 * touch: what a query file notes in the open write transaction, kept in store.c with it:
 * what its writes changed, for segment sync (store.h, store_tx_touched_take), which
 * jobs it claimed (jobs.c) and the custom fields it read (fields.c). The change log follows the transaction's savepoints; its notes
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

/* What the transaction's job claims took so far (zero when it begins). A claim reads up to
 * JOB_CLAIM_AHEAD of an account's due jobs: a run of small jobs then costs one claim per
 * JOB_CLAIM_AHEAD jobs rather than one per job, and the runner may apply them together;
 * they stay valid to the end of the transaction (SQLite's one writer; PostgreSQL's
 * account lock). Jobs it finished keep their index entries on PostgreSQL until it
 * commits, so the next claim would step over all of them again (quadratic in jobs per
 * transaction): claims look past the highest seq finished, and an account's next job
 * past the last one finished of it (the account the last claim read). */
#define JOB_CLAIM_AHEAD 32
typedef struct job_claims {
    int64_t max_seq;
    int64_t last_account, last_seq;
    /* The claimed jobs not yet finished, in seq order: ahead[0] is the next to run. */
    job_row ahead[JOB_CLAIM_AHEAD];
    int nahead;
} job_claims;
job_claims *store_tx_job_claims(store_tx *tx);
/* The custom field definitions of one account as the transaction last read them
 * (fields.c): a run of one account's small jobs reads them once, not once a job. Every
 * write to field_definitions calls store_tx_fields_changed; begin, commit, rollback and
 * a rollback to a savepoint forget them too. */
typedef struct fields_memo {
    bool valid;
    int64_t account;
    arena mem; /* holds cat */
    field_catalog cat;
} fields_memo;
fields_memo *store_tx_fields_memo(store_tx *tx);
void store_tx_fields_changed(store_tx *tx);

#endif
