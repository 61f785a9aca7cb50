/*
 * utf8: the one UTF-8 decoder. Well-formed means what RFC 3629 says: no overlong forms,
 * no surrogates (U+D800..U+DFFF), nothing past U+10FFFF. Pure functions on byte ranges;
 * nothing is allocated and s need not be NUL-terminated unless a function says so.
 */
#ifndef CONTACTD_CORE_UTF8_H
#define CONTACTD_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length (1-4) of the well-formed sequence at s (at most n bytes, n >= 1), with its code
 * point in *cp; 0 when none starts there. */
size_t utf8_decode(const char *s, size_t n, int32_t *cp);
/* The code point at s[*i] (*i < n), advancing *i. A byte that does not start a
 * well-formed sequence stands for itself above the Unicode range (0x110000 + byte) and
 * advances one byte, so invalid text still compares consistently and never reads past n. */
int32_t utf8_next(const char *s, size_t n, size_t *i);
/* True when the NUL-terminated s is well-formed UTF-8. */
bool utf8_valid(const char *s);
/* Number of Unicode code points in a UTF-8 string (the unit of SendGrid's maxLength). */
size_t utf8_length(const char *s, size_t len);

#endif
