/*
 * sqlite_insert: the reference for the 30,000-contact upsert. Inserts the contacts of an
 * upsert body into a fresh SQLite database made by the store's own migrations
 * (src/store/sqlite_schema.c, linked in: the same contacts table and indexes as contactd's),
 * with contactd's settings: WAL, synchronous=FULL, cache_size=-32768, default
 * autocheckpoint. One transaction; the time is BEGIN IMMEDIATE .. COMMIT returned (the
 * commit fsyncs). Reading and parsing the JSON is done before the clock starts.
 *
 *   sqlite_insert --body UPSERT.json --db OUT.db [--runs 3]
 *
 * Prints one line per run and a summary, each "SQLITEJSON {...}". Exit 0 on success.
 * Built by CMake with -DCONTACTD_BENCH=ON (target bench_helpers; bench/run does it).
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/sqlite_schema.h"

#define MAX_COLS 64

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, sqlite3 *db)
{
    fprintf(stderr, "sqlite_insert: %s%s%s\n", what, db ? ": " : "", db ? sqlite3_errmsg(db) : "");
    exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "sqlite_insert: %s: %s\n", sql, msg ? msg : "?");
        exit(1);
    }
}

/* xorshift128+ for contact ids: generating them is part of the timed work, as in contactd. */
static uint64_t rs[2];
static uint64_t rnd(void)
{
    uint64_t x = rs[0], y = rs[1];
    rs[0] = y;
    x ^= x << 23;
    rs[1] = x ^ y ^ (x >> 17) ^ (y >> 26);
    return rs[1] + y;
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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The statements that made the contacts table and its indexes (for the report). */
static int count_contacts_schema(sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            db, "SELECT count(*) FROM sqlite_master WHERE tbl_name='contacts' AND sql IS NOT NULL",
            -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        die("reading the schema", db);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (n < 2)
        die("no contacts table or index in the store's migrations", NULL);
    return n;
}

int main(int argc, char **argv)
{
    const char *body_path = NULL, *out = NULL;
    int runs = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--body"))
            body_path = argv[i + 1];
        else if (!strcmp(argv[i], "--db"))
            out = argv[i + 1];
        else if (!strcmp(argv[i], "--runs"))
            runs = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "sqlite_insert: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (!body_path || !out || runs < 1 || runs > 20) {
        fprintf(stderr, "usage: sqlite_insert --body UPSERT.json --db OUT.db [--runs N]\n");
        return 2;
    }
    rs[0] = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid();
    rs[1] = 0xD1B54A32D192ED03ull;

    /* The body, parsed before any timing. */
    json_error_t jerr;
    json_t *root = json_load_file(body_path, 0, &jerr);
    json_t *contacts = root ? json_object_get(root, "contacts") : NULL;
    if (!json_is_array(contacts)) {
        fprintf(stderr, "sqlite_insert: %s: %s\n", body_path,
                root ? "no contacts array" : jerr.text);
        return 1;
    }
    size_t n = json_array_size(contacts);

    double ms[20];
    long long db_bytes = 0;
    int ncols = 0, nschema = 0;
    sqlite3_stmt *st;
    for (int r = 0; r < runs; r++) {
        static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
        char path[4096];
        for (int k = 0; k < 4; k++) {
            snprintf(path, sizeof path, "%s%s", out, suffix[k]);
            unlink(path);
        }
        sqlite3 *db;
        if (sqlite3_open(out, &db) != SQLITE_OK)
            die("cannot create the database", db);
        exec(db, "PRAGMA journal_mode=WAL");
        exec(db, "PRAGMA synchronous=FULL");
        exec(db, "PRAGMA cache_size=-32768");
        for (int k = 0; k < sqlite_migration_count; k++)
            exec(db, sqlite_migrations[k]);
        nschema = count_contacts_schema(db);

        /* Column names in table order; account_id, id, created_at and updated_at are set
         * here, the others come from the contact's JSON member of the same name. */
        const char *cols[MAX_COLS];
        ncols = 0;
        if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info('contacts') ORDER BY cid",
                               -1, &st, NULL) != SQLITE_OK)
            die("table_info", db);
        while (sqlite3_step(st) == SQLITE_ROW && ncols < MAX_COLS)
            cols[ncols++] = strdup((const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        char sql[8192];
        size_t o = (size_t)snprintf(sql, sizeof sql, "INSERT INTO contacts(");
        for (int c = 0; c < ncols; c++)
            o += (size_t)snprintf(sql + o, sizeof sql - o, "%s%s", c ? "," : "", cols[c]);
        o += (size_t)snprintf(sql + o, sizeof sql - o, ") VALUES(");
        for (int c = 0; c < ncols; c++)
            o += (size_t)snprintf(sql + o, sizeof sql - o, "%s?", c ? "," : "");
        snprintf(sql + o, sizeof sql - o, ")");

        double t0 = now_ms();
        exec(db, "BEGIN IMMEDIATE");
        sqlite3_stmt *ins;
        if (sqlite3_prepare_v2(db, sql, -1, &ins, NULL) != SQLITE_OK)
            die("prepare insert", db);
        struct timespec wall;
        clock_gettime(CLOCK_REALTIME, &wall);
        int64_t now = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
        for (size_t i = 0; i < n; i++) {
            json_t *c = json_array_get(contacts, i);
            char id[37];
            uuid4(id);
            for (int k = 0; k < ncols; k++) {
                const char *name = cols[k];
                if (!strcmp(name, "account_id")) {
                    sqlite3_bind_int64(ins, k + 1, 1);
                } else if (!strcmp(name, "id")) {
                    sqlite3_bind_text(ins, k + 1, id, 36, SQLITE_TRANSIENT);
                } else if (!strcmp(name, "created_at") || !strcmp(name, "updated_at")) {
                    sqlite3_bind_int64(ins, k + 1, now);
                } else {
                    json_t *v = json_object_get(c, name);
                    if (json_is_string(v))
                        sqlite3_bind_text(ins, k + 1, json_string_value(v),
                                          (int)json_string_length(v), SQLITE_STATIC);
                    else
                        sqlite3_bind_null(ins, k + 1);
                }
            }
            if (sqlite3_step(ins) != SQLITE_DONE)
                die("insert", db);
            sqlite3_reset(ins);
        }
        sqlite3_finalize(ins);
        exec(db, "COMMIT");
        ms[r] = now_ms() - t0;

        struct stat sb;
        db_bytes = 0;
        if (stat(out, &sb) == 0)
            db_bytes += sb.st_size;
        snprintf(path, sizeof path, "%s-wal", out);
        if (stat(path, &sb) == 0)
            db_bytes += sb.st_size;
        sqlite3_close(db);
        for (int c = 0; c < ncols; c++)
            free((void *)cols[c]);
        printf("SQLITEJSON {\"run\":%d,\"rows\":%zu,\"ms\":%.3f,\"db_bytes\":%lld}\n", r + 1, n,
               ms[r], db_bytes);
        fflush(stdout);
    }
    double sorted[20];
    memcpy(sorted, ms, sizeof(double) * (size_t)runs);
    qsort(sorted, (size_t)runs, sizeof(double), cmp_double);
    double median = runs % 2 ? sorted[runs / 2] : (sorted[runs / 2 - 1] + sorted[runs / 2]) / 2;
    printf("SQLITEJSON {\"summary\":true,\"rows\":%zu,\"runs\":%d,\"median_ms\":%.3f,\"min_ms\":%.3f,"
           "\"max_ms\":%.3f,\"columns\":%d,\"schema_statements\":%d,\"sqlite\":\"%s\"}\n",
           n, runs, median, sorted[0], sorted[runs - 1], ncols, nschema, sqlite3_libversion());
    json_decref(root);
    return 0;
}
