/*
 * contact_row: a contact row as the query files select it — the column list, the list
 * ids read with the row, and the reader that turns a row into a contact (memory from the
 * caller's arena). Shared by contacts.c, lists.c and segments.c.
 */
#ifndef CONTACTD_STORE_CONTACT_ROW_H
#define CONTACTD_STORE_CONTACT_ROW_H

#include "store/driver.h"

/* id, the reserved fields in contact_fields[] order, alternate_emails, custom_fields,
 * created_at, updated_at; each name after prefix p ("" or "c."). contact_row_columns_ok
 * checks the list against contact_fields[] (test_store), so the SQL and the model cannot
 * disagree about which fields exist. */
#define CONTACT_COLUMNS(p)                                                                       \
    p "id," p "email," p "phone_number_id," p "external_id," p "anonymous_id," p "first_name," p \
      "last_name," p "unique_name," p "address_line_1," p "address_line_2," p "city," p          \
      "state_province_region," p "country," p "postal_code," p "phone_number," p "whatsapp," p   \
      "line," p "facebook," p "alternate_emails," p "custom_fields," p "created_at," p "updated_at"
/* How many columns CONTACT_COLUMNS has. */
#define CONTACT_COLUMN_COUNT (CF_COUNT + 5)

/* The sorted ids (column col) of the contact row of table t in member table m as a JSON
 * array, read with the row so that showing a contact costs one query (SQLite, then
 * PostgreSQL); the contact's lists and its segments. */
#define LITE_IDS_OF(m, col, t)                                              \
    "(SELECT json_group_array(" col ") FROM (SELECT x." col " FROM " m " x" \
    " WHERE x.account_id=" t ".account_id AND x.contact_id=" t ".id ORDER BY x." col "))"
#define PG_IDS_OF(m, col, t)                                               \
    "(SELECT COALESCE(json_agg(x." col " ORDER BY x." col "), '[]')::text" \
    " FROM " m " x WHERE x.account_id=" t ".account_id AND x.contact_id=" t ".id)"
#define LITE_LIST_IDS_OF(t) LITE_IDS_OF("list_members", "list_id", t)
#define PG_LIST_IDS_OF(t) PG_IDS_OF("list_members", "list_id", t)
#define LITE_SEGMENT_IDS_OF(t) LITE_IDS_OF("segment_members", "segment_id", t)
#define PG_SEGMENT_IDS_OF(t) PG_IDS_OF("segment_members", "segment_id", t)

/* The contact in the current row: CONTACT_COLUMNS, then the list ids (JSON text or NULL),
 * then, with segments, the segment ids. */
void contact_row_read(db_stmt *st, bool with_segments, arena *a, contact *out);
/* Every row of st (stepped to its end, then reset) as contacts. */
int contact_rows_collect(db_stmt *st, bool with_segments, arena *a, contact **rows, size_t *count);
/* The contact ids q answers on a pooled reader, bound to (?1 account, ?2 owner, ?3 limit):
 * the sample of a list or a segment (ids only, so that a sample of big contacts is never
 * read whole: the API reads them one at a time). */
int contact_ids_sample(store *s, db_query *q, int64_t account, const char *owner, int64_t limit,
                       arena *a, const char ***ids, size_t *count);
/* Column 0 of every row of st (stepped to its end, then reset), copied into a. */
int db_collect_strings(db_stmt *st, arena *a, const char ***rows, size_t *count);
/* db_collect_strings of q on c bound to (?1 account, ?2 text); no rows when q fails to
 * prepare. */
int db_collect_account_text(db_conn *c, db_query *q, int64_t account, const char *text, arena *a,
                            const char ***rows, size_t *count);

/* Whether CONTACT_COLUMNS names contact_fields[] in order. */
bool contact_row_columns_ok(void);

#endif
