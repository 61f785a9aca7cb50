/*
 * search_emails: POST /v3/marketing/contacts/search/emails, up to 100 addresses matched
 * case-insensitively against primary and alternate emails. 200 with a result per address
 * when any matches, 404 when none does, 400 when any address is invalid.
 */
#include <string.h>

#include "api/api.h"

#define SEARCH_MAX_EMAILS 100

static int normalize(void *ctx, const char *s, size_t len, arena *a, const char **out,
                     const char **why)
{
    (void)ctx;
    if (identifier_normalize(ID_EMAIL, s, len, a, out, why) != 0) {
        *why = "is not valid";
        return -1;
    }
    return 0;
}

static int find(void *ctx, store *s, int64_t account, const char *value, arena *a, contact *out)
{
    (void)ctx;
    return store_contact_find_email(s, account, value, a, out);
}

void api_search_emails(http_request *req)
{
    json_t *root = api_body_object(req);
    if (!root)
        return;
    arena *a = http_arena(req);
    errlist errs;
    errlist_init(&errs, a);
    static const char *const allowed[] = {"emails", NULL};
    api_reject_unknown_keys(root, allowed, &errs);
    size_t n = 0;
    const char **values = api_string_array(root, "emails", SEARCH_MAX_EMAILS, "email", normalize,
                                           NULL, a, &errs, &n);
    json_decref(root);
    if (errs.count || !values) {
        http_reply_errlist(req, 400, &errs);
        return;
    }
    api_reply_search(req, values, n, "emails", find, NULL);
}
