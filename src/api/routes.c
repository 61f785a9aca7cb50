/*
 * routes: every endpoint contactd serves, in matching order. Literal paths come before
 * the {} captures that would also match them (router.h).
 */
#include "api/api.h"
#include "core/contact_decode.h"

/* Bodies of small JSON requests (identifier searches, deletions). */
#define SMALL_BODY (64u * 1024u)
/* GET requests may carry a body; it is ignored, but not read without bound. */
#define IGNORED_BODY (16u * 1024u)

const http_route api_routes[] = {
    {"GET", "/healthz", api_health, IGNORED_BODY, ROUTE_PUBLIC},
    {"PUT", "/v3/marketing/contacts", api_contacts_upsert, UPSERT_MAX_BODY, ROUTE_WRITE},
    {"POST", "/v3/marketing/contacts/search/identifiers/{}", api_search_identifiers, SMALL_BODY, 0},
    {"GET", "/v3/marketing/contacts/imports/{}", api_import_get, IGNORED_BODY, 0},
    {"GET", "/v3/marketing/contacts/imports/{}/errors", api_import_errors, IGNORED_BODY, 0},
    {"GET", "/v3/marketing/contacts/{}", api_contact_get, IGNORED_BODY, 0},
    {"DELETE", "/v3/marketing/contacts/{}/identifiers", api_identifier_delete, SMALL_BODY, ROUTE_WRITE},
};

const size_t api_route_count = sizeof api_routes / sizeof api_routes[0];
