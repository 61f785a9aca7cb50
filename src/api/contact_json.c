/*
 * contact_json: a stored contact as SendGrid's ContactDetails3. Every reserved field is
 * present, as "" when unset, because SendGrid's clients and users index them without
 * checking.
 */
#include <string.h>

#include "api/api.h"
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

json_t *contact_to_json(const contact *c, const char *base_url)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(c->id));
    for (int i = 0; i < CF_COUNT; i++)
        json_object_set_new(o, contact_fields[i].name, json_string(c->field[i] ? c->field[i] : ""));
    json_object_set_new(o, "alternate_emails", stored_json(c->alternate_emails, json_array()));
    json_object_set_new(o, "list_ids", json_array());
    json_object_set_new(o, "segment_ids", json_array());
    json_object_set_new(o, "custom_fields", stored_json(c->custom_fields, json_object()));
    char ts[ISO8601_LEN + 1];
    time_iso8601(c->created_at, ts);
    json_object_set_new(o, "created_at", json_string(ts));
    time_iso8601(c->updated_at, ts);
    json_object_set_new(o, "updated_at", json_string(ts));
    json_t *self = json_sprintf("%s/v3/marketing/contacts/%s", base_url, c->id);
    json_object_set_new(o, "_metadata", json_pack("{s:o}", "self", self));
    return o;
}
