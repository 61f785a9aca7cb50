/*
 * sample: the contact samples of GET /contacts, GET /lists/{id}?contact_sample=true and GET
 * /segments/2.0/{id} (api.h), answered from contact ids: each contact is read by id and
 * kept while the kept ones are small, else read again as it is sent (api_reply_contacts),
 * so that a sample of fifty 2 MB contacts never sits in memory whole. The answer's bytes
 * are those of the jansson object it replaced: the fields around the array are dumped by
 * jansson, in their order.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

int api_sample_refs(http_request *req, const char *const *ids, size_t n, api_contact_ref **refs,
                    bool *whole)
{
    api_ctx *app = http_app(req);
    arena *a = http_arena(req);
    *refs = arena_calloc(a, n ? n : 1, sizeof **refs);
    *whole = true;
    size_t base = a->total;
    for (size_t i = 0; i < n; i++) {
        api_contact_ref *ref = &(*refs)[i];
        ref->id = ids[i];
        if (a->total - base >= API_KEEP_CONTACT_BYTES) { /* read again when sent */
            *whole = false;
            continue;
        }
        contact *c = arena_alloc(a, sizeof *c);
        int rc = store_contact_get(app->store, http_account(req), ids[i], a, c);
        if (rc == STORE_OK)
            ref->row = c;
        else if (rc == STORE_NOT_FOUND) /* deleted since the sample was read: left out */
            ref->id = NULL;
        else
            return rc;
    }
    return STORE_OK;
}

/* The compact text of o's fields without the braces ("" for NULL or {}); takes o. */
static const char *fields_text(arena *a, json_t *o)
{
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    const char *out = text ? arena_printf(a, "%.*s", (int)(strlen(text) - 2), text + 1) : "";
    free(text);
    return out;
}

void api_sample_frame(http_request *req, json_t *before, const char *key, json_t *after,
                      const char **head, const char **tail)
{
    arena *a = http_arena(req);
    const char *b = fields_text(a, before), *t = fields_text(a, after);
    *head = arena_printf(a, "{%s%s\"%s\":[", b, *b ? "," : "", key);
    *tail = arena_printf(a, "]%s%s}", *t ? "," : "", t);
}

void api_reply_sample(http_request *req, json_t *before, const char *key, const char *const *ids,
                      size_t n, json_t *after)
{
    const char *head, *tail;
    api_sample_frame(req, before, key, after, &head, &tail);
    api_contact_ref *refs;
    bool whole;
    if (api_sample_refs(req, ids, n, &refs, &whole) != STORE_OK)
        api_reply_store_error(req);
    else
        api_reply_contacts(req, head, refs, n, tail);
}
