/*
 * contact_decode: see contact_decode.h.
 *
 * Errors name the exact input (contacts[N].field) and keep going, so a client learns about
 * every bad record in one round trip instead of one per request.
 */
#include "core/contact_decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

/* Show at most this many characters of a bad value in an error message. */
#define ECHO_MAX 100

static void field_path(char *out, size_t n, size_t idx, const char *name)
{
    if (name)
        snprintf(out, n, "contacts[%zu].%s", idx, name);
    else
        snprintf(out, n, "contacts[%zu]", idx);
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

static void decode_alternate_emails(upsert_batch *b, contact_input *in, const json_t *v, size_t idx,
                                    errlist *errs)
{
    char path[96];
    field_path(path, sizeof path, idx, "alternate_emails");
    if (!json_is_array(v)) {
        errlist_add(errs, path, "alternate_emails must be an array of strings, not %s",
                    json_type_name(v));
        return;
    }
    size_t n = json_array_size(v);
    if (n > CONTACT_MAX_ALTERNATE_EMAILS) {
        errlist_add(errs, path, "a contact can have at most %d alternate_emails, got %zu",
                    CONTACT_MAX_ALTERNATE_EMAILS, n);
        return;
    }
    json_t *norm = json_array();
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        char item_path[112];
        snprintf(item_path, sizeof item_path, "%s[%zu]", path, i);
        char buf[EMAIL_MAX_LEN + 1];
        if (!json_is_string(e)) {
            errlist_add(errs, item_path, "alternate email must be a string, not %s",
                        json_type_name(e));
            ok = false;
        } else if (email_normalize(json_string_value(e), json_string_length(e), buf) != 0) {
            errlist_add(errs, item_path, "email '%.*s' is not valid", ECHO_MAX,
                        json_string_value(e));
            ok = false;
        } else {
            json_array_append_new(norm, json_string(buf));
        }
    }
    if (ok) {
        char *text = json_dumps(norm, JSON_COMPACT);
        in->alternate_emails = arena_strdup(&b->arena, text);
        free(text);
    }
    json_decref(norm);
}

static void note_unknown_field(upsert_batch *b, const char *key, size_t *cap)
{
    for (size_t i = 0; i < b->unknown_custom_field_count; i++)
        if (strcmp(b->unknown_custom_fields[i], key) == 0)
            return;
    b->unknown_custom_fields =
        arena_grow(&b->arena, (void *)b->unknown_custom_fields, b->unknown_custom_field_count, cap,
                   sizeof *b->unknown_custom_fields);
    b->unknown_custom_fields[b->unknown_custom_field_count++] = arena_strdup(&b->arena, key);
}

/* custom_fields: keys resolved to field ids, values checked and normalised; a cleared
 * value is kept as null so that the merge removes it. */
static void decode_custom_fields(upsert_batch *b, contact_input *in, const json_t *v, size_t idx,
                                 errlist *errs, const field_catalog *fields, size_t *unknown_cap)
{
    char path[96];
    field_path(path, sizeof path, idx, "custom_fields");
    if (!json_is_object(v)) {
        errlist_add(errs, path, "custom_fields must be an object, not %s", json_type_name(v));
        return;
    }
    json_t *norm = json_object();
    const char *key;
    const json_t *val;
    bool ok = true;
    json_object_foreach ((json_t *)v, key, val) {
        const field_def *def = field_catalog_find(fields, key);
        if (!def) {
            note_unknown_field(b, key, unknown_cap);
            continue;
        }
        const char *why;
        json_t *nv = field_value_normalize(def->type, val, &why);
        if (!nv) {
            char kp[200];
            snprintf(kp, sizeof kp, "%s.%.100s", path, key);
            errlist_add(errs, kp, "custom field '%.100s' %s", def->name, why);
            ok = false;
            continue;
        }
        json_object_set_new(norm, def->id, nv);
    }
    if (ok) {
        char *text = json_dumps(norm, JSON_COMPACT);
        in->custom_fields = arena_strdup(&b->arena, text);
        free(text);
    }
    json_decref(norm);
}

static void decode_contact(upsert_batch *b, contact_input *in, const json_t *obj, size_t idx,
                           errlist *errs, const field_catalog *fields, size_t *unknown_cap)
{
    char path[96];
    if (!json_is_object(obj)) {
        field_path(path, sizeof path, idx, NULL);
        errlist_add(errs, path, "each contact must be an object, not %s", json_type_name(obj));
        return;
    }
    const char *key;
    const json_t *v;
    json_object_foreach ((json_t *)obj, key, v) {
        int f = contact_field_lookup(key);
        if (f >= 0) {
            field_path(path, sizeof path, idx, key);
            if (!json_is_string(v)) {
                errlist_add(errs, path, "%s must be a string, not %s", key, json_type_name(v));
                continue;
            }
            const char *s = json_string_value(v);
            size_t len = json_string_length(v);
            if (f < ID_TYPE_COUNT) {
                const char *why;
                if (identifier_normalize((id_type)f, s, len, &b->arena, &in->field[f], &why) != 0)
                    errlist_add(errs, path, "%s '%.*s' %s", key, ECHO_MAX, s, why);
            } else if (memchr(s, '\0', len)) {
                errlist_add(errs, path, "%s must not contain NUL characters", key);
            } else if (utf8_length(s, len) > contact_fields[f].max_len) {
                errlist_add(errs, path, "%s is longer than %u characters", key,
                            contact_fields[f].max_len);
            } else {
                in->field[f] = arena_strndup(&b->arena, s, len);
            }
        } else if (strcmp(key, "alternate_emails") == 0) {
            decode_alternate_emails(b, in, v, idx, errs);
        } else if (strcmp(key, "custom_fields") == 0) {
            decode_custom_fields(b, in, v, idx, errs, fields, unknown_cap);
        }
        /* any other key (a contact's "id", "list_ids", "created_at" as GET returns them)
         * is ignored, as SendGrid ignores it */
    }
    bool has_id = false;
    for (int t = 0; t < ID_TYPE_COUNT; t++)
        if (json_object_get(obj, id_type_field((id_type)t)))
            has_id = true;
    if (!has_id) {
        field_path(path, sizeof path, idx, NULL);
        errlist_add(errs, path,
                    "a contact needs at least one identifier: email, phone_number_id, "
                    "external_id or anonymous_id");
    }
}

static void decode_list_ids(upsert_batch *b, const json_t *v, errlist *errs)
{
    if (!json_is_array(v)) {
        errlist_add(errs, "list_ids", "list_ids must be an array of strings, not %s",
                    json_type_name(v));
        return;
    }
    size_t n = json_array_size(v);
    if (n > UPSERT_MAX_LISTS) {
        errlist_add(errs, "list_ids", "at most %d list ids can be given, got %zu", UPSERT_MAX_LISTS,
                    n);
        return;
    }
    b->list_ids = arena_calloc(&b->arena, n ? n : 1, sizeof *b->list_ids);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        char path[48];
        snprintf(path, sizeof path, "list_ids[%zu]", i);
        if (!json_is_string(e)) {
            errlist_add(errs, path, "list id must be a string, not %s", json_type_name(e));
            continue;
        }
        const char *s = json_string_value(e);
        bool dup = false;
        for (size_t k = 0; k < b->list_count; k++)
            if (strcmp(b->list_ids[k], s) == 0)
                dup = true;
        if (!dup)
            b->list_ids[b->list_count++] = arena_strdup(&b->arena, s);
    }
}

upsert_batch *upsert_decode_fields(const json_t *root, const field_catalog *fields, errlist *errs)
{
    upsert_batch *b = calloc(1, sizeof *b);
    if (!b)
        abort();
    if (!json_is_object(root)) {
        errlist_add(errs, NULL, "the request body must be a JSON object");
        return b;
    }
    /* Other keys are ignored, as SendGrid ignores them. */
    const json_t *lists = json_object_get(root, "list_ids");
    if (lists)
        decode_list_ids(b, lists, errs);

    const json_t *contacts = json_object_get(root, "contacts");
    if (!contacts) {
        errlist_add(errs, "contacts", "contacts is required");
        return b;
    }
    if (!json_is_array(contacts)) {
        errlist_add(errs, "contacts", "contacts must be an array, not %s", json_type_name(contacts));
        return b;
    }
    size_t n = json_array_size(contacts);
    if (n == 0) {
        errlist_add(errs, "contacts", "contacts must contain at least one contact");
        return b;
    }
    if (n > UPSERT_MAX_CONTACTS) {
        errlist_add(errs, "contacts", "at most %d contacts can be upserted in one request, got %zu",
                    UPSERT_MAX_CONTACTS, n);
        return b;
    }
    b->contacts = arena_calloc(&b->arena, n, sizeof *b->contacts);
    b->count = n;
    size_t unknown_cap = 0;
    for (size_t i = 0; i < n; i++)
        decode_contact(b, &b->contacts[i], json_array_get(contacts, i), i, errs, fields,
                       &unknown_cap);
    return b;
}

upsert_batch *upsert_decode(const json_t *root, errlist *errs)
{
    return upsert_decode_fields(root, NULL, errs);
}

upsert_batch *upsert_decode_payload(const char *body, size_t len, const field_catalog *fields)
{
    json_t *root = json_loadb(body, len, CONTACTD_JSON_FLAGS, NULL);
    if (!root)
        return NULL;
    arena a = ARENA_INIT;
    errlist errs;
    errlist_init(&errs, &a);
    upsert_batch *b = upsert_decode_fields(root, fields, &errs);
    json_decref(root);
    size_t nerr = errs.count;
    arena_release(&a);
    if (nerr) {
        upsert_batch_free(b);
        return NULL;
    }
    return b;
}

void upsert_batch_free(upsert_batch *b)
{
    if (!b)
        return;
    arena_release(&b->arena);
    free(b);
}
