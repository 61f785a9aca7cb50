/* Unit tests of core/apikey and core/ids: key parsing, generation and hashing, UUIDs. */
#include <string.h>

#include "check.h"
#include "core/apikey.h"
#include "core/ids.h"

static int parse(const char *text, apikey *k)
{
    memset(k, 0x5A, sizeof *k);
    return apikey_parse(text, strlen(text), k);
}

static void test_parse_valid(void)
{
    apikey k;
    CHECK_INT(parse("SG.abc.def", &k), 0);
    CHECK_STR(k.id, "abc");
    CHECK_STR(k.secret, "def");
    CHECK_INT(parse("SG.A-b_9.Z_y-0", &k), 0);
    CHECK_STR(k.id, "A-b_9");
    CHECK_STR(k.secret, "Z_y-0");
    CHECK_INT(parse("SG.x.y", &k), 0);
    CHECK_STR(k.id, "x");
    CHECK_STR(k.secret, "y");

    /* Longest parts. */
    char text[APIKEY_TEXT_MAX + 16], id[APIKEY_ID_MAX + 1], secret[APIKEY_SECRET_MAX + 1];
    memset(id, 'i', APIKEY_ID_MAX);
    id[APIKEY_ID_MAX] = '\0';
    memset(secret, 's', APIKEY_SECRET_MAX);
    secret[APIKEY_SECRET_MAX] = '\0';
    snprintf(text, sizeof text, "SG.%s.%s", id, secret);
    CHECK_INT(strlen(text), APIKEY_TEXT_MAX);
    CHECK_INT(parse(text, &k), 0);
    CHECK_STR(k.id, id);
    CHECK_STR(k.secret, secret);

    /* Only len bytes are read. */
    CHECK_INT(apikey_parse("SG.abc.defGHI", 10, &k), 0);
    CHECK_STR(k.secret, "def");
    CHECK_INT(apikey_parse("SG.abc.def.extra", 10, &k), 0);
    CHECK_STR(k.secret, "def");
}

static void test_parse_invalid(void)
{
    static const char *const bad[] = {
        "",
        "S",
        "SG",
        "SG.",
        "SG..",
        "SG.abc",
        "SG.abc.",
        "SG..def",
        "sg.abc.def",
        "Sg.abc.def",
        "XX.abc.def",
        "abc.def",
        ".abc.def",
        " SG.abc.def",
        "SG.abc.def ",
        "SG.abc.def\n",
        "SG.a.b.c",
        "SG.abc..def",
        "SG.ab$c.def",
        "SG.abc.de+f",
        "SG.abc.de/f",
        "SG.abc.de=f",
        "SG.ab c.def",
        "SG.abc.d\xc3\xa9\x66",
        "Bearer SG.abc.def",
        "SG.abc:def",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        apikey k;
        if (!CHECK_INT(parse(bad[i], &k), -1))
            fprintf(stderr, "    text: \"%s\"\n", bad[i]);
    }
    /* An embedded NUL within len is not a key character. */
    apikey k;
    CHECK_INT(apikey_parse("SG.abc.d\0f", 10, &k), -1);

    /* Over-long id or secret. */
    char text[512], id[APIKEY_ID_MAX + 2], secret[APIKEY_SECRET_MAX + 2];
    memset(id, 'i', APIKEY_ID_MAX + 1);
    id[APIKEY_ID_MAX + 1] = '\0';
    snprintf(text, sizeof text, "SG.%s.secret", id);
    CHECK_INT(parse(text, &k), -1);
    memset(secret, 's', APIKEY_SECRET_MAX + 1);
    secret[APIKEY_SECRET_MAX + 1] = '\0';
    snprintf(text, sizeof text, "SG.id.%s", secret);
    CHECK_INT(parse(text, &k), -1);
}

static bool all_key_chars(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_'))
            return false;
    return true;
}

static void test_generate(void)
{
    apikey a, b;
    REQUIRE(apikey_generate(&a) == 0);
    REQUIRE(apikey_generate(&b) == 0);
    CHECK_INT(strlen(a.id), 22);     /* 16 bytes of base64url */
    CHECK_INT(strlen(a.secret), 43); /* 32 bytes */
    CHECK(all_key_chars(a.id));
    CHECK(all_key_chars(a.secret));
    CHECK(strcmp(a.id, b.id) != 0);
    CHECK(strcmp(a.secret, b.secret) != 0);

    char text[APIKEY_TEXT_MAX + 1];
    apikey_format(&a, text);
    CHECK(strncmp(text, "SG.", 3) == 0);
    apikey back;
    CHECK_INT(parse(text, &back), 0);
    CHECK_STR(back.id, a.id);
    CHECK_STR(back.secret, a.secret);

    /* Many keys: all parse, none repeats an id. */
    char seen[64][APIKEY_ID_MAX + 1];
    for (int i = 0; i < 64; i++) {
        apikey k;
        REQUIRE(apikey_generate(&k) == 0);
        apikey_format(&k, text);
        CHECK_INT(parse(text, &back), 0);
        for (int j = 0; j < i; j++)
            CHECK(strcmp(seen[j], k.id) != 0);
        memcpy(seen[i], k.id, sizeof seen[i]);
    }

    /* No id starts with '-' (a command line would take it for an option); unchecked, one
     * in 64 would. */
    int dashes = 0;
    for (int i = 0; i < 4096; i++) {
        apikey k;
        REQUIRE(apikey_generate(&k) == 0);
        dashes += k.id[0] == '-';
    }
    CHECK_INT(dashes, 0);
}

static void test_hash(void)
{
    uint8_t h1[APIKEY_HASH_LEN], h2[APIKEY_HASH_LEN], h3[APIKEY_HASH_LEN];
    apikey_hash("secret-one", h1);
    apikey_hash("secret-one", h2);
    apikey_hash("secret-onf", h3);
    CHECK(memcmp(h1, h2, APIKEY_HASH_LEN) == 0);
    CHECK(apikey_hash_equal(h1, h2));
    CHECK(!apikey_hash_equal(h1, h3));
    CHECK(memcmp(h1, h3, APIKEY_HASH_LEN) != 0);

    /* It is SHA-256: the known digest of "abc". */
    static const uint8_t abc[APIKEY_HASH_LEN] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                                                 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                                                 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
                                                 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    apikey_hash("abc", h1);
    CHECK(apikey_hash_equal(h1, abc));

    /* A difference in the last byte only is still a difference. */
    memcpy(h2, h1, APIKEY_HASH_LEN);
    h2[APIKEY_HASH_LEN - 1] ^= 1;
    CHECK(!apikey_hash_equal(h1, h2));
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static void test_uuid(void)
{
    char a[UUID_STR_LEN + 1], b[UUID_STR_LEN + 1];
    for (int i = 0; i < 100; i++) {
        REQUIRE(uuid_generate(a) == 0);
        CHECK_INT(strlen(a), UUID_STR_LEN);
        CHECK(uuid_valid(a));
        CHECK(a[14] == '4'); /* version 4 */
        int variant = hexval(a[19]);
        CHECK(variant >= 8 && variant <= 11);  /* RFC 4122 variant: 8, 9, a, b */
        for (int k = 0; k < UUID_STR_LEN; k++) /* lower case */
            CHECK(a[k] == '-' || hexval(a[k]) >= 0);
    }
    REQUIRE(uuid_generate(b) == 0);
    CHECK(strcmp(a, b) != 0);

    CHECK(uuid_valid("123e4567-e89b-12d3-a456-426614174000"));
    CHECK(uuid_valid("123E4567-E89B-12D3-A456-426614174000"));
    CHECK(uuid_valid("00000000-0000-0000-0000-000000000000"));
    static const char *const bad[] = {
        "",
        "123e4567e89b12d3a456426614174000",
        "123e4567-e89b-12d3-a456-42661417400",   /* short */
        "123e4567-e89b-12d3-a456-4266141740000", /* long */
        "123e4567-e89b-12d3-a456_426614174000",
        "123e456-7e89b-12d3-a456-426614174000", /* dash misplaced */
        "g23e4567-e89b-12d3-a456-426614174000",
        "{123e4567-e89b-12d3-a456-426614174000}",
        " 123e4567-e89b-12d3-a456-426614174000",
        "123e4567-e89b-12d3-a456-42661417400 ",
        "123e4567-e89b-12d3-a456-42661417400\xc3",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (!CHECK(!uuid_valid(bad[i])))
            fprintf(stderr, "    accepted: \"%s\"\n", bad[i]);
}

static void test_random_base64url(void)
{
    char out[64];
    CHECK_INT(random_base64url(out, sizeof out, 16), 0);
    CHECK_INT(strlen(out), 22);
    CHECK(all_key_chars(out));
    CHECK_INT(random_base64url(out, sizeof out, 3), 0);
    CHECK_INT(strlen(out), 4);
    /* too small a buffer: 16 bytes need 22 characters and a NUL */
    CHECK_INT(random_base64url(out, 22, 16), -1);
    CHECK_INT(random_base64url(out, 23, 16), 0);
}

int main(void)
{
    RUN(test_parse_valid);
    RUN(test_parse_invalid);
    RUN(test_generate);
    RUN(test_hash);
    RUN(test_uuid);
    RUN(test_random_base64url);
    return check_summary("test_apikey");
}
