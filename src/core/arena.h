/*
 * arena: a bump allocator for memory that lives exactly as long as one unit of work
 * (an HTTP request, a decoded upsert batch, one job chunk).
 *
 * Ownership: the arena owns every block it hands out; nothing is freed piecemeal.
 * arena_release() frees all of it at once and leaves the arena empty and reusable.
 * Allocation failure aborts the process: out of memory is not a client's mistake and
 * there is no sensible partial answer (see DESIGN.md).
 */
#ifndef CONTACTD_CORE_ARENA_H
#define CONTACTD_CORE_ARENA_H

#include <stddef.h>

typedef struct arena_chunk arena_chunk;

typedef struct arena {
    arena_chunk *head; /* most recent chunk; older chunks hang off ->prev */
    size_t total;      /* bytes obtained from malloc, for memory accounting */
} arena;

#define ARENA_INIT \
    {              \
        0, 0       \
    }

void *arena_alloc(arena *a, size_t size);
void *arena_calloc(arena *a, size_t n, size_t size);
char *arena_strndup(arena *a, const char *s, size_t len);
char *arena_strdup(arena *a, const char *s);
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Make room for one more element in an arena array of count elements of elem_size bytes
 * whose capacity is *cap (0 for a new array): returns the array, moved to a block twice as
 * large when it was full (the old block stays in the arena until release). */
void *arena_grow(arena *a, void *items, size_t count, size_t *cap, size_t elem_size);
void arena_release(arena *a);

#endif
