/*
 * store_tool: set-up helper of bench/run for the large stores. Never timed as part of a
 * scenario; contactd must not be running on DB for bulkload (dump is fine while it runs).
 *
 *   store_tool bulkload DB COUNT TAG
 *       Appends COUNT contacts of account 'default' to a database contactd created (run
 *       contactd once on an empty file first so that the schema and the account exist),
 *       writing rows directly in contactd's schema: a random v4 UUID id, email
 *       b<i>.<TAG>@bulk.example.com, external_id bx-<TAG>-<i>, first/last name, city and a
 *       100-character address_line_1 (the shape of the rows bench/run upserts through the
 *       API). To be fast, the contacts indexes are dropped, the rows inserted in one
 *       transaction without a journal, and the indexes re-created from their own SQL
 *       (read from sqlite_master, so they are exactly contactd's); the database is left
 *       in WAL mode as contactd expects. A database at another schema version than the
 *       store's migrations this tool was built with (src/store/sqlite_schema.c) is refused. Prints "STOREJSON {...}" with the timings.
 *
 *   store_tool dump DB OUT N [SEED]
 *       Writes up to N lines "id<TAB>email<TAB>external_id" of contacts that have both
 *       identifiers, spread evenly over the table (every k-th rowid) and shuffled, for the
 *       wrk scripts. Prints "STOREJSON {...}" with the count.
 *
 * Built by CMake with -DCONTACTD_BENCH=ON (target bench_helpers; bench/run does it).
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/sqlite_schema.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, sqlite3 *db)
{
    fprintf(stderr, "store_tool: %s%s%s\n", what, db ? ": " : "", db ? sqlite3_errmsg(db) : "");
    exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "store_tool: %s: %s\n", sql, msg ? msg : "?");
        exit(1);
    }
}

static uint64_t rs[2];
static uint64_t rnd(void)
{
    uint64_t x = rs[0], y = rs[1];
    rs[0] = y;
    x ^= x << 23;
    rs[1] = x ^ y ^ (x >> 17) ^ (y >> 26);
    return rs[1] + y;
}

static void seed(uint64_t s)
{
    rs[0] = s * 0x9E3779B97F4A7C15ull + 1;
    rs[1] = (s ^ 0xD1B54A32D192ED03ull) * 0xBF58476D1CE4E5B9ull + 3;
    for (int i = 0; i < 8; i++)
        rnd();
}

static void uuid4(char out[37])
{
    unsigned char b[16];
    uint64_t a = rnd(), c = rnd();
    memcpy(b, &a, 8);
    memcpy(b + 8, &c, 8);
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    static const char hex[] = "0123456789abcdef";
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = '\0';
}

static int bulkload(const char *path, long long count, const char *tag)
{
    static const char *const cities[] = {"Springfield", "Riverton",   "Lakeside", "Fairview",
                                         "Georgetown",  "Greenville", "Franklin", "Clinton",
                                         "Madison",     "Salem",      "Bristol",  "Dayton"};
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    seed((uint64_t)wall.tv_nsec ^ ((uint64_t)getpid() << 32));
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        die("cannot open the database", db);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *st;
    int64_t account = -1;
    if (sqlite3_prepare_v2(db, "SELECT id FROM accounts WHERE name='default'", -1, &st, NULL) !=
        SQLITE_OK)
        die("no accounts table (start contactd once on this file first)", db);
    if (sqlite3_step(st) == SQLITE_ROW)
        account = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (account < 0)
        die("no account 'default' (start contactd once on this file first)", NULL);
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        die("reading the schema version", db);
    int version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version != sqlite_migration_count) {
        fprintf(stderr,
                "store_tool: the database is at schema version %d, this tool writes version %d"
                " (rebuild it, or start the matching contactd once on the file)\n",
                version, sqlite_migration_count);
        exit(1);
    }

    exec(db, "PRAGMA journal_mode=DELETE");
    exec(db, "PRAGMA journal_mode=OFF");
    exec(db, "PRAGMA synchronous=OFF");
    exec(db, "PRAGMA cache_size=-524288");
    double t0 = now_ms();

    /* Save and drop the indexes of contacts; building them after the rows is much faster. */
    char *names[32], *sqls[32];
    int nidx = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT name, sql FROM sqlite_master WHERE type='index' AND"
                           " tbl_name='contacts' AND sql IS NOT NULL ORDER BY name",
                           -1, &st, NULL) != SQLITE_OK)
        die("reading indexes", db);
    while (sqlite3_step(st) == SQLITE_ROW && nidx < 32) {
        names[nidx] = strdup((const char *)sqlite3_column_text(st, 0));
        sqls[nidx] = strdup((const char *)sqlite3_column_text(st, 1));
        nidx++;
    }
    sqlite3_finalize(st);
    exec(db, "BEGIN");
    for (int i = 0; i < nidx; i++) {
        char sql[512];
        snprintf(sql, sizeof sql, "DROP INDEX \"%s\"", names[i]);
        exec(db, sql);
    }
    if (sqlite3_prepare_v2(
            db,
            "INSERT INTO contacts(account_id, id, email, external_id, first_name, last_name,"
            " city, address_line_1, created_at, updated_at) VALUES(?,?,?,?,?,?,?,?,?,?)",
            -1, &st, NULL) != SQLITE_OK)
        die("prepare insert", db);
    int64_t base = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000 - count;
    char id[37], email[160], ext[160], first[32], last[32], addr[128];
    for (long long i = 0; i < count; i++) {
        uuid4(id);
        int el = snprintf(email, sizeof email, "b%lld.%s@bulk.example.com", i, tag);
        int xl = snprintf(ext, sizeof ext, "bx-%s-%lld", tag, i);
        int fl = snprintf(first, sizeof first, "First%lld", i);
        int ll = snprintf(last, sizeof last, "Last%lld", i);
        int al = snprintf(addr, sizeof addr, "%lld Bulk Avenue ", 100 + i % 9000);
        while (al < 100)
            addr[al++] = 'x';
        addr[al] = '\0';
        sqlite3_bind_int64(st, 1, account);
        sqlite3_bind_text(st, 2, id, 36, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, email, el, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, ext, xl, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, first, fl, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, last, ll, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, cities[i % 12], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 8, addr, al, SQLITE_STATIC);
        sqlite3_bind_int64(st, 9, base + i);
        sqlite3_bind_int64(st, 10, base + i);
        if (sqlite3_step(st) != SQLITE_DONE)
            die("insert", db);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    double t1 = now_ms();
    for (int i = 0; i < nidx; i++) {
        exec(db, sqls[i]);
        free(names[i]);
        free(sqls[i]);
    }
    exec(db, "COMMIT");
    double t2 = now_ms();
    exec(db, "PRAGMA journal_mode=WAL");
    if (sqlite3_close(db) != SQLITE_OK)
        die("close", db);
    printf("STOREJSON {\"rows\":%lld,\"insert_ms\":%.0f,\"index_ms\":%.0f,\"indexes\":%d}\n", count,
           t1 - t0, t2 - t1, nidx);
    return 0;
}

static int dump(const char *path, const char *out, long long want, uint64_t s)
{
    seed(s);
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        die("cannot open the database", db);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *st;
    long long total = 0;
    if (sqlite3_prepare_v2(db, "SELECT max(rowid) FROM contacts", -1, &st, NULL) != SQLITE_OK)
        die("count", db);
    if (sqlite3_step(st) == SQLITE_ROW)
        total = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    long long every = want > 0 && total > want ? total / want : 1;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, email, external_id FROM contacts WHERE rowid % ? = 0 AND"
                           " email IS NOT NULL AND external_id IS NOT NULL LIMIT ?",
                           -1, &st, NULL) != SQLITE_OK)
        die("select", db);
    sqlite3_bind_int64(st, 1, every);
    sqlite3_bind_int64(st, 2, want);
    char **lines = calloc((size_t)want + 1, sizeof *lines);
    long long n = 0;
    while (n < want && sqlite3_step(st) == SQLITE_ROW) {
        if (asprintf(&lines[n], "%s\t%s\t%s\n", sqlite3_column_text(st, 0),
                     sqlite3_column_text(st, 1), sqlite3_column_text(st, 2)) < 0)
            die("out of memory", NULL);
        n++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    for (long long i = n - 1; i > 0; i--) {
        long long j = (long long)(rnd() % (uint64_t)(i + 1));
        char *t = lines[i];
        lines[i] = lines[j];
        lines[j] = t;
    }
    FILE *f = fopen(out, "w");
    if (!f)
        die("cannot write the output", NULL);
    for (long long i = 0; i < n; i++) {
        fputs(lines[i], f);
        free(lines[i]);
    }
    free(lines);
    if (fclose(f) != 0)
        die("cannot write the output", NULL);
    printf("STOREJSON {\"dumped\":%lld,\"max_rowid\":%lld,\"every\":%lld}\n", n, total, every);
    return n > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "bulkload"))
        return bulkload(argv[2], atoll(argv[3]), argv[4]);
    if ((argc == 5 || argc == 6) && !strcmp(argv[1], "dump"))
        return dump(argv[2], argv[3], atoll(argv[4]), argc == 6 ? strtoull(argv[5], NULL, 10) : 1);
    fprintf(stderr, "usage: store_tool bulkload DB COUNT TAG | store_tool dump DB OUT N [SEED]\n");
    return 2;
}
