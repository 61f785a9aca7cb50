/*
 * contact_json: a stored contact as SendGrid's ContactDetails3. Every reserved field is
 * present, as "" when unset, because SendGrid's clients and users index them without
 * checking. Custom field values are stored by field id and shown by field name, so a
 * renamed field shows its new name and a deleted field's values vanish at once.
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

/* {"<field name>": value} for the values whose field still exists. */
static json_t *custom_fields_by_name(const char *stored, const field_catalog *fields)
{
    json_t *out = json_object();
    json_t *by_id = stored ? json_loads(stored, 0, NULL) : NULL;
    const char *id;
    json_t *v;
    json_object_foreach(by_id, id, v) {
        const field_def *d = field_catalog_find_id(fields, id);
        if (d)
            json_object_set(out, d->name, v);
    }
    json_decref(by_id);
    return out;
}

json_t *contact_render(contact_renderer *r, const contact *c)
{
    api_ctx *app = http_app(r->req);
    arena *a = http_arena(r->req);
    int64_t account = http_account(r->req);
    const char **list_ids = NULL;
    size_t nlists = 0;
    json_t *lists = c->list_ids ? json_loads(c->list_ids, 0, NULL) : NULL;
    if (!json_is_array(lists)) {
        json_decref(lists);
        lists = NULL;
        if (store_contact_list_ids(app->store, account, c->id, a, &list_ids, &nlists) != STORE_OK)
            return NULL;
    }
    bool has_custom = c->custom_fields && strcmp(c->custom_fields, "{}") != 0;
    if (has_custom && !r->fields_loaded) {
        if (store_fields_list(app->store, account, a, &r->fields) != STORE_OK)
            return NULL;
        r->fields_loaded = true;
    }

    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(c->id));
    for (int i = 0; i < CF_COUNT; i++)
        json_object_set_new(o, contact_fields[i].name, json_string(c->field[i] ? c->field[i] : ""));
    json_object_set_new(o, "alternate_emails", stored_json(c->alternate_emails, json_array()));
    if (!lists) {
        lists = json_array();
        for (size_t i = 0; i < nlists; i++)
            json_array_append_new(lists, json_string(list_ids[i]));
    }
    json_object_set_new(o, "list_ids", lists);
    json_object_set_new(o, "segment_ids", json_array());
    json_object_set_new(o, "custom_fields",
                        has_custom ? custom_fields_by_name(c->custom_fields, &r->fields) : json_object());
    char ts[ISO8601_LEN + 1];
    time_iso8601(c->created_at, ts);
    json_object_set_new(o, "created_at", json_string(ts));
    time_iso8601(c->updated_at, ts);
    json_object_set_new(o, "updated_at", json_string(ts));
    json_t *self = json_sprintf("%s/v3/marketing/contacts/%s", http_base_url(r->req), c->id);
    json_object_set_new(o, "_metadata", json_pack("{s:o}", "self", self));
    return o;
}
