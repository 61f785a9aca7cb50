/*
 * json_pull: a pull tokenizer over JSON text in memory, for decoders that walk a large
 * document once without building a tree (core/contact_decode_stream.c).
 *
 * Contract: it accepts exactly the documents jansson's json_loadb accepts with
 * CONTACTD_JSON_FLAGS (RFC 8259 syntax, UTF-8 checked everywhere, no \u0000, surrogates
 * paired, integers within json_int_t, reals within double, no duplicate key in any object,
 * at most JSON_PULL_MAX_DEPTH nested values, nothing but white space after the root; the
 * caller refuses a scalar root, as jansson does without JSON_DECODE_ANY). The
 * first violation sets jp->failed and every later call fails: callers stop and answer
 * "invalid JSON", as they would had jansson refused the text. tests/unit/test_json_pull.c
 * and fuzz/fuzz_json_pull.c compare verdicts with jansson's.
 *
 * Ownership: strings handed out point into the text when they hold no escape, else into
 * the scratch arena given to jp_init; both must outlive their use. A keyset (duplicate
 * detection for one object) owns heap memory: keyset_free.
 */
#ifndef CONTACTD_CORE_JSON_PULL_H
#define CONTACTD_CORE_JSON_PULL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"

/* jansson's JSON_PARSER_MAX_DEPTH: every value counts one level, scalars included. */
#define JSON_PULL_MAX_DEPTH 2048

typedef enum jp_type {
    JP_NONE, /* no value here (syntax error or the end) */
    JP_OBJECT,
    JP_ARRAY,
    JP_STRING,
    JP_NUMBER,
    JP_TRUE,
    JP_FALSE,
    JP_NULL,
} jp_type;

typedef struct json_pull {
    const char *p, *end;
    arena *scratch;
    int depth;   /* containers open */
    bool opened; /* a container was just opened: its first element needs no comma */
    bool failed;
} json_pull;

/* The keys of one object seen so far (bytes, after unescaping). */
typedef struct jp_key {
    const char *s;
    size_t len;
    size_t hash;
} jp_key;
typedef struct keyset {
    jp_key *keys;
    size_t count, cap;
    size_t *slots; /* open addressing over keys (index + 1), once count passes a few */
    size_t nslots;
} keyset;

void keyset_reset(keyset *k);
void keyset_free(keyset *k);

void jp_init(json_pull *jp, const char *text, size_t len, arena *scratch);

/* The type of the value that comes next, judged by its first byte (white space skipped);
 * JP_NONE when there is none, which is a syntax error wherever a value is expected. */
jp_type jp_peek(json_pull *jp);

/* Read the next value as a string / a number (jansson's json_int_t or double, *is_real
 * telling which) / true, false or null. Return 0, or -1 (and jp->failed) on a syntax error
 * or a value of another type. */
int jp_string(json_pull *jp, const char **s, size_t *len);
int jp_number(json_pull *jp, bool *is_real, json_int_t *i, double *d);
int jp_literal(json_pull *jp);

/*
 * Objects: jp_object_begin, then jp_object_key until it returns 0 (the closing brace was
 * read) or -1 (syntax error, or a key already in seen). After each key (1), read or skip
 * exactly one value. seen must be reset by the caller for each object.
 * Arrays: jp_array_begin, then jp_array_next until 0 / -1; after each 1, one value.
 */
int jp_object_begin(json_pull *jp);
int jp_object_key(json_pull *jp, keyset *seen, const char **key, size_t *len);
int jp_array_begin(json_pull *jp);
int jp_array_next(json_pull *jp);

/* Check and pass over the next value, whatever it is. 0 or -1. */
int jp_skip(json_pull *jp);
/* The next value as a new jansson value (NULL on a syntax error). */
json_t *jp_value(json_pull *jp);
/* 0 when only white space is left (the document is complete), else -1. */
int jp_finish(json_pull *jp);

#endif
