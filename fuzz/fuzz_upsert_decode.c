/*
 * fuzz_upsert_decode: the PUT /v3/marketing/contacts body decoder (core/contact_decode.c)
 * on arbitrary bytes, against a small catalog of custom fields of every type. Checks that
 * a batch decoded without errors is internally consistent: every contact has an
 * identifier and every identifier is in its normalised form.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/contact_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static field_def defs[] = {
    {"e1_T", "nickname", FIELD_TEXT},
    {"e2_N", "orders", FIELD_NUMBER},
    {"e3_D", "birthday", FIELD_DATE},
};
static const field_catalog catalog = {defs, 3};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *root = json_loadb((const char *)data, size, CONTACTD_JSON_FLAGS, NULL);
    if (!root)
        return 0;
    arena a = ARENA_INIT;
    errlist errs;
    errlist_init(&errs, &a);
    upsert_batch *b = upsert_decode_fields(root, &catalog, &errs);
    if (errs.count == 0) {
        for (size_t i = 0; i < b->count; i++) {
            const contact_input *in = &b->contacts[i];
            int ids = 0;
            for (int t = 0; t < ID_TYPE_COUNT; t++)
                if (in->field[t])
                    ids++;
            if (ids == 0)
                abort();
            if (in->field[CF_EMAIL]) {
                char again[EMAIL_MAX_LEN + 1];
                if (email_normalize(in->field[CF_EMAIL], strlen(in->field[CF_EMAIL]), again) != 0 ||
                    strcmp(again, in->field[CF_EMAIL]) != 0)
                    abort(); /* normalisation must be idempotent */
            }
        }
    }
    upsert_batch_free(b);
    arena_release(&a);
    json_decref(root);
    return 0;
}
