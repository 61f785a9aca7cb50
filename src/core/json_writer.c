/* json_writer: see json_writer.h. */
#include "core/json_writer.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

/* A thread's buffer is kept up to this size between answers. */
#define THREAD_KEEP_BYTES (1u << 20)
/* json_loads' nesting limit (jansson's JSON_PARSER_MAX_DEPTH). */
#define RECODE_MAX_DEPTH 2048

static void reserve(json_writer *w, size_t more)
{
    if (w->len + more < w->cap)
        return;
    size_t cap = w->cap ? w->cap : 1024;
    while (cap <= w->len + more)
        cap *= 2;
    char *p = realloc(w->buf, cap);
    if (!p)
        abort();
    w->buf = p;
    w->cap = cap;
}

/* A thread's writers live in thread-local storage; a key's destructor frees their buffers
 * when the thread ends (MHD's threads end at shutdown), so nothing is left behind. */
typedef struct thread_writers {
    json_writer answer, scratch;
    bool registered;
} thread_writers;
static _Thread_local thread_writers thread_own;
static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;

static void thread_writers_free(void *arg)
{
    thread_writers *t = arg;
    json_writer_free(&t->answer);
    json_writer_free(&t->scratch);
}

static void thread_key_make(void)
{
    if (pthread_key_create(&thread_key, thread_writers_free) != 0)
        abort();
}

static thread_writers *thread_writers_get(void)
{
    thread_writers *t = &thread_own;
    if (!t->registered) {
        pthread_once(&thread_once, thread_key_make);
        pthread_setspecific(thread_key, t);
        t->registered = true;
    }
    return t;
}

json_writer *json_writer_thread(void)
{
    json_writer *w = &thread_writers_get()->answer;
    if (w->cap > THREAD_KEEP_BYTES)
        json_writer_free(w);
    w->len = 0;
    reserve(w, 0);
    w->buf[0] = '\0';
    return w;
}

json_writer *json_writer_thread_scratch(void)
{
    json_writer *w = &thread_writers_get()->scratch;
    w->len = 0;
    return w;
}

void json_writer_free(json_writer *w)
{
    free(w->buf);
    *w = (json_writer)JSON_WRITER_INIT;
}

void json_writer_truncate(json_writer *w, size_t len)
{
    w->len = len;
    if (w->cap)
        w->buf[len] = '\0';
}

size_t json_writer_next(json_writer *w, size_t empty)
{
    size_t mark = w->len;
    if (w->len != empty)
        json_writer_char(w, ',');
    return mark;
}

void json_writer_raw(json_writer *w, const char *s, size_t n)
{
    reserve(w, n);
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

void json_writer_cstr_raw(json_writer *w, const char *s)
{
    json_writer_raw(w, s, strlen(s));
}

void json_writer_char(json_writer *w, char c)
{
    reserve(w, 1);
    w->buf[w->len++] = c;
    w->buf[w->len] = '\0';
}

/* One code point's bytes (seq, len) as jansson's dump_string writes them. */
static void put_code_point(json_writer *w, int32_t cp, const char *seq, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    char esc[6] = {'\\', 0};
    size_t n = 2;
    switch (cp) {
    case '"': esc[1] = '"'; break;
    case '\\': esc[1] = '\\'; break;
    case '\b': esc[1] = 'b'; break;
    case '\f': esc[1] = 'f'; break;
    case '\n': esc[1] = 'n'; break;
    case '\r': esc[1] = 'r'; break;
    case '\t': esc[1] = 't'; break;
    default:
        if (cp >= 0x20) {
            json_writer_raw(w, seq, len);
            return;
        }
        memcpy(esc + 1, "u00", 3);
        esc[4] = hex[cp >> 4];
        esc[5] = hex[cp & 0xF];
        n = 6;
    }
    json_writer_raw(w, esc, n);
}

void json_writer_code_point(json_writer *w, int32_t cp)
{
    char seq[4];
    size_t len;
    if (cp < 0x80) {
        seq[0] = (char)cp;
        len = 1;
    } else if (cp < 0x800) {
        seq[0] = (char)(0xC0 | (cp >> 6));
        seq[1] = (char)(0x80 | (cp & 0x3F));
        len = 2;
    } else if (cp < 0x10000) {
        seq[0] = (char)(0xE0 | (cp >> 12));
        seq[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        seq[2] = (char)(0x80 | (cp & 0x3F));
        len = 3;
    } else {
        seq[0] = (char)(0xF0 | (cp >> 18));
        seq[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        seq[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        seq[3] = (char)(0x80 | (cp & 0x3F));
        len = 4;
    }
    put_code_point(w, cp, seq, len);
}

bool json_writer_string(json_writer *w, const char *s, size_t n)
{
    size_t mark = w->len;
    reserve(w, n + 2);
    w->buf[w->len++] = '"';
    size_t run = 0; /* start of the bytes that need no escape, copied in one go */
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            i++;
            continue;
        }
        json_writer_raw(w, s + run, i - run);
        int32_t cp;
        size_t len = utf8_decode(s + i, n - i, &cp);
        if (len == 0) {
            json_writer_truncate(w, mark);
            return false;
        }
        put_code_point(w, cp, s + i, len);
        i += len;
        run = i;
    }
    json_writer_raw(w, s + run, n - run);
    json_writer_char(w, '"');
    return true;
}

bool json_writer_cstr(json_writer *w, const char *s)
{
    return json_writer_string(w, s, strlen(s));
}

bool json_writer_key(json_writer *w, const char *key)
{
    if (!json_writer_cstr(w, key))
        return false;
    json_writer_char(w, ':');
    return true;
}

void json_writer_int(json_writer *w, int64_t v)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%" PRId64, v);
    json_writer_raw(w, b, (size_t)n);
}

void json_writer_real(json_writer *w, double v)
{
    char b[40];
    snprintf(b, sizeof b, "%.17g", v);
    if (!strpbrk(b, ".e"))
        strcat(b, ".0"); /* else it would read back as an integer */
    char *e = strchr(b, 'e');
    if (e) { /* "e+05" -> "e5", "e-05" -> "e-5" */
        char *from = e + 1, *to = e + 1;
        if (*from == '-')
            from++, to++;
        else if (*from == '+')
            from++;
        while (*from == '0' && from[1])
            from++;
        memmove(to, from, strlen(from) + 1);
    }
    json_writer_cstr_raw(w, b);
}
