/*
 * test_csv: the CSV reader and writer of core/csv.c — RFC 4180 quoting, line ends, the
 * byte order mark, blank lines, every refusal with its reason, and that what the writer
 * quotes the reader reads back unchanged.
 */
#include <string.h>

#include "check.h"
#include "core/csv.h"

/* Read all records of text; returns the record count, or -1 on a refusal (*why set). */
static int read_all(const char *text, size_t len, arena *a, const char ***rows, size_t *widths,
                    size_t max, const char **why)
{
    csv_reader r;
    csv_reader_init(&r, text, len);
    int n = 0;
    for (;;) {
        const char **f;
        size_t c;
        int rc = csv_next(&r, a, &f, &c, why);
        if (rc == 0)
            return n;
        if (rc < 0)
            return -1;
        if ((size_t)n < max) {
            rows[n] = f;
            widths[n] = c;
        }
        n++;
    }
}

static void test_basic(void)
{
    arena a = ARENA_INIT;
    const char **rows[8];
    size_t w[8];
    const char *why = NULL;
    const char *t = "email,first_name\r\na@x.com,Ann\nb@x.com,\"Bob, Jr.\"\n";
    REQUIRE(read_all(t, strlen(t), &a, rows, w, 8, &why) == 3);
    CHECK_INT(w[0], 2);
    CHECK_STR(rows[0][0], "email");
    CHECK_STR(rows[0][1], "first_name");
    CHECK_STR(rows[1][1], "Ann");
    CHECK_STR(rows[2][1], "Bob, Jr.");
    arena_release(&a);
}

static void test_quoting_and_ends(void)
{
    arena a = ARENA_INIT;
    const char **rows[8];
    size_t w[8];
    const char *why = NULL;
    /* BOM, "" escapes, a line break inside quotes, empty fields, trailing comma, no final
     * newline, blank lines between records, a lone CR as a line end */
    const char *t = "\xEF\xBB\xBF"
                    "a,\"say \"\"hi\"\"\",\"two\nlines\"\n\n\n,,\rx,\n"
                    "last,\"\"";
    REQUIRE(read_all(t, strlen(t), &a, rows, w, 8, &why) == 4);
    CHECK_INT(w[0], 3);
    CHECK_STR(rows[0][0], "a");
    CHECK_STR(rows[0][1], "say \"hi\"");
    CHECK_STR(rows[0][2], "two\nlines");
    CHECK_INT(w[1], 3);
    CHECK_STR(rows[1][0], "");
    CHECK_STR(rows[1][2], "");
    CHECK_INT(w[2], 2);
    CHECK_STR(rows[2][0], "x");
    CHECK_STR(rows[2][1], "");
    CHECK_INT(w[3], 2);
    CHECK_STR(rows[3][1], "");
    /* UTF-8 passes through */
    const char *u = "caf\xC3\xA9,\"\xE2\x82\xAC\"\n";
    REQUIRE(read_all(u, strlen(u), &a, rows, w, 8, &why) == 1);
    CHECK_STR(rows[0][0], "caf\xC3\xA9");
    CHECK_STR(rows[0][1], "\xE2\x82\xAC");
    /* only blank lines: no record */
    CHECK_INT(read_all("\n\r\n\n", 4, &a, rows, w, 8, &why), 0);
    CHECK_INT(read_all("", 0, &a, rows, w, 8, &why), 0);
    arena_release(&a);
}

static void expect_refused(const char *text, size_t len, const char *reason, int line,
                           const char *file, int src_line)
{
    arena a = ARENA_INIT;
    csv_reader r;
    csv_reader_init(&r, text, len);
    const char **f;
    size_t c;
    const char *why = NULL;
    int rc;
    while ((rc = csv_next(&r, &a, &f, &c, &why)) == 1)
        ;
    check_int_(rc, -1, "csv_next", "-1", file, src_line);
    if (rc < 0) {
        check_contains_(why, reason, "why", file, src_line);
        check_int_(r.line, line, "r.line", "line", file, src_line);
    }
    arena_release(&a);
}
#define EXPECT_REFUSED(t, reason, line) \
    expect_refused((t), sizeof(t) - 1, (reason), (line), __FILE__, __LINE__)

static void test_refusals(void)
{
    EXPECT_REFUSED("a,b\n\"open,x\n", "not closed", 3);
    EXPECT_REFUSED("a,b\nx\"y,z\n", "quote inside an unquoted field", 2);
    EXPECT_REFUSED("\"ab\"c,d\n", "after a closing quote", 1);
    EXPECT_REFUSED("a,b\nc,d\0e\n", "NUL", 2);
    EXPECT_REFUSED("a,\"b\0\"\n", "NUL", 1);
    EXPECT_REFUSED("a,\xC3(\n", "UTF-8", 1);
    EXPECT_REFUSED("\"\xED\xA0\x80\"\n", "UTF-8", 1); /* a surrogate */
    EXPECT_REFUSED("ok\n\xC0\xAF\n", "UTF-8", 2);     /* overlong */
    /* too many fields */
    static char wide[CSV_MAX_FIELDS * 2 + 8];
    memset(wide, ',', CSV_MAX_FIELDS + 1);
    wide[CSV_MAX_FIELDS + 1] = '\n';
    wide[CSV_MAX_FIELDS + 2] = '\0';
    expect_refused(wide, strlen(wide), "more than 1000 fields", 1, __FILE__, __LINE__);
    /* a field too long, quoted and not */
    static char big[CSV_MAX_FIELD + 16];
    memset(big, 'x', CSV_MAX_FIELD + 2);
    big[CSV_MAX_FIELD + 2] = '\n';
    expect_refused(big, CSV_MAX_FIELD + 3, "longer than", 1, __FILE__, __LINE__);
    big[0] = '"'; /* CSV_MAX_FIELD + 1 bytes inside the quotes */
    big[CSV_MAX_FIELD + 1] = 'x';
    big[CSV_MAX_FIELD + 2] = '"';
    big[CSV_MAX_FIELD + 3] = '\n';
    expect_refused(big, CSV_MAX_FIELD + 4, "longer than", 1, __FILE__, __LINE__);
    /* exactly CSV_MAX_FIELD is allowed */
    arena a = ARENA_INIT;
    const char **rows[1];
    size_t w[1];
    const char *why = NULL;
    big[CSV_MAX_FIELD + 1] = '"';
    big[CSV_MAX_FIELD + 2] = '\n';
    CHECK_INT(read_all(big, CSV_MAX_FIELD + 3, &a, rows, w, 1, &why), 1);
    arena_release(&a);
}

static void test_writer_round_trip(void)
{
    static const char *const values[] = {
        "plain",       "",         "with,comma", "with \"quotes\"",
        "line\nbreak", "cr\rhere", " padded ",   "caf\xC3\xA9",
    };
    size_t n = sizeof values / sizeof values[0];
    csv_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        if (i)
            csv_buf_raw(&b, ",", 1);
        csv_buf_field(&b, values[i], strlen(values[i]));
    }
    csv_buf_raw(&b, "\n", 1);
    CHECK(memcmp(b.data, "plain,,\"with,comma\"", 19) == 0);
    arena a = ARENA_INIT;
    const char **rows[2];
    size_t w[2];
    const char *why = NULL;
    REQUIRE(read_all(b.data, b.len, &a, rows, w, 2, &why) == 1);
    REQUIRE(w[0] == n);
    for (size_t i = 0; i < n; i++)
        CHECK_STR(rows[0][i], values[i]);
    csv_buf_free(&b);
    CHECK(b.data == NULL && b.len == 0);
    arena_release(&a);
}

int main(void)
{
    RUN(test_basic);
    RUN(test_quoting_and_ends);
    RUN(test_refusals);
    RUN(test_writer_round_trip);
    return check_summary("test_csv");
}
