/*
 * routes: every endpoint contactd serves, in matching order. Literal paths come before
 * the {} captures that would also match them (router.h). A comment above each run of
 * routes names their handlers' file in api/ (the naming rule: DESIGN.md).
 */
#include "api/api.h"
#include "core/metrics.h"
#include "core/contact_decode.h"
#include "core/sgql.h"

/* Bodies of small JSON requests (searches, deletions, lists, fields). */
#define SMALL_BODY (64u * 1024u)
/* Requests whose body is ignored may still carry one, but it is not read without bound. */
#define IGNORED_BODY (16u * 1024u)
/* An SGQL query may be SGQL_MAX_QUERY bytes, and JSON escapes make its body longer. */
#define SEARCH_BODY (2u * SGQL_MAX_QUERY + 1024u)

#define C "/v3/marketing/contacts"
#define L "/v3/marketing/lists"
#define F "/v3/marketing/field_definitions"
#define A "/_contactd"
#define S "/v3/marketing/segments/2.0"

const http_route api_routes[] = {
    /* health.c */
    {"GET", "/healthz", api_health, IGNORED_BODY, ROUTE_PUBLIC, NULL},
    {"HEAD", "/healthz", api_health, IGNORED_BODY, ROUTE_PUBLIC, NULL},
    {"GET", "/readyz", api_ready, IGNORED_BODY, ROUTE_PUBLIC, NULL},
    {"HEAD", "/readyz", api_ready, IGNORED_BODY, ROUTE_PUBLIC, NULL},
    {"GET", "/metrics", api_metrics, IGNORED_BODY, ROUTE_PUBLIC, NULL},
    /* console.c */
    {"GET", "/console", api_console_index, IGNORED_BODY, ROUTE_PUBLIC, NULL},
    {"GET", "/console/{}", api_console_file, IGNORED_BODY, ROUTE_PUBLIC, NULL},

    /* contacts.c */
    {"PUT", C, api_contacts_upsert, UPSERT_MAX_BODY, ROUTE_WRITE, NULL},
    {"GET", C, api_contacts_sample, IGNORED_BODY, 0, NULL},
    {"DELETE", C, api_contacts_delete, IGNORED_BODY, ROUTE_WRITE, NULL},
    /* contacts_count.c */
    {"GET", C "/count", api_contacts_count, IGNORED_BODY, 0, NULL},
    /* contacts_batch.c */
    {"POST", C "/batch", api_contacts_batch, SMALL_BODY, 0, NULL},
    /* contacts_search.c */
    {"POST", C "/search/emails", api_search_emails, SMALL_BODY, 0, NULL},
    {"POST", C "/search/identifiers/{}", api_search_identifiers, SMALL_BODY, 0, NULL},
    /* contacts_imports.c */
    {"PUT", C "/imports", api_import_create, SMALL_BODY, ROUTE_WRITE, NULL},
    {"PUT", C "/imports/{}/upload", api_import_upload, IMPORT_MAX_UPLOAD, ROUTE_PUBLIC | ROUTE_SLOW,
     api_import_upload_admit},
    /* contacts_exports.c */
    {"POST", C "/exports", api_export_create, SMALL_BODY, ROUTE_WRITE, NULL},
    {"GET", C "/exports", api_exports_all, IGNORED_BODY, 0, NULL},
    {"GET", C "/exports/{}", api_export_get, IGNORED_BODY, 0, NULL},
    {"GET", C "/exports/{}/files/{}", api_export_download, IGNORED_BODY, ROUTE_PUBLIC, NULL},
    /* contacts_search.c */
    {"POST", C "/search", api_search_sgql, SEARCH_BODY, ROUTE_SLOW, NULL},
    /* contacts_imports.c */
    {"GET", C "/imports/{}", api_import_get, IGNORED_BODY, 0, NULL},
    {"GET", C "/imports/{}/errors", api_import_errors, IGNORED_BODY, ROUTE_PUBLIC, NULL},
    /* contacts.c */
    {"GET", C "/{}", api_contact_get, IGNORED_BODY, 0, NULL},
    /* contacts_identifiers.c */
    {"DELETE", C "/{}/identifiers", api_identifier_delete, SMALL_BODY, ROUTE_WRITE, NULL},

    /* lists.c */
    {"POST", L, api_lists_create, SMALL_BODY, ROUTE_WRITE, NULL},
    {"GET", L, api_lists_all, IGNORED_BODY, 0, NULL},
    {"GET", L "/{}", api_list_get, IGNORED_BODY, 0, NULL},
    {"PATCH", L "/{}", api_list_update, SMALL_BODY, ROUTE_WRITE, NULL},
    {"DELETE", L "/{}", api_list_delete, IGNORED_BODY, ROUTE_WRITE, NULL},
    /* lists_contacts.c */
    {"DELETE", L "/{}/contacts", api_list_remove_contacts, IGNORED_BODY, ROUTE_WRITE, NULL},
    {"GET", L "/{}/contacts/count", api_list_contact_count, IGNORED_BODY, 0, NULL},

    /* field_definitions.c */
    {"POST", F, api_fields_create, SMALL_BODY, ROUTE_WRITE, NULL},
    {"GET", F, api_fields_all, IGNORED_BODY, 0, NULL},
    {"PATCH", F "/{}", api_field_update, SMALL_BODY, ROUTE_WRITE, NULL},
    {"DELETE", F "/{}", api_field_delete, IGNORED_BODY, ROUTE_WRITE, NULL},

    /* segments.c */
    {"POST", S, api_segments_create, SEARCH_BODY, ROUTE_WRITE, NULL},
    {"GET", S, api_segments_all, IGNORED_BODY, 0, NULL},
    {"GET", S "/{}", api_segment_get, IGNORED_BODY, 0, NULL},
    {"PATCH", S "/{}", api_segment_update, SEARCH_BODY, ROUTE_WRITE, NULL},
    {"DELETE", S "/{}", api_segment_delete, IGNORED_BODY, ROUTE_WRITE, NULL},
    /* segments_refresh.c */
    {"POST", S "/refresh/{}", api_segment_refresh, SMALL_BODY, ROUTE_WRITE, NULL},

    /* the admin API (off without an admin token: see http/server.h); admin_accounts.c */
    {"GET", A "/accounts", api_admin_accounts_all, IGNORED_BODY, ROUTE_ADMIN, NULL},
    {"POST", A "/accounts", api_admin_account_create, SMALL_BODY, ROUTE_ADMIN, NULL},
    {"DELETE", A "/accounts/{}", api_admin_account_delete, IGNORED_BODY, ROUTE_ADMIN, NULL},
    {"POST", A "/accounts/{}/keys", api_admin_key_create, SMALL_BODY, ROUTE_ADMIN, NULL},
    {"DELETE", A "/accounts/{}/keys/{}", api_admin_key_delete, IGNORED_BODY, ROUTE_ADMIN, NULL},
    {"POST", A "/accounts/{}/reset", api_admin_account_reset, IGNORED_BODY, ROUTE_ADMIN, NULL},
    {"GET", A "/accounts/{}/jobs", api_admin_account_jobs, IGNORED_BODY, ROUTE_ADMIN, NULL},
    {"GET", A "/accounts/{}/settings", api_admin_account_settings_get, IGNORED_BODY, ROUTE_ADMIN,
     NULL},
    {"PUT", A "/accounts/{}/settings", api_admin_account_settings_put, SMALL_BODY, ROUTE_ADMIN, NULL},
    {"GET", A "/accounts/{}/state", api_admin_account_state_get, IGNORED_BODY, ROUTE_ADMIN, NULL},
    {"PUT", A "/accounts/{}/state", api_admin_account_state_put, UPSERT_MAX_BODY, ROUTE_ADMIN, NULL},
    /* admin_reset.c */
    {"POST", A "/reset", api_admin_reset, IGNORED_BODY, ROUTE_ADMIN, NULL},
    /* admin_settings.c */
    {"GET", A "/settings", api_admin_settings_global_get, IGNORED_BODY, ROUTE_ADMIN, NULL},
    {"PUT", A "/settings", api_admin_settings_global_put, SMALL_BODY, ROUTE_ADMIN, NULL},
    /* admin_faults.c */
    {"POST", A "/faults", api_admin_faults_create, SMALL_BODY, ROUTE_ADMIN, NULL},
    {"GET", A "/faults", api_admin_faults_all, IGNORED_BODY, ROUTE_ADMIN, NULL},
    {"DELETE", A "/faults", api_admin_faults_clear, IGNORED_BODY, ROUTE_ADMIN, NULL},
    {"DELETE", A "/faults/{}", api_admin_fault_delete, IGNORED_BODY, ROUTE_ADMIN, NULL},
    /* admin_requests.c */
    {"GET", A "/requests", api_admin_requests, IGNORED_BODY, ROUTE_ADMIN, NULL},
};

const size_t api_route_count = sizeof api_routes / sizeof api_routes[0];
/* /metrics counts requests per route in a table of METRICS_MAX_ROUTES (core/metrics.h); a
 * route past it would be counted as unmatched, so the build refuses it. */
_Static_assert(sizeof api_routes / sizeof api_routes[0] <= METRICS_MAX_ROUTES,
               "raise METRICS_MAX_ROUTES in core/metrics.h");
