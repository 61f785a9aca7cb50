/*
 * exports: an export's files (store.h): chunks written by the export job and read back by
 * downloads, written once over driver.h for both engines. A file is its chunks in order;
 * the last chunk records where the job's scan stands.
 */
#include <string.h>

#include "store/driver.h"

int store_tx_export_tail(store_tx *tx, int64_t job_seq, arena *a, export_tail *out)
{
    static db_query q =
        DB_SQL("SELECT c.file_no, c.chunk_no, c.last_id, (SELECT CAST(sum(x.bytes) AS BIGINT)"
               " FROM export_chunks x WHERE x.job_seq=c.job_seq AND x.file_no=c.file_no)"
               " FROM export_chunks c WHERE c.job_seq=?1 ORDER BY c.chunk_no DESC LIMIT 1");
    memset(out, 0, sizeof *out);
    db_stmt *st = db_prepare(db_tx(tx), &q);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, job_seq);
    int rc = db_step(st);
    if (rc == DB_ROW) {
        out->file_no = db_col_int(st, 0);
        out->chunk_no = db_col_int(st, 1);
        out->last_id = db_col_text_dup(st, 2, a);
        out->file_bytes = db_col_int(st, 3);
        rc = STORE_OK;
    }
    db_done(st);
    return rc; /* no chunk yet: the zeroed tail */
}

int store_tx_export_chunk_add(store_tx *tx, int64_t job_seq, int64_t file_no, int64_t chunk_no,
                              const char *last_id, const void *data, size_t len, int64_t expires_at)
{
    static db_query q = DB_SQL(
        "INSERT INTO export_chunks(job_seq, chunk_no, file_no, last_id, bytes, data, expires_at)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7) ON CONFLICT DO NOTHING");
    db_stmt *st = db_prepare(db_tx(tx), &q);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, job_seq);
    db_bind_int(st, 2, chunk_no);
    db_bind_int(st, 3, file_no);
    db_bind_text(st, 4, last_id);
    db_bind_int(st, 5, (int64_t)len);
    db_bind_blob(st, 6, data, len);
    db_bind_int(st, 7, expires_at);
    int rc = db_exec_found(st);
    /* a chunk of that number exists already */
    return rc == STORE_NOT_FOUND ? STORE_CONFLICT : rc;
}

int store_tx_export_purge(store_tx *tx, int64_t now_ms, int64_t *deleted)
{
    static db_query q = DB_SQL("DELETE FROM export_chunks WHERE expires_at<?1");
    db_stmt *st = db_prepare(db_tx(tx), &q);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, now_ms);
    int rc;
    while ((rc = db_step(st)) == DB_ROW)
        ;
    if (rc == STORE_OK && deleted)
        *deleted = db_changes(st);
    db_done(st);
    return rc;
}

int store_export_file_count(store *s, int64_t account, const char *job_id, int64_t *files)
{
    static db_query q = DB_SQL(
        "SELECT COALESCE(max(c.file_no),0) FROM export_chunks c JOIN jobs j ON j.seq=c.job_seq"
        " WHERE j.id=?1 AND j.account_id=?2");
    int rc = db_read_ints(s, &q, DB_ARGS(DB_TEXT(job_id), DB_INT(account)), files, 1);
    /* The aggregate always has a row, except on PostgreSQL for an id that is not UTF-8,
     * which names no job: no files. */
    if (rc == STORE_NOT_FOUND) {
        *files = 0;
        rc = STORE_OK;
    }
    return rc;
}

/* Append n bytes at p to the arena buffer *buf (used, cap), growing it by doubling (the
 * old block stays until the arena goes). */
static void buf_append(arena *a, char **buf, size_t *used, size_t *cap, const void *p, size_t n)
{
    if (*used + n + 1 > *cap) {
        /* the first block fits the first chunk exactly, the common case of one large chunk */
        size_t ncap = *cap ? *cap * 2 : n + 1 > 64 * 1024 ? n + 1 : 64 * 1024;
        while (ncap < *used + n + 1)
            ncap *= 2;
        char *nb = arena_alloc(a, ncap);
        if (*used)
            memcpy(nb, *buf, *used);
        *buf = nb;
        *cap = ncap;
    }
    if (n)
        memcpy(*buf + *used, p, n);
    *used += n;
}

int store_export_chunk_next(store *s, int64_t account, const char *job_id, int64_t file_no,
                            int64_t after_chunk, int64_t max_chunks, arena *a, int64_t *chunk_no,
                            const char **data, size_t *len)
{
    /* ?6 STORE_EXPORT_READ_BYTES: the chunks whose bytes before them are fewer (the first
     * always); the running sum reads the bytes column only, and data is fetched for the
     * rows kept. chunk_no is a BIGINT: binary results on PostgreSQL. */
    static db_query q =
        DB_SQL_BINARY("SELECT w.chunk_no, c.data FROM (SELECT x.job_seq, x.chunk_no,"
                      " sum(x.bytes) OVER (ORDER BY x.chunk_no) - x.bytes AS before"
                      " FROM export_chunks x JOIN jobs j ON j.seq=x.job_seq"
                      " WHERE j.id=?1 AND j.account_id=?2 AND x.file_no=?3 AND x.chunk_no>?4"
                      " ORDER BY x.chunk_no LIMIT ?5) w"
                      " JOIN export_chunks c ON c.job_seq=w.job_seq AND c.chunk_no=w.chunk_no"
                      " WHERE w.before<?6 ORDER BY w.chunk_no");
    db_conn *c;
    db_stmt *st = db_read_prepare(s, &q, &c);
    if (!st)
        return STORE_ERROR;
    db_bind_text(st, 1, job_id);
    db_bind_int(st, 2, account);
    db_bind_int(st, 3, file_no);
    db_bind_int(st, 4, after_chunk);
    db_bind_int(st, 5, max_chunks);
    db_bind_int(st, 6, STORE_EXPORT_READ_BYTES);
    char *buf = NULL;
    size_t used = 0, cap = 0;
    int rc, rows = 0;
    while (used < STORE_EXPORT_READ_BYTES && (rc = db_step(st)) == DB_ROW) {
        size_t n;
        const void *p = db_col_blob(st, 1, &n);
        buf_append(a, &buf, &used, &cap, p, n);
        *chunk_no = db_col_int(st, 0);
        rows++;
    }
    db_done(st);
    db_read_done(s, c);
    if (rc != STORE_OK && rc != DB_ROW) /* DB_ROW: the byte bound stopped the loop */
        return rc;
    if (rows == 0)
        return STORE_NOT_FOUND;
    buf[used] = '\0';
    *data = buf;
    *len = used;
    return STORE_OK;
}
