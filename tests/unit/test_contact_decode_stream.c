/*
 * Differential test of the upsert body's two walkers (core/contact_decode.h): every body
 * below, and thousands of mutations of them drawn from a fixed seed, is decoded by
 * json_loadb + upsert_decode_fields and by upsert_decode_text, which must agree on the
 * verdict (invalid JSON / not an object / decoded), on every error and on the batch
 * (upsert_diff.h). The seeds cover each rule of the decoder and each corner of jansson's
 * grammar that the one-pass tokenizer re-implements; the mutations splice in the tokens
 * those corners are made of.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "upsert_diff.h"

static field_def cat_defs[] = {
    {"e1_T", "nickname", FIELD_TEXT},
    {"e2_N", "score", FIELD_NUMBER},
    {"e3_D", "birthday", FIELD_DATE},
};
static const field_catalog CAT = {cat_defs, sizeof cat_defs / sizeof cat_defs[0]};

static const char *const seeds[] = {
    "{\"contacts\":[{\"email\":\"a@b.co\"}]}",
    ("{\"list_ids\":[\"L1\",\"L2\",\"L1\"],\"contacts\":[{\"email\":\" MiXeD@Example.com\","
     "\"first_name\":\"M\",\"alternate_emails\":[\"ALT@Example.com\",\"b@c.de\"]},"
     "{\"external_id\":\"e-2\",\"custom_fields\":{\"score\":7,\"gone\":1,\"e1_T\":\"x\","
     "\"birthday\":\"2021-03-04\"}},{\"phone_number_id\":\"+14155552671\"},"
     "{\"anonymous_id\":\"an\",\"city\":\"\\u00e9t\\u00e9 \\ud83d\\ude00\"}]}"),
    ("{\"contacts\":[{\"email\":\"bad\"},{},{\"first_name\":1},{\"email\":null},[],\"x\","
     "{\"alternate_emails\":\"a\"},{\"alternate_emails\":[1,\"bad\",{}]},"
     "{\"alternate_emails\":[\"a@b.co\",\"a@b.co\",\"a@b.co\",\"a@b.co\",\"a@b.co\",\"a@b.co\"]},"
     "{\"custom_fields\":[],\"email\":\"x@y.z\"},{\"custom_fields\":{\"score\":\"abc\","
     "\"birthday\":12,\"nickname\":[1,{\"a\":2}]},\"external_id\":\"q\"}],"
     "\"list_ids\":[1,\"L\",null]}"),
    ("{\"contacts\":[{\"email\":\"a@b.co\",\"id\":\"ignored\",\"list_ids\":[\"x\"],"
     "\"created_at\":{\"deep\":[[[{}]]]}}],\"other\":{\"k\":[true,false,null,-0,1.5e-3,2E+2]}}"),
    "{\"list_ids\":\"L\"}",
    "{\"contacts\":{}}",
    "{\"contacts\":[]}",
    "{\"contacts\":[{\"email\":\"a@b.co\"}],\"list_ids\":{}}",
    "[1,2]",
    "\"str\"",
    "42",
    "null",
    "",
    "  {\"contacts\" : [ { \"email\" : \"a@b.co\" } ] }  \r\n\t",
    "{\"contacts\":[{\"email\":\"a@b.co\"}]}x",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"email\":\"c@d.co\"}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"custom_fields\":{\"a\":1,\"a\":2}}]}",
    "{\"a\":{\"b\":1,\"b\":2},\"contacts\":[{\"email\":\"a@b.co\"}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"first_name\":\"a\\u0000b\"}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"first_name\":\"\\ud800\"}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"first_name\":\"\\udc00\"}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"first_name\":\"\\ud800\\u0041\"}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"first_name\":\"\\x\"}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"first_name\":\"\\u12G4\"}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"first_name\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"first_name\":\"\xc0\x80\"}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"first_name\":\"\xed\xa0\x80\"}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"first_name\":\"\xf4\x90\x80\x80\"}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"first_name\":\"\xe0\x9f\xbf\"}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"first_name\":\"\x7f\x01\"}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"custom_fields\":{\"score\":9223372036854775807}}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"custom_fields\":{\"score\":9223372036854775808}}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"custom_fields\":{\"score\":-9223372036854775809}}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"custom_fields\":{\"score\":1e400}}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"custom_fields\":{\"score\":1e-400}}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"custom_fields\":{\"score\":01}}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"custom_fields\":{\"score\":-}}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"custom_fields\":{\"score\":1.}}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"custom_fields\":{\"score\":.5}}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"custom_fields\":{\"score\":1e}}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"custom_fields\":{\"score\":-0.0e+0}}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"custom_fields\":{\"score\":tru}}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"custom_fields\":{\"score\":truex}}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",\"custom_fields\":{\"nickname\":\"\"}}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\"},]}",
    "{\"contacts\":[{\"email\":\"a@b.co\",}]}",
    "{\"contacts\":[,{\"email\":\"a@b.co\"}]}",
    "{\"contacts\":[{\"email\":\"a@b.co\"}],}",
    "{\"contacts\" [{\"email\":\"a@b.co\"}]}",
    "{\"\\u0063ontacts\":[{\"\\u0065mail\":\"a@b.co\"}]}",
    "{contacts:[]}",
    "{\"contacts\":[{\"email\":\"a@b.co\"}]",
    "\xef\xbb\xbf{\"contacts\":[]}",
};

/* Tokens that the mutations splice in: jansson's corners and the decoder's keys. */
static const char *const tokens[] = {
    "\"",
    "\\",
    "\\u0000",
    "\\ud800",
    "\\udc00",
    "\\ud83d\\ude00",
    "\\u00e9",
    "\\n",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    " ",
    "1e999",
    "-0",
    "01",
    "9223372036854775808",
    "1.5",
    "true",
    "nul",
    "\xc3\xa9",
    "\xc0\x80",
    "\xed\xa0\x80",
    "\xf4\x90\x80\x80",
    "\xff",
    "\x01",
    "\"email\":",
    "\"contacts\":",
    "\"list_ids\":",
    "\"custom_fields\":",
    "\"alternate_emails\":",
    "\"e1_T\":",
    "\"score\":",
    "\"birthday\":",
    "\"a@b.co\"",
    "\"+14155552671\"",
    "{}",
    "[]",
    "\"phone_number_id\":",
    "\"first_name\":",
    "\"x\":1,",
};

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* One mutation of src into out: a byte dropped, flipped or duplicated, a token spliced
 * in, or the text cut short. */
static size_t mutate(const char *src, size_t len, char *out, size_t cap)
{
    size_t at = len ? (size_t)(next_rand() % (len + 1)) : 0;
    size_t n = 0;
    int kind = (int)(next_rand() % 5);
    const char *tok = tokens[next_rand() % (sizeof tokens / sizeof tokens[0])];
    size_t tl = strlen(tok);
    if (len + tl + 2 > cap)
        return 0;
    memcpy(out, src, at);
    n = at;
    switch (kind) {
    case 0: /* drop a byte */ at += at < len; break;
    case 1: /* flip a byte */
        if (at < len)
            out[n++] = (char)(src[at++] ^ (char)(1u << (next_rand() % 8)));
        break;
    case 2: /* splice a token */
        memcpy(out + n, tok, tl);
        n += tl;
        break;
    case 3: /* replace by a token */
        memcpy(out + n, tok, tl);
        n += tl;
        at += at < len;
        break;
    case 4: /* cut */ return n;
    }
    memcpy(out + n, src + at, len - at);
    return n + len - at;
}

static void check_text(const char *text, size_t len)
{
    const char *why = upsert_diff(text, len, &CAT);
    if (!CHECK(why == NULL))
        fprintf(stderr, "    %s on: %.*s\n", why, (int)(len < 400 ? len : 400), text);
}

static void test_seeds(void)
{
    check_case_name = "seeds";
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
        check_text(seeds[i], strlen(seeds[i]));
}

/* Each seed mutated many times over, mutations of mutations included. */
static void test_mutations(void)
{
    check_case_name = "mutations";
    char a[4096], b[4096];
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        for (int round = 0; round < 400; round++) {
            size_t n = strlen(seeds[i]);
            memcpy(a, seeds[i], n);
            int depth = 1 + (int)(next_rand() % 4);
            for (int d = 0; d < depth; d++) {
                size_t m = mutate(a, n, b, sizeof b);
                memcpy(a, b, m);
                n = m;
            }
            check_text(a, n);
        }
    }
}

/* jansson's depth limit: 2048 nested values, scalars included. */
static void test_depth(void)
{
    check_case_name = "depth";
    static const int depths[] = {2046, 2047, 2048, 2049, 2050};
    for (size_t k = 0; k < sizeof depths / sizeof depths[0]; k++) {
        int d = depths[k];
        size_t cap = (size_t)d * 2 + 64;
        char *t = malloc(cap);
        REQUIRE(t != NULL);
        for (int inner = 0; inner < 2; inner++) { /* innermost empty, or holding a 1 */
            size_t n = (size_t)snprintf(t, cap, "{\"contacts\":[{\"email\":\"a@b.co\",\"x\":");
            for (int i = 0; i < d - 4; i++)
                t[n++] = '[';
            if (inner)
                t[n++] = '1';
            for (int i = 0; i < d - 4; i++)
                t[n++] = ']';
            n += (size_t)snprintf(t + n, cap - n, "}]}");
            check_text(t, n);
            /* the cases straddle the limit: the shallowest parses, the deepest does not */
            json_t *root = json_loadb(t, n, CONTACTD_JSON_FLAGS, NULL);
            if (d == depths[0])
                CHECK(root != NULL);
            if (d == depths[4])
                CHECK(root == NULL);
            json_decref(root);
        }
        free(t);
    }
}

/* A body of UPSERT_MAX_CONTACTS + 1 contacts is refused whole, without the contacts'
 * own errors; one of UPSERT_MAX_CONTACTS is decoded. */
static void test_count_limit(void)
{
    check_case_name = "count limit";
    for (int extra = 0; extra < 2; extra++) {
        size_t n = UPSERT_MAX_CONTACTS + (size_t)extra;
        size_t cap = n * 40 + 64;
        char *t = malloc(cap);
        REQUIRE(t != NULL);
        size_t len = (size_t)snprintf(t, cap, "{\"contacts\":[");
        for (size_t i = 0; i < n; i++)
            len += (size_t)snprintf(t + len, cap - len, "%s{\"email\":\"u%zu@x.io\",\"q\":[]}",
                                    i ? "," : "", i);
        len += (size_t)snprintf(t + len, cap - len, "],\"list_ids\":[\"L\"]}");
        check_text(t, len);
        free(t);
    }
}

/* NUL bytes: jansson loses one right after a number or a literal (json_pull.c), and
 * refuses any other. */
static void test_nul_bytes(void)
{
    check_case_name = "NUL bytes";
    static const char *const texts[] = {
        "[0#]",
        "[0##]",
        "[true#]",
        "[null# ]",
        "[0 #]",
        "[#0]",
        "[\"a#\"]",
        "{\"a\":1#}",
        "{\"contacts\":[{\"email\":\"a@b.co\",\"x\":false#}]}",
        "{\"a\":1.5e3#,\"b\":2}",
        "{}#",
        "[1]#",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char t[128];
        size_t n = strlen(texts[i]);
        for (size_t k = 0; k < n; k++)
            t[k] = texts[i][k] == '#' ? '\0' : texts[i][k];
        check_text(t, n);
    }
}

/* Absent and empty bodies (a request without one has no body pointer). */
static void test_no_body(void)
{
    check_case_name = "no body";
    arena a = ARENA_INIT;
    errlist errs;
    errlist_init(&errs, &a);
    upsert_text_status st;
    upsert_batch *b = upsert_decode_text(NULL, 0, &CAT, &errs, &st);
    CHECK(b == NULL);
    CHECK_INT(st, UPSERT_TEXT_INVALID_JSON);
    CHECK_INT(errs.count, 0);
    arena_release(&a);
}

int main(void)
{
    test_seeds();
    test_mutations();
    test_depth();
    test_count_limit();
    test_nul_bytes();
    test_no_body();
    return check_summary("test_contact_decode_stream");
}
