/* contacts_batch: POST /v3/marketing/contacts/batch, up to 100 contacts by id. Ids that
 * match nothing in the key's account are left out of the result. The answer is streamed
 * one contact at a time (api_reply_contacts), so 100 contacts of 2 MB never sit in memory
 * together. */
#include <string.h>

#include "api/api.h"

#define BATCH_MAX_IDS 100

void api_contacts_batch(http_request *req)
{
    errlist errs;
    json_t *root = api_body_begin(req, &errs);
    if (!root)
        return;
    arena *a = http_arena(req);
    size_t n = 0;
    const char **ids = api_string_array(root, "ids", BATCH_MAX_IDS, "id", NULL, NULL, a, &errs, &n);
    json_decref(root);
    if (errs.count || !ids) {
        http_reply_errlist(req, 400, &errs);
        return;
    }
    api_contact_ref *refs = arena_calloc(a, n ? n : 1, sizeof *refs);
    size_t wanted = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t k = 0; k < i; k++)
            if (strcmp(ids[k], ids[i]) == 0)
                seen = true;
        if (!seen && uuid_valid(ids[i]))
            refs[wanted++].id = ids[i];
    }
    api_reply_contacts(req, "{\"result\":[", refs, wanted, "]}");
}
