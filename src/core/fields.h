/*
 * fields: custom field definitions and the rules their names and values obey.
 *
 *   name   [A-Za-z_][A-Za-z0-9_]*, 1 to 100 characters, unique per account ignoring case,
 *          and not the name of a reserved field (first_name, email, created_at, ...)
 *   type   Text | Number | Date; fixed at creation
 *   id     "e<N>_<T|N|D>", N counting up per account; ids are never reused
 *   values Text: a string of at most 1,000 characters; Number: a JSON number (or a string
 *          holding one); Date: "YYYY-MM-DD", "MM/DD/YYYY" or an ISO 8601 UTC date-time,
 *          stored as "YYYY-MM-DDTHH:MM:SSZ". An empty string clears the value.
 *
 * A catalog is one account's definitions as read from the store; its strings live in the
 * arena that was given to the store read. Pure functions otherwise; no allocation except
 * where an arena or a json_t is returned.
 */
#ifndef CONTACTD_CORE_FIELDS_H
#define CONTACTD_CORE_FIELDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum field_type {
    FIELD_TEXT = 1,
    FIELD_NUMBER = 2,
    FIELD_DATE = 3,
} field_type;

#define FIELD_NAME_MAX 100
#define FIELD_TEXT_MAX 1000
#define FIELD_MAX_PER_ACCOUNT 500
#define FIELD_ID_MAX 32

typedef struct field_def {
    const char *id;
    const char *name;
    field_type type;
} field_def;

typedef struct field_catalog {
    field_def *defs;
    size_t count;
} field_catalog;

/* "Text", "Number", "Date". */
const char *field_type_name(field_type t);
int field_type_parse(const char *name, field_type *out);
/* The letter in ids: 'T', 'N', 'D'. */
char field_type_letter(field_type t);

/* 0 when name is a valid custom field name; else -1 with a reason. */
int field_name_check(const char *name, const char **why);
/* True when name (ignoring case) is a reserved field: SendGrid's reserved list, which
 * includes read-only fields such as created_at. */
bool field_name_reserved(const char *name);

/* The reserved fields as GET /field_definitions lists them. */
typedef struct reserved_field {
    const char *id, *name;
    field_type type;
    bool read_only;
} reserved_field;
extern const reserved_field reserved_fields[];
extern const size_t reserved_field_count;
/* The reserved field with this id, with its type suffix ("_rf1_T") or without it ("_rf1",
 * as SendGrid's import example writes it), or NULL. */
const reserved_field *reserved_field_by_id(const char *id);

/* The definition whose id is key, else whose name equals key ignoring case, or NULL. */
const field_def *field_catalog_find(const field_catalog *c, const char *key);
const field_def *field_catalog_find_id(const field_catalog *c, const char *id);

/*
 * Check a value for a field of type t. Returns a new json_t holding the value as stored
 * (a string, a number, or a normalised date string), json_null() for "" (clear the
 * value), or NULL with *why set when the value does not fit the type.
 */
json_t *field_value_normalize(field_type t, const json_t *v, const char **why);

/*
 * Merge an upsert's custom field values (JSON object text keyed by field id; null clears
 * a value) into a contact's stored values. Values of fields that are not in live (deleted
 * since the job was accepted) are dropped. Returns the new JSON text in arena a, or NULL
 * when no value remains.
 */
#include "core/arena.h"
const char *custom_fields_merge(const char *stored, const char *update, const field_catalog *live,
                                arena *a);

#endif
