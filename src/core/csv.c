/*
 * csv: see csv.h. One pass over the bytes, no backtracking: the cost of reading a file
 * is linear in its size whatever it holds.
 */
#include "core/csv.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

void csv_reader_init(csv_reader *r, const char *buf, size_t len)
{
    r->p = buf;
    r->end = buf + len;
    r->line = 1;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        r->p += 3;
}

/* A field being assembled: points into the input while it needs no unescaping, and is
 * copied to the arena only for quoted fields with "" in them. */
typedef struct field_acc {
    char *buf;
    size_t len, cap;
} field_acc;

static void acc_put(field_acc *f, arena *a, const char *s, size_t n)
{
    if (f->len + n + 1 > f->cap) {
        size_t cap = f->cap ? f->cap : 64;
        while (f->len + n + 1 > cap)
            cap *= 2;
        char *nb = arena_alloc(a, cap);
        if (f->len)
            memcpy(nb, f->buf, f->len);
        f->buf = nb;
        f->cap = cap;
    }
    memcpy(f->buf + f->len, s, n);
    f->len += n;
    f->buf[f->len] = '\0';
}

int csv_next(csv_reader *r, arena *a, const char ***fields, size_t *count, const char **why)
{
    /* blank lines between records */
    while (r->p < r->end && (*r->p == '\n' || *r->p == '\r')) {
        if (*r->p == '\n')
            r->line++;
        r->p++;
    }
    if (r->p >= r->end)
        return 0;

    const char **out = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        field_acc f = {0};
        const char *p = r->p;
        if (p < r->end && *p == '"') {
            p++;
            for (;;) {
                if (p >= r->end) {
                    *why = "a quoted field is not closed";
                    return -1;
                }
                const char *q = p;
                while (q < r->end && *q != '"' && *q != '\0' && (unsigned char)*q < 0x80 &&
                       *q != '\n')
                    q++;
                acc_put(&f, a, p, (size_t)(q - p));
                p = q;
                if (p >= r->end)
                    continue;
                if (*p == '"') {
                    if (p + 1 < r->end && p[1] == '"') {
                        acc_put(&f, a, "\"", 1);
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                if (*p == '\0') {
                    *why = "the file contains a NUL byte";
                    return -1;
                }
                if (*p == '\n')
                    r->line++;
                int32_t cp;
                size_t l = utf8_decode(p, (size_t)(r->end - p), &cp);
                if (!l) {
                    *why = "the file is not valid UTF-8";
                    return -1;
                }
                acc_put(&f, a, p, l);
                p += l;
                if (f.len > CSV_MAX_FIELD) {
                    *why = "a field is longer than 65536 bytes";
                    return -1;
                }
            }
            if (p < r->end && *p != ',' && *p != '\n' && *p != '\r') {
                *why = "unexpected text after a closing quote";
                return -1;
            }
        } else {
            const char *q = p;
            while (q < r->end && *q != ',' && *q != '\n' && *q != '\r') {
                if (*q == '"') {
                    *why = "a quote inside an unquoted field (quote the field and double the quote)";
                    return -1;
                }
                if (*q == '\0') {
                    *why = "the file contains a NUL byte";
                    return -1;
                }
                int32_t cp;
                size_t l = utf8_decode(q, (size_t)(r->end - q), &cp);
                if (!l) {
                    *why = "the file is not valid UTF-8";
                    return -1;
                }
                q += l;
            }
            acc_put(&f, a, p, (size_t)(q - p));
            p = q;
        }
        if (f.len > CSV_MAX_FIELD) {
            *why = "a field is longer than 65536 bytes";
            return -1;
        }
        if (n == CSV_MAX_FIELDS) {
            *why = "a record has more than 1000 fields";
            return -1;
        }
        out = arena_grow(a, out, n, &cap, sizeof *out);
        out[n++] = f.buf ? f.buf : "";
        r->p = p;
        if (p >= r->end)
            break;
        if (*p == ',') {
            r->p = p + 1;
            if (r->p >= r->end) { /* a trailing comma ends with an empty field */
                out = arena_grow(a, out, n, &cap, sizeof *out);
                out[n++] = "";
                break;
            }
            continue;
        }
        /* end of record: CRLF, LF or a lone CR */
        if (*p == '\r')
            p++;
        if (p < r->end && *p == '\n') {
            p++;
            r->line++;
        }
        r->p = p;
        break;
    }
    *fields = out;
    *count = n;
    return 1;
}

/* ---- writing --------------------------------------------------------------------- */

static void buf_reserve(csv_buf *b, size_t more)
{
    if (b->len + more <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more)
        cap *= 2;
    char *nb = realloc(b->data, cap);
    if (!nb)
        abort();
    b->data = nb;
    b->cap = cap;
}

void csv_buf_raw(csv_buf *b, const char *s, size_t len)
{
    if (len == 0)
        return;
    buf_reserve(b, len);
    memcpy(b->data + b->len, s, len);
    b->len += len;
}

void csv_buf_field(csv_buf *b, const char *s, size_t len)
{
    bool quote = len > 0 && (s[0] == ' ' || s[len - 1] == ' ');
    for (size_t i = 0; i < len && !quote; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
            quote = true;
    if (!quote) {
        csv_buf_raw(b, s, len);
        return;
    }
    buf_reserve(b, 2 * len + 2);
    b->data[b->len++] = '"';
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            b->data[b->len++] = '"';
        b->data[b->len++] = s[i];
    }
    b->data[b->len++] = '"';
}

void csv_buf_free(csv_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}
