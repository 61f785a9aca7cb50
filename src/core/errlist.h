/*
 * errlist: the validation errors of one request, in the order they were found, each a
 * (field, message) pair as SendGrid reports them: {"field": "contacts[3].email", ...}.
 * field may be NULL (the error concerns the request as a whole).
 *
 * Ownership: strings and the item array live in the arena given to errlist_init; the
 * errlist itself holds no other memory, so dropping it needs nothing beyond releasing
 * that arena.
 */
#ifndef CONTACTD_CORE_ERRLIST_H
#define CONTACTD_CORE_ERRLIST_H

#include <stddef.h>

#include "core/arena.h"

typedef struct errlist_item {
    const char *field; /* NULL: the request as a whole */
    const char *message;
} errlist_item;

typedef struct errlist {
    arena *arena;
    errlist_item *items;
    size_t count, cap;
} errlist;

void errlist_init(errlist *e, arena *a);
void errlist_add(errlist *e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
