/*
 * contact_json: a stored contact as SendGrid's ContactDetails3 (without _metadata, which
 * needs the request's base URL). Every reserved field is present, as "" when unset,
 * because SendGrid's clients and users index them without checking. Custom field values
 * are stored by field id and shown by field name, so a renamed field shows its new name
 * and a deleted field's values vanish at once. GET /contacts/{id} answers this object;
 * a JSON export writes a sparser one per line (contact_export_json).
 *
 * The same object is also written straight to a json_writer (contact_json_write_*), byte
 * for byte as json_dumps(contact_to_json(...), JSON_COMPACT) prints it, for the read
 * answers that must not build a tree (issue 17); tests/unit/test_contact_json.c holds the
 * two to the same bytes. A reserved field or id that is not well-formed UTF-8 is left out
 * of both (jansson's json_string refuses it), stored JSON that does not parse shows as its
 * default ([] or {}), and a stored object with a duplicate key goes through jansson.
 *
 * Ownership: contact_to_json returns a new json_t the caller owns; nothing of c or fields
 * is kept.
 */
#ifndef CONTACTD_CORE_CONTACT_JSON_H
#define CONTACTD_CORE_CONTACT_JSON_H

#include <jansson.h>

#include "core/contact.h"
#include "core/json_writer.h"
#include "core/fields.h"

/* list_ids: taken over when given; NULL uses c->list_ids (or [] when that is NULL).
 * fields may be NULL when c has no custom field values. */
json_t *contact_to_json(const contact *c, const field_catalog *fields, json_t *list_ids);

/* The object in three parts, so that the caller can write list_ids and segment_ids from
 * wherever it reads them: the head is '{' and the members up to alternate_emails; the
 * tail the members from ",\"custom_fields\"" on, without the closing '}' (the caller may
 * add members). Between them the caller writes ",\"list_ids\":" and ",\"segment_ids\":"
 * with their arrays (json_writer_string_array or json_recode). */
void contact_json_write_head(json_writer *w, const contact *c);
void contact_json_write_tail(json_writer *w, const contact *c, const field_catalog *fields);
/* The list_ids or segment_ids array text a row brought (contact.list_ids, .segment_ids)
 * when it is an array json_loads accepts; false, nothing written, when the caller must
 * read the ids (and write them with json_writer_string_array). */
bool contact_json_write_stored_ids(json_writer *w, const char *stored);
/* ["ids[0]",...]: an id that is not well-formed UTF-8 is left out, as json_array_append_new
 * of jansson's NULL string leaves it out. */
void json_writer_string_array(json_writer *w, const char *const *ids, size_t n);

/* A line of a JSON export, as the live service writes them: keyed "contact_id", with only
 * the fields that are set (custom_fields, created_at and updated_at always). */
json_t *contact_export_json(const contact *c, const field_catalog *fields);

#endif
