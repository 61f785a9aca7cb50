/* contact_json: see contact_json.h. */
#include "core/contact_json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_recode.h"
#include "core/timeutil.h"

static json_t *stored_json(const char *text, json_t *fallback)
{
    if (text) {
        json_t *v = json_loads(text, 0, NULL);
        if (v) {
            json_decref(fallback);
            return v;
        }
    }
    return fallback;
}

/* {"<field name>": value} for the values whose field still exists. */
static json_t *custom_fields_by_name(const char *stored, const field_catalog *fields)
{
    json_t *out = json_object();
    if (!stored || !fields || strcmp(stored, "{}") == 0)
        return out;
    json_t *by_id = json_loads(stored, 0, NULL);
    const char *id;
    json_t *v;
    json_object_foreach (by_id, id, v) {
        const field_def *d = field_catalog_find_id(fields, id);
        if (d)
            json_object_set(out, d->name, v);
    }
    json_decref(by_id);
    return out;
}

json_t *contact_to_json(const contact *c, const field_catalog *fields, json_t *list_ids)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(c->id));
    for (int i = 0; i < CF_COUNT; i++)
        json_object_set_new(o, contact_fields[i].name, json_string(c->field[i] ? c->field[i] : ""));
    json_object_set_new(o, "alternate_emails", stored_json(c->alternate_emails, json_array()));
    if (!list_ids)
        list_ids = stored_json(c->list_ids, json_array());
    json_object_set_new(o, "list_ids", list_ids);
    json_object_set_new(o, "segment_ids", json_array());
    json_object_set_new(o, "custom_fields", custom_fields_by_name(c->custom_fields, fields));
    char ts[ISO8601_LEN + 1];
    time_iso8601(c->created_at, ts);
    json_object_set_new(o, "created_at", json_string(ts));
    time_iso8601(c->updated_at, ts);
    json_object_set_new(o, "updated_at", json_string(ts));
    return o;
}

json_t *contact_export_json(const contact *c, const field_catalog *fields)
{
    json_t *o = contact_to_json(c, fields, NULL);
    json_object_del(o, "id");
    json_object_set_new(o, "contact_id", json_string(c->id));
    json_object_del(o, "segment_ids");
    const char *key;
    void *tmp;
    json_t *v;
    json_object_foreach_safe (o, tmp, key, v) {
        if ((json_is_string(v) && json_string_length(v) == 0) ||
            (json_is_array(v) && json_array_size(v) == 0))
            json_object_del(o, key);
    }
    return o;
}

/* ---- the same, written straight to a json_writer --------------------------------------- */

/* "key":"value" after the object's members so far (the first would begin at empty); the
 * whole member left out when value is not well-formed UTF-8. */
static void write_string_member(json_writer *w, size_t empty, const char *key, const char *value)
{
    size_t mark = json_writer_next(w, empty);
    json_writer_key(w, key);
    if (!json_writer_cstr(w, value))
        json_writer_truncate(w, mark);
}

/* Stored JSON text as it is shown (any JSON value json_loads accepts), else fallback. */
static void write_stored(json_writer *w, const char *text, const char *fallback)
{
    if (!text || !json_recode(w, text, strlen(text)))
        json_writer_cstr_raw(w, fallback);
}

void contact_json_write_head(json_writer *w, const contact *c)
{
    json_writer_char(w, '{');
    size_t empty = w->len;
    write_string_member(w, empty, "id", c->id);
    for (int i = 0; i < CF_COUNT; i++)
        write_string_member(w, empty, contact_fields[i].name, c->field[i] ? c->field[i] : "");
    json_writer_next(w, empty);
    json_writer_key(w, "alternate_emails");
    write_stored(w, c->alternate_emails, "[]");
}

bool contact_json_write_stored_ids(json_writer *w, const char *stored)
{
    if (!stored)
        return false;
    stored += strspn(stored, " \t\n\r");
    return *stored == '[' && json_recode(w, stored, strlen(stored));
}

void json_writer_string_array(json_writer *w, const char *const *ids, size_t n)
{
    json_writer_char(w, '[');
    size_t empty = w->len;
    for (size_t i = 0; i < n; i++) {
        size_t mark = json_writer_next(w, empty);
        if (!json_writer_cstr(w, ids[i]))
            json_writer_truncate(w, mark);
    }
    json_writer_char(w, ']');
}

static const char *field_name_of(void *fields, const char *id)
{
    const field_def *d = field_catalog_find_id(fields, id);
    return d ? d->name : NULL;
}

static void write_custom_fields(json_writer *w, const char *stored, const field_catalog *fields)
{
    if (!stored || !fields || strcmp(stored, "{}") == 0) {
        json_writer_cstr_raw(w, "{}");
        return;
    }
    int rc = json_recode_members(w, stored, strlen(stored), field_name_of, (void *)fields);
    if (rc == RECODE_INVALID) {
        json_writer_cstr_raw(w, "{}");
    } else if (rc == RECODE_DUPLICATE) { /* no encoder of ours stores one: jansson decides */
        json_t *o = custom_fields_by_name(stored, fields);
        char *text = json_dumps(o, JSON_COMPACT);
        json_writer_cstr_raw(w, text ? text : "{}");
        free(text);
        json_decref(o);
    }
}

void contact_json_write_tail(json_writer *w, const contact *c, const field_catalog *fields)
{
    json_writer_cstr_raw(w, ",\"custom_fields\":");
    write_custom_fields(w, c->custom_fields, fields);
    char ts[ISO8601_LEN + 1];
    time_iso8601(c->created_at, ts);
    write_string_member(w, SIZE_MAX, "created_at", ts); /* never the first */
    time_iso8601(c->updated_at, ts);
    write_string_member(w, SIZE_MAX, "updated_at", ts);
}
