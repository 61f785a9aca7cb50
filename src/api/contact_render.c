/*
 * contact_render: a stored contact as an API response shows it: core/contact_json's
 * ContactDetails3, written straight into a json_writer, plus the store reads it needs
 * (list ids, segment ids, field names) and _metadata.
 */
#include <string.h>

#include "api/api.h"
#include "core/contact_json.h"

typedef int (*ids_read_fn)(store *s, int64_t account, const char *contact_id, arena *a,
                           const char ***ids, size_t *count);

/* ,"key":[...] from the JSON array text the row brought, else from the store. */
static bool write_ids(contact_renderer *r, json_writer *w, const char *key, const char *stored,
                      ids_read_fn read, const contact *c)
{
    json_writer_char(w, ',');
    json_writer_key(w, key);
    if (contact_json_write_stored_ids(w, stored))
        return true;
    api_ctx *app = http_app(r->req);
    const char **ids;
    size_t n;
    if (read(app->store, http_account(r->req), c->id, http_arena(r->req), &ids, &n) != STORE_OK)
        return false;
    json_writer_string_array(w, ids, n);
    return true;
}

/* ,"_metadata":{"self":"<base URL>/v3/marketing/contacts/<id>"} (left out, as jansson
 * would, if that is not well-formed UTF-8). */
static void write_metadata(contact_renderer *r, json_writer *w, const contact *c)
{
    size_t mark = w->len;
    json_writer_cstr_raw(w, ",\"_metadata\":{\"self\":");
    if (api_write_printf(r->req, w, "%s/v3/marketing/contacts/%s", http_base_url(r->req), c->id))
        json_writer_char(w, '}');
    else
        json_writer_truncate(w, mark);
}

bool contact_render_write(contact_renderer *r, json_writer *w, const contact *c)
{
    size_t mark = w->len;
    bool has_custom = c->custom_fields && strcmp(c->custom_fields, "{}") != 0;
    contact_json_write_head(w, c);
    if (!write_ids(r, w, "list_ids", c->list_ids, store_contact_list_ids, c))
        goto fail;
    if (has_custom && !r->fields_loaded) {
        api_ctx *app = http_app(r->req);
        if (store_fields_list(app->store, http_account(r->req), http_arena(r->req), &r->fields) !=
            STORE_OK)
            goto fail;
        r->fields_loaded = true;
    }
    if (!write_ids(r, w, "segment_ids", c->segment_ids, store_contact_segment_ids, c))
        goto fail;
    contact_json_write_tail(w, c, has_custom ? &r->fields : NULL);
    write_metadata(r, w, c);
    json_writer_char(w, '}');
    return true;
fail:
    json_writer_truncate(w, mark);
    return false;
}
