/*
 * test_json_writer: the differential test of issue 17's read path. core/json_writer,
 * core/json_recode and contact_json_write_* must print exactly the bytes jansson printed
 * before them (json_diff.h holds both ways): strings of every byte and of random bytes
 * (invalid UTF-8 included), integers, doubles, stored JSON (hand-picked edge cases, random
 * documents and random mutations of them), and whole contacts with every reserved field,
 * custom fields of each type, empty, null and malformed stored values.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "json_diff.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static unsigned below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

static int mismatches;

/* One comparison; the first few differences are printed whole. */
static void same(const char *what, const char *input, char *old, char *new)
{
    bool ok = diff_same(old, new);
    CHECK(ok);
    if (!ok && mismatches++ < 10)
        fprintf(stderr, "    %s of [%s]:\n    jansson: %s\n    writer:  %s\n", what, input,
                old ? old : "(refused)", new ? new : "(refused)");
    free(old);
    free(new);
}

static void same_string(const char *s, size_t n)
{
    same("string", s, old_string(s, n), new_string(s, n));
}

static void same_recode(const char *text)
{
    same("recode", text, old_recode(text), new_recode(text));
}

/* Random bytes drawn mostly from what makes strings interesting. */
static void random_text(char *out, size_t n)
{
    static const char *const pieces[] = {
        "a",
        "Z",
        " ",
        "\"",
        "\\",
        "/",
        "\b",
        "\f",
        "\n",
        "\r",
        "\t",
        "\x01",
        "\x1f",
        "\x7f",
        "\xc3\xa9",
        "\xe2\x80\xa8",
        "\xf0\x9f\x98\x80",
        "\xf4\x8f\xbf\xbf",
        "\xc0\x80",
        "\xed\xa0\x80",
        "\xf4\x90\x80\x80",
        "\xe2\x82",
        "\x80",
        "\xff",
        "\xc3",
        "0",
        "-",
        "e",
    };
    size_t len = 0;
    while (len + 5 < n && below(8) != 0) {
        const char *p = pieces[below(sizeof pieces / sizeof pieces[0])];
        memcpy(out + len, p, strlen(p));
        len += strlen(p);
    }
    out[len] = '\0';
}

static void test_strings(void)
{
    check_case_name = "strings";
    char s[8];
    for (int b = 1; b < 256; b++) { /* each byte alone, and before a continuation byte */
        s[0] = (char)b;
        same_string(s, 1);
        s[1] = (char)0xA9;
        same_string(s, 2);
    }
    same_string("", 0);
    same_string("a\0b", 3); /* NUL: json_stringn refuses, as the writer does */
    char text[256];
    for (int i = 0; i < 20000; i++) {
        random_text(text, sizeof text);
        same_string(text, strlen(text));
    }
}

static void test_numbers(void)
{
    check_case_name = "numbers";
    static const double reals[] = {0.0,
                                   -0.0,
                                   1.0,
                                   -1.0,
                                   0.1,
                                   0.5,
                                   1e15,
                                   1e16,
                                   1e17,
                                   1e20,
                                   1e21,
                                   1e-5,
                                   1e-4,
                                   123.456,
                                   1e300,
                                   -1e300,
                                   DBL_MAX,
                                   DBL_MIN,
                                   5e-324,
                                   2.5,
                                   100000.0,
                                   1.0 / 3,
                                   9007199254740993.0,
                                   0.30000000000000004};
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++)
        same("real", "", old_real(reals[i]), new_real(reals[i]));
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = rnd();
        double d;
        memcpy(&d, &bits, sizeof d);
        if (isfinite(d))
            same("real", "(random bits)", old_real(d), new_real(d));
        d = (double)(int64_t)(rnd() % 2000000) / (double)(1 + below(1000));
        same("real", "(random decimal)", old_real(d), new_real(d));
    }
    static const char *const ints[] = {"[0]",
                                       "[-0]",
                                       "[9223372036854775807]",
                                       "[-9223372036854775808]",
                                       "[9223372036854775808]",
                                       "[-9223372036854775809]",
                                       "[12345678901234567890123]"};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        same_recode(ints[i]);
}

static void test_recode_cases(void)
{
    check_case_name = "recode cases";
    static const char *const cases[] = {
        "[]",
        "{}",
        " [ ] ",
        "\t{\n}\r",
        "[1,2,3]",
        "[1 , 2]",
        "{\"a\":1}",
        "{ \"a\" : [ true ,false,null ] }",
        "[\"\\u00e9\\u2028\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\\\"\\\\\"]",
        "[\"\\u001f\\u007F\"]",
        "[\"\\uD800\"]",
        "[\"\\uDC00\"]",
        "[\"\\uD800\\u0041\"]",
        "[\"\\uD800x\"]",
        "[\"\\u0000\"]",
        "[\"\\u12\"]",
        "[\"\\x\"]",
        "[\"a\x01\"]",
        "[\"\xc3\xa9\"]",
        "[\"\xc3\"]",
        "[\"\xed\xa0\x80\"]",
        "{\"a\":1,\"a\":2,\"b\":3}",
        "{\"a\":{\"x\":1,\"x\":[2]},\"b\":1}",
        "[{\"a\":1},{\"a\":2}]",
        "{\"\\u0061\":1,\"a\":2}",
        "[1.5,-0.0,1E5,1e-5,2.5e+3,0.1]",
        "[1e400]",
        "[-1e400]",
        "[1e-400]",
        "[01]",
        "[1.]",
        "[.5]",
        "[-]",
        "[1e]",
        "[1e+]",
        "[+1]",
        "[truex]",
        "[true1]",
        "[nul]",
        "[True]",
        "[1,]",
        "{\"a\":1,}",
        "{\"a\"}",
        "{\"a\":}",
        "{1:2}",
        "[1]x",
        "[1] ",
        "1",
        "\"a\"",
        "",
        " ",
        "[",
        "{",
        "]",
        "[1,[2,[3]]]",
        "[1]\n\n",
        "[\"\xf4\x90\x80\x80\"]",
        "[\"\x7f\"]",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        same_recode(cases[i]);
    /* jansson's nesting limit, at and around it */
    for (int depth = 2046; depth <= 2050; depth++) {
        char *deep = malloc(2 * (size_t)depth + 4);
        for (int k = 0; k < 2; k++) {
            size_t n = 0;
            for (int i = 0; i < depth; i++)
                deep[n++] = '[';
            if (k)
                deep[n++] = '1';
            for (int i = 0; i < depth; i++)
                deep[n++] = ']';
            deep[n] = '\0';
            same_recode(deep);
        }
        free(deep);
    }
}

/* A random JSON document (valid but for rare random pieces) appended at *n. */
static void random_value(char *out, size_t *n, size_t cap, int depth)
{
    static const char *const scalars[] = {"0",    "-12",   "3.25", "1e5",  "-0.0",
                                          "true", "false", "null", "1E-7", "9223372036854775807"};
    if (*n + 300 > cap)
        depth = 9;
    unsigned kind = depth > 4 ? 2 + below(2) : below(4);
    if (kind < 2) {
        char open = kind ? '{' : '[';
        out[(*n)++] = open;
        unsigned members = below(5);
        for (unsigned i = 0; i < members; i++) {
            if (i)
                out[(*n)++] = below(10) ? ',' : ' ';
            if (open == '{') {
                *n += (size_t)sprintf(out + *n, "\"k%u\"%s:", below(6), below(5) ? "" : " ");
            }
            random_value(out, n, cap, depth + 1);
        }
        out[(*n)++] = open == '{' ? '}' : ']';
    } else if (kind == 2) {
        const char *s = scalars[below(sizeof scalars / sizeof scalars[0])];
        *n += (size_t)sprintf(out + *n, "%s", s);
    } else {
        char text[128];
        random_text(text, sizeof text);
        *n += (size_t)sprintf(out + *n, "\"%s\"", text);
    }
}

static void test_recode_random(void)
{
    check_case_name = "recode random";
    char *doc = malloc(65536);
    for (int i = 0; i < 20000; i++) {
        size_t n = 0;
        doc[n++] = below(2) ? '[' : '{';
        if (doc[0] == '{')
            n += (size_t)sprintf(doc + n, "\"a\":");
        random_value(doc, &n, 60000, 0);
        doc[n++] = doc[0] == '[' ? ']' : '}';
        doc[n] = '\0';
        same_recode(doc);
        for (int m = 0; m < 3 && n > 1; m++) { /* a mutation: a byte changed or cut short */
            size_t at = below((unsigned)n);
            char was = doc[at];
            doc[at] = (char)(below(2) ? "[]{},:\"\\ 01e.-tfn"[below(17)] : (char)below(256));
            if (doc[at] == '\0')
                doc[at] = 'x';
            same_recode(doc);
            doc[at] = was;
        }
        doc[below((unsigned)n)] = '\0';
        same_recode(doc);
    }
    free(doc);
}

/* ---- whole contacts ----------------------------------------------------------------- */


static const char *random_field(char *buf, size_t cap)
{
    switch (below(6)) {
    case 0: return NULL;
    case 1: return "";
    case 2: return "ada@example.com";
    default: random_text(buf, cap); return buf;
    }
}

/* Stored JSON text of the kind a row carries: absent, valid, spaced, or malformed. */
static const char *random_stored(char *buf, size_t cap, bool object)
{
    static const char *const fixed[] = {NULL,
                                        "[]",
                                        "{}",
                                        "[\"a@x.io\",\"b@y.io\"]",
                                        "[\"3f0c\", \"9a1b\"]",
                                        "not json",
                                        "[1,",
                                        "{\"a\":1}",
                                        " [\"x\"] ",
                                        "[\"\\u00e9\"]"};
    if (!object || below(3) == 0)
        return fixed[below(sizeof fixed / sizeof fixed[0])];
    size_t n = 0;
    n += (size_t)snprintf(buf + n, cap - n, "{");
    unsigned members = below(6);
    for (unsigned i = 0; i < members && n + 200 < cap; i++) {
        static const char *const ids[] = {"e1_T", "e2_N", "e3_D", "e4_T", "e5_T", "e1_T"};
        static const char *const values[] = {
            "\"plain\"",
            "42",
            "-7",
            "3.5",
            "1e-7",
            "\"2024-01-31T00:00:00Z\"",
            "null",
            "[1,{\"a\":2}]",
            "\"\\u0001\\\"\"",
            "12345678901234567",
            "0.1",
            "true",
        };
        char text[96];
        random_text(text, sizeof text);
        const char *v = below(4) ? values[below(sizeof values / sizeof values[0])] : NULL;
        n += (size_t)snprintf(buf + n, cap - n, "%s\"%s\":", i ? "," : "",
                              ids[below(below(8) ? 5 : 6)]);
        if (v)
            n += (size_t)snprintf(buf + n, cap - n, "%s", v);
        else
            n += (size_t)snprintf(buf + n, cap - n, "\"%s\"", text);
    }
    snprintf(buf + n, cap - n, "}");
    return buf;
}

static void test_contacts(void)
{
    check_case_name = "contacts";
    static const char *const ids[] = {"11111111-2222-3333-4444-555555555555", "a\xff", "x"};
    for (int i = 0; i < 20000; i++) {
        char fields[CF_COUNT][128], alt[128], lists[128], segs[128], custom[2048];
        contact c = {.created_at = (int64_t)(rnd() % 4000000000000u),
                     .updated_at = (int64_t)(rnd() % 4000000000000u)};
        snprintf(c.id, sizeof c.id, "%s",
                 below(50) ? "0b6f4e6a-9c1d-4c8e-8f7a-1e2d3c4b5a69" : "bad\xc3(id");
        for (int f = 0; f < CF_COUNT; f++)
            c.field[f] = random_field(fields[f], sizeof fields[f]);
        c.alternate_emails = random_stored(alt, sizeof alt, false);
        c.list_ids = random_stored(lists, sizeof lists, false);
        c.segment_ids = random_stored(segs, sizeof segs, false);
        c.custom_fields = random_stored(custom, sizeof custom, true);
        size_t nids = below(4);
        char *old = old_contact(&c, &diff_catalog, ids, nids);
        char *new = new_contact(&c, &diff_catalog, ids, nids);
        same("contact", c.custom_fields ? c.custom_fields : "(no custom fields)", old, new);
    }
}

int main(void)
{
    test_strings();
    test_numbers();
    test_recode_cases();
    test_recode_random();
    test_contacts();
    return check_summary("test_json_writer");
}
