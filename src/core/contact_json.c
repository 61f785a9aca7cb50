/* contact_json: see contact_json.h. */
#include "core/contact_json.h"

#include <string.h>

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
