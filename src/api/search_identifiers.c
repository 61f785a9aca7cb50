/*
 * search_identifiers: POST /v3/marketing/contacts/search/identifiers/{identifier_type}.
 *
 * Up to 100 values of one identifier type. 200 with a result per searched value when any
 * matches, 404 when none does, 400 when the type or any value is invalid. Emails are
 * normalised before the search, and the result is keyed by the normalised address.
 */
#include <string.h>

#include "api/api.h"

#define SEARCH_MAX_IDENTIFIERS 100

static int normalize(void *ctx, const char *s, size_t len, arena *a, const char **out,
                     const char **why)
{
    return identifier_normalize(*(id_type *)ctx, s, len, a, out, why);
}

static int find(void *ctx, store *s, int64_t account, const char *value, arena *a, contact *out)
{
    return store_contact_find(s, account, *(id_type *)ctx, value, a, out);
}

void api_search_identifiers(http_request *req)
{
    id_type type;
    if (id_type_from_field(http_param(req, 0), &type) != 0) {
        http_reply_error(req, 400, "identifier_type",
                         "identifier_type must be one of email, phone_number_id, external_id, "
                         "anonymous_id");
        return;
    }
    json_t *root = api_body_object(req);
    if (!root)
        return;
    arena *a = http_arena(req);
    errlist errs;
    errlist_init(&errs, a);
    static const char *const allowed[] = {"identifiers", NULL};
    api_reject_unknown_keys(root, allowed, &errs);
    size_t n = 0;
    const char **values = api_string_array(root, "identifiers", SEARCH_MAX_IDENTIFIERS,
                                           id_type_field(type), normalize, &type, a, &errs, &n);
    json_decref(root);
    if (errs.count || !values) {
        http_reply_errlist(req, 400, &errs);
        return;
    }
    api_reply_search(req, values, n, "identifiers", find, &type);
}
