/* log: structured log lines on stderr (see log.h). */
#include "core/log.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/timeutil.h"
#include "core/utf8.h"

static atomic_int g_format = LOG_FORMAT_TEXT;

void log_set_format(log_format f)
{
    atomic_store(&g_format, (int)f);
}

int log_format_parse(const char *name, log_format *out)
{
    if (strcmp(name, "text") == 0)
        *out = LOG_FORMAT_TEXT;
    else if (strcmp(name, "json") == 0)
        *out = LOG_FORMAT_JSON;
    else
        return -1;
    return 0;
}

/* A text value is quoted when it would otherwise read as several fields (a reader splits
 * each field at its first "=", so "=" inside a value needs no quotes). */
static bool needs_quotes(const char *s)
{
    if (!*s)
        return true;
    for (const char *p = s; *p; p++)
        if (*p == ' ' || *p == '"' || (unsigned char)*p < 0x20)
            return true;
    return false;
}

static void text_value(FILE *f, const char *s)
{
    if (!needs_quotes(s)) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if ((unsigned char)*p < 0x20)
            fprintf(f, "\\x%02x", (unsigned char)*p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* s as a JSON string in ASCII (non-ASCII as \u escapes). When s is not valid UTF-8 (a
 * path is bytes), every byte from 0x80 up becomes '?'. */
static void json_value(FILE *f, const char *s)
{
    size_t n = strlen(s);
    bool valid = utf8_valid(s);
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80 && !valid) {
            fputc('?', f);
            i++;
        } else if (c >= 0x80) {
            int32_t cp = utf8_next(s, n, &i);
            if (cp >= 0x10000)
                fprintf(f, "\\u%04x\\u%04x", (unsigned)(0xD800 + ((cp - 0x10000) >> 10)),
                        (unsigned)(0xDC00 + ((cp - 0x10000) & 0x3FF)));
            else
                fprintf(f, "\\u%04x", (unsigned)cp);
        } else {
            if (c == '"' || c == '\\')
                fprintf(f, "\\%c", c);
            else if (c < 0x20)
                fprintf(f, "\\u%04x", c);
            else
                fputc(c, f);
            i++;
        }
    }
    fputc('"', f);
}

/* One line, text or JSON, written straight to f: nothing is built in between. */
static void write_line(FILE *f, bool json, const char *ts, const char *event,
                       const log_field *fields, size_t n)
{
    if (json) {
        fputs("{\"time\":", f);
        json_value(f, ts);
        fputs(",\"event\":", f);
        json_value(f, event);
    } else {
        fprintf(f, "%s %s", ts, event);
    }
    for (size_t i = 0; i < n; i++) {
        const log_field *fl = &fields[i];
        if (fl->type == LOG_STR && !fl->s)
            continue;
        if (json) {
            fputc(',', f);
            json_value(f, fl->key);
            fputc(':', f);
        } else {
            fprintf(f, " %s=", fl->key);
        }
        if (fl->type == LOG_STR)
            (json ? json_value : text_value)(f, fl->s);
        else if (fl->type == LOG_INT)
            fprintf(f, "%lld", (long long)fl->i);
        else if (json) /* milliseconds to the microsecond, cut (not rounded) */
            fprintf(f, "%.3f", (double)(int64_t)(fl->ms * 1000.0) / 1000.0);
        else
            fprintf(f, "%.3f", fl->ms);
    }
    fputs(json ? "}\n" : "\n", f);
}

void log_event(const char *event, const log_field *fields, size_t n)
{
    char ts[ISO8601_LEN + 1];
    time_iso8601(time_now_ms(), ts);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return;
    write_line(f, atomic_load(&g_format) == LOG_FORMAT_JSON, ts, event, fields, n);
    if (fclose(f) == 0 && len > 0) {
        /* One write per line: lines from several threads do not interleave. */
        ssize_t w = write(STDERR_FILENO, buf, len);
        (void)w;
    }
    free(buf);
}

static void write_all(const char *p, size_t n)
{
    if (n == 0)
        return;
    ssize_t w = write(STDERR_FILENO, p, n);
    (void)w;
}

void log_batch_event(log_batch *b, const char *event, const log_field *fields, size_t n)
{
    if (!b->stream && !(b->stream = open_memstream(&b->buf, &b->len)))
        return;
    FILE *f = b->stream;
    fflush(f);
    size_t mark = b->len; /* where this line starts */
    char ts[ISO8601_LEN + 1];
    time_iso8601(time_now_ms(), ts);
    write_line(f, atomic_load(&g_format) == LOG_FORMAT_JSON, ts, event, fields, n);
    fflush(f);
    /* Whole lines only: what came before this line goes out once this one would make the
     * write too large. */
    if (b->len - b->sent > LOG_BATCH_WRITE && mark > b->sent) {
        write_all(b->buf + b->sent, mark - b->sent);
        b->sent = mark;
    }
}

void log_batch_flush(log_batch *b)
{
    if (!b->stream)
        return;
    if (fclose(b->stream) == 0)
        write_all(b->buf + b->sent, b->len - b->sent);
    free(b->buf);
    *b = (log_batch)LOG_BATCH_INIT;
}
