/*
 * contact_row: reading contact rows and string columns for the query files (see
 * contact_row.h).
 */
#include "store/contact_row.h"

#include <stdio.h>
#include <string.h>

void contact_row_read(db_stmt *st, bool with_segments, arena *a, contact *out)
{
    memset(out, 0, sizeof *out);
    const char *id = db_col_text(st, 0);
    snprintf(out->id, sizeof out->id, "%s", id ? id : "");
    for (int i = 0; i < CF_COUNT; i++)
        out->field[i] = db_col_text_dup(st, 1 + i, a);
    out->alternate_emails = db_col_text_dup(st, CF_COUNT + 1, a);
    out->custom_fields = db_col_text_dup(st, CF_COUNT + 2, a);
    out->created_at = db_col_int(st, CF_COUNT + 3);
    out->updated_at = db_col_int(st, CF_COUNT + 4);
    out->list_ids = db_col_text_dup(st, CF_COUNT + 5, a);
    if (with_segments)
        out->segment_ids = db_col_text_dup(st, CF_COUNT + 6, a);
}

int contact_rows_collect(db_stmt *st, bool with_segments, arena *a, contact **rows, size_t *count)
{
    *rows = NULL;
    *count = 0;
    size_t cap = 0;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        *rows = arena_grow(a, *rows, *count, &cap, sizeof **rows);
        contact_row_read(st, with_segments, a, &(*rows)[(*count)++]);
    }
    db_done(st);
    return rc;
}

int contact_ids_sample(store *s, db_query *q, int64_t account, const char *owner, int64_t limit,
                       arena *a, const char ***ids, size_t *count)
{
    *ids = NULL;
    *count = 0;
    db_conn *c;
    db_stmt *st = db_read_prepare(s, q, &c);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    db_bind_text(st, 2, owner);
    db_bind_int(st, 3, limit);
    int rc = db_collect_strings(st, a, ids, count);
    db_read_done(s, c);
    return rc;
}

int db_collect_strings(db_stmt *st, arena *a, const char ***rows, size_t *count)
{
    *rows = NULL;
    *count = 0;
    size_t cap = 0;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        *rows = (const char **)arena_grow(a, (void *)*rows, *count, &cap, sizeof **rows);
        (*rows)[(*count)++] = db_col_text_dup(st, 0, a);
    }
    db_done(st);
    return rc;
}

bool contact_row_columns_ok(void)
{
    static const char cols[] = CONTACT_COLUMNS("");
    const char *p = cols;
    static const char *const tail[] = {"alternate_emails", "custom_fields", "created_at",
                                       "updated_at"};
    for (int i = -1; i < CF_COUNT + 4; i++) {
        const char *want = i < 0          ? "id"
                           : i < CF_COUNT ? contact_fields[i].name
                                          : tail[i - CF_COUNT];
        size_t n = strlen(want);
        if (strncmp(p, want, n) != 0 || (p[n] != ',' && p[n] != '\0'))
            return false;
        p += n + (p[n] == ',');
    }
    return *p == '\0';
}

int db_collect_account_text(db_conn *c, db_query *q, int64_t account, const char *text, arena *a,
                            const char ***rows, size_t *count)
{
    *rows = NULL;
    *count = 0;
    db_stmt *st = db_prepare(c, q);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    db_bind_text(st, 2, text);
    return db_collect_strings(st, a, rows, count);
}
