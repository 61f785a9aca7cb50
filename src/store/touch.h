/*
 * touch: how a query file notes what its write changed, for segment sync (store.h,
 * store_tx_touched_take). The log lives in store.c with the transaction and follows its
 * savepoints; the notes are copied (row included), so the caller keeps its memory.
 */
#ifndef CONTACTD_STORE_TOUCH_H
#define CONTACTD_STORE_TOUCH_H

#include "store/store.h"

/* A contact inserted, updated (row: what was written), deleted or moved between lists. */
void store_tx_touch_contact(store_tx *tx, int64_t account, const char *id, store_touch what,
                            const contact *row);
/* An account whose custom fields were renamed or deleted. */
void store_tx_touch_account(store_tx *tx, int64_t account);

#endif
