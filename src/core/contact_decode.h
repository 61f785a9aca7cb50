/*
 * contact_decode: turns the JSON body of PUT /v3/marketing/contacts into a validated,
 * normalised upsert_batch, reporting every problem with SendGrid's field paths
 * ("contacts[12].email"). The same decoder runs when the request arrives (to answer 400
 * before the 202) and when a job is replayed from disk after a restart, so a stored job
 * always means exactly what was accepted.
 *
 * What it checks: the body is an object with `contacts` (1 to UPSERT_MAX_CONTACTS
 * objects) and optional `list_ids` (strings); each contact has at least one identifier,
 * valid email / E.164 values, strings within their maxLength, at most 5 valid
 * alternate_emails, no unknown keys, and custom_fields whose keys name a field of the
 * catalog (by id, or by name as a contactd extension) with values of the field's type.
 * Custom field values are stored keyed by field id, so renaming a field keeps them.
 * What it leaves to its caller: whether the list ids exist (that needs the store), and
 * what to do with unknown custom field keys (collected in unknown_custom_fields: the
 * handler rejects the request; a replay after a restart drops them, because the field
 * was deleted after the job was accepted and its values went with it).
 *
 * Ownership: the batch owns an arena holding every string and array it points to;
 * upsert_batch_free() releases it. Neither the JSON tree nor the text is referenced after
 * decoding.
 *
 * Two walkers apply one set of rules (contact_decode_internal.h): over a jansson tree,
 * for callers that build one (CSV rows, state documents), and over the text in one pass,
 * for request bodies of up to 6 MB, where building a tree was most of the time to the 202.
 */
#ifndef CONTACTD_CORE_CONTACT_DECODE_H
#define CONTACTD_CORE_CONTACT_DECODE_H

#include <jansson.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/contact.h"
#include "core/errlist.h"
#include "core/fields.h"

#define UPSERT_MAX_CONTACTS 30000
#define UPSERT_MAX_BODY (6u * 1024u * 1024u)
#define UPSERT_MAX_LISTS 100

typedef struct upsert_batch {
    arena arena;
    contact_input *contacts;
    size_t count;
    const char **list_ids; /* as given, duplicates removed */
    size_t list_count;
    const char **unknown_custom_fields; /* distinct custom_fields keys the catalog lacks */
    size_t unknown_custom_field_count;
} upsert_batch;

typedef enum upsert_text_status {
    UPSERT_TEXT_OK,           /* decoded: errs says whether the batch is valid */
    UPSERT_TEXT_INVALID_JSON, /* jansson would refuse the text */
    UPSERT_TEXT_NOT_OBJECT,   /* valid JSON, but not an object */
} upsert_text_status;

/*
 * Decode the text of a body (PUT /v3/marketing/contacts, a stored upsert job) in one pass,
 * without a tree: the same batch and the same errors as json_loadb + upsert_decode_fields,
 * and jansson's verdict on the text. Returns the batch when *status is UPSERT_TEXT_OK (errs
 * then holds every problem; with entries the batch should only be freed), else NULL with
 * errs untouched.
 */
upsert_batch *upsert_decode_text(const char *body, size_t len, const field_catalog *fields,
                                 errlist *errs, upsert_text_status *status);

/*
 * Decode a jansson tree (CSV import rows, state documents) into a new batch. Returns the
 * batch (never NULL); when errs gained entries the batch is incomplete and should only be
 * freed.
 */
upsert_batch *upsert_decode_fields(const json_t *root, const field_catalog *fields, errlist *errs);
/* The same with no custom field defined. */
upsert_batch *upsert_decode(const json_t *root, errlist *errs);
/* Decode a stored payload (upsert_decode_text) against the catalog as it is now; NULL when
 * it no longer decodes cleanly. fields may be NULL (no custom field defined). */
upsert_batch *upsert_decode_payload(const char *body, size_t len, const field_catalog *fields);
void upsert_batch_free(upsert_batch *b);

/* Flags for json_loadb shared by every body decoder: duplicates are an error. */
#define CONTACTD_JSON_FLAGS (JSON_REJECT_DUPLICATES)

#endif
