/*
 * membudget: a shared byte budget with all-or-nothing admission (see membudget.h).
 */
#include "core/membudget.h"

void membudget_init(membudget *b, int64_t limit)
{
    atomic_init(&b->used, 0);
    b->limit = limit;
}

bool membudget_take(membudget *b, int64_t n)
{
    int64_t used = atomic_load_explicit(&b->used, memory_order_relaxed);
    do {
        if (b->limit && used + n > b->limit)
            return false;
    } while (!atomic_compare_exchange_weak_explicit(&b->used, &used, used + n, memory_order_relaxed,
                                                    memory_order_relaxed));
    return true;
}

void membudget_charge(membudget *b, int64_t n)
{
    atomic_fetch_add_explicit(&b->used, n, memory_order_relaxed);
}

void membudget_give(membudget *b, int64_t n)
{
    atomic_fetch_sub_explicit(&b->used, n, memory_order_relaxed);
}

int64_t membudget_used(membudget *b)
{
    return atomic_load_explicit(&b->used, memory_order_relaxed);
}
