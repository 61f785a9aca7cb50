/*
 * json_writer: JSON text appended to a growable buffer, byte for byte as jansson's
 * json_dumps(..., JSON_COMPACT) writes the same values, so hot answers can be encoded
 * without building a jansson tree (issue 17) and still send exactly the bytes they did.
 *
 *   strings   RFC 8259: '"' and '\' escaped, \b \f \n \r \t, other controls as \u00XX
 *             (upper-case hex, as jansson); '/', DEL and every other code point as they
 *             are (no \u escapes for non-ASCII: jansson's default). Text that is not
 *             well-formed UTF-8 (RFC 3629) is refused: json_writer_string returns false and
 *             writes nothing, which is what jansson does (json_string returns NULL and the
 *             key it was meant for is left out); callers decide what to leave out.
 *   integers  "%lld".
 *   reals     jansson's form: "%.17g", ".0" added when that reads as an integer, the
 *             exponent without '+' or leading zeros ("1e20", "1.0000000000000001e-5").
 *
 * The writer knows nothing of commas: callers write the separators (json_writer_key
 * does the ':' after a key). json_writer_thread() hands each thread one writer to reuse,
 * so a request's answer costs no allocation once the buffer has grown to its size; it has
 * one user at a time (the answer being written), so nothing that writes an answer may call
 * another function that takes the thread's writer (api's contact_render does; its
 * contact_render_write does not).
 *
 * Ownership: a json_writer owns buf (malloc'd); json_writer_free releases it. Allocation
 * failure aborts (as arena.h). The thread's writer lives as long as its thread (freed when
 * the thread ends), and json_writer_thread shrinks it back after an answer above 1 MiB.
 */
#ifndef CONTACTD_CORE_JSON_WRITER_H
#define CONTACTD_CORE_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct json_writer {
    char *buf; /* NUL-terminated after every call when cap > 0 */
    size_t len, cap;
} json_writer;

#define JSON_WRITER_INIT \
    {                    \
        NULL, 0, 0       \
    }

/* This thread's writer, emptied. */
json_writer *json_writer_thread(void);
/* A second writer of this thread's, emptied, for a writer's own bookkeeping (json_recode's
 * keys); never the answer. */
json_writer *json_writer_thread_scratch(void);
void json_writer_free(json_writer *w);

/* Before an element or member of a container whose first would begin at empty (the
 * length just after its bracket): ',' unless it is the first. Returns the length before
 * the ',', to truncate back to when the element is left out after all. */
size_t json_writer_next(json_writer *w, size_t empty);
/* Back to len bytes (len <= w->len): what was written after is dropped. */
void json_writer_truncate(json_writer *w, size_t len);
void json_writer_raw(json_writer *w, const char *s, size_t n);
void json_writer_cstr_raw(json_writer *w, const char *s); /* s: NUL-terminated, written as is */
void json_writer_char(json_writer *w, char c);
/* "s" escaped; false (nothing written) when s[0..n) is not well-formed UTF-8. */
bool json_writer_string(json_writer *w, const char *s, size_t n);
bool json_writer_cstr(json_writer *w, const char *s);
/* One code point (0 < cp <= 0x10FFFF, not a surrogate) as it appears inside a string. */
void json_writer_code_point(json_writer *w, int32_t cp);
/* "key": (false as json_writer_string). */
bool json_writer_key(json_writer *w, const char *key);
void json_writer_int(json_writer *w, int64_t v);
void json_writer_real(json_writer *w, double v);

#endif
