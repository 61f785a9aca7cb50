/*
 * identifier: the four ways a contact is identified, and the rules their values obey.
 *
 *   email            trimmed, lower-cased, checked against a practical RFC 5321 subset
 *   phone_number_id  E.164: '+', a non-zero digit, then 1 to 14 more digits; digits
 *                    alone (15555555555, the document's own example) are read as the
 *                    same number with its '+'
 *   external_id      any non-empty string of at most 254 characters
 *   anonymous_id     any non-empty string of at most 254 characters
 *
 * Each identifier value belongs to at most one contact of an account. The enum order is
 * also the order of the identifier fields in contact.h, so an id_type indexes both.
 * Pure functions; no allocation.
 */
#ifndef CONTACTD_CORE_IDENTIFIER_H
#define CONTACTD_CORE_IDENTIFIER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"

typedef enum id_type {
    ID_EMAIL = 0,
    ID_PHONE_NUMBER_ID,
    ID_EXTERNAL_ID,
    ID_ANONYMOUS_ID,
    ID_TYPE_COUNT
} id_type;

#define EMAIL_MAX_LEN 254
#define ID_VALUE_MAX_LEN 254

/* "email", "phone_number_id", ...: the JSON field and search path spelling. */
const char *id_type_field(id_type t);
/* "EMAIL", "PHONENUMBERID", ...: the delete-identifier body spelling. */
const char *id_type_upper(id_type t);
/* Parse either spelling; 0 on success, -1 when the name is not an identifier type. */
int id_type_from_field(const char *name, id_type *out);
int id_type_from_upper(const char *name, id_type *out);

/*
 * Normalise an email in place-free fashion: trims ASCII white space, lower-cases, and
 * validates. Writes the normalised address (NUL-terminated) to out, which must hold
 * EMAIL_MAX_LEN + 1 bytes. Returns 0, or -1 when the address is not valid.
 */
int email_normalize(const char *in, size_t len, char out[EMAIL_MAX_LEN + 1]);

/* True when s (len bytes, no NUL inside) is an E.164 number such as +14155552671. */
bool e164_valid(const char *s, size_t len);

/*
 * Validate and normalise one identifier value of type t: emails are normalised, a phone
 * number of digits alone gets its '+', the other types are kept verbatim. On success *out
 * is a NUL-terminated copy in arena a and 0 is returned; otherwise -1 with *why set to a
 * short static reason ("is not a valid ...").
 */
int identifier_normalize(id_type t, const char *in, size_t len, arena *a, const char **out,
                         const char **why);

#endif
