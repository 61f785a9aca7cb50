/*
 * upsert_diff: decodes one upsert body both ways — jansson's json_loadb with the tree
 * walker (upsert_decode_fields), and the one-pass text walker (upsert_decode_text) — and
 * says how the results differ: the verdict on the text (invalid JSON / not an object /
 * decoded), every error (field and message, in order) and the whole batch. Shared by
 * tests/unit/test_contact_decode_stream.c and fuzz/fuzz_upsert_stream.c.
 */
#ifndef CONTACTD_TESTS_UPSERT_DIFF_H
#define CONTACTD_TESTS_UPSERT_DIFF_H

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/contact_decode.h"

static inline bool upsert_diff_str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The contacts matter only in a valid batch; list ids and unknown custom fields are used
 * by the handler's answer either way. */
static inline const char *upsert_diff_batches(const upsert_batch *x, const upsert_batch *y,
                                              bool valid)
{
    if (valid && x->count != y->count)
        return "contact counts differ";
    for (size_t i = 0; valid && i < x->count; i++) {
        const contact_input *a = &x->contacts[i], *b = &y->contacts[i];
        for (int f = 0; f < CF_COUNT; f++)
            if (!upsert_diff_str_eq(a->field[f], b->field[f]))
                return "a reserved field differs";
        if (!upsert_diff_str_eq(a->alternate_emails, b->alternate_emails))
            return "alternate_emails differ";
        if (!upsert_diff_str_eq(a->custom_fields, b->custom_fields))
            return "custom_fields differ";
    }
    if (x->list_count != y->list_count)
        return "list id counts differ";
    for (size_t i = 0; i < x->list_count; i++)
        if (strcmp(x->list_ids[i], y->list_ids[i]) != 0)
            return "a list id differs";
    if (x->unknown_custom_field_count != y->unknown_custom_field_count)
        return "unknown custom field counts differ";
    for (size_t i = 0; i < x->unknown_custom_field_count; i++)
        if (strcmp(x->unknown_custom_fields[i], y->unknown_custom_fields[i]) != 0)
            return "an unknown custom field differs";
    return NULL;
}

static inline const char *upsert_diff_errors(const errlist *x, const errlist *y)
{
    if (x->count != y->count)
        return "error counts differ";
    for (size_t i = 0; i < x->count; i++)
        if (!upsert_diff_str_eq(x->items[i].field, y->items[i].field) ||
            strcmp(x->items[i].message, y->items[i].message) != 0)
            return "an error differs";
    return NULL;
}

/* NULL when both decoders agree on text, else what differs. */
static inline const char *upsert_diff(const char *text, size_t len, const field_catalog *cat)
{
    arena a = ARENA_INIT;
    errlist tree_errs, text_errs;
    errlist_init(&tree_errs, &a);
    errlist_init(&text_errs, &a);
    json_t *root = json_loadb(text, len, CONTACTD_JSON_FLAGS, NULL);
    upsert_text_status want = !root                   ? UPSERT_TEXT_INVALID_JSON
                              : !json_is_object(root) ? UPSERT_TEXT_NOT_OBJECT
                                                      : UPSERT_TEXT_OK;
    upsert_text_status got;
    upsert_batch *tb = want == UPSERT_TEXT_OK ? upsert_decode_fields(root, cat, &tree_errs) : NULL;
    upsert_batch *sb = upsert_decode_text(text, len, cat, &text_errs, &got);
    const char *why = NULL;
    if (got != want)
        why = want == UPSERT_TEXT_INVALID_JSON  ? "jansson refused what the stream accepted"
              : got == UPSERT_TEXT_INVALID_JSON ? "the stream refused what jansson accepted"
                                                : "the verdicts differ";
    else if (want == UPSERT_TEXT_OK)
        why = upsert_diff_errors(&tree_errs, &text_errs);
    if (!why && want == UPSERT_TEXT_OK)
        why = upsert_diff_batches(tb, sb, tree_errs.count == 0);
    if (!why && (got == UPSERT_TEXT_OK) != (sb != NULL))
        why = "the batch does not match the status";
    upsert_batch_free(tb);
    upsert_batch_free(sb);
    json_decref(root);
    arena_release(&a);
    return why;
}

#endif
