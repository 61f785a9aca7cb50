/*
 * contact_decode_rules: the checks and normalisation of every value of an upsert body
 * (see contact_decode_internal.h). Errors name the exact input (contacts[N].field) and
 * decoding keeps going, so a client learns about every bad record in one round trip
 * instead of one per request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/contact_decode_internal.h"
#include "core/utf8.h"

/* Show at most this many bytes of a bad value in an error message. */
#define ECHO_MAX 100

/* How much of s (len bytes) an error message shows: at most ECHO_MAX bytes, cut before a
 * UTF-8 continuation byte so the message stays well-formed text (a cut character would
 * make the stored error, and every document showing it, invalid). */
static int echo_len(const char *s, size_t len)
{
    size_t n = len < ECHO_MAX ? len : ECHO_MAX;
    while (n < len && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return (int)n;
}

static void field_path(char *out, size_t n, size_t idx, const char *name)
{
    if (name)
        snprintf(out, n, "contacts[%zu].%s", idx, name);
    else
        snprintf(out, n, "contacts[%zu]", idx);
}

const char *decode_type_name(jp_type t)
{
    switch (t) {
    case JP_OBJECT: return "an object";
    case JP_ARRAY: return "an array";
    case JP_STRING: return "a string";
    case JP_NUMBER: return "a number";
    case JP_TRUE:
    case JP_FALSE: return "a boolean";
    case JP_NULL: return "null";
    case JP_NONE: break;
    }
    return "unknown";
}

jp_type decode_type_of(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return JP_OBJECT;
    case JSON_ARRAY: return JP_ARRAY;
    case JSON_STRING: return JP_STRING;
    case JSON_INTEGER:
    case JSON_REAL: return JP_NUMBER;
    case JSON_TRUE: return JP_TRUE;
    case JSON_FALSE: return JP_FALSE;
    case JSON_NULL: return JP_NULL;
    }
    return JP_NONE;
}

/* ---- root ------------------------------------------------------------------------- */

void decode_list_ids_type(decode_ctx *c, jp_type t)
{
    errlist_add(c->errs, "list_ids", "list_ids must be an array of strings, not %s",
                decode_type_name(t));
}

void decode_list_ids(decode_ctx *c, const decode_item *items, size_t n)
{
    upsert_batch *b = c->b;
    if (n > UPSERT_MAX_LISTS) {
        errlist_add(c->errs, "list_ids", "at most %d list ids can be given, got %zu",
                    UPSERT_MAX_LISTS, n);
        return;
    }
    b->list_ids = arena_calloc(&b->arena, n ? n : 1, sizeof *b->list_ids);
    for (size_t i = 0; i < n; i++) {
        const decode_item *e = &items[i];
        if (e->type != JP_STRING) {
            char path[48];
            snprintf(path, sizeof path, "list_ids[%zu]", i);
            errlist_add(c->errs, path, "list id must be a string, not %s",
                        decode_type_name(e->type));
            continue;
        }
        bool dup = false;
        for (size_t k = 0; k < b->list_count && !dup; k++)
            dup = strlen(b->list_ids[k]) == e->len && memcmp(b->list_ids[k], e->s, e->len) == 0;
        if (!dup)
            b->list_ids[b->list_count++] = arena_strndup(&b->arena, e->s, e->len);
    }
}

int decode_contacts_check(decode_ctx *c, bool present, jp_type t, size_t n)
{
    if (!present)
        errlist_add(c->errs, "contacts", "contacts is required");
    else if (t != JP_ARRAY)
        errlist_add(c->errs, "contacts", "contacts must be an array, not %s", decode_type_name(t));
    else if (n == 0)
        errlist_add(c->errs, "contacts", "contacts must contain at least one contact");
    else if (n > UPSERT_MAX_CONTACTS)
        errlist_add(c->errs, "contacts",
                    "at most %d contacts can be upserted in one request, got %zu",
                    UPSERT_MAX_CONTACTS, n);
    else
        return 0;
    return -1;
}

/* ---- one contact ------------------------------------------------------------------ */

void decode_contact_type(decode_ctx *c, size_t idx, jp_type t)
{
    char path[96];
    field_path(path, sizeof path, idx, NULL);
    errlist_add(c->errs, path, "each contact must be an object, not %s", decode_type_name(t));
}

void decode_reserved_type(decode_ctx *c, size_t idx, int f, jp_type t)
{
    char path[96];
    const char *key = contact_fields[f].name;
    field_path(path, sizeof path, idx, key);
    errlist_add(c->errs, path, "%s must be a string, not %s", key, decode_type_name(t));
}

void decode_reserved(decode_ctx *c, contact_input *in, size_t idx, int f, const char *s, size_t len)
{
    char path[96]; /* made only for an error: this runs for every field of every contact */
    const char *key = contact_fields[f].name;
    if (f < ID_TYPE_COUNT) {
        const char *why;
        if (identifier_normalize((id_type)f, s, len, &c->b->arena, &in->field[f], &why) != 0) {
            field_path(path, sizeof path, idx, key);
            errlist_add(c->errs, path, "%s '%.*s' %s", key, echo_len(s, len), s, why);
        }
    } else if (memchr(s, '\0', len)) {
        field_path(path, sizeof path, idx, key);
        errlist_add(c->errs, path, "%s must not contain NUL characters", key);
    } else if (utf8_length(s, len) > contact_fields[f].max_len) {
        field_path(path, sizeof path, idx, key);
        errlist_add(c->errs, path, "%s is longer than %u characters", key,
                    contact_fields[f].max_len);
    } else {
        in->field[f] = arena_strndup(&c->b->arena, s, len);
    }
}

void decode_alternate_emails_type(decode_ctx *c, size_t idx, jp_type t)
{
    char path[96];
    field_path(path, sizeof path, idx, "alternate_emails");
    errlist_add(c->errs, path, "alternate_emails must be an array of strings, not %s",
                decode_type_name(t));
}

void decode_alternate_emails(decode_ctx *c, contact_input *in, size_t idx, const decode_item *items,
                             size_t n)
{
    char path[96];
    field_path(path, sizeof path, idx, "alternate_emails");
    if (n > CONTACT_MAX_ALTERNATE_EMAILS) {
        errlist_add(c->errs, path, "a contact can have at most %d alternate_emails, got %zu",
                    CONTACT_MAX_ALTERNATE_EMAILS, n);
        return;
    }
    json_t *norm = json_array();
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const decode_item *e = &items[i];
        char item_path[112];
        snprintf(item_path, sizeof item_path, "%s[%zu]", path, i);
        char buf[EMAIL_MAX_LEN + 1];
        if (e->type != JP_STRING) {
            errlist_add(c->errs, item_path, "alternate email must be a string, not %s",
                        decode_type_name(e->type));
            ok = false;
        } else if (email_normalize(e->s, e->len, buf) != 0) {
            errlist_add(c->errs, item_path, "email '%.*s' is not valid", echo_len(e->s, e->len),
                        e->s);
            ok = false;
        } else {
            json_array_append_new(norm, json_string(buf));
        }
    }
    if (ok) {
        char *text = json_dumps(norm, JSON_COMPACT);
        in->alternate_emails = arena_strdup(&c->b->arena, text);
        free(text);
    }
    json_decref(norm);
}

/* ---- custom fields ---------------------------------------------------------------- */

void decode_custom_fields_type(decode_ctx *c, size_t idx, jp_type t)
{
    char path[96];
    field_path(path, sizeof path, idx, "custom_fields");
    errlist_add(c->errs, path, "custom_fields must be an object, not %s", decode_type_name(t));
}

static void note_unknown_field(decode_ctx *c, const char *key)
{
    upsert_batch *b = c->b;
    for (size_t i = 0; i < b->unknown_custom_field_count; i++)
        if (strcmp(b->unknown_custom_fields[i], key) == 0)
            return;
    b->unknown_custom_fields =
        arena_grow(&b->arena, (void *)b->unknown_custom_fields, b->unknown_custom_field_count,
                   &c->unknown_cap, sizeof *b->unknown_custom_fields);
    b->unknown_custom_fields[b->unknown_custom_field_count++] = arena_strdup(&b->arena, key);
}

void decode_custom_begin(custom_acc *acc)
{
    acc->norm = json_object();
    acc->ok = true;
}

/* Keys resolve to field ids, values are checked and normalised; a cleared value is kept
 * as null so that the merge removes it. */
void decode_custom_field(decode_ctx *c, custom_acc *acc, size_t idx, const char *key,
                         const json_t *v)
{
    const field_def *def = field_catalog_find(c->fields, key);
    if (!def) {
        note_unknown_field(c, key);
        return;
    }
    const char *why;
    json_t *nv = field_value_normalize(def->type, v, &why);
    if (!nv) {
        char path[96], kp[200];
        field_path(path, sizeof path, idx, "custom_fields");
        snprintf(kp, sizeof kp, "%s.%.100s", path, key);
        errlist_add(c->errs, kp, "custom field '%.100s' %s", def->name, why);
        acc->ok = false;
        return;
    }
    json_object_set_new(acc->norm, def->id, nv);
}

void decode_custom_end(decode_ctx *c, contact_input *in, custom_acc *acc)
{
    if (acc->ok) {
        char *text = json_dumps(acc->norm, JSON_COMPACT);
        in->custom_fields = arena_strdup(&c->b->arena, text);
        free(text);
    }
    json_decref(acc->norm);
}

void decode_contact_end(decode_ctx *c, size_t idx, bool has_id)
{
    if (has_id)
        return;
    char path[96];
    field_path(path, sizeof path, idx, NULL);
    errlist_add(c->errs, path,
                "a contact needs at least one identifier: email, phone_number_id, "
                "external_id or anonymous_id");
}
