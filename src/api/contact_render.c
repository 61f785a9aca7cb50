/*
 * contact_render: a stored contact as an API response shows it: core/contact_json's
 * ContactDetails3 plus the store reads it needs (list ids, segment ids, field names) and
 * _metadata.
 */
#include <string.h>

#include "api/api.h"
#include "core/contact_json.h"

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

    if (!lists) {
        lists = json_array();
        for (size_t i = 0; i < nlists; i++)
            json_array_append_new(lists, json_string(list_ids[i]));
    }
    json_t *segments = c->segment_ids ? json_loads(c->segment_ids, 0, NULL) : NULL;
    if (!json_is_array(segments)) {
        json_decref(segments);
        const char **segs;
        size_t nsegs;
        if (store_contact_segment_ids(app->store, account, c->id, a, &segs, &nsegs) != STORE_OK) {
            json_decref(lists);
            return NULL;
        }
        segments = json_array();
        for (size_t i = 0; i < nsegs; i++)
            json_array_append_new(segments, json_string(segs[i]));
    }
    json_t *o = contact_to_json(c, has_custom ? &r->fields : NULL, lists);
    json_object_set_new(o, "segment_ids", segments);
    json_t *self = json_sprintf("%s/v3/marketing/contacts/%s", http_base_url(r->req), c->id);
    json_object_set_new(o, "_metadata", json_pack("{s:o}", "self", self));
    return o;
}
