/*
 * csv: a reader of comma-separated values as RFC 4180 writes them, and a writer of the
 * same, for contact imports (PUT /v3/marketing/contacts/imports) and exports.
 *
 * Reading: records end at LF or CRLF; a field in double quotes may hold commas, line
 * breaks and "" (one quote); a UTF-8 byte order mark at the very start is skipped; blank
 * lines are skipped. Refused, with a reason: a quote inside an unquoted field, text after
 * a closing quote, an unterminated quoted field, a NUL byte, invalid UTF-8, more than
 * CSV_MAX_FIELDS fields or a field longer than CSV_MAX_FIELD bytes.
 *
 * Ownership: the reader borrows the buffer (which must outlive it) and allocates the
 * fields of each record in the arena given to csv_next. A csv_buf owns a malloc'd,
 * growing buffer that csv_buf_free releases.
 */
#ifndef CONTACTD_CORE_CSV_H
#define CONTACTD_CORE_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

#define CSV_MAX_FIELDS 1000
#define CSV_MAX_FIELD (64u * 1024u)

typedef struct csv_reader {
    const char *p, *end;
    int64_t line; /* 1-based line on which the next record starts */
} csv_reader;

void csv_reader_init(csv_reader *r, const char *buf, size_t len);
/*
 * Read the next record. Returns 1 with *fields (NUL-terminated strings in a) and *count
 * set, 0 at the end of the input, or -1 with *why naming the problem (the line it is on
 * is r->line). After -1 the reader must not be used again.
 */
int csv_next(csv_reader *r, arena *a, const char ***fields, size_t *count, const char **why);

/* Writing. csv_buf_field appends s as one field, in quotes when it holds a comma, a
 * quote, CR or LF, or starts or ends with a space; csv_buf_raw appends bytes as they are
 * (separators, line ends). */
typedef struct csv_buf {
    char *data;
    size_t len, cap;
} csv_buf;
void csv_buf_field(csv_buf *b, const char *s, size_t len);
void csv_buf_raw(csv_buf *b, const char *s, size_t len);
void csv_buf_free(csv_buf *b);

#endif
