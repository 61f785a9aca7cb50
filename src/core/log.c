/* log: structured log lines on stderr (see log.h). */
#include "core/log.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/timeutil.h"

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

static void write_text(FILE *f, const char *ts, const char *event, const log_field *fields, size_t n)
{
    fprintf(f, "%s %s", ts, event);
    for (size_t i = 0; i < n; i++) {
        const log_field *fl = &fields[i];
        if (fl->type == LOG_STR && !fl->s)
            continue;
        fprintf(f, " %s=", fl->key);
        if (fl->type == LOG_STR)
            text_value(f, fl->s);
        else if (fl->type == LOG_INT)
            fprintf(f, "%lld", (long long)fl->i);
        else
            fprintf(f, "%.3f", fl->ms);
    }
    fputc('\n', f);
}

/* A JSON string of s; bytes that are not valid UTF-8 (a path is bytes) become '?'. */
static json_t *json_text(const char *s)
{
    json_t *v = json_string(s);
    if (v)
        return v;
    char *copy = strdup(s);
    if (!copy)
        return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    v = json_string(copy);
    free(copy);
    return v;
}

static void write_json(FILE *f, const char *ts, const char *event, const log_field *fields, size_t n)
{
    json_t *o = json_pack("{s:s, s:s}", "time", ts, "event", event);
    for (size_t i = 0; o && i < n; i++) {
        const log_field *fl = &fields[i];
        json_t *v = fl->type == LOG_STR   ? (fl->s ? json_text(fl->s) : NULL)
                    : fl->type == LOG_INT ? json_integer(fl->i)
                                          : json_real((double)(int64_t)(fl->ms * 1000.0) / 1000.0);
        if (v)
            json_object_set_new(o, fl->key, v);
    }
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER |
                                       JSON_REAL_PRECISION(12))
                   : NULL;
    json_decref(o);
    if (text) {
        fputs(text, f);
        fputc('\n', f);
    }
    free(text);
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
    if (atomic_load(&g_format) == LOG_FORMAT_JSON)
        write_json(f, ts, event, fields, n);
    else
        write_text(f, ts, event, fields, n);
    if (fclose(f) == 0 && len > 0) {
        /* One write per line: lines from several threads do not interleave. */
        ssize_t w = write(STDERR_FILENO, buf, len);
        (void)w;
    }
    free(buf);
}
