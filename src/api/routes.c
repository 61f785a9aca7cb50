/*
 * routes: every endpoint contactd serves, in matching order. Literal paths come before
 * the {} captures that would also match them (router.h).
 */
#include "api/api.h"
#include "core/contact_decode.h"

/* Bodies of small JSON requests (searches, deletions, lists, fields). */
#define SMALL_BODY (64u * 1024u)
/* Requests whose body is ignored may still carry one, but it is not read without bound. */
#define IGNORED_BODY (16u * 1024u)

#define C "/v3/marketing/contacts"
#define L "/v3/marketing/lists"
#define F "/v3/marketing/field_definitions"

const http_route api_routes[] = {
    {"GET", "/healthz", api_health, IGNORED_BODY, ROUTE_PUBLIC},

    {"PUT", C, api_contacts_upsert, UPSERT_MAX_BODY, ROUTE_WRITE},
    {"GET", C, api_contacts_sample, IGNORED_BODY, 0},
    {"DELETE", C, api_contacts_delete, IGNORED_BODY, ROUTE_WRITE},
    {"GET", C "/count", api_contacts_count, IGNORED_BODY, 0},
    {"POST", C "/batch", api_contacts_batch, SMALL_BODY, 0},
    {"POST", C "/search/emails", api_search_emails, SMALL_BODY, 0},
    {"POST", C "/search/identifiers/{}", api_search_identifiers, SMALL_BODY, 0},
    {"GET", C "/imports/{}", api_import_get, IGNORED_BODY, 0},
    {"GET", C "/imports/{}/errors", api_import_errors, IGNORED_BODY, 0},
    {"GET", C "/{}", api_contact_get, IGNORED_BODY, 0},
    {"DELETE", C "/{}/identifiers", api_identifier_delete, SMALL_BODY, ROUTE_WRITE},

    {"POST", L, api_lists_create, SMALL_BODY, ROUTE_WRITE},
    {"GET", L, api_lists_all, IGNORED_BODY, 0},
    {"GET", L "/{}", api_list_get, IGNORED_BODY, 0},
    {"PATCH", L "/{}", api_list_update, SMALL_BODY, ROUTE_WRITE},
    {"DELETE", L "/{}", api_list_delete, IGNORED_BODY, ROUTE_WRITE},
    {"DELETE", L "/{}/contacts", api_list_remove_contacts, IGNORED_BODY, ROUTE_WRITE},
    {"GET", L "/{}/contacts/count", api_list_contact_count, IGNORED_BODY, 0},

    {"POST", F, api_fields_create, SMALL_BODY, ROUTE_WRITE},
    {"GET", F, api_fields_all, IGNORED_BODY, 0},
    {"PATCH", F "/{}", api_field_update, SMALL_BODY, ROUTE_WRITE},
    {"DELETE", F "/{}", api_field_delete, IGNORED_BODY, ROUTE_WRITE},
};

const size_t api_route_count = sizeof api_routes / sizeof api_routes[0];
