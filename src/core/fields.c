/* fields: see fields.h. */
#include "core/fields.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/identifier.h"
#include "core/timeutil.h"
#include "core/utf8.h"

const char *field_type_name(field_type t)
{
    switch (t) {
    case FIELD_TEXT: return "Text";
    case FIELD_NUMBER: return "Number";
    case FIELD_DATE: return "Date";
    }
    return "Text";
}

char field_type_letter(field_type t)
{
    return t == FIELD_NUMBER ? 'N' : t == FIELD_DATE ? 'D' : 'T';
}

int field_type_parse(const char *name, field_type *out)
{
    static const field_type all[] = {FIELD_TEXT, FIELD_NUMBER, FIELD_DATE};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (strcmp(name, field_type_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    }
    return -1;
}

const reserved_field reserved_fields[] = {
    {"_rf0_T", "first_name", FIELD_TEXT, false},
    {"_rf1_T", "last_name", FIELD_TEXT, false},
    {"_rf2_T", "email", FIELD_TEXT, false},
    {"_rf3_T", "alternate_emails", FIELD_TEXT, false},
    {"_rf4_T", "address_line_1", FIELD_TEXT, false},
    {"_rf5_T", "address_line_2", FIELD_TEXT, false},
    {"_rf6_T", "city", FIELD_TEXT, false},
    {"_rf7_T", "state_province_region", FIELD_TEXT, false},
    {"_rf8_T", "postal_code", FIELD_TEXT, false},
    {"_rf9_T", "country", FIELD_TEXT, false},
    {"_rf10_T", "phone_number", FIELD_TEXT, false},
    {"_rf11_T", "whatsapp", FIELD_TEXT, false},
    {"_rf12_T", "line", FIELD_TEXT, false},
    {"_rf13_T", "facebook", FIELD_TEXT, false},
    {"_rf14_T", "unique_name", FIELD_TEXT, false},
    {"_rf15_T", "email_domains", FIELD_TEXT, true},
    {"_rf16_D", "last_clicked", FIELD_DATE, true},
    {"_rf17_D", "last_opened", FIELD_DATE, true},
    {"_rf18_D", "last_emailed", FIELD_DATE, true},
    {"_rf19_T", "singlesend_id", FIELD_TEXT, true},
    {"_rf20_T", "automation_id", FIELD_TEXT, true},
    {"_rf21_D", "created_at", FIELD_DATE, true},
    {"_rf22_D", "updated_at", FIELD_DATE, true},
    {"_rf23_T", "contact_id", FIELD_TEXT, true},
    {"_rf24_T", "phone_number_id", FIELD_TEXT, false},
    {"_rf25_T", "external_id", FIELD_TEXT, false},
    {"_rf26_T", "anonymous_id", FIELD_TEXT, false},
};
const size_t reserved_field_count = sizeof reserved_fields / sizeof reserved_fields[0];

const reserved_field *reserved_field_by_id(const char *id)
{
    size_t n = strlen(id);
    for (size_t i = 0; i < reserved_field_count; i++) {
        const char *full = reserved_fields[i].id; /* "_rf1_T": the bare id, "_", a type */
        if (strcmp(full, id) == 0 || (strncmp(full, id, n) == 0 && strlen(full) == n + 2))
            return &reserved_fields[i];
    }
    return NULL;
}

bool field_name_reserved(const char *name)
{
    for (size_t i = 0; i < reserved_field_count; i++)
        if (strcasecmp(reserved_fields[i].name, name) == 0)
            return true;
    /* Names the API itself uses for contacts, which a custom field would shadow. */
    static const char *const more[] = {"id", "list_ids", "segment_ids", "custom_fields"};
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
        if (strcasecmp(more[i], name) == 0)
            return true;
    return false;
}

int field_name_check(const char *name, const char **why)
{
    size_t n = strlen(name);
    if (n == 0) {
        *why = "name must not be empty";
        return -1;
    }
    if (n > FIELD_NAME_MAX) {
        *why = "name is longer than 100 characters";
        return -1;
    }
    if (!(isalpha((unsigned char)name[0]) || name[0] == '_') || (unsigned char)name[0] >= 0x80) {
        *why = "name must begin with a letter (A-Z) or an underscore";
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c >= 0x80 || !(isalnum(c) || c == '_')) {
            *why = "name may contain only letters (A-Z), digits and underscores";
            return -1;
        }
    }
    if (field_name_reserved(name)) {
        *why = "name is a reserved field name";
        return -1;
    }
    return 0;
}

const field_def *field_catalog_find_id(const field_catalog *c, const char *id)
{
    for (size_t i = 0; c && i < c->count; i++)
        if (strcmp(c->defs[i].id, id) == 0)
            return &c->defs[i];
    return NULL;
}

const field_def *field_catalog_find(const field_catalog *c, const char *key)
{
    const field_def *d = field_catalog_find_id(c, key);
    for (size_t i = 0; !d && c && i < c->count; i++)
        if (strcasecmp(c->defs[i].name, key) == 0)
            d = &c->defs[i];
    return d;
}

/* ---- values ---------------------------------------------------------------------- */

/* Normalise a Date field's value to "YYYY-MM-DDTHH:MM:SSZ"; false when it is not one we
 * store. Field values take a narrower form than SGQL literals (MM/DD/YYYY, YYYY-MM-DD, or
 * YYYY-MM-DDTHH:MM:SS[.fraction]Z: no offsets, no lowercase), so the shape is checked
 * here and the date itself by time_parse. */
static bool date_normalize(const char *s, char out[ISO8601_LEN + 1])
{
    size_t n = strlen(s);
    bool shape = n == 10 && ((s[2] == '/' && s[5] == '/') || (s[4] == '-' && s[7] == '-'));
    if (!shape && n >= 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
        s[16] == ':' && s[n - 1] == 'Z') {
        size_t i = 19;
        if (s[i] == '.')
            for (i++; i < n - 1 && s[i] >= '0' && s[i] <= '9'; i++)
                ;
        shape = i == n - 1 && (s[19] != '.' || i > 20);
    }
    int64_t t;
    if (!shape || !time_parse(s, n, &t))
        return false;
    time_iso8601(t, out);
    return true;
}

/* Unix time as users send it, in seconds, or in milliseconds from 10^11 up (10^11 seconds
 * would be past the year 5000; 10^11 ms is March 1973, so earlier millisecond times read
 * as seconds). Up to 9999-12-31. */
static bool epoch_normalize(long long v, char out[ISO8601_LEN + 1])
{
    long long secs = v >= 100000000000LL ? v / 1000 : v;
    if (v < 0 || secs > 253402300799LL)
        return false;
    time_iso8601((int64_t)secs * 1000, out);
    return true;
}

/* A Date value: a date string, or epoch seconds or milliseconds as a JSON integer or a
 * string of digits. */
static bool date_value(const json_t *v, char out[ISO8601_LEN + 1])
{
    if (json_is_integer(v))
        return epoch_normalize(json_integer_value(v), out);
    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
    size_t n = strlen(s);
    if (n && n <= 15 && strspn(s, "0123456789") == n)
        return epoch_normalize(strtoll(s, NULL, 10), out);
    return date_normalize(s, out);
}

/* A JSON-style decimal: -?digits(.digits)?([eE][+-]?digits)? — no hex, inf or spaces,
 * which strtod alone would accept. */
static bool decimal_number(const char *s)
{
    const char *p = s;
    if (*p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return false;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return *p == '\0' && p - s < 64;
}

json_t *field_value_normalize(field_type t, const json_t *v, const char **why)
{
    if (json_is_string(v) && json_string_length(v) == 0)
        return json_null();
    switch (t) {
    case FIELD_TEXT:
        if (!json_is_string(v)) {
            *why = "must be a string (a Text field)";
            return NULL;
        }
        if (utf8_length(json_string_value(v), json_string_length(v)) > FIELD_TEXT_MAX) {
            *why = "is longer than 1000 characters";
            return NULL;
        }
        return json_deep_copy(v);
    case FIELD_NUMBER:
        if (json_is_number(v))
            return json_deep_copy(v);
        if (json_is_string(v) && decimal_number(json_string_value(v))) {
            const char *s = json_string_value(v);
            errno = 0;
            double d = strtod(s, NULL);
            /* Integers that a double holds exactly stay integers; the rest are reals. */
            if (errno == 0 && isfinite(d)) {
                if (!strpbrk(s, ".eE") && fabs(d) < 9007199254740992.0)
                    return json_integer((json_int_t)d);
                return json_real(d);
            }
        }
        *why = "must be a number (a Number field)";
        return NULL;
    case FIELD_DATE: {
        char out[ISO8601_LEN + 1];
        if (date_value(v, out))
            return json_string(out);
        *why = "must be a date like 2024-01-31, 01/31/2024, 2024-01-31T12:00:00Z or Unix time "
               "in seconds or milliseconds (a Date field)";
        return NULL;
    }
    }
    *why = "has an unknown field type";
    return NULL;
}

const char *custom_fields_merge(const char *stored, const char *update, const field_catalog *live,
                                arena *a)
{
    json_t *out = stored ? json_loads(stored, 0, NULL) : NULL;
    if (!json_is_object(out)) {
        json_decref(out);
        out = json_object();
    }
    json_t *upd = update ? json_loads(update, 0, NULL) : NULL;
    const char *key;
    json_t *v;
    if (json_is_object(upd)) {
        json_object_foreach (upd, key, v) {
            if (json_is_null(v))
                json_object_del(out, key);
            else
                json_object_set(out, key, v);
        }
    }
    json_decref(upd);
    void *tmp;
    json_object_foreach_safe (out, tmp, key, v) {
        if (!field_catalog_find_id(live, key))
            json_object_del(out, key);
    }
    const char *result = NULL;
    if (json_object_size(out) > 0) {
        char *text = json_dumps(out, JSON_COMPACT);
        if (text) {
            result = arena_strdup(a, text);
            free(text);
        }
    }
    json_decref(out);
    return result;
}
