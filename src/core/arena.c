/*
 * arena: chunked bump allocation. Chunks grow geometrically (4 KiB up to 1 MiB) so a small
 * request costs one malloc and a 6 MB upsert a few dozen. An allocation larger than the
 * next chunk gets a chunk of its own.
 */
#include "core/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
    arena_chunk *prev;
    size_t used, cap;
    max_align_t data[]; /* aligned storage follows the header */
};

enum { ARENA_FIRST = 4096, ARENA_MAX_STEP = 1 << 20 };

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fputs("contactd: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *arena_alloc(arena *a, size_t size)
{
    const size_t align = _Alignof(max_align_t);
    size = (size + align - 1) & ~(align - 1);
    if (size == 0)
        size = align;
    arena_chunk *c = a->head;
    if (!c || c->cap - c->used < size) {
        size_t cap = c ? c->cap * 2 : ARENA_FIRST;
        if (cap > ARENA_MAX_STEP)
            cap = ARENA_MAX_STEP;
        if (cap < size)
            cap = size;
        if (cap > SIZE_MAX - sizeof(arena_chunk)) {
            fputs("contactd: allocation too large\n", stderr);
            abort();
        }
        arena_chunk *n = xmalloc(sizeof(arena_chunk) + cap);
        n->cap = cap;
        n->used = 0;
        a->total += cap;
        /* An oversized block goes behind the current chunk so the current chunk's
         * free space stays usable for the small allocations that follow. */
        if (c && size > c->cap) {
            n->prev = c->prev;
            c->prev = n;
            n->used = size;
            return n->data;
        }
        n->prev = c;
        a->head = c = n;
    }
    void *p = (char *)c->data + c->used;
    c->used += size;
    return p;
}

void *arena_calloc(arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        fputs("contactd: allocation too large\n", stderr);
        abort();
    }
    void *p = arena_alloc(a, n * size);
    memset(p, 0, n * size);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t len)
{
    char *p = arena_alloc(a, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *arena_strdup(arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return arena_strdup(a, "");
    char *p = arena_alloc(a, (size_t)n + 1);
    if ((size_t)n < sizeof small) {
        memcpy(p, small, (size_t)n + 1);
    } else {
        va_start(ap, fmt);
        vsnprintf(p, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return p;
}

void *arena_grow(arena *a, void *items, size_t count, size_t *cap, size_t elem_size)
{
    if (count < *cap)
        return items;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *grown = arena_calloc(a, ncap, elem_size);
    if (count)
        memcpy(grown, items, count * elem_size);
    *cap = ncap;
    return grown;
}

void arena_release(arena *a)
{
    arena_chunk *c = a->head;
    while (c) {
        arena_chunk *prev = c->prev;
        free(c);
        c = prev;
    }
    a->head = NULL;
    a->total = 0;
}
