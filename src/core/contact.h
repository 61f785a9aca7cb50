/*
 * contact: the contact model shared by every layer.
 *
 * A contact is a set of reserved string fields (identifiers first, in id_type order),
 * alternate emails, custom field values and two timestamps. The table contact_fields[]
 * is the single list of reserved fields: the decoder, the store's SQL and the JSON
 * encoder are all generated from it, so a field is added in one place.
 *
 * Ownership: contact and contact_input hold borrowed pointers; whoever fills one says
 * where the strings live (normally an arena that outlives the struct's use).
 */
#ifndef CONTACTD_CORE_CONTACT_H
#define CONTACTD_CORE_CONTACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/identifier.h"
#include "core/ids.h"

typedef enum contact_field {
    CF_EMAIL = ID_EMAIL,
    CF_PHONE_NUMBER_ID = ID_PHONE_NUMBER_ID,
    CF_EXTERNAL_ID = ID_EXTERNAL_ID,
    CF_ANONYMOUS_ID = ID_ANONYMOUS_ID,
    CF_FIRST_NAME,
    CF_LAST_NAME,
    CF_UNIQUE_NAME,
    CF_ADDRESS_LINE_1,
    CF_ADDRESS_LINE_2,
    CF_CITY,
    CF_STATE_PROVINCE_REGION,
    CF_COUNTRY,
    CF_POSTAL_CODE,
    CF_PHONE_NUMBER,
    CF_WHATSAPP,
    CF_LINE,
    CF_FACEBOOK,
    CF_COUNT
} contact_field;

typedef struct contact_field_info {
    const char *name; /* JSON key and SQL column */
    unsigned max_len; /* in Unicode code points */
} contact_field_info;

extern const contact_field_info contact_fields[CF_COUNT];

#define CONTACT_MAX_ALTERNATE_EMAILS 5

/* The index of the reserved field called name, or -1. */
int contact_field_lookup(const char *name);

/* A stored contact. */
typedef struct contact {
    char id[UUID_STR_LEN + 1];
    const char *field[CF_COUNT];    /* NULL when unset */
    const char *alternate_emails;   /* JSON array text; NULL when none */
    const char *custom_fields;      /* JSON object text; NULL when none */
    int64_t created_at, updated_at; /* milliseconds since the Unix epoch */
    const char *list_ids;           /* sorted JSON array text when the store read them with
                                     * the row; NULL: ask store_contact_list_ids */
    const char *segment_ids;        /* the same for segments (segment samples read them);
                                     * NULL: ask store_contact_segment_ids */
} contact;

/* The number of identifiers (email, phone_number_id, ...) that c carries. */
int contact_identifier_count(const contact *c);

/* One record of an upsert request, validated and normalised. */
typedef struct contact_input {
    const char *field[CF_COUNT];  /* NULL: not provided; "" clears a non-identifier field */
    const char *alternate_emails; /* normalised JSON array text; NULL: not provided */
    const char *custom_fields;    /* JSON object text; NULL: not provided */
} contact_input;

/*
 * Apply record in to contact c as an upsert does: provided reserved fields and
 * alternate_emails overwrite, omitted ones stay. Custom fields are merged value by value
 * (custom_fields_merge in fields.h), which needs the account's live definitions, so they
 * are left to the caller. Strings are borrowed from in, so in must outlive c's use.
 */
void contact_merge(contact *c, const contact_input *in);

#endif
