/*
 * fuzz_sgql: the SGQL compiler on arbitrary text against a small catalog (one field of
 * each type), and, when a query compiles, the matcher on two contacts: one with every
 * kind of value set and one with almost nothing. Beyond memory safety it checks that a
 * refused query always says why, and that the reason is valid UTF-8 when the query was
 * (the API returns it inside JSON).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/sgql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* True when s is valid UTF-8: jansson's own check, through a string it would build. */
static bool utf8_ok(const char *s)
{
    json_t *j = json_string(s);
    json_decref(j);
    return j != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static field_def defs[] = {
        {"e1_T", "color", FIELD_TEXT},
        {"e2_N", "age", FIELD_NUMBER},
        {"e3_D", "birthday", FIELD_DATE},
    };
    static const field_catalog catalog = {defs, 3};

    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';

    char err[256];
    sgql_query *q = sgql_compile(text, &catalog, INT64_C(1614698747000), err, sizeof err);
    if (!q) {
        if (err[0] == '\0' || strlen(err) >= sizeof err)
            abort();
        if (utf8_ok(text) && !utf8_ok(err))
            abort();
    } else {
        contact full, empty;
        memset(&full, 0, sizeof full);
        memset(&empty, 0, sizeof empty);
        strcpy(full.id, "0d4a5b3c-1f2e-4a6b-8c9d-0e1f2a3b4c5d");
        full.field[CF_EMAIL] = "ada@example.com";
        full.field[CF_FIRST_NAME] = "\xc3\x89milie";
        full.field[CF_CITY] = "London";
        full.alternate_emails = "[\"ada@analytical.org\"]";
        full.custom_fields = "{\"e1_T\":\"red\",\"e2_N\":42.5,\"e3_D\":\"1990-12-10T00:00:00Z\"}";
        full.list_ids = "[\"list-a\",\"list-b\"]";
        full.created_at = INT64_C(1614000000000);
        full.updated_at = INT64_C(1614698000000);
        strcpy(empty.id, "11111111-2222-4333-8444-555555555555");
        empty.custom_fields = "{\"e2_N\":\"not a number\",\"e3_D\":5}";
        (void)sgql_match(q, &full);
        (void)sgql_match(q, &empty);
        (void)sgql_uses_lists(q);
        sgql_free(q);
    }
    free(text);
    return 0;
}
