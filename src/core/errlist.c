/* errlist: see errlist.h. */
#include "core/errlist.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void errlist_init(errlist *e, arena *a)
{
    memset(e, 0, sizeof *e);
    e->arena = a;
}

void errlist_add(errlist *e, const char *field, const char *fmt, ...)
{
    e->items = arena_grow(e->arena, e->items, e->count, &e->cap, sizeof *e->items);
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    e->items[e->count].field = field ? arena_strdup(e->arena, field) : NULL;
    e->items[e->count].message = arena_strdup(e->arena, buf);
    e->count++;
}
