/*
 * json_diff: the old way (a jansson tree, printed by json_dumps) and the new way
 * (core/json_writer, core/json_recode, contact_json_write_*) of encoding the same thing,
 * side by side, for the differential unit test (test_json_writer.c) and the fuzz target
 * (fuzz/fuzz_json_writer.c). Each returns malloc'd text the caller frees, or NULL where
 * that way refuses (jansson's json_loads or json_string fails; the writer returns false).
 */
#ifndef CONTACTD_TESTS_JSON_DIFF_H
#define CONTACTD_TESTS_JSON_DIFF_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/contact_json.h"
#include "core/json_recode.h"
#include "core/json_writer.h"

/* A catalog with a field of each type (e4_T deleted: values stored under it are not shown). */
static const field_def diff_defs[] = {
    {"e1_T", "nickname", FIELD_TEXT},
    {"e2_N", "score", FIELD_NUMBER},
    {"e3_D", "birthday", FIELD_DATE},
    {"e5_T", "note_2", FIELD_TEXT},
};
static const field_catalog diff_catalog = {(field_def *)diff_defs,
                                           sizeof diff_defs / sizeof diff_defs[0]};

static inline char *diff_take(json_writer *w, bool ok)
{
    char *out = ok ? strdup(w->buf ? w->buf : "") : NULL;
    json_writer_free(w);
    return out;
}

/* text (NUL-terminated) parsed and printed. */
static inline char *old_recode(const char *text)
{
    json_t *v = json_loads(text, 0, NULL);
    char *out = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    return out;
}

static inline char *new_recode(const char *text)
{
    json_writer w = JSON_WRITER_INIT;
    bool ok = json_recode(&w, text, strlen(text));
    return diff_take(&w, ok);
}

/* s[0..n) as a JSON string. */
static inline char *old_string(const char *s, size_t n)
{
    json_t *v = json_stringn(s, n);
    char *out = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(v);
    return out;
}

static inline char *new_string(const char *s, size_t n)
{
    json_writer w = JSON_WRITER_INIT;
    bool ok = json_writer_string(&w, s, n);
    return diff_take(&w, ok);
}

static inline char *old_real(double d)
{
    json_t *v = json_real(d);
    char *out = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(v);
    return out;
}

static inline char *new_real(double d)
{
    json_writer w = JSON_WRITER_INIT;
    json_writer_real(&w, d);
    return diff_take(&w, true);
}

/* A stored ids array text, as contact_render read it: the array, else the given ids. */
static inline json_t *old_ids(const char *stored, const char *const *ids, size_t n)
{
    json_t *v = stored ? json_loads(stored, 0, NULL) : NULL;
    if (json_is_array(v))
        return v;
    json_decref(v);
    v = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(v, json_string(ids[i]));
    return v;
}

/*
 * ContactDetails3 (without _metadata) as contact_render built it before the writer:
 * contact_to_json with the list ids and segment ids of the row, else ids[0..n) (what the
 * store would have said).
 */
static inline char *old_contact(const contact *c, const field_catalog *fields,
                                const char *const *ids, size_t n)
{
    bool has_custom = c->custom_fields && strcmp(c->custom_fields, "{}") != 0;
    json_t *o = contact_to_json(c, has_custom ? fields : NULL, old_ids(c->list_ids, ids, n));
    json_object_set_new(o, "segment_ids", old_ids(c->segment_ids, ids, n));
    char *out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return out;
}

static inline void new_ids(json_writer *w, const char *key, const char *stored,
                           const char *const *ids, size_t n)
{
    json_writer_char(w, ',');
    json_writer_key(w, key);
    if (!contact_json_write_stored_ids(w, stored))
        json_writer_string_array(w, ids, n);
}

static inline char *new_contact(const contact *c, const field_catalog *fields,
                                const char *const *ids, size_t n)
{
    json_writer w = JSON_WRITER_INIT;
    bool has_custom = c->custom_fields && strcmp(c->custom_fields, "{}") != 0;
    contact_json_write_head(&w, c);
    new_ids(&w, "list_ids", c->list_ids, ids, n);
    new_ids(&w, "segment_ids", c->segment_ids, ids, n);
    contact_json_write_tail(&w, c, has_custom ? fields : NULL);
    json_writer_char(&w, '}');
    return diff_take(&w, true);
}

/* Both NULL, or both the same text. */
static inline bool diff_same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

#endif
