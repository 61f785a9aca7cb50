/*
 * fuzz_upsert_stream: the one-pass upsert decoder (core/contact_decode_stream.c over
 * core/json_pull.c) against jansson + the tree walker on arbitrary bytes: the verdict on
 * the text, every error and the batch must be the same (tests/unit/upsert_diff.h); any
 * difference aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "upsert_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static field_def defs[] = {
    {"e1_T", "nickname", FIELD_TEXT},
    {"e2_N", "orders", FIELD_NUMBER},
    {"e3_D", "birthday", FIELD_DATE},
};
static const field_catalog catalog = {defs, 3};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *why = upsert_diff((const char *)data, size, &catalog);
    if (why) {
        fprintf(stderr, "fuzz_upsert_stream: %s\n", why);
        abort();
    }
    return 0;
}
