/*
 * framing: refuses requests whose body framing is ambiguous (see framing.h).
 */
#include "http/framing.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

typedef struct framing_scan {
    unsigned content_length, transfer_encoding;
    bool bad_length, bad_name, folded;
} framing_scan;

/* RFC 9110 tchar. */
static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_token(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_tchar((unsigned char)s[i]))
            return false;
    return true;
}

static bool all_digits(const char *s, size_t n)
{
    if (!s || n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* name is framing header `want`, or `want` with a folded line glued on by MHD. */
static bool named(const char *name, size_t n, const char *want, bool *folded)
{
    size_t w = strlen(want);
    if (n < w || strncasecmp(name, want, w) != 0)
        return false;
    if (n > w)
        *folded = true;
    return n == w;
}

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    framing_scan *s = cls;
    if (!is_token(key, key_size))
        s->bad_name = true;
    if (named(key, key_size, MHD_HTTP_HEADER_CONTENT_LENGTH, &s->folded)) {
        s->content_length++;
        if (!all_digits(value, value_size))
            s->bad_length = true;
    }
    if (named(key, key_size, MHD_HTTP_HEADER_TRANSFER_ENCODING, &s->folded))
        s->transfer_encoding++;
    return MHD_YES;
}

const char *framing_problem(struct MHD_Connection *conn)
{
    framing_scan s = {0};
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, scan_header, &s);
    if (s.bad_name)
        return "invalid header name (white space before the colon, or a folded line)";
    if (s.folded)
        return "folded (obs-fold) Content-Length or Transfer-Encoding headers are not allowed";
    if (s.content_length && s.transfer_encoding)
        return "a request may not have both Content-Length and Transfer-Encoding";
    if (s.content_length > 1)
        return "a request may have only one Content-Length header";
    if (s.transfer_encoding > 1)
        return "a request may have only one Transfer-Encoding header";
    if (s.bad_length)
        return "invalid Content-Length: it must be a decimal number";
    return NULL;
}
