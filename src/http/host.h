/*
 * host: which Host header values contactd is willing to echo into the URLs it hands out
 * (export urls, upload_uri, errors_url, _metadata.self) when no --public-url is set.
 *
 * A value is accepted only when it is RFC 3986 `host [":" port]` in a deliberately strict
 * form: an IP-literal "[" IPv6 "]" (checked by inet_pton, no zone or IPvFuture), or a
 * reg-name (which covers IPv4address) of 1 to 253 unreserved characters (letters, digits,
 * "-", ".", "_", "~": no percent-encoding, no sub-delims, so nothing that could change a
 * URL's meaning), then optionally ":" and a port of 1 to 5 digits up to 65535.
 * Anything else falls back to the listen address. Pure; no allocation.
 */
#ifndef CONTACTD_HTTP_HOST_H
#define CONTACTD_HTTP_HOST_H

#include <stdbool.h>

bool http_host_valid(const char *host);

#endif
