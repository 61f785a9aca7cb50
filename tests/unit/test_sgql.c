/*
 * test_sgql: the Segmentation Query Language of core/sgql.c — every operator, the
 * functions, SQL's NULL (unknown) logic, custom fields of each type, list and email-domain
 * CONTAINS, date literals and INTERVAL arithmetic against a fixed "now", and the compile
 * errors (syntax, unknown names, type mismatches, limits, deep nesting).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/sgql.h"

/* 2021-03-02T15:25:47Z */
#define NOW_MS INT64_C(1614698747000)
#define DAY INT64_C(86400000)

static field_def defs[] = {
    {"e1_T", "color", FIELD_TEXT},
    {"e2_N", "age", FIELD_NUMBER},
    {"e3_D", "birthday", FIELD_DATE},
    {"e4_T", "Nickname", FIELD_TEXT},
};
static const field_catalog catalog = {defs, sizeof defs / sizeof defs[0]};

/* Ada: most fields set. */
static contact ada(void)
{
    contact c;
    memset(&c, 0, sizeof c);
    strcpy(c.id, "0d4a5b3c-1f2e-4a6b-8c9d-0e1f2a3b4c5d");
    c.field[CF_EMAIL] = "ada@example.com";
    c.field[CF_FIRST_NAME] = "Ada";
    c.field[CF_LAST_NAME] = "Lovelace";
    c.field[CF_CITY] = "London";
    c.field[CF_COUNTRY] = "";
    c.field[CF_POSTAL_CODE] = "02139";
    c.alternate_emails = "[\"ada@Analytical.org\",\"countess@engine.io\"]";
    c.custom_fields = "{\"e1_T\":\"red\",\"e2_N\":42,\"e3_D\":\"1990-12-10T00:00:00Z\","
                      "\"e4_T\":\"Zo\\u00eb \\\"Z\\\" O'Neil\"}";
    c.list_ids = "[\"list-a\",\"list-b\"]";
    c.created_at = NOW_MS - 3 * DAY; /* 2021-02-27T15:25:47Z */
    c.updated_at = NOW_MS - 3600000; /* an hour ago */
    return c;
}

/* Bob: nearly empty. */
static contact bob(void)
{
    contact c;
    memset(&c, 0, sizeof c);
    strcpy(c.id, "11111111-2222-4333-8444-555555555555");
    c.field[CF_PHONE_NUMBER_ID] = "+15555550100";
    c.field[CF_FIRST_NAME] = "\xc3\x89milie"; /* Émilie */
    c.custom_fields = "{\"e2_N\":7.5}";
    c.created_at = INT64_C(1577836800000); /* 2020-01-01T00:00:00Z */
    c.updated_at = INT64_C(1577836800000);
    return c;
}

/* Does query match contact c? Fails the check when the query does not compile. */
static void expect_match(const char *query, const contact *c, bool want, const char *file, int line)
{
    char err[256];
    sgql_query *q = sgql_compile(query, &catalog, NOW_MS, err, sizeof err);
    if (!check_true_(q != NULL, "query compiles", file, line)) {
        fprintf(stderr, "    query: %s\n    error: %s\n", query, err);
        return;
    }
    bool got = sgql_match(q, c);
    if (!check_true_(got == want, want ? "matches" : "does not match", file, line))
        fprintf(stderr, "    query: %s\n    contact: %s\n", query, c->id);
    sgql_free(q);
}
#define MATCH(qry, c) expect_match((qry), &(c), true, __FILE__, __LINE__)
#define NO_MATCH(qry, c) expect_match((qry), &(c), false, __FILE__, __LINE__)

/* The query must not compile, and its error must contain want. */
static void expect_error(const char *query, const char *want, const char *file, int line)
{
    char err[256] = "";
    sgql_query *q = sgql_compile(query, &catalog, NOW_MS, err, sizeof err);
    if (!check_true_(q == NULL, "query refused", file, line))
        fprintf(stderr, "    query: %s\n", query);
    if (!check_contains_(err, want, "err", file, line))
        fprintf(stderr, "    query: %.200s\n", query);
    sgql_free(q);
}
#define ERROR(qry, want) expect_error((qry), (want), __FILE__, __LINE__)

static void test_comparisons(void)
{
    contact a = ada(), b = bob();
    MATCH("email = 'ada@example.com'", a);
    NO_MATCH("email = 'ADA@example.com'", a); /* case-sensitive */
    MATCH("first_name != 'Bob'", a);
    MATCH("first_name <> 'Bob'", a);
    MATCH("first_name == 'Ada'", a);
    MATCH("last_name > 'L'", a);
    MATCH("last_name >= 'Lovelace'", a);
    NO_MATCH("last_name > 'Lovelace'", a);
    MATCH("last_name < 'M'", a);
    MATCH("last_name <= 'Lovelace'", a);
    MATCH("'Ada' = first_name", a);   /* literal on the left */
    MATCH("first_name = \"Ada\"", a); /* double quotes too */
    MATCH("contact_id = '0d4a5b3c-1f2e-4a6b-8c9d-0e1f2a3b4c5d'", a);
    MATCH("phone_number_id = '+15555550100'", b);
    MATCH("postal_code = '02139'", a);
    NO_MATCH("postal_code = 2139", a); /* a number against Text: its text */
    MATCH("postal_code = 02139", a);
    /* keywords and field names ignore case */
    MATCH("FIRST_NAME = 'Ada' and City = 'London'", a);
    /* literal against literal */
    MATCH("1 = 1", a);
    MATCH("'2' > 1", a); /* a string and a number: as numbers */
    MATCH("TRUE = TRUE", a);
    NO_MATCH("TRUE = FALSE", a);
}

static void test_logic_and_null(void)
{
    contact a = ada(), b = bob();
    MATCH("first_name = 'Ada' AND city = 'London'", a);
    NO_MATCH("first_name = 'Ada' AND city = 'Paris'", a);
    MATCH("first_name = 'Bob' OR city = 'London'", a);
    MATCH("NOT first_name = 'Bob'", a);
    MATCH("NOT (first_name = 'Bob' OR city = 'Paris')", a);
    MATCH("(first_name = 'Ada' OR first_name = 'Bob') AND NOT NOT city = 'London'", a);
    /* AND binds tighter than OR */
    MATCH("first_name = 'x' AND city = 'x' OR last_name = 'Lovelace'", a);
    NO_MATCH("first_name = 'x' AND (city = 'x' OR last_name = 'Lovelace')", a);
    /* unset fields: every comparison is unknown, and NOT keeps it unknown */
    NO_MATCH("city = 'London'", b);
    NO_MATCH("city != 'London'", b);
    NO_MATCH("NOT city = 'London'", b);
    NO_MATCH("NOT (city = 'London')", b);
    MATCH("city IS NULL", b);
    NO_MATCH("city IS NOT NULL", b);
    MATCH("city IS NOT NULL", a);
    MATCH("country IS NULL", a); /* "" is unset */
    MATCH("city IS NULL OR city != 'London'", b);
    /* unknown OR true is true; unknown AND false is false; NOT (unknown AND false) true */
    MATCH("city = 'x' OR first_name = '\xc3\x89milie'", b);
    MATCH("NOT (city = 'x' AND first_name = 'nobody')", b);
    NO_MATCH("NOT (city = 'x' AND first_name = '\xc3\x89milie')", b);
    /* comparing with NULL is never true */
    NO_MATCH("first_name = NULL", a);
    NO_MATCH("first_name != NULL", a);
    NO_MATCH("NOT first_name = NULL", a);
    MATCH("NULL IS NULL", a);
    /* fields SendGrid has and we never fill are always unset */
    MATCH("last_emailed IS NULL AND singlesend_id IS NULL", a);
    NO_MATCH("last_opened > '2000-01-01'", a);
}

static void test_like(void)
{
    contact a = ada(), b = bob();
    MATCH("email LIKE '%@example.com'", a);
    MATCH("email LIKE 'ada%'", a);
    MATCH("email LIKE '%example%'", a);
    MATCH("email LIKE 'a_a@%'", a);
    NO_MATCH("email LIKE 'a_@%'", a);
    MATCH("email LIKE '%'", a);
    NO_MATCH("email LIKE '%'", b); /* unset: unknown */
    NO_MATCH("email NOT LIKE '%'", b);
    MATCH("email NOT LIKE '%gmail.com'", a);
    NO_MATCH("email LIKE '%EXAMPLE.COM'", a); /* case-sensitive */
    MATCH("upper(email) LIKE '%EXAMPLE.COM'", a);
    MATCH("email LIKE 'ada@example.com'", a);
    NO_MATCH("email LIKE 'ada@example.co'", a);
    /* %% is a literal percent sign, not "any run" twice (SendGrid's reference) */
    NO_MATCH("email LIKE '%%%e_a%p%'", a);
    MATCH("email LIKE '%e_a%p%'", a);
    MATCH("'50%' LIKE '50%%'", a);
    NO_MATCH("'50 off' LIKE '50%%'", a);
    NO_MATCH("email LIKE 'ada%%'", a);
    MATCH("'a%b' LIKE '_%%%'", a);
    MATCH("first_name LIKE '_milie'", b);           /* _ is one character, not one byte */
    MATCH("lower(first_name) LIKE '\xc3\xa9%'", b); /* lower() maps É to é */
    MATCH("upper(first_name) = '\xc3\x89MILIE'", b);
    /* backslash escapes the wildcards */
    MATCH("'100%' LIKE '100\\%'", a);
    NO_MATCH("'1000' LIKE '100\\%'", a);
    MATCH("'a_b' LIKE 'a\\_b'", a);
    NO_MATCH("'axb' LIKE 'a\\_b'", a);
    /* custom Text with JSON escapes */
    MATCH("nickname LIKE 'Zo\xc3\xab \"Z\" O''Neil'", a);
    MATCH("nickname = 'Zo\xc3\xab \\\"Z\\\" O\\'Neil'", a);
    /* backtracking after a partial match */
    MATCH("'aaab' LIKE '%aab'", a);
    MATCH("'abcabd' LIKE '%abd'", a);
    NO_MATCH("'abcab' LIKE '%abd'", a);
}

static void test_in_between(void)
{
    contact a = ada(), b = bob();
    MATCH("city IN ('Paris', 'London')", a);
    NO_MATCH("city IN ('Paris', 'Rome')", a);
    MATCH("city NOT IN ('Paris', 'Rome')", a);
    NO_MATCH("city NOT IN ('Paris', 'Rome')", b); /* unset: unknown */
    NO_MATCH("city NOT IN ('Paris', NULL)", a);   /* SQL: unknown */
    MATCH("city IN ('London', NULL)", a);
    MATCH("age IN (41, 42, '43')", a);
    MATCH("age IN (7.5)", b);
    MATCH("age BETWEEN 40 AND 50", a);
    MATCH("age BETWEEN 42 AND 42", a);
    NO_MATCH("age BETWEEN 43 AND 50", a);
    MATCH("age NOT BETWEEN 43 AND 50", a);
    NO_MATCH("color NOT BETWEEN 'a' AND 'z'", b); /* unset: unknown */
    MATCH("age NOT BETWEEN 8 AND 50", b);
    MATCH("last_name BETWEEN 'A' AND 'M'", a);
    MATCH("created_at BETWEEN '2021-02-27' AND '2021-02-28'", a);
    MATCH("age BETWEEN 40 AND 50 AND city = 'London'", a); /* BETWEEN's AND vs. AND */
}

static void test_custom_fields(void)
{
    contact a = ada(), b = bob();
    MATCH("color = 'red'", a);
    MATCH("COLOR = 'red'", a); /* names ignore case */
    MATCH("e1_T = 'red'", a);  /* ids work too */
    NO_MATCH("color = 'red'", b);
    MATCH("color IS NULL", b);
    MATCH("age = 42", a);
    MATCH("age = 42.0", a);
    MATCH("age = '42'", a);
    MATCH("age > 41.5", a);
    MATCH("age < 10", b);
    MATCH("age >= -3", b);
    MATCH("age != 42", b);
    MATCH("birthday = '1990-12-10'", a);
    MATCH("birthday = '1990-12-10T00:00:00Z'", a);
    MATCH("birthday = DATE '1990-12-10'", a);
    MATCH("birthday = TIMESTAMP '1990-12-10T01:00:00+01:00'", a);
    MATCH("birthday < '1991-01-01' AND birthday > '12/01/1990'", a);
    NO_MATCH("birthday > '1991-01-01'", a);
    NO_MATCH("birthday IS NOT NULL", b);
    contact c = ada();
    c.custom_fields = NULL;
    MATCH("age IS NULL AND color IS NULL", c);
    c.custom_fields = "{\"e2_N\":\"12\",\"e1_T\":5}"; /* a Number held as a string */
    MATCH("age = 12", c);
    MATCH("color IS NULL", c); /* not text: unset */
}

static void test_arrays(void)
{
    contact a = ada(), b = bob();
    MATCH("CONTAINS(list_ids, 'list-a')", a);
    MATCH("contains(list_ids, 'list-b') AND email LIKE 'ada%'", a);
    NO_MATCH("CONTAINS(list_ids, 'list-c')", a);
    NO_MATCH("CONTAINS(list_ids, 'list-a')", b);
    MATCH("NOT CONTAINS(list_ids, 'list-a')", b); /* in no list: false, not unknown */
    MATCH("ARRAY_CONTAINS(alternate_emails, 'countess@engine.io')", a);
    NO_MATCH("CONTAINS(alternate_emails, 'ada@example.com')", a);
    MATCH("CONTAINS(email_domains, 'example.com')", a);
    MATCH("CONTAINS(email_domains, 'analytical.org')", a);
    MATCH("CONTAINS(email_domains, 'Engine.IO')", a); /* domains ignore case */
    NO_MATCH("CONTAINS(email_domains, 'engine')", a);
    NO_MATCH("CONTAINS(email_domains, 'example.com')", b);
    MATCH("list_ids IS NULL", b);
    MATCH("list_ids IS NOT NULL AND alternate_emails IS NOT NULL", a);
    MATCH("email_domains IS NULL", b);
    NO_MATCH("CONTAINS(list_ids, NULL)", a);

    char err[128];
    sgql_query *q = sgql_compile("CONTAINS(list_ids, 'x')", &catalog, NOW_MS, err, sizeof err);
    REQUIRE(q != NULL);
    CHECK(sgql_uses_lists(q));
    sgql_free(q);
    q = sgql_compile("CONTAINS(alternate_emails, 'x') OR email_domains IS NULL", &catalog, NOW_MS,
                     err, sizeof err);
    REQUIRE(q != NULL);
    CHECK(!sgql_uses_lists(q));
    sgql_free(q);
}

static void test_dates(void)
{
    contact a = ada(), b = bob();
    /* now is 2021-03-02T15:25:47Z; ada was created three days ago, updated an hour ago */
    MATCH("created_at > CURRENT_DATE - INTERVAL 7 DAY", a);
    NO_MATCH("created_at > CURRENT_DATE - INTERVAL 7 DAY", b);
    MATCH("created_at < CURRENT_TIMESTAMP - INTERVAL 2 days", a);
    NO_MATCH("created_at < CURRENT_TIMESTAMP - INTERVAL 4 days", a);
    MATCH("updated_at >= NOW() - INTERVAL 61 MINUTE", a);
    NO_MATCH("updated_at >= NOW() - INTERVAL 59 minutes", a);
    MATCH("updated_at > CURRENT_TIMESTAMP - INTERVAL 3601 SECOND", a);
    MATCH("created_at BETWEEN CURRENT_DATE - INTERVAL '1 week' AND CURRENT_DATE", a);
    MATCH("created_at > CURRENT_DATE() - INTERVAL '4' DAY", a);
    MATCH("created_at + INTERVAL 3 DAY = CURRENT_TIMESTAMP", a);
    MATCH("created_at + INTERVAL 1 HOUR - INTERVAL 60 MINUTES = created_at", a);
    MATCH("created_at < '2020-01-02' AND created_at >= '2020-01-01'", b);
    MATCH("created_at = '2020-01-01T00:00:00Z'", b);
    MATCH("created_at = TIMESTAMP '2019-12-31T19:00:00-05:00'", b);
    MATCH("created_at = '2020-01-01 00:00:00'", b);
    MATCH("created_at = TIMESTAMP '2020-01-01T00:00:00.000Z'", b);
    /* CURRENT_DATE is midnight UTC */
    MATCH("TIMESTAMP '2021-03-02T00:00:00Z' = CURRENT_DATE", a);
    MATCH("DATE '2021-03-02T12:00:00Z' = CURRENT_DATE", a);
    /* calendar months: Jan 31 + 1 month is Feb 28 (29 in a leap year) */
    MATCH("birthday + INTERVAL 1 MONTH = '1991-01-10'", a);
    MATCH("TIMESTAMP '2021-01-31' + INTERVAL 1 MONTH = '2021-02-28'", a);
    MATCH("TIMESTAMP '2020-01-31' + INTERVAL 1 MONTH = '2020-02-29'", a);
    MATCH("TIMESTAMP '2020-02-29' + INTERVAL 1 YEAR = '2021-02-28'", a);
    MATCH("TIMESTAMP '2021-03-31' - INTERVAL 1 MONTH = '2021-02-28'", a);
    MATCH("'2021-01-01' - INTERVAL 1 DAY = '2020-12-31'", a);
    MATCH("birthday > CURRENT_DATE - INTERVAL 31 YEARS", a);
    NO_MATCH("birthday > CURRENT_DATE - INTERVAL 30 YEARS", a);
    MATCH("birthday - INTERVAL -1 DAY = '1990-12-11'", a);
}

static void test_errors(void)
{
    ERROR("", "query is empty");
    ERROR("   ", "query is empty");
    ERROR("first_name = ", "position 14: expected a field or a value");
    ERROR("(first_name = 'a'", "expected ')'");
    ERROR("first_name = 'a')", "position 17");
    ERROR("first_name = 'a", "unterminated string");
    ERROR("first_name 'a'", "expected a comparison");
    ERROR("first_name = 'a' AND", "found the end of the query");
    ERROR("first_name = 'a' first_name = 'b'", "expected AND, OR");
    ERROR("first_name # 'a'", "found '#'");
    ERROR("first_name = 'a' \xc3\xa9", "found '\xc3\xa9'");
    ERROR("first_name ! 'a'", "syntax error");
    ERROR("first_name NOT = 'a'", "LIKE, IN or BETWEEN after NOT");
    ERROR("first_name IS 'a'", "expected NULL");
    ERROR("first_name IN 'a'", "'(' after IN");
    ERROR("first_name IN ('a' 'b')", "expected ',' or ')'");
    ERROR("first_name IN (last_name)", "IN takes a list of values");
    ERROR("first_name LIKE last_name", "quoted pattern");
    ERROR("age BETWEEN 1 OR 2", "expected AND");
    ERROR("favourite_colour = 'red'", "unknown field 'favourite_colour'");
    ERROR("soundex(first_name) = 'a'", "unknown function 'soundex'");
    ERROR("CONTAINS(first_name, 'a')", "CONTAINS needs a list field");
    ERROR("CONTAINS(list_ids, first_name)", "CONTAINS takes a quoted value");
    ERROR("list_ids = 'a'", "list_ids is a list: use CONTAINS");
    ERROR("list_ids LIKE 'a'", "LIKE needs a Text value");
    /* types */
    ERROR("age = 'abc'", "'abc' is not a number");
    ERROR("age LIKE '4%'", "LIKE needs a Text value, not age (a Number field)");
    ERROR("birthday = 'tomorrow'", "'tomorrow' is not a date");
    ERROR("birthday = '2021-02-30'", "is not a date");
    ERROR("created_at > 5", "cannot compare");
    ERROR("age = birthday", "cannot compare age (a Number field) with birthday");
    ERROR("first_name = TRUE", "cannot compare");
    ERROR("age IN (1, 'x')", "'x' is not a number");
    ERROR("lower(age) = '1'", "lower() takes a Text value");
    ERROR("first_name + INTERVAL 1 DAY = 'a'", "INTERVAL can only be added to a date");
    ERROR("created_at + 1 > '2020-01-01'", "expected INTERVAL");
    ERROR("created_at > CURRENT_DATE - INTERVAL 1 FORTNIGHT", "unknown INTERVAL unit");
    ERROR("created_at > CURRENT_DATE - INTERVAL 1.5 DAY", "whole number");
    ERROR("created_at > CURRENT_DATE - INTERVAL 1000000 DAY", "whole number");
    ERROR("created_at > DATE '2021-13-01'", "is not a date");
    ERROR("birthday = 5", "cannot compare");
    ERROR("first_name = - 5", "cannot compare");
    ERROR("first_name = -'a'", "'a' is not a number");
}

/* The forms of SendGrid's SGQL reference added by issue 11. */
static void test_reference_forms(void)
{
    contact a = ada(), b = bob();
    /* parenthesised values: the reference's own example form */
    MATCH("created_at >= (NOW() - interval 10 day)", a);
    NO_MATCH("created_at >= (NOW() - interval 2 day)", a);
    MATCH("(CURRENT_DATE - INTERVAL 10 DAY) <= created_at", a);
    MATCH("created_at > ((NOW()) - INTERVAL 4 DAY)", a);
    MATCH("(created_at >= (NOW() - interval 10 day)) AND (email = 'ada@example.com')", a);
    MATCH("((email = 'ada@example.com'))", a);
    MATCH("NOT (age = (40 + 1))", a);
    /* arithmetic on numbers, unary minus, precedence */
    MATCH("age + 1 = 43", a);
    MATCH("age - 2 * 10 = 22", a);
    MATCH("(age - 2) * 10 = 400", a);
    MATCH("age / 4 = 10.5", a);
    MATCH("age % 5 = 2", a);
    MATCH("-age = -42", a);
    MATCH("- age < 0", a);
    MATCH("age * 2 > 80 AND age * 2 < 90", a);
    MATCH("'5' * 2 = 10", a);
    MATCH("2 + 3 * 4 = 14", a);
    MATCH("age / 0 IS NULL", a); /* unknown, as SQL's NULL */
    NO_MATCH("age / 0 = 1", a);
    NO_MATCH("age + 1 = 43", b); /* 7.5 */
    MATCH("age * 2 = 15", b);
    contact none = a;
    none.custom_fields = NULL;
    NO_MATCH("age + 1 > 0", none); /* unset: unknown */
    NO_MATCH("NOT (age + 1 > 0)", none);
    /* String + String, CONCAT, LENGTH */
    MATCH("first_name + ' ' + last_name = 'Ada Lovelace'", a);
    MATCH("first_name + 1 = 'Ada1'", a);
    MATCH("CONCAT(first_name, ' ', last_name) = 'Ada Lovelace'", a);
    MATCH("concat(lower(first_name), '@', 'example.com') = email", a);
    MATCH("upper(first_name) + last_name = 'ADALovelace'", a);
    NO_MATCH("CONCAT(first_name, last_name) = 'Ada'", b); /* no last name: unknown */
    MATCH("LENGTH(first_name) = 3", a);
    MATCH("length(first_name) = 6", b); /* Émilie: characters, not bytes */
    MATCH("LENGTH(email) > 10 AND LENGTH('abc') = 3", a);
    MATCH("length(first_name + last_name) = 11", a);
    /* backtick-quoted identifiers */
    MATCH("`email` = 'ada@example.com'", a);
    MATCH("`Nickname` LIKE 'Zo%'", a);
    MATCH("CONTAINS(`list_ids`, 'list-a')", a);
    ERROR("`and` IS NULL", "unknown field 'and'"); /* a field name, not a keyword */
    /* the engagement fields: accepted, never set here */
    MATCH("event_source IS NULL AND event_type IS NULL AND event_data IS NULL", a);
    NO_MATCH("event_type = 'open'", a);
    NO_MATCH("event_timestamp > NOW() - INTERVAL 30 DAY", a);
    NO_MATCH("event_source = 'mail' AND event_type = 'click' AND email = 'ada@example.com'", a);
    /* a bare boolean term */
    MATCH("email = 'ada@example.com' AND TRUE", a);
    NO_MATCH("email = 'ada@example.com' AND FALSE", a);
    MATCH("FALSE OR email = 'ada@example.com'", a);
    MATCH("TRUE", a);
    NO_MATCH("NOT TRUE", a);
    MATCH("(TRUE)", b);
    /* still refused */
    ERROR("first_name * 2 = 4", "'*' needs numbers, not first_name (a Text field)");
    ERROR("age + last_name = 'x'", "only Text can be joined");
    ERROR("created_at + 1 > '2020-01-01'", "expected INTERVAL");
    ERROR("1 / 0 = 1", "division by zero");
    ERROR("LENGTH(age) = 2", "length() takes a Text value");
    ERROR("CONCAT(first_name, age) = 'x'", "only Text can be joined");
    ERROR("CONCAT(first_name = 'a')", "expected ',' or ')'");
    ERROR("`favourite colour` = 'x'", "unknown field 'favourite colour'");
    ERROR("`email = 'x'", "found '`'");
    ERROR("email AND TRUE", "expected a comparison");
    ERROR("(created_at >= (NOW() - interval 10 day)", "expected ')'");
    ERROR("created_at >= (NOW() - interval 10 day", "expected ')'");
    ERROR("(NOW() - interval 10 day)", "expected a comparison");
    ERROR("age * * 2 = 1", "expected a field or a value");
    ERROR("-list_ids = 1", "'-' needs a number");
}

static void test_limits(void)
{
    /* 100,000 opening parentheses: an error, not a stack overflow (the length limit
     * catches it first), and 60,000 of them, within the length limit, likewise */
    size_t n = 100000;
    char *deep = malloc(n + 32);
    REQUIRE(deep != NULL);
    memset(deep, '(', n);
    strcpy(deep + n, "first_name = 'a'");
    ERROR(deep, "longer than 65536 bytes");
    n = 60000;
    strcpy(deep + n, "first_name = 'a'");
    ERROR(deep, "nests deeper than 64");
    for (size_t i = 0; i < n; i += 4)
        memcpy(deep + i, "NOT ", 4);
    strcpy(deep + n, "first_name = 'a'");
    ERROR(deep, "nests deeper than 64");
    free(deep);

    /* lower() inside lower() ... */
    char buf[2048] = "";
    for (int i = 0; i < 70; i++)
        strcat(buf, "lower(");
    strcat(buf, "first_name");
    for (int i = 0; i < 70; i++)
        strcat(buf, ")");
    strcat(buf, " = 'a'");
    ERROR(buf, "nests deeper than 64");

    /* 64 levels are fine, 65 are not */
    char ok[512] = "", over[512] = "";
    for (int i = 0; i < 64; i++)
        strcat(ok, "(");
    strcat(ok, "first_name = 'Ada'");
    for (int i = 0; i < 64; i++)
        strcat(ok, ")");
    contact a = ada();
    MATCH(ok, a);
    strcat(over, "(");
    strcat(over, ok);
    strcat(over, ")");
    ERROR(over, "nests deeper than 64");

    /* INTERVAL chains on a field count as nesting */
    char chain[4096] = "created_at";
    for (int i = 0; i < 70; i++)
        strcat(chain, " + INTERVAL 1 DAY");
    strcat(chain, " > '2000-01-01'");
    ERROR(chain, "nests deeper than 64");

    /* a long flat OR chain is not nesting, but the node count is bounded */
    size_t terms = 1000;
    char *wide = malloc(terms * 24 + 1);
    REQUIRE(wide != NULL);
    wide[0] = '\0';
    size_t len = 0;
    for (size_t i = 0; i < terms; i++)
        len += (size_t)sprintf(wide + len, "%scity = 'c%zu'", i ? " OR " : "", i);
    NO_MATCH(wide, a);
    free(wide);
    terms = 3000;
    wide = malloc(terms * 24 + 1);
    REQUIRE(wide != NULL);
    len = 0;
    for (size_t i = 0; i < terms; i++)
        len += (size_t)sprintf(wide + len, "%scity = 'c%zu'", i ? " OR " : "", i);
    ERROR(wide, "more than 4096 terms");
    free(wide);

    /* the text itself */
    char *big = malloc(SGQL_MAX_QUERY + 2);
    REQUIRE(big != NULL);
    memset(big, ' ', SGQL_MAX_QUERY + 1);
    memcpy(big, "city = 'x'", 10);
    big[SGQL_MAX_QUERY + 1] = '\0';
    ERROR(big, "longer than 65536 bytes");
    big[SGQL_MAX_QUERY] = '\0';
    NO_MATCH(big, a);
    free(big);

    /* err may be NULL or tiny */
    CHECK_NULL(sgql_compile("x = ", &catalog, NOW_MS, NULL, 0));
    char tiny[8];
    CHECK_NULL(sgql_compile("nope = 1", &catalog, NOW_MS, tiny, sizeof tiny));
    CHECK_INT(strlen(tiny), 7);
    /* no catalog: reserved fields still work */
    sgql_query *q = sgql_compile("first_name = 'Ada'", NULL, NOW_MS, tiny, sizeof tiny);
    REQUIRE(q != NULL);
    CHECK(sgql_match(q, &a));
    sgql_free(q);
    sgql_free(NULL);
    /* a "now" far outside any calendar is refused, not overflowed */
    CHECK_NULL(sgql_compile("created_at > CURRENT_DATE", &catalog, INT64_MIN, tiny, sizeof tiny));
    q = sgql_compile("created_at < CURRENT_DATE", &catalog, 0, NULL, 0);
    REQUIRE(q != NULL);
    CHECK(!sgql_match(q, &a));
    sgql_free(q);
}

int main(void)
{
    RUN(test_comparisons);
    RUN(test_logic_and_null);
    RUN(test_like);
    RUN(test_in_between);
    RUN(test_custom_fields);
    RUN(test_arrays);
    RUN(test_dates);
    RUN(test_errors);
    RUN(test_reference_forms);
    RUN(test_limits);
    return check_summary("test_sgql");
}
