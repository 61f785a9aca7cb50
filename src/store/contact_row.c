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

/* A contact from a contact row; ctx: whether it carries the segment ids. */
static void fill_contact(db_stmt *st, arena *a, void *ctx, void *row)
{
    contact_row_read(st, *(const bool *)ctx, a, row);
}

int contact_rows_collect(db_stmt *st, bool with_segments, arena *a, contact **rows, size_t *count)
{
    db_rows r = {.a = a, .elem = sizeof **rows, .fill = fill_contact, .ctx = &with_segments};
    int rc = db_collect(st, &r);
    DB_ROWS_TO(r, rows, count);
    return rc;
}

/* Column 0 of a row as a string copied into a. */
static void fill_string(db_stmt *st, arena *a, void *ctx, void *row)
{
    (void)ctx;
    *(const char **)row = db_col_text_dup(st, 0, a);
}

/* What collects strings into a. */
static db_rows string_rows(arena *a)
{
    return (db_rows){.a = a, .elem = sizeof(const char *), .fill = fill_string};
}

int contact_ids_sample(store *s, db_query *q, int64_t account, const char *owner, int64_t limit,
                       arena *a, const char ***ids, size_t *count)
{
    db_rows r = string_rows(a);
    int rc = db_read_collect(s, q, DB_ARGS(DB_INT(account), DB_TEXT(owner), DB_INT(limit)), &r);
    DB_ROWS_TO(r, ids, count);
    return rc;
}

int db_collect_strings(db_stmt *st, arena *a, const char ***rows, size_t *count)
{
    db_rows r = string_rows(a);
    int rc = db_collect(st, &r);
    DB_ROWS_TO(r, rows, count);
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
    db_rows r = string_rows(a);
    int rc = db_collect_query(c, q, DB_ARGS(DB_INT(account), DB_TEXT(text)), &r);
    DB_ROWS_TO(r, rows, count);
    return rc;
}
