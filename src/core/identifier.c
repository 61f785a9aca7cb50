/*
 * identifier: validation and normalisation of identifier values (see identifier.h).
 *
 * Email checks are deliberately practical rather than a full RFC 5322 parser: quoted
 * local parts, comments and IP-literal domains are rejected because no mail provider a
 * marketing list reaches accepts them, and accepting them here would only defer the
 * failure to sending time.
 */
#include "core/identifier.h"

#include <string.h>

#include "core/utf8.h"

static const char *const field_names[ID_TYPE_COUNT] = {"email", "phone_number_id", "external_id",
                                                       "anonymous_id"};
static const char *const upper_names[ID_TYPE_COUNT] = {"EMAIL", "PHONENUMBERID", "EXTERNALID",
                                                       "ANONYMOUSID"};

const char *id_type_field(id_type t)
{
    return field_names[t];
}
const char *id_type_upper(id_type t)
{
    return upper_names[t];
}

static int lookup(const char *const names[], const char *name, id_type *out)
{
    for (int i = 0; i < ID_TYPE_COUNT; i++) {
        if (strcmp(names[i], name) == 0) {
            *out = (id_type)i;
            return 0;
        }
    }
    return -1;
}

int id_type_from_field(const char *name, id_type *out)
{
    return lookup(field_names, name, out);
}
int id_type_from_upper(const char *name, id_type *out)
{
    return lookup(upper_names, name, out);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_alnum_lower(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* RFC 5322 atext, the characters allowed in an unquoted local part besides dots. */
static bool is_atext(char c)
{
    return is_alnum_lower(c) || (c && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

static bool domain_valid(const char *d, size_t len)
{
    if (len == 0 || len > 253)
        return false;
    size_t labels = 0, start = 0;
    bool tld_has_alpha = false;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && d[i] != '.') {
            if (!is_alnum_lower(d[i]) && d[i] != '-')
                return false;
            continue;
        }
        size_t n = i - start;
        if (n == 0 || n > 63 || d[start] == '-' || d[i - 1] == '-')
            return false;
        tld_has_alpha = false;
        for (size_t k = start; k < i; k++)
            if (d[k] >= 'a' && d[k] <= 'z')
                tld_has_alpha = true;
        labels++;
        start = i + 1;
    }
    /* The last label examined is the top-level domain: it must not be numeric, which
     * also rules out bare IPv4 addresses. */
    return labels >= 2 && tld_has_alpha;
}

int email_normalize(const char *in, size_t len, char out[EMAIL_MAX_LEN + 1])
{
    while (len && is_space(in[0])) {
        in++;
        len--;
    }
    while (len && is_space(in[len - 1]))
        len--;
    if (len == 0 || len > EMAIL_MAX_LEN)
        return -1;
    size_t at = len;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if ((unsigned char)c >= 0x80 || c == '\0')
            return -1;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        out[i] = c;
        if (c == '@') {
            if (at != len)
                return -1; /* a second '@' */
            at = i;
        }
    }
    out[len] = '\0';
    if (at == len || at == 0 || at > 64)
        return -1;
    /* local part: atext runs separated by single dots */
    if (out[0] == '.' || out[at - 1] == '.')
        return -1;
    for (size_t i = 0; i < at; i++) {
        if (out[i] == '.') {
            if (out[i + 1] == '.')
                return -1;
        } else if (!is_atext(out[i])) {
            return -1;
        }
    }
    return domain_valid(out + at + 1, len - at - 1) ? 0 : -1;
}

bool e164_valid(const char *s, size_t len)
{
    if (len < 3 || len > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9')
        return false;
    for (size_t i = 2; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

int identifier_normalize(id_type t, const char *in, size_t len, arena *a, const char **out,
                         const char **why)
{
    if (memchr(in, '\0', len)) {
        *why = "must not contain NUL characters";
        return -1;
    }
    switch (t) {
    case ID_EMAIL: {
        char buf[EMAIL_MAX_LEN + 1];
        if (email_normalize(in, len, buf) != 0) {
            *why = "is not a valid email address";
            return -1;
        }
        *out = arena_strdup(a, buf);
        return 0;
    }
    case ID_PHONE_NUMBER_ID: {
        /* "15555555555" is the document's example: the same number as "+15555555555", so
         * upsert, search and delete all store and look up the '+' form */
        char buf[18];
        if (len > 0 && in[0] != '+' && len < sizeof buf - 1) {
            buf[0] = '+';
            memcpy(buf + 1, in, len);
            in = buf;
            len++;
        }
        if (!e164_valid(in, len)) {
            *why = "is not a valid E.164 phone number (like +14155552671)";
            return -1;
        }
        *out = arena_strndup(a, in, len);
        return 0;
    }
    case ID_EXTERNAL_ID:
    case ID_ANONYMOUS_ID:
        if (len == 0) {
            *why = "must not be empty";
            return -1;
        }
        if (utf8_length(in, len) > ID_VALUE_MAX_LEN) {
            *why = "is longer than 254 characters";
            return -1;
        }
        break;
    default: *why = "is not an identifier type"; return -1;
    }
    *out = arena_strndup(a, in, len);
    return 0;
}
