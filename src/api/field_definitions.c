/*
 * field_definitions: /v3/marketing/field_definitions.
 *
 *   POST   /field_definitions          create {name, field_type: Text|Number|Date}
 *   GET    /field_definitions          custom fields and the reserved field list
 *   PATCH  /field_definitions/{id}     rename
 *   DELETE /field_definitions/{id}     204; its values vanish from every contact at once
 *
 * Names follow core/fields.h. Writes run on the job writer (jobs_submit_op).
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"

static json_t *field_json(http_request *req, const char *id, const char *name, field_type t)
{
    return json_pack("{s:s, s:s, s:s, s:{s:o}}", "id", id, "name", name, "field_type",
                     field_type_name(t), "_metadata", "self",
                     json_sprintf("%s/v3/marketing/field_definitions/%s", http_base_url(req), id));
}

typedef struct field_write {
    http_request *req;
    int64_t account;
    enum { FIELD_CREATE, FIELD_RENAME, FIELD_DELETE } what;
    char id[FIELD_ID_MAX];
    const char *name;
    field_type type;
    bool full; /* the account has FIELD_MAX_PER_ACCOUNT already */
} field_write;

/* STORE_CONFLICT also covers a name differing only in case: the index is on lower(name). */
static int field_write_op(store_tx *tx, void *arg)
{
    field_write *w = arg;
    w->full = false;
    switch (w->what) {
    case FIELD_CREATE: {
        arena a = ARENA_INIT;
        field_catalog cat;
        int rc = store_tx_fields_list(tx, w->account, &a, &cat);
        size_t n = cat.count;
        arena_release(&a);
        if (rc != STORE_OK)
            return rc;
        if (n >= FIELD_MAX_PER_ACCOUNT) {
            w->full = true;
            return STORE_CONFLICT;
        }
        return store_tx_field_create(tx, w->account, w->name, w->type, w->id);
    }
    case FIELD_RENAME: return store_tx_field_rename(tx, w->account, w->id, w->name);
    case FIELD_DELETE: return store_tx_field_delete(tx, w->account, w->id);
    }
    return STORE_ERROR;
}

static void field_write_done(void *ctx, int rc)
{
    field_write *w = ctx;
    http_request *req = w->req;
    if (rc == STORE_OK && w->what == FIELD_DELETE)
        http_resume_json(req, 204, NULL);
    else if (rc == STORE_OK)
        http_resume_json(req, 200, field_json(req, w->id, w->name, w->type));
    else if (rc == STORE_CONFLICT && w->full)
        http_resume_json(req, 400,
                         http_error_body(NULL, "an account can have at most 500 custom fields"));
    else if (rc == STORE_CONFLICT)
        http_resume_json(req, 400,
                         http_error_body("name", "a custom field with this name already exists"));
    else if (rc == STORE_NOT_FOUND)
        http_resume_json(req, 404, http_error_body("custom_field_id", "custom field not found"));
    else
        api_resume_store_error(req);
}

/* Decode {"name": ..., "field_type": ...}; with_type false for a rename. */
static bool decode_body(http_request *req, field_write *w, bool with_type)
{
    errlist errs;
    json_t *root = api_body_begin(req, &errs);
    if (!root)
        return false;
    arena *a = http_arena(req);
    json_t *jn = json_object_get(root, "name");
    const char *why;
    if (!jn)
        errlist_add(&errs, "name", "name is required");
    else if (!json_is_string(jn))
        errlist_add(&errs, "name", "name must be a string");
    else if (field_name_check(json_string_value(jn), &why) != 0)
        errlist_add(&errs, "name", "%s", why);
    else
        w->name = arena_strdup(a, json_string_value(jn));
    if (with_type) {
        json_t *jt = json_object_get(root, "field_type");
        if (!jt)
            errlist_add(&errs, "field_type", "field_type is required");
        else if (!json_is_string(jt) || field_type_parse(json_string_value(jt), &w->type) != 0)
            errlist_add(&errs, "field_type", "field_type must be one of Text, Number, Date");
    }
    json_decref(root);
    if (errs.count) {
        http_reply_errlist(req, 400, &errs);
        return false;
    }
    return true;
}

void api_fields_create(http_request *req)
{
    field_write *w = arena_calloc(http_arena(req), 1, sizeof *w);
    w->req = req;
    w->account = http_account(req);
    w->what = FIELD_CREATE;
    if (decode_body(req, w, true))
        api_submit_op(req, field_write_op, w, field_write_done);
}

void api_fields_all(http_request *req)
{
    api_ctx *app = http_app(req);
    field_catalog cat;
    if (store_fields_list(app->store, http_account(req), http_arena(req), &cat) != STORE_OK) {
        api_reply_store_error(req);
        return;
    }
    json_t *custom = json_array();
    for (size_t i = 0; i < cat.count; i++)
        json_array_append_new(custom, json_pack("{s:s, s:s, s:s}", "id", cat.defs[i].id, "name",
                                                cat.defs[i].name, "field_type",
                                                field_type_name(cat.defs[i].type)));
    json_t *reserved = json_array();
    for (size_t i = 0; i < reserved_field_count; i++) {
        json_t *f = json_pack("{s:s, s:s, s:s}", "id", reserved_fields[i].id, "name",
                              reserved_fields[i].name, "field_type",
                              field_type_name(reserved_fields[i].type));
        if (reserved_fields[i].read_only)
            json_object_set_new(f, "read_only", json_true());
        json_array_append_new(reserved, f);
    }
    json_t *meta = json_pack("{s:o}", "self",
                             json_sprintf("%s/v3/marketing/field_definitions", http_base_url(req)));
    http_reply_json(req, 200,
                    json_pack("{s:o, s:o, s:o}", "custom_fields", custom, "reserved_fields",
                              reserved, "_metadata", meta));
}

/* The path's field id, or NULL after replying (reserved fields cannot change). */
static const char *path_field_id(http_request *req)
{
    const char *id = http_param(req, 0);
    for (size_t i = 0; i < reserved_field_count; i++) {
        if (strcmp(reserved_fields[i].id, id) == 0) {
            http_reply_error(req, 400, "custom_field_id", "reserved fields cannot be changed");
            return NULL;
        }
    }
    if (strlen(id) >= FIELD_ID_MAX) {
        http_reply_error(req, 404, "custom_field_id", "custom field not found");
        return NULL;
    }
    return id;
}

void api_field_update(http_request *req)
{
    const char *id = path_field_id(req);
    if (!id)
        return;
    field_write *w = arena_calloc(http_arena(req), 1, sizeof *w);
    w->req = req;
    w->account = http_account(req);
    w->what = FIELD_RENAME;
    snprintf(w->id, sizeof w->id, "%s", id);
    if (!decode_body(req, w, false))
        return;
    /* The answer shows the field's type, which a rename does not change: read it now. */
    api_ctx *app = http_app(req);
    field_catalog cat;
    if (store_fields_list(app->store, w->account, http_arena(req), &cat) != STORE_OK) {
        api_reply_store_error(req);
        return;
    }
    const field_def *d = field_catalog_find_id(&cat, id);
    if (!d) {
        http_reply_error(req, 404, "custom_field_id", "custom field not found");
        return;
    }
    w->type = d->type;
    api_submit_op(req, field_write_op, w, field_write_done);
}

void api_field_delete(http_request *req)
{
    const char *id = path_field_id(req);
    if (!id)
        return;
    field_write *w = arena_calloc(http_arena(req), 1, sizeof *w);
    w->req = req;
    w->account = http_account(req);
    w->what = FIELD_DELETE;
    snprintf(w->id, sizeof w->id, "%s", id);
    api_submit_op(req, field_write_op, w, field_write_done);
}
