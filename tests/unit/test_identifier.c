/* Unit tests of core/identifier: email and E.164 rules, identifier normalisation, and the
 * two spellings of identifier type names. */
#include <string.h>

#include "check.h"
#include "core/arena.h"
#include "core/identifier.h"
#include "core/utf8.h"

/* email_normalize on a NUL-terminated input; returns its result, output in out. */
static int norm(const char *in, char out[EMAIL_MAX_LEN + 1])
{
    memset(out, 0, EMAIL_MAX_LEN + 1);
    return email_normalize(in, strlen(in), out);
}

#define EMAIL_OK(in, expected)              \
    do {                                    \
        char out_[EMAIL_MAX_LEN + 1];       \
        if (CHECK_INT(norm((in), out_), 0)) \
            CHECK_STR(out_, (expected));    \
    } while (0)

#define EMAIL_BAD(in)                    \
    do {                                 \
        char out_[EMAIL_MAX_LEN + 1];    \
        CHECK_INT(norm((in), out_), -1); \
    } while (0)

static void fill(char *buf, char c, size_t n)
{
    memset(buf, c, n);
    buf[n] = '\0';
}

static void test_email_valid(void)
{
    EMAIL_OK("user@example.com", "user@example.com");
    EMAIL_OK("User.Name@Example.COM", "user.name@example.com");
    EMAIL_OK("  padded@example.com  ", "padded@example.com");
    EMAIL_OK("\t\r\n\f\vws@example.com\n", "ws@example.com");
    EMAIL_OK("first.last+newsletter@example.com", "first.last+newsletter@example.com");
    EMAIL_OK("x+a+b@mail.sub.example.co.uk", "x+a+b@mail.sub.example.co.uk");
    EMAIL_OK("o'brien_99@my-company.example", "o'brien_99@my-company.example");
    EMAIL_OK("a@b-c-d.io", "a@b-c-d.io");
    EMAIL_OK("a@1.2.3.x4", "a@1.2.3.x4");
    EMAIL_OK("!#$%&'*+/=?^_`{|}~-@example.org", "!#$%&'*+/=?^_`{|}~-@example.org");
    EMAIL_OK("A@B.CO", "a@b.co");

    /* Length bounds: 64-character local part, 254-character address. */
    char local[80], buf[400];
    fill(local, 'l', 64);
    snprintf(buf, sizeof buf, "%s@example.com", local);
    EMAIL_OK(buf, buf);
    /* 64 + 1 + 189 = 254; the domain is 63.63.57.com */
    char l1[64], l2[64], l3[64];
    fill(l1, 'b', 63);
    fill(l2, 'c', 63);
    fill(l3, 'd', 57);
    snprintf(buf, sizeof buf, "%s@%s.%s.%s.com", local, l1, l2, l3);
    CHECK_INT(strlen(buf), 254);
    EMAIL_OK(buf, buf);
    /* Trimming happens before the length check. */
    char padded[420];
    snprintf(padded, sizeof padded, "   %s \t", buf);
    EMAIL_OK(padded, buf);
}

static void test_email_invalid(void)
{
    EMAIL_BAD("");
    EMAIL_BAD("   ");
    EMAIL_BAD("plainaddress");
    EMAIL_BAD("example.com");
    EMAIL_BAD("a@b@example.com");
    EMAIL_BAD("@example.com");
    EMAIL_BAD("user@");
    EMAIL_BAD("@");
    EMAIL_BAD(".user@example.com");
    EMAIL_BAD("user.@example.com");
    EMAIL_BAD("us..er@example.com");
    EMAIL_BAD("user@.example.com");
    EMAIL_BAD("user@example.com.");
    EMAIL_BAD("user@example..com");
    EMAIL_BAD("user@localhost");
    EMAIL_BAD("user@-example.com");
    EMAIL_BAD("user@example-.com");
    EMAIL_BAD("user@example.-com");
    EMAIL_BAD("user@example.com-");
    EMAIL_BAD("user@example.123");
    EMAIL_BAD("user@192.168.0.1");
    EMAIL_BAD("user@[192.168.0.1]");
    EMAIL_BAD("us er@example.com");
    EMAIL_BAD("user@exa mple.com");
    EMAIL_BAD("user@exa_mple.com");
    EMAIL_BAD("\"quoted\"@example.com");
    EMAIL_BAD("user(comment)@example.com");
    EMAIL_BAD("jos\xc3\xa9@example.com");  /* non-ASCII local part */
    EMAIL_BAD("user@b\xc3\xbc\x63her.de"); /* non-ASCII domain */

    /* An embedded NUL makes the address invalid even when the length covers it. */
    char out[EMAIL_MAX_LEN + 1];
    CHECK_INT(email_normalize("a\0b@example.com", 15, out), -1);

    /* Local part of 65 characters. */
    char local[80], buf[400];
    fill(local, 'l', 65);
    snprintf(buf, sizeof buf, "%s@example.com", local);
    EMAIL_BAD(buf);

    /* 255 characters: the 254-character address of test_email_valid plus one. */
    char l1[64], l2[64], l3[64];
    fill(local, 'l', 64);
    fill(l1, 'b', 63);
    fill(l2, 'c', 63);
    fill(l3, 'd', 58);
    snprintf(buf, sizeof buf, "%s@%s.%s.%s.com", local, l1, l2, l3);
    CHECK_INT(strlen(buf), 255);
    EMAIL_BAD(buf);

    /* A domain label of 64 characters. */
    char l64[70];
    fill(l64, 'x', 64);
    snprintf(buf, sizeof buf, "a@%s.com", l64);
    EMAIL_BAD(buf);
}

static void test_e164(void)
{
#define E164(s) e164_valid((s), strlen(s))
    CHECK(E164("+14155552671"));
    CHECK(E164("+442071838750"));
    CHECK(E164("+12"));              /* shortest: country digit and one more */
    CHECK(E164("+123456789012345")); /* 15 digits */
    CHECK(!E164("14155552671"));     /* no '+' */
    CHECK(!E164("+04155552671"));    /* leading zero */
    CHECK(!E164("+1415555267a"));
    CHECK(!E164("+1 415 555 2671"));
    CHECK(!E164("+1-415-555-2671"));
    CHECK(!E164("++14155552671"));
    CHECK(!E164("+1"));
    CHECK(!E164("+"));
    CHECK(!E164(""));
    CHECK(!E164("+1234567890123456")); /* 16 digits */
    CHECK(!E164("+14155552671 "));
#undef E164
    /* The length given is what counts, not a NUL further on. */
    CHECK(e164_valid("+14155552671999", 12));
    CHECK(!e164_valid("+14155552671", 2));
}

static void test_identifier_normalize(void)
{
    arena a = ARENA_INIT;
    const char *out, *why;

    out = NULL;
    CHECK_INT(identifier_normalize(ID_EMAIL, " Jane.Doe@Example.com ", 22, &a, &out, &why), 0);
    CHECK_STR(out, "jane.doe@example.com");
    why = NULL;
    CHECK_INT(identifier_normalize(ID_EMAIL, "nope", 4, &a, &out, &why), -1);
    CHECK(why != NULL && why[0] != '\0');

    out = NULL;
    CHECK_INT(identifier_normalize(ID_PHONE_NUMBER_ID, "+14155552671", 12, &a, &out, &why), 0);
    CHECK_STR(out, "+14155552671");
    /* digits alone are the number with its '+' (the document's example 15555555555) */
    CHECK_INT(identifier_normalize(ID_PHONE_NUMBER_ID, "15555555555", 11, &a, &out, &why), 0);
    CHECK_STR(out, "+15555555555");
    why = NULL;
    CHECK_INT(identifier_normalize(ID_PHONE_NUMBER_ID, "0155555555", 10, &a, &out, &why), -1);
    CHECK(why != NULL && why[0] != '\0');
    why = NULL;
    CHECK_INT(identifier_normalize(ID_PHONE_NUMBER_ID, "1234567890123456", 16, &a, &out, &why), -1);
    CHECK(why != NULL && why[0] != '\0');
    why = NULL;
    CHECK_INT(identifier_normalize(ID_PHONE_NUMBER_ID, "", 0, &a, &out, &why), -1);
    CHECK(why != NULL && why[0] != '\0');

    /* external_id and anonymous_id are kept verbatim (no trimming, no case change). */
    static const id_type free_types[] = {ID_EXTERNAL_ID, ID_ANONYMOUS_ID};
    for (size_t k = 0; k < 2; k++) {
        id_type t = free_types[k];
        out = NULL;
        CHECK_INT(identifier_normalize(t, " Ext-ID 42 ", 11, &a, &out, &why), 0);
        CHECK_STR(out, " Ext-ID 42 ");
        /* Only the given length is copied. */
        out = NULL;
        CHECK_INT(identifier_normalize(t, "abcdef", 3, &a, &out, &why), 0);
        CHECK_STR(out, "abc");

        why = NULL;
        CHECK_INT(identifier_normalize(t, "", 0, &a, &out, &why), -1);
        CHECK(why != NULL && why[0] != '\0');

        char buf[1200];
        fill(buf, 'x', 254);
        out = NULL;
        CHECK_INT(identifier_normalize(t, buf, 254, &a, &out, &why), 0);
        CHECK(out && strlen(out) == 254);
        fill(buf, 'x', 255);
        CHECK_INT(identifier_normalize(t, buf, 255, &a, &out, &why), -1);

        /* Multi-byte UTF-8 is counted in code points: 254 x "é" (508 bytes) fits,
         * 255 does not; 254 x a 4-byte emoji (1016 bytes) fits too. */
        size_t n = 0;
        for (int i = 0; i < 254; i++) {
            buf[n++] = '\xc3';
            buf[n++] = '\xa9';
        }
        out = NULL;
        CHECK_INT(identifier_normalize(t, buf, n, &a, &out, &why), 0);
        CHECK(out && strlen(out) == 508 && memcmp(out, buf, n) == 0);
        buf[n++] = '\xc3';
        buf[n++] = '\xa9';
        CHECK_INT(identifier_normalize(t, buf, n, &a, &out, &why), -1);
        n = 0;
        for (int i = 0; i < 254; i++) {
            memcpy(buf + n, "\xf0\x9f\x98\x80", 4);
            n += 4;
        }
        CHECK_INT(identifier_normalize(t, buf, n, &a, &out, &why), 0);
        memcpy(buf + n, "\xf0\x9f\x98\x80", 4);
        n += 4;
        CHECK_INT(identifier_normalize(t, buf, n, &a, &out, &why), -1);

        /* An embedded NUL is refused. */
        why = NULL;
        CHECK_INT(identifier_normalize(t, "ab\0cd", 5, &a, &out, &why), -1);
        CHECK(why != NULL);
    }

    why = NULL;
    CHECK_INT(identifier_normalize(ID_TYPE_COUNT, "x", 1, &a, &out, &why), -1);
    CHECK(why != NULL);

    arena_release(&a);
}

static void test_utf8_length(void)
{
    CHECK_INT(utf8_length("", 0), 0);
    CHECK_INT(utf8_length("abc", 3), 3);
    CHECK_INT(utf8_length("\xc3\xa9t\xc3\xa9", 5), 3);
    CHECK_INT(utf8_length("\xe6\x97\xa5\xe6\x9c\xac", 6), 2);
    CHECK_INT(utf8_length("\xf0\x9f\x98\x80!", 5), 2);
}

static void test_type_names(void)
{
    static const char *const fields[ID_TYPE_COUNT] = {"email", "phone_number_id", "external_id",
                                                      "anonymous_id"};
    static const char *const uppers[ID_TYPE_COUNT] = {"EMAIL", "PHONENUMBERID", "EXTERNALID",
                                                      "ANONYMOUSID"};
    for (int i = 0; i < ID_TYPE_COUNT; i++) {
        id_type t = (id_type)i;
        CHECK_STR(id_type_field(t), fields[i]);
        CHECK_STR(id_type_upper(t), uppers[i]);
        id_type back = ID_TYPE_COUNT;
        CHECK_INT(id_type_from_field(id_type_field(t), &back), 0);
        CHECK_INT(back, i);
        back = ID_TYPE_COUNT;
        CHECK_INT(id_type_from_upper(id_type_upper(t), &back), 0);
        CHECK_INT(back, i);
        /* Each parser accepts only its own spelling. */
        CHECK_INT(id_type_from_field(uppers[i], &back), -1);
        CHECK_INT(id_type_from_upper(fields[i], &back), -1);
    }
    id_type t = ID_TYPE_COUNT;
    static const char *const bad[] = {"Email",      "PHONE",  "phone",        "",
                                      "email ",     "EMAILS", "phone_number", "PHONE_NUMBER_ID",
                                      "externalid", "id"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(id_type_from_field(bad[i], &t), -1);
        CHECK_INT(id_type_from_upper(bad[i], &t), -1);
    }
    CHECK_INT(t, ID_TYPE_COUNT); /* untouched by failed lookups */
}

int main(void)
{
    RUN(test_email_valid);
    RUN(test_email_invalid);
    RUN(test_e164);
    RUN(test_identifier_normalize);
    RUN(test_utf8_length);
    RUN(test_type_names);
    return check_summary("test_identifier");
}
