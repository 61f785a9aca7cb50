/*
 * api: the handlers of the SendGrid endpoints, one file per resource, and the helpers
 * they share. A handler file is named by its route's literal path segments below
 * /v3/marketing/, at most two, joined by '_' (DESIGN.md, "api/ file names"). A handler
 * decodes and validates its input with core/, reads through store/ or submits a job
 * through jobs/, and answers in SendGrid's shapes.
 *
 * Route table: api_routes[] (routes.c) is the one list of endpoints.
 */
#ifndef CONTACTD_API_API_H
#define CONTACTD_API_API_H

#include <jansson.h>
#include <stddef.h>

#include "core/contact.h"
#include "http/request.h"
#include "jobs/jobs.h"
#include "store/store.h"

/* The application context every handler reaches through http_app(req). */
typedef struct api_ctx {
    store *store;
    jobs *jobs;
    int64_t export_ttl_ms;          /* how long export files stay downloadable */
} api_ctx;

/* The largest import file, compressed or not (and once decompressed). */
#define IMPORT_MAX_UPLOAD (128u * 1024u * 1024u)

extern const http_route api_routes[];
extern const size_t api_route_count;

/* ---- shared helpers -------------------------------------------------------------- */

/* Parse the body as a JSON object. On failure replies 400 and returns NULL. */
json_t *api_body_object(http_request *req);
/* Add an "unknown field" error for every key of root not in allowed (NULL-terminated). */
void api_reject_unknown_keys(const json_t *root, const char *const *allowed, errlist *errs);

/* Check and normalise one string of an array; 0, or -1 with *why ("is not valid"). */
typedef int (*api_item_fn)(void *ctx, const char *s, size_t len, arena *a, const char **out,
                           const char **why);
/*
 * root[key] as 1 to max strings, each passed through check (NULL: taken as is). Shape
 * errors name `key`, item errors `key[i]` ("<label> '<value>' <why>"). Returns the
 * strings (in arena a) with *n, or NULL when errors were added.
 */
const char **api_string_array(const json_t *root, const char *key, size_t max, const char *label,
                              api_item_fn check, void *ctx, arena *a, errlist *errs, size_t *n);

/* root[key] when it is present and not empty (api_string_array's checks, no item check);
 * NULL with *n = 0 when it is absent or [] (the same as none). */
const char **api_optional_strings(const json_t *root, const char *key, size_t max,
                                  const char *label, arena *a, errlist *errs, size_t *n);
/* "a,b,c", in a: for error messages. */
char *api_join(arena *a, const char *const *names, size_t n);
/* The ids among ids that name no list of the request's account (in the request arena).
 * STORE_OK, or STORE_ERROR when the store cannot be read. */
int api_missing_lists(http_request *req, const char *const *ids, size_t n,
                      const char ***missing, size_t *nmissing);
/* An ISO 8601 UTC time as SendGrid shows it, or null for 0 (not yet). */
json_t *api_time_json(int64_t ms);

/* Look a contact up by one searched value (store_contact_find_email, ...). */
typedef int (*api_find_fn)(void *ctx, store *s, int64_t account, const char *value, arena *a,
                           contact *out);
/*
 * Answer a search by values in SendGrid's shape: 200 {"result": {value: {"contact": ...} |
 * {"error": "contact not found"}}} when any value matches, else 404 naming field.
 */
void api_reply_search(http_request *req, const char *const *values, size_t n, const char *field,
                      api_find_fn find, void *ctx);

/* Reply 503 for a store failure (the only 5xx a client can see); api_resume_store_error
 * is the same answer for a suspended request (from a jobs_op_done_fn). */
void api_reply_store_error(http_request *req);
void api_resume_store_error(http_request *req);

/* The rc of the store read `get` when id is a UUID; STORE_NOT_FOUND without a read when it
 * is not: such an id names nothing (and PostgreSQL's uuid columns would refuse it). */
#define API_GET_IF_UUID(id, get) (uuid_valid(id) ? (get) : STORE_NOT_FOUND)
/* Answer a read that found nothing or failed: 404 {field, "<what> not found"} for
 * STORE_NOT_FOUND, 503 for any other error, and return false; true (no reply) for
 * STORE_OK. */
bool api_found(http_request *req, int rc, const char *field, const char *what);
/* Submit a job and suspend the request; the 202 {"job_id"} follows the commit.
 * Takes ownership of sub's payload and decoded. */
void api_submit_job(http_request *req, const job_submit *sub);

/* The same with another 202 body: accept(req, job_id) builds it (on the writer thread;
 * http_base_url is safe to call there, other request accessors are not). */
typedef json_t *(*api_accept_fn)(http_request *req, const char *job_id);
void api_submit_job_with(http_request *req, const job_submit *sub, api_accept_fn accept);

/* Submit a synchronous write (jobs_submit_op) and suspend the request; done must resume
 * it. On a stopping queue the request is answered 503 and done is not called. */
void api_submit_op(http_request *req, jobs_op_fn fn, void *arg, jobs_op_done_fn done);
/* Parse a comma-separated list of UUIDs from query parameter name (duplicates dropped).
 * On failure replies 400 and returns -1. */
int api_parse_id_list(http_request *req, const char *name, const char *value, size_t max,
                      const char ***ids, size_t *count);

/*
 * ContactDetails3 for c (contact_render.c): list ids and custom field names are read from
 * the store; the account's field definitions are read once per renderer. Returns NULL
 * when the store cannot be read (reply api_reply_store_error then).
 */
typedef struct contact_renderer {
    http_request *req;
    field_catalog fields;
    bool fields_loaded;
} contact_renderer;
json_t *contact_render(contact_renderer *r, const contact *c);

/* Reply 404 unless the path's list ({} capture 0) exists; fills *out (lists.c). */
bool api_list_load(http_request *req, list_info *out);

/* ---- handlers, by file (the route table: routes.c) --------------------------------- */

/* health.c */
void api_health(http_request *req);
/* contacts.c */
void api_contacts_upsert(http_request *req);
void api_contacts_sample(http_request *req);
void api_contacts_delete(http_request *req);
void api_contact_get(http_request *req);
/* contacts_count.c */
void api_contacts_count(http_request *req);
/* contacts_batch.c */
void api_contacts_batch(http_request *req);
/* contacts_search.c */
void api_search_emails(http_request *req);
void api_search_identifiers(http_request *req);
void api_search_sgql(http_request *req);
/* contacts_imports.c */
void api_import_create(http_request *req);
void api_import_upload(http_request *req);
void api_import_upload_admit(http_request *req);
void api_import_get(http_request *req);
void api_import_errors(http_request *req);
/* contacts_exports.c */
void api_export_create(http_request *req);
void api_exports_all(http_request *req);
void api_export_get(http_request *req);
void api_export_download(http_request *req);
/* contacts_identifiers.c */
void api_identifier_delete(http_request *req);
/* lists.c */
void api_lists_create(http_request *req);
void api_lists_all(http_request *req);
void api_list_get(http_request *req);
void api_list_update(http_request *req);
void api_list_delete(http_request *req);
/* lists_contacts.c */
void api_list_remove_contacts(http_request *req);
void api_list_contact_count(http_request *req);
/* field_definitions.c */
void api_fields_create(http_request *req);
void api_fields_all(http_request *req);
void api_field_update(http_request *req);
void api_field_delete(http_request *req);
/* console.c */
void api_console_index(http_request *req);
void api_console_file(http_request *req);

#endif
