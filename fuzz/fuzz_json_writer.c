/*
 * fuzz_json_writer: the read path's JSON writer against jansson on arbitrary bytes, which
 * must agree byte for byte (or both refuse): the input as stored JSON (json_recode vs
 * json_loads + json_dumps), as a string (json_writer_string vs json_stringn), as a double
 * (its first 8 bytes), and as a contact's stored custom fields, list ids and reserved
 * fields (contact_json_write_* vs contact_to_json). Differences abort.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must_agree(char *old, char *new)
{
    if (!diff_same(old, new))
        abort();
    free(old);
    free(new);
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *z = malloc(size + 1);
    if (!z)
        abort();
    memcpy(z, data, size);
    z[size] = '\0'; /* stored text is a C string: it ends at the first NUL */
    must_agree(old_recode(z), new_recode(z));
    must_agree(old_string(z, size), new_string(z, size));
    if (size >= sizeof(double)) {
        double d;
        memcpy(&d, data, sizeof d);
        if (isfinite(d))
            must_agree(old_real(d), new_real(d));
    }
    contact c = {.created_at = 1700000000123, .updated_at = 1700000000456};
    memcpy(c.id, "0b6f4e6a-9c1d-4c8e-8f7a-1e2d3c4b5a69", sizeof c.id);
    c.field[CF_FIRST_NAME] = z;
    c.custom_fields = z;
    c.list_ids = z;
    c.alternate_emails = z;
    const char *ids[] = {z, "x"};
    must_agree(old_contact(&c, &diff_catalog, ids, 2), new_contact(&c, &diff_catalog, ids, 2));
    free(z);
    return 0;
}
