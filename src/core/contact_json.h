/*
 * contact_json: a stored contact as SendGrid's ContactDetails3 (without _metadata, which
 * needs the request's base URL). Every reserved field is present, as "" when unset,
 * because SendGrid's clients and users index them without checking. Custom field values
 * are stored by field id and shown by field name, so a renamed field shows its new name
 * and a deleted field's values vanish at once. GET /contacts/{id} answers this object;
 * a JSON export writes a sparser one per line (contact_export_json).
 *
 * Ownership: returns a new json_t the caller owns; nothing of c or fields is kept.
 */
#ifndef CONTACTD_CORE_CONTACT_JSON_H
#define CONTACTD_CORE_CONTACT_JSON_H

#include <jansson.h>

#include "core/contact.h"
#include "core/fields.h"

/* list_ids: taken over when given; NULL uses c->list_ids (or [] when that is NULL).
 * fields may be NULL when c has no custom field values. */
json_t *contact_to_json(const contact *c, const field_catalog *fields, json_t *list_ids);

/* A line of a JSON export, as the live service writes them: keyed "contact_id", with only
 * the fields that are set (custom_fields, created_at and updated_at always). */
json_t *contact_export_json(const contact *c, const field_catalog *fields);

#endif
