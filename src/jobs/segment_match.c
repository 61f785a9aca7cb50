/*
 * segment_match: an account's segments compiled for matching (segments.h). The query_dsl
 * wrapper is split off by core/segment_query.h and its condition compiled by core/sgql.h,
 * the same compiler POST /contacts/search uses, so a segment and a search agree.
 */
#include <stdio.h>
#include <string.h>

#include "core/segment_query.h"
#include "core/timeutil.h"
#include "jobs/segments.h"

/* Compile one segment's query; on failure seg->error says why and it matches nothing. */
static void compile_one(segcompiled *seg, const field_catalog *fields, arena *mem)
{
    segment_query sq;
    char err[300];
    if (segment_query_parse(seg->row.query_dsl, &sq, err, sizeof err) != 0) {
        seg->error = arena_strdup(mem, err);
        return;
    }
    seg->clock = sq.clock;
    if (sq.engagement) {
        /* Engagement data is not recorded here: valid, and nobody matches. */
    } else if (!sq.condition) {
        seg->match_all = true;
    } else {
        seg->q = sgql_compile(sq.condition, fields, time_now_ms(), err, sizeof err);
        if (!seg->q)
            seg->error = arena_strdup(mem, err);
    }
    segment_query_free(&sq);
}

int segset_load(store_tx *tx, int64_t account, const char *only_id, segset *out)
{
    memset(out, 0, sizeof *out);
    segment_row *rows;
    size_t n;
    if (store_tx_segment_list(tx, account, &out->mem, &rows, &n) != STORE_OK)
        return STORE_ERROR;
    out->items = arena_calloc(&out->mem, n ? n : 1, sizeof *out->items);
    if (n == 0)
        return STORE_OK;
    field_catalog fields;
    if (store_tx_fields_list(tx, account, &out->mem, &fields) != STORE_OK)
        return STORE_ERROR;
    for (size_t i = 0; i < n; i++) {
        if (only_id && strcmp(rows[i].id, only_id) != 0)
            continue;
        segcompiled *seg = &out->items[out->count++];
        seg->row = rows[i];
        compile_one(seg, &fields, &out->mem);
        if (seg->row.parent_list_id || (seg->q && sgql_uses_lists(seg->q)))
            out->need_lists = true;
    }
    return STORE_OK;
}

void segset_free(segset *s)
{
    for (size_t i = 0; i < s->count; i++)
        sgql_free(s->items[i].q);
    arena_release(&s->mem);
    memset(s, 0, sizeof *s);
}

bool segcompiled_match(const segcompiled *seg, const contact *c)
{
    if (!seg->match_all && !seg->q)
        return false;
    if (seg->row.parent_list_id) {
        char quoted[UUID_STR_LEN + 4];
        snprintf(quoted, sizeof quoted, "\"%s\"", seg->row.parent_list_id);
        if (!c->list_ids || !strstr(c->list_ids, quoted))
            return false;
    }
    return seg->match_all || sgql_match(seg->q, c);
}

int segment_query_check(const char *query_dsl, const field_catalog *fields, char *err,
                        size_t err_size)
{
    segcompiled seg;
    memset(&seg, 0, sizeof seg);
    seg.row.query_dsl = query_dsl;
    arena mem = ARENA_INIT;
    compile_one(&seg, fields, &mem);
    int rc = seg.error ? -1 : 0;
    if (seg.error)
        snprintf(err, err_size, "%s", seg.error);
    sgql_free(seg.q);
    arena_release(&mem);
    return rc;
}
