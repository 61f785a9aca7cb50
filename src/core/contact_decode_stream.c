/*
 * contact_decode_stream: the walker over an upsert body's text (see contact_decode.h).
 * One pass with core/json_pull.c: each value is handed to the rules of
 * contact_decode_rules.c as it is read, so no tree of 30,000 contacts is ever built.
 *
 * Two orders differ from the text's and are restored here: the rules see list_ids before
 * contacts (the tree walker looks them up in that order), so the contacts' errors are kept
 * apart and appended last; and the number of contacts is known only at the array's end, so
 * past UPSERT_MAX_CONTACTS the rest are only checked as JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "core/contact_decode_internal.h"

typedef struct stream {
    json_pull jp;
    arena scratch; /* unescaped strings, keys' copies */
    decode_ctx ctx;
    keyset contact_keys, custom_keys;
} stream;

/* A key as a C string (the rules and the catalog want one). */
static const char *key_cstr(stream *st, const char *k, size_t n, char *buf, size_t bufsize)
{
    char *out = n < bufsize ? buf : arena_alloc(&st->scratch, n + 1);
    memcpy(out, k, n);
    out[n] = '\0';
    return out;
}

/* The elements of an array: the first max + 1 as items, all of them counted. */
static int read_items(stream *st, decode_item *items, size_t max, size_t *n)
{
    json_pull *jp = &st->jp;
    int r = jp_array_begin(jp);
    *n = 0;
    while (r == 0 && (r = jp_array_next(jp)) == 1) {
        jp_type t = jp_peek(jp);
        if (*n <= max) {
            items[*n] = (decode_item){.type = t};
            r = t == JP_STRING ? jp_string(jp, &items[*n].s, &items[*n].len) : jp_skip(jp);
        } else {
            r = jp_skip(jp);
        }
        (*n)++;
    }
    return r;
}

static int stream_alternate_emails(stream *st, contact_input *in, size_t idx)
{
    jp_type t = jp_peek(&st->jp);
    if (t != JP_ARRAY) {
        decode_alternate_emails_type(&st->ctx, idx, t);
        return jp_skip(&st->jp);
    }
    decode_item items[CONTACT_MAX_ALTERNATE_EMAILS + 1];
    size_t n;
    if (read_items(st, items, CONTACT_MAX_ALTERNATE_EMAILS, &n) != 0)
        return -1;
    decode_alternate_emails(&st->ctx, in, idx, items, n);
    return 0;
}

static int stream_custom_fields(stream *st, contact_input *in, size_t idx)
{
    json_pull *jp = &st->jp;
    jp_type t = jp_peek(jp);
    if (t != JP_OBJECT) {
        decode_custom_fields_type(&st->ctx, idx, t);
        return jp_skip(jp);
    }
    custom_acc acc;
    decode_custom_begin(&acc);
    keyset_reset(&st->custom_keys);
    const char *k;
    size_t kn;
    int r = jp_object_begin(jp);
    while (r == 0 && (r = jp_object_key(jp, &st->custom_keys, &k, &kn)) == 1) {
        char buf[128];
        const char *key = key_cstr(st, k, kn, buf, sizeof buf);
        json_t *v = jp_value(jp);
        if (!v) {
            r = -1;
            break;
        }
        decode_custom_field(&st->ctx, &acc, idx, key, v);
        json_decref(v);
        r = 0;
    }
    decode_custom_end(&st->ctx, in, &acc);
    return r;
}

/* One key of a contact and its value. */
static int stream_contact_key(stream *st, contact_input *in, size_t idx, const char *key,
                              bool *has_id)
{
    json_pull *jp = &st->jp;
    int f = contact_field_lookup(key);
    if (f >= 0) {
        *has_id |= f < ID_TYPE_COUNT;
        jp_type t = jp_peek(jp);
        if (t != JP_STRING) {
            decode_reserved_type(&st->ctx, idx, f, t);
            return jp_skip(jp);
        }
        const char *s;
        size_t n;
        if (jp_string(jp, &s, &n) != 0)
            return -1;
        decode_reserved(&st->ctx, in, idx, f, s, n);
        return 0;
    }
    if (strcmp(key, "alternate_emails") == 0)
        return stream_alternate_emails(st, in, idx);
    if (strcmp(key, "custom_fields") == 0)
        return stream_custom_fields(st, in, idx);
    return jp_skip(jp); /* ignored, as SendGrid ignores it */
}

static int stream_contact(stream *st, contact_input *in, size_t idx)
{
    json_pull *jp = &st->jp;
    jp_type t = jp_peek(jp);
    if (t != JP_OBJECT) {
        decode_contact_type(&st->ctx, idx, t);
        return jp_skip(jp);
    }
    keyset_reset(&st->contact_keys);
    bool has_id = false;
    const char *k;
    size_t kn;
    int r = jp_object_begin(jp);
    while (r == 0 && (r = jp_object_key(jp, &st->contact_keys, &k, &kn)) == 1) {
        char buf[128];
        r = stream_contact_key(st, in, idx, key_cstr(st, k, kn, buf, sizeof buf), &has_id);
    }
    if (r == 0)
        decode_contact_end(&st->ctx, idx, has_id);
    return r;
}

/* The contacts array, in blocks of the scratch arena (its length is unknown until its end,
 * and growing one array would copy it over and over). Blocks double from BLOCK_FIRST to
 * BLOCK_MAX contacts: each is zeroed when taken, and a one-contact PUT, the commonest
 * body, would otherwise clear 150 KB for one record. */
#define BLOCK_FIRST 8
#define BLOCK_MAX 1024
typedef struct contact_block {
    struct contact_block *next;
    size_t cap, used;
    contact_input items[];
} contact_block;

static contact_block *block_new(arena *a, size_t cap)
{
    contact_block *k = arena_calloc(a, 1, sizeof *k + cap * sizeof k->items[0]);
    k->cap = cap;
    return k;
}

static int stream_contacts(stream *st, contact_block **first, size_t *n)
{
    json_pull *jp = &st->jp;
    contact_block **tail = first, *block = NULL;
    *n = 0;
    int r = jp_array_begin(jp);
    while (r == 0 && (r = jp_array_next(jp)) == 1) {
        if (*n >= UPSERT_MAX_CONTACTS) { /* refused whatever they hold */
            r = jp_skip(jp);
            (*n)++;
            continue;
        }
        if (!block || block->used == block->cap) {
            block = block_new(&st->scratch, !block                   ? BLOCK_FIRST
                                            : block->cap < BLOCK_MAX ? block->cap * 2
                                                                     : BLOCK_MAX);
            *tail = block;
            tail = &block->next;
        }
        r = stream_contact(st, &block->items[block->used++], *n);
        (*n)++;
    }
    return r;
}

/* What the root object held, in the rules' order. */
typedef struct root_parts {
    bool lists_seen, contacts_seen;
    jp_type contacts_type;
    contact_block *contacts;
    size_t count;
    errlist contact_errs;
} root_parts;

static int stream_list_ids(stream *st)
{
    jp_type t = jp_peek(&st->jp);
    if (t != JP_ARRAY) {
        decode_list_ids_type(&st->ctx, t);
        return jp_skip(&st->jp);
    }
    decode_item *items = arena_calloc(&st->scratch, UPSERT_MAX_LISTS + 1, sizeof *items);
    size_t n;
    if (read_items(st, items, UPSERT_MAX_LISTS, &n) != 0)
        return -1;
    decode_list_ids(&st->ctx, items, n);
    return 0;
}

static int stream_root_key(stream *st, root_parts *rp, const char *k, size_t kn)
{
    json_pull *jp = &st->jp;
    if (kn == 8 && memcmp(k, "list_ids", 8) == 0) {
        rp->lists_seen = true;
        return stream_list_ids(st);
    }
    if (kn == 8 && memcmp(k, "contacts", 8) == 0) {
        rp->contacts_seen = true;
        rp->contacts_type = jp_peek(jp);
        if (rp->contacts_type != JP_ARRAY)
            return jp_skip(jp);
        errlist *list_errs = st->ctx.errs;
        st->ctx.errs = &rp->contact_errs;
        int r = stream_contacts(st, &rp->contacts, &rp->count);
        st->ctx.errs = list_errs;
        return r;
    }
    return jp_skip(jp); /* other keys are ignored, as SendGrid ignores them */
}

static void append_errs(errlist *to, const errlist *from)
{
    for (size_t i = 0; i < from->count; i++)
        errlist_add(to, from->items[i].field, "%s", from->items[i].message);
}

/* The root object's members; -1 on a syntax error. */
static int stream_root(stream *st, root_parts *rp)
{
    keyset root_keys = {0};
    const char *k;
    size_t kn;
    int r = jp_object_begin(&st->jp);
    while (r == 0 && (r = jp_object_key(&st->jp, &root_keys, &k, &kn)) == 1)
        r = stream_root_key(st, rp, k, kn);
    keyset_free(&root_keys);
    return r == 0 ? jp_finish(&st->jp) : -1;
}

/* The contacts decoded (or refused as a whole) into the batch, their errors after the
 * list_ids' ones. */
static void finish_contacts(stream *st, root_parts *rp)
{
    upsert_batch *b = st->ctx.b;
    if (decode_contacts_check(&st->ctx, rp->contacts_seen, rp->contacts_type, rp->count) != 0) {
        /* nothing of a refused array counts, as the tree walker never looks inside it */
        b->unknown_custom_field_count = 0;
        return;
    }
    b->contacts = arena_alloc(&b->arena, rp->count * sizeof *b->contacts);
    size_t done = 0;
    for (contact_block *k = rp->contacts; k; k = k->next) {
        memcpy(b->contacts + done, k->items, k->used * sizeof *b->contacts);
        done += k->used;
    }
    b->count = rp->count;
    append_errs(st->ctx.errs, &rp->contact_errs);
}

upsert_batch *upsert_decode_text(const char *body, size_t len, const field_catalog *fields,
                                 errlist *errs, upsert_text_status *status)
{
    stream st = {.scratch = ARENA_INIT};
    jp_init(&st.jp, body, len, &st.scratch);
    upsert_batch *b = calloc(1, sizeof *b);
    if (!b)
        abort();
    errlist list_errs;
    errlist_init(&list_errs, errs->arena);
    st.ctx = (decode_ctx){.b = b, .errs = &list_errs, .fields = fields};
    root_parts rp = {.contacts_type = JP_NONE};
    errlist_init(&rp.contact_errs, errs->arena);
    jp_type root = jp_peek(&st.jp);
    if (root == JP_OBJECT) {
        *status = stream_root(&st, &rp) == 0 ? UPSERT_TEXT_OK : UPSERT_TEXT_INVALID_JSON;
    } else { /* jansson takes an array for a root, never a scalar (no JSON_DECODE_ANY) */
        bool valid = root == JP_ARRAY && jp_skip(&st.jp) == 0 && jp_finish(&st.jp) == 0;
        *status = valid ? UPSERT_TEXT_NOT_OBJECT : UPSERT_TEXT_INVALID_JSON;
    }
    if (*status == UPSERT_TEXT_OK) {
        st.ctx.errs = &list_errs;
        finish_contacts(&st, &rp);
        append_errs(errs, &list_errs);
    } else {
        upsert_batch_free(b);
        b = NULL;
    }
    keyset_free(&st.contact_keys);
    keyset_free(&st.custom_keys);
    arena_release(&st.scratch);
    return b;
}

upsert_batch *upsert_decode_payload(const char *body, size_t len, const field_catalog *fields)
{
    arena a = ARENA_INIT;
    errlist errs;
    errlist_init(&errs, &a);
    upsert_text_status status;
    upsert_batch *b = upsert_decode_text(body, len, fields, &errs, &status);
    size_t nerr = errs.count;
    arena_release(&a);
    if (b && nerr) {
        upsert_batch_free(b);
        return NULL;
    }
    return b;
}
