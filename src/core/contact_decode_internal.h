/*
 * contact_decode_internal: the validation rules of an upsert body, shared by its two
 * walkers; not for use outside src/core/contact_decode*.c (the interface is
 * core/contact_decode.h).
 *
 *   contact_decode_rules.c   what each value must be, the errors and the normalised result
 *   contact_decode.c         the walker over a jansson tree (imports' rows, state documents)
 *   contact_decode_stream.c  the walker over the body's text (PUT /contacts, job replay)
 *
 * A walker calls the rules in document order with each value as it found it, so both
 * produce the same batch and the same errors in the same order; the differential test
 * (tests/unit/test_contact_decode_stream.c) and fuzz/fuzz_upsert_stream.c hold them to it.
 * Strings are (pointer, length) and need not be NUL-terminated; keys must be.
 */
#ifndef CONTACTD_CORE_CONTACT_DECODE_INTERNAL_H
#define CONTACTD_CORE_CONTACT_DECODE_INTERNAL_H

#include "core/contact_decode.h"
#include "core/json_pull.h"

typedef struct decode_ctx {
    upsert_batch *b;
    errlist *errs;
    const field_catalog *fields;
    size_t unknown_cap; /* capacity of b->unknown_custom_fields */
} decode_ctx;

/* One element of an array as a walker saw it: a string, or the type of anything else. */
typedef struct decode_item {
    jp_type type;
    const char *s; /* JP_STRING only */
    size_t len;
} decode_item;

/* "an object", "a string", "a number", ... as errors name a value's type. */
const char *decode_type_name(jp_type t);
jp_type decode_type_of(const json_t *v);

/* Root: list_ids (n elements, the first min(n, UPSERT_MAX_LISTS + 1) in items), or a
 * list_ids that is not an array. */
void decode_list_ids(decode_ctx *c, const decode_item *items, size_t n);
void decode_list_ids_type(decode_ctx *c, jp_type t);
/* Root: contacts, once its length is known: 0 when its contacts are to be decoded, else
 * the error is recorded. */
int decode_contacts_check(decode_ctx *c, bool present, jp_type t, size_t n);

/* Contact idx is not an object. */
void decode_contact_type(decode_ctx *c, size_t idx, jp_type t);
/* Key key (field f of contact_fields) of contact idx holds a string / a value of type t. */
void decode_reserved(decode_ctx *c, contact_input *in, size_t idx, int f, const char *s, size_t len);
void decode_reserved_type(decode_ctx *c, size_t idx, int f, jp_type t);
/* alternate_emails: n elements, the first min(n, CONTACT_MAX_ALTERNATE_EMAILS + 1) in
 * items; or not an array. */
void decode_alternate_emails(decode_ctx *c, contact_input *in, size_t idx, const decode_item *items,
                             size_t n);
void decode_alternate_emails_type(decode_ctx *c, size_t idx, jp_type t);
/* custom_fields: not an object; or begin, one call per key (NUL-terminated) and value,
 * end. */
void decode_custom_fields_type(decode_ctx *c, size_t idx, jp_type t);
typedef struct custom_acc {
    json_t *norm;
    bool ok;
} custom_acc;
void decode_custom_begin(custom_acc *acc);
void decode_custom_field(decode_ctx *c, custom_acc *acc, size_t idx, const char *key,
                         const json_t *v);
void decode_custom_end(decode_ctx *c, contact_input *in, custom_acc *acc);
/* The contact's keys are all seen: has_id says whether one named an identifier. */
void decode_contact_end(decode_ctx *c, size_t idx, bool has_id);

#endif
