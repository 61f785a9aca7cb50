/* Unit tests of core/contact_decode: the validation, error paths and normalisation of
 * PUT /v3/marketing/contacts bodies. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/contact_decode.h"
#include "core/utf8.h"
#include "upsert_diff.h"

/* One decode: the batch, its errors and the arena that holds them. */
typedef struct decoded {
    arena a;
    errlist errs;
    upsert_batch *b;
} decoded;

/* The custom fields every decode in this file knows (unless it passes another catalog). */
static field_def cat_defs[] = {
    {"e1_T", "nickname", FIELD_TEXT},
    {"e2_N", "score", FIELD_NUMBER},
    {"e3_D", "birthday", FIELD_DATE},
};
static const field_catalog CAT = {cat_defs, sizeof cat_defs / sizeof cat_defs[0]};

static void decode_json_with(decoded *d, json_t *root, const field_catalog *cat)
{
    d->a = (arena)ARENA_INIT;
    errlist_init(&d->errs, &d->a);
    d->b = cat ? upsert_decode_fields(root, cat, &d->errs) : upsert_decode(root, &d->errs);
}

static void decode_json(decoded *d, json_t *root)
{
    decode_json_with(d, root, &CAT);
}

/* Decode text (which must be valid JSON). */
static void decode_text(decoded *d, const char *text)
{
    json_error_t jerr;
    json_t *root = json_loads(text, CONTACTD_JSON_FLAGS | JSON_DECODE_ANY, &jerr);
    if (!root) {
        fprintf(stderr, "bad test JSON (%s): %s\n", jerr.text, text);
        exit(2);
    }
    decode_json(d, root);
    json_decref(root);
    /* the walker over text must agree on every body of this file */
    const char *why = upsert_diff(text, strlen(text), &CAT);
    if (!CHECK(why == NULL))
        fprintf(stderr, "    text walker: %s on %s\n", why, text);
}

static void decoded_free(decoded *d)
{
    upsert_batch_free(d->b);
    arena_release(&d->a);
}

/* The first error whose field is `field` (NULL matches a NULL field), or NULL. */
static const errlist_item *find_error(const decoded *d, const char *field)
{
    for (size_t i = 0; i < d->errs.count; i++) {
        const char *f = d->errs.items[i].field;
        if ((f == NULL && field == NULL) || (f && field && strcmp(f, field) == 0))
            return &d->errs.items[i];
    }
    return NULL;
}

static void dump_errors(const decoded *d)
{
    for (size_t i = 0; i < d->errs.count; i++)
        fprintf(stderr, "      error %zu: field=%s message=%s\n", i,
                d->errs.items[i].field ? d->errs.items[i].field : "(null)",
                d->errs.items[i].message);
}

/* Exactly one error, at field. */
static void expect_one_error(const decoded *d, const char *field, const char *file, int line)
{
    if (!check_int_((long long)d->errs.count, 1, "errs.count", "1", file, line))
        dump_errors(d);
    if (d->errs.count >= 1) {
        check_str_(d->errs.items[0].field, field, "errs.items[0].field", "expected field", file,
                   line);
        check_true_(d->errs.items[0].message && d->errs.items[0].message[0], "a message", file,
                    line);
    }
}
#define EXPECT_ONE_ERROR(d, field) expect_one_error((d), (field), __FILE__, __LINE__)

/* At least one error at field. */
static void expect_error_at(const decoded *d, const char *field, const char *file, int line)
{
    if (!check_true_(find_error(d, field) != NULL, "an error at the field", file, line)) {
        fprintf(stderr, "    no error at %s\n", field ? field : "(null)");
        dump_errors(d);
    }
}
#define EXPECT_ERROR_AT(d, field) expect_error_at((d), (field), __FILE__, __LINE__)

/* Decode text and expect exactly one error at field. */
static void expect_single(const char *text, const char *field, const char *file, int line)
{
    decoded d;
    decode_text(&d, text);
    check_total_count++;
    bool ok = d.errs.count == 1 &&
              ((field == NULL && d.errs.items[0].field == NULL) ||
               (field && d.errs.items[0].field && strcmp(d.errs.items[0].field, field) == 0));
    if (!ok) {
        check_failed_count++;
        fprintf(
            stderr,
            "%s:%d: FAILED (in %s)\n    body: %s\n    expected exactly one error at %s, got %zu:\n",
            file, line, check_case_name, text, field ? field : "(null)", d.errs.count);
        dump_errors(&d);
    }
    decoded_free(&d);
}
#define EXPECT_SINGLE(text, field) expect_single((text), (field), __FILE__, __LINE__)

static char *repeat(const char *unit, int n)
{
    size_t u = strlen(unit);
    char *s = malloc(u * (size_t)n + 1);
    if (!s)
        abort();
    for (int i = 0; i < n; i++)
        memcpy(s + u * (size_t)i, unit, u);
    s[u * (size_t)n] = '\0';
    return s;
}

static void test_valid_body(void)
{
    decoded d;
    decode_text(
        &d, "{\"list_ids\": [\"l1\", \"l2\", \"l1\"],"
            " \"contacts\": ["
            "  {\"email\": \"  Ann@Example.COM \", \"first_name\": \"Ann\", \"last_name\": \"Lee\","
            "   \"alternate_emails\": [\" Ann.Lee@Work.Example \", \"ann@home.example\"],"
            "   \"custom_fields\": {\"e1_T\": \"x\", \"score\": 3, \"mystery\": 1}},"
            "  {\"phone_number_id\": \"+14155552671\", \"city\": \"Paris\","
            "   \"custom_fields\": {\"Score\": 4.5, \"e3_D\": \"01/31/2021\", \"mystery\": \"y\","
            "    \"other\": 2}},"
            "  {\"external_id\": \"ext-1\", \"anonymous_id\": \"anon-1\", \"first_name\": \"\","
            "   \"custom_fields\": {\"NICKNAME\": \"\", \"score\": \"12\"}}"
            "]}");
    if (!CHECK_INT(d.errs.count, 0))
        dump_errors(&d);
    REQUIRE(d.b != NULL);
    REQUIRE(d.b->count == 3);
    const contact_input *c = d.b->contacts;

    CHECK_STR(c[0].field[CF_EMAIL], "ann@example.com");
    CHECK_STR(c[0].field[CF_FIRST_NAME], "Ann");
    CHECK_STR(c[0].field[CF_LAST_NAME], "Lee");
    CHECK_NULL(c[0].field[CF_PHONE_NUMBER_ID]);
    CHECK_NULL(c[0].field[CF_CITY]);
    CHECK_STR(c[0].alternate_emails, "[\"ann.lee@work.example\",\"ann@home.example\"]");
    /* custom fields keyed by field id; unknown keys left out */
    CHECK_STR(c[0].custom_fields, "{\"e1_T\":\"x\",\"e2_N\":3}");

    CHECK_STR(c[1].field[CF_PHONE_NUMBER_ID], "+14155552671");
    CHECK_NULL(c[1].field[CF_EMAIL]);
    CHECK_STR(c[1].field[CF_CITY], "Paris");
    CHECK_NULL(c[1].alternate_emails);
    /* names match ignoring case; dates normalised */
    CHECK_STR(c[1].custom_fields, "{\"e2_N\":4.5,\"e3_D\":\"2021-01-31T00:00:00Z\"}");

    CHECK_STR(c[2].field[CF_EXTERNAL_ID], "ext-1");
    CHECK_STR(c[2].field[CF_ANONYMOUS_ID], "anon-1");
    CHECK_STR(c[2].field[CF_FIRST_NAME], ""); /* "" clears: provided, not NULL */
    /* "" clears a value (kept as null); a number in a string becomes a number */
    CHECK_STR(c[2].custom_fields, "{\"e1_T\":null,\"e2_N\":12}");

    /* list_ids: duplicates removed, order kept */
    if (CHECK_INT(d.b->list_count, 2)) {
        CHECK_STR(d.b->list_ids[0], "l1");
        CHECK_STR(d.b->list_ids[1], "l2");
    }
    /* unknown custom field keys: distinct, first-seen order */
    if (CHECK_INT(d.b->unknown_custom_field_count, 2)) {
        CHECK_STR(d.b->unknown_custom_fields[0], "mystery");
        CHECK_STR(d.b->unknown_custom_fields[1], "other");
    }
    decoded_free(&d);

    /* Without list_ids or custom fields the counts are zero. */
    decode_text(&d, "{\"contacts\": [{\"email\": \"a@b.co\"}]}");
    CHECK_INT(d.errs.count, 0);
    CHECK_INT(d.b->count, 1);
    CHECK_INT(d.b->list_count, 0);
    CHECK_INT(d.b->unknown_custom_field_count, 0);
    decoded_free(&d);

    /* An empty list_ids array is fine. */
    decode_text(&d, "{\"list_ids\": [], \"contacts\": [{\"email\": \"a@b.co\"}]}");
    CHECK_INT(d.errs.count, 0);
    CHECK_INT(d.b->list_count, 0);
    decoded_free(&d);
}

static void test_custom_field_keys_many(void)
{
    /* With no custom field defined every key is unknown; they are collected once each,
     * more than the first allocation (8), spread over several contacts. */
    json_t *contacts = json_array();
    for (int i = 0; i < 6; i++) {
        json_t *cf = json_object();
        for (int k = 0; k < 4; k++) {
            char key[32];
            snprintf(key, sizeof key, "k%d_T", i * 2 + k); /* overlaps the previous contact */
            json_object_set_new(cf, key, json_string("v"));
        }
        char email[64];
        snprintf(email, sizeof email, "c%d@example.com", i);
        json_array_append_new(contacts,
                              json_pack("{s:s, s:o}", "email", email, "custom_fields", cf));
    }
    json_t *root = json_pack("{s:o}", "contacts", contacts);
    decoded d;
    decode_json_with(&d, root, NULL);
    json_decref(root);
    CHECK_INT(d.errs.count, 0);
    /* keys k0..k13 */
    if (CHECK_INT(d.b->unknown_custom_field_count, 14)) {
        for (int i = 0; i < 14; i++) {
            char key[32];
            snprintf(key, sizeof key, "k%d_T", i);
            bool seen = false;
            for (size_t k = 0; k < d.b->unknown_custom_field_count; k++)
                if (strcmp(d.b->unknown_custom_fields[k], key) == 0)
                    seen = true;
            CHECK(seen);
        }
    }
    decoded_free(&d);
}

static void test_top_level_errors(void)
{
    EXPECT_SINGLE("{}", "contacts");
    EXPECT_SINGLE("{\"contacts\": {}}", "contacts");
    EXPECT_SINGLE("{\"contacts\": \"a@b.co\"}", "contacts");
    EXPECT_SINGLE("{\"contacts\": null}", "contacts");
    EXPECT_SINGLE("{\"contacts\": []}", "contacts");
    EXPECT_SINGLE("{\"contacts\": [{\"email\": \"a@b.co\"}], \"list_ids\": \"l1\"}", "list_ids");
    EXPECT_SINGLE("{\"contacts\": [{\"email\": \"a@b.co\"}], \"list_ids\": [\"l1\", 7]}",
                  "list_ids[1]");

    /* A root that is not an object is an error about the request as a whole. */
    EXPECT_SINGLE("[]", NULL);
    EXPECT_SINGLE("\"contacts\"", NULL);

    /* Unknown top-level fields are ignored, as SendGrid ignores them. */
    decoded d;
    decode_text(&d, "{\"foo\": 1, \"lists\": [], \"contacts\": [{\"email\": \"bad\"}]}");
    CHECK_INT(d.errs.count, 1);
    EXPECT_ERROR_AT(&d, "contacts[0].email");
    decoded_free(&d);
}

static void test_contact_count_limit(void)
{
    for (int n = UPSERT_MAX_CONTACTS; n <= UPSERT_MAX_CONTACTS + 1; n++) {
        json_t *contacts = json_array();
        for (int i = 0; i < n; i++) {
            char email[64];
            snprintf(email, sizeof email, "user%d@example.com", i);
            json_array_append_new(contacts, json_pack("{s:s}", "email", email));
        }
        json_t *root = json_pack("{s:o}", "contacts", contacts);
        decoded d;
        decode_json(&d, root);
        json_decref(root);
        if (n == UPSERT_MAX_CONTACTS) {
            CHECK_INT(d.errs.count, 0);
            CHECK_INT(d.b->count, UPSERT_MAX_CONTACTS);
            CHECK_STR(d.b->contacts[UPSERT_MAX_CONTACTS - 1].field[CF_EMAIL],
                      "user29999@example.com");
        } else {
            EXPECT_ONE_ERROR(&d, "contacts");
        }
        decoded_free(&d);
    }
}

static void test_contact_errors(void)
{
    /* not an object */
    EXPECT_SINGLE("{\"contacts\": [{\"email\": \"a@b.co\"}, \"c@d.co\"]}", "contacts[1]");
    EXPECT_SINGLE("{\"contacts\": [[]]}", "contacts[0]");
    EXPECT_SINGLE("{\"contacts\": [null]}", "contacts[0]");
    /* no identifier */
    EXPECT_SINGLE("{\"contacts\": [{\"first_name\": \"Ann\"}]}", "contacts[0]");
    EXPECT_SINGLE("{\"contacts\": [{\"email\": \"a@b.co\"}, {}]}", "contacts[1]");
    /* invalid email at index 2 */
    EXPECT_SINGLE("{\"contacts\": [{\"email\": \"a@b.co\"}, {\"email\": \"c@d.co\"},"
                  " {\"email\": \"not-an-email\"}]}",
                  "contacts[2].email");
    EXPECT_SINGLE("{\"contacts\": [{\"email\": \"\"}]}", "contacts[0].email");
    /* phone not E.164 */
    EXPECT_SINGLE("{\"contacts\": [{\"phone_number_id\": \"415-555-2671\"}]}",
                  "contacts[0].phone_number_id");
    EXPECT_SINGLE("{\"contacts\": [{\"email\": \"a@b.co\"}, {\"phone_number_id\": \"04155552671\"}]}",
                  "contacts[1].phone_number_id");
    /* empty free-form identifiers */
    EXPECT_SINGLE("{\"contacts\": [{\"external_id\": \"\"}]}", "contacts[0].external_id");
    EXPECT_SINGLE("{\"contacts\": [{\"anonymous_id\": \"\"}]}", "contacts[0].anonymous_id");
    /* wrong types */
    EXPECT_SINGLE("{\"contacts\": [{\"email\": \"a@b.co\", \"first_name\": 5}]}",
                  "contacts[0].first_name");
    EXPECT_SINGLE("{\"contacts\": [{\"email\": \"a@b.co\", \"city\": true}]}", "contacts[0].city");
    EXPECT_SINGLE("{\"contacts\": [{\"email\": \"a@b.co\", \"external_id\": 12}]}",
                  "contacts[0].external_id");
    {
        decoded d;
        decode_text(&d, "{\"contacts\": [{\"email\": null}]}");
        EXPECT_ERROR_AT(&d, "contacts[0].email");
        CHECK(d.errs.count >= 1);
        decoded_free(&d);
    }
    {
        /* unknown contact fields (a contact's id as GET returns it) are ignored */
        decoded d;
        decode_text(
            &d, "{\"contacts\": [{\"email\": \"a@b.co\", \"nickname\": \"x\", \"id\": \"x\"}]}");
        CHECK_INT(d.errs.count, 0);
        decoded_free(&d);
    }
    /* custom_fields */
    EXPECT_SINGLE("{\"contacts\": [{\"email\": \"a@b.co\", \"custom_fields\": []}]}",
                  "contacts[0].custom_fields");
    EXPECT_SINGLE("{\"contacts\": [{\"email\": \"a@b.co\", \"custom_fields\": \"x\"}]}",
                  "contacts[0].custom_fields");
    EXPECT_SINGLE(
        "{\"contacts\": [{\"email\": \"a@b.co\", \"custom_fields\": {\"e1_T\": {\"a\": 1}}}]}",
        "contacts[0].custom_fields.e1_T");
    EXPECT_SINGLE(
        "{\"contacts\": [{\"email\": \"a@b.co\", \"custom_fields\": {\"e1_T\": \"ok\", \"score\": [1]}}]}",
        "contacts[0].custom_fields.score");
    EXPECT_SINGLE("{\"contacts\": [{\"email\": \"a@b.co\", \"custom_fields\": {\"score\": {}}}]}",
                  "contacts[0].custom_fields.score");
    EXPECT_SINGLE("{\"contacts\": [{\"email\": \"a@b.co\", \"custom_fields\": {\"e2_N\": \"abc\"}}]}",
                  "contacts[0].custom_fields.e2_N");
    EXPECT_SINGLE("{\"contacts\": [{\"email\": \"a@b.co\", \"custom_fields\": {\"nickname\": 5}}]}",
                  "contacts[0].custom_fields.nickname");
    EXPECT_SINGLE(
        "{\"contacts\": [{\"email\": \"a@b.co\", \"custom_fields\": {\"birthday\": \"2021-02-30\"}}]}",
        "contacts[0].custom_fields.birthday");
    EXPECT_SINGLE(
        "{\"contacts\": [{\"email\": \"a@b.co\"}, {\"email\": \"c@d.co\", \"custom_fields\": {\"e3_D\": -20210101}}]}",
        "contacts[1].custom_fields.e3_D");
    {
        /* A key the catalog lacks is not checked, only collected for the caller. */
        decoded d;
        decode_text(
            &d,
            "{\"contacts\": [{\"email\": \"a@b.co\", \"custom_fields\": {\"zz\": {\"a\": 1}}}]}");
        CHECK_INT(d.errs.count, 0);
        if (CHECK_INT(d.b->unknown_custom_field_count, 1))
            CHECK_STR(d.b->unknown_custom_fields[0], "zz");
        decoded_free(&d);
    }
    EXPECT_SINGLE("{\"contacts\": [{\"email\": \"a@b.co\", \"custom_fields\": {\"e1_T\": null}}]}",
                  "contacts[0].custom_fields.e1_T");
    /* alternate_emails */
    EXPECT_SINGLE("{\"contacts\": [{\"email\": \"a@b.co\", \"alternate_emails\": \"x@y.co\"}]}",
                  "contacts[0].alternate_emails");
    EXPECT_SINGLE(
        "{\"contacts\": [{\"email\": \"a@b.co\", \"alternate_emails\":"
        " [\"a1@b.co\", \"a2@b.co\", \"a3@b.co\", \"a4@b.co\", \"a5@b.co\", \"a6@b.co\"]}]}",
        "contacts[0].alternate_emails");
    EXPECT_SINGLE(
        "{\"contacts\": [{\"email\": \"a@b.co\", \"alternate_emails\": [\"x@y.co\", \"nope\"]}]}",
        "contacts[0].alternate_emails[1]");
    EXPECT_SINGLE("{\"contacts\": [{\"email\": \"a@b.co\", \"alternate_emails\": [3]}]}",
                  "contacts[0].alternate_emails[0]");
    {
        /* Five alternate emails are fine. */
        decoded d;
        decode_text(&d, "{\"contacts\": [{\"email\": \"a@b.co\", \"alternate_emails\":"
                        " [\"a1@b.co\", \"a2@b.co\", \"a3@b.co\", \"a4@b.co\", \"a5@b.co\"]}]}");
        CHECK_INT(d.errs.count, 0);
        CHECK_STR(d.b->contacts[0].alternate_emails,
                  "[\"a1@b.co\",\"a2@b.co\",\"a3@b.co\",\"a4@b.co\",\"a5@b.co\"]");
        decoded_free(&d);
        decode_text(&d, "{\"contacts\": [{\"email\": \"a@b.co\", \"alternate_emails\": []}]}");
        CHECK_INT(d.errs.count, 0);
        CHECK_STR(d.b->contacts[0].alternate_emails, "[]");
        decoded_free(&d);
    }
}

static void test_lengths(void)
{
    char body[4096];
    char *s50 = repeat("a", 50), *s51 = repeat("a", 51);
    char *e50 = repeat("\xc3\xa9", 50), *e51 = repeat("\xc3\xa9", 51);
    char *j50 = repeat("\xe6\x97\xa5", 50);
    char *city60 = repeat("\xe6\x97\xa5", 60), *city61 = repeat("c", 61);

    decoded d;
    snprintf(body, sizeof body, "{\"contacts\": [{\"email\": \"a@b.co\", \"first_name\": \"%s\"}]}",
             s50);
    decode_text(&d, body);
    CHECK_INT(d.errs.count, 0);
    CHECK_STR(d.b->contacts[0].field[CF_FIRST_NAME], s50);
    decoded_free(&d);

    snprintf(body, sizeof body, "{\"contacts\": [{\"email\": \"a@b.co\", \"first_name\": \"%s\"}]}",
             s51);
    EXPECT_SINGLE(body, "contacts[0].first_name");

    /* 50 two-byte code points (100 bytes) fit; 51 do not. */
    snprintf(body, sizeof body, "{\"contacts\": [{\"email\": \"a@b.co\", \"last_name\": \"%s\"}]}",
             e50);
    decode_text(&d, body);
    CHECK_INT(d.errs.count, 0);
    CHECK_STR(d.b->contacts[0].field[CF_LAST_NAME], e50);
    decoded_free(&d);
    snprintf(body, sizeof body, "{\"contacts\": [{\"email\": \"a@b.co\", \"last_name\": \"%s\"}]}",
             e51);
    EXPECT_SINGLE(body, "contacts[0].last_name");

    /* 50 three-byte code points (150 bytes) fit first_name. */
    snprintf(body, sizeof body, "{\"contacts\": [{\"email\": \"a@b.co\", \"first_name\": \"%s\"}]}",
             j50);
    decode_text(&d, body);
    CHECK_INT(d.errs.count, 0);
    decoded_free(&d);

    /* A \u escape counts as the one code point it stands for. */
    char *esc50 = repeat("\\u00e9", 50);
    snprintf(body, sizeof body, "{\"contacts\": [{\"email\": \"a@b.co\", \"first_name\": \"%s\"}]}",
             esc50);
    decode_text(&d, body);
    CHECK_INT(d.errs.count, 0);
    CHECK_STR(d.b->contacts[0].field[CF_FIRST_NAME], e50);
    decoded_free(&d);
    free(esc50);

    snprintf(body, sizeof body, "{\"contacts\": [{\"email\": \"a@b.co\", \"city\": \"%s\"}]}",
             city60);
    decode_text(&d, body);
    CHECK_INT(d.errs.count, 0);
    decoded_free(&d);
    snprintf(body, sizeof body, "{\"contacts\": [{\"email\": \"a@b.co\", \"city\": \"%s\"}]}",
             city61);
    EXPECT_SINGLE(body, "contacts[0].city");

    /* external_id: 254 code points fit, 255 do not */
    char *x254 = repeat("\xc3\xa9", 254), *x255 = repeat("x", 255);
    snprintf(body, sizeof body, "{\"contacts\": [{\"external_id\": \"%s\"}]}", x254);
    decode_text(&d, body);
    CHECK_INT(d.errs.count, 0);
    CHECK_STR(d.b->contacts[0].field[CF_EXTERNAL_ID], x254);
    decoded_free(&d);
    snprintf(body, sizeof body, "{\"contacts\": [{\"external_id\": \"%s\"}]}", x255);
    EXPECT_SINGLE(body, "contacts[0].external_id");

    free(s50);
    free(s51);
    free(e50);
    free(e51);
    free(j50);
    free(city60);
    free(city61);
    free(x254);
    free(x255);
}

static void test_several_errors(void)
{
    decoded d;
    decode_text(
        &d,
        "{\"contacts\": ["
        " {\"email\": \"ok@example.com\"},"
        " {\"email\": \"bad@\", \"first_name\": 1},"
        " {\"last_name\": \"no id\"},"
        " {\"phone_number_id\": \"+0123\", \"custom_fields\": {\"score\": true}},"
        " {\"email\": \"ok2@example.com\", \"alternate_emails\": [\"x@y.co\", \"@y.co\", \"z@\"]},"
        " 42"
        "], \"extra\": {}}");
    static const char *const fields[] = {
        "contacts[1].email",
        "contacts[1].first_name",
        "contacts[2]",
        "contacts[3].phone_number_id",
        "contacts[3].custom_fields.score",
        "contacts[4].alternate_emails[1]",
        "contacts[4].alternate_emails[2]",
        "contacts[5]",
    };
    size_t n = sizeof fields / sizeof fields[0];
    if (!CHECK_INT(d.errs.count, n))
        dump_errors(&d);
    for (size_t i = 0; i < n; i++)
        EXPECT_ERROR_AT(&d, fields[i]);
    /* No error for the good records. */
    CHECK_NULL(find_error(&d, "contacts[0]"));
    CHECK_NULL(find_error(&d, "contacts[0].email"));
    CHECK_NULL(find_error(&d, "contacts[4].email"));
    /* Records keep their indexes in order: the errors of contact 1 come before those of 3. */
    size_t i1 = d.errs.count, i3 = d.errs.count;
    for (size_t i = 0; i < d.errs.count; i++) {
        const char *f = d.errs.items[i].field;
        if (f && strcmp(f, "contacts[1].email") == 0)
            i1 = i;
        if (f && strcmp(f, "contacts[3].phone_number_id") == 0)
            i3 = i;
    }
    CHECK(i1 < i3);
    /* The bad value is echoed in the message. */
    const errlist_item *e = find_error(&d, "contacts[1].email");
    if (e)
        CHECK_CONTAINS(e->message, "bad@");
    decoded_free(&d);
}

static void test_decode_payload(void)
{
    const char *body =
        "{\"contacts\": [{\"email\": \" MiXeD@Example.com\", \"first_name\": \"M\","
        " \"alternate_emails\": [\"ALT@Example.com\"]},"
        " {\"external_id\": \"e-2\", \"custom_fields\": {\"score\": 7, \"gone\": 1}}],"
        " \"list_ids\": [\"L\"]}";
    upsert_batch *b = upsert_decode_payload(body, strlen(body), &CAT);
    REQUIRE(b != NULL);
    CHECK_INT(b->count, 2);
    CHECK_STR(b->contacts[0].field[CF_EMAIL], "mixed@example.com");
    CHECK_STR(b->contacts[0].field[CF_FIRST_NAME], "M");
    CHECK_STR(b->contacts[0].alternate_emails, "[\"alt@example.com\"]");
    CHECK_STR(b->contacts[1].field[CF_EXTERNAL_ID], "e-2");
    CHECK_STR(b->contacts[1].custom_fields, "{\"e2_N\":7}");
    CHECK_INT(b->list_count, 1);
    if (CHECK_INT(b->unknown_custom_field_count, 1))
        CHECK_STR(b->unknown_custom_fields[0], "gone");
    upsert_batch_free(b);

    /* Replayed with no field defined any more: still decodes, the values are dropped. */
    b = upsert_decode_payload(body, strlen(body), NULL);
    REQUIRE(b != NULL);
    CHECK_INT(b->count, 2);
    CHECK(b->contacts[1].custom_fields == NULL || strstr(b->contacts[1].custom_fields, "7") == NULL);
    CHECK_INT(b->unknown_custom_field_count, 2);
    upsert_batch_free(b);

    /* The length given bounds the parse: a valid body followed by junk is still valid
     * when the junk lies past len. */
    char buf[256];
    snprintf(buf, sizeof buf, "%s", "{\"contacts\": [{\"email\": \"a@b.co\"}]}GARBAGE");
    b = upsert_decode_payload(buf, strlen(buf) - strlen("GARBAGE"), NULL);
    CHECK(b != NULL);
    upsert_batch_free(b);

    static const char *const bad[] = {
        "",
        "{",
        "not json",
        "{\"contacts\": [{\"email\": \"a@b.co\"}]}GARBAGE",
        "{\"contacts\": []}",
        "{\"contacts\": [{\"email\": \"invalid\"}]}",
        "{\"contacts\": [{\"email\": \"a@b.co\", \"email\": \"c@d.co\"}]}", /* duplicate key */
        "[1, 2]",
        "{\"contacts\": [{\"email\": \"a@b.co\", \"custom_fields\": {\"score\": \"x\"}}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        b = upsert_decode_payload(bad[i], strlen(bad[i]), &CAT);
        if (!CHECK_NULL(b))
            fprintf(stderr, "    payload: %s\n", bad[i]);
        upsert_batch_free(b);
    }
    upsert_batch_free(NULL); /* allowed */
}

/* A Number custom field given as a string holding a number beyond the range of a
 * 64-bit integer: a valid number, to be stored as a real. */
static void test_number_string_out_of_int_range(void)
{
    static const char *const values[] = {"1e19", "-1e19", "99999999999999999999", "9.3e18"};
    static const double expected[] = {1e19, -1e19, 1e20, 9.3e18};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"contacts\": [{\"email\": \"a@b.co\", \"custom_fields\": {\"score\": \"%s\"}}]}",
                 values[i]);
        decoded d;
        decode_text(&d, body);
        if (!CHECK_INT(d.errs.count, 0)) {
            dump_errors(&d);
        } else {
            json_t *cf = json_loads(d.b->contacts[0].custom_fields, 0, NULL);
            json_t *v = json_object_get(cf, "e2_N");
            CHECK(json_is_number(v));
            CHECK(json_number_value(v) == expected[i]);
            json_decref(cf);
        }
        decoded_free(&d);
    }
}

/* fields.h: a Number value is "a JSON number (or a string holding one)". Strings that
 * strtod reads but that are not JSON numbers must be refused. */
static void test_number_string_not_json(void)
{
    static const char *const values[] = {"0x10",      "0X1A", "0x1p3", "nan", "inf",
                                         "-infinity", " 5",   "5 ",    "abc", "1,5"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"contacts\": [{\"email\": \"a@b.co\", \"custom_fields\": {\"score\": \"%s\"}}]}",
                 values[i]);
        decoded d;
        decode_text(&d, body);
        if (!CHECK_INT(d.errs.count, 1))
            fprintf(stderr, "    value \"%s\" was accepted as %s\n", values[i],
                    d.b->count ? d.b->contacts[0].custom_fields : "?");
        decoded_free(&d);
    }
    /* and the ones that are JSON numbers are accepted */
    static const char *const good[] = {"0", "-3", "2.5", "1e3", "-0.25E-2"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"contacts\": [{\"email\": \"a@b.co\", \"custom_fields\": {\"score\": \"%s\"}}]}",
                 good[i]);
        decoded d;
        decode_text(&d, body);
        if (!CHECK_INT(d.errs.count, 0))
            dump_errors(&d);
        decoded_free(&d);
    }
}

static void test_round_trip_json(void)
{
    /* The batch does not reference the JSON tree: it survives json_decref. */
    json_t *root =
        json_pack("{s:[{s:s, s:s}]}", "contacts", "email", "Tree@Example.com", "first_name", "T");
    decoded d;
    decode_json(&d, root);
    json_decref(root);
    CHECK_INT(d.errs.count, 0);
    CHECK_STR(d.b->contacts[0].field[CF_EMAIL], "tree@example.com");
    CHECK_STR(d.b->contacts[0].field[CF_FIRST_NAME], "T");
    decoded_free(&d);
}

/* A NUL inside a reserved string field would be cut short by the store: refuse it. The
 * HTTP path never gets here (jansson rejects \u0000 without JSON_ALLOW_NUL), but the
 * decoder is also the replay path and must not depend on that. */
static void test_nul_in_field(void)
{
    json_t *root = json_pack("{s:[{s:s, s:s#}]}", "contacts", "email", "a@b.co", "first_name",
                             "a\0b", (size_t)3);
    decoded d;
    decode_json(&d, root);
    json_decref(root);
    EXPECT_ONE_ERROR(&d, "contacts[0].first_name");
    decoded_free(&d);
}

/* A bad value echoed in a message is cut at 100 bytes, never inside a character: the
 * message is stored with the job's errors and must stay well-formed UTF-8. */
static void test_echo_cut_at_character(void)
{
    char body[1024];
    char *e60 = repeat("\xc3\xa9", 60); /* "a" + 60 two-byte characters: byte 100 is mid-character */
    snprintf(body, sizeof body, "{\"contacts\": [{\"email\": \"a%s\"}]}", e60);
    decoded d;
    decode_text(&d, body);
    CHECK(d.errs.count >= 1);
    for (size_t i = 0; i < d.errs.count; i++)
        CHECK(utf8_valid(d.errs.items[i].message));
    decoded_free(&d);
    free(e60);
}

int main(void)
{
    RUN(test_nul_in_field);
    RUN(test_valid_body);
    RUN(test_custom_field_keys_many);
    RUN(test_top_level_errors);
    RUN(test_contact_count_limit);
    RUN(test_contact_errors);
    RUN(test_lengths);
    RUN(test_several_errors);
    RUN(test_echo_cut_at_character);
    RUN(test_decode_payload);
    RUN(test_round_trip_json);
    RUN(test_number_string_not_json);
    /* last: under UBSan a failure here aborts the executable (see the bug report) */
    RUN(test_number_string_out_of_int_range);
    return check_summary("test_contact_decode");
}
