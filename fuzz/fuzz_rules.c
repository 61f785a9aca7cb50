/*
 * fuzz_rules: the identifier and field rules of core/ on arbitrary strings: email
 * normalisation (idempotent, output valid), E.164, identifier_normalize for every type,
 * custom field names, and custom field values of every type.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/fields.h"
#include "core/identifier.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    char out[EMAIL_MAX_LEN + 1];
    if (email_normalize(s, size, out) == 0) {
        char again[EMAIL_MAX_LEN + 1];
        if (strlen(out) > EMAIL_MAX_LEN || email_normalize(out, strlen(out), again) != 0 ||
            strcmp(out, again) != 0)
            abort();
    }
    (void)e164_valid(s, size);
    arena a = ARENA_INIT;
    for (int t = 0; t < ID_TYPE_COUNT; t++) {
        const char *norm, *why;
        if (identifier_normalize((id_type)t, s, size, &a, &norm, &why) == 0 && !norm)
            abort();
    }
    arena_release(&a);
    char *z = malloc(size + 1);
    if (!z)
        abort();
    memcpy(z, data, size);
    z[size] = '\0';
    const char *why;
    (void)field_name_check(z, &why);
    json_t *v = json_stringn_nocheck(z, size);
    static const field_type types[] = {FIELD_TEXT, FIELD_NUMBER, FIELD_DATE};
    for (size_t i = 0; v && i < 3; i++) {
        json_t *n = field_value_normalize(types[i], v, &why);
        json_decref(n);
    }
    json_decref(v);
    free(z);
    return 0;
}
