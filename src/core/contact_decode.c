/*
 * contact_decode: the walker over a jansson tree (see contact_decode.h); the rules it
 * applies are in contact_decode_rules.c, shared with the walker over text.
 */
#include "core/contact_decode.h"

#include <stdlib.h>
#include <string.h>

#include "core/contact_decode_internal.h"

/* An array's elements as rule items: at most max + 1 of them are needed (one more than
 * allowed is enough to refuse the array). */
static decode_item *array_items(arena *a, const json_t *arr, size_t max, size_t *n)
{
    *n = json_array_size(arr);
    size_t keep = *n < max + 1 ? *n : max + 1;
    decode_item *items = arena_calloc(a, keep ? keep : 1, sizeof *items);
    for (size_t i = 0; i < keep; i++) {
        const json_t *e = json_array_get(arr, i);
        items[i].type = decode_type_of(e);
        if (json_is_string(e)) {
            items[i].s = json_string_value(e);
            items[i].len = json_string_length(e);
        }
    }
    return items;
}

static void walk_alternate_emails(decode_ctx *c, contact_input *in, const json_t *v, size_t idx)
{
    if (!json_is_array(v)) {
        decode_alternate_emails_type(c, idx, decode_type_of(v));
        return;
    }
    arena tmp = ARENA_INIT;
    size_t n;
    decode_item *items = array_items(&tmp, v, CONTACT_MAX_ALTERNATE_EMAILS, &n);
    decode_alternate_emails(c, in, idx, items, n);
    arena_release(&tmp);
}

static void walk_custom_fields(decode_ctx *c, contact_input *in, const json_t *v, size_t idx)
{
    if (!json_is_object(v)) {
        decode_custom_fields_type(c, idx, decode_type_of(v));
        return;
    }
    custom_acc acc;
    decode_custom_begin(&acc);
    const char *key;
    const json_t *val;
    json_object_foreach ((json_t *)v, key, val)
        decode_custom_field(c, &acc, idx, key, val);
    decode_custom_end(c, in, &acc);
}

static void walk_contact(decode_ctx *c, contact_input *in, const json_t *obj, size_t idx)
{
    if (!json_is_object(obj)) {
        decode_contact_type(c, idx, decode_type_of(obj));
        return;
    }
    bool has_id = false;
    const char *key;
    const json_t *v;
    json_object_foreach ((json_t *)obj, key, v) {
        int f = contact_field_lookup(key);
        if (f >= 0) {
            has_id |= f < ID_TYPE_COUNT;
            if (json_is_string(v))
                decode_reserved(c, in, idx, f, json_string_value(v), json_string_length(v));
            else
                decode_reserved_type(c, idx, f, decode_type_of(v));
        } else if (strcmp(key, "alternate_emails") == 0) {
            walk_alternate_emails(c, in, v, idx);
        } else if (strcmp(key, "custom_fields") == 0) {
            walk_custom_fields(c, in, v, idx);
        }
        /* any other key (a contact's "id", "list_ids", "created_at" as GET returns them)
         * is ignored, as SendGrid ignores it */
    }
    decode_contact_end(c, idx, has_id);
}

upsert_batch *upsert_decode_fields(const json_t *root, const field_catalog *fields, errlist *errs)
{
    upsert_batch *b = calloc(1, sizeof *b);
    if (!b)
        abort();
    decode_ctx c = {.b = b, .errs = errs, .fields = fields};
    if (!json_is_object(root)) {
        errlist_add(errs, NULL, "the request body must be a JSON object");
        return b;
    }
    /* Other keys are ignored, as SendGrid ignores them. */
    const json_t *lists = json_object_get(root, "list_ids");
    if (lists && !json_is_array(lists)) {
        decode_list_ids_type(&c, decode_type_of(lists));
    } else if (lists) {
        arena tmp = ARENA_INIT;
        size_t n;
        decode_item *items = array_items(&tmp, lists, UPSERT_MAX_LISTS, &n);
        decode_list_ids(&c, items, n);
        arena_release(&tmp);
    }
    const json_t *contacts = json_object_get(root, "contacts");
    size_t n = json_array_size(contacts);
    if (decode_contacts_check(&c, contacts != NULL, contacts ? decode_type_of(contacts) : JP_NONE,
                              n) != 0)
        return b;
    b->contacts = arena_calloc(&b->arena, n, sizeof *b->contacts);
    b->count = n;
    for (size_t i = 0; i < n; i++)
        walk_contact(&c, &b->contacts[i], json_array_get(contacts, i), i);
    return b;
}

upsert_batch *upsert_decode(const json_t *root, errlist *errs)
{
    return upsert_decode_fields(root, NULL, errs);
}

void upsert_batch_free(upsert_batch *b)
{
    if (!b)
        return;
    arena_release(&b->arena);
    free(b);
}
