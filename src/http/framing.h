/*
 * framing: checks that a request's body framing is unambiguous (RFC 9112 section 6)
 * before anything acts on it.
 *
 * libmicrohttpd 0.9.75 frames a body by the first Transfer-Encoding header when there is
 * one, else by the first Content-Length, and ignores the rest; it glues an obs-folded
 * continuation line onto the previous header's *name* ("Content-Length:\r\n 5" arrives
 * as a header named "Content-Length5"). A front proxy that frames the same bytes another
 * way would see a different request boundary, so a request is refused when it has
 *   - both Content-Length and Transfer-Encoding,
 *   - more than one of either,
 *   - a Content-Length that is not plain decimal digits,
 *   - a header name that is not an RFC 9110 token (white space before the colon, or a
 *     folded line glued on), or that starts with a framing header's name and goes on
 *     (a folded Content-Length or Transfer-Encoding).
 * The caller answers 400 and closes the connection, so no byte after the headers is ever
 * read as a request. (A lone Content-Length that is not a number is refused by MHD itself,
 * before any handler runs, with its own 400 and a close.)
 */
#ifndef CONTACTD_HTTP_FRAMING_H
#define CONTACTD_HTTP_FRAMING_H

#include <microhttpd.h>

/* NULL when the framing is sound; else the message of the 400 (a static string). */
const char *framing_problem(struct MHD_Connection *conn);

#endif
