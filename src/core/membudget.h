/*
 * membudget: a number of bytes that threads share out, e.g. the memory that concurrent
 * export downloads may hold at once (api/contacts_exports.c).
 *
 * membudget_take reserves all or nothing and is how new work is admitted; work already
 * admitted that turns out to need more says so with membudget_charge, which may pass the
 * limit (the next take then fails until enough is given back). Lock-free (one C11 atomic),
 * callable from any thread. The budget holds no memory itself: callers account for theirs.
 */
#ifndef CONTACTD_CORE_MEMBUDGET_H
#define CONTACTD_CORE_MEMBUDGET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct membudget {
    _Atomic int64_t used;
    int64_t limit; /* 0: no limit */
} membudget;

void membudget_init(membudget *b, int64_t limit);
/* Reserve n bytes if they fit under the limit; false (nothing reserved) otherwise. */
bool membudget_take(membudget *b, int64_t n);
/* Reserve n more bytes for work already admitted, past the limit if need be. */
void membudget_charge(membudget *b, int64_t n);
/* Give back n bytes taken or charged earlier. */
void membudget_give(membudget *b, int64_t n);
int64_t membudget_used(membudget *b);

#endif
