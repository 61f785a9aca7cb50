/*
 * test_segment_query: the query_dsl wrapper of Segments 2.0 (core/segment_query.c) — the
 * spellings SendGrid's examples use (aliases, AS, spacing, case, a trailing ';'),
 * engagement queries, clock detection, positions in errors, and the condition handed on
 * to the SGQL compiler.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "core/segment_query.h"
#include "core/sgql.h"

static int parse_ok(const char *text, segment_query *q)
{
    char err[256] = "";
    int rc = segment_query_parse(text, q, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "unexpected error for <%s>: %s\n", text, err);
    return rc;
}

/* The condition compiles with SGQL and matches a contact with that email. */
static bool cond_matches(const segment_query *q, const char *email)
{
    contact c;
    memset(&c, 0, sizeof c);
    strcpy(c.id, "11111111-2222-4333-8444-555555555555");
    c.field[CF_EMAIL] = email;
    char err[256];
    sgql_query *s = sgql_compile(q->condition, NULL, 0, err, sizeof err);
    if (!s)
        return false;
    bool m = sgql_match(s, &c);
    sgql_free(s);
    return m;
}

static void test_plain_forms(void)
{
    static const char *const forms[] = {
        "SELECT contact_id, updated_at FROM contact_data WHERE email LIKE '%@gmail.com'",
        "select contact_id,updated_at from contact_data where email like '%@gmail.com';",
        "SELECT c.contact_id, c.updated_at FROM contact_data as c WHERE c.email LIKE '%@gmail.com'",
        "SELECT c.contact_id , c.updated_at FROM contact_data AS c WHERE (c.email LIKE '%@gmail.com')",
        "SELECT cd.contact_id, cd.updated_at FROM contact_data cd WHERE cd.email LIKE '%@gmail.com'",
        "  SELECT contact_id,\n\tupdated_at\nFROM contact_data\nWHERE contact_data.email LIKE '%@gmail.com'  ",
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        segment_query q;
        CHECK_INT(parse_ok(forms[i], &q), 0);
        CHECK(q.condition != NULL);
        CHECK(!q.engagement);
        CHECK(!q.clock);
        CHECK(cond_matches(&q, "ada@gmail.com"));
        CHECK(!cond_matches(&q, "ada@example.com"));
        segment_query_free(&q);
    }
}

static void test_positions_kept(void)
{
    const char *text = "SELECT contact_id, updated_at FROM contact_data WHERE email = ";
    segment_query q;
    CHECK_INT(parse_ok(text, &q), 0);
    CHECK_INT(strlen(q.condition), strlen(text) - 1);
    char err[256];
    CHECK(sgql_compile(q.condition, NULL, 0, err, sizeof err) == NULL);
    CHECK(strstr(err, "position") != NULL);
    segment_query_free(&q);
}

static void test_alias_inside_strings_kept(void)
{
    segment_query q;
    CHECK_INT(parse_ok("SELECT c.contact_id, c.updated_at FROM contact_data c "
                       "WHERE c.email = 'c.x@example.com'",
                       &q),
              0);
    CHECK(strstr(q.condition, "'c.x@example.com'") != NULL);
    CHECK(cond_matches(&q, "c.x@example.com"));
    segment_query_free(&q);
}

static void test_no_where_and_engagement(void)
{
    segment_query q;
    CHECK_INT(parse_ok("SELECT contact_id, updated_at FROM contact_data", &q), 0);
    CHECK(q.condition == NULL && !q.engagement);
    CHECK_INT(
        parse_ok("SELECT contact_id, updated_at FROM event_data WHERE event_source = 'mail'", &q),
        0);
    CHECK(q.engagement);
    CHECK_INT(parse_ok("SELECT c.contact_id, c.updated_at FROM contact_data c INNER JOIN "
                       "event_data e ON c.contact_id = e.contact_id WHERE e.event_type = 'clicked'",
                       &q),
              0);
    CHECK(q.engagement);
    CHECK_INT(parse_ok("SELECT contact_id, MAX(timestamp) AS ts, updated_at FROM event_data", &q),
              0);
    CHECK(q.engagement);
}

static void test_clock(void)
{
    segment_query q;
    CHECK_INT(parse_ok("SELECT contact_id, updated_at FROM contact_data WHERE "
                       "created_at > NOW() - INTERVAL 7 DAY",
                       &q),
              0);
    CHECK(q.clock);
    segment_query_free(&q);
    CHECK_INT(parse_ok("SELECT contact_id, updated_at FROM contact_data WHERE "
                       "first_name = 'now'",
                       &q),
              0);
    CHECK(!q.clock);
    segment_query_free(&q);
    /* a `quoted name` is a field name, never a clock word or an alias */
    CHECK_INT(parse_ok("SELECT c.contact_id, c.updated_at FROM contact_data c WHERE "
                       "`now` = 'x' AND `c.x` = 'y'",
                       &q),
              0);
    CHECK(!q.clock);
    CHECK(strstr(q.condition, "`c.x`") != NULL);
    segment_query_free(&q);
}

/* FROM is found as SGQL reads words: not inside a string or a quoted name. */
static void test_from_outside_strings(void)
{
    segment_query q;
    CHECK_INT(parse_ok("SELECT contact_id, 'from' AS `from`, updated_at FROM event_data", &q), 0);
    CHECK(q.engagement);
}

static void test_errors(void)
{
    static const struct {
        const char *text;
        const char *where;
    } bad[] = {
        {"", "position 1"},
        {"DELETE FROM contact_data", "position 1"},
        {"SELECT email, updated_at FROM contact_data", "contact_id"},
        {"SELECT contact_id updated_at FROM contact_data", "','"},
        {"SELECT contact_id, updated_at, email FROM contact_data", "FROM"},
        {"SELECT contact_id, updated_at FROM contacts", "unknown table"},
        {"SELECT contact_id, updated_at", "FROM"},
        {"SELECT contact_id, updated_at FROM contact_data WHERE", "condition"},
        {"SELECT contact_id, updated_at FROM contact_data AS", "alias"},
        {"SELECT contact_id, updated_at FROM contact_data c d", "WHERE"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        segment_query q;
        char err[256] = "";
        CHECK_INT(segment_query_parse(bad[i].text, &q, err, sizeof err), -1);
        CHECK(strstr(err, "syntax error at position") != NULL);
        if (!strstr(err, bad[i].where))
            fprintf(stderr, "<%s>: %s\n", bad[i].text, err);
        CHECK(strstr(err, bad[i].where) != NULL);
        CHECK(q.condition == NULL);
    }
}

int main(void)
{
    RUN(test_plain_forms);
    RUN(test_positions_kept);
    RUN(test_alias_inside_strings_kept);
    RUN(test_no_where_and_engagement);
    RUN(test_clock);
    RUN(test_from_outside_strings);
    RUN(test_errors);
    return check_summary("test_segment_query");
}
