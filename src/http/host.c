/*
 * host: the syntax check of Host values echoed into URLs (see host.h).
 */
#include "http/host.h"

#include <arpa/inet.h>
#include <string.h>

#define REG_NAME_MAX 253
#define IPV6_TEXT_MAX 45 /* INET6_ADDRSTRLEN - 1 */

static bool is_unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* ":" port, or nothing; s points just past the host. */
static bool port_ok(const char *s)
{
    if (*s == '\0')
        return true;
    if (*s++ != ':')
        return false;
    size_t n = strlen(s);
    if (n == 0 || n > 5 || strspn(s, "0123456789") != n)
        return false;
    long port = 0;
    for (const char *p = s; *p; p++)
        port = port * 10 + (*p - '0');
    return port <= 65535;
}

static bool ipv6_literal_ok(const char *h, const char **rest)
{
    const char *close = strchr(h, ']');
    size_t n = close ? (size_t)(close - h - 1) : 0;
    if (!close || n == 0 || n > IPV6_TEXT_MAX)
        return false;
    char text[IPV6_TEXT_MAX + 1];
    memcpy(text, h + 1, n);
    text[n] = '\0';
    struct in6_addr addr;
    *rest = close + 1;
    return inet_pton(AF_INET6, text, &addr) == 1;
}

bool http_host_valid(const char *host)
{
    if (!host)
        return false;
    const char *rest = host;
    if (*host == '[') {
        if (!ipv6_literal_ok(host, &rest))
            return false;
    } else {
        while (is_unreserved((unsigned char)*rest))
            rest++;
        size_t n = (size_t)(rest - host);
        if (n == 0 || n > REG_NAME_MAX)
            return false;
    }
    return port_ok(rest);
}
