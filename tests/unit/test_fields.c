/*
 * test_fields: the custom field rules of core/fields.c — names, types, value checks and
 * normalisation for Text, Number and Date, catalog lookups, and the per-value merge of an
 * upsert's custom fields into a contact's stored ones.
 */
#include <jansson.h>
#include <string.h>

#include "check.h"
#include "core/fields.h"

static void expect_name(const char *name, bool ok, const char *file, int line)
{
    const char *why = NULL;
    int rc = field_name_check(name, &why);
    if (!check_true_((rc == 0) == ok, ok ? "name accepted" : "name refused", file, line))
        fprintf(stderr, "    name: \"%s\" (%s)\n", name, why ? why : "accepted");
}
#define EXPECT_NAME(n, ok) expect_name((n), (ok), __FILE__, __LINE__)

static void test_names(void)
{
    EXPECT_NAME("orders", true);
    EXPECT_NAME("_private", true);
    EXPECT_NAME("Camel_Case_9", true);
    char max[101];
    memset(max, 'a', 100);
    max[100] = '\0';
    EXPECT_NAME(max, true);
    char over[102];
    memset(over, 'a', 101);
    over[101] = '\0';
    EXPECT_NAME(over, false);
    EXPECT_NAME("", false);
    EXPECT_NAME("9lives", false);
    EXPECT_NAME("with space", false);
    EXPECT_NAME("dash-ed", false);
    EXPECT_NAME("caf\xc3\xa9", false);
    /* reserved, in any case, including read-only ones and the API's own keys */
    EXPECT_NAME("first_name", false);
    EXPECT_NAME("EMAIL", false);
    EXPECT_NAME("Created_At", false);
    EXPECT_NAME("list_ids", false);
    EXPECT_NAME("phone_number_id", false);
    CHECK(field_name_reserved("last_opened"));
    CHECK(!field_name_reserved("last_open"));
}

static void test_types(void)
{
    field_type t;
    CHECK_INT(field_type_parse("Text", &t), 0);
    CHECK_INT(t, FIELD_TEXT);
    CHECK_INT(field_type_parse("Number", &t), 0);
    CHECK_INT(t, FIELD_NUMBER);
    CHECK_INT(field_type_parse("Date", &t), 0);
    CHECK_INT(t, FIELD_DATE);
    CHECK_INT(field_type_parse("text", &t), -1);
    CHECK_INT(field_type_parse("Boolean", &t), -1);
    CHECK_INT(field_type_letter(FIELD_NUMBER), 'N');
    CHECK_STR(field_type_name(FIELD_DATE), "Date");
}

/* Normalise v (JSON text) for type t; returns the stored value as JSON text or NULL. */
static char *norm(field_type t, const char *json)
{
    json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
    REQUIRE(v != NULL);
    const char *why = NULL;
    json_t *out = field_value_normalize(t, v, &why);
    json_decref(v);
    if (!out)
        return NULL;
    char *text = json_dumps(out, JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(out);
    return text;
}

static void expect_norm(field_type t, const char *in, const char *want, const char *file, int line)
{
    char *got = norm(t, in);
    check_str_(got, want, in, want ? want : "refused", file, line);
    free(got);
}
#define EXPECT_NORM(t, in, want) expect_norm((t), (in), (want), __FILE__, __LINE__)

static void test_values(void)
{
    EXPECT_NORM(FIELD_TEXT, "\"coffee\"", "\"coffee\"");
    EXPECT_NORM(FIELD_TEXT, "\"\"", "null"); /* "" clears */
    EXPECT_NORM(FIELD_TEXT, "5", NULL);
    EXPECT_NORM(FIELD_TEXT, "true", NULL);

    EXPECT_NORM(FIELD_NUMBER, "42", "42");
    EXPECT_NORM(FIELD_NUMBER, "-1.5", "-1.5");
    EXPECT_NORM(FIELD_NUMBER, "\"7\"", "7");
    EXPECT_NORM(FIELD_NUMBER, "\"-7.25\"", "-7.25");
    EXPECT_NORM(FIELD_NUMBER, "\"1e3\"", "1000.0");
    EXPECT_NORM(FIELD_NUMBER, "\"1e19\"", "1e19"); /* beyond int64: a real, no UB */
    EXPECT_NORM(FIELD_NUMBER, "\"0x10\"", NULL);
    EXPECT_NORM(FIELD_NUMBER, "\"+5\"", NULL);
    EXPECT_NORM(FIELD_NUMBER, "\" 5\"", NULL);
    EXPECT_NORM(FIELD_NUMBER, "\"NaN\"", NULL);
    EXPECT_NORM(FIELD_NUMBER, "\"inf\"", NULL);
    EXPECT_NORM(FIELD_NUMBER, "\"1e400\"", NULL); /* overflows a double */
    EXPECT_NORM(FIELD_NUMBER, "\"5.\"", NULL);
    EXPECT_NORM(FIELD_NUMBER, "[1]", NULL);

    EXPECT_NORM(FIELD_DATE, "\"2024-01-31\"", "\"2024-01-31T00:00:00Z\"");
    EXPECT_NORM(FIELD_DATE, "\"01/31/2024\"", "\"2024-01-31T00:00:00Z\"");
    EXPECT_NORM(FIELD_DATE, "\"2024-02-29T23:59:59Z\"", "\"2024-02-29T23:59:59Z\"");
    EXPECT_NORM(FIELD_DATE, "\"2024-02-29T23:59:59.123Z\"", "\"2024-02-29T23:59:59Z\"");
    EXPECT_NORM(FIELD_DATE, "\"2023-02-29\"", NULL); /* not a leap year */
    EXPECT_NORM(FIELD_DATE, "\"2000-02-29\"", "\"2000-02-29T00:00:00Z\"");
    EXPECT_NORM(FIELD_DATE, "\"1900-02-29\"", NULL);
    EXPECT_NORM(FIELD_DATE, "\"2024-13-01\"", NULL);
    EXPECT_NORM(FIELD_DATE, "\"2024-04-31\"", NULL);
    EXPECT_NORM(FIELD_DATE, "\"2024-01-31T24:00:00Z\"", NULL);
    EXPECT_NORM(FIELD_DATE, "\"2024-01-31T12:00:00+01:00\"", NULL);
    EXPECT_NORM(FIELD_DATE, "\"31/01/2024\"", NULL);
    EXPECT_NORM(FIELD_DATE, "\"yesterday\"", NULL);
    /* Unix time, seconds or (from 10^11 up) milliseconds, as a number or digit string */
    EXPECT_NORM(FIELD_DATE, "1706659200", "\"2024-01-31T00:00:00Z\"");
    EXPECT_NORM(FIELD_DATE, "1706659200123", "\"2024-01-31T00:00:00Z\"");
    EXPECT_NORM(FIELD_DATE, "\"1706659200\"", "\"2024-01-31T00:00:00Z\"");
    EXPECT_NORM(FIELD_DATE, "\"1706659200000\"", "\"2024-01-31T00:00:00Z\"");
    EXPECT_NORM(FIELD_DATE, "0", "\"1970-01-01T00:00:00Z\"");
    EXPECT_NORM(FIELD_DATE, "-1", NULL);
    EXPECT_NORM(FIELD_DATE, "\"-1\"", NULL);
    EXPECT_NORM(FIELD_DATE, "1.5", NULL);
    EXPECT_NORM(FIELD_DATE, "253402300800000", NULL); /* after 9999-12-31 */
    EXPECT_NORM(FIELD_DATE, "\"1234567890123456\"", NULL);
}

static void test_catalog(void)
{
    field_def defs[] = {{"e1_T", "Nickname", FIELD_TEXT}, {"e2_N", "orders", FIELD_NUMBER}};
    field_catalog cat = {defs, 2};
    CHECK(field_catalog_find(&cat, "e1_T") == &defs[0]);
    CHECK(field_catalog_find(&cat, "nickname") == &defs[0]); /* by name, any case */
    CHECK(field_catalog_find(&cat, "ORDERS") == &defs[1]);
    CHECK(field_catalog_find(&cat, "e3_D") == NULL);
    CHECK(field_catalog_find_id(&cat, "Nickname") == NULL); /* ids only */
    CHECK(field_catalog_find(NULL, "e1_T") == NULL);
}

static void test_merge(void)
{
    field_def defs[] = {
        {"e1_T", "a", FIELD_TEXT}, {"e2_N", "b", FIELD_NUMBER}, {"e4_D", "d", FIELD_DATE}};
    field_catalog live = {defs, 3};
    arena ar = ARENA_INIT;
    /* new values join, others stay */
    CHECK_STR(custom_fields_merge("{\"e1_T\":\"x\"}", "{\"e2_N\":3}", &live, &ar),
              "{\"e1_T\":\"x\",\"e2_N\":3}");
    /* a value overwrites, null clears */
    CHECK_STR(custom_fields_merge("{\"e1_T\":\"x\",\"e2_N\":3}", "{\"e1_T\":\"y\",\"e2_N\":null}",
                                  &live, &ar),
              "{\"e1_T\":\"y\"}");
    /* everything cleared: no value left */
    CHECK_NULL(custom_fields_merge("{\"e1_T\":\"x\"}", "{\"e1_T\":null}", &live, &ar));
    /* values of deleted fields (e3_T is not live) are dropped at the next write */
    CHECK_STR(custom_fields_merge("{\"e3_T\":\"gone\",\"e1_T\":\"x\"}",
                                  "{\"e4_D\":\"2024-01-01T00:00:00Z\"}", &live, &ar),
              "{\"e1_T\":\"x\",\"e4_D\":\"2024-01-01T00:00:00Z\"}");
    /* nothing stored yet; an update naming a field deleted since acceptance */
    CHECK_STR(custom_fields_merge(NULL, "{\"e9_T\":\"late\",\"e2_N\":1}", &live, &ar),
              "{\"e2_N\":1}");
    /* a damaged stored value is treated as empty rather than crashing */
    CHECK_STR(custom_fields_merge("not json", "{\"e2_N\":2}", &live, &ar), "{\"e2_N\":2}");
    arena_release(&ar);
}

int main(void)
{
    RUN(test_names);
    RUN(test_types);
    RUN(test_values);
    RUN(test_catalog);
    RUN(test_merge);
    return check_summary("test_fields");
}
